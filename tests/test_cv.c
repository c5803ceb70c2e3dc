/* test_cv.c - pat cv's statistics and protocol:
 *   - the penalised logistic regression with C chosen by grouped inner CV
 *     equals sklearn (tools/reference/make_cv_fixtures.py) to 1e-6 in the
 *     criterion and 1e-4 in probabilities;
 *   - DeLong's AUCs, variances, covariance, z and p equal the O(m k)
 *     definition computed with numpy/scipy; the paired bootstrap behaves;
 *   - folds are grouped by participant and stratified by label;
 *   - planted leakage: the test participants of a fold carry their label in
 *     their activity; nothing fitted for that fold (penalty, inner
 *     criterion, threshold, scaler, pretraining, early stopping) may change,
 *     while the other folds, which train on them, do change;
 *   - the probe's PAT model (the regression folded into PAT's head) gives
 *     the regression's scores. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/logreg_cv.h"
#include "check.h"
#include "cv/cv.h"
#include "cv/methods.h"
#include "data/dataset.h"
#include "eval/delong.h"
#include "eval/metrics.h"
#include "rng.h"

/* A CSV with one header line as doubles (rows x cols); NULL on failure. */
static double *read_table(const char *name, size_t *rows, size_t *cols) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cv/%s", check_fixture_dir(), name);
    size_t len;
    char *text = (char *)check_read_file(path, &len);
    if (!text) return NULL;
    char *p = strchr(text, '\n');
    size_t cap = 4096, n = 0, r = 0, c = 0;
    double *v = malloc(cap * sizeof *v);
    *cols = 0;
    while (v && p && *p && *++p) { /* p: at the separator before a value */
        char *end;
        double x = strtod(p, &end);
        if (end == p) break;
        if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        if (!v) break;
        v[n++] = x, c++, p = end;
        if (*p == ',') continue;
        if (r == 0) *cols = c;
        r++, c = 0;
    }
    free(text);
    *rows = r;
    return v;
}

static void logreg_cv_matches_sklearn(struct check_ctx *ctx) {
    size_t nr, cr, ng, cg, ne, ce, np, cp, no, co;
    double *rows = read_table("logreg_rows.csv", &nr, &cr);
    double *groups = read_table("logreg_groups.csv", &ng, &cg);
    double *exp = read_table("logreg_expected.csv", &ne, &ce);
    double *prob = read_table("logreg_proba.csv", &np, &cp);
    double *oofx = read_table("logreg_oof.csv", &no, &co);
    if (!rows || !groups || !exp || !prob || !oofx || np != nr || no != ng || cg != 2) {
        check_fail(ctx, "fixtures missing (make fixtures)");
        goto done;
    }
    const size_t d = cr - 1;
    double *x = malloc(nr * d * sizeof *x), *got = malloc(nr * sizeof *got);
    size_t *owner = malloc(nr * sizeof *owner);
    float *glabel = malloc(ng * sizeof *glabel), *oof = malloc(ng * sizeof *oof);
    uint32_t *gfold = malloc(ng * sizeof *gfold);
    for (size_t i = 0; i < nr; i++) {
        owner[i] = (size_t)rows[i * cr];
        for (size_t j = 0; j < d; j++) x[i * d + j] = rows[i * cr + 1 + j];
    }
    for (size_t g = 0; g < ng; g++) {
        glabel[g] = (float)groups[g * 2];
        gfold[g] = groups[g * 2 + 1] < 0 ? PAT_LOGREG_CV_UNUSED : (uint32_t)groups[g * 2 + 1];
    }
    struct pat_logreg_cv_params p = pat_logreg_cv_default_params();
    CHECK(ctx, p.ngrid == ne);
    struct pat_logreg m;
    struct pat_logreg_cv_result res;
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_logreg_cv_fit(&m, x, nr, d, owner, ng, glabel, gfold, 4, &p, &res,
                                        oof, &err), PAT_OK);
    double worst = 0;
    for (size_t c = 0; c < ne; c++) {
        CHECK_CLOSE(ctx, p.grid[c], exp[c * 3], 1e-15);
        CHECK_CLOSE(ctx, res.loss[c], exp[c * 3 + 1], 1e-6);
        if (exp[c * 3 + 2] == 1) CHECK(ctx, res.chosen == c);
    }
    CHECK_STATUS(ctx, pat_logreg_predict_proba(&m, x, nr, got, &err), PAT_OK);
    for (size_t i = 0; i < nr; i++) worst = fmax(worst, fabs(got[i] - prob[i]));
    CHECK(ctx, worst <= 1e-4);
    for (size_t g = 0; g < ng; g++) {
        if (isnan(oofx[g])) CHECK(ctx, isnan(oof[g]));
        else CHECK_CLOSE(ctx, oof[g], oofx[g], 1e-4);
    }
    printf("# logreg CV: chosen C %g, worst probability difference from sklearn %.2e\n", res.C,
           worst);
    pat_logreg_free(&m);
    free(x), free(got), free(owner), free(glabel), free(oof), free(gfold);
