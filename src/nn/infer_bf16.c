/* infer_bf16.c - packing a model's kernels and a block's keys and values
 * for the bf16 inference path (see infer_bf16.h). */
#include "nn/infer_bf16.h"

#include <stdlib.h>
#include <string.h>

#include "nn/pool.h"
#include "util.h"

#define KERNELS 6 /* packed kernels per block */

/* Kernel i (0..5) of block b: its floats, rows and columns. */
static const float *kernel(const struct pat_model *m, size_t b, size_t i, size_t *rows,
                           size_t *cols) {
    const struct pat_config *c = &m->cfg;
    const struct pat_block_weights *w = &m->blocks[b];
    const size_t E = c->embed_dim, HK = c->num_heads * c->key_dim, F = c->ff_dim;
    const float *const src[KERNELS] = {w->wq, w->wk, w->wv, w->wo, w->ff1_w, w->ff2_w};
    const size_t r[KERNELS] = {E, E, E, HK, E, F}, k[KERNELS] = {HK, HK, HK, E, F, E};
    *rows = r[i], *cols = k[i];
    return src[i];
}

static struct pat_bf16_b *packed_slot(struct pat_bf16_block *b, size_t i) {
    struct pat_bf16_b *const slots[KERNELS] = {&b->wq, &b->wk, &b->wv, &b->wo, &b->ff1, &b->ff2};
    return slots[i];
}

struct pack_job {
    const struct pat_model *m;
    struct pat_bf16_weights *w;
    const size_t *offset; /* (layers * KERNELS) into w->mem */
};

static void pack_task(void *ctx, size_t job, size_t worker) {
    const struct pack_job *j = ctx;
    size_t rows, cols;
    const float *src = kernel(j->m, job / KERNELS, job % KERNELS, &rows, &cols);
    (void)worker;
    pat_bf16_pack(j->w->mem + j->offset[job], src, cols, 1, rows, cols);
}

enum pat_status pat_bf16_weights_pack(struct pat_bf16_weights *w, const struct pat_model *m,
                                      struct pat_err *err) {
    const size_t L = m->cfg.num_layers, jobs = L * KERNELS;
    size_t *offset = malloc(jobs * sizeof *offset), total = 0;
    memset(w, 0, sizeof *w);
    w->path = pat_bf16_path_detect();
    w->blocks = calloc(L, sizeof *w->blocks);
    for (size_t i = 0; offset && i < jobs; i++) {
        size_t rows, cols, len;
        kernel(m, i / KERNELS, i % KERNELS, &rows, &cols);
        len = pat_bf16_packed_len(rows, cols);
        offset[i] = total;
        *packed_slot(&w->blocks[i / KERNELS], i % KERNELS) = (struct pat_bf16_b){
            NULL, pat_bf16_panel_len(rows)};
        if (!w->blocks || !len || !pat_add_size(total, len, &total)) total = (size_t)-1;
    }
    if (offset && w->blocks && total != (size_t)-1 && total < ((size_t)-1) / 2)
        w->mem = malloc(total * sizeof *w->mem);
    if (!w->mem) {
        free(offset);
        pat_bf16_weights_free(w);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the model's bf16 weights");
    }
    for (size_t i = 0; i < jobs; i++) packed_slot(&w->blocks[i / KERNELS], i % KERNELS)->p =
        w->mem + offset[i];
    struct pack_job j = {m, w, offset};
    pat_pool_run(jobs, (size_t)-1, pack_task, &j);
    free(offset);
    return PAT_OK;
}

void pat_bf16_weights_free(struct pat_bf16_weights *w) {
    free(w->blocks);
    free(w->mem);
    memset(w, 0, sizeof *w);
}

size_t pat_bf16_seq_len(const struct pat_config *c, size_t N) {
    const size_t K = c->key_dim, H = c->num_heads;
    const size_t kt = pat_bf16_packed_len(K, N), v = pat_bf16_packed_len(N, K);
    size_t sum, total, rows;
    if (!kt || !v || !pat_add_size(kt, v, &sum) || !pat_mul_size(sum, H, &total) ||
        !pat_mul_size(N, H * K, &rows) || !pat_mul_size(rows, 2, &rows) ||
        !pat_add_size(total, rows, &total))
        return 0;
    return total;
}

void pat_bf16_seq_layout(struct pat_bf16_seq *s, uint16_t *mem, const struct pat_config *c,
                         size_t N) {
    const size_t K = c->key_dim, H = c->num_heads;
    s->kt_head = pat_bf16_packed_len(K, N);
    s->v_head = pat_bf16_packed_len(N, K);
    s->kt = mem;
    s->v = s->kt + H * s->kt_head;
    s->q16 = K % 2 == 0 ? s->v + H * s->v_head : NULL;
    s->k16 = K % 2 == 0 ? s->q16 + N * H * K : NULL;
}

struct kv_job {
    const struct pat_bf16_seq *s;
    const float *k, *v;
    size_t N, H, K;
};

/* Head h's k^T (K, N) from the rounded rows k16 (N, H*K), K even: the pair
 * (2p, 2p+1) of key j is the 32-bit word k16 + j*H*K + h*K + 2p, copied
 * into panel j/16, pair p, column j%16. */
static void pack_keys_rounded(uint16_t *dst, const uint16_t *k16, size_t N, size_t HK,
                              size_t K) {
    const size_t panel = pat_bf16_panel_len(K), kp = K / 2;
    for (size_t j0 = 0; j0 < N; j0 += PAT_BF16_PANEL) {
        uint16_t *d = dst + j0 / PAT_BF16_PANEL * panel;
        const size_t w = N - j0 < PAT_BF16_PANEL ? N - j0 : PAT_BF16_PANEL;
        if (w < PAT_BF16_PANEL) memset(d, 0, panel * sizeof *d);
        for (size_t jj = 0; jj < w; jj++) {
            const uint16_t *src = k16 + (j0 + jj) * HK;
            for (size_t p = 0; p < kp; p++)
                memcpy(d + p * 2 * PAT_BF16_PANEL + 2 * jj, src + 2 * p, 2 * sizeof *d);
        }
    }
}

static void kv_task(void *ctx, size_t h, size_t worker) {
    const struct kv_job *j = ctx;
    const struct pat_bf16_seq *s = j->s;
    const size_t HK = j->H * j->K;
    (void)worker;
    if (s->k16)
        pack_keys_rounded(s->kt + h * s->kt_head, s->k16 + h * j->K, j->N, HK, j->K);
    else
        pat_bf16_pack(s->kt + h * s->kt_head, j->k + h * j->K, 1, HK, j->K, j->N);
    pat_bf16_pack(s->v + h * s->v_head, j->v + h * j->K, HK, 1, j->N, j->K);
}

void pat_bf16_pack_kv(struct pat_att_bf16 *att, const struct pat_bf16_seq *s,
                      enum pat_bf16_path path, const float *k, const float *v, size_t N,
                      size_t H, size_t K) {
    *att = (struct pat_att_bf16){path,       s->kt,      s->v,
                                 s->q16,     s->kt_head, s->v_head,
                                 pat_bf16_panel_len(K), pat_bf16_panel_len(N)};
    struct kv_job j = {s, k, v, N, H, K};
    pat_pool_run(H, (size_t)-1, kv_task, &j);
}
