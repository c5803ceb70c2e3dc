/* finetune_run.h - the state of one fine-tuning run, shared by the epoch loop
 * (finetune.c) and checkpoints (finetune_ckpt.c). Internal. */
#ifndef PAT_FINETUNE_RUN_H
#define PAT_FINETUNE_RUN_H

#include "dist/tree_sum.h"
#include "nn/grad.h"
#include "nn/model.h"
#include "train/optim.h"
#include "train/finetune.h"

/* Concurrent sequences of a batch: one workspace and gradient buffer per
 * lane, made at the first batch and kept for the run (allocating them per
 * step cost page faults that stalled the lanes). */
struct batch_lanes {
    size_t n;                /* lanes (0 until the first batch) */
    struct pat_grad_ws **ws; /* n; ws[0] is the run's ws */
    float **grads;           /* n buffers of num_params */
};

struct train_run {
    struct pat_model *m;
    const struct pat_train_params *p;
    const struct pat_train_data *train, *val;
    struct pat_train_result *res;
    struct pat_optim opt;
    struct pat_grad_ws *ws;
    float *grads;                /* num_params */
    float *best, *best_m, *best_v; /* snapshot of the best epoch */
    uint64_t best_step;
    struct pat_early_stopping es;
    struct pat_plateau plateau;
    double lr_scale;             /* plateau reductions so far (1 = none) */
    size_t stage;                /* 1 or 2 */
    size_t epoch;                /* epochs done in the current stage */
    size_t *order;               /* (train n) batch order scratch */
    float *probs;                /* (val n) */
    double class_weight[2], pos_weight;
    struct pat_tree_sum sum;         /* the batch's gradients in a fixed tree */
    double *seq_loss;            /* (batch) each sequence's share of the loss */
    struct batch_lanes lanes;    /* the training steps' lanes */
};

/* Fingerprint of everything that must match to resume (params and data
 * sizes) into buf. */
void train_fingerprint(const struct train_run *r, char *buf, size_t len);

/* Write the run's state after an epoch (atomic). */
enum pat_status train_checkpoint_save(const struct train_run *r, const char *path,
                                      struct pat_err *err);

/* Load a checkpoint into an initialised run (buffers allocated). */
enum pat_status train_checkpoint_load(struct train_run *r, const char *path,
                                      struct pat_err *err);

#endif /* PAT_FINETUNE_RUN_H */