done:
    free(rows), free(groups), free(exp), free(prob), free(oofx);
}

static void delong_matches_reference(struct check_ctx *ctx) {
    size_t n, c, ne, ce;
    double *t = read_table("delong.csv", &n, &c);
    double *e = read_table("delong_expected.csv", &ne, &ce);
    if (!t || !e || c != 3 || ce != 7) {
        check_fail(ctx, "fixtures missing (make fixtures)");
        free(t), free(e);
        return;
    }
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) a[i] = (float)t[i * 3], b[i] = (float)t[i * 3 + 1], y[i] = (float)t[i * 3 + 2];
    struct pat_delong r;
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_delong(a, b, y, n, &r, &err), PAT_OK);
    CHECK_CLOSE(ctx, r.auc[0], e[0], 1e-12);
    CHECK_CLOSE(ctx, r.auc[1], e[1], 1e-12);
    CHECK_CLOSE(ctx, r.var[0], e[2], 1e-12);
    CHECK_CLOSE(ctx, r.var[1], e[3], 1e-12);
    CHECK_CLOSE(ctx, r.cov, e[4], 1e-12);
    CHECK_CLOSE(ctx, r.z, e[5], 1e-9);
    CHECK_CLOSE(ctx, r.p_value, e[6], 1e-9);
    double lo, hi;
    CHECK_STATUS(ctx, pat_auc_diff_bootstrap_ci(a, b, y, n, 2000, 7, 0.95, &lo, &hi, &err), PAT_OK);
    CHECK(ctx, lo < r.diff && r.diff < hi);
    /* the bootstrap's spread agrees with DeLong's standard error (normal
     * width 2 * 1.96 se), within a third */
    CHECK(ctx, fabs((hi - lo) / (2 * 1.959964 * r.se_diff) - 1) < 0.33);
    /* a scorer against itself: no difference, p = 1, interval [0, 0] */
    CHECK_STATUS(ctx, pat_delong(a, a, y, n, &r, &err), PAT_OK);
    CHECK(ctx, r.diff == 0 && r.p_value == 1.0);
    CHECK_STATUS(ctx, pat_auc_diff_bootstrap_ci(a, a, y, n, 200, 7, 0.95, &lo, &hi, &err), PAT_OK);
    CHECK(ctx, lo == 0 && hi == 0);
    /* one positive only: refused */
    for (size_t i = 0; i < n; i++) y[i] = i == 0;
    CHECK_STATUS(ctx, pat_delong(a, b, y, n, &r, &err), PAT_ERR_USAGE);
    free(a), free(b), free(y), free(t), free(e);
}

/* ---- a synthetic cohort ---- */

#define NP 36
#define DAYS 3
#define TT 1440

/* Participant p: label p % 2; stored fold p % 3. Activity: a day/night
 * rhythm with noise, independent of the label. With plant 1, a feature F
 * (+400 counts from 12:00 to 16:00 every day) is the label for the fold-0
 * participants (F <=> label 1) and independent of the label for the others
 * (F for half of each class), so a model fitted without the fold-0
 * participants has nothing to learn from F, while one that saw them would
 * score them by F. Plant 2: the same, but the fold-0 participants carry no F. */
static int planted(size_t p, int plant) {
    if (plant == 0) return 0;
    if (p % 3 == 0) return plant == 1 ? (int)(p % 2) : 0;
    return (p / 2) % 2 == 0;
}

