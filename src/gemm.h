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

#endif /* PAT_GEMM_H */
