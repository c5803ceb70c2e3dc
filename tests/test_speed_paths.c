/* test_speed_paths.c - every fast kernel against its simple version (the
 * oracle it replaced), on every instruction-set path this CPU can run
 * (PAT_ISA caps the path), on odd shapes that exercise the tile edges.
 *
 * Tolerances: the portable path sums in the same order as the simple loops
 * and must match them bit for bit; the FMA paths round once per
 * multiply-add, so they are checked against a float64 oracle within
 * k·2^-22 of the sum of |products| (twice the worst-case float bound
 * k·2^-24, which the simple loops meet too). Attention (tiled online softmax
 * with a polynomial exp versus expf row by row, float sums in another order)
 * within 4e-6 of each output's largest entry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/attention.h"
#include "check.h"
#include "nn/gemm.h"
#include "nn/kernels.h"
#include "nn/tile_choice.h"
#include "rng.h"
#include "train/finetune.h"

static float *random_floats(size_t n, unsigned long long seed, float scale) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) x[i] = scale * pat_rng_normal(&rng);
    return x;
}

/* Run the kernels capped at `isa` (through PAT_ISA). */
static void use_isa(enum pat_isa isa) { setenv("PAT_ISA", pat_isa_name(isa), 1); }

/* The next path after isa that this build and CPU can run, or PAT_ISA_COUNT. */
static int next_path(int isa) {
    while (++isa < PAT_ISA_COUNT && !pat_isa_supported((enum pat_isa)isa)) {
    }
    return isa;
}

/* ---- pat_matmul ------------------------------------------------------------------- */

struct mm_case {
    size_t m, n, k;
    int trans_a, accumulate;
};

/* Check one case on one path: bit-identical to the simple loops on the
 * portable path, within the float error bound of the float64 sum elsewhere. */
static void check_matmul_case(struct check_ctx *c, enum pat_isa isa, const struct mm_case *t) {
    const size_t m = t->m, n = t->n, k = t->k, lda = t->trans_a ? m + 3 : k + 2, ldc = n + 1;
    const size_t ars = t->trans_a ? 1 : lda, aks = t->trans_a ? lda : 1, ldb = n + 5;
    float *a = random_floats((t->trans_a ? k : m) * lda, 1 + m, 1.0f);
    float *b = random_floats(k * ldb, 2 + n, 1.0f), *c0 = random_floats(m * ldc, 3 + k, 1.0f);
    float *fast = malloc(m * ldc * sizeof *fast), *simple = malloc(m * ldc * sizeof *simple);
    memcpy(fast, c0, m * ldc * sizeof *fast);
    memcpy(simple, c0, m * ldc * sizeof *simple);
    pat_matmul(isa, fast, ldc, a, ars, aks, b, ldb, m, n, k, t->accumulate);
    pat_matmul_simple(simple, ldc, a, ars, aks, b, ldb, m, n, k, t->accumulate);
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++) {
            const size_t at = r * ldc + j;
            double exact = t->accumulate ? c0[at] : 0.0, mag = fabs(exact);
            for (size_t i = 0; i < k; i++) {
                const double p = (double)a[r * ars + i * aks] * b[i * ldb + j];
                exact += p, mag += fabs(p);
            }
            const double bound = (double)(k + 1) * 0x1p-22 * mag;
            if (isa == PAT_ISA_PORTABLE && fast[at] != simple[at])
                check_fail(c, "portable %zux%zux%zu: (%zu,%zu) %.9g != simple %.9g", m, n, k, r,
                           j, fast[at], simple[at]);
            if (fabs(fast[at] - exact) > bound || fabs(simple[at] - exact) > bound)
                check_fail(c, "%s %zux%zux%zu: (%zu,%zu) off by %.3g (bound %.3g)",
                           pat_isa_name(isa), m, n, k, r, j, fabs(fast[at] - exact), bound);
        }
    for (size_t r = 0; r < m; r++) /* the padding between rows is untouched */
        CHECK(c, fast[r * ldc + n] == c0[r * ldc + n]);
    free(a), free(b), free(c0), free(fast), free(simple);
}

