/* pat_r.c - .Call entry points of the R package pat: libpat models and
 * datasets for R.
 *
 * A model lives in an external pointer with a finalizer; pat_close() frees
 * it at once and clears the pointer, so a closed model can never reach the
 * library again. Library failures are returned (not raised) as a list of
 * class "pat_failure" holding the library's message and status; the R
 * wrappers turn it into a condition of class "pat_error". Scratch memory
 * comes from R_alloc, which R frees even when an R error unwinds. */
#include <R.h>
#include <R_ext/Rdynload.h>
#include <Rinternals.h>

#include <string.h>

#include "pat.h"

static SEXP failure(enum pat_status status, const char *msg) {
    SEXP res = PROTECT(allocVector(VECSXP, 2));
    SEXP names = PROTECT(allocVector(STRSXP, 2));
    SET_VECTOR_ELT(res, 0, mkString(msg));
    SET_VECTOR_ELT(res, 1, ScalarInteger((int)status));
    SET_STRING_ELT(names, 0, mkChar("message"));
    SET_STRING_ELT(names, 1, mkChar("status"));
    setAttrib(res, R_NamesSymbol, names);
    setAttrib(res, R_ClassSymbol, mkString("pat_failure"));
    UNPROTECT(2);
    return res;
}

static SEXP failure_err(const struct pat_err *err) { return failure(err->status, err->msg); }

/* ---- models ---------------------------------------------------------- */

static void model_finalize(SEXP ptr) {
    struct pat_model *m = R_ExternalPtrAddr(ptr);
    if (m) pat_model_free(m);
    R_ClearExternalPtr(ptr);
}

static const char *path_arg(SEXP path) {
    if (!isString(path) || XLENGTH(path) != 1 || STRING_ELT(path, 0) == NA_STRING)
        error("path must be a single string");
    return R_ExpandFileName(translateChar(STRING_ELT(path, 0)));
}

static SEXP pat_r_load(SEXP path) {
    const char *p = path_arg(path);
    struct pat_err err = {0};
    struct pat_model *m = NULL;
    if (pat_model_load(p, &m, &err) != PAT_OK) return failure_err(&err);
    SEXP ptr = PROTECT(R_MakeExternalPtr(m, install("pat_model"), R_NilValue));
    R_RegisterCFinalizerEx(ptr, model_finalize, TRUE);
    UNPROTECT(1);
    return ptr;
}

/* The open model behind ptr, or NULL when it was closed. */
static struct pat_model *model_of(SEXP ptr) {
    if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrTag(ptr) != install("pat_model"))
        error("not a pat model");
    return R_ExternalPtrAddr(ptr);
}

static SEXP closed_failure(void) { return failure(PAT_ERR_USAGE, "the model is closed"); }

static SEXP pat_r_close(SEXP ptr) {
    struct pat_model *m = model_of(ptr);
    if (!m) return closed_failure();
    R_ClearExternalPtr(ptr);
    pat_model_free(m);
    return R_NilValue;
}

enum run_kind { RUN_EMBED = 0, RUN_PREDICT = 1, RUN_EXPLAIN = 2 };

/* Rows of x (an n x T double matrix, column-major) as row-major floats. */
static float *rows_of(SEXP x, size_t n, size_t T) {
    float *buf = (float *)R_alloc(n * T > 0 ? n * T : 1, sizeof *buf);
    const double *v = REAL(x);
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < T; t++) buf[i * T + t] = (float)v[i + t * n];
    return buf;
}

static enum pat_status call_kind(struct pat_model *m, int kind, const float *x, size_t n,
                                 size_t T, float *out, struct pat_err *err) {
    if (kind == RUN_EMBED) return pat_embed(m, x, n, T, out, err);
    if (kind == RUN_PREDICT) return pat_predict(m, x, n, T, out, err);
    return pat_explain(m, x, n, T, out, err);
}

/* Rows already transformed (a dataset built with --log1p) skip the model's
 * own transform when it is the same one, as pat embed -i D.patd does. */
