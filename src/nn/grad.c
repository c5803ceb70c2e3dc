/* grad.c - training forward with saved activations and the backward pass of
 * encoder + head (see grad.h). The forward mirrors infer.c step by step
 * (pat-spec §2.1-§2.6) and adds the dropout sites; the backward walks the
 * same steps in reverse, accumulating into the parameter-shaped gradient.
 * The transformer blocks themselves are in block.c. */
#include "nn/grad.h"

#include <math.h>
#include <stdlib.h>

#include "nn/block.h"
#include "nn/gemm.h"
#include "nn/kernels.h"
#include "nn/model.h"
#include "util.h"

struct pat_grad_ws {
    size_t T, N, E, L;
    struct pat_block_dims dims;
    float *xs;                  /* (T) input after the scaler */
    float *pe;                  /* (N, E) */
    struct pat_block_cache **blocks; /* L, each for N tokens */
    struct pat_block_scratch *scratch;
    float *x_last;              /* (N, E) encoder output */
    float *dx;                  /* (N, E) gradient flowing down the blocks */
    float pooled[PAT_MAX_EMBED], head_drop[PAT_MAX_EMBED];
    float hidden[PAT_HEAD_HIDDEN]; /* after ReLU */
    int has_head_drop;
};

void pat_grad_ws_free(struct pat_grad_ws *w) {
    if (!w) return;
    for (size_t l = 0; w->blocks && l < w->L; l++) pat_block_cache_free(w->blocks[l]);
    pat_block_scratch_free(w->scratch);
    free(w->blocks);
    free(w->xs), free(w->pe), free(w->x_last), free(w->dx);
    free(w);
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
    w->T = T, w->N = T / c->patch_size, w->E = c->embed_dim, w->L = c->num_layers;
    w->dims = (struct pat_block_dims){c->embed_dim, c->num_heads, c->key_dim, c->ff_dim};
    size_t ne;
    int ok = pat_mul_size(w->N, w->E, &ne);
    w->blocks = ok ? pat_calloc(w->L, sizeof *w->blocks) : NULL;
    ok = ok && w->blocks && (w->xs = pat_calloc(T, sizeof(float))) &&
         (w->pe = pat_calloc(ne, sizeof(float))) && (w->x_last = pat_calloc(ne, sizeof(float))) &&
         (w->dx = pat_calloc(ne, sizeof(float))) &&
         pat_block_scratch_init(&w->scratch, &w->dims, w->N, NULL) == PAT_OK;
    for (size_t l = 0; ok && l < w->L; l++)
        ok = pat_block_cache_init(&w->blocks[l], &w->dims, w->N, NULL) == PAT_OK;
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
    float *h0 = w->blocks[0]->x_in;
    if (c->embedding == PAT_EMBED_DENSE)
        pat_patch_embed_dense(h0, w->xs, m->embed_w, m->embed_b, N, P, E);
    else
        pat_patch_embed_conv(h0, w->xs, m->embed_w, m->embed_b, N, P, E);
    pat_add_inplace(h0, w->pe, N * E);
    for (size_t l = 0; l < w->L; l++) {
        float *out = l + 1 < w->L ? w->blocks[l + 1]->x_in : w->x_last;
        if (!pat_block_forward(w->blocks[l], w->scratch, &m->blocks[l], &w->dims, N,
                               o->dropout, rng, out))
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
        struct pat_block_grads g;
        pat_block_grads_view(&g, &m->blocks[l], m->params, grads);
        if (!pat_block_backward(w->blocks[l], w->scratch, &m->blocks[l], &g, &w->dims, w->N,
                                w->dx, want_dx))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention backward");
    }
    if (embed) embedding_backward(w, m, grads);
    return PAT_OK;
}
