/* attention.c - multi-head attention core, forward and backward (see
 * attention.h).
 *
 * Forward, per (head h, tile of PAT_ATT_TILE queries), over tiles of
 * KEY_TILE keys (flash attention):
 *     S = q·k^T                      pat_matmul, (rows, KEY_TILE)
 *     m' = max(m, rowmax S);  P = exp(S - m');  l = l·exp(m - m') + rowsum P
 *     o = o·exp(m - m') + P·v        pat_matmul, (rows, K)
 * and at the end ctx = o / l, lse = m + log l. The explanation sums need the
 * final m and l, so they take a second pass over the key tiles. The bf16
 * path (pat_attention_bf16) runs both products in bf16 and computes P with
 * a shorter polynomial (exp_bf16); P is rounded to bf16 inside the P·v
 * product, l sums the unrounded values in float32.
 *
 * Backward (a = softmax(s), ctx = a·v, D[t] = dctx[t]·ctx[t]):
 *     ds[t,j] = a[t,j] (dctx[t]·v[j] − D[t])
 *     dq[t] = sum_j ds[t,j] k[j],  dk[j] = sum_t ds[t,j] q[t],  dv[j] = sum_t a[t,j] dctx[t]
 * per (head, group of KEY_GROUP keys), over tiles of KEY_TILE queries, with
 * a recomputed from lse: five products per tile (s, dp, dv, dk, dq). A job
 * owns its keys' dk and dv; dq gets one partial sum per key group, added in
 * group order at the end, so no two threads ever add into the same element.
 *
 * The element-wise steps (max, exp, sums) are PAT_INLINE and each job is
 * compiled once per instruction set (gemm.h); row sums use LANES partial
 * sums in a fixed order, the same on every path.
 */
#include "nn/attention.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"
#include "nn/gemm_bf16.h"
#include "nn/pool.h"
#include "util.h"

#define KEY_TILE 128 /* keys (forward) or queries (backward) per inner step */
#define LANES 16    /* partial sums of a row reduction */

/* exp_bf16's q(r) = C1 + C2 r + C3 r^2 + C4 r^3: minimax (Lawson's
 * iteration) for the relative error of 1 + r q(r) against exp(r) on
 * |r| <= ln2/2, 2.8e-6 in exact arithmetic. */
#define EXP_BF16_C1 9.999666810e-01f
#define EXP_BF16_C2 5.000302792e-01f
#define EXP_BF16_C3 1.678771228e-01f
#define EXP_BF16_C4 4.151352122e-02f

size_t pat_attention_tiles(size_t N) { return (N + PAT_ATT_TILE - 1) / PAT_ATT_TILE; }

/* The copies below are cheap next to the products around them: serial. */
void pat_heads_split(float *dst, const float *src, size_t N, size_t H, size_t K) {
    for (size_t h = 0; h < H; h++)
        for (size_t t = 0; t < N; t++)
            memcpy(dst + (h * N + t) * K, src + (t * H + h) * K, K * sizeof *dst);
}

void pat_heads_split_t(float *dst, const float *src, size_t N, size_t H, size_t K) {
    for (size_t h = 0; h < H; h++)
        for (size_t t = 0; t < N; t++)
            for (size_t d = 0; d < K; d++) dst[(h * K + d) * N + t] = src[(t * H + h) * K + d];
}

void pat_heads_merge(float *dst, const float *src, size_t N, size_t H, size_t K) {
    for (size_t t = 0; t < N; t++)
        for (size_t h = 0; h < H; h++)
            memcpy(dst + (t * H + h) * K, src + (h * N + t) * K, K * sizeof *dst);
}

/* ---- element-wise steps ------------------------------------------------------ */

/* a * b + c, in one rounding when fused (the AVX paths), else in two. */
PAT_INLINE float madd(float a, float b, float c, int fused) {
    return fused ? fmaf(a, b, c) : a * b + c;
}

/* exp(x) for x <= 88 (Cephes expf): x = n ln2 + r, |r| <= ln2/2, exp(r) by a
 * degree-6 polynomial, 2^n through the exponent bits. Arguments below
 * -87.34 (= log FLT_MIN) are clamped there, by an unsigned comparison of the
 * bit patterns (for x <= 0 they grow with |x|), which GCC vectorizes where a
 * float comparison would stay a branch. */
