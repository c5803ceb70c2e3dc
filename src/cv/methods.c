/* methods.c - every method of pat cv on one fold (methods.h). */
#include "cv/methods.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/logreg.h"
#include "baseline/logreg_cv.h"
#include "eval/participant.h"
#include "nn/mae.h"
#include "train/finetune.h"
#include "train/pretrain.h"
#include "util.h"

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static enum pat_status nomem(struct pat_err *err) {
    return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
}

/* ---- shared across folds ---- */

static int uses_fixed(const struct pat_cv_config *cfg) {
    return cfg->methods[PAT_CV_PROBE] || cfg->methods[PAT_CV_PROBE_MLP] ||
           cfg->methods[PAT_CV_FULL] || cfg->methods[PAT_CV_TWO_STAGE];
}

/* The fixed encoder: a private copy (with a head) whose input transform is
 * "none", because the cohort's rows are already transformed. */
static enum pat_status fixed_encoder(struct pat_cv_shared *sh, struct pat_err *err) {
    const struct pat_cv_config *cfg = sh->cfg;
    enum pat_status st;
    if (cfg->encoder) {
        const int enc_log = strcmp(pat_model_input_transform(cfg->encoder), "log1p") == 0;
        if (enc_log && !sh->c->log1p)
            return pat_fail(err, PAT_ERR_USAGE, "the encoder takes log1p counts but the "
                            "dataset's rows are raw (build it with pat data build --log1p)");
        st = pat_model_with_new_head(cfg->encoder, mix(cfg->seed, 2), &sh->fixed, err);
    } else {
        struct pat_config pc;
        st = pat_config_preset(cfg->arch, &pc, err);
        if (st == PAT_OK) st = pat_model_init_random(&pc, 1, mix(cfg->seed, 2), &sh->fixed, err);
    }
    if (st == PAT_OK) st = pat_model_meta_set(sh->fixed, PAT_META_INPUT_TRANSFORM, "none", err);
    if (st == PAT_OK && pat_model_scaler_len(sh->fixed) &&
        pat_model_scaler_len(sh->fixed) != sh->c->T)
        st = pat_fail(err, PAT_ERR_USAGE, "the encoder's scaler is for %zu minutes, the "
                      "dataset's windows have %zu", pat_model_scaler_len(sh->fixed), sh->c->T);
    sh->E = st == PAT_OK ? pat_model_config(sh->fixed)->embed_dim : 0;
    return st;
}

/* Embeddings of every window by the fixed encoder, in batches. */
static enum pat_status fixed_embeddings(struct pat_cv_shared *sh, struct pat_err *err) {
    const struct pat_cv_cohort *c = sh->c;
    size_t n;
    if (!pat_mul_size(c->rows, sh->E, &n)) return pat_fail(err, PAT_ERR_USAGE, "too many windows");
    float *e = pat_calloc(n, sizeof *e);
    sh->emb = pat_calloc(n, sizeof *sh->emb);
    enum pat_status st = e && sh->emb ? PAT_OK : nomem(err);
    if (st == PAT_OK) st = pat_embed(sh->fixed, pat_dataset_row(c->ds, 0), c->rows, c->T, e, err);
    for (size_t i = 0; st == PAT_OK && i < n; i++) sh->emb[i] = e[i];
    free(e);
    return st;
}

enum pat_status pat_cv_shared_make(struct pat_cv_shared *sh, const struct pat_cv_cohort *c,
                                   const struct pat_cv_config *cfg, struct pat_err *err) {
    memset(sh, 0, sizeof *sh);
    sh->c = c, sh->cfg = cfg;
    sh->owner = pat_calloc(c->rows, sizeof *sh->owner);
    enum pat_status st = sh->owner ? PAT_OK : nomem(err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++)
        for (size_t i = 0; i < c->count[p]; i++) sh->owner[c->first[p] + i] = p;
    if (st == PAT_OK && cfg->methods[PAT_CV_FEATURES]) {
        sh->feat = pat_calloc(c->P * PAT_CV_NFEAT, sizeof *sh->feat);
        st = sh->feat ? pat_cv_cohort_features(c, sh->feat, err) : nomem(err);
    }
    if (st == PAT_OK && uses_fixed(cfg)) st = fixed_encoder(sh, err);
    if (st == PAT_OK && cfg->methods[PAT_CV_PROBE]) st = fixed_embeddings(sh, err);
    if (st != PAT_OK) pat_cv_shared_free(sh);
    return st;
}

