/* infer.c - encoder, head and explanation forward passes for inference.
 *
 * A batch is spread over the pool's threads (nn/pool.h) one sequence per task, each with
 * its own workspace (the kernels inside then run on that thread alone); what
 * is left when the batch does not divide evenly (B = 1 included) runs one
 * sequence at a time with the threads sharing the work inside it (rows,
 * heads, query tiles). Both ways give the same bits, since every kernel's
 * result is independent of the thread count. A workspace is sized once per
 * call by N and reused across layers and sequences: O(N·H·K) floats per
 * thread, never (B, H, N, N).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/attention.h"
#include "nn/gemm.h"
#include "nn/infer.h"
#include "nn/infer_bf16.h"
#include "nn/kernels.h"
#include "nn/model.h"
#include "nn/pool.h"
#include "util.h"


enum run_mode { RUN_EMBED, RUN_PREDICT, RUN_EXPLAIN };

struct workspace {
    float *xs;          /* (T) the input after the transform and the scaler */
    int log1p;          /* apply log(1 + x) first (the model's input transform) */
    float *x, *xt;      /* (N, E) tokens between blocks, (E, N) the same transposed
                           (float32 only: NULL on the bf16 path) */
    float *q;           /* (N, H*K) queries */
    float *kt, *vh;     /* (H, K, N), (H, N, K) keys and values as attention reads them
                           (vh float32 only: NULL on the bf16 path) */
    float *ctx;         /* (N, H*K) attention context */
    float *tmp;         /* (N, E) sublayer output */
    float *ff;          /* (N, F) feed-forward hidden */
    float *colsum;      /* (H, tiles, N) explanation partial sums, or NULL */
    float *mem;         /* one allocation holding all of the above, and kv */
    const struct pat_bf16_weights *bf; /* NULL (float32), or the packed kernels: */
    uint16_t *kv;       /* bf16: the memory of seq (inside mem) */
    struct pat_bf16_seq seq; /* bf16: packed keys and values, rounded q and k (kt holds
                                k (N, H*K), ctx holds v (N, H*K) until attention) */
};

static void workspace_free(struct workspace *w) {
    free(w->mem);
    memset(w, 0, sizeof *w);
}

/* One allocation, so that malloc keeps reusing the same memory from call
 * to call instead of mapping (and page-faulting) fresh pages each time.
 * The bf16 path needs neither vh nor xt; its packed keys and values (kv)
 * take floats at the end. */
static enum pat_status workspace_init(struct workspace *w, const struct pat_config *c,
                                      size_t T, size_t N, int explain,
                                      const struct pat_bf16_weights *bf, struct pat_err *err) {
    const size_t E = c->embed_dim, HK = c->num_heads * c->key_dim, F = c->ff_dim;
    size_t nhk, ne, nf, ncol = 0, nkv = 0, total;
    memset(w, 0, sizeof *w);
    int ok = 1;
    if ((w->bf = bf) != NULL) {
        nkv = pat_bf16_seq_len(c, N); /* uint16, as (nkv + 1) / 2 floats */
        ok = nkv != 0 && nkv < (size_t)-1;
        nkv = (nkv + 1) / 2;
    }
    ok = ok && pat_mul_size(N, HK, &nhk) && pat_mul_size(N, E, &ne) && pat_mul_size(N, F, &nf);
    if (ok && explain)
        ok = pat_mul_size(c->num_heads * pat_attention_tiles(N), N, &ncol);
    const size_t arrays = bf ? 3 : 4; /* of N*H*K and of N*E floats */
    ok = ok && pat_mul_size(nhk, arrays, &total) && pat_add_size(total, arrays * ne, &total) &&
         pat_add_size(total, nf + ncol + T, &total) && pat_add_size(total, nkv, &total) &&
         pat_mul_size(total, sizeof(float), &total);
    if (!ok) {
        workspace_free(w);
        return pat_fail(err, PAT_ERR_USAGE, "sequence of %zu minutes is too long", T);
    }
    if (!(w->mem = malloc(total))) {
        workspace_free(w);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a %zu-minute sequence", T);
    }
    float *p = w->mem;
    w->q = p, p += nhk;
    w->kt = p, p += nhk;
    w->vh = bf ? NULL : p, p += bf ? 0 : nhk;
    w->ctx = p, p += nhk;
    w->x = p, p += ne;
    w->xt = bf ? NULL : p, p += bf ? 0 : ne;
    w->tmp = p, p += ne;
    w->ff = p, p += nf;
    w->colsum = explain ? p : NULL, p += ncol;
    w->xs = p, p += T;
    if (bf) {
        w->kv = (uint16_t *)(void *)p;
        pat_bf16_seq_layout(&w->seq, w->kv, c, N);
    }
    return PAT_OK;
}

