/* gemm.c - register-tiled matrix products (see gemm.h).
 *
 * tile() keeps an MR x NR block of c in registers: for each inner index i it
 * loads NR values of b's row i and adds, to each of the MR rows, those values
 * times one broadcast element of a. It is plain C with MR and NR known at
 * compile time; matmul_body() is inlined into one function per instruction
 * set (target attributes), with the NR that fills that set's registers:
 *
 *     portable  6 x 8   12 SSE accumulators, multiply then add
 *     AVX2      6 x 16  12 YMM accumulators, fused multiply-add
 *     AVX-512   6 x 32  12 ZMM accumulators, fused multiply-add
 *     NEON      6 x 16  24 of ARM64's 32 vector registers, fused multiply-add
 *
 * and GCC vectorizes each (objdump -d build/src/gemm.o | grep -c vfmadd).
 * The inner index is blocked by KC, which changes no sum: a block continues
 * from the value the previous one stored.
 */
#include "nn/gemm.h"
#include "nn/pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MR 6           /* rows of a register tile */
#define NR_MAX 32      /* widest tile (AVX-512) */
#define KC 256         /* inner-index block: b (KC, NR) stays in L1/L2 */
#define ROW_BLOCK 48   /* rows per parallel job in pat_gemm_bias / backward */
#define COL_BLOCK 256  /* dW columns per parallel job */

/* ---- instruction set --------------------------------------------------- */

enum pat_isa pat_isa_detect(void) {
#if PAT_X86_PATHS
    if (__builtin_cpu_supports("avx512f")) return PAT_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return PAT_ISA_AVX2;
#endif
#if PAT_ARM64_PATHS
    return PAT_ISA_NEON;
#endif
    return PAT_ISA_PORTABLE;
}

int pat_isa_supported(enum pat_isa isa) {
    const enum pat_isa best = pat_isa_detect();
    if (isa == PAT_ISA_PORTABLE || isa == best) return 1;
    return best == PAT_ISA_AVX512 && isa == PAT_ISA_AVX2;
}

const char *pat_isa_name(enum pat_isa isa) {
    static const char *const names[PAT_ISA_COUNT] = {"portable", "avx2", "avx512", "neon"};
    return (unsigned)isa < PAT_ISA_COUNT ? names[isa] : "unknown";
}

enum pat_isa pat_isa_active(void) {
    enum pat_isa isa = pat_isa_detect();
    const char *cap = getenv("PAT_ISA");
    for (int i = 0; cap && i < (int)isa; i++)
        if (pat_isa_supported((enum pat_isa)i) && strcmp(cap, pat_isa_name((enum pat_isa)i)) == 0)
            return (enum pat_isa)i;
    return isa;
}

/* ---- register tiles ------------------------------------------------------ */

/* c (mr, nr) (+)= a (mr, k) · b (k, nr); mr <= MR, nr <= NR_MAX constants. */
PAT_INLINE void tile(float *restrict c, size_t ldc, const float *restrict a, size_t ars,
                     size_t aks, const float *restrict b, size_t ldb, size_t k, int accumulate,
                     const int mr, const int nr, const int fused) {
    float acc[MR][NR_MAX];
    if (accumulate) /* two loops, not a select per element: both vectorize */
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) acc[r][j] = c[r * ldc + j];
    else
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) acc[r][j] = 0.0f;
    for (size_t i = 0; i < k; i++) {
        const float *bi = b + i * ldb;
#pragma GCC unroll 6
        for (int r = 0; r < mr; r++) {
            const float ar = a[r * ars + i * aks];
            for (int j = 0; j < nr; j++)
                acc[r][j] = fused ? fmaf(ar, bi[j], acc[r][j]) : acc[r][j] + ar * bi[j];
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++) c[r * ldc + j] = acc[r][j];
}

/* All m rows of an nr-wide column strip: tiles of MR rows, then single rows. */
PAT_INLINE void strip(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                      const float *b, size_t ldb, size_t m, size_t k, int accumulate,
                      const int nr, const int fused) {
    size_t r = 0;
    for (; r + MR <= m; r += MR)
        tile(c + r * ldc, ldc, a + r * ars, ars, aks, b, ldb, k, accumulate, MR, nr, fused);
    for (; r < m; r++)
        tile(c + r * ldc, ldc, a + r * ars, ars, aks, b, ldb, k, accumulate, 1, nr, fused);
}

