/* test_participant.c - eval/participant.c against computations written
 * here independently: per-participant means by a nested loop, the AUC by
 * comparing every positive with every negative, Youden's J by trying every
 * threshold, and the participant bootstrap against pat_auc_bootstrap_ci on
 * those hand-made participant scores; and everything against an
 * independent Python computation (tests/fixtures/participant,
 * tools/reference/make_participant_fixtures.py: sklearn AUC, the bootstrap
 * re-implemented from its documented contract, numpy quantiles).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eval/metrics.h"
#include "eval/participant.h"
#include "rng.h"

#define NP 40   /* participants */
#define NW 400  /* windows */

/* A cohort of NP participants with 1..19 windows each, interleaved, with
 * labels per participant and noisy probabilities. */
struct cohort {
    char names[NP][16];
    const char *id[NW];
    float prob[NW], label[NW];
    size_t n;
};

static void make_cohort(struct cohort *c, uint64_t seed) {
    struct pat_rng r;
    pat_rng_seed(&r, seed);
    size_t left[NP];
    for (size_t p = 0; p < NP; p++) {
        snprintf(c->names[p], sizeof c->names[p], "p%02zu", p);
        left[p] = 1 + (size_t)(pat_rng_u64(&r) % 19);
    }
    c->n = 0;
    while (c->n < NW) {
        size_t p = (size_t)(pat_rng_u64(&r) % NP);
        if (!left[p]) continue;
        left[p]--;
        float y = (float)(p % 3 == 0);
        c->id[c->n] = c->names[p];
        c->label[c->n] = y;
        c->prob[c->n] = 0.2f + 0.1f * y + 0.6f * pat_rng_uniform(&r);
        c->n++;
        size_t rest = 0;
        for (size_t q = 0; q < NP; q++) rest += left[q];
        if (!rest) break;
    }
}

/* Hand-made per-participant means, in first-appearance order. */
static size_t hand_means(const struct cohort *c, const char **ids, float *mean, float *lab) {
    size_t m = 0;
    for (size_t k = 0; k < c->n; k++) {
        size_t g = 0;
        while (g < m && strcmp(ids[g], c->id[k]) != 0) g++;
        if (g < m) continue;
        double s = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < c->n; i++)
            if (strcmp(c->id[i], c->id[k]) == 0) s += c->prob[i], cnt++;
        ids[m] = c->id[k];
        mean[m] = (float)(s / (double)cnt);
        lab[m] = c->label[k];
        m++;
    }
    return m;
}

static double brute_auc(const float *s, const float *y, size_t n) {
    double num = 0, pairs = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            if (y[a] != 0 && y[b] == 0) {
                pairs += 1;
                num += s[a] > s[b] ? 1.0 : s[a] == s[b] ? 0.5 : 0.0;
            }
    return num / pairs;
}

static void test_group_means(struct check_ctx *ctx) {
    struct cohort c;
    make_cohort(&c, 11);
    const char *ids[NP];
    float mean[NP], lab[NP];
    size_t m = hand_means(&c, ids, mean, lab);
    struct pat_participants P;
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_participants_group(c.id, c.prob, c.label, c.n, PAT_AGG_MEAN, &P, &err),
                 PAT_OK);
    CHECK(ctx, P.n == m);
    size_t total = 0;
    for (size_t g = 0; g < m && g < P.n; g++) {
        CHECK(ctx, strcmp(P.id[g], ids[g]) == 0);
        CHECK_CLOSE(ctx, P.score[g], mean[g], 1e-6);
        CHECK(ctx, P.label[g] == lab[g]);
        total += P.windows[g];
    }
    CHECK(ctx, total == c.n);
    double auc;
    size_t used;
    CHECK_STATUS(ctx, pat_participants_auc(&P, &auc, &used, &err), PAT_OK);
    CHECK(ctx, used == m);
    CHECK_CLOSE(ctx, auc, brute_auc(mean, lab, m), 1e-12);
    pat_participants_free(&P);
}

static void test_median_max(struct check_ctx *ctx) {
    const char *id[6] = {"b", "a", "b", "a", "a", "b"};
    float prob[6] = {0.1f, 0.9f, 0.4f, 0.2f, 0.3f, 0.2f};
    struct pat_participants P;
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_participants_group(id, prob, NULL, 6, PAT_AGG_MEDIAN, &P, &err), PAT_OK);
    CHECK(ctx, P.n == 2 && strcmp(P.id[0], "b") == 0 && P.windows[0] == 3);
    CHECK_CLOSE(ctx, P.score[0], 0.2, 1e-7); /* b: 0.1 0.4 0.2 */
    CHECK_CLOSE(ctx, P.score[1], 0.3, 1e-7); /* a: 0.9 0.2 0.3 */
    CHECK(ctx, isnan(P.label[0]));
    pat_participants_free(&P);
    CHECK_STATUS(ctx, pat_participants_group(id, prob, NULL, 4, PAT_AGG_MAX, &P, &err), PAT_OK);
    CHECK_CLOSE(ctx, P.score[0], 0.4, 1e-7);
    CHECK_CLOSE(ctx, P.score[1], 0.9, 1e-7);
    pat_participants_free(&P);
    CHECK_CLOSE(ctx, pat_aggregate_values(prob, 4, PAT_AGG_MEDIAN), 0.3, 1e-7);
    enum pat_aggregate a;
    CHECK(ctx, pat_aggregate_parse("median", &a) == 0 && a == PAT_AGG_MEDIAN);
    CHECK(ctx, pat_aggregate_parse("mode", &a) == -1);
    CHECK(ctx, strcmp(pat_aggregate_name(PAT_AGG_MAX), "max") == 0);
}