/* ---- one block in three parallel phases ----------------------------------------
 * A block runs as three parallel loops, so a sequence costs three barriers
 * per block, not one per kernel: the projections (row blocks of q, kt and vh,
 * all independent), attention, and everything after attention, which is
 * row-local (output projection, residual, LayerNorm, feed-forward, residual,
 * LayerNorm, and the transposed copy the next block's keys need). Every
 * element is computed by the same operations as the one-kernel-at-a-time
 * order would use; the kernels called inside a phase run on one thread. */

#define ROWS 48 /* rows (tokens, or key features for kt) per job */

static size_t nblocks(size_t n) { return (n + ROWS - 1) / ROWS; }
static size_t block_rows(size_t n, size_t r0) { return n - r0 < ROWS ? n - r0 : ROWS; }

/* c rows [0, rows) of width n (ldc) = bias (n), or bias[row] when per_row. */
static void fill_bias(float *c, size_t ldc, const float *bias, size_t rows, size_t n,
                      int per_row) {
    for (size_t r = 0; r < rows; r++) {
        float *cr = c + r * ldc;
        if (!per_row) {
            memcpy(cr, bias, n * sizeof *cr);
            continue;
        }
        for (size_t j = 0; j < n; j++) cr[j] = bias[r];
    }
}

/* q = (x·Wq + bq)/sqrt(K), kt (H*K, N) = (x·Wk + bk)^T, vh (H, N, K) = x·Wv + bv. */
struct block_job {
    struct workspace *w;
    const struct pat_block_weights *b;
    const struct pat_config *c;
    size_t N;
    enum pat_isa isa;
    const struct pat_bf16_block *bb; /* NULL, or block b's packed kernels */
};

/* out (rows, O) = bias + a (rows, I) · W, W a packed bf16 kernel. */
static void dense_rows_bf16(enum pat_bf16_path path, float *out, const float *a,
                            const struct pat_bf16_b *W, const float *bias, size_t rows, size_t I,
                            size_t O) {
    pat_bf16_matmul_bias(path, out, O, a, I, 1, W, bias, rows, O, I);
}

/* bf16: job j of 3 per row block: q (scaled), k rows into kt, v rows into ctx. */
static void projection_bf16(const struct block_job *bj, size_t j) {
    struct workspace *w = bj->w;
    const size_t N = bj->N, E = bj->c->embed_dim, K = bj->c->key_dim, HK = bj->c->num_heads * K;
    const size_t which = j % 3, r0 = j / 3 * ROWS, rows = block_rows(N, r0);
    const struct pat_bf16_b *const W[3] = {&bj->bb->wq, &bj->bb->wk, &bj->bb->wv};
    const float *const bias[3] = {bj->b->bq, bj->b->bk, bj->b->bv};
    float *const dst[3] = {w->q, w->kt, w->ctx};
    dense_rows_bf16(w->bf->path, dst[which] + r0 * HK, w->x + r0 * E, W[which], bias[which], rows,
                    E, HK);
    if (which == 0) pat_scale_inplace(w->q + r0 * HK, (float)(1.0 / sqrt((double)K)), rows * HK);
    uint16_t *const rounded[3] = {w->seq.q16, w->seq.k16, NULL};
    if (rounded[which])
        pat_bf16_round(rounded[which] + r0 * HK, dst[which] + r0 * HK, rows * HK);
}