PAT_INLINE float exp_nonpos(float x, int fused) {
    const float lo = -87.3365447f;
    uint32_t xb, lob;
    memcpy(&xb, &x, sizeof xb);
    memcpy(&lob, &lo, sizeof lob);
    xb = xb < lob ? xb : lob;
    memcpy(&x, &xb, sizeof x);
    const float n = madd(x, 1.44269504088896341f, 12582912.0f, fused) - 12582912.0f; /* round */
    float r = madd(n, -0.693359375f, x, fused);
    r = madd(n, 2.12194440e-4f, r, fused);
    float p = 1.9875691500e-4f;
    p = madd(p, r, 1.3981999507e-3f, fused);
    p = madd(p, r, 8.3334519073e-3f, fused);
    p = madd(p, r, 4.1665795894e-2f, fused);
    p = madd(p, r, 1.6666665459e-1f, fused);
    p = madd(p, r, 5.0000001201e-1f, fused);
    p = madd(p, r * r, r, fused) + 1.0f;
    const int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

float pat_exp_nonpos(float x) { return exp_nonpos(x, 0); }

/* The bf16 path's exp(x), x <= 0, for probabilities that are rounded to
 * bf16 (8 significant bits) right after: x = n ln2 + r as in exp_nonpos,
 * exp(r) = 1 + r q(r) with q of degree 3 (minimax for the relative error),
 * 2^n from the low bits of the rounding constant. Relative error below
 * 4e-6 on [-86, 0] (2.9e-6 measured, tests/test_bf16.c), under a 400th of
 * bf16's relative half ulp (2^-9); exactly 1 at 0. Arguments below -86 are
 * clamped there, so that every result is a normal float: exp(-86) = 4e-38
 * stands for anything smaller. The same operations on every vector width. */
PAT_INLINE float exp_bf16(float x, int fused) {
    const float lo = -86.0f, shifter = 12582912.0f; /* 1.5 * 2^23 */
    uint32_t xb, lob, tb;
    memcpy(&xb, &x, sizeof xb);
    memcpy(&lob, &lo, sizeof lob);
    xb = xb < lob ? xb : lob;
    memcpy(&x, &xb, sizeof x);
    const float t = madd(x, 1.44269504088896341f, shifter, fused); /* shifter + round(x/ln2) */
    const float n = t - shifter;
    float r = madd(n, -0.693359375f, x, fused); /* ln2 in two parts, as exp_nonpos */
    r = madd(n, 2.12194440e-4f, r, fused);
    float q = EXP_BF16_C4;
    q = madd(q, r, EXP_BF16_C3, fused);
    q = madd(q, r, EXP_BF16_C2, fused);
    q = madd(q, r, EXP_BF16_C1, fused);
    const float p = madd(q, r, 1.0f, fused);
    memcpy(&tb, &t, sizeof tb);
    const uint32_t bits = (tb + 127u) << 23; /* t's low 9 bits hold n (mod 512) */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

float pat_exp_nonpos_bf16(float x) { return exp_bf16(x, 0); }

/* exp_nonpos, or exp_bf16 on the bf16 path. */
PAT_INLINE float exp_prob(float x, int fused, int bf16) {
    return bf16 ? exp_bf16(x, fused) : exp_nonpos(x, fused);
}

/* Largest of s (n), n >= 1. */
PAT_INLINE float row_max(const float *s, size_t n) {
    float mx = s[0];
    size_t j = 0;
    if (n >= LANES) {
        float acc[LANES];
        for (int l = 0; l < LANES; l++) acc[l] = s[l];
        for (j = LANES; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) acc[l] = s[j + l] > acc[l] ? s[j + l] : acc[l];
        for (int l = 0; l < LANES; l++) mx = acc[l] > mx ? acc[l] : mx;
    }
    for (; j < n; j++) mx = s[j] > mx ? s[j] : mx;
    return mx;
}

/* s (n) = exp(s - c) in place (exp_bf16 when bf16); returns the sum of the new s. */
PAT_INLINE float exp_sum(float *s, float c, size_t n, int fused, int bf16) {
    float acc[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) {
            const float e = exp_prob(s[j + l] - c, fused, bf16);
            s[j + l] = e;
            acc[l] += e;
        }
    for (; j < n; j++) {
        s[j] = exp_prob(s[j] - c, fused, bf16);
        acc[j % LANES] += s[j];
    }
    float sum = 0.0f;
    for (int l = 0; l < LANES; l++) sum += acc[l];
    return sum;
}

/* out (n) = x (n) * a; out may be x. Blocked so that GCC vectorizes it. */
PAT_INLINE void scale_row(float *out, const float *x, float a, size_t n) {
    size_t j = 0;
    for (; j + LANES <= n; j += LANES) {
        float t[LANES];
        for (int l = 0; l < LANES; l++) t[l] = x[j + l] * a;
        for (int l = 0; l < LANES; l++) out[j + l] = t[l];
    }
    for (; j < n; j++) out[j] = x[j] * a;
}

/* Online softmax over one key tile for rows r < rows of s (rows, n) [ld]:
 * s becomes exp(s - m_new) (exp_bf16 when bf16), the running max m and sum l
 * are updated and the context rows o (rows, K) rescaled by exp(m_old - m_new).
 * On a row's first tile o is not read (it is written by the first P·v). */
PAT_INLINE void softmax_tile(float *s, size_t ld, size_t rows, size_t n, float *m, float *l,
                             float *o, size_t K, int first, int fused, int bf16) {
    for (size_t r = 0; r < rows; r++) {
        float *sr = s + r * ld;
        const float mx = row_max(sr, n);
        if (first) {
            m[r] = mx;
            l[r] = exp_sum(sr, mx, n, fused, bf16);
            continue;
        }
        const float m_new = mx > m[r] ? mx : m[r];
        const float alpha = exp_nonpos(m[r] - m_new, fused);
        l[r] = l[r] * alpha + exp_sum(sr, m_new, n, fused, bf16);
        m[r] = m_new;
        if (alpha != 1.0f) scale_row(o + r * K, o + r * K, alpha, K);
    }
}

/* colsum (n) += exp(s[r] - m[r]) * inv_l[r] over rows r in order, with the
 * exponential the forward used (exp_bf16 when bf16). */
PAT_INLINE void colsum_tile(float *restrict colsum, const float *restrict s, size_t ld,
                            size_t rows, size_t n, const float *m, const float *inv_l,
                            int fused, int bf16) {
    for (size_t r = 0; r < rows; r++) {
        const float *sr = s + r * ld, mr = m[r], il = inv_l[r];
        size_t j = 0;
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++)
                colsum[j + l] += exp_prob(sr[j + l] - mr, fused, bf16) * il;
        for (; j < n; j++) colsum[j] += exp_prob(sr[j] - mr, fused, bf16) * il;
    }
}

/* Backward, key rows (columns are queries j): s (rows, n) [ld] becomes
 * a = exp(s - lse[j]) and dp becomes ds = a (dp - D[j]). */
PAT_INLINE void ds_cols(float *restrict s, float *restrict dp, size_t ld, size_t rows,
                        size_t n, const float *lse, const float *D, int fused) {
    for (size_t r = 0; r < rows; r++) {
        float *sr = s + r * ld, *dr = dp + r * ld;
        size_t j = 0;
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) {
                sr[j + l] = exp_nonpos(sr[j + l] - lse[j + l], fused);
                dr[j + l] = sr[j + l] * (dr[j + l] - D[j + l]);
            }
        for (; j < n; j++) {
            sr[j] = exp_nonpos(sr[j] - lse[j], fused);
            dr[j] = sr[j] * (dr[j] - D[j]);
        }
    }
}

