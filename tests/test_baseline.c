/* test_baseline.c - src/baseline: actigraphy features and logistic
 * regression, against hand-computed values and the numpy/sklearn fixtures
 * of tests/fixtures/baseline (tools/reference/make_baseline_fixtures.py).
 *
 * Tolerances (observed values with gcc 12 -O2, x86-64):
 *   features vs the numpy reference: 1e-10 * max(1, |ref|) (observed max
 *     relative difference 7.9e-15: summation order only); onsets and counts
 *     exact (the reference sums each window in the same sequential order,
 *     so exact ties break alike).
 *   pyActigraphy's code path on complete days: the stated factors, 1e-12.
 *   logistic regression vs the exact optimum (numpy Newton): coefficients
 *     and probabilities 1e-9 (observed 8.9e-11 and 1.9e-11 at the default
 *     tol 1e-10); vs sklearn lbfgs: 1e-5 (observed coefficients 3.6e-6,
 *     probabilities 2.1e-6: sklearn's own stopping error); scaler 1e-12
 *     relative (observed 0).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/features.h"
#include "baseline/logreg.h"
#include "check.h"
#include "rng.h"

#define DAYMIN PAT_MINUTES_PER_DAY
#define FEAT_RTOL 1e-10
#define MAX_COLS 64

/* ------------------------------------------------------------ CSV tables */

/* A numeric CSV with one header line: names[cols] and v[rows * cols]. */
struct table {
    char names[MAX_COLS][32];
    size_t rows, cols;
    double *v;
};

static char *parse_header(struct table *t, char *text) {
    char *end = strchr(text, '\n');
    if (!end) return NULL;
    *end = '\0';
    t->cols = 0;
    for (char *tok = strtok(text, ",\r"); tok && t->cols < MAX_COLS; tok = strtok(NULL, ",\r"))
        snprintf(t->names[t->cols++], sizeof t->names[0], "%s", tok);
    return end + 1;
}

/* Read fixture `name` of tests/fixtures/baseline into *t; 1 on success. */
static int read_table(const char *name, struct table *t) {
    char path[512];
    size_t len, cap = 0, n = 0;
    snprintf(path, sizeof path, "%s/baseline/%s", check_fixture_dir(), name);
    char *text = (char *)check_read_file(path, &len);
    char *p = text ? parse_header(t, text) : NULL;
    t->v = NULL;
    t->rows = 0;
    while (p && *p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p) break;
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            double *g = realloc(t->v, cap * sizeof *g);
            if (!g) break;
            t->v = g;
        }
        t->v[n++] = x;
        p = end + strspn(end, ",\r\n");
    }
    free(text);
    if (!t->v || t->cols == 0 || n % t->cols != 0) {
        free(t->v);
        return 0;
    }
    t->rows = n / t->cols;
    return 1;
}

/* Value of column `name` in row r; NAN when absent. */
static double cell(const struct table *t, size_t r, const char *name) {
    for (size_t j = 0; j < t->cols; j++)
        if (strcmp(t->names[j], name) == 0 && r < t->rows) return t->v[r * t->cols + j];
    return NAN;
}

/* Load a fixture table or skip the case; returns 1 when loaded. */
static int load(struct check_ctx *c, const char *name, struct table *t) {
    if (read_table(name, t)) return 1;
    check_skip(c, "fixture baseline/%s not found (run make fixtures)", name);
    return 0;
}

/* ------------------------------------------------------- series helpers */

static struct pat_features compute_ok(struct check_ctx *c, const float *x, size_t n,
                                      size_t start, const struct pat_features_params *p) {
    struct pat_features f;
    struct pat_err err = {0};
    enum pat_status st = pat_features_compute(&f, x, n, start, p, &err);
    if (st != PAT_OK) check_fail(c, "pat_features_compute: %s", err.msg);
    return f;
}

/* A square-wave day by minute of day t (hand values in the tests below):
 * 00:00-02:00 5, 02:00-04:00 0, 04:00-07:00 2, 07:00-18:00 50,
 * 18:00-23:00 80, 23:00-24:00 5. */
static float square_day(size_t t) {
    size_t h = t / 60;
    if (h < 2 || h >= 23) return 5.0f;
    if (h < 4) return 0.0f;
    if (h < 7) return 2.0f;
    if (h < 18) return 50.0f;
    return 80.0f;
}

/* x[n] of the square wave starting at minute-of-day start (caller frees). */
static float *square_series(size_t n, size_t start) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; x && i < n; i++) x[i] = square_day((start + i) % DAYMIN);
    return x;
}

