/* test_metrics.c - metrics.c against sklearn/numpy fixtures
 * (tests/fixtures/metrics, tools/reference/make_metric_fixtures.py),
 * hand-computed cases, order invariance and the bootstrap interval.
 *
 * Tolerances: 1e-12 against values computed in float64 from the same
 * float32 inputs (observed max |diff| over the 9 cases: roc_auc 1.1e-16,
 * average_precision 3.3e-16, keras_auc 0, f1 1.1e-16, other ratios 0:
 * rounding and summation order only). Against keras_auc_f32 (Keras's
 * float32 rates and sum) 1e-6 (observed 3.6e-7).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eval/metrics.h"
#include "rng.h"

#define NCASES 9
#define TOL 1e-12

/* A numeric CSV with one header line: names[cols] and v[rows * cols]. */
struct table {
    char names[32][32];
    size_t rows, cols;
    double *v;
};

/* Split the header line into t->names; returns the text after it. */
static char *parse_header(struct table *t, char *text) {
    char *end = strchr(text, '\n');
    if (!end) return NULL;
    *end = '\0';
    t->cols = 0;
    for (char *tok = strtok(text, ",\r"); tok && t->cols < 32; tok = strtok(NULL, ",\r"))
        snprintf(t->names[t->cols++], sizeof t->names[0], "%s", tok);
    return end + 1;
}

/* Read path into *t; returns 1 on success. */
static int read_table(const char *path, struct table *t) {
    size_t len, cap = 0;
    char *text = (char *)check_read_file(path, &len);
    char *p = text ? parse_header(t, text) : NULL;
    t->v = NULL;
    t->rows = 0;
    size_t n = 0;
    while (p && *p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p) break;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            double *g = realloc(t->v, cap * sizeof *g);
            if (!g) break;
            t->v = g;
        }
        t->v[n++] = x;
        p = end + strspn(end, ",\r\n");
    }
    free(text);
    if (!t->v || t->cols == 0 || n % t->cols != 0) return 0;
    t->rows = n / t->cols;
    return 1;
}

static size_t col(const struct table *t, const char *name) {
    for (size_t j = 0; j < t->cols; j++)
        if (strcmp(t->names[j], name) == 0) return j;
    return (size_t)-1;
}

/* Value of column `name` in row r; NAN when the column is missing. */
static double cell(const struct table *t, size_t r, const char *name) {
    size_t j = col(t, name);
    return j < t->cols && r < t->rows ? t->v[r * t->cols + j] : NAN;
}

/* One fixture case: score[n], label[n] (malloc'd). */
struct fcase {
    size_t n;
    float *score, *label;
};

static void fcase_free(struct fcase *f) {
    free(f->score);
    free(f->label);
}

static int load_case(size_t k, struct fcase *f) {
    char path[512];
    struct table t;
    snprintf(path, sizeof path, "%s/metrics/case_%zu.csv", check_fixture_dir(), k);
    if (!read_table(path, &t) || t.cols != 2) return 0;
    f->n = t.rows;
    f->score = malloc(t.rows * sizeof *f->score);
    f->label = malloc(t.rows * sizeof *f->label);
    for (size_t i = 0; i < t.rows; i++) {
        f->score[i] = (float)t.v[2 * i]; /* %.9g: exact float32 round trip */
        f->label[i] = (float)t.v[2 * i + 1];
    }
    free(t.v);
    return 1;
}

/* Load expected.csv and all cases; skip the test when fixtures are absent. */
static int load_all(struct check_ctx *c, struct table *exp, struct fcase *cs) {
    char path[512];
    snprintf(path, sizeof path, "%s/metrics/expected.csv", check_fixture_dir());
    if (!read_table(path, exp)) {
        check_skip(c, "fixture %s not found (run make fixtures)", path);
        return 0;
    }
    CHECK(c, exp->rows == NCASES);
    for (size_t k = 0; k < NCASES; k++) {
        if (!load_case(k, &cs[k])) {
            check_fail(c, "cannot read metrics/case_%zu.csv", k);
            for (size_t j = 0; j < k; j++) fcase_free(&cs[j]);
            free(exp->v);
            return 0;
        }
        CHECK(c, (double)cs[k].n == cell(exp, k, "n"));
    }
    return 1;
}

