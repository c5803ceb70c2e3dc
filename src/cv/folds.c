/* folds.c - participant-level folds and inner splits (folds.h), on top of
 * the dataset splitter of pat data build (src/data/split.h). */
#include "cv/folds.h"

#include <stdlib.h>
#include <string.h>

#include "data/split.h"
#include "util.h"

static const char *const protocol_names[] = {"kfold", "lopo", "stored"};

const char *pat_cv_protocol_name(enum pat_cv_protocol p) {
    return (unsigned)p < 3 ? protocol_names[p] : NULL;
}

int pat_cv_protocol_parse(const char *s) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, protocol_names[i]) == 0) return i;
    return -1;
}

void pat_cv_plan_free(struct pat_cv_plan *plan) {
    free(plan->nfolds), free(plan->fold);
    memset(plan, 0, sizeof *plan);
}

/* pat_split_assign over the participants with keep[p] (all when NULL). */
static enum pat_status split_subset(const struct pat_cv_cohort *c, const unsigned char *keep,
                                    const struct pat_split_params *sp, uint8_t *split,
                                    uint8_t *fold, struct pat_err *err) {
    const char **ids = pat_calloc(c->P, sizeof *ids);
    float *lab = pat_calloc(c->P, sizeof *lab);
    uint8_t *s = pat_calloc(c->P, 1), *f = pat_calloc(c->P, 1);
    size_t *idx = pat_calloc(c->P, sizeof *idx), n = 0;
    enum pat_status st = PAT_OK;
    if (!ids || !lab || !s || !f || !idx) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; st == PAT_OK && p < c->P; p++)
        if (!keep || keep[p]) {
            ids[n] = pat_dataset_participant_id(c->ds, p), lab[n] = c->label[p], idx[n++] = p;
        }
    if (st == PAT_OK) st = pat_split_assign(ids, lab, n, sp, s, f, err);
    for (size_t i = 0; st == PAT_OK && i < n; i++) {
        if (split) split[idx[i]] = s[i];
        if (fold) fold[idx[i]] = f[i];
    }
    free(ids), free(lab), free(s), free(f), free(idx);
    return st;
}

enum pat_status pat_cv_stratified_folds(const struct pat_cv_cohort *c,
                                        const unsigned char *keep, size_t k, uint64_t seed,
                                        uint32_t *fold, struct pat_err *err) {
    uint8_t *f = pat_calloc(c->P, 1);
    if (!f) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    struct pat_split_params sp = pat_split_default_params();
    sp.val = 0.0, sp.test = 0.0, sp.folds = k, sp.seed = seed;
    enum pat_status st = split_subset(c, keep, &sp, NULL, f, err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++)
        fold[p] = (keep && !keep[p]) || f[p] == PAT_FOLD_NONE ? PAT_CV_NO_FOLD : f[p];
    free(f);
    return st;
}

enum pat_status pat_cv_inner_split(const struct pat_cv_cohort *c, unsigned char *role,
                                   double frac, uint64_t seed, struct pat_err *err) {
    unsigned char *keep = pat_calloc(c->P, 1);
    uint8_t *split = pat_calloc(c->P, 1);
    enum pat_status st = keep && split ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; st == PAT_OK && p < c->P; p++) keep[p] = role[p] == PAT_CV_TRAIN;
    struct pat_split_params sp = pat_split_default_params();
    sp.val = frac, sp.test = 0.0, sp.seed = seed;
    if (st == PAT_OK) st = split_subset(c, keep, &sp, split, NULL, err);
    for (size_t p = 0; st == PAT_OK && p < c->P; p++)
        if (keep[p] && split[p] == PAT_SPLIT_VAL) role[p] = PAT_CV_INNER_VAL;
    free(keep), free(split);
    return st;
}

/* The dataset's folds, one per participant (all its rows must agree). */
static enum pat_status stored_folds(struct pat_cv_plan *plan, const struct pat_cv_cohort *c,
                                    struct pat_err *err) {
    const size_t k = pat_dataset_num_folds(c->ds);
    if (k < 2)
        return pat_fail(err, PAT_ERR_USAGE, "the dataset has no stored folds (build it with "
                        "pat data build --folds K --test 0)");
    plan->nfolds[0] = k;
    for (size_t p = 0; p < c->P; p++) {
        const unsigned f = pat_dataset_fold(c->ds, c->first[p]);
        const char *id = pat_dataset_participant_id(c->ds, p);
        for (size_t i = 1; i < c->count[p]; i++)
            if (pat_dataset_fold(c->ds, c->first[p] + i) != f)
                return pat_fail(err, PAT_ERR_FORMAT, "participant %s has rows in two folds",
                                id);
        if (f >= k)
            return pat_fail(err, PAT_ERR_USAGE, "participant %s is in no stored fold (a test "
                            "split? build with --test 0)", id);
        plan->fold[p] = f;
    }
    return PAT_OK;
}

static size_t minority(const struct pat_cv_cohort *c) {
    size_t pos = 0;
    for (size_t p = 0; p < c->P; p++) pos += c->label[p] != 0.0f;
    return pos < c->P - pos ? pos : c->P - pos;
}

enum pat_status pat_cv_plan_make(struct pat_cv_plan *plan, const struct pat_cv_cohort *c,
                                 enum pat_cv_protocol protocol, size_t k, size_t repeats,
                                 uint64_t seed, struct pat_err *err) {
    memset(plan, 0, sizeof *plan);
    if (minority(c) < 2)
        return pat_fail(err, PAT_ERR_USAGE, "pat cv needs at least 2 participants of each "
                        "label (%zu participants, %zu in the smaller class)", c->P, minority(c));
    if (protocol != PAT_CV_KFOLD) repeats = 1;
    if (protocol == PAT_CV_KFOLD && (k < 2 || k > minority(c) || k > 100))
        return pat_fail(err, PAT_ERR_USAGE, "--folds %zu: need 2 .. %zu (the smaller class "
                        "has %zu participants; at most 100)", k, minority(c) < 100 ? minority(c)
                        : 100, minority(c));
    if (repeats < 1) return pat_fail(err, PAT_ERR_USAGE, "--repeats must be at least 1");
    size_t n;
    if (!pat_mul_size(repeats, c->P, &n)) return pat_fail(err, PAT_ERR_USAGE, "too many repeats");
    plan->protocol = protocol, plan->repeats = repeats, plan->P = c->P;
    plan->nfolds = pat_calloc(repeats, sizeof *plan->nfolds);
    plan->fold = pat_calloc(n, sizeof *plan->fold);
    enum pat_status st = plan->nfolds && plan->fold ? PAT_OK
                                                   : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && protocol == PAT_CV_LOPO) {
        plan->nfolds[0] = c->P;
        for (size_t p = 0; p < c->P; p++) plan->fold[p] = (uint32_t)p;
    } else if (st == PAT_OK && protocol == PAT_CV_STORED) {
        st = stored_folds(plan, c, err);
    }
    for (size_t r = 0; st == PAT_OK && protocol == PAT_CV_KFOLD && r < repeats; r++) {
        plan->nfolds[r] = k;
        st = pat_cv_stratified_folds(c, NULL, k, seed + r, plan->fold + r * c->P, err);
    }
    if (st != PAT_OK) pat_cv_plan_free(plan);
    return st;
}
