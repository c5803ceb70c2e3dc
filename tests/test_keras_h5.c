/* test_keras_h5.c - Keras HDF5 import: values, layout variants, refusals,
 * and bit-identity with the safetensors fixtures.
 *
 * The H5 files are built here with the HDF5 C API in the Keras legacy
 * layout (one group per layer, datasets "<layer>/<layer>/<weight>:0") for
 * a small custom config. Builds without HDF5 skip every case that needs it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "nn/model.h"
#include "pat.h"

#ifdef PAT_HAVE_HDF5
#include <hdf5.h>
#endif

/* What to write, and which single thing to get wrong. */
struct h5_opts {
    const char *root;      /* group holding the layers ("model_weights") or NULL */
    int with_head;         /* write dense_128/... and output/... */
    const char *drop;      /* tensor not written */
    const char *as_f64;    /* tensor written as float64 */
    const char *as_int;    /* tensor written as int32 */
    const char *bad_shape; /* tensor written with its last dim + 1 */
    const char *extra;     /* extra dataset path, shape (2,) */
    const char *external;  /* tensor stored in an external raw file */
    const char *raw_path;  /* that raw file */
    const struct pat_config *cfg; /* shapes of this architecture (NULL: small_cfg) */
    int no_data;           /* datasets declared but never written: no storage */
    size_t extra_count;    /* this many more tiny datasets, extra/0 ... */
};

/* Value written at element k of tensor t (exact in float32). */
static float value_at(size_t t, size_t k) {
    return 0.25f + (float)(t * 1000 + k) * 0.001f;
}

static void tmp_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", check_tmp_dir(), name);
}

static int skip_without_hdf5(struct check_ctx *c) {
    if (pat_have_hdf5()) return 0;
    check_skip(c, "this build has no HDF5 support (install libhdf5-dev and rebuild)");
    return 1;
}

#ifdef PAT_HAVE_HDF5

/* The small config: P=4, E=8, H=2, K=8, F=16, L=2. */
static const struct pat_config small_cfg = {4, 8, 2, 8, 16, 2, PAT_EMBED_DENSE};

/* Keras dataset path of a pat tensor name. */
static void keras_name(const char *name, char *buf, size_t len) {
    static const char *const head[4][2] = {
        {"head/dense_128/kernel", "dense_128/dense_128/kernel"},
        {"head/dense_128/bias", "dense_128/dense_128/bias"},
        {"head/output/kernel", "output/output/kernel"},
        {"head/output/bias", "output/output/bias"},
    };
    for (size_t i = 0; i < 4; i++)
        if (strcmp(name, head[i][0]) == 0) name = head[i][1];
    snprintf(buf, len, "%s:0", name);
}

static int is(const char *a, const char *b) { return a && strcmp(a, b) == 0; }

