/* metrics.c - binary-classification metrics (see metrics.h for the contract).
 *
 * The rank-based metrics sort the cases once by (score, label, index). With
 * that key, cases that compare equal are interchangeable, so every result,
 * the bootstrap included, is independent of the input order. Counts are
 * accumulated as integers (or integer-valued doubles, exact below 2^53), so
 * the AUC numerator is exact for n up to about 1e8.
 */
#include "eval/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"
#include "util.h"

/* One case in sorted order. */
struct item {
    float s;           /* score */
    unsigned char pos; /* label != 0 */
    size_t i;          /* input position: a total order for qsort */
};

/* Most consecutive bootstrap resamples allowed to miss a class. */
#define PAT_BOOT_MAX_REDRAWS 1000

/* Keras default num_thresholds - 1 (pat-spec §4.4). */
#define PAT_KERAS_STEPS 199

static int is_pos(float label) { return label != 0.0f; }

static int any_nan(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i])) return 1;
    return 0;
}

/* Ascending score, then negatives before positives, then input position. */
static int item_cmp(const void *pa, const void *pb) {
    const struct item *a = pa, *b = pb;
    if (a->s < b->s) return -1;
    if (a->s > b->s) return 1;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* The cases sorted by item_cmp (caller must free()); NULL if n == 0 or
 * allocation fails. Scores must not be NaN. */
static struct item *sorted_items(const float *score, const float *label, size_t n) {
    struct item *it = n ? pat_calloc(n, sizeof *it) : NULL;
    if (!it) return NULL;
    for (size_t k = 0; k < n; k++) {
        it[k].s = score[k];
        it[k].pos = (unsigned char)is_pos(label[k]);
        it[k].i = k;
    }
    qsort(it, n, sizeof *it, item_cmp);
    return it;
}

/* Mann-Whitney AUC of items sorted ascending, case k counted w[k] times
 * (w NULL: once). Each tie group adds pos_g * (neg_below + neg_g / 2), a sum
 * of half-integers; the single division at the end is correctly rounded. */
static double auc_sorted(const struct item *it, const size_t *w, size_t n) {
    double num = 0, neg_below = 0, npos = 0;
    size_t k = 0;
    while (k < n) {
        double pg = 0, ng = 0;
        size_t e = k;
        for (; e < n && it[e].s == it[k].s; e++) {
            double m = w ? (double)w[e] : 1.0;
            if (it[e].pos) pg += m;
            else ng += m;
        }
        num += pg * (neg_below + 0.5 * ng);
        neg_below += ng;
        npos += pg;
        k = e;
    }
    if (npos == 0 || neg_below == 0) return NAN;
    return num / (npos * neg_below);
}

double pat_roc_auc(const float *score, const float *label, size_t n) {
    if (n == 0 || any_nan(score, n)) return NAN;
    struct item *it = sorted_items(score, label, n);
    if (!it) return NAN;
    double auc = auc_sorted(it, NULL, n);
    free(it);
    return auc;
}

/* Keras bucket of a prediction: positive at threshold i ⇔ bucket >= i.
 * The product is rounded to float32 (C11 assignment drops any excess
 * precision), as TensorFlow computes y_pred * (num_thresholds - 1). */
static size_t keras_bucket(float p) {
    if (p < 0.0f) p = 0.0f;
    if (p > 1.0f) p = 1.0f;
    float x = p * (float)PAT_KERAS_STEPS;
    float b = ceilf(x) - 1.0f;
    return b < 0.0f ? 0 : (size_t)b; /* 0 .. 198 */
}

/* Trapezoid of pat-spec §4.4 from per-bucket counts (bucket 199 is empty:
 * no clipped score exceeds 1 + 1e-7). Rates are 0 when a class is absent. */
static double keras_trapezoid(const size_t *pos_b, const size_t *neg_b, size_t npos,
                              size_t nneg) {
    double tpr[PAT_KERAS_STEPS + 1], fpr[PAT_KERAS_STEPS + 1];
    size_t tp = 0, fp = 0;
    for (size_t i = PAT_KERAS_STEPS + 1; i-- > 0;) {
        tp += pos_b[i];
        fp += neg_b[i];
        tpr[i] = npos ? (double)tp / (double)npos : 0.0;
        fpr[i] = nneg ? (double)fp / (double)nneg : 0.0;
    }
    double auc = 0;
    for (size_t i = 0; i < PAT_KERAS_STEPS; i++)
        auc += (fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2.0;
    return auc;
}

double pat_keras_auc(const float *score, const float *label, size_t n) {
    if (any_nan(score, n)) return NAN;
    size_t pos_b[PAT_KERAS_STEPS + 1] = {0}, neg_b[PAT_KERAS_STEPS + 1] = {0};
    size_t npos = 0;
    for (size_t k = 0; k < n; k++) {
        size_t b = keras_bucket(score[k]);
        if (is_pos(label[k])) {
            pos_b[b]++;
            npos++;
        } else {
            neg_b[b]++;
        }
    }
    return keras_trapezoid(pos_b, neg_b, npos, n - npos);
}

double pat_average_precision(const float *score, const float *label, size_t n) {
    if (n == 0 || any_nan(score, n)) return NAN;
    struct item *it = sorted_items(score, label, n);
    if (!it) return NAN;
    size_t npos = 0;
    for (size_t k = 0; k < n; k++) npos += it[k].pos;
    double ap = NAN;
    if (npos > 0) {
        /* walk tie groups from the highest score down */
        size_t tp = 0, fp = 0, k = n;
        double recall_prev = 0;
        ap = 0;
        while (k > 0) {
            size_t e = k;
            for (; e > 0 && it[e - 1].s == it[k - 1].s; e--) {
                if (it[e - 1].pos) tp++;
                else fp++;
            }
            double recall = (double)tp / (double)npos;
            ap += (recall - recall_prev) * ((double)tp / (double)(tp + fp));
            recall_prev = recall;
            k = e;
        }
    }
    free(it);
    return ap;
}

size_t pat_roc_curve(double *fpr, double *tpr, const float *score, const float *label,
                     size_t n) {
    if (n == 0 || any_nan(score, n)) return 0;
    struct item *it = sorted_items(score, label, n);
    if (!it) return 0;
    size_t npos = 0, tp = 0, fp = 0, m = 1, k = n;
    for (size_t j = 0; j < n; j++) npos += it[j].pos;
    fpr[0] = tpr[0] = 0.0;
    while (k > 0 && npos > 0 && npos < n) {
        size_t e = k;
        for (; e > 0 && it[e - 1].s == it[k - 1].s; e--) {
            if (it[e - 1].pos) tp++;
            else fp++;
        }
        fpr[m] = (double)fp / (double)(n - npos);
        tpr[m] = (double)tp / (double)npos;
        m++;
        k = e;
    }
    free(it);
    return npos > 0 && npos < n ? m : 0;
}

/* a / b, or 0 when b == 0 (sklearn zero_division=0). */
static double ratio(double a, double b) { return b != 0 ? a / b : 0.0; }

void pat_binary_metrics_at(const float *score, const float *label, size_t n,
                           double threshold, struct pat_binary_metrics *out) {
    struct pat_binary_metrics m = {0};
    for (size_t k = 0; k < n; k++) {
        int pred = (double)score[k] >= threshold;
        if (is_pos(label[k])) {
            if (pred) m.tp++;
            else m.fn++;
        } else {
            if (pred) m.fp++;
            else m.tn++;
        }
    }
    double tp = (double)m.tp, fp = (double)m.fp, tn = (double)m.tn, fn = (double)m.fn;
    m.accuracy = ratio(tp + tn, (double)n);
    m.sensitivity = ratio(tp, tp + fn);
    m.specificity = ratio(tn, tn + fp);
    m.precision = ratio(tp, tp + fp);
    m.f1 = ratio(2 * tp, 2 * tp + fp + fn);
    m.balanced_accuracy = (m.sensitivity + m.specificity) / 2;
    double marg = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
    m.mcc = marg > 0 ? (tp * tn - fp * fn) / sqrt(marg) : 0.0;
    *out = m;
}

/* Uniform integer in [0, n), n > 0, without modulo bias (rejects the
 * 2^64 mod n lowest outputs). */
static size_t rng_below(struct pat_rng *r, size_t n) {
    uint64_t m = (uint64_t)n, reject = (0 - m) % m, x;
    do x = pat_rng_u64(r);
    while (x < reject);
    return (size_t)(x % m);
}

/* Draw one resample into w (multiplicities over the sorted items) holding
 * both classes. Returns 0 after PAT_BOOT_MAX_REDRAWS failed draws. */
static int draw_resample(size_t *w, const struct item *it, size_t n, struct pat_rng *r) {
    for (int attempt = 0; attempt < PAT_BOOT_MAX_REDRAWS; attempt++) {
        size_t npos = 0;
        for (size_t k = 0; k < n; k++) w[k] = 0;
        for (size_t k = 0; k < n; k++) {
            size_t j = rng_below(r, n);
            w[j]++;
            npos += it[j].pos;
        }
        if (npos > 0 && npos < n) return 1;
    }
    return 0;
}

static int double_cmp(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* q-quantile of sorted a[m] with linear interpolation (numpy 'linear'). */
static double quantile_sorted(const double *a, size_t m, double q) {
    double h = (double)(m - 1) * q;
    size_t j = (size_t)floor(h);
    if (j + 1 >= m) return a[m - 1];
    return a[j] + (h - (double)j) * (a[j + 1] - a[j]);
}

/* Validate the arguments of pat_auc_bootstrap_ci. */
static enum pat_status check_ci_args(const float *score, const float *label, size_t n,
                                     size_t reps, double level, struct pat_err *err) {
    if (n == 0 || !score || !label)
        return pat_fail(err, PAT_ERR_USAGE, "AUC bootstrap: no cases");
    if (reps == 0)
        return pat_fail(err, PAT_ERR_USAGE, "AUC bootstrap: reps must be at least 1");
    if (!(level > 0.0 && level < 1.0))
        return pat_fail(err, PAT_ERR_USAGE, "AUC bootstrap: level %g is not in (0, 1)", level);
    if (any_nan(score, n))
        return pat_fail(err, PAT_ERR_USAGE, "AUC bootstrap: a score is NaN");
    size_t npos = 0;
    for (size_t k = 0; k < n; k++) npos += (size_t)is_pos(label[k]);
    if (npos == 0 || npos == n)
        return pat_fail(err, PAT_ERR_USAGE, "AUC bootstrap: all %zu cases are %s", n,
                        npos ? "positive" : "negative");
    return PAT_OK;
}

enum pat_status pat_auc_bootstrap_ci(const float *score, const float *label, size_t n,
                                     size_t reps, uint64_t seed, double level, double *lo,
                                     double *hi, struct pat_err *err) {
    if (!lo || !hi) return pat_fail(err, PAT_ERR_USAGE, "AUC bootstrap: no output given");
    *lo = *hi = NAN;
    enum pat_status st = check_ci_args(score, label, n, reps, level, err);
    if (st != PAT_OK) return st;
    struct item *it = sorted_items(score, label, n);
    size_t *w = pat_calloc(n, sizeof *w);
    double *auc = pat_calloc(reps, sizeof *auc);
    if (!it || !w || !auc) {
        st = pat_fail(err, PAT_ERR_NOMEM, "AUC bootstrap: out of memory (n %zu, reps %zu)",
                      n, reps);
        goto done;
    }
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t r = 0; r < reps; r++) {
        if (!draw_resample(w, it, n, &rng)) {
            st = pat_fail(err, PAT_ERR_NUMERIC,
                          "AUC bootstrap: %d resamples in a row missed a class (n %zu)",
                          PAT_BOOT_MAX_REDRAWS, n);
            goto done;
        }
        auc[r] = auc_sorted(it, w, n);
    }
    qsort(auc, reps, sizeof *auc, double_cmp);
    *lo = quantile_sorted(auc, reps, (1.0 - level) / 2.0);
    *hi = quantile_sorted(auc, reps, (1.0 + level) / 2.0);
done:
    free(it);
    free(w);
    free(auc);
    return st;
}