/* ---- forward -------------------------------------------------------------------- */

struct att_fwd {
    size_t N, H, K;
    const float *q, *kt, *vh;  /* (N, H, K), (H, K, N), (H, N, K) */
    float *ctx, *colsum, *lse; /* (N, H, K), NULL or (H, tiles, N), NULL or (H, N) */
    const struct pat_att_bf16 *bf; /* NULL, or the bf16 factors (kt and vh unused) */
};

/* s (rows, bk) [KEY_TILE] = q rows [t0, t0+rows) · keys [j0, j0+bk) of head h. */
PAT_INLINE void scores(enum pat_isa isa, const struct att_fwd *a, float *s, size_t t0, size_t h,
                       size_t j0, size_t rows, size_t bk) {
    const size_t N = a->N, K = a->K, HK = a->H * K;
    const float *qa = a->q + t0 * HK + h * K;
    if (!a->bf) {
        pat_matmul(isa, s, KEY_TILE, qa, HK, 1, a->kt + h * K * N + j0, N, rows, bk, K, 0);
        return;
    }
    const struct pat_att_bf16 *bf = a->bf; /* j0 is a multiple of KEY_TILE, so of 16 */
    const struct pat_bf16_b b = {bf->kt + h * bf->kt_head + j0 / PAT_BF16_PANEL * bf->kt_panel,
                                 bf->kt_panel};
    if (bf->q16)
        pat_bf16_matmul_rounded(bf->path, s, KEY_TILE, bf->q16 + t0 * HK + h * K, HK, &b, rows,
                                bk, K, 0);
    else
        pat_bf16_matmul(bf->path, s, KEY_TILE, qa, HK, 1, &b, rows, bk, K, 0);
}

/* o (rows, K) (+)= p (rows, bk) [KEY_TILE] · values [j0, j0+bk) of head h. */
PAT_INLINE void context(enum pat_isa isa, const struct att_fwd *a, float *o, const float *p,
                        size_t h, size_t j0, size_t rows, size_t bk) {
    const size_t N = a->N, K = a->K;
    pat_matmul(isa, o, K, p, KEY_TILE, 1, a->vh + (h * N + j0) * K, K, rows, K, bk, j0 > 0);
}

