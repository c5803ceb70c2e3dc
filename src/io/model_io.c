/* model_io.c - pat_model_load / pat_model_save over safetensors.
 *
 * Loading infers the architecture from the tensor shapes (pat_config_infer),
 * creates the model and then demands an exact match: every tensor the
 * architecture expects is present with its exact shape, and nothing else
 * is in the file. Metadata is copied and checked against the shapes;
 * values must be finite and scaler/std positive. Files starting with the
 * HDF5 signature are handed to the Keras importer.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/model_check.h"
#include "io/safetensors.h"
#include "util.h"

/* 1 when the file starts with the 8-byte HDF5 signature. */
static int is_hdf5(const char *path) {
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    return got == sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

static const char *st_meta_get(const struct pat_st_file *f, const char *key) {
    for (size_t i = 0; i < f->num_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

/* Conv variants: P comes from pat.patch_size metadata when present. */
static enum pat_status conv_patch_size(const char *path, const struct pat_st_file *f,
                                       struct pat_config *cfg, struct pat_err *err) {
    const char *v = st_meta_get(f, "pat.patch_size");
    if (v) {
        char *end;
        errno = 0;
        unsigned long long p = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno || p == 0 || p > SIZE_MAX)
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: metadata pat.patch_size = '%.40s' is not a positive integer",
                            path, v);
        cfg->patch_size = (size_t)p;
    }
    if (cfg->patch_size == 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: conv patch embedding with sizes of no PAT preset: the patch "
                        "size cannot be inferred; add metadata pat.patch_size", path);
    return PAT_OK;
}

static enum pat_status infer(const char *path, const struct pat_st_file *f,
                             struct pat_config *cfg, int *with_head, size_t *scaler_len,
                             struct pat_err *err) {
    struct pat_shape_entry *e = pat_calloc(f->num_tensors ? f->num_tensors : 1, sizeof *e);
    if (!e) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < f->num_tensors; i++)
        e[i] = (struct pat_shape_entry){f->tensors[i].name, f->tensors[i].ndim,
                                        f->tensors[i].shape};
    enum pat_status st =
        pat_config_infer(e, f->num_tensors, path, cfg, with_head, scaler_len, err);
    free(e);
    if (st == PAT_OK && cfg->embedding == PAT_EMBED_CONV)
        st = conv_patch_size(path, f, cfg, err);
    return st;
}

static size_t st_find(const struct pat_st_file *f, const char *name) {
    for (size_t i = 0; i < f->num_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return i;
    return (size_t)-1;
}

static int same_shape(const struct pat_tensor *t, const struct pat_st_tensor *s) {
    if (t->ndim != s->ndim) return 0;
    for (size_t d = 0; d < t->ndim; d++)
        if (t->shape[d] != s->shape[d]) return 0;
    return 1;
}

/* Every expected tensor present with its shape, nothing unknown; copy data. */
static enum pat_status fill_tensors(const char *path, const struct pat_st_file *f,
                                    struct pat_model *m, struct pat_err *err) {
    char want[128], got[128];
    const char *arch = pat_config_name(&m->cfg);
    for (size_t i = 0; i < m->num_tensors; i++) {
        const struct pat_tensor *t = &m->tensors[i];
        size_t k = st_find(f, t->name);
        pat_format_shape(want, sizeof want, t->shape, t->ndim);
        if (k == (size_t)-1)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: missing tensor '%s' (shape %s, %s model)",
                            path, t->name, want, arch);
        if (!same_shape(t, &f->tensors[k])) {
            pat_format_shape(got, sizeof got, f->tensors[k].shape, f->tensors[k].ndim);
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: tensor '%s' has shape %s, expected %s (%s model)", path,
                            t->name, got, want, arch);
        }
        pat_st_tensor_copy(f, k, m->params + t->offset);
    }
    for (size_t i = 0; i < f->num_tensors; i++)
        if (pat_model_tensor_find(m, f->tensors[i].name) == (size_t)-1)
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: unknown tensor '%s' (not part of a %s model with%s head, "
                            "scaler length %zu)", path, f->tensors[i].name, arch,
                            m->has_head ? "" : "out", m->scaler_len);
    return PAT_OK;
}

