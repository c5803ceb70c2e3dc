/* features.c - non-parametric rest-activity features (see features.h for
 * the definitions and docs/baselines.md for the choices).
 *
 * Every sum runs in double, sequentially in index order, so the results are
 * deterministic and independent of the build's thread count.
 */
#include "baseline/features.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MIN_PER_HOUR 60
#define HOURS_PER_DAY 24
#define L5_MINUTES 300  /* 5 h */
#define M10_MINUTES 600 /* 10 h */

static const char *const feature_names[PAT_FEATURES_COUNT] = {
    "mean", "sd", "zero_frac", "is", "iv", "ra", "l5", "l5_onset", "m10", "m10_onset",
};

struct pat_features_params pat_features_default_params(void) {
    struct pat_features_params p = {0};
    p.binarize = 0;
    p.threshold = 4.0;
    p.min_valid_per_hour = MIN_PER_HOUR;
    return p;
}

const char *pat_features_name(size_t i) {
    return i < PAT_FEATURES_COUNT ? feature_names[i] : NULL;
}

void pat_features_to_array(const struct pat_features *f, double *out) {
    const double v[PAT_FEATURES_COUNT] = {
        f->mean, f->sd, f->zero_frac, f->is, f->iv, f->ra,
        f->l5, f->l5_onset, f->m10, f->m10_onset,
    };
    memcpy(out, v, sizeof v);
}

/* The value the rhythm features see for a valid count: the count itself
 * or, binarized, 1 above the threshold and 0 otherwise. */
static double rhythm_value(float x, const struct pat_features_params *p) {
    if (p->binarize) return (double)x > p->threshold ? 1.0 : 0.0;
    return (double)x;
}

/* A variance this small next to the squared mean is rounding noise of a
 * constant signal (e.g. means of different numbers of equal values). */
static int variance_is_zero(double var, double mean) {
    double eps = 64.0 * DBL_EPSILON * fabs(mean);
    return var <= eps * eps;
}

static enum pat_status check_input(const float *x, size_t n, size_t start_min,
                                   const struct pat_features_params *p, struct pat_err *err) {
    if (!p) return pat_fail(err, PAT_ERR_USAGE, "features: params is NULL");
    if (p->min_valid_per_hour < 1 || p->min_valid_per_hour > MIN_PER_HOUR)
        return pat_fail(err, PAT_ERR_USAGE,
                        "features: min_valid_per_hour = %zu, expected 1..60",
                        p->min_valid_per_hour);
    if (p->binarize && !isfinite(p->threshold))
        return pat_fail(err, PAT_ERR_USAGE, "features: binarization threshold is not finite");
    if (n == 0 || !x) return pat_fail(err, PAT_ERR_USAGE, "features: empty series");
    if (start_min >= PAT_MINUTES_PER_DAY)
        return pat_fail(err, PAT_ERR_USAGE, "features: start minute %zu, expected 0..1439",
                        start_min);
    for (size_t i = 0; i < n; i++)
        if (isinf(x[i]))
            return pat_fail(err, PAT_ERR_NUMERIC, "features: infinite value at minute %zu", i);
    return PAT_OK;
}

/* mean, sample SD and zero fraction of the valid counts; returns the
 * number of valid minutes (0: the fields are left alone). */
static size_t count_stats(const float *x, size_t n, struct pat_features *f) {
    size_t m = 0, zeros = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        m++;
        sum += x[i];
        zeros += x[i] == 0.0f;
    }
    if (m == 0) return 0;
    double mean = sum / (double)m, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) ss += ((double)x[i] - mean) * ((double)x[i] - mean);
    f->mean = mean;
    f->sd = m > 1 ? sqrt(ss / (double)(m - 1)) : 0.0;
    f->zero_frac = (double)zeros / (double)m;
    return m;
}

/* bins[nbins]: mean rhythm value of each clock hour, NaN when the hour has
 * fewer than p->min_valid_per_hour valid minutes. Bin k covers minutes
 * [k*60 - off, (k+1)*60 - off) of x, off = start_min % 60. */