static enum pat_status write_cohort(const char *path, int plant, struct pat_err *err) {
    struct pat_dsw *w;
    enum pat_status st = pat_dsw_open(path, TT, 0, NULL, &w, err);
    if (st != PAT_OK) return st;
    struct pat_rng rng;
    pat_rng_seed(&rng, 11);
    float *x = malloc(TT * sizeof *x);
    uint8_t split[NP], fold[NP];
    for (size_t p = 0; st == PAT_OK && p < NP; p++) {
        char id[16];
        snprintf(id, sizeof id, "p%02zu", p);
        st = pat_dsw_participant(w, id, err);
        const float label = (float)(p % 2);
        split[p] = PAT_SPLIT_TRAIN, fold[p] = (uint8_t)(p % 3);
        for (size_t dday = 0; st == PAT_OK && dday < DAYS; dday++) {
            for (size_t t = 0; t < TT; t++) {
                const int awake = t >= 420 + 10 * (p % 7) && t < 1320;
                float v = (awake ? 150.0f : 3.0f) * (0.5f + pat_rng_uniform(&rng));
                if (planted(p, plant) && t >= 720 && t < 960) v += 400.0f;
                x[t] = floorf(v);
            }
            st = pat_dsw_row(w, x, label, (int64_t)(20000 + dday) * 1440, TT, NULL, err);
        }
    }
    free(x);
    struct pat_dsw_final f = {split, fold, 3, PAT_SCALER_NONE, 0, "source=test_cv\n"};
    if (st != PAT_OK) {
        pat_dsw_abort(w);
        return st;
    }
    return pat_dsw_finish(w, &f, err);
}

static void folds_grouped_and_stratified(struct check_ctx *ctx) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cv_folds.patd", check_tmp_dir());
    struct pat_err err = {0};
    struct pat_cv_cohort c;
    struct pat_cv_plan plan;
    if (!CHECK_STATUS(ctx, write_cohort(path, 0, &err), PAT_OK)) return;
    if (!CHECK_STATUS(ctx, pat_cv_cohort_open(&c, path, &err), PAT_OK)) return;
    CHECK(ctx, c.P == NP && c.rows == NP * DAYS);
    for (size_t p = 0; p < c.P; p++) CHECK(ctx, c.count[p] == DAYS);
    CHECK_STATUS(ctx, pat_cv_plan_make(&plan, &c, PAT_CV_KFOLD, 4, 3, 5, &err), PAT_OK);
    int differ = 0;
    for (size_t r = 0; r < 3; r++) {
        size_t n[4][2] = {{0}};
        for (size_t p = 0; p < NP; p++) {
            uint32_t f = plan.fold[r * NP + p];
            CHECK(ctx, f < 4);
            if (f < 4) n[f][(size_t)c.label[p]]++;
            if (r && f != plan.fold[p]) differ = 1;
        }
        for (size_t f = 0; f < 4; f++) /* each class dealt evenly: 18 -> 4 or 5 */
            for (size_t y = 0; y < 2; y++) CHECK(ctx, n[f][y] == NP / 8 || n[f][y] == NP / 8 + 1);
    }
    CHECK(ctx, differ); /* repeats reshuffle */
    pat_cv_plan_free(&plan);
    CHECK_STATUS(ctx, pat_cv_plan_make(&plan, &c, PAT_CV_LOPO, 0, 0, 5, &err), PAT_OK);
    CHECK(ctx, plan.repeats == 1 && plan.nfolds[0] == NP);
    for (size_t p = 0; p < NP; p++) CHECK(ctx, plan.fold[p] == p);
    pat_cv_plan_free(&plan);
    CHECK_STATUS(ctx, pat_cv_plan_make(&plan, &c, PAT_CV_STORED, 0, 0, 5, &err), PAT_OK);
    CHECK(ctx, plan.nfolds[0] == 3);
    for (size_t p = 0; p < NP; p++) CHECK(ctx, plan.fold[p] == p % 3);
    pat_cv_plan_free(&plan);
    /* more folds than the smaller class: refused */
    CHECK_STATUS(ctx, pat_cv_plan_make(&plan, &c, PAT_CV_KFOLD, NP / 2 + 1, 1, 5, &err), PAT_ERR_USAGE);
    pat_cv_cohort_close(&c);
}

