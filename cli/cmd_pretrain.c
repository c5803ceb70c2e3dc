/* cmd_pretrain.c - pat pretrain: masked-autoencoder pretraining of a PAT
 * encoder on unlabelled sequences (pat-spec §3), written as a native
 * encoder that pat finetune accepts. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "nn/model.h"
#include "train/pretrain.h"
#include "report/svg.h"
#include "util.h"

#define MAX_OVERRIDES 40

struct pt_opts {
    const char *arch, *init, *output, *data, *train, *val, *results, *curves, *resume;
    const char *val_split;   /* participants | last (with --data) */
    double val_fraction;     /* Keras validation_split */
    int no_standardize, threads, quiet;
    const char *init_transform; /* the --init encoder's input transform */
    const char *rows_transform; /* the rows' transform: the encoder's */
    struct pat_pretrain_params p;
    char overrides[MAX_OVERRIDES][2][64]; /* option and value, applied after the defaults */
    size_t noverrides;
};

static void print_pretrain_help(void) {
    fputs("Usage: pat pretrain (--data D.patd | --train X.csv [--val XV.csv])\n"
          "                    (--arch S|M|L|conv-S|conv-M|conv-L | --init MODEL) -o ENCODER.safetensors\n"
          "Pretrain a PAT encoder as the masked autoencoder of the original work (pat-spec §3):\n"
          "a fraction of the patches is hidden, the encoder sees the visible ones, a one-block\n"
          "decoder reconstructs every minute (2 tanh(Dense(P, tanh))), the loss is the MSE. The\n"
          "epoch with the lowest validation loss is kept; its encoder is written in pat's\n"
          "native format (ready for pat finetune; pat convert --to-keras makes a Keras file).\n\n"
          "Data:\n"
          "      --data FILE           dataset from pat data build: its training split trains,\n"
          "                            its validation split validates, each standardized with the\n"
          "                            stored scaler of its split (test and unsplit rows unused);\n"
          "                            the encoder records its transform (--log1p) as\n"
          "                            pat.input_transform\n"
          "      --train FILE          CSV, one standardized sequence per row (as pat embed reads)\n"
          "      --val FILE            CSV validation sequences (default: the last --val-fraction\n"
          "                            of --train, as Keras validation_split)\n"
          "      --val-fraction F      default 0.1\n"
          "      --val-split participants|last   with --data: the dataset's participant-level\n"
          "                            split (default) or the last --val-fraction of its training\n"
          "                            rows (used anyway when it has no validation rows)\n"
          "      --no-standardize      with --data: use the stored rows as they are\n"
          "Model:\n"
          "      --arch NAME           fresh Keras-initialised encoder and decoder (seed --seed)\n"
          "      --init FILE           start from this encoder (.safetensors or Keras .h5; a head\n"
          "                            or scaler in it is ignored); fresh decoder and mask token\n"
          "  -o, --output FILE         the pretrained encoder (.safetensors, written atomically)\n"
          "Masked autoencoder (defaults: the released weights' settings, pat-spec §3.1):\n"
          "      --mask-ratio R        fraction of patches masked, M = round(R N) (default 0.90)\n"
          "      --mask-group G        batch: one permutation per batch (default, the original);\n"
          "                            sequence: one per sequence; N: one per N sequences (16 is\n"
          "                            the original's one per TPU replica)\n"
          "      --unshuffle corrected|faithful   corrected (default): every encoded token returns\n"
          "                            to its own position; faithful: the original's index bug\n"
          "                            (encoded tokens land at masked positions, docs/pretraining.md)\n"
          "      --loss all|masked     MSE over all minutes (default, as released) or over the\n"
          "                            minutes of masked patches (computed correctly)\n"
          "Optimisation (defaults by size, pat-spec §3.2; S/M | L):\n"
          "      --epochs N            default 10000\n"
          "      --batch-size N        default 128\n"
          "      --lr LR               Keras Adam learning rate, 1e-3 | 1e-4\n"
          "      --optimizer keras-adam|adam|adamw   (default keras-adam)\n"
          "      --weight-decay WD     default 0\n"
          "      --clip NORM           global gradient-norm clipping (default 0: off)\n"
          "      --patience N          early stopping on validation loss, 250 | 500 (0: never)\n"
          "      --plateau-factor F    ReduceLROnPlateau factor (default 0.5)\n"
          "      --plateau-patience N  75 | 100 (0: no reductions)\n"
          "      --min-lr LR           1e-4 | 1e-5\n"
          "      --dropout P           at the two sites of every block (default 0.1)\n"
          "      --shuffle 0|1         reshuffle the training rows every epoch (default 1)\n"
          "      --seed S              initialisation, order, masks, dropout (default 1)\n"
          "Outputs and runs:\n"
          "      --results FILE        results JSON (configuration, history, best epoch)\n"
          "      --curves FILE         SVG of training and validation loss per epoch\n"
          "      --checkpoint FILE     checkpoint written after every epoch\n"
          "      --resume FILE         continue from a checkpoint (same options and data)\n"
          "  -t, --threads N           threads (default: all CPUs; results do not depend on it)\n"
          "  -q, --quiet               no progress lines\n"
          "  -h, --help                this help\n",
          stdout);
}

