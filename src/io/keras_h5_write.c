/* keras_h5_write.c - export of a model as a Keras-2 HDF5 weights file laid
 * out like the released PAT-{S,M,L}_*_weights.h5 (pat-spec §2.8), so that
 * the original Keras notebooks can load a pat-trained encoder with
 * load_weights. The second file that includes <hdf5.h> (keras_h5.c reads).
 *
 * What Keras 2.15's legacy save_weights_to_hdf5_group writes through
 * h5py 3, and therefore what this writes:
 *   root attributes  layer_names (1-D array of variable-length ASCII
 *                    strings, the model's layers in order), backend
 *                    "tensorflow" and keras_version "2.15.0" (scalar
 *                    variable-length ASCII strings);
 *   one group per layer, weightless layers included, created in sorted
 *   name order, with attribute weight_names (1-D variable-length strings;
 *   for a layer without weights an empty float64 array of shape (0,), as
 *   h5py stores an empty Python list);
 *   one float32 little-endian, contiguous, uncompressed dataset per weight
 *   at {layer}/{weight name}, e.g. encoder_layer_1_transformer/
 *   encoder_layer_1_attention/query/kernel:0;
 *   an empty group top_level_model_weights (not in layer_names).
 * Layers of the encoder model: inputs, reshape, dense (or add_channel_dim,
 * conv1d_patch_embedding, global_avg_pooling), tf.__operators__.add,
 * encoder_layer_{i}_transformer; a head adds global_avg_pool, dropout,
 * dense_128 and output (pat's convention, read back by keras_h5.c).
 * The file is written beside the target and renamed over it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/keras_h5_write.h"
#include "io/model_check.h"
#include "report/atomic.h"
#include "util.h"

#ifndef PAT_HAVE_HDF5

enum pat_status pat_model_export_keras(const struct pat_model *m, const char *path,
                                       struct pat_err *err) {
    (void)m;
    return pat_fail(err, PAT_ERR_UNSUPPORTED,
                    "%s: this build has no HDF5 support: install libhdf5-dev and rebuild",
                    path ? path : "(null)");
}

enum pat_status pat_keras_h5_describe(const char *path, char **text, struct pat_err *err) {
    if (text) *text = NULL;
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: this build has no HDF5 support",
                    path ? path : "(null)");
}

#else /* PAT_HAVE_HDF5 */

#include <hdf5.h>

#define KERAS_VERSION "2.15.0"
#define MAX_LAYERS (PAT_MAX_LAYERS + 16)

/* One Keras layer: its name and the model tensors that are its weights. */
struct layer {
    char name[PAT_MAX_NAME];
    size_t first, count; /* model tensors [first, first + count) */
};

struct layers {
    struct layer l[MAX_LAYERS];
    size_t n;
};

static void add_layer(struct layers *ls, const char *name, size_t first, size_t count) {
    struct layer *l = &ls->l[ls->n++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->first = first, l->count = count;
}

/* Layer of model tensor `name`: "head/dense_128/kernel" -> dense_128,
 * else the first path component. */
static void layer_of(const char *name, char *out, size_t len) {
    if (strncmp(name, "head/", 5) == 0) name += 5;
    size_t k = strcspn(name, "/");
    snprintf(out, len, "%.*s", (int)k, name);
}

/* Keras weight name of model tensor `name` (the dataset path below its
 * layer group): "dense/dense/kernel" -> "dense/kernel:0",
 * "head/dense_128/kernel" -> "dense_128/kernel:0". */
static void weight_name(const char *name, char *out, size_t len) {
    if (strncmp(name, "head/", 5) == 0) snprintf(out, len, "%s:0", name + 5);
    else snprintf(out, len, "%s:0", name + strcspn(name, "/") + 1);
}

/* The model's layers in order; weights grouped by layer in tensor order. */
static void model_layers(const struct pat_model *m, struct layers *ls) {
    ls->n = 0;
    add_layer(ls, "inputs", 0, 0);
    add_layer(ls, "reshape", 0, 0);
    if (m->cfg.embedding == PAT_EMBED_CONV) add_layer(ls, "add_channel_dim", 0, 0);
    for (size_t i = 0; i < m->num_tensors;) {
        char name[PAT_MAX_NAME], next[PAT_MAX_NAME];
        layer_of(m->tensors[i].name, name, sizeof name);
        if (!strcmp(name, "dense_128")) {
            add_layer(ls, "global_avg_pool", 0, 0);
            add_layer(ls, "dropout", 0, 0);
        }
        size_t j = i + 1;
        for (; j < m->num_tensors; j++) {
            layer_of(m->tensors[j].name, next, sizeof next);
            if (strcmp(next, name) != 0) break;
        }
        add_layer(ls, name, i, j - i);
        if (m->cfg.embedding == PAT_EMBED_CONV && !strcmp(name, "conv1d_patch_embedding"))
            add_layer(ls, "global_avg_pooling", 0, 0);
        if (i == 0) add_layer(ls, "tf.__operators__.add", 0, 0);
        i = j;
    }
}

/* ---- attributes ------------------------------------------------------------------- */

static hid_t vlen_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_ASCII) < 0 ||
                   H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Attribute `key` on obj: n strings as a 1-D vlen string array; n == 0 as
 * an empty float64 array (what h5py makes of an empty list); scalar when
 * n is (size_t)-1 (one string). Returns 0 on failure. */