/* context on the bf16 path: p rounded to bf16 inside the product. */
PAT_INLINE void context_bf16(const struct att_fwd *a, float *o, const float *p, size_t h,
                             size_t j0, size_t rows, size_t bk) {
    const struct pat_att_bf16 *bf = a->bf; /* j0 is even: a whole pair offset */
    const struct pat_bf16_b b = {bf->v + h * bf->v_head + j0 * PAT_BF16_PANEL, bf->v_panel};
    pat_bf16_matmul(bf->path, o, a->K, p, KEY_TILE, 1, &b, rows, a->K, bk, j0 > 0);
}

/* Scratch of one thread. */
struct att_scratch {
    float *s;                            /* (PAT_ATT_TILE, KEY_TILE) scores, probabilities */
    float *d;                            /* (PAT_ATT_TILE, max(K, KEY_TILE)) context or dP */
    float m[PAT_ATT_TILE], l[PAT_ATT_TILE]; /* running max and sum (forward) */
};

static int scratch_init(struct att_scratch *w, size_t K) {
    const size_t wide = K > KEY_TILE ? K : KEY_TILE;
    w->s = malloc(PAT_ATT_TILE * KEY_TILE * sizeof *w->s);
    w->d = malloc(PAT_ATT_TILE * wide * sizeof *w->d);
    return w->s && w->d;
}

static void scratch_free(struct att_scratch *w) { free(w->s), free(w->d); }

/* One scratch per worker of a job, each allocated by its worker on first
 * use; failed is set when one could not be. */
struct att_workers {
    size_t n, K;
    struct att_scratch *w; /* n, zeroed */
    int *state;            /* n: 0 not yet, 1 ready, -1 failed */
};

static int workers_init(struct att_workers *ws, size_t jobs, size_t K) {
    const size_t threads = pat_pool_threads();
    ws->n = threads < jobs ? threads : jobs;
    if (ws->n == 0) ws->n = 1;
    ws->K = K;
    ws->w = calloc(ws->n, sizeof *ws->w);
    ws->state = calloc(ws->n, sizeof *ws->state);
    return ws->w && ws->state;
}

/* Worker k's scratch, or NULL if it cannot be had. */
static struct att_scratch *worker_scratch(struct att_workers *ws, size_t k) {
    if (ws->state[k] == 0) ws->state[k] = scratch_init(&ws->w[k], ws->K) ? 1 : -1;
    return ws->state[k] == 1 ? &ws->w[k] : NULL;
}

/* Frees every scratch; 0 if any failed (or the arrays did). */
static int workers_free(struct att_workers *ws) {
    int ok = ws->w && ws->state;
    for (size_t k = 0; ws->w && ws->state && k < ws->n; k++) {
        if (ws->state[k] != 0) scratch_free(&ws->w[k]);
        ok = ok && ws->state[k] != -1;
    }
    free(ws->w), free(ws->state);
    return ok;
}

/* Explanation sums of the tile's rows into colsum (N), from the final m, l. */
PAT_INLINE void forward_colsum(enum pat_isa isa, const struct att_fwd *a, struct att_scratch *w,
                               size_t h, size_t t0, size_t rows, float *colsum) {
    const size_t N = a->N;
    memset(colsum, 0, N * sizeof *colsum);
    for (size_t j0 = 0; j0 < N; j0 += KEY_TILE) {
        const size_t bk = N - j0 < KEY_TILE ? N - j0 : KEY_TILE;
        scores(isa, a, w->s, t0, h, j0, rows, bk);
        if (a->bf)
            colsum_tile(colsum + j0, w->s, KEY_TILE, rows, bk, w->m, w->l,
                        isa != PAT_ISA_PORTABLE, 1);
        else
            colsum_tile(colsum + j0, w->s, KEY_TILE, rows, bk, w->m, w->l,
                        isa != PAT_ISA_PORTABLE, 0);
    }
}

/* One (head h, query rows t0 .. t0+rows) job of the forward. */
PAT_INLINE void forward_job(enum pat_isa isa, const struct att_fwd *a, struct att_scratch *w,
                            size_t h, size_t tile) {
    const size_t N = a->N, H = a->H, K = a->K, t0 = tile * PAT_ATT_TILE;
    const size_t rows = N - t0 < PAT_ATT_TILE ? N - t0 : PAT_ATT_TILE;
    for (size_t j0 = 0; j0 < N; j0 += KEY_TILE) {
        const size_t bk = N - j0 < KEY_TILE ? N - j0 : KEY_TILE;
        scores(isa, a, w->s, t0, h, j0, rows, bk);
        if (a->bf) {
            softmax_tile(w->s, KEY_TILE, rows, bk, w->m, w->l, w->d, K, j0 == 0,
                         isa != PAT_ISA_PORTABLE, 1);
            context_bf16(a, w->d, w->s, h, j0, rows, bk);
            continue;
        }
        softmax_tile(w->s, KEY_TILE, rows, bk, w->m, w->l, w->d, K, j0 == 0,
                     isa != PAT_ISA_PORTABLE, 0);
        context(isa, a, w->d, w->s, h, j0, rows, bk);
    }
    for (size_t r = 0; r < rows; r++) {
        const float inv = 1.0f / w->l[r];
        scale_row(a->ctx + ((t0 + r) * H + h) * K, w->d + r * K, inv, K);
        if (a->lse) a->lse[h * N + t0 + r] = w->m[r] + logf(w->l[r]);
        w->l[r] = inv; /* forward_colsum reads 1/l */
    }
    if (a->colsum)
        forward_colsum(isa, a, w, h, t0, rows, a->colsum + (h * pat_attention_tiles(N) + tile) * N);
}

