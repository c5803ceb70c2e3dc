/* labels_file.c - label files with a header, as pat data export --labels
 * writes them (id,start,label,split,fold,valid_minutes; NA = no label):
 * every command that takes labels reads these as well as one label per
 * line (cli_load_labels). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int cli_labels_have_header(const char *path) {
    FILE *f = fopen(path, "r");
    char head[8] = {0};
    if (!f) return 0;
    size_t n = fread(head, 1, 3, f);
    fclose(f);
    return n == 3 && memcmp(head, "id,", 3) == 0;
}

void cli_ids_free(char **ids, size_t n) {
    for (size_t i = 0; ids && i < n; i++) free(ids[i]);
    free(ids);
}

/* Column index of name in the header line (modified), or -1. */
static int column(char *header, const char *name) {
    int k = 0;
    for (char *tok = strtok(header, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), k++)
        if (strcmp(tok, name) == 0) return k;
    return -1;
}

/* Field k of line (modified): NUL-terminated, or NULL when missing. */
static char *field(char *line, int k) {
    char *p = line;
    for (int i = 0; i < k && p; i++) {
        p = strchr(p, ',');
        if (p) p++;
    }
    if (!p) return NULL;
    p[strcspn(p, ",\r\n")] = '\0';
    return p;
}

static enum pat_status parse_label(const char *path, size_t line, const char *s, int allow_na,
                                   float *out, struct pat_err *err) {
    if (!*s || strcmp(s, "NA") == 0) {
        if (allow_na) return *out = NAN, PAT_OK;
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: no label (NA): training and evaluation "
                        "need 0 or 1 on every row", path, line);
    }
    char *end;
    double v = strtod(s, &end);
    if (*end || (v != 0.0 && v != 1.0))
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: label '%.40s' is not 0 or 1", path, line, s);
    *out = (float)v;
    return PAT_OK;
}

/* Grow the outputs to hold row n. */
static int grow_rows(struct matrix *y, char ***ids, size_t n, size_t *cap) {
    if (n < *cap) return 1;
    size_t c = *cap ? 2 * *cap : 256;
    float *g = realloc(y->v, c * sizeof *g);
    if (g) y->v = g;
    char **h = g && ids ? realloc(*ids, c * sizeof *h) : NULL;
    if (h) *ids = h;
    if (!g || (ids && !h)) return 0;
    *cap = c;
    return 1;
}

enum pat_status cli_load_labels_with_ids(const char *path, size_t expect_rows,
                                         const char *x_path, int allow_na, struct matrix *y,
                                         char ***ids, struct pat_err *err) {
    memset(y, 0, sizeof *y);
    if (ids) *ids = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return pat_fail(err, PAT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char line[4096];
    int id_col = -1, label_col = -1;
    if (fgets(line, sizeof line, f)) {
        char copy[sizeof line];
        memcpy(copy, line, sizeof line);
        id_col = column(line, "id");
        label_col = column(copy, "label");
    }
    enum pat_status st = id_col < 0 || label_col < 0
        ? pat_fail(err, PAT_ERR_FORMAT, "%s: the header has no id and label columns", path)
        : PAT_OK;
    size_t cap = 0, no = 1;
    while (st == PAT_OK && fgets(line, sizeof line, f)) {
        no++;
        if (line[0] == '\n' || line[0] == '\r') continue;
        char copy[sizeof line];
        memcpy(copy, line, sizeof line);
        char *id = field(line, id_col), *lab = field(copy, label_col);
        if (!id || !lab || !*id) {
            st = pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: missing id or label", path, no);
            break;
        }
        if (!grow_rows(y, ids, y->rows, &cap)) {
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory reading %s", path);
            break;
        }
        st = parse_label(path, no, lab, allow_na, &y->v[y->rows], err);
        if (st == PAT_OK && ids && !((*ids)[y->rows] = pat_strdup(id)))
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory reading %s", path);
        if (st == PAT_OK) y->rows++;
    }
    y->cols = 1;
    fclose(f);
    if (st == PAT_OK && y->rows != expect_rows)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s has %zu labels but %s has %zu rows", path,
                      y->rows, x_path, expect_rows);
    if (st != PAT_OK) {
        if (ids) cli_ids_free(*ids, y->rows), *ids = NULL;
        matrix_free(y);
    }
    return st;
}

enum pat_status cli_dataset_row_ids(const char *path, int split, size_t n, char ***ids,
                                    struct pat_err *err) {
    struct pat_dataset *ds = NULL;
    *ids = NULL;
    enum pat_status st = pat_dataset_open(path, &ds, err);
    if (st != PAT_OK) return st;
    char **v = pat_calloc(n ? n : 1, sizeof *v);
    size_t k = 0;
    if (!v) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == PAT_OK && i < pat_dataset_rows(ds) && k < n; i++) {
        if (isnan(pat_dataset_label(ds, i))) continue;
        if (split >= 0 && (int)pat_dataset_split(ds, i) != split) continue;
        if (!(v[k++] = pat_strdup(pat_dataset_id(ds, i))))
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    if (st == PAT_OK && k != n)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: %zu labelled rows found, %zu expected", path, k, n);
    pat_dataset_close(ds);
    if (st != PAT_OK) cli_ids_free(v, n);
    else *ids = v;
    return st;
}