static void hourly_bins(double *bins, size_t nbins, const float *x, size_t n,
                        size_t start_min, const struct pat_features_params *p) {
    size_t off = start_min % MIN_PER_HOUR;
    for (size_t k = 0; k < nbins; k++) {
        size_t lo = k == 0 ? 0 : k * MIN_PER_HOUR - off;
        size_t hi = (k + 1) * MIN_PER_HOUR - off;
        if (hi > n) hi = n;
        size_t cnt = 0;
        double sum = 0.0;
        for (size_t i = lo; i < hi; i++) {
            if (isnan(x[i])) continue;
            cnt++;
            sum += rhythm_value(x[i], p);
        }
        bins[k] = cnt >= p->min_valid_per_hour ? sum / (double)cnt : NAN;
    }
}

/* Mean and population variance of the non-NaN bins; returns their count. */
static size_t bin_moments(const double *bins, size_t nbins, double *mean, double *var) {
    size_t m = 0;
    double sum = 0.0, ss = 0.0;
    for (size_t k = 0; k < nbins; k++)
        if (!isnan(bins[k])) m++, sum += bins[k];
    if (m == 0) return 0;
    *mean = sum / (double)m;
    for (size_t k = 0; k < nbins; k++)
        if (!isnan(bins[k])) ss += (bins[k] - *mean) * (bins[k] - *mean);
    *var = ss / (double)m;
    return m;
}

/* IS = [sum_h (Xbar_h - Xbar)^2 / p] / var, hour of day of bin k being
 * (first_hour + k) mod 24. */
static double interdaily_stability(const double *bins, size_t nbins, size_t first_hour,
                                   double mean, double var) {
    double sum[HOURS_PER_DAY] = {0};
    size_t cnt[HOURS_PER_DAY] = {0};
    for (size_t k = 0; k < nbins; k++) {
        if (isnan(bins[k])) continue;
        size_t h = (first_hour + k) % HOURS_PER_DAY;
        sum[h] += bins[k];
        cnt[h]++;
    }
    size_t p = 0;
    double ss = 0.0;
    for (size_t h = 0; h < HOURS_PER_DAY; h++) {
        if (cnt[h] == 0) continue;
        double d = sum[h] / (double)cnt[h] - mean;
        ss += d * d;
        p++;
    }
    return (ss / (double)p) / var;
}

/* Mean squared difference of adjacent valid bins into *msd; returns the
 * number of such pairs. */
static size_t successive_msd(const double *bins, size_t nbins, double *msd) {
    size_t pairs = 0;
    double ss = 0.0;
    for (size_t k = 1; k < nbins; k++) {
        if (isnan(bins[k]) || isnan(bins[k - 1])) continue;
        ss += (bins[k] - bins[k - 1]) * (bins[k] - bins[k - 1]);
        pairs++;
    }
    if (pairs) *msd = ss / (double)pairs;
    return pairs;
}

/* IS and IV from the hourly bins (see features.h). */
static enum pat_status hourly_features(struct pat_features *f, const float *x, size_t n,
                                       size_t start_min, const struct pat_features_params *p,
                                       struct pat_err *err) {
    size_t off = start_min % MIN_PER_HOUR, nbins;
    if (!pat_add_size(n, off + MIN_PER_HOUR - 1, &nbins))
        return pat_fail(err, PAT_ERR_USAGE, "features: series too long");
    nbins /= MIN_PER_HOUR;
    double *bins = pat_calloc(nbins, sizeof *bins);
    if (!bins) return pat_fail(err, PAT_ERR_NOMEM, "features: %zu hourly bins", nbins);
    hourly_bins(bins, nbins, x, n, start_min, p);
    double mean = 0.0, var = 0.0, msd = 0.0;
    size_t valid = bin_moments(bins, nbins, &mean, &var);
    size_t pairs = successive_msd(bins, nbins, &msd);
    enum pat_status st = PAT_OK;
    if (valid < 2 || pairs == 0) {
        st = pat_fail(err, PAT_ERR_USAGE,
                      "features: %zu complete hours and %zu adjacent pairs; IS and IV need "
                      "at least 2 and 1",
                      valid, pairs);
    } else if (variance_is_zero(var, mean)) {
        f->is = f->iv = 0.0;
    } else {
        f->is = interdaily_stability(bins, nbins, start_min / MIN_PER_HOUR, mean, var);
        f->iv = msd / var;
    }
    f->valid_hours = valid;
    free(bins);
    return st;
}

