/* actilife.c - ActiGraph ActiLife CSV exports (docs/data.md "ActiLife CSV").
 *
 * The export starts with a 10-line header block framed by dashed lines
 * (device, firmware and "date format ..." on the first line; Serial Number,
 * Start Time, Start Date, Epoch Period (hh:mm:ss), download time and date,
 * memory address, battery voltage), then an optional column header
 * (Date,Time,Axis1,Axis2,Axis3,Steps,Lux,Inclinometer ...,Vector Magnitude)
 * and one row per epoch. Without Date/Time columns, epoch k starts at the
 * header's start + k epochs. Files without the header block are read when
 * they have the column header with Date and Time. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/files.h"
#include "readers/fields.h"
#include "readers/readers.h"
#include "readers/table.h"
#include "util.h"

enum stage { FIRST, HEADER, COLUMNS, DATA };

struct actilife {
    const char *path;
    const struct pat_read_options *o;
    enum stage stage;
    enum pat_date_order order; /* from the header's "date format" */
    int64_t start_day, start_ms, epoch_s;
    int have_day, have_time;
    struct pat_header head;
    int date_col, time_col, vcol;
    size_t epochs;             /* data rows so far */
    struct pat_series s;
    struct pat_epochs e;
    int begun;
};

static const char *after(const char *s, const char *key) {
    size_t n = strlen(key);
    if (strncasecmp(s, key, n) != 0) return NULL;
    s += n;
    while (*s == ' ' || *s == ':') s++;
    return s;
}

/* "date format M/d/yyyy" on the first line. */
static enum pat_date_order header_order(const char *line) {
    const char *p = strstr(line, "date format ");
    if (!p) return PAT_DATE_AUTO;
    p += strlen("date format ");
    const char *m = strpbrk(p, "M"), *d = strpbrk(p, "d"), *y = strpbrk(p, "y");
    if (!m || !d || !y) return PAT_DATE_AUTO;
    if (y < m && y < d) return PAT_DATE_YMD;
    return d < m ? PAT_DATE_DMY : PAT_DATE_MDY;
}

static enum pat_status header_line(struct actilife *a, const char *f, size_t line,
                                   struct pat_err *err) {
    const char *v;
    int64_t ms;
    if ((v = after(f, "Start Time"))) {
        if (pat_when_time(v, strlen(v), &a->start_ms) != PAT_WHEN_OK) goto bad;
        a->have_time = 1;
    } else if ((v = after(f, "Start Date"))) {
        if (pat_when_date(v, strlen(v), a->order, &a->start_day) != PAT_WHEN_OK) goto bad;
        a->have_day = 1;
    } else if ((v = after(f, "Epoch Period (hh:mm:ss)"))) {
        if (pat_when_time(v, strlen(v), &ms) != PAT_WHEN_OK || ms < 1000 || ms % 1000) goto bad;
        a->epoch_s = ms / 1000;
        if (a->epoch_s < 60 ? 60 % a->epoch_s != 0 : a->epoch_s % 60 != 0)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: epoch of %lld s neither divides nor "
                            "is a multiple of a minute", a->path, line, (long long)a->epoch_s);
    }
    return PAT_OK;
bad:
    return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: cannot read the header line '%.60s'", a->path,
                    line, f);
}

static int has_letters(const char *s) {
    for (; *s; s++)
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) return 1;
    return 0;
}

/* The value column: --value-col, else Vector Magnitude, else Axis1. */
static enum pat_status choose_value(struct actilife *a, struct pat_err *err) {
    const char *want = a->o->value_col;
    if (want && (strcasecmp(want, "vm") == 0)) want = "Vector Magnitude";
    if (want) a->vcol = pat_header_find(&a->head, want);
    else if ((a->vcol = pat_header_find(&a->head, "Vector Magnitude")) < 0)
        a->vcol = pat_header_find(&a->head, "Axis1");
    if (a->vcol >= 0) return PAT_OK;
    char names[300];
    pat_header_list(&a->head, names, sizeof names);
    return pat_fail(err, PAT_ERR_FORMAT, "%s: no column %s (columns: %s)", a->path,
                    want ? want : "Vector Magnitude or Axis1", names);
}

/* Column names of a file without a column header line. */
static enum pat_status positional(struct actilife *a, char **f, size_t nf, struct pat_err *err) {
    static char *const with_time[] = {"Date", "Time", "Axis1", "Axis2", "Axis3", "Steps", "Lux"};
    static char *const counts[] = {"Axis1", "Axis2", "Axis3", "Steps", "Lux"};
    int64_t d;
    int dated = nf >= 3 && pat_when_date(f[0], strlen(f[0]), a->order, &d) != PAT_WHEN_BAD;
    char *const *names = dated ? with_time : counts;
    size_t n = dated ? 7 : 5;
    return pat_header_set(&a->head, (char **)names, nf < n ? nf : n, err);
}

