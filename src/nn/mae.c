/* mae.c - the masked autoencoder of PAT pretraining (see mae.h): parameter
 * layout, initialisation, masking, and the training forward/backward of one
 * sequence. ref: pat-spec §3.3 */
#include "nn/mae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"
#include "nn/kernels.h"
#include "util.h"

/* ---- layout ------------------------------------------------------------------ */

#define MAE_EXTRA_TENSORS 19 /* mask token, 16 decoder block tensors, decoder dense */

/* Append tensor `prefix``suffix` of shape (d0[, d1[, d2]]) at t[*k]. */
static void add_tensor(struct pat_tensor *t, size_t *k, size_t *offset, const char *prefix,
                       const char *suffix, size_t ndim, size_t d0, size_t d1, size_t d2) {
    const size_t dims[3] = {d0, d1, d2};
    struct pat_tensor *x = &t[(*k)++];
    snprintf(x->name, sizeof x->name, "%s%s", prefix, suffix);
    x->ndim = ndim;
    x->numel = 1;
    for (size_t i = 0; i < PAT_MAX_NDIM; i++) {
        x->shape[i] = i < ndim ? dims[i] : 0;
        if (i < ndim) x->numel *= dims[i]; /* bounded by the config limits */
    }
    x->offset = *offset;
    *offset += x->numel;
}

/* The MAE's own tensors, written at t[0..MAE_EXTRA_TENSORS-1]; the decoder
 * block in the order of an encoder block (model.c). */
static void extra_layout(struct pat_tensor *t, const struct pat_config *c, size_t *offset) {
    const size_t E = c->embed_dim, H = c->num_heads, K = c->key_dim, F = c->ff_dim;
    const char *pre = "decoder_layer_1_transformer/decoder_layer_1";
    size_t k = 0;
    add_tensor(t, &k, offset, "mask_layer/mask_layer/mask_token", "", 3, 1, 1, E);
    static const char *const qkv[3] = {"query", "key", "value"};
    for (int j = 0; j < 3; j++) {
        char sfx[64];
        snprintf(sfx, sizeof sfx, "_attention/%s/kernel", qkv[j]);
        add_tensor(t, &k, offset, pre, sfx, 3, E, H, K);
        snprintf(sfx, sizeof sfx, "_attention/%s/bias", qkv[j]);
        add_tensor(t, &k, offset, pre, sfx, 2, H, K, 0);
    }
    add_tensor(t, &k, offset, pre, "_attention/attention_output/kernel", 3, H, K, E);
    add_tensor(t, &k, offset, pre, "_attention/attention_output/bias", 1, E, 0, 0);
    add_tensor(t, &k, offset, pre, "_norm1/gamma", 1, E, 0, 0);
    add_tensor(t, &k, offset, pre, "_norm1/beta", 1, E, 0, 0);
    add_tensor(t, &k, offset, pre, "_ff1/kernel", 2, E, F, 0);
    add_tensor(t, &k, offset, pre, "_ff1/bias", 1, F, 0, 0);
    add_tensor(t, &k, offset, pre, "_ff2/kernel", 2, F, E, 0);
    add_tensor(t, &k, offset, pre, "_ff2/bias", 1, E, 0, 0);
    add_tensor(t, &k, offset, pre, "_norm2/gamma", 1, E, 0, 0);
    add_tensor(t, &k, offset, pre, "_norm2/beta", 1, E, 0, 0);
    add_tensor(t, &k, offset, "decoder_dense/decoder_dense/kernel", "", 2, E, c->patch_size, 0);
    add_tensor(t, &k, offset, "decoder_dense/decoder_dense/bias", "", 1, c->patch_size, 0, 0);
}

/* Point the views: the encoder's at the offsets the model uses, the MAE's
 * in the order extra_layout writes them. */
