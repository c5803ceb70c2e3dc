/* block.c - training forward and backward of one post-norm transformer
 * block (see block.h). The forward mirrors infer.c (pat-spec §2.4) and adds
 * the two dropout sites; the backward walks the same steps in reverse. */
#include "nn/block.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/attention.h"
#include "nn/gemm.h"
#include "nn/kernels.h"
#include "util.h"

/* Carve `count` slices of the given sizes (in floats) out of one zeroed
 * allocation; *mem receives it (NULL on overflow or failure). */
static int carve(float **mem, float **slots[], const size_t sizes[], size_t count) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        if (!pat_add_size(total, sizes[i], &total)) return 0;
    *mem = pat_calloc(total ? total : 1, sizeof(float));
    if (!*mem) return 0;
    float *p = *mem;
    for (size_t i = 0; i < count; i++) {
        *slots[i] = p;
        p += sizes[i];
    }
    return 1;
}

/* cap*E, cap*H*K and cap*F with overflow checks; 0 on overflow. */
static int sizes_ok(const struct pat_block_dims *d, size_t cap, size_t *ne, size_t *nhk,
                    size_t *nf) {
    size_t hk;
    return pat_mul_size(d->H, d->K, &hk) && pat_mul_size(cap, d->E, ne) &&
           pat_mul_size(cap, hk, nhk) && pat_mul_size(cap, d->F, nf);
}

enum pat_status pat_block_cache_init(struct pat_block_cache **out, const struct pat_block_dims *d,
                                     size_t cap, struct pat_err *err) {
    size_t ne, nhk, nf, hn;
    struct pat_block_cache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !sizes_ok(d, cap, &ne, &nhk, &nf) || !pat_mul_size(d->H, cap, &hn)) {
        free(c);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a block of %zu tokens", cap);
    }
    float **slots[] = {&c->x_in, &c->q,    &c->k,     &c->v,     &c->ctx,   &c->lse,
                       &c->drop1, &c->drop2, &c->res1, &c->mean1, &c->rstd1, &c->x1,
                       &c->ffh,  &c->res2, &c->mean2, &c->rstd2};
    const size_t sizes[] = {ne, nhk, nhk, nhk, nhk, hn, ne, ne, ne, cap, cap, ne, nf, ne, cap, cap};
    if (!carve(&c->mem, slots, sizes, sizeof sizes / sizeof sizes[0])) {
        free(c);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a block of %zu tokens", cap);
    }
    c->cap = cap;
    *out = c;
    return PAT_OK;
}

void pat_block_cache_free(struct pat_block_cache *c) {
    if (!c) return;
    free(c->mem);
    free(c);
}

enum pat_status pat_block_scratch_init(struct pat_block_scratch **out,
                                       const struct pat_block_dims *d, size_t cap,
                                       struct pat_err *err) {
    size_t ne, nhk, nf;
    struct pat_block_scratch *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !sizes_ok(d, cap, &ne, &nhk, &nf)) {
        free(s);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a block of %zu tokens", cap);
    }
    float **slots[] = {&s->kt, &s->vh, &s->tmp, &s->dres, &s->dq, &s->dk, &s->dv, &s->dctx, &s->dff};
    const size_t sizes[] = {nhk, nhk, ne, ne, nhk, nhk, nhk, nhk, nf};
    if (!carve(&s->mem, slots, sizes, sizeof sizes / sizeof sizes[0])) {
        free(s);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a block of %zu tokens", cap);
    }
    s->cap = cap;
    *out = s;
    return PAT_OK;
}

void pat_block_scratch_free(struct pat_block_scratch *s) {
    if (!s) return;
    free(s->mem);
    free(s);
}

void pat_block_grads_view(struct pat_block_grads *g, const struct pat_block_weights *w,
                          const float *params, float *grads) {
    const float *const src[16] = {w->wq,    w->bq,    w->wk,    w->bk,    w->wv,    w->bv,
                                  w->wo,    w->bo,    w->ln1_g, w->ln1_b, w->ff1_w, w->ff1_b,
                                  w->ff2_w, w->ff2_b, w->ln2_g, w->ln2_b};
    float **dst[16] = {&g->wq,    &g->bq,    &g->wk,    &g->bk,    &g->wv,    &g->bv,
                       &g->wo,    &g->bo,    &g->ln1_g, &g->ln1_b, &g->ff1_w, &g->ff1_b,
                       &g->ff2_w, &g->ff2_b, &g->ln2_g, &g->ln2_b};
    for (size_t i = 0; i < 16; i++) *dst[i] = grads + (src[i] - params);
}

/* Fill mask (n) with inverted-dropout scales: 0 with probability p, else
 * 1/(1-p). Returns 0 (no mask) when p is 0. */
static int draw_dropout(float *mask, size_t n, float p, struct pat_rng *rng) {
    if (p <= 0.0f) return 0;
    const float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) mask[i] = pat_rng_uniform(rng) < p ? 0.0f : keep;
    return 1;
}

