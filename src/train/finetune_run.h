/* finetune_run.h - the state of one fine-tuning run, shared by the epoch loop
 * (finetune.c) and checkpoints (finetune_ckpt.c). Internal. */
#ifndef PAT_FINETUNE_RUN_H
#define PAT_FINETUNE_RUN_H

#include "nn/grad.h"
#include "nn/model.h"
#include "train/optim.h"
#include "train/finetune.h"

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
