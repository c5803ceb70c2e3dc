/* grad.c - training forward with saved activations and the backward pass of
 * encoder + head (see grad.h). The forward mirrors infer.c step by step
 * (pat-spec §2.1-§2.6) and adds the dropout sites; the backward walks the
 * same steps in reverse, accumulating into the parameter-shaped gradient. */
#include "grad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "gemm.h"
#include "kernels.h"
#include "model.h"
#include "util.h"

/* Activations of one block saved by the forward. */
struct block_cache {
    float *x_in;              /* (N, E) block input */
    float *q, *k, *v, *ctx;   /* (N, H*K); q already scaled */
    float *lse;               /* (H, N) */
    float *drop1, *drop2;     /* (N, E) dropout scales, NULL without dropout */
    float *res1, *mean1, *rstd1, *x1; /* (N, E), (N), (N), (N, E) */
    float *ffh;               /* (N, F) after ReLU */
    float *res2, *mean2, *rstd2;      /* (N, E), (N), (N) */
};

struct pat_grad_ws {
    size_t T, N, E, HK, F, L;
    float *xs;                  /* (T) input after the scaler */
    float *pe;                  /* (N, E) */
    struct block_cache *blocks; /* L */
    float *x_last;              /* (N, E) encoder output */
    float pooled[PAT_MAX_EMBED], head_drop[PAT_MAX_EMBED];
    float hidden[PAT_HEAD_HIDDEN]; /* after ReLU */
    int has_head_drop;
    /* scratch */
    float *kt, *vh;             /* (H, K, N), (H, N, K) */
    float *tmp;                 /* (N, E) */
    float *dx, *dres;           /* (N, E) */
    float *dq, *dk, *dv, *dctx; /* (N, H*K) */
    float *dff;                 /* (N, F) */
    float **allocs;             /* every buffer above, for freeing */
    size_t nallocs, cap;
};

static float *ws_alloc(struct pat_grad_ws *w, size_t n) {
    if (w->nallocs == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        float **g = realloc(w->allocs, cap * sizeof *g);
        if (!g) return NULL;
        w->allocs = g;
        w->cap = cap;
    }
    float *p = pat_calloc(n ? n : 1, sizeof(float));
    if (p) w->allocs[w->nallocs++] = p;
    return p;
}

void pat_grad_ws_free(struct pat_grad_ws *w) {
    if (!w) return;
    for (size_t i = 0; i < w->nallocs; i++) free(w->allocs[i]);
    free(w->allocs);
    free(w->blocks);
    free(w);
}

static int block_cache_init(struct pat_grad_ws *w, struct block_cache *b, size_t H) {
    const size_t N = w->N, E = w->E, HK = w->HK;
    return (b->x_in = ws_alloc(w, N * E)) && (b->q = ws_alloc(w, N * HK)) &&
           (b->k = ws_alloc(w, N * HK)) && (b->v = ws_alloc(w, N * HK)) &&
           (b->ctx = ws_alloc(w, N * HK)) && (b->lse = ws_alloc(w, H * N)) &&
           (b->drop1 = ws_alloc(w, N * E)) && (b->drop2 = ws_alloc(w, N * E)) &&
           (b->res1 = ws_alloc(w, N * E)) && (b->mean1 = ws_alloc(w, N)) &&
           (b->rstd1 = ws_alloc(w, N)) && (b->x1 = ws_alloc(w, N * E)) &&
           (b->ffh = ws_alloc(w, N * w->F)) && (b->res2 = ws_alloc(w, N * E)) &&
           (b->mean2 = ws_alloc(w, N)) && (b->rstd2 = ws_alloc(w, N));
}

static int scratch_init(struct pat_grad_ws *w) {
    const size_t N = w->N, E = w->E, HK = w->HK;
    return (w->xs = ws_alloc(w, w->T)) && (w->pe = ws_alloc(w, N * E)) &&
           (w->x_last = ws_alloc(w, N * E)) && (w->kt = ws_alloc(w, N * HK)) &&
           (w->vh = ws_alloc(w, N * HK)) && (w->tmp = ws_alloc(w, N * E)) &&
           (w->dx = ws_alloc(w, N * E)) && (w->dres = ws_alloc(w, N * E)) &&
           (w->dq = ws_alloc(w, N * HK)) && (w->dk = ws_alloc(w, N * HK)) &&
           (w->dv = ws_alloc(w, N * HK)) && (w->dctx = ws_alloc(w, N * HK)) &&
           (w->dff = ws_alloc(w, N * w->F));
}

