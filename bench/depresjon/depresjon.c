/* depresjon.c - the Depresjon benchmark driver (docs/results-depresjon.md).
 *
 *   depresjon bench --data D.patd --out DIR [--protocol lopo|cv|both] [options]
 *   depresjon final --data D.patd -o MODEL.safetensors [--method mae-probe] [options]
 *
 * bench runs every method on every fold of the protocols and writes
 * DIR/results.json, DIR/roc-<protocol>.svg and the tables (stdout); final
 * trains one model on every participant (the shipped demo model). D.patd is
 * a day-window dataset from pat data build --depresjon (bench/depresjon/run.sh).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "baseline/logreg.h"
#include "dj.h"
#include "util.h"

#define MAX_FOLDS 100
#define MAX_SAVE 8

struct ctx {
    struct dj_data d;
    struct dj_config c;
    double *feat;                     /* [P * DJ_NFEAT] */
    size_t k;                         /* folds of the CV (and of the LOPO pretraining groups) */
    unsigned char *group;             /* [P]: fold of CV repeat 1 = pretraining group */
    struct pat_model *genc[MAX_FOLDS]; /* group encoders (MAE-pretrained) */
    float *gmean[MAX_FOLDS], *gstd[MAX_FOLDS];
    double gloss[MAX_FOLDS];
    const char *out;                  /* bench output folder */
    const char *save[MAX_SAVE];       /* LOPO: keep these participants' models */
    size_t nsave;
};

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* What one fit produces for every method. */
struct fit_out {
    float *score;  /* [DJ_METHODS][P] participant scores */
    double thr[DJ_METHODS], inner_auc[DJ_METHODS], pre_loss;
    struct pat_model *model[DJ_METHODS]; /* kept when asked */
};

/* The features baseline of one fit. */
static enum pat_status fit_features(struct ctx *x, const unsigned char *role, float *score,
                                    double *thr, struct pat_err *err) {
    const struct dj_data *d = &x->d;
    double *tr = malloc(d->P * DJ_NFEAT * sizeof *tr), *prob = malloc(d->P * sizeof *prob);
    float *y = malloc(d->P * sizeof *y);
    struct pat_logreg m = {0};
    enum pat_status st = PAT_OK;
    if (!tr || !prob || !y) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t p = 0; st == PAT_OK && p < d->P; p++)
        if (role[p] == DJ_TRAIN || role[p] == DJ_INNER_VAL) {
            memcpy(tr + n * DJ_NFEAT, x->feat + p * DJ_NFEAT, DJ_NFEAT * sizeof *tr);
            y[n++] = d->label[p];
        }
    struct pat_logreg_params lp = pat_logreg_default_params();
    lp.C = x->c.features_C, lp.max_iter = 200;
    if (st == PAT_OK) st = pat_logreg_fit(&m, tr, y, n, DJ_NFEAT, &lp, err);
    if (st == PAT_OK) st = pat_logreg_predict_proba(&m, x->feat, d->P, prob, err);
    for (size_t p = 0; st == PAT_OK && p < d->P; p++) score[p] = (float)prob[p];
    if (st == PAT_OK) st = dj_threshold(d, score, role, DJ_TRAIN, DJ_INNER_VAL, thr, err);
    pat_logreg_free(&m);
    free(tr), free(prob), free(y);
    return st;
}

/* Probe and full fine-tuning from one encoder: methods probe, full. */
static enum pat_status fit_pat(struct ctx *x, const struct pat_model *enc,
                               const unsigned char *role, const float *mean, const float *std,
                               uint64_t seed, int probe, int full, struct fit_out *o, int keep,
                               struct pat_err *err) {
    const struct dj_data *d = &x->d;
    float *window = malloc(d->rows * sizeof *window);
    enum pat_status st = window ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    const int me[2] = {probe, full};
    for (int i = 0; i < 2 && st == PAT_OK; i++) {
        if (!x->c.methods[me[i]]) continue;
        struct pat_model *m = NULL;
        if (i == 0) st = dj_probe(d, &x->c, enc, role, mean, std, &m, window, err);
        else st = dj_full(d, &x->c, enc, role, mean, std, seed, &m, window,
                          &o->inner_auc[me[i]], err);
        float *score = o->score + (size_t)me[i] * d->P;
        if (st == PAT_OK) dj_participant_mean(d, window, score);
        /* The probe is fitted on every training participant; full
         * fine-tuning never fitted the inner-validation ones. */
        if (st == PAT_OK)
            st = dj_threshold(d, score, role, DJ_INNER_VAL, i == 0 ? DJ_TRAIN : DJ_INNER_VAL,
                              &o->thr[me[i]], err);
        if (st == PAT_OK && keep) o->model[me[i]] = m;
        else pat_model_free(m);
    }
    free(window);
    return st;
}