static void forward_portable(const struct att_fwd *a, struct att_scratch *w, size_t h,
                             size_t tile) {
    forward_job(PAT_ISA_PORTABLE, a, w, h, tile);
}
#if PAT_X86_PATHS
PAT_TARGET_AVX2 static void forward_avx2(const struct att_fwd *a, struct att_scratch *w,
                                         size_t h, size_t tile) {
    forward_job(PAT_ISA_AVX2, a, w, h, tile);
}
PAT_TARGET_AVX512 static void forward_avx512(const struct att_fwd *a, struct att_scratch *w,
                                             size_t h, size_t tile) {
    forward_job(PAT_ISA_AVX512, a, w, h, tile);
}
#endif

#if PAT_ARM64_PATHS
static void forward_neon(const struct att_fwd *a, struct att_scratch *w, size_t h, size_t tile) {
    forward_job(PAT_ISA_NEON, a, w, h, tile);
}
#endif

static void forward_dispatch(enum pat_isa isa, const struct att_fwd *a, struct att_scratch *w,
                             size_t h, size_t tile) {
#if PAT_ARM64_PATHS
    if (isa == PAT_ISA_NEON) {
        forward_neon(a, w, h, tile);
        return;
    }
#endif
#if PAT_X86_PATHS
    if (isa == PAT_ISA_AVX512)
        forward_avx512(a, w, h, tile);
    else if (isa == PAT_ISA_AVX2)
        forward_avx2(a, w, h, tile);
    else
#endif
        forward_portable(a, w, h, tile);
    (void)isa;
}

struct fwd_job {
    enum pat_isa isa;
    const struct att_fwd *a;
    struct att_workers *ws;
    size_t tiles;
};

static void forward_task(void *ctx, size_t job, size_t worker) {
    const struct fwd_job *j = ctx;
    struct att_scratch *w = worker_scratch(j->ws, worker);
    if (w) forward_dispatch(j->isa, j->a, w, job / j->tiles, job % j->tiles);
}

static int attention_forward(const struct att_fwd *a) {
    const size_t N = a->N, H = a->H, K = a->K;
    const size_t tiles = pat_attention_tiles(N), jobs = H * tiles;
    struct att_workers ws;
    if (workers_init(&ws, jobs, K)) {
        struct fwd_job j = {pat_isa_active(), a, &ws, tiles};
        pat_pool_run(jobs, ws.n, forward_task, &j);
    }
    return workers_free(&ws);
}

int pat_attention(float *ctx, float *colsum, float *lse, const float *q, const float *kt,
                  const float *vh, size_t N, size_t H, size_t K) {
    const struct att_fwd a = {N, H, K, q, kt, vh, ctx, colsum, lse, NULL};
    return attention_forward(&a);
}

int pat_attention_bf16(float *ctx, float *colsum, const float *q, const struct pat_att_bf16 *bf,
                       size_t N, size_t H, size_t K) {
    const struct att_fwd a = {N, H, K, q, NULL, NULL, ctx, colsum, NULL, bf};
    return attention_forward(&a);
}

/* ---- backward ------------------------------------------------------------------- */

/* Keys per backward job: dq gets one partial sum per such group of keys,
 * added in group order at the end. */
#define KEY_GROUP (4 * PAT_ATT_TILE)

struct att_bwd {
    size_t N, H, K;
    const float *q, *k, *v, *dctx, *lse; /* (N, H, K) x4, (H, N) */
    const float *qt, *dct;               /* q and dctx transposed, (H, K, N) */
    const float *D;                      /* (H, N) dctx[t]·ctx[t] per head */
    float *dq_part;                      /* (groups, N, H, K) dq summed over one key group */
    float *dk, *dv;                      /* (N, H, K) */
};

/* Keys j0 .. j0+rows of head h against queries t0 .. t0+bq: the five
 * products of the backward, with s = k·q^T and dp = v·dctx^T recomputed. */