static enum pat_status run_rows(struct pat_model *m, int kind, const float *x, size_t n,
                                size_t T, const char *rows_tr, int threads, float *out,
                                struct pat_err *err) {
    const char *model_tr = pat_model_input_transform(m);
    int skip = strcmp(rows_tr, "none") != 0;
    if (skip && strcmp(rows_tr, model_tr) != 0) {
        err->status = PAT_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg,
                 "the rows were stored after %s, but the model takes untransformed minutes "
                 "(pat.input_transform %s)", rows_tr, model_tr);
        return PAT_ERR_USAGE;
    }
    enum pat_status st = PAT_OK;
    if (skip) st = pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, "none", err);
    const size_t old = pat_threads(); /* process-wide (nn/pool.h) */
    if (threads > 0) pat_set_threads((size_t)threads);
    if (st == PAT_OK) st = call_kind(m, kind, x, n, T, out, err);
    pat_set_threads(old);
    if (skip) {
        struct pat_err restore;
        if (pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, rows_tr, &restore) != PAT_OK &&
            st == PAT_OK) {
            *err = restore;
            st = restore.status;
        }
    }
    return st;
}

/* x: n x T double matrix; kind 0 embed, 1 predict, 2 explain; threads NA
 * or <= 0 for the library's default; rows_tr "none" or "log1p". */
static SEXP pat_r_run(SEXP ptr, SEXP x, SEXP kind_s, SEXP threads_s, SEXP rows_tr_s) {
    struct pat_model *m = model_of(ptr);
    if (!m) return closed_failure();
    if (!isReal(x) || !isMatrix(x)) error("x must be a double matrix");
    const int kind = asInteger(kind_s), threads = asInteger(threads_s);
    const char *rows_tr = CHAR(asChar(rows_tr_s));
    const size_t n = (size_t)nrows(x), T = (size_t)ncols(x);
    const struct pat_config *c = pat_model_config(m);
    const size_t width = kind == RUN_EMBED ? c->embed_dim
                       : kind == RUN_PREDICT ? 1 : T / c->patch_size;
    SEXP res = PROTECT(kind == RUN_PREDICT ? allocVector(REALSXP, (R_xlen_t)n)
                                           : allocMatrix(REALSXP, (int)n, (int)width));
    if (n > 0) {
        const float *rows = rows_of(x, n, T);
        float *out = (float *)R_alloc(n * width > 0 ? n * width : 1, sizeof *out);
        struct pat_err err = {0};
        if (run_rows(m, kind, rows, n, T, rows_tr, threads == NA_INTEGER ? 0 : threads, out,
                     &err) != PAT_OK) {
            UNPROTECT(1);
            return failure_err(&err);
        }
        double *dst = REAL(res);
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < width; k++) dst[i + k * n] = (double)out[i * width + k];
    }
    UNPROTECT(1);
    return res;
}

/* Named list of (name, value) pairs; values are SEXPs already built. */
static SEXP named_list(int n, const char **names, SEXP *values) {
    SEXP res = PROTECT(allocVector(VECSXP, n));
    SEXP nm = PROTECT(allocVector(STRSXP, n));
    for (int i = 0; i < n; i++) {
        SET_VECTOR_ELT(res, i, values[i]);
        SET_STRING_ELT(nm, i, mkCharCE(names[i], CE_UTF8));
    }
    setAttrib(res, R_NamesSymbol, nm);
    UNPROTECT(2);
    return res;
}

static SEXP string_or_na(const char *s) { return s ? mkString(s) : ScalarString(NA_STRING); }

static SEXP model_meta(const struct pat_model *m) {
    size_t n = pat_model_num_meta(m);
    SEXP v = PROTECT(allocVector(STRSXP, (R_xlen_t)n));
    SEXP nm = PROTECT(allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        const char *k, *val;
        pat_model_meta_at(m, i, &k, &val);
        SET_STRING_ELT(v, (R_xlen_t)i, mkCharCE(val, CE_UTF8));
        SET_STRING_ELT(nm, (R_xlen_t)i, mkCharCE(k, CE_UTF8));
    }
    setAttrib(v, R_NamesSymbol, nm);
    UNPROTECT(2);
    return v;
}

