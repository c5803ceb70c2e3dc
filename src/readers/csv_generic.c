/* csv_generic.c - a forgiving timestamped CSV: one participant per file
 * (id = file stem), a time column (one date-time field, or a date field
 * followed by a time field), a value column chosen by name or the only
 * numeric one; rows of any regular epoch (docs/data.md "Generic CSV"). */
#include <stdlib.h>
#include <string.h>

#include "data/files.h"
#include "readers/fields.h"
#include "readers/readers.h"
#include "readers/table.h"
#include "util.h"

struct generic {
    const char *path;
    const struct pat_read_options *o;
    char sep;
    struct pat_header head;
    int rows;        /* rows seen (header included) */
    int have_cols;
    int tcol, tcol2; /* time column; tcol2 >= 0: a separate time-of-day column */
    int vcol;
    struct pat_series s;
    struct pat_epochs e;
};

static int is_datetime(const char *f, enum pat_date_order order) {
    int64_t ms;
    return strlen(f) >= 8 && pat_when_datetime(f, strlen(f), order, &ms) != PAT_WHEN_BAD;
}

static int is_date(const char *f, enum pat_date_order order) {
    int64_t d;
    return pat_when_date(f, strlen(f), order, &d) != PAT_WHEN_BAD;
}

static int is_time(const char *f) {
    int64_t ms;
    return pat_when_time(f, strlen(f), &ms) == PAT_WHEN_OK;
}

/* Time column(s) of the first data row. */
static enum pat_status find_time(struct generic *g, char **f, size_t nf, size_t line,
                                 struct pat_err *err) {
    enum pat_date_order ord = g->o->date_order;
    g->tcol2 = -1;
    if (g->o->time_col) {
        g->tcol = pat_header_find(&g->head, g->o->time_col);
        if (g->tcol < 0)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: no column named '%s' (--time-col)",
                            g->path, g->o->time_col);
    } else {
        g->tcol = -1;
        for (size_t i = 0; i < nf && g->tcol < 0; i++)
            if (is_datetime(f[i], ord) || is_date(f[i], ord)) g->tcol = (int)i;
        if (g->tcol < 0)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: no column holds a date and time "
                            "(YYYY-MM-DD HH:MM[:SS], ISO 8601 or --date-format mdy|dmy dates)",
                            g->path, line);
    }
    if (!is_datetime(f[g->tcol], ord) && (size_t)g->tcol + 1 < nf && is_time(f[g->tcol + 1]))
        g->tcol2 = g->tcol + 1;
    return PAT_OK;
}

/* Value column: named, or the only numeric one besides the time. */
static enum pat_status find_value(struct generic *g, char **f, size_t nf, size_t line,
                                  struct pat_err *err) {
    double v;
    if (g->o->value_col) {
        g->vcol = pat_header_find(&g->head, g->o->value_col);
        if (g->vcol < 0) {
            char names[300];
            pat_header_list(&g->head, names, sizeof names);
            return pat_fail(err, PAT_ERR_FORMAT, "%s: no column named '%s' (--value-col); the "
                            "columns are %s", g->path, g->o->value_col,
                            g->head.n ? names : "unnamed (no header line)");
        }
        return PAT_OK;
    }
    size_t found = 0;
    for (size_t i = 0; i < nf; i++) {
        if ((int)i == g->tcol || (int)i == g->tcol2) continue;
        if (pat_number(f[i], g->sep, &v) == 1) {
            if (!found) g->vcol = (int)i;
            found++;
        }
    }
    if (found == 1) return PAT_OK;
    char names[300];
    pat_header_list(&g->head, names, sizeof names);
    if (!found)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: no numeric value column in the first "
                        "data row (name one with --value-col)", g->path, line);
    return pat_fail(err, PAT_ERR_FORMAT, "%s: %zu numeric columns; choose one with --value-col "
                    "NAME (columns: %s)", g->path, found, g->head.n ? names : "no header");
}

static enum pat_status row_time(struct generic *g, char **f, size_t line, int64_t *t,
                                struct pat_err *err) {
    enum pat_date_order ord = g->o->date_order;
    const char *a = f[g->tcol];
    enum pat_when w;
    if (g->tcol2 >= 0) {
        int64_t day, ms;
        w = pat_when_date(a, strlen(a), ord, &day);
        if (w == PAT_WHEN_OK) {
            if (pat_when_time(f[g->tcol2], strlen(f[g->tcol2]), &ms) != PAT_WHEN_OK)
                return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: not a time of day: '%.40s'",
                                g->path, line, f[g->tcol2]);
            *t = day * 86400000 + ms;
        }
    } else {
        w = pat_when_datetime(a, strlen(a), ord, t);
    }
    if (w == PAT_WHEN_DAY_FIRST)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: '%.40s' is not a month-first date; "
                        "give --date-format dmy for day-first dates", g->path, line, a);
    if (w != PAT_WHEN_OK)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: not a date and time: '%.40s'", g->path,
                        line, a);
    return PAT_OK;
}

static enum pat_status on_row(void *ctx, char **f, size_t nf, size_t line, struct pat_err *err) {
    struct generic *g = ctx;
    enum pat_status st;
    if (g->rows++ == 0) {
        int any_time = 0;
        for (size_t i = 0; i < nf; i++) any_time |= is_datetime(f[i], g->o->date_order);
        if (!any_time) return pat_header_set(&g->head, f, nf, err);
    }
    if (!g->have_cols) {
        if ((st = find_time(g, f, nf, line, err)) != PAT_OK) return st;
        if ((st = find_value(g, f, nf, line, err)) != PAT_OK) return st;
        g->have_cols = 1;
    }
    int need = g->vcol > g->tcol ? g->vcol : g->tcol;
    if (g->tcol2 > need) need = g->tcol2;
    if ((size_t)need >= nf)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected at least %d", g->path,
                        line, nf, need + 1);
    int64_t t;
    double v = 0;
    if ((st = row_time(g, f, line, &t, err)) != PAT_OK) return st;
    int k = pat_number(f[g->vcol], g->sep, &v);
    if (k < 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: value is not a number: '%.40s' (column "
                        "%d)", g->path, line, f[g->vcol], g->vcol + 1);
    return pat_epochs_push(&g->e, t, v, k ? PAT_MIN_VALID : PAT_MIN_MISSING, line, err);
}

enum pat_status pat_read_csv_generic(const char *path, const struct pat_read_options *o,
                                     pat_series_fn fn, void *ctx, size_t *count,
                                     struct pat_err *err) {
    struct generic *g = calloc(1, sizeof *g);
    if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    char id[256];
    pat_path_stem(path, id, sizeof id);
    g->path = path;
    g->o = o;
    enum pat_status st = pat_series_init(&g->s, id, err);
    pat_epochs_begin(&g->e, &g->s, &o->rules, o->agg, PAT_EPOCH_INFER, path);
    if (st == PAT_OK) st = pat_table_read(path, 0, on_row, g, &g->sep, err);
    if (st == PAT_OK) st = pat_epochs_end(&g->e, err);
    if (st == PAT_OK && g->s.n == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no data rows", path);
    if (st == PAT_OK) st = pat_emit(&g->s, fn, ctx, count, err);
    pat_series_free(&g->s);
    pat_header_free(&g->head);
    free(g);
    return st;
}