PAT_INLINE void backward_tile(enum pat_isa isa, const struct att_bwd *a, struct att_scratch *w,
                              size_t h, size_t j0, size_t rows, size_t t0, size_t bq,
                              float *dq_part, int first_keys) {
    const size_t N = a->N, H = a->H, K = a->K, HK = H * K;
    const size_t koff = (j0 * H + h) * K, toff = (t0 * H + h) * K;
    pat_matmul(isa, w->s, KEY_TILE, a->k + koff, HK, 1, a->qt + h * K * N + t0, N, rows, bq, K, 0);
    pat_matmul(isa, w->d, KEY_TILE, a->v + koff, HK, 1, a->dct + h * K * N + t0, N, rows, bq, K,
               0);
    ds_cols(w->s, w->d, KEY_TILE, rows, bq, a->lse + h * N + t0, a->D + h * N + t0,
            isa != PAT_ISA_PORTABLE);
    pat_matmul(isa, a->dv + koff, HK, w->s, KEY_TILE, 1, a->dctx + toff, HK, rows, K, bq, t0 > 0);
    pat_matmul(isa, a->dk + koff, HK, w->d, KEY_TILE, 1, a->q + toff, HK, rows, K, bq, t0 > 0);
    /* dq[t] += sum_j ds[t, j] k[j]: ds is read transposed from w->d */
    pat_matmul(isa, dq_part + toff, HK, w->d, 1, KEY_TILE, a->k + koff, HK, bq, K, rows,
               !first_keys);
}

/* Job (head h, key group g): dk and dv of the group's keys, complete, and
 * the group's share of dq for every query. */
PAT_INLINE void backward_job(enum pat_isa isa, const struct att_bwd *a, struct att_scratch *w,
                             size_t h, size_t g) {
    const size_t N = a->N, g0 = g * KEY_GROUP, g1 = N - g0 < KEY_GROUP ? N : g0 + KEY_GROUP;
    float *part = a->dq_part + g * N * a->H * a->K;
    for (size_t t0 = 0; t0 < N; t0 += KEY_TILE) {
        const size_t bq = N - t0 < KEY_TILE ? N - t0 : KEY_TILE;
        for (size_t j0 = g0; j0 < g1; j0 += PAT_ATT_TILE) {
            const size_t rows = g1 - j0 < PAT_ATT_TILE ? g1 - j0 : PAT_ATT_TILE;
            backward_tile(isa, a, w, h, j0, rows, t0, bq, part, j0 == g0);
        }
    }
}

static void backward_portable(const struct att_bwd *a, struct att_scratch *w, size_t h,
                              size_t g) {
    backward_job(PAT_ISA_PORTABLE, a, w, h, g);
}
#if PAT_X86_PATHS
PAT_TARGET_AVX2 static void backward_avx2(const struct att_bwd *a, struct att_scratch *w,
                                          size_t h, size_t g) {
    backward_job(PAT_ISA_AVX2, a, w, h, g);
}
PAT_TARGET_AVX512 static void backward_avx512(const struct att_bwd *a, struct att_scratch *w,
                                              size_t h, size_t g) {
    backward_job(PAT_ISA_AVX512, a, w, h, g);
}
#endif

#if PAT_ARM64_PATHS
static void backward_neon(const struct att_bwd *a, struct att_scratch *w, size_t h, size_t g) {
    backward_job(PAT_ISA_NEON, a, w, h, g);
}
#endif

static void backward_dispatch(enum pat_isa isa, const struct att_bwd *a, struct att_scratch *w,
                              size_t h, size_t g) {
#if PAT_ARM64_PATHS
    if (isa == PAT_ISA_NEON) {
        backward_neon(a, w, h, g);
        return;
    }
#endif
#if PAT_X86_PATHS
    if (isa == PAT_ISA_AVX512)
        backward_avx512(a, w, h, g);
    else if (isa == PAT_ISA_AVX2)
        backward_avx2(a, w, h, g);
    else
#endif
        backward_portable(a, w, h, g);
    (void)isa;
}

struct bwd_job {
    enum pat_isa isa;
    const struct att_bwd *a;
    struct att_workers *ws;
    size_t groups;
};

static void backward_task(void *ctx, size_t job, size_t worker) {
    const struct bwd_job *j = ctx;
    struct att_scratch *w = worker_scratch(j->ws, worker);
    if (w) backward_dispatch(j->isa, j->a, w, job / j->groups, job % j->groups);
}

/* Every (head, key group) job in parallel, then dq = the groups' partial
 * sums added in group order; 0 if scratch fails. */
static int backward_jobs(const struct att_bwd *a, float *dq) {
    const size_t groups = (a->N + KEY_GROUP - 1) / KEY_GROUP, n = a->N * a->H * a->K;
    const size_t jobs = a->H * groups;
    struct att_workers ws;
    if (workers_init(&ws, jobs, a->K)) {
        struct bwd_job j = {pat_isa_active(), a, &ws, groups};
        pat_pool_run(jobs, ws.n, backward_task, &j);
    }
    if (!workers_free(&ws)) return 0;
    for (size_t i = 0; i < n; i++) {
        float s = a->dq_part[i];
        for (size_t g = 1; g < groups; g++) s += a->dq_part[g * n + i];
        dq[i] = s;
    }
    return 1;
}

