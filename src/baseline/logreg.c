/* logreg.c - L2-regularised logistic regression by Newton's method (see
 * logreg.h for the objective and the contract).
 *
 * Parameters are kept as one vector beta[k], k = d + 1: beta[0] is the
 * intercept b, beta[1 + j] the weight of standardized feature j. The
 * objective is evaluated scaled, F = f / (C W) with W = sum_i s_i:
 *   F = (1/W) sum_i s_i l_i + ||w||^2 / (2 C W),  l_i = softplus(u_i) - y_i u_i.
 * Every sum runs sequentially in row order (deterministic).
 */
#include "baseline/logreg.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ARMIJO_C 1e-4      /* sufficient-decrease constant */
#define MAX_HALVINGS 60    /* line-search step halvings before giving up */

/* Scratch of one fit. */
struct fit_ws {
    size_t n, d, k;
    double *z;     /* (n, d) standardized features */
    double *y;     /* [n] labels 0/1 */
    double *s;     /* [n] sample weights */
    double wsum;   /* W */
    double C;
    double *beta;  /* [k] current parameters */
    double *trial; /* [k] line-search point */
    double *g;     /* [k] gradient of F */
    double *step;  /* [k] Newton direction */
    double *h;     /* (k, k) Hessian of F, then its Cholesky factor */
};

struct pat_logreg_params pat_logreg_default_params(void) {
    struct pat_logreg_params p = {0};
    p.C = 1.0;
    p.tol = 1e-10;
    p.max_iter = 100;
    p.balanced = 0;
    return p;
}

void pat_logreg_free(struct pat_logreg *m) {
    if (!m) return;
    free(m->mean);
    free(m->scale);
    free(m->coef);
    memset(m, 0, sizeof *m);
}

/* log(1 + exp(u)) without overflow. */
static double softplus(double u) { return (u > 0.0 ? u : 0.0) + log1p(exp(-fabs(u))); }

/* 1 / (1 + exp(-u)) without overflow. */
static double sigmoid(double u) {
    if (u >= 0.0) return 1.0 / (1.0 + exp(-u));
    double e = exp(u);
    return e / (1.0 + e);
}

static enum pat_status check_fit_input(const double *x, const float *y, size_t n, size_t d,
                                       const struct pat_logreg_params *p, struct pat_err *err) {
    if (!p || !x || !y || n == 0 || d == 0)
        return pat_fail(err, PAT_ERR_USAGE, "logreg: empty input (n = %zu, d = %zu)", n, d);
    if (!(p->C > 0.0) || !isfinite(p->C) || !(p->tol > 0.0) || !isfinite(p->tol) ||
        p->max_iter == 0)
        return pat_fail(err, PAT_ERR_USAGE, "logreg: C = %g, tol = %g, max_iter = %zu", p->C,
                        p->tol, p->max_iter);
    size_t pos = 0, nd;
    if (!pat_mul_size(n, d, &nd)) return pat_fail(err, PAT_ERR_USAGE, "logreg: n * d overflows");
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(x[i]))
            return pat_fail(err, PAT_ERR_NUMERIC, "logreg: x row %zu column %zu is %g", i / d,
                            i % d, x[i]);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) return pat_fail(err, PAT_ERR_NUMERIC, "logreg: label %zu is NaN", i);
        pos += y[i] != 0.0f;
    }
    if (pos == 0 || pos == n)
        return pat_fail(err, PAT_ERR_USAGE, "logreg: labels have one class only (%zu of %zu)",
                        pos, n);
    return PAT_OK;
}

/* Column means and population SDs of x into m (scale 1 for a column whose
 * SD is rounding noise next to its mean, as sklearn's StandardScaler). */