/* Every register tile of isa on one case gives the bits of tile 0, padding untouched. */
static void check_tiles_agree(struct check_ctx *c, enum pat_isa isa, const struct mm_case *t,
                              unsigned long long seed) {
    const size_t m = t->m, n = t->n, k = t->k, lda = t->trans_a ? m + 1 : k + 3, ldc = n + 2;
    const size_t ars = t->trans_a ? 1 : lda, aks = t->trans_a ? lda : 1, ldb = n + 7;
    float *a = random_floats((t->trans_a ? k : m) * lda, seed, 1.0f);
    float *b = random_floats(k * ldb, seed + 1, 1.0f), *c0 = random_floats(m * ldc, seed + 2, 1.0f);
    float *first = malloc(m * ldc * sizeof *first), *other = malloc(m * ldc * sizeof *other);
    for (int tile = 0; tile < pat_tile_count(isa); tile++) {
        float *out = tile == 0 ? first : other;
        memcpy(out, c0, m * ldc * sizeof *out);
        pat_matmul_tile(isa, tile, out, ldc, a, ars, aks, b, ldb, m, n, k, t->accumulate);
        if (tile > 0 && memcmp(first, other, m * ldc * sizeof *other) != 0)
            check_fail(c, "%s tile %s differs from %s on %zux%zux%zu (trans %d, acc %d)",
                       pat_isa_name(isa), pat_tile_name(isa, tile), pat_tile_name(isa, 0), m, n,
                       k, t->trans_a, t->accumulate);
    }
    free(a), free(b), free(c0), free(first), free(other);
}

/* All tiles of every path agree bit for bit on random shapes that cross every
 * edge: row counts around each tile height, column counts around 8, 16, 32,
 * inner lengths around the KC block (256); the active tile (pat_matmul) is
 * one of them, and test_matmul_paths checks it against the simple loops. */
static void test_tiles_agree(struct check_ctx *c) {
    struct pat_rng rng;
    pat_rng_seed(&rng, 99);
    const size_t ks[] = {1, 3, 96, 255, 256, 257, 600};
    for (int isa = PAT_ISA_PORTABLE; isa < PAT_ISA_COUNT; isa = next_path(isa)) {
        CHECK(c, pat_tile_active((enum pat_isa)isa) < pat_tile_count((enum pat_isa)isa));
        for (int i = 0; i < 40; i++) {
            const struct mm_case t = {1 + pat_rng_u64(&rng) % 60, 1 + pat_rng_u64(&rng) % 140,
                                      ks[pat_rng_u64(&rng) % (sizeof ks / sizeof ks[0])],
                                      (int)(pat_rng_u64(&rng) % 2), (int)(pat_rng_u64(&rng) % 2)};
            check_tiles_agree(c, (enum pat_isa)isa, &t, 100 + (unsigned long long)i);
        }
        const struct mm_case model[] = {{48, 1152, 96, 0, 1}, {48, 96, 1152, 0, 1},
                                        {50, 256, 96, 0, 0},  {48, 128, 96, 1, 0}};
        for (size_t i = 0; i < sizeof model / sizeof model[0]; i++)
            check_tiles_agree(c, (enum pat_isa)isa, &model[i], 200 + i);
    }
}

static void test_matmul_paths(struct check_ctx *c) {
    const struct mm_case cases[] = {
        {1, 1, 1, 0, 0},    {6, 32, 96, 0, 0},   {7, 33, 5, 0, 1},   {13, 71, 300, 1, 0},
        {48, 128, 96, 0, 1}, {5, 9, 257, 1, 1},  {12, 24, 0, 0, 0},  {49, 96, 130, 0, 1},
        {2, 200, 31, 1, 0},  {37, 23, 19, 0, 0},
    };
    for (int isa = PAT_ISA_PORTABLE; isa < PAT_ISA_COUNT; isa = next_path(isa))
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            check_matmul_case(c, (enum pat_isa)isa, &cases[i]);
}

/* ---- Dense layers ------------------------------------------------------------------- */