static void free_all(struct table *exp, struct fcase *cs) {
    for (size_t k = 0; k < NCASES; k++) fcase_free(&cs[k]);
    free(exp->v);
}

static void test_fixture_roc_auc_ap(struct check_ctx *c) {
    struct table exp;
    struct fcase cs[NCASES];
    if (!load_all(c, &exp, cs)) return;
    for (size_t k = 0; k < NCASES; k++) {
        const struct fcase *f = &cs[k];
        CHECK_CLOSE(c, pat_roc_auc(f->score, f->label, f->n), cell(&exp, k, "roc_auc"), TOL);
        CHECK_CLOSE(c, pat_average_precision(f->score, f->label, f->n),
                    cell(&exp, k, "average_precision"), TOL);
    }
    free_all(&exp, cs);
}

static void test_fixture_keras_auc(struct check_ctx *c) {
    struct table exp;
    struct fcase cs[NCASES];
    if (!load_all(c, &exp, cs)) return;
    for (size_t k = 0; k < NCASES; k++) {
        double got = pat_keras_auc(cs[k].score, cs[k].label, cs[k].n);
        CHECK_CLOSE(c, got, cell(&exp, k, "keras_auc"), TOL);
        CHECK_CLOSE(c, got, cell(&exp, k, "keras_auc_f32"), 1e-6);
    }
    /* case 6 (scores on the thresholds) tells the bucket rule from "p > τ" */
    double got6 = pat_keras_auc(cs[6].score, cs[6].label, cs[6].n);
    CHECK(c, fabs(got6 - cell(&exp, 6, "keras_auc_gt")) > 1e-6);
    free_all(&exp, cs);
}

static void test_fixture_binary_metrics(struct check_ctx *c) {
    struct table exp;
    struct fcase cs[NCASES];
    if (!load_all(c, &exp, cs)) return;
    for (size_t k = 0; k < NCASES; k++) {
        struct pat_binary_metrics m;
        pat_binary_metrics_at(cs[k].score, cs[k].label, cs[k].n, 0.5, &m);
        CHECK(c, (double)m.tp == cell(&exp, k, "tp") && (double)m.fp == cell(&exp, k, "fp"));
        CHECK(c, (double)m.tn == cell(&exp, k, "tn") && (double)m.fn == cell(&exp, k, "fn"));
        CHECK_CLOSE(c, m.accuracy, cell(&exp, k, "accuracy"), TOL);
        CHECK_CLOSE(c, m.sensitivity, cell(&exp, k, "sensitivity"), TOL);
        CHECK_CLOSE(c, m.specificity, cell(&exp, k, "specificity"), TOL);
        CHECK_CLOSE(c, m.precision, cell(&exp, k, "precision"), TOL);
        CHECK_CLOSE(c, m.f1, cell(&exp, k, "f1"), TOL);
        CHECK_CLOSE(c, m.mcc, cell(&exp, k, "mcc"), TOL);
        CHECK_CLOSE(c, m.balanced_accuracy, cell(&exp, k, "balanced_accuracy"), TOL);
    }
    free_all(&exp, cs);
}