/* One fold: role[] has DJ_TRAIN and DJ_TEST (and DJ_OUT) participants on
 * entry. genc/gmean/gstd: a shared MAE encoder and its scaler (LOPO and CV
 * repeat 1), or NULL to fit both here. */
static enum pat_status fit_fold(struct ctx *x, unsigned char *role, uint64_t seed,
                                const struct pat_model *genc, const float *gmean,
                                const float *gstd, struct fit_out *o, int keep,
                                struct pat_err *err) {
    const struct dj_data *d = &x->d;
    float *mean = malloc(d->T * sizeof *mean), *std = malloc(d->T * sizeof *std);
    struct pat_model *renc = NULL, *menc = NULL;
    enum pat_status st = mean && std ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (int me = 0; me < DJ_METHODS; me++) o->thr[me] = o->inner_auc[me] = NAN, o->model[me] = NULL;
    o->pre_loss = NAN;
    if (st == PAT_OK) st = dj_inner_split(d, role, x->c.inner_val, mix(seed, 1), err);
    if (st == PAT_OK && gmean) {
        memcpy(mean, gmean, d->T * sizeof *mean), memcpy(std, gstd, d->T * sizeof *std);
    } else if (st == PAT_OK) {
        st = dj_fit_scaler(d, role, mean, std, err);
    }
    if (st == PAT_OK && x->c.methods[DJ_FEATURES])
        st = fit_features(x, role, o->score, &o->thr[DJ_FEATURES], err);
    const int rand = x->c.methods[DJ_RANDOM_PROBE] || x->c.methods[DJ_RANDOM_FULL];
    const int mae = x->c.methods[DJ_MAE_PROBE] || x->c.methods[DJ_MAE_FULL];
    if (st == PAT_OK && rand) st = dj_random_encoder(&x->c, mix(seed, 2), &renc, err);
    if (st == PAT_OK && rand)
        st = fit_pat(x, renc, role, mean, std, mix(seed, 3), DJ_RANDOM_PROBE, DJ_RANDOM_FULL, o,
                     keep, err);
    if (st == PAT_OK && mae && !genc)
        st = dj_pretrain(d, &x->c, role, mean, std, mix(seed, 4), &menc, &o->pre_loss, err);
    if (st == PAT_OK && mae)
        st = fit_pat(x, genc ? genc : menc, role, mean, std, mix(seed, 5), DJ_MAE_PROBE,
                     DJ_MAE_FULL, o, keep, err);
    pat_model_free(renc), pat_model_free(menc);
    free(mean), free(std);
    return st;
}

/* The pretraining groups: the folds of CV repeat 1; group k's encoder is
 * MAE-pretrained on the participants outside fold k, exactly as CV repeat
 * 1's fold k would pretrain it. */
