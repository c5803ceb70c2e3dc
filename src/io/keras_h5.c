/* keras_h5.c - import of Keras-2 HDF5 weight files (pat-spec §2.8).
 *
 * The only file that includes <hdf5.h>; without PAT_HAVE_HDF5 it compiles
 * to a stub that reports PAT_ERR_UNSUPPORTED.
 *
 * Keras' legacy save_weights writes one group per layer and one dataset per
 * weight, named by the variable name, so "dense/kernel:0" becomes the
 * dataset dense/dense/kernel:0. A full-model save puts the same tree under
 * /model_weights. Datasets map to pat tensor names by dropping ":0"; the
 * fine-tuning head's dense_128/dense_128/... and output/output/... map to
 * head/dense_128/... and head/output/.... The architecture is inferred from
 * the shapes; every expected dataset must exist as float32 with the exact
 * shape, and no other dataset may be present.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/model_check.h"
#include "util.h"

#ifndef PAT_HAVE_HDF5

int pat_have_hdf5(void) { return 0; }

enum pat_status pat_model_import_keras(const char *path, struct pat_model **out,
                                       struct pat_err *err) {
    if (out) *out = NULL;
    return pat_fail(err, PAT_ERR_UNSUPPORTED,
                    "%s: this build has no HDF5 support: install libhdf5-dev and rebuild",
                    path ? path : "(null)");
}

#else /* PAT_HAVE_HDF5 */

#include <hdf5.h>

/* HDF5 1.12 renamed the object-visit and file-probe calls. */
#if H5_VERSION_GE(1, 12, 0)
#define PAT_H5_IS_HDF5(path) H5Fis_accessible(path, H5P_DEFAULT)
typedef H5O_info2_t pat_h5_info;
#define PAT_H5_VISIT(o, cb, d) H5Ovisit3(o, H5_INDEX_NAME, H5_ITER_INC, cb, d, H5O_INFO_BASIC)
typedef H5L_info2_t pat_h5_link;
#define PAT_H5_LINK_VISIT(g, cb, d) H5Lvisit2(g, H5_INDEX_NAME, H5_ITER_INC, cb, d)
#else
#define PAT_H5_IS_HDF5(path) H5Fis_hdf5(path)
typedef H5O_info_t pat_h5_info;
#define PAT_H5_VISIT(o, cb, d) H5Ovisit2(o, H5_INDEX_NAME, H5_ITER_INC, cb, d, H5O_INFO_BASIC)
typedef H5L_info_t pat_h5_link;
#define PAT_H5_LINK_VISIT(g, cb, d) H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, cb, d)
#endif

#define H5_MAX_NDIM 8
/* Deflate's largest expansion: a filtered dataset's stored bytes times this
 * bound the data it can hold. */
#define H5_MAX_INFLATE 1032ULL

/* pat's names for the fine-tuning head datasets (pat's extension). */
static const char *const head_map[4][2] = {
    {"dense_128/dense_128/kernel", "head/dense_128/kernel"},
    {"dense_128/dense_128/bias", "head/dense_128/bias"},
    {"output/output/kernel", "head/output/kernel"},
    {"output/output/bias", "head/output/bias"},
};

/* One dataset found in the file. */
struct h5_entry {
    char *h5path;            /* relative to the weights root (malloc'd) */
    char name[PAT_MAX_NAME]; /* pat tensor name */
    size_t ndim;
    size_t shape[H5_MAX_NDIM];
    unsigned long long max_bytes; /* the most data its storage can hold */
};

struct h5_walk {
    const char *path; /* the file, for messages */
    struct h5_entry *e;
    size_t n, cap;
    struct pat_err *err;
    enum pat_status st;
};

int pat_have_hdf5(void) { return 1; }

/* pat tensor name of a dataset path; 0 when it is too long. */
static int map_name(const char *h5path, char out[PAT_MAX_NAME]) {
    size_t len = strlen(h5path);
    if (len >= 2 && strcmp(h5path + len - 2, ":0") == 0) len -= 2;
    if (len >= PAT_MAX_NAME) return 0;
    memcpy(out, h5path, len);
    out[len] = '\0';
    for (size_t i = 0; i < 4; i++)
        if (strcmp(out, head_map[i][0]) == 0) snprintf(out, PAT_MAX_NAME, "%s", head_map[i][1]);
    return 1;
}