/* D (H, N) = dctx[t]·ctx[t] per head, summed in double. */
static void backward_dot(float *D, const float *dctx, const float *ctx, size_t N, size_t H,
                         size_t K) {
    for (size_t t = 0; t < N; t++)
        for (size_t h = 0; h < H; h++) {
            const size_t off = (t * H + h) * K;
            double d = 0.0;
            for (size_t e = 0; e < K; e++) d += (double)dctx[off + e] * ctx[off + e];
            D[h * N + t] = (float)d;
        }
}

int pat_attention_backward(float *dq, float *dk, float *dv, const float *dctx,
                           const float *q, const float *k, const float *v, const float *ctx,
                           const float *lse, size_t N, size_t H, size_t K) {
    const size_t n = N * H * K; /* bounded by the caller's checked workspace */
    const size_t groups = (N + KEY_GROUP - 1) / KEY_GROUP;
    float *buf = malloc(((2 + groups) * n + H * N) * sizeof *buf);
    if (!buf) return 0;
    float *qt = buf, *dct = buf + n, *part = buf + 2 * n, *D = buf + (2 + groups) * n;
    pat_heads_split_t(qt, q, N, H, K);
    pat_heads_split_t(dct, dctx, N, H, K);
    backward_dot(D, dctx, ctx, N, H, K);
    const struct att_bwd a = {N, H, K, q, k, v, dctx, lse, qt, dct, D, part, dk, dv};
    const int ok = backward_jobs(&a, dq);
    free(buf);
    return ok;
}

/* ---- test oracles: one row at a time ------------------------------------------------ */

/* s (N) = sum_d a[d] * bt[d, :] for a (K) and bt (K, N): one row of scores. */
static void row_times_t(float *s, const float *a, const float *bt, size_t N, size_t K) {
    memset(s, 0, N * sizeof *s);
    for (size_t d = 0; d < K; d++) {
        const float ad = a[d];
        const float *bd = bt + d * N;
        for (size_t j = 0; j < N; j++) s[j] += ad * bd[j];
    }
}

/* out (K) = sum_j w[j] * rows[j, :] for w (N) and rows (N, K). */
static void weighted_rows(float *out, const float *w, const float *rows, size_t N, size_t K) {
    memset(out, 0, K * sizeof *out);
    for (size_t j = 0; j < N; j++) {
        const float wj = w[j];
        const float *r = rows + j * K;
        for (size_t d = 0; d < K; d++) out[d] += wj * r[d];
    }
}

/* Softmax of s (N) in place; returns the log-sum-exp of the scores. */
static float softmax_row(float *s, size_t N) {
    float mx = s[0];
    for (size_t j = 1; j < N; j++) mx = s[j] > mx ? s[j] : mx;
    double sum = 0.0;
    for (size_t j = 0; j < N; j++) {
        s[j] = expf(s[j] - mx);
        sum += s[j];
    }
    const float inv = (float)(1.0 / sum);
    for (size_t j = 0; j < N; j++) s[j] *= inv;
    return mx + (float)log(sum);
}

/* One (head, query tile) of the simple forward pass. */
static void simple_forward_tile(float *ctx, float *colsum, float *lse, float *S, const float *q,
                                const float *kt, const float *vh, size_t t0, size_t rows,
                                size_t h, size_t N, size_t H, size_t K) {
    const float *kth = kt + h * K * N, *vhh = vh + h * N * K;
    if (colsum) memset(colsum, 0, N * sizeof *colsum);
    for (size_t r = 0; r < rows; r++) {
        const size_t t = t0 + r;
        float *s = S + r * N;
        row_times_t(s, q + (t * H + h) * K, kth, N, K);
        float l = softmax_row(s, N);
        if (lse) lse[h * N + t] = l;
        weighted_rows(ctx + (t * H + h) * K, s, vhh, N, K);
        if (colsum)
            for (size_t j = 0; j < N; j++) colsum[j] += s[j];
    }
}

int pat_attention_simple(float *ctx, float *colsum, float *lse, const float *q,
                         const float *kt, const float *vh, size_t N, size_t H, size_t K) {
    const size_t tiles = pat_attention_tiles(N);
    float *S = pat_calloc(PAT_ATT_TILE * N, sizeof *S);
    if (!S) return 0;
    for (size_t job = 0; job < H * tiles; job++) {
        const size_t h = job / tiles, tile = job % tiles, t0 = tile * PAT_ATT_TILE;
        const size_t rows = N - t0 < PAT_ATT_TILE ? N - t0 : PAT_ATT_TILE;
        simple_forward_tile(ctx, colsum ? colsum + (h * tiles + tile) * N : NULL, lse, S, q, kt,
                            vh, t0, rows, h, N, H, K);
    }
    free(S);
    return 1;
}