static void test_roc_auc_hand(struct check_ctx *c) {
    const float s[4] = {0.1f, 0.4f, 0.35f, 0.8f}, y[4] = {0, 0, 1, 1};
    CHECK_CLOSE(c, pat_roc_auc(s, y, 4), 0.75, 0); /* 3 of 4 pairs ordered */
    const float yi[4] = {1, 1, 0, 0};
    CHECK_CLOSE(c, pat_roc_auc(s, yi, 4), 0.25, 0);
    const float t[2] = {0.5f, 0.5f}, yt[2] = {0, 1};
    CHECK_CLOSE(c, pat_roc_auc(t, yt, 2), 0.5, 0); /* a tie counts one half */
    /* logits and infinities rank like probabilities */
    const float l[5] = {-INFINITY, -3, 0, 7, INFINITY}, yl[5] = {0, 1, 0, 1, 1};
    CHECK_CLOSE(c, pat_roc_auc(l, yl, 5), 5.0 / 6.0, 1e-15);
    /* ties across classes: 3 x 2 pairs; 0.9 > 0.2 once, two ties -> 2/6 */
    const float u[5] = {0.2f, 0.2f, 0.9f, 0.9f, 0.1f}, yu[5] = {1, 0, 1, 0, 1};
    CHECK_CLOSE(c, pat_roc_auc(u, yu, 5), (1 + 0.5 + 0.5) / 6.0, 1e-15);
}

/* Trapezoid area under the curve's points. */
static double trapezoid(const double *x, const double *y, size_t m) {
    double a = 0;
    for (size_t i = 1; i < m; i++) a += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
    return a;
}

static void test_roc_curve(struct check_ctx *c) {
    const float s[5] = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f}, y[5] = {0, 0, 1, 1, 1};
    double fpr[6], tpr[6];
    /* (0,0); 0.8 -> (0, 1/3); 0.4 x2 (tie) -> (1/2, 2/3); 0.35 -> (1/2, 1); 0.1 -> (1, 1) */
    const double wf[5] = {0, 0, 0.5, 0.5, 1}, wt[5] = {0, 1.0 / 3, 2.0 / 3, 1, 1};
    size_t m = pat_roc_curve(fpr, tpr, s, y, 5);
    CHECK(c, m == 5);
    for (size_t i = 0; i < 5 && i < m; i++) {
        CHECK_CLOSE(c, fpr[i], wf[i], 1e-15);
        CHECK_CLOSE(c, tpr[i], wt[i], 1e-15);
    }
    CHECK_CLOSE(c, trapezoid(fpr, tpr, m), pat_roc_auc(s, y, 5), 1e-15);
    const float y1[5] = {1, 1, 1, 1, 1};
    CHECK(c, pat_roc_curve(fpr, tpr, s, y1, 5) == 0 && pat_roc_curve(fpr, tpr, s, y, 0) == 0);
    /* on n = 1000 the curve's area is the exact AUC */
    enum { N = 1000 };
    float *ss = malloc(N * sizeof *ss), *yy = malloc(N * sizeof *yy);
    double *fx = malloc((N + 1) * sizeof *fx), *fy = malloc((N + 1) * sizeof *fy);
    struct pat_rng r;
    pat_rng_seed(&r, 77);
    for (size_t i = 0; i < N; i++) {
        yy[i] = pat_rng_uniform(&r) < 0.4f;
        ss[i] = (float)(int)(10 * pat_rng_uniform(&r) + 2 * yy[i]) / 10; /* many ties */
    }
    m = pat_roc_curve(fx, fy, ss, yy, N);
    CHECK(c, m > 2 && m <= N + 1 && fx[m - 1] == 1 && fy[m - 1] == 1);
    CHECK_CLOSE(c, trapezoid(fx, fy, m), pat_roc_auc(ss, yy, N), 1e-12);
    free(ss);
    free(yy);
    free(fx);
    free(fy);
}

static void test_average_precision_hand(struct check_ctx *c) {
    const float s[4] = {0.1f, 0.4f, 0.35f, 0.8f}, y[4] = {0, 0, 1, 1};
    /* from the top: 0.8 (P 1, R 1/2), 0.4 (P 1/2), 0.35 (P 2/3, R 1) */
    CHECK_CLOSE(c, pat_average_precision(s, y, 4), 0.5 * 1 + 0.5 * 2.0 / 3.0, 1e-15);
    const float t[3] = {0.5f, 0.5f, 0.5f}, yt[3] = {1, 0, 0};
    CHECK_CLOSE(c, pat_average_precision(t, yt, 3), 1.0 / 3.0, 1e-15); /* one tie group */
    const float yp[3] = {1, 1, 1};
    CHECK_CLOSE(c, pat_average_precision(t, yp, 3), 1.0, 0);
}