static void mul_inplace(float *x, const float *s, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] *= s[i];
}

int pat_block_forward(struct pat_block_cache *c, struct pat_block_scratch *s,
                      const struct pat_block_weights *w, const struct pat_block_dims *d,
                      size_t n, float dropout, struct pat_rng *rng, float *out) {
    const size_t E = d->E, H = d->H, K = d->K, HK = H * K, F = d->F;
    const float scale = (float)(1.0 / sqrt((double)K));
    pat_gemm_bias(c->q, c->x_in, w->wq, w->bq, n, E, HK);
    pat_gemm_bias(c->k, c->x_in, w->wk, w->bk, n, E, HK);
    pat_gemm_bias(c->v, c->x_in, w->wv, w->bv, n, E, HK);
    for (size_t i = 0; i < n * HK; i++) c->q[i] *= scale;
    pat_heads_split_t(s->kt, c->k, n, H, K);
    pat_heads_split(s->vh, c->v, n, H, K);
    if (!pat_attention(c->ctx, NULL, c->lse, c->q, s->kt, s->vh, n, H, K)) return 0;
    pat_gemm_bias(s->tmp, c->ctx, w->wo, w->bo, n, HK, E);
    c->dropped = draw_dropout(c->drop1, n * E, dropout, rng);
    if (c->dropped) mul_inplace(s->tmp, c->drop1, n * E);
    for (size_t i = 0; i < n * E; i++) c->res1[i] = c->x_in[i] + s->tmp[i];
    pat_layernorm_stats(c->x1, c->mean1, c->rstd1, c->res1, w->ln1_g, w->ln1_b, n, E);
    pat_gemm_bias(c->ffh, c->x1, w->ff1_w, w->ff1_b, n, E, F);
    pat_relu_inplace(c->ffh, n * F);
    pat_gemm_bias(s->tmp, c->ffh, w->ff2_w, w->ff2_b, n, F, E);
    if (draw_dropout(c->drop2, n * E, dropout, rng)) mul_inplace(s->tmp, c->drop2, n * E);
    for (size_t i = 0; i < n * E; i++) c->res2[i] = c->x1[i] + s->tmp[i];
    pat_layernorm_stats(out, c->mean2, c->rstd2, c->res2, w->ln2_g, w->ln2_b, n, E);
    return 1;
}

int pat_block_backward(const struct pat_block_cache *c, struct pat_block_scratch *s,
                       const struct pat_block_weights *w, const struct pat_block_grads *g,
                       const struct pat_block_dims *d, size_t n, float *dx, int want_dx) {
    const size_t E = d->E, H = d->H, K = d->K, HK = H * K, F = d->F;
    const float scale = (float)(1.0 / sqrt((double)K));
    /* LN2 and the feed-forward residual */
    memset(s->dres, 0, n * E * sizeof(float));
    pat_layernorm_backward(s->dres, g->ln2_g, g->ln2_b, dx, c->res2, w->ln2_g, c->mean2,
                           c->rstd2, n, E);
    memcpy(dx, s->dres, n * E * sizeof(float)); /* dL/dx1 via the residual */
    if (c->dropped) mul_inplace(s->dres, c->drop2, n * E);
    memset(s->dff, 0, n * F * sizeof(float));
    pat_gemm_backward(s->dff, g->ff2_w, g->ff2_b, s->dres, c->ffh, w->ff2_w, n, F, E);
    pat_relu_backward(s->dff, s->dff, c->ffh, n * F);
    pat_gemm_backward(dx, g->ff1_w, g->ff1_b, s->dff, c->x1, w->ff1_w, n, E, F);
    /* LN1 and the attention residual */
    memset(s->dres, 0, n * E * sizeof(float));
    pat_layernorm_backward(s->dres, g->ln1_g, g->ln1_b, dx, c->res1, w->ln1_g, c->mean1,
                           c->rstd1, n, E);
    memcpy(dx, s->dres, n * E * sizeof(float)); /* dL/dx_in via the residual */
    if (c->dropped) mul_inplace(s->dres, c->drop1, n * E);
    memset(s->dctx, 0, n * HK * sizeof(float));
    pat_gemm_backward(s->dctx, g->wo, g->bo, s->dres, c->ctx, w->wo, n, HK, E);
    if (!pat_attention_backward(s->dq, s->dk, s->dv, s->dctx, c->q, c->k, c->v, c->ctx, c->lse,
                                n, H, K))
        return 0;
    for (size_t i = 0; i < n * HK; i++) s->dq[i] *= scale;
    float *dxi = want_dx ? dx : NULL;
    pat_gemm_backward(dxi, g->wq, g->bq, s->dq, c->x_in, w->wq, n, E, HK);
    pat_gemm_backward(dxi, g->wk, g->bk, s->dk, c->x_in, w->wk, n, E, HK);
    pat_gemm_backward(dxi, g->wv, g->bv, s->dv, c->x_in, w->wv, n, E, HK);
    return 1;
}