static void point_views(struct pat_mae *a, const struct pat_model *enc) {
    const float *base = enc->params;
    a->embed_w = a->params + (enc->embed_w - base);
    a->embed_b = a->params + (enc->embed_b - base);
    for (size_t l = 0; l < a->cfg.num_layers; l++) {
        const struct pat_block_weights *s = &enc->blocks[l];
        struct pat_block_weights *d = &a->blocks[l];
        const float *const *src[16] = {&s->wq, &s->bq, &s->wk, &s->bk, &s->wv, &s->bv,
                                       &s->wo, &s->bo, &s->ln1_g, &s->ln1_b, &s->ff1_w,
                                       &s->ff1_b, &s->ff2_w, &s->ff2_b, &s->ln2_g, &s->ln2_b};
        const float **dst[16] = {&d->wq, &d->bq, &d->wk, &d->bk, &d->wv, &d->bv,
                                 &d->wo, &d->bo, &d->ln1_g, &d->ln1_b, &d->ff1_w,
                                 &d->ff1_b, &d->ff2_w, &d->ff2_b, &d->ln2_g, &d->ln2_b};
        for (size_t i = 0; i < 16; i++) *dst[i] = a->params + (*src[i] - base);
    }
    const struct pat_tensor *t = a->tensors + a->encoder_tensors;
    size_t k = 0;
    a->mask_token = a->params + t[k++].offset;
    struct pat_block_weights *d = &a->decoder;
    const float **dst[16] = {&d->wq, &d->bq, &d->wk, &d->bk, &d->wv, &d->bv,
                             &d->wo, &d->bo, &d->ln1_g, &d->ln1_b, &d->ff1_w,
                             &d->ff1_b, &d->ff2_w, &d->ff2_b, &d->ln2_g, &d->ln2_b};
    for (size_t i = 0; i < 16; i++) *dst[i] = a->params + t[k++].offset;
    a->dec_w = a->params + t[k++].offset;
    a->dec_b = a->params + t[k++].offset;
}

/* Build the MAE around an (already created) encoder model of the same
 * config, copying its encoder weights. */
static enum pat_status mae_build(const struct pat_model *enc, struct pat_mae **out,
                                 struct pat_err *err) {
    struct pat_mae *a = calloc(1, sizeof *a);
    if (!a) return pat_fail(err, PAT_ERR_NOMEM, "out of memory creating the MAE");
    a->cfg = enc->cfg;
    size_t n_enc = 0;
    while (n_enc < enc->num_tensors && strncmp(enc->tensors[n_enc].name, "head/", 5) != 0 &&
           strncmp(enc->tensors[n_enc].name, "scaler/", 7) != 0)
        n_enc++;
    a->encoder_tensors = n_enc;
    a->encoder_params = pat_config_encoder_params(&enc->cfg);
    a->num_tensors = n_enc + MAE_EXTRA_TENSORS;
    a->tensors = pat_calloc(a->num_tensors, sizeof *a->tensors);
    a->blocks = pat_calloc(enc->cfg.num_layers, sizeof *a->blocks);
    size_t offset = a->encoder_params;
    if (a->tensors) {
        memcpy(a->tensors, enc->tensors, n_enc * sizeof *a->tensors);
        extra_layout(a->tensors + n_enc, &a->cfg, &offset);
    }
    a->num_params = offset;
    a->params = a->tensors ? pat_calloc(offset, sizeof(float)) : NULL;
    if (!a->params || !a->blocks) {
        pat_mae_free(a);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory allocating the MAE");
    }
    memcpy(a->params, enc->params, a->encoder_params * sizeof(float));
    point_views(a, enc);
    *out = a;
    return PAT_OK;
}

void pat_mae_free(struct pat_mae *a) {
    if (!a) return;
    free(a->params);
    free(a->tensors);
    free(a->blocks);
    free(a);
}

size_t pat_mae_tensor_find(const struct pat_mae *a, const char *name) {
    for (size_t i = 0; i < a->num_tensors; i++)
        if (strcmp(a->tensors[i].name, name) == 0) return i;
    return (size_t)-1;
}

enum pat_status pat_mae_create(const struct pat_config *cfg, struct pat_mae **out,
                               struct pat_err *err) {
    struct pat_model *enc = NULL;
    *out = NULL;
    enum pat_status st = pat_model_create(cfg, 0, 0, &enc, err);
    if (st == PAT_OK) st = mae_build(enc, out, err);
    pat_model_free(enc);
    return st;
}

