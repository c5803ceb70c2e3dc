/* dj_pat.c - PAT in the Depresjon benchmark: MAE pretraining, the linear
 * probe folded into a PAT head, and full fine-tuning (dj.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/logreg.h"
#include "dj.h"
#include "nn/mae.h"
#include "train/pretrain.h"
#include "train/finetune.h"
#include "util.h"

/* Row pointers of the windows of participants with role a or b. */
static const float **role_rows(const struct dj_data *d, const unsigned char *role, int a, int b,
                               size_t *n) {
    const float **r = malloc((d->rows ? d->rows : 1) * sizeof *r);
    *n = 0;
    if (!r) return NULL;
    for (size_t p = 0; p < d->P; p++)
        if (role[p] == a || role[p] == b)
            for (size_t i = 0; i < d->count[p]; i++)
                r[(*n)++] = pat_dataset_row(d->ds, d->first[p] + i);
    return r;
}

static void pre_log(const struct pat_pretrain_log *l, void *user) {
    (void)user;
    fprintf(stderr, "  MAE epoch %zu/%zu: loss %.4f, val %.4f, %.1f s\n", l->epoch, l->epochs,
            l->train_loss, l->val_loss, l->seconds);
}

static void ft_log(const struct pat_epoch_log *l, void *user) {
    (void)user;
    fprintf(stderr, "  fine-tune epoch %zu/%zu: loss %.4f, val AUC %.4f, %.1f s\n", l->epoch,
            l->epochs, l->train_loss, l->val_auc, l->seconds);
}

enum pat_status dj_pretrain(const struct dj_data *d, const struct dj_config *c,
                            const unsigned char *role, const float *mean, const float *std,
                            uint64_t seed, struct pat_model **enc, double *val_loss,
                            struct pat_err *err) {
    struct pat_config cfg;
    enum pat_status st = pat_config_preset(c->arch, &cfg, err);
    if (st != PAT_OK) return st;
    size_t ntr, nva;
    const float **tr = role_rows(d, role, DJ_TRAIN, DJ_TRAIN, &ntr);
    const float **va = role_rows(d, role, DJ_INNER_VAL, DJ_INNER_VAL, &nva);
    struct pat_mae *mae = NULL;
    if (!tr || !va) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = pat_mae_init_random(&cfg, seed, &mae, err);
    struct pat_pretrain_params pp;
    pat_pretrain_default_params(&cfg, &pp);
    pp.epochs = c->pre_epochs, pp.batch_size = c->pre_batch, pp.lr = c->pre_lr;
    pp.mask_ratio = c->mask_ratio, pp.seed = seed, pp.patience = 0, pp.plateau_patience = 0;
    if (c->verbose) pp.on_epoch = pre_log;
    struct pat_pretrain_data dtr = {tr, ntr, d->T, mean, std}, dva = {va, nva, d->T, mean, std};
    struct pat_pretrain_result r = {0};
    if (st == PAT_OK) st = pat_pretrain(mae, &pp, &dtr, &dva, &r, err);
    if (st == PAT_OK) st = pat_mae_encoder(mae, enc, err);
    if (st == PAT_OK && val_loss) *val_loss = r.best_val_loss;
    pat_pretrain_result_free(&r);
    pat_mae_free(mae);
    free(tr), free(va);
    return st;
}

enum pat_status dj_random_encoder(const struct dj_config *c, uint64_t seed,
                                  struct pat_model **enc, struct pat_err *err) {
    struct pat_config cfg;
    enum pat_status st = pat_config_preset(c->arch, &cfg, err);
    if (st != PAT_OK) return st;
    return pat_model_init_random(&cfg, 0, seed, enc, err);
}

/* enc + a fresh head (seed) + the scaler. */
static enum pat_status with_head_and_scaler(const struct pat_model *enc, uint64_t seed,
                                            const float *mean, const float *std, size_t T,
                                            struct pat_model **out, struct pat_err *err) {
    struct pat_model *h = NULL;
    enum pat_status st = pat_model_with_new_head(enc, seed, &h, err);
    if (st == PAT_OK) st = pat_model_with_scaler(h, mean, std, T, out, err);
    pat_model_free(h);
    return st;
}