/* Write one tensor's dataset under root. */
static int write_dataset(hid_t root, hid_t lcpl, const char *path, size_t t, size_t ndim,
                         const size_t *shape, hid_t type, const char *raw_path, int no_data) {
    hsize_t dims[4];
    size_t numel = 1;
    for (size_t d = 0; d < ndim; d++) {
        dims[d] = shape[d];
        numel *= shape[d];
    }
    float *x = no_data ? NULL : malloc((numel ? numel : 1) * sizeof *x);
    for (size_t k = 0; x && k < numel; k++) x[k] = value_at(t, k);
    hid_t sp = H5Screate_simple((int)ndim, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (raw_path) H5Pset_external(dcpl, raw_path, 0, (hsize_t)(numel * 4));
    hid_t ds = H5Dcreate2(root, path, type, sp, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    int ok = ds >= 0 &&
             (no_data || H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(sp);
    free(x);
    return ok;
}

/* Every tensor of a fresh model of small_cfg, as o says. */
static int write_tensors(hid_t root, hid_t lcpl, const struct h5_opts *o) {
    struct pat_model *m = NULL;
    struct pat_err err;
    char path[256];
    int ok = pat_model_create(o->cfg ? o->cfg : &small_cfg, o->with_head, 0, &m, &err) == PAT_OK;
    for (size_t i = 0; ok && i < pat_model_num_tensors(m); i++) {
        const char *name = pat_model_tensor_name(m, i);
        size_t shape[4], nd = pat_model_tensor_shape(m, i, shape);
        hid_t type = is(o->as_f64, name)   ? H5T_IEEE_F64LE
                     : is(o->as_int, name) ? H5T_STD_I32LE
                                           : H5T_IEEE_F32LE;
        if (is(o->drop, name)) continue;
        if (is(o->bad_shape, name)) shape[nd - 1]++;
        keras_name(name, path, sizeof path);
        ok = write_dataset(root, lcpl, path, i, nd, shape, type,
                           is(o->external, name) ? o->raw_path : NULL, o->no_data);
    }
    size_t two = 2;
    if (ok && o->extra)
        ok = write_dataset(root, lcpl, o->extra, 0, 1, &two, H5T_IEEE_F32LE, NULL, 0);
    for (size_t i = 0; ok && i < o->extra_count; i++) {
        snprintf(path, sizeof path, "extra/d%zu", i);
        ok = write_dataset(root, lcpl, path, 0, 1, &two, H5T_IEEE_F32LE, NULL, 0);
    }
    pat_model_free(m);
    return ok;
}

/* A string attribute like Keras' root "backend". */
static void add_string_attr(hid_t obj, const char *name, const char *value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, type, value);
        H5Aclose(a);
    }
    H5Sclose(sp);
    H5Tclose(type);
}

/* A Keras-layout weights file for small_cfg at path. */
static int write_h5(const char *path, const struct h5_opts *o) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t root = o->root ? H5Gcreate2(f, o->root, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                         : H5Gopen2(f, "/", H5P_DEFAULT);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    add_string_attr(root, "backend", "tensorflow");
    add_string_attr(root, "keras_version", "2.13.1");
    hid_t g = H5Gcreate2(root, "inputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g >= 0) H5Gclose(g); /* weightless layer: an empty group */
    int ok = root >= 0 && write_tensors(root, lcpl, o);
    H5Pclose(lcpl);
    if (root >= 0) H5Gclose(root);
    return H5Fclose(f) >= 0 && ok;
}

/* A file holding only an external link `name` -> target:/name. */
static int write_external_link(const char *path, const char *name, const char *target) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return 0;
    char obj[64];
    snprintf(obj, sizeof obj, "/%s", name);
    int ok = H5Lcreate_external(target, obj, f, name, H5P_DEFAULT, H5P_DEFAULT) >= 0;
    return H5Fclose(f) >= 0 && ok;
}

#else /* without HDF5 the cases skip before calling this */

static int write_external_link(const char *path, const char *name, const char *target) {
    (void)path, (void)name, (void)target;
    return 0;
}

static int write_h5(const char *path, const struct h5_opts *o) {
    (void)path;
    (void)o;
    return 0;
}

#endif /* PAT_HAVE_HDF5 */

/* Write an H5 per o into tmp/name; fails the case when that fails. */
static int make_h5(struct check_ctx *c, char *path, size_t len, const char *name,
                   const struct h5_opts *o) {
    tmp_path(path, len, name);
    if (write_h5(path, o)) return 1;
    check_fail(c, "could not write the test file %s", path);
    return 0;
}

/* The imported model holds value_at(t, k) everywhere. */
static void check_values(struct check_ctx *c, struct pat_model *m) {
    for (size_t i = 0; i < pat_model_num_tensors(m); i++) {
        size_t shape[4], numel = 1, nd = pat_model_tensor_shape(m, i, shape);
        for (size_t d = 0; d < nd; d++) numel *= shape[d];
        const float *x = pat_model_tensor_data(m, i);
        for (size_t k = 0; k < numel; k++) {
            float want = value_at(i, k);
            if (memcmp(&x[k], &want, sizeof want) != 0) {
                check_fail(c, "tensor %s element %zu: %g, expected %g",
                           pat_model_tensor_name(m, i), k, (double)x[k], (double)want);
                return;
            }
        }
    }
}

/* Import must fail with want, naming path first and then each needle. */
static void expect_fail(struct check_ctx *c, const char *path, enum pat_status want,
                        const char *needle1, const char *needle2) {
    struct pat_model *m = NULL;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_model_import_keras(path, &m, &err), want);
    CHECK(c, m == NULL);
    if (strncmp(err.msg, path, strlen(path)) != 0)
        check_fail(c, "message does not start with the path: %s", err.msg);
    if (needle1 && !strstr(err.msg, needle1))
        check_fail(c, "message lacks '%s': %s", needle1, err.msg);
    if (needle2 && !strstr(err.msg, needle2))
        check_fail(c, "message lacks '%s': %s", needle2, err.msg);
    pat_model_free(m);
}

