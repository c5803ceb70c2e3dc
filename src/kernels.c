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

void pat_layernorm(float *out, const float *inp, const float *g, const float *b, size_t R,
                   size_t E) {
#pragma omp parallel for schedule(static)
    for (long r = 0; r < (long)R; r++) {
        const float *z = inp + (size_t)r * E;
        float *y = out + (size_t)r * E;
        double mean = 0.0, var = 0.0;
        for (size_t c = 0; c < E; c++) mean += z[c];
        mean /= (double)E;
        for (size_t c = 0; c < E; c++) var += (z[c] - mean) * (z[c] - mean);
        var /= (double)E;
        const float mu = (float)mean;
        const float rstd = (float)(1.0 / sqrt(var + (double)PAT_LN_EPS));
        for (size_t c = 0; c < E; c++) y[c] = (z[c] - mu) * rstd * g[c] + b[c];
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

void pat_pack_keys_values(float *kt, float *vh, const float *k, const float *v, size_t N,
                          size_t H, size_t K) {
#pragma omp parallel for schedule(static)
    for (long h = 0; h < (long)H; h++) {
        for (size_t s = 0; s < N; s++) {
            const size_t src = (s * H + (size_t)h) * K;
            for (size_t d = 0; d < K; d++) {
                kt[((size_t)h * K + d) * N + s] = k[src + d];
                vh[((size_t)h * N + s) * K + d] = v[src + d];
            }
        }
    }
}

size_t pat_attention_tiles(size_t N) { return (N + PAT_ATT_TILE - 1) / PAT_ATT_TILE; }

/* Scores of `rows` queries against all N keys of one head, then softmax:
 * S (rows, N). q rows are H*K apart. */
static void scores_softmax(float *S, const float *q, const float *kt, size_t rows, size_t N,
                           size_t H, size_t K) {
    for (size_t r = 0; r < rows; r++) {
        float *s = S + r * N;
        const float *qr = q + r * H * K;
        memset(s, 0, N * sizeof *s);
        for (size_t d = 0; d < K; d++) {
            const float qd = qr[d];
            const float *kd = kt + d * N;
            for (size_t j = 0; j < N; j++) s[j] += qd * kd[j];
        }
        float mx = s[0];
        for (size_t j = 1; j < N; j++) mx = s[j] > mx ? s[j] : mx;
        double sum = 0.0;
        for (size_t j = 0; j < N; j++) {
            s[j] = expf(s[j] - mx);
            sum += s[j];
        }
        const float inv = (float)(1.0 / sum);
        for (size_t j = 0; j < N; j++) s[j] *= inv;
    }
}

/* ctx rows (H*K apart) = S (rows, N) · vh (N, K) for one head. */
static void weighted_values(float *ctx, const float *S, const float *vh, size_t rows,
                            size_t N, size_t H, size_t K) {
    for (size_t r = 0; r < rows; r++) {
        float *c = ctx + r * H * K;
        const float *s = S + r * N;
        memset(c, 0, K * sizeof *c);
        for (size_t j = 0; j < N; j++) {
            const float a = s[j];
            const float *vj = vh + j * K;
            for (size_t d = 0; d < K; d++) c[d] += a * vj[d];
        }
    }
}

/* colsum (N) = sum over the rows of S (rows, N). */
static void column_sums(float *colsum, const float *S, size_t rows, size_t N) {
    memset(colsum, 0, N * sizeof *colsum);
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < N; j++) colsum[j] += S[r * N + j];
}

int pat_attention(float *ctx, float *colsum, const float *q, const float *kt,
                  const float *vh, size_t N, size_t H, size_t K) {
    const size_t tiles = pat_attention_tiles(N);
    const long jobs = (long)(H * tiles);
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        float *S = malloc(PAT_ATT_TILE * N * sizeof *S);
        failed |= S == NULL;
#pragma omp for schedule(static)
        for (long job = 0; job < jobs; job++) {
            if (!S) continue;
            const size_t h = (size_t)job / tiles, tile = (size_t)job % tiles;
            const size_t t0 = tile * PAT_ATT_TILE;
            const size_t rows = N - t0 < PAT_ATT_TILE ? N - t0 : PAT_ATT_TILE;
            scores_softmax(S, q + (t0 * H + h) * K, kt + h * K * N, rows, N, H, K);
            weighted_values(ctx + (t0 * H + h) * K, S, vh + h * N * K, rows, N, H, K);
            if (colsum) column_sums(colsum + (h * tiles + tile) * N, S, rows, N);
        }
        free(S);
    }
    return !failed;
}
