/* dj.h - the Depresjon benchmark driver (docs/results-depresjon.md).
 *
 * One process reads a day-window dataset built by `pat data build
 * --depresjon` (bench/depresjon/run.sh), then for every fold of a protocol
 * (leave-one-participant-out, repeated stratified k-fold grouped by
 * participant) fits every method on the training participants only and
 * scores the test participants: a participant's score is the mean of its
 * windows' probabilities. Everything is seeded; the same options and
 * libpat give the same numbers.
 *
 * Methods (enum dj_method):
 *   features      L2 logistic regression (C = 1) on 12 rest-activity features
 *                 per participant (src/baseline: mean, SD, zero fraction, IS,
 *                 IV, RA, L5, M10, sin/cos of the L5 and M10 onsets)
 *   random-probe  PAT-S with random (Keras-initialised) weights, frozen; L2
 *                 logistic regression on its 96-value window embeddings
 *   random-full   PAT-S from random weights, every weight fine-tuned
 *   mae-probe     PAT-S pretrained as a masked autoencoder on the training
 *                 participants' windows, frozen; logistic regression probe
 *   mae-full      the same encoder, every weight fine-tuned
 */
#ifndef PAT_BENCH_DJ_H
#define PAT_BENCH_DJ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eval/metrics.h"
#include "pat.h"

enum dj_method { DJ_FEATURES = 0, DJ_RANDOM_PROBE, DJ_RANDOM_FULL, DJ_MAE_PROBE, DJ_MAE_FULL,
                 DJ_METHODS };

const char *dj_method_name(enum dj_method m);
const char *dj_method_label(enum dj_method m); /* for tables and legends */

/* Budgets and hyperparameters, fixed before any test fold is seen. */
struct dj_config {
    const char *arch;        /* "S" */
    uint64_t seed;           /* everything derives from it */
    /* MAE pretraining */
    size_t pre_epochs, pre_batch;
    double pre_lr;
    float mask_ratio;
    /* full fine-tuning (AdamW, pos_weight, clip 1, cosine, best inner-val epoch) */
    size_t ft_epochs, ft_batch;
    double ft_lr_head, ft_lr_encoder;
    /* logistic regressions */
    double probe_C, features_C;
    /* inner validation: fraction of the training participants */
    double inner_val;
    int methods[DJ_METHODS]; /* 1: run it */
    int verbose;             /* epoch lines on stderr */
};

void dj_config_default(struct dj_config *c);

/* The dataset seen as participants. */
struct dj_data {
    struct pat_dataset *ds;
    size_t rows, T, P;     /* windows, minutes per window, participants */
    size_t *first, *count; /* per participant: first row, number of rows */
    float *label;          /* per participant, 0/1 */
    int log1p;             /* rows hold log(1 + counts) */
};

enum pat_status dj_data_open(struct dj_data *d, const char *path, struct pat_err *err);
void dj_data_close(struct dj_data *d);

/* Participant index of an id, or (size_t)-1. */
size_t dj_data_find(const struct dj_data *d, const char *id);

/* Participants' roles in one fit. */
enum dj_role { DJ_OUT = 0, DJ_TRAIN = 1, DJ_INNER_VAL = 2, DJ_TEST = 3 };

/* Split the DJ_TRAIN participants of role[] into inner training and inner
 * validation (DJ_INNER_VAL) participants: stratified, seeded, fraction frac. */
enum pat_status dj_inner_split(const struct dj_data *d, unsigned char *role, double frac,
                               uint64_t seed, struct pat_err *err);

/* Stratified k folds over all participants, grouped (fold[P]). */
enum pat_status dj_folds(const struct dj_data *d, size_t k, uint64_t seed, unsigned char *fold,
                         struct pat_err *err);

/* Per-minute scaler fitted on the windows of participants with role
 * DJ_TRAIN or DJ_INNER_VAL. mean, std: T floats. */
enum pat_status dj_fit_scaler(const struct dj_data *d, const unsigned char *role, float *mean,
                              float *std, struct pat_err *err);

/* Rest-activity features of every participant: x[P * DJ_NFEAT]. */
#define DJ_NFEAT 12
enum pat_status dj_features(const struct dj_data *d, double *x, struct pat_err *err);
const char *dj_feature_name(size_t j);

