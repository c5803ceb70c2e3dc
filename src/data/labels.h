/* labels.h - labels and covariates keyed by participant id.
 *
 * Sources (docs/data.md "Labels"):
 *   pat_labels_read_csv        generic "id,label[,covariate...]" CSV; a header
 *                              line names the covariates; NA/empty = unknown
 *   pat_labels_read_depresjon  Depresjon scores.csv: label 1 for condition_*,
 *                              0 for control_*; every other column (madrs1,
 *                              madrs2, days, age, ...) becomes a covariate
 *   NHANES DPQ/DEMO tables: see nhanes.h
 */
#ifndef PAT_DATA_LABELS_H
#define PAT_DATA_LABELS_H

#include <stddef.h>

#include "data/idmap.h"
#include "pat.h"

struct pat_labels {
    struct pat_idmap ids; /* row of each id */
    float *label;         /* per row, NaN = unlabeled */
    size_t C;             /* covariates */
    char **cov_names;     /* C names */
    float **cov;          /* C columns of one value per row, NaN = unknown */
    size_t cap;           /* rows allocated in label and each cov column */
};

void pat_labels_init(struct pat_labels *L);
void pat_labels_free(struct pat_labels *L);

/* Row of id, added unlabeled with unknown covariates when new. */
enum pat_status pat_labels_row(struct pat_labels *L, const char *id, size_t *row,
                               struct pat_err *err);
/* Column of covariate name, added (all unknown) when new. */
enum pat_status pat_labels_column(struct pat_labels *L, const char *name, size_t *col,
                                  struct pat_err *err);
/* Row of id or PAT_ID_NONE. */
size_t pat_labels_find(const struct pat_labels *L, const char *id);

enum pat_status pat_labels_read_csv(const char *path, struct pat_labels *L,
                                    struct pat_err *err);
enum pat_status pat_labels_read_depresjon(const char *path, struct pat_labels *L,
                                          struct pat_err *err);

#endif /* PAT_DATA_LABELS_H */
