/* test_kernels.c - kernels against hand-computed values and naive oracles. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/attention.h"
#include "check.h"
#include "nn/gemm.h"
#include "nn/kernels.h"
#include "rng.h"

/* pat-spec §2.3: PE[p, i] = sin(p w_i), PE[p, 48+i] = cos(p w_i), w_i = 10000^(-2i/96). */
static void test_positional_encoding(struct check_ctx *c) {
    enum { N = 1120, E = 96 };
    float *pe = malloc(sizeof(float) * N * E);
    pat_positional_encoding(pe, N, E);
    for (int i = 0; i < 48; i++) {
        CHECK_CLOSE(c, pe[i], 0.0, 0.0);
        CHECK_CLOSE(c, pe[48 + i], 1.0, 0.0);
    }
    const int rows[] = {1, 2, 559, N - 1};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (int i = 0; i < 48; i++) {
            double w = exp(-(2.0 * i) * log(10000.0) / 96.0), a = rows[r] * w;
            /* float32 angle rounding grows with p: |p| * ulp(w) * |d sin| */
            double tol = 1e-6 + rows[r] * 2e-7;
            CHECK_CLOSE(c, pe[rows[r] * E + i], sin(a), tol);
            CHECK_CLOSE(c, pe[rows[r] * E + 48 + i], cos(a), tol);
        }
    }
    /* concatenated halves, not interleaved: at p=1 dim 1 is sin(w_1), not cos(w_0) */
    CHECK_CLOSE(c, pe[E + 1], sin(exp(-2.0 * log(10000.0) / 96.0)), 1e-6);
    free(pe);
}

static void test_layernorm_hand(struct check_ctx *c) {
    const float z[4] = {1, 2, 3, 4}, g[4] = {1, 2, 1, 1}, b[4] = {0, 0, 0, 0.5f};
    float y[4];
    pat_layernorm(y, z, g, b, 1, 4);
    const double rstd = 1.0 / sqrt(1.25 + 1e-6); /* mean 2.5, biased var 1.25 */
    CHECK_CLOSE(c, y[0], -1.5 * rstd, 1e-6);
    CHECK_CLOSE(c, y[1], 2 * -0.5 * rstd, 1e-6);
    CHECK_CLOSE(c, y[2], 0.5 * rstd, 1e-6);
    CHECK_CLOSE(c, y[3], 1.5 * rstd + 0.5, 1e-6);
    /* eps placement: a constant row gives beta, not NaN */
    const float k[4] = {3, 3, 3, 3};
    pat_layernorm(y, k, g, b, 1, 4);
    CHECK_CLOSE(c, y[3], 0.5, 0.0);
    CHECK_CLOSE(c, y[0], 0.0, 0.0);
    /* eps = 1e-6 (not 1e-12 or 1e-5): visible when the variance is 1e-6 */
    const float s[4] = {1e-3f, -1e-3f, 1e-3f, -1e-3f}, one[4] = {1, 1, 1, 1}, nil[4] = {0};
    pat_layernorm(y, s, one, nil, 1, 4);
    CHECK_CLOSE(c, y[0], 1e-3 / sqrt(1e-6 + 1e-6), 1e-5); /* = 0.7071, not ~1 */
}

static void test_gemm_hand(struct check_ctx *c) {
    /* x (2,3) · W (3,2) + b */
    const float x[6] = {1, 2, 3, 4, 5, 6}, W[6] = {1, 0, 0, 1, 1, 1}, b[2] = {0.5f, -1};
    float y[4];
    pat_gemm_bias(y, x, W, b, 2, 3, 2);
    CHECK_CLOSE(c, y[0], 1 + 3 + 0.5, 0);
    CHECK_CLOSE(c, y[1], 2 + 3 - 1, 0);
    CHECK_CLOSE(c, y[2], 4 + 6 + 0.5, 0);
    CHECK_CLOSE(c, y[3], 5 + 6 - 1, 0);
}

static void test_gemm_random(struct check_ctx *c) {
    enum { R = 37, I = 19, O = 23 };
    struct pat_rng rng;
    pat_rng_seed(&rng, 7);
    float x[R * I], W[I * O], b[O], y[R * O];
    for (int i = 0; i < R * I; i++) x[i] = pat_rng_normal(&rng);
    for (int i = 0; i < I * O; i++) W[i] = pat_rng_normal(&rng);
    for (int i = 0; i < O; i++) b[i] = pat_rng_normal(&rng);
    pat_gemm_bias(y, x, W, b, R, I, O);
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) {
            double s = b[o];
            for (int i = 0; i < I; i++) s += (double)x[r * I + i] * W[i * O + o];
            CHECK_CLOSE(c, y[r * O + o], s, 1e-4);
        }
}

