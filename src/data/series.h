/* series.h - one participant's minute series on a wall-clock axis.
 *
 * A series is built row by row with pat_series_push: rows must come in time
 * order; a jump forward inserts missing minutes (never shifts later data);
 * a repeated minute is a duplicate handled by pat_series_rules.dup; a DST
 * switch is recognised and counted (docs/data.md "Gaps, duplicates, DST").
 * Every minute has a value (NaN unless observed) and a state.
 *
 *     struct pat_series s;
 *     pat_series_init(&s, "control_1");
 *     pat_series_push(&s, &rules, minute, value, PAT_MIN_VALID, path, line, &err);
 *     ...
 *     pat_series_free(&s);
 */
#ifndef PAT_DATA_SERIES_H
#define PAT_DATA_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

/* State of one minute. Only VALID minutes count as observed wear. */
enum pat_minute_state {
    PAT_MIN_MISSING = 0, /* no row (gap) or an explicit NA */
    PAT_MIN_VALID = 1,   /* observed and usable */
    PAT_MIN_FLAGGED = 2, /* a row exists but the source marks it unusable */
    PAT_MIN_NONWEAR = 3, /* a row exists but the device was not worn */
};

/* What to do with a row whose minute equals the previous row's. */
enum pat_dup_rule {
    PAT_DUP_ERROR = 0, /* refuse the file, naming the line (default) */
    PAT_DUP_FIRST = 1, /* keep the first row, drop the later, count it */
    PAT_DUP_LAST = 2,  /* keep the last row, count the earlier as dropped */
};

struct pat_series_rules {
    enum pat_dup_rule dup;
    int dst;             /* recognise 60-minute DST jumps (default 1) */
    size_t max_gap;      /* longest accepted gap in minutes (default 30 days) */
};

struct pat_series_rules pat_series_default_rules(void);

/* Counts kept while reading; reported per participant by `pat data report`. */
struct pat_series_stats {
    size_t rows;             /* data rows read */
    size_t gaps;             /* forward jumps > 1 minute, DST jumps excluded */
    size_t gap_minutes;      /* missing minutes those jumps inserted */
    size_t dst_gaps;         /* spring-forward jumps (01:59 -> 03:00) */
    size_t dst_gap_minutes;  /* missing minutes they inserted (60 each) */
    size_t dst_repeats;      /* fall-back repeated hours */
    size_t dst_repeat_rows;  /* rows of repeated hours dropped */
    size_t duplicates;       /* rows dropped as duplicates of a minute */
    size_t na_values;        /* explicit NA / empty values */
    size_t flagged;          /* rows the source flags as unusable */
    size_t nonwear;          /* rows marked non-wear (source or zero runs) */
};

#define PAT_SERIES_MAX_MINUTES ((size_t)1 << 24) /* about 31 years */

struct pat_series {
    char *id;
    float label;        /* label known to the source (NaN: none) */
    int64_t start;      /* wall-clock minute of value[0] */
    size_t n;           /* minutes from start to the last row */
    float *value;       /* n values, NaN unless the row had one */
    uint8_t *state;     /* n enum pat_minute_state */
    size_t cap;
    int64_t repeat_end; /* inside a DST repeated hour: its last minute */
    int in_repeat;
    struct pat_series_stats stats;
};

/* A consumer of finished series (a source calls it once per participant;
 * the series stays owned by the source). */
typedef enum pat_status (*pat_series_fn)(void *ctx, struct pat_series *s, struct pat_err *err);

/* Empty series named id (copied). Returns PAT_ERR_NOMEM on failure. */
enum pat_status pat_series_init(struct pat_series *s, const char *id, struct pat_err *err);
void pat_series_free(struct pat_series *s); /* NULL-safe; leaves s zeroed */

/* Append the row of `minute`. src and line name the culprit in errors
 * ("file.csv:123: ..."); line 0 omits it. value must be finite unless
 * state is MISSING (it is then ignored). */
enum pat_status pat_series_push(struct pat_series *s, const struct pat_series_rules *r,
                                int64_t minute, float value, enum pat_minute_state state,
                                const char *src, size_t line, struct pat_err *err);

/* Mark runs of at least min_run consecutive VALID zero values as NONWEAR
 * (a simple non-wear rule; off when min_run is 0). Returns minutes marked. */
size_t pat_series_mark_zero_runs(struct pat_series *s, size_t min_run);

/* Number of VALID minutes. */
size_t pat_series_valid(const struct pat_series *s);

#endif /* PAT_DATA_SERIES_H */
