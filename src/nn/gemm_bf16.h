/* gemm_bf16.h - matrix products with bfloat16 inputs and float32 sums.
 *
 * The bf16 inference path (pat_embed_ex & co. with PAT_PRECISION_BF16):
 * both factors are rounded to bfloat16 (round to nearest even, subnormals
 * to zero, as VCVTNEPS2BF16), products are summed in float32 exactly as
 * AVX512-BF16's VDPBF16PS sums them: inner indices in pairs (2p, 2p+1),
 * per pair the odd product first, then the even one, each added with one
 * rounding (round to nearest even) and a subnormal sum flushed to zero.
 * Every output element is summed over the pairs in order on one thread.
 *
 * Two implementations with the same bits: the hardware one (VDPBF16PS,
 * when the CPU has AVX512_BF16 and PAT_ISA does not cap it below avx512)
 * and a portable emulation (every other CPU, slower; also the hardware's
 * test oracle). So bf16 products give the same bits on any CPU.
 *
 * The B factor is packed once (pat_bf16_pack): panels of 16 columns, each
 * holding for every pair p the 16 columns' (b[2p][j], b[2p+1][j]) bf16
 * pairs, padded with zeros to whole panels and pairs. The A factor is
 * float32, rounded to bf16 inside the product.
 *
 *     uint16_t *wp = malloc(pat_bf16_packed_len(k, n) * 2);
 *     pat_bf16_pack(wp, w, n, 1, k, n);                  // w (k, n) row-major
 *     struct pat_bf16_b b = {wp, pat_bf16_panel_len(k)};
 *     pat_bf16_matmul(pat_bf16_path_detect(), c, n, a, k, 1, &b, m, n, k, 0);
 */
#ifndef PAT_GEMM_BF16_H
#define PAT_GEMM_BF16_H

#include <stddef.h>
#include <stdint.h>

#define PAT_BF16_PANEL 16 /* columns per packed panel (one 512-bit register) */

/* float32 -> bfloat16 bits: round to nearest even, subnormals to signed
 * zero, NaN kept quiet (Intel SDM convert_fp32_to_bfloat16). */
uint16_t pat_bf16_from_float(float x);
float pat_bf16_to_float(uint16_t h);
void pat_bf16_round(uint16_t *dst, const float *x, size_t n); /* dst (n) = x (n) rounded */

/* Which implementation runs: VDPBF16PS, or the emulation (with fmaf as
 * one instruction on x86-64 AVX2 CPUs, else as libm's). All give the same bits. */
enum pat_bf16_path { PAT_BF16_EMULATED = 0, PAT_BF16_EMULATED_FMA = 1, PAT_BF16_HARDWARE = 2 };

/* PAT_BF16_HARDWARE when this build and CPU can run VDPBF16PS and PAT_ISA
 * does not cap the instruction set below avx512; else an emulation
 * (PAT_BF16_EMULATED_FMA only where the active instruction set has FMA). */
enum pat_bf16_path pat_bf16_path_detect(void);
const char *pat_bf16_path_name(enum pat_bf16_path path); /* "avx512-bf16", "emulated" */

/* uint16 elements of one panel for an inner size k, and of a packed (k, n). */
size_t pat_bf16_panel_len(size_t k);
size_t pat_bf16_packed_len(size_t k, size_t n); /* 0 when it overflows */

/* dst = b (k, n) packed, b[i, j] = b[i*rs + j*cs]. */
void pat_bf16_pack(uint16_t *dst, const float *b, size_t rs, size_t cs, size_t k, size_t n);

/* A packed B factor: p points at the first panel (column 0) and pair 0 of
 * the wanted range; panel is the distance between panels (uint16). A
 * column range starting at a multiple of 16 or a pair range is a pointer
 * offset: p + (j0/16)*panel + (i0/2)*32 for even i0. */
struct pat_bf16_b {
    const uint16_t *p;
    size_t panel;
};

/* c (m, n) = a (m, k) · b (k, n), or c += a · b when accumulate; one
 * thread. a[r, i] = a[r*ars + i*aks] is rounded to bf16 here. path: one
 * that this CPU runs (pat_bf16_path_detect() or below); all give the same bits. */
void pat_bf16_matmul(enum pat_bf16_path path, float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                     const struct pat_bf16_b *b, size_t m, size_t n, size_t k, int accumulate);

/* c (m, n) = bias (n) + a (m, k) · b (k, n): as filling c's rows with bias and
 * accumulating, without the pass over c. */
void pat_bf16_matmul_bias(enum pat_bf16_path path, float *c, size_t ldc, const float *a,
                          size_t ars, size_t aks, const struct pat_bf16_b *b, const float *bias,
                          size_t m, size_t n, size_t k);

/* pat_bf16_matmul with a already rounded: row r is a[r*lda .. r*lda + k),
 * and when k is odd a[r*lda + k] must be 0 (the pair's missing half). */
void pat_bf16_matmul_rounded(enum pat_bf16_path path, float *c, size_t ldc, const uint16_t *a,
                             size_t lda, const struct pat_bf16_b *b, size_t m, size_t n,
                             size_t k, int accumulate);

#endif /* PAT_GEMM_BF16_H */