/* pat-spec §2.2 by hand: P=3, E=2, zero padding inside the patch. */
static void test_conv_embed_hand(struct check_ctx *c) {
    const float x[6] = {1, 2, 3, -1, 0, 1};           /* two patches */
    const float Wc[6] = {1, 0, 1, -1, 1, 0};          /* (3,1,2): W[j][f] */
    const float b[2] = {0, 0.5f};
    float out[4];
    pat_patch_embed_conv(out, x, Wc, b, 2, 3, 2);
    /* f=0: c[t] = u[t-1] + u[t] + u[t+1]; patch 0: 3, 6, 5 -> mean 14/3 */
    CHECK_CLOSE(c, out[0], 14.0 / 3.0, 1e-6);
    /* f=1: c[t] = relu(0.5 - u[t]); patch 0: 0, 0, 0 -> 0 */
    CHECK_CLOSE(c, out[1], 0.0, 1e-6);
    /* patch 1, f=0: -1, 0, 1 -> relu: 0, 0, 1 -> 1/3; f=1: 1.5, 0.5, 0 -> 2/3 */
    CHECK_CLOSE(c, out[2], 1.0 / 3.0, 1e-6);
    CHECK_CLOSE(c, out[3], 2.0 / 3.0, 1e-6);
}

/* Naive double-precision attention for one (N, H, K) case. */
static void naive_attention(double *ctx, double *colsum, const float *q, const float *k,
                            const float *v, size_t N, size_t H, size_t K) {
    double *s = malloc(N * sizeof *s);
    memset(colsum, 0, H * N * sizeof *colsum);
    for (size_t h = 0; h < H; h++)
        for (size_t t = 0; t < N; t++) {
            double mx = -INFINITY, sum = 0;
            for (size_t j = 0; j < N; j++) {
                double d = 0;
                for (size_t e = 0; e < K; e++) d += (double)q[(t * H + h) * K + e] * k[(j * H + h) * K + e];
                s[j] = d;
                mx = d > mx ? d : mx;
            }
            for (size_t j = 0; j < N; j++) sum += (s[j] = exp(s[j] - mx));
            for (size_t e = 0; e < K; e++) {
                double a = 0;
                for (size_t j = 0; j < N; j++) a += s[j] / sum * v[(j * H + h) * K + e];
                ctx[(t * H + h) * K + e] = a;
            }
            for (size_t j = 0; j < N; j++) colsum[h * N + j] += s[j] / sum;
        }
    free(s);
}

static void test_attention_vs_naive(struct check_ctx *c) {
    enum { N = 45, H = 3, K = 5 }; /* N not a multiple of the tile */
    const size_t tiles = pat_attention_tiles(N);
    struct pat_rng rng;
    pat_rng_seed(&rng, 11);
    float q[N * H * K], k[N * H * K], v[N * H * K], kt[N * H * K], vh[N * H * K], ctx[N * H * K];
    for (int i = 0; i < N * H * K; i++) {
        q[i] = pat_rng_normal(&rng);
        k[i] = pat_rng_normal(&rng);
        v[i] = pat_rng_normal(&rng);
    }
    float *part = calloc(H * tiles * N, sizeof *part);
    double ref[N * H * K], refcol[H * N];
    pat_heads_split_t(kt, k, N, H, K);
    pat_heads_split(vh, v, N, H, K);
    CHECK(c, pat_attention(ctx, part, NULL, q, kt, vh, N, H, K));
    naive_attention(ref, refcol, q, k, v, N, H, K);
    for (int i = 0; i < N * H * K; i++) CHECK_CLOSE(c, ctx[i], ref[i], 1e-5);
    for (size_t h = 0; h < H; h++) {
        double total = 0;
        for (size_t j = 0; j < N; j++) {
            double col = 0;
            for (size_t t = 0; t < tiles; t++) col += part[(h * tiles + t) * N + j];
            CHECK_CLOSE(c, col, refcol[h * N + j], 1e-5);
            total += col;
        }
        CHECK_CLOSE(c, total, (double)N, 1e-3); /* softmax rows sum to 1 */
    }
    free(part);
}

int main(void) {
    int failures = 0;
    RUN(test_positional_encoding);
    RUN(test_layernorm_hand);
    RUN(test_gemm_hand);
    RUN(test_gemm_random);
    RUN(test_conv_embed_hand);
    RUN(test_attention_vs_naive);
    return failures ? 1 : 0;
}
