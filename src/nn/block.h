/* block.h - one post-norm transformer block for training (pat-spec §2.4):
 * the forward pass that saves what the backward needs, and the backward.
 * Shared by the encoder of fine-tuning (grad.c) and by the MAE's encoder
 * and decoder (mae.c), which run blocks on different token counts.
 *
 *     struct pat_block_dims d = {E, H, K, F};
 *     struct pat_block_cache *c;         // one per block, up to `cap` tokens
 *     struct pat_block_scratch *s;       // shared by the blocks of one pass
 *     pat_block_cache_init(&c, &d, cap, &err);
 *     pat_block_scratch_init(&s, &d, cap, &err);
 *     ... write the block input (n, E) into c->x_in ...
 *     pat_block_forward(c, s, &w, n, dropout, rng, out);
 *     ... dx (n, E) = dL/dout ...
 *     pat_block_backward(c, s, &w, &g, n, dx, 1);  // dx becomes dL/dx_in
 *
 * Weights come as a struct pat_block_weights view (model.h); gradients as a
 * struct pat_block_grads view of the same shapes, into which the backward
 * accumulates (+=). Results do not depend on the thread count.
 */
#ifndef PAT_BLOCK_H
#define PAT_BLOCK_H

#include <stddef.h>

#include "nn/model.h"
#include "pat.h"
#include "rng.h"

/* Sizes of a block: E embed dim, H heads, K key dim per head, F ff width. */
struct pat_block_dims {
    size_t E, H, K, F;
};

/* Gradient slices of one block; shapes as in struct pat_block_weights. */
struct pat_block_grads {
    float *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo;
    float *ln1_g, *ln1_b, *ff1_w, *ff1_b, *ff2_w, *ff2_b, *ln2_g, *ln2_b;
};

/* Activations of one block saved by the forward, for up to `cap` tokens;
 * a forward on n <= cap tokens uses the first n rows of each buffer. */
struct pat_block_cache {
    size_t cap;
    float *x_in;                      /* (n, E) block input: the caller writes it */
    float *q, *k, *v, *ctx;           /* (n, H*K); q already scaled by 1/sqrt(K) */
    float *lse;                       /* (H, n) log-sum-exp of each query row */
    float *drop1, *drop2;             /* (n, E) inverted-dropout scales */
    float *res1, *mean1, *rstd1, *x1; /* (n, E), (n), (n), (n, E) */
    float *ffh;                       /* (n, F) after ReLU */
    float *res2, *mean2, *rstd2;      /* (n, E), (n), (n) */
    int dropped;                      /* the last forward applied dropout */
    float *mem;                       /* one allocation holding all of the above */
};

/* Scratch of the forward and backward, for up to `cap` tokens. */
struct pat_block_scratch {
    size_t cap;
    float *kt, *vh;             /* (H, K, n), (H, n, K) */
    float *tmp, *dres;          /* (n, E) */
    float *dq, *dk, *dv, *dctx; /* (n, H*K) */
    float *dff;                 /* (n, F) */
    float *mem;
};

/* Allocate for up to cap tokens (PAT_ERR_NOMEM on failure or overflow). */
enum pat_status pat_block_cache_init(struct pat_block_cache **out, const struct pat_block_dims *d,
                                     size_t cap, struct pat_err *err);
void pat_block_cache_free(struct pat_block_cache *c); /* NULL-safe */
enum pat_status pat_block_scratch_init(struct pat_block_scratch **out,
                                       const struct pat_block_dims *d, size_t cap,
                                       struct pat_err *err);
void pat_block_scratch_free(struct pat_block_scratch *s); /* NULL-safe */

/* The gradient view of w: each slice at the same offset in `grads` as the
 * weight is in `params` (w points into params). */
void pat_block_grads_view(struct pat_block_grads *g, const struct pat_block_weights *w,
                          const float *params, float *grads);

/* Forward c->x_in (n, E) into out (n, E), which must not alias c->x_in.
 * Dropout at rate `dropout` (0: none; rng unused then) after the attention
 * output and after ff2, masks drawn from rng in that order. Returns 0 when
 * an attention scratch allocation fails, 1 on success. */
int pat_block_forward(struct pat_block_cache *c, struct pat_block_scratch *s,
                      const struct pat_block_weights *w, const struct pat_block_dims *d,
                      size_t n, float dropout, struct pat_rng *rng, float *out);

/* Backward of the last forward on c: dx (n, E) holds dL/dout on entry and
 * dL/dx_in on exit when want_dx (else its content is undefined); g +=.
 * Returns 0 when an attention scratch allocation fails, 1 on success. */
int pat_block_backward(const struct pat_block_cache *c, struct pat_block_scratch *s,
                       const struct pat_block_weights *w, const struct pat_block_grads *g,
                       const struct pat_block_dims *d, size_t n, float *dx, int want_dx);

#endif /* PAT_BLOCK_H */
