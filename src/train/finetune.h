/* finetune.h - fine-tuning: modes, recipes, the epoch loop, early stopping and
 * checkpoints.
 *
 *     struct pat_train_params p;
 *     pat_train_recipe("paper", pat_model_config(m), &p, &err);
 *     p.epochs = 50;
 *     struct pat_train_result r = {0};
 *     pat_finetune(m, &p, &train, &val, &r, &err);   // m ends with the best weights
 *     pat_train_result_free(&r);
 *
 * Modes (pat-spec §4): full (every weight trains), probe (a true frozen
 * encoder: no gradient is computed for it, only the head trains) and
 * two-stage (stage 1 = probe; stage 2 starts from stage 1's best weights
 * and optimizer state and also trains the last `unfreeze_last` blocks with
 * their own learning rate). Each stage keeps the epoch with the best
 * validation AUC (early stopping, restore best); the test set is never seen.
 *
 * Randomness (shuffling, dropout) is derived from (seed, epoch, step,
 * sequence) without hidden streams, so an interrupted run resumed from a
 * checkpoint ends bit-identical to an uninterrupted one, and the thread
 * count changes nothing.
 */
#ifndef PAT_FINETUNE_H
#define PAT_FINETUNE_H

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "train/optim.h"
#include "pat.h"

enum pat_finetune_mode { PAT_FT_FULL = 0, PAT_FT_PROBE = 1, PAT_FT_TWO_STAGE = 2 };

/* How the loss weighs the classes. */
enum pat_loss_weighting {
    PAT_WEIGHT_NONE = 0,  /* mean binary cross-entropy */
    PAT_WEIGHT_CLASS = 1, /* Keras class_weight {0: n1/n, 1: n0/n}, sum / batch (pat-spec §4.1) */
    PAT_WEIGHT_POS = 2,   /* BCEWithLogits pos_weight = n0/n1, mean over the batch (§4.2) */
};

enum pat_lr_schedule { PAT_SCHED_CONSTANT = 0, PAT_SCHED_COSINE = 1, PAT_SCHED_PLATEAU = 2 };

/* Which validation AUC chooses the best epoch. */
enum pat_monitor { PAT_MONITOR_AUC = 0, PAT_MONITOR_KERAS_AUC = 1 };

struct pat_epoch_log {
    size_t stage;        /* 1, or 2 for two-stage's second stage */
    size_t epoch;        /* 1-based within the stage */
    size_t epochs;       /* planned epochs of the stage */
    double train_loss;   /* mean over the epoch's sequences, dropout on */
    double val_loss;     /* unweighted mean BCE */
    double val_auc;      /* exact ROC-AUC */
    double val_keras_auc;/* Keras 200-threshold AUC */
    double lr_head, lr_encoder;
    double grad_norm;    /* mean pre-clip global norm over the epoch's steps */
    double seconds;      /* wall time of the epoch, validation included */
    double seq_per_s;    /* training sequences per second */
    int improved;        /* the monitored AUC improved: weights kept */
};

/* Called after every epoch (and nothing else prints). */
typedef void (*pat_epoch_callback)(const struct pat_epoch_log *log, void *user);

