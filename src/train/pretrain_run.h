/* pretrain_run.h - the state of one pretraining run, shared by the epoch
 * loop (pretrain.c) and checkpoints (pretrain_ckpt.c). Internal. */
#ifndef PAT_PRETRAIN_RUN_H
#define PAT_PRETRAIN_RUN_H

#include "dist/tree_sum.h"
#include "nn/mae.h"
#include "train/optim.h"
#include "train/pretrain.h"

/* One lane of a batch (pretrain.c): the sequence it runs, its own
 * workspace, mask permutation and gradient buffer. */
struct mae_lane {
    struct pat_mae_ws *ws;
    size_t *perm;  /* (N) */
    float *grads;  /* num_params, NULL in lanes that only validate */
};

struct pretrain_run {
    struct pat_mae *mae;
    const struct pat_pretrain_params *p;
    const struct pat_pretrain_data *train, *val;
    struct pat_pretrain_result *res;
    struct pat_optim opt;
    struct mae_lane *lanes; /* num_lanes: sequences that run at once */
    size_t num_lanes;
    float *grads;        /* num_params: the batch's gradient */
    float *best;         /* num_params: weights of the best epoch */
    size_t *order;       /* (train n) batch order of the epoch */
    struct pat_early_stopping es;
    struct pat_plateau plateau;
    double lr;           /* current learning rate (plateau reductions applied) */
    size_t epoch;        /* epochs done */
    struct pat_tree_sum sum; /* the batch's gradients in a fixed tree */
    double *seq_loss;    /* (batch) per-sequence loss shares */
};

/* Fingerprint of everything that must match to resume into buf. */
void pretrain_fingerprint(const struct pretrain_run *r, char *buf, size_t len);

/* Write the run's state after an epoch (atomic). */
enum pat_status pretrain_checkpoint_save(const struct pretrain_run *r, const char *path,
                                         struct pat_err *err);

/* Load a checkpoint into an initialised run (buffers allocated). */
enum pat_status pretrain_checkpoint_load(struct pretrain_run *r, const char *path,
                                         struct pat_err *err);

#endif /* PAT_PRETRAIN_RUN_H */