static enum pat_status make_groups(struct ctx *x, struct pat_err *err) {
    const struct dj_data *d = &x->d;
    unsigned char *role = malloc(d->P);
    enum pat_status st = role ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = dj_folds(d, x->k, x->c.seed, x->group, err);
    const int mae = x->c.methods[DJ_MAE_PROBE] || x->c.methods[DJ_MAE_FULL];
    for (size_t k = 0; st == PAT_OK && k < x->k; k++) {
        double t0 = now();
        const uint64_t seed = mix(mix(x->c.seed, 0), k);
        for (size_t p = 0; p < d->P; p++) role[p] = x->group[p] == k ? DJ_TEST : DJ_TRAIN;
        x->gmean[k] = malloc(d->T * sizeof(float)), x->gstd[k] = malloc(d->T * sizeof(float));
        x->gloss[k] = NAN;
        if (!x->gmean[k] || !x->gstd[k]) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        if (st == PAT_OK) st = dj_inner_split(d, role, x->c.inner_val, mix(seed, 1), err);
        if (st == PAT_OK) st = dj_fit_scaler(d, role, x->gmean[k], x->gstd[k], err);
        if (st == PAT_OK && mae)
            st = dj_pretrain(d, &x->c, role, x->gmean[k], x->gstd[k], mix(seed, 4), &x->genc[k],
                             &x->gloss[k], err);
        fprintf(stderr, "pretraining group %zu/%zu: MAE validation loss %.4f, %.1f s\n", k + 1,
                x->k, x->gloss[k], now() - t0);
    }
    free(role);
    return st;
}

/* Store a fold's test scores and decisions into the protocol. */
static void record(struct ctx *x, struct dj_protocol *pr, size_t r, size_t k,
                   const unsigned char *role, const struct fit_out *o, double pre_loss) {
    const size_t P = x->d.P;
    for (int me = 0; me < DJ_METHODS; me++) {
        pr->threshold[(r * pr->folds + k) * DJ_METHODS + (size_t)me] = o->thr[me];
        pr->inner_auc[(r * pr->folds + k) * DJ_METHODS + (size_t)me] = o->inner_auc[me];
        for (size_t p = 0; p < P; p++) {
            if (role[p] != DJ_TEST || !x->c.methods[me]) continue;
            const float s = o->score[(size_t)me * P + p];
            pr->score[(r * DJ_METHODS + (size_t)me) * P + p] = s;
            pr->decision[(r * DJ_METHODS + (size_t)me) * P + p] = s >= o->thr[me] ? 1.0f : 0.0f;
        }
    }
    pr->pre_loss[r * pr->folds + k] = pre_loss;
}

static void progress(const struct ctx *x, const char *name, size_t r, size_t k, size_t folds,
                     const char *what, const struct fit_out *o, double secs) {
    fprintf(stderr, "%s r%zu fold %zu/%zu %s: %.1f s; inner-val AUC", name, r + 1, k + 1, folds,
            what, secs);
    for (int me = 0; me < DJ_METHODS; me++)
        if (x->c.methods[me] && !isnan(o->inner_auc[me]))
            fprintf(stderr, " %s %.3f", dj_method_name((enum dj_method)me), o->inner_auc[me]);
    fprintf(stderr, "\n");
}

static enum pat_status run_cv(struct ctx *x, struct dj_protocol *pr, size_t repeats,
                              struct fit_out *o, struct pat_err *err) {
    const struct dj_data *d = &x->d;
    unsigned char *fold = malloc(d->P), *role = malloc(d->P);
    enum pat_status st = fold && role ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = dj_protocol_alloc(pr, "cv", repeats, x->k, d->P, err);
    const double t0 = now();
    for (size_t r = 0; st == PAT_OK && r < repeats; r++) {
        if (r == 0) memcpy(fold, x->group, d->P);
        else st = dj_folds(d, x->k, x->c.seed + r, fold, err);
        for (size_t k = 0; st == PAT_OK && k < x->k; k++) {
            const double t1 = now();
            const uint64_t seed = mix(mix(x->c.seed, r), k);
            for (size_t p = 0; p < d->P; p++) role[p] = fold[p] == k ? DJ_TEST : DJ_TRAIN;
            st = fit_fold(x, role, seed, r == 0 ? x->genc[k] : NULL, r == 0 ? x->gmean[k] : NULL,
                          r == 0 ? x->gstd[k] : NULL, o, 0, err);
            if (st != PAT_OK) break;
            record(x, pr, r, k, role, o, r == 0 ? x->gloss[k] : o->pre_loss);
            progress(x, "cv", r, k, x->k, "", o, now() - t1);
        }
    }
    pr->seconds = now() - t0;
    free(fold), free(role);
    return st;
}

static int wanted(const struct ctx *x, const char *id) {
    for (size_t i = 0; i < x->nsave; i++)
        if (strcmp(x->save[i], id) == 0) return 1;
    return 0;
}

