/* series_csv.h - one participant's minutes from a CSV file.
 *
 * Layouts (docs/data.md "CSV inputs"):
 *   depresjon  header "timestamp,date,activity"; local time, 1-minute steps,
 *              date must match the timestamp, counts >= 0, no NA
 *   timestamp  "YYYY-MM-DD HH:MM[:SS],value", optional header line
 *   values     one value per line, optional header; line k is minute
 *              start + k (start given by the caller)
 * In the timestamp and values layouts an empty field or NA is a missing
 * minute. Timestamps must fall on whole minutes.
 */
#ifndef PAT_DATA_SERIES_CSV_H
#define PAT_DATA_SERIES_CSV_H

#include <stdint.h>

#include "data/series.h"

enum pat_csv_layout {
    PAT_LAYOUT_AUTO = 0, /* decided from the first line */
    PAT_LAYOUT_DEPRESJON = 1,
    PAT_LAYOUT_TIMESTAMP = 2,
    PAT_LAYOUT_VALUES = 3,
};

struct pat_csv_series_params {
    enum pat_csv_layout layout;
    int64_t start; /* values layout: wall-clock minute of the first value */
    struct pat_series_rules rules;
};

/* Read path into *s (initialised here with id; freed on failure). */
enum pat_status pat_series_read_csv(const char *path, const char *id,
                                    const struct pat_csv_series_params *p,
                                    struct pat_series *s, struct pat_err *err);

/* Name of a layout ("depresjon", ...), and its inverse (-1 if unknown). */
const char *pat_layout_name(enum pat_csv_layout layout);
int pat_layout_parse(const char *name);



/* The *.csv files of folder dir in natural order, as paths (free with
 * pat_names_free): those pat_csv_files_read reads for it. */
enum pat_status pat_csv_dir_list(const char *dir, char ***paths, size_t *n, struct pat_err *err);

/* Read CSV files as one participant each (id = file stem), calling fn per
 * file. A path that is a folder stands for its *.csv files in natural order.
 * *count receives the number of participants read. */
enum pat_status pat_csv_files_read(const char *const *paths, size_t n,
                                   const struct pat_csv_series_params *p, pat_series_fn fn,
                                   void *ctx, size_t *count, struct pat_err *err);
#endif /* PAT_DATA_SERIES_CSV_H */
