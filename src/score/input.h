/* input.h - the one place where pat score turns a path into participant
 * series: every reader of src/data/ (and later src/readers/) plugs in here.
 *
 *     struct pat_input_params ip = pat_input_default_params();
 *     pat_input_read("rec.csv", &ip, &rules, fn, ctx, &n, &err);
 *
 * Formats (auto picks one per path):
 *   depresjon  a Depresjon folder (condition/, control/): labels from the folders
 *   csv        one participant per CSV file (id = file stem), layouts of
 *              series_csv.h; a folder stands for its *.csv files
 *   long       many participants in one CSV (columns named in ip.lng)
 *   paxmin     NHANES 2011-14 PAXMIN .XPT;  paxraw  NHANES 2003-06 PAXRAW .XPT
 *   actilife-csv, agd, awd, fitbit-minute, apple-health  device and app
 *              files read by src/readers/ (docs/data.md "Input formats")
 *   generic-csv  src/readers/' forgiving CSV (quotes, ; or tab, ISO 8601,
 *              sub-minute epochs); only when asked for
 * auto: a folder with condition/ or control/ is depresjon, another folder
 * csv; *.xpt is paxraw when its name contains "paxraw", else paxmin; a
 * file whose content src/readers/ recognises as a device format is that
 * format; another file is long when ip.lng.id_col is set, else csv.
 */
#ifndef PAT_SCORE_INPUT_H
#define PAT_SCORE_INPUT_H

#include <stddef.h>

#include "data/nhanes.h"
#include "data/series.h"
#include "data/series_csv.h"
#include "data/series_long.h"

enum pat_input_format {
    PAT_INPUT_AUTO = 0,
    PAT_INPUT_DEPRESJON,
    PAT_INPUT_CSV,
    PAT_INPUT_LONG,
    PAT_INPUT_PAXMIN,
    PAT_INPUT_PAXRAW,
    PAT_INPUT_ACTILIFE_CSV, /* the device formats of src/readers/ (readers.h) */
    PAT_INPUT_AGD,
    PAT_INPUT_AWD,
    PAT_INPUT_FITBIT_MINUTE,
    PAT_INPUT_APPLE_HEALTH,
    PAT_INPUT_GENERIC_CSV, /* readers' forgiving CSV ("generic-csv"; never picked by auto) */
};

struct pat_input_params {
    enum pat_input_format format;
    struct pat_csv_series_params csv;  /* layout and start (rules: from the caller) */
    struct pat_long_csv_params lng;    /* column names */
    struct pat_nhanes_params nhanes;
};

struct pat_input_params pat_input_default_params(void);
/* "auto", "depresjon", "csv", "long", "paxmin", "paxraw"; parse: -1 if unknown. */
const char *pat_input_format_name(enum pat_input_format f);
int pat_input_format_parse(const char *name);
/* The format auto picks for path (never PAT_INPUT_AUTO). */
enum pat_input_format pat_input_detect(const char *path, const struct pat_input_params *p);

/* Read every participant of path, calling fn once per series with the
 * series rules `rules`. *count: participants read. */
enum pat_status pat_input_read(const char *path, const struct pat_input_params *p,
                               const struct pat_series_rules *rules, pat_series_fn fn,
                               void *ctx, size_t *count, struct pat_err *err);

#endif /* PAT_SCORE_INPUT_H */