/* pat_gemm_bias and pat_gemm_backward on one path against the simple loops. */
static void check_dense(struct check_ctx *c, enum pat_isa isa, size_t R, size_t I, size_t O) {
    float *x = random_floats(R * I, 11, 1.0f), *W = random_floats(I * O, 12, 0.3f);
    float *b = random_floats(O, 13, 1.0f), *dy = random_floats(R * O, 14, 1.0f);
    float *y[2], *dx[2], *dW[2], *db[2];
    for (int v = 0; v < 2; v++) {
        y[v] = malloc(R * O * sizeof(float));
        dx[v] = random_floats(R * I, 15, 1.0f), dW[v] = random_floats(I * O, 16, 1.0f);
        db[v] = random_floats(O, 17, 1.0f);
    }
    use_isa(isa);
    pat_gemm_bias(y[0], x, W, b, R, I, O);
    pat_gemm_backward(dx[0], dW[0], db[0], dy, x, W, R, I, O);
    unsetenv("PAT_ISA");
    pat_gemm_bias_simple(y[1], x, W, b, R, I, O);
    pat_gemm_backward_simple(dx[1], dW[1], db[1], dy, x, W, R, I, O);
    const int exact = isa == PAT_ISA_PORTABLE;
    const double tol_y = exact ? 0 : 1e-5 * (double)I, tol_dx = exact ? 0 : 1e-5 * (double)O;
    const double tol_dw = exact ? 0 : 1e-5 * (double)R;
    for (size_t i = 0; i < R * O; i++) CHECK_CLOSE(c, y[0][i], y[1][i], tol_y);
    for (size_t i = 0; i < R * I; i++) CHECK_CLOSE(c, dx[0][i], dx[1][i], tol_dx);
    for (size_t i = 0; i < I * O; i++) CHECK_CLOSE(c, dW[0][i], dW[1][i], tol_dw);
    for (size_t i = 0; i < O; i++) CHECK_CLOSE(c, db[0][i], db[1][i], 0.0);
    for (int v = 0; v < 2; v++) free(y[v]), free(dx[v]), free(dW[v]), free(db[v]);
    free(x), free(W), free(b), free(dy);
}

static void test_dense_paths(struct check_ctx *c) {
    for (int isa = PAT_ISA_PORTABLE; isa < PAT_ISA_COUNT; isa = next_path(isa)) {
        check_dense(c, (enum pat_isa)isa, 101, 18, 96);  /* patch embedding, odd rows */
        check_dense(c, (enum pat_isa)isa, 60, 96, 288);  /* projections: several row blocks */
        check_dense(c, (enum pat_isa)isa, 7, 300, 13);   /* long inner index, narrow output */
    }
}

/* ---- attention ---------------------------------------------------------------------- */

struct att_data {
    size_t N, H, K, n;
    float *q, *k, *v, *kt, *vh, *dctx;
};

static void att_data_init(struct att_data *d, size_t N, size_t H, size_t K, float sharpen) {
    d->N = N, d->H = H, d->K = K, d->n = N * H * K;
    d->q = random_floats(d->n, 21, sharpen / sqrtf((float)K));
    d->k = random_floats(d->n, 22, 1.0f), d->v = random_floats(d->n, 23, 1.0f);
    d->dctx = random_floats(d->n, 24, 1.0f);
    d->kt = malloc(d->n * sizeof(float)), d->vh = malloc(d->n * sizeof(float));
    pat_heads_split_t(d->kt, d->k, N, H, K);
    pat_heads_split(d->vh, d->v, N, H, K);
}

static void att_data_free(struct att_data *d) {
    free(d->q), free(d->k), free(d->v), free(d->kt), free(d->vh), free(d->dctx);
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]));
    return worst;
}

/* Largest |a - b| relative to the largest |b|. */
static double max_rel_diff(const float *a, const float *b, size_t n) {
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs((double)b[i]));
    return max_abs_diff(a, b, n) / (scale > 0 ? scale : 1.0);
}

/* Forward (context, explanation sums, log-sum-exp) and backward on one path
 * against the simple row-at-a-time versions; returns the worst difference
 * relative to each output's largest entry (observed: 1.4e-6). */
