/* input.h - the one place where pat score turns a path into participant
 * series: every reader of src/data/ and src/readers/ plugs in here.
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
 *   readers    the files devices and apps write (src/readers/: ActiLife CSV,
 *              .agd, .AWD, Fitbit minute CSV, Apple Health export, any
 *              timestamped CSV), ip.readers.format naming one or AUTO
 * auto: a folder with condition/ or control/ is depresjon, another folder
 * csv; *.xpt is paxraw when its name contains "paxraw", else paxmin; a
 * file is long when ip.lng.id_col is set, else readers (the format judged
 * from its content; a Depresjon-layout CSV reads as the csv format does).
 */
#ifndef PAT_SCORE_INPUT_H
#define PAT_SCORE_INPUT_H

#include <stddef.h>

#include "data/nhanes.h"
#include "data/series.h"
#include "data/series_csv.h"
#include "data/series_long.h"
#include "readers/readers.h"

enum pat_input_format {
    PAT_INPUT_AUTO = 0,
    PAT_INPUT_DEPRESJON,
    PAT_INPUT_CSV,
    PAT_INPUT_LONG,
    PAT_INPUT_PAXMIN,
    PAT_INPUT_PAXRAW,
    PAT_INPUT_READERS,
};

struct pat_input_params {
    enum pat_input_format format;
    struct pat_csv_series_params csv;  /* layout and start (rules: from the caller) */
    struct pat_long_csv_params lng;    /* column names */
    struct pat_nhanes_params nhanes;
    struct pat_read_options readers;   /* format, columns, dates (rules: from the caller) */
};

struct pat_input_params pat_input_default_params(void);
/* "auto", "depresjon", "csv", "long", "paxmin", "paxraw", "readers". */
const char *pat_input_format_name(enum pat_input_format f);
/* Sets p->format from a name above or a reader's format name ("agd",
 * "apple-health", ...: PAT_INPUT_READERS); -1 if unknown. */
int pat_input_format_set(struct pat_input_params *p, const char *name);
/* The format auto picks for path (never PAT_INPUT_AUTO). */
enum pat_input_format pat_input_detect(const char *path, const struct pat_input_params *p);

/* Read every participant of path, calling fn once per series with the
 * series rules `rules`. *count: participants read. */
enum pat_status pat_input_read(const char *path, const struct pat_input_params *p,
                               const struct pat_series_rules *rules, pat_series_fn fn,
                               void *ctx, size_t *count, struct pat_err *err);

/* Whether to read participant k (0-based, in reading order) of a folder. */
typedef int (*pat_input_want_fn)(void *user, size_t k);

/* pat_input_read, except that in a folder (depresjon, csv) the participant
 * files for which want(want_user, k) is 0 are skipped unread (and still
 * counted in *count): a rank of a job reads only its own (score.h's pick).
 * want NULL: pat_input_read. */
enum pat_status pat_input_read_some(const char *path, const struct pat_input_params *p,
                                    const struct pat_series_rules *rules, pat_series_fn fn,
                                    void *ctx, pat_input_want_fn want, void *want_user,
                                    size_t *count, struct pat_err *err);

#endif /* PAT_SCORE_INPUT_H */
