/* labels.c - label/covariate tables and their CSV readers (labels.h). */
#include "data/labels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/lines.h"
#include "util.h"

#define LABEL_MAX_FIELDS 256

void pat_labels_init(struct pat_labels *L) {
    memset(L, 0, sizeof *L);
    pat_idmap_init(&L->ids);
}

void pat_labels_free(struct pat_labels *L) {
    pat_idmap_free(&L->ids);
    free(L->label);
    for (size_t j = 0; j < L->C; j++) {
        free(L->cov_names[j]);
        free(L->cov[j]);
    }
    free(L->cov_names);
    free(L->cov);
    memset(L, 0, sizeof *L);
}

static float *nan_array(size_t n) {
    float *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; a && i < n; i++) a[i] = NAN;
    return a;
}

/* Grow label and covariate columns to cap rows, new entries NaN. */
static int grow_rows(struct pat_labels *L, size_t cap) {
    float *l = realloc(L->label, cap * sizeof *l);
    if (!l) return 0;
    L->label = l;
    for (size_t i = L->cap; i < cap; i++) l[i] = NAN;
    for (size_t j = 0; j < L->C; j++) {
        float *c = realloc(L->cov[j], cap * sizeof *c);
        if (!c) return 0;
        L->cov[j] = c;
        for (size_t i = L->cap; i < cap; i++) c[i] = NAN;
    }
    L->cap = cap;
    return 1;
}

enum pat_status pat_labels_row(struct pat_labels *L, const char *id, size_t *row,
                               struct pat_err *err) {
    int added;
    if (L->ids.n == L->cap && !grow_rows(L, L->cap ? L->cap * 2 : 256))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for labels");
    if (!pat_idmap_add(&L->ids, id, row, &added))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for labels");
    return PAT_OK;
}

size_t pat_labels_find(const struct pat_labels *L, const char *id) {
    return pat_idmap_find(&L->ids, id);
}

enum pat_status pat_labels_column(struct pat_labels *L, const char *name, size_t *col,
                                  struct pat_err *err) {
    for (size_t j = 0; j < L->C; j++)
        if (strcmp(L->cov_names[j], name) == 0) {
            *col = j;
            return PAT_OK;
        }
    char **names = realloc(L->cov_names, (L->C + 1) * sizeof *names);
    if (names) L->cov_names = names;
    float **cov = names ? realloc(L->cov, (L->C + 1) * sizeof *cov) : NULL;
    if (cov) L->cov = cov;
    char *copy = cov ? pat_strdup(name) : NULL;
    float *column = copy ? nan_array(L->cap) : NULL;
    if (!column) {
        free(copy);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for covariate %s", name);
    }
    L->cov_names[L->C] = copy;
    L->cov[L->C] = column;
    *col = L->C++;
    return PAT_OK;
}

/* ---- CSV readers --------------------------------------------------------- */

struct table {
    struct pat_lines L;
    size_t nf;               /* fields per line */
    size_t col[LABEL_MAX_FIELDS]; /* covariate column of field k (k >= 1) */
    struct pat_idmap seen;   /* ids of this file */
    int depresjon;
};

/* A value cell: number, NA/empty (NaN) or, in Depresjon, a band "a-b" (a). */
static enum pat_status cell(struct table *t, const char *f, const char *name, float *v,
                            struct pat_err *err) {
    double d;
    int k = pat_parse_value(f, &d);
    if (k == -1 && t->depresjon) {
        char *end;
        long lo = strtol(f, &end, 10);
        if (end != f && *end == '-' && strtol(end + 1, &end, 10) >= lo && !*end) {
            *v = (float)lo;
            return PAT_OK;
        }
    }
    if (k < 0)
        return pat_fail(err, k == -2 ? PAT_ERR_NUMERIC : PAT_ERR_FORMAT,
                        "%s:%zu: %s '%.40s' is not a %snumber", t->L.path, t->L.line, name, f,
                        k == -2 ? "finite " : "");
    *v = k == 1 ? (float)d : NAN;
    return PAT_OK;
}