static void test_refusals(struct check_ctx *ctx) {
    const char *id[3] = {"a", "a", "b"};
    float prob[3] = {0.1f, 0.2f, 0.3f}, label[3] = {1, 0, 0};
    struct pat_participants P;
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_participants_group(id, prob, label, 3, PAT_AGG_MEAN, &P, &err),
                 PAT_ERR_FORMAT);
    CHECK(ctx, strstr(err.msg, "participant a") != NULL);
    CHECK(ctx, P.n == 0 && P.id == NULL);
    prob[2] = NAN;
    CHECK_STATUS(ctx, pat_participants_group(id, prob, NULL, 3, PAT_AGG_MEAN, &P, &err),
                 PAT_ERR_NUMERIC);
    prob[2] = 0.3f, label[0] = 0;
    CHECK_STATUS(ctx, pat_participants_group(id, prob, label, 3, PAT_AGG_MEAN, &P, &err), PAT_OK);
    double auc, lo, hi;
    CHECK_STATUS(ctx, pat_participants_auc(&P, &auc, NULL, &err), PAT_ERR_USAGE);
    CHECK(ctx, strstr(err.msg, "negative") != NULL);
    CHECK_STATUS(ctx, pat_participants_auc_ci(&P, 100, 1, 0.95, &lo, &hi, &err), PAT_ERR_USAGE);
    pat_participants_free(&P);
}

/* The interval resamples participants: equal to the window-free interval
 * of the hand-made participant scores, and independent of window order. */
static void test_bootstrap_over_participants(struct check_ctx *ctx) {
    struct cohort c;
    make_cohort(&c, 5);
    const char *ids[NP];
    float mean[NP], lab[NP];
    size_t m = hand_means(&c, ids, mean, lab);
    struct pat_participants P;
    struct pat_err err = {0};
    double lo, hi, lo2, hi2, lo3, hi3;
    CHECK_STATUS(ctx, pat_participants_group(c.id, c.prob, c.label, c.n, PAT_AGG_MEAN, &P, &err),
                 PAT_OK);
    CHECK_STATUS(ctx, pat_participants_auc_ci(&P, 500, 42, 0.95, &lo, &hi, &err), PAT_OK);
    CHECK_STATUS(ctx, pat_auc_bootstrap_ci(P.score, P.label, P.n, 500, 42, 0.95, &lo2, &hi2, &err),
                 PAT_OK);
    CHECK(ctx, lo == lo2 && hi == hi2);
    /* hand means may differ from P.score in the last float bit only */
    CHECK_STATUS(ctx, pat_auc_bootstrap_ci(mean, lab, m, 500, 42, 0.95, &lo3, &hi3, &err), PAT_OK);
    CHECK_CLOSE(ctx, lo3, lo, 0.02);
    CHECK_CLOSE(ctx, hi3, hi, 0.02);
    CHECK(ctx, lo < hi);
    pat_participants_free(&P);
    /* reversed window order: same participants, same interval */
    struct cohort r = c;
    for (size_t k = 0; k < c.n; k++) {
        r.id[k] = c.id[c.n - 1 - k];
        r.prob[k] = c.prob[c.n - 1 - k];
        r.label[k] = c.label[c.n - 1 - k];
    }
    CHECK_STATUS(ctx, pat_participants_group(r.id, r.prob, r.label, r.n, PAT_AGG_MEAN, &P, &err),
                 PAT_OK);
    CHECK_STATUS(ctx, pat_participants_auc_ci(&P, 500, 42, 0.95, &lo2, &hi2, &err), PAT_OK);
    CHECK_CLOSE(ctx, lo2, lo, 1e-6);
    CHECK_CLOSE(ctx, hi2, hi, 1e-6);
    pat_participants_free(&P);
}

