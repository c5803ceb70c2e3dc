/* cmd_finetune.c - pat finetune: fit a head (and the encoder) on labelled
 * sequences, keep the best validation epoch, report once on a test set. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "report/svg.h"
#include "train/finetune.h"

struct ft_opts {
    const char *model, *output, *recipe, *results, *curves, *resume, *data, *input_recipe;
    const char *train, *train_labels, *val, *val_labels, *test, *test_labels;
    struct pat_train_params p;
    int threads, quiet;
    char overrides[40][2][64]; /* option name and value, applied after the recipe */
    size_t noverrides;
};

static void print_finetune_help(void) {
    fputs("Usage: pat finetune -m INIT -o OUT.safetensors --train X.csv --train-labels Y.csv\n"
          "                    --val XV.csv --val-labels YV.csv [options]\n"
          "Fine-tune PAT on labelled sequences (one per row, as pat embed reads; labels one\n"
          "0/1 per line). Each epoch is validated; the epoch with the best validation AUC is\n"
          "kept (early stopping restores it). A test set, if given, is evaluated once at the\n"
          "end and never used to choose. INIT without a head (e.g. converted released\n"
          "weights) gets a new Keras-initialised head.\n\n"
          "Inputs and outputs:\n"
          "  -m, --model FILE          initial weights (.safetensors or Keras .h5)\n"
          "  -o, --output FILE         fine-tuned model (.safetensors, written atomically)\n"
          "      --train, --train-labels, --val, --val-labels FILE   (required, or --data)\n"
          "      --test, --test-labels FILE   evaluated once with the final weights\n"
          "      --data D.patd         a dataset from pat data build instead of the CSVs: its\n"
          "                            train, val and test splits (labelled rows); its\n"
          "                            training-split scaler is stored in the model, and\n"
          "                            its transform (--log1p) as pat.input_transform, so\n"
          "                            the model takes raw minutes (docs/cli.md)\n"
          "      --input-recipe FILE   CSV rows: the input recipe that made them (pat.recipe.*\n"
          "                            keys, docs/formats.md); with --data the recipe comes\n"
          "                            from the dataset's provenance. Either way the model\n"
          "                            stores it with a Youden threshold chosen on the\n"
          "                            validation participants, for pat score\n"
          "      --results FILE        results JSON (configuration, history, metrics)\n"
          "      --curves FILE         SVG of training loss and validation AUC per epoch\n"
          "      --checkpoint FILE     checkpoint written after every epoch\n"
          "      --resume FILE         continue from a checkpoint (same options and data)\n",
          stdout);
    fputs("Recipe (then any option below overrides it):\n"
          "      --recipe NAME         paper (default): Keras Adam, lr 1e-5 (S/M) or 1e-6 (L),\n"
          "                            batch 64, class weights {0: n1/n, 1: n0/n}, file order,\n"
          "                            early stopping on validation Keras AUC, patience 250,\n"
          "                            up to 10000 epochs (pat-spec §4.3);\n"
          "                            two-stage: stage 1 head only (AdamW, lr 3e-4, 10 epochs),\n"
          "                            stage 2 continues from stage 1's best weights and optimizer\n"
          "                            state with the last 2 blocks (head 1e-4, encoder 3e-5,\n"
          "                            20 epochs, cosine to 1e-6), clipping 1.0, pos_weight\n"
          "                            n_neg/n_pos, shuffled batches, patience 5\n"
          "Training options:\n"
          "      --mode full|probe|two-stage   probe: frozen encoder, no gradient computed for it\n"
          "      --epochs N            epochs (two-stage: of stage 2)\n"
          "      --lr LR               learning rate of the head and, unless --lr-encoder, the encoder\n"
          "      --lr-encoder LR       learning rate of the encoder blocks (and, unless\n"
          "                            --lr-embedding, of the patch embedding)\n"
          "      --lr-embedding LR     learning rate of the patch embedding (full mode)\n"
          "      --batch-size N        sequences per step\n"
          "      --seed S              seed of the head init, shuffling and dropout (default 1)\n"
          "      --optimizer keras-adam|adam|adamw\n"
          "      --weight-decay WD     (AdamW: decoupled)\n"
          "      --weighting class|pos|none   class weights, pos_weight or plain BCE\n"
          "      --schedule constant|cosine|plateau   plateau: halve on flat validation loss\n"
          "      --clip NORM           global gradient-norm clipping (0: off)\n"
          "      --patience N          early-stopping patience in epochs (0: never stop early)\n"
          "      --monitor auc|keras-auc   validation AUC that picks the best epoch\n"
          "      --dropout P           dropout rate at the three sites (default 0.1)\n"
          "      --shuffle 0|1         shuffle batches every epoch\n"
          "      --unfreeze N          two-stage: blocks trained in stage 2\n"
          "      --stage1-epochs N, --stage1-lr LR   two-stage: stage 1 length and head lr\n"
          "  -t, --threads N           threads (default: all CPUs; results do not depend on it)\n"
          "  -q, --quiet               no progress lines\n"
          "  -h, --help                this help\n",
          stdout);
}

