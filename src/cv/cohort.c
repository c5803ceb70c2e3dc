/* cohort.c - a window dataset seen as participants (cohort.h). */
#include "cv/cohort.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/features.h"
#include "util.h"

int pat_cv_is_training(unsigned char role) {
    return role == PAT_CV_TRAIN || role == PAT_CV_INNER_VAL;
}

void pat_cv_cohort_close(struct pat_cv_cohort *c) {
    pat_dataset_close(c->ds);
    free(c->first), free(c->count), free(c->label);
    memset(c, 0, sizeof *c);
}

/* first/count/label from the rows; refuses non-contiguous participants. */
static enum pat_status index_rows(struct pat_cv_cohort *c, const char *path,
                                  struct pat_err *err) {
    size_t prev = (size_t)-1;
    for (size_t i = 0; i < c->rows; i++) {
        const size_t p = pat_dataset_participant(c->ds, i);
        const float y = pat_dataset_label(c->ds, i);
        const char *id = pat_dataset_participant_id(c->ds, p);
        if (p != prev && c->count[p])
            return pat_fail(err, PAT_ERR_FORMAT, "%s: the rows of participant %s are not "
                            "contiguous (row %zu)", path, id, i);
        if (!(y == 0.0f || y == 1.0f))
            return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu (participant %s) has label %g; "
                            "pat cv needs 0 or 1", path, i, id, (double)y);
        if (!c->count[p]) c->first[p] = i, c->label[p] = y;
        else if (c->label[p] != y)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: participant %s has rows labelled 0 and "
                            "1 (row %zu); pat cv needs one label per participant", path, id, i);
        c->count[p]++, prev = p;
    }
    for (size_t p = 0; p < c->P; p++)
        if (!c->count[p])
            return pat_fail(err, PAT_ERR_FORMAT, "%s: participant %s has no window", path,
                            pat_dataset_participant_id(c->ds, p));
    return PAT_OK;
}

enum pat_status pat_cv_cohort_open(struct pat_cv_cohort *c, const char *path,
                                   struct pat_err *err) {
    memset(c, 0, sizeof *c);
    enum pat_status st = pat_dataset_open(path, &c->ds, err);
    if (st != PAT_OK) return st;
    c->rows = pat_dataset_rows(c->ds), c->T = pat_dataset_length(c->ds);
    c->P = pat_dataset_num_participants(c->ds);
    const char *tr = pat_dataset_meta_get(c->ds, "transform");
    c->log1p = tr && strcmp(tr, "log1p") == 0;
    if (c->P == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no participants", path);
    if (st == PAT_OK) {
        c->first = pat_calloc(c->P, sizeof *c->first);
        c->count = pat_calloc(c->P, sizeof *c->count);
        c->label = pat_calloc(c->P, sizeof *c->label);
        if (!c->first || !c->count || !c->label)
            st = pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    }
    if (st == PAT_OK) st = index_rows(c, path, err);
    if (st != PAT_OK) pat_cv_cohort_close(c);
    return st;
}

enum pat_status pat_cv_cohort_fit_scaler(const struct pat_cv_cohort *c,
                                         const unsigned char *role, float *mean, float *std,
                                         struct pat_err *err) {
    unsigned char *keep = pat_calloc(c->rows, 1);
    if (!keep) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; p < c->P; p++)
        if (pat_cv_is_training(role[p])) memset(keep + c->first[p], 1, c->count[p]);
    enum pat_status st = pat_dataset_fit_scaler(c->ds, keep, mean, std, err);
    free(keep);
    return st;
}