static enum pat_status st_to_model(const char *path, const struct pat_st_file *f,
                                   struct pat_model **out, struct pat_err *err) {
    struct pat_config cfg;
    int with_head;
    size_t scaler_len;
    struct pat_model *m = NULL;
    enum pat_status st = infer(path, f, &cfg, &with_head, &scaler_len, err);
    if (st == PAT_OK && (st = pat_config_check(&cfg, err)) != PAT_OK)
        pat_err_prefix(err, path, st);
    /* Every parameter must be in the file: refuse before allocating a model
     * that the file's data cannot fill (a few tensor names can otherwise
     * ask for ~1000x the file's size). */
    if (st == PAT_OK && (scaler_len > f->data_size / 4 ||
                         pat_config_num_params(&cfg, with_head, scaler_len) > f->data_size / 4))
        st = pat_fail(err, PAT_ERR_FORMAT,
                      "%s: the tensors' shapes ask for a %s model larger than the %zu "
                      "bytes of data in the file", path, pat_config_name(&cfg), f->data_size);
    if (st == PAT_OK) { /* the architecture complaint names no file: add it */
        st = pat_model_create(&cfg, with_head, scaler_len, &m, err);
        if (st != PAT_OK) pat_err_prefix(err, path, st);
    }
    if (st == PAT_OK) st = fill_tensors(path, f, m, err);
    for (size_t i = 0; st == PAT_OK && i < f->num_meta; i++) {
        st = pat_model_meta_set(m, f->meta[i].key, f->meta[i].value, err);
        if (st != PAT_OK) pat_err_prefix(err, path, st);
    }
    if (st == PAT_OK) st = pat_model_check_config_meta(m, path, err);
    if (st == PAT_OK) st = pat_model_check_values(m, path, err);
    if (st != PAT_OK) {
        pat_model_free(m);
        return st;
    }
    *out = m;
    return PAT_OK;
}

enum pat_status pat_model_load(const char *path, struct pat_model **out,
                               struct pat_err *err) {
    if (!out) return pat_fail(err, PAT_ERR_USAGE, "pat_model_load: out is NULL");
    *out = NULL;
    if (!path) return pat_fail(err, PAT_ERR_USAGE, "pat_model_load: path is NULL");
    if (is_hdf5(path)) return pat_model_import_keras(path, out, err);
    struct pat_st_file f;
    enum pat_status st = pat_st_read(path, &f, err);
    if (st != PAT_OK) return st;
    st = st_to_model(path, &f, out, err);
    pat_st_free(&f);
    return st;
}

enum pat_status pat_model_save(const struct pat_model *m, const char *path,
                               struct pat_err *err) {
    if (!m || !path) return pat_fail(err, PAT_ERR_USAGE, "pat_model_save: NULL argument");
    struct pat_st_out *t = pat_calloc(m->num_tensors ? m->num_tensors : 1, sizeof *t);
    struct pat_st_meta *meta = pat_calloc(m->num_meta ? m->num_meta : 1, sizeof *meta);
    enum pat_status st = PAT_OK;
    if (!t || !meta) st = pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; st == PAT_OK && i < m->num_tensors; i++)
        t[i] = (struct pat_st_out){m->tensors[i].name, m->tensors[i].ndim,
                                   m->tensors[i].shape, m->params + m->tensors[i].offset};
    for (size_t i = 0; st == PAT_OK && i < m->num_meta; i++)
        meta[i] = (struct pat_st_meta){m->meta[i].key, m->meta[i].value};
    if (st == PAT_OK) st = pat_st_write(path, t, m->num_tensors, meta, m->num_meta, err);
    free(t);
    free(meta);
    return st;
}
