/* model.c - model lifetime: create from a config (its layout comes from
 * config.c), named views into the flat parameter buffer, heads, scalers,
 * random initialisation, copies.
 */
#include "nn/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

/* ---- lifetime ---------------------------------------------------------- */

static const float *tensor_ptr(const struct pat_model *m, const char *name) {
    size_t i = pat_model_tensor_find(m, name);
    return i == (size_t)-1 ? NULL : m->params + m->tensors[i].offset;
}

/* Point the named views (embed_w, blocks[i].wq, ...) into params. Relies on
 * the order written by the layout builder (config.c). */
static void point_views(struct pat_model *m) {
    const struct pat_tensor *t = m->tensors;
    size_t k = 0;
    m->embed_w = m->params + t[k++].offset;
    m->embed_b = m->params + t[k++].offset;
    for (size_t i = 0; i < m->cfg.num_layers; i++) {
        struct pat_block_weights *b = &m->blocks[i];
        const float **order[] = {&b->wq, &b->bq, &b->wk, &b->bk, &b->wv, &b->bv,
                                 &b->wo, &b->bo, &b->ln1_g, &b->ln1_b, &b->ff1_w,
                                 &b->ff1_b, &b->ff2_w, &b->ff2_b, &b->ln2_g, &b->ln2_b};
        for (size_t j = 0; j < sizeof order / sizeof order[0]; j++)
            *order[j] = m->params + t[k++].offset;
    }
    m->head_w1 = tensor_ptr(m, "head/dense_128/kernel");
    m->head_b1 = tensor_ptr(m, "head/dense_128/bias");
    m->head_w2 = tensor_ptr(m, "head/output/kernel");
    m->head_b2 = tensor_ptr(m, "head/output/bias");
    m->scaler_mean = tensor_ptr(m, "scaler/mean");
    m->scaler_std = tensor_ptr(m, "scaler/std");
}

#define PAT_MAX_SCALER ((size_t)1 << 28) /* minutes; ~510 years */

enum pat_status pat_model_create(const struct pat_config *cfg, int with_head,
                                 size_t scaler_len, struct pat_model **out,
                                 struct pat_err *err) {
    *out = NULL;
    enum pat_status st = pat_config_check(cfg, err);
    if (st != PAT_OK) return st;
    if (scaler_len > PAT_MAX_SCALER)
        return pat_fail(err, PAT_ERR_FORMAT, "scaler length %zu is absurd", scaler_len);
    struct pat_model *m = calloc(1, sizeof *m);
    if (!m) return pat_fail(err, PAT_ERR_NOMEM, "out of memory creating model");
    m->cfg = *cfg;
    m->has_head = with_head ? 1 : 0;
    m->scaler_len = scaler_len;
    st = pat_config_layout(cfg, with_head, scaler_len, &m->tensors, &m->num_tensors, err);
    if (st != PAT_OK) {
        pat_model_free(m);
        return st;
    }
    m->num_params = pat_config_num_params(cfg, with_head, scaler_len);
    m->blocks = pat_calloc(cfg->num_layers, sizeof *m->blocks);
    m->params = pat_calloc(m->num_params, sizeof(float));
    if (!m->blocks || !m->params) {
        pat_model_free(m);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory allocating %zu parameters",
                        pat_config_num_params(cfg, with_head, scaler_len));
    }
    point_views(m);
    if (scaler_len) { /* identity scaler until loaded */
        float *sd = m->params + m->tensors[pat_model_tensor_find(m, "scaler/std")].offset;
        for (size_t i = 0; i < scaler_len; i++) sd[i] = 1.0f;
    }
    st = pat_model_set_config_meta(m, err);
    if (st != PAT_OK) {
        pat_model_free(m);
        return st;
    }
    *out = m;
    return PAT_OK;
}

void pat_model_free(struct pat_model *m) {
    if (!m) return;
    for (size_t i = 0; i < m->num_meta; i++) {
        free(m->meta[i].key);
        free(m->meta[i].value);
    }
    free(m->meta);
    free(m->params);
    free(m->tensors);
    free(m->blocks);
    free(m);
}

/* ---- accessors --------------------------------------------------------- */

const struct pat_config *pat_model_config(const struct pat_model *m) { return &m->cfg; }
int pat_model_has_head(const struct pat_model *m) { return m->has_head; }
size_t pat_model_scaler_len(const struct pat_model *m) { return m->scaler_len; }
size_t pat_model_num_params(const struct pat_model *m) { return m->num_params; }
size_t pat_model_num_tensors(const struct pat_model *m) { return m->num_tensors; }

const char *pat_model_tensor_name(const struct pat_model *m, size_t i) {
    return m->tensors[i].name;
}

size_t pat_model_tensor_shape(const struct pat_model *m, size_t i, size_t shape[4]) {
    for (size_t d = 0; d < PAT_MAX_NDIM; d++) shape[d] = m->tensors[i].shape[d];
    return m->tensors[i].ndim;
}

float *pat_model_tensor_data(struct pat_model *m, size_t i) {
    return m->params + m->tensors[i].offset;
}

