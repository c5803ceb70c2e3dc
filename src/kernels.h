/* kernels.h - forward kernels on plain float arrays.
 *
 * Outputs first, then inputs (const), then dimensions. No allocation inside
 * a kernel except where noted; every result is independent of the thread
 * count (each output element is reduced in a fixed order).
 * Letters: T minutes, P patch length, N patches, E embed dim, H heads,
 * K key dim per head, F feed-forward width.
 */
#ifndef PAT_KERNELS_H
#define PAT_KERNELS_H

#include <stddef.h>

#define PAT_LN_EPS 1e-6f /* Keras LayerNormalization(epsilon=1e-6), pat-spec §2.4 */

/* pe (N, E): [sin | cos] halves, base 10000, computed in float32 as TF does.
 * ref: pat-spec §2.3. E must be even. */
void pat_positional_encoding(float *pe, size_t N, size_t E);

/* out (N, E) = reshape(x, (N, P)) · W (P, E) + b (E). ref: pat-spec §2.1 */
void pat_patch_embed_dense(float *out, const float *x, const float *W, const float *b,
                           size_t N, size_t P, size_t E);

/* out (N, E): per patch, Conv1D(E filters, k=3, 'same' zero padding inside
 * the patch, ReLU) then mean over the P positions. x (N*P), Wc (3, 1, E),
 * b (E). ref: pat-spec §2.2 */
void pat_patch_embed_conv(float *out, const float *x, const float *Wc, const float *b,
                          size_t N, size_t P, size_t E);

/* out (R, E) = LayerNorm(inp) * g + b over the last axis, eps 1e-6, biased
 * variance; out may alias inp. */
void pat_layernorm(float *out, const float *inp, const float *g, const float *b, size_t R,
                   size_t E);

/* x (n) = max(x, 0), in place. */
void pat_relu_inplace(float *x, size_t n);

/* out (n) += a (n). */
void pat_add_inplace(float *out, const float *a, size_t n);

/* out (E) = mean over the N rows of inp (N, E). */
void pat_mean_rows(float *out, const float *inp, size_t N, size_t E);

/* Rearrange k (N, H, K) into kt (H, K, N) and v (N, H, K) into vh (H, N, K),
 * so that the attention loops run over contiguous memory. */
void pat_pack_keys_values(float *kt, float *vh, const float *k, const float *v, size_t N,
                          size_t H, size_t K);

/* Rows of queries handled together by the attention kernel; the explanation
 * partial sums are kept per (head, tile), so this fixes their sum order. */
#define PAT_ATT_TILE 32

/* Number of query tiles for N tokens. */
size_t pat_attention_tiles(size_t N);

/* Multi-head attention core, Keras semantics (pat-spec §2.4 steps 2-5):
 * q (N, H, K) already multiplied by 1/sqrt(K); kt (H, K, N); vh (H, N, K).
 * ctx (N, H, K) = softmax_s(q·k) · v per head.
 * colsum: NULL, or (H, tiles, N) partial sums over the queries of each tile
 * of the attention probabilities each key receives (for explanations).
 * Allocates one (PAT_ATT_TILE, N) score buffer per thread; returns 0 when
 * that allocation fails, 1 on success. */
int pat_attention(float *ctx, float *colsum, const float *q, const float *kt,
                  const float *vh, size_t N, size_t H, size_t K);

#endif /* PAT_KERNELS_H */
