/* series_csv.c - Depresjon, timestamp and one-value-per-line CSV readers
 * (series_csv.h). Each data line becomes one pat_series_push. */
#include "data/series_csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/clock.h"
#include "data/files.h"
#include "data/lines.h"
#include "util.h"

struct reader {
    struct pat_lines L;
    const struct pat_csv_series_params *p;
    enum pat_csv_layout layout;
    struct pat_series *s;
    size_t values; /* data lines so far (values layout) */
};

const char *pat_layout_name(enum pat_csv_layout layout) {
    switch (layout) {
    case PAT_LAYOUT_AUTO: return "auto";
    case PAT_LAYOUT_DEPRESJON: return "depresjon";
    case PAT_LAYOUT_TIMESTAMP: return "timestamp";
    case PAT_LAYOUT_VALUES: return "values";
    }
    return "?";
}

int pat_layout_parse(const char *name) {
    for (int k = PAT_LAYOUT_AUTO; k <= PAT_LAYOUT_VALUES; k++)
        if (strcmp(name, pat_layout_name((enum pat_csv_layout)k)) == 0) return k;
    return -1;
}

static enum pat_status bad(struct reader *r, enum pat_status st, const char *what,
                           const char *field, struct pat_err *err) {
    return pat_fail(err, st, "%s:%zu: %s '%.40s'", r->L.path, r->L.line, what, field);
}

/* Timestamp field -> wall-clock minute; whole minutes only. */
static enum pat_status timestamp(struct reader *r, const char *f, int64_t *t,
                                 struct pat_err *err) {
    int sec;
    if (!pat_parse_timestamp(f, strlen(f), t, &sec))
        return bad(r, PAT_ERR_FORMAT, "not a timestamp (YYYY-MM-DD HH:MM[:SS]):", f, err);
    if (sec != 0)
        return bad(r, PAT_ERR_FORMAT, "timestamp is not on a whole minute:", f, err);
    return PAT_OK;
}

/* Value field (1-based column col) -> value and state; NA allowed when
 * allow_na. A bad value names the file, line and column. */
static enum pat_status value(struct reader *r, const char *f, size_t col, int allow_na,
                             float *v, enum pat_minute_state *state, struct pat_err *err) {
    double d = 0;
    int k = pat_parse_value(f, &d);
    if (k < 0)
        return pat_fail(err, k == -2 ? PAT_ERR_NUMERIC : PAT_ERR_FORMAT,
                        "%s:%zu: value is not a %snumber: '%.40s' (column %zu)", r->L.path,
                        r->L.line, k == -2 ? "finite " : "", f, col);
    if (k == 0 && !allow_na)
        return bad(r, PAT_ERR_FORMAT, "missing value (NA or empty) not allowed here:", f, err);
    *v = k == 1 ? (float)d : NAN;
    *state = k == 1 ? PAT_MIN_VALID : PAT_MIN_MISSING;
    return PAT_OK;
}

static enum pat_status push(struct reader *r, int64_t t, float v, enum pat_minute_state st,
                            struct pat_err *err) {
    return pat_series_push(r->s, &r->p->rules, t, v, st, r->L.path, r->L.line, err);
}

static enum pat_status depresjon_line(struct reader *r, char **f, size_t nf,
                                      struct pat_err *err) {
    int64_t t, day;
    float v;
    enum pat_minute_state st;
    if (nf != 3)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected 3 "
                        "(timestamp,date,activity)", r->L.path, r->L.line, nf);
    enum pat_status s = timestamp(r, f[0], &t, err);
    if (s != PAT_OK) return s;
    if (!pat_parse_date(f[1], strlen(f[1]), &day))
        return bad(r, PAT_ERR_FORMAT, "not a date (YYYY-MM-DD):", f[1], err);
    if (day != pat_floor_div(t, PAT_MINUTES_PER_DAY) * PAT_MINUTES_PER_DAY)
        return bad(r, PAT_ERR_FORMAT, "date does not match the timestamp:", f[1], err);
    if ((s = value(r, f[2], 3, 0, &v, &st, err)) != PAT_OK) return s;
    if (v < 0) return bad(r, PAT_ERR_FORMAT, "negative activity count:", f[2], err);
    return push(r, t, v, st, err);
}

static enum pat_status timestamp_line(struct reader *r, char **f, size_t nf,
                                      struct pat_err *err) {
    int64_t t;
    float v;
    enum pat_minute_state st;
    if (nf != 2)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected 2 (timestamp,value)",
                        r->L.path, r->L.line, nf);
    enum pat_status s = timestamp(r, f[0], &t, err);
    if (s == PAT_OK) s = value(r, f[1], 2, 1, &v, &st, err);
    return s == PAT_OK ? push(r, t, v, st, err) : s;
}

static enum pat_status values_line(struct reader *r, char **f, size_t nf, struct pat_err *err) {
    float v;
    enum pat_minute_state st;
    if (nf != 1)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected 1 value per line",
                        r->L.path, r->L.line, nf);
    enum pat_status s = value(r, f[0], 1, 1, &v, &st, err);
    if (s != PAT_OK) return s;
    return push(r, r->p->start + (int64_t)r->values++, v, st, err);
}