static void fit_scaler(struct pat_logreg *m, const double *x, size_t n, size_t d) {
    for (size_t j = 0; j < d; j++) {
        double sum = 0.0, ss = 0.0;
        for (size_t i = 0; i < n; i++) sum += x[i * d + j];
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++) ss += (x[i * d + j] - mean) * (x[i * d + j] - mean);
        double sd = sqrt(ss / (double)n);
        m->mean[j] = mean;
        m->scale[j] = sd > 10.0 * DBL_EPSILON * fabs(mean) && sd > 0.0 ? sd : 1.0;
    }
}

static void standardize(double *z, const struct pat_logreg *m, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m->d; j++)
            z[i * m->d + j] = (x[i * m->d + j] - m->mean[j]) / m->scale[j];
}

/* Linear predictor u_i = b + z_i . w. */
static double linear(const double *beta, const double *zi, size_t d) {
    double u = beta[0];
    for (size_t j = 0; j < d; j++) u += zi[j] * beta[1 + j];
    return u;
}

/* F at beta (see the file comment). */
static double objective(const struct fit_ws *ws, const double *beta) {
    double loss = 0.0, ww = 0.0;
    for (size_t i = 0; i < ws->n; i++) {
        double u = linear(beta, ws->z + i * ws->d, ws->d);
        loss += ws->s[i] * (softplus(u) - ws->y[i] * u);
    }
    for (size_t j = 0; j < ws->d; j++) ww += beta[1 + j] * beta[1 + j];
    return (loss + 0.5 * ww / ws->C) / ws->wsum;
}

/* ws->g and ws->h (lower triangle and mirror) of F at ws->beta; returns
 * the gradient's max-norm. */
static double gradient_hessian(struct fit_ws *ws) {
    size_t k = ws->k, d = ws->d;
    memset(ws->g, 0, k * sizeof *ws->g);
    memset(ws->h, 0, k * k * sizeof *ws->h);
    for (size_t i = 0; i < ws->n; i++) {
        const double *zi = ws->z + i * d;
        double p = sigmoid(linear(ws->beta, zi, d));
        double r = ws->s[i] * (p - ws->y[i]), c = ws->s[i] * p * (1.0 - p);
        for (size_t a = 0; a < k; a++) {
            double za = a ? zi[a - 1] : 1.0;
            ws->g[a] += r * za;
            for (size_t b = 0; b <= a; b++) ws->h[a * k + b] += c * za * (b ? zi[b - 1] : 1.0);
        }
    }
    double gmax = 0.0;
    for (size_t a = 0; a < k; a++) {
        if (a) ws->g[a] += ws->beta[a] / ws->C, ws->h[a * k + a] += 1.0 / ws->C;
        ws->g[a] /= ws->wsum;
        for (size_t b = 0; b <= a; b++) ws->h[b * k + a] = ws->h[a * k + b] /= ws->wsum;
        if (fabs(ws->g[a]) > gmax) gmax = fabs(ws->g[a]);
    }
    return gmax;
}

/* ws->step = -H^{-1} g by Cholesky H = L L' (L overwrites h's lower
 * triangle). Returns 0 when H is not positive definite. */
static int newton_direction(struct fit_ws *ws) {
    size_t k = ws->k;
    double *L = ws->h, *x = ws->step;
    for (size_t a = 0; a < k; a++) {
        for (size_t b = 0; b <= a; b++) {
            double v = L[a * k + b];
            for (size_t c = 0; c < b; c++) v -= L[a * k + c] * L[b * k + c];
            if (a == b) {
                if (!(v > 0.0)) return 0;
                L[a * k + a] = sqrt(v);
            } else {
                L[a * k + b] = v / L[b * k + b];
            }
        }
    }
    for (size_t a = 0; a < k; a++) { /* L y = -g */
        double v = -ws->g[a];
        for (size_t c = 0; c < a; c++) v -= L[a * k + c] * x[c];
        x[a] = v / L[a * k + a];
    }
    for (size_t a = k; a-- > 0;) { /* L' step = y */
        double v = x[a];
        for (size_t c = a + 1; c < k; c++) v -= L[c * k + a] * x[c];
        x[a] = v / L[a * k + a];
    }
    return 1;
}

