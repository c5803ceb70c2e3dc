/* attention.h - multi-head attention core, forward and backward.
 *
 * Keras MultiHeadAttention semantics (pat-spec §2.4 steps 2-5) on the
 * projected q, k, v; the projections themselves are Dense layers (gemm.h).
 * Neither direction stores the (H, N, N) probabilities: forward keeps one
 * (PAT_ATT_TILE, N) score tile per thread and, for training, the
 * log-sum-exp of each query row; backward recomputes the probabilities.
 * Every output element is reduced in a fixed order: results do not depend
 * on the thread count.
 */
#ifndef PAT_ATTENTION_H
#define PAT_ATTENTION_H

#include <stddef.h>

/* Query rows (forward) or key rows (backward) handled together. The
 * explanation partial sums are kept per (head, tile), so this also fixes
 * their summation order. */
#define PAT_ATT_TILE 32

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
 *         probabilities each key receives (explanations, pat-spec §7).
 * lse:    NULL or (H, N) log-sum-exp of each query's scores (training).
 * Returns 0 when a scratch allocation fails, 1 on success. */
int pat_attention(float *ctx, float *colsum, float *lse, const float *q, const float *kt,
                  const float *vh, size_t N, size_t H, size_t K);

/* Gradients of pat_attention with respect to q, k and v, all (N, H, K),
 * written (not accumulated), from dctx (N, H, K) and the forward's q, k, v
 * (N, H, K), ctx (N, H, K) and lse (H, N). Returns 0 when a scratch
 * allocation fails, 1 on success. */
int pat_attention_backward(float *dq, float *dk, float *dv, const float *dctx,
                           const float *q, const float *k, const float *v, const float *ctx,
                           const float *lse, size_t N, size_t H, size_t K);

#endif /* PAT_ATTENTION_H */