/* ---- imports ------------------------------------------------------------ */

static void import_and_check(struct check_ctx *c, const char *file, const struct h5_opts *o) {
    char path[512];
    struct pat_model *m = NULL;
    struct pat_err err;
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, file, o)) return;
    if (!CHECK_STATUS(c, pat_model_import_keras(path, &m, &err), PAT_OK)) {
        check_fail(c, "%s", err.msg);
        return;
    }
    const struct pat_config *cfg = pat_model_config(m);
    CHECK(c, cfg->patch_size == 4 && cfg->embed_dim == 8 && cfg->num_heads == 2);
    CHECK(c, cfg->key_dim == 8 && cfg->ff_dim == 16 && cfg->num_layers == 2);
    CHECK(c, cfg->embedding == PAT_EMBED_DENSE);
    CHECK(c, pat_model_has_head(m) == o->with_head && pat_model_scaler_len(m) == 0);
    check_values(c, m);
    pat_model_free(m);
}

static void test_import_encoder(struct check_ctx *c) {
    struct h5_opts o = {0};
    import_and_check(c, "encoder.h5", &o);
}

static void test_import_with_head(struct check_ctx *c) {
    struct h5_opts o = {.with_head = 1};
    import_and_check(c, "with-head.h5", &o);
}

static void test_import_model_weights_root(struct check_ctx *c) {
    struct h5_opts o = {.root = "model_weights", .with_head = 1};
    import_and_check(c, "full-model.h5", &o);
}

/* Issue 12 item 2: a file holding only an external link named
 * model_weights made the importer read another file's weights. */
static void test_external_link_refused(struct check_ctx *c) {
    char target[512], path[512];
    struct h5_opts o = {.root = "model_weights", .with_head = 1};
    if (skip_without_hdf5(c) || !make_h5(c, target, sizeof target, "linked-target.h5", &o))
        return;
    tmp_path(path, sizeof path, "external-link.h5");
    if (!CHECK(c, write_external_link(path, "model_weights", target))) return;
    expect_fail(c, path, PAT_ERR_FORMAT, "'model_weights' is an external link", NULL);
}

/* pat_model_load sniffs HDF5 by content and records the source. */
static void test_load_sniffs_h5(struct check_ctx *c) {
    char path[512], saved[512];
    struct h5_opts o = {.with_head = 1};
    struct pat_model *m = NULL, *r = NULL;
    struct pat_err err;
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "sniff.weights", &o)) return;
    if (!CHECK_STATUS(c, pat_model_load(path, &m, &err), PAT_OK)) {
        check_fail(c, "%s", err.msg);
        return;
    }
    const char *src = pat_model_meta_get(m, "pat.source");
    CHECK(c, src && strcmp(src, "keras-h5:sniff.weights") == 0);
    check_values(c, m);
    tmp_path(saved, sizeof saved, "converted.safetensors");
    CHECK_STATUS(c, pat_model_save(m, saved, &err), PAT_OK);
    if (CHECK_STATUS(c, pat_model_load(saved, &r, &err), PAT_OK)) check_values(c, r);
    pat_model_free(m);
    pat_model_free(r);
}

/* ---- refusals ----------------------------------------------------------- */

static void test_missing_dataset(struct check_ctx *c) {
    char path[512];
    struct h5_opts o = {.drop = "encoder_layer_2_transformer/encoder_layer_2_norm1/gamma"};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "missing.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT,
                "missing dataset 'encoder_layer_2_transformer/encoder_layer_2_norm1/gamma:0'",
                NULL);
}

