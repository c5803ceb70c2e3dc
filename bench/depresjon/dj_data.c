/* dj_data.c - participants, folds, scalers, features and thresholds of the
 * Depresjon benchmark (dj.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/features.h"
#include "baseline/logreg.h"
#include "data/split.h"
#include "dj.h"
#include "util.h"

static const char *const method_names[DJ_METHODS] = {"features", "random-probe", "random-full",
                                                      "mae-probe", "mae-full"};
static const char *const method_labels[DJ_METHODS] = {
    "Features + logistic regression", "PAT-S random init, linear probe",
    "PAT-S random init, full fine-tune", "PAT-S MAE-pretrained, linear probe",
    "PAT-S MAE-pretrained, full fine-tune"};

const char *dj_method_name(enum dj_method m) { return m < DJ_METHODS ? method_names[m] : "?"; }
const char *dj_method_label(enum dj_method m) { return m < DJ_METHODS ? method_labels[m] : "?"; }

void dj_config_default(struct dj_config *c) {
    memset(c, 0, sizeof *c);
    c->arch = "S";
    c->seed = 20240607;
    c->pre_epochs = 12, c->pre_batch = 32, c->pre_lr = 1e-3, c->mask_ratio = 0.90f;
    c->ft_epochs = 8, c->ft_batch = 32, c->ft_lr_head = 1e-3, c->ft_lr_encoder = 1e-4;
    c->probe_C = 1.0, c->features_C = 1.0;
    c->inner_val = 0.2;
    for (int m = 0; m < DJ_METHODS; m++) c->methods[m] = 1;
}

enum pat_status dj_data_open(struct dj_data *d, const char *path, struct pat_err *err) {
    memset(d, 0, sizeof *d);
    enum pat_status st = pat_dataset_open(path, &d->ds, err);
    if (st != PAT_OK) return st;
    d->rows = pat_dataset_rows(d->ds), d->T = pat_dataset_length(d->ds);
    d->P = pat_dataset_num_participants(d->ds);
    const char *tr = pat_dataset_meta_get(d->ds, "transform");
    d->log1p = tr && strcmp(tr, "log1p") == 0;
    d->first = calloc(d->P, sizeof *d->first), d->count = calloc(d->P, sizeof *d->count);
    d->label = calloc(d->P, sizeof *d->label);
    if (!d->first || !d->count || !d->label) {
        dj_data_close(d);
        return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    }
    for (size_t i = d->rows; i-- > 0;) { /* rows of a participant are contiguous */
        size_t p = pat_dataset_participant(d->ds, i);
        d->first[p] = i, d->count[p]++;
        d->label[p] = pat_dataset_label(d->ds, i);
    }
    for (size_t p = 0; p < d->P; p++)
        if (!d->count[p] || !(d->label[p] == 0.0f || d->label[p] == 1.0f)) {
            const char *id = pat_dataset_participant_id(d->ds, p);
            dj_data_close(d);
            return pat_fail(err, PAT_ERR_FORMAT, "%s: participant %s has no window or no 0/1 label",
                            path, id);
        }
    return PAT_OK;
}

void dj_data_close(struct dj_data *d) {
    pat_dataset_close(d->ds);
    free(d->first), free(d->count), free(d->label);
    memset(d, 0, sizeof *d);
}

size_t dj_data_find(const struct dj_data *d, const char *id) {
    for (size_t p = 0; p < d->P; p++)
        if (strcmp(pat_dataset_participant_id(d->ds, p), id) == 0) return p;
    return (size_t)-1;
}

/* pat_split_assign over the participants with keep[p] (ids and labels of
 * those); split/fold written back at their positions. */
static enum pat_status split_subset(const struct dj_data *d, const unsigned char *keep,
                                    const struct pat_split_params *sp, uint8_t *split,
                                    uint8_t *fold, struct pat_err *err) {
    const char **ids = malloc(d->P * sizeof *ids);
    float *lab = malloc(d->P * sizeof *lab);
    uint8_t *s = malloc(d->P), *f = malloc(d->P);
    size_t *idx = malloc(d->P * sizeof *idx), n = 0;
    enum pat_status st = PAT_OK;
    if (!ids || !lab || !s || !f || !idx) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; st == PAT_OK && p < d->P; p++)
        if (!keep || keep[p]) {
            ids[n] = pat_dataset_participant_id(d->ds, p), lab[n] = d->label[p], idx[n++] = p;
        }
    if (st == PAT_OK) st = pat_split_assign(ids, lab, n, sp, s, f, err);
    for (size_t i = 0; st == PAT_OK && i < n; i++) {
        if (split) split[idx[i]] = s[i];
        if (fold) fold[idx[i]] = f[i];
    }
    free(ids), free(lab), free(s), free(f), free(idx);
    return st;
}

