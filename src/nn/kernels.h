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

/* Rows p0 .. p0+rows-1 of the same table: pe (rows, E). */
void pat_positional_encoding_rows(float *pe, size_t p0, size_t rows, size_t E);

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

/* pat_layernorm that also saves mean (R) and rstd (R) for the backward. */
void pat_layernorm_stats(float *out, float *mean, float *rstd, const float *inp,
                         const float *g, const float *b, size_t R, size_t E);

/* Backward of pat_layernorm, accumulating: dinp (R, E) +=, dg (E) +=,
 * db (E) +=, from dout (R, E), the forward's inp (R, E), g, mean, rstd. */
void pat_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
                            const float *inp, const float *g, const float *mean,
                            const float *rstd, size_t R, size_t E);

/* Backward of pat_patch_embed_conv for the weights only (the input needs no
 * gradient): dWc (3, 1, E) +=, db (E) += from dout (N, E). */
void pat_patch_embed_conv_backward(float *dWc, float *db, const float *dout, const float *x,
                                   const float *Wc, const float *b, size_t N, size_t P,
                                   size_t E);

/* dx (n) = dy (n) where y (n) > 0, else 0 (ReLU backward through its output);
 * dx may be dy. */
void pat_relu_backward(float *dx, const float *dy, const float *y, size_t n);

/* x (n) = max(x, 0), in place. */
void pat_relu_inplace(float *x, size_t n);

/* x (n) *= s, in place. */
void pat_scale_inplace(float *x, float s, size_t n);

/* out (n) += a (n). */
void pat_add_inplace(float *out, const float *a, size_t n);

/* out (E) = mean over the N rows of inp (N, E). */
void pat_mean_rows(float *out, const float *inp, size_t N, size_t E);

#endif /* PAT_KERNELS_H */
