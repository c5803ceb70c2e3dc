/* gemm_bf16.c - bf16 products with float32 sums (see gemm_bf16.h).
 *
 * Both paths run the same loops: the inner index in blocks of KCP pairs;
 * per block, MR rows of a at a time are rounded into a buffer of bf16
 * (a pair read as one 32-bit word has the even element in the low half,
 * as VDPBF16PS reads it), then every group of up to 4 panels gets an
 * (MR, 64) register tile: for each pair, 4 panel loads, and per row one
 * broadcast and 4 VDPBF16PS. The emulation takes each element through the
 * same steps (16 columns at a time, so that it vectorizes):
 * acc = flush(fma(a_odd, b_odd, acc)), then the even pair; a product of two
 * bf16 values is exact in float32, so the fma rounds once, as the
 * instruction does. Conversions and packing use VCVTNE(2)PS2BF16 on the
 * hardware path and the same rounding in C elsewhere (tested equal).
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

/* Branch-free, so that loops over it vectorize; an infinity rounds to
 * itself and FLT_MAX up to infinity through the same addition. */
static inline uint16_t round_bits(uint32_t u) {
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    r = (u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x0040u : r; /* NaN: quiet */
    r = (u & 0x7f800000u) == 0 ? (u >> 16) & 0x8000u : r;          /* 0, subnormal */
    return (uint16_t)r;
}

uint16_t pat_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return round_bits(u);
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

/* dst (n) = x (n) rounded. */
PAT_INLINE void round_run(uint16_t *restrict dst, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        dst[i] = round_bits(u);
    }
}


/* One panel's pairs [0, kp) for columns [j0, j0+w), w <= 16, zeros past k
 * and past w. Loops follow the source's contiguous direction: columns
 * (cs == 1, row-major b) or the inner index (rs == 1, b stored transposed). */
PAT_INLINE void pack_panel(uint16_t *restrict d, const float *restrict b, size_t rs, size_t cs,
                           size_t k, size_t j0, size_t w) {
    const size_t kp = (k + 1) / 2;
    memset(d, 0, kp * 2 * PAT_BF16_PANEL * sizeof *d);
    if (cs == 1) {
        for (size_t i = 0; i < k; i++) {
            uint16_t *di = d + i / 2 * 2 * PAT_BF16_PANEL + i % 2;
            const float *bi = b + i * rs + j0;
            for (size_t jj = 0; jj < w; jj++) {
                uint32_t u;
                memcpy(&u, &bi[jj], sizeof u);
                di[2 * jj] = round_bits(u);
            }
        }
        return;
    }
    for (size_t jj = 0; jj < w; jj++) {
        const float *bj = b + (j0 + jj) * cs;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, &bj[i * rs], sizeof u);
            d[i / 2 * 2 * PAT_BF16_PANEL + 2 * jj + i % 2] = round_bits(u);
        }
    }
}

PAT_INLINE void pack_body(uint16_t *dst, const float *b, size_t rs, size_t cs, size_t k,
                          size_t n) {
    const size_t panels = (n + PAT_BF16_PANEL - 1) / PAT_BF16_PANEL;
    for (size_t v = 0; v < panels; v++) {
        const size_t j0 = v * PAT_BF16_PANEL, w = n - j0 < PAT_BF16_PANEL ? n - j0 : PAT_BF16_PANEL;
        pack_panel(dst + v * pat_bf16_panel_len(k), b, rs, cs, k, j0, w);
    }
}

static void pack_portable(uint16_t *dst, const float *b, size_t rs, size_t cs, size_t k,
                          size_t n) {
    pack_body(dst, b, rs, cs, k, n);
}

#if PAT_X86_PATHS
PAT_TARGET_AVX512 static void pack_avx512(uint16_t *dst, const float *b, size_t rs, size_t cs,
                                          size_t k, size_t n) {
    pack_body(dst, b, rs, cs, k, n);
}
#endif

#if PAT_X86_PATHS && defined(__GNUC__) && (__GNUC__ >= 10 || defined(__clang__))
#define PAT_BF16_HW 1
#include <immintrin.h>
#define TARGET_BF16 __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl")))

