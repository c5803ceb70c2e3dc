/* cohort.h - a window dataset seen as participants, for pat cv
 * (docs/cv.md): each participant's rows, its 0/1 label, per-minute scalers
 * fitted on chosen participants, rest-activity features per participant.
 *
 *     struct pat_cv_cohort c;
 *     pat_cv_cohort_open(&c, "days.patd", &err);
 *     ... c.P participants; rows c.first[p] .. c.first[p] + c.count[p] - 1
 *     pat_cv_cohort_close(&c);
 *
 * Rows of a participant are contiguous in a .patd file (pat data build
 * writes them so); every participant needs at least one row and one label,
 * 0 or 1, shared by all its rows.
 */
#ifndef PAT_CV_COHORT_H
#define PAT_CV_COHORT_H

#include <stddef.h>

#include "pat.h"

struct pat_cv_cohort {
    struct pat_dataset *ds; /* owned */
    size_t rows, T, P;      /* windows, minutes per window, participants */
    size_t *first, *count;  /* per participant: first row, number of rows */
    float *label;           /* per participant, 0 or 1 */
    int log1p;              /* rows hold log(1 + counts) */
};

/* Roles of participants in one fit (one byte per participant). */
enum pat_cv_role {
    PAT_CV_OUT = 0,       /* not used */
    PAT_CV_TRAIN = 1,     /* fits weights */
    PAT_CV_INNER_VAL = 2, /* training participant held out for early stopping */
    PAT_CV_TEST = 3,      /* scored only */
};

/* 1 when role is a training role (TRAIN or INNER_VAL). */
int pat_cv_is_training(unsigned char role);

enum pat_status pat_cv_cohort_open(struct pat_cv_cohort *c, const char *path,
                                   struct pat_err *err);
void pat_cv_cohort_close(struct pat_cv_cohort *c); /* safe on a zeroed struct */

/* Per-minute scaler (T floats each) fitted on the windows of the
 * participants whose role is a training role. */
enum pat_status pat_cv_cohort_fit_scaler(const struct pat_cv_cohort *c,
                                         const unsigned char *role, float *mean, float *std,
                                         struct pat_err *err);

/* Rest-activity features of every participant, x[P * PAT_CV_NFEAT]: mean,
 * SD, zero fraction, IS, IV, RA, L5, M10 and the sine and cosine of the L5
 * and M10 onsets (src/baseline/features.h), from the participant's
 * accepted windows laid out on the clock (minutes between them missing),
 * counts recovered from log1p rows. Features of one participant depend on
 * that participant's rows only. */
#define PAT_CV_NFEAT 12
enum pat_status pat_cv_cohort_features(const struct pat_cv_cohort *c, double *x,
                                       struct pat_err *err);
const char *pat_cv_feature_name(size_t j);

/* The windows of participants with role r copied contiguously, x[n * T]
 * and labels y[n] (malloc'd, caller frees). */
enum pat_status pat_cv_cohort_gather(const struct pat_cv_cohort *c, const unsigned char *role,
                                     int r, float **x, float **y, size_t *n,
                                     struct pat_err *err);

#endif /* PAT_CV_COHORT_H */