/* Youden against trying every distinct score as a threshold. */
static void test_youden(struct check_ctx *ctx) {
    struct pat_rng r;
    pat_rng_seed(&r, 3);
    for (int trial = 0; trial < 50; trial++) {
        float s[30], y[30];
        size_t n = 6 + (size_t)(pat_rng_u64(&r) % 24);
        for (size_t k = 0; k < n; k++) {
            y[k] = (float)(k % 2);
            s[k] = (float)(pat_rng_u64(&r) % 10) / 10.0f + 0.1f * y[k]; /* ties on purpose */
        }
        double best = -2, thr, j;
        for (size_t a = 0; a < n; a++) {
            double tp = 0, fp = 0, np = 0, nn = 0;
            for (size_t k = 0; k < n; k++) {
                int pred = s[k] >= s[a];
                np += y[k] != 0, nn += y[k] == 0;
                tp += pred && y[k] != 0, fp += pred && y[k] == 0;
            }
            double jj = tp / np - fp / nn;
            if (jj > best) best = jj;
        }
        struct pat_err err = {0};
        CHECK_STATUS(ctx, pat_youden_threshold(s, y, n, &thr, &j, &err), PAT_OK);
        CHECK_CLOSE(ctx, j, best, 1e-12);
        double tp = 0, fp = 0, np = 0, nn = 0; /* the threshold achieves it */
        for (size_t k = 0; k < n; k++) {
            int pred = (double)s[k] >= thr;
            np += y[k] != 0, nn += y[k] == 0;
            tp += pred && y[k] != 0, fp += pred && y[k] == 0;
        }
        CHECK_CLOSE(ctx, tp / np - fp / nn, best, 1e-12);
    }
    float s[4] = {0.2f, 0.4f, 0.6f, 0.8f}, y[4] = {0, 0, 1, 1};
    double thr, j;
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_youden_threshold(s, y, 4, &thr, &j, &err), PAT_OK);
    CHECK_CLOSE(ctx, thr, 0.6, 1e-7); /* the lowest positive */
    CHECK_CLOSE(ctx, j, 1.0, 0);
    y[2] = 0, y[3] = 0;
    CHECK_STATUS(ctx, pat_youden_threshold(s, y, 4, &thr, &j, &err), PAT_ERR_USAGE);
}

/* ---- against tools/reference/make_participant_fixtures.py --------------- */

#define FX_MAX 1024

struct fx_windows {
    char names[FX_MAX][16];
    const char *id[FX_MAX];
    float label[FX_MAX], prob[FX_MAX];
    size_t n;
};

static int read_windows(const char *path, struct fx_windows *w) {
    FILE *f = fopen(path, "r");
    char line[128];
    if (!f) return 0;
    w->n = 0;
    if (!fgets(line, sizeof line, f)) line[0] = 0; /* header */
    while (w->n < FX_MAX && fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2) break;
        *c1 = 0;
        snprintf(w->names[w->n], sizeof w->names[0], "%s", line);
        w->id[w->n] = w->names[w->n];
        w->label[w->n] = strtof(c1 + 1, NULL);
        w->prob[w->n] = strtof(c2 + 1, NULL); /* %.9g: exact float32 */
        w->n++;
    }
    fclose(f);
    return w->n > 0;
}

static void test_fixture_numpy(struct check_ctx *ctx) {
    static struct fx_windows w;
    char path[512];
    snprintf(path, sizeof path, "%s/participant/windows.csv", check_fixture_dir());
    if (!read_windows(path, &w)) {
        check_skip(ctx, "fixture %s not found (run make fixtures)", path);
        return;
    }
    snprintf(path, sizeof path, "%s/participant/expected.csv", check_fixture_dir());
    FILE *f = fopen(path, "r");
    char line[256], rule[16];
    if (!f) {
        check_fail(ctx, "cannot read %s", path);
        return;
    }
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        size_t np;
        double auc, lo, hi, youden;
        if (sscanf(line, "%15[^,],%zu,%lf,%lf,%lf,%lf", rule, &np, &auc, &lo, &hi, &youden) != 6)
            continue;
        enum pat_aggregate a;
        CHECK(ctx, pat_aggregate_parse(rule, &a) == 0);
        struct pat_participants P;
        struct pat_err err = {0};
        double got, glo, ghi, thr;
        CHECK_STATUS(ctx, pat_participants_group(w.id, w.prob, w.label, w.n, a, &P, &err), PAT_OK);
        CHECK(ctx, P.n == np);
        CHECK_STATUS(ctx, pat_participants_auc(&P, &got, NULL, &err), PAT_OK);
        CHECK_CLOSE(ctx, got, auc, 1e-12);
        CHECK_STATUS(ctx, pat_participants_auc_ci(&P, 2000, 42, 0.95, &glo, &ghi, &err), PAT_OK);
        CHECK_CLOSE(ctx, glo, lo, 1e-12);
        CHECK_CLOSE(ctx, ghi, hi, 1e-12);
        CHECK_STATUS(ctx, pat_youden_threshold(P.score, P.label, P.n, &thr, NULL, &err), PAT_OK);
        CHECK(ctx, (float)thr == (float)youden); /* a float32 score printed with %.9g */
        pat_participants_free(&P);
        rows++;
    }
    fclose(f);
    CHECK(ctx, rows == 3);
}

int main(void) {
    int failures = 0;
    RUN(test_group_means);
    RUN(test_median_max);
    RUN(test_refusals);
    RUN(test_bootstrap_over_participants);
    RUN(test_youden);
    RUN(test_fixture_numpy);
    return failures ? 1 : 0;
}
