/* folds.h - participant-level folds for pat cv (docs/cv.md "Folds").
 *
 * A plan holds, for every repeat r, the fold of every participant:
 * fold[r * P + p] in 0 .. nfolds[r] - 1. Participants are the unit: all
 * windows of a participant are in the same fold, so a test participant is
 * never seen in training.
 *
 *   kfold   label-stratified k folds, repeated with seeds seed, seed + 1,
 *           ...: participants sorted by id, shuffled within each label by a
 *           seeded generator and dealt to folds in turn (the algorithm of
 *           pat data build --folds, src/data/split.h)
 *   lopo    leave one participant out: P folds of one participant
 *   stored  the folds stored in the dataset (pat data build --folds K)
 */
#ifndef PAT_CV_FOLDS_H
#define PAT_CV_FOLDS_H

#include <stddef.h>
#include <stdint.h>

#include "cv/cohort.h"
#include "pat.h"

enum pat_cv_protocol { PAT_CV_KFOLD = 0, PAT_CV_LOPO = 1, PAT_CV_STORED = 2 };

/* "kfold", "lopo", "stored"; NULL for an unknown value. */
const char *pat_cv_protocol_name(enum pat_cv_protocol p);
/* -1 when s names no protocol. */
int pat_cv_protocol_parse(const char *s);

#define PAT_CV_NO_FOLD UINT32_MAX

struct pat_cv_plan {
    enum pat_cv_protocol protocol;
    size_t repeats, P;
    size_t *nfolds;  /* [repeats] */
    uint32_t *fold;  /* [repeats * P] */
};

/* kfold: k >= 2 folds, repeats >= 1; lopo and stored: one repeat (k and
 * repeats ignored). Refuses k larger than the participants of the smaller
 * class (a fold's training set would then risk a missing class), and a
 * dataset without stored folds for `stored`. */
enum pat_status pat_cv_plan_make(struct pat_cv_plan *plan, const struct pat_cv_cohort *c,
                                 enum pat_cv_protocol protocol, size_t k, size_t repeats,
                                 uint64_t seed, struct pat_err *err);
void pat_cv_plan_free(struct pat_cv_plan *plan);

/* Label-stratified k folds over the participants with keep[p] != 0
 * (keep NULL: all), fold[p] = PAT_CV_NO_FOLD for the others. The inner
 * folds of penalty choice use it on training participants. */
enum pat_status pat_cv_stratified_folds(const struct pat_cv_cohort *c,
                                        const unsigned char *keep, size_t k, uint64_t seed,
                                        uint32_t *fold, struct pat_err *err);

/* The inner validation split: a label-stratified fraction `frac` of the
 * PAT_CV_TRAIN participants becomes PAT_CV_INNER_VAL (round(n_c * frac)
 * of each class c, pat data build's rule). */
enum pat_status pat_cv_inner_split(const struct pat_cv_cohort *c, unsigned char *role,
                                   double frac, uint64_t seed, struct pat_err *err);

#endif /* PAT_CV_FOLDS_H */