/* Keras counts a tie group per bucket and decides thresholds in float32. */
static void test_keras_auc_hand(struct check_ctx *c) {
    const float s[2] = {0.2f, 0.8f}, y[2] = {0, 1};
    CHECK_CLOSE(c, pat_keras_auc(s, y, 2), 1.0, 0);
    const float t[2] = {0.5f, 0.5f};
    CHECK_CLOSE(c, pat_keras_auc(t, y, 2), 0.5, 0);
    /* 0.3 and 0.301 share the bucket (59/199, 60/199]: Keras sees a tie */
    const float b[2] = {0.3f, 0.301f};
    CHECK_CLOSE(c, pat_keras_auc(b, y, 2), 0.5, 0);
    CHECK_CLOSE(c, pat_roc_auc(b, y, 2), 1.0, 0);
    /* float32(31/199) is not > the float32 threshold 31/199, but Keras's
     * float32(p * 199) exceeds 31, putting it above 0.153 (bucket 30) */
    const float k[2] = {0.153f, (float)(31.0 / 199.0)};
    CHECK_CLOSE(c, pat_keras_auc(k, y, 2), 1.0, 0);
    /* out-of-range scores are clipped to [0, 1] */
    const float o[2] = {-5.0f, 7.0f};
    CHECK_CLOSE(c, pat_keras_auc(o, y, 2), 1.0, 0);
}

static void test_degenerate_inputs(struct check_ctx *c) {
    const float s[3] = {0.1f, 0.5f, 0.9f}, neg[3] = {0, 0, 0}, pos[3] = {1, 1, 1};
    CHECK(c, isnan(pat_roc_auc(s, neg, 3)));
    CHECK(c, isnan(pat_roc_auc(s, pos, 3)));
    CHECK(c, isnan(pat_roc_auc(s, neg, 0)));
    CHECK(c, isnan(pat_average_precision(s, neg, 3)));
    CHECK_CLOSE(c, pat_average_precision(s, pos, 3), 1.0, 0);
    CHECK_CLOSE(c, pat_keras_auc(s, neg, 3), 0.0, 0); /* Keras: rates 0 */
    CHECK_CLOSE(c, pat_keras_auc(s, pos, 3), 0.0, 0);
    CHECK_CLOSE(c, pat_keras_auc(s, pos, 0), 0.0, 0);
    const float nan_s[3] = {0.1f, NAN, 0.9f}, y[3] = {0, 1, 1};
    CHECK(c, isnan(pat_roc_auc(nan_s, y, 3)));
    CHECK(c, isnan(pat_average_precision(nan_s, y, 3)));
    CHECK(c, isnan(pat_keras_auc(nan_s, y, 3)));
}

static void test_binary_metrics_hand(struct check_ctx *c) {
    const float s[4] = {0.1f, 0.5f, 0.35f, 0.8f}, y[4] = {0, 0, 1, 1};
    struct pat_binary_metrics m;
    pat_binary_metrics_at(s, y, 4, 0.5, &m); /* 0.5 >= 0.5: positive */
    CHECK(c, m.tp == 1 && m.fp == 1 && m.tn == 1 && m.fn == 1);
    CHECK_CLOSE(c, m.accuracy, 0.5, 0);
    CHECK_CLOSE(c, m.f1, 0.5, 0);
    CHECK_CLOSE(c, m.mcc, 0.0, 0);
    pat_binary_metrics_at(s, y, 4, 0.3, &m); /* tp 2, fp 1, tn 1 */
    CHECK_CLOSE(c, m.precision, 2.0 / 3.0, 1e-15);
    CHECK_CLOSE(c, m.specificity, 0.5, 0);
    CHECK_CLOSE(c, m.balanced_accuracy, 0.75, 0);
    CHECK_CLOSE(c, m.mcc, (2.0 * 1 - 1 * 0) / sqrt(3.0 * 2 * 2 * 1), 1e-15);
    pat_binary_metrics_at(s, y, 4, 2.0, &m); /* nothing predicted positive */
    CHECK(c, m.tp == 0 && m.fp == 0 && m.tn == 2 && m.fn == 2);
    CHECK(c, m.precision == 0 && m.f1 == 0 && m.mcc == 0 && m.sensitivity == 0);
    CHECK_CLOSE(c, m.specificity, 1.0, 0);
    pat_binary_metrics_at(s, y, 0, 0.5, &m);
    CHECK(c, m.tp + m.fp + m.tn + m.fn == 0 && m.accuracy == 0 && m.mcc == 0);
}