/* Run stored folds on the cohort (planted or not). */
static enum pat_status run_cohort(int plant, struct pat_cv_results *res, struct pat_err *err) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cv_leak%d.patd", check_tmp_dir(), plant);
    enum pat_status st = write_cohort(path, plant, err);
    struct pat_cv_cohort c;
    struct pat_cv_plan plan;
    if (st == PAT_OK) st = pat_cv_cohort_open(&c, path, err);
    if (st != PAT_OK) return st;
    struct pat_cv_config cfg;
    pat_cv_config_default(&cfg);
    for (int m = 0; m < PAT_CV_METHODS; m++) cfg.methods[m] = m != PAT_CV_FULL && m != PAT_CV_TWO_STAGE;
    cfg.pre_epochs = 1, cfg.ft_epochs = 1, cfg.pre_batch = 16, cfg.ft_batch = 16;
    cfg.inner_folds = 3, cfg.inner_val = 0.25;
    st = pat_cv_plan_make(&plan, &c, PAT_CV_STORED, 0, 0, cfg.seed, err);
    if (st == PAT_OK) st = pat_cv_run(&c, &plan, &cfg, NULL, 0, res, NULL, NULL, err);
    if (st == PAT_OK) pat_cv_plan_free(&plan);
    pat_cv_cohort_close(&c);
    return st;
}

/* The leak on purpose: method m fitted on every participant of the planted
 * cohort, scoring the fold-0 participants (in-sample); their AUC. */
static double leaky_auc(int m, struct pat_err *err) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cv_leak1.patd", check_tmp_dir());
    struct pat_cv_cohort c;
    if (pat_cv_cohort_open(&c, path, err) != PAT_OK) return NAN;
    struct pat_cv_config cfg;
    pat_cv_config_default(&cfg);
    cfg.inner_folds = 3;
    struct pat_cv_shared sh;
    struct pat_cv_fold f;
    unsigned char none[NP] = {0};
    float score[NP], s[NP / 3], y[NP / 3];
    double auc = NAN;
    if (pat_cv_shared_make(&sh, &c, &cfg, err) == PAT_OK) {
        if (pat_cv_fold_begin(&f, &sh, none, 1, err) == PAT_OK) {
            struct pat_cv_fit fit = {score, 0, 0, 0, NULL};
            if (pat_cv_fold_fit(&f, (enum pat_cv_method)m, 0, &fit, err) == PAT_OK) {
                size_t n = 0;
                for (size_t p = 0; p < NP; p += 3) s[n] = score[p], y[n++] = (float)(p % 2);
                auc = pat_roc_auc(s, y, n);
            }
            pat_cv_fold_end(&f);
        }
        pat_cv_shared_free(&sh);
    }
    pat_cv_cohort_close(&c);
    return auc;
}

