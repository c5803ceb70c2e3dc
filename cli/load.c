/* load.c - whole CSV matrices and label files for training and evaluation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/csv.h"

static enum pat_status nomem(struct pat_err *err, const char *path) {
    err->status = PAT_ERR_NOMEM;
    snprintf(err->msg, sizeof err->msg, "out of memory reading %s", path);
    return PAT_ERR_NOMEM;
}

enum pat_status cli_load_matrix(const char *path, struct matrix *out, struct pat_err *err) {
    struct pat_csv_reader *r = NULL;
    memset(out, 0, sizeof *out);
    enum pat_status st = pat_csv_open(path, &r, err);
    size_t cap = 0;
    while (st == PAT_OK) {
        const float *row;
        size_t cols;
        st = pat_csv_next(r, &row, &cols, err);
        if (st != PAT_OK || !row) break;
        if (out->rows == cap) {
            cap = cap ? 2 * cap : 64;
            float *g = cap <= SIZE_MAX / sizeof(float) / cols ? realloc(out->v, cap * cols * sizeof *g) : NULL;
            if (!g) { st = nomem(err, path); break; }
            out->v = g;
        }
        memcpy(out->v + out->rows * cols, row, cols * sizeof *row);
        out->rows++;
        out->cols = cols;
    }
    pat_csv_close(r);
    if (st != PAT_OK) matrix_free(out);
    return st;
}

enum pat_status cli_load_labels(const char *path, size_t expect_rows, const char *x_path,
                                struct matrix *out, struct pat_err *err) {
    enum pat_status st = cli_load_matrix(path, out, err);
    if (st != PAT_OK) return st;
    if (out->cols != 1) {
        err->status = st = PAT_ERR_FORMAT;
        snprintf(err->msg, sizeof err->msg, "%s: expected one label per line, found %zu values",
                 path, out->cols);
    } else if (out->rows != expect_rows) {
        err->status = st = PAT_ERR_FORMAT;
        snprintf(err->msg, sizeof err->msg, "%s has %zu labels but %s has %zu rows", path,
                 out->rows, x_path, expect_rows);
    }
    for (size_t i = 0; st == PAT_OK && i < out->rows; i++)
        if (out->v[i] != 0.0f && out->v[i] != 1.0f) {
            err->status = st = PAT_ERR_FORMAT;
            snprintf(err->msg, sizeof err->msg, "%s: line %zu: label %g is not 0 or 1", path,
                     i + 1, (double)out->v[i]);
        }
    if (st != PAT_OK) matrix_free(out);
    return st;
}

void matrix_free(struct matrix *m) {
    free(m->v);
    memset(m, 0, sizeof *m);
}
