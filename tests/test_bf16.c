/* test_bf16.c - the bf16 inference path (nn/gemm_bf16.h, pat_embed_ex & co.).
 *
 * The products: every path this CPU runs (emulated with libm's fmaf, with
 * FMA instructions, VDPBF16PS) gives the same bits on odd shapes and on
 * edge values (ties, subnormal sums and accumulators, signed zeros, tiny
 * products), and each is within the float32 error bound of a float64 sum
 * of the bf16-rounded products. Inference: bf16 against float32 within the
 * bounds docs/benchmarks.md documents, the same bits for any thread count
 * and on every bf16 path. Without AVX512_BF16 the hardware comparisons are
 * skipped (SKIP lines say so); the emulation is still checked. The bf16
 * softmax's exponential: within its documented 4e-6 of exp, normal results. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/attention.h"
#include "nn/gemm.h"
#include "nn/gemm_bf16.h"
#include "rng.h"

static float *random_floats(size_t n, unsigned long long seed, float scale) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) x[i] = scale * pat_rng_normal(&rng);
    return x;
}

static float bits_float(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static uint32_t float_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static void test_bf16_rounding(struct check_ctx *c) {
    CHECK(c, pat_bf16_from_float(1.0f) == 0x3f80);
    CHECK(c, pat_bf16_from_float(bits_float(0x3f808000u)) == 0x3f80); /* tie to even */
    CHECK(c, pat_bf16_from_float(bits_float(0x3f818000u)) == 0x3f82); /* tie to even (up) */
    CHECK(c, pat_bf16_from_float(bits_float(0x3f808001u)) == 0x3f81); /* above the tie */
    CHECK(c, pat_bf16_from_float(bits_float(0x00400000u)) == 0x0000); /* subnormal to 0 */
    CHECK(c, pat_bf16_from_float(bits_float(0x80400000u)) == 0x8000); /* to -0 */
    CHECK(c, pat_bf16_from_float(INFINITY) == 0x7f80);
    CHECK(c, pat_bf16_from_float(bits_float(0x7f7fffffu)) == 0x7f80); /* FLT_MAX rounds up */
    CHECK(c, (pat_bf16_from_float(NAN) & 0x7fc0) == 0x7fc0);
    CHECK(c, pat_bf16_to_float(0xbf80) == -1.0f);
}

/* The paths this build and CPU run, best last; returns how many. */
static int bf16_paths(enum pat_bf16_path *paths) {
    int n = 0;
    paths[n++] = PAT_BF16_EMULATED;
#if defined(__x86_64__)
    if (pat_isa_supported(PAT_ISA_AVX2)) paths[n++] = PAT_BF16_EMULATED_FMA;
#endif
    if (pat_bf16_path_detect() == PAT_BF16_HARDWARE) paths[n++] = PAT_BF16_HARDWARE;
    return n;
}

struct mm_case {
    size_t m, n, k;
    int trans_a, accumulate, edge;
};

/* Edge values among normal ones: subnormals, signed zeros, ties, values
 * whose products are tiny (subnormal) or cancel. */
static void plant_edges(float *x, size_t n, unsigned seed) {
    static const uint32_t edge[] = {0x00000001u, 0x80400000u, 0x80000000u, 0x00000000u,
                                    0x3f808000u, 0x3f818000u, 0x1f800000u, 0x9f800000u,
                                    0x20000000u, 0x00800000u, 0x7f000000u, 0xfe800000u};
    for (size_t i = seed % 7; i < n; i += 5) x[i] = bits_float(edge[(i + seed) % 12]);
}

/* Every path equal bit for bit to the first; all within the bound of a
 * float64 sum of the bf16-rounded products (normal cases). */
