/* gemm.h - the one place that decides how matrix products run. */
#ifndef PAT_GEMM_H
#define PAT_GEMM_H

#include <stddef.h>

/* y = x·W (+ b): y (R, O), x (R, I), W (I, O) Keras layout, b (O) or NULL.
 * Parallel over row blocks; every output element is summed in the same
 * order (i = 0..I-1) whatever the thread count, so results are bit-identical
 * across OMP_NUM_THREADS. */
void pat_gemm_bias(float *y, const float *x, const float *W, const float *b, size_t R,
                   size_t I, size_t O);

/* Backward of pat_gemm_bias, accumulating (+=): dx (R, I) += dy·W^T,
 * dW (I, O) += x^T·dy, db (O) += column sums of dy; any of dx, dW, db may be
 * NULL to skip it. dy (R, O), x (R, I), W (I, O). Deterministic: each
 * element is summed in a fixed order whatever the thread count. */
void pat_gemm_backward(float *dx, float *dW, float *db, const float *dy, const float *x,
                       const float *W, size_t R, size_t I, size_t O);

#endif /* PAT_GEMM_H */