static SEXP pat_r_info(SEXP ptr) {
    struct pat_model *m = model_of(ptr);
    if (!m) return closed_failure();
    const struct pat_config *c = pat_model_config(m);
    const char *names[] = {"architecture", "patch_size", "embed_dim", "num_heads", "key_dim",
                           "ff_dim", "num_layers", "embedding", "encoder_params",
                           "head_params", "num_params", "has_head", "scaler_length",
                           "input_transform", "recipe", "metadata"};
    SEXP v[16];
    int k = 0;
    v[k++] = PROTECT(mkString(pat_config_name(c)));
    v[k++] = PROTECT(ScalarInteger((int)c->patch_size));
    v[k++] = PROTECT(ScalarInteger((int)c->embed_dim));
    v[k++] = PROTECT(ScalarInteger((int)c->num_heads));
    v[k++] = PROTECT(ScalarInteger((int)c->key_dim));
    v[k++] = PROTECT(ScalarInteger((int)c->ff_dim));
    v[k++] = PROTECT(ScalarInteger((int)c->num_layers));
    v[k++] = PROTECT(mkString(c->embedding == PAT_EMBED_CONV ? "conv" : "dense"));
    v[k++] = PROTECT(ScalarReal((double)pat_config_encoder_params(c)));
    v[k++] = PROTECT(ScalarReal(pat_model_has_head(m) ? (double)pat_config_head_params(c) : 0));
    v[k++] = PROTECT(ScalarReal((double)pat_model_num_params(m)));
    v[k++] = PROTECT(ScalarLogical(pat_model_has_head(m)));
    v[k++] = PROTECT(ScalarInteger((int)pat_model_scaler_len(m)));
    v[k++] = PROTECT(mkString(pat_model_input_transform(m)));
    v[k++] = PROTECT(string_or_na(pat_model_meta_get(m, "pat.finetune.recipe")));
    v[k++] = PROTECT(model_meta(m));
    SEXP res = named_list(k, names, v);
    UNPROTECT(k);
    return res;
}

/* ---- datasets -------------------------------------------------------- */

static SEXP dataset_matrix(const struct pat_dataset *ds) {
    const size_t n = pat_dataset_rows(ds), T = pat_dataset_length(ds);
    SEXP x = PROTECT(allocMatrix(REALSXP, (int)n, (int)T));
    double *dst = REAL(x);
    for (size_t i = 0; i < n; i++) {
        const float *row = pat_dataset_row(ds, i);
        for (size_t t = 0; t < T; t++) dst[i + t * n] = (double)row[t];
    }
    UNPROTECT(1);
    return x;
}

static SEXP dataset_columns(const struct pat_dataset *ds, SEXP *labels, SEXP *ids,
                            SEXP *splits) {
    static const char *const split_names[] = {"train", "val", "test", "none"};
    const size_t n = pat_dataset_rows(ds);
    *labels = PROTECT(allocVector(REALSXP, (R_xlen_t)n));
    *ids = PROTECT(allocVector(STRSXP, (R_xlen_t)n));
    *splits = PROTECT(allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        float y = pat_dataset_label(ds, i);
        REAL(*labels)[i] = ISNAN(y) ? NA_REAL : (double)y;
        SET_STRING_ELT(*ids, (R_xlen_t)i, mkCharCE(pat_dataset_id(ds, i), CE_UTF8));
        unsigned s = (unsigned)pat_dataset_split(ds, i);
        SET_STRING_ELT(*splits, (R_xlen_t)i, mkChar(split_names[s < 4 ? s : 3]));
    }
    UNPROTECT(3);
    return R_NilValue;
}