/* ---- initialisation ---------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Keras initialisers for the MAE's own tensors (pat-spec §3.3). */
static void init_extras(struct pat_mae *a, uint64_t seed) {
    struct pat_rng rng;
    pat_rng_seed(&rng, seed ^ 0x6d61655f696e6974ULL); /* "mae_init": not the encoder's stream */
    for (size_t i = a->encoder_tensors; i < a->num_tensors; i++) {
        const struct pat_tensor *t = &a->tensors[i];
        float *w = a->params + t->offset;
        if (ends_with(t->name, "/mask_token")) {
            for (size_t j = 0; j < t->numel; j++) w[j] = 0.05f * pat_rng_normal(&rng);
        } else if (ends_with(t->name, "/gamma")) {
            for (size_t j = 0; j < t->numel; j++) w[j] = 1.0f;
        } else if (ends_with(t->name, "/kernel")) {
            size_t r = 1; /* Keras fans: rank > 2 folds the leading dims */
            for (size_t d = 0; d + 2 < t->ndim; d++) r *= t->shape[d];
            const double fan_in = (double)(t->shape[t->ndim - 2] * r);
            const double fan_out = (double)(t->shape[t->ndim - 1] * r);
            const float lim = (float)sqrt(6.0 / (fan_in + fan_out));
            for (size_t j = 0; j < t->numel; j++) w[j] = lim * (2.0f * pat_rng_uniform(&rng) - 1.0f);
        } else {
            memset(w, 0, t->numel * sizeof *w); /* biases, beta */
        }
    }
}

enum pat_status pat_mae_init_random(const struct pat_config *cfg, uint64_t seed,
                                    struct pat_mae **out, struct pat_err *err) {
    struct pat_model *enc = NULL;
    *out = NULL;
    enum pat_status st = pat_model_init_random(cfg, 0, seed, &enc, err);
    if (st == PAT_OK) st = mae_build(enc, out, err);
    if (st == PAT_OK) init_extras(*out, seed);
    pat_model_free(enc);
    return st;
}

enum pat_status pat_mae_from_encoder(const struct pat_model *enc, uint64_t seed,
                                     struct pat_mae **out, struct pat_err *err) {
    *out = NULL;
    enum pat_status st = mae_build(enc, out, err);
    if (st == PAT_OK) init_extras(*out, seed);
    return st;
}

enum pat_status pat_mae_encoder(const struct pat_mae *a, struct pat_model **out,
                                struct pat_err *err) {
    enum pat_status st = pat_model_create(&a->cfg, 0, 0, out, err);
    if (st == PAT_OK) memcpy((*out)->params, a->params, a->encoder_params * sizeof(float));
    return st;
}

/* ---- masking ------------------------------------------------------------------- */

size_t pat_mae_num_masked(size_t N, float ratio) {
    const float prod = ratio * (float)N; /* float32, as TF */
    if (!(prod > 0.0f)) return 0;
    return (size_t)nearbyintf(prod); /* default rounding: half to even */
}