static void test_missing_head_dataset(struct check_ctx *c) {
    char path[512];
    struct h5_opts o = {.with_head = 1, .drop = "head/output/bias"};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "missing-head.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT, "missing dataset 'output/output/bias:0'", NULL);
}

static void test_float64_dataset(struct check_ctx *c) {
    char path[512];
    struct h5_opts o = {.as_f64 = "encoder_layer_1_transformer/encoder_layer_1_attention/key/bias"};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "f64.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT,
                "'encoder_layer_1_transformer/encoder_layer_1_attention/key/bias:0'",
                "64-bit float");
}

static void test_int_dataset(struct check_ctx *c) {
    char path[512];
    struct h5_opts o = {.as_int = "dense/dense/bias"};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "int.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT, "'dense/dense/bias:0'", "32-bit integer");
}

static void test_wrong_shape(struct check_ctx *c) {
    char path[512];
    struct h5_opts o = {.bad_shape = "encoder_layer_1_transformer/encoder_layer_1_ff2/kernel"};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "shape.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT,
                "'encoder_layer_1_transformer/encoder_layer_1_ff2/kernel:0' has shape (16, 9)",
                "expected (16, 8)");
}

static void test_unknown_dataset(struct check_ctx *c) {
    char path[512];
    struct h5_opts o = {.extra = "mask_layer/mask_token:0"};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "extra.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT, "unknown dataset 'mask_layer/mask_token:0'", NULL);
}

/* Data in an external raw file would let a file make us read others. */
static void test_external_storage(struct check_ctx *c) {
    char path[512], raw[512];
    struct h5_opts o = {.external = "dense/dense/kernel", .raw_path = raw};
    tmp_path(raw, sizeof raw, "external.raw");
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "external.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT, "'dense/dense/kernel:0'", "external");
}

/* Shapes of a large architecture (200 MB of parameters) whose datasets hold
 * no data: refused from the shapes and storage sizes, before the importer
 * allocates anything of that size. */
static void test_shapes_without_storage(struct check_ctx *c) {
    static const struct pat_config huge = {4, 1024, 2, 1024, 8192, 2, PAT_EMBED_DENSE};
    char path[512];
    struct h5_opts o = {.cfg = &huge, .no_data = 1};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "no_storage.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT, "'dense/dense/kernel:0'", "holds at most 0 bytes");
}

/* More datasets than any PAT model has (a damaged file can make the group
 * walk endless): refused once the count passes the limit. */
static void test_too_many_datasets(struct check_ctx *c) {
    char path[512];
    struct h5_opts o = {.extra_count = pat_config_max_tensors() + 1};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "many.h5", &o)) return;
    expect_fail(c, path, PAT_ERR_FORMAT, "datasets, more than any PAT model has", NULL);
}

/* Copies of a valid file cut short, at half and near the end. */
static void test_truncated(struct check_ctx *c) {
    char path[512], cut[512];
    size_t len;
    struct h5_opts o = {0};
    if (skip_without_hdf5(c) || !make_h5(c, path, sizeof path, "whole.h5", &o)) return;
    unsigned char *buf = check_read_file(path, &len);
    if (!CHECK(c, buf != NULL && len > 64)) {
        free(buf);
        return;
    }
    const size_t keep[3] = {len / 2, len - 16, 600};
    for (size_t i = 0; i < 3; i++) {
        tmp_path(cut, sizeof cut, "cut.h5");
        CHECK(c, check_write_file(cut, buf, keep[i]));
        expect_fail(c, cut, PAT_ERR_FORMAT, NULL, NULL);
    }
    free(buf);
}

static void test_not_hdf5(struct check_ctx *c) {
    char path[512];
    if (skip_without_hdf5(c)) return;
    tmp_path(path, sizeof path, "text.h5");
    check_write_file(path, "not an hdf5 file at all\n", 24);
    expect_fail(c, path, PAT_ERR_FORMAT, "not an HDF5 file", NULL);
    tmp_path(path, sizeof path, "absent.h5");
    expect_fail(c, path, PAT_ERR_IO, "cannot open", NULL);
}

