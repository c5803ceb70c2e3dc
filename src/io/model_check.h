/* model_check.h - helpers shared by the model readers (safetensors, Keras H5). */
#ifndef PAT_IO_MODEL_CHECK_H
#define PAT_IO_MODEL_CHECK_H

#include <stddef.h>

#include "nn/model.h"

/* The sane range of a per-minute scaler: a std of 1e-38 passed "> 0" and
 * turned every input into NaN (issue 12). pat's own scalers floor a std
 * below 10 DBL_EPSILON at 1. */
#define PAT_SCALER_STD_MIN 1e-6
#define PAT_SCALER_ABS_MAX 1e30

/* Check every weight is finite, scaler/std (when present) in
 * [PAT_SCALER_STD_MIN, PAT_SCALER_ABS_MAX] and |scaler/mean| at most
 * PAT_SCALER_ABS_MAX; errors name `what` (the file), the tensor and the
 * flat element index. */
enum pat_status pat_model_check_values(const struct pat_model *m, const char *what,
                                       struct pat_err *err);

/* Prefix err->msg (may be NULL) with "path: " unless it already starts
 * with path; returns st, the status of the failure being reported. */
enum pat_status pat_err_prefix(struct pat_err *err, const char *path, enum pat_status st);

/* Write "(d0, d1, ...)" into buf (always NUL-terminated). */
void pat_format_shape(char *buf, size_t len, const size_t *shape, size_t ndim);

#endif /* PAT_IO_MODEL_CHECK_H */