static double check_attention(struct check_ctx *c, enum pat_isa isa, const struct att_data *d) {
    const size_t N = d->N, H = d->H, n = d->n, ncol = H * pat_attention_tiles(N) * N;
    float *out[2][6];
    for (int v = 0; v < 2; v++) {
        for (int i = 0; i < 6; i++) out[v][i] = calloc(i == 1 ? ncol : i == 2 ? H * N : n, sizeof(float));
        if (v == 0) use_isa(isa);
        int (*fwd)(float *, float *, float *, const float *, const float *, const float *, size_t,
                   size_t, size_t) = v == 0 ? pat_attention : pat_attention_simple;
        int (*bwd)(float *, float *, float *, const float *, const float *, const float *,
                   const float *, const float *, const float *, size_t, size_t, size_t) =
            v == 0 ? pat_attention_backward : pat_attention_backward_simple;
        CHECK(c, fwd(out[v][0], out[v][1], out[v][2], d->q, d->kt, d->vh, N, H, d->K));
        CHECK(c, bwd(out[v][3], out[v][4], out[v][5], d->dctx, d->q, d->k, d->v, out[v][0],
                     out[v][2], N, H, d->K));
        unsetenv("PAT_ISA");
    }
    const char *what[6] = {"ctx", "colsum", "lse", "dq", "dk", "dv"};
    const size_t len[6] = {n, ncol, H * N, n, n, n};
    double all = 0;
    for (int i = 0; i < 6; i++) {
        const double worst = max_rel_diff(out[0][i], out[1][i], len[i]);
        all = fmax(all, worst);
        if (!(worst <= 4e-6))
            check_fail(c, "%s N=%zu H=%zu K=%zu: %s differs by %.3g of its largest entry",
                       pat_isa_name(isa), N, H, d->K, what[i], worst);
    }
    for (int v = 0; v < 2; v++)
        for (int i = 0; i < 6; i++) free(out[v][i]);
    return all;
}

static void test_attention_paths(struct check_ctx *c) {
    const size_t shapes[][3] = {{45, 3, 5}, {200, 2, 96}, {130, 1, 7}, {1, 2, 4}};
    double worst[PAT_ISA_COUNT] = {0};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        struct att_data d;
        att_data_init(&d, shapes[s][0], shapes[s][1], shapes[s][2], s == 1 ? 4.0f : 1.0f);
        for (int isa = PAT_ISA_PORTABLE; isa < PAT_ISA_COUNT; isa = next_path(isa))
            worst[isa] = fmax(worst[isa], check_attention(c, (enum pat_isa)isa, &d));
        att_data_free(&d);
    }
    for (int isa = PAT_ISA_PORTABLE; isa < PAT_ISA_COUNT; isa = next_path(isa))
        printf("  attention %s: worst difference %.2e of the largest entry\n",
               pat_isa_name((enum pat_isa)isa), worst[isa]);
}

/* Peaked scores (differences far beyond exp's range) stay finite, and a
 * probability underflows to 0, not to garbage. */
static void test_attention_extreme_scores(struct check_ctx *c) {
    struct att_data d;
    att_data_init(&d, 70, 1, 4, 300.0f);
    float *ctx = malloc(d.n * sizeof(float)), *ref = malloc(d.n * sizeof(float));
    float col[70 * 2], lse[70];
    for (int isa = PAT_ISA_PORTABLE; isa < PAT_ISA_COUNT; isa = next_path(isa)) {
        use_isa((enum pat_isa)isa);
        CHECK(c, pat_attention(ctx, col, lse, d.q, d.kt, d.vh, d.N, d.H, d.K));
        unsetenv("PAT_ISA");
        CHECK(c, pat_attention_simple(ref, NULL, NULL, d.q, d.kt, d.vh, d.N, d.H, d.K));
        CHECK(c, max_abs_diff(ctx, ref, d.n) <= 1e-5);
        for (size_t i = 0; i < d.N * 2; i++) CHECK(c, isfinite(col[i]) && col[i] >= 0.0f);
    }
    free(ctx), free(ref);
    att_data_free(&d);
}

/* The polynomial exp against expf: within 2 ulp on [-87, 0], exactly 1 at
 * 0, 0 far below the float range. */