/* Head probabilities of every window of the dataset (the model's scaler
 * standardizes them). */
static enum pat_status predict_all(const struct dj_data *d, const struct pat_model *m,
                                   float *window, struct pat_err *err) {
    struct pat_train_data all = {pat_dataset_row(d->ds, 0), NULL, d->rows, d->T};
    return pat_train_predict(m, &all, window, err);
}

static float *tensor(struct pat_model *m, const char *name) {
    size_t i = pat_model_tensor_find(m, name);
    return i == (size_t)-1 ? NULL : pat_model_tensor_data(m, i);
}

/* Write the logistic regression a = b + sum_j w_j (e_j - mu_j) / s_j into
 * the head: hidden unit 0 = relu(a), unit 1 = relu(-a), every other unit 0,
 * output = unit 0 - unit 1 = a, so sigmoid(output) is the regression's
 * probability. */
static enum pat_status fold_into_head(struct pat_model *m, const struct pat_logreg *lr,
                                      struct pat_err *err) {
    float *w1 = tensor(m, "head/dense_128/kernel"), *b1 = tensor(m, "head/dense_128/bias");
    float *w2 = tensor(m, "head/output/kernel"), *b2 = tensor(m, "head/output/bias");
    const size_t E = pat_model_config(m)->embed_dim, H = 128;
    if (!w1 || !b1 || !w2 || !b2 || lr->d != E)
        return pat_fail(err, PAT_ERR_USAGE, "probe: the model has no PAT head of width %zu", E);
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

/* The folded head must reproduce the regression: its probabilities of the
 * training windows (window[], in dataset order) against predict_proba on
 * their embeddings x (the same windows, in the same order). */
static enum pat_status check_fold(const struct dj_data *d, const unsigned char *role,
                                  const struct pat_logreg *lr, const double *x,
                                  const float *window, struct pat_err *err) {
    size_t n = 0;
    for (size_t p = 0; p < d->P; p++)
        if (role[p] == DJ_TRAIN || role[p] == DJ_INNER_VAL) n += d->count[p];
    double *prob = malloc((n ? n : 1) * sizeof *prob), worst = 0;
    if (!prob) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    enum pat_status st = pat_logreg_predict_proba(lr, x, n, prob, err);
    size_t k = 0;
    for (size_t p = 0; st == PAT_OK && p < d->P; p++) {
        if (role[p] != DJ_TRAIN && role[p] != DJ_INNER_VAL) continue;
        for (size_t i = d->first[p]; i < d->first[p] + d->count[p]; i++, k++)
            worst = fmax(worst, fabs(prob[k] - (double)window[i]));
    }
    free(prob);
    if (st == PAT_OK && !(worst <= 1e-4))
        st = pat_fail(err, PAT_ERR_NUMERIC, "probe: the PAT head differs from the logistic "
                      "regression by %.3g", worst);
    return st;
}

enum pat_status dj_probe(const struct dj_data *d, const struct dj_config *c,
                         const struct pat_model *enc, const unsigned char *role,
                         const float *mean, const float *std, struct pat_model **out,
                         float *window, struct pat_err *err) {
    const size_t E = pat_model_config(enc)->embed_dim;
    struct pat_model *m = NULL;
    float *emb = malloc(d->rows * E * sizeof *emb), *y = malloc(d->rows * sizeof *y);
    double *x = malloc(d->rows * E * sizeof *x);
    struct pat_logreg lr = {0};
    enum pat_status st = PAT_OK;
    if (!emb || !x || !y) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = with_head_and_scaler(enc, c->seed, mean, std, d->T, &m, err);
    if (st == PAT_OK) st = pat_embed(m, pat_dataset_row(d->ds, 0), d->rows, d->T, emb, err);
    size_t n = 0;
    for (size_t p = 0; st == PAT_OK && p < d->P; p++) {
        if (role[p] != DJ_TRAIN && role[p] != DJ_INNER_VAL) continue;
        for (size_t i = d->first[p]; i < d->first[p] + d->count[p]; i++, n++) {
            for (size_t j = 0; j < E; j++) x[n * E + j] = emb[i * E + j];
            y[n] = d->label[p];
        }
    }
    struct pat_logreg_params lp = pat_logreg_default_params();
    lp.C = c->probe_C;
    lp.max_iter = 200;
    if (st == PAT_OK) st = pat_logreg_fit(&lr, x, y, n, E, &lp, err);
    if (st == PAT_OK) st = fold_into_head(m, &lr, err);
    if (st == PAT_OK) st = predict_all(d, m, window, err);
    if (st == PAT_OK) st = check_fold(d, role, &lr, x, window, err);
    pat_logreg_free(&lr);
    free(emb), free(x), free(y);
    if (st == PAT_OK) *out = m;
    else pat_model_free(m);
    return st;
}

/* The windows of participants with role r, copied contiguously. */
static float *gather(const struct dj_data *d, const unsigned char *role, int r, float **labels,
                     size_t *n) {
    *n = 0;
    for (size_t p = 0; p < d->P; p++)
        if (role[p] == r) *n += d->count[p];
    float *x = malloc((*n ? *n : 1) * d->T * sizeof *x), *y = malloc((*n ? *n : 1) * sizeof *y);
    if (!x || !y) {
        free(x), free(y);
        return NULL;
    }
    size_t k = 0;
    for (size_t p = 0; p < d->P; p++) {
        if (role[p] != r) continue;
        memcpy(x + k * d->T, pat_dataset_row(d->ds, d->first[p]),
               d->count[p] * d->T * sizeof *x);
        for (size_t i = 0; i < d->count[p]; i++) y[k + i] = d->label[p];
        k += d->count[p];
    }
    *labels = y;
    return x;
}

static void full_params(const struct dj_config *c, const struct pat_config *cfg, uint64_t seed,
                        struct pat_train_params *p) {
    pat_train_default_params(cfg, p);
    p->mode = PAT_FT_FULL, p->optimizer = PAT_OPTIM_ADAMW, p->weight_decay = 1e-2;
    p->weighting = PAT_WEIGHT_POS, p->schedule = PAT_SCHED_COSINE, p->eta_min = 1e-6;
    p->monitor = PAT_MONITOR_AUC, p->shuffle = 1, p->clip_norm = 1.0;
    p->epochs = c->ft_epochs, p->batch_size = c->ft_batch, p->seed = seed;
    p->lr_head = c->ft_lr_head, p->lr_encoder = c->ft_lr_encoder, p->lr_embedding = -1;
    p->patience = 0;
    if (c->verbose) p->on_epoch = ft_log;
}

enum pat_status dj_full(const struct dj_data *d, const struct dj_config *c,
                        const struct pat_model *enc, const unsigned char *role,
                        const float *mean, const float *std, uint64_t seed,
                        struct pat_model **out, float *window, double *best_val,
                        struct pat_err *err) {
    size_t ntr, nva;
    float *ytr = NULL, *yva = NULL;
    float *xtr = gather(d, role, DJ_TRAIN, &ytr, &ntr), *xva = gather(d, role, DJ_INNER_VAL, &yva, &nva);
    struct pat_model *m = NULL;
    enum pat_status st = PAT_OK;
    if (!xtr || !xva) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = with_head_and_scaler(enc, seed, mean, std, d->T, &m, err);
    struct pat_train_params p;
    full_params(c, pat_model_config(enc), seed, &p);
    struct pat_train_data tr = {xtr, ytr, ntr, d->T}, va = {xva, yva, nva, d->T};
    struct pat_train_result r = {0};
    if (st == PAT_OK) st = pat_finetune(m, &p, &tr, &va, &r, err);
    if (st == PAT_OK && best_val) *best_val = r.best_val_auc;
    pat_train_result_free(&r);
    free(xtr), free(ytr), free(xva), free(yva);
    if (st == PAT_OK) st = predict_all(d, m, window, err);
    if (st == PAT_OK) *out = m;
    else pat_model_free(m);
    return st;
}