/* The models take the dataset's rows, so they take its transform: with it
 * recorded, pat predict accepts raw minutes as well as the dataset. */
static enum pat_status save_model(struct pat_model *m, const struct ctx *x, const char *path,
                                  struct pat_err *err) {
    enum pat_status st = x->d.log1p ? pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, "log1p", err)
                                    : PAT_OK;
    return st == PAT_OK ? pat_model_save(m, path, err) : st;
}

static enum pat_status save_models(const struct ctx *x, const char *id, struct fit_out *o,
                                   struct pat_err *err) {
    enum pat_status st = PAT_OK;
    for (int me = 0; me < DJ_METHODS; me++) {
        if (!o->model[me]) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/lopo-%s-%s.safetensors", x->out, id,
                 dj_method_name((enum dj_method)me));
        if (st == PAT_OK) st = save_model(o->model[me], x, path, err);
        pat_model_free(o->model[me]);
        o->model[me] = NULL;
    }
    return st;
}

static enum pat_status run_lopo(struct ctx *x, struct dj_protocol *pr, struct fit_out *o,
                                struct pat_err *err) {
    const struct dj_data *d = &x->d;
    unsigned char *role = malloc(d->P);
    enum pat_status st = role ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = dj_protocol_alloc(pr, "lopo", 1, d->P, d->P, err);
    const double t0 = now();
    for (size_t q = 0; st == PAT_OK && q < d->P; q++) {
        const double t1 = now();
        const char *id = pat_dataset_participant_id(d->ds, q);
        const size_t g = x->group[q];
        for (size_t p = 0; p < d->P; p++) role[p] = p == q ? DJ_TEST : DJ_TRAIN;
        const int keep = wanted(x, id);
        st = fit_fold(x, role, mix(mix(x->c.seed, 1000), q), x->genc[g], x->gmean[g], x->gstd[g],
                      o, keep, err);
        if (st == PAT_OK && keep) st = save_models(x, id, o, err);
        if (st != PAT_OK) break;
        record(x, pr, 0, q, role, o, x->gloss[g]);
        progress(x, "lopo", 0, q, d->P, id, o, now() - t1);
    }
    pr->seconds = now() - t0;
    free(role);
    return st;
}

/* ---- final: one model on every participant ---- */

static enum pat_status set_meta(struct pat_model *m, const struct ctx *x, const char *method,
                                double thr, double inner_auc, struct pat_err *err) {
    char v[512];
    const struct dj_config *c = &x->c;
    enum pat_status st = pat_model_meta_set(m, "pat.source", "bench/depresjon final "
                                            "(the pipeline of make bench-depresjon)", err);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.depresjon.method", method, err);
    snprintf(v, sizeof v, "%.9g", thr);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.depresjon.threshold", v, err);
    snprintf(v, sizeof v, "%.6f", inner_auc);
    if (st == PAT_OK && !isnan(inner_auc)) /* full fine-tuning only */
        st = pat_model_meta_set(m, "pat.depresjon.inner_val_window_auc", v, err);
    snprintf(v, sizeof v, "%zu participants, %zu windows of %zu minutes, transform %s", x->d.P,
             x->d.rows, x->d.T, x->d.log1p ? "log1p" : "none");
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.depresjon.data", v, err);
    /* The window rules, not the command line (its paths vary by machine). */
    static const char *const keys[] = {"window_length", "align", "transform", "zero_run",
                                       "min_day_minutes", "min_days", "fill", "dst"};
    size_t len = 0;
    for (size_t i = 0; i < sizeof keys / sizeof *keys && len < sizeof v; i++) {
        const char *val = pat_dataset_meta_get(x->d.ds, keys[i]);
        len += (size_t)snprintf(v + len, sizeof v - len, "%s%s=%s", i ? " " : "", keys[i],
                                val ? val : "?");
    }
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.depresjon.windows", v, err);
    snprintf(v, sizeof v, "seed %llu; MAE %zu epochs, batch %zu, lr %g, mask %.2f; full "
             "fine-tuning %zu epochs, batch %zu, lr head %g encoder %g; probe C %g; inner "
             "validation %.2f", (unsigned long long)c->seed, c->pre_epochs, c->pre_batch,
             c->pre_lr, (double)c->mask_ratio, c->ft_epochs, c->ft_batch, c->ft_lr_head,
             c->ft_lr_encoder, c->probe_C, c->inner_val);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.depresjon.config", v, err);
    if (st == PAT_OK)
        st = pat_model_meta_set(m, "pat.intended_use", "demonstration and research only; "
                                "not a diagnostic device (models/README.md)", err);
    return st;
}

