/* readers.h - the files people have, into per-participant minute series.
 *
 *     struct pat_read_options o = pat_read_default_options();
 *     o.format = PAT_FORMAT_AUTO;               // or a named format
 *     pat_read_inputs(paths, n, &o, series_fn, ctx, &count, &err);
 *
 * Each reader hands series_fn one series per participant on the local wall
 * clock, missing minutes MISSING and non-wear minutes NONWEAR; the pipeline
 * (data/build.h) or `pat score` consumes them. With PAT_FORMAT_AUTO the
 * format is decided from each file's content, never its name alone, and
 * o.on_file (when set) is told which format was chosen. Formats and their
 * sources: docs/data.md "Input formats". */
#ifndef PAT_READERS_READERS_H
#define PAT_READERS_READERS_H

#include <stddef.h>

#include "data/series.h"
#include "readers/epochs.h"
#include "readers/when.h"

enum pat_format {
    PAT_FORMAT_AUTO = 0,
    PAT_FORMAT_AGD,          /* ActiGraph .agd (SQLite) */
    PAT_FORMAT_APPLE_HEALTH, /* Apple Health export.xml or export.zip */
    PAT_FORMAT_ACTILIFE_CSV, /* ActiGraph ActiLife CSV export */
    PAT_FORMAT_FITBIT_MINUTE,/* Fitbit / Fitabase minute CSV (Id,ActivityMinute,...) */
    PAT_FORMAT_AWD,          /* Actiwatch .AWD */
    PAT_FORMAT_CSV,          /* generic timestamped CSV */
    PAT_FORMAT_COUNT
};

/* Called once per file read: the format used and whether it was detected. */
typedef void (*pat_read_note_fn)(void *user, const char *path, enum pat_format format,
                                 int detected);

struct pat_read_options {
    enum pat_format format;      /* default AUTO */
    const char *value_col;       /* column by name (csv, actilife-csv, fitbit-minute, agd) */
    const char *time_col;        /* csv: timestamp column by name (default: detected) */
    enum pat_date_order date_order; /* csv, fitbit-minute: default AUTO */
    enum pat_epoch_agg agg;      /* sub-minute epochs: default SUM */
    struct pat_series_rules rules;
    pat_read_note_fn on_file;
    void *on_file_user;
};

struct pat_read_options pat_read_default_options(void);

/* Names ("agd", "apple-health", ...; "auto") and their inverse (-1). */
const char *pat_format_name(enum pat_format f);
int pat_format_parse(const char *name);

/* The format of the file at path judged from its first bytes; AUTO when no
 * reader recognises it. */
enum pat_format pat_format_detect(const char *path);

/* Read one file (every participant in it). *count (may be NULL) is
 * increased by the participants handed to fn. A file no reader recognises
 * is refused with the list of formats tried. */
enum pat_status pat_read_recording(const char *path, const struct pat_read_options *o,
                                   pat_series_fn fn, void *ctx, size_t *count,
                                   struct pat_err *err);

/* Read files and folders (a folder stands for its regular files, in natural
 * order, leaving out names starting with '.'). */
enum pat_status pat_read_inputs(const char *const *paths, size_t n,
                                const struct pat_read_options *o, pat_series_fn fn, void *ctx,
                                size_t *count, struct pat_err *err);

/* The readers (used by pat_read_recording). */
enum pat_status pat_read_csv_generic(const char *path, const struct pat_read_options *o,
                                     pat_series_fn fn, void *ctx, size_t *count,
                                     struct pat_err *err);
enum pat_status pat_read_actilife_csv(const char *path, const struct pat_read_options *o,
                                      pat_series_fn fn, void *ctx, size_t *count,
                                      struct pat_err *err);
enum pat_status pat_read_fitbit_minute(const char *path, const struct pat_read_options *o,
                                       pat_series_fn fn, void *ctx, size_t *count,
                                       struct pat_err *err);
enum pat_status pat_read_awd(const char *path, const struct pat_read_options *o,
                             pat_series_fn fn, void *ctx, size_t *count, struct pat_err *err);
enum pat_status pat_read_agd(const char *path, const struct pat_read_options *o,
                             pat_series_fn fn, void *ctx, size_t *count, struct pat_err *err);
enum pat_status pat_read_apple_health(const char *path, const struct pat_read_options *o,
                                      pat_series_fn fn, void *ctx, size_t *count,
                                      struct pat_err *err);

#endif /* PAT_READERS_READERS_H */