static void projection_task(void *ctx, size_t j, size_t worker) {
    const struct block_job *bj = ctx;
    struct workspace *w = bj->w;
    const struct pat_block_weights *b = bj->b;
    const size_t N = bj->N, E = bj->c->embed_dim, H = bj->c->num_heads, K = bj->c->key_dim;
    const size_t HK = H * K, nq = nblocks(N), nk = nblocks(HK);
    const enum pat_isa isa = bj->isa;
    const float scale = (float)(1.0 / sqrt((double)K)); /* Keras scales the query */
    (void)worker;
    if (bj->bb) {
        projection_bf16(bj, j);
        return;
    }
    {
        if (j < nq) {
            const size_t r0 = j * ROWS, rows = block_rows(N, r0);
            fill_bias(w->q + r0 * HK, HK, b->bq, rows, HK, 0);
            pat_matmul(isa, w->q + r0 * HK, HK, w->x + r0 * E, E, 1, b->wq, HK, rows, HK, E, 1);
            pat_scale_inplace(w->q + r0 * HK, scale, rows * HK);
        } else if ((j -= nq) < nk) { /* kt[o, t] = bk[o] + sum_e Wk[e, o] x[t, e] */
            const size_t o0 = j * ROWS, rows = block_rows(HK, o0);
            fill_bias(w->kt + o0 * N, N, b->bk + o0, rows, N, 1);
            pat_matmul(isa, w->kt + o0 * N, N, b->wk + o0, 1, HK, w->xt, N, rows, N, E, 1);
        } else {
            j -= nk;
            const size_t h = j / nq, r0 = j % nq * ROWS, rows = block_rows(N, r0);
            float *v = w->vh + (h * N + r0) * K;
            fill_bias(v, K, b->bv + h * K, rows, K, 0);
            pat_matmul(isa, v, K, w->x + r0 * E, E, 1, b->wv + h * K, HK, rows, K, E, 1);
        }
    }
}

static void block_projections(struct workspace *w, const struct pat_block_weights *b,
                              const struct pat_bf16_block *bb, const struct pat_config *c,
                              size_t N, enum pat_isa isa) {
    const size_t nq = nblocks(N), nk = nblocks(c->num_heads * c->key_dim);
    struct block_job j = {w, b, c, N, isa, bb};
    pat_pool_run(bb ? 3 * nq : nq + nk + c->num_heads * nq, (size_t)-1, projection_task, &j);
}

/* out (rows, O) = bias + a (rows, I) · W: one Dense layer on one block of rows. */
static void dense_rows(enum pat_isa isa, float *out, const float *a, const float *W,
                       const float *bias, size_t rows, size_t I, size_t O) {
    fill_bias(out, O, bias, rows, O, 0);
    pat_matmul(isa, out, O, a, I, 1, W, O, rows, O, I, 1);
}

/* out (rows, O) = bias + a (rows, I) · W, with the packed kernel Wb when bf16. */
static void dense(const struct block_job *bj, float *out, const float *a, const float *W,
                  const struct pat_bf16_b *Wb, const float *bias, size_t rows, size_t I,
                  size_t O) {
    if (Wb)
        dense_rows_bf16(bj->w->bf->path, out, a, Wb, bias, rows, I, O);
    else
        dense_rows(bj->isa, out, a, W, bias, rows, I, O);
}

/* After attention, row by row: x = LN2(x1 + FF(x1)), x1 = LN1(x + ctx·Wo + bo). */
static void rowwise_task(void *ctx, size_t blk, size_t worker) {
    const struct block_job *bj = ctx;
    struct workspace *w = bj->w;
    const struct pat_block_weights *b = bj->b;
    const struct pat_config *c = bj->c;
    const size_t N = bj->N, E = c->embed_dim, HK = c->num_heads * c->key_dim, F = c->ff_dim;
    (void)worker;
    {
        const size_t r0 = blk * ROWS, rows = block_rows(N, r0);
        float *x = w->x + r0 * E, *tmp = w->tmp + r0 * E, *ff = w->ff + r0 * F;
        const struct pat_bf16_block *bb = bj->bb;
        dense(bj, tmp, w->ctx + r0 * HK, b->wo, bb ? &bb->wo : NULL, b->bo, rows, HK, E);
        pat_add_inplace(tmp, x, rows * E);
        pat_layernorm(x, tmp, b->ln1_g, b->ln1_b, rows, E);
        dense(bj, ff, x, b->ff1_w, bb ? &bb->ff1 : NULL, b->ff1_b, rows, E, F);
        pat_relu_inplace(ff, rows * F);
        dense(bj, tmp, ff, b->ff2_w, bb ? &bb->ff2 : NULL, b->ff2_b, rows, F, E);
        pat_add_inplace(tmp, x, rows * E);
        pat_layernorm(x, tmp, b->ln2_g, b->ln2_b, rows, E);
        for (size_t r = 0; r < rows && !bb; r++) /* the next float32 block's keys read x^T */
            for (size_t e = 0; e < E; e++) w->xt[e * N + r0 + r] = x[r * E + e];
    }
}