/* ------------------------------------------------------- feature tests */

static void test_features_names(struct check_ctx *c) {
    const char *want[PAT_FEATURES_COUNT] = {"mean", "sd",  "zero_frac", "is",  "iv",
                                            "ra",   "l5",  "l5_onset",  "m10", "m10_onset"};
    for (size_t i = 0; i < PAT_FEATURES_COUNT; i++)
        CHECK(c, pat_features_name(i) && strcmp(pat_features_name(i), want[i]) == 0);
    CHECK(c, pat_features_name(PAT_FEATURES_COUNT) == NULL);
    struct pat_features f = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    double row[PAT_FEATURES_COUNT];
    pat_features_to_array(&f, row);
    for (size_t i = 0; i < PAT_FEATURES_COUNT; i++) CHECK(c, row[i] == (double)(i + 1));
}

/* Square wave, 2 days from midnight: every value by hand. */
static void test_features_square_wave(struct check_ctx *c) {
    float *x = square_series(2 * DAYMIN, 0);
    struct pat_features_params p = pat_features_default_params();
    struct pat_features f = compute_ok(c, x, 2 * DAYMIN, 0, &p);
    /* per day: sum 5*180 + 2*180 + 50*660 + 80*300 = 58260, squares
     * 25*180 + 4*180 + 2500*660 + 6400*300 = 3575220 */
    double mean = 58260.0 / 1440.0;
    double ss = 2 * 3575220.0 - 2880.0 * mean * mean;
    CHECK_CLOSE(c, f.mean, mean, 1e-12);
    CHECK_CLOSE(c, f.sd, sqrt(ss / 2879.0), 1e-10);
    CHECK_CLOSE(c, f.zero_frac, 120.0 / 1440.0, 1e-15);
    CHECK_CLOSE(c, f.is, 1.0, 1e-12); /* periodic: the profile is the data */
    /* hourly: 5 5 0 0 2 2 2 50x11 80x5 5; squared steps 25+4+2304+900+5625
     * = 8858 per day, 47 steps over 2 days; population variance
     * 59587/24 - (971/24)^2 = 487247/576 */
    CHECK_CLOSE(c, f.iv, (2 * 8858.0 / 47.0) / (487247.0 / 576.0), 1e-12);
    /* L5 = [02:00, 07:00): 0*120 + 2*180 = 360 / 300; M10 = [13:00, 23:00):
     * 50*300 + 80*300 = 39000 / 600 */
    CHECK_CLOSE(c, f.l5, 1.2, 1e-13);
    CHECK(c, f.l5_onset == 120.0);
    CHECK_CLOSE(c, f.m10, 65.0, 1e-13);
    CHECK(c, f.m10_onset == 780.0);
    CHECK_CLOSE(c, f.ra, (65.0 - 1.2) / (65.0 + 1.2), 1e-14);
    CHECK(c, f.valid_minutes == 2 * DAYMIN && f.valid_hours == 48);
    free(x);
}

/* The same wave started at 09:17 for 3 days + 100 min: partial first and
 * last hours are dropped, L5/M10 and their onsets are unchanged. */
static void test_features_start_offset(struct check_ctx *c) {
    size_t start = 9 * 60 + 17, n = 3 * DAYMIN + 100;
    float *x = square_series(n, start);
    struct pat_features_params p = pat_features_default_params();
    struct pat_features f = compute_ok(c, x, n, start, &p);
    CHECK_CLOSE(c, f.l5, 1.2, 1e-13);
    CHECK(c, f.l5_onset == 120.0);
    CHECK_CLOSE(c, f.m10, 65.0, 1e-13);
    CHECK(c, f.m10_onset == 780.0);
    /* bins: 09:17-10:00 partial, then 10:00 .. 10:57 + 3 days: 72 complete
     * hours (10:00 day 0 to 10:00 day 3), last 10:00-10:57 partial */
    CHECK(c, f.valid_hours == 72);
    CHECK_CLOSE(c, f.is, 1.0, 1e-12); /* 3 whole days of complete hours */
    p.min_valid_per_hour = 43; /* now the 43- and 57-minute edge hours count */
    f = compute_ok(c, x, n, start, &p);
    CHECK(c, f.valid_hours == 74);
    free(x);
}