/* Options whose value is kept for after the recipe is applied. */
static const char *const override_names[] = {
    "mode", "epochs", "lr", "lr-encoder", "lr-embedding", "batch-size", "seed", "optimizer",
    "weight-decay",
    "weighting", "schedule", "clip", "patience", "monitor", "dropout", "shuffle", "unfreeze",
    "stage1-epochs", "stage1-lr", "checkpoint"};
#define NUM_OVERRIDES (sizeof override_names / sizeof override_names[0])

static int parse_finetune(int argc, char **argv, struct ft_opts *o) {
    enum { O_BASE = 1000 };
    struct option lo[64] = {
        {"model", 1, 0, 'm'}, {"output", 1, 0, 'o'}, {"threads", 1, 0, 't'},
        {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {"recipe", 1, 0, 'R'},
        {"results", 1, 0, 'J'}, {"curves", 1, 0, 'C'}, {"resume", 1, 0, 'U'},
        {"train", 1, 0, 'a'}, {"train-labels", 1, 0, 'b'}, {"val", 1, 0, 'c'},
        {"val-labels", 1, 0, 'd'}, {"test", 1, 0, 'e'}, {"test-labels", 1, 0, 'f'},
        {"data", 1, 0, 'D'}, {"input-recipe", 1, 0, 'I'}};
    size_t n = 17;
    for (size_t i = 0; i < NUM_OVERRIDES; i++)
        lo[n++] = (struct option){override_names[i], 1, 0, O_BASE + (int)i};
    lo[n] = (struct option){0, 0, 0, 0};
    const char **paths[] = {['a'] = &o->train, ['b'] = &o->train_labels, ['c'] = &o->val,
                            ['d'] = &o->val_labels, ['e'] = &o->test, ['f'] = &o->test_labels,
                            ['m'] = &o->model, ['o'] = &o->output, ['R'] = &o->recipe,
                            ['J'] = &o->results, ['C'] = &o->curves, ['U'] = &o->resume,
                            ['D'] = &o->data, ['I'] = &o->input_recipe};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:t:qh", lo, NULL)) != -1) {
        if (c == 'h') { print_finetune_help(); return EXIT_OK; }
        if (c == 'q') { o->quiet = 1; continue; }
        if (c == 't') { o->threads = atoi(optarg); continue; }
        if (c >= O_BASE && c < O_BASE + (int)NUM_OVERRIDES && o->noverrides < 40) {
            snprintf(o->overrides[o->noverrides][0], 64, "%s", override_names[c - O_BASE]);
            snprintf(o->overrides[o->noverrides++][1], 64, "%s", optarg);
            continue;
        }
        if (c > 0 && c < (int)(sizeof paths / sizeof paths[0]) && paths[c]) {
            *paths[c] = optarg;
            continue;
        }
        return cli_usage_error("finetune", "unknown option");
    }
    if (optind < argc) return cli_usage_error("finetune", "unexpected argument '%s'", argv[optind]);
    if (!o->model || !o->output)
        return cli_usage_error("finetune", "-m INIT and -o OUT are required");
    int csv = o->train || o->train_labels || o->val || o->val_labels;
    if (o->data && (csv || o->test))
        return cli_usage_error("finetune", "--data replaces --train/--val/--test and their labels");
    if (!o->data && !(o->train && o->train_labels && o->val && o->val_labels))
        return cli_usage_error("finetune", "--train, --train-labels, --val and --val-labels "
                                           "are required (or --data D.patd)");
    if (!o->test != !o->test_labels)
        return cli_usage_error("finetune", "--test and --test-labels go together");
    return -1;
}

