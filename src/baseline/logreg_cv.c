/* logreg_cv.c - penalty choice by grouped inner cross-validation
 * (logreg_cv.h). */
#include "baseline/logreg_cv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct pat_logreg_cv_params pat_logreg_cv_default_params(void) {
    struct pat_logreg_cv_params p;
    memset(&p, 0, sizeof p);
    const double grid[] = {1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};
    p.ngrid = sizeof grid / sizeof *grid;
    memcpy(p.grid, grid, sizeof grid);
    p.max_iter = 100, p.tol = 1e-10;
    return p;
}

static enum pat_status check(const struct pat_logreg_cv_params *p, size_t k,
                             struct pat_err *err) {
    if (p->ngrid < 1 || p->ngrid > PAT_LOGREG_CV_MAX_GRID)
        return pat_fail(err, PAT_ERR_USAGE, "penalty grid: %zu values (1 .. %d)", p->ngrid,
                        PAT_LOGREG_CV_MAX_GRID);
    for (size_t i = 0; i < p->ngrid; i++)
        if (!(p->grid[i] > 0) || !isfinite(p->grid[i]) || (i && !(p->grid[i] > p->grid[i - 1])))
            return pat_fail(err, PAT_ERR_USAGE, "penalty grid: C values must be positive and "
                            "ascending (value %zu is %g)", i + 1, p->grid[i]);
    if (k < 2) return pat_fail(err, PAT_ERR_USAGE, "inner folds: %zu (at least 2)", k);
    return PAT_OK;
}

/* Rows of the used groups with (fold == f) == in, copied to xs/ys; idx[]
 * records their positions. Returns the count. */
static size_t select_rows(const double *x, size_t n, size_t d, const size_t *owner,
                          const float *glabel, const uint32_t *gfold, uint32_t f, int in,
                          double *xs, float *ys, size_t *idx) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t g = gfold[owner[i]];
        if (g == PAT_LOGREG_CV_UNUSED || (g == f) != in) continue;
        memcpy(xs + m * d, x + i * d, d * sizeof *xs);
        ys[m] = glabel[owner[i]];
        idx[m++] = i;
    }
    return m;
}

/* Out-of-fold probabilities prob[n] (used rows) of one C. */
static enum pat_status oof_probs(const double *x, size_t n, size_t d, const size_t *owner,
                                 const float *glabel, const uint32_t *gfold, size_t k,
                                 const struct pat_logreg_params *lp, double *xs, float *ys,
                                 size_t *idx, double *ps, double *prob, struct pat_err *err) {
    enum pat_status st = PAT_OK;
    for (uint32_t f = 0; st == PAT_OK && f < k; f++) {
        struct pat_logreg m = {0};
        size_t nt = select_rows(x, n, d, owner, glabel, gfold, f, 0, xs, ys, idx);
        st = pat_logreg_fit(&m, xs, ys, nt, d, lp, err);
        size_t nv = st == PAT_OK ? select_rows(x, n, d, owner, glabel, gfold, f, 1, xs, ys, idx) : 0;
        if (st == PAT_OK && nv == 0)
            st = pat_fail(err, PAT_ERR_USAGE, "inner fold %u has no rows", (unsigned)f + 1);
        if (st == PAT_OK) st = pat_logreg_predict_proba(&m, xs, nv, ps, err);
        for (size_t i = 0; st == PAT_OK && i < nv; i++) prob[idx[i]] = ps[i];
        pat_logreg_free(&m);
    }
    return st;
}

/* Criterion (mean over used groups of mean row log-loss) and per-group mean
 * probability into score[G]; gsum/gcnt: G doubles of scratch each. */
static double criterion(const double *prob, size_t n, const size_t *owner, size_t G,
                        const float *glabel, const uint32_t *gfold, double *gloss,
                        double *gsum, double *gcnt, float *score) {
    memset(gloss, 0, G * sizeof *gloss), memset(gsum, 0, G * sizeof *gsum);
    memset(gcnt, 0, G * sizeof *gcnt);
    for (size_t i = 0; i < n; i++) {
        const size_t g = owner[i];
        if (gfold[g] == PAT_LOGREG_CV_UNUSED) continue;
        const double p = fmin(fmax(prob[i], 1e-15), 1.0 - 1e-15);
        gloss[g] += glabel[g] != 0.0f ? -log(p) : -log1p(-p);
        gsum[g] += prob[i], gcnt[g] += 1.0;
    }
    double total = 0, used = 0;
    for (size_t g = 0; g < G; g++) {
        score[g] = NAN;
        if (gfold[g] == PAT_LOGREG_CV_UNUSED || gcnt[g] == 0) continue;
        total += gloss[g] / gcnt[g], used += 1.0;
        score[g] = (float)(gsum[g] / gcnt[g]);
    }
    return total / used;
}

enum pat_status pat_logreg_cv_fit(struct pat_logreg *m, const double *x, size_t n, size_t d,
                                  const size_t *owner, size_t G, const float *glabel,
                                  const uint32_t *gfold, size_t k,
                                  const struct pat_logreg_cv_params *p,
                                  struct pat_logreg_cv_result *res, float *oof,
                                  struct pat_err *err) {
    memset(m, 0, sizeof *m);
    enum pat_status st = check(p, k, err);
    if (st != PAT_OK) return st;
    size_t nd;
    if (!pat_mul_size(n ? n : 1, d, &nd)) return pat_fail(err, PAT_ERR_USAGE, "n * d overflows");
    double *xs = pat_calloc(nd, sizeof *xs), *ps = pat_calloc(n ? n : 1, sizeof *ps);
    double *prob = pat_calloc(n ? n : 1, sizeof *prob), *gs = pat_calloc(3 * G, sizeof *gs);
    float *ys = pat_calloc(n ? n : 1, sizeof *ys), *score = pat_calloc(G, sizeof *score);
    size_t *idx = pat_calloc(n ? n : 1, sizeof *idx);
    if (!xs || !ps || !prob || !gs || !ys || !score || !idx)
        st = pat_fail(err, PAT_ERR_NOMEM, "logistic regression CV: out of memory (%zu rows)", n);
    struct pat_logreg_params lp = pat_logreg_default_params();
    lp.max_iter = p->max_iter, lp.tol = p->tol;
    res->chosen = 0, res->C = p->grid[0];
    double best = INFINITY;
    for (size_t c = 0; st == PAT_OK && c < p->ngrid; c++) {
        lp.C = p->grid[c];
        st = oof_probs(x, n, d, owner, glabel, gfold, k, &lp, xs, ys, idx, ps, prob, err);
        if (st != PAT_OK) break;
        res->loss[c] = criterion(prob, n, owner, G, glabel, gfold, gs, gs + G, gs + 2 * G, score);
        if (res->loss[c] < best) { /* strict: ties keep the smaller C */
            best = res->loss[c], res->chosen = c, res->C = p->grid[c];
            memcpy(oof, score, G * sizeof *oof);
        }
    }
    if (st == PAT_OK && !isfinite(best))
        st = pat_fail(err, PAT_ERR_NUMERIC, "logistic regression CV: no finite criterion");
    lp.C = res->C;
    if (st == PAT_OK) {
        size_t nt = select_rows(x, n, d, owner, glabel, gfold, PAT_LOGREG_CV_UNUSED, 0, xs, ys, idx);
        st = pat_logreg_fit(m, xs, ys, nt, d, &lp, err);
    }
    free(xs), free(ps), free(prob), free(gs), free(ys), free(score), free(idx);
    return st;
}
