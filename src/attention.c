/* attention.c - multi-head attention core, forward and backward (see
 * attention.h). Inner loops run over contiguous memory and are written as
 * axpys so the compiler vectorizes them without reassociating sums. */
#include "attention.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

size_t pat_attention_tiles(size_t N) { return (N + PAT_ATT_TILE - 1) / PAT_ATT_TILE; }

void pat_heads_split(float *dst, const float *src, size_t N, size_t H, size_t K) {
#pragma omp parallel for schedule(static)
    for (long h = 0; h < (long)H; h++)
        for (size_t t = 0; t < N; t++)
            memcpy(dst + ((size_t)h * N + t) * K, src + (t * H + (size_t)h) * K,
                   K * sizeof *dst);
}

void pat_heads_split_t(float *dst, const float *src, size_t N, size_t H, size_t K) {
#pragma omp parallel for schedule(static)
    for (long h = 0; h < (long)H; h++)
        for (size_t t = 0; t < N; t++)
            for (size_t d = 0; d < K; d++)
                dst[((size_t)h * K + d) * N + t] = src[(t * H + (size_t)h) * K + d];
}

void pat_heads_merge(float *dst, const float *src, size_t N, size_t H, size_t K) {
#pragma omp parallel for schedule(static)
    for (long t = 0; t < (long)N; t++)
        for (size_t h = 0; h < H; h++)
            memcpy(dst + ((size_t)t * H + h) * K, src + (h * N + (size_t)t) * K,
                   K * sizeof *dst);
}

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

/* One (head, query tile) of the forward pass. */
static void forward_tile(float *ctx, float *colsum, float *lse, float *S, const float *q,
                         const float *kt, const float *vh, size_t t0, size_t rows, size_t h,
                         size_t N, size_t H, size_t K) {
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

int pat_attention(float *ctx, float *colsum, float *lse, const float *q, const float *kt,
                  const float *vh, size_t N, size_t H, size_t K) {
    const size_t tiles = pat_attention_tiles(N);
    const long jobs = (long)(H * tiles);
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        float *S = pat_calloc(PAT_ATT_TILE * N, sizeof *S);
        failed |= S == NULL;
#pragma omp for schedule(static)
        for (long job = 0; job < jobs; job++) {
            if (!S) continue;
            const size_t h = (size_t)job / tiles, tile = (size_t)job % tiles;
            const size_t t0 = tile * PAT_ATT_TILE;
            const size_t rows = N - t0 < PAT_ATT_TILE ? N - t0 : PAT_ATT_TILE;
            forward_tile(ctx, colsum ? colsum + (h * tiles + tile) * N : NULL, lse, S, q, kt,
                         vh, t0, rows, h, N, H, K);
        }
        free(S);
    }
    return !failed;
}

/* ---- backward ------------------------------------------------------------
 * With a = softmax(s), s = q·k (q pre-scaled), ctx = a·v and upstream dctx:
 *   da[t,j] = dctx[t]·v[j],  D[t] = sum_j a[t,j] da[t,j] = dctx[t]·ctx[t],
 *   ds[t,j] = a[t,j] (da[t,j] − D[t]),
 *   dq[t] = sum_j ds[t,j] k[j],  dk[j] = sum_t ds[t,j] q[t],  dv[j] = sum_t a[t,j] dctx[t].
 * Pass 1 runs over query rows (dq), pass 2 over key rows (dk, dv), each
 * recomputing a from the saved log-sum-exp, so no two threads ever add
 * into the same element. */

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
    const size_t n = N * H * K; /* bounded by the caller's checked workspace */
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
    for (size_t t = 0; t < N; t++)
        for (size_t h = 0; h < H; h++) {
            double d = 0.0;
            for (size_t e = 0; e < K; e++)
                d += (double)dctx[(t * H + h) * K + e] * ctx[(t * H + h) * K + e];
            p->D[h * N + t] = (float)d;
        }
    return 1;
}

/* Pass 1, one query row t of head h: dq[t]. a and ds are (N) scratch. */
static void backward_query_row(const struct att_packed *p, const float *lse, float *a,
                               float *ds, size_t h, size_t t, size_t N, size_t K) {
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
static void backward_key_row(const struct att_packed *p, const float *lse, float *a,
                             float *ds, size_t h, size_t j, size_t N, size_t K) {
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

/* Run fn over every (head, row) in tiles, in parallel; 0 if scratch fails. */
static int backward_pass(const struct att_packed *p, const float *lse, int keys, size_t N,
                         size_t H, size_t K) {
    const size_t tiles = pat_attention_tiles(N);
    const long jobs = (long)(H * tiles);
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        float *a = pat_calloc(2 * N, sizeof *a);
        failed |= a == NULL;
#pragma omp for schedule(static)
        for (long job = 0; job < jobs; job++) {
            if (!a) continue;
            const size_t h = (size_t)job / tiles, r0 = ((size_t)job % tiles) * PAT_ATT_TILE;
            const size_t r1 = r0 + PAT_ATT_TILE < N ? r0 + PAT_ATT_TILE : N;
            for (size_t r = r0; r < r1; r++) {
                if (keys)
                    backward_key_row(p, lse, a, a + N, h, r, N, K);
                else
                    backward_query_row(p, lse, a, a + N, h, r, N, K);
            }
        }
        free(a);
    }
    return !failed;
}

int pat_attention_backward(float *dq, float *dk, float *dv, const float *dctx,
                           const float *q, const float *k, const float *v, const float *ctx,
                           const float *lse, size_t N, size_t H, size_t K) {
    struct att_packed p;
    int ok = packed_init(&p, dctx, q, k, v, ctx, N, H, K) &&
             backward_pass(&p, lse, 0, N, H, K) && backward_pass(&p, lse, 1, N, H, K);
    if (ok) {
        pat_heads_merge(dq, p.dqh, N, H, K);
        pat_heads_merge(dk, p.dkh, N, H, K);
        pat_heads_merge(dv, p.dvh, N, H, K);
    }
    packed_free(&p);
    return ok;
}
