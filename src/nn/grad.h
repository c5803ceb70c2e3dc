/* grad.h - training forward (with saved activations) and backward pass of
 * encoder + head, one sequence at a time.
 *
 *     struct pat_grad_ws *w;
 *     pat_grad_ws_init(&w, model, T, &err);
 *     for each sequence b of the batch:
 *         pat_grad_forward(w, model, x_b, &opts, &rng_b, &logit, &err);
 *         pat_grad_backward(w, model, dloss_dlogit(logit, y_b), &opts, grads, &err);
 *     pat_grad_ws_free(w);
 *
 * Gradients accumulate (+=) into `grads`, a buffer with the layout of the
 * model's parameters (pat_model_num_params floats). Sequences are
 * independent (no batch statistics), so a batch gradient is the sum of
 * per-sequence gradients; processing them in order keeps the result
 * independent of the thread count.
 */
#ifndef PAT_GRAD_H
#define PAT_GRAD_H

#include <stddef.h>

#include "pat.h"
#include "rng.h"

struct pat_grad_opts {
    /* Blocks below this index get no gradient (none is computed for them);
     * num_layers freezes the whole encoder (a true linear probe). */
    size_t first_trainable_block;
    /* Train the patch embedding too (only with first_trainable_block 0). */
    int train_embedding;
    /* Dropout rate at the three sites of pat-spec §2.4/§2.6; 0 disables. */
    float dropout;
};

struct pat_grad_ws;

/* Workspace for sequences of T minutes (T a multiple of the patch size). */
enum pat_status pat_grad_ws_init(struct pat_grad_ws **out, const struct pat_model *m, size_t T,
                                 struct pat_err *err);
void pat_grad_ws_free(struct pat_grad_ws *w); /* NULL-safe */

/* Forward one sequence x (T), saving what the backward needs; *logit is the
 * head's pre-sigmoid output. rng draws the dropout masks (unused at rate 0). */
enum pat_status pat_grad_forward(struct pat_grad_ws *w, const struct pat_model *m,
                                 const float *x, const struct pat_grad_opts *o,
                                 struct pat_rng *rng, float *logit, struct pat_err *err);

/* Backward of the last forward from dL/dlogit; grads (num_params) +=. */
enum pat_status pat_grad_backward(struct pat_grad_ws *w, const struct pat_model *m,
                                  float dlogit, const struct pat_grad_opts *o, float *grads,
                                  struct pat_err *err);

#endif /* PAT_GRAD_H */
