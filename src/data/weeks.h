/* weeks.h - cutting a minute series into model windows (10,080 minutes by
 * default). ref: pat-spec §5.1 "week", §5.4.1; choices in docs/data.md
 * "Windows".
 *
 * Candidate windows start at the first local midnight at or after the first
 * row (PAT_ALIGN_MIDNIGHT, default) or at the first row (PAT_ALIGN_START),
 * then every `stride` minutes, and must lie inside the recording. A window
 * is accepted when at least min_days of its days hold min_day_minutes valid
 * minutes each; its non-valid minutes are then set to `fill` and counted.
 * Every rejected window gets a reason.
 */
#ifndef PAT_DATA_WEEKS_H
#define PAT_DATA_WEEKS_H

#include <stddef.h>
#include <stdint.h>

#include "data/series.h"

enum pat_align {
    PAT_ALIGN_MIDNIGHT = 0, /* windows begin at local 00:00 */
    PAT_ALIGN_START = 1,    /* windows begin at the first row (device start) */
};

struct pat_week_params {
    size_t length;          /* T minutes per window (default 10080) */
    size_t patch;           /* length must be a multiple of it (default 18) */
    enum pat_align align;
    size_t stride;          /* minutes between window starts; 0 = length */
    size_t max_windows;     /* accepted windows kept per participant; 0 = all */
    size_t min_day_minutes; /* valid minutes that make a valid day (600) */
    size_t min_days;        /* valid days a window needs; 0 = all its days */
    float fill;             /* value of non-valid minutes in accepted windows (0) */
};

struct pat_week_params pat_week_default_params(void);
enum pat_status pat_week_params_check(const struct pat_week_params *p, struct pat_err *err);

struct pat_window {
    int64_t start;     /* wall-clock minute of x[0] */
    size_t valid;      /* VALID minutes in the window */
    size_t days;       /* days (1440-minute blocks, the last maybe partial) */
    size_t valid_days; /* of which valid */
    size_t filled;     /* minutes set to fill (length - valid) */
    int accepted;
    char reason[128];  /* why it was rejected */
};

/* Called for every candidate window in time order: accepted ones with x
 * (length values), rejected ones with x NULL. */
typedef enum pat_status (*pat_window_fn)(void *ctx, const struct pat_series *s,
                                         const struct pat_window *w, const float *x,
                                         struct pat_err *err);

struct pat_week_summary {
    size_t candidates, accepted, rejected;
    char reason[160]; /* set when there was no candidate window at all */
};

/* x: scratch of p->length floats. */
enum pat_status pat_weeks_build(const struct pat_series *s, const struct pat_week_params *p,
                                float *x, pat_window_fn fn, void *ctx,
                                struct pat_week_summary *sum, struct pat_err *err);

/* Valid minutes per calendar day of s, over the complete days (00:00 to
 * 24:00) inside the recording: *days complete days, *valid_days of them
 * with >= min_day_minutes, *mean valid minutes per complete day. */
void pat_series_day_stats(const struct pat_series *s, size_t min_day_minutes, size_t *days,
                          size_t *valid_days, double *mean);

#endif /* PAT_DATA_WEEKS_H */