static int write_strings(hid_t obj, const char *key, const char *const *s, size_t n) {
    const int scalar = n == (size_t)-1;
    hsize_t dims[1] = {scalar ? 1 : (hsize_t)n};
    hid_t sp = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    hid_t t = n == 0 ? H5Tcopy(H5T_IEEE_F64LE) : vlen_string_type();
    hid_t a = sp >= 0 && t >= 0 ? H5Acreate2(obj, key, t, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = a >= 0 && (n == 0 || H5Awrite(a, t, s) >= 0);
    if (a >= 0) H5Aclose(a);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    return ok;
}

/* ---- writing -------------------------------------------------------------------------- */

static int cmp_layer(const void *a, const void *b) {
    return strcmp(((const struct layer *)a)->name, ((const struct layer *)b)->name);
}

static int write_dataset(hid_t g, const char *wname, const struct pat_tensor *t, const float *x) {
    hsize_t dims[PAT_MAX_NDIM];
    for (size_t d = 0; d < t->ndim; d++) dims[d] = (hsize_t)t->shape[d];
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t sp = H5Screate_simple((int)t->ndim, dims, NULL);
    int ok = lcpl >= 0 && sp >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0;
    hid_t ds = ok ? H5Dcreate2(g, wname, H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0;
    if (ds >= 0) H5Dclose(ds);
    if (sp >= 0) H5Sclose(sp);
    if (lcpl >= 0) H5Pclose(lcpl);
    return ok;
}

/* One layer group: weight_names and the datasets. */
static int write_layer(hid_t file, const struct pat_model *m, const struct layer *l) {
    char names[64][PAT_MAX_NAME];
    const char *ptr[64];
    if (l->count > 64) return 0;
    hid_t g = H5Gcreate2(file, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = g >= 0;
    for (size_t k = 0; ok && k < l->count; k++) {
        const struct pat_tensor *t = &m->tensors[l->first + k];
        weight_name(t->name, names[k], sizeof names[k]);
        ptr[k] = names[k];
        ok = write_dataset(g, names[k], t, m->params + t->offset);
    }
    ok = ok && write_strings(g, "weight_names", ptr, l->count);
    if (g >= 0) H5Gclose(g);
    return ok;
}

/* Every group, dataset and attribute of the Keras file into `file`. */
static int write_contents(hid_t file, const struct pat_model *m, struct layers *lsp,
                          struct layers *sorted) {
    model_layers(m, lsp);
    const char *names[MAX_LAYERS];
    for (size_t i = 0; i < lsp->n; i++) names[i] = lsp->l[i].name;
    const char *backend = "tensorflow", *version = KERAS_VERSION;
    int ok = write_strings(file, "layer_names", names, lsp->n) &&
             write_strings(file, "backend", &backend, (size_t)-1) &&
             write_strings(file, "keras_version", &version, (size_t)-1);
    *sorted = *lsp;
    qsort(sorted->l, sorted->n, sizeof sorted->l[0], cmp_layer);
    for (size_t i = 0; ok && i < sorted->n; i++) ok = write_layer(file, m, &sorted->l[i]);
    struct layer top = {"top_level_model_weights", 0, 0};
    return ok && write_layer(file, m, &top);
}

/* The whole file built in memory (HDF5's core driver, no backing store):
 * HDF5 never touches the disk, so a full disk or a FIFO meets pat's own
 * writes (report/atomic.h), and a failed close cannot leave the library
 * holding a half-written file (it crashed at exit: issue 12). Returns the
 * malloc'd image and its size, or NULL. */
static unsigned char *file_image(const struct pat_model *m, const char *path, size_t *size) {
    struct layers *lsp = malloc(sizeof *lsp), *sorted = malloc(sizeof *sorted);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    int ok = lsp && sorted && fapl >= 0 && H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) >= 0 &&
             H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0;
    hid_t file = ok ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
    ok = file >= 0 && write_contents(file, m, lsp, sorted) && H5Fflush(file, H5F_SCOPE_LOCAL) >= 0;
    ssize_t n = ok ? H5Fget_file_image(file, NULL, 0) : -1;
    unsigned char *img = n > 0 ? malloc((size_t)n) : NULL;
    ok = img && H5Fget_file_image(file, img, (size_t)n) == n;
    if (file >= 0 && H5Fclose(file) < 0) ok = 0;
    if (fapl >= 0) H5Pclose(fapl);
    free(lsp), free(sorted);
    if (!ok) {
        free(img);
        return NULL;
    }
    *size = (size_t)n;
    return img;
}

enum pat_status pat_model_export_keras(const struct pat_model *m, const char *path,
                                       struct pat_err *err) {
    if (!m || !path) return pat_fail(err, PAT_ERR_USAGE, "pat_model_export_keras: NULL argument");
    if (m->scaler_len)
        return pat_fail(err, PAT_ERR_USAGE,
                        "%s: the model has a per-minute scaler (scaler/mean, scaler/std), which a "
                        "Keras weights file cannot hold: standardize inputs before the Keras model",
                        path);
    enum pat_status st = pat_model_check_values(m, "model", err);
    if (st != PAT_OK) return st;
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    size_t size = 0;
    unsigned char *img = file_image(m, path, &size);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    if (!img) return pat_fail(err, PAT_ERR_NOMEM, "%s: cannot build the HDF5 file", path);
    struct pat_atomic_file a;
    st = pat_atomic_open(&a, path, err);
    if (st == PAT_OK && fwrite(img, 1, size, a.f) != size) {
        st = pat_fail(err, PAT_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        pat_atomic_abort(&a);
    } else if (st == PAT_OK) {
        st = pat_atomic_commit(&a, err);
    }
    free(img);
    return st;
}

/* ---- layout description ----------------------------------------------------------- */

struct text {
    char **lines;
    size_t n, cap;
    int failed;
};

static void add_line(struct text *t, const char *fmt, ...) PAT_PRINTF(2, 3);

static void add_line(struct text *t, const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        char **g = realloc(t->lines, cap * sizeof *g);
        if (!g) { t->failed = 1; return; }
        t->lines = g, t->cap = cap;
    }
    if (!(t->lines[t->n] = pat_strdup(buf))) t->failed = 1;
    else t->n++;
}

/* "class=string vlen cset=0 pad=0", "class=float size=4 order=LE", ... */
static void describe_type(hid_t type, char *buf, size_t len) {
    H5T_class_t c = H5Tget_class(type);
    if (c == H5T_STRING) {
        int vlen = H5Tis_variable_str(type) > 0;
        char size[32];
        snprintf(size, sizeof size, "%zu", H5Tget_size(type));
        snprintf(buf, len, "class=string size=%s cset=%d pad=%d", vlen ? "vlen" : size,
                 (int)H5Tget_cset(type), (int)H5Tget_strpad(type));
    } else {
        snprintf(buf, len, "class=%d size=%zu order=%s", (int)c, H5Tget_size(type),
                 H5Tget_order(type) == H5T_ORDER_BE ? "BE" : "LE");
    }
}

static void describe_space(hid_t sp, char *buf, size_t len) {
    hsize_t dims[8];
    int nd = H5Sget_simple_extent_ndims(sp);
    if (H5Sget_simple_extent_type(sp) == H5S_SCALAR) { snprintf(buf, len, "scalar"); return; }
    if (nd < 0 || nd > 8 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) { snprintf(buf, len, "?"); return; }
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int d = 0; d < nd && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, "%s%llu", d ? ", " : "", (unsigned long long)dims[d]);
    if (used < len) snprintf(buf + used, len - used, ")");
}

/* Values of a string attribute, comma-separated, into buf. */
static void string_values(hid_t a, hid_t type, hssize_t n, char *buf, size_t len) {
    buf[0] = '\0';
    if (n <= 0 || n > 4096) return;
    size_t used = 0;
    if (H5Tis_variable_str(type) > 0) {
        char **v = calloc((size_t)n, sizeof *v);
        hid_t mt = vlen_string_type();
        if (v && mt >= 0 && H5Aread(a, mt, v) >= 0) {
            for (hssize_t i = 0; i < n && used < len; i++)
                used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", v[i] ? v[i] : "");
            for (hssize_t i = 0; i < n; i++) H5free_memory(v[i]);
        }
        if (mt >= 0) H5Tclose(mt);
        free(v);
        return;
    }
    size_t sz = H5Tget_size(type);
    char *raw = calloc((size_t)n, sz + 1);
    if (raw && H5Aread(a, type, raw) >= 0)
        for (hssize_t i = 0; i < n && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, "%s%.*s", i ? "," : "", (int)sz,
                                     raw + (size_t)i * sz);
    free(raw);
}

struct attr_ctx {
    struct text *t;
    const char *obj;
};

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
    struct attr_ctx *ctx = data;
    char type[128], space[128], value[6000] = "";
    (void)info;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1, sp = a >= 0 ? H5Aget_space(a) : -1;
    if (t < 0 || sp < 0) {
        ctx->t->failed = 1;
    } else {
        describe_type(t, type, sizeof type);
        describe_space(sp, space, sizeof space);
        if (H5Tget_class(t) == H5T_STRING)
            string_values(a, t, H5Sget_simple_extent_npoints(sp), value, sizeof value);
        add_line(ctx->t, "attr /%s %s %s space=%s value=%s", ctx->obj, name, type, space, value);
    }
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return 0;
}