void pat_cv_shared_free(struct pat_cv_shared *sh) {
    free(sh->feat), free(sh->emb), free(sh->owner);
    pat_model_free(sh->fixed);
    memset(sh, 0, sizeof *sh);
}

/* ---- one fold ---- */

static size_t smaller_class(const struct pat_cv_cohort *c, const unsigned char *role) {
    size_t pos = 0, n = 0;
    for (size_t p = 0; p < c->P; p++)
        if (pat_cv_is_training(role[p])) n++, pos += c->label[p] != 0.0f;
    return pos < n - pos ? pos : n - pos;
}

enum pat_status pat_cv_fold_begin(struct pat_cv_fold *f, const struct pat_cv_shared *sh,
                                  const unsigned char *in_test, uint64_t seed,
                                  struct pat_err *err) {
    const struct pat_cv_cohort *c = sh->c;
    memset(f, 0, sizeof *f);
    f->sh = sh, f->seed = seed, f->pre_loss = NAN;
    f->role = pat_calloc(c->P, 1), f->role_val = pat_calloc(c->P, 1);
    f->inner_fold = pat_calloc(c->P, sizeof *f->inner_fold);
    unsigned char *keep = pat_calloc(c->P, 1);
    enum pat_status st = f->role && f->role_val && f->inner_fold && keep ? PAT_OK : nomem(err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++) {
        f->role[p] = in_test[p] ? PAT_CV_TEST : PAT_CV_TRAIN;
        keep[p] = !in_test[p];
    }
    const size_t minor = st == PAT_OK ? smaller_class(c, f->role) : 0;
    if (st == PAT_OK && minor < 2)
        st = pat_fail(err, PAT_ERR_USAGE, "a fold's training participants have %zu of one "
                      "class (2 needed): use fewer folds", minor);
    f->inner_k = minor < sh->cfg->inner_folds ? minor : sh->cfg->inner_folds;
    if (st == PAT_OK)
        st = pat_cv_stratified_folds(c, keep, f->inner_k, mix(seed, 1), f->inner_fold, err);
    if (st == PAT_OK) memcpy(f->role_val, f->role, c->P);
    if (st == PAT_OK) st = pat_cv_inner_split(c, f->role_val, sh->cfg->inner_val, mix(seed, 2), err);
    free(keep);
    if (st != PAT_OK) pat_cv_fold_end(f);
    return st;
}

void pat_cv_fold_end(struct pat_cv_fold *f) {
    free(f->role), free(f->role_val), free(f->inner_fold), free(f->mean), free(f->std);
    pat_model_free(f->mae);
    memset(f, 0, sizeof *f);
}

static enum pat_status fold_scaler(struct pat_cv_fold *f, struct pat_err *err) {
    if (f->mean) return PAT_OK;
    const struct pat_cv_cohort *c = f->sh->c;
    f->mean = pat_calloc(c->T, sizeof *f->mean), f->std = pat_calloc(c->T, sizeof *f->std);
    if (!f->mean || !f->std) return nomem(err);
    return pat_cv_cohort_fit_scaler(c, f->role, f->mean, f->std, err);
}

/* Row pointers of the windows of participants with role r. */
static const float **role_rows(const struct pat_cv_cohort *c, const unsigned char *role, int r,
                               size_t *n) {
    const float **rows = pat_calloc(c->rows ? c->rows : 1, sizeof *rows);
    *n = 0;
    if (!rows) return NULL;
    for (size_t p = 0; p < c->P; p++)
        if (role[p] == r)
            for (size_t i = 0; i < c->count[p]; i++)
                rows[(*n)++] = pat_dataset_row(c->ds, c->first[p] + i);
    return rows;
}

