/* model_meta.c - metadata strings and architecture inference from shapes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util.h"

#define PAT_MAX_META 1024 /* entries; more is refused */

size_t pat_model_num_meta(const struct pat_model *m) { return m->num_meta; }

void pat_model_meta_at(const struct pat_model *m, size_t i, const char **key,
                       const char **value) {
    *key = m->meta[i].key;
    *value = m->meta[i].value;
}

const char *pat_model_meta_get(const struct pat_model *m, const char *key) {
    for (size_t i = 0; i < m->num_meta; i++)
        if (strcmp(m->meta[i].key, key) == 0) return m->meta[i].value;
    return NULL;
}

/* pat.input_transform is the one key that changes computation: checked
 * and mirrored in m->input_log1p. */
static enum pat_status set_transform(struct pat_model *m, const char *value,
                                     struct pat_err *err) {
    if (strcmp(value, "none") != 0 && strcmp(value, "log1p") != 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "unknown input transform '%.40s' (pat.input_transform: none or log1p)",
                        value);
    m->input_log1p = strcmp(value, "log1p") == 0;
    return PAT_OK;
}

const char *pat_model_input_transform(const struct pat_model *m) {
    return m->input_log1p ? "log1p" : "none";
}

enum pat_status pat_model_meta_set(struct pat_model *m, const char *key,
                                   const char *value, struct pat_err *err) {
    if (strcmp(key, PAT_META_INPUT_TRANSFORM) == 0) {
        enum pat_status st = set_transform(m, value, err);
        if (st != PAT_OK) return st;
    }
    char *v = pat_strdup(value);
    if (!v) return pat_fail(err, PAT_ERR_NOMEM, "out of memory storing metadata");
    for (size_t i = 0; i < m->num_meta; i++) {
        if (strcmp(m->meta[i].key, key) == 0) {
            free(m->meta[i].value);
            m->meta[i].value = v;
            return PAT_OK;
        }
    }
    if (m->num_meta >= PAT_MAX_META) {
        free(v);
        return pat_fail(err, PAT_ERR_FORMAT, "more than %d metadata entries", PAT_MAX_META);
    }
    char *k = pat_strdup(key);
    struct pat_meta_entry *grown = realloc(m->meta, (m->num_meta + 1) * sizeof *grown);
    if (!k || !grown) {
        free(k);
        free(v);
        if (grown) m->meta = grown;
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory storing metadata");
    }
    m->meta = grown;
    m->meta[m->num_meta].key = k;
    m->meta[m->num_meta].value = v;
    m->num_meta++;
    return PAT_OK;
}

/* The pat.* keys that describe the architecture. */
struct config_key {
    const char *key;
    size_t value;
};

static size_t config_keys(const struct pat_config *c, struct config_key out[6]) {
    out[0] = (struct config_key){"pat.patch_size", c->patch_size};
    out[1] = (struct config_key){"pat.embed_dim", c->embed_dim};
    out[2] = (struct config_key){"pat.num_heads", c->num_heads};
    out[3] = (struct config_key){"pat.key_dim", c->key_dim};
    out[4] = (struct config_key){"pat.ff_dim", c->ff_dim};
    out[5] = (struct config_key){"pat.num_layers", c->num_layers};
    return 6;
}

static const char *embedding_name(enum pat_embedding e) {
    return e == PAT_EMBED_CONV ? "conv" : "dense";
}

enum pat_status pat_model_set_config_meta(struct pat_model *m, struct pat_err *err) {
    struct config_key keys[6];
    size_t n = config_keys(&m->cfg, keys);
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "%zu", keys[i].value);
        enum pat_status st = pat_model_meta_set(m, keys[i].key, buf, err);
        if (st != PAT_OK) return st;
    }
    return pat_model_meta_set(m, "pat.embedding", embedding_name(m->cfg.embedding), err);
}

static int parse_size(const char *s, size_t *out) {
    if (!s || *s < '0' || *s > '9') return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > SIZE_MAX) return 0;
    *out = (size_t)v;
    return 1;
}

