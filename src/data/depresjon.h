/* depresjon.h - the Depresjon data set folder (Garcia-Ceja et al. 2018):
 * condition/condition_N.csv (label 1), control/control_N.csv (label 0),
 * scores.csv. See /work/shared/data/depresjon/README.md and docs/data.md. */
#ifndef PAT_DATA_DEPRESJON_H
#define PAT_DATA_DEPRESJON_H

#include "data/series.h"

/* Read every participant file of dir (condition first, natural order),
 * calling fn once per participant with s->label set from its folder.
 * *count receives the number of participants read. */
enum pat_status pat_depresjon_read(const char *dir, const struct pat_series_rules *rules,
                                   pat_series_fn fn, void *ctx, size_t *count,
                                   struct pat_err *err);

/* The participant files of dir in the order pat_depresjon_read reads
 * them: *paths (free with pat_names_free) and *labels (free) of *n files. */
enum pat_status pat_depresjon_list(const char *dir, char ***paths, float **labels, size_t *n,
                                   struct pat_err *err);

/* One participant file of the folder (id = file stem, label given): fn
 * called once. */
enum pat_status pat_depresjon_read_file(const char *path, float label,
                                        const struct pat_series_rules *rules, pat_series_fn fn,
                                        void *ctx, struct pat_err *err);

#endif /* PAT_DATA_DEPRESJON_H */
