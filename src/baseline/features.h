/* features.h - non-parametric rest-activity features of one minute-level
 * actigraphy series, for the simple baselines of docs/baselines.md.
 *
 *     struct pat_features_params p = pat_features_default_params();
 *     struct pat_features f;
 *     if (pat_features_compute(&f, x, n, start_min, &p, &err) != PAT_OK) ...
 *     double row[PAT_FEATURES_COUNT];
 *     pat_features_to_array(&f, row);          // in pat_features_name() order
 *
 * Input: x[n] activity counts, one per minute, contiguous (minute i is
 * start_min + i minutes after the midnight before x[0]); NaN = missing.
 * The definitions are those of pyActigraphy's documentation (Witting et al.
 * 1990 for IS/IV, van Someren et al. 1997/1999 for L5/M10/RA); where
 * pyActigraphy's code departs from its documented formula the difference is
 * stated below and in docs/baselines.md. Let v_i = x_i, or, with
 * params.binarize, v_i = 1 if x_i > threshold else 0 (pyActigraphy's
 * binarized_data); only finite x_i are "valid".
 *
 *   mean       mean of the valid x_i (raw counts, never binarized)
 *   sd         sample SD of the valid x_i, divisor (m - 1); 0 when m == 1
 *   zero_frac  (number of valid x_i == 0) / m
 *
 * Hourly series (IS, IV): bins are clock hours [hh:00, hh+1:00). A bin's
 * value X_k is the mean of its valid v_i; a bin with fewer than
 * params.min_valid_per_hour valid minutes is missing (partial first and
 * last hours of the recording included). pyActigraphy resamples with a sum
 * per clock hour (resample('1H').sum()); IS and IV are scale-free, so a
 * complete hour gives the same result; pyActigraphy keeps partial edge
 * hours as short sums, pat drops them. With N valid bins, mean Xbar, and
 * p hours of the day that have at least one valid bin, Xbar_h the mean of
 * the valid bins at hour-of-day h:
 *
 *   IS = [ sum_h (Xbar_h - Xbar)^2 / p ] / [ sum_k (X_k - Xbar)^2 / N ]
 *   IV = [ sum_k' (X_k - X_{k-1})^2 / N' ] / [ sum_k (X_k - Xbar)^2 / N ]
 *
 * where k' runs over the N' pairs of adjacent bins that are both valid
 * (for complete data N' = N - 1, which gives Witting's
 * IV = N sum (X_k - X_{k-1})^2 / ((N - 1) sum (X_k - Xbar)^2)).
 * pyActigraphy's code divides both variances by (count - 1) (pandas var):
 * on complete days its IS is IS * p (N - 1) / (N (p - 1)) and its IV is
 * IV * (N - 1) / N of these.
 *
 * Average day (L5, M10, RA): P[t], t = 0..1439, is the mean of the valid
 * v_i at minute-of-day t over all days. Lw(s) = (1/w) sum_{k<w} P[(s+k) mod
 * 1440], the 24-h profile being circular (pyActigraphy: cyclic=True).
 *   L5  = min over s of L300(s),   l5_onset  = first minimizing s
 *   M10 = max over s of L600(s),   m10_onset = first maximizing s
 *   RA  = (M10 - L5) / (M10 + L5)
 * Onsets are minutes after midnight (0..1439), scanned from 00:00. Windows
 * that cover a minute-of-day with no valid sample are skipped (pyActigraphy
 * would sum over what is there).
 *
 * Degenerate but computable cases give 0, never NaN: IS = IV = 0 when the
 * hourly values have zero variance (a constant series), RA = 0 when
 * M10 + L5 == 0. Everything is summed in double in a fixed order.
 */
#ifndef PAT_BASELINE_FEATURES_H
#define PAT_BASELINE_FEATURES_H

#include <stddef.h>

#include "pat.h"

#define PAT_MINUTES_PER_DAY 1440
#define PAT_FEATURES_COUNT 10

struct pat_features_params {
    int binarize;              /* IS, IV, L5, M10, RA on (x > threshold);
                                * default 0 (counts). ref: pyActigraphy
                                * binarize, whose default is True */
    double threshold;          /* binarization threshold; default 4
                                * (ref: pyActigraphy threshold=4) */
    size_t min_valid_per_hour; /* valid minutes for an hourly bin to count,
                                * 1..60; default 60 (any missing minute
                                * drops the hour, as pyActigraphy's
                                * exclude_if_mask=True) */
};

struct pat_features_params pat_features_default_params(void);

/* The features, in pat_features_name() order. */
struct pat_features {
    double mean;      /* mean count per valid minute */
    double sd;        /* sample SD of the counts */
    double zero_frac; /* fraction of valid minutes with count 0 */
    double is;        /* interdaily stability, hourly bins */
    double iv;        /* intradaily variability, hourly bins */
    double ra;        /* relative amplitude (M10 - L5)/(M10 + L5) */
    double l5;        /* mean activity of the least active 5 h */
    double l5_onset;  /* its start, minutes after midnight */
    double m10;       /* mean activity of the most active 10 h */
    double m10_onset; /* its start, minutes after midnight */
    /* Not features: what the values were computed from. */
    size_t valid_minutes; /* finite x_i */
    size_t valid_hours;   /* N, hourly bins that counted */
};

/* Fill *out from x[n] (NaN = missing) whose first minute is start_min
 * minutes after midnight (0..1439). Refuses, leaving *out zeroed:
 *   PAT_ERR_USAGE    n == 0, x NULL, start_min >= 1440, bad params, fewer
 *                    than two valid hourly bins or no adjacent valid pair
 *                    (IS/IV undefined), or no 5-h / 10-h window of the
 *                    average day fully observed (L5/M10 undefined);
 *   PAT_ERR_NUMERIC  an infinite value, or no valid minute at all;
 *   PAT_ERR_NOMEM.
 * Time O(n + 1440 * 900), memory O(n / 60 + 1440). */
enum pat_status pat_features_compute(struct pat_features *out, const float *x, size_t n,
                                     size_t start_min,
                                     const struct pat_features_params *params,
                                     struct pat_err *err);

/* Name of feature i < PAT_FEATURES_COUNT ("mean", "sd", "zero_frac", "is",
 * "iv", "ra", "l5", "l5_onset", "m10", "m10_onset"), for CSV headers;
 * NULL when i is out of range. Borrowed, do not free. */
const char *pat_features_name(size_t i);

/* The PAT_FEATURES_COUNT feature values of f into out[], in name order. */
void pat_features_to_array(const struct pat_features *f, double *out);

#endif /* PAT_BASELINE_FEATURES_H */