/* Head-major copies for the simple backward. */
struct att_packed {
    float *qh, *qt, *kh, *kt, *vh, *vt, *dch, *dct; /* (H,N,K) and (H,K,N) views */
    float *dqh, *dkh, *dvh;                         /* gradients by head (H,N,K) */
    float *D;                                       /* (H, N) */
};

static void packed_free(struct att_packed *p) {
    float **all[] = {&p->qh, &p->qt, &p->kh, &p->kt, &p->vh,  &p->vt,
                     &p->dch, &p->dct, &p->dqh, &p->dkh, &p->dvh, &p->D};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(*all[i]);
}

static int packed_init(struct att_packed *p, const float *dctx, const float *q,
                       const float *k, const float *v, const float *ctx, size_t N, size_t H,
                       size_t K) {
    const size_t n = N * H * K;
    memset(p, 0, sizeof *p);
    float **all[] = {&p->qh, &p->qt, &p->kh, &p->kt, &p->vh, &p->vt,
                     &p->dch, &p->dct, &p->dqh, &p->dkh, &p->dvh};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!(*all[i] = pat_calloc(n, sizeof(float)))) return 0;
    if (!(p->D = pat_calloc(H * N, sizeof(float)))) return 0;
    pat_heads_split(p->qh, q, N, H, K);
    pat_heads_split_t(p->qt, q, N, H, K);
    pat_heads_split(p->kh, k, N, H, K);
    pat_heads_split_t(p->kt, k, N, H, K);
    pat_heads_split(p->vh, v, N, H, K);
    pat_heads_split_t(p->vt, v, N, H, K);
    pat_heads_split(p->dch, dctx, N, H, K);
    pat_heads_split_t(p->dct, dctx, N, H, K);
    backward_dot(p->D, dctx, ctx, N, H, K);
    return 1;
}

/* Pass 1, one query row t of head h: dq[t]. a and ds are (N) scratch. */
static void simple_query_row(const struct att_packed *p, const float *lse, float *a, float *ds,
                             size_t h, size_t t, size_t N, size_t K) {
    const size_t hn = h * N;
    row_times_t(a, p->qh + (hn + t) * K, p->kt + h * K * N, N, K);
    row_times_t(ds, p->dch + (hn + t) * K, p->vt + h * K * N, N, K);
    const float l = lse[hn + t], D = p->D[hn + t];
    for (size_t j = 0; j < N; j++) {
        a[j] = expf(a[j] - l);
        ds[j] = a[j] * (ds[j] - D);
    }
    weighted_rows(p->dqh + (hn + t) * K, ds, p->kh + hn * K, N, K);
}

/* Pass 2, one key row j of head h: dk[j], dv[j]. a and ds are (N) scratch. */
static void simple_key_row(const struct att_packed *p, const float *lse, float *a, float *ds,
                           size_t h, size_t j, size_t N, size_t K) {
    const size_t hn = h * N;
    row_times_t(a, p->kh + (hn + j) * K, p->qt + h * K * N, N, K);
    row_times_t(ds, p->vh + (hn + j) * K, p->dct + h * K * N, N, K);
    for (size_t t = 0; t < N; t++) {
        a[t] = expf(a[t] - lse[hn + t]);
        ds[t] = a[t] * (ds[t] - p->D[hn + t]);
    }
    weighted_rows(p->dkh + (hn + j) * K, ds, p->qh + hn * K, N, K);
    weighted_rows(p->dvh + (hn + j) * K, a, p->dch + hn * K, N, K);
}

int pat_attention_backward_simple(float *dq, float *dk, float *dv, const float *dctx,
                                  const float *q, const float *k, const float *v,
                                  const float *ctx, const float *lse, size_t N, size_t H,
                                  size_t K) {
    struct att_packed p;
    float *a = pat_calloc(2 * N, sizeof *a);
    int ok = a && packed_init(&p, dctx, q, k, v, ctx, N, H, K);
    for (size_t h = 0; ok && h < H; h++)
        for (size_t r = 0; r < N; r++) {
            simple_query_row(&p, lse, a, a + N, h, r, N, K);
            simple_key_row(&p, lse, a, a + N, h, r, N, K);
        }
    if (ok) {
        pat_heads_merge(dq, p.dqh, N, H, K);
        pat_heads_merge(dk, p.dkh, N, H, K);
        pat_heads_merge(dv, p.dvh, N, H, K);
    }
    if (a) packed_free(&p);
    free(a);
    return ok;
}
