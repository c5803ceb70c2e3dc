/* smooth.c - Savitzky-Golay least-squares polynomial smoothing (smooth.h).
 *
 * For a window of w = 2h+1 points at offsets t = -h..h and A[t][k] = t^k,
 * the least-squares polynomial through y has coefficients a = M y with
 * M = (A^T A)^-1 A^T ((order+1) x w). Its value at offset t is
 * sum_k t^k a_k: t = 0 in the interior, t = -h..-1 and 1..h at the edges. */
#include "data/smooth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Solve G X = B in place by Gauss-Jordan with partial pivoting;
 * G: q x q, B: q x w. Returns 0 when G is singular. */
static int solve(double *G, double *B, size_t q, size_t w) {
    for (size_t c = 0; c < q; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < q; r++)
            if (fabs(G[r * q + c]) > fabs(G[piv * q + c])) piv = r;
        if (fabs(G[piv * q + c]) < 1e-300) return 0;
        for (size_t k = 0; piv != c && k < q; k++) {
            double t = G[c * q + k]; G[c * q + k] = G[piv * q + k]; G[piv * q + k] = t;
        }
        for (size_t k = 0; piv != c && k < w; k++) {
            double t = B[c * w + k]; B[c * w + k] = B[piv * w + k]; B[piv * w + k] = t;
        }
        double d = G[c * q + c];
        for (size_t k = 0; k < q; k++) G[c * q + k] /= d;
        for (size_t k = 0; k < w; k++) B[c * w + k] /= d;
        for (size_t r = 0; r < q; r++) {
            double f = G[r * q + c];
            if (r == c || f == 0) continue;
            for (size_t k = 0; k < q; k++) G[r * q + k] -= f * G[c * q + k];
            for (size_t k = 0; k < w; k++) B[r * w + k] -= f * B[c * w + k];
        }
    }
    return 1;
}

/* M = (A^T A)^-1 A^T for offsets -h..h; M is q x w. */
static int projection(double *M, size_t w, size_t q) {
    double G[(PAT_SAVGOL_MAX_ORDER + 1) * (PAT_SAVGOL_MAX_ORDER + 1)];
    double h = (double)(w / 2);
    for (size_t i = 0; i < w; i++)
        for (size_t k = 0; k < q; k++) M[k * w + i] = pow((double)i - h, (double)k);
    for (size_t a = 0; a < q; a++)
        for (size_t b = 0; b < q; b++) {
            double s = 0;
            for (size_t i = 0; i < w; i++) s += M[a * w + i] * M[b * w + i];
            G[a * q + b] = s;
        }
    return solve(G, M, q, w);
}

/* Fit to y[0..w) and evaluate at offsets t = t0 .. t0+count-1 into out. */
static void edge(float *out, const float *y, const double *M, size_t w, size_t q, double t0,
                 size_t count) {
    double a[PAT_SAVGOL_MAX_ORDER + 1];
    for (size_t k = 0; k < q; k++) {
        double s = 0;
        for (size_t i = 0; i < w; i++) s += M[k * w + i] * (double)y[i];
        a[k] = s;
    }
    for (size_t j = 0; j < count; j++) {
        double t = t0 + (double)j, v = 0, p = 1;
        for (size_t k = 0; k < q; k++, p *= t) v += a[k] * p;
        out[j] = (float)v;
    }
}

enum pat_status pat_savgol(float *out, const float *in, size_t n, size_t window, size_t order,
                           struct pat_err *err) {
    if (window % 2 == 0 || order >= window || order > PAT_SAVGOL_MAX_ORDER || n < window)
        return pat_fail(err, PAT_ERR_USAGE, "Savitzky-Golay needs an odd window > order, order "
                        "<= %d and at least a window of data (window %zu, order %zu, %zu "
                        "points)", PAT_SAVGOL_MAX_ORDER, window, order, n);
    size_t q = order + 1, h = window / 2;
    double *M = pat_calloc(q * window, sizeof *M);
    if (!M) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (!projection(M, window, q)) {
        free(M);
        return pat_fail(err, PAT_ERR_NUMERIC, "Savitzky-Golay system is singular");
    }
    for (size_t j = h; j + h < n; j++) {
        double s = 0;
        for (size_t i = 0; i < window; i++) s += M[i] * (double)in[j - h + i];
        out[j] = (float)s;
    }
    edge(out, in, M, window, q, -(double)h, h);
    edge(out + n - h, in + n - window, M, window, q, 1.0, h);
    free(M);
    return PAT_OK;
}