/* Parse a number option; 0 on error (message printed). */
static int num(const char *name, const char *v, double lo, double hi, double *out) {
    char *end;
    *out = strtod(v, &end);
    if (end == v || *end || !(*out >= lo && *out <= hi)) {
        cli_usage_error("finetune", "--%s must be a number in [%g, %g], got '%s'", name, lo, hi, v);
        return 0;
    }
    return 1;
}

/* Parse a whole-number option >= lo; 0 on error (message printed). */
static int integer(const char *name, const char *v, double lo, size_t *out) {
    double d;
    if (!num(name, v, lo, 1e15, &d)) return 0;
    if (d != floor(d)) {
        cli_usage_error("finetune", "--%s must be a whole number, got '%s'", name, v);
        return 0;
    }
    *out = (size_t)d;
    return 1;
}

/* Pick `v` among names[]; returns its index or -1 (message printed). */
static int choice(const char *name, const char *v, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (strcasecmp(v, names[i]) == 0) return i;
    cli_usage_error("finetune", "--%s: unknown value '%s'", name, v);
    return -1;
}

static int apply_override(struct pat_train_params *p, const char *k, const char *v) {
    static const char *const modes[] = {"full", "probe", "two-stage"};
    static const char *const opts[] = {"keras-adam", "adam", "adamw"};
    static const char *const weights[] = {"none", "class", "pos"};
    static const char *const scheds[] = {"constant", "cosine", "plateau"};
    static const char *const mons[] = {"auc", "keras-auc"};
    double d;
    int i;
    if (!strcmp(k, "mode")) return (i = choice(k, v, modes, 3)) >= 0 ? (p->mode = i, 1) : 0;
    if (!strcmp(k, "optimizer")) return (i = choice(k, v, opts, 3)) >= 0 ? (p->optimizer = i, 1) : 0;
    if (!strcmp(k, "weighting")) return (i = choice(k, v, weights, 3)) >= 0 ? (p->weighting = i, 1) : 0;
    if (!strcmp(k, "schedule")) return (i = choice(k, v, scheds, 3)) >= 0 ? (p->schedule = i, 1) : 0;
    if (!strcmp(k, "monitor")) return (i = choice(k, v, mons, 2)) >= 0 ? (p->monitor = i, 1) : 0;
    if (!strcmp(k, "checkpoint")) return p->checkpoint_path = v, 1;
    if (!strcmp(k, "lr")) return num(k, v, 0, 10, &d) ? (p->lr_head = p->lr_encoder = d, 1) : 0;
    if (!strcmp(k, "lr-encoder")) return num(k, v, 0, 10, &d) ? (p->lr_encoder = d, 1) : 0;
    if (!strcmp(k, "lr-embedding")) return num(k, v, 0, 10, &d) ? (p->lr_embedding = d, 1) : 0;
    if (!strcmp(k, "stage1-lr")) return num(k, v, 0, 10, &d) ? (p->stage1_lr_head = d, 1) : 0;
    if (!strcmp(k, "weight-decay")) return num(k, v, 0, 1, &d) ? (p->weight_decay = d, 1) : 0;
    if (!strcmp(k, "clip")) return num(k, v, 0, 1e9, &d) ? (p->clip_norm = d, 1) : 0;
    if (!strcmp(k, "dropout")) return num(k, v, 0, 0.99, &d) ? (p->dropout = (float)d, 1) : 0;
    size_t z;
    if (!strcmp(k, "seed")) return integer(k, v, 0, &z) ? (p->seed = z, 1) : 0;
    if (!strcmp(k, "shuffle")) return integer(k, v, 0, &z) ? (p->shuffle = z != 0, 1) : 0;
    if (!strcmp(k, "epochs")) return integer(k, v, 1, &p->epochs);
    if (!strcmp(k, "batch-size")) return integer(k, v, 1, &p->batch_size);
    if (!strcmp(k, "patience")) return integer(k, v, 0, &p->patience);
    if (!strcmp(k, "unfreeze")) return integer(k, v, 0, &p->unfreeze_last);
    if (!strcmp(k, "stage1-epochs")) return integer(k, v, 1, &p->stage1_epochs);
    return 0;
}

