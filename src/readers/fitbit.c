/* fitbit.c - Fitbit minute files as Fitabase exports them ("narrow"
 * layout: Id,ActivityMinute,Steps; likewise Intensity, METs, Calories):
 * many participants per file, each participant's rows together and in time
 * order, US date-times ("4/12/2016 1:05:00 AM"). docs/data.md "Fitbit". */
#include <stdlib.h>
#include <string.h>

#include "data/clock.h"
#include "data/idmap.h"
#include "readers/fields.h"
#include "readers/readers.h"
#include "readers/table.h"
#include "util.h"

struct fitbit {
    const char *path;
    const struct pat_read_options *o;
    struct pat_header head;
    int id_col, time_col, vcol;
    char sep;
    struct pat_idmap seen;
    int active;
    struct pat_series s;
    struct pat_epochs e;
    pat_series_fn fn;
    void *ctx;
    size_t *count;
};

static enum pat_status columns(struct fitbit *b, char **f, size_t nf, struct pat_err *err) {
    enum pat_status st = pat_header_set(&b->head, f, nf, err);
    if (st != PAT_OK) return st;
    b->id_col = pat_header_find(&b->head, "Id");
    b->time_col = pat_header_find(&b->head, "ActivityMinute");
    if (b->id_col < 0 || b->time_col < 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:1: expected the columns Id and ActivityMinute",
                        b->path);
    b->vcol = -1;
    if (b->o->value_col) b->vcol = pat_header_find(&b->head, b->o->value_col);
    else
        for (int i = 0; i < (int)nf && b->vcol < 0; i++)
            if (i != b->id_col && i != b->time_col) b->vcol = i;
    if (b->vcol >= 0) return PAT_OK;
    char names[300];
    pat_header_list(&b->head, names, sizeof names);
    return pat_fail(err, PAT_ERR_FORMAT, "%s: no value column %s%s(columns: %s)", b->path,
                    b->o->value_col ? b->o->value_col : "", b->o->value_col ? " " : "", names);
}

static enum pat_status finish_participant(struct fitbit *b, struct pat_err *err) {
    if (!b->active) return PAT_OK;
    b->active = 0;
    enum pat_status st = pat_epochs_end(&b->e, err);
    if (st == PAT_OK) st = pat_emit(&b->s, b->fn, b->ctx, b->count, err);
    pat_series_free(&b->s);
    return st;
}

static enum pat_status start_participant(struct fitbit *b, const char *id, size_t line,
                                         struct pat_err *err) {
    size_t index;
    int added;
    if (!pat_idmap_add(&b->seen, id, &index, &added))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (!added)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: participant %s comes back after others "
                        "(rows of one participant must be together)", b->path, line, id);
    enum pat_status st = pat_series_init(&b->s, id, err);
    if (st != PAT_OK) return st;
    pat_epochs_begin(&b->e, &b->s, &b->o->rules, b->o->agg, 60, b->path);
    b->active = 1;
    return PAT_OK;
}

static enum pat_status on_row(void *ctx, char **f, size_t nf, size_t line, struct pat_err *err) {
    struct fitbit *b = ctx;
    enum pat_status st;
    if (!b->head.n) return columns(b, f, nf, err);
    if (nf != b->head.n)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected %zu", b->path, line,
                        nf, b->head.n);
    const char *id = f[b->id_col];
    if (!id[0]) return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: empty Id", b->path, line);
    if (!b->active || strcmp(id, b->s.id) != 0) {
        if ((st = finish_participant(b, err)) != PAT_OK) return st;
        if ((st = start_participant(b, id, line, err)) != PAT_OK) return st;
    }
    const char *tf = f[b->time_col];
    enum pat_date_order ord = b->o->date_order ? b->o->date_order : PAT_DATE_MDY;
    int64_t t;
    enum pat_when w = pat_when_datetime(tf, strlen(tf), ord, &t);
    if (w != PAT_WHEN_OK)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: ActivityMinute is not a date and time%s: "
                        "'%.40s'", b->path, line,
                        w == PAT_WHEN_DAY_FIRST ? " (day-first? use --date-format dmy)" : "", tf);
    if (pat_floor_mod(t, 60000))
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: ActivityMinute is not on a whole minute: "
                        "'%.40s'", b->path, line, tf);
    double v = 0;
    int k = pat_number(f[b->vcol], b->sep, &v);
    if (k < 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %s is not a number: '%.40s'", b->path, line,
                        b->head.name[b->vcol], f[b->vcol]);
    return pat_epochs_push(&b->e, t, v, k ? PAT_MIN_VALID : PAT_MIN_MISSING, line, err);
}

enum pat_status pat_read_fitbit_minute(const char *path, const struct pat_read_options *o,
                                       pat_series_fn fn, void *ctx, size_t *count,
                                       struct pat_err *err) {
    struct fitbit *b = calloc(1, sizeof *b);
    if (!b) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    b->path = path;
    b->o = o;
    b->fn = fn;
    b->ctx = ctx;
    b->count = count;
    pat_idmap_init(&b->seen);
    enum pat_status st = pat_table_read(path, 0, on_row, b, &b->sep, err);
    if (st == PAT_OK) st = finish_participant(b, err);
    if (st == PAT_OK && b->seen.n == 0)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: no data rows", path);
    if (b->active) pat_series_free(&b->s);
    pat_idmap_free(&b->seen);
    pat_header_free(&b->head);
    free(b);
    return st;
}