/* Backtracking along ws->step from ws->beta (objective value *f); moves
 * beta and updates *f. A decrease at rounding level is accepted, so Newton
 * can finish once F is flat to the last bit. Returns 0 when no step helps. */
static int line_search(struct fit_ws *ws, double *f) {
    double slope = 0.0, t = 1.0;
    for (size_t a = 0; a < ws->k; a++) slope += ws->g[a] * ws->step[a];
    double slack = 8.0 * DBL_EPSILON * fabs(*f);
    for (int h = 0; h < MAX_HALVINGS; h++, t *= 0.5) {
        for (size_t a = 0; a < ws->k; a++) ws->trial[a] = ws->beta[a] + t * ws->step[a];
        double ft = objective(ws, ws->trial);
        if (ft <= *f + ARMIJO_C * t * slope + slack) {
            memcpy(ws->beta, ws->trial, ws->k * sizeof *ws->beta);
            *f = ft;
            return 1;
        }
    }
    return 0;
}

static void ws_free(struct fit_ws *ws) {
    free(ws->z);
    free(ws->y);
    free(ws->s);
    free(ws->beta);
    free(ws->trial);
    free(ws->g);
    free(ws->step);
    free(ws->h);
}

/* Allocate the workspace and fill labels and weights; 0 on NOMEM. */
static int ws_init(struct fit_ws *ws, const float *y, size_t n, size_t d,
                   const struct pat_logreg_params *p) {
    memset(ws, 0, sizeof *ws);
    ws->n = n, ws->d = d, ws->k = d + 1, ws->C = p->C;
    size_t nd, kk;
    if (!pat_mul_size(n, d, &nd) || !pat_mul_size(ws->k, ws->k, &kk)) return 0;
    ws->z = pat_calloc(nd, sizeof *ws->z);
    ws->y = pat_calloc(n, sizeof *ws->y);
    ws->s = pat_calloc(n, sizeof *ws->s);
    ws->beta = pat_calloc(ws->k, sizeof *ws->beta);
    ws->trial = pat_calloc(ws->k, sizeof *ws->trial);
    ws->g = pat_calloc(ws->k, sizeof *ws->g);
    ws->step = pat_calloc(ws->k, sizeof *ws->step);
    ws->h = pat_calloc(kk, sizeof *ws->h);
    if (!ws->z || !ws->y || !ws->s || !ws->beta || !ws->trial || !ws->g || !ws->step || !ws->h)
        return 0;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) pos += (ws->y[i] = y[i] != 0.0f ? 1.0 : 0.0) != 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t nc = ws->y[i] != 0.0 ? pos : n - pos;
        ws->s[i] = p->balanced ? (double)n / (2.0 * (double)nc) : 1.0;
        ws->wsum += ws->s[i];
    }
    return 1;
}

/* Newton iterations from beta = 0; fills m's fit report. */
static enum pat_status newton(struct fit_ws *ws, struct pat_logreg *m, size_t max_iter,
                              double tol, struct pat_err *err) {
    double f = objective(ws, ws->beta);
    for (m->n_iter = 0;; m->n_iter++) {
        m->grad_norm = gradient_hessian(ws);
        if (m->grad_norm <= tol) {
            m->converged = 1;
            break;
        }
        if (m->n_iter == max_iter) break;
        if (!newton_direction(ws))
            return pat_fail(err, PAT_ERR_NUMERIC,
                            "logreg: Hessian not positive definite at iteration %zu",
                            m->n_iter);
        if (!line_search(ws, &f)) break;
    }
    m->intercept = ws->beta[0];
    memcpy(m->coef, ws->beta + 1, ws->d * sizeof *m->coef);
    return PAT_OK;
}

