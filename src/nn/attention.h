/* attention.h - multi-head attention core, forward and backward.
 *
 * Keras MultiHeadAttention semantics (pat-spec §2.4 steps 2-5) on the
 * projected q, k, v; the projections themselves are Dense layers (gemm.h).
 * Neither direction stores the (H, N, N) probabilities. The forward runs per
 * (head, tile of PAT_ATT_TILE queries) over tiles of keys with an online
 * softmax, so a thread holds one (PAT_ATT_TILE, 128) score tile and one
 * (PAT_ATT_TILE, K) context tile; for training it keeps the log-sum-exp of
 * each query row, from which the backward recomputes the probabilities.
 * Every output element is reduced in a fixed order over fixed tiles: results
 * do not depend on the thread count.
 */
#ifndef PAT_ATTENTION_H
#define PAT_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "nn/gemm_bf16.h"

/* Query rows (forward) or key rows (backward) handled together, a multiple
 * of the register tile's 6 rows. The explanation partial sums are kept per
 * (head, tile), so this also fixes their summation order. */
#define PAT_ATT_TILE 48

/* Number of tiles for N tokens. */
size_t pat_attention_tiles(size_t N);

/* dst (H, N, K) = src (N, H, K) regrouped by head. */
void pat_heads_split(float *dst, const float *src, size_t N, size_t H, size_t K);
/* dst (H, K, N) = src (N, H, K) regrouped by head and transposed. */
void pat_heads_split_t(float *dst, const float *src, size_t N, size_t H, size_t K);
/* dst (N, H, K) = src (H, N, K), the inverse of pat_heads_split. */
void pat_heads_merge(float *dst, const float *src, size_t N, size_t H, size_t K);

/* ctx (N, H, K) = softmax_s(q·k) · v per head, q (N, H, K) already scaled by
 * 1/sqrt(K), kt (H, K, N), vh (H, N, K).
 * colsum: NULL or (H, tiles, N) per-tile sums over queries of the
 *         probabilities each key receives (explanations, pat-spec §7); costs
 *         one more q·k product per tile.
 * lse:    NULL or (H, N) log-sum-exp of each query's scores (training).
 * Returns 0 when a scratch allocation fails, 1 on success. */
int pat_attention(float *ctx, float *colsum, float *lse, const float *q, const float *kt,
                  const float *vh, size_t N, size_t H, size_t K);

/* The bf16 factors of one block's attention (nn/gemm_bf16.h): per head h,
 * k^T (K, N) packed at kt + h*kt_head and v (N, K) packed at v + h*v_head,
 * with kt_panel = pat_bf16_panel_len(K), v_panel = pat_bf16_panel_len(N);
 * q16: NULL, or q (N, H, K) already rounded (only when K is even). */
struct pat_att_bf16 {
    enum pat_bf16_path path;
    const uint16_t *kt, *v, *q16;
    size_t kt_head, v_head, kt_panel, v_panel;
};

/* pat_attention with both products (q·k^T, p·v) in bf16 with float32 sums:
 * q (N, H, K) float32 (rounded to bf16 in the product), the probabilities
 * exp(s - max) computed by pat_exp_nonpos_bf16 and rounded to bf16 as they
 * are computed; the softmax's row sums (of the unrounded probabilities), its
 * running max and rescaling, and the explanation sums stay float32. */
int pat_attention_bf16(float *ctx, float *colsum, const float *q, const struct pat_att_bf16 *bf,
                       size_t N, size_t H, size_t K);

/* Gradients of pat_attention with respect to q, k and v, all (N, H, K),
 * written (not accumulated), from dctx (N, H, K) and the forward's q, k, v
 * (N, H, K), ctx (N, H, K) and lse (H, N). Scratch: (2 + ceil(N/192))
 * arrays of N·H·K floats (transposed q and dctx, per-key-group shares of dq).
 * Returns 0 when a scratch allocation fails, 1 on success. */
int pat_attention_backward(float *dq, float *dk, float *dv, const float *dctx,
                           const float *q, const float *k, const float *v, const float *ctx,
                           const float *lse, size_t N, size_t H, size_t K);

/* The test oracles: the same results computed one query (forward) or one key
 * (backward) row at a time with libm's expf and plain loops, as pat did
 * before the tiled kernels. Same arguments and returns as above. */
int pat_attention_simple(float *ctx, float *colsum, float *lse, const float *q,
                         const float *kt, const float *vh, size_t N, size_t H, size_t K);
int pat_attention_backward_simple(float *dq, float *dk, float *dv, const float *dctx,
                                  const float *q, const float *k, const float *v,
                                  const float *ctx, const float *lse, size_t N, size_t H,
                                  size_t K);

/* exp(x) for x <= 0 as the attention kernels compute it (a degree-6
 * polynomial after range reduction, within 2 ulp of expf; 0 below -87.3),
 * exposed for its test. */
float pat_exp_nonpos(float x);

/* exp(x) for x <= 0 as pat_attention_bf16 computes the probabilities (a
 * degree-4 polynomial after range reduction, relative error below 4e-6 on
 * [-86, 0], exactly 1 at 0; -86 stands for anything smaller), exposed for its test. */
float pat_exp_nonpos_bf16(float x);

#endif /* PAT_ATTENTION_H */
