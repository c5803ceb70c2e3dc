/* config.c - the six architecture presets, config checks, and the named-tensor
 * layout a config implies (Keras names and shapes, in file order).
 *
 * The layout is an ordered table of named tensors that slice one flat float
 * buffer; readers, writers, inference and training all go through it.
 */
#include "nn/model.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const struct {
    const char *name;  /* canonical preset name */
    const char *label; /* printed name */
    struct pat_config cfg;
} presets[] = {
    {"S", "PAT-S", {18, 96, 6, 96, 256, 1, PAT_EMBED_DENSE}},
    {"M", "PAT-M", {18, 96, 12, 96, 256, 2, PAT_EMBED_DENSE}},
    {"L", "PAT-L", {9, 96, 12, 96, 256, 4, PAT_EMBED_DENSE}},
    {"conv-S", "PAT Conv-S", {18, 96, 6, 96, 256, 1, PAT_EMBED_CONV}},
    {"conv-M", "PAT Conv-M", {18, 96, 12, 96, 256, 2, PAT_EMBED_CONV}},
    {"conv-L", "PAT Conv-L", {9, 96, 12, 96, 256, 4, PAT_EMBED_CONV}},
};
#define NUM_PRESETS (sizeof presets / sizeof presets[0])

static int streq_nocase(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

enum pat_status pat_config_preset(const char *name, struct pat_config *cfg,
                                  struct pat_err *err) {
    const char *n = name;
    if (strncmp(n, "PAT-", 4) == 0 || strncmp(n, "pat-", 4) == 0) n += 4;
    for (size_t i = 0; i < NUM_PRESETS; i++) {
        if (streq_nocase(n, presets[i].name) || streq_nocase(name, presets[i].label)) {
            *cfg = presets[i].cfg;
            return PAT_OK;
        }
    }
    return pat_fail(err, PAT_ERR_USAGE,
                    "unknown architecture '%s' (expected S, M, L, conv-S, conv-M or conv-L)",
                    name);
}

static int config_equal(const struct pat_config *a, const struct pat_config *b) {
    return a->patch_size == b->patch_size && a->embed_dim == b->embed_dim &&
           a->num_heads == b->num_heads && a->key_dim == b->key_dim &&
           a->ff_dim == b->ff_dim && a->num_layers == b->num_layers &&
           a->embedding == b->embedding;
}

const char *pat_config_name(const struct pat_config *cfg) {
    for (size_t i = 0; i < NUM_PRESETS; i++)
        if (config_equal(cfg, &presets[i].cfg)) return presets[i].label;
    return "custom";
}

enum pat_status pat_config_check(const struct pat_config *c, struct pat_err *err) {
    if (c->patch_size < 1 || c->patch_size > PAT_MAX_PATCH)
        return pat_fail(err, PAT_ERR_FORMAT, "patch size %zu out of range 1..%d",
                        c->patch_size, PAT_MAX_PATCH);
    if (c->embed_dim < 1 || c->embed_dim > PAT_MAX_EMBED || c->key_dim < 1 ||
        c->key_dim > PAT_MAX_EMBED)
        return pat_fail(err, PAT_ERR_FORMAT, "embed/key dim %zu/%zu out of range 1..%d",
                        c->embed_dim, c->key_dim, PAT_MAX_EMBED);
    if (c->num_heads < 1 || c->num_heads > PAT_MAX_HEADS)
        return pat_fail(err, PAT_ERR_FORMAT, "head count %zu out of range 1..%d",
                        c->num_heads, PAT_MAX_HEADS);
    if (c->ff_dim < 1 || c->ff_dim > PAT_MAX_FF)
        return pat_fail(err, PAT_ERR_FORMAT, "ff dim %zu out of range 1..%d", c->ff_dim,
                        PAT_MAX_FF);
    if (c->num_layers < 1 || c->num_layers > PAT_MAX_LAYERS)
        return pat_fail(err, PAT_ERR_FORMAT, "layer count %zu out of range 1..%d",
                        c->num_layers, PAT_MAX_LAYERS);
    if (c->embedding != PAT_EMBED_DENSE && c->embedding != PAT_EMBED_CONV)
        return pat_fail(err, PAT_ERR_FORMAT, "unknown patch embedding %d", (int)c->embedding);
    return PAT_OK;
}

/* ---- layout ------------------------------------------------------------ */

/* Builds the tensor table; with `t` NULL it only counts. */
struct layout_builder {
    struct pat_tensor *t;
    size_t count;
    size_t floats;
};

static void add_tensor(struct layout_builder *lb, const char *name, size_t ndim,
                       size_t d0, size_t d1, size_t d2) {
    size_t dims[3] = {d0, d1, d2};
    size_t numel = 1;
    for (size_t i = 0; i < ndim; i++) numel *= dims[i]; /* bounded by config limits */
    if (lb->t) {
        struct pat_tensor *t = &lb->t[lb->count];
        snprintf(t->name, sizeof t->name, "%s", name);
        t->ndim = ndim;
        for (size_t i = 0; i < PAT_MAX_NDIM; i++) t->shape[i] = i < ndim ? dims[i] : 0;
        t->numel = numel;
        t->offset = lb->floats;
    }
    lb->count++;
    lb->floats += numel;
}

static void add_block(struct layout_builder *lb, const struct pat_config *c, size_t i) {
    const size_t E = c->embed_dim, H = c->num_heads, K = c->key_dim, F = c->ff_dim;
    static const char *const qkv[3] = {"query", "key", "value"};
    char name[PAT_MAX_NAME], pre[64];
    snprintf(pre, sizeof pre, "encoder_layer_%zu_transformer/encoder_layer_%zu", i, i);
    for (int j = 0; j < 3; j++) {
        snprintf(name, sizeof name, "%s_attention/%s/kernel", pre, qkv[j]);
        add_tensor(lb, name, 3, E, H, K);
        snprintf(name, sizeof name, "%s_attention/%s/bias", pre, qkv[j]);
        add_tensor(lb, name, 2, H, K, 0);
    }
    snprintf(name, sizeof name, "%s_attention/attention_output/kernel", pre);
    add_tensor(lb, name, 3, H, K, E);
    snprintf(name, sizeof name, "%s_attention/attention_output/bias", pre);
    add_tensor(lb, name, 1, E, 0, 0);
    snprintf(name, sizeof name, "%s_norm1/gamma", pre);
    add_tensor(lb, name, 1, E, 0, 0);
    snprintf(name, sizeof name, "%s_norm1/beta", pre);
    add_tensor(lb, name, 1, E, 0, 0);
    snprintf(name, sizeof name, "%s_ff1/kernel", pre);
    add_tensor(lb, name, 2, E, F, 0);
    snprintf(name, sizeof name, "%s_ff1/bias", pre);
    add_tensor(lb, name, 1, F, 0, 0);
    snprintf(name, sizeof name, "%s_ff2/kernel", pre);
    add_tensor(lb, name, 2, F, E, 0);
    snprintf(name, sizeof name, "%s_ff2/bias", pre);
    add_tensor(lb, name, 1, E, 0, 0);
    snprintf(name, sizeof name, "%s_norm2/gamma", pre);
    add_tensor(lb, name, 1, E, 0, 0);
    snprintf(name, sizeof name, "%s_norm2/beta", pre);
    add_tensor(lb, name, 1, E, 0, 0);
}

static void build_layout(struct layout_builder *lb, const struct pat_config *c,
                         int with_head, size_t scaler_len) {
    const size_t E = c->embed_dim;
    if (c->embedding == PAT_EMBED_DENSE) {
        add_tensor(lb, "dense/dense/kernel", 2, c->patch_size, E, 0);
        add_tensor(lb, "dense/dense/bias", 1, E, 0, 0);
    } else {
        add_tensor(lb, "conv1d_patch_embedding/conv1d/kernel", 3, 3, 1, E);
        add_tensor(lb, "conv1d_patch_embedding/conv1d/bias", 1, E, 0, 0);
    }
    for (size_t i = 1; i <= c->num_layers; i++) add_block(lb, c, i);
    if (with_head) {
        add_tensor(lb, "head/dense_128/kernel", 2, E, PAT_HEAD_HIDDEN, 0);
        add_tensor(lb, "head/dense_128/bias", 1, PAT_HEAD_HIDDEN, 0, 0);
        add_tensor(lb, "head/output/kernel", 2, PAT_HEAD_HIDDEN, 1, 0);
        add_tensor(lb, "head/output/bias", 1, 1, 0, 0);
    }
    if (scaler_len) {
        add_tensor(lb, "scaler/mean", 1, scaler_len, 0, 0);
        add_tensor(lb, "scaler/std", 1, scaler_len, 0, 0);
    }
}

enum pat_status pat_config_layout(const struct pat_config *cfg, int with_head, size_t scaler_len,
                                  struct pat_tensor **out, size_t *count, struct pat_err *err) {
    *out = NULL, *count = 0;
    enum pat_status st = pat_config_check(cfg, err);
    if (st != PAT_OK) return st;
    struct layout_builder lb = {0};
    build_layout(&lb, cfg, with_head, scaler_len);
    struct pat_tensor *t = pat_calloc(lb.count, sizeof *t);
    if (!t) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a tensor table");
    *count = lb.count;
    lb = (struct layout_builder){.t = t};
    build_layout(&lb, cfg, with_head, scaler_len);
    *out = t;
    return PAT_OK;
}

size_t pat_config_max_tensors(void) {
    const struct pat_config widest = {.patch_size = 1, .embed_dim = 2, .num_heads = 1,
                                      .key_dim = 1, .ff_dim = 1,
                                      .num_layers = PAT_MAX_LAYERS,
                                      .embedding = PAT_EMBED_DENSE};
    struct layout_builder lb = {0};
    build_layout(&lb, &widest, 1, 1);
    return lb.count;
}

size_t pat_config_encoder_params(const struct pat_config *cfg) {
    struct layout_builder lb = {0};
    build_layout(&lb, cfg, 0, 0);
    return lb.floats;
}

size_t pat_config_head_params(const struct pat_config *cfg) {
    return cfg->embed_dim * PAT_HEAD_HIDDEN + PAT_HEAD_HIDDEN + PAT_HEAD_HIDDEN + 1;
}

size_t pat_config_num_params(const struct pat_config *cfg, int with_head, size_t scaler_len) {
    struct layout_builder lb = {0};
    build_layout(&lb, cfg, with_head, scaler_len);
    return lb.floats;
}
