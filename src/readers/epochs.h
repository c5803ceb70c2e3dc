/* epochs.h - epochs of any length into the minutes of a series.
 *
 * Epochs shorter than a minute (which must divide 60 s when the length is
 * known) are gathered per wall-clock minute and summed (counts, steps) or
 * averaged; a summed minute is VALID only when all its epochs were
 * observed, since a partial sum would understate it. Epochs of whole
 * minutes are spread over their minutes: a sum evenly (a 2-minute count of
 * 10 gives 5 and 5), a mean repeated. Epochs must come in time order (the
 * series' rules handle gaps, duplicates and DST). docs/data.md. */
#ifndef PAT_READERS_EPOCHS_H
#define PAT_READERS_EPOCHS_H

#include <stddef.h>
#include <stdint.h>

#include "data/series.h"

enum pat_epoch_agg { PAT_AGG_SUM = 0, PAT_AGG_MEAN = 1 };

struct pat_epochs {
    struct pat_series *s;
    const struct pat_series_rules *rules;
    enum pat_epoch_agg agg;
    int64_t epoch_s;   /* epoch length in seconds; 0 when unknown (irregular) */
    const char *src;   /* file named in errors */
    int active;        /* a minute is being gathered */
    int64_t minute;
    size_t line;       /* line of the minute's first epoch */
    double sum;
    size_t valid, seen, nonwear;
    int pending;       /* PAT_EPOCH_INFER: the first epoch waits for the second */
    int64_t p_t;
    double p_v;
    enum pat_minute_state p_st;
    size_t p_line;
};

/* epoch_s meaning "infer from the first two epochs": sub-minute steps that
 * divide a minute are taken as the epoch; steps of whole minutes on whole
 * minutes as 60 s (a gap between the first rows is not mistaken for a long
 * epoch); anything else gathers the rows of each minute (epoch unknown). */
#define PAT_EPOCH_INFER (-1)

/* agg and epoch_s (0: unknown, PAT_EPOCH_INFER) for epochs of the series s. */
void pat_epochs_begin(struct pat_epochs *e, struct pat_series *s,
                      const struct pat_series_rules *rules, enum pat_epoch_agg agg,
                      int64_t epoch_s, const char *src);
/* One epoch starting at wall-clock millisecond t. state MISSING ignores v. */
enum pat_status pat_epochs_push(struct pat_epochs *e, int64_t t_ms, double v,
                                enum pat_minute_state state, size_t line, struct pat_err *err);
/* Hand the last gathered minute to the series. */
enum pat_status pat_epochs_end(struct pat_epochs *e, struct pat_err *err);

/* "sum" / "mean" -> agg, -1 when unknown. */
int pat_epoch_agg_parse(const char *name);

#endif /* PAT_READERS_EPOCHS_H */
