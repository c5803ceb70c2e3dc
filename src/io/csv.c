/* csv.c - streaming reader of numeric CSV matrices (see csv.h). */
#include "csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/decimal.h"
#include "util.h"

#define CSV_MAX_COLS ((size_t)1 << 26) /* values per row; 64M minutes */

struct pat_csv_reader {
    FILE *f;
    int owns_file;
    char *path;
    char *line; /* getline buffer */
    size_t line_cap;
    float *values;
    size_t cap;
    size_t first_cols; /* length of row 1; 0 before it */
    size_t row;        /* rows returned so far */
};

enum pat_status pat_csv_open(const char *path, struct pat_csv_reader **out,
                             struct pat_err *err) {
    *out = NULL;
    struct pat_csv_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = pat_strdup(path))) {
        free(r);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory opening %s", path);
    }
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
    } else {
        r->owns_file = 1;
        enum pat_status st = pat_open_input(path, &r->f, err);
        if (st != PAT_OK) {
            pat_csv_close(r);
            return st;
        }
    }
    *out = r;
    return PAT_OK;
}

enum pat_status pat_csv_open_stream(FILE *f, const char *name, struct pat_csv_reader **out,
                                    struct pat_err *err) {
    *out = NULL;
    struct pat_csv_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = pat_strdup(name))) {
        free(r);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory opening %s", name);
    }
    r->f = f;
    *out = r;
    return PAT_OK;
}

void pat_csv_close(struct pat_csv_reader *r) {
    if (!r) return;
    if (r->owns_file && r->f) fclose(r->f);
    free(r->path);
    free(r->line);
    free(r->values);
    free(r);
}

size_t pat_csv_row_number(const struct pat_csv_reader *r) { return r->row; }

static int push_value(struct pat_csv_reader *r, size_t n, float v) {
    if (n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        float *g = cap <= CSV_MAX_COLS ? realloc(r->values, cap * sizeof *g) : NULL;
        if (!g) return 0;
        r->values = g;
        r->cap = cap;
    }
    r->values[n] = v;
    return 1;
}

/* Parse one field starting at *p; advances *p past it. Values are rounded
 * to float32 as strtof rounds them (io/decimal.h). */
static enum pat_status parse_field(struct pat_csv_reader *r, char **p, size_t col, float *v,
                                   struct pat_err *err) {
    char *s = *p, *end;
    while (*s == ' ' || *s == '\t') s++;
    const float f = pat_parse_float(s, &end);
    char *after = end;
    while (*after == ' ' || *after == '\t') after++;
    if (end == s || (*after != ',' && *after != '\0')) {
        const size_t len = strcspn(s, ",");
        if (r->row == 1 && isalpha((unsigned char)*s))
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: row 1, column %zu: '%.*s' is not a number: this reader takes one "
                            "sequence of numbers per row, no header; a raw recording (such as "
                            "Depresjon's timestamp,date,activity) goes through 'pat data build' "
                            "first (or 'pat score')",
                            r->path, col, (int)(len > 40 ? 40 : len), s);
        return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu, column %zu: '%.*s' is not a number",
                        r->path, r->row, col, (int)(len > 40 ? 40 : len), s);
    }
    if (!isfinite(f)) {
        const size_t len = strcspn(s, ",");
        return pat_fail(err, PAT_ERR_NUMERIC,
                        "%s: row %zu, column %zu: '%.*s' is not a finite float32 number",
                        r->path, r->row, col, (int)(len > 40 ? 40 : len), s);
    }
    *v = f;
    *p = after;
    return PAT_OK;
}

/* Split r->line into values; returns the count in *n. */
static enum pat_status parse_line(struct pat_csv_reader *r, size_t *n, struct pat_err *err) {
    char *p = r->line;
    size_t count = 0;
    for (;;) {
        float v = 0.0f;
        enum pat_status st = parse_field(r, &p, count + 1, &v, err);
        if (st != PAT_OK) return st;
        if (!push_value(r, count, v))
            return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu has more than %zu values",
                            r->path, r->row, CSV_MAX_COLS);
        count++;
        if (*p != ',') break;
        p++;
    }
    *n = count;
    return PAT_OK;
}

static void strip_newline(char *line, ssize_t *len) {
    while (*len > 0 && (line[*len - 1] == '\n' || line[*len - 1] == '\r')) line[--*len] = 0;
}

enum pat_status pat_csv_next(struct pat_csv_reader *r, const float **row, size_t *cols,
                             struct pat_err *err) {
    *row = NULL;
    *cols = 0;
    errno = 0;
    ssize_t len = getline(&r->line, &r->line_cap, r->f);
    if (len < 0) {
        if (ferror(r->f))
            return pat_fail(err, PAT_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
        if (r->row == 0) return pat_fail(err, PAT_ERR_FORMAT, "%s: no rows", r->path);
        return PAT_OK;
    }
    r->row++;
    if (memchr(r->line, '\0', (size_t)len))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu contains a NUL byte", r->path,
                        r->row);
    strip_newline(r->line, &len);
    if (r->row == 1 && len >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
        memmove(r->line, r->line + 3, (size_t)len - 2);
        len -= 3;
    }
    if (memchr(r->line, '\r', (size_t)len))
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: row %zu: CR line endings (lines end with a bare carriage return, "
                        "as in old Mac files): convert them to LF", r->path, r->row);
    if (len == 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu is empty", r->path, r->row);
    size_t n = 0;
    enum pat_status st = parse_line(r, &n, err);
    if (st != PAT_OK) return st;
    if (r->first_cols == 0) r->first_cols = n;
    if (n != r->first_cols)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu has %zu values, expected %zu (as row 1)",
                        r->path, r->row, n, r->first_cols);
    *row = r->values;
    *cols = n;
    return PAT_OK;
}
