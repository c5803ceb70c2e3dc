/* scaler.h - per-minute mean and standard deviation over rows, accumulated
 * in float64 in two passes (mean, then squared deviations), population std
 * (ddof 0), std below 10*DBL_EPSILON replaced by 1 as sklearn's
 * StandardScaler does. ref: pat-spec §5.1 "standardization", §10.7
 *
 *     struct pat_moments m;
 *     pat_moments_init(&m, T, &err);
 *     for each row: pat_moments_add(&m, row);      // pass 1
 *     pat_moments_next_pass(&m);
 *     for each row: pat_moments_add(&m, row);      // pass 2, same rows
 *     pat_moments_result(&m, mean, std);
 *     pat_moments_free(&m);
 */
#ifndef PAT_DATA_SCALER_H
#define PAT_DATA_SCALER_H

#include <stddef.h>

#include "pat.h"

struct pat_moments {
    size_t T, n;
    double *mean; /* pass 1: sums; pass 2: means */
    double *m2;   /* sums of squared deviations */
    int pass;     /* 0 or 1 */
};

enum pat_status pat_moments_init(struct pat_moments *m, size_t T, struct pat_err *err);
void pat_moments_add(struct pat_moments *m, const float *x);
void pat_moments_next_pass(struct pat_moments *m);
/* mean, std: T floats. With no rows: mean 0, std 1. */
void pat_moments_result(const struct pat_moments *m, float *mean, float *std);
void pat_moments_free(struct pat_moments *m);

#endif /* PAT_DATA_SCALER_H */