static const char *const override_names[] = {
    "mask-ratio", "mask-group", "unshuffle", "loss", "epochs", "batch-size", "lr",
    "optimizer", "weight-decay", "clip", "patience", "plateau-factor", "plateau-patience",
    "min-lr", "dropout", "shuffle", "seed", "checkpoint"};
#define NUM_OVERRIDES (sizeof override_names / sizeof override_names[0])

static int parse_pretrain(int argc, char **argv, struct pt_opts *o) {
    enum { O_BASE = 1000 };
    struct option lo[48] = {
        {"arch", 1, 0, 'a'}, {"init", 1, 0, 'i'}, {"output", 1, 0, 'o'}, {"data", 1, 0, 'D'},
        {"train", 1, 0, 'T'}, {"val", 1, 0, 'V'}, {"results", 1, 0, 'J'}, {"curves", 1, 0, 'C'},
        {"resume", 1, 0, 'U'}, {"val-split", 1, 0, 'S'}, {"val-fraction", 1, 0, 'F'},
        {"no-standardize", 0, 0, 'N'}, {"threads", 1, 0, 't'}, {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'}};
    size_t n = 15;
    for (size_t i = 0; i < NUM_OVERRIDES; i++)
        lo[n++] = (struct option){override_names[i], 1, 0, O_BASE + (int)i};
    lo[n] = (struct option){0, 0, 0, 0};
    const char **paths[128] = {['a'] = &o->arch, ['i'] = &o->init, ['o'] = &o->output,
                               ['D'] = &o->data, ['T'] = &o->train, ['V'] = &o->val,
                               ['J'] = &o->results, ['C'] = &o->curves, ['U'] = &o->resume,
                               ['S'] = &o->val_split};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qh", lo, NULL)) != -1) {
        char *end = NULL;
        if (c == 'h') { print_pretrain_help(); return EXIT_OK; }
        else if (c == 'q') o->quiet = 1;
        else if (c == 'N') o->no_standardize = 1;
        else if (c == 't') o->threads = atoi(optarg);
        else if (c == 'F') o->val_fraction = strtod(optarg, &end);
        else if (c >= O_BASE && c < O_BASE + (int)NUM_OVERRIDES && o->noverrides < MAX_OVERRIDES) {
            snprintf(o->overrides[o->noverrides][0], 64, "%s", override_names[c - O_BASE]);
            snprintf(o->overrides[o->noverrides++][1], 64, "%s", optarg);
        } else if (c > 0 && c < 128 && paths[c]) *paths[c] = optarg;
        else return cli_usage_error("pretrain", "unknown option");
        if (end && (*end || !(o->val_fraction > 0 && o->val_fraction < 1)))
            return cli_usage_error("pretrain", "--val-fraction must be a number in (0, 1)");
    }
    if (optind < argc) return cli_usage_error("pretrain", "unexpected argument '%s'", argv[optind]);
    if (!o->output) return cli_usage_error("pretrain", "missing -o ENCODER.safetensors");
    if (!o->arch == !o->init) return cli_usage_error("pretrain", "give one of --arch or --init");
    if (!o->data == !o->train) return cli_usage_error("pretrain", "give one of --data or --train");
    if (o->data && o->val) return cli_usage_error("pretrain", "--val goes with --train, not --data");
    if (o->val_split && strcmp(o->val_split, "participants") && strcmp(o->val_split, "last"))
        return cli_usage_error("pretrain", "--val-split must be participants or last");
    return -1;
}

/* ---- parameters --------------------------------------------------------------- */

/* A number in [lo, hi]; 0 (message printed) when not. */
static int num(const char *name, const char *v, double lo, double hi, double *out) {
    char *end;
    *out = strtod(v, &end);
    if (end == v || *end || !(*out >= lo && *out <= hi)) {
        cli_usage_error("pretrain", "--%s must be a number in [%g, %g], got '%s'", name, lo, hi, v);
        return 0;
    }
    return 1;
}

static int integer(const char *name, const char *v, double lo, size_t *out) {
    double d;
    if (!num(name, v, lo, 1e15, &d)) return 0;
    if (d != floor(d)) {
        cli_usage_error("pretrain", "--%s must be a whole number, got '%s'", name, v);
        return 0;
    }
    *out = (size_t)d;
    return 1;
}

static int choice(const char *name, const char *v, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (strcasecmp(v, names[i]) == 0) return i;
    cli_usage_error("pretrain", "--%s: unknown value '%s'", name, v);
    return -1;
}

static const char *const unshuffle_names[] = {"corrected", "faithful"};
static const char *const loss_names[] = {"all", "masked"};
static const char *const optim_names[] = {"keras-adam", "adam", "adamw"};

static int apply_override(struct pat_pretrain_params *p, const char *k, const char *v) {
    double d;
    size_t z;
    int i;
    if (!strcmp(k, "unshuffle")) return (i = choice(k, v, unshuffle_names, 2)) >= 0 ? (p->unshuffle = i, 1) : 0;
    if (!strcmp(k, "loss")) return (i = choice(k, v, loss_names, 2)) >= 0 ? (p->loss = i, 1) : 0;
    if (!strcmp(k, "optimizer")) return (i = choice(k, v, optim_names, 3)) >= 0 ? (p->optimizer = i, 1) : 0;
    if (!strcmp(k, "checkpoint")) return p->checkpoint_path = v, 1;
    if (!strcmp(k, "mask-group")) {
        if (!strcasecmp(v, "batch")) return p->mask_group = 0, 1;
        if (!strcasecmp(v, "sequence")) return p->mask_group = 1, 1;
        return integer(k, v, 1, &p->mask_group);
    }
    if (!strcmp(k, "mask-ratio")) return num(k, v, 0, 1, &d) ? (p->mask_ratio = (float)d, 1) : 0;
    if (!strcmp(k, "lr")) return num(k, v, 0, 10, &d) ? (p->lr = d, 1) : 0;
    if (!strcmp(k, "min-lr")) return num(k, v, 0, 10, &d) ? (p->plateau_min_lr = d, 1) : 0;
    if (!strcmp(k, "weight-decay")) return num(k, v, 0, 1, &d) ? (p->weight_decay = d, 1) : 0;
    if (!strcmp(k, "clip")) return num(k, v, 0, 1e9, &d) ? (p->clip_norm = d, 1) : 0;
    if (!strcmp(k, "plateau-factor")) return num(k, v, 0, 1, &d) ? (p->plateau_factor = d, 1) : 0;
    if (!strcmp(k, "dropout")) return num(k, v, 0, 0.99, &d) ? (p->dropout = (float)d, 1) : 0;
    if (!strcmp(k, "seed")) return integer(k, v, 0, &z) ? (p->seed = z, 1) : 0;
    if (!strcmp(k, "shuffle")) return integer(k, v, 0, &z) ? (p->shuffle = z != 0, 1) : 0;
    if (!strcmp(k, "epochs")) return integer(k, v, 1, &p->epochs);
    if (!strcmp(k, "batch-size")) return integer(k, v, 1, &p->batch_size);
    if (!strcmp(k, "patience")) return integer(k, v, 0, &p->patience);
    if (!strcmp(k, "plateau-patience")) return integer(k, v, 0, &p->plateau_patience);
    return 0;
}

/* Defaults for the architecture, then the command line's overrides. */
static enum pat_status build_params(struct pt_opts *o, const struct pat_config *cfg,
                                    struct pat_err *err) {
    pat_pretrain_default_params(cfg, &o->p);
    for (size_t i = 0; i < o->noverrides; i++)
        if (!apply_override(&o->p, o->overrides[i][0], o->overrides[i][1]))
            return pat_fail(err, PAT_ERR_USAGE, "bad value for --%s", o->overrides[i][0]);
    return PAT_OK;
}

/* ---- model ---------------------------------------------------------------------- */

/* The MAE: fresh for --arch, around the --init encoder otherwise; params
 * get their size defaults on the way. */
static enum pat_status build_mae(struct pt_opts *o, struct pat_mae **mae, struct pat_err *err) {
    struct pat_config cfg;
    struct pat_model *init = NULL;
    enum pat_status st = o->arch ? pat_config_preset(o->arch, &cfg, err)
                                 : pat_model_load(o->init, &init, err);
    if (st == PAT_OK && init) cfg = *pat_model_config(init);
    o->init_transform = init ? pat_model_input_transform(init) : "none"; /* a literal */
    if (st == PAT_OK) st = build_params(o, &cfg, err);
    if (st == PAT_OK)
        st = init ? pat_mae_from_encoder(init, o->p.seed, mae, err)
                  : pat_mae_init_random(&cfg, o->p.seed, mae, err);
    if (st == PAT_OK && init && !o->quiet && (pat_model_has_head(init) || pat_model_scaler_len(init)))
        fprintf(stderr, "pat pretrain: %s: its head and scaler are not used\n", o->init);
    pat_model_free(init);
    return st;
}

/* ---- data ------------------------------------------------------------------------- */

struct pt_data {
    struct matrix x[2];       /* --train, --val */
    struct pat_dataset *ds;   /* --data */
    const float **rows[2];
    struct pat_pretrain_data set[2]; /* train, validation */
};

static void pt_data_free(struct pt_data *d) {
    matrix_free(&d->x[0]), matrix_free(&d->x[1]);
    pat_dataset_close(d->ds);
    free(d->rows[0]), free(d->rows[1]);
}

/* Row pointers of a contiguous matrix x[first, first + n). */
static enum pat_status matrix_rows(struct pt_data *d, int k, const struct matrix *x, size_t first,
                                   size_t n, struct pat_err *err) {
    d->rows[k] = pat_calloc(n ? n : 1, sizeof *d->rows[k]);
    if (!d->rows[k]) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) d->rows[k][i] = x->v + (first + i) * x->cols;
    d->set[k] = (struct pat_pretrain_data){d->rows[k], n, x->cols, NULL, NULL};
    return PAT_OK;
}

