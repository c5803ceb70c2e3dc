/* infer_bf16.h - the bf16 factors of inference (nn/gemm_bf16.h): a
 * model's Dense kernels packed once per pat_embed_ex/predict/explain call
 * (shared read-only by every thread), and one block's keys and values
 * packed per sequence for attention. */
#ifndef PAT_INFER_BF16_H
#define PAT_INFER_BF16_H

#include <stddef.h>
#include <stdint.h>

#include "nn/attention.h"
#include "nn/gemm_bf16.h"
#include "nn/model.h"
#include "pat.h"

/* One block's Dense kernels, packed. */
struct pat_bf16_block {
    struct pat_bf16_b wq, wk, wv; /* (E, H*K) */
    struct pat_bf16_b wo;         /* (H*K, E) */
    struct pat_bf16_b ff1, ff2;   /* (E, F), (F, E) */
};

struct pat_bf16_weights {
    enum pat_bf16_path path;
    struct pat_bf16_block *blocks; /* num_layers */
    uint16_t *mem;                 /* every packed kernel */
};

/* Pack the model's block kernels (in parallel, one job per kernel). */
enum pat_status pat_bf16_weights_pack(struct pat_bf16_weights *w, const struct pat_model *m,
                                      struct pat_err *err);
void pat_bf16_weights_free(struct pat_bf16_weights *w); /* zeroed or packed */

/* One sequence's bf16 scratch for a block: k^T and v packed per head
 * (struct pat_att_bf16), and, when K is even, q and k rows (N, H*K)
 * rounded (q16, k16; NULL when K is odd: then products round q as they
 * go and k^T is packed from float32 rows). */
struct pat_bf16_seq {
    uint16_t *kt, *v, *q16, *k16;
    size_t kt_head, v_head; /* uint16 per head */
};

/* uint16 elements of the scratch for N tokens, 0 when it overflows. */
size_t pat_bf16_seq_len(const struct pat_config *c, size_t N);
/* s = the scratch's parts in mem (pat_bf16_seq_len elements). */
void pat_bf16_seq_layout(struct pat_bf16_seq *s, uint16_t *mem, const struct pat_config *c,
                         size_t N);

/* att = the bf16 factors of attention: s's k^T (from k16, or from k (N, H*K)
 * when K is odd) and v packed from v (N, H*K), heads in parallel. */
void pat_bf16_pack_kv(struct pat_att_bf16 *att, const struct pat_bf16_seq *s,
                      enum pat_bf16_path path, const float *k, const float *v, size_t N,
                      size_t H, size_t K);

#endif /* PAT_INFER_BF16_H */