/* Dataset path Keras would use for a pat tensor name (for messages). */
static void keras_path(const char *name, char *buf, size_t len) {
    for (size_t i = 0; i < 4; i++)
        if (strcmp(name, head_map[i][1]) == 0) name = head_map[i][0];
    snprintf(buf, len, "%s:0", name);
}

/* The most bytes of data the dataset's storage can hold: its stored size,
 * times deflate's largest ratio when it is filtered (compressed). */
static unsigned long long storage_bound(hid_t ds) {
    hid_t dcpl = H5Dget_create_plist(ds);
    int filters = dcpl < 0 ? 0 : H5Pget_nfilters(dcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    unsigned long long stored = (unsigned long long)H5Dget_storage_size(ds);
    if (filters == 0) return stored;
    return stored > ULLONG_MAX / H5_MAX_INFLATE ? ULLONG_MAX : stored * H5_MAX_INFLATE;
}

/* Rank, dims and storage bound of dataset `name` under obj into e. */
static enum pat_status read_shape(struct h5_walk *w, hid_t obj, const char *name,
                                  struct h5_entry *e) {
    hsize_t dims[H5_MAX_NDIM];
    hid_t ds = H5Dopen2(obj, name, H5P_DEFAULT);
    hid_t sp = ds < 0 ? -1 : H5Dget_space(ds);
    int nd = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (nd >= 0 && nd <= H5_MAX_NDIM && H5Sget_simple_extent_dims(sp, dims, NULL) < 0) nd = -1;
    if (ds >= 0) e->max_bytes = storage_bound(ds);
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    if (nd < 0)
        return pat_fail(w->err, PAT_ERR_FORMAT, "%s: cannot read the shape of dataset '%s'",
                        w->path, name);
    if (nd > H5_MAX_NDIM)
        return pat_fail(w->err, PAT_ERR_FORMAT, "%s: dataset '%s' has %d dimensions", w->path,
                        name, nd);
    e->ndim = (size_t)nd;
    for (int d = 0; d < nd; d++) {
        if (dims[d] > SIZE_MAX)
            return pat_fail(w->err, PAT_ERR_FORMAT, "%s: dataset '%s' is too large", w->path,
                            name);
        e->shape[d] = (size_t)dims[d];
    }
    return PAT_OK;
}

static enum pat_status add_entry(struct h5_walk *w, hid_t obj, const char *name) {
    if (w->n == pat_config_max_tensors())
        return pat_fail(w->err, PAT_ERR_FORMAT,
                        "%s: more than %zu datasets, more than any PAT model has (corrupt "
                        "file, or a cycle in its groups?)", w->path, w->n);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct h5_entry *g = cap <= SIZE_MAX / sizeof *g ? realloc(w->e, cap * sizeof *g) : NULL;
        if (!g) return pat_fail(w->err, PAT_ERR_NOMEM, "%s: out of memory", w->path);
        w->e = g;
        w->cap = cap;
    }
    struct h5_entry *e = &w->e[w->n];
    memset(e, 0, sizeof *e);
    if (!map_name(name, e->name))
        return pat_fail(w->err, PAT_ERR_FORMAT,
                        "%s: dataset name '%.60s...' is longer than %d bytes", w->path, name,
                        PAT_MAX_NAME - 1);
    e->h5path = pat_strdup(name);
    if (!e->h5path) return pat_fail(w->err, PAT_ERR_NOMEM, "%s: out of memory", w->path);
    w->n++;
    return read_shape(w, obj, name, e);
}

static herr_t visit_cb(hid_t obj, const char *name, const pat_h5_info *info, void *data) {
    struct h5_walk *w = data;
    if (info->type != H5O_TYPE_DATASET) return 0;
    w->st = add_entry(w, obj, name);
    return w->st == PAT_OK ? 0 : -1;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const struct h5_entry *)a)->name, ((const struct h5_entry *)b)->name);
}