/* Fisher-Yates shuffle of the pairs (s, y) with a seeded pat_rng. */
static void shuffle_pairs(float *s, float *y, size_t n, uint64_t seed) {
    struct pat_rng r;
    pat_rng_seed(&r, seed);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(pat_rng_u64(&r) % i);
        float ts = s[i - 1], ty = y[i - 1];
        s[i - 1] = s[j], y[i - 1] = y[j];
        s[j] = ts, y[j] = ty;
    }
}

static void check_same_metrics(struct check_ctx *c, const struct fcase *a,
                               const float *s, const float *y) {
    size_t n = a->n;
    CHECK(c, pat_roc_auc(a->score, a->label, n) == pat_roc_auc(s, y, n));
    CHECK(c, pat_keras_auc(a->score, a->label, n) == pat_keras_auc(s, y, n));
    CHECK(c, pat_average_precision(a->score, a->label, n) == pat_average_precision(s, y, n));
    struct pat_binary_metrics m1, m2;
    pat_binary_metrics_at(a->score, a->label, n, 0.5, &m1);
    pat_binary_metrics_at(s, y, n, 0.5, &m2);
    CHECK(c, memcmp(&m1, &m2, sizeof m1) == 0);
    double lo1, hi1, lo2, hi2;
    CHECK_STATUS(c, pat_auc_bootstrap_ci(a->score, a->label, n, 50, 9, 0.9, &lo1, &hi1, NULL),
                 PAT_OK);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, n, 50, 9, 0.9, &lo2, &hi2, NULL), PAT_OK);
    CHECK(c, lo1 == lo2 && hi1 == hi2);
}

/* Results are bit-identical after shuffling the cases (bootstrap included). */
static void test_order_invariance(struct check_ctx *c) {
    struct table exp;
    struct fcase cs[NCASES];
    if (!load_all(c, &exp, cs)) return;
    const size_t which[] = {0, 3, 4, 6};
    for (size_t w = 0; w < sizeof which / sizeof which[0]; w++) {
        const struct fcase *f = &cs[which[w]];
        float *s = malloc(f->n * sizeof *s), *y = malloc(f->n * sizeof *y);
        memcpy(s, f->score, f->n * sizeof *s);
        memcpy(y, f->label, f->n * sizeof *y);
        shuffle_pairs(s, y, f->n, 1000 + w);
        check_same_metrics(c, f, s, y);
        free(s);
        free(y);
    }
    free_all(&exp, cs);
}

/* n cases: label Bernoulli(0.3), score = normal + shift * label. */
static void synth(float *s, float *y, size_t n, uint64_t seed, float shift) {
    struct pat_rng r;
    pat_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        y[i] = pat_rng_uniform(&r) < 0.3f ? 1.0f : 0.0f;
        s[i] = pat_rng_normal(&r) + shift * y[i];
    }
}