/* Binarized at 4: 5, 50, 80 -> 1; 0, 2 -> 0 (02:00-07:00). */
static void test_features_binarize(struct check_ctx *c) {
    float *x = square_series(2 * DAYMIN, 0);
    struct pat_features_params p = pat_features_default_params();
    p.binarize = 1;
    struct pat_features f = compute_ok(c, x, 2 * DAYMIN, 0, &p);
    CHECK(c, f.l5 == 0.0 && f.l5_onset == 120.0);
    CHECK(c, f.m10 == 1.0 && f.m10_onset == 420.0); /* first all-ones window */
    CHECK(c, f.ra == 1.0);
    CHECK_CLOSE(c, f.mean, 58260.0 / 1440.0, 1e-12); /* counts stay raw */
    CHECK_CLOSE(c, f.is, 1.0, 1e-12);
    free(x);
}

/* White noise: hourly means are i.i.d., so IV ~ 2 (Witting); alternating
 * hours give IV = 4 exactly. */
static void test_features_iv_noise(struct check_ctx *c) {
    size_t n = 60 * DAYMIN; /* 1440 hourly values */
    float *x = malloc(n * sizeof *x);
    struct pat_rng r;
    pat_rng_seed(&r, 12345);
    for (size_t i = 0; i < n; i++) x[i] = 100.0f + 10.0f * pat_rng_normal(&r);
    struct pat_features_params p = pat_features_default_params();
    struct pat_features f = compute_ok(c, x, n, 0, &p);
    CHECK_CLOSE(c, f.iv, 2.0, 0.15); /* SD of the estimate ~0.05 */
    CHECK(c, f.is < 0.05);           /* no daily rhythm: IS ~ 24/1440 */
    for (size_t i = 0; i < 2 * DAYMIN; i++) x[i] = (i / 60) % 2 ? 30.0f : 10.0f;
    f = compute_ok(c, x, 2 * DAYMIN, 0, &p);
    CHECK_CLOSE(c, f.iv, 4.0, 1e-12);
    free(x);
}

static void test_features_constant(struct check_ctx *c) {
    size_t n = 2 * DAYMIN;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = 5.0f;
    struct pat_features_params p = pat_features_default_params();
    p.min_valid_per_hour = 1; /* partial hours of 0.1-like means too */
    struct pat_features f = compute_ok(c, x, n, 37, &p);
    CHECK(c, f.mean == 5.0 && f.sd == 0.0 && f.zero_frac == 0.0);
    CHECK(c, f.is == 0.0 && f.iv == 0.0 && f.ra == 0.0);
    CHECK(c, f.l5 == 5.0 && f.m10 == 5.0 && f.l5_onset == 0.0 && f.m10_onset == 0.0);
    for (size_t i = 0; i < n; i++) x[i] = 0.1f; /* means not exactly equal */
    f = compute_ok(c, x, n, 37, &p);
    CHECK(c, f.is == 0.0 && f.iv == 0.0);
    for (size_t i = 0; i < n; i++) x[i] = 0.0f;
    f = compute_ok(c, x, n, 0, &p);
    CHECK(c, f.zero_frac == 1.0 && f.ra == 0.0 && f.is == 0.0 && f.l5 == 0.0);
    double row[PAT_FEATURES_COUNT];
    pat_features_to_array(&f, row);
    for (size_t i = 0; i < PAT_FEATURES_COUNT; i++) CHECK(c, isfinite(row[i]));
    free(x);
}

/* Missing minutes: excluded from the counts, drop their hour (default),
 * and a minute-of-day never observed removes the windows covering it. */
static void test_features_missing(struct check_ctx *c) {
    size_t n = 3 * DAYMIN;
    float *x = square_series(n, 0);
    struct pat_features_params p = pat_features_default_params();
    x[DAYMIN + 10 * 60 + 5] = NAN; /* 10:05 on day 1: a 50 */
    struct pat_features f = compute_ok(c, x, n, 0, &p);
    CHECK(c, f.valid_minutes == n - 1 && f.valid_hours == 71);
    CHECK_CLOSE(c, f.mean, (3 * 58260.0 - 50.0) / (double)(n - 1), 1e-12);
    CHECK_CLOSE(c, f.l5, 1.2, 1e-13); /* the profile is unchanged */
    CHECK_CLOSE(c, f.m10, 65.0, 1e-13);
    p.min_valid_per_hour = 59;
    f = compute_ok(c, x, n, 0, &p);
    CHECK(c, f.valid_hours == 72);
    CHECK_CLOSE(c, f.is, 1.0, 1e-12); /* the 59-minute mean is still 50 */
    for (size_t d = 0; d < 3; d++) x[d * DAYMIN + 130] = NAN; /* 02:10 never seen */
    f = compute_ok(c, x, n, 0, &p);
    /* best window avoiding 02:10: [02:11, 07:11) = 0*109 + 2*180 + 50*11 */
    CHECK(c, f.l5_onset == 131.0);
    CHECK_CLOSE(c, f.l5, 910.0 / 300.0, 1e-13);
    CHECK(c, f.m10_onset == 780.0);
    free(x);
}