static enum pat_status load_csv(const struct pt_opts *o, struct pt_data *d, struct pat_err *err) {
    enum pat_status st = cli_load_matrix(o->train, &d->x[0], err);
    if (st == PAT_OK)
        st = cli_check_train_range(NULL, d->x[0].v, d->x[0].rows, d->x[0].cols, o->train, err);
    if (st == PAT_OK && o->val) st = cli_load_matrix(o->val, &d->x[1], err);
    if (st == PAT_OK && o->val)
        st = cli_check_train_range(NULL, d->x[1].v, d->x[1].rows, d->x[1].cols, o->val, err);
    if (st != PAT_OK) return st;
    if (o->val && d->x[1].cols != d->x[0].cols)
        return pat_fail(err, PAT_ERR_FORMAT, "%s has %zu minutes per row but %s has %zu", o->val,
                        d->x[1].cols, o->train, d->x[0].cols);
    if (o->val) {
        st = matrix_rows(d, 0, &d->x[0], 0, d->x[0].rows, err);
        return st == PAT_OK ? matrix_rows(d, 1, &d->x[1], 0, d->x[1].rows, err) : st;
    }
    const size_t n = d->x[0].rows, nv = pat_pretrain_val_rows(n, o->val_fraction);
    if (nv == 0 || nv == n)
        return pat_fail(err, PAT_ERR_USAGE, "%s: %zu rows leave no training or no validation "
                        "rows with --val-fraction %g", o->train, n, o->val_fraction);
    st = matrix_rows(d, 0, &d->x[0], 0, n - nv, err);
    return st == PAT_OK ? matrix_rows(d, 1, &d->x[0], n - nv, nv, err) : st;
}