static int is_depresjon_header(char **f, size_t nf) {
    return nf == 3 && pat_str_ieq(f[0], "timestamp") && pat_str_ieq(f[1], "date") &&
           pat_str_ieq(f[2], "activity");
}

/* Decide the layout from the first line; *header is 1 when it is a header. */
static enum pat_status first_line(struct reader *r, char **f, size_t nf, int *header,
                                  struct pat_err *err) {
    int64_t t;
    int sec;
    double d;
    int is_ts = pat_parse_timestamp(f[0], strlen(f[0]), &t, &sec);
    int is_num = pat_parse_value(f[0], &d) >= 0;
    enum pat_csv_layout l = r->p->layout;
    if (l == PAT_LAYOUT_AUTO) {
        if (is_depresjon_header(f, nf)) l = PAT_LAYOUT_DEPRESJON;
        else if (nf == 1) l = PAT_LAYOUT_VALUES;
        else l = PAT_LAYOUT_TIMESTAMP;
    }
    r->layout = l;
    if (l == PAT_LAYOUT_DEPRESJON) {
        *header = 1;
        if (!is_depresjon_header(f, nf))
            return pat_fail(err, PAT_ERR_FORMAT, "%s:1: expected the header "
                            "'timestamp,date,activity'", r->L.path);
        return PAT_OK;
    }
    *header = l == PAT_LAYOUT_TIMESTAMP ? !is_ts : !is_num;
    return PAT_OK;
}

static enum pat_status read_lines(struct reader *r, struct pat_err *err) {
    char *text, *f[4];
    int first = 1;
    for (;;) {
        enum pat_status st = pat_lines_next(&r->L, &text, err);
        if (st != PAT_OK || !text) return st;
        size_t nf = pat_fields(text, f, 4);
        if (first) {
            int header = 0;
            first = 0;
            if ((st = first_line(r, f, nf, &header, err)) != PAT_OK) return st;
            if (header) continue;
        }
        if (r->layout == PAT_LAYOUT_DEPRESJON) st = depresjon_line(r, f, nf, err);
        else if (r->layout == PAT_LAYOUT_TIMESTAMP) st = timestamp_line(r, f, nf, err);
        else st = values_line(r, f, nf, err);
        if (st != PAT_OK) return st;
    }
}

enum pat_status pat_series_read_csv(const char *path, const char *id,
                                    const struct pat_csv_series_params *p,
                                    struct pat_series *s, struct pat_err *err) {
    struct reader r = {.p = p, .s = s};
    enum pat_status st = pat_series_init(s, id, err);
    if (st != PAT_OK) return st;
    st = pat_lines_open(&r.L, path, err);
    if (st == PAT_OK) st = read_lines(&r, err);
    if (st == PAT_OK && s->n == 0)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: no data rows", path);
    pat_lines_close(&r.L);
    if (st != PAT_OK) pat_series_free(s);
    return st;
}

static enum pat_status read_one(const char *path, const struct pat_csv_series_params *p,
                                pat_series_fn fn, void *ctx, size_t *count,
                                struct pat_err *err) {
    char id[256];
    struct pat_series s;
    pat_path_stem(path, id, sizeof id);
    enum pat_status st = pat_series_read_csv(path, id, p, &s, err);
    if (st != PAT_OK) return st;
    st = fn(ctx, &s, err);
    pat_series_free(&s);
    (*count)++;
    return st;
}

enum pat_status pat_csv_dir_list(const char *dir, char ***paths, size_t *n, struct pat_err *err) {
    enum pat_status st = pat_list_files(dir, "", ".csv", paths, n, err);
    if (st == PAT_OK && *n == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no .csv files", dir);
    for (size_t i = 0; st == PAT_OK && i < *n; i++) {
        char *path = pat_path_join(dir, (*paths)[i]);
        if (!path) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        else free((*paths)[i]), (*paths)[i] = path;
    }
    if (st != PAT_OK) {
        pat_names_free(*paths, *n);
        *paths = NULL, *n = 0;
    }
    return st;
}

static enum pat_status read_dir(const char *dir, const struct pat_csv_series_params *p,
                                pat_series_fn fn, void *ctx, size_t *count,
                                struct pat_err *err) {
    char **paths;
    size_t n;
    enum pat_status st = pat_csv_dir_list(dir, &paths, &n, err);
    for (size_t i = 0; st == PAT_OK && i < n; i++) st = read_one(paths[i], p, fn, ctx, count, err);
    pat_names_free(paths, n);
    return st;
}

enum pat_status pat_csv_files_read(const char *const *paths, size_t n,
                                   const struct pat_csv_series_params *p, pat_series_fn fn,
                                   void *ctx, size_t *count, struct pat_err *err) {
    enum pat_status st = PAT_OK;
    *count = 0;
    for (size_t i = 0; st == PAT_OK && i < n; i++)
        st = pat_is_dir(paths[i]) ? read_dir(paths[i], p, fn, ctx, count, err)
                                  : read_one(paths[i], p, fn, ctx, count, err);
    return st;
}
