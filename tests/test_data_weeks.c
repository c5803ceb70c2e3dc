/* test_data_weeks.c - windows over minute series: midnight and device-start
 * alignment, strides, other lengths, valid-day rules, filling and the
 * reasons given for rejected windows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "data/clock.h"
#include "data/weeks.h"

/* A series of n minutes from `start`, value = minute index, all valid. */
static int make_series(struct check_ctx *c, struct pat_series *s, int64_t start, size_t n) {
    struct pat_err err = {0};
    struct pat_series_rules r = pat_series_default_rules();
    if (!CHECK_STATUS(c, pat_series_init(s, "p", &err), PAT_OK)) return 0;
    for (size_t i = 0; i < n; i++)
        if (pat_series_push(s, &r, start + (int64_t)i, (float)i, PAT_MIN_VALID, "t", 0, &err))
            return 0;
    return 1;
}

struct got {
    size_t n, accepted;
    int64_t start[16];
    int ok[16];
    float first[16];
    size_t filled[16];
    char reason[16][128];
};

static enum pat_status collect(void *ctx, const struct pat_series *s, const struct pat_window *w,
                               const float *x, struct pat_err *err) {
    struct got *g = ctx;
    (void)s, (void)err;
    if (g->n < 16) {
        g->start[g->n] = w->start;
        g->ok[g->n] = x != NULL;
        g->first[g->n] = x ? x[0] : NAN;
        g->filled[g->n] = w->filled;
        snprintf(g->reason[g->n], sizeof g->reason[0], "%s", w->reason);
    }
    g->n++;
    g->accepted += x != NULL;
    return PAT_OK;
}

static void midnight_alignment_skips_the_partial_first_day(struct check_ctx *c) {
    struct pat_series s;
    int64_t t0 = pat_civil_minutes(2003, 5, 7, 12, 0);
    if (!make_series(c, &s, t0, 720 + 2 * 10080 + 100)) return;
    struct pat_week_params p = pat_week_default_params();
    float x[10080];
    struct got g = {0};
    struct pat_week_summary sum;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.n == 2 && g.accepted == 2 && sum.accepted == 2);
    CHECK(c, g.start[0] == pat_civil_minutes(2003, 5, 8, 0, 0));
    CHECK(c, g.first[0] == 720.0f && g.first[1] == 720.0f + 10080.0f);
    p.align = PAT_ALIGN_START;
    p.stride = 1440;
    memset(&g, 0, sizeof g);
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.start[0] == t0 && g.start[1] == t0 + 1440 && g.n == 8);
    p.max_windows = 3;
    memset(&g, 0, sizeof g);
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.n == 3);
    pat_series_free(&s);
}

/* Day 3 of the week loses 900 minutes: 540 valid < 600, so the week needs
 * min_days <= 6; the missing minutes are filled with the fill value. */
static void invalid_day_rejects_or_fills(struct check_ctx *c) {
    struct pat_series s;
    if (!make_series(c, &s, 0, 10080)) return;
    for (size_t i = 2 * 1440; i < 2 * 1440 + 900; i++) {
        s.state[i] = PAT_MIN_MISSING;
        s.value[i] = NAN;
    }
    struct pat_week_params p = pat_week_default_params();
    float x[10080];
    struct got g = {0};
    struct pat_week_summary sum;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.n == 1 && g.accepted == 0 && sum.rejected == 1);
    CHECK(c, strcmp(g.reason[0], "6 of 7 days have >= 600 valid minutes, 7 needed") == 0);
    p.min_days = 6;
    p.fill = -1.0f;
    memset(&g, 0, sizeof g);
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.accepted == 1 && g.filled[0] == 900);
    CHECK(c, x[2 * 1440] == -1.0f && x[2 * 1440 + 900] == (float)(2 * 1440 + 900));
    pat_series_free(&s);
}

static void short_recording_has_a_reason(struct check_ctx *c) {
    struct pat_series s;
    if (!make_series(c, &s, 600, 9000)) return;
    struct pat_week_params p = pat_week_default_params();
    float x[10080];
    struct got g = {0};
    struct pat_week_summary sum;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.n == 0 && sum.candidates == 0);
    CHECK(c, strstr(sum.reason, "recording too short: 8160 minutes from 1970-01-02 00:00") != NULL);
    pat_series_free(&s);
}

static void other_lengths_must_be_patch_multiples(struct check_ctx *c) {
    struct pat_week_params p = pat_week_default_params();
    struct pat_err err = {0};
    p.length = 1440;
    CHECK_STATUS(c, pat_week_params_check(&p, &err), PAT_OK);
    p.length = 1000;
    CHECK_STATUS(c, pat_week_params_check(&p, &err), PAT_ERR_USAGE);
    p.length = 1440;
    p.min_days = 2;
    CHECK_STATUS(c, pat_week_params_check(&p, &err), PAT_ERR_USAGE);
    /* a one-day length over a 3-day series: 3 windows from midnight */
    struct pat_series s;
    if (!make_series(c, &s, 0, 3 * 1440)) return;
    p.min_days = 0;
    float x[1440];
    struct got g = {0};
    struct pat_week_summary sum;
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.accepted == 3 && g.first[2] == 2880.0f);
    pat_series_free(&s);
}

/* A partial last day (length 2000 = 1440 + 560) needs a prorated share of
 * min_day_minutes: ceil(600 * 560 / 1440) = 234 valid minutes. */
static void partial_last_day_is_prorated(struct check_ctx *c) {
    struct pat_series s;
    if (!make_series(c, &s, 0, 2000)) return;
    for (size_t i = 1440; i < 1440 + 560 - 233; i++) s.state[i] = PAT_MIN_MISSING;
    struct pat_week_params p = pat_week_default_params();
    p.length = 2000;
    p.patch = 8;
    float x[2000];
    struct got g = {0};
    struct pat_week_summary sum;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.accepted == 0); /* 233 valid < 234 */
    s.state[1440] = PAT_MIN_VALID;
    memset(&g, 0, sizeof g);
    CHECK_STATUS(c, pat_weeks_build(&s, &p, x, collect, &g, &sum, &err), PAT_OK);
    CHECK(c, g.accepted == 1);
    pat_series_free(&s);
}

static void day_stats_count_complete_days(struct check_ctx *c) {
    struct pat_series s;
    if (!make_series(c, &s, 720, 3 * 1440)) return;
    for (size_t i = 720; i < 720 + 1000; i++) s.state[i] = PAT_MIN_NONWEAR;
    size_t days, valid;
    double mean;
    pat_series_day_stats(&s, 600, &days, &valid, &mean);
    CHECK(c, days == 2 && valid == 1);
    CHECK_CLOSE(c, mean, (440.0 + 1440.0) / 2, 1e-9);
    pat_series_free(&s);
}

int main(void) {
    int failures = 0;
    RUN(midnight_alignment_skips_the_partial_first_day);
    RUN(invalid_day_rejects_or_fills);
    RUN(short_recording_has_a_reason);
    RUN(other_lengths_must_be_patch_multiples);
    RUN(partial_last_day_is_prorated);
    RUN(day_stats_count_complete_days);
    return failures ? 1 : 0;
}