/* Rows of `split` in dataset order (split PAT_SPLIT_NONE + 1: none). */
static size_t dataset_rows(const struct pat_dataset *ds, enum pat_split split, const float **out) {
    size_t n = 0;
    for (size_t i = 0; i < pat_dataset_rows(ds); i++)
        if (pat_dataset_split(ds, i) == split) {
            if (out) out[n] = pat_dataset_row(ds, i);
            n++;
        }
    return n;
}

static enum pat_status load_dataset(const struct pt_opts *o, struct pt_data *d,
                                    struct pat_err *err) {
    enum pat_status st = pat_dataset_open(o->data, &d->ds, err);
    if (st != PAT_OK) return st;
    const size_t ntr = dataset_rows(d->ds, PAT_SPLIT_TRAIN, NULL), T = pat_dataset_length(d->ds);
    const int last = (o->val_split && !strcmp(o->val_split, "last")) ||
                     dataset_rows(d->ds, PAT_SPLIT_VAL, NULL) == 0;
    const size_t nv = last ? pat_pretrain_val_rows(ntr, o->val_fraction)
                           : dataset_rows(d->ds, PAT_SPLIT_VAL, NULL);
    d->rows[0] = pat_calloc(ntr + 1, sizeof *d->rows[0]);
    d->rows[1] = pat_calloc(nv + 1, sizeof *d->rows[1]);
    if (!d->rows[0] || !d->rows[1]) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    dataset_rows(d->ds, PAT_SPLIT_TRAIN, d->rows[0]);
    if (last) memcpy(d->rows[1], d->rows[0] + (ntr - nv), nv * sizeof *d->rows[1]);
    else dataset_rows(d->ds, PAT_SPLIT_VAL, d->rows[1]);
    d->set[0] = (struct pat_pretrain_data){d->rows[0], last ? ntr - nv : ntr, T, NULL, NULL};
    d->set[1] = (struct pat_pretrain_data){d->rows[1], nv, T, NULL, NULL};
    if (!d->set[0].n || !d->set[1].n)
        return pat_fail(err, PAT_ERR_USAGE, "%s: %zu training and %zu validation rows: both are "
                        "needed (pat data build --split-unlabeled splits unlabeled participants)",
                        o->data, d->set[0].n, d->set[1].n);
    for (int k = 0; k < 2; k++) {
        enum pat_status rs = cli_check_train_range(d->rows[k], NULL, d->set[k].n, T, o->data, err);
        if (rs != PAT_OK) return rs;
    }
    if (o->no_standardize || pat_dataset_scaler_mode(d->ds) == PAT_SCALER_NONE) return PAT_OK;
    const float *m, *s;
    if (pat_dataset_scaler(d->ds, PAT_SPLIT_TRAIN, &m, &s)) d->set[0].mean = m, d->set[0].std = s;
    if (last) d->set[1].mean = d->set[0].mean, d->set[1].std = d->set[0].std;
    else if (pat_dataset_scaler(d->ds, PAT_SPLIT_VAL, &m, &s)) d->set[1].mean = m, d->set[1].std = s;
    if (!d->set[0].mean || !d->set[1].mean)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: a split lacks its stored scaler (use "
                        "--no-standardize to train on the rows as stored)", o->data);
    return PAT_OK;
}