/* Participant score = mean of its windows' values. */
void dj_participant_mean(const struct dj_data *d, const float *window, float *score);

/* Youden threshold on the participants with role[p] in {a, b}. */
enum pat_status dj_threshold(const struct dj_data *d, const float *score,
                             const unsigned char *role, int a, int b, double *thr,
                             struct pat_err *err);

/* ---- PAT (dj_pat.c) ---- */

/* MAE-pretrain a fresh encoder on the DJ_TRAIN participants' windows,
 * validated on DJ_INNER_VAL's; inputs standardized with mean/std. */
enum pat_status dj_pretrain(const struct dj_data *d, const struct dj_config *c,
                            const unsigned char *role, const float *mean, const float *std,
                            uint64_t seed, struct pat_model **enc, double *val_loss,
                            struct pat_err *err);

/* A fresh random encoder (no head), as pat init --no-head draws it. */
enum pat_status dj_random_encoder(const struct dj_config *c, uint64_t seed,
                                  struct pat_model **enc, struct pat_err *err);

/* Linear probe: L2 logistic regression on the frozen encoder's window
 * embeddings (inputs standardized with mean/std), fitted on the windows of
 * DJ_TRAIN and DJ_INNER_VAL participants, folded exactly into a PAT head
 * (two ReLU units carry +a and -a). *out: encoder + head + scaler.
 * window[rows]: the probability of every window of the dataset. */
enum pat_status dj_probe(const struct dj_data *d, const struct dj_config *c,
                         const struct pat_model *enc, const unsigned char *role,
                         const float *mean, const float *std, struct pat_model **out,
                         float *window, struct pat_err *err);

/* Full fine-tuning of enc + a new head on DJ_TRAIN windows, best epoch by
 * window ROC-AUC on DJ_INNER_VAL windows. *out: the model (with scaler);
 * window[rows] as for dj_probe; *best_val: that AUC. */
enum pat_status dj_full(const struct dj_data *d, const struct dj_config *c,
                        const struct pat_model *enc, const unsigned char *role,
                        const float *mean, const float *std, uint64_t seed,
                        struct pat_model **out, float *window, double *best_val,
                        struct pat_err *err);


/* ---- protocols and reports (depresjon.c, dj_report.c) ---- */

/* The outcome of one protocol: for every repeat and method, each
 * participant's test score and the decision at its fold's threshold. */
struct dj_protocol {
    const char *name;      /* "lopo" or "cv" */
    size_t repeats, folds;
    float *score;          /* [repeats][DJ_METHODS][P] */
    float *decision;       /* [repeats][DJ_METHODS][P], 0 or 1 */
    double *threshold;     /* [repeats][folds][DJ_METHODS] */
    double *inner_auc;     /* [repeats][folds][DJ_METHODS]: full fine-tuning's
                            * best inner-validation window AUC (NaN: none) */
    double *pre_loss;      /* [repeats][folds]: MAE validation loss (NaN: none) */
    double seconds;
};

enum pat_status dj_protocol_alloc(struct dj_protocol *pr, const char *name, size_t repeats,
                                  size_t folds, size_t P, struct pat_err *err);
void dj_protocol_free(struct dj_protocol *pr);

struct dj_metrics {
    double auc, ci_lo, ci_hi, pr_auc;
    struct pat_binary_metrics at; /* pooled decisions of all folds */
};

#define DJ_BOOTSTRAP 2000
enum pat_status dj_metrics_of(const struct dj_data *d, const float *score,
                              const float *decision, uint64_t seed, struct dj_metrics *m,
                              struct pat_err *err);

/* results.json, the markdown tables (stdout) and the ROC chart. */
enum pat_status dj_report_json(const char *path, const struct dj_data *d,
                               const struct dj_config *c, const char *data_path,
                               const struct dj_protocol *pr, size_t npr, double seconds,
                               struct pat_err *err);
enum pat_status dj_report_table(FILE *f, const struct dj_data *d, const struct dj_config *c,
                                const struct dj_protocol *pr, struct pat_err *err);
enum pat_status dj_report_roc(const char *path, const struct dj_data *d,
                              const struct dj_config *c, const struct dj_protocol *pr,
                              size_t repeat, struct pat_err *err);

#endif /* PAT_BENCH_DJ_H */