static enum pat_status data_row(struct actilife *a, char **f, size_t nf, size_t line,
                                struct pat_err *err);

/* The column header, or (a file without one) the first data row. */
static enum pat_status columns(struct actilife *a, char **f, size_t nf, size_t line,
                               struct pat_err *err) {
    int named = has_letters(f[0]);
    enum pat_status st = named ? pat_header_set(&a->head, f, nf, err) : positional(a, f, nf, err);
    if (st != PAT_OK) return st;
    a->date_col = pat_header_find(&a->head, "Date");
    a->time_col = pat_header_find(&a->head, "Time");
    if ((a->date_col < 0) != (a->time_col < 0))
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: a Date column needs a Time column",
                        a->path, line);
    if (a->date_col < 0 && !(a->have_day && a->have_time && a->epoch_s))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: no Date/Time columns and no Start Date, Start "
                        "Time and Epoch Period in the header", a->path);
    if ((st = choose_value(a, err)) != PAT_OK) return st;
    pat_epochs_begin(&a->e, &a->s, &a->o->rules, a->o->agg,
                     a->epoch_s ? a->epoch_s : PAT_EPOCH_INFER, a->path);
    a->begun = 1;
    a->stage = DATA;
    return named ? PAT_OK : data_row(a, f, nf, line, err);
}

static enum pat_status data_row(struct actilife *a, char **f, size_t nf, size_t line,
                                struct pat_err *err) {
    int need = a->vcol > a->time_col ? a->vcol : a->time_col;
    if (a->date_col > need) need = a->date_col;
    if ((size_t)need >= nf)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected %zu", a->path, line, nf,
                        a->head.n);
    int64_t t;
    if (a->date_col >= 0) {
        int64_t day, ms;
        const char *d = f[a->date_col], *tm = f[a->time_col];
        if (pat_when_date(d, strlen(d), a->order, &day) != PAT_WHEN_OK ||
            pat_when_time(tm, strlen(tm), &ms) != PAT_WHEN_OK)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: not a date and time: '%.30s' '%.20s'",
                            a->path, line, d, tm);
        t = day * 86400000 + ms;
    } else {
        t = a->start_day * 86400000 + a->start_ms + (int64_t)a->epochs * a->epoch_s * 1000;
    }
    a->epochs++;
    double v = 0;
    int k = pat_number(f[a->vcol], ',', &v);
    if (k < 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %s is not a number: '%.40s'", a->path,
                        line, a->head.name[a->vcol], f[a->vcol]);
    return pat_epochs_push(&a->e, t, v, k ? PAT_MIN_VALID : PAT_MIN_MISSING, line, err);
}

static enum pat_status on_row(void *ctx, char **f, size_t nf, size_t line, struct pat_err *err) {
    struct actilife *a = ctx;
    switch (a->stage) {
    case FIRST:
        if (strncmp(f[0], "---", 3) == 0) {
            a->order = a->o->date_order ? a->o->date_order : header_order(f[0]);
            a->stage = HEADER;
            return PAT_OK;
        }
        a->stage = COLUMNS;
        return columns(a, f, nf, line, err);
    case HEADER:
        if (strncmp(f[0], "---", 3) == 0) {
            a->stage = COLUMNS;
            return PAT_OK;
        }
        return header_line(a, f[0], line, err);
    case COLUMNS: return columns(a, f, nf, line, err);
    case DATA: return data_row(a, f, nf, line, err);
    }
    return PAT_OK;
}

enum pat_status pat_read_actilife_csv(const char *path, const struct pat_read_options *o,
                                      pat_series_fn fn, void *ctx, size_t *count,
                                      struct pat_err *err) {
    struct actilife *a = calloc(1, sizeof *a);
    if (!a) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    char id[256];
    pat_path_stem(path, id, sizeof id);
    a->path = path;
    a->o = o;
    a->order = o->date_order;
    enum pat_status st = pat_series_init(&a->s, id, err);
    if (st == PAT_OK) st = pat_table_read(path, ',', on_row, a, NULL, err);
    if (st == PAT_OK && a->stage == HEADER)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: the header block does not end (a dashed line "
                      "after the tenth line)", path);
    if (st == PAT_OK && a->begun) st = pat_epochs_end(&a->e, err);
    if (st == PAT_OK && a->s.n == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no data rows", path);
    if (st == PAT_OK) st = pat_emit(&a->s, fn, ctx, count, err);
    pat_series_free(&a->s);
    pat_header_free(&a->head);
    free(a);
    return st;
}
