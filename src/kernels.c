/* kernels.c - forward kernels of the PAT encoder (see kernels.h). */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

void pat_positional_encoding(float *pe, size_t N, size_t E) {
    const size_t half = E / 2;
    /* TF: exp(range(0, E, 2) * (-log(10000) / E)), all in float32. */
    const float neg_log_base = -logf(10000.0f) / (float)E;
    for (size_t p = 0; p < N; p++) {
        const float pos = (float)p;
        for (size_t i = 0; i < half; i++) {
            const float w = expf((float)(2 * i) * neg_log_base);
            const float angle = pos * w;
            pe[p * E + i] = sinf(angle);
            pe[p * E + half + i] = cosf(angle);
        }
    }
}

void pat_patch_embed_dense(float *out, const float *x, const float *W, const float *b,
                           size_t N, size_t P, size_t E) {
    pat_gemm_bias(out, x, W, b, N, P, E); /* x is already (N, P) in C order */
}

/* One patch: out (E) = mean_t relu(b + W0 u[t-1] + W1 u[t] + W2 u[t+1]). */
static void conv_patch(float *out, const float *u, const float *Wc, const float *b,
                       size_t P, size_t E) {
    memset(out, 0, E * sizeof *out);
    for (size_t t = 0; t < P; t++) {
        const float left = t > 0 ? u[t - 1] : 0.0f;
        const float mid = u[t];
        const float right = t + 1 < P ? u[t + 1] : 0.0f;
        for (size_t f = 0; f < E; f++) {
            float c = b[f] + Wc[f] * left + Wc[E + f] * mid + Wc[2 * E + f] * right;
            out[f] += c > 0.0f ? c : 0.0f;
        }
    }
    for (size_t f = 0; f < E; f++) out[f] /= (float)P;
}

void pat_patch_embed_conv(float *out, const float *x, const float *Wc, const float *b,
                          size_t N, size_t P, size_t E) {
#pragma omp parallel for schedule(static)
    for (long p = 0; p < (long)N; p++)
        conv_patch(out + (size_t)p * E, x + (size_t)p * P, Wc, b, P, E);
}

void pat_layernorm_stats(float *out, float *mean, float *rstd, const float *inp,
                         const float *g, const float *b, size_t R, size_t E) {
#pragma omp parallel for schedule(static)
    for (long r = 0; r < (long)R; r++) {
        const float *z = inp + (size_t)r * E;
        float *y = out + (size_t)r * E;
        double mu = 0.0, var = 0.0;
        for (size_t c = 0; c < E; c++) mu += z[c];
        mu /= (double)E;
        for (size_t c = 0; c < E; c++) var += (z[c] - mu) * (z[c] - mu);
        var /= (double)E;
        const float m = (float)mu;
        const float rs = (float)(1.0 / sqrt(var + (double)PAT_LN_EPS));
        if (mean) mean[r] = m;
        if (rstd) rstd[r] = rs;
        for (size_t c = 0; c < E; c++) y[c] = (z[c] - m) * rs * g[c] + b[c];
    }
}

void pat_layernorm(float *out, const float *inp, const float *g, const float *b, size_t R,
                   size_t E) {
    pat_layernorm_stats(out, NULL, NULL, inp, g, b, R, E);
}

/* dz = rstd (dxhat − mean(dxhat) − xhat mean(dxhat xhat)), dxhat = dy g. */
void pat_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
                            const float *inp, const float *g, const float *mean,
                            const float *rstd, size_t R, size_t E) {
#pragma omp parallel for schedule(static)
    for (long r = 0; r < (long)R; r++) {
        const float *dy = dout + (size_t)r * E, *z = inp + (size_t)r * E;
        const float m = mean[r], rs = rstd[r];
        double mean_d = 0.0, mean_dx = 0.0;
        for (size_t c = 0; c < E; c++) {
            const double dxhat = (double)dy[c] * g[c];
            mean_d += dxhat;
            mean_dx += dxhat * ((z[c] - m) * rs);
        }
        mean_d /= (double)E;
        mean_dx /= (double)E;
        float *dz = dinp + (size_t)r * E;
        for (size_t c = 0; c < E; c++) {
            const double xhat = (z[c] - m) * rs;
            dz[c] += (float)(rs * ((double)dy[c] * g[c] - mean_d - xhat * mean_dx));
        }
    }
    for (size_t r = 0; r < R; r++) /* fixed row order: thread-independent */
        for (size_t c = 0; c < E; c++) {
            const float xhat = (inp[r * E + c] - mean[r]) * rstd[r];
            dg[c] += dout[r * E + c] * xhat;
            db[c] += dout[r * E + c];
        }
}

void pat_relu_backward(float *dx, const float *dy, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void pat_patch_embed_conv_backward(float *dWc, float *db, const float *dout, const float *x,
                                   const float *Wc, const float *b, size_t N, size_t P,
                                   size_t E) {
    for (size_t p = 0; p < N; p++) { /* fixed order: thread-independent sums */
        const float *u = x + p * P, *de = dout + p * E;
        for (size_t t = 0; t < P; t++) {
            const float left = t > 0 ? u[t - 1] : 0.0f;
            const float mid = u[t];
            const float right = t + 1 < P ? u[t + 1] : 0.0f;
            for (size_t f = 0; f < E; f++) {
                float c = b[f] + Wc[f] * left + Wc[E + f] * mid + Wc[2 * E + f] * right;
                if (c <= 0.0f) continue;
                const float gr = de[f] / (float)P;
                db[f] += gr;
                dWc[f] += gr * left;
                dWc[E + f] += gr * mid;
                dWc[2 * E + f] += gr * right;
            }
        }
    }
}

void pat_relu_inplace(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void pat_add_inplace(float *out, const float *a, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] += a[i];
}

void pat_mean_rows(float *out, const float *inp, size_t N, size_t E) {
    for (size_t c = 0; c < E; c++) {
        double s = 0.0;
        for (size_t t = 0; t < N; t++) s += inp[t * E + c];
        out[c] = (float)(s / (double)N);
    }
}
