/* gemm.h - the one place that decides how matrix products run.
 *
 * Every product in pat goes through pat_matmul: register tiles of MR x NR
 * outputs written once in plain C and compiled once per instruction set:
 * plain x86-64/any CPU (portable), AVX2+FMA and AVX-512 on x86-64, NEON
 * (Advanced SIMD with fused multiply-add) on ARM64; the best one the CPU
 * supports chosen at run time, and on AVX-512 the tile shape that runs
 * fastest on this CPU model (nn/tile_choice.h). Each output element is summed over the inner
 * index in order (i = 0..k-1) on one thread, so results never depend on the
 * thread count; the FMA paths round once per multiply-add where the portable
 * path rounds twice, so paths differ in the last bits (tests bound this).
 *
 *     enum pat_isa isa = pat_isa_active();
 *     pat_matmul(isa, c, n, a, k, 1, b, n, m, n, k, 0);   // c (m,n) = a (m,k) · b (k,n)
 */
#ifndef PAT_GEMM_H
#define PAT_GEMM_H

#include <stddef.h>

/* Instruction sets with a compiled path; values only grow. */
enum pat_isa {
    PAT_ISA_PORTABLE = 0, /* what the compiler targets by default (SSE2 on x86-64) */
    PAT_ISA_AVX2 = 1,     /* AVX2 + FMA, 256-bit */
    PAT_ISA_AVX512 = 2,   /* AVX-512F, 512-bit */
    PAT_ISA_NEON = 3,     /* ARM64 Advanced SIMD (every ARM64 CPU has it), 128-bit, FMA */
};
#define PAT_ISA_COUNT 4

/* Nonzero when this build and CPU can run isa (portable always can). */
int pat_isa_supported(enum pat_isa isa);

/* Best path this CPU supports. */
enum pat_isa pat_isa_detect(void);

/* pat_isa_detect(), capped by the environment variable PAT_ISA (portable,
 * avx2, avx512 or neon) when set to a supported path below it:
 * PAT_ISA=portable runs everything on the portable path (tests, comparisons). */
enum pat_isa pat_isa_active(void);

const char *pat_isa_name(enum pat_isa isa); /* "portable", "avx2", "avx512", "neon" */

/* How a kernel gets one compiled path per instruction set: its body is a
 * PAT_INLINE function, and thin wrappers marked PAT_TARGET_AVX2 or
 * PAT_TARGET_AVX512 (only where PAT_X86_PATHS) inline it, so that GCC
 * vectorizes the same C for each set; the caller picks with pat_isa_active. */
#ifdef __GNUC__
#define PAT_INLINE static inline __attribute__((always_inline))
#else
#define PAT_INLINE static inline
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#define PAT_X86_PATHS 1
#define PAT_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define PAT_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma,prefer-vector-width=512")))
#else
#define PAT_X86_PATHS 0
#endif
/* ARM64: NEON is part of the base architecture, so its path needs no
 * target attribute, only its own tile width and fused multiply-adds. */
#if defined(__aarch64__) && defined(__GNUC__)
#define PAT_ARM64_PATHS 1
#else
#define PAT_ARM64_PATHS 0
#endif

/* c (m, n) = a (m, k) · b (k, n), or c += a · b when accumulate; one thread.
 * a is read as a[r*ars + i*aks]: row-major a (m, k) has ars = lda, aks = 1;
 * a stored transposed, as (k, m), has ars = 1, aks = ldm. b is b[i*ldb + j],
 * c is c[r*ldc + j]. Every c element is summed over i = 0..k-1 in order,
 * starting from its previous value (accumulate) or from 0. */
void pat_matmul(enum pat_isa isa, float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                const float *b, size_t ldb, size_t m, size_t n, size_t k, int accumulate);

/* Register tiles: each path has one or more (AVX-512: 6x32, 12x32, 8x48,
 * 14x32), all giving the same bits, since every tile sums each element over
 * i = 0..k-1 in order with the same operations; only their speed differs.
 * pat_matmul uses pat_tile_active(isa): chosen once per process (see
 * nn/tile_choice.h: PAT_TILE, else a per-CPU-model cache, else a short
 * measurement); pat_matmul_tile runs a given one (tests, benchmarks). */
int pat_tile_count(enum pat_isa isa);
const char *pat_tile_name(enum pat_isa isa, int tile); /* "6x32"; "unknown" out of range */
int pat_tile_active(enum pat_isa isa);
void pat_matmul_tile(enum pat_isa isa, int tile, float *c, size_t ldc, const float *a,
                     size_t ars, size_t aks, const float *b, size_t ldb, size_t m, size_t n,
                     size_t k, int accumulate);

/* The test oracle of pat_matmul: the same sums in the same order, one
 * multiply and one add at a time (equal, bit for bit, to the portable path). */
void pat_matmul_simple(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                       const float *b, size_t ldb, size_t m, size_t n, size_t k, int accumulate);

/* y = x·W (+ b): y (R, O), x (R, I), W (I, O) Keras layout, b (O) or NULL.
 * Parallel over fixed blocks of rows; every output element is summed in the
 * same order (b first, then i = 0..I-1) whatever the thread count, so
 * results are bit-identical for any thread count (nn/pool.h). */
void pat_gemm_bias(float *y, const float *x, const float *W, const float *b, size_t R,
                   size_t I, size_t O);

/* Backward of pat_gemm_bias, accumulating (+=): dx (R, I) += dy·W^T,
 * dW (I, O) += x^T·dy, db (O) += column sums of dy; any of dx, dW, db may be
 * NULL to skip it. dy (R, O), x (R, I), W (I, O). Deterministic: each
 * element is summed in a fixed order whatever the thread count, starting
 * from its previous value. dx uses a transposed copy of W (I·O floats);
 * should that allocation fail, the simple loop gives the same sums. */
void pat_gemm_backward(float *dx, float *dW, float *db, const float *dy, const float *x,
                       const float *W, size_t R, size_t I, size_t O);

/* The test oracles of pat_gemm_bias and pat_gemm_backward: the original
 * single-loop versions (sums in the same order, no tiles, no FMA). */
void pat_gemm_bias_simple(float *y, const float *x, const float *W, const float *b, size_t R,
                          size_t I, size_t O);
void pat_gemm_backward_simple(float *dx, float *dW, float *db, const float *dy, const float *x,
                              const float *W, size_t R, size_t I, size_t O);

#endif /* PAT_GEMM_H */
