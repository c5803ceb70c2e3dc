/* epochs.c - epochs into minutes (epochs.h). */
#include "readers/epochs.h"

#include <math.h>
#include <string.h>

#include "data/clock.h"
#include "util.h"

int pat_epoch_agg_parse(const char *name) {
    if (strcmp(name, "sum") == 0) return PAT_AGG_SUM;
    if (strcmp(name, "mean") == 0) return PAT_AGG_MEAN;
    return -1;
}

void pat_epochs_begin(struct pat_epochs *e, struct pat_series *s,
                      const struct pat_series_rules *rules, enum pat_epoch_agg agg,
                      int64_t epoch_s, const char *src) {
    memset(e, 0, sizeof *e);
    e->s = s;
    e->rules = rules;
    e->agg = agg;
    e->epoch_s = epoch_s;
    e->src = src;
}

static enum pat_status flush(struct pat_epochs *e, struct pat_err *err) {
    if (!e->active) return PAT_OK;
    e->active = 0;
    enum pat_minute_state st = PAT_MIN_VALID;
    double v = e->agg == PAT_AGG_MEAN && e->valid ? e->sum / (double)e->valid : e->sum;
    size_t need = e->epoch_s > 0 && e->epoch_s < 60 ? (size_t)(60 / e->epoch_s) : 1;
    if (e->nonwear) st = PAT_MIN_NONWEAR;
    else if (!e->valid || (e->agg == PAT_AGG_SUM && e->valid < need)) st = PAT_MIN_MISSING;
    if (!(fabs(v) <= 3.4e38))
        return pat_fail(err, PAT_ERR_NUMERIC, "%s:%zu: value out of range", e->src, e->line);
    return pat_series_push(e->s, e->rules, e->minute, (float)v, st, e->src, e->line, err);
}

/* An epoch of k >= 1 whole minutes. */
static enum pat_status spread(struct pat_epochs *e, int64_t minute, double v,
                              enum pat_minute_state state, size_t line, struct pat_err *err) {
    int64_t k = e->epoch_s / 60;
    float share = (float)(e->agg == PAT_AGG_SUM ? v / (double)k : v);
    for (int64_t j = 0; j < k; j++) {
        enum pat_status st = pat_series_push(e->s, e->rules, minute + j, share, state, e->src,
                                             line, err);
        if (st != PAT_OK) return st;
    }
    return PAT_OK;
}

static int64_t infer_epoch(int64_t t0, int64_t t1) {
    int64_t d = t1 - t0;
    if (d > 0 && d < 60000 && d % 1000 == 0 && 60000 % d == 0) return d / 1000;
    if (d >= 60000 && pat_floor_mod(t0, 60000) == 0 && pat_floor_mod(t1, 60000) == 0) return 60;
    return 0;
}

static enum pat_status push_known(struct pat_epochs *e, int64_t t_ms, double v,
                                  enum pat_minute_state state, size_t line,
                                  struct pat_err *err);

enum pat_status pat_epochs_push(struct pat_epochs *e, int64_t t_ms, double v,
                                enum pat_minute_state state, size_t line, struct pat_err *err) {
    if (e->epoch_s != PAT_EPOCH_INFER) return push_known(e, t_ms, v, state, line, err);
    if (!e->pending) {
        e->pending = 1;
        e->p_t = t_ms, e->p_v = v, e->p_st = state, e->p_line = line;
        return PAT_OK;
    }
    e->pending = 0;
    e->epoch_s = infer_epoch(e->p_t, t_ms);
    enum pat_status st = push_known(e, e->p_t, e->p_v, e->p_st, e->p_line, err);
    return st == PAT_OK ? push_known(e, t_ms, v, state, line, err) : st;
}

static enum pat_status push_known(struct pat_epochs *e, int64_t t_ms, double v,
                                  enum pat_minute_state state, size_t line,
                                  struct pat_err *err) {
    if (state != PAT_MIN_MISSING && !isfinite(v))
        return pat_fail(err, PAT_ERR_NUMERIC, "%s:%zu: value is not a finite number", e->src, line);
    int64_t minute = pat_floor_div(t_ms, 60000);
    if (e->epoch_s >= 60) {
        if (pat_floor_mod(t_ms, 60000))
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: a %lld s epoch does not start on a "
                            "whole minute", e->src, line, (long long)e->epoch_s);
        return spread(e, minute, v, state, line, err);
    }
    if (e->active && minute != e->minute) {
        enum pat_status st = flush(e, err);
        if (st != PAT_OK) return st;
    }
    if (!e->active) {
        e->active = 1;
        e->minute = minute;
        e->line = line;
        e->sum = 0;
        e->valid = e->seen = e->nonwear = 0;
    }
    e->seen++;
    if (e->epoch_s > 0 && e->seen > (size_t)(60 / e->epoch_s))
        return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: more than %lld epochs of %lld s in one "
                        "minute (repeated timestamps?)", e->src, line,
                        (long long)(60 / e->epoch_s), (long long)e->epoch_s);
    if (state == PAT_MIN_VALID) {
        e->sum += v;
        e->valid++;
    } else if (state == PAT_MIN_NONWEAR) {
        e->nonwear++;
    }
    return PAT_OK;
}

enum pat_status pat_epochs_end(struct pat_epochs *e, struct pat_err *err) {
    if (e->pending) { /* a single epoch */
        e->pending = 0;
        e->epoch_s = 0;
        enum pat_status st = push_known(e, e->p_t, e->p_v, e->p_st, e->p_line, err);
        if (st != PAT_OK) return st;
    }
    return flush(e, err);
}
