/* weeks.c - windows over a minute series (weeks.h; pat-spec §5.4.1). */
#include "data/weeks.h"

#include <stdio.h>
#include <string.h>

#include "data/clock.h"
#include "util.h"

struct pat_week_params pat_week_default_params(void) {
    struct pat_week_params p = {10080, 18, PAT_ALIGN_MIDNIGHT, 0, 0, 600, 0, 0.0f};
    return p;
}

enum pat_status pat_week_params_check(const struct pat_week_params *p, struct pat_err *err) {
    if (p->patch == 0 || p->length == 0 || p->length % p->patch != 0)
        return pat_fail(err, PAT_ERR_USAGE, "window length %zu is not a positive multiple of "
                        "the patch size %zu", p->length, p->patch);
    if (p->length > PAT_SERIES_MAX_MINUTES)
        return pat_fail(err, PAT_ERR_USAGE, "window length %zu is too long", p->length);
    if (p->min_day_minutes > PAT_MINUTES_PER_DAY)
        return pat_fail(err, PAT_ERR_USAGE, "minimum valid minutes per day %zu exceeds 1440",
                        p->min_day_minutes);
    size_t days = (p->length + PAT_MINUTES_PER_DAY - 1) / PAT_MINUTES_PER_DAY;
    if (p->min_days > days)
        return pat_fail(err, PAT_ERR_USAGE, "minimum valid days %zu exceeds the %zu days of a "
                        "window", p->min_days, days);
    return PAT_OK;
}

/* Valid minutes needed on a day block of len minutes (prorated, rounded up). */
static size_t day_threshold(const struct pat_week_params *p, size_t len) {
    return (p->min_day_minutes * len + PAT_MINUTES_PER_DAY - 1) / PAT_MINUTES_PER_DAY;
}

/* Count valid minutes and valid days of the window at offset off. */
static void assess(const struct pat_series *s, const struct pat_week_params *p, size_t off,
                   struct pat_window *w) {
    w->valid = w->days = w->valid_days = 0;
    for (size_t d0 = 0; d0 < p->length; d0 += PAT_MINUTES_PER_DAY) {
        size_t len = p->length - d0 < PAT_MINUTES_PER_DAY ? p->length - d0 : PAT_MINUTES_PER_DAY;
        size_t v = 0;
        for (size_t i = 0; i < len; i++) v += s->state[off + d0 + i] == PAT_MIN_VALID;
        w->valid += v;
        w->days++;
        w->valid_days += v >= day_threshold(p, len);
    }
    size_t need = p->min_days ? p->min_days : w->days;
    w->accepted = w->valid_days >= need;
    w->filled = p->length - w->valid;
    w->reason[0] = 0;
    if (!w->accepted)
        snprintf(w->reason, sizeof w->reason,
                 "%zu of %zu days have >= %zu valid minutes, %zu needed", w->valid_days,
                 w->days, p->min_day_minutes, need);
}

static void fill(const struct pat_series *s, const struct pat_week_params *p, size_t off,
                 float *x) {
    for (size_t i = 0; i < p->length; i++)
        x[i] = s->state[off + i] == PAT_MIN_VALID ? s->value[off + i] : p->fill;
}

/* Offset of the first candidate window from s->start. */
static int64_t first_offset(const struct pat_series *s, const struct pat_week_params *p) {
    if (p->align == PAT_ALIGN_START) return 0;
    int64_t m = pat_floor_mod(s->start, PAT_MINUTES_PER_DAY);
    return m == 0 ? 0 : PAT_MINUTES_PER_DAY - m;
}

static void too_short(const struct pat_series *s, const struct pat_week_params *p, int64_t off,
                      struct pat_week_summary *sum) {
    char t[PAT_TIME_LEN];
    pat_time_format(s->start + off, t);
    long long have = (long long)s->n - off;
    snprintf(sum->reason, sizeof sum->reason,
             "recording too short: %lld minutes from %s (%s), a window needs %zu",
             have < 0 ? 0 : have, t, p->align == PAT_ALIGN_START ? "first row" : "first midnight",
             p->length);
}

enum pat_status pat_weeks_build(const struct pat_series *s, const struct pat_week_params *p,
                                float *x, pat_window_fn fn, void *ctx,
                                struct pat_week_summary *sum, struct pat_err *err) {
    memset(sum, 0, sizeof *sum);
    size_t stride = p->stride ? p->stride : p->length;
    int64_t off = first_offset(s, p);
    if ((size_t)off + p->length > s->n) too_short(s, p, off, sum);
    for (; (size_t)off + p->length <= s->n; off += (int64_t)stride) {
        if (p->max_windows && sum->accepted == p->max_windows) break;
        struct pat_window w;
        assess(s, p, (size_t)off, &w);
        w.start = s->start + off;
        sum->candidates++;
        if (w.accepted) {
            sum->accepted++;
            fill(s, p, (size_t)off, x);
        } else {
            sum->rejected++;
        }
        enum pat_status st = fn(ctx, s, &w, w.accepted ? x : NULL, err);
        if (st != PAT_OK) return st;
    }
    return PAT_OK;
}

void pat_series_day_stats(const struct pat_series *s, size_t min_day_minutes, size_t *days,
                          size_t *valid_days, double *mean) {
    int64_t m = pat_floor_mod(s->start, PAT_MINUTES_PER_DAY);
    size_t off = m == 0 ? 0 : (size_t)(PAT_MINUTES_PER_DAY - m);
    size_t total = 0;
    *days = *valid_days = 0;
    for (; off + PAT_MINUTES_PER_DAY <= s->n; off += PAT_MINUTES_PER_DAY) {
        size_t v = 0;
        for (size_t i = 0; i < PAT_MINUTES_PER_DAY; i++) v += s->state[off + i] == PAT_MIN_VALID;
        (*days)++;
        *valid_days += v >= min_day_minutes;
        total += v;
    }
    *mean = *days ? (double)total / (double)*days : 0.0;
}