/* The fold's MAE encoder: pretrained on the inner-training participants'
 * windows, validated on the inner-validation ones, standardized by the
 * fold scaler. */
static enum pat_status fold_mae(struct pat_cv_fold *f, struct pat_err *err) {
    if (f->mae) return PAT_OK;
    const struct pat_cv_cohort *c = f->sh->c;
    const struct pat_cv_config *cfg = f->sh->cfg;
    struct pat_config pc;
    enum pat_status st = fold_scaler(f, err);
    if (st == PAT_OK) st = pat_config_preset(cfg->arch, &pc, err);
    if (st != PAT_OK) return st;
    size_t ntr, nva;
    const float **tr = role_rows(c, f->role_val, PAT_CV_TRAIN, &ntr);
    const float **va = role_rows(c, f->role_val, PAT_CV_INNER_VAL, &nva);
    struct pat_mae *mae = NULL;
    if (!tr || !va) st = nomem(err);
    const uint64_t seed = mix(f->seed, 4);
    if (st == PAT_OK) st = pat_mae_init_random(&pc, seed, &mae, err);
    struct pat_pretrain_params pp;
    pat_pretrain_default_params(&pc, &pp);
    pp.epochs = cfg->pre_epochs, pp.batch_size = cfg->pre_batch, pp.lr = cfg->pre_lr;
    pp.mask_ratio = cfg->mask_ratio, pp.seed = seed, pp.patience = 0, pp.plateau_patience = 0;
    struct pat_pretrain_data dtr = {tr, ntr, c->T, f->mean, f->std};
    struct pat_pretrain_data dva = {va, nva, c->T, f->mean, f->std};
    struct pat_pretrain_result r = {0};
    if (st == PAT_OK) st = pat_pretrain(mae, &pp, &dtr, &dva, &r, err);
    if (st == PAT_OK) st = pat_mae_encoder(mae, &f->mae, err);
    if (st == PAT_OK) f->pre_loss = r.best_val_loss;
    pat_pretrain_result_free(&r);
    pat_mae_free(mae);
    free(tr), free(va);
    return st;
}

/* score[p] = the participant's aggregate (mean) of its window values. */
static void participant_mean(const struct pat_cv_cohort *c, const float *window, float *score) {
    for (size_t p = 0; p < c->P; p++)
        score[p] = (float)pat_aggregate_values(window + c->first[p], c->count[p], PAT_AGG_MEAN);
}

/* Youden's J threshold on score[p] of the participants with role a or b. */
static enum pat_status threshold_on(const struct pat_cv_cohort *c, const float *score,
                                    const unsigned char *role, int a, int b, double *thr,
                                    struct pat_err *err) {
    float *s = pat_calloc(c->P, sizeof *s), *y = pat_calloc(c->P, sizeof *y);
    size_t n = 0;
    enum pat_status st = s && y ? PAT_OK : nomem(err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++)
        if (role[p] == a || role[p] == b) s[n] = score[p], y[n++] = c->label[p];
    if (st == PAT_OK) st = pat_youden_threshold(s, y, n, thr, NULL, err);
    free(s), free(y);
    return st;
}

/* ---- logistic regressions ---- */

/* Write the logistic regression a = b + sum_j w_j (e_j - mu_j) / s_j into
 * m's head: hidden unit 0 = relu(a), unit 1 = relu(-a), output = unit 0 -
 * unit 1 = a, so the head's probability is the regression's. */