/* ---- running --------------------------------------------------------------- */

struct progress {
    int quiet;
    double elapsed;
};

static void on_epoch(const struct pat_epoch_log *e, void *user) {
    struct progress *pr = user;
    pr->elapsed += e->seconds;
    if (pr->quiet) return;
    double eta = e->seconds * (double)(e->epochs - e->epoch);
    fprintf(stderr,
            "stage %zu epoch %zu/%zu  loss %.4f  val AUC %.4f (Keras %.4f) loss %.4f  "
            "lr %.1e/%.1e  |g| %.3g  %.1f seq/s  %s%.0fs left at most\n",
            e->stage, e->epoch, e->epochs, e->train_loss, e->val_auc, e->val_keras_auc,
            e->val_loss, e->lr_head, e->lr_encoder, e->grad_norm, e->seq_per_s,
            e->improved ? "* " : "  ", eta);
}

struct ft_data {
    struct matrix x[3], y[3]; /* train, val, test */
};

static void ft_data_free(struct ft_data *d) {
    for (int i = 0; i < 3; i++) matrix_free(&d->x[i]), matrix_free(&d->y[i]);
}

/* The three splits of a dataset; d->x[2].rows may be 0 (no test split). */
static enum pat_status load_dataset_sets(const struct ft_opts *o, struct ft_data *d,
                                         struct pat_err *err) {
    static const int splits[3] = {PAT_SPLIT_TRAIN, PAT_SPLIT_VAL, PAT_SPLIT_TEST};
    for (int i = 0; i < 3; i++) {
        enum pat_status st = cli_load_dataset_split(o->data, splits[i], &d->x[i], &d->y[i], err);
        if (st == PAT_OK)
            st = cli_check_train_range(NULL, d->x[i].v, d->x[i].rows, d->x[i].cols, o->data, err);
        if (st != PAT_OK) return st;
    }
    if (!d->x[0].rows || !d->x[1].rows) {
        err->status = PAT_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg, "%s has %zu labelled training and %zu validation "
                 "rows: build it with --val (and labels)", o->data, d->x[0].rows, d->x[1].rows);
        return PAT_ERR_USAGE;
    }
    return PAT_OK;
}

/* Standardize rows (n, T) in place with mean (T) and std (T). */
static void standardize(struct matrix *x, const float *mean, const float *std) {
    for (size_t i = 0; i < x->rows; i++)
        for (size_t t = 0; t < x->cols; t++)
            x->v[i * x->cols + t] = (x->v[i * x->cols + t] - mean[t]) / std[t];
}

/* The dataset's scalers: a training-split scaler goes into the model (it
 * then standardizes any input itself); the paper's per-split scalers are
 * applied to each split here and the model carries none. */
static enum pat_status apply_dataset_scaler(const struct ft_opts *o, struct ft_data *d,
                                            struct pat_model **m, struct pat_err *err) {
    struct pat_dataset *ds = NULL;
    enum pat_status st = pat_dataset_open(o->data, &ds, err);
    if (st != PAT_OK) return st;
    const float *mean, *std;
    if (pat_dataset_scaler_mode(ds) == PAT_SCALER_TRAIN &&
        pat_dataset_scaler(ds, PAT_SPLIT_TRAIN, &mean, &std)) {
        struct pat_model *s = NULL;
        st = pat_model_with_scaler(*m, mean, std, pat_dataset_length(ds), &s, err);
        if (st == PAT_OK) pat_model_free(*m), *m = s;
    } else if (pat_dataset_scaler_mode(ds) == PAT_SCALER_PER_SPLIT) {
        static const enum pat_split splits[3] = {PAT_SPLIT_TRAIN, PAT_SPLIT_VAL, PAT_SPLIT_TEST};
        for (int i = 0; i < 3; i++)
            if (d->x[i].rows && pat_dataset_scaler(ds, splits[i], &mean, &std))
                standardize(&d->x[i], mean, std);
        st = pat_model_meta_set(*m, "pat.scaler", "per-split (paper protocol): the caller "
                                "standardizes inputs", err);
    }
    pat_dataset_close(ds);
    return st;
}

