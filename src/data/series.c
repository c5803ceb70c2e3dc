/* series.c - building a minute series from time-ordered rows (series.h).
 * Rules are documented in docs/data.md "Gaps, duplicates, DST". */
#include "data/series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/clock.h"
#include "util.h"

struct pat_series_rules pat_series_default_rules(void) {
    struct pat_series_rules r = {PAT_DUP_ERROR, 1, (size_t)30 * PAT_MINUTES_PER_DAY};
    return r;
}

enum pat_status pat_series_init(struct pat_series *s, const char *id, struct pat_err *err) {
    memset(s, 0, sizeof *s);
    s->label = NAN;
    s->id = pat_strdup(id);
    if (!s->id) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for series %s", id);
    return PAT_OK;
}

void pat_series_free(struct pat_series *s) {
    if (!s) return;
    free(s->id);
    free(s->value);
    free(s->state);
    memset(s, 0, sizeof *s);
}

/* Make room for `more` minutes. */
static int reserve(struct pat_series *s, size_t more) {
    size_t need;
    if (!pat_add_size(s->n, more, &need) || need > PAT_SERIES_MAX_MINUTES) return 0;
    if (need <= s->cap) return 1;
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < need) cap *= 2;
    float *v = realloc(s->value, cap * sizeof *v);
    if (v) s->value = v;
    uint8_t *st = v ? realloc(s->state, cap) : NULL;
    if (!st) return 0;
    s->state = st;
    s->cap = cap;
    return 1;
}

static void put(struct pat_series *s, size_t i, float v, enum pat_minute_state st) {
    s->value[i] = st == PAT_MIN_MISSING ? NAN : v;
    s->state[i] = (uint8_t)st;
}

/* "src:line: " prefix for messages. */
static void where(char *buf, size_t len, const char *src, size_t line) {
    if (line) snprintf(buf, len, "%s:%zu", src, line);
    else snprintf(buf, len, "%s", src);
}

/* A 60-minute jump at hh:59 -> (hh+2):00 (forward) or hh:59 -> hh:00
 * (back) in a month where daylight-saving time changes somewhere. */
static int dst_month(int64_t t) {
    int y, mo, d, h, mi;
    pat_minutes_civil(t, &y, &mo, &d, &h, &mi);
    return mo == 3 || mo == 4 || mo == 9 || mo == 10 || mo == 11;
}

static int is_dst_jump(int64_t last, int64_t minute, int64_t delta) {
    return (delta == 61 || delta == -59) && pat_floor_mod(last, 60) == 59 &&
           pat_floor_mod(minute, 60) == 0 && dst_month(minute);
}

static enum pat_status gap(struct pat_series *s, const struct pat_series_rules *r,
                           int64_t last, int64_t minute, const char *at, struct pat_err *err) {
    size_t missing = (size_t)(minute - last - 1);
    char t0[PAT_TIME_LEN], t1[PAT_TIME_LEN];
    pat_time_format(last, t0);
    pat_time_format(minute, t1);
    if (missing > r->max_gap)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: gap of %zu minutes from %s to %s exceeds the limit of %zu "
                        "(--max-gap)", at, missing, t0, t1, r->max_gap);
    if (!reserve(s, missing + 1))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: series longer than %zu minutes or out of memory",
                        at, PAT_SERIES_MAX_MINUTES);
    if (r->dst && is_dst_jump(last, minute, minute - last)) {
        s->stats.dst_gaps++;
        s->stats.dst_gap_minutes += missing;
    } else {
        s->stats.gaps++;
        s->stats.gap_minutes += missing;
    }
    for (size_t k = 0; k < missing; k++) put(s, s->n++, NAN, PAT_MIN_MISSING);
    return PAT_OK;
}