/* prof[t]: mean rhythm value at minute-of-day t; seen[t]: any valid sample. */
static void average_day(double *prof, unsigned char *seen, const float *x, size_t n,
                        size_t start_min, const struct pat_features_params *p) {
    size_t cnt[PAT_MINUTES_PER_DAY] = {0};
    for (size_t t = 0; t < PAT_MINUTES_PER_DAY; t++) prof[t] = 0.0;
    size_t t = start_min;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i])) {
            prof[t] += rhythm_value(x[i], p);
            cnt[t]++;
        }
        if (++t == PAT_MINUTES_PER_DAY) t = 0;
    }
    for (t = 0; t < PAT_MINUTES_PER_DAY; t++) {
        seen[t] = cnt[t] > 0;
        if (cnt[t]) prof[t] /= (double)cnt[t];
    }
}

/* Sum of the circular window [s, s + w) of prof; 0 when a minute in it was
 * never seen. */
static int window_sum(const double *prof, const unsigned char *seen, size_t s, size_t w,
                      double *sum) {
    double acc = 0.0;
    for (size_t k = 0; k < w; k++) {
        size_t t = (s + k) % PAT_MINUTES_PER_DAY;
        if (!seen[t]) return 0;
        acc += prof[t];
    }
    *sum = acc;
    return 1;
}

/* The least (lowest != 0) or most active w-minute window of the circular
 * profile: its mean into *value and its first start into *onset. Returns 0
 * when no window is fully observed. */
static int extreme_window(const double *prof, const unsigned char *seen, size_t w,
                          int lowest, double *value, size_t *onset) {
    int found = 0;
    double best = 0.0;
    for (size_t s = 0; s < PAT_MINUTES_PER_DAY; s++) {
        double sum;
        if (!window_sum(prof, seen, s, w, &sum)) continue;
        if (!found || (lowest ? sum < best : sum > best)) {
            best = sum;
            *onset = s;
            found = 1;
        }
    }
    if (found) *value = best / (double)w;
    return found;
}

/* L5, M10 and RA from the average day. */
static enum pat_status daily_features(struct pat_features *f, const float *x, size_t n,
                                      size_t start_min, const struct pat_features_params *p,
                                      struct pat_err *err) {
    double prof[PAT_MINUTES_PER_DAY];
    unsigned char seen[PAT_MINUTES_PER_DAY];
    average_day(prof, seen, x, n, start_min, p);
    size_t l5_on = 0, m10_on = 0;
    if (!extreme_window(prof, seen, L5_MINUTES, 1, &f->l5, &l5_on) ||
        !extreme_window(prof, seen, M10_MINUTES, 0, &f->m10, &m10_on))
        return pat_fail(err, PAT_ERR_USAGE,
                        "features: no 5-h or 10-h window of the average day is fully "
                        "observed (L5/M10 undefined)");
    f->l5_onset = (double)l5_on;
    f->m10_onset = (double)m10_on;
    double denom = f->m10 + f->l5;
    f->ra = denom != 0.0 ? (f->m10 - f->l5) / denom : 0.0;
    return PAT_OK;
}

enum pat_status pat_features_compute(struct pat_features *out, const float *x, size_t n,
                                     size_t start_min,
                                     const struct pat_features_params *params,
                                     struct pat_err *err) {
    if (!out) return pat_fail(err, PAT_ERR_USAGE, "features: out is NULL");
    memset(out, 0, sizeof *out);
    enum pat_status st = check_input(x, n, start_min, params, err);
    if (st != PAT_OK) return st;
    struct pat_features f = {0};
    f.valid_minutes = count_stats(x, n, &f);
    if (f.valid_minutes == 0)
        return pat_fail(err, PAT_ERR_NUMERIC, "features: no valid minute (all %zu NaN)", n);
    st = hourly_features(&f, x, n, start_min, params, err);
    if (st == PAT_OK) st = daily_features(&f, x, n, start_min, params, err);
    if (st == PAT_OK) *out = f;
    return st;
}
