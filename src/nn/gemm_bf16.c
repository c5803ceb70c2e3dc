/* gemm_bf16.c - bf16 products with float32 sums (see gemm_bf16.h).
 *
 * Both paths run the same loops: the inner index in blocks of KCP pairs;
 * per block, MR rows of a at a time are rounded into a buffer of bf16
 * pairs (one 32-bit word per pair, the even element in the low half, as
 * VDPBF16PS reads them), then every group of up to 4 panels gets an
 * (MR, 64) register tile: for each pair, 4 panel loads, and per row one
 * broadcast and 4 VDPBF16PS. The emulation computes each element with the
 * same steps one at a time: acc = flush(fma(a_odd, b_odd, acc)), then
 * the even pair, where a product of two bf16 values is exact in float32
 * so the fma rounds once, as the instruction does.
 */
#include "nn/gemm_bf16.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "nn/gemm.h"

#define MR 6      /* rows of a register tile */
#define NV_MAX 4  /* panels of a register tile (64 columns) */
#define KCP 128   /* pairs per inner block: 4 panels' block is 32 KiB */

/* ---- conversions ------------------------------------------------------------ */

uint16_t pat_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u); /* 0, subnormal */
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u); /* NaN */
    if ((u & 0x7fffffffu) == 0x7f800000u) return (uint16_t)(u >> 16);          /* inf */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float pat_bf16_to_float(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- packing -------------------------------------------------------------------- */

size_t pat_bf16_panel_len(size_t k) { return (k + 1) / 2 * 2 * PAT_BF16_PANEL; }

size_t pat_bf16_packed_len(size_t k, size_t n) {
    const size_t panels = (n + PAT_BF16_PANEL - 1) / PAT_BF16_PANEL, len = pat_bf16_panel_len(k);
    if (k > ((size_t)-1) / 4 || (panels && len > ((size_t)-1) / panels)) return 0;
    return panels * len;
}

void pat_bf16_pack(uint16_t *dst, const float *b, size_t rs, size_t cs, size_t k, size_t n) {
    const size_t panels = (n + PAT_BF16_PANEL - 1) / PAT_BF16_PANEL, kp = (k + 1) / 2;
    for (size_t v = 0; v < panels; v++)
        for (size_t p = 0; p < kp; p++) {
            uint16_t *d = dst + v * pat_bf16_panel_len(k) + p * 2 * PAT_BF16_PANEL;
            for (size_t jj = 0; jj < PAT_BF16_PANEL; jj++) {
                const size_t j = v * PAT_BF16_PANEL + jj;
                for (size_t e = 0; e < 2; e++) {
                    const size_t i = 2 * p + e;
                    d[2 * jj + e] = i < k && j < n ? pat_bf16_from_float(b[i * rs + j * cs]) : 0;
                }
            }
        }
}

/* buf (MR, KCP) = pairs [p0, p0+pc) of rows [0, mr) of a, rounded; the
 * missing odd element and rows >= mr are zeros. */
static void round_rows(uint32_t *buf, const float *a, size_t ars, size_t aks, size_t mr,
                       size_t k, size_t p0, size_t pc) {
    for (size_t r = 0; r < MR; r++)
        for (size_t q = 0; q < pc; q++) {
            const size_t i = 2 * (p0 + q);
            uint32_t lo = 0, hi = 0;
            if (r < mr) {
                lo = pat_bf16_from_float(a[r * ars + i * aks]);
                if (i + 1 < k) hi = pat_bf16_from_float(a[r * ars + (i + 1) * aks]);
            }
            buf[r * KCP + q] = lo | hi << 16;
        }
}

/* ---- emulation -------------------------------------------------------------------- */

/* Subnormals to signed zero (VDPBF16PS: denormals in are zero, out flushed). */
static inline float flush(float x) { return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x; }

/* One pair of one output: the odd product, then the even one. */
PAT_INLINE float pair_step(float acc, uint32_t a, const uint16_t *b) {
    acc = flush(fmaf(pat_bf16_to_float((uint16_t)(a >> 16)), pat_bf16_to_float(b[1]), acc));
    return flush(fmaf(pat_bf16_to_float((uint16_t)a), pat_bf16_to_float(b[0]), acc));
}

/* c rows [0, mr), columns [0, min(ncols, 16*nv)) (+)= buf · panels. */
PAT_INLINE void tile_emulated(float *c, size_t ldc, const uint32_t *buf, const uint16_t *b,
                              size_t panel, size_t pc, size_t mr, size_t ncols, int accumulate,
                              size_t nv) {
    const size_t w = ncols < nv * PAT_BF16_PANEL ? ncols : nv * PAT_BF16_PANEL;
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < w; j++) {
            const uint16_t *bj = b + j / PAT_BF16_PANEL * panel + j % PAT_BF16_PANEL * 2;
            float acc = accumulate ? flush(c[r * ldc + j]) : 0.0f;
            for (size_t q = 0; q < pc; q++)
                acc = pair_step(acc, buf[r * KCP + q], bj + q * 2 * PAT_BF16_PANEL);
            c[r * ldc + j] = acc;
        }
}

static void tile_emulated_portable(float *c, size_t ldc, const uint32_t *buf, const uint16_t *b,
                                   size_t panel, size_t pc, size_t mr, size_t ncols,
                                   int accumulate, size_t nv) {
    tile_emulated(c, ldc, buf, b, panel, pc, mr, ncols, accumulate, nv);
}

#if PAT_X86_PATHS
/* The same steps with fmaf as one instruction (where the libm call is slow). */
PAT_TARGET_AVX2 static void tile_emulated_fma(float *c, size_t ldc, const uint32_t *buf,
                                              const uint16_t *b, size_t panel, size_t pc,
                                              size_t mr, size_t ncols, int accumulate,
                                              size_t nv) {
    tile_emulated(c, ldc, buf, b, panel, pc, mr, ncols, accumulate, nv);
}
#endif