/* ---- reporting ------------------------------------------------------------------- */

static void on_epoch(const struct pat_pretrain_log *e, void *user) {
    const int *quiet = user;
    if (*quiet) return;
    fprintf(stderr, "epoch %zu/%zu  loss %.5f  val loss %.5f %s lr %.1e  |g| %.3g  %.1f seq/s  %.1f s\n",
            e->epoch, e->epochs, e->train_loss, e->val_loss, e->improved ? "*" : " ", e->lr,
            e->grad_norm, e->seq_per_s, e->seconds);
}

static void print_config(const struct pt_opts *o, const struct pat_mae *a, const struct pt_data *d) {
    const struct pat_pretrain_params *p = &o->p;
    const size_t N = d->set[0].T / a->cfg.patch_size;
    fprintf(stderr,
            "pat pretrain: %s, %zu MAE parameters (%zu encoder), %s\n"
            "  data      %zu training / %zu validation sequences of %zu minutes%s\n"
            "  masking   ratio %.2f (%zu of %zu patches), %s, unshuffle %s, loss over %s minutes\n"
            "  training  %s lr %.1e, batch %zu, up to %zu epochs, dropout %.2f, seed %llu\n"
            "  stopping  patience %zu; plateau x%.2f after %zu epochs, min lr %.1e\n",
            pat_config_name(&a->cfg), a->num_params, a->encoder_params,
            o->init ? o->init : "fresh weights", d->set[0].n, d->set[1].n, d->set[0].T,
            d->set[0].mean ? ", standardized with the dataset's scaler" : "",
            (double)p->mask_ratio, pat_mae_num_masked(N, p->mask_ratio), N,
            p->mask_group == 0 ? "one permutation per batch"
                               : p->mask_group == 1 ? "one permutation per sequence"
                                                    : "one permutation per group",
            unshuffle_names[p->unshuffle], loss_names[p->loss], optim_names[p->optimizer], p->lr,
            p->batch_size, p->epochs, (double)p->dropout, (unsigned long long)p->seed,
            p->patience, p->plateau_factor, p->plateau_patience, p->plateau_min_lr);
}