static SEXP dataset_covariates(const struct pat_dataset *ds) {
    const size_t n = pat_dataset_rows(ds), J = pat_dataset_num_covariates(ds);
    SEXP res = PROTECT(allocVector(VECSXP, (R_xlen_t)J));
    SEXP nm = PROTECT(allocVector(STRSXP, (R_xlen_t)J));
    for (size_t j = 0; j < J; j++) {
        SEXP col = allocVector(REALSXP, (R_xlen_t)n);
        SET_VECTOR_ELT(res, (R_xlen_t)j, col);
        for (size_t i = 0; i < n; i++) {
            float v = pat_dataset_covariate(ds, i, j);
            REAL(col)[i] = ISNAN(v) ? NA_REAL : (double)v;
        }
        SET_STRING_ELT(nm, (R_xlen_t)j, mkCharCE(pat_dataset_covariate_name(ds, j), CE_UTF8));
    }
    setAttrib(res, R_NamesSymbol, nm);
    UNPROTECT(2);
    return res;
}

static SEXP dataset_meta(const struct pat_dataset *ds) {
    size_t n = pat_dataset_num_meta(ds);
    SEXP v = PROTECT(allocVector(STRSXP, (R_xlen_t)n));
    SEXP nm = PROTECT(allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        const char *k, *val;
        pat_dataset_meta_at(ds, i, &k, &val);
        SET_STRING_ELT(v, (R_xlen_t)i, mkCharCE(val, CE_UTF8));
        SET_STRING_ELT(nm, (R_xlen_t)i, mkCharCE(k, CE_UTF8));
    }
    setAttrib(v, R_NamesSymbol, nm);
    UNPROTECT(2);
    return v;
}

static void dataset_finalize(SEXP ptr) {
    struct pat_dataset *ds = R_ExternalPtrAddr(ptr);
    if (ds) pat_dataset_close(ds);
    R_ClearExternalPtr(ptr);
}

/* Everything of a .patd file, copied into R objects. The dataset is held by
 * an external pointer while copying, so an R error (out of memory) cannot
 * leak it: its finalizer closes it. */
static SEXP pat_r_read_dataset(SEXP path) {
    const char *p = path_arg(path);
    struct pat_err err = {0};
    struct pat_dataset *ds = NULL;
    if (pat_dataset_open(p, &ds, &err) != PAT_OK) return failure_err(&err);
    SEXP holder = PROTECT(R_MakeExternalPtr(ds, R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(holder, dataset_finalize, TRUE);
    const char *tr = pat_dataset_meta_get(ds, "transform");
    const char *names[] = {"x", "labels", "ids", "splits", "covariates", "meta", "transform"};
    SEXP v[7];
    v[0] = PROTECT(dataset_matrix(ds));
    dataset_columns(ds, &v[1], &v[2], &v[3]);
    PROTECT(v[1]);
    PROTECT(v[2]);
    PROTECT(v[3]);
    v[4] = PROTECT(dataset_covariates(ds));
    v[5] = PROTECT(dataset_meta(ds));
    v[6] = PROTECT(mkString(tr ? tr : "none"));
    SEXP res = named_list(7, names, v);
    dataset_finalize(holder);
    UNPROTECT(8);
    return res;
}

static SEXP pat_r_have_hdf5(void) { return ScalarLogical(pat_have_hdf5()); }

/* .Call entry points; the cast through a generic function type is R's
 * registration idiom (DL_FUNC), spelled so that -Wcast-function-type agrees. */
#define CALL(f) ((DL_FUNC)(void (*)(void))(f))
static const R_CallMethodDef call_methods[] = {
    {"load", CALL(pat_r_load), 1},
    {"close", CALL(pat_r_close), 1},
    {"run", CALL(pat_r_run), 5},
    {"info", CALL(pat_r_info), 1},
    {"read_dataset", CALL(pat_r_read_dataset), 1},
    {"have_hdf5", CALL(pat_r_have_hdf5), 0},
    {NULL, NULL, 0},
};

void R_init_pat(DllInfo *dll);
void R_init_pat(DllInfo *dll) {
    R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
}