/* ---- hardware ------------------------------------------------------------------------ */

#if PAT_X86_PATHS && defined(__GNUC__) && (__GNUC__ >= 10 || defined(__clang__))
#define PAT_BF16_HW 1
#include <immintrin.h>
#define TARGET_BF16 __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl")))

/* Columns [0, w) of a panel as a load/store mask (w may exceed 16). */
TARGET_BF16 static inline __mmask16 panel_mask(size_t ncols, size_t v) {
    const size_t j0 = v * PAT_BF16_PANEL;
    if (ncols <= j0) return 0;
    return ncols - j0 >= PAT_BF16_PANEL ? (__mmask16)0xffff
                                        : (__mmask16)((1u << (ncols - j0)) - 1u);
}

TARGET_BF16 static inline __attribute__((always_inline)) void
tile_hw(float *c, size_t ldc, const uint32_t *buf, const uint16_t *b, size_t panel, size_t pc,
        size_t mr, size_t ncols, int accumulate, const int nv) {
    __m512 acc[MR][NV_MAX];
    __mmask16 mask[NV_MAX];
    for (int v = 0; v < nv; v++) mask[v] = panel_mask(ncols, (size_t)v);
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < nv; v++)
            acc[r][v] = accumulate && (size_t)r < mr
                            ? _mm512_maskz_loadu_ps(mask[v], c + r * ldc + v * PAT_BF16_PANEL)
                            : _mm512_setzero_ps();
    for (size_t q = 0; q < pc; q++) {
        __m512bh bv[NV_MAX];
        for (int v = 0; v < nv; v++)
            bv[v] = (__m512bh)_mm512_loadu_si512(b + v * panel + q * 2 * PAT_BF16_PANEL);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            const __m512bh av = (__m512bh)_mm512_set1_epi32((int)buf[r * KCP + q]);
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
        }
    }
    for (int r = 0; r < MR && (size_t)r < mr; r++)
        for (int v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(c + r * ldc + v * PAT_BF16_PANEL, mask[v], acc[r][v]);
}

TARGET_BF16 static void tile_hardware(float *c, size_t ldc, const uint32_t *buf,
                                      const uint16_t *b, size_t panel, size_t pc, size_t mr,
                                      size_t ncols, int accumulate, size_t nv) {
    switch (nv) {
    case 4: tile_hw(c, ldc, buf, b, panel, pc, mr, ncols, accumulate, 4); break;
    case 3: tile_hw(c, ldc, buf, b, panel, pc, mr, ncols, accumulate, 3); break;
    case 2: tile_hw(c, ldc, buf, b, panel, pc, mr, ncols, accumulate, 2); break;
    default: tile_hw(c, ldc, buf, b, panel, pc, mr, ncols, accumulate, 1); break;
    }
}
#else
#define PAT_BF16_HW 0
#endif

enum pat_bf16_path pat_bf16_path_detect(void) {
    const enum pat_isa isa = pat_isa_active();
#if PAT_BF16_HW
    if (isa == PAT_ISA_AVX512 && __builtin_cpu_supports("avx512bf16")) return PAT_BF16_HARDWARE;
#endif
    return isa == PAT_ISA_PORTABLE ? PAT_BF16_EMULATED : PAT_BF16_EMULATED_FMA;
}

const char *pat_bf16_path_name(enum pat_bf16_path path) {
    return path == PAT_BF16_HARDWARE ? "avx512-bf16" : "emulated";
}

/* ---- the product ------------------------------------------------------------------------ */

typedef void tile_fn(float *c, size_t ldc, const uint32_t *buf, const uint16_t *b, size_t panel,
                     size_t pc, size_t mr, size_t ncols, int accumulate, size_t nv);

static tile_fn *pick_tile(enum pat_bf16_path path) {
#if PAT_BF16_HW
    if (path == PAT_BF16_HARDWARE) return tile_hardware;
#endif
#if PAT_X86_PATHS
    if (path != PAT_BF16_EMULATED) return tile_emulated_fma;
#endif
    (void)path;
    return tile_emulated_portable;
}

void pat_bf16_matmul(enum pat_bf16_path path, float *c, size_t ldc, const float *a, size_t ars, size_t aks,
                     const struct pat_bf16_b *b, size_t m, size_t n, size_t k, int accumulate) {
    tile_fn *tile = pick_tile(path);
    const size_t kp = (k + 1) / 2, panels = (n + PAT_BF16_PANEL - 1) / PAT_BF16_PANEL;
    uint32_t buf[MR * KCP];
    if (k == 0) {
        for (size_t r = 0; r < m && !accumulate; r++) memset(c + r * ldc, 0, n * sizeof *c);
        return;
    }
    for (size_t p0 = 0; p0 < kp; p0 += KCP) {
        const size_t pc = kp - p0 < KCP ? kp - p0 : KCP;
        const int acc = accumulate || p0 > 0;
        for (size_t r0 = 0; r0 < m; r0 += MR) {
            const size_t mr = m - r0 < MR ? m - r0 : MR;
            round_rows(buf, a + r0 * ars, ars, aks, mr, k, p0, pc);
            for (size_t v0 = 0; v0 < panels; v0 += NV_MAX) {
                const size_t nv = panels - v0 < NV_MAX ? panels - v0 : NV_MAX;
                tile(c + r0 * ldc + v0 * PAT_BF16_PANEL, ldc, buf,
                     b->p + v0 * b->panel + p0 * 2 * PAT_BF16_PANEL, b->panel, pc, mr,
                     n - v0 * PAT_BF16_PANEL, acc, nv);
            }
        }
    }
}