static void check_refused(struct check_ctx *c, const float *x, size_t n, size_t start,
                          const struct pat_features_params *p, enum pat_status want) {
    struct pat_features f;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_features_compute(&f, x, n, start, p, &err), want);
    CHECK(c, err.msg[0] != '\0');
    CHECK(c, f.mean == 0.0 && f.is == 0.0 && f.valid_minutes == 0);
}

static void test_features_refusals(struct check_ctx *c) {
    size_t n = 2 * DAYMIN;
    float *x = square_series(n, 0);
    struct pat_features_params p = pat_features_default_params();
    check_refused(c, x, 0, 0, &p, PAT_ERR_USAGE);
    check_refused(c, NULL, n, 0, &p, PAT_ERR_USAGE);
    check_refused(c, x, n, DAYMIN, &p, PAT_ERR_USAGE);
    check_refused(c, x, 90, 0, &p, PAT_ERR_USAGE); /* one complete hour */
    p.min_valid_per_hour = 0;
    check_refused(c, x, n, 0, &p, PAT_ERR_USAGE);
    p.min_valid_per_hour = 61;
    check_refused(c, x, n, 0, &p, PAT_ERR_USAGE);
    p = pat_features_default_params();
    x[7] = INFINITY;
    check_refused(c, x, n, 0, &p, PAT_ERR_NUMERIC);
    for (size_t i = 0; i < n; i++) x[i] = NAN;
    check_refused(c, x, n, 0, &p, PAT_ERR_NUMERIC);
    /* only 06:00-14:00 observed: 5-h windows exist, 10-h windows do not */
    for (size_t i = 0; i < n; i++) x[i] = (i % DAYMIN) / 60 >= 6 && (i % DAYMIN) / 60 < 14
                                               ? square_day(i % DAYMIN) : NAN;
    check_refused(c, x, n, 0, &p, PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_features_compute(NULL, x, n, 0, &p, NULL), PAT_ERR_USAGE);
    free(x);
}

/* The fixture series "series,value" into per-series arrays. */
struct fx_series {
    float *x[8];
    size_t n[8];
};

static int load_series(struct check_ctx *c, struct fx_series *s) {
    struct table t;
    memset(s, 0, sizeof *s);
    if (!load(c, "series.csv", &t)) return 0;
    for (size_t r = 0; r < t.rows; r++) {
        size_t k = (size_t)t.v[2 * r];
        if (k < 8) s->n[k]++;
    }
    for (size_t k = 0; k < 8; k++) s->x[k] = s->n[k] ? malloc(s->n[k] * sizeof(float)) : NULL;
    size_t fill[8] = {0};
    for (size_t r = 0; r < t.rows; r++) {
        size_t k = (size_t)t.v[2 * r];
        if (k < 8 && s->x[k]) s->x[k][fill[k]++] = (float)t.v[2 * r + 1];
    }
    free(t.v);
    return 1;
}

static void free_series(struct fx_series *s) {
    for (size_t k = 0; k < 8; k++) free(s->x[k]);
}

static double rel_diff(double got, double want) {
    return fabs(got - want) / fmax(1.0, fabs(want));
}

/* One fixture case against the numpy reference; returns the largest
 * relative difference seen. */
static double check_feature_case(struct check_ctx *c, const struct table *e, size_t r,
                                 const struct fx_series *s) {
    size_t k = (size_t)cell(e, r, "series");
    struct pat_features_params p = pat_features_default_params();
    p.binarize = (int)cell(e, r, "binarize");
    p.threshold = cell(e, r, "threshold");
    p.min_valid_per_hour = (size_t)cell(e, r, "min_valid");
    if (k >= 8 || !s->x[k]) {
        check_fail(c, "case %zu: series %zu missing", r, k);
        return 0.0;
    }
    struct pat_features f = compute_ok(c, s->x[k], s->n[k], (size_t)cell(e, r, "start_min"), &p);
    double row[PAT_FEATURES_COUNT], worst = 0.0;
    pat_features_to_array(&f, row);
    for (size_t i = 0; i < PAT_FEATURES_COUNT; i++) {
        double want = cell(e, r, pat_features_name(i)), d = rel_diff(row[i], want);
        if (!(d <= FEAT_RTOL))
            check_fail(c, "case %zu %s = %.17g, numpy %.17g", r, pat_features_name(i), row[i],
                       want);
        if (d > worst) worst = d;
    }
    CHECK(c, (double)f.valid_minutes == cell(e, r, "valid_minutes"));
    CHECK(c, (double)f.valid_hours == cell(e, r, "valid_hours"));
    return worst;
}

