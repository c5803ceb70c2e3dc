/* series_long.h - many participants in one table ("long" layout): rows of
 * (id, minute index, value[, state]) grouped by participant. Used by the
 * long CSV reader and the NHANES readers (nhanes.h).
 *
 * Rows of one participant must be contiguous (an id that comes back after
 * another is refused) and in minute order; each participant is handed to
 * the consumer as soon as the next one starts, so memory holds one series.
 * The minute index is relative: the consumer sees a wall-clock axis whose
 * first minute the source sets with pat_long_set_start (default 0 =
 * 1970-01-01 00:00). DST rules do not apply to minute indices.
 */
#ifndef PAT_DATA_SERIES_LONG_H
#define PAT_DATA_SERIES_LONG_H

#include <stdint.h>

#include "data/idmap.h"
#include "data/series.h"

struct pat_long {
    struct pat_series s;
    int active;
    int64_t first_index; /* minute index of the participant's first row */
    int64_t start;       /* wall-clock minute given to the first row */
    struct pat_idmap seen;
    struct pat_series_rules rules;
    pat_series_fn fn;
    void *ctx;
    size_t count;        /* participants handed over */
};

void pat_long_begin(struct pat_long *a, const struct pat_series_rules *rules, pat_series_fn fn,
                    void *ctx);
/* One row. A new id hands over the previous participant first. */
enum pat_status pat_long_push(struct pat_long *a, const char *id, int64_t index, float value,
                              enum pat_minute_state state, const char *src, size_t line,
                              struct pat_err *err);
/* Wall-clock minute of the current participant's first row. */
void pat_long_set_start(struct pat_long *a, int64_t start);
/* 1 when a row of id would start a new participant. */
int pat_long_is_new(const struct pat_long *a, const char *id);
/* Hand over the last participant. */
enum pat_status pat_long_end(struct pat_long *a, struct pat_err *err);
void pat_long_free(struct pat_long *a);

/* Long CSV with a header; columns chosen by name (case-insensitive). */
struct pat_long_csv_params {
    const char *id_col;    /* participant id */
    const char *time_col;  /* integer minute index, or a timestamp */
    const char *value_col; /* activity value; NA/empty = missing */
    const char *clock_col; /* optional: minute of day (0..1439) of each row,
                              anchoring index-based time to the wall clock */
    struct pat_series_rules rules;
};

enum pat_status pat_series_read_long_csv(const char *path, const struct pat_long_csv_params *p,
                                         pat_series_fn fn, void *ctx, size_t *count,
                                         struct pat_err *err);

#endif /* PAT_DATA_SERIES_LONG_H */