static void json_config(struct pat_jw *w, const struct pt_opts *o, const struct pat_mae *a,
                        const struct pt_data *d) {
    const struct pat_pretrain_params *p = &o->p;
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "model", pat_config_name(&a->cfg));
    pat_jw_key_string(w, "init", o->init ? o->init : "random");
    pat_jw_key_uint(w, "mae_params", a->num_params);
    pat_jw_key_uint(w, "encoder_params", a->encoder_params);
    pat_jw_key_number(w, "mask_ratio", p->mask_ratio);
    pat_jw_key_uint(w, "masked_patches", pat_mae_num_masked(d->set[0].T / a->cfg.patch_size, p->mask_ratio));
    pat_jw_key_uint(w, "mask_group", p->mask_group);
    pat_jw_key_string(w, "unshuffle", unshuffle_names[p->unshuffle]);
    pat_jw_key_string(w, "loss", loss_names[p->loss]);
    pat_jw_key_string(w, "optimizer", optim_names[p->optimizer]);
    pat_jw_key_number(w, "lr", p->lr);
    pat_jw_key_number(w, "weight_decay", p->weight_decay);
    pat_jw_key_number(w, "clip_norm", p->clip_norm);
    pat_jw_key_uint(w, "epochs", p->epochs);
    pat_jw_key_uint(w, "batch_size", p->batch_size);
    pat_jw_key_uint(w, "seed", p->seed);
    pat_jw_key_number(w, "dropout", p->dropout);
    pat_jw_key_bool(w, "shuffle", p->shuffle);
    pat_jw_key_uint(w, "patience", p->patience);
    pat_jw_key_number(w, "plateau_factor", p->plateau_factor);
    pat_jw_key_uint(w, "plateau_patience", p->plateau_patience);
    pat_jw_key_number(w, "min_lr", p->plateau_min_lr);
    pat_jw_key_string(w, "data", o->data ? o->data : o->train);
    pat_jw_key_uint(w, "train_rows", d->set[0].n);
    pat_jw_key_uint(w, "val_rows", d->set[1].n);
    pat_jw_key_uint(w, "minutes", d->set[0].T);
    pat_jw_key_bool(w, "standardized", d->set[0].mean != NULL);
    pat_jw_object_end(w);
}

static void json_history(struct pat_jw *w, const struct pat_pretrain_result *r) {
    pat_jw_array_begin(w);
    for (size_t i = 0; i < r->num_epochs; i++) {
        const struct pat_pretrain_log *e = &r->history[i];
        pat_jw_object_begin(w);
        pat_jw_key_uint(w, "epoch", e->epoch);
        pat_jw_key_number(w, "train_loss", e->train_loss);
        pat_jw_key_number(w, "val_loss", e->val_loss);
        pat_jw_key_number(w, "lr", e->lr);
        pat_jw_key_number(w, "grad_norm", e->grad_norm);
        pat_jw_key_number(w, "seconds", e->seconds);
        pat_jw_key_number(w, "seq_per_s", e->seq_per_s);
        pat_jw_key_bool(w, "improved", e->improved);
        pat_jw_object_end(w);
    }
    pat_jw_array_end(w);
}