size_t pat_model_tensor_find(const struct pat_model *m, const char *name) {
    for (size_t i = 0; i < m->num_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return i;
    return (size_t)-1;
}

static enum pat_status copy_tensors(struct pat_model *to, const struct pat_model *from,
                                    const char *skip_prefix, struct pat_err *err);

/* Keras glorot_uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)). */
static void glorot_uniform(float *w, size_t fan_in, size_t fan_out, struct pat_rng *rng) {
    const float a = (float)sqrt(6.0 / (double)(fan_in + fan_out));
    for (size_t i = 0; i < fan_in * fan_out; i++) w[i] = a * (2.0f * pat_rng_uniform(rng) - 1.0f);
}

enum pat_status pat_model_with_new_head(const struct pat_model *m, unsigned long long seed,
                                        struct pat_model **out, struct pat_err *err) {
    struct pat_model *h = NULL;
    enum pat_status st = pat_model_create(&m->cfg, 1, m->scaler_len, &h, err);
    if (st != PAT_OK) return st;
    st = copy_tensors(h, m, "head/", err); /* encoder, scaler, metadata */
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    const size_t E = m->cfg.embed_dim;
    glorot_uniform(h->params + (h->head_w1 - h->params), E, PAT_HEAD_HIDDEN, &rng);
    glorot_uniform(h->params + (h->head_w2 - h->params), PAT_HEAD_HIDDEN, 1, &rng);
    if (st != PAT_OK) {
        pat_model_free(h);
        return st;
    }
    *out = h;
    return PAT_OK;
}

/* Keras fans of a kernel (pat-spec §3.3): rank 2 (in, out); higher ranks
 * r = prod(shape[:-2]), fan_in = shape[-2] r, fan_out = shape[-1] r. */
static void keras_fans(const struct pat_tensor *t, size_t *fan_in, size_t *fan_out) {
    size_t r = 1;
    for (size_t d = 0; d + 2 < t->ndim; d++) r *= t->shape[d];
    *fan_in = t->shape[t->ndim - 2] * r;
    *fan_out = t->shape[t->ndim - 1] * r;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

enum pat_status pat_model_init_random(const struct pat_config *cfg, int with_head,
                                      unsigned long long seed, struct pat_model **out,
                                      struct pat_err *err) {
    enum pat_status st = pat_model_create(cfg, with_head, 0, out, err);
    if (st != PAT_OK) return st;
    struct pat_model *m = *out;
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t i = 0; i < m->num_tensors; i++) {
        const struct pat_tensor *t = &m->tensors[i];
        float *w = m->params + t->offset;
        if (ends_with(t->name, "/gamma")) {
            for (size_t j = 0; j < t->numel; j++) w[j] = 1.0f;
        } else if (ends_with(t->name, "/kernel")) {
            size_t fi, fo;
            keras_fans(t, &fi, &fo);
            const float a = (float)sqrt(6.0 / (double)(fi + fo));
            for (size_t j = 0; j < t->numel; j++) w[j] = a * (2.0f * pat_rng_uniform(&rng) - 1.0f);
        } /* biases and beta stay 0 */
    }
    return PAT_OK;
}

/* Copy every tensor of `from` that `to` has too, except names starting with
 * `skip_prefix` (NULL: none), and all metadata. */
static enum pat_status copy_tensors(struct pat_model *to, const struct pat_model *from,
                                    const char *skip_prefix, struct pat_err *err) {
    for (size_t i = 0; i < from->num_tensors; i++) {
        const struct pat_tensor *t = &from->tensors[i];
        size_t j = pat_model_tensor_find(to, t->name);
        if (j == (size_t)-1 || to->tensors[j].numel != t->numel) continue;
        if (skip_prefix && strncmp(t->name, skip_prefix, strlen(skip_prefix)) == 0) continue;
        memcpy(to->params + to->tensors[j].offset, from->params + t->offset,
               t->numel * sizeof(float));
    }
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < from->num_meta; i++)
        st = pat_model_meta_set(to, from->meta[i].key, from->meta[i].value, err);
    return st;
}

enum pat_status pat_model_with_scaler(const struct pat_model *m, const float *mean,
                                      const float *std, size_t T, struct pat_model **out,
                                      struct pat_err *err) {
    *out = NULL;
    if (T == 0 || T % m->cfg.patch_size != 0)
        return pat_fail(err, PAT_ERR_USAGE, "scaler length %zu is not a multiple of the patch size %zu",
                        T, m->cfg.patch_size);
    for (size_t t = 0; t < T; t++)
        if (!isfinite(mean[t]) || !(std[t] > 0) || !isfinite(std[t]))
            return pat_fail(err, PAT_ERR_NUMERIC, "scaler minute %zu: mean %g, std %g", t + 1,
                            (double)mean[t], (double)std[t]);
    struct pat_model *s = NULL;
    enum pat_status st = pat_model_create(&m->cfg, m->has_head, T, &s, err);
    if (st == PAT_OK) st = copy_tensors(s, m, "scaler/", err);
    if (st != PAT_OK) {
        pat_model_free(s);
        return st;
    }
    memcpy(s->params + (s->scaler_mean - s->params), mean, T * sizeof *mean);
    memcpy(s->params + (s->scaler_std - s->params), std, T * sizeof *std);
    *out = s;
    return PAT_OK;
}
