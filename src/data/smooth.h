/* smooth.h - Savitzky-Golay smoothing, the paper's "smooth" data variant:
 * window 51, polynomial order 3, before standardization (pat-spec §3.5,
 * §5.1). Edges as scipy.signal.savgol_filter's default mode='interp': the
 * first and last window/2 points come from a polynomial fitted to the first
 * and last `window` points. */
#ifndef PAT_DATA_SMOOTH_H
#define PAT_DATA_SMOOTH_H

#include <stddef.h>

#include "pat.h"

#define PAT_SAVGOL_MAX_ORDER 6

/* out[n] (may not alias in): smoothed in[n]. window odd, order < window,
 * order <= PAT_SAVGOL_MAX_ORDER, n >= window. Accumulates in double. */
enum pat_status pat_savgol(float *out, const float *in, size_t n, size_t window, size_t order,
                           struct pat_err *err);

#endif /* PAT_DATA_SMOOTH_H */