/* Collect all datasets under root, sorted by pat name, names unique. */
static enum pat_status collect(struct h5_walk *w, hid_t root) {
    herr_t rc = PAT_H5_VISIT(root, visit_cb, w);
    if (w->st != PAT_OK) return w->st;
    if (rc < 0)
        return pat_fail(w->err, PAT_ERR_FORMAT,
                        "%s: cannot walk the file's groups (corrupt or truncated file?)",
                        w->path);
    if (w->n > 1) qsort(w->e, w->n, sizeof *w->e, cmp_entry);
    for (size_t i = 1; i < w->n; i++)
        if (strcmp(w->e[i - 1].name, w->e[i].name) == 0)
            return pat_fail(w->err, PAT_ERR_FORMAT,
                            "%s: datasets '%s' and '%s' both map to tensor '%s'", w->path,
                            w->e[i - 1].h5path, w->e[i].h5path, w->e[i].name);
    return PAT_OK;
}

static const struct h5_entry *find_entry(const struct h5_walk *w, const char *name) {
    struct h5_entry key;
    snprintf(key.name, sizeof key.name, "%s", name);
    return w->n ? bsearch(&key, w->e, w->n, sizeof *w->e, cmp_entry) : NULL;
}

static int same_shape(const struct pat_tensor *t, const struct h5_entry *e) {
    if (t->ndim != e->ndim) return 0;
    for (size_t d = 0; d < t->ndim; d++)
        if (t->shape[d] != e->shape[d]) return 0;
    return 1;
}

static int in_layout(const struct pat_tensor *t, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) return 1;
    return 0;
}

/* The file against the tensor table of the architecture its shapes imply,
 * before the parameters are allocated: no unknown dataset, every tensor
 * present with its exact shape and with storage that can hold it. */
static enum pat_status match_layout(const struct h5_walk *w, const struct pat_config *cfg,
                                    int with_head, const struct pat_tensor *t, size_t n,
                                    struct pat_err *err) {
    char kp[PAT_MAX_NAME + 8], want[128], got[128];
    const char *arch = pat_config_name(cfg);
    for (size_t i = 0; i < w->n; i++)
        if (!in_layout(t, n, w->e[i].name))
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: unknown dataset '%s' (not part of a %s model with%s head)",
                            w->path, w->e[i].h5path, arch, with_head ? "" : "out");
    for (size_t i = 0; i < n; i++) {
        const struct h5_entry *e = find_entry(w, t[i].name);
        pat_format_shape(want, sizeof want, t[i].shape, t[i].ndim);
        if (!e) {
            keras_path(t[i].name, kp, sizeof kp);
            return pat_fail(err, PAT_ERR_FORMAT, "%s: missing dataset '%s' (shape %s, %s model)",
                            w->path, kp, want, arch);
        }
        if (!same_shape(&t[i], e)) {
            pat_format_shape(got, sizeof got, e->shape, e->ndim);
            return pat_fail(err, PAT_ERR_FORMAT, "%s: dataset '%s' has shape %s, expected %s",
                            w->path, e->h5path, got, want);
        }
        if (t[i].numel > e->max_bytes / sizeof(float))
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: dataset '%s' has shape %s but its storage holds at most %llu "
                            "bytes (truncated or corrupt file?)", w->path, e->h5path, want,
                            e->max_bytes);
    }
    return PAT_OK;
}

static enum pat_status check_layout(const struct h5_walk *w, const struct pat_config *cfg,
                                    int with_head, size_t scaler_len, struct pat_err *err) {
    struct pat_tensor *t;
    size_t n;
    enum pat_status st = pat_config_layout(cfg, with_head, scaler_len, &t, &n, err);
    if (st != PAT_OK) return pat_err_prefix(err, w->path, st);
    st = match_layout(w, cfg, with_head, t, n, err);
    free(t);
    return st;
}