/* pat_matmul for one instruction set: strips of nr columns, then of 8, then 1. */
PAT_INLINE void matmul_body(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                            const float *b, size_t ldb, size_t m, size_t n, size_t k,
                            int accumulate, const int nr, const int fused) {
    for (size_t i0 = 0; i0 < k; i0 += KC) {
        const size_t kc = k - i0 < KC ? k - i0 : KC;
        const float *ai = a + i0 * aks, *bi = b + i0 * ldb;
        const int acc = accumulate || i0 > 0;
        size_t j = 0;
        for (; j + (size_t)nr <= n; j += (size_t)nr)
            strip(c + j, ldc, ai, ars, aks, bi + j, ldb, m, kc, acc, nr, fused);
        for (; j + 8 <= n; j += 8) strip(c + j, ldc, ai, ars, aks, bi + j, ldb, m, kc, acc, 8, fused);
        for (; j < n; j++) strip(c + j, ldc, ai, ars, aks, bi + j, ldb, m, kc, acc, 1, fused);
    }
}

static void matmul_portable(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                            const float *b, size_t ldb, size_t m, size_t n, size_t k,
                            int accumulate) {
    matmul_body(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate, 8, 0);
}

#if PAT_X86_PATHS
PAT_TARGET_AVX2 static void
matmul_avx2(float *c, size_t ldc, const float *a, size_t ars, size_t aks, const float *b,
            size_t ldb, size_t m, size_t n, size_t k, int accumulate) {
    matmul_body(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate, 16, 1);
}

PAT_TARGET_AVX512 static void
matmul_avx512(float *c, size_t ldc, const float *a, size_t ars, size_t aks, const float *b,
              size_t ldb, size_t m, size_t n, size_t k, int accumulate) {
    matmul_body(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate, 32, 1);
}
#endif

#if PAT_ARM64_PATHS
static void matmul_neon(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                        const float *b, size_t ldb, size_t m, size_t n, size_t k,
                        int accumulate) {
    matmul_body(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate, 16, 1);
}
#endif

void pat_matmul(enum pat_isa isa, float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                const float *b, size_t ldb, size_t m, size_t n, size_t k, int accumulate) {
    if (k == 0) {
        for (size_t r = 0; r < m && !accumulate; r++) memset(c + r * ldc, 0, n * sizeof *c);
        return;
    }
#if PAT_X86_PATHS
    if (isa == PAT_ISA_AVX512) {
        matmul_avx512(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate);
        return;
    }
    if (isa == PAT_ISA_AVX2) {
        matmul_avx2(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate);
        return;
    }
#endif
#if PAT_ARM64_PATHS
    if (isa == PAT_ISA_NEON) {
        matmul_neon(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate);
        return;
    }
#endif
    (void)isa;
    matmul_portable(c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate);
}

void pat_matmul_simple(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                       const float *b, size_t ldb, size_t m, size_t n, size_t k, int accumulate) {
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++) {
            float s = accumulate ? c[r * ldc + j] : 0.0f;
            for (size_t i = 0; i < k; i++) s += a[r * ars + i * aks] * b[i * ldb + j];
            c[r * ldc + j] = s;
        }
}

/* ---- Dense layers ---------------------------------------------------------- */

/* Rows r of c (ldc) set to b (n) or to 0. */
static void fill_rows(float *c, size_t ldc, const float *b, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++) {
        if (b)
            memcpy(c + r * ldc, b, n * sizeof *c);
        else
            memset(c + r * ldc, 0, n * sizeof *c);
    }
}

/* One block of ROW_BLOCK rows or of (ROW_BLOCK, COL_BLOCK) outputs per task. */
struct gemm_job {
    enum pat_isa isa;
    float *out;
    const float *a, *w, *b;
    size_t R, I, O;
    size_t col_blocks; /* backward_dw: column blocks per row block */
};

static size_t row_blocks(size_t R) { return (R + ROW_BLOCK - 1) / ROW_BLOCK; }
static size_t block_len(size_t n, size_t r0, size_t blk) { return n - r0 < blk ? n - r0 : blk; }

static void forward_task(void *ctx, size_t blk, size_t worker) {
    const struct gemm_job *j = ctx;
    const size_t r0 = blk * ROW_BLOCK, rows = block_len(j->R, r0, ROW_BLOCK);
    float *yb = j->out + r0 * j->O;
    (void)worker;
    fill_rows(yb, j->O, j->b, rows, j->O);
    pat_matmul(j->isa, yb, j->O, j->a + r0 * j->I, j->I, 1, j->w, j->O, rows, j->O, j->I, 1);
}

void pat_gemm_bias(float *y, const float *x, const float *W, const float *b, size_t R,
                   size_t I, size_t O) {
    struct gemm_job j = {pat_isa_active(), y, x, W, b, R, I, O, 0};
    pat_pool_run(row_blocks(R), (size_t)-1, forward_task, &j);
}

