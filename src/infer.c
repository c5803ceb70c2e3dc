/* infer.c - encoder, head and explanation forward passes for inference.
 *
 * Sequences run one at a time; the work inside a sequence (rows, heads,
 * query tiles) is spread over OpenMP threads. The workspace is sized once
 * per call by N, so memory is O(N·H·K) floats, never (B, H, N, N).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "gemm.h"
#include "infer.h"
#include "kernels.h"
#include "model.h"
#include "util.h"

enum run_mode { RUN_EMBED, RUN_PREDICT, RUN_EXPLAIN };

struct workspace {
    float *xs;          /* (T) the input after the scaler */
    float *pe;          /* (N, E) positional encoding */
    float *x;           /* (N, E) tokens between blocks */
    float *q, *k, *v;   /* (N, H*K) projections */
    float *kt, *vh;     /* (H, K, N), (H, N, K) packed keys and values */
    float *ctx;         /* (N, H*K) attention context */
    float *tmp;         /* (N, E) sublayer output */
    float *ff;          /* (N, F) feed-forward hidden */
    float *colsum;      /* (H, tiles, N) explanation partial sums, or NULL */
};

static void workspace_free(struct workspace *w) {
    float **all[] = {&w->xs, &w->pe, &w->x, &w->q, &w->k, &w->v, &w->kt,
                     &w->vh, &w->ctx, &w->tmp, &w->ff, &w->colsum};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
}

static enum pat_status workspace_init(struct workspace *w, const struct pat_config *c,
                                      size_t T, size_t N, int explain, struct pat_err *err) {
    const size_t E = c->embed_dim, HK = c->num_heads * c->key_dim, F = c->ff_dim;
    memset(w, 0, sizeof *w);
    size_t nhk, ne, nf, ncol = 0;
    int ok = pat_mul_size(N, HK, &nhk) && pat_mul_size(N, E, &ne) && pat_mul_size(N, F, &nf);
    if (ok && explain)
        ok = pat_mul_size(c->num_heads * pat_attention_tiles(N), N, &ncol);
    if (!ok) return pat_fail(err, PAT_ERR_USAGE, "sequence of %zu minutes is too long", T);
    w->xs = pat_calloc(T, sizeof(float));
    w->pe = pat_calloc(ne, sizeof(float));
    w->x = pat_calloc(ne, sizeof(float));
    w->q = pat_calloc(nhk, sizeof(float));
    w->k = pat_calloc(nhk, sizeof(float));
    w->v = pat_calloc(nhk, sizeof(float));
    w->kt = pat_calloc(nhk, sizeof(float));
    w->vh = pat_calloc(nhk, sizeof(float));
    w->ctx = pat_calloc(nhk, sizeof(float));
    w->tmp = pat_calloc(ne, sizeof(float));
    w->ff = pat_calloc(nf, sizeof(float));
    if (explain) w->colsum = pat_calloc(ncol, sizeof(float));
    if (!w->xs || !w->pe || !w->x || !w->q || !w->k || !w->v || !w->kt || !w->vh ||
        !w->ctx || !w->tmp || !w->ff || (explain && !w->colsum)) {
        workspace_free(w);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a %zu-minute sequence", T);
    }
    pat_positional_encoding(w->pe, N, E);
    return PAT_OK;
}

/* x (N, E) = block(x); colsum filled when non-NULL. ref: pat-spec §2.4 */
static int block_forward(struct workspace *w, const struct pat_block_weights *b,
                         const struct pat_config *c, size_t N, float *colsum) {
    const size_t E = c->embed_dim, H = c->num_heads, K = c->key_dim, F = c->ff_dim;
    const size_t HK = H * K;
    /* Keras scales the query, not the scores, by 1/sqrt(key_dim). */
    const float scale = (float)(1.0 / sqrt((double)K));
    pat_gemm_bias(w->q, w->x, b->wq, b->bq, N, E, HK);
    pat_gemm_bias(w->k, w->x, b->wk, b->bk, N, E, HK);
    pat_gemm_bias(w->v, w->x, b->wv, b->bv, N, E, HK);
    for (size_t i = 0; i < N * HK; i++) w->q[i] *= scale;
    pat_heads_split_t(w->kt, w->k, N, H, K);
    pat_heads_split(w->vh, w->v, N, H, K);
    if (!pat_attention(w->ctx, colsum, NULL, w->q, w->kt, w->vh, N, H, K)) return 0;
    pat_gemm_bias(w->tmp, w->ctx, b->wo, b->bo, N, HK, E);
    pat_add_inplace(w->tmp, w->x, N * E);
    pat_layernorm(w->x, w->tmp, b->ln1_g, b->ln1_b, N, E);
    pat_gemm_bias(w->ff, w->x, b->ff1_w, b->ff1_b, N, E, F);
    pat_relu_inplace(w->ff, N * F);
    pat_gemm_bias(w->tmp, w->ff, b->ff2_w, b->ff2_b, N, F, E);
    pat_add_inplace(w->tmp, w->x, N * E);
    pat_layernorm(w->x, w->tmp, b->ln2_g, b->ln2_b, N, E);
    return 1;
}