static void test_exp(struct check_ctx *c) {
    double worst = 0;
    for (int i = 0; i <= 200000; i++) {
        const float x = -87.0f * (float)i / 200000.0f;
        const double rel = fabs(pat_exp_nonpos(x) - exp((double)x)) / exp((double)x);
        worst = fmax(worst, rel);
    }
    printf("  exp: worst relative error %.2e on [-87, 0]\n", worst);
    CHECK(c, worst < 2.4e-7);
    CHECK(c, pat_exp_nonpos(0.0f) == 1.0f);
    CHECK(c, pat_exp_nonpos(-1e30f) < 1.2e-38f && pat_exp_nonpos(-1e30f) >= 0.0f);
    CHECK(c, pat_exp_nonpos(-INFINITY) < 1.2e-38f);
}

/* ---- Conv patch embedding --------------------------------------------------------- */

/* The one-filter-at-a-time loops the blocked kernels replaced. */
static float naive_conv(const float *u, size_t t, size_t P, const float *Wc, const float *b,
                        size_t f, size_t E) {
    const float left = t > 0 ? u[t - 1] : 0.0f, right = t + 1 < P ? u[t + 1] : 0.0f;
    return b[f] + Wc[f] * left + Wc[E + f] * u[t] + Wc[2 * E + f] * right;
}

static void test_conv_paths(struct check_ctx *c) {
    const size_t N = 7, P = 9, E = 37; /* E: two blocks of 16 and a tail */
    float *x = random_floats(N * P, 51, 1.0f), *Wc = random_floats(3 * E, 52, 1.0f);
    float *b = random_floats(E, 53, 0.5f), *dout = random_floats(N * E, 54, 1.0f);
    float out[7 * 37], dW[2][3 * 37] = {{0}}, db[2][37] = {{0}};
    pat_patch_embed_conv(out, x, Wc, b, N, P, E);
    pat_patch_embed_conv_backward(dW[0], db[0], dout, x, Wc, b, N, P, E);
    for (size_t p = 0; p < N; p++)
        for (size_t f = 0; f < E; f++) {
            float acc = 0.0f;
            for (size_t t = 0; t < P; t++) {
                const float v = naive_conv(x + p * P, t, P, Wc, b, f, E);
                acc += v > 0.0f ? v : 0.0f;
                if (v <= 0.0f) continue;
                const float g = dout[p * E + f] / (float)P;
                const float in[3] = {t > 0 ? x[p * P + t - 1] : 0.0f, x[p * P + t],
                                     t + 1 < P ? x[p * P + t + 1] : 0.0f};
                db[1][f] += g;
                for (int j = 0; j < 3; j++) dW[1][j * E + f] += g * in[j];
            }
            CHECK(c, out[p * E + f] == acc / (float)P);
        }
    for (size_t f = 0; f < E; f++) CHECK(c, db[0][f] == db[1][f]);
    for (size_t i = 0; i < 3 * E; i++) CHECK(c, dW[0][i] == dW[1][i]);
    free(x), free(Wc), free(b), free(dout);
}

/* ---- element-wise kernels ---------------------------------------------------------- */

static void test_elementwise(struct check_ctx *c) {
    const size_t n = 999;
    float *x = random_floats(n, 31, 1.0f), *a = random_floats(n, 32, 1.0f);
    float *y = malloc(n * sizeof *y), *d = malloc(n * sizeof *d);
    memcpy(y, x, n * sizeof *y);
    pat_relu_inplace(y, n);
    for (size_t i = 0; i < n; i++) CHECK(c, y[i] == (x[i] > 0 ? x[i] : 0.0f));
    pat_relu_backward(d, a, y, n);
    for (size_t i = 0; i < n; i++) CHECK(c, d[i] == (y[i] > 0 ? a[i] : 0.0f));
    memcpy(d, a, n * sizeof *d);
    pat_relu_backward(d, d, y, n); /* in place, as block.c calls it */
    for (size_t i = 0; i < n; i++) CHECK(c, d[i] == (y[i] > 0 ? a[i] : 0.0f));
    memcpy(y, x, n * sizeof *y);
    pat_add_inplace(y, a, n);
    for (size_t i = 0; i < n; i++) CHECK(c, y[i] == x[i] + a[i]);
    memcpy(y, x, n * sizeof *y);
    pat_add_inplace(y + 1, y, n - 1); /* overlapping: element by element, in order */
    float want = x[0];
    for (size_t i = 1; i < n; i++) CHECK(c, y[i] == (want = x[i] + want));
    free(x), free(a), free(y), free(d);
}