static enum pat_status write_results(const struct pt_opts *o, const struct pat_mae *a,
                                     const struct pt_data *d, const struct pat_pretrain_result *r,
                                     const double *per_rank, size_t ranks, struct pat_err *err) {
    struct output f;
    enum pat_status st = output_open(&f, o->results, err);
    if (st != PAT_OK) return st;
    struct pat_jw w;
    pat_jw_init(&w, f.f, 2);
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "pat_version", PAT_VERSION);
    pat_jw_key(&w, "config");
    json_config(&w, o, a, d);
    pat_jw_key_uint(&w, "best_epoch", r->best_epoch);
    pat_jw_key_number(&w, "best_val_loss", r->best_val_loss);
    pat_jw_key_bool(&w, "stopped_early", r->stopped_early);
    pat_jw_key_uint(&w, "resumed_after_epochs", r->resumed_from_epoch);
    pat_jw_key(&w, "history");
    json_history(&w, r);
    pat_jw_key_string(&w, "output", o->output);
    pat_jw_key(&w, "sequences_per_process"); /* training gradients each MPI rank computed */
    pat_jw_numbers(&w, per_rank, ranks);
    pat_jw_key_number(&w, "seconds", r->seconds);
    pat_jw_object_end(&w);
    st = pat_jw_finish(&w, err);
    if (st != PAT_OK) {
        output_abort(&f);
        return st;
    }
    return output_commit(&f, err);
}

static enum pat_status write_curves(const char *path, const struct pat_pretrain_result *r,
                                    struct pat_err *err) {
    const size_t n = r->num_epochs;
    double *v = malloc(2 * (n ? n : 1) * sizeof *v);
    if (!v) return pat_fail(err, PAT_ERR_NOMEM, "out of memory drawing %s", path);
    for (size_t i = 0; i < n; i++) v[i] = r->history[i].train_loss, v[n + i] = r->history[i].val_loss;
    struct pat_svg_series s[2] = {{"training loss (dropout on)", NULL, v, n},
                                  {"validation loss", NULL, v + n, n}};
    enum pat_status st = pat_svg_lines(path, "pat pretrain (masked autoencoder)", "epoch",
                                       "mean squared error", s, 2, err);
    free(v);
    return st;
}

/* ---- output ---------------------------------------------------------------------- */

static enum pat_status meta_num(struct pat_model *m, const char *key, const char *fmt, double v,
                                struct pat_err *err) {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return pat_model_meta_set(m, key, buf, err);
}

static enum pat_status meta_uint(struct pat_model *m, const char *key, unsigned long long v,
                                 struct pat_err *err) {
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    return pat_model_meta_set(m, key, buf, err);
}

/* The encoder with its provenance (pat.pretrain.*), written atomically. */
static enum pat_status save_encoder(const struct pt_opts *o, const struct pat_mae *a,
                                    const struct pt_data *d, const struct pat_pretrain_result *r,
                                    struct pat_err *err) {
    const struct pat_pretrain_params *p = &o->p;
    struct pat_model *m = NULL;
    enum pat_status st = pat_mae_encoder(a, &m, err);
    const char *kv[][2] = {{"pat.source", "pat pretrain"},
                           {"pat.pretrain.init", o->init ? o->init : "random"},
                           {"pat.pretrain.data", o->data ? o->data : o->train},
                           {"pat.pretrain.unshuffle", unshuffle_names[p->unshuffle]},
                           {"pat.pretrain.loss", loss_names[p->loss]},
                           {"pat.pretrain.optimizer", optim_names[p->optimizer]},
                           {"pat.pretrain.standardized", d->set[0].mean ? "yes" : "no"},
                           {PAT_META_INPUT_TRANSFORM, o->rows_transform},
                           {"pat.version", PAT_VERSION}};
    for (size_t i = 0; st == PAT_OK && i < sizeof kv / sizeof kv[0]; i++)
        st = pat_model_meta_set(m, kv[i][0], kv[i][1], err);
    const struct { const char *key; unsigned long long v; } ints[] = {
        {"pat.pretrain.mask_group", p->mask_group}, {"pat.pretrain.batch_size", p->batch_size},
        {"pat.pretrain.seed", p->seed}, {"pat.pretrain.train_rows", d->set[0].n},
        {"pat.pretrain.val_rows", d->set[1].n}, {"pat.pretrain.epochs_run", r->num_epochs},
        {"pat.pretrain.best_epoch", r->best_epoch}};
    for (size_t i = 0; st == PAT_OK && i < sizeof ints / sizeof ints[0]; i++)
        st = meta_uint(m, ints[i].key, ints[i].v, err);
    if (st == PAT_OK) st = meta_num(m, "pat.pretrain.mask_ratio", "%.6g", p->mask_ratio, err);
    if (st == PAT_OK) st = meta_num(m, "pat.pretrain.lr", "%.6g", p->lr, err);
    if (st == PAT_OK) st = meta_num(m, "pat.pretrain.val_loss", "%.9g", r->best_val_loss, err);
    if (st == PAT_OK) st = pat_model_save(m, o->output, err);
    pat_model_free(m);
    return st;
}