static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static void planted_leakage_changes_nothing_fitted(struct check_ctx *ctx) {
    struct pat_cv_results a, b;
    struct pat_err err = {0};
    if (!CHECK_STATUS(ctx, run_cohort(2, &a, &err), PAT_OK)) {
        check_fail(ctx, "%s", err.msg);
        return;
    }
    if (!CHECK_STATUS(ctx, run_cohort(1, &b, &err), PAT_OK)) {
        check_fail(ctx, "%s", err.msg);
        pat_cv_results_free(&a);
        return;
    }
    int other_changed[PAT_CV_METHODS] = {0};
    for (int m = 0; m < PAT_CV_METHODS; m++) {
        if (m == PAT_CV_FULL || m == PAT_CV_TWO_STAGE) continue;
        const size_t i0 = PAT_CV_AT(&a, m, 0, 0, a.K);
        /* fold 0 (its test participants carry the plant): identical fits */
        if (!same(a.threshold[i0], b.threshold[i0]) || !same(a.C[i0], b.C[i0]) ||
            !same(a.inner[i0], b.inner[i0]))
            check_fail(ctx, "%s: fold 0 was fitted differently when its test participants "
                       "changed (threshold %g/%g, C %g/%g, inner %g/%g)",
                       pat_cv_method_name((enum pat_cv_method)m), a.threshold[i0],
                       b.threshold[i0], a.C[i0], b.C[i0], a.inner[i0], b.inner[i0]);
        CHECK(ctx, !isnan(a.threshold[i0]));
        for (size_t k = 1; k < 3; k++) {
            const size_t i = PAT_CV_AT(&a, m, 0, k, a.K);
            other_changed[m] |= !same(a.threshold[i], b.threshold[i]) || !same(a.C[i], b.C[i]) ||
                                !same(a.inner[i], b.inner[i]);
        }
    }
    /* the positive control: folds that train on the planted participants see it */
    CHECK(ctx, other_changed[PAT_CV_FEATURES] && other_changed[PAT_CV_PROBE] &&
               other_changed[PAT_CV_PROBE_MLP] && other_changed[PAT_CV_MAE_PROBE]);
    /* the fold-0 AUC is not raised by the plant, while a fit that sees the
     * fold-0 participants (the leak, done on purpose) scores them by it */
    for (int m = PAT_CV_FEATURES; m <= PAT_CV_PROBE; m++) {
        float sa[NP / 3], sb[NP / 3], y[NP / 3];
        size_t n = 0;
        for (size_t p = 0; p < NP; p += 3) {
            sa[n] = a.score[PAT_CV_AT(&a, m, 0, p, a.P)];
            sb[n] = b.score[PAT_CV_AT(&b, m, 0, p, b.P)];
            y[n++] = (float)(p % 2);
        }
        const double auc_a = pat_roc_auc(sa, y, n), auc_b = pat_roc_auc(sb, y, n);
        const double leak = leaky_auc(m, &err);
        printf("# %s fold-0 AUC: %.3f without F, %.3f with F = label, %.3f when fitted on them\n",
               pat_cv_method_name((enum pat_cv_method)m), auc_a, auc_b, leak);
        CHECK(ctx, auc_b <= 0.8);
        CHECK(ctx, leak >= 0.95);
    }
    pat_cv_results_free(&a), pat_cv_results_free(&b);
}

/* The probe's PAT model (--final) is the regression: its head's window
 * probabilities average to the scores the regression gave. */
static void probe_model_is_the_regression(struct check_ctx *ctx) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cv_probe.patd", check_tmp_dir());
    struct pat_err err = {0};
    struct pat_cv_cohort c;
    if (!CHECK_STATUS(ctx, write_cohort(path, 0, &err), PAT_OK)) return;
    if (!CHECK_STATUS(ctx, pat_cv_cohort_open(&c, path, &err), PAT_OK)) return;
    struct pat_cv_config cfg;
    pat_cv_config_default(&cfg);
    cfg.methods[PAT_CV_FEATURES] = 0;
    struct pat_cv_shared sh;
    struct pat_cv_fold f;
    unsigned char none[NP] = {0};
    float score[NP], *w = malloc(c.rows * sizeof *w);
    struct pat_cv_fit fit = {score, 0, 0, 0, NULL};
    CHECK_STATUS(ctx, pat_cv_shared_make(&sh, &c, &cfg, &err), PAT_OK);
    CHECK_STATUS(ctx, pat_cv_fold_begin(&f, &sh, none, 3, &err), PAT_OK);
    CHECK_STATUS(ctx, pat_cv_fold_fit(&f, PAT_CV_PROBE, 1, &fit, &err), PAT_OK);
    CHECK(ctx, fit.model && pat_model_has_head(fit.model) && fit.C > 0);
    if (fit.model && pat_predict(fit.model, pat_dataset_row(c.ds, 0), c.rows, c.T, w, &err) == PAT_OK) {
        double worst = 0;
        for (size_t p = 0; p < c.P; p++) {
            double s = 0;
            for (size_t i = 0; i < c.count[p]; i++) s += w[c.first[p] + i];
            worst = fmax(worst, fabs(s / (double)c.count[p] - score[p]));
        }
        printf("# probe model vs regression: worst participant difference %.2e\n", worst);
        CHECK(ctx, worst < 1e-5);
    } else {
        check_fail(ctx, "pat_predict: %s", err.msg);
    }
    pat_model_free(fit.model);
    pat_cv_fold_end(&f);
    pat_cv_shared_free(&sh);
    pat_cv_cohort_close(&c);
    free(w);
}

int main(void) {
    int failures = 0;
    RUN(logreg_cv_matches_sklearn);
    RUN(delong_matches_reference);
    RUN(folds_grouped_and_stratified);
    RUN(planted_leakage_changes_nothing_fitted);
    RUN(probe_model_is_the_regression);
    return failures ? 1 : 0;
}