static void test_bootstrap_ci(struct check_ctx *c) {
    enum { N = 300 };
    float s[N], y[N];
    synth(s, y, N, 5, 1.0f);
    double auc = pat_roc_auc(s, y, N), lo, hi, lo2, hi2, lo3, hi3;
    struct pat_err err;
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, N, 1000, 42, 0.95, &lo, &hi, &err), PAT_OK);
    CHECK(c, lo < auc && auc < hi);
    CHECK(c, hi - lo > 0.02 && hi - lo < 0.3);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, N, 1000, 42, 0.95, &lo2, &hi2, &err), PAT_OK);
    CHECK(c, lo == lo2 && hi == hi2); /* same seed, same interval */
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, N, 1000, 43, 0.95, &lo3, &hi3, &err), PAT_OK);
    CHECK(c, lo != lo3 || hi != hi3);
    CHECK(c, fabs(lo3 - lo) < 0.03 && fabs(hi3 - hi) < 0.03);
    /* a lower level gives a nested, narrower interval */
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, N, 1000, 42, 0.5, &lo2, &hi2, &err), PAT_OK);
    CHECK(c, lo < lo2 && lo2 < auc && auc < hi2 && hi2 < hi);
    /* n = 2 needs redraws (half the resamples miss a class); AUC is always 1 */
    const float t[2] = {0.1f, 0.9f}, yt[2] = {0, 1};
    CHECK_STATUS(c, pat_auc_bootstrap_ci(t, yt, 2, 200, 1, 0.9, &lo, &hi, &err), PAT_OK);
    CHECK(c, lo == 1.0 && hi == 1.0);
}

/* The interval narrows about as 1/sqrt(n). */
static void test_bootstrap_narrows(struct check_ctx *c) {
    enum { NS = 200, NL = 5000 };
    float *s = malloc(NL * sizeof *s), *y = malloc(NL * sizeof *y);
    double lo_s, hi_s, lo_l, hi_l;
    synth(s, y, NS, 11, 0.8f);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, NS, 400, 3, 0.95, &lo_s, &hi_s, NULL), PAT_OK);
    synth(s, y, NL, 12, 0.8f);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, NL, 400, 3, 0.95, &lo_l, &hi_l, NULL), PAT_OK);
    double ws = hi_s - lo_s, wl = hi_l - lo_l; /* expected ratio sqrt(25) = 5 */
    CHECK(c, wl > 0 && wl < 0.4 * ws);
    free(s);
    free(y);
}

static void test_bootstrap_refusals(struct check_ctx *c) {
    const float s[4] = {0.1f, 0.4f, 0.35f, 0.8f}, y[4] = {0, 0, 1, 1}, y0[4] = {0};
    const float sn[4] = {0.1f, NAN, 0.35f, 0.8f};
    double lo = 0, hi = 0;
    struct pat_err err;
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, 0, 10, 1, 0.9, &lo, &hi, &err), PAT_ERR_USAGE);
    CHECK(c, isnan(lo) && isnan(hi) && err.msg[0]);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, 4, 0, 1, 0.9, &lo, &hi, &err), PAT_ERR_USAGE);
    const double bad_level[] = {0.0, 1.0, -0.5, 1.5, NAN};
    for (size_t i = 0; i < sizeof bad_level / sizeof bad_level[0]; i++)
        CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, 4, 10, 1, bad_level[i], &lo, &hi, &err),
                     PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y0, 4, 10, 1, 0.9, &lo, &hi, &err), PAT_ERR_USAGE);
    CHECK(c, strstr(err.msg, "negative") != NULL);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(sn, y, 4, 10, 1, 0.9, &lo, &hi, &err), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, 4, 10, 1, 0.9, NULL, &hi, &err), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_auc_bootstrap_ci(s, y, 4, 10, 1, 0.9, &lo, &hi, NULL), PAT_OK);
}

int main(void) {
    int failures = 0;
    RUN(test_fixture_roc_auc_ap);
    RUN(test_fixture_keras_auc);
    RUN(test_fixture_binary_metrics);
    RUN(test_roc_auc_hand);
    RUN(test_roc_curve);
    RUN(test_average_precision_hand);
    RUN(test_keras_auc_hand);
    RUN(test_degenerate_inputs);
    RUN(test_binary_metrics_hand);
    RUN(test_order_invariance);
    RUN(test_bootstrap_ci);
    RUN(test_bootstrap_narrows);
    RUN(test_bootstrap_refusals);
    return failures ? 1 : 0;
}
