/* logreg_cv.h - L2 logistic regression whose penalty is chosen by
 * grouped cross-validation on the training rows only (the linear probe and
 * the features baseline of pat cv, docs/cv.md "Logistic regressions").
 *
 * Rows belong to groups (participants): owner[i] is row i's group, every
 * group has one label glabel[g], and gfold[g] is the group's inner fold
 * (0 .. k-1) or PAT_LOGREG_CV_UNUSED for a group that must not be touched
 * (the outer test participants). For each C of the grid (ascending) and
 * each inner fold f, a pat_logreg is fitted on the rows of the used groups
 * outside f and predicts the rows of f. The criterion of C is the mean over
 * the used groups of their rows' mean log-loss (probabilities clipped to
 * [1e-15, 1 - 1e-15], as sklearn's log_loss): every participant weighs the
 * same, whatever its number of windows. The smallest criterion wins; ties
 * go to the smaller C (the stronger penalty). The model is then refitted
 * with that C on all rows of the used groups.
 *
 * oof[g] receives each used group's out-of-fold score at the chosen C (the
 * mean of its rows' probabilities; NaN for unused groups): scores of
 * training participants from models that did not see them, on which a
 * decision threshold can be chosen without touching the test participants.
 * Deterministic: every sum runs in row order.
 */
#ifndef PAT_BASELINE_LOGREG_CV_H
#define PAT_BASELINE_LOGREG_CV_H

#include <stddef.h>
#include <stdint.h>

#include "baseline/logreg.h"
#include "pat.h"

#define PAT_LOGREG_CV_UNUSED UINT32_MAX
#define PAT_LOGREG_CV_MAX_GRID 32

struct pat_logreg_cv_params {
    double grid[PAT_LOGREG_CV_MAX_GRID]; /* candidate C, ascending, > 0 */
    size_t ngrid;                        /* 1 .. PAT_LOGREG_CV_MAX_GRID */
    size_t max_iter;                     /* Newton iterations per fit (default 100) */
    double tol;                          /* gradient tolerance (default 1e-10) */
};

/* Grid 1e-4, 1e-3, ..., 10 (six decades), max_iter 100, tol 1e-10. */
struct pat_logreg_cv_params pat_logreg_cv_default_params(void);

struct pat_logreg_cv_result {
    double C;                             /* chosen */
    size_t chosen;                        /* its index in the grid */
    double loss[PAT_LOGREG_CV_MAX_GRID];  /* criterion per grid value */
};

/* x[n * d] rows, owner[n] < G, glabel[G] 0/1, gfold[G] < k or UNUSED.
 * Fills *m (free with pat_logreg_free), *res and oof[G]. Refuses
 * (PAT_ERR_USAGE) a bad grid, k < 2, an inner training set with one class
 * only (fewer used groups of a class than k), a fold without rows; passes
 * on pat_logreg_fit's refusals. */
enum pat_status pat_logreg_cv_fit(struct pat_logreg *m, const double *x, size_t n, size_t d,
                                  const size_t *owner, size_t G, const float *glabel,
                                  const uint32_t *gfold, size_t k,
                                  const struct pat_logreg_cv_params *p,
                                  struct pat_logreg_cv_result *res, float *oof,
                                  struct pat_err *err);

#endif /* PAT_BASELINE_LOGREG_CV_H */