enum pat_status pat_cv_cohort_gather(const struct pat_cv_cohort *c, const unsigned char *role,
                                     int r, float **x, float **y, size_t *n,
                                     struct pat_err *err) {
    size_t k = 0, nx;
    for (size_t p = 0; p < c->P; p++)
        if (role[p] == r) k += c->count[p];
    *x = NULL, *y = NULL, *n = k;
    if (!pat_mul_size(k ? k : 1, c->T, &nx)) return pat_fail(err, PAT_ERR_NOMEM, "too many rows");
    *x = pat_calloc(nx, sizeof **x), *y = pat_calloc(k ? k : 1, sizeof **y);
    if (!*x || !*y) {
        free(*x), free(*y), *x = *y = NULL;
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory (%zu windows)", k);
    }
    k = 0;
    for (size_t p = 0; p < c->P; p++) {
        if (role[p] != r) continue;
        memcpy(*x + k * c->T, pat_dataset_row(c->ds, c->first[p]),
               c->count[p] * c->T * sizeof **x);
        for (size_t i = 0; i < c->count[p]; i++) (*y)[k + i] = c->label[p];
        k += c->count[p];
    }
    return PAT_OK;
}

/* ---- features ---- */

static const char *const feat_names[PAT_CV_NFEAT] = {
    "mean", "sd", "zero_frac", "is", "iv", "ra", "l5", "m10",
    "l5_onset_sin", "l5_onset_cos", "m10_onset_sin", "m10_onset_cos"};

const char *pat_cv_feature_name(size_t j) { return j < PAT_CV_NFEAT ? feat_names[j] : NULL; }

/* The participant's windows laid out on the clock from the first window's
 * start to the last one's end; minutes outside any window are NaN. Values
 * are activity counts (a stored log1p undone and rounded to the integer
 * counts they were). */
static enum pat_status participant_series(const struct pat_cv_cohort *c, size_t p, float **out,
                                          size_t *n, size_t *start_min, struct pat_err *err) {
    const size_t r0 = c->first[p], r1 = r0 + c->count[p] - 1;
    const long long s0 = pat_dataset_start(c->ds, r0);
    const long long span = pat_dataset_start(c->ds, r1) + (long long)c->T - s0;
    if (span < (long long)c->T || span > (long long)1 << 32)
        return pat_fail(err, PAT_ERR_FORMAT, "participant %s: window starts out of order",
                        pat_dataset_participant_id(c->ds, p));
    float *x = pat_calloc((size_t)span, sizeof *x);
    if (!x) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (long long i = 0; i < span; i++) x[i] = NAN;
    for (size_t r = r0; r <= r1; r++) {
        const float *row = pat_dataset_row(c->ds, r);
        const long long off = pat_dataset_start(c->ds, r) - s0;
        if (off < 0 || off + (long long)c->T > span) {
            free(x);
            return pat_fail(err, PAT_ERR_FORMAT, "participant %s: window starts out of order",
                            pat_dataset_participant_id(c->ds, p));
        }
        for (size_t t = 0; t < c->T; t++)
            x[off + (long long)t] = c->log1p ? (float)nearbyint(expm1((double)row[t])) : row[t];
    }
    *out = x, *n = (size_t)span, *start_min = (size_t)(((s0 % 1440) + 1440) % 1440);
    return PAT_OK;
}

enum pat_status pat_cv_cohort_features(const struct pat_cv_cohort *c, double *x,
                                       struct pat_err *err) {
    const struct pat_features_params fp = pat_features_default_params();
    const double two_pi = 6.283185307179586;
    for (size_t p = 0; p < c->P; p++) {
        float *s = NULL;
        size_t n = 0, start = 0;
        struct pat_features f;
        enum pat_status st = participant_series(c, p, &s, &n, &start, err);
        if (st == PAT_OK) st = pat_features_compute(&f, s, n, start, &fp, err);
        free(s);
        if (st != PAT_OK) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            return pat_fail(err, st, "features of participant %s: %s",
                            pat_dataset_participant_id(c->ds, p), why);
        }
        const double v[PAT_CV_NFEAT] = {
            f.mean, f.sd, f.zero_frac, f.is, f.iv, f.ra, f.l5, f.m10,
            sin(two_pi * f.l5_onset / 1440), cos(two_pi * f.l5_onset / 1440),
            sin(two_pi * f.m10_onset / 1440), cos(two_pi * f.m10_onset / 1440)};
        memcpy(x + p * PAT_CV_NFEAT, v, sizeof v);
    }
    return PAT_OK;
}