static enum pat_status fold_into_head(struct pat_model *m, const struct pat_logreg *lr,
                                      struct pat_err *err) {
    size_t i1 = pat_model_tensor_find(m, "head/dense_128/kernel");
    size_t i2 = pat_model_tensor_find(m, "head/dense_128/bias");
    size_t i3 = pat_model_tensor_find(m, "head/output/kernel");
    size_t i4 = pat_model_tensor_find(m, "head/output/bias");
    const size_t E = pat_model_config(m)->embed_dim, H = 128;
    if (i1 == (size_t)-1 || i2 == (size_t)-1 || i3 == (size_t)-1 || i4 == (size_t)-1 || lr->d != E)
        return pat_fail(err, PAT_ERR_USAGE, "probe: the model has no PAT head of width %zu", E);
    float *w1 = pat_model_tensor_data(m, i1), *b1 = pat_model_tensor_data(m, i2);
    float *w2 = pat_model_tensor_data(m, i3), *b2 = pat_model_tensor_data(m, i4);
    memset(w1, 0, E * H * sizeof *w1), memset(b1, 0, H * sizeof *b1);
    memset(w2, 0, H * sizeof *w2);
    double bias = lr->intercept;
    for (size_t j = 0; j < E; j++) {
        const double wj = lr->coef[j] / lr->scale[j];
        w1[j * H + 0] = (float)wj, w1[j * H + 1] = (float)-wj;
        bias -= wj * lr->mean[j];
    }
    b1[0] = (float)bias, b1[1] = (float)-bias;
    w2[0] = 1.0f, w2[1] = -1.0f, b2[0] = 0.0f;
    return PAT_OK;
}

/* Fit the penalised regression on rows x[n * d] (owner[n]) of the training
 * participants; probabilities of every row into prob[n]. */
static enum pat_status logistic(struct pat_cv_fold *f, const double *x, size_t n, size_t d,
                                const size_t *owner, double *prob, struct pat_logreg *lr,
                                struct pat_cv_fit *out, struct pat_err *err) {
    const struct pat_cv_cohort *c = f->sh->c;
    float *oof = pat_calloc(c->P, sizeof *oof);
    uint32_t *gfold = pat_calloc(c->P, sizeof *gfold);
    struct pat_logreg_cv_result res;
    enum pat_status st = oof && gfold ? PAT_OK : nomem(err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++)
        gfold[p] = pat_cv_is_training(f->role[p]) ? f->inner_fold[p] : PAT_LOGREG_CV_UNUSED;
    if (st == PAT_OK)
        st = pat_logreg_cv_fit(lr, x, n, d, owner, c->P, c->label, gfold, f->inner_k,
                               &f->sh->cfg->grid, &res, oof, err);
    if (st == PAT_OK) st = pat_logreg_predict_proba(lr, x, n, prob, err);
    if (st == PAT_OK)
        st = threshold_on(c, oof, f->role, PAT_CV_TRAIN, PAT_CV_TRAIN, &out->threshold, err);
    if (st == PAT_OK) out->C = res.C, out->inner = res.loss[res.chosen];
    free(oof), free(gfold);
    return st;
}

static enum pat_status fit_features(struct pat_cv_fold *f, struct pat_cv_fit *out,
                                    struct pat_err *err) {
    const struct pat_cv_cohort *c = f->sh->c;
    size_t *owner = pat_calloc(c->P, sizeof *owner);
    double *prob = pat_calloc(c->P, sizeof *prob);
    struct pat_logreg lr = {0};
    enum pat_status st = owner && prob ? PAT_OK : nomem(err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++) owner[p] = p;
    if (st == PAT_OK) st = logistic(f, f->sh->feat, c->P, PAT_CV_NFEAT, owner, prob, &lr, out, err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++) out->score[p] = (float)prob[p];
    pat_logreg_free(&lr);
    free(owner), free(prob);
    return st;
}

/* The probe's PAT model: enc (with its scaler) and the regression folded
 * into its head. */
static enum pat_status probe_model(const struct pat_model *enc, const float *mean,
                                   const float *std, size_t T, const struct pat_logreg *lr,
                                   uint64_t seed, struct pat_model **out, struct pat_err *err) {
    struct pat_model *h = NULL;
    enum pat_status st = pat_model_with_new_head(enc, seed, &h, err);
    if (st == PAT_OK && mean) st = pat_model_with_scaler(h, mean, std, T, out, err);
    else if (st == PAT_OK) *out = h, h = NULL;
    pat_model_free(h);
    if (st == PAT_OK) st = fold_into_head(*out, lr, err);
    return st;
}

