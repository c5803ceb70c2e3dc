/* gemm.c - register-tiled matrix products (see gemm.h).
 *
 * tile() keeps an MR x NR block of c in registers: for each inner index i it
 * loads NR values of b's row i and adds, to each of the MR rows, those values
 * times one broadcast element of a. It is plain C with MR and NR known at
 * compile time; matmul_body() is inlined into functions per instruction set
 * (target attributes), with tiles that fill that set's registers:
 *
 *     portable  6 x 8   12 SSE accumulators, multiply then add
 *     AVX2      6 x 16  12 YMM accumulators, fused multiply-add
 *     AVX-512   6, 8, 12 or 14 x 32 (12 to 28 of its 32 ZMM registers), and
 *               8 or 12 x 32 with b packed: fused multiply-add; which one
 *               runs is chosen per CPU model (nn/tile_choice.h)
 *     NEON      6 x 16  24 of ARM64's 32 vector registers, fused multiply-add
 *
 * and GCC vectorizes each (objdump -d build/src/nn/gemm.o | grep -c vfmadd).
 * Taller tiles load each vector of b for more multiply-adds; packing copies
 * a (KC, 32) panel of b into contiguous memory once per strip, so that the
 * tiles read it without the cache-set conflicts of a long row stride (ldb
 * of 1152 floats in the projections). The inner index is blocked by KC,
 * which changes no sum: a block continues from the value the previous one
 * stored. So every tile of a path gives the same bits.
 */
#include "nn/gemm.h"
#include "nn/pool.h"
#include "nn/tile_choice.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MR_MAX 16      /* tallest register tile */
#define NR_MAX 32      /* widest register tile */
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

/* c (mr, nr) (+)= a (mr, k) · b (k, nr); mr <= MR_MAX, nr <= NR_MAX constants. */
PAT_INLINE void tile(float *restrict c, size_t ldc, const float *restrict a, size_t ars,
                     size_t aks, const float *restrict b, size_t ldb, size_t k, int accumulate,
                     const int mr, const int nr, const int fused) {
    float acc[MR_MAX][NR_MAX];
    if (accumulate) /* two loops, not a select per element: both vectorize */
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) acc[r][j] = c[r * ldc + j];
    else
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) acc[r][j] = 0.0f;
    for (size_t i = 0; i < k; i++) {
        const float *bi = b + i * ldb;
#pragma GCC unroll 16
        for (int r = 0; r < mr; r++) {
            const float ar = a[r * ars + i * aks];
            for (int j = 0; j < nr; j++)
                acc[r][j] = fused ? fmaf(ar, bi[j], acc[r][j]) : acc[r][j] + ar * bi[j];
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++) c[r * ldc + j] = acc[r][j];
}

/* All m rows of an nr-wide column strip: tiles of mr rows, then of 4, then single rows. */
PAT_INLINE void strip(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                      const float *b, size_t ldb, size_t m, size_t k, int accumulate,
                      const int mr, const int nr, const int fused) {
    size_t r = 0;
    for (; r + (size_t)mr <= m; r += (size_t)mr)
        tile(c + r * ldc, ldc, a + r * ars, ars, aks, b, ldb, k, accumulate, mr, nr, fused);
    if (mr > 4)
        for (; r + 4 <= m; r += 4)
            tile(c + r * ldc, ldc, a + r * ars, ars, aks, b, ldb, k, accumulate, 4, nr, fused);
    for (; r < m; r++)
        tile(c + r * ldc, ldc, a + r * ars, ars, aks, b, ldb, k, accumulate, 1, nr, fused);
}

/* Strips of nr columns from column j on, while they fit; returns the next column. */
PAT_INLINE size_t strips(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                         const float *b, size_t ldb, size_t m, size_t n, size_t k,
                         int accumulate, size_t j, const int mr, const int nr,
                         const int fused) {
    for (; j + (size_t)nr <= n; j += (size_t)nr)
        strip(c + j, ldc, a, ars, aks, b + j, ldb, m, k, accumulate, mr, nr, fused);
    return j;
}

/* Strips of nr columns as strips(), each first copied into packed (kc, nr):
 * contiguous rows of b for the tiles, whatever ldb is. */
