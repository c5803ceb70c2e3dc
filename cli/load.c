/* load.c - whole CSV matrices and label files for training and evaluation. */
#include <math.h>
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
    if (cli_labels_have_header(path)) /* pat data export --labels */
        return cli_load_labels_with_ids(path, expect_rows, x_path, 0, out, NULL, err);
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

int cli_is_dataset(const char *path) {
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".patd") == 0;
}

/* Rows i of ds with a label and (split < 0 or the given split). */
static int row_selected(const struct pat_dataset *ds, size_t i, int split) {
    return !isnan(pat_dataset_label(ds, i)) &&
           (split < 0 || (int)pat_dataset_split(ds, i) == split);
}

static enum pat_status copy_rows(const struct pat_dataset *ds, int split, struct matrix *x,
                                 struct matrix *y, const char *path, struct pat_err *err) {
    const size_t T = pat_dataset_length(ds), R = pat_dataset_rows(ds);
    size_t n = 0;
    for (size_t i = 0; i < R; i++) n += row_selected(ds, i, split);
    x->v = malloc((n ? n : 1) * T * sizeof *x->v);
    y->v = malloc((n ? n : 1) * sizeof *y->v);
    if (!x->v || !y->v) return nomem(err, path);
    x->rows = y->rows = n, x->cols = T, y->cols = 1;
    size_t k = 0;
    for (size_t i = 0; i < R; i++) {
        if (!row_selected(ds, i, split)) continue;
        memcpy(x->v + k * T, pat_dataset_row(ds, i), T * sizeof *x->v);
        y->v[k++] = pat_dataset_label(ds, i);
    }
    return PAT_OK;
}

enum pat_status cli_load_dataset_split(const char *path, int split, struct matrix *x,
                                       struct matrix *y, struct pat_err *err) {
    struct pat_dataset *ds = NULL;
    memset(x, 0, sizeof *x), memset(y, 0, sizeof *y);
    enum pat_status st = pat_dataset_open(path, &ds, err);
    if (st != PAT_OK) return st;
    st = copy_rows(ds, split, x, y, path, err);
    for (size_t i = 0; st == PAT_OK && i < y->rows; i++)
        if (y->v[i] != 0.0f && y->v[i] != 1.0f) {
            err->status = st = PAT_ERR_FORMAT;
            snprintf(err->msg, sizeof err->msg, "%s: labels must be 0 or 1 to train or "
                     "evaluate a classifier (found %g)", path, (double)y->v[i]);
        }
    if (st != PAT_OK) matrix_free(x), matrix_free(y);
    pat_dataset_close(ds);
    return st;
}

enum pat_status cli_rows_transform(const char *path, const char **transform,
                                   struct pat_err *err) {
    *transform = "none";
    if (!cli_is_dataset(path)) return PAT_OK;
    struct pat_dataset *ds = NULL;
    enum pat_status st = pat_dataset_open(path, &ds, err);
    if (st != PAT_OK) return st;
    const char *tr = pat_dataset_meta_get(ds, "transform");
    if (tr && strcmp(tr, "log1p") == 0) *transform = "log1p";
    else if (tr && strcmp(tr, "none") != 0) {
        err->status = st = PAT_ERR_FORMAT;
        snprintf(err->msg, sizeof err->msg, "%s: unknown row transform '%.40s'", path, tr);
    }
    pat_dataset_close(ds);
    return st;
}

enum pat_status cli_apply_log1p(struct matrix *x, const char *path, struct pat_err *err) {
    for (size_t i = 0; i < x->rows * x->cols; i++) {
        if (!(x->v[i] > -1.0f)) {
            err->status = PAT_ERR_NUMERIC;
            snprintf(err->msg, sizeof err->msg,
                     "%s: row %zu, column %zu is %g: the model takes log(1 + x) of its "
                     "inputs, which needs x > -1", path, i / x->cols + 1, i % x->cols + 1,
                     (double)x->v[i]);
            return PAT_ERR_NUMERIC;
        }
        x->v[i] = log1pf(x->v[i]);
    }
    return PAT_OK;
}

enum pat_status cli_rows_for_model(struct matrix *x, const char *rows_tr,
                                   const struct pat_model *m, const char *path,
                                   const char *model_path, struct pat_err *err) {
    const char *model_tr = pat_model_input_transform(m);
    if (strcmp(rows_tr, model_tr) == 0) return PAT_OK;
    if (strcmp(rows_tr, "none") == 0) return x ? cli_apply_log1p(x, path, err) : PAT_OK;
    err->status = PAT_ERR_USAGE;
    snprintf(err->msg, sizeof err->msg,
             "%s: rows were stored after %s, but %s takes untransformed minutes "
             "(pat.input_transform %s): use a model trained on such rows, or rebuild the "
             "dataset without --%s", path, rows_tr, model_path, model_tr, rows_tr);
    return PAT_ERR_USAGE;
}
