/* delong.h - comparing two ROC-AUCs measured on the same cases: DeLong's
 * variance and paired test, and a paired bootstrap interval of the
 * difference.
 *
 *     struct pat_delong r;
 *     pat_delong(score_a, score_b, label, n, &r, &err);
 *     // r.auc[0] - r.auc[1], r.p_value: two-sided, H0 equal AUCs
 *     double lo, hi;
 *     pat_auc_diff_bootstrap_ci(score_a, score_b, label, n, 2000, seed, 0.95, &lo, &hi, &err);
 *
 * DeLong, DeLong & Clarke-Pearson (1988), in the placement-value form of
 * Sun & Xu (2014): with m positives X_i and k negatives Y_j and
 * psi(x, y) = 1 if x > y, 1/2 if x == y, 0 otherwise,
 *   V10_i = (1/k) sum_j psi(X_i, Y_j),  V01_j = (1/m) sum_i psi(X_i, Y_j),
 *   AUC = mean V10 = mean V01,
 *   S10 = sample covariance (divisor m - 1) of the V10 of the two scorers,
 *   S01 likewise over the negatives, S = S10 / m + S01 / k,
 *   z = (AUC_a - AUC_b) / sqrt(S_aa + S_bb - 2 S_ab),  p = erfc(|z| / sqrt 2).
 * Placement values come from midranks (O(n log n)); this equals R's
 * pROC::roc.test(method = "delong") and the fast DeLong of Sun & Xu.
 */
#ifndef PAT_EVAL_DELONG_H
#define PAT_EVAL_DELONG_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

struct pat_delong {
    double auc[2];    /* AUC of scorer a and b */
    double var[2];    /* DeLong variance of each AUC */
    double cov;       /* their covariance */
    double diff;      /* auc[0] - auc[1] */
    double se_diff;   /* sqrt(var[0] + var[1] - 2 cov) */
    double z;         /* diff / se_diff (0 when both are 0) */
    double p_value;   /* two-sided; 1 when se_diff is 0 and diff is 0 */
};

/* score_b may be NULL: only auc[0] and var[0] are filled (the rest NaN).
 * label[n]: any non-zero is positive. Refuses (PAT_ERR_USAGE) n == 0, NULL
 * score_a or label, fewer than two positives or two negatives (the sample
 * covariances need them), a NaN score; PAT_ERR_NOMEM. */
enum pat_status pat_delong(const float *score_a, const float *score_b, const float *label,
                           size_t n, struct pat_delong *out, struct pat_err *err);

/* Percentile bootstrap interval of AUC(score_a) - AUC(score_b): `reps`
 * resamples of the n cases (the same cases for both scorers) drawn with
 * replacement, in input order, from a pat_rng seeded with `seed`; a
 * resample missing a class is redrawn (at most 1000 times in a row).
 * Quantiles as numpy.quantile's default. Refuses as pat_auc_bootstrap_ci
 * does; *lo and *hi are NAN on failure. */
enum pat_status pat_auc_diff_bootstrap_ci(const float *score_a, const float *score_b,
                                          const float *label, size_t n, size_t reps,
                                          uint64_t seed, double level, double *lo, double *hi,
                                          struct pat_err *err);

#endif /* PAT_EVAL_DELONG_H */