PAT_INLINE size_t packed_strips(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                                const float *b, size_t ldb, size_t m, size_t n, size_t k,
                                int accumulate, size_t j, const int mr, const int nr,
                                const int fused) {
    float packed[KC * NR_MAX];
    for (; j + (size_t)nr <= n; j += (size_t)nr) {
        for (size_t i = 0; i < k; i++)
            memcpy(packed + i * (size_t)nr, b + i * ldb + j, (size_t)nr * sizeof *packed);
        strip(c + j, ldc, a, ars, aks, packed, (size_t)nr, m, k, accumulate, mr, nr, fused);
    }
    return j;
}

/* pat_matmul with one register tile (mr x nr): strips of nr columns, then
 * of 16 and 8 where narrower than nr, then single columns (b packed, when
 * pack, in the strips of nr). Every tile
 * sums each element over i in order with the same operations (fused or
 * not), so all mr x nr choices of one fused-ness give the same bits. */
PAT_INLINE void matmul_body(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                            const float *b, size_t ldb, size_t m, size_t n, size_t k,
                            int accumulate, const int mr, const int nr, const int fused,
                            const int pack) {
    for (size_t i0 = 0; i0 < k; i0 += KC) {
        const size_t kc = k - i0 < KC ? k - i0 : KC;
        const float *ai = a + i0 * aks, *bi = b + i0 * ldb;
        const int acc = accumulate || i0 > 0;
        size_t j = pack ? packed_strips(c, ldc, ai, ars, aks, bi, ldb, m, n, kc, acc, 0, mr, nr, fused)
                        : strips(c, ldc, ai, ars, aks, bi, ldb, m, n, kc, acc, 0, mr, nr, fused);
        if (nr > 16) j = strips(c, ldc, ai, ars, aks, bi, ldb, m, n, kc, acc, j, mr, 16, fused);
        if (nr > 8) j = strips(c, ldc, ai, ars, aks, bi, ldb, m, n, kc, acc, j, mr, 8, fused);
        strips(c, ldc, ai, ars, aks, bi, ldb, m, n, kc, acc, j, mr, 1, fused);
    }
}

#define MATMUL_ARGS                                                                           \
    float *c, size_t ldc, const float *a, size_t ars, size_t aks, const float *b, size_t ldb, \
        size_t m, size_t n, size_t k, int accumulate
#define MATMUL_PASS c, ldc, a, ars, aks, b, ldb, m, n, k, accumulate
typedef void matmul_fn(MATMUL_ARGS);

static void matmul_portable(MATMUL_ARGS) { matmul_body(MATMUL_PASS, 6, 8, 0, 0); }

#if PAT_X86_PATHS
PAT_TARGET_AVX2 static void matmul_avx2(MATMUL_ARGS) { matmul_body(MATMUL_PASS, 6, 16, 1, 0); }

/* AVX-512 has 32 registers: 6 x 32 uses 12 accumulators and loads two
 * vectors of b per twelve multiply-adds; taller tiles load b less often
 * (8 x 32: 16 accumulators, 12 x 32: 24, 14 x 32: 28); "p" packs b. */
PAT_TARGET_AVX512 static void matmul_avx512_6x32(MATMUL_ARGS) {
    matmul_body(MATMUL_PASS, 6, 32, 1, 0);
}
PAT_TARGET_AVX512 static void matmul_avx512_12x32(MATMUL_ARGS) {
    matmul_body(MATMUL_PASS, 12, 32, 1, 0);
}
PAT_TARGET_AVX512 static void matmul_avx512_8x32(MATMUL_ARGS) {
    matmul_body(MATMUL_PASS, 8, 32, 1, 0);
}
PAT_TARGET_AVX512 static void matmul_avx512_8x32p(MATMUL_ARGS) {
    matmul_body(MATMUL_PASS, 8, 32, 1, 1);
}
PAT_TARGET_AVX512 static void matmul_avx512_12x32p(MATMUL_ARGS) {
    matmul_body(MATMUL_PASS, 12, 32, 1, 1);
}
PAT_TARGET_AVX512 static void matmul_avx512_14x32(MATMUL_ARGS) {
    matmul_body(MATMUL_PASS, 14, 32, 1, 0);
}
#endif