#if H5_VERSION_GE(1, 12, 0)
typedef H5O_info2_t desc_info;
#define DESC_VISIT(o, cb, d) H5Ovisit3(o, H5_INDEX_NAME, H5_ITER_INC, cb, d, H5O_INFO_BASIC)
#else
typedef H5O_info_t desc_info;
#define DESC_VISIT(o, cb, d) H5Ovisit2(o, H5_INDEX_NAME, H5_ITER_INC, cb, d, H5O_INFO_BASIC)
#endif

static void describe_dataset(struct text *t, hid_t obj, const char *name) {
    char type[128], space[128];
    hid_t ds = H5Dopen2(obj, name, H5P_DEFAULT);
    hid_t ty = ds >= 0 ? H5Dget_type(ds) : -1, sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hid_t dcpl = ds >= 0 ? H5Dget_create_plist(ds) : -1;
    if (ty < 0 || sp < 0 || dcpl < 0) {
        t->failed = 1;
    } else {
        describe_type(ty, type, sizeof type);
        describe_space(sp, space, sizeof space);
        add_line(t, "dataset /%s %s shape=%s layout=%d filters=%d", name, type, space,
                 (int)H5Pget_layout(dcpl), H5Pget_nfilters(dcpl));
    }
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    if (ds >= 0) H5Dclose(ds);
}