static void block_rowwise(struct workspace *w, const struct pat_block_weights *b,
                          const struct pat_bf16_block *bb, const struct pat_config *c, size_t N,
                          enum pat_isa isa) {
    struct block_job j = {w, b, c, N, isa, bb};
    pat_pool_run(nblocks(N), (size_t)-1, rowwise_task, &j);
}

/* x (N, E) = block(x), xt = x^T; colsum filled when non-NULL. ref: pat-spec §2.4 */
static int block_forward(struct workspace *w, size_t layer, const struct pat_model *m,
                         size_t N, float *colsum) {
    const enum pat_isa isa = pat_isa_active();
    const struct pat_config *c = &m->cfg;
    const struct pat_block_weights *b = &m->blocks[layer];
    const struct pat_bf16_block *bb = w->bf ? &w->bf->blocks[layer] : NULL;
    block_projections(w, b, bb, c, N, isa);
    if (bb) { /* k rows in kt, v rows in ctx: packed, then ctx is free */
        struct pat_att_bf16 att;
        pat_bf16_pack_kv(&att, &w->seq, w->bf->path, w->kt, w->ctx, N, c->num_heads, c->key_dim);
        if (!pat_attention_bf16(w->ctx, colsum, w->q, &att, N, c->num_heads, c->key_dim))
            return 0;
    } else if (!pat_attention(w->ctx, colsum, NULL, w->q, w->kt, w->vh, N, c->num_heads,
                              c->key_dim)) {
        return 0;
    }
    block_rowwise(w, b, bb, c, N, isa);
    return 1;
}

/* x (N, E) = patch embedding of x_in (T) after the scaler, plus the
 * positional encoding (computed here, row block by row block); xt = x^T.
 * Row blocks in parallel. */
struct embed_job {
    struct workspace *w;
    const struct pat_model *m;
    const float *x_in;
    size_t N;
};

static void embed_task(void *ctx, size_t blk, size_t worker) {
    const struct embed_job *j = ctx;
    struct workspace *w = j->w;
    const struct pat_model *m = j->m;
    const float *x_in = j->x_in;
    const struct pat_config *c = &m->cfg;
    const size_t N = j->N, E = c->embed_dim, P = c->patch_size;
    (void)worker;
    {
        const size_t r0 = blk * ROWS, rows = block_rows(N, r0);
        float *xs = w->xs + r0 * P, *x = w->x + r0 * E;
        for (size_t t = r0 * P; t < (r0 + rows) * P; t++) {
            const float v = w->log1p ? log1pf(x_in[t]) : x_in[t];
            w->xs[t] = m->scaler_mean ? (v - m->scaler_mean[t]) / m->scaler_std[t] : v;
        }
        if (c->embedding == PAT_EMBED_DENSE)
            pat_patch_embed_dense(x, xs, m->embed_w, m->embed_b, rows, P, E);
        else
            pat_patch_embed_conv(x, xs, m->embed_w, m->embed_b, rows, P, E);
        float *pe = w->tmp + r0 * E; /* free until the first block */
        pat_positional_encoding_rows(pe, r0, rows, E);
        pat_add_inplace(x, pe, rows * E);
        for (size_t r = 0; r < rows && w->xt; r++) /* float32: the first block's keys */
            for (size_t e = 0; e < E; e++) w->xt[e * N + r0 + r] = x[r * E + e];
    }
}

static void embed(struct workspace *w, const struct pat_model *m, const float *x_in, size_t N) {
    struct embed_job j = {w, m, x_in, N};
    pat_pool_run(nblocks(N), (size_t)-1, embed_task, &j);
}

