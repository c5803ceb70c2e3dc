/* cv.h - pat cv: participant-level cross-validation of baselines and PAT
 * recipes on one cohort (docs/cv.md).
 *
 *     struct pat_cv_config cfg;
 *     pat_cv_config_default(&cfg);
 *     cfg.methods[PAT_CV_PROBE] = 1;
 *     struct pat_cv_plan plan;     // folds.h
 *     pat_cv_plan_make(&plan, &cohort, cfg.protocol, cfg.folds, cfg.repeats, cfg.seed, &err);
 *     struct pat_cv_results res;
 *     pat_cv_run(&cohort, &plan, &cfg, "out/state", 0, &res, progress, user, &err);
 *     ... res.score: every participant's out-of-fold score per method and repeat
 *     pat_cv_results_free(&res);
 *
 * One task = one (repeat, fold). A task fits every selected method on the
 * fold's training participants only and scores its test participants;
 * tasks run in parallel on the pool's threads (nn/pool.h), each deterministic in its own
 * seed, so results do not depend on the thread count. Every finished task
 * is saved to state_dir; a resumed run reads the saved tasks back instead
 * of recomputing them, which gives the same results as a run that was
 * never interrupted.
 */
#ifndef PAT_CV_CV_H
#define PAT_CV_CV_H

#include <stddef.h>
#include <stdint.h>

#include "baseline/logreg_cv.h"
#include "cv/cohort.h"
#include "cv/folds.h"
#include "pat.h"

enum pat_cv_method {
    PAT_CV_FEATURES = 0, /* rest-activity features + L2 logistic regression */
    PAT_CV_PROBE,        /* L2 logistic regression on a fixed encoder's embeddings */
    PAT_CV_PROBE_MLP,    /* the paper's head trained on a frozen encoder */
    PAT_CV_FULL,         /* every weight fine-tuned */
    PAT_CV_TWO_STAGE,    /* head first, then the last blocks too */
    PAT_CV_MAE_PROBE,    /* MAE-pretrained in the fold, then the linear probe */
    PAT_CV_MAE_FULL,     /* MAE-pretrained in the fold, then full fine-tuning */
    PAT_CV_METHODS
};

const char *pat_cv_method_name(enum pat_cv_method m);  /* "features", "probe", ... */
const char *pat_cv_method_label(enum pat_cv_method m); /* for tables and legends */
int pat_cv_method_parse(const char *s);                 /* -1: unknown */

struct pat_cv_config {
    enum pat_cv_protocol protocol;
    size_t folds, repeats;   /* kfold only */
    uint64_t seed;           /* everything derives from it */
    int methods[PAT_CV_METHODS];
    const char *arch;        /* preset of random and MAE encoders ("S") */
    const struct pat_model *encoder; /* --encoder (borrowed) or NULL: random */
    const char *encoder_name;        /* recorded in results */
    size_t inner_folds;      /* penalty choice of the logistic regressions (5) */
    double inner_val;        /* fraction of training participants for early stopping (0.2) */
    struct pat_logreg_cv_params grid;
    /* MAE pretraining (mae-*) */
    size_t pre_epochs, pre_batch;
    double pre_lr;
    float mask_ratio;
    /* fine-tuning (probe-mlp, full, two-stage, mae-full) */
    size_t ft_epochs, ft_batch, patience;
    double ft_lr_head, ft_lr_encoder;
};

void pat_cv_config_default(struct pat_cv_config *c);

/* The options that decide the results, as one line (no thread count, no
 * paths): a resumed run must have the same. */
void pat_cv_config_describe(const struct pat_cv_config *c, const struct pat_cv_plan *plan,
                            char *buf, size_t n);

/* Out-of-fold results. Indexing: method m, repeat r, participant p, fold k
 * (K = the largest number of folds of a repeat). */
struct pat_cv_results {
    size_t repeats, P, K;
    float *score;      /* [M][R][P]: the participant's test score (NaN: not run) */
    double *threshold; /* [M][R][K]: decision threshold of the fold */
    double *C;         /* [M][R][K]: chosen penalty (logistic methods; NaN others) */
    double *inner;     /* [M][R][K]: early-stopping inner-validation window AUC or
                        * inner-CV log-loss of the chosen C (see docs/cv.md) */
    double *seconds;   /* [R][K]: wall time of the task */
    size_t resumed;    /* tasks read back from state_dir */
};

void pat_cv_results_free(struct pat_cv_results *r);

#define PAT_CV_AT(res, m, r, i, n) (((size_t)(m) * (res)->repeats + (r)) * (n) + (i))

/* Progress after each task (called from worker threads, one call at a time). */
struct pat_cv_progress {
    size_t done, total;     /* tasks */
    size_t repeat, fold;    /* the task just finished (0-based) */
    double task_seconds, elapsed_seconds, eta_seconds;
    int resumed;            /* read back from state_dir */
};
typedef void (*pat_cv_progress_fn)(const struct pat_cv_progress *p, void *user);

/* Run the plan. state_dir: folder for per-task state files (created; NULL:
 * none); resume: read back tasks saved there by a run with the same
 * configuration (another configuration is refused). */
enum pat_status pat_cv_run(const struct pat_cv_cohort *c, const struct pat_cv_plan *plan,
                           const struct pat_cv_config *cfg, const char *state_dir, int resume,
                           struct pat_cv_results *out, pat_cv_progress_fn progress,
                           void *user, struct pat_err *err);

/* --final: method m fitted on every participant (its inner folds and inner
 * validation split drawn from the training participants as in a fold).
 * *model: the PAT model (encoder, head, scaler); *threshold: its decision
 * threshold chosen as in a fold. features has no PAT model (refused). */
enum pat_status pat_cv_final(const struct pat_cv_cohort *c, const struct pat_cv_config *cfg,
                             enum pat_cv_method m, struct pat_model **model, double *threshold,
                             struct pat_err *err);

#endif /* PAT_CV_CV_H */