enum pat_status pat_model_check_config_meta(const struct pat_model *m, const char *what,
                                            struct pat_err *err) {
    struct config_key keys[6];
    size_t n = config_keys(&m->cfg, keys);
    for (size_t i = 0; i < n; i++) {
        const char *v = pat_model_meta_get(m, keys[i].key);
        size_t got;
        if (!v) continue;
        if (!parse_size(v, &got))
            return pat_fail(err, PAT_ERR_FORMAT, "%s: metadata %s = '%s' is not a number",
                            what, keys[i].key, v);
        if (got != keys[i].value)
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: metadata %s = %zu but the tensor shapes say %zu", what,
                            keys[i].key, got, keys[i].value);
    }
    const char *e = pat_model_meta_get(m, "pat.embedding");
    if (e && strcmp(e, embedding_name(m->cfg.embedding)) != 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: metadata pat.embedding = '%s' but the tensors say '%s'", what,
                        e, embedding_name(m->cfg.embedding));
    return PAT_OK;
}

/* ---- inference of the architecture ------------------------------------ */

static const struct pat_shape_entry *find_entry(const struct pat_shape_entry *e, size_t n,
                                                const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0) return &e[i];
    return NULL;
}

static size_t count_layers(const struct pat_shape_entry *e, size_t n) {
    char name[PAT_MAX_NAME];
    size_t L = 0;
    for (;;) {
        snprintf(name, sizeof name,
                 "encoder_layer_%zu_transformer/encoder_layer_%zu_attention/query/kernel",
                 L + 1, L + 1);
        if (!find_entry(e, n, name)) return L;
        L++;
    }
}

/* P of the conv preset whose other sizes equal cfg's, or 0 when none does. */
static size_t preset_patch_size(const struct pat_config *cfg) {
    static const char *const names[] = {"conv-S", "conv-M", "conv-L"};
    for (size_t i = 0; i < 3; i++) {
        struct pat_config p;
        pat_config_preset(names[i], &p, NULL);
        if (p.embed_dim == cfg->embed_dim && p.num_heads == cfg->num_heads &&
            p.key_dim == cfg->key_dim && p.ff_dim == cfg->ff_dim &&
            p.num_layers == cfg->num_layers)
            return p.patch_size;
    }
    return 0;
}

enum pat_status pat_config_infer(const struct pat_shape_entry *e, size_t n,
                                 const char *what, struct pat_config *cfg,
                                 int *with_head, size_t *scaler_len,
                                 struct pat_err *err) {
    const struct pat_shape_entry *dense = find_entry(e, n, "dense/dense/kernel");
    const struct pat_shape_entry *conv =
        find_entry(e, n, "conv1d_patch_embedding/conv1d/kernel");
    const struct pat_shape_entry *q = find_entry(
        e, n, "encoder_layer_1_transformer/encoder_layer_1_attention/query/kernel");
    const struct pat_shape_entry *ff1 =
        find_entry(e, n, "encoder_layer_1_transformer/encoder_layer_1_ff1/kernel");
    if (dense && conv)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: has both a dense and a conv patch embedding", what);
    if (!dense && !conv)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: missing tensor dense/dense/kernel (no patch embedding found)",
                        what);
    if (!q || q->ndim != 3)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: missing or malformed tensor "
                        "encoder_layer_1_transformer/encoder_layer_1_attention/query/kernel "
                        "(expected shape (E, H, K))", what);
    if (!ff1 || ff1->ndim != 2)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: missing or malformed tensor "
                        "encoder_layer_1_transformer/encoder_layer_1_ff1/kernel", what);
    if (dense && dense->ndim != 2)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor dense/dense/kernel has %zu dimensions, expected 2",
                        what, dense->ndim);
    memset(cfg, 0, sizeof *cfg);
    cfg->embedding = dense ? PAT_EMBED_DENSE : PAT_EMBED_CONV;
    cfg->patch_size = dense ? dense->shape[0] : 0;
    cfg->embed_dim = q->shape[0];
    cfg->num_heads = q->shape[1];
    cfg->key_dim = q->shape[2];
    cfg->ff_dim = ff1->shape[1];
    cfg->num_layers = count_layers(e, n);
    if (conv) /* the conv kernel does not fix P: the preset with the same shape does */
        cfg->patch_size = preset_patch_size(cfg);
    *with_head = find_entry(e, n, "head/dense_128/kernel") != NULL;
    const struct pat_shape_entry *sm = find_entry(e, n, "scaler/mean");
    *scaler_len = (sm && sm->ndim == 1) ? sm->shape[0] : 0;
    if (sm && sm->ndim != 1)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor scaler/mean must be 1-D", what);
    return PAT_OK;
}