static enum pat_status load_sets(const struct ft_opts *o, struct ft_data *d, struct pat_err *err) {
    if (o->data) return load_dataset_sets(o, d, err);
    const char *xs[3] = {o->train, o->val, o->test}, *ys[3] = {o->train_labels, o->val_labels, o->test_labels};
    for (int i = 0; i < 3; i++) {
        if (!xs[i]) continue;
        enum pat_status st = cli_load_matrix(xs[i], &d->x[i], err);
        if (st == PAT_OK)
            st = cli_check_train_range(NULL, d->x[i].v, d->x[i].rows, d->x[i].cols, xs[i], err);
        if (st == PAT_OK) st = cli_load_labels(ys[i], d->x[i].rows, xs[i], &d->y[i], err);
        if (st != PAT_OK) return st;
        if (d->x[i].cols != d->x[0].cols) {
            err->status = PAT_ERR_FORMAT;
            snprintf(err->msg, sizeof err->msg, "%s has %zu minutes per row but %s has %zu",
                     xs[i], d->x[i].cols, xs[0], d->x[0].cols);
            return PAT_ERR_FORMAT;
        }
    }
    return PAT_OK;
}

/* Give *m a new head when it has none. */
static enum pat_status ensure_head(const struct ft_opts *o, struct pat_model **m,
                                   struct pat_err *err) {
    if (pat_model_has_head(*m)) return PAT_OK;
    struct pat_model *h = NULL;
    enum pat_status st = pat_model_with_new_head(*m, o->p.seed, &h, err);
    pat_model_free(*m);
    *m = h;
    if (st == PAT_OK && !o->quiet)
        fprintf(stderr, "pat finetune: %s has no head: added one (glorot_uniform, seed %llu)\n",
                o->model, (unsigned long long)o->p.seed);
    return st;
}

static enum pat_status build_params(struct ft_opts *o, const struct pat_model *m,
                                    struct pat_err *err) {
    enum pat_status st = pat_train_recipe(o->recipe ? o->recipe : "paper", pat_model_config(m),
                                          &o->p, err);
    int lr_encoder_given = 0;
    for (size_t i = 0; st == PAT_OK && i < o->noverrides; i++) {
        if (!strcmp(o->overrides[i][0], "lr-encoder")) lr_encoder_given = 1;
        if (!apply_override(&o->p, o->overrides[i][0], o->overrides[i][1])) {
            err->status = st = PAT_ERR_USAGE;
            snprintf(err->msg, sizeof err->msg, "bad value for --%s", o->overrides[i][0]);
        }
    }
    /* --lr alone sets both rates; keep --lr-encoder when given in any order */
    for (size_t i = 0; st == PAT_OK && lr_encoder_given && i < o->noverrides; i++)
        if (!strcmp(o->overrides[i][0], "lr-encoder"))
            apply_override(&o->p, "lr-encoder", o->overrides[i][1]);
    return st;
}

static const char *const mode_names[] = {"full", "probe", "two-stage"};
static const char *const optim_names[] = {"keras-adam", "adam", "adamw"};
static const char *const weighting_names[] = {"none", "class", "pos"};
static const char *const schedule_names[] = {"constant", "cosine", "plateau"};