static herr_t visit_cb(hid_t obj, const char *name, const desc_info *info, void *data) {
    struct text *t = data;
    const int root = strcmp(name, ".") == 0;
    if (info->type == H5O_TYPE_DATASET) describe_dataset(t, obj, name);
    else if (!root) add_line(t, "group /%s", name);
    hid_t o = H5Oopen(obj, name, H5P_DEFAULT);
    struct attr_ctx ctx = {t, root ? "" : name};
    if (o < 0 || H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, NULL, attr_cb, &ctx) < 0) t->failed = 1;
    if (o >= 0) H5Oclose(o);
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Join the sorted lines into one malloc'd text. */
static char *join_lines(struct text *t) {
    size_t len = 1;
    qsort(t->lines, t->n, sizeof *t->lines, cmp_str);
    for (size_t i = 0; i < t->n; i++) len += strlen(t->lines[i]) + 1;
    char *s = malloc(len), *p = s;
    for (size_t i = 0; s && i < t->n; i++) {
        size_t k = strlen(t->lines[i]);
        memcpy(p, t->lines[i], k);
        p[k] = '\n';
        p += k + 1;
    }
    if (s) *p = '\0';
    return s;
}

enum pat_status pat_keras_h5_describe(const char *path, char **text, struct pat_err *err) {
    *text = NULL;
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    struct text t = {0};
    if (file < 0 || DESC_VISIT(file, visit_cb, &t) < 0) t.failed = 1;
    if (file >= 0) H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    if (!t.failed) *text = join_lines(&t);
    for (size_t i = 0; i < t.n; i++) free(t.lines[i]);
    free(t.lines);
    return *text ? PAT_OK : pat_fail(err, PAT_ERR_FORMAT, "%s: cannot describe the HDF5 file", path);
}

#endif /* PAT_HAVE_HDF5 */
