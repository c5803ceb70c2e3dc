/* methods.h - fitting one method on one fold of pat cv (cv.h, docs/cv.md).
 *
 * Shared across folds (computed once): the participants' rest-activity
 * features, the fixed encoder (--encoder, or a random one drawn from the
 * seed) and its embeddings of every window. A fixed encoder sees the rows
 * as stored, standardized only by a scaler it carries itself: nothing
 * fitted on the cohort enters, so one set of embeddings serves every fold.
 *
 * Per fold (struct pat_cv_fold): the participants' roles (training or
 * test), the inner folds of penalty choice, the inner validation split of
 * early stopping, and lazily the per-minute scaler fitted on the training
 * participants and the fold's MAE-pretrained encoder (shared by mae-probe
 * and mae-full). A method reads the windows and labels of training
 * participants only; the test participants' windows are scored at the end.
 */
#ifndef PAT_CV_METHODS_H
#define PAT_CV_METHODS_H

#include <stddef.h>
#include <stdint.h>

#include "cv/cv.h"

struct pat_cv_shared {
    const struct pat_cv_cohort *c;
    const struct pat_cv_config *cfg;
    double *feat;            /* [P * PAT_CV_NFEAT] or NULL */
    struct pat_model *fixed; /* fixed encoder with a head, transform "none" */
    double *emb;             /* [rows * E] fixed-encoder embeddings, or NULL */
    size_t E;
    size_t *owner;           /* [rows] participant of each window */
};

enum pat_status pat_cv_shared_make(struct pat_cv_shared *sh, const struct pat_cv_cohort *c,
                                   const struct pat_cv_config *cfg, struct pat_err *err);
void pat_cv_shared_free(struct pat_cv_shared *sh);

struct pat_cv_fold {
    const struct pat_cv_shared *sh;
    uint64_t seed;
    unsigned char *role;      /* [P] PAT_CV_TRAIN / PAT_CV_TEST (OUT: unused) */
    unsigned char *role_val;  /* [P] the same with PAT_CV_INNER_VAL marked */
    uint32_t *inner_fold;     /* [P] inner folds of training participants */
    size_t inner_k;
    float *mean, *std;        /* [T] fold scaler, fitted on first use */
    struct pat_model *mae;    /* fold MAE encoder, pretrained on first use */
    double pre_loss;          /* its best validation loss */
};

/* in_test[p] != 0: participant p is a test participant of this fold; every
 * other participant trains. */
enum pat_status pat_cv_fold_begin(struct pat_cv_fold *f, const struct pat_cv_shared *sh,
                                  const unsigned char *in_test, uint64_t seed,
                                  struct pat_err *err);
void pat_cv_fold_end(struct pat_cv_fold *f);

struct pat_cv_fit {
    float *score;     /* [P] caller's: every participant's score (test ones matter) */
    double threshold; /* Youden's J on training participants' out-of-sample scores */
    double C;         /* chosen penalty (logistic methods), else NaN */
    double inner;     /* inner-CV log-loss of C, or best inner-validation window AUC */
    struct pat_model *model; /* with keep: the fitted PAT model (caller frees) */
};

enum pat_status pat_cv_fold_fit(struct pat_cv_fold *f, enum pat_cv_method m, int keep,
                                struct pat_cv_fit *out, struct pat_err *err);

#endif /* PAT_CV_METHODS_H */