static void check_case(struct check_ctx *c, const struct mm_case *t) {
    const size_t m = t->m, n = t->n, k = t->k, lda = t->trans_a ? m + 3 : k + 2, ldc = n + 1;
    const size_t ars = t->trans_a ? 1 : lda, aks = t->trans_a ? lda : 1;
    float *a = random_floats((t->trans_a ? k : m) * lda, 11 + m, 1.0f);
    float *b = random_floats(k * n, 12 + n, 1.0f), *c0 = random_floats(m * ldc, 13 + k, 1.0f);
    if (t->edge) plant_edges(a, (t->trans_a ? k : m) * lda, 1), plant_edges(b, k * n, 2),
        plant_edges(c0, m * ldc, 3);
    uint16_t *bp = malloc(pat_bf16_packed_len(k, n) * sizeof *bp + 1);
    pat_bf16_pack(bp, b, n, 1, k, n);
    const struct pat_bf16_b pb = {bp, pat_bf16_panel_len(k)};
    enum pat_bf16_path paths[3];
    const int np = bf16_paths(paths);
    float *out[3];
    for (int p = 0; p < np; p++) {
        out[p] = malloc(m * ldc * sizeof *out[p]);
        memcpy(out[p], c0, m * ldc * sizeof *out[p]);
        pat_bf16_matmul(paths[p], out[p], ldc, a, ars, aks, &pb, m, n, k, t->accumulate);
    }
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++) {
            const size_t at = r * ldc + j;
            for (int p = 1; p < np; p++)
                if (float_bits(out[p][at]) != float_bits(out[0][at]))
                    check_fail(c, "%zux%zux%zu%s: (%zu,%zu) path %d %a != emulated %a", m, n, k,
                               t->edge ? " edges" : "", r, j, (int)paths[p], out[p][at],
                               out[0][at]);
            if (t->edge) continue;
            double exact = t->accumulate ? c0[at] : 0.0, mag = fabs(exact);
            for (size_t i = 0; i < k; i++) {
                const double q = (double)pat_bf16_to_float(pat_bf16_from_float(a[r * ars + i * aks])) *
                                 pat_bf16_to_float(pat_bf16_from_float(b[i * n + j]));
                exact += q, mag += fabs(q);
            }
            if (fabs(out[0][at] - exact) > (double)(k + 1) * 0x1p-23 * mag)
                check_fail(c, "%zux%zux%zu: (%zu,%zu) off by %.3g", m, n, k, r, j,
                           fabs(out[0][at] - exact));
        }
    for (size_t r = 0; r < m; r++)
        for (int p = 0; p < np; p++) CHECK(c, out[p][r * ldc + n] == c0[r * ldc + n]);
    for (int p = 0; p < np; p++) free(out[p]);
    free(a), free(b), free(c0), free(bp);
}