/* Architecture from the shapes, then an empty model of it. */
static enum pat_status create_model(const struct h5_walk *w, struct pat_model **m,
                                    struct pat_err *err) {
    struct pat_config cfg;
    int with_head;
    size_t scaler_len;
    struct pat_shape_entry *se = pat_calloc(w->n ? w->n : 1, sizeof *se);
    if (!se) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", w->path);
    for (size_t i = 0; i < w->n; i++)
        se[i] = (struct pat_shape_entry){w->e[i].name, w->e[i].ndim, w->e[i].shape};
    enum pat_status st =
        pat_config_infer(se, w->n, w->path, &cfg, &with_head, &scaler_len, err);
    free(se);
    if (st != PAT_OK) return st;
    if (cfg.patch_size == 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: conv patch embedding with sizes of no PAT preset: the patch "
                        "size cannot be inferred from a Keras file", w->path);
    st = check_layout(w, &cfg, with_head, scaler_len, err);
    if (st != PAT_OK) return st;
    st = pat_model_create(&cfg, with_head, scaler_len, m, err);
    return st == PAT_OK ? PAT_OK : pat_err_prefix(err, w->path, st);
}

/* "32-bit integer", "64-bit float", ... */
static void describe_type(hid_t type, char *buf, size_t len) {
    H5T_class_t c = H5Tget_class(type);
    const char *cn = c == H5T_INTEGER ? "integer"
                     : c == H5T_FLOAT ? "float"
                     : c == H5T_STRING ? "string"
                     : c == H5T_COMPOUND ? "compound"
                                         : "non-numeric";
    snprintf(buf, len, "%zu-bit %s", H5Tget_size(type) * 8, cn);
}

/* 1 when the dataset's type is IEEE float32 (either byte order). */
static int is_f32(hid_t ds, char *desc, size_t len) {
    hid_t type = H5Dget_type(ds);
    if (type < 0) {
        snprintf(desc, len, "unreadable type");
        return 0;
    }
    describe_type(type, desc, len);
    int ok = H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == 4 &&
             (H5Tequal(type, H5T_IEEE_F32LE) > 0 || H5Tequal(type, H5T_IEEE_F32BE) > 0);
    H5Tclose(type);
    return ok;
}

/* NULL when the dataset's storage is plain and of the right size, else
 * what is wrong with it. External raw files and virtual datasets are
 * refused: they would make the importer read other files. */
static const char *storage_problem(hid_t ds, size_t numel, unsigned long long *stored) {
    hid_t dcpl = H5Dget_create_plist(ds);
    H5D_layout_t layout = dcpl < 0 ? H5D_LAYOUT_ERROR : H5Pget_layout(dcpl);
    int external = dcpl < 0 ? -1 : H5Pget_external_count(dcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    *stored = (unsigned long long)H5Dget_storage_size(ds);
    if (external != 0) return "uses external raw data files (refused)";
    if (layout == H5D_CONTIGUOUS)
        return *stored == (unsigned long long)numel * 4 ? NULL : "stores the wrong byte count";
    if (layout == H5D_CHUNKED) return *stored > 0 || numel == 0 ? NULL : "stores no data";
    if (layout == H5D_COMPACT) return NULL;
    return "has an unsupported storage layout";
}

/* Check type and storage of one dataset (its shape is checked), then read it
 * into dst. */
static enum pat_status read_tensor(const char *path, hid_t root, const struct h5_entry *e,
                                   const struct pat_tensor *t, float *dst,
                                   struct pat_err *err) {
    char want[128], type[64];
    const char *problem;
    unsigned long long stored;
    pat_format_shape(want, sizeof want, t->shape, t->ndim);
    hid_t ds = H5Dopen2(root, e->h5path, H5P_DEFAULT);
    if (ds < 0) return pat_fail(err, PAT_ERR_FORMAT, "%s: cannot open dataset '%s'", path,
                                e->h5path);
    enum pat_status st = PAT_OK;
    if (!is_f32(ds, type, sizeof type))
        st = pat_fail(err, PAT_ERR_FORMAT,
                      "%s: dataset '%s' has type %s; expected 32-bit IEEE float", path,
                      e->h5path, type);
    else if ((problem = storage_problem(ds, t->numel, &stored)) != NULL)
        st = pat_fail(err, PAT_ERR_FORMAT,
                      "%s: dataset '%s' %s (%llu bytes stored for shape %s)", path, e->h5path,
                      problem, stored, want);
    else if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
        st = pat_fail(err, PAT_ERR_FORMAT,
                      "%s: cannot read dataset '%s' (truncated or corrupt file?)", path,
                      e->h5path);
    H5Dclose(ds);
    return st;
}

/* Every tensor read from its dataset (match_layout found them all). */
static enum pat_status fill_model(const struct h5_walk *w, hid_t root, struct pat_model *m,
                                  struct pat_err *err) {
    for (size_t i = 0; i < m->num_tensors; i++) {
        const struct pat_tensor *t = &m->tensors[i];
        enum pat_status st =
            read_tensor(w->path, root, find_entry(w, t->name), t, m->params + t->offset, err);
        if (st != PAT_OK) return st;
    }
    return PAT_OK;
}

/* The first link that could leave the file (external or user-defined). */
struct foreign_link {
    char name[128];
    int external;
};

static herr_t link_cb(hid_t g, const char *name, const pat_h5_link *info, void *data) {
    (void)g;
    if (info->type == H5L_TYPE_HARD || info->type == H5L_TYPE_SOFT) return 0;
    struct foreign_link *f = data;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->external = info->type == H5L_TYPE_EXTERNAL;
    return 1; /* stop */
}

/* Every link of the file stays inside it: an external link would make the
 * importer read another file (or hang on a FIFO), as external storage
 * would. Checked by walking the links, before any is followed. */
static enum pat_status check_links(const char *path, hid_t file, struct pat_err *err) {
    struct foreign_link f = {{0}, 0};
    herr_t rc = PAT_H5_LINK_VISIT(file, link_cb, &f);
    if (rc > 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: '%s' is %s link to outside the file (refused)",
                        path, f.name, f.external ? "an external" : "a user-defined");
    if (rc < 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: cannot walk the file's links (corrupt or truncated file?)", path);
    return PAT_OK;
}

/* Root of the weights: /model_weights for a full-model save, else /. */
static hid_t open_root(hid_t file) {
    if (H5Lexists(file, "model_weights", H5P_DEFAULT) > 0)
        return H5Gopen2(file, "model_weights", H5P_DEFAULT);
    return H5Gopen2(file, "/", H5P_DEFAULT);
}

static enum pat_status set_source(struct pat_model *m, const char *path, struct pat_err *err) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base) + 16;
    char *v = malloc(len);
    if (!v) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    snprintf(v, len, "keras-h5:%s", base);
    enum pat_status st = pat_model_meta_set(m, "pat.source", v, err);
    free(v);
    return st == PAT_OK ? PAT_OK : pat_err_prefix(err, path, st);
}