static void test_features_fixtures(struct check_ctx *c) {
    struct table e;
    struct fx_series s;
    if (!load(c, "features.csv", &e)) return;
    if (!load_series(c, &s)) {
        free(e.v);
        return;
    }
    CHECK(c, e.rows == 7);
    double worst = 0.0;
    for (size_t r = 0; r < e.rows; r++) worst = fmax(worst, check_feature_case(c, &e, r, &s));
    printf("# features vs numpy: max relative difference %.2g\n", worst);
    free_series(&s);
    free(e.v);
}

/* Cases 0 and 5 are 4 whole days of complete hours: pyActigraphy's code
 * (pandas var, ddof = 1) equals ours times p (N - 1) / (N (p - 1)) for IS
 * and (N - 1) / N for IV, p = 24, N = 96. */
static void test_features_pyact_code_factor(struct check_ctx *c) {
    struct table e;
    if (!load(c, "features.csv", &e)) return;
    const double N = 96.0, P = 24.0;
    const size_t cases[2] = {0, 5};
    for (size_t i = 0; i < 2; i++) {
        size_t r = cases[i];
        CHECK(c, cell(&e, r, "valid_hours") == N);
        CHECK_CLOSE(c, cell(&e, r, "is") * P * (N - 1) / (N * (P - 1)),
                    cell(&e, r, "is_pyact_code"), 1e-12);
        CHECK_CLOSE(c, cell(&e, r, "iv") * (N - 1) / N, cell(&e, r, "iv_pyact_code"), 1e-12);
    }
    free(e.v);
}

/* ------------------------------------------------------- logreg tests */

/* The fixture design: x (60, 7) columns f0..f4 dup0 const, y, train. */
struct lr_data {
    struct table t;
    double x[60 * 7];
    float y[60];
    size_t train;
};

static int load_lr(struct check_ctx *c, struct lr_data *D) {
    if (!load(c, "logreg_x.csv", &D->t)) return 0;
    if (D->t.rows != 60 || D->t.cols != 9) {
        check_fail(c, "logreg_x.csv: %zu x %zu", D->t.rows, D->t.cols);
        free(D->t.v);
        return 0;
    }
    D->train = 0;
    for (size_t i = 0; i < 60; i++) {
        for (size_t j = 0; j < 7; j++) D->x[i * 7 + j] = D->t.v[i * 9 + j];
        D->y[i] = (float)D->t.v[i * 9 + 7];
        D->train += D->t.v[i * 9 + 8] != 0.0; /* the first rows */
    }
    return 1;
}

/* Columns of case row r of logreg_expected.csv gathered into out (60, d). */
static size_t gather(const struct table *e, size_t r, const struct lr_data *D, double *out) {
    size_t d = (size_t)cell(e, r, "d");
    char name[32];
    for (size_t j = 0; j < d; j++) {
        snprintf(name, sizeof name, "col%zu", j);
        size_t src = (size_t)cell(e, r, name);
        for (size_t i = 0; i < 60; i++) out[i * d + j] = D->x[i * 7 + src];
    }
    return d;
}

struct lr_diffs {
    double coef_sk, coef_exact, prob_sk, prob_exact, scaler;
};

