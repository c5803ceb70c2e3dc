/* fuzz_xpt.c - the SAS XPORT readers: pat's native one (src/io/xport.c,
 * through pat_xpt_read and pat_xpt_shape, with the NHANES columns as the
 * real readers ask for them), and differentially against libreadstat:
 * when both accept a single-member file, they must give the same row
 * count. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/xport.h"
#include "io/xpt.h"
#include "pat.h"

static enum pat_status on_row(void *ctx, size_t row, const double *v, struct pat_err *err) {
    (void)err;
    double *sum = ctx;
    *sum += v[0] + v[1] + (double)row;
    return PAT_OK;
}

static enum pat_status count(void *ctx, size_t row, const double *v, struct pat_err *err) {
    (void)row, (void)v, (void)err;
    ++*(size_t *)ctx;
    return PAT_OK;
}

/* Member header records in the input: the native reader stops at the
 * second one (the next table), libreadstat reads it as rows, so their row
 * counts are compared only for single-member files. */
static size_t members(const uint8_t *data, size_t size) {
    static const char hdr[] = "HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!";
    const size_t len = sizeof hdr - 1;
    size_t n = 0;
    for (size_t i = 0; i + len <= size; i++) n += memcmp(data + i, hdr, len) == 0;
    return n;
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
    size_t rows, vars, native = 0, other = 0;
    (void)pat_xpt_shape(path, &rows, &vars, &err);
    char names[4][9];
    size_t n = 0;
    if (members(data, size) == 1 && pat_xport_numeric_names(path, names, 4, &n, &err) == PAT_OK &&
        n > 0) {
        const struct pat_xpt_col first = {names[0], 0};
        if (pat_xport_read(path, &first, 1, count, &native, NULL, &err) == PAT_OK &&
            pat_xpt_read_readstat(path, &first, 1, count, &other, &err) == PAT_OK &&
            native != other && native > 0 && other > 0)
            abort(); /* the two readers disagree on a file both accept */
    }
    return 0;
}
