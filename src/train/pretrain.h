/* pretrain.h - masked-autoencoder pretraining (pat-spec §3): the epoch loop,
 * validation, ReduceLROnPlateau, early stopping with best-weights restore,
 * checkpoints and exact resume.
 *
 *     struct pat_mae *mae;
 *     pat_mae_init_random(&cfg, seed, &mae, &err);
 *     struct pat_pretrain_params p;
 *     pat_pretrain_default_params(&cfg, &p);        // pat-spec §3.2 for the size
 *     p.epochs = 50;
 *     struct pat_pretrain_result r = {0};
 *     pat_pretrain(mae, &p, &train, &val, &r, &err); // mae ends with the best weights
 *     pat_mae_encoder(mae, &encoder, &err);
 *     pat_pretrain_result_free(&r);
 *
 * Randomness - the batch order of an epoch, the mask permutation of every
 * step, every dropout mask, the validation masks - is derived from (seed,
 * epoch, step, position in the batch) with no hidden stream, so a run resumed
 * from a checkpoint ends bit-identical to an uninterrupted one, and the
 * thread count changes nothing.
 */
#ifndef PAT_PRETRAIN_H
#define PAT_PRETRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "nn/mae.h"
#include "dist/dist.h"
#include "train/optim.h"
#include "pat.h"

struct pat_pretrain_log {
    size_t epoch;       /* 1-based */
    size_t epochs;      /* planned */
    double train_loss;  /* mean over the epoch's sequences, dropout on */
    double val_loss;    /* mean over the validation sequences, dropout off */
    double lr;          /* learning rate of the epoch */
    double grad_norm;   /* mean pre-clip global norm over the epoch's steps */
    double seconds;     /* wall time of the epoch, validation included */
    double seq_per_s;   /* training sequences per second */
    int improved;       /* validation loss improved: these weights are kept */
};

/* Called after every epoch (and nothing else prints). */
typedef void (*pat_pretrain_callback)(const struct pat_pretrain_log *log, void *user);

struct pat_pretrain_params {
    float mask_ratio;          /* masked fraction of patches; ref: pat-spec §3.1 0.90 */
    size_t mask_group;         /* consecutive sequences of a batch sharing one permutation;
                                * 0: the whole batch (the original, §3.3), 1: one each,
                                * 16: one per TPU replica of the original's 8 x 16 */
    enum pat_unshuffle unshuffle;   /* corrected (default) or faithful (§3.3 bug) */
    enum pat_mae_loss loss;         /* all minutes (default, released weights) or masked */
    enum pat_optim_kind optimizer;  /* Keras Adam (default, §3.2) */
    double lr;                 /* ref: §3.2 1e-3 (S, M), 1e-4 (L), 1e-5 (huge) */
    double weight_decay;       /* 0 (the original) */
    double clip_norm;          /* global-norm clipping; 0: off (the original) */
    size_t epochs;             /* ref: §3.2 10000 */
    size_t batch_size;         /* ref: §3.2 128 */
    uint64_t seed;
    float dropout;             /* 0.1 at the two sites of every block (§2.4) */
    int shuffle;               /* reshuffle the training rows every epoch (Keras fit default) */
    size_t patience;           /* early stopping on validation loss; 0: never stop early;
                                * ref: §3.2 250 (S, M), 500 (L, huge) */
    double plateau_factor;     /* ReduceLROnPlateau on validation loss; ref: §3.2 0.5 */
    size_t plateau_patience;   /* 0: no reductions; ref: §3.2 75 (S, M), 100 (L, huge) */
    double plateau_min_lr;     /* ref: §3.2 1e-4 (S, M), 1e-5 (L), 1e-6 (huge) */
    const char *checkpoint_path; /* written atomically after every epoch; NULL: none */
    pat_pretrain_callback on_epoch;
    void *user;
    /* data parallel (docs/scaling.md): NULL or one rank: this process does
     * everything. Otherwise every rank calls with the same arguments and
     * data, computes its share of each batch and of validation, and all
     * end with the same bits as one process; only rank 0 writes the
     * checkpoint. */
    const struct pat_dist *dist;
};

/* pat-spec §3.2 for the encoder's depth: 1-3 blocks S/M values, 4-7 L, 8+ huge. */
void pat_pretrain_default_params(const struct pat_config *cfg, struct pat_pretrain_params *p);

/* Sequences: rows[i] points to T minutes (borrowed). mean/std (T, both or
 * neither): standardize every row as (x - mean) / std before use. */
struct pat_pretrain_data {
    const float *const *rows;
    size_t n, T;
    const float *mean, *std;
};

/* Rows of a set of n kept for validation by Keras' validation_split
 * (the last n - floor(n (1 - fraction)) rows). */
size_t pat_pretrain_val_rows(size_t n, double fraction);

struct pat_pretrain_result {
    struct pat_pretrain_log *history; /* one entry per epoch run (malloc'd) */
    size_t num_epochs;
    size_t best_epoch;         /* 1-based epoch whose weights were kept */
    double best_val_loss;
    int stopped_early;
    double seconds;            /* whole run */
    size_t resumed_from_epoch; /* epochs already done when resumed; 0: fresh */
    size_t rank_sequences;     /* training sequences whose gradient this process computed
                                * (its share of every batch under MPI), this run */
};

void pat_pretrain_result_free(struct pat_pretrain_result *r);

/* Pretrain mae in place. On success it holds the weights of the epoch with
 * the lowest validation loss. */
enum pat_status pat_pretrain(struct pat_mae *mae, const struct pat_pretrain_params *p,
                             const struct pat_pretrain_data *train,
                             const struct pat_pretrain_data *val,
                             struct pat_pretrain_result *result, struct pat_err *err);

/* Continue a run from a checkpoint written by pat_pretrain with the same
 * parameters and data (checked): mae gets the checkpoint's weights and the
 * run goes on from the next epoch. */
enum pat_status pat_pretrain_resume(struct pat_mae *mae, const char *checkpoint,
                                    const struct pat_pretrain_params *p,
                                    const struct pat_pretrain_data *train,
                                    const struct pat_pretrain_data *val,
                                    struct pat_pretrain_result *result, struct pat_err *err);

/* Validation loss of mae on d: dropout off, the mask permutations the
 * epoch loop uses for validation (fixed by p->seed and the batch index). */
enum pat_status pat_pretrain_evaluate(const struct pat_mae *mae,
                                      const struct pat_pretrain_params *p,
                                      const struct pat_pretrain_data *d, double *loss,
                                      struct pat_err *err);

#endif /* PAT_PRETRAIN_H */