/* 16 floats rounded by VCVTNEPS2BF16 (the same rounding as round_bits). */
TARGET_BF16 static inline __m256i round16(__m512 x) { return (__m256i)_mm512_cvtneps_pbh(x); }

/* pat_bf16_round with VCVTNEPS2BF16. */
TARGET_BF16 static void round_hardware(uint16_t *dst, const float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm256_storeu_si256((__m256i *)(dst + i), round16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm256_mask_storeu_epi16(dst + i, m, round16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

/* pack_body for row-major b (cs == 1): per pair, rows 2p and 2p+1 of 16
 * columns rounded together and interleaved (even row in the low halves). */
TARGET_BF16 static void pack_rows_hardware(uint16_t *dst, const float *b, size_t rs, size_t k,
                                           size_t n) {
    const __m512i order = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                           24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1,
                                           16, 0);
    const size_t panels = (n + PAT_BF16_PANEL - 1) / PAT_BF16_PANEL, kp = (k + 1) / 2;
    for (size_t v = 0; v < panels; v++) {
        const size_t j0 = v * PAT_BF16_PANEL, w = n - j0 < PAT_BF16_PANEL ? n - j0 : PAT_BF16_PANEL;
        const __mmask16 m = (__mmask16)((1u << w) - 1u);
        uint16_t *d = dst + v * pat_bf16_panel_len(k);
        for (size_t p = 0; p < kp; p++) {
            const __m512 even = _mm512_maskz_loadu_ps(m, b + 2 * p * rs + j0);
            const __m512 odd = 2 * p + 1 < k ? _mm512_maskz_loadu_ps(m, b + (2 * p + 1) * rs + j0)
                                             : _mm512_setzero_ps();
            const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(odd, even); /* even low */
            _mm512_storeu_si512(d + p * 2 * PAT_BF16_PANEL, _mm512_permutexvar_epi16(order, both));
        }
    }
}
#else
#define PAT_BF16_HW 0
#endif

/* 1 when VDPBF16PS & co. may run: this build, this CPU, PAT_ISA. */
static int hardware_ok(void) {
#if PAT_BF16_HW
    return pat_isa_active() == PAT_ISA_AVX512 && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

void pat_bf16_round(uint16_t *dst, const float *x, size_t n) {
#if PAT_BF16_HW
    if (hardware_ok()) {
        round_hardware(dst, x, n);
        return;
    }
#endif
    round_run(dst, x, n);
}

void pat_bf16_pack(uint16_t *dst, const float *b, size_t rs, size_t cs, size_t k, size_t n) {
#if PAT_BF16_HW
    if (cs == 1 && hardware_ok()) {
        pack_rows_hardware(dst, b, rs, k, n);
        return;
    }
#endif
#if PAT_X86_PATHS
    if (pat_isa_active() == PAT_ISA_AVX512) {
        pack_avx512(dst, b, rs, cs, k, n);
        return;
    }
#endif
    pack_portable(dst, b, rs, cs, k, n);
}

/* buf (MR, 2*KCP) = elements [2*p0, 2*(p0+pc)) of rows [0, mr) of a,
 * rounded; elements past k are zeros, rows >= mr are not written. */
static void round_rows(uint16_t *buf, const float *a, size_t ars, size_t aks, size_t mr,
                       size_t k, size_t p0, size_t pc) {
    const size_t i0 = 2 * p0, n = 2 * pc <= k - i0 ? 2 * pc : k - i0;
    for (size_t r = 0; r < mr; r++) {
        uint16_t *d = buf + r * 2 * KCP;
        if (aks == 1)
            round_run(d, a + r * ars + i0, n);
        else
            for (size_t i = 0; i < n; i++) d[i] = pat_bf16_from_float(a[r * ars + (i0 + i) * aks]);
        if (n < 2 * pc) d[n] = 0;
    }
}

/* ---- emulation -------------------------------------------------------------------- */

/* Subnormals to signed zero (VDPBF16PS: denormals in are zero, out flushed). */
static inline float flush(float x) { return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x; }

/* fmaf(x, y, acc) for bf16 values x, y. Without an FMA instruction: their
 * product has at most 16 significant bits, exact in float32 unless it
 * leaves the normal range, so then one add rounds once, as fmaf does; libm's
 * (slow) fmaf only for tiny or huge products. */
PAT_INLINE float bf16_fma(float x, float y, float acc, const int fma_insn) {
    if (fma_insn) return fmaf(x, y, acc);
    const float p = x * y, m = fabsf(p);
    return (m >= FLT_MIN && m <= FLT_MAX) || x == 0.0f || y == 0.0f ? acc + p : fmaf(x, y, acc);
}

/* c rows [0, mr), columns [0, min(ncols, 16*nv)) (+)= a · panels. The
 * columns are the inner loop, so that it vectorizes; each element still
 * takes its pairs in order. Columns past ncols are computed from the
 * panels' zero padding and never stored. */
PAT_INLINE void tile_emulated(float *c, size_t ldc, const uint16_t *a, size_t lda,
                              const uint16_t *b, size_t panel, size_t pc, size_t mr, size_t ncols,
                              int accumulate, const float *bias, size_t nv, const int fma_insn) {
    const size_t w = ncols < nv * PAT_BF16_PANEL ? ncols : nv * PAT_BF16_PANEL;
    for (size_t r = 0; r < mr; r++) {
        float acc[NV_MAX * PAT_BF16_PANEL];
        for (size_t j = 0; j < nv * PAT_BF16_PANEL; j++)
            acc[j] = j >= w        ? 0.0f
                     : accumulate ? flush(c[r * ldc + j])
                     : bias       ? flush(bias[j])
                                  : 0.0f;
        for (size_t q = 0; q < pc; q++) {
            const float even = pat_bf16_to_float(a[r * lda + 2 * q]);
            const float odd = pat_bf16_to_float(a[r * lda + 2 * q + 1]);
            for (size_t v = 0; v < nv; v++) {
                const uint16_t *bq = b + v * panel + q * 2 * PAT_BF16_PANEL;
                float *av = acc + v * PAT_BF16_PANEL;
                for (size_t jj = 0; jj < PAT_BF16_PANEL; jj++) {
                    const float bo = pat_bf16_to_float(bq[2 * jj + 1]);
                    const float t = flush(bf16_fma(odd, bo, av[jj], fma_insn));
                    av[jj] = flush(bf16_fma(even, pat_bf16_to_float(bq[2 * jj]), t, fma_insn));
                }
            }
        }
        for (size_t j = 0; j < w; j++) c[r * ldc + j] = acc[j];
    }
}

static void tile_emulated_portable(float *c, size_t ldc, const uint16_t *a, size_t lda,
                                   const uint16_t *b, size_t panel, size_t pc, size_t mr,
                                   size_t ncols, int accumulate, const float *bias, size_t nv) {
    tile_emulated(c, ldc, a, lda, b, panel, pc, mr, ncols, accumulate, bias, nv, 0);
}

#if PAT_X86_PATHS
/* The same steps with fmaf as one instruction (where the libm call is slow). */
PAT_TARGET_AVX2 static void tile_emulated_fma(float *c, size_t ldc, const uint16_t *a,
                                              size_t lda, const uint16_t *b, size_t panel,
                                              size_t pc, size_t mr, size_t ncols, int accumulate,
                                              const float *bias, size_t nv) {
    tile_emulated(c, ldc, a, lda, b, panel, pc, mr, ncols, accumulate, bias, nv, 1);
}
#endif

/* ---- hardware ------------------------------------------------------------------------ */

#if PAT_BF16_HW
/* Columns [0, w) of a panel as a load/store mask (w may exceed 16). */
TARGET_BF16 static inline __mmask16 panel_mask(size_t ncols, size_t v) {
    const size_t j0 = v * PAT_BF16_PANEL;
    if (ncols <= j0) return 0;
    return ncols - j0 >= PAT_BF16_PANEL ? (__mmask16)0xffff
                                        : (__mmask16)((1u << (ncols - j0)) - 1u);
}

TARGET_BF16 static inline __attribute__((always_inline)) void
tile_hw(float *c, size_t ldc, const uint16_t *a, size_t lda, const uint16_t *b, size_t panel,
        size_t pc, size_t mr, size_t ncols, int accumulate, const float *bias, const int nv) {
    __m512 acc[MR][NV_MAX];
    const uint16_t *ar[MR]; /* rows past mr repeat row 0: computed, never stored */
    for (int r = 0; r < MR; r++) ar[r] = a + ((size_t)r < mr ? (size_t)r : 0) * lda;
    __mmask16 mask[NV_MAX];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) mask[v] = panel_mask(ncols, (size_t)v);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = accumulate && (size_t)r < mr
                            ? _mm512_maskz_loadu_ps(mask[v], c + r * ldc + v * PAT_BF16_PANEL)
                        : !accumulate && bias
                            ? _mm512_maskz_loadu_ps(mask[v], bias + v * PAT_BF16_PANEL)
                            : _mm512_setzero_ps();
    for (size_t q = 0; q < pc; q++) {
        __m512bh bv[NV_MAX];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            bv[v] = (__m512bh)_mm512_loadu_si512(b + v * panel + q * 2 * PAT_BF16_PANEL);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            int pair; /* x86 is little-endian: the even element is the low half */
            memcpy(&pair, ar[r] + 2 * q, sizeof pair);
            const __m512bh av = (__m512bh)_mm512_set1_epi32(pair);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            if ((size_t)r < mr)
                _mm512_mask_storeu_ps(c + r * ldc + v * PAT_BF16_PANEL, mask[v], acc[r][v]);
}

/* round_rows with VCVTNEPS2BF16 (the same rounding as round_bits). */
TARGET_BF16 static void round_rows_hardware(uint16_t *buf, const float *a, size_t ars,
                                            size_t aks, size_t mr, size_t k, size_t p0,
                                            size_t pc) {
    const size_t i0 = 2 * p0, n = 2 * pc <= k - i0 ? 2 * pc : k - i0;
    if (aks != 1) {
        round_rows(buf, a, ars, aks, mr, k, p0, pc);
        return;
    }
    for (size_t r = 0; r < mr; r++) {
        uint16_t *d = buf + r * 2 * KCP;
        const float *x = a + r * ars + i0;
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)(d + i), round16(_mm512_loadu_ps(x + i)));
        if (i < n) {
            const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
            _mm256_mask_storeu_epi16(d + i, m, round16(_mm512_maskz_loadu_ps(m, x + i)));
        }
        if (n < 2 * pc) d[n] = 0;
    }
}

TARGET_BF16 static void tile_hardware(float *c, size_t ldc, const uint16_t *a, size_t lda,
                                      const uint16_t *b, size_t panel, size_t pc, size_t mr,
                                      size_t ncols, int accumulate, const float *bias,
                                      size_t nv) {
    switch (nv) {
    case 4: tile_hw(c, ldc, a, lda, b, panel, pc, mr, ncols, accumulate, bias, 4); break;
    case 3: tile_hw(c, ldc, a, lda, b, panel, pc, mr, ncols, accumulate, bias, 3); break;
    case 2: tile_hw(c, ldc, a, lda, b, panel, pc, mr, ncols, accumulate, bias, 2); break;
    default: tile_hw(c, ldc, a, lda, b, panel, pc, mr, ncols, accumulate, bias, 1); break;
    }
}
#endif

enum pat_bf16_path pat_bf16_path_detect(void) {
    if (hardware_ok()) return PAT_BF16_HARDWARE;
    return pat_isa_active() == PAT_ISA_PORTABLE ? PAT_BF16_EMULATED : PAT_BF16_EMULATED_FMA;
}

const char *pat_bf16_path_name(enum pat_bf16_path path) {
    return path == PAT_BF16_HARDWARE ? "avx512-bf16" : "emulated";
}

/* ---- the product ------------------------------------------------------------------------ */

typedef void tile_fn(float *c, size_t ldc, const uint16_t *a, size_t lda, const uint16_t *b,
                     size_t panel, size_t pc, size_t mr, size_t ncols, int accumulate,
                     const float *bias, size_t nv);

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

/* Rows [r0, r0+mr) of c, pairs [p0, p0+pc): groups of up to NV_MAX panels
 * of equal width, a from rows of lda rounded values. */
static void row_tiles(tile_fn *tile, float *c, size_t ldc, const uint16_t *a, size_t lda,
                      const struct pat_bf16_b *b, size_t mr, size_t n, size_t p0, size_t pc,
                      int accumulate, const float *bias) {
    const size_t panels = (n + PAT_BF16_PANEL - 1) / PAT_BF16_PANEL;
    const size_t groups = (panels + NV_MAX - 1) / NV_MAX, width = (panels + groups - 1) / groups;
    for (size_t v0 = 0; v0 < panels; v0 += width) { /* 6 panels: 3 + 3, not 4 + 2 */
        const size_t nv = panels - v0 < width ? panels - v0 : width;
        tile(c + v0 * PAT_BF16_PANEL, ldc, a, lda, b->p + v0 * b->panel + p0 * 2 * PAT_BF16_PANEL,
             b->panel, pc, mr, n - v0 * PAT_BF16_PANEL, accumulate,
             bias ? bias + v0 * PAT_BF16_PANEL : NULL, nv);
    }
}

/* c = a · b, c += a · b (accumulate) or c = bias + a · b (bias, not accumulate). */
static void product(enum pat_bf16_path path, float *c, size_t ldc, const float *a, size_t ars,
                    size_t aks, const struct pat_bf16_b *b, const float *bias, size_t m, size_t n,
                    size_t k, int accumulate) {
    tile_fn *tile = pick_tile(path);
    const size_t kp = (k + 1) / 2;
    uint16_t buf[MR * 2 * KCP];
    if (k == 0) {
        for (size_t r = 0; r < m && !accumulate; r++) {
            if (bias)
                for (size_t j = 0; j < n; j++) c[r * ldc + j] = flush(bias[j]);
            else
                memset(c + r * ldc, 0, n * sizeof *c);
        }
        return;
    }
    for (size_t p0 = 0; p0 < kp; p0 += KCP) {
        const size_t pc = kp - p0 < KCP ? kp - p0 : KCP;
        for (size_t r0 = 0; r0 < m; r0 += MR) {
            const size_t mr = m - r0 < MR ? m - r0 : MR;
#if PAT_BF16_HW
            if (path == PAT_BF16_HARDWARE)
                round_rows_hardware(buf, a + r0 * ars, ars, aks, mr, k, p0, pc);
            else
#endif
                round_rows(buf, a + r0 * ars, ars, aks, mr, k, p0, pc);
            row_tiles(tile, c + r0 * ldc, ldc, buf, 2 * KCP, b, mr, n, p0, pc,
                      accumulate || p0 > 0, bias);
        }
    }
}

void pat_bf16_matmul(enum pat_bf16_path path, float *c, size_t ldc, const float *a, size_t ars,
                     size_t aks, const struct pat_bf16_b *b, size_t m, size_t n, size_t k,
                     int accumulate) {
    product(path, c, ldc, a, ars, aks, b, NULL, m, n, k, accumulate);
}

void pat_bf16_matmul_bias(enum pat_bf16_path path, float *c, size_t ldc, const float *a,
                          size_t ars, size_t aks, const struct pat_bf16_b *b, const float *bias,
                          size_t m, size_t n, size_t k) {
    product(path, c, ldc, a, ars, aks, b, bias, m, n, k, 0);
}

void pat_bf16_matmul_rounded(enum pat_bf16_path path, float *c, size_t ldc, const uint16_t *a,
                             size_t lda, const struct pat_bf16_b *b, size_t m, size_t n,
                             size_t k, int accumulate) {
    tile_fn *tile = pick_tile(path);
    const size_t kp = (k + 1) / 2;
    if (k == 0) {
        for (size_t r = 0; r < m && !accumulate; r++) memset(c + r * ldc, 0, n * sizeof *c);
        return;
    }
    for (size_t p0 = 0; p0 < kp; p0 += KCP) {
        const size_t pc = kp - p0 < KCP ? kp - p0 : KCP;
        for (size_t r0 = 0; r0 < m; r0 += MR)
            row_tiles(tile, c + r0 * ldc, ldc, a + r0 * lda + 2 * p0, lda, b,
                      m - r0 < MR ? m - r0 : MR, n, p0, pc, accumulate || p0 > 0, NULL);
    }
}