static void json_config(struct pat_jw *w, const struct ft_opts *o, const struct pat_model *m) {
    const struct pat_train_params *p = &o->p;
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "model", pat_config_name(pat_model_config(m)));
    pat_jw_key_string(w, "init", o->model);
    pat_jw_key_string(w, "recipe", o->recipe ? o->recipe : "paper");
    pat_jw_key_string(w, "mode", mode_names[p->mode]);
    pat_jw_key_string(w, "optimizer", optim_names[p->optimizer]);
    pat_jw_key_string(w, "weighting", weighting_names[p->weighting]);
    pat_jw_key_string(w, "schedule", schedule_names[p->schedule]);
    pat_jw_key_string(w, "monitor", p->monitor == PAT_MONITOR_KERAS_AUC ? "keras-auc" : "auc");
    pat_jw_key_uint(w, "epochs", p->epochs);
    pat_jw_key_uint(w, "batch_size", p->batch_size);
    pat_jw_key_uint(w, "seed", p->seed);
    pat_jw_key_number(w, "lr_head", p->lr_head);
    pat_jw_key_number(w, "lr_encoder", p->lr_encoder);
    pat_jw_key_number(w, "lr_embedding", p->lr_embedding >= 0 ? p->lr_embedding : p->lr_encoder);
    pat_jw_key_number(w, "weight_decay", p->weight_decay);
    pat_jw_key_number(w, "clip_norm", p->clip_norm);
    pat_jw_key_uint(w, "patience", p->patience);
    pat_jw_key_number(w, "dropout", p->dropout);
    pat_jw_key_bool(w, "shuffle", p->shuffle);
    if (p->mode == PAT_FT_TWO_STAGE) {
        pat_jw_key_uint(w, "stage1_epochs", p->stage1_epochs);
        pat_jw_key_number(w, "stage1_lr_head", p->stage1_lr_head);
        pat_jw_key_uint(w, "unfreeze_last", p->unfreeze_last);
    }
    pat_jw_key_string(w, "data", o->data);
    pat_jw_key_string(w, "train", o->train);
    pat_jw_key_string(w, "val", o->val);
    pat_jw_key_string(w, "test", o->test);
    pat_jw_object_end(w);
}

static void json_history(struct pat_jw *w, const struct pat_train_result *r) {
    pat_jw_array_begin(w);
    for (size_t i = 0; i < r->num_epochs; i++) {
        const struct pat_epoch_log *e = &r->history[i];
        pat_jw_object_begin(w);
        pat_jw_key_uint(w, "stage", e->stage);
        pat_jw_key_uint(w, "epoch", e->epoch);
        pat_jw_key_number(w, "train_loss", e->train_loss);
        pat_jw_key_number(w, "val_loss", e->val_loss);
        pat_jw_key_number(w, "val_auc", e->val_auc);
        pat_jw_key_number(w, "val_keras_auc", e->val_keras_auc);
        pat_jw_key_number(w, "lr_head", e->lr_head);
        pat_jw_key_number(w, "lr_encoder", e->lr_encoder);
        pat_jw_key_number(w, "grad_norm", e->grad_norm);
        pat_jw_key_number(w, "seconds", e->seconds);
        pat_jw_key_number(w, "seq_per_s", e->seq_per_s);
        pat_jw_key_bool(w, "improved", e->improved);
        pat_jw_object_end(w);
    }
    pat_jw_array_end(w);
}

struct ft_outcome {
    struct pat_train_result res;
    double *per_rank; /* training sequences each MPI rank computed (rank 0) */
    size_t ranks;
    struct eval_metrics val, test;
    int has_test;
    const char *transform; /* the fine-tuned model's input transform */
};

static enum pat_status write_results(const struct ft_opts *o, const struct pat_model *m,
                                     const struct ft_outcome *out, struct pat_err *err) {
    struct output f;
    enum pat_status st = output_open(&f, o->results, err);
    if (st != PAT_OK) return st;
    struct pat_jw w;
    pat_jw_init(&w, f.f, 2);
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "pat_version", PAT_VERSION);
    pat_jw_key(&w, "config");
    json_config(&w, o, m);
    pat_jw_key(&w, "class_weight");
    pat_jw_numbers(&w, out->res.class_weight, 2);
    pat_jw_key_number(&w, "pos_weight", out->res.pos_weight);
    pat_jw_key(&w, "best_epoch");
    double best[2] = {(double)out->res.best_epoch[0], (double)out->res.best_epoch[1]};
    pat_jw_numbers(&w, best, o->p.mode == PAT_FT_TWO_STAGE ? 2 : 1);
    pat_jw_key_uint(&w, "resumed_after_epochs", out->res.resumed_from_epoch);
    pat_jw_key(&w, "history");
    json_history(&w, &out->res);
    pat_jw_key(&w, "val");
    eval_metrics_json(&w, &out->val);
    pat_jw_key(&w, "test");
    if (out->has_test) eval_metrics_json(&w, &out->test);
    else pat_jw_null(&w);
    pat_jw_key(&w, "sequences_per_process"); /* training gradients each MPI rank computed */
    pat_jw_numbers(&w, out->per_rank, out->ranks);
    pat_jw_key_number(&w, "seconds", out->res.seconds);
    pat_jw_object_end(&w);
    fputc('\n', f.f);
    st = pat_jw_finish(&w, err);
    if (st != PAT_OK) {
        output_abort(&f);
        return st;
    }
    return output_commit(&f, err);
}