enum pat_status dj_inner_split(const struct dj_data *d, unsigned char *role, double frac,
                               uint64_t seed, struct pat_err *err) {
    unsigned char *keep = malloc(d->P);
    uint8_t *split = malloc(d->P);
    if (!keep || !split) {
        free(keep), free(split);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    for (size_t p = 0; p < d->P; p++) keep[p] = role[p] == DJ_TRAIN;
    struct pat_split_params sp = pat_split_default_params();
    sp.val = frac, sp.test = 0.0, sp.seed = seed;
    enum pat_status st = split_subset(d, keep, &sp, split, NULL, err);
    for (size_t p = 0; st == PAT_OK && p < d->P; p++)
        if (keep[p] && split[p] == PAT_SPLIT_VAL) role[p] = DJ_INNER_VAL;
    free(keep), free(split);
    return st;
}

enum pat_status dj_folds(const struct dj_data *d, size_t k, uint64_t seed, unsigned char *fold,
                         struct pat_err *err) {
    struct pat_split_params sp = pat_split_default_params();
    sp.val = 0.0, sp.test = 0.0, sp.folds = k, sp.seed = seed;
    return split_subset(d, NULL, &sp, NULL, fold, err);
}

enum pat_status dj_fit_scaler(const struct dj_data *d, const unsigned char *role, float *mean,
                              float *std, struct pat_err *err) {
    unsigned char *keep = calloc(d->rows, 1);
    if (!keep) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; p < d->P; p++)
        if (role[p] == DJ_TRAIN || role[p] == DJ_INNER_VAL)
            memset(keep + d->first[p], 1, d->count[p]);
    enum pat_status st = pat_dataset_fit_scaler(d->ds, keep, mean, std, err);
    free(keep);
    return st;
}

/* ---- features ---- */

static const char *const feat_names[DJ_NFEAT] = {
    "mean", "sd", "zero_frac", "is", "iv", "ra", "l5", "m10",
    "l5_onset_sin", "l5_onset_cos", "m10_onset_sin", "m10_onset_cos"};

const char *dj_feature_name(size_t j) { return j < DJ_NFEAT ? feat_names[j] : NULL; }

/* The participant's accepted windows laid out on the clock from the first
 * window's start to the last one's end; minutes outside any window (days
 * the window rules rejected) are NaN. Values are activity counts (the
 * stored log1p undone and rounded to the integer counts they were). */
static enum pat_status participant_series(const struct dj_data *d, size_t p, float **out,
                                          size_t *n, size_t *start_min, struct pat_err *err) {
    const size_t r0 = d->first[p], r1 = r0 + d->count[p] - 1;
    const long long s0 = pat_dataset_start(d->ds, r0);
    const long long span = pat_dataset_start(d->ds, r1) + (long long)d->T - s0;
    float *x = malloc((size_t)span * sizeof *x);
    if (!x) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (long long i = 0; i < span; i++) x[i] = NAN;
    for (size_t r = r0; r <= r1; r++) {
        const float *row = pat_dataset_row(d->ds, r);
        float *dst = x + (pat_dataset_start(d->ds, r) - s0);
        for (size_t t = 0; t < d->T; t++)
            dst[t] = d->log1p ? (float)nearbyint(expm1((double)row[t])) : row[t];
    }
    *out = x, *n = (size_t)span, *start_min = (size_t)(((s0 % 1440) + 1440) % 1440);
    return PAT_OK;
}

enum pat_status dj_features(const struct dj_data *d, double *x, struct pat_err *err) {
    struct pat_features_params fp = pat_features_default_params();
    const double two_pi = 6.283185307179586;
    for (size_t p = 0; p < d->P; p++) {
        float *s = NULL;
        size_t n = 0, start = 0;
        enum pat_status st = participant_series(d, p, &s, &n, &start, err);
        struct pat_features f;
        if (st == PAT_OK) st = pat_features_compute(&f, s, n, start, &fp, err);
        free(s);
        if (st != PAT_OK) return st;
        double *row = x + p * DJ_NFEAT;
        const double v[DJ_NFEAT] = {f.mean, f.sd, f.zero_frac, f.is, f.iv, f.ra, f.l5, f.m10,
                                    sin(two_pi * f.l5_onset / 1440), cos(two_pi * f.l5_onset / 1440),
                                    sin(two_pi * f.m10_onset / 1440),
                                    cos(two_pi * f.m10_onset / 1440)};
        memcpy(row, v, sizeof v);
    }
    return PAT_OK;
}

void dj_participant_mean(const struct dj_data *d, const float *window, float *score) {
    for (size_t p = 0; p < d->P; p++) {
        double s = 0;
        for (size_t i = 0; i < d->count[p]; i++) s += window[d->first[p] + i];
        score[p] = (float)(s / (double)d->count[p]);
    }
}

enum pat_status dj_threshold(const struct dj_data *d, const float *score,
                             const unsigned char *role, int a, int b, double *thr,
                             struct pat_err *err) {
    double *s = malloc(d->P * sizeof *s);
    float *y = malloc(d->P * sizeof *y);
    size_t n = 0;
    enum pat_status st = PAT_OK;
    if (!s || !y) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; st == PAT_OK && p < d->P; p++)
        if (role[p] == a || role[p] == b) s[n] = score[p], y[n++] = d->label[p];
    if (st == PAT_OK) st = pat_logreg_youden_threshold(s, y, n, thr, NULL, err);
    free(s), free(y);
    return st;
}