/* dx rows of one block += dy · wt (wt = W^T, (O, I)). */
static void dx_task(void *ctx, size_t blk, size_t worker) {
    const struct gemm_job *j = ctx;
    const size_t r0 = blk * ROW_BLOCK, rows = block_len(j->R, r0, ROW_BLOCK);
    (void)worker;
    pat_matmul(j->isa, j->out + r0 * j->I, j->I, j->a + r0 * j->O, j->O, 1, j->w, j->I, rows,
               j->I, j->O, 1);
}

/* dx (R, I) += dy (R, O) · W^T through a transposed copy of W. */
static void backward_dx(enum pat_isa isa, float *dx, const float *dy, const float *W, size_t R,
                        size_t I, size_t O) {
    float *wt = malloc(I * O * sizeof *wt); /* I·O fits: W exists */
    if (!wt) {
        pat_gemm_backward_simple(dx, NULL, NULL, dy, NULL, W, R, I, O);
        return;
    }
    for (size_t i = 0; i < I; i++)
        for (size_t o = 0; o < O; o++) wt[o * I + i] = W[i * O + o];
    struct gemm_job j = {isa, dx, dy, wt, NULL, R, I, O, 0};
    pat_pool_run(row_blocks(R), (size_t)-1, dx_task, &j);
    free(wt);
}

/* One (rows of dW, columns of dW) block, summing over all R rows in order. */
static void dw_task(void *ctx, size_t job, size_t worker) {
    const struct gemm_job *j = ctx;
    const size_t i0 = job / j->col_blocks * ROW_BLOCK, o0 = job % j->col_blocks * COL_BLOCK;
    const size_t ni = block_len(j->I, i0, ROW_BLOCK), no = block_len(j->O, o0, COL_BLOCK);
    (void)worker;
    pat_matmul(j->isa, j->out + i0 * j->O + o0, j->O, j->w + i0, 1, j->I, j->a + o0, j->O, ni,
               no, j->R, 1);
}

/* dW (I, O) += x^T · dy: jobs are fixed (rows of dW, columns of dW) blocks. */
static void backward_dw(enum pat_isa isa, float *dW, const float *dy, const float *x, size_t R,
                        size_t I, size_t O) {
    const size_t bo = (O + COL_BLOCK - 1) / COL_BLOCK;
    struct gemm_job j = {isa, dW, dy, x, NULL, R, I, O, bo};
    pat_pool_run(row_blocks(I) * bo, (size_t)-1, dw_task, &j);
}

void pat_gemm_backward(float *dx, float *dW, float *db, const float *dy, const float *x,
                       const float *W, size_t R, size_t I, size_t O) {
    const enum pat_isa isa = pat_isa_active();
    if (R == 0 || I == 0 || O == 0) return;
    if (dx) backward_dx(isa, dx, dy, W, R, I, O);
    if (dW) backward_dw(isa, dW, dy, x, R, I, O);
    if (db)
        for (size_t r = 0; r < R; r++)
            for (size_t o = 0; o < O; o++) db[o] += dy[r * O + o];
}

/* ---- test oracles ------------------------------------------------------------ */

void pat_gemm_bias_simple(float *y, const float *x, const float *W, const float *b, size_t R,
                          size_t I, size_t O) {
    for (size_t r = 0; r < R; r++) {
        float *yr = y + r * O;
        for (size_t o = 0; o < O; o++) yr[o] = b ? b[o] : 0.0f;
        for (size_t i = 0; i < I; i++)
            for (size_t o = 0; o < O; o++) yr[o] += x[r * I + i] * W[i * O + o];
    }
}

void pat_gemm_backward_simple(float *dx, float *dW, float *db, const float *dy, const float *x,
                              const float *W, size_t R, size_t I, size_t O) {
    if (dx)
        for (size_t r = 0; r < R; r++)
            for (size_t i = 0; i < I; i++) {
                float s = dx[r * I + i];
                for (size_t o = 0; o < O; o++) s += dy[r * O + o] * W[i * O + o];
                dx[r * I + i] = s;
            }
    if (dW)
        for (size_t i = 0; i < I; i++)
            for (size_t o = 0; o < O; o++) {
                float s = dW[i * O + o];
                for (size_t r = 0; r < R; r++) s += x[r * I + i] * dy[r * O + o];
                dW[i * O + o] = s;
            }
    if (db)
        for (size_t r = 0; r < R; r++)
            for (size_t o = 0; o < O; o++) db[o] += dy[r * O + o];
}