static enum pat_status backwards(struct pat_series *s, const struct pat_series_rules *r,
                                 int64_t last, int64_t minute, const char *at,
                                 struct pat_err *err) {
    if (r->dst && is_dst_jump(last, minute, minute - last)) {
        s->in_repeat = 1;
        s->repeat_end = last;
        s->stats.dst_repeats++;
        s->stats.dst_repeat_rows++;
        return PAT_OK;
    }
    char t0[PAT_TIME_LEN], t1[PAT_TIME_LEN];
    pat_time_format(last, t0);
    pat_time_format(minute, t1);
    return pat_fail(err, PAT_ERR_FORMAT,
                    "%s: time %s is earlier than the previous row's %s (rows must be in time "
                    "order)", at, t1, t0);
}

static enum pat_status duplicate(struct pat_series *s, const struct pat_series_rules *r,
                                 float value, enum pat_minute_state state, const char *at,
                                 struct pat_err *err) {
    if (r->dup == PAT_DUP_ERROR) {
        char t[PAT_TIME_LEN];
        pat_time_format(s->start + (int64_t)s->n - 1, t);
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: duplicate time %s (same minute as the previous row; see "
                        "--duplicates)", at, t);
    }
    s->stats.duplicates++;
    if (r->dup == PAT_DUP_LAST) put(s, s->n - 1, value, state);
    return PAT_OK;
}

static void count_state(struct pat_series_stats *st, enum pat_minute_state state) {
    st->rows++;
    if (state == PAT_MIN_MISSING) st->na_values++;
    if (state == PAT_MIN_FLAGGED) st->flagged++;
    if (state == PAT_MIN_NONWEAR) st->nonwear++;
}

enum pat_status pat_series_push(struct pat_series *s, const struct pat_series_rules *r,
                                int64_t minute, float value, enum pat_minute_state state,
                                const char *src, size_t line, struct pat_err *err) {
    const int finite = !(isinf(value) || (state == PAT_MIN_VALID && isnan(value)));
    if (finite && s->n > 0 && !s->in_repeat && minute == s->start + (int64_t)s->n &&
        reserve(s, 1)) { /* the next minute: the common case, without building messages */
        count_state(&s->stats, state);
        put(s, s->n++, value, state);
        return PAT_OK;
    }
    char at[300];
    where(at, sizeof at, src, line);
    if (!finite)
        return pat_fail(err, PAT_ERR_NUMERIC, "%s: value is not a finite number", at);
    count_state(&s->stats, state);
    int64_t last = s->start + (int64_t)s->n - 1;
    if (s->in_repeat) {
        if (minute <= s->repeat_end) {
            s->stats.dst_repeat_rows++;
            return PAT_OK;
        }
        s->in_repeat = 0;
    }
    enum pat_status st = PAT_OK;
    if (s->n == 0) {
        s->start = minute;
    } else if (minute == last) {
        return duplicate(s, r, value, state, at, err);
    } else if (minute < last) {
        return backwards(s, r, last, minute, at, err);
    } else if (minute > last + 1) {
        st = gap(s, r, last, minute, at, err);
    }
    if (st != PAT_OK) return st;
    if (!reserve(s, 1))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: series longer than %zu minutes or out of memory",
                        at, PAT_SERIES_MAX_MINUTES);
    put(s, s->n++, value, state);
    return PAT_OK;
}

size_t pat_series_mark_zero_runs(struct pat_series *s, size_t min_run) {
    size_t marked = 0, i = 0;
    if (min_run == 0) return 0;
    while (i < s->n) {
        if (s->state[i] != PAT_MIN_VALID || s->value[i] != 0.0f) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s->n && s->state[j] == PAT_MIN_VALID && s->value[j] == 0.0f) j++;
        if (j - i >= min_run) {
            for (size_t k = i; k < j; k++) s->state[k] = PAT_MIN_NONWEAR;
            marked += j - i;
        }
        i = j;
    }
    s->stats.nonwear += marked;
    return marked;
}

size_t pat_series_valid(const struct pat_series *s) {
    size_t v = 0;
    for (size_t i = 0; i < s->n; i++) v += s->state[i] == PAT_MIN_VALID;
    return v;
}