/* Encoder over one sequence x (T): leaves the last block's output in w->x. */
static enum pat_status encode(struct workspace *w, const struct pat_model *m, const float *x,
                              size_t T, size_t N, int explain, struct pat_err *err) {
    const struct pat_config *c = &m->cfg;
    const size_t E = c->embed_dim;
    for (size_t t = 0; t < T; t++)
        w->xs[t] = m->scaler_mean ? (x[t] - m->scaler_mean[t]) / m->scaler_std[t] : x[t];
    if (c->embedding == PAT_EMBED_DENSE)
        pat_patch_embed_dense(w->x, w->xs, m->embed_w, m->embed_b, N, c->patch_size, E);
    else
        pat_patch_embed_conv(w->x, w->xs, m->embed_w, m->embed_b, N, c->patch_size, E);
    pat_add_inplace(w->x, w->pe, N * E);
    for (size_t l = 0; l < c->num_layers; l++) {
        float *colsum = explain && l + 1 == c->num_layers ? w->colsum : NULL;
        if (!block_forward(w, &m->blocks[l], c, N, colsum))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention");
    }
    return PAT_OK;
}

/* out = sigmoid(W2·relu(W1·pooled + b1) + b2). ref: pat-spec §2.6 */
static float head_forward(const struct pat_model *m, const float *pooled) {
    const size_t E = m->cfg.embed_dim;
    double z = m->head_b2[0];
    for (size_t j = 0; j < PAT_HEAD_HIDDEN; j++) {
        double h = m->head_b1[j];
        for (size_t c = 0; c < E; c++) h += (double)pooled[c] * m->head_w1[c * PAT_HEAD_HIDDEN + j];
        if (h > 0.0) z += h * m->head_w2[j];
    }
    return (float)(1.0 / (1.0 + exp(-z)));
}

/* out (N): sum over heads and query tiles of colsum, normalised to 1. ref: pat-spec §7 */
static void explanation_profile(float *out, const float *colsum, size_t H, size_t N) {
    const size_t tiles = pat_attention_tiles(N);
    double total = 0.0;
    for (size_t s = 0; s < N; s++) {
        double acc = 0.0;
        for (size_t h = 0; h < H; h++)
            for (size_t t = 0; t < tiles; t++) acc += colsum[(h * tiles + t) * N + s];
        out[s] = (float)acc;
        total += acc;
    }
    for (size_t s = 0; s < N; s++) out[s] = (float)(out[s] / total);
}

static enum pat_status check_input(const struct pat_model *m, const float *x, size_t B,
                                   size_t T, struct pat_err *err) {
    const size_t P = m->cfg.patch_size;
    if (B == 0 || T == 0 || T % P != 0)
        return pat_fail(err, PAT_ERR_USAGE,
                        "sequence length %zu is not a positive multiple of the patch size %zu",
                        T, P);
    if (m->scaler_len && T != m->scaler_len)
        return pat_fail(err, PAT_ERR_USAGE,
                        "sequence length %zu differs from the model's scaler length %zu", T,
                        m->scaler_len);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            if (!isfinite(x[b * T + t]))
                return pat_fail(err, PAT_ERR_NUMERIC,
                                "input row %zu, column %zu is not a finite number", b + 1,
                                t + 1);
    return PAT_OK;
}

static enum pat_status run(const struct pat_model *m, enum run_mode mode, const float *x,
                           size_t B, size_t T, float *out, struct pat_err *err) {
    if (mode == RUN_PREDICT && !m->has_head)
        return pat_fail(err, PAT_ERR_USAGE,
                        "the model has no classification head (an encoder only): "
                        "fine-tune it first");
    enum pat_status st = check_input(m, x, B, T, err);
    if (st != PAT_OK) return st;
    const size_t N = T / m->cfg.patch_size, E = m->cfg.embed_dim;
    struct workspace w;
    st = workspace_init(&w, &m->cfg, T, N, mode == RUN_EXPLAIN, err);
    for (size_t b = 0; st == PAT_OK && b < B; b++) {
        st = encode(&w, m, x + b * T, T, N, mode == RUN_EXPLAIN, err);
        if (st != PAT_OK) break;
        if (mode == RUN_EXPLAIN) {
            explanation_profile(out + b * N, w.colsum, m->cfg.num_heads, N);
            continue;
        }
        float pooled[PAT_MAX_EMBED];
        float *dst = mode == RUN_EMBED ? out + b * E : pooled;
        pat_mean_rows(dst, w.x, N, E);
        if (mode == RUN_PREDICT) out[b] = head_forward(m, pooled);
    }
    workspace_free(&w);
    return st;
}

enum pat_status pat_embed(const struct pat_model *m, const float *x, size_t B, size_t T,
                          float *out, struct pat_err *err) {
    return run(m, RUN_EMBED, x, B, T, out, err);
}

enum pat_status pat_predict(const struct pat_model *m, const float *x, size_t B, size_t T,
                            float *out, struct pat_err *err) {
    return run(m, RUN_PREDICT, x, B, T, out, err);
}

enum pat_status pat_explain(const struct pat_model *m, const float *x, size_t B, size_t T,
                            float *out, struct pat_err *err) {
    return run(m, RUN_EXPLAIN, x, B, T, out, err);
}

enum pat_status pat_encode_tokens(const struct pat_model *m, const float *x, size_t T,
                                  float *tokens, struct pat_err *err) {
    enum pat_status st = check_input(m, x, 1, T, err);
    if (st != PAT_OK) return st;
    const size_t N = T / m->cfg.patch_size;
    struct workspace w;
    st = workspace_init(&w, &m->cfg, T, N, 0, err);
    if (st == PAT_OK) st = encode(&w, m, x, T, N, 0, err);
    if (st == PAT_OK) memcpy(tokens, w.x, N * m->cfg.embed_dim * sizeof *tokens);
    workspace_free(&w);
    return st;
}