/* Without HDF5 the import reports itself unsupported. */
static void test_stub_unsupported(struct check_ctx *c) {
    struct pat_model *m = NULL;
    struct pat_err err = {0};
    if (pat_have_hdf5()) {
        check_skip(c, "this build has HDF5 support; the stub is not compiled in");
        return;
    }
    CHECK_STATUS(c, pat_model_import_keras("x.h5", &m, &err), PAT_ERR_UNSUPPORTED);
    CHECK(c, m == NULL && strstr(err.msg, "no HDF5 support") != NULL);
}

/* ---- fixtures: the .h5 imports bit-identically to the .safetensors ------ */

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void compare_tensors(struct check_ctx *c, struct pat_model *a, struct pat_model *b) {
    if (!CHECK(c, pat_model_num_tensors(a) == pat_model_num_tensors(b))) return;
    for (size_t i = 0; i < pat_model_num_tensors(a); i++) {
        const char *name = pat_model_tensor_name(a, i);
        size_t j = pat_model_tensor_find(b, name), sa[4], sb[4], numel = 1;
        if (j == (size_t)-1) {
            check_fail(c, "tensor %s only in the .h5", name);
            return;
        }
        size_t na = pat_model_tensor_shape(a, i, sa), nb = pat_model_tensor_shape(b, j, sb);
        if (na != nb || memcmp(sa, sb, sizeof sa) != 0) {
            check_fail(c, "tensor %s has different shapes", name);
            return;
        }
        for (size_t d = 0; d < na; d++) numel *= sa[d];
        if (memcmp(pat_model_tensor_data(a, i), pat_model_tensor_data(b, j),
                   numel * sizeof(float)) != 0)
            check_fail(c, "tensor %s differs", name);
    }
}

static void fixture_case(struct check_ctx *c, const char *variant) {
    char h5[512], st[512];
    struct pat_model *a = NULL, *b = NULL;
    struct pat_err err;
    if (skip_without_hdf5(c)) return;
    snprintf(h5, sizeof h5, "%s/model/%s.h5", check_fixture_dir(), variant);
    snprintf(st, sizeof st, "%s/model/%s.safetensors", check_fixture_dir(), variant);
    if (!file_exists(h5) || !file_exists(st)) {
        check_skip(c, "fixture %s or %s not found (run make fixtures)", h5, st);
        return;
    }
    if (!CHECK_STATUS(c, pat_model_import_keras(h5, &a, &err), PAT_OK))
        check_fail(c, "%s", err.msg);
    else if (!CHECK_STATUS(c, pat_model_load(st, &b, &err), PAT_OK))
        check_fail(c, "%s", err.msg);
    else
        compare_tensors(c, a, b);
    pat_model_free(a);
    pat_model_free(b);
}

static void test_fixture_s(struct check_ctx *c) { fixture_case(c, "s"); }
static void test_fixture_m(struct check_ctx *c) { fixture_case(c, "m"); }
static void test_fixture_l(struct check_ctx *c) { fixture_case(c, "l"); }
static void test_fixture_conv_s(struct check_ctx *c) { fixture_case(c, "conv-s"); }
static void test_fixture_conv_m(struct check_ctx *c) { fixture_case(c, "conv-m"); }
static void test_fixture_conv_l(struct check_ctx *c) { fixture_case(c, "conv-l"); }

int main(void) {
    int failures = 0;
    RUN(test_import_encoder);
    RUN(test_import_with_head);
    RUN(test_import_model_weights_root);
    RUN(test_load_sniffs_h5);
    RUN(test_missing_dataset);
    RUN(test_missing_head_dataset);
    RUN(test_float64_dataset);
    RUN(test_int_dataset);
    RUN(test_wrong_shape);
    RUN(test_unknown_dataset);
    RUN(test_external_storage);
    RUN(test_external_link_refused);
    RUN(test_shapes_without_storage);
    RUN(test_too_many_datasets);
    RUN(test_truncated);
    RUN(test_not_hdf5);
    RUN(test_stub_unsupported);
    RUN(test_fixture_s);
    RUN(test_fixture_m);
    RUN(test_fixture_l);
    RUN(test_fixture_conv_s);
    RUN(test_fixture_conv_m);
    RUN(test_fixture_conv_l);
    return failures ? 1 : 0;
}