static enum pat_status write_curves(const char *path, const struct pat_train_result *r,
                                    struct pat_err *err) {
    double *v = malloc(3 * (r->num_epochs ? r->num_epochs : 1) * sizeof *v);
    if (!v) {
        err->status = PAT_ERR_NOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory drawing %s", path);
        return PAT_ERR_NOMEM;
    }
    const size_t n = r->num_epochs;
    for (size_t i = 0; i < n; i++) {
        v[i] = r->history[i].train_loss;
        v[n + i] = r->history[i].val_loss;
        v[2 * n + i] = r->history[i].val_auc;
    }
    /* the best epoch over both stages; a boundary only for two stages */
    size_t stage2 = 0, stage1_n = 0;
    for (size_t i = 0; i < n; i++) {
        if (r->history[i].stage == 2 && !stage2) stage2 = i + 1;
        stage1_n += r->history[i].stage != 2;
    }
    size_t best = stage2 ? (r->best_epoch[1] ? stage1_n + r->best_epoch[1] : 0) : r->best_epoch[0];
    char title[128];
    snprintf(title, sizeof title, "pat finetune: %zu epoch%s%s", n, n == 1 ? "" : "s",
             stage2 ? " in two stages" : "");
    enum pat_status st = pat_svg_curves(path, title, v, v + n, v + 2 * n, n, best, stage2, err);
    free(v);
    return st;
}

/* Metrics of the final weights on a labelled set. */
static enum pat_status score_set(const struct pat_model *m, const struct matrix *x,
                                 const struct matrix *y, uint64_t seed, struct eval_metrics *e,
                                 struct pat_err *err) {
    float *prob = malloc(x->rows * sizeof *prob);
    if (!prob) return PAT_ERR_NOMEM;
    struct pat_train_data d = {x->v, y->v, x->rows, x->cols};
    enum pat_status st = pat_train_predict(m, &d, prob, err);
    if (st == PAT_OK) st = eval_metrics_compute(e, prob, y->v, x->rows, 0.5, 1000, seed, err);
    free(prob);
    return st;
}

static enum pat_status save_model(const struct ft_opts *o, struct pat_model *m,
                                  const struct ft_outcome *out, struct pat_err *err) {
    char buf[64];
    enum pat_status st = pat_model_meta_set(m, "pat.finetune.recipe", o->recipe ? o->recipe : "paper", err);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.finetune.mode", mode_names[o->p.mode], err);
    snprintf(buf, sizeof buf, "%.6f", out->val.roc_auc);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.finetune.val_auc", buf, err);
    snprintf(buf, sizeof buf, "%zu", out->res.best_epoch[o->p.mode == PAT_FT_TWO_STAGE]);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.finetune.best_epoch", buf, err);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.finetune.init", o->model, err);
    if (st == PAT_OK) st = pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, out->transform, err);
    return st == PAT_OK ? pat_model_save(m, o->output, err) : st;
}

/* Training sees rows after the input transform. A dataset's rows went
 * through its own, which the model takes on; raw CSV rows go through the
 * initial model's, if it has one. *transform: the fine-tuned model's. */
static enum pat_status match_transform(const struct ft_opts *o, const struct pat_model *m,
                                       struct ft_data *d, const char **transform,
                                       struct pat_err *err) {
    const char *rows = o->data ? o->data : o->train;
    enum pat_status st = cli_rows_transform(rows, transform, err);
    if (st != PAT_OK || strcmp(*transform, "none") != 0) return st;
    *transform = pat_model_input_transform(m);
    const char *paths[3] = {o->train, o->val, o->test};
    for (int i = 0; st == PAT_OK && i < 3; i++)
        if (d->x[i].rows) st = cli_rows_for_model(&d->x[i], "none", m, paths[i], o->model, err);
    return st;
}

