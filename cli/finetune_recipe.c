/* finetune_recipe.c - the input recipe pat finetune writes into a model:
 * the windows from the dataset's provenance (--data) or from
 * --input-recipe FILE (CSV rows), mean aggregation, and a Youden threshold
 * chosen on the validation participants (training participants when the
 * validation split lacks a class). The test split is never used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval/participant.h"
#include "score/recipe.h"
#include "train/finetune.h"
#include "util.h"

/* Youden threshold over one split's participants (ds) or rows (ds NULL). */
static enum pat_status youden_on(const struct pat_model *m, const char *data,
                                 const struct pat_dataset *ds,
                                 int split, const struct matrix *x, const struct matrix *y,
                                 struct pat_recipe *r, struct pat_err *err) {
    float *prob = pat_calloc(x->rows ? x->rows : 1, sizeof *prob);
    char **ids = NULL;
    struct pat_participants P = {0};
    if (!prob) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    struct pat_train_data d = {x->v, y->v, x->rows, x->cols};
    enum pat_status st = pat_train_predict(m, &d, prob, err);
    if (st == PAT_OK && ds) st = cli_dataset_row_ids(data, split, x->rows, &ids, err);
    if (st == PAT_OK && ds)
        st = pat_participants_group((const char *const *)ids, prob, y->v, x->rows,
                                    r->aggregate, &P, err);
    double thr = NAN;
    if (st == PAT_OK)
        st = ds ? pat_youden_threshold(P.score, P.label, P.n, &thr, NULL, err)
                : pat_youden_threshold(prob, y->v, x->rows, &thr, NULL, err);
    if (st == PAT_OK) {
        r->threshold = thr;
        snprintf(r->threshold_rule, sizeof r->threshold_rule,
                 "Youden's J on the %s %s (%zu), %s of window probabilities",
                 split == PAT_SPLIT_VAL ? "validation" : "training",
                 ds ? "participants" : "rows (no participant ids in CSV rows)",
                 ds ? P.n : x->rows, pat_aggregate_name(r->aggregate));
    }
    pat_participants_free(&P);
    cli_ids_free(ids, ids ? x->rows : 0);
    free(prob);
    return st;
}

enum pat_status finetune_recipe(struct pat_model *m, const char *data, const char *recipe_file,
                                const struct matrix *x, const struct matrix *y,
                                struct pat_err *err) {
    if (!data && !recipe_file) return PAT_OK; /* CSV rows of unknown origin: no recipe */
    struct pat_recipe r = pat_recipe_default();
    struct pat_dataset *ds = NULL;
    enum pat_status st = PAT_OK;
    if (data) {
        st = pat_dataset_open(data, &ds, err);
        if (st == PAT_OK) st = pat_recipe_from_dataset(ds, data, &r, err);
    }
    if (st == PAT_OK && recipe_file) st = pat_recipe_read_file(recipe_file, &r, err);
    for (int i = 0; st == PAT_OK && i < 2; i++) {
        struct pat_err e = {0};
        int split = i == 0 ? PAT_SPLIT_VAL : PAT_SPLIT_TRAIN;
        if (x[i == 0].rows && youden_on(m, data, ds, split, &x[i == 0], &y[i == 0], &r, &e) == PAT_OK)
            break;
        if (e.status == PAT_ERR_NOMEM) st = pat_fail(err, PAT_ERR_NOMEM, "%s", e.msg);
        if (i == 1) snprintf(r.threshold_rule, sizeof r.threshold_rule, "none: %.140s", e.msg);
    }
    if (st == PAT_OK) st = pat_recipe_to_model(&r, m, err);
    pat_dataset_close(ds);
    return st;
}