/* The import proper, with HDF5's error printing already silenced. */
static enum pat_status import_file(const char *path, struct pat_model **out, struct pat_err *err) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return pat_fail(err, PAT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fclose(fp);
    if (PAT_H5_IS_HDF5(path) <= 0) return pat_fail(err, PAT_ERR_FORMAT, "%s: not an HDF5 file", path);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: cannot open as HDF5 (truncated or corrupt file?)", path);
    enum pat_status st = check_links(path, file, err);
    hid_t root = st == PAT_OK ? open_root(file) : -1;
    struct h5_walk w = {.path = path, .err = err, .st = PAT_OK};
    struct pat_model *m = NULL;
    if (st == PAT_OK)
        st = root < 0 ? pat_fail(err, PAT_ERR_FORMAT, "%s: cannot open the root group", path)
                      : collect(&w, root);
    if (st == PAT_OK) st = create_model(&w, &m, err);
    if (st == PAT_OK) st = fill_model(&w, root, m, err);
    if (st == PAT_OK) st = set_source(m, path, err);
    if (st == PAT_OK) st = pat_model_check_values(m, path, err);
    for (size_t i = 0; i < w.n; i++) free(w.e[i].h5path);
    free(w.e);
    if (root >= 0) H5Gclose(root);
    H5Fclose(file);
    if (st != PAT_OK) pat_model_free(m);
    else *out = m;
    return st;
}

enum pat_status pat_model_import_keras(const char *path, struct pat_model **out,
                                       struct pat_err *err) {
    if (!out) return pat_fail(err, PAT_ERR_USAGE, "pat_model_import_keras: out is NULL");
    *out = NULL;
    if (!path) return pat_fail(err, PAT_ERR_USAGE, "pat_model_import_keras: path is NULL");
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    enum pat_status st = import_file(path, out, err);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return st;
}

#endif /* PAT_HAVE_HDF5 */
