/* metrics.h - binary-classification metrics: exact and Keras-style ROC-AUC,
 * average precision, confusion-matrix metrics at a threshold, and a seeded
 * bootstrap confidence interval for the ROC-AUC.
 *
 * Common contract:
 *   score[n]  classifier outputs (probabilities or logits; see each function)
 *   label[n]  0 or 1; any non-zero label counts as positive
 * Everything is computed in double precision from the float32 inputs, holds
 * no state, and gives bit-identical results for any permutation of the
 * (score, label) pairs. A NaN score makes the scalar metrics return NAN.
 * Functions that sort allocate O(n) scratch and return NAN if that fails.
 */
#ifndef PAT_METRICS_H
#define PAT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

/* Exact ROC-AUC = P(score of a random positive > score of a random
 * negative) + P(tie)/2 (Mann-Whitney U with average ranks; equals sklearn
 * roc_auc_score). O(n log n). NAN if n == 0, a class is absent, or a score
 * is NaN. Scores may be any real numbers (logits work). */
double pat_roc_auc(const float *score, const float *label, size_t n);

/* The Keras tf.keras.metrics.AUC() default (pat-spec §4.4): 200 thresholds
 * τ_0 = -1e-7, τ_i = i/199, τ_199 = 1 + 1e-7, trapezoid over (FPR, TPR).
 * Who counts as "score > τ_i" is decided exactly as Keras >= 2.6 does it for
 * evenly spaced thresholds (keras/utils/metrics_utils.py,
 * _update_confusion_matrix_variables_optimized): bucket
 * b = max(ceil(fl32(p * 199)) - 1, 0) with p clipped to [0, 1], positive at
 * τ_i ⇔ b >= i. This equals "p > i/199" except for a few float32 scores
 * within one ulp of a threshold, where Keras's float32 product decides.
 * The confusion counts are therefore Keras's exactly; the rates and the sum
 * are formed in double (Keras uses float32 there: ~1e-7 apart).
 * Scores must be probabilities in [0, 1]; values outside are clipped (Keras
 * raises an error instead). As in Keras, a missing class gives 0 (all
 * rates are 0 by convention), n == 0 gives 0; a NaN score gives NAN. O(n). */
double pat_keras_auc(const float *score, const float *label, size_t n);

/* sklearn average_precision_score: AP = Σ_k (R_k - R_{k-1}) P_k over the
 * distinct score values taken as thresholds in decreasing order (tied
 * scores enter together), no interpolation. NAN if there is no positive,
 * n == 0 or a score is NaN; 1 when there are only positives. O(n log n). */
double pat_average_precision(const float *score, const float *label, size_t n);

/* ROC curve as sklearn roc_curve(drop_intermediate=False) draws it: the
 * point (0, 0), then one (FPR, TPR) point per distinct score from the
 * highest down, ending at (1, 1). fpr[] and tpr[] need room for n + 1
 * points. Returns the number of points written, or 0 if n == 0, a class is
 * absent, a score is NaN or allocation fails. */
size_t pat_roc_curve(double *fpr, double *tpr, const float *score, const float *label,
                     size_t n);

/* Confusion counts and derived metrics at one threshold. */
struct pat_binary_metrics {
    size_t tp, fp, tn, fn;
    double accuracy;          /* (tp + tn) / n */
    double sensitivity;       /* recall, TPR: tp / (tp + fn) */
    double specificity;       /* TNR: tn / (tn + fp) */
    double precision;         /* PPV: tp / (tp + fp) */
    double f1;                /* 2 tp / (2 tp + fp + fn) */
    double mcc;               /* Matthews correlation coefficient */
    double balanced_accuracy; /* (sensitivity + specificity) / 2 */
};

/* Predicted positive ⇔ score >= threshold (compared in double; a NaN score
 * is never positive). Every ratio whose denominator is 0 is 0 (sklearn
 * zero_division=0); mcc is 0 when any marginal is 0, as sklearn returns.
 * n == 0 gives all zeros. */
void pat_binary_metrics_at(const float *score, const float *label, size_t n,
                           double threshold, struct pat_binary_metrics *out);

/* Percentile bootstrap interval of pat_roc_auc at confidence `level`:
 * `reps` resamples of n cases drawn with replacement from a pat_rng seeded
 * with `seed` (resamples missing a class are redrawn, at most 1000 times in
 * a row); *lo and *hi are the (1-level)/2 and (1+level)/2 quantiles of the
 * resampled AUCs, linearly interpolated as numpy.quantile's default.
 * Cases are drawn from the (score, label)-sorted order, so the interval
 * depends on the seed only, not on the input order. Refuses (PAT_ERR_USAGE)
 * n == 0, reps == 0, level outside (0, 1), a single-class input, a NaN
 * score; PAT_ERR_NUMERIC if redrawing gave up; PAT_ERR_NOMEM. Time
 * O(n log n + reps n + reps log reps); *lo and *hi are NAN on failure. */
enum pat_status pat_auc_bootstrap_ci(const float *score, const float *label, size_t n,
                                     size_t reps, uint64_t seed, double level, double *lo,
                                     double *hi, struct pat_err *err);

#endif /* PAT_METRICS_H */
