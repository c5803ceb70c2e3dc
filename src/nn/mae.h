/* mae.h - the masked autoencoder (MAE) of PAT pretraining, pat-spec §3.3:
 * parameters, masking, and the training forward/backward of one sequence.
 *
 *     struct pat_mae *mae;
 *     pat_mae_init_random(&cfg, seed, &mae, &err);      // or pat_mae_from_encoder
 *     struct pat_mae_ws *w;
 *     pat_mae_ws_init(&w, mae, T, 0.90f, &err);         // M = round(0.9 N) masked
 *     size_t perm[N];  pat_mae_permutation(perm, N, &rng);
 *     for each sequence b of the batch (sharing perm, or one each):
 *         pat_mae_forward(w, mae, x_b, NULL, NULL, perm, &opts, &rng_b, &loss_b, &err);
 *         pat_mae_backward(w, mae, 1.0f / B, grads, &err);  // grads (num_params) +=
 *     pat_mae_ws_free(w);
 *     pat_mae_encoder(mae, &encoder, &err);             // the encoder, as pat_finetune wants it
 *
 * One forward, per sequence x (T minutes, N = T/P patches, M masked):
 *   embed the N-M visible patches perm[M..N-1] (in that order) -> + their PE
 *   -> L encoder blocks on the N-M tokens -> concat the M mask tokens ->
 *   unshuffle to N positions -> + PE of all N positions -> decoder block
 *   (the encoder's head count, ff_dim, dropout) -> Dense(E->P, tanh) ->
 *   out = 2 tanh(.) -> (T) -> loss.
 * Unshuffle: corrected puts every encoded token at its own patch position and
 * a mask token everywhere else; faithful reproduces the original index
 * arithmetic (the token of patch perm[M+j] lands at position perm[j] for
 * j < N-M, every other position, visible ones included, gets the mask token).
 * Loss: mean over all T minutes of (x - out)^2 (as the released weights), or
 * over the minutes of masked patches only (computed correctly; the
 * original's option indexed the flattened batch with patch numbers).
 *
 * Parameters live in one float buffer: first the encoder, exactly as
 * pat_model lays out an encoder without head (names, shapes and order of
 * model.h), then the MAE's own tensors, named like the Keras H5 dataset
 * paths without ":0" (docs/pretraining.md):
 *   mask_layer/mask_layer/mask_token                  (1, 1, E)
 *   decoder_layer_1_transformer/decoder_layer_1_...   one block, as encoder blocks
 *   decoder_dense/decoder_dense/kernel, .../bias      (E, P), (P)
 */
#ifndef PAT_MAE_H
#define PAT_MAE_H

#include <stddef.h>
#include <stdint.h>

#include "nn/block.h"
#include "nn/model.h"
#include "pat.h"
#include "rng.h"

/* Values only grow at the end (they are written to checkpoints). */
enum pat_unshuffle {
    PAT_UNSHUFFLE_CORRECTED = 0, /* every encoded token back at its own position */
    PAT_UNSHUFFLE_FAITHFUL = 1,  /* the original's index arithmetic, bit for bit */
};

enum pat_mae_loss {
    PAT_MAE_LOSS_ALL = 0,    /* MSE over all T minutes (the released weights) */
    PAT_MAE_LOSS_MASKED = 1, /* MSE over the minutes of masked patches */
};

/* src[q] of pat_mae_unshuffle_map for a position that gets the mask token. */
#define PAT_MAE_MASK_TOKEN ((size_t)-1)

struct pat_mae {
    struct pat_config cfg;
    float *params; /* all weights, num_params floats */
    size_t num_params;
    size_t encoder_params;      /* floats [0, encoder_params) are the encoder */
    struct pat_tensor *tensors; /* encoder tensors (model order), then the MAE's */
    size_t num_tensors;
    size_t encoder_tensors;     /* tensors [0, encoder_tensors) are the encoder */
    /* Named views into params. */
    const float *embed_w, *embed_b;   /* dense (P, E), (E); conv (3, 1, E), (E) */
    struct pat_block_weights *blocks; /* L encoder blocks */
    struct pat_block_weights decoder;
    const float *mask_token;          /* (E) */
    const float *dec_w, *dec_b;       /* (E, P), (P) */
};

/* An MAE with zeroed weights. */
enum pat_status pat_mae_create(const struct pat_config *cfg, struct pat_mae **out,
                               struct pat_err *err);

