/* fuzz_xpt.c - the SAS XPORT reader (src/io/xpt.c over libreadstat), with
 * the NHANES physical-activity columns as the real reader asks for them. */
#include "fuzz_common.h"
#include "io/xpt.h"
#include "pat.h"

static enum pat_status on_row(void *ctx, size_t row, const double *v, struct pat_err *err) {
    (void)err;
    double *sum = ctx;
    *sum += v[0] + v[1] + (double)row;
    return PAT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("xpt", data, size);
    if (!path) return 0;
    static const struct pat_xpt_col cols[] = {
        {"SEQN", 0},   {"PAXINTEN", 1}, {"PAXMTSM", 1},
        {"PAXDAY", 1}, {"DPQ010", 1},   {"RIDAGEYR", 1}};
    struct pat_err err;
    double sum = 0;
    (void)pat_xpt_read(path, cols, sizeof cols / sizeof *cols, on_row, &sum, &err);
    size_t rows, vars;
    (void)pat_xpt_shape(path, &rows, &vars, &err);
    return 0;
}
