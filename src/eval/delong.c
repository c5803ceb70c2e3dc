/* delong.c - DeLong's variance and paired test of two ROC-AUCs, and the
 * paired bootstrap interval of their difference (see delong.h). */
#include "eval/delong.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

#define MAX_REDRAWS 1000

struct ranked {
    double v;
    size_t i;
};

static int ranked_cmp(const void *pa, const void *pb) {
    const struct ranked *a = pa, *b = pb;
    if (a->v < b->v) return -1;
    if (a->v > b->v) return 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* rank[i] = 1-based midrank of v[i] among v[0..n); tmp has room for n. */
static void midranks(const double *v, size_t n, double *rank, struct ranked *tmp) {
    for (size_t i = 0; i < n; i++) tmp[i].v = v[i], tmp[i].i = i;
    qsort(tmp, n, sizeof *tmp, ranked_cmp);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && tmp[b].v == tmp[a].v) b++;
        const double mid = 0.5 * (double)(a + 1 + b); /* mean of ranks a+1..b */
        for (size_t c = a; c < b; c++) rank[tmp[c].i] = mid;
        a = b;
    }
}

/* Placement values of one scorer: v10[m] over positives, v01[k] over
 * negatives (delong.h). ws: 3n doubles + n ranked. */
static void placements(const float *score, const float *label, size_t n, size_t m, size_t k,
                       double *v10, double *v01, double *ws, struct ranked *tmp) {
    double *all = ws, *rall = ws + n, *part = ws + 2 * n;
    for (size_t i = 0; i < n; i++) all[i] = score[i];
    midranks(all, n, rall, tmp);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) { /* positives first, then negatives, in part[] */
        if (label[i] != 0.0f) part[a++] = all[i];
        else part[m + b++] = all[i];
    }
    double *rpos = all, *rneg = all + m; /* all[] is free again */
    midranks(part, m, rpos, tmp);
    midranks(part + m, k, rneg, tmp);
    a = b = 0;
    for (size_t i = 0; i < n; i++) {
        if (label[i] != 0.0f) {
            v10[a] = (rall[i] - rpos[a]) / (double)k;
            a++;
        } else {
            v01[b] = 1.0 - (rall[i] - rneg[b]) / (double)m;
            b++;
        }
    }
}

static double mean_of(const double *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    return s / (double)n;
}

/* Sample covariance (divisor n - 1) of x and y. */
static double cov_of(const double *x, const double *y, size_t n) {
    const double mx = mean_of(x, n), my = mean_of(y, n);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - mx) * (y[i] - my);
    return s / (double)(n - 1);
}

static enum pat_status check_args(const float *a, const float *b, const float *label, size_t n,
                                  size_t *m, const char *what, struct pat_err *err) {
    if (!a || !label || n == 0) return pat_fail(err, PAT_ERR_USAGE, "%s: no cases", what);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) || (b && isnan(b[i])))
            return pat_fail(err, PAT_ERR_USAGE, "%s: score %zu is NaN", what, i);
        pos += label[i] != 0.0f;
    }
    if (pos < 2 || n - pos < 2)
        return pat_fail(err, PAT_ERR_USAGE, "%s: %zu positives and %zu negatives (2 of each "
                        "needed)", what, pos, n - pos);
    *m = pos;
    return PAT_OK;
}

enum pat_status pat_delong(const float *score_a, const float *score_b, const float *label,
                           size_t n, struct pat_delong *out, struct pat_err *err) {
    size_t m = 0;
    enum pat_status st = check_args(score_a, score_b, label, n, &m, "DeLong", err);
    if (st != PAT_OK) return st;
    const size_t k = n - m, ns = score_b ? 2 : 1;
    double *v = pat_calloc(2 * n + 3 * n, sizeof *v);
    struct ranked *tmp = pat_calloc(n, sizeof *tmp);
    if (!v || !tmp) {
        free(v), free(tmp);
        return pat_fail(err, PAT_ERR_NOMEM, "DeLong: out of memory (n %zu)", n);
    }
    double *v10[2] = {v, v + m}, *v01[2] = {v + 2 * m, v + 2 * m + k}, *ws = v + 2 * n;
    const float *sc[2] = {score_a, score_b};
    for (size_t s = 0; s < ns; s++) placements(sc[s], label, n, m, k, v10[s], v01[s], ws, tmp);
    out->auc[1] = out->var[1] = out->cov = out->diff = out->se_diff = out->z = NAN;
    out->p_value = NAN;
    for (size_t s = 0; s < ns; s++) {
        out->auc[s] = mean_of(v10[s], m);
        out->var[s] = cov_of(v10[s], v10[s], m) / (double)m + cov_of(v01[s], v01[s], k) / (double)k;
    }
    if (score_b) {
        out->cov = cov_of(v10[0], v10[1], m) / (double)m + cov_of(v01[0], v01[1], k) / (double)k;
        out->diff = out->auc[0] - out->auc[1];
        const double var = out->var[0] + out->var[1] - 2.0 * out->cov;
        out->se_diff = var > 0 ? sqrt(var) : 0.0;
        if (out->se_diff > 0) out->z = out->diff / out->se_diff;
        else out->z = out->diff == 0 ? 0.0 : copysign(INFINITY, out->diff);
        out->p_value = erfc(fabs(out->z) / sqrt(2.0));
    }
    free(v), free(tmp);
    return PAT_OK;
}