struct pat_train_params {
    enum pat_finetune_mode mode;
    enum pat_optim_kind optimizer;
    enum pat_loss_weighting weighting;
    enum pat_lr_schedule schedule;
    enum pat_monitor monitor;
    size_t epochs;         /* full/probe: all; two-stage: stage 2 */
    size_t batch_size;
    uint64_t seed;
    double lr_head;        /* head learning rate (stage 2 in two-stage) */
    double lr_encoder;     /* encoder blocks' learning rate (full; two-stage stage 2) */
    double lr_embedding;   /* patch embedding's learning rate (full); < 0: lr_encoder */
    double weight_decay;   /* 0: none; AdamW default 1e-2 */
    double clip_norm;      /* global-norm clipping; 0: off */
    double eta_min;        /* cosine floor */
    double plateau_factor; /* ReduceLROnPlateau on validation loss */
    size_t plateau_patience;
    double plateau_min_lr;
    size_t patience;       /* early stopping on the monitored AUC; 0: never stop early */
    float dropout;         /* 0.1 at the three sites of pat-spec §2.4/§2.6 */
    int shuffle;           /* 0: file order every epoch (the original) */
    /* two-stage */
    size_t stage1_epochs;
    double stage1_lr_head;
    size_t unfreeze_last;  /* blocks trained in stage 2 (counted from the top) */
    /* output */
    const char *checkpoint_path; /* written atomically after every epoch; NULL: none */
    pat_epoch_callback on_epoch;
    void *user;
    /* data parallel (docs/scaling.md): NULL or one rank: this process does
     * everything. Otherwise every rank calls with the same arguments and
     * data, computes its share of each batch, and all end with the same
     * bits as one process; only rank 0 writes the checkpoint. */
    const struct pat_dist *dist;
};

/* Defaults = the "paper" recipe for the given architecture. */
void pat_train_default_params(const struct pat_config *cfg, struct pat_train_params *p);

/* Presets: "paper" (pat-spec §4.3: Keras Adam, lr 1e-5 for S/M and 1e-6 for
 * L, batch 64, class weights, file order, early stopping on validation
 * Keras AUC, patience 250) and "two-stage" (AdamW wd 1e-2, clip 1.0,
 * pos_weight, shuffled; stage 1 head 3e-4 for 10 epochs, stage 2 head 1e-4
 * and encoder 3e-5 on the last 2 blocks for 20 epochs, cosine to 1e-6,
 * patience 5). */
enum pat_status pat_train_recipe(const char *name, const struct pat_config *cfg,
                                 struct pat_train_params *p, struct pat_err *err);

/* A labelled set: x (n, T) sequences, y (n) labels 0 or 1; borrowed. */
struct pat_train_data {
    const float *x;
    const float *y;
    size_t n, T;
};

struct pat_train_result {
    struct pat_epoch_log *history; /* one entry per epoch run (malloc'd) */
    size_t num_epochs;
    size_t best_epoch[2];          /* 1-based best epoch of stage 1 and 2 (0: none) */
    double best_val_auc;           /* monitored value of the final weights */
    double class_weight[2];        /* weights used for labels 0 and 1 */
    double pos_weight;
    double seconds;                /* whole run */
    size_t resumed_from_epoch;     /* epochs already done when resumed; 0: fresh */
    size_t rank_sequences;         /* training sequences whose gradient this process
                                    * computed (its share under MPI), this run */
};

void pat_train_result_free(struct pat_train_result *r);

/* Fine-tune m in place (it must have a head). Refuses labels other than
 * 0/1, a training set without both classes, a single-class validation set,
 * mismatched lengths. On success m holds the weights of the best epoch. */
enum pat_status pat_finetune(struct pat_model *m, const struct pat_train_params *p,
                             const struct pat_train_data *train,
                             const struct pat_train_data *val,
                             struct pat_train_result *result, struct pat_err *err);

/* Continue a run from a checkpoint written by pat_finetune with the same
 * parameters (checked) and data: m gets the checkpoint's weights and the
 * run goes on from the next epoch. */
enum pat_status pat_finetune_resume(struct pat_model *m, const char *checkpoint,
                                    const struct pat_train_params *p,
                                    const struct pat_train_data *train,
                                    const struct pat_train_data *val,
                                    struct pat_train_result *result, struct pat_err *err);

/* Rows per call of pat_train_predict. */
#define PAT_PREDICT_CHUNK 64

/* Head probabilities of x (n, T) in batches; out (n). */
enum pat_status pat_train_predict(const struct pat_model *m, const struct pat_train_data *d,
                                  float *out, struct pat_err *err);

#endif /* PAT_FINETUNE_H */