/* ---- whole model ----------------------------------------------------------------- */

/* The portable path reproduces the fast path's outputs closely, and a batch
 * that does not divide among the threads (sequences in parallel plus one
 * alone) gives the same bits as one thread. */
static void test_model_paths(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("M", &cfg, NULL);
    struct pat_model *m = NULL;
    CHECK_STATUS(c, pat_model_init_random(&cfg, 1, 3, &m, NULL), PAT_OK);
    if (!m) return;
    const size_t B = 3, T = 1440, N = T / cfg.patch_size;
    float *x = random_floats(B * T, 41, 1.0f), out[3][3 * 80];
    int threads[3] = {2, 1, 2};
    for (int v = 0; v < 3; v++) {
#ifndef PAT_NO_THREADS
        pat_set_threads((size_t)(threads[v]));
#endif
        if (v == 2) use_isa(PAT_ISA_PORTABLE);
        CHECK_STATUS(c, pat_explain(m, x, B, T, out[v], NULL), PAT_OK);
        unsetenv("PAT_ISA");
    }
    (void)threads;
    CHECK(c, memcmp(out[0], out[1], B * N * sizeof(float)) == 0);
    CHECK(c, max_abs_diff(out[0], out[2], B * N) < 1e-6);
    pat_model_free(m);
    free(x);
}

/* Fine-tuning steps (batches of 4 over 10 sequences: lanes of 1, 2 and 3
 * sequences, a last batch of 2) end with the same weights for 1, 2 and 3
 * threads. */
static void test_training_lanes(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    const struct pat_config cfg = {4, 8, 2, 4, 16, 2, PAT_EMBED_DENSE};
    const size_t n = 10, nv = 4, T = 32;
    float *x = random_floats(n * T, 61, 1.0f), *xv = random_floats(nv * T, 62, 1.0f);
    float y[10], yv[4] = {0, 1, 0, 1}, *params[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < n; i++) y[i] = (float)(i % 2);
    const struct pat_train_data tr = {x, y, n, T}, va = {xv, yv, nv, T};
    size_t np = 0;
    for (int threads = 1; threads <= 3; threads++) {
        struct pat_model *m = NULL;
        struct pat_train_params p;
        struct pat_train_result r = {0};
        CHECK_STATUS(c, pat_model_init_random(&cfg, 1, 5, &m, NULL), PAT_OK);
        if (!m) break;
        pat_train_default_params(&cfg, &p);
        p.epochs = 2, p.batch_size = 4, p.lr_head = p.lr_encoder = 1e-3, p.shuffle = 1;
        pat_set_threads((size_t)(threads));
        CHECK_STATUS(c, pat_finetune(m, &p, &tr, &va, &r, NULL), PAT_OK);
        np = pat_model_num_params(m);
        params[threads - 1] = malloc(np * sizeof(float));
        memcpy(params[threads - 1], pat_model_tensor_data(m, 0), np * sizeof(float));
        pat_train_result_free(&r);
        pat_model_free(m);
    }
    pat_set_threads((size_t)(2));
    for (int v = 1; v < 3 && params[0] && params[v]; v++)
        CHECK(c, memcmp(params[0], params[v], np * sizeof(float)) == 0);
    for (int v = 0; v < 3; v++) free(params[v]);
    free(x), free(xv);
#endif
}

int main(void) {
    int failures = 0;
    const enum pat_isa best = pat_isa_detect();
    const int tile = pat_tile_active(best);
    printf("  paths on this CPU: portable..%s; its tile %s (%s) of %d\n", pat_isa_name(best),
           pat_tile_name(best, tile), pat_tile_how(best), pat_tile_count(best));
    RUN(test_matmul_paths);
    RUN(test_tiles_agree);
    RUN(test_dense_paths);
    RUN(test_attention_paths);
    RUN(test_attention_extreme_scores);
    RUN(test_exp);
    RUN(test_conv_paths);
    RUN(test_elementwise);
    RUN(test_model_paths);
    RUN(test_training_lanes);
    return failures ? 1 : 0;
}