void pat_mae_permutation(size_t *perm, size_t N, struct pat_rng *rng) {
    for (size_t i = 0; i < N; i++) perm[i] = i;
    for (size_t i = N; i > 1; i--) {
        size_t j = (size_t)(pat_rng_u64(rng) % i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

void pat_mae_unshuffle_map(size_t *src, const size_t *perm, size_t N, size_t M,
                           enum pat_unshuffle mode) {
    const size_t Nv = N - M;
    for (size_t q = 0; q < N; q++) src[q] = PAT_MAE_MASK_TOKEN;
    if (mode == PAT_UNSHUFFLE_CORRECTED) {
        for (size_t j = 0; j < Nv; j++) src[perm[M + j]] = j;
        return;
    }
    /* faithful: inv[perm[i]] = i, position q takes dec_in[inv[q]], and
     * dec_in = [encoded (Nv) | mask tokens (M)] */
    for (size_t i = 0; i < N; i++)
        if (i < Nv) src[perm[i]] = i;
}

/* ---- training forward / backward ----------------------------------------------- */

struct pat_mae_ws {
    size_t T, N, M, Nv, P, E, L;
    struct pat_block_dims dims;
    float *xs;              /* (T) standardized input, also the target */
    float *xv;              /* (Nv, P) visible patches in perm order */
    float *pe;              /* (N, E) */
    float *enc_out;         /* (Nv, E) encoder output */
    float *y;               /* (N, E) decoder block output */
    float *o;               /* (N, P) tanh(y Wd + bd) */
    float *out;             /* (T) reconstruction 2 tanh(o) */
    float *du;              /* (N, P) gradient before the decoder dense's tanh */
    float *dxd;             /* (N, E) gradient through the decoder */
    float *dxe;             /* (Nv, E) gradient through the encoder */
    double *dmask;          /* (E) mask token gradient of one sequence */
    size_t *src;            /* (N) unshuffle map */
    size_t *visible;        /* (Nv) patch of each encoder token */
    unsigned char *in_loss; /* (N) patch counted by the loss */
    double count;           /* minutes counted by the loss */
    struct pat_block_cache **enc; /* L caches of Nv tokens */
    struct pat_block_cache *dec;  /* N tokens */
    struct pat_block_scratch *scratch;
};

void pat_mae_ws_free(struct pat_mae_ws *w) {
    if (!w) return;
    for (size_t l = 0; w->enc && l < w->L; l++) pat_block_cache_free(w->enc[l]);
    free(w->enc);
    pat_block_cache_free(w->dec);
    pat_block_scratch_free(w->scratch);
    free(w->xs), free(w->xv), free(w->pe), free(w->enc_out), free(w->y), free(w->o);
    free(w->out), free(w->du), free(w->dxd), free(w->dxe), free(w->dmask);
    free(w->src), free(w->visible), free(w->in_loss);
    free(w);
}

size_t pat_mae_ws_masked(const struct pat_mae_ws *w) { return w->M; }
const float *pat_mae_ws_output(const struct pat_mae_ws *w) { return w->out; }
const float *pat_mae_ws_target(const struct pat_mae_ws *w) { return w->xs; }

static int ws_alloc(struct pat_mae_ws *w) {
    const size_t N = w->N, Nv = w->Nv, E = w->E, T = w->T;
    size_t ne, nve;
    if (!pat_mul_size(N, E, &ne) || !pat_mul_size(Nv, E, &nve)) return 0;
    return (w->xs = pat_calloc(T, sizeof(float))) && (w->xv = pat_calloc(Nv * w->P, sizeof(float))) &&
           (w->pe = pat_calloc(ne, sizeof(float))) && (w->enc_out = pat_calloc(nve, sizeof(float))) &&
           (w->y = pat_calloc(ne, sizeof(float))) && (w->o = pat_calloc(T, sizeof(float))) &&
           (w->out = pat_calloc(T, sizeof(float))) && (w->du = pat_calloc(T, sizeof(float))) &&
           (w->dxd = pat_calloc(ne, sizeof(float))) && (w->dxe = pat_calloc(nve, sizeof(float))) &&
           (w->dmask = pat_calloc(E, sizeof(double))) && (w->src = pat_calloc(N, sizeof(size_t))) &&
           (w->visible = pat_calloc(Nv, sizeof(size_t))) && (w->in_loss = pat_calloc(N, 1)) &&
           (w->enc = pat_calloc(w->L, sizeof *w->enc)) &&
           pat_block_cache_init(&w->dec, &w->dims, N, NULL) == PAT_OK &&
           pat_block_scratch_init(&w->scratch, &w->dims, N, NULL) == PAT_OK;
}

enum pat_status pat_mae_ws_init(struct pat_mae_ws **out, const struct pat_mae *mae, size_t T,
                                float mask_ratio, struct pat_err *err) {
    const struct pat_config *c = &mae->cfg;
    *out = NULL;
    if (T == 0 || T % c->patch_size != 0)
        return pat_fail(err, PAT_ERR_USAGE,
                        "sequence length %zu is not a positive multiple of the patch size %zu",
                        T, c->patch_size);
    const size_t N = T / c->patch_size, M = pat_mae_num_masked(N, mask_ratio);
    if (!(mask_ratio > 0.0f && mask_ratio < 1.0f) || M == 0 || M >= N)
        return pat_fail(err, PAT_ERR_USAGE,
                        "mask ratio %g masks %zu of %zu patches: at least one patch must be "
                        "masked and one visible", (double)mask_ratio, M, N);
    struct pat_mae_ws *w = calloc(1, sizeof *w);
    if (!w) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the MAE workspace");
    w->T = T, w->N = N, w->M = M, w->Nv = N - M, w->P = c->patch_size;
    w->E = c->embed_dim, w->L = c->num_layers;
    w->dims = (struct pat_block_dims){c->embed_dim, c->num_heads, c->key_dim, c->ff_dim};
    int ok = ws_alloc(w);
    for (size_t l = 0; ok && l < w->L; l++)
        ok = pat_block_cache_init(&w->enc[l], &w->dims, w->Nv, NULL) == PAT_OK;
    if (!ok) {
        pat_mae_ws_free(w);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for MAE training on %zu minutes", T);
    }
    pat_positional_encoding(w->pe, N, w->E);
    *out = w;
    return PAT_OK;
}

/* xs = (x - mean) / std (or x), all finite; perm a permutation of 0..N-1. */
static enum pat_status forward_inputs(struct pat_mae_ws *w, const float *x, const float *mean,
                                      const float *std, const size_t *perm, struct pat_err *err) {
    if (!mean != !std)
        return pat_fail(err, PAT_ERR_USAGE, "MAE forward: give both mean and std, or neither");
    for (size_t t = 0; t < w->T; t++) {
        w->xs[t] = mean ? (x[t] - mean[t]) / std[t] : x[t];
        if (!isfinite(w->xs[t]))
            return pat_fail(err, PAT_ERR_NUMERIC, "input minute %zu is not finite", t + 1);
    }
    memset(w->in_loss, 0, w->N);
    for (size_t i = 0; i < w->N; i++) {
        if (perm[i] >= w->N || w->in_loss[perm[i]])
            return pat_fail(err, PAT_ERR_USAGE, "MAE forward: the mask order is not a permutation");
        w->in_loss[perm[i]] = 1;
    }
    return PAT_OK;
}

/* Embed the visible patches (perm order) and add their own PE into h0. */
static void embed_visible(struct pat_mae_ws *w, const struct pat_mae *mae, const size_t *perm,
                          float *h0) {
    const size_t P = w->P, E = w->E, Nv = w->Nv;
    for (size_t j = 0; j < Nv; j++) {
        w->visible[j] = perm[w->M + j];
        memcpy(w->xv + j * P, w->xs + w->visible[j] * P, P * sizeof(float));
    }
    if (mae->cfg.embedding == PAT_EMBED_DENSE)
        pat_patch_embed_dense(h0, w->xv, mae->embed_w, mae->embed_b, Nv, P, E);
    else
        pat_patch_embed_conv(h0, w->xv, mae->embed_w, mae->embed_b, Nv, P, E);
    for (size_t j = 0; j < Nv; j++) pat_add_inplace(h0 + j * E, w->pe + w->visible[j] * E, E);
}

/* Decoder input: encoded tokens and mask tokens unshuffled, + PE (all N). */
static void decoder_input(struct pat_mae_ws *w, const struct pat_mae *mae, float *d) {
    const size_t E = w->E;
    for (size_t q = 0; q < w->N; q++) {
        const float *row = w->src[q] == PAT_MAE_MASK_TOKEN ? mae->mask_token
                                                            : w->enc_out + w->src[q] * E;
        for (size_t e = 0; e < E; e++) d[q * E + e] = row[e] + w->pe[q * E + e];
    }
}

/* out = 2 tanh(tanh(y Wd + bd)); the loss over the selected patches. */
static double reconstruct(struct pat_mae_ws *w, const struct pat_mae *mae, enum pat_mae_loss loss,
                          const size_t *perm) {
    const size_t N = w->N, P = w->P;
    pat_gemm_bias(w->o, w->y, mae->dec_w, mae->dec_b, N, w->E, P);
    for (size_t i = 0; i < w->T; i++) {
        w->o[i] = tanhf(w->o[i]);
        w->out[i] = 2.0f * tanhf(w->o[i]);
    }
    memset(w->in_loss, loss == PAT_MAE_LOSS_ALL, N);
    for (size_t i = 0; i < w->M; i++) w->in_loss[perm[i]] = 1;
    double sum = 0.0;
    size_t count = 0;
    for (size_t q = 0; q < N; q++) {
        if (!w->in_loss[q]) continue;
        for (size_t p = 0; p < P; p++) {
            const double d = (double)w->out[q * P + p] - (double)w->xs[q * P + p];
            sum += d * d;
        }
        count += P;
    }
    w->count = (double)count;
    return sum / w->count;
}

enum pat_status pat_mae_forward(struct pat_mae_ws *w, const struct pat_mae *mae, const float *x,
                                const float *mean, const float *std, const size_t *perm,
                                const struct pat_mae_opts *o, struct pat_rng *rng, double *loss,
                                struct pat_err *err) {
    enum pat_status st = forward_inputs(w, x, mean, std, perm, err);
    if (st != PAT_OK) return st;
    pat_mae_unshuffle_map(w->src, perm, w->N, w->M, o->unshuffle);
    embed_visible(w, mae, perm, w->enc[0]->x_in);
    for (size_t l = 0; l < w->L; l++) {
        float *out = l + 1 < w->L ? w->enc[l + 1]->x_in : w->enc_out;
        if (!pat_block_forward(w->enc[l], w->scratch, &mae->blocks[l], &w->dims, w->Nv,
                               o->dropout, rng, out))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention");
    }
    decoder_input(w, mae, w->dec->x_in);
    if (!pat_block_forward(w->dec, w->scratch, &mae->decoder, &w->dims, w->N, o->dropout, rng,
                           w->y))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention");
    *loss = reconstruct(w, mae, o->loss, perm);
    return PAT_OK;
}

/* du = dL/d(y Wd + bd) through out = 2 tanh(o), o = tanh(u). */
static void reconstruct_backward(struct pat_mae_ws *w, float dloss) {
    const double c = 2.0 * (double)dloss / w->count;
    for (size_t q = 0; q < w->N; q++) {
        for (size_t p = 0; p < w->P; p++) {
            const size_t i = q * w->P + p;
            if (!w->in_loss[q]) {
                w->du[i] = 0.0f;
                continue;
            }
            const double t = 0.5 * (double)w->out[i], o = w->o[i]; /* t = tanh(o) exactly */
            const double dout = c * ((double)w->out[i] - (double)w->xs[i]);
            w->du[i] = (float)(dout * 2.0 * (1.0 - t * t) * (1.0 - o * o));
        }
    }
}

/* Route the decoder-input gradient back: to the encoded tokens and, summed
 * over the positions that hold it, to the mask token. */
static void unshuffle_backward(struct pat_mae_ws *w, float *gmask) {
    const size_t E = w->E;
    memset(w->dxe, 0, w->Nv * E * sizeof(float));
    for (size_t e = 0; e < E; e++) w->dmask[e] = 0.0;
    for (size_t q = 0; q < w->N; q++) {
        const float *g = w->dxd + q * E;
        if (w->src[q] == PAT_MAE_MASK_TOKEN)
            for (size_t e = 0; e < E; e++) w->dmask[e] += g[e];
        else
            for (size_t e = 0; e < E; e++) w->dxe[w->src[q] * E + e] += g[e];
    }
    for (size_t e = 0; e < E; e++) gmask[e] += (float)w->dmask[e];
}

static float *gslot(const struct pat_mae *mae, float *grads, const float *param) {
    return grads + (param - mae->params);
}

enum pat_status pat_mae_backward(struct pat_mae_ws *w, const struct pat_mae *mae, float dloss,
                                 float *grads, struct pat_err *err) {
    const size_t N = w->N, Nv = w->Nv, E = w->E, P = w->P;
    reconstruct_backward(w, dloss);
    memset(w->dxd, 0, N * E * sizeof(float));
    pat_gemm_backward(w->dxd, gslot(mae, grads, mae->dec_w), gslot(mae, grads, mae->dec_b),
                      w->du, w->y, mae->dec_w, N, E, P);
    struct pat_block_grads g;
    pat_block_grads_view(&g, &mae->decoder, mae->params, grads);
    if (!pat_block_backward(w->dec, w->scratch, &mae->decoder, &g, &w->dims, N, w->dxd, 1))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention backward");
    unshuffle_backward(w, gslot(mae, grads, mae->mask_token));
    for (size_t l = w->L; l-- > 0;) {
        pat_block_grads_view(&g, &mae->blocks[l], mae->params, grads);
        if (!pat_block_backward(w->enc[l], w->scratch, &mae->blocks[l], &g, &w->dims, Nv,
                                w->dxe, 1))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory in attention backward");
    }
    float *gw = gslot(mae, grads, mae->embed_w), *gb = gslot(mae, grads, mae->embed_b);
    if (mae->cfg.embedding == PAT_EMBED_DENSE)
        pat_gemm_backward(NULL, gw, gb, w->dxe, w->xv, mae->embed_w, Nv, P, E);
    else
        pat_patch_embed_conv_backward(gw, gb, w->dxe, w->xv, mae->embed_w, mae->embed_b, Nv, P, E);
    return PAT_OK;
}