/* The linear probe on embeddings emb[rows * E] (of enc, standardized by
 * mean/std or enc's own scaler when mean is NULL). */
static enum pat_status fit_probe(struct pat_cv_fold *f, const double *emb, size_t E,
                                 const struct pat_model *enc, const float *mean,
                                 const float *std, int keep, struct pat_cv_fit *out,
                                 struct pat_err *err) {
    const struct pat_cv_cohort *c = f->sh->c;
    double *prob = pat_calloc(c->rows, sizeof *prob);
    float *window = pat_calloc(c->rows, sizeof *window);
    struct pat_logreg lr = {0};
    enum pat_status st = prob && window ? PAT_OK : nomem(err);
    if (st == PAT_OK) st = logistic(f, emb, c->rows, E, f->sh->owner, prob, &lr, out, err);
    for (size_t i = 0; st == PAT_OK && i < c->rows; i++) window[i] = (float)prob[i];
    if (st == PAT_OK) participant_mean(c, window, out->score);
    if (st == PAT_OK && keep)
        st = probe_model(enc, mean, std, c->T, &lr, mix(f->seed, 6), &out->model, err);
    pat_logreg_free(&lr);
    free(prob), free(window);
    return st;
}

/* Embeddings of every window by the fold's MAE encoder under the fold
 * scaler. */
static enum pat_status mae_embeddings(struct pat_cv_fold *f, double **emb, size_t *E,
                                      struct pat_err *err) {
    const struct pat_cv_cohort *c = f->sh->c;
    struct pat_model *m = NULL;
    enum pat_status st = fold_mae(f, err);
    if (st == PAT_OK) st = pat_model_with_scaler(f->mae, f->mean, f->std, c->T, &m, err);
    *E = st == PAT_OK ? pat_model_config(m)->embed_dim : 0;
    float *e = st == PAT_OK ? pat_calloc(c->rows * *E, sizeof *e) : NULL;
    *emb = st == PAT_OK ? pat_calloc(c->rows * *E, sizeof **emb) : NULL;
    if (st == PAT_OK && (!e || !*emb)) st = nomem(err);
    if (st == PAT_OK) st = pat_embed(m, pat_dataset_row(c->ds, 0), c->rows, c->T, e, err);
    for (size_t i = 0; st == PAT_OK && i < c->rows * *E; i++) (*emb)[i] = e[i];
    free(e);
    pat_model_free(m);
    return st;
}

/* ---- fine-tuning ---- */

static enum pat_status train_params(const struct pat_cv_fold *f, enum pat_cv_method me,
                                    const struct pat_config *pc, struct pat_train_params *p,
                                    struct pat_err *err) {
    const struct pat_cv_config *cfg = f->sh->cfg;
    enum pat_status st = pat_train_recipe("two-stage", pc, p, err);
    if (st != PAT_OK) return st;
    p->seed = mix(f->seed, 5 + (uint64_t)me);
    p->batch_size = cfg->ft_batch, p->patience = cfg->patience;
    p->monitor = PAT_MONITOR_AUC;
    if (me == PAT_CV_TWO_STAGE) { /* the recipe's stages, each of ft_epochs */
        p->stage1_epochs = cfg->ft_epochs, p->epochs = cfg->ft_epochs;
        return PAT_OK;
    }
    p->mode = me == PAT_CV_PROBE_MLP ? PAT_FT_PROBE : PAT_FT_FULL;
    p->epochs = cfg->ft_epochs;
    p->lr_head = cfg->ft_lr_head, p->lr_encoder = cfg->ft_lr_encoder, p->lr_embedding = -1;
    return PAT_OK;
}

/* Head probabilities of the windows of the participants with role a or b;
 * participant means into score. */
