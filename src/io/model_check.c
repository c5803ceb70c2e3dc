/* model_check.c - checks and message helpers shared by the model readers
 * (model_io.c for safetensors, keras_h5.c for Keras HDF5) and the writer. */
#include "io/model_check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

void pat_format_shape(char *buf, size_t len, const size_t *shape, size_t ndim) {
    char tmp[256] = "("; /* 8 dims of at most 20 digits fit */
    size_t used = 1;
    for (size_t d = 0; d < ndim && used < sizeof tmp; d++) {
        int n = snprintf(tmp + used, sizeof tmp - used, "%s%zu", d ? ", " : "", shape[d]);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (len) snprintf(buf, len, "%s%s)", tmp, ndim == 1 ? "," : "");
}

enum pat_status pat_err_prefix(struct pat_err *err, const char *path, enum pat_status st) {
    if (err && strncmp(err->msg, path, strlen(path)) != 0) {
        char why[PAT_ERR_MSG_LEN];
        snprintf(why, sizeof why, "%s", err->msg);
        pat_fail(err, st, "%s: %s", path, why);
    }
    return st;
}

enum pat_status pat_model_check_values(const struct pat_model *m, const char *what,
                                       struct pat_err *err) {
    for (size_t i = 0; i < m->num_tensors; i++) {
        const struct pat_tensor *t = &m->tensors[i];
        const float *x = m->params + t->offset;
        int is_std = strcmp(t->name, "scaler/std") == 0;
        int is_mean = strcmp(t->name, "scaler/mean") == 0;
        for (size_t k = 0; k < t->numel; k++) {
            if (!isfinite(x[k]))
                return pat_fail(err, PAT_ERR_NUMERIC, "%s: tensor '%s' element %zu is %s",
                                what, t->name, k, isnan(x[k]) ? "NaN" : "infinite");
            if (is_std && !(x[k] >= PAT_SCALER_STD_MIN && x[k] <= PAT_SCALER_ABS_MAX))
                return pat_fail(err, PAT_ERR_FORMAT,
                                "%s: tensor 'scaler/std' element %zu is %g; standard "
                                "deviations must be > 0, within [%g, %g]", what, k, (double)x[k],
                                PAT_SCALER_STD_MIN, PAT_SCALER_ABS_MAX);
            if (is_mean && fabsf(x[k]) > PAT_SCALER_ABS_MAX)
                return pat_fail(err, PAT_ERR_FORMAT,
                                "%s: tensor 'scaler/mean' element %zu is %g; means must lie "
                                "within +-%g", what, k, (double)x[k], PAT_SCALER_ABS_MAX);
        }
    }
    return PAT_OK;
}