/* Fresh weights as Keras initialises them (pat-spec §3.3): the encoder as
 * pat_model_init_random(cfg, no head, seed) draws it; decoder kernels
 * glorot_uniform with Keras fans, biases and beta 0, gamma 1; the mask token
 * N(0, 0.05^2); the MAE's tensors drawn from a stream derived from seed. */
enum pat_status pat_mae_init_random(const struct pat_config *cfg, uint64_t seed,
                                    struct pat_mae **out, struct pat_err *err);

/* An MAE whose encoder is a copy of enc's (head and scaler ignored), with
 * fresh MAE tensors as pat_mae_init_random(seed) would draw them. */
enum pat_status pat_mae_from_encoder(const struct pat_model *enc, uint64_t seed,
                                     struct pat_mae **out, struct pat_err *err);

/* The encoder as a model without head or scaler, ready for pat_finetune. */
enum pat_status pat_mae_encoder(const struct pat_mae *mae, struct pat_model **out,
                                struct pat_err *err);

void pat_mae_free(struct pat_mae *mae); /* NULL-safe */

/* Index of the tensor called name, or (size_t)-1. */
size_t pat_mae_tensor_find(const struct pat_mae *mae, const char *name);

/* ---- masking ---------------------------------------------------------------- */

/* M = round(ratio * N), the product in float32 and rounded half to even as
 * tf.math.round does (pat-spec §3.3): 0.90 -> 504 of 560, 1008 of 1120. */
size_t pat_mae_num_masked(size_t N, float ratio);

/* perm (N) = a uniformly random permutation of 0..N-1 drawn from rng
 * (Fisher-Yates); perm[0..M-1] are masked, perm[M..N-1] visible. */
void pat_mae_permutation(size_t *perm, size_t N, struct pat_rng *rng);

/* Where each decoder position takes its token from: src (N), src[q] = j
 * for the encoded token of visible patch perm[M+j], or PAT_MAE_MASK_TOKEN.
 * corrected: src[perm[M+j]] = j. faithful (the original UnshuffleLayer:
 * dec_in = concat(encoded, masks), inv[perm[i]] = i, dec[q] = dec_in[inv[q]]):
 * src[q] = inv[q] when inv[q] < N-M. */
void pat_mae_unshuffle_map(size_t *src, const size_t *perm, size_t N, size_t M,
                           enum pat_unshuffle mode);

/* ---- training forward / backward of one sequence ----------------------------- */

struct pat_mae_opts {
    enum pat_unshuffle unshuffle;
    enum pat_mae_loss loss;
    float dropout; /* at the two sites of every block, encoder and decoder; 0: none */
};

struct pat_mae_ws;

/* Workspace for sequences of T minutes with round(mask_ratio N) masked
 * patches; PAT_ERR_USAGE when T is not a multiple of P or no patch would be
 * masked or none left visible. */
enum pat_status pat_mae_ws_init(struct pat_mae_ws **out, const struct pat_mae *mae, size_t T,
                                float mask_ratio, struct pat_err *err);
void pat_mae_ws_free(struct pat_mae_ws *w); /* NULL-safe */
size_t pat_mae_ws_masked(const struct pat_mae_ws *w); /* M */

/* Forward one sequence x (T). mean/std (T, both or neither): the input is
 * standardized as (x - mean) / std first; the standardized input is also
 * the reconstruction target. perm (N) as pat_mae_permutation makes it; rng
 * draws the dropout masks (unused at rate 0). *loss: this sequence's MSE
 * over the minutes o->loss selects. PAT_ERR_NUMERIC for a non-finite input. */
enum pat_status pat_mae_forward(struct pat_mae_ws *w, const struct pat_mae *mae, const float *x,
                                const float *mean, const float *std, const size_t *perm,
                                const struct pat_mae_opts *o, struct pat_rng *rng, double *loss,
                                struct pat_err *err);

/* Backward of the last forward, for a total loss that holds this sequence's
 * loss with weight dloss (1/B for a batch mean): grads (num_params) +=. */
enum pat_status pat_mae_backward(struct pat_mae_ws *w, const struct pat_mae *mae, float dloss,
                                 float *grads, struct pat_err *err);

/* The last forward's reconstruction (T) and standardized input (T);
 * borrowed, valid until the next forward. */
const float *pat_mae_ws_output(const struct pat_mae_ws *w);
const float *pat_mae_ws_target(const struct pat_mae_ws *w);

#endif /* PAT_MAE_H */