static enum pat_status label_of(struct table *t, char **f, float *label, struct pat_err *err) {
    if (!t->depresjon) return cell(t, f[1], "label", label, err);
    if (strncmp(f[0], "condition_", 10) == 0) *label = 1.0f;
    else if (strncmp(f[0], "control_", 8) == 0) *label = 0.0f;
    else
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: participant '%.40s' is neither "
                        "condition_N nor control_N", t->L.path, t->L.line, f[0]);
    return PAT_OK;
}

static enum pat_status data_line(struct table *t, struct pat_labels *Ls, char **f, size_t nf,
                                 struct pat_err *err) {
    size_t row, idx;
    int added;
    float v;
    if (nf != t->nf)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected %zu", t->L.path,
                        t->L.line, nf, t->nf);
    if (!*f[0]) return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: empty id", t->L.path, t->L.line);
    if (!pat_idmap_add(&t->seen, f[0], &idx, &added))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory reading %s", t->L.path);
    if (!added)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: id '%.40s' appears a second time",
                        t->L.path, t->L.line, f[0]);
    enum pat_status st = label_of(t, f, &v, err);
    if (st == PAT_OK) st = pat_labels_row(Ls, f[0], &row, err);
    if (st != PAT_OK) return st;
    Ls->label[row] = v;
    for (size_t k = t->depresjon ? 1 : 2; k < nf; k++) {
        if ((st = cell(t, f[k], Ls->cov_names[t->col[k]], &v, err)) != PAT_OK) return st;
        Ls->cov[t->col[k]][row] = v;
    }
    return PAT_OK;
}

/* First line: a header naming covariates, or (generic only) data. */
static enum pat_status header(struct table *t, struct pat_labels *Ls, char **f, size_t nf,
                              int *is_header, struct pat_err *err) {
    double d;
    if (nf > LABEL_MAX_FIELDS || nf < 2)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:1: %zu fields, expected 2 to %d", t->L.path,
                        nf, LABEL_MAX_FIELDS);
    t->nf = nf;
    *is_header = t->depresjon || pat_parse_value(f[1], &d) < 0;
    if (!*is_header && nf != 2)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:1: covariate columns need a header line "
                        "(id,label,name...)", t->L.path);
    if (t->depresjon && !pat_str_ieq(f[0], "number"))
        return pat_fail(err, PAT_ERR_FORMAT, "%s:1: expected a header starting with 'number'",
                        t->L.path);
    for (size_t k = t->depresjon ? 1 : 2; *is_header && k < nf; k++) {
        enum pat_status st = pat_labels_column(Ls, f[k], &t->col[k], err);
        if (st != PAT_OK) return st;
    }
    return PAT_OK;
}

static enum pat_status read_table(const char *path, struct pat_labels *Ls, int depresjon,
                                  struct pat_err *err) {
    struct table t = {.depresjon = depresjon};
    char *text, *f[LABEL_MAX_FIELDS];
    pat_idmap_init(&t.seen);
    enum pat_status st = pat_lines_open(&t.L, path, err);
    for (int first = 1; st == PAT_OK; first = 0) {
        if ((st = pat_lines_next(&t.L, &text, err)) != PAT_OK) break;
        if (!text) {
            if (t.seen.n == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no data rows", path);
            break;
        }
        size_t nf = pat_fields(text, f, LABEL_MAX_FIELDS);
        int is_header = 0;
        if (first && (st = header(&t, Ls, f, nf, &is_header, err)) != PAT_OK) break;
        if (!is_header) st = data_line(&t, Ls, f, nf, err);
    }
    pat_lines_close(&t.L);
    pat_idmap_free(&t.seen);
    return st;
}

enum pat_status pat_labels_read_csv(const char *path, struct pat_labels *L,
                                    struct pat_err *err) {
    return read_table(path, L, 0, err);
}

enum pat_status pat_labels_read_depresjon(const char *path, struct pat_labels *L,
                                          struct pat_err *err) {
    return read_table(path, L, 1, err);
}