/* The encoder learns on the rows as stored, so it takes their transform;
 * an --init encoder that takes another one is refused. */
static enum pat_status check_transform(struct pt_opts *o, struct pat_err *err) {
    const char *rows = o->data ? o->data : o->train;
    enum pat_status st = cli_rows_transform(rows, &o->rows_transform, err);
    if (st != PAT_OK || strcmp(o->init_transform, "none") == 0 ||
        strcmp(o->init_transform, o->rows_transform) == 0)
        return st;
    return pat_fail(err, PAT_ERR_USAGE,
                    "%s takes %s-transformed minutes (pat.input_transform) but the rows of %s "
                    "are %s: build the dataset with --%s", o->init, o->init_transform, rows,
                    o->rows_transform, o->init_transform);
}

static enum pat_status run_pretrain(struct pt_opts *o, struct pat_pretrain_result *r,
                                    struct pat_err *err) {
    struct pat_dist dist; /* under mpirun: every rank trains its share, rank 0 writes */
    pat_dist_world(&dist);
    const int root = pat_dist_is_root(&dist);
    o->quiet |= !root;
    struct pat_mae *a = NULL;
    struct pt_data d;
    memset(&d, 0, sizeof d);
    enum pat_status st = build_mae(o, &a, err);
    if (st == PAT_OK) st = o->data ? load_dataset(o, &d, err) : load_csv(o, &d, err);
    if (st == PAT_OK) st = check_transform(o, err);
    o->p.on_epoch = on_epoch, o->p.user = &o->quiet;
    o->p.dist = &dist; /* after build_mae, whose defaults reset o->p */
    if (st == PAT_OK && !o->quiet) print_config(o, a, &d);
    if (st == PAT_OK)
        st = o->resume ? pat_pretrain_resume(a, o->resume, &o->p, &d.set[0], &d.set[1], r, err)
                       : pat_pretrain(a, &o->p, &d.set[0], &d.set[1], r, err);
    o->p.dist = NULL;
    double *per_rank = NULL;
    if (st == PAT_OK) st = cli_rank_sequences("pretrain", &dist, r->rank_sequences, &per_rank,
                                              o->quiet, err);
    if (st == PAT_OK && root) st = save_encoder(o, a, &d, r, err);
    if (st == PAT_OK && root && o->results)
        st = write_results(o, a, &d, r, per_rank, (size_t)dist.size, err);
    free(per_rank);
    if (st == PAT_OK && root && o->curves) st = write_curves(o->curves, r, err);
    pt_data_free(&d);
    pat_mae_free(a);
    return st;
}

int cmd_pretrain(int argc, char **argv) {
    struct pt_opts *o = calloc(1, sizeof *o);
    struct pat_pretrain_result r = {0};
    if (!o) {
        fprintf(stderr, "pat pretrain: out of memory\n");
        return EXIT_FAILURE_OTHER;
    }
    o->val_fraction = 0.1;
    int rc = parse_pretrain(argc, argv, o);
    if (rc < 0) {
        cli_set_threads(o->threads);
        struct pat_err err = {0};
        enum pat_status st = run_pretrain(o, &r, &err);
        if (st == PAT_OK && !o->quiet)
            fprintf(stderr, "pat pretrain: wrote %s (best epoch %zu of %zu, validation loss %.5f, "
                            "%.1f s)\n", o->output, r.best_epoch, r.num_epochs, r.best_val_loss,
                    r.seconds);
        rc = st == PAT_OK ? EXIT_OK : cli_report("pretrain", &err);
    }
    pat_pretrain_result_free(&r);
    free(o);
    return rc;
}