static enum pat_status run_final(struct ctx *x, enum dj_method method, const char *path,
                                 struct pat_err *err) {
    const struct dj_data *d = &x->d;
    unsigned char *role = malloc(d->P);
    float *score = malloc(DJ_METHODS * d->P * sizeof *score);
    struct fit_out o = {score, {0}, {0}, 0, {0}};
    enum pat_status st = role && score ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (int me = 0; me < DJ_METHODS; me++) x->c.methods[me] = me == (int)method;
    for (size_t p = 0; p < d->P; p++) role[p] = DJ_TRAIN;
    const double t0 = now();
    if (st == PAT_OK) st = fit_fold(x, role, mix(x->c.seed, 7777), NULL, NULL, NULL, &o, 1, err);
    struct pat_model *m = o.model[method];
    if (st == PAT_OK && !m) st = pat_fail(err, PAT_ERR_USAGE, "final: %s makes no PAT model",
                                          dj_method_name(method));
    if (st == PAT_OK)
        st = set_meta(m, x, dj_method_name(method), o.thr[method], o.inner_auc[method], err);
    if (st == PAT_OK) st = save_model(m, x, path, err);
    if (st == PAT_OK) {
        size_t nv = 0;
        for (size_t p = 0; p < d->P; p++) nv += role[p] == DJ_INNER_VAL;
        fprintf(stderr, "final %s: %zu participants (%zu inner validation), MAE val loss %.4f, "
                "inner-val window AUC %.4f, threshold %.4f, %.1f s -> %s\n",
                dj_method_name(method), d->P, nv, o.pre_loss, o.inner_auc[method],
                o.thr[method], now() - t0, path);
    }
    for (int me = 0; me < DJ_METHODS; me++) pat_model_free(o.model[me]);
    free(role), free(score);
    return st;
}

/* ---- command line ---- */

static void usage(FILE *f) {
    fprintf(f,
        "Usage: depresjon bench --data D.patd --out DIR [--protocol lopo|cv|both] [options]\n"
        "       depresjon final --data D.patd -o MODEL.safetensors [--method NAME] [options]\n"
        "bench: every method on every fold; DIR/results.json, DIR/roc-*.svg, tables on stdout.\n"
        "final: one model on all participants (the demo model).\n"
        "  --folds K          CV folds (default 5); also the LOPO pretraining groups\n"
        "  --repeats R        CV repeats (default 5)\n"
        "  --methods LIST     comma-separated subset of features,random-probe,random-full,\n"
        "                     mae-probe,mae-full (default all)\n"
        "  --method NAME      final: mae-probe (default, the demo model), mae-full,\n"
        "                     random-probe, random-full\n"
        "  --save-models IDS  bench: keep the LOPO models of these participants (comma list)\n"
        "  --arch NAME        PAT architecture (default S; M, L, conv-S, ...)\n"
        "  --pre-epochs N --pre-batch N --pre-lr LR --mask-ratio R\n"
        "  --ft-epochs N --ft-batch N --ft-lr-head LR --ft-lr-encoder LR\n"
        "  --probe-c C --features-c C --inner-val F --seed S\n"
        "  -t, --threads N    threads (results do not depend on it)\n"
        "  -v, --verbose      one line per training epoch on stderr\n");
}

static int method_of(const char *s) {
    for (int me = 0; me < DJ_METHODS; me++)
        if (strcmp(s, dj_method_name((enum dj_method)me)) == 0) return me;
    return -1;
}

static int parse_list(char *s, const char **out, size_t max, size_t *n) {
    *n = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == max) return -1;
        out[(*n)++] = tok;
    }
    return 0;
}