static void test_bf16_matmul_paths(struct check_ctx *c) {
    static const struct mm_case cases[] = {
        {1, 1, 1, 0, 0, 0},    {6, 16, 2, 0, 0, 0},   {7, 17, 3, 0, 1, 0},
        {13, 70, 96, 0, 0, 0}, {48, 128, 96, 1, 0, 0}, {5, 96, 301, 0, 1, 0},
        {12, 33, 257, 1, 1, 0}, {48, 96, 128, 0, 1, 0}, {9, 65, 1152, 0, 1, 0},
        {13, 70, 96, 0, 1, 1}, {7, 40, 301, 1, 1, 1}, {6, 64, 2, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_case(c, &cases[i]);
    if (pat_bf16_path_detect() != PAT_BF16_HARDWARE)
        check_skip(c, "no AVX512_BF16 on this CPU (or PAT_ISA caps it): emulation paths only");
}

/* pat_bf16_matmul_bias equals filling c with the bias and accumulating, on
 * every path, with edge values in the bias (subnormals are flushed either way). */
static void test_bf16_matmul_bias(struct check_ctx *c) {
    const size_t m = 13, n = 70, k = 301, ldc = n + 3;
    float *a = random_floats(m * k, 31, 1.0f), *b = random_floats(k * n, 32, 1.0f);
    float *bias = random_floats(n, 33, 1.0f);
    plant_edges(bias, n, 6);
    uint16_t *bp = malloc(pat_bf16_packed_len(k, n) * sizeof *bp);
    pat_bf16_pack(bp, b, n, 1, k, n);
    const struct pat_bf16_b pb = {bp, pat_bf16_panel_len(k)};
    float *want = malloc(m * ldc * sizeof *want), *got = malloc(m * ldc * sizeof *got);
    enum pat_bf16_path paths[3];
    const int np = bf16_paths(paths);
    for (int p = 0; p < np; p++) {
        for (size_t r = 0; r < m; r++) {
            memcpy(want + r * ldc, bias, n * sizeof *want);
            for (size_t j = n; j < ldc; j++) want[r * ldc + j] = got[r * ldc + j] = -7.0f;
        }
        pat_bf16_matmul(paths[p], want, ldc, a, k, 1, &pb, m, n, k, 1);
        pat_bf16_matmul_bias(paths[p], got, ldc, a, k, 1, &pb, bias, m, n, k);
        CHECK(c, memcmp(want, got, m * ldc * sizeof *got) == 0);
    }
    free(a), free(b), free(bias), free(bp), free(want), free(got);
}

/* pat_bf16_round and pat_bf16_pack (whichever path this CPU takes) against
 * pat_bf16_from_float element by element, on both packing directions. */
static void test_bf16_round_and_pack(struct check_ctx *c) {
    const size_t n = 1000, k = 37, cols = 45;
    float *x = random_floats(n, 21, 3.0f), *b = random_floats(k * cols, 22, 1.0f);
    plant_edges(x, n, 4), plant_edges(b, k * cols, 5);
    x[3] = NAN, x[4] = -INFINITY, x[5] = 0x1.fffffep127f;
    uint16_t *r = malloc(n * sizeof *r), *p1 = malloc(pat_bf16_packed_len(k, cols) * sizeof *p1);
    uint16_t *p2 = malloc(pat_bf16_packed_len(k, cols) * sizeof *p2);
    pat_bf16_round(r, x, n);
    for (size_t i = 0; i < n; i++)
        if (r[i] != pat_bf16_from_float(x[i]))
            check_fail(c, "round %zu: %04x != %04x", i, r[i], pat_bf16_from_float(x[i]));
    float *bt = malloc(k * cols * sizeof *bt); /* b transposed: (cols, k) */
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < cols; j++) bt[j * k + i] = b[i * cols + j];
    pat_bf16_pack(p1, b, cols, 1, k, cols);
    pat_bf16_pack(p2, bt, 1, k, k, cols);
    for (size_t v = 0; v * PAT_BF16_PANEL < cols; v++)
        for (size_t i = 0; i < (k + 1) / 2 * 2; i++)
            for (size_t jj = 0; jj < PAT_BF16_PANEL; jj++) {
                const size_t j = v * PAT_BF16_PANEL + jj;
                const size_t at = v * pat_bf16_panel_len(k) + i / 2 * 32 + 2 * jj + i % 2;
                const uint16_t want = i < k && j < cols ? pat_bf16_from_float(b[i * cols + j]) : 0;
                if (p1[at] != want || p2[at] != want)
                    check_fail(c, "pack (%zu,%zu): %04x %04x != %04x", i, j, p1[at], p2[at], want);
            }
    free(x), free(b), free(bt), free(r), free(p1), free(p2);
}

/* ---- inference ------------------------------------------------------------------ */

#define INF_B 5
#define INF_T 1440

/* A fresh PAT-M with a head and INF_B day-long inputs (uniform 0..3, like
 * log1p of minute counts). */
static struct pat_model *inference_setup(struct check_ctx *c, float **x) {
    struct pat_config cfg;
    struct pat_model *m = NULL;
    struct pat_err err;
    CHECK_STATUS(c, pat_config_preset("M", &cfg, &err), PAT_OK);
    CHECK_STATUS(c, pat_model_init_random(&cfg, 1, 5, &m, &err), PAT_OK);
    *x = malloc(INF_B * INF_T * sizeof **x);
    struct pat_rng rng;
    pat_rng_seed(&rng, 9);
    for (size_t i = 0; i < INF_B * INF_T; i++) (*x)[i] = 3.0f * pat_rng_uniform(&rng);
    return m;
}

/* out (B, width) of one call at a precision; NULL on failure (fails c). */
static float *infer(struct check_ctx *c, const struct pat_model *m, const float *x, int kind,
                    enum pat_precision prec) {
    const size_t N = INF_T / pat_model_config(m)->patch_size, E = pat_model_config(m)->embed_dim;
    const size_t width = kind == 0 ? E : kind == 1 ? 1 : N;
    float *out = malloc(INF_B * width * sizeof *out);
    struct pat_err err;
    enum pat_status st = kind == 0   ? pat_embed_ex(m, x, INF_B, INF_T, prec, out, &err)
                         : kind == 1 ? pat_predict_ex(m, x, INF_B, INF_T, prec, out, &err)
                                     : pat_explain_ex(m, x, INF_B, INF_T, prec, out, &err);
    CHECK_STATUS(c, st, PAT_OK);
    return out;
}

/* The bounds docs/benchmarks.md states: per sequence, embeddings within 3%
 * (relative L2), probabilities within 0.02, explanations within 1% of the
 * largest value; and bf16 really differs from float32. */
static void test_bf16_inference_bounds(struct check_ctx *c) {
    float *x;
    struct pat_model *m = inference_setup(c, &x);
    const size_t E = pat_model_config(m)->embed_dim, N = INF_T / pat_model_config(m)->patch_size;
    float *e32 = infer(c, m, x, 0, PAT_PRECISION_FP32), *e16 = infer(c, m, x, 0, PAT_PRECISION_BF16);
    float *p32 = infer(c, m, x, 1, PAT_PRECISION_FP32), *p16 = infer(c, m, x, 1, PAT_PRECISION_BF16);
    float *x32 = infer(c, m, x, 2, PAT_PRECISION_FP32), *x16 = infer(c, m, x, 2, PAT_PRECISION_BF16);
    float *plain = malloc(INF_B * E * sizeof *plain);
    struct pat_err err;
    CHECK_STATUS(c, pat_embed(m, x, INF_B, INF_T, plain, &err), PAT_OK);
    CHECK(c, memcmp(plain, e32, INF_B * E * sizeof *plain) == 0); /* fp32 is pat_embed */
    double worst = 0.0;
    for (size_t b = 0; b < INF_B; b++) {
        double num = 0.0, den = 0.0, xmax = 0.0, xd = 0.0;
        for (size_t e = 0; e < E; e++) {
            const double d = (double)e16[b * E + e] - e32[b * E + e];
            num += d * d, den += (double)e32[b * E + e] * e32[b * E + e];
        }
        for (size_t s = 0; s < N; s++) {
            xmax = fmax(xmax, x32[b * N + s]);
            xd = fmax(xd, fabs((double)x16[b * N + s] - x32[b * N + s]));
        }
        worst = fmax(worst, sqrt(num / den));
        if (sqrt(num / den) > 3e-2) check_fail(c, "row %zu: embedding off by %.3g", b, sqrt(num / den));
        CHECK(c, fabs((double)p16[b] - p32[b]) <= 2e-2);
        CHECK(c, xd <= 1e-2 * xmax);
    }
    CHECK(c, worst > 1e-5); /* the bf16 path ran */
    float bad;
    CHECK_STATUS(c, pat_embed_ex(m, x, 1, INF_T, (enum pat_precision)7, &bad, &err), PAT_ERR_USAGE);
    free(e32), free(e16), free(p32), free(p16), free(x32), free(x16), free(plain), free(x);
    pat_model_free(m);
}

/* bf16 embeddings and explanations: the same bits for 1, 2 and 3 threads
 * (5 sequences: whole rounds of sequences in parallel, and the rest with
 * the threads inside one sequence). */
static void test_bf16_thread_invariance(struct check_ctx *c) {
    float *x;
    struct pat_model *m = inference_setup(c, &x);
    const size_t E = pat_model_config(m)->embed_dim, N = INF_T / pat_model_config(m)->patch_size;
    const size_t saved = pat_threads();
    float *e[3], *xp[3];
    for (size_t t = 0; t < 3; t++) {
        pat_set_threads(t + 1);
        e[t] = infer(c, m, x, 0, PAT_PRECISION_BF16);
        xp[t] = infer(c, m, x, 2, PAT_PRECISION_BF16);
    }
    pat_set_threads(saved);
    for (size_t t = 1; t < 3; t++) {
        CHECK(c, memcmp(e[0], e[t], INF_B * E * sizeof *e[0]) == 0);
        CHECK(c, memcmp(xp[0], xp[t], INF_B * N * sizeof *xp[0]) == 0);
    }
    for (size_t t = 0; t < 3; t++) free(e[t]), free(xp[t]);
    free(x);
    pat_model_free(m);
}

/* VDPBF16PS against the emulation through the whole network: PAT_ISA=avx2
 * runs the emulation with the same float32 kernels around it (the FMA paths
 * agree bit for bit), so embeddings and explanations must be identical. */
static void test_bf16_hardware_matches_emulation(struct check_ctx *c) {
    if (pat_bf16_path_detect() != PAT_BF16_HARDWARE) {
        check_skip(c, "no AVX512_BF16 on this CPU (or PAT_ISA caps it)");
        return;
    }
    float *x;
    struct pat_model *m = inference_setup(c, &x);
    const size_t E = pat_model_config(m)->embed_dim, N = INF_T / pat_model_config(m)->patch_size;
    float *e_hw = infer(c, m, x, 0, PAT_PRECISION_BF16), *x_hw = infer(c, m, x, 2, PAT_PRECISION_BF16);
    setenv("PAT_ISA", "avx2", 1);
    CHECK(c, pat_bf16_path_detect() == PAT_BF16_EMULATED_FMA);
    float *e_em = infer(c, m, x, 0, PAT_PRECISION_BF16), *x_em = infer(c, m, x, 2, PAT_PRECISION_BF16);
    unsetenv("PAT_ISA");
    CHECK(c, memcmp(e_hw, e_em, INF_B * E * sizeof *e_hw) == 0);
    CHECK(c, memcmp(x_hw, x_em, INF_B * N * sizeof *x_hw) == 0);
    free(e_hw), free(x_hw), free(e_em), free(x_em), free(x);
    pat_model_free(m);
}

/* The bf16 attention's exp (pat_exp_nonpos_bf16): relative error below
 * 4e-6 on [-86, 0] (docs/benchmarks.md, nn/attention.h), exactly 1 at 0,
 * and far below the range a small normal float (exp(-86)). */
static void test_bf16_exp(struct check_ctx *c) {
    double worst = 0;
    for (int i = 0; i <= 400000; i++) {
        const float x = -86.0f * (float)i / 400000.0f;
        const double rel = fabs(pat_exp_nonpos_bf16(x) - exp((double)x)) / exp((double)x);
        worst = fmax(worst, rel);
    }
    printf("  bf16 exp: worst relative error %.2e on [-86, 0]\n", worst);
    CHECK(c, worst < 4e-6);
    CHECK(c, pat_exp_nonpos_bf16(0.0f) == 1.0f);
    CHECK(c, pat_exp_nonpos_bf16(-0.0f) == 1.0f);
    const float tiny[] = {-1e30f, -INFINITY, -86.5f};
    for (size_t i = 0; i < sizeof tiny / sizeof *tiny; i++) {
        const float e = pat_exp_nonpos_bf16(tiny[i]);
        CHECK(c, e >= FLT_MIN && e < 5e-38f);
    }
}

int main(void) {
    int failures = 0;
    RUN(test_bf16_exp);
    RUN(test_bf16_rounding);
    RUN(test_bf16_matmul_paths);
    RUN(test_bf16_matmul_bias);
    RUN(test_bf16_round_and_pack);
    RUN(test_bf16_inference_bounds);
    RUN(test_bf16_thread_invariance);
    RUN(test_bf16_hardware_matches_emulation);
    return failures ? 1 : 0;
}