static void check_lr_model(struct check_ctx *c, const struct table *e, size_t r,
                           const struct pat_logreg *m, struct lr_diffs *w) {
    char name[32];
    CHECK(c, m->converged && m->n_iter < 20);
    double ds = fabs(m->intercept - cell(e, r, "intercept"));
    double de = fabs(m->intercept - cell(e, r, "exact_intercept"));
    for (size_t j = 0; j < m->d; j++) {
        snprintf(name, sizeof name, "coef%zu", j);
        ds = fmax(ds, fabs(m->coef[j] - cell(e, r, name)));
        snprintf(name, sizeof name, "exact_coef%zu", j);
        de = fmax(de, fabs(m->coef[j] - cell(e, r, name)));
        snprintf(name, sizeof name, "mean%zu", j);
        w->scaler = fmax(w->scaler, rel_diff(m->mean[j], cell(e, r, name)));
        snprintf(name, sizeof name, "scale%zu", j);
        w->scaler = fmax(w->scaler, rel_diff(m->scale[j], cell(e, r, name)));
    }
    if (!(ds <= 1e-5)) check_fail(c, "case %zu: |coef - sklearn| = %g", r, ds);
    if (!(de <= 1e-9)) check_fail(c, "case %zu: |coef - exact| = %g", r, de);
    w->coef_sk = fmax(w->coef_sk, ds);
    w->coef_exact = fmax(w->coef_exact, de);
}

static void check_lr_proba(struct check_ctx *c, const struct table *pr, size_t r,
                           const struct pat_logreg *m, const double *x, struct lr_diffs *w) {
    double prob[60];
    char sk[32], ex[32];
    CHECK_STATUS(c, pat_logreg_predict_proba(m, x, 60, prob, NULL), PAT_OK);
    snprintf(sk, sizeof sk, "sk%zu", r);
    snprintf(ex, sizeof ex, "exact%zu", r);
    for (size_t i = 0; i < 60; i++) {
        w->prob_sk = fmax(w->prob_sk, fabs(prob[i] - cell(pr, i, sk)));
        w->prob_exact = fmax(w->prob_exact, fabs(prob[i] - cell(pr, i, ex)));
    }
    CHECK(c, w->prob_sk <= 1e-5 && w->prob_exact <= 1e-9);
}

static void test_logreg_sklearn(struct check_ctx *c) {
    struct lr_data D;
    struct table e, pr;
    if (!load_lr(c, &D)) return;
    if (!load(c, "logreg_expected.csv", &e)) goto no_e;
    if (!load(c, "logreg_proba.csv", &pr)) goto no_pr;
    struct lr_diffs w = {0};
    for (size_t r = 0; r < e.rows; r++) {
        double x[60 * 5];
        size_t d = gather(&e, r, &D, x);
        struct pat_logreg_params p = pat_logreg_default_params();
        p.C = cell(&e, r, "C");
        p.balanced = (int)cell(&e, r, "balanced");
        struct pat_logreg m;
        struct pat_err err = {0};
        if (pat_logreg_fit(&m, x, D.y, D.train, d, &p, &err) != PAT_OK) {
            check_fail(c, "case %zu: %s", r, err.msg);
            continue;
        }
        check_lr_model(c, &e, r, &m, &w);
        check_lr_proba(c, &pr, r, &m, x, &w);
        pat_logreg_free(&m);
    }
    CHECK(c, w.scaler <= 1e-12);
    printf("# logreg: |coef - sklearn| %.2g, |coef - exact| %.2g, |p - sklearn| %.2g, "
           "|p - exact| %.2g, scaler rel %.2g\n",
           w.coef_sk, w.coef_exact, w.prob_sk, w.prob_exact, w.scaler);
    free(pr.v);
no_pr:
    free(e.v);
no_e:
    free(D.t.v);
}

static void test_logreg_youden_fixture(struct check_ctx *c) {
    struct lr_data D;
    struct table e;
    if (!load_lr(c, &D)) return;
    if (!load(c, "logreg_expected.csv", &e)) {
        free(D.t.v);
        return;
    }
    for (size_t r = 0; r < e.rows; r++) {
        double x[60 * 5], prob[60], t = NAN, j = NAN;
        size_t d = gather(&e, r, &D, x);
        struct pat_logreg_params p = pat_logreg_default_params();
        p.C = cell(&e, r, "C");
        p.balanced = (int)cell(&e, r, "balanced");
        struct pat_logreg m;
        CHECK_STATUS(c, pat_logreg_fit(&m, x, D.y, D.train, d, &p, NULL), PAT_OK);
        CHECK_STATUS(c, pat_logreg_predict_proba(&m, x, D.train, prob, NULL), PAT_OK);
        CHECK_STATUS(c, pat_logreg_youden_threshold(prob, D.y, D.train, &t, &j, NULL), PAT_OK);
        CHECK_CLOSE(c, t, cell(&e, r, "youden_t"), 1e-9);
        CHECK_CLOSE(c, j, cell(&e, r, "youden_j"), 1e-15);
        pat_logreg_free(&m);
    }
    free(e.v);
    free(D.t.v);
}