/* ---- paired bootstrap ---- */

/* Mann-Whitney AUC of the cases in `order` (ascending score), case i
 * counted w[i] times. */
static double weighted_auc(const size_t *order, const float *score, const float *label,
                           const size_t *w, size_t n) {
    double num = 0, neg_below = 0, npos = 0;
    for (size_t a = 0; a < n;) {
        double pg = 0, ng = 0;
        size_t b = a;
        for (; b < n && score[order[b]] == score[order[a]]; b++) {
            const size_t i = order[b];
            if (label[i] != 0.0f) pg += (double)w[i];
            else ng += (double)w[i];
        }
        num += pg * (neg_below + 0.5 * ng);
        neg_below += ng, npos += pg;
        a = b;
    }
    return num / (npos * neg_below);
}

static void sort_order(const float *score, size_t n, size_t *order, struct ranked *tmp) {
    for (size_t i = 0; i < n; i++) tmp[i].v = score[i], tmp[i].i = i;
    qsort(tmp, n, sizeof *tmp, ranked_cmp);
    for (size_t i = 0; i < n; i++) order[i] = tmp[i].i;
}

static int dbl_cmp(const void *pa, const void *pb) {
    const double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* numpy.quantile's default (linear) on sorted v[n]. */
static double quantile(const double *v, size_t n, double q) {
    const double h = q * (double)(n - 1);
    const size_t lo = (size_t)floor(h);
    const size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

/* One resample's counts w[n]; 0 when MAX_REDRAWS draws all missed a class. */
static int draw(size_t *w, const float *label, size_t n, struct pat_rng *rng) {
    for (int t = 0; t < MAX_REDRAWS; t++) {
        memset(w, 0, n * sizeof *w);
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            const size_t j = (size_t)(pat_rng_u64(rng) % n);
            w[j]++;
            pos += label[j] != 0.0f;
        }
        if (pos > 0 && pos < n) return 1;
    }
    return 0;
}

enum pat_status pat_auc_diff_bootstrap_ci(const float *score_a, const float *score_b,
                                          const float *label, size_t n, size_t reps,
                                          uint64_t seed, double level, double *lo, double *hi,
                                          struct pat_err *err) {
    if (!lo || !hi) return pat_fail(err, PAT_ERR_USAGE, "AUC difference bootstrap: no output");
    *lo = *hi = NAN;
    size_t m = 0;
    if (!score_b) return pat_fail(err, PAT_ERR_USAGE, "AUC difference bootstrap: no second score");
    enum pat_status st = check_args(score_a, score_b, label, n, &m, "AUC difference bootstrap", err);
    if (st != PAT_OK) return st;
    if (reps == 0 || !(level > 0 && level < 1))
        return pat_fail(err, PAT_ERR_USAGE, "AUC difference bootstrap: reps %zu, level %g",
                        reps, level);
    size_t *order = pat_calloc(2 * n, sizeof *order), *w = pat_calloc(n, sizeof *w);
    struct ranked *tmp = pat_calloc(n, sizeof *tmp);
    double *d = pat_calloc(reps, sizeof *d);
    if (!order || !w || !tmp || !d) {
        st = pat_fail(err, PAT_ERR_NOMEM, "AUC difference bootstrap: out of memory");
        goto done;
    }
    sort_order(score_a, n, order, tmp);
    sort_order(score_b, n, order + n, tmp);
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t r = 0; r < reps; r++) {
        if (!draw(w, label, n, &rng)) {
            st = pat_fail(err, PAT_ERR_NUMERIC, "AUC difference bootstrap: %d resamples in a "
                          "row missed a class (n %zu)", MAX_REDRAWS, n);
            goto done;
        }
        d[r] = weighted_auc(order, score_a, label, w, n) -
               weighted_auc(order + n, score_b, label, w, n);
    }
    qsort(d, reps, sizeof *d, dbl_cmp);
    *lo = quantile(d, reps, (1.0 - level) / 2.0);
    *hi = quantile(d, reps, (1.0 + level) / 2.0);
done:
    free(order), free(w), free(tmp), free(d);
    return st;
}