enum pat_status pat_grad_ws_init(struct pat_grad_ws **out, const struct pat_model *m, size_t T,
                                 struct pat_err *err) {
    const struct pat_config *c = &m->cfg;
    *out = NULL;
    if (!m->has_head)
        return pat_fail(err, PAT_ERR_USAGE, "training needs a model with a head");
    if (T == 0 || T % c->patch_size != 0)
        return pat_fail(err, PAT_ERR_USAGE,
                        "sequence length %zu is not a positive multiple of the patch size %zu",
                        T, c->patch_size);
    struct pat_grad_ws *w = calloc(1, sizeof *w);
    if (!w) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for training workspace");
    w->T = T, w->N = T / c->patch_size, w->E = c->embed_dim;
    w->HK = c->num_heads * c->key_dim, w->F = c->ff_dim, w->L = c->num_layers;
    size_t check;
    int ok = pat_mul_size(w->N, w->HK, &check) && pat_mul_size(check, 4 * w->L + 8, &check);
    w->blocks = ok ? pat_calloc(w->L, sizeof *w->blocks) : NULL;
    ok = ok && w->blocks && scratch_init(w);
    for (size_t l = 0; ok && l < w->L; l++) ok = block_cache_init(w, &w->blocks[l], c->num_heads);
    if (!ok) {
        pat_grad_ws_free(w);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for training on %zu minutes", T);
    }
    pat_positional_encoding(w->pe, w->N, w->E);
    *out = w;
    return PAT_OK;
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

/* Forward one block from b->x_in into out (N, E). ref: pat-spec §2.4 */
static int block_forward(struct pat_grad_ws *w, struct block_cache *b,
                         const struct pat_block_weights *p, const struct pat_config *c,
                         float dropout, struct pat_rng *rng, float *out) {
    const size_t N = w->N, E = w->E, H = c->num_heads, K = c->key_dim, HK = w->HK, F = w->F;
    const float scale = (float)(1.0 / sqrt((double)K));
    pat_gemm_bias(b->q, b->x_in, p->wq, p->bq, N, E, HK);
    pat_gemm_bias(b->k, b->x_in, p->wk, p->bk, N, E, HK);
    pat_gemm_bias(b->v, b->x_in, p->wv, p->bv, N, E, HK);
    for (size_t i = 0; i < N * HK; i++) b->q[i] *= scale;
    pat_heads_split_t(w->kt, b->k, N, H, K);
    pat_heads_split(w->vh, b->v, N, H, K);
    if (!pat_attention(b->ctx, NULL, b->lse, b->q, w->kt, w->vh, N, H, K)) return 0;
    pat_gemm_bias(w->tmp, b->ctx, p->wo, p->bo, N, HK, E);
    if (draw_dropout(b->drop1, N * E, dropout, rng)) mul_inplace(w->tmp, b->drop1, N * E);
    for (size_t i = 0; i < N * E; i++) b->res1[i] = b->x_in[i] + w->tmp[i];
    pat_layernorm_stats(b->x1, b->mean1, b->rstd1, b->res1, p->ln1_g, p->ln1_b, N, E);
    pat_gemm_bias(b->ffh, b->x1, p->ff1_w, p->ff1_b, N, E, F);
    pat_relu_inplace(b->ffh, N * F);
    pat_gemm_bias(w->tmp, b->ffh, p->ff2_w, p->ff2_b, N, F, E);
    if (draw_dropout(b->drop2, N * E, dropout, rng)) mul_inplace(w->tmp, b->drop2, N * E);
    for (size_t i = 0; i < N * E; i++) b->res2[i] = b->x1[i] + w->tmp[i];
    pat_layernorm_stats(out, b->mean2, b->rstd2, b->res2, p->ln2_g, p->ln2_b, N, E);
    return 1;
}

/* Head forward from w->x_last; returns the logit. ref: pat-spec §2.6 */
static float head_forward(struct pat_grad_ws *w, const struct pat_model *m, float dropout,
                          struct pat_rng *rng) {
    const size_t E = w->E;
    pat_mean_rows(w->pooled, w->x_last, w->N, E);
    w->has_head_drop = draw_dropout(w->head_drop, E, dropout, rng);
    if (w->has_head_drop) mul_inplace(w->pooled, w->head_drop, E);
    double z = m->head_b2[0];
    for (size_t j = 0; j < PAT_HEAD_HIDDEN; j++) {
        double h = m->head_b1[j];
        for (size_t c = 0; c < E; c++) h += (double)w->pooled[c] * m->head_w1[c * PAT_HEAD_HIDDEN + j];
        w->hidden[j] = h > 0.0 ? (float)h : 0.0f;
        z += (double)w->hidden[j] * m->head_w2[j];
    }
    return (float)z;
}

enum pat_status pat_grad_forward(struct pat_grad_ws *w, const struct pat_model *m,
                                 const float *x, const struct pat_grad_opts *o,
                                 struct pat_rng *rng, float *logit, struct pat_err *err) {
    const struct pat_config *c = &m->cfg;
    const size_t N = w->N, E = w->E, P = c->patch_size;
    for (size_t t = 0; t < w->T; t++) {
        w->xs[t] = m->scaler_mean ? (x[t] - m->scaler_mean[t]) / m->scaler_std[t] : x[t];
        if (!isfinite(w->xs[t]))
            return pat_fail(err, PAT_ERR_NUMERIC, "input minute %zu is not finite", t + 1);
    }
    float *h0 = w->blocks[0].x_in;
    if (c->embedding == PAT_EMBED_DENSE)
        pat_patch_embed_dense(h0, w->xs, m->embed_w, m->embed_b, N, P, E);
    else
        pat_patch_embed_conv(h0, w->xs, m->embed_w, m->embed_b, N, P, E);
    pat_add_inplace(h0, w->pe, N * E);
    for (size_t l = 0; l < w->L; l++) {
        float *out = l + 1 < w->L ? w->blocks[l + 1].x_in : w->x_last;
        if (!block_forward(w, &w->blocks[l], &m->blocks[l], c, o->dropout, rng, out))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention");
    }
    *logit = head_forward(w, m, o->dropout, rng);
    return PAT_OK;
}

/* ---- backward ------------------------------------------------------------ */

/* Gradient slot of a parameter tensor. */
static float *gslot(const struct pat_model *m, float *grads, const float *param) {
    return grads + (param - m->params);
}

/* Head backward; leaves dL/dx_last in w->dx when want_dx. */
static void head_backward(struct pat_grad_ws *w, const struct pat_model *m, float dlogit,
                          float *grads, int want_dx) {
    const size_t E = w->E, N = w->N;
    float *gw1 = gslot(m, grads, m->head_w1), *gb1 = gslot(m, grads, m->head_b1);
    float *gw2 = gslot(m, grads, m->head_w2), *gb2 = gslot(m, grads, m->head_b2);
    double dpooled[PAT_MAX_EMBED] = {0};
    gb2[0] += dlogit;
    for (size_t j = 0; j < PAT_HEAD_HIDDEN; j++) {
        gw2[j] += dlogit * w->hidden[j];
        if (w->hidden[j] <= 0.0f) continue;
        const float dh = dlogit * m->head_w2[j];
        gb1[j] += dh;
        for (size_t c = 0; c < E; c++) {
            gw1[c * PAT_HEAD_HIDDEN + j] += w->pooled[c] * dh;
            dpooled[c] += (double)dh * m->head_w1[c * PAT_HEAD_HIDDEN + j];
        }
    }
    if (!want_dx) return;
    for (size_t c = 0; c < E; c++) {
        float d = (float)dpooled[c];
        if (w->has_head_drop) d *= w->head_drop[c];
        d /= (float)N;
        for (size_t t = 0; t < N; t++) w->dx[t * E + c] = d;
    }
}

/* Backward of one block: w->dx holds dL/dout on entry and dL/dx_in on exit
 * (only when want_dx). */
static int block_backward(struct pat_grad_ws *w, const struct block_cache *b,
                          const struct pat_block_weights *p, const struct pat_model *m,
                          float *grads, int dropout, int want_dx) {
    const struct pat_config *c = &m->cfg;
    const size_t N = w->N, E = w->E, H = c->num_heads, K = c->key_dim, HK = w->HK, F = w->F;
    const float scale = (float)(1.0 / sqrt((double)K));
    /* LN2 and the feed-forward residual */
    memset(w->dres, 0, N * E * sizeof(float));
    pat_layernorm_backward(w->dres, gslot(m, grads, p->ln2_g), gslot(m, grads, p->ln2_b),
                           w->dx, b->res2, p->ln2_g, b->mean2, b->rstd2, N, E);
    memcpy(w->dx, w->dres, N * E * sizeof(float)); /* dL/dx1 via the residual */
    if (dropout) mul_inplace(w->dres, b->drop2, N * E);
    memset(w->dff, 0, N * F * sizeof(float));
    pat_gemm_backward(w->dff, gslot(m, grads, p->ff2_w), gslot(m, grads, p->ff2_b), w->dres,
                      b->ffh, p->ff2_w, N, F, E);
    pat_relu_backward(w->dff, w->dff, b->ffh, N * F);
    pat_gemm_backward(w->dx, gslot(m, grads, p->ff1_w), gslot(m, grads, p->ff1_b), w->dff,
                      b->x1, p->ff1_w, N, E, F);
    /* LN1 and the attention residual */
    memset(w->dres, 0, N * E * sizeof(float));
    pat_layernorm_backward(w->dres, gslot(m, grads, p->ln1_g), gslot(m, grads, p->ln1_b),
                           w->dx, b->res1, p->ln1_g, b->mean1, b->rstd1, N, E);
    memcpy(w->dx, w->dres, N * E * sizeof(float)); /* dL/dx_in via the residual */
    if (dropout) mul_inplace(w->dres, b->drop1, N * E);
    memset(w->dctx, 0, N * HK * sizeof(float));
    pat_gemm_backward(w->dctx, gslot(m, grads, p->wo), gslot(m, grads, p->bo), w->dres, b->ctx,
                      p->wo, N, HK, E);
    if (!pat_attention_backward(w->dq, w->dk, w->dv, w->dctx, b->q, b->k, b->v, b->ctx, b->lse,
                                N, H, K))
        return 0;
    for (size_t i = 0; i < N * HK; i++) w->dq[i] *= scale;
    float *dx = want_dx ? w->dx : NULL;
    pat_gemm_backward(dx, gslot(m, grads, p->wq), gslot(m, grads, p->bq), w->dq, b->x_in,
                      p->wq, N, E, HK);
    pat_gemm_backward(dx, gslot(m, grads, p->wk), gslot(m, grads, p->bk), w->dk, b->x_in,
                      p->wk, N, E, HK);
    pat_gemm_backward(dx, gslot(m, grads, p->wv), gslot(m, grads, p->bv), w->dv, b->x_in,
                      p->wv, N, E, HK);
    return 1;
}

static void embedding_backward(struct pat_grad_ws *w, const struct pat_model *m, float *grads) {
    const struct pat_config *c = &m->cfg;
    float *gw = gslot(m, grads, m->embed_w), *gb = gslot(m, grads, m->embed_b);
    if (c->embedding == PAT_EMBED_DENSE)
        pat_gemm_backward(NULL, gw, gb, w->dx, w->xs, m->embed_w, w->N, c->patch_size, w->E);
    else
        pat_patch_embed_conv_backward(gw, gb, w->dx, w->xs, m->embed_w, m->embed_b, w->N,
                                      c->patch_size, w->E);
}

enum pat_status pat_grad_backward(struct pat_grad_ws *w, const struct pat_model *m,
                                  float dlogit, const struct pat_grad_opts *o, float *grads,
                                  struct pat_err *err) {
    const size_t first = o->first_trainable_block < w->L ? o->first_trainable_block : w->L;
    const int embed = o->train_embedding && first == 0;
    head_backward(w, m, dlogit, grads, first < w->L);
    for (size_t l = w->L; l-- > first;) {
        int want_dx = l > first || embed;
        if (!block_backward(w, &w->blocks[l], &m->blocks[l], m, grads, o->dropout > 0.0f,
                            want_dx))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention backward");
    }
    if (embed) embedding_backward(w, m, grads);
    return PAT_OK;
}
