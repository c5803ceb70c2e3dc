/* series_long.c - participants from long tables (series_long.h). */
#include "data/series_long.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/clock.h"
#include "data/lines.h"
#include "util.h"

void pat_long_begin(struct pat_long *a, const struct pat_series_rules *rules, pat_series_fn fn,
                    void *ctx) {
    memset(a, 0, sizeof *a);
    pat_idmap_init(&a->seen);
    a->rules = *rules;
    a->rules.dst = 0;
    a->fn = fn;
    a->ctx = ctx;
}

void pat_long_free(struct pat_long *a) {
    if (a->active) pat_series_free(&a->s);
    pat_idmap_free(&a->seen);
    memset(a, 0, sizeof *a);
}

static enum pat_status hand_over(struct pat_long *a, struct pat_err *err) {
    if (!a->active) return PAT_OK;
    a->s.start += a->start; /* relative minutes -> wall clock */
    enum pat_status st = a->fn(a->ctx, &a->s, err);
    pat_series_free(&a->s);
    a->active = 0;
    a->count++;
    return st;
}

int pat_long_is_new(const struct pat_long *a, const char *id) {
    return !a->active || strcmp(a->s.id, id) != 0;
}

void pat_long_set_start(struct pat_long *a, int64_t start) { a->start = start; }

enum pat_status pat_long_push(struct pat_long *a, const char *id, int64_t index, float value,
                              enum pat_minute_state state, const char *src, size_t line,
                              struct pat_err *err) {
    enum pat_status st = PAT_OK;
    if (pat_long_is_new(a, id)) {
        size_t k;
        int added;
        if ((st = hand_over(a, err)) != PAT_OK) return st;
        if (!pat_idmap_add(&a->seen, id, &k, &added))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        if (!added)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: participant %s appears again after "
                            "other participants (rows must be grouped by participant)", src,
                            line, id);
        if ((st = pat_series_init(&a->s, id, err)) != PAT_OK) return st;
        a->active = 1;
        a->first_index = index;
        a->start = 0;
    }
    return pat_series_push(&a->s, &a->rules, index - a->first_index, value, state, src, line,
                           err);
}

enum pat_status pat_long_end(struct pat_long *a, struct pat_err *err) {
    return hand_over(a, err);
}

/* ---- long CSV ------------------------------------------------------------ */

#define LONG_MAX_FIELDS 64

struct long_reader {
    struct pat_lines L;
    const struct pat_long_csv_params *p;
    int col[4]; /* id, time, value, clock (-1 if unused) */
    size_t nf;
    struct pat_long a;
};

static enum pat_status find_columns(struct long_reader *r, char **f, size_t nf,
                                    struct pat_err *err) {
    const char *want[4] = {r->p->id_col, r->p->time_col, r->p->value_col, r->p->clock_col};
    if (nf > LONG_MAX_FIELDS)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:1: more than %d columns", r->L.path,
                        LONG_MAX_FIELDS);
    r->nf = nf;
    for (int k = 0; k < 4; k++) {
        r->col[k] = -1;
        for (size_t j = 0; want[k] && j < nf; j++)
            if (pat_str_ieq(f[j], want[k])) r->col[k] = (int)j;
        if (want[k] && r->col[k] < 0)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:1: no column named '%s' in the header",
                            r->L.path, want[k]);
    }
    return PAT_OK;
}

/* Time field: an integer minute index or a timestamp (*is_ts = 1). */
static enum pat_status time_of(struct long_reader *r, const char *f, int64_t *t, int *is_ts,
                               struct pat_err *err) {
    char *end;
    int sec;
    long long v = strtoll(f, &end, 10);
    *is_ts = 0;
    if (end != f && !*end) {
        *t = v;
        return PAT_OK;
    }
    *is_ts = 1;
    if (pat_parse_timestamp(f, strlen(f), t, &sec) && sec == 0) return PAT_OK;
    return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: time '%.40s' is neither a minute index nor a "
                    "whole-minute timestamp", r->L.path, r->L.line, f);
}

static enum pat_status clock_of(struct long_reader *r, const char *f, int64_t *clock,
                                struct pat_err *err) {
    char *end;
    long v = strtol(f, &end, 10);
    if (end == f || *end || v < 0 || v >= PAT_MINUTES_PER_DAY)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: clock '%.40s' is not a minute of the day "
                        "(0..1439)", r->L.path, r->L.line, f);
    *clock = v;
    return PAT_OK;
}

static enum pat_status long_line(struct long_reader *r, char **f, size_t nf,
                                 struct pat_err *err) {
    int64_t t, clock = 0;
    int is_ts;
    double v = 0;
    const char *id = f[r->col[0]];
    if (nf != r->nf)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected %zu", r->L.path,
                        r->L.line, nf, r->nf);
    if (!*id) return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: empty id", r->L.path, r->L.line);
    enum pat_status st = time_of(r, f[r->col[1]], &t, &is_ts, err);
    if (st == PAT_OK && r->col[3] >= 0) st = clock_of(r, f[r->col[3]], &clock, err);
    if (st != PAT_OK) return st;
    int k = pat_parse_value(f[r->col[2]], &v);
    if (k < 0)
        return pat_fail(err, k == -2 ? PAT_ERR_NUMERIC : PAT_ERR_FORMAT, "%s:%zu: value "
                        "'%.40s' is not a %snumber (column %d)", r->L.path, r->L.line,
                        f[r->col[2]], k == -2 ? "finite " : "", r->col[2] + 1);
    int is_new = pat_long_is_new(&r->a, id);
    st = pat_long_push(&r->a, id, t, k == 1 ? (float)v : NAN,
                       k == 1 ? PAT_MIN_VALID : PAT_MIN_MISSING, r->L.path, r->L.line, err);
    /* the first row's wall clock: its timestamp, or its clock column */
    if (st == PAT_OK && is_new) pat_long_set_start(&r->a, is_ts ? t : clock);
    return st;
}

enum pat_status pat_series_read_long_csv(const char *path, const struct pat_long_csv_params *p,
                                         pat_series_fn fn, void *ctx, size_t *count,
                                         struct pat_err *err) {
    struct long_reader r = {.p = p};
    char *text, *f[LONG_MAX_FIELDS];
    *count = 0;
    pat_long_begin(&r.a, &p->rules, fn, ctx);
    enum pat_status st = pat_lines_open(&r.L, path, err);
    for (int first = 1; st == PAT_OK; first = 0) {
        if ((st = pat_lines_next(&r.L, &text, err)) != PAT_OK || !text) break;
        size_t nf = pat_fields(text, f, LONG_MAX_FIELDS);
        st = first ? find_columns(&r, f, nf, err) : long_line(&r, f, nf, err);
    }
    if (st == PAT_OK) st = pat_long_end(&r.a, err);
    if (st == PAT_OK && r.a.count == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no data rows", path);
    *count = r.a.count;
    pat_long_free(&r.a);
    pat_lines_close(&r.L);
    return st;
}