static enum pat_status score_roles(const struct pat_cv_fold *f, const struct pat_model *m,
                                   const unsigned char *role, int a, int b, float *score,
                                   struct pat_err *err) {
    const struct pat_cv_cohort *c = f->sh->c;
    enum pat_status st = PAT_OK;
    for (size_t p = 0; st == PAT_OK && p < c->P; p++) {
        if (role[p] != a && role[p] != b) continue;
        float *w = pat_calloc(c->count[p], sizeof *w);
        struct pat_train_data d = {pat_dataset_row(c->ds, c->first[p]), NULL, c->count[p], c->T};
        st = w ? pat_train_predict(m, &d, w, err) : nomem(err);
        if (st == PAT_OK) score[p] = (float)pat_aggregate_values(w, c->count[p], PAT_AGG_MEAN);
        free(w);
    }
    return st;
}

static enum pat_status fit_finetune(struct pat_cv_fold *f, enum pat_cv_method me,
                                    const struct pat_model *enc, int keep,
                                    struct pat_cv_fit *out, struct pat_err *err) {
    const struct pat_cv_cohort *c = f->sh->c;
    float *xtr = NULL, *ytr = NULL, *xva = NULL, *yva = NULL;
    size_t ntr = 0, nva = 0;
    struct pat_model *h = NULL, *m = NULL;
    enum pat_status st = fold_scaler(f, err);
    if (st == PAT_OK) st = pat_cv_cohort_gather(c, f->role_val, PAT_CV_TRAIN, &xtr, &ytr, &ntr, err);
    if (st == PAT_OK) st = pat_cv_cohort_gather(c, f->role_val, PAT_CV_INNER_VAL, &xva, &yva, &nva, err);
    if (st == PAT_OK) st = pat_model_with_new_head(enc, mix(f->seed, 3), &h, err);
    if (st == PAT_OK) st = pat_model_with_scaler(h, f->mean, f->std, c->T, &m, err);
    struct pat_train_params p;
    if (st == PAT_OK) st = train_params(f, me, pat_model_config(enc), &p, err);
    struct pat_train_data tr = {xtr, ytr, ntr, c->T}, va = {xva, yva, nva, c->T};
    struct pat_train_result r = {0};
    if (st == PAT_OK) st = pat_finetune(m, &p, &tr, &va, &r, err);
    if (st == PAT_OK) out->inner = r.best_val_auc;
    pat_train_result_free(&r);
    free(xtr), free(ytr), free(xva), free(yva);
    if (st == PAT_OK)
        st = score_roles(f, m, f->role_val, PAT_CV_TEST, PAT_CV_INNER_VAL, out->score, err);
    if (st == PAT_OK)
        st = threshold_on(c, out->score, f->role_val, PAT_CV_INNER_VAL, PAT_CV_INNER_VAL,
                          &out->threshold, err);
    pat_model_free(h);
    if (st == PAT_OK && keep) out->model = m;
    else pat_model_free(m);
    return st;
}

enum pat_status pat_cv_fold_fit(struct pat_cv_fold *f, enum pat_cv_method m, int keep,
                                struct pat_cv_fit *out, struct pat_err *err) {
    const struct pat_cv_shared *sh = f->sh;
    for (size_t p = 0; p < sh->c->P; p++) out->score[p] = NAN;
    out->threshold = out->C = out->inner = NAN, out->model = NULL;
    switch (m) {
    case PAT_CV_FEATURES:
        return fit_features(f, out, err);
    case PAT_CV_PROBE:
        return fit_probe(f, sh->emb, sh->E, sh->fixed, NULL, NULL, keep, out, err);
    case PAT_CV_MAE_PROBE: {
        double *emb = NULL;
        size_t E = 0;
        enum pat_status st = mae_embeddings(f, &emb, &E, err);
        if (st == PAT_OK) st = fit_probe(f, emb, E, f->mae, f->mean, f->std, keep, out, err);
        free(emb);
        return st;
    }
    case PAT_CV_PROBE_MLP:
    case PAT_CV_FULL:
    case PAT_CV_TWO_STAGE:
        return fit_finetune(f, m, sh->fixed, keep, out, err);
    case PAT_CV_MAE_FULL: {
        enum pat_status st = fold_mae(f, err);
        return st == PAT_OK ? fit_finetune(f, m, f->mae, keep, out, err) : st;
    }
    default:
        return pat_fail(err, PAT_ERR_USAGE, "unknown method %d", (int)m);
    }
}