struct opts {
    const char *mode, *data, *out, *model, *protocol;
    size_t repeats;
    int method, threads;
};

static int parse_num(const char *a, const char *v, double *out) {
    char *end;
    if (!v) return fprintf(stderr, "depresjon: %s needs a value\n", a), -1;
    *out = strtod(v, &end);
    if (*end || !isfinite(*out) || *out < 0) return fprintf(stderr, "depresjon: bad %s %s\n", a, v), -1;
    return 0;
}

/* Numeric options into the config; 1: consumed, 0: not numeric, -1: error. */
static int parse_config(struct ctx *x, struct opts *o, const char *a, const char *v) {
    static const char *const names[] = {"--folds", "--repeats", "--pre-epochs", "--pre-batch",
                                        "--pre-lr", "--mask-ratio", "--ft-epochs", "--ft-batch",
                                        "--ft-lr-head", "--ft-lr-encoder", "--probe-c",
                                        "--features-c", "--inner-val", "--seed", "--threads",
                                        "-t"};
    size_t i = 0, n = sizeof names / sizeof *names;
    while (i < n && strcmp(a, names[i])) i++;
    if (i == n) return 0;
    double num;
    if (parse_num(a, v, &num)) return -1;
    struct dj_config *c = &x->c;
    switch (i) {
    case 0: x->k = (size_t)num; break;
    case 1: o->repeats = (size_t)num; break;
    case 2: c->pre_epochs = (size_t)num; break;
    case 3: c->pre_batch = (size_t)num; break;
    case 4: c->pre_lr = num; break;
    case 5: c->mask_ratio = (float)num; break;
    case 6: c->ft_epochs = (size_t)num; break;
    case 7: c->ft_batch = (size_t)num; break;
    case 8: c->ft_lr_head = num; break;
    case 9: c->ft_lr_encoder = num; break;
    case 10: c->probe_C = num; break;
    case 11: c->features_C = num; break;
    case 12: c->inner_val = num; break;
    case 13: c->seed = (uint64_t)num; break;
    default: o->threads = (int)num; break;
    }
    return 1;
}

static int parse_args(int argc, char **argv, struct ctx *x, struct opts *o) {
    if (argc < 2) return usage(stderr), -1;
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) usage(stdout), exit(0);
    o->mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = parse_config(x, o, a, v);
        if (r < 0) return -1;
        if (r == 1) { i++; continue; }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            x->c.verbose = 1;
            continue;
        }
        if (!v && strcmp(a, "-h") && strcmp(a, "--help"))
            return fprintf(stderr, "depresjon: %s needs a value\n", a), -1;
        if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "-o")) o->model = v;
        else if (!strcmp(a, "--protocol")) o->protocol = v;
        else if (!strcmp(a, "--arch")) {
            struct pat_config cfg;
            if (pat_config_preset(v, &cfg, NULL) != PAT_OK)
                return fprintf(stderr, "depresjon: unknown architecture %s\n", v), -1;
            x->c.arch = v;
        }
        else if (!strcmp(a, "--method")) {
            if ((o->method = method_of(v)) < 0)
                return fprintf(stderr, "depresjon: unknown method %s\n", v), -1;
        } else if (!strcmp(a, "--methods")) {
            char *s = argv[i + 1];
            for (int me = 0; me < DJ_METHODS; me++) x->c.methods[me] = 0;
            for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
                int me = method_of(tok);
                if (me < 0) return fprintf(stderr, "depresjon: unknown method %s\n", tok), -1;
                x->c.methods[me] = 1;
            }
        } else if (!strcmp(a, "--save-models")) {
            if (parse_list(argv[i + 1], x->save, MAX_SAVE, &x->nsave))
                return fprintf(stderr, "depresjon: at most %d ids\n", MAX_SAVE), -1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else {
            return fprintf(stderr, "depresjon: unknown option %s\n", a), usage(stderr), -1;
        }
        i++;
    }
    if (!o->data) return fprintf(stderr, "depresjon: --data is required\n"), -1;
    if (x->k < 2 || x->k > MAX_FOLDS) return fprintf(stderr, "depresjon: --folds 2..%d\n", MAX_FOLDS), -1;
    if (o->repeats < 1) return fprintf(stderr, "depresjon: --repeats must be at least 1\n"), -1;
    if (!(x->c.inner_val > 0 && x->c.inner_val < 1))
        return fprintf(stderr, "depresjon: --inner-val must be in (0, 1)\n"), -1;
    if (!strcmp(o->mode, "bench") && !o->out) return fprintf(stderr, "depresjon: --out is required\n"), -1;
    if (!strcmp(o->mode, "final") && !o->model) return fprintf(stderr, "depresjon: -o is required\n"), -1;
    if (strcmp(o->mode, "bench") && strcmp(o->mode, "final"))
        return fprintf(stderr, "depresjon: unknown mode %s\n", o->mode), usage(stderr), -1;
    return 0;
}

