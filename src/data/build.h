/* build.h - the data pipeline: series -> windows -> transform -> dataset,
 * with a per-participant report. ref: pat-spec §5.4; choices in docs/data.md.
 *
 *     struct pat_build *b;
 *     pat_build_begin("d.patd", &params, &labels, &b, &err);   // NULL path: report only
 *     for each participant series s: pat_build_add(b, &s, &err);
 *     pat_build_finish(b, "source=...\n", &err);               // splits, scaler, write
 *     const struct pat_build_report *r = pat_build_report(b);
 *     pat_build_free(b);
 *
 * One series is processed at a time, so memory is bounded by the longest
 * recording plus O(rows) small per-row arrays; window data stream to disk.
 */
#ifndef PAT_DATA_BUILD_H
#define PAT_DATA_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "data/labels.h"
#include "data/series.h"
#include "data/split.h"
#include "data/weeks.h"

/* Progress: stage name, items done, total (0 if unknown). */
typedef void (*pat_progress_fn)(void *user, const char *stage, size_t done, size_t total);

/* Every accepted window after its transform, as it would be written to the
 * dataset: participant s, window w (start, valid minutes), x (length
 * values). Lets pat score run the pipeline without a dataset file. */
typedef enum pat_status (*pat_build_row_fn)(void *user, const struct pat_series *s,
                                            const struct pat_window *w, const float *x,
                                            struct pat_err *err);

struct pat_build_params {
    struct pat_series_rules rules;
    struct pat_week_params weeks;
    size_t zero_run;       /* runs of >= this many zero minutes become non-wear; 0 off */
    size_t smooth_window;  /* Savitzky-Golay window after filling; 0 off (paper: 51) */
    size_t smooth_order;   /* its polynomial order (paper: 3) */
    int log1p;             /* x -> log(1 + x) after filling/smoothing (values > -1) */
    int drop_unlabeled;    /* leave out participants without a label */
    struct pat_split_params split;
    enum pat_scaler_mode scaler; /* default PAT_SCALER_TRAIN */
    pat_progress_fn progress;
    void *progress_user;
    pat_build_row_fn on_row; /* optional; NULL: none */
    void *row_user;
};

struct pat_build_params pat_build_default_params(void);

struct pat_participant_report {
    char *id;
    float label;
    int64_t first;          /* wall-clock minute of the first row */
    size_t minutes;         /* minutes from first to last row */
    size_t valid;           /* VALID minutes */
    struct pat_series_stats stats;
    size_t days, valid_days; /* complete calendar days, of which valid */
    double mean_valid;      /* valid minutes per complete day */
    size_t windows;         /* accepted windows (rows) */
    size_t rejected;        /* rejected candidate windows */
    size_t filled;          /* minutes filled in accepted windows */
    int split;              /* enum pat_split once finished, else -1 */
    char reason[160];       /* why there is no row ("" when there are rows) */
};

struct pat_rejection {
    size_t participant; /* index into the report's participants */
    int64_t start;
    char reason[128];
};

struct pat_build_report {
    struct pat_participant_report *p;
    size_t np, pcap;
    struct pat_rejection *r;
    size_t nr, rcap;
    size_t rows;
    size_t split_rows[4], split_participants[4]; /* by enum pat_split */
};

struct pat_build;

enum pat_status pat_build_begin(const char *out_path, const struct pat_build_params *p,
                                const struct pat_labels *labels, struct pat_build **b,
                                struct pat_err *err);
/* Process one participant. s is modified (non-wear marking) but not freed. */
enum pat_status pat_build_add(struct pat_build *b, struct pat_series *s, struct pat_err *err);
/* As pat_build_add, with the signature of a series callback (ctx = b). */
enum pat_status pat_build_series_fn(void *ctx, struct pat_series *s, struct pat_err *err);
/* Split, fit scalers and write the dataset (report-only builds just split
 * nothing). extra_meta: "key=value\n" lines added to the provenance. */
enum pat_status pat_build_finish(struct pat_build *b, const char *extra_meta,
                                 struct pat_err *err);
const struct pat_build_report *pat_build_report(const struct pat_build *b);
void pat_build_free(struct pat_build *b); /* NULL-safe; removes an unfinished output */

const char *pat_scaler_mode_name(enum pat_scaler_mode m); /* none, train, per-split */
const char *pat_dup_rule_name(enum pat_dup_rule r);       /* error, first, last */

#endif /* PAT_DATA_BUILD_H */