static enum pat_status run_finetune(struct ft_opts *o, struct ft_outcome *out, struct pat_err *err) {
    struct pat_dist dist; /* under mpirun: every rank trains its share, rank 0 writes */
    pat_dist_world(&dist);
    const int root = pat_dist_is_root(&dist);
    o->quiet |= !root;
    struct pat_model *m = NULL;
    struct ft_data d;
    memset(&d, 0, sizeof d);
    struct progress pr = {o->quiet, 0.0};
    enum pat_status st = pat_model_load(o->model, &m, err);
    if (st == PAT_OK) st = build_params(o, m, err);
    if (st == PAT_OK) st = ensure_head(o, &m, err);
    if (st == PAT_OK) st = load_sets(o, &d, err);
    if (st == PAT_OK) st = match_transform(o, m, &d, &out->transform, err);
    if (st == PAT_OK && o->data) st = apply_dataset_scaler(o, &d, &m, err);
    o->p.on_epoch = on_epoch, o->p.user = &pr;
    o->p.dist = &dist; /* after build_params, whose defaults reset o->p */
    struct pat_train_data tr = {d.x[0].v, d.y[0].v, d.x[0].rows, d.x[0].cols};
    struct pat_train_data va = {d.x[1].v, d.y[1].v, d.x[1].rows, d.x[1].cols};
    if (st == PAT_OK)
        st = o->resume ? pat_finetune_resume(m, o->resume, &o->p, &tr, &va, &out->res, err)
                       : pat_finetune(m, &o->p, &tr, &va, &out->res, err);
    o->p.dist = NULL;
    out->ranks = (size_t)dist.size;
    if (st == PAT_OK)
        st = cli_rank_sequences("finetune", &dist, out->res.rank_sequences, &out->per_rank,
                                o->quiet, err);
    if (st == PAT_OK && root) st = score_set(m, &d.x[1], &d.y[1], o->p.seed, &out->val, err);
    out->has_test = d.x[2].rows > 0;
    if (st == PAT_OK && root && out->has_test)
        st = score_set(m, &d.x[2], &d.y[2], o->p.seed, &out->test, err);
    if (st == PAT_OK && root) st = finetune_recipe(m, o->data, o->input_recipe, d.x, d.y, err);
    if (st == PAT_OK && root) st = save_model(o, m, out, err);
    if (st == PAT_OK && root && o->results) st = write_results(o, m, out, err);
    if (st == PAT_OK && root && o->curves) st = write_curves(o->curves, &out->res, err);
    ft_data_free(&d);
    pat_model_free(m);
    return st;
}

int cmd_finetune(int argc, char **argv) {
    struct ft_opts *o = calloc(1, sizeof *o);
    struct ft_outcome *out = calloc(1, sizeof *out);
    if (!o || !out) {
        free(o), free(out);
        fprintf(stderr, "pat finetune: out of memory\n");
        return EXIT_FAILURE_OTHER;
    }
    int rc = parse_finetune(argc, argv, o);
    if (rc < 0) {
        cli_set_threads(o->threads);
        struct pat_err err = {0};
        enum pat_status st = run_finetune(o, out, &err);
        if (st == PAT_OK && !o->quiet) {
            fprintf(stderr, "pat finetune: wrote %s (best epoch %zu", o->output,
                    out->res.best_epoch[o->p.mode == PAT_FT_TWO_STAGE]);
            fprintf(stderr, ", %.1f s)\nvalidation:\n", out->res.seconds);
            eval_metrics_print(stderr, &out->val);
            if (out->has_test) {
                fprintf(stderr, "test (evaluated once, with the final weights):\n");
                eval_metrics_print(stderr, &out->test);
            }
        }
        rc = st == PAT_OK ? EXIT_OK : cli_report("finetune", &err);
    }
    pat_train_result_free(&out->res);
    free(out->per_rank);
    free(o), free(out);
    return rc;
}
