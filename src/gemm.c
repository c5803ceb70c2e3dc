/* gemm.c - portable blocked matrix product for the model's Dense layers.
 *
 * The inner loop runs over output columns (an axpy of one W row), which the
 * compiler vectorizes without reassociating any sum; rows are processed in
 * blocks of ROWS so that each W row is reused from cache ROWS times.
 */
#include "gemm.h"

#include <string.h>

#define ROWS 8 /* rows of x per block */

/* One block of up to ROWS rows: y[r,:] = b + sum_i x[r,i] W[i,:]. */
static void gemm_block(float *y, const float *x, const float *W, const float *b,
                       size_t rows, size_t I, size_t O) {
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * O;
        if (b)
            memcpy(yr, b, O * sizeof *yr);
        else
            memset(yr, 0, O * sizeof *yr);
    }
    for (size_t i = 0; i < I; i++) {
        const float *w = W + i * O;
        for (size_t r = 0; r < rows; r++) {
            const float xi = x[r * I + i];
            float *yr = y + r * O;
            for (size_t o = 0; o < O; o++) yr[o] += xi * w[o];
        }
    }
}

void pat_gemm_bias(float *y, const float *x, const float *W, const float *b, size_t R,
                   size_t I, size_t O) {
    const long nblocks = (long)((R + ROWS - 1) / ROWS);
#pragma omp parallel for schedule(static)
    for (long blk = 0; blk < nblocks; blk++) {
        size_t r0 = (size_t)blk * ROWS;
        size_t rows = R - r0 < ROWS ? R - r0 : ROWS;
        gemm_block(y + r0 * O, x + r0 * I, W, b, rows, I, O);
    }
}

void pat_gemm_backward(float *dx, float *dW, float *db, const float *dy, const float *x,
                       const float *W, size_t R, size_t I, size_t O) {
    if (dx) {
#pragma omp parallel for schedule(static)
        for (long r = 0; r < (long)R; r++) {
            const float *g = dy + (size_t)r * O;
            for (size_t i = 0; i < I; i++) {
                const float *w = W + i * O;
                float s = 0.0f;
                for (size_t o = 0; o < O; o++) s += g[o] * w[o];
                dx[(size_t)r * I + i] += s;
            }
        }
    }
    if (dW) {
#pragma omp parallel for schedule(static)
        for (long i = 0; i < (long)I; i++) {
            float *dw = dW + (size_t)i * O;
            for (size_t r = 0; r < R; r++) {
                const float xi = x[r * I + (size_t)i];
                const float *g = dy + r * O;
                for (size_t o = 0; o < O; o++) dw[o] += xi * g[o];
            }
        }
    }
    if (db)
        for (size_t r = 0; r < R; r++)
            for (size_t o = 0; o < O; o++) db[o] += dy[r * O + o];
}