static void test_logreg_youden_hand(struct check_ctx *c) {
    /* J: t=0.8 -> 1/2 - 0; t=0.4 -> 1/2 - 1/2; t=0.35 -> 1 - 1/2; t=0.1 -> 0.
     * 0.8 and 0.35 tie: the larger wins. */
    const double s[4] = {0.1, 0.4, 0.35, 0.8};
    const float y[4] = {0, 0, 1, 1};
    double t = 0, j = 0;
    CHECK_STATUS(c, pat_logreg_youden_threshold(s, y, 4, &t, &j, NULL), PAT_OK);
    CHECK(c, t == 0.8 && j == 0.5);
    /* tied scores enter together: {0.5 (pos), 0.5 (neg)} can't be split */
    const double s2[5] = {0.9, 0.5, 0.5, 0.2, 0.1};
    const float y2[5] = {1, 1, 0, 0, 0};
    CHECK_STATUS(c, pat_logreg_youden_threshold(s2, y2, 5, &t, &j, NULL), PAT_OK);
    /* 0.9: 1/2 - 0; 0.5: 1 - 1/3 = 2/3; 0.2: 1 - 2/3 */
    CHECK(c, t == 0.5);
    CHECK_CLOSE(c, j, 2.0 / 3.0, 1e-15);
    const float one[4] = {1, 1, 1, 1};
    CHECK_STATUS(c, pat_logreg_youden_threshold(s, one, 4, &t, NULL, NULL), PAT_ERR_USAGE);
    const double sn[4] = {0.1, NAN, 0.3, 0.4};
    CHECK_STATUS(c, pat_logreg_youden_threshold(sn, y, 4, &t, NULL, NULL), PAT_ERR_NUMERIC);
    CHECK_STATUS(c, pat_logreg_youden_threshold(s, y, 0, &t, NULL, NULL), PAT_ERR_USAGE);
}

/* Features all constant: the weights are 0 and the intercept is the
 * unpenalised logit of the base rate, log(P / N). */
static void test_logreg_constant_features(struct check_ctx *c) {
    double x[10 * 2];
    float y[10];
    for (size_t i = 0; i < 10; i++) x[2 * i] = 3.0, x[2 * i + 1] = 0.1, y[i] = i < 3;
    struct pat_logreg_params p = pat_logreg_default_params();
    struct pat_logreg m;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 10, 2, &p, NULL), PAT_OK);
    CHECK(c, m.converged && m.scale[0] == 1.0 && m.scale[1] == 1.0);
    CHECK_CLOSE(c, m.intercept, log(3.0 / 7.0), 1e-12);
    CHECK(c, fabs(m.coef[0]) < 1e-12 && fabs(m.coef[1]) < 1e-12);
    double prob[10];
    CHECK_STATUS(c, pat_logreg_predict_proba(&m, x, 10, prob, NULL), PAT_OK);
    for (size_t i = 0; i < 10; i++) CHECK_CLOSE(c, prob[i], 0.3, 1e-12);
    pat_logreg_free(&m);
    pat_logreg_free(&m); /* idempotent */
    CHECK(c, m.coef == NULL && m.d == 0);
}

/* Perfectly separable data: the penalty keeps the weights finite. */
static void test_logreg_separable(struct check_ctx *c) {
    double x[8] = {-4, -3, -2, -1, 1, 2, 3, 4};
    float y[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    struct pat_logreg_params p = pat_logreg_default_params();
    p.C = 1e4;
    struct pat_logreg m;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 8, 1, &p, NULL), PAT_OK);
    CHECK(c, m.converged && isfinite(m.coef[0]) && m.coef[0] > 1.0);
    CHECK(c, fabs(m.intercept) < 1e-9); /* symmetric data */
    pat_logreg_free(&m);
}

/* Standardization makes the fit invariant to affine rescaling of a column;
 * the training statistics are applied to new rows. */