enum pat_status pat_logreg_fit(struct pat_logreg *m, const double *x, const float *y,
                               size_t n, size_t d, const struct pat_logreg_params *params,
                               struct pat_err *err) {
    if (!m) return pat_fail(err, PAT_ERR_USAGE, "logreg: model is NULL");
    memset(m, 0, sizeof *m);
    enum pat_status st = check_fit_input(x, y, n, d, params, err);
    if (st != PAT_OK) return st;
    struct fit_ws ws;
    m->d = d;
    m->mean = pat_calloc(d, sizeof *m->mean);
    m->scale = pat_calloc(d, sizeof *m->scale);
    m->coef = pat_calloc(d, sizeof *m->coef);
    if (!ws_init(&ws, y, n, d, params) || !m->mean || !m->scale || !m->coef) {
        st = pat_fail(err, PAT_ERR_NOMEM, "logreg: workspace for n = %zu, d = %zu", n, d);
        goto done;
    }
    fit_scaler(m, x, n, d);
    standardize(ws.z, m, x, n);
    st = newton(&ws, m, params->max_iter, params->tol, err);
done:
    ws_free(&ws);
    if (st != PAT_OK) pat_logreg_free(m);
    return st;
}

enum pat_status pat_logreg_predict_proba(const struct pat_logreg *m, const double *x,
                                         size_t n, double *prob, struct pat_err *err) {
    if (!m || !m->coef || !m->mean || !m->scale || m->d == 0)
        return pat_fail(err, PAT_ERR_USAGE, "logreg: model not fitted");
    if (n && (!x || !prob)) return pat_fail(err, PAT_ERR_USAGE, "logreg: NULL array");
    size_t d = m->d;
    for (size_t i = 0; i < n; i++) {
        double u = m->intercept;
        for (size_t j = 0; j < d; j++) {
            double v = x[i * d + j];
            if (!isfinite(v))
                return pat_fail(err, PAT_ERR_NUMERIC, "logreg: x row %zu column %zu is %g", i,
                                j, v);
            u += (v - m->mean[j]) / m->scale[j] * m->coef[j];
        }
        prob[i] = sigmoid(u);
    }
    return PAT_OK;
}

/* One prediction for the Youden scan. */
struct scored {
    double s;
    int pos;
};

/* Descending score. */
static int scored_cmp(const void *pa, const void *pb) {
    const struct scored *a = pa, *b = pb;
    return (a->s < b->s) - (a->s > b->s);
}

enum pat_status pat_logreg_youden_threshold(const double *score, const float *label, size_t n,
                                            double *threshold, double *j,
                                            struct pat_err *err) {
    if (!score || !label || !threshold || n == 0)
        return pat_fail(err, PAT_ERR_USAGE, "youden: empty input");
    int64_t npos = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(score[i])) return pat_fail(err, PAT_ERR_NUMERIC, "youden: score %zu is NaN", i);
        npos += label[i] != 0.0f;
    }
    int64_t nneg = (int64_t)n - npos;
    if (npos == 0 || nneg == 0)
        return pat_fail(err, PAT_ERR_USAGE, "youden: labels have one class only");
    struct scored *it = pat_calloc(n, sizeof *it);
    if (!it) return pat_fail(err, PAT_ERR_NOMEM, "youden: %zu scores", n);
    for (size_t i = 0; i < n; i++) it[i].s = score[i], it[i].pos = label[i] != 0.0f;
    qsort(it, n, sizeof *it, scored_cmp);
    int64_t tp = 0, fp = 0, best = 0, best_tp = 0, best_fp = 0;
    int found = 0;
    for (size_t i = 0; i < n;) {
        double t = it[i].s;
        for (; i < n && it[i].s == t; i++) tp += it[i].pos, fp += !it[i].pos;
        int64_t jn = tp * nneg - fp * npos; /* J * P * N, exact */
        if (!found || jn > best) {
            found = 1, best = jn, best_tp = tp, best_fp = fp;
            *threshold = t;
        }
    }
    if (j) *j = (double)best_tp / (double)npos - (double)best_fp / (double)nneg;
    free(it);
    return PAT_OK;
}