/* Encoder over one sequence x (T): leaves the last block's output in w->x. */
static enum pat_status encode(struct workspace *w, const struct pat_model *m, const float *x,
                              size_t N, int explain, struct pat_err *err) {
    const struct pat_config *c = &m->cfg;
    embed(w, m, x, N);
    for (size_t l = 0; l < c->num_layers; l++) {
        float *colsum = explain && l + 1 == c->num_layers ? w->colsum : NULL;
        if (!block_forward(w, l, m, N, colsum))
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
                                   size_t T, int log1p, struct pat_err *err) {
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
    for (size_t b = 0; log1p && b < B; b++)
        for (size_t t = 0; t < T; t++)
            if (!(x[b * T + t] > -1.0f))
                return pat_fail(err, PAT_ERR_NUMERIC,
                                "input row %zu, column %zu is %g: the model takes log(1 + x) "
                                "of its inputs (pat.input_transform = log1p), which needs "
                                "x > -1", b + 1, t + 1, (double)x[b * T + t]);
    return PAT_OK;
}

/* Encode sequence b of x and write its output row. */
static enum pat_status run_one(struct workspace *w, const struct pat_model *m,
                               enum run_mode mode, const float *x, size_t b, size_t T,
                               float *out, struct pat_err *err) {
    const size_t N = T / m->cfg.patch_size, E = m->cfg.embed_dim;
    enum pat_status st = encode(w, m, x + b * T, N, mode == RUN_EXPLAIN, err);
    if (st != PAT_OK) return st;
    if (mode == RUN_EXPLAIN) {
        explanation_profile(out + b * N, w->colsum, m->cfg.num_heads, N);
        return PAT_OK;
    }
    float pooled[PAT_MAX_EMBED];
    float *dst = mode == RUN_EMBED ? out + b * E : pooled;
    pat_mean_rows(dst, w->x, N, E);
    if (mode == RUN_PREDICT) out[b] = head_forward(m, pooled);
    return PAT_OK;
}

/* Sequences one per task, each worker with its own workspace (allocated
 * by the worker on first use). */
struct seq_job {
    const struct pat_model *m;
    enum run_mode mode;
    const float *x;
    size_t T;
    int log1p;
    float *out;
    struct workspace *ws; /* one per worker, zeroed */
    enum pat_status *st;  /* one per sequence */
    struct pat_err *errs; /* one per sequence */
    const struct pat_bf16_weights *bf; /* NULL: float32 */
};

static void sequence_task(void *ctx, size_t b, size_t worker) {
    const struct seq_job *j = ctx;
    struct workspace *w = &j->ws[worker];
    const size_t N = j->T / j->m->cfg.patch_size;
    if (!w->mem) {
        j->st[b] = workspace_init(w, &j->m->cfg, j->T, N, j->mode == RUN_EXPLAIN, j->bf,
                                 &j->errs[b]);
        if (j->st[b] != PAT_OK) return;
    }
    w->log1p = j->log1p;
    j->st[b] = run_one(w, j->m, j->mode, j->x, b, j->T, j->out, &j->errs[b]);
}

/* Sequences [0, n) on up to `lanes` threads; the first failure in sequence
 * order is reported. */
static enum pat_status run_sequences_parallel(const struct pat_model *m, enum run_mode mode,
                                              const float *x, size_t n, size_t T, int log1p,
                                              size_t lanes, const struct pat_bf16_weights *bf,
                                              float *out, struct pat_err *err) {
    struct seq_job j = {m,  mode, x, T, log1p, out, calloc(lanes, sizeof *j.ws),
                        calloc(n, sizeof *j.st), calloc(n, sizeof *j.errs), bf};
    enum pat_status status = PAT_OK;
    if (!j.ws || !j.st || !j.errs) {
        status = pat_fail(err, PAT_ERR_NOMEM, "out of memory for a batch");
    } else {
        pat_pool_run(n, lanes, sequence_task, &j);
        for (size_t b = 0; b < n && status == PAT_OK; b++)
            if ((status = j.st[b]) != PAT_OK && err) *err = j.errs[b];
    }
    for (size_t k = 0; j.ws && k < lanes; k++) workspace_free(&j.ws[k]);
    free(j.ws), free(j.st), free(j.errs);
    return status;
}

/* raw: x holds minutes before the model's input transform (the public
 * calls), else after it (rows of a transformed dataset, in training). */
static enum pat_status run_checked(const struct pat_model *m, enum run_mode mode,
                                   const float *x, size_t B, size_t T, int log1p,
                                   const struct pat_bf16_weights *bf, float *out,
                                   struct pat_err *err) {
    enum pat_status st = PAT_OK;
    size_t done = 0;
    const size_t threads = pat_pool_threads();
    if (threads > 1 && B >= threads && !pat_pool_in_task()) {
        done = B / threads * threads;
        st = run_sequences_parallel(m, mode, x, done, T, log1p, threads, bf, out, err);
    }
    if (st != PAT_OK || done == B) return st;
    struct workspace w;
    st = workspace_init(&w, &m->cfg, T, T / m->cfg.patch_size, mode == RUN_EXPLAIN, bf, err);
    w.log1p = log1p;
    for (size_t b = done; st == PAT_OK && b < B; b++) st = run_one(&w, m, mode, x, b, T, out, err);
    workspace_free(&w);
    return st;
}

static enum pat_status run(const struct pat_model *m, enum run_mode mode, const float *x,
                           size_t B, size_t T, int raw, enum pat_precision precision,
                           float *out, struct pat_err *err) {
    if (precision != PAT_PRECISION_FP32 && precision != PAT_PRECISION_BF16)
        return pat_fail(err, PAT_ERR_USAGE, "unknown precision %d", (int)precision);
    if (mode == RUN_PREDICT && !m->has_head)
        return pat_fail(err, PAT_ERR_USAGE,
                        "the model has no classification head (an encoder only): "
                        "fine-tune it first");
    const int log1p = raw && m->input_log1p;
    enum pat_status st = check_input(m, x, B, T, log1p, err);
    if (st != PAT_OK) return st;
    if (precision == PAT_PRECISION_FP32) return run_checked(m, mode, x, B, T, log1p, NULL, out, err);
    struct pat_bf16_weights bf;
    if ((st = pat_bf16_weights_pack(&bf, m, err)) != PAT_OK) return st;
    st = run_checked(m, mode, x, B, T, log1p, &bf, out, err);
    pat_bf16_weights_free(&bf);
    return st;
}

enum pat_status pat_embed(const struct pat_model *m, const float *x, size_t B, size_t T,
                          float *out, struct pat_err *err) {
    return run(m, RUN_EMBED, x, B, T, 1, PAT_PRECISION_FP32, out, err);
}

enum pat_status pat_predict(const struct pat_model *m, const float *x, size_t B, size_t T,
                            float *out, struct pat_err *err) {
    return run(m, RUN_PREDICT, x, B, T, 1, PAT_PRECISION_FP32, out, err);
}

enum pat_status pat_explain(const struct pat_model *m, const float *x, size_t B, size_t T,
                            float *out, struct pat_err *err) {
    return run(m, RUN_EXPLAIN, x, B, T, 1, PAT_PRECISION_FP32, out, err);
}

enum pat_status pat_embed_ex(const struct pat_model *m, const float *x, size_t B, size_t T,
                             enum pat_precision precision, float *out, struct pat_err *err) {
    return run(m, RUN_EMBED, x, B, T, 1, precision, out, err);
}

enum pat_status pat_predict_ex(const struct pat_model *m, const float *x, size_t B, size_t T,
                               enum pat_precision precision, float *out, struct pat_err *err) {
    return run(m, RUN_PREDICT, x, B, T, 1, precision, out, err);
}

enum pat_status pat_explain_ex(const struct pat_model *m, const float *x, size_t B, size_t T,
                               enum pat_precision precision, float *out, struct pat_err *err) {
    return run(m, RUN_EXPLAIN, x, B, T, 1, precision, out, err);
}

const char *pat_precision_path(enum pat_precision precision) {
    if (precision == PAT_PRECISION_FP32) return "float32";
    if (precision != PAT_PRECISION_BF16) return "unknown";
    return pat_bf16_path_detect() == PAT_BF16_HARDWARE
               ? "bf16 (AVX512-BF16)"
               : "bf16 (emulated: no AVX512-BF16 here, or PAT_ISA below avx512)";
}

enum pat_status pat_predict_transformed(const struct pat_model *m, const float *x, size_t B,
                                        size_t T, float *out, struct pat_err *err) {
    return run(m, RUN_PREDICT, x, B, T, 0, PAT_PRECISION_FP32, out, err);
}

enum pat_status pat_encode_tokens(const struct pat_model *m, const float *x, size_t T,
                                  float *tokens, struct pat_err *err) {
    enum pat_status st = check_input(m, x, 1, T, 0, err);
    if (st != PAT_OK) return st;
    const size_t N = T / m->cfg.patch_size;
    struct workspace w;
    st = workspace_init(&w, &m->cfg, T, N, 0, NULL, err);
    if (st == PAT_OK) st = encode(&w, m, x, N, 0, err);
    if (st == PAT_OK) memcpy(tokens, w.x, N * m->cfg.embed_dim * sizeof *tokens);
    workspace_free(&w);
    return st;
}