static enum pat_status run_bench(struct ctx *x, const struct opts *o, struct pat_err *err) {
    const int lopo = !strcmp(o->protocol, "lopo") || !strcmp(o->protocol, "both");
    const int cv = !strcmp(o->protocol, "cv") || !strcmp(o->protocol, "both");
    if (!lopo && !cv) return pat_fail(err, PAT_ERR_USAGE, "--protocol lopo|cv|both");
    struct dj_protocol pr[2];
    size_t npr = 0;
    const double t0 = now();
    float *score = malloc(DJ_METHODS * x->d.P * sizeof *score);
    struct fit_out fo = {score, {0}, {0}, 0, {0}};
    enum pat_status st = score ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = make_groups(x, err);
    if (st == PAT_OK && lopo) st = run_lopo(x, &pr[npr++], &fo, err);
    if (st == PAT_OK && cv) st = run_cv(x, &pr[npr++], o->repeats, &fo, err);
    const double secs = now() - t0;
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", o->out);
    if (st == PAT_OK) st = dj_report_json(path, &x->d, &x->c, o->data, pr, npr, secs, err);
    for (size_t i = 0; st == PAT_OK && i < npr; i++) {
        snprintf(path, sizeof path, "%s/roc-%s.svg", o->out, pr[i].name);
        st = dj_report_roc(path, &x->d, &x->c, &pr[i], 0, err);
        if (st == PAT_OK) st = dj_report_table(stdout, &x->d, &x->c, &pr[i], err);
    }
    if (st == PAT_OK) printf("total %.0f s (%s)\n", secs, o->data);
    for (size_t i = 0; i < npr; i++) dj_protocol_free(&pr[i]);
    free(score);
    return st;
}

int main(int argc, char **argv) {
    struct ctx x;
    memset(&x, 0, sizeof x);
    dj_config_default(&x.c);
    x.k = 5;
    struct opts o = {NULL, NULL, NULL, NULL, "both", 5, DJ_MAE_PROBE, 0};
    if (parse_args(argc, argv, &x, &o)) return 2;
#ifndef PAT_NO_THREADS
    if (o.threads > 0) pat_set_threads((size_t)(o.threads));
#endif
    x.out = o.out;
    if (o.out) mkdir(o.out, 0777); /* an existing folder is fine; a failure shows later */
    struct pat_err err = {0};
    enum pat_status st = dj_data_open(&x.d, o.data, &err);
    x.feat = st == PAT_OK ? malloc(x.d.P * DJ_NFEAT * sizeof *x.feat) : NULL;
    x.group = st == PAT_OK ? malloc(x.d.P) : NULL;
    if (st == PAT_OK && (!x.feat || !x.group)) st = pat_fail(&err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = dj_features(&x.d, x.feat, &err);
    if (st == PAT_OK && !strcmp(o.mode, "final")) st = run_final(&x, (enum dj_method)o.method, o.model, &err);
    else if (st == PAT_OK) st = run_bench(&x, &o, &err);
    for (size_t k = 0; k < MAX_FOLDS; k++) pat_model_free(x.genc[k]), free(x.gmean[k]), free(x.gstd[k]);
    free(x.feat), free(x.group);
    dj_data_close(&x.d);
    if (st != PAT_OK) {
        fprintf(stderr, "depresjon: %s\n", err.msg);
        return 1;
    }
    return 0;
}