static void test_logreg_affine_invariance(struct check_ctx *c) {
    double x[40 * 2], x2[40 * 2], p1[40], p2[40];
    float y[40];
    struct pat_rng r;
    pat_rng_seed(&r, 99);
    for (size_t i = 0; i < 40; i++) {
        x[2 * i] = pat_rng_normal(&r), x[2 * i + 1] = pat_rng_normal(&r);
        y[i] = x[2 * i] + 0.5 * pat_rng_normal(&r) > 0;
        x2[2 * i] = 1000.0 * x[2 * i] - 7.0, x2[2 * i + 1] = 1e-3 * x[2 * i + 1] + 5.0;
    }
    struct pat_logreg_params p = pat_logreg_default_params();
    struct pat_logreg a, b;
    CHECK_STATUS(c, pat_logreg_fit(&a, x, y, 30, 2, &p, NULL), PAT_OK);
    CHECK_STATUS(c, pat_logreg_fit(&b, x2, y, 30, 2, &p, NULL), PAT_OK);
    CHECK_STATUS(c, pat_logreg_predict_proba(&a, x, 40, p1, NULL), PAT_OK);
    CHECK_STATUS(c, pat_logreg_predict_proba(&b, x2, 40, p2, NULL), PAT_OK);
    for (size_t i = 0; i < 40; i++) CHECK_CLOSE(c, p1[i], p2[i], 1e-9);
    CHECK_CLOSE(c, b.mean[0], 1000.0 * a.mean[0] - 7.0, 1e-9);
    pat_logreg_free(&a);
    pat_logreg_free(&b);
}

static void test_logreg_not_converged(struct check_ctx *c) {
    double x[6] = {-2, -1, 0.5, 0, 1, 2};
    float y[6] = {0, 0, 1, 0, 1, 1};
    struct pat_logreg_params p = pat_logreg_default_params();
    p.max_iter = 1;
    struct pat_logreg m;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 6, 1, &p, NULL), PAT_OK);
    CHECK(c, !m.converged && m.n_iter == 1 && m.grad_norm > p.tol);
    pat_logreg_free(&m);
    p.max_iter = 100;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 6, 1, &p, NULL), PAT_OK);
    CHECK(c, m.converged && m.grad_norm <= p.tol);
    pat_logreg_free(&m);
}

static void test_logreg_refusals(struct check_ctx *c) {
    double x[4] = {1, 2, 3, 4};
    float y[4] = {0, 1, 0, 1}, yone[4] = {1, 1, 1, 1};
    struct pat_logreg_params p = pat_logreg_default_params();
    struct pat_logreg m;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 0, 1, &p, &err), PAT_ERR_USAGE);
    CHECK(c, m.coef == NULL && err.msg[0]);
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 4, 0, &p, NULL), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_logreg_fit(&m, NULL, y, 4, 1, &p, NULL), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_logreg_fit(&m, x, yone, 4, 1, &p, NULL), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_logreg_fit(NULL, x, y, 4, 1, &p, NULL), PAT_ERR_USAGE);
    p.C = 0.0;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 4, 1, &p, NULL), PAT_ERR_USAGE);
    p = pat_logreg_default_params();
    p.tol = NAN;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 4, 1, &p, NULL), PAT_ERR_USAGE);
    p = pat_logreg_default_params();
    p.max_iter = 0;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 4, 1, &p, NULL), PAT_ERR_USAGE);
    p = pat_logreg_default_params();
    x[2] = NAN;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 4, 1, &p, NULL), PAT_ERR_NUMERIC);
    x[2] = 3;
    y[1] = NAN;
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 4, 1, &p, NULL), PAT_ERR_NUMERIC);
    y[1] = 1;
    double prob[4];
    struct pat_logreg empty = {0};
    CHECK_STATUS(c, pat_logreg_predict_proba(&empty, x, 4, prob, NULL), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_logreg_fit(&m, x, y, 4, 1, &p, NULL), PAT_OK);
    x[3] = INFINITY;
    CHECK_STATUS(c, pat_logreg_predict_proba(&m, x, 4, prob, NULL), PAT_ERR_NUMERIC);
    pat_logreg_free(&m);
    pat_logreg_free(NULL);
}

int main(void) {
    int failures = 0;
    RUN(test_features_names);
    RUN(test_features_square_wave);
    RUN(test_features_start_offset);
    RUN(test_features_binarize);
    RUN(test_features_iv_noise);
    RUN(test_features_constant);
    RUN(test_features_missing);
    RUN(test_features_refusals);
    RUN(test_features_fixtures);
    RUN(test_features_pyact_code_factor);
    RUN(test_logreg_sklearn);
    RUN(test_logreg_youden_fixture);
    RUN(test_logreg_youden_hand);
    RUN(test_logreg_constant_features);
    RUN(test_logreg_separable);
    RUN(test_logreg_affine_invariance);
    RUN(test_logreg_not_converged);
    RUN(test_logreg_refusals);
    return failures ? 1 : 0;
}