#if PAT_ARM64_PATHS
static void matmul_neon(MATMUL_ARGS) { matmul_body(MATMUL_PASS, 6, 16, 1, 0); }
#endif

/* ---- the tiles of each path -------------------------------------------------- */

struct tile_kernel {
    const char *name; /* "MRxNR" */
    matmul_fn *fn;
};

static const struct tile_kernel portable_tiles[] = {{"6x8", matmul_portable}};
#if PAT_X86_PATHS
static const struct tile_kernel avx2_tiles[] = {{"6x16", matmul_avx2}};
static const struct tile_kernel avx512_tiles[] = {{"6x32", matmul_avx512_6x32},
                                                  {"12x32", matmul_avx512_12x32},
                                                  {"8x32", matmul_avx512_8x32},
                                                  {"14x32", matmul_avx512_14x32},
                                                  {"8x32p", matmul_avx512_8x32p},
                                                  {"12x32p", matmul_avx512_12x32p}};
#endif
#if PAT_ARM64_PATHS
static const struct tile_kernel neon_tiles[] = {{"6x16", matmul_neon}};
#endif

/* The tiles compiled for isa (its count in *count); the portable ones when none. */
static const struct tile_kernel *tiles_of(enum pat_isa isa, int *count) {
#define TILES_OF(list) (*count = (int)(sizeof list / sizeof list[0]), list)
#if PAT_X86_PATHS
    if (isa == PAT_ISA_AVX512) return TILES_OF(avx512_tiles);
    if (isa == PAT_ISA_AVX2) return TILES_OF(avx2_tiles);
#endif
#if PAT_ARM64_PATHS
    if (isa == PAT_ISA_NEON) return TILES_OF(neon_tiles);
#endif
    (void)isa;
    return TILES_OF(portable_tiles);
#undef TILES_OF
}

int pat_tile_count(enum pat_isa isa) {
    int count;
    tiles_of(isa, &count);
    return count;
}

const char *pat_tile_name(enum pat_isa isa, int tile) {
    int count;
    const struct tile_kernel *t = tiles_of(isa, &count);
    return tile >= 0 && tile < count ? t[tile].name : "unknown";
}

void pat_matmul_tile(enum pat_isa isa, int tile, MATMUL_ARGS) {
    int count;
    const struct tile_kernel *t = tiles_of(isa, &count);
    if (k == 0) {
        for (size_t r = 0; r < m && !accumulate; r++) memset(c + r * ldc, 0, n * sizeof *c);
        return;
    }
    t[tile >= 0 && tile < count ? tile : 0].fn(MATMUL_PASS);
}

/* The products that choose a tile: one 48-row block (what infer.c and
 * attention.c hand pat_matmul) of each of PAT-M's products: q, k or v
 * projection (1152 x 96), output projection, both feed-forward layers,
 * attention scores and context; about 28 MFLOP. */
#define SAMPLE_ROWS 48
#define SAMPLE_WIDE 1152 /* heads x key dim */
#define SAMPLE_FLOATS (2 * SAMPLE_ROWS * SAMPLE_WIDE + SAMPLE_WIDE * 96)

static void sample_products(enum pat_isa isa, int tile, float *scratch) {
    static const size_t shapes[][2] = {{SAMPLE_WIDE, 96}, {96, SAMPLE_WIDE}, {256, 96},
                                       {96, 256},         {128, 96},         {96, 128}};
    float *a = scratch, *b = a + SAMPLE_ROWS * SAMPLE_WIDE, *c = b + SAMPLE_WIDE * 96;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t n = shapes[s][0], k = shapes[s][1];
        pat_matmul_tile(isa, tile, c, n, a, k, 1, b, n, SAMPLE_ROWS, n, k, 0);
    }
}

int pat_tile_active(enum pat_isa isa) {
    const struct pat_tile_menu menu = {isa, pat_isa_name(isa), pat_tile_count(isa),
                                       pat_tile_name, sample_products, SAMPLE_FLOATS};
    return menu.count > 1 ? pat_tile_choose(&menu) : 0;
}

void pat_matmul(enum pat_isa isa, MATMUL_ARGS) {
    pat_matmul_tile(isa, pat_tile_active(isa), MATMUL_PASS);
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
