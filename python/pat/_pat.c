/* _pat.c - the CPython extension module pat._pat: libpat's models and
 * datasets for Python, numpy arrays in and out.
 *
 * Lifetime: code that uses a model or dataset pointer while it may run
 * Python code or release the GIL pins the object first (users > 0); close()
 * on a pinned object only detaches the pointer and the last user frees it,
 * so nothing is freed under a running call. A closed object raises
 * PatError and never reaches the library again. Calls into the library run
 * with the GIL released, one at a time per Model (its lock, taken and
 * released without the GIL, so it cannot deadlock with it). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <structmember.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <math.h>
#include <string.h>

#include "pat.h"

/* ---- errors ---------------------------------------------------------- */

static PyObject *PatError; /* set once at module init */

/* Raise PatError(message) with .message and .status set. The message is
 * decoded as file names are (undecodable bytes of a path survive). */
static PyObject *raise_pat(enum pat_status status, const char *msg) {
    PyObject *m = PyUnicode_DecodeFSDefault(msg);
    if (!m) return NULL;
    PyObject *exc = PyObject_CallOneArg(PatError, m), *s = PyLong_FromLong((long)status);
    if (exc && s && PyObject_SetAttrString(exc, "message", m) == 0 &&
        PyObject_SetAttrString(exc, "status", s) == 0)
        PyErr_SetObject(PatError, exc);
    Py_DECREF(m);
    Py_XDECREF(s);
    Py_XDECREF(exc);
    return NULL;
}

static PyObject *raise_err(const struct pat_err *err) { return raise_pat(err->status, err->msg); }

static PyObject *raise_closed(const char *what) {
    char msg[64];
    snprintf(msg, sizeof msg, "the %s is closed", what);
    return raise_pat(PAT_ERR_USAGE, msg);
}

/* ---- threads --------------------------------------------------------- */

/* threads argument: None (keep OMP_NUM_THREADS / all cores) or 1..1024. */
static int parse_threads(PyObject *obj, int *threads) {
    *threads = 0;
    if (!obj || obj == Py_None) return 0;
    long v = PyLong_AsLong(obj);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < 1 || v > 1024) {
        raise_pat(PAT_ERR_USAGE, "threads must be 1..1024");
        return -1;
    }
    *threads = (int)v;
    return 0;
}

/* Set the library's thread count for one call; returns the old one. The
 * count is process-wide (nn/pool.h); results never depend on it. */
static int threads_push(int threads) {
    const int old = (int)pat_threads();
    if (threads > 0) pat_set_threads((size_t)threads);
    return old;
}

static void threads_pop(int old) { pat_set_threads((size_t)old); }

/* ---- Dataset --------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    struct pat_dataset *ds;   /* NULL once closed */
    struct pat_dataset *held; /* closed while pinned: freed by the last user */
    Py_ssize_t users;
    PyObject *path;
} DatasetObject;

static PyTypeObject DatasetType;

static PyObject *dataset_open(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&:open_dataset", PyUnicode_FSConverter, &path_obj)) return NULL;
    DatasetObject *self = PyObject_New(DatasetObject, &DatasetType);
    if (!self) {
        Py_DECREF(path_obj);
        return NULL;
    }
    self->ds = self->held = NULL;
    self->users = 0;
    self->path = path_obj;
    struct pat_err err = {0};
    enum pat_status st;
    const char *path = PyBytes_AS_STRING(path_obj);
    Py_BEGIN_ALLOW_THREADS
    st = pat_dataset_open(path, &self->ds, &err);
    Py_END_ALLOW_THREADS
    if (st != PAT_OK) {
        Py_DECREF(self);
        return raise_err(&err);
    }
    return (PyObject *)self;
}

static void dataset_dealloc(DatasetObject *self) {
    pat_dataset_close(self->ds);
    pat_dataset_close(self->held);
    Py_XDECREF(self->path);
    PyObject_Free(self);
}

static PyObject *dataset_close(DatasetObject *self, PyObject *unused) {
    (void)unused;
    if (!self->ds) return raise_closed("dataset");
    if (self->users > 0) self->held = self->ds;
    else pat_dataset_close(self->ds);
    self->ds = NULL;
    Py_RETURN_NONE;
}

/* Pin the open dataset for a use that may run Python code or release the
 * GIL; NULL with PatError set when closed. Pair with dataset_unpin. */
static const struct pat_dataset *dataset_pin(DatasetObject *self) {
    if (!self->ds) return (const struct pat_dataset *)raise_closed("dataset");
    self->users++;
    return self->ds;
}

static void dataset_unpin(DatasetObject *self) {
    if (--self->users == 0 && self->held) {
        pat_dataset_close(self->held);
        self->held = NULL;
    }
}

/* Getters: run get(ds) on the pinned dataset. */
static PyObject *dataset_with(DatasetObject *self,
                              PyObject *(*get)(const struct pat_dataset *ds)) {
    const struct pat_dataset *ds = dataset_pin(self);
    if (!ds) return NULL;
    PyObject *r = get(ds);
    dataset_unpin(self);
    return r;
}

static PyObject *new_array(int nd, npy_intp *dims, int type) {
    return PyArray_SimpleNew(nd, dims, type);
}

/* Rows as a new (rows, T) float32 array (a copy: it outlives close()). */
static PyObject *dataset_x_get(const struct pat_dataset *ds) {
    npy_intp dims[2] = {(npy_intp)pat_dataset_rows(ds), (npy_intp)pat_dataset_length(ds)};
    PyObject *arr = new_array(2, dims, NPY_FLOAT32);
    if (!arr) return NULL;
    float *dst = PyArray_DATA((PyArrayObject *)arr);
    for (npy_intp i = 0; i < dims[0]; i++)
        memcpy(dst + i * dims[1], pat_dataset_row(ds, (size_t)i), (size_t)dims[1] * sizeof *dst);
    return arr;
}

static PyObject *dataset_x(DatasetObject *self, void *closure) {
    (void)closure;
    return dataset_with(self, dataset_x_get);
}

static PyObject *dataset_labels_get(const struct pat_dataset *ds) {
    npy_intp n = (npy_intp)pat_dataset_rows(ds);
    PyObject *arr = new_array(1, &n, NPY_FLOAT32);
    if (!arr) return NULL;
    float *dst = PyArray_DATA((PyArrayObject *)arr);
    for (npy_intp i = 0; i < n; i++) dst[i] = pat_dataset_label(ds, (size_t)i);
    return arr;
}

static PyObject *dataset_labels(DatasetObject *self, void *closure) {
    (void)closure;
    return dataset_with(self, dataset_labels_get);
}

static const char *const split_names[] = {"train", "val", "test", "none"};

static PyObject *dataset_splits_get(const struct pat_dataset *ds) {
    size_t n = pat_dataset_rows(ds);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        unsigned s = (unsigned)pat_dataset_split(ds, i);
        PyObject *v = PyUnicode_FromString(split_names[s < 4 ? s : 3]);
        if (!v) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, v);
    }
    return list;
}

static PyObject *dataset_splits(DatasetObject *self, void *closure) {
    (void)closure;
    return dataset_with(self, dataset_splits_get);
}

static PyObject *dataset_ids_get(const struct pat_dataset *ds) {
    size_t n = pat_dataset_rows(ds);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *v = PyUnicode_DecodeUTF8(pat_dataset_id(ds, i),
                                           (Py_ssize_t)strlen(pat_dataset_id(ds, i)), "replace");
        if (!v) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, v);
    }
    return list;
}

static PyObject *dataset_ids(DatasetObject *self, void *closure) {
    (void)closure;
    return dataset_with(self, dataset_ids_get);
}

static PyObject *dataset_covariates_get(const struct pat_dataset *ds) {
    PyObject *dict = PyDict_New();
    npy_intp n = (npy_intp)pat_dataset_rows(ds);
    for (size_t j = 0; dict && j < pat_dataset_num_covariates(ds); j++) {
        PyObject *arr = new_array(1, &n, NPY_FLOAT32);
        if (!arr) {
            Py_CLEAR(dict);
            break;
        }
        float *dst = PyArray_DATA((PyArrayObject *)arr);
        for (npy_intp i = 0; i < n; i++) dst[i] = pat_dataset_covariate(ds, (size_t)i, j);
        int rc = PyDict_SetItemString(dict, pat_dataset_covariate_name(ds, j), arr);
        Py_DECREF(arr);
        if (rc != 0) Py_CLEAR(dict);
    }
    return dict;
}

static PyObject *dataset_covariates(DatasetObject *self, void *closure) {
    (void)closure;
    return dataset_with(self, dataset_covariates_get);
}

static PyObject *dataset_meta_get(const struct pat_dataset *ds) {
    PyObject *dict = PyDict_New();
    for (size_t i = 0; dict && i < pat_dataset_num_meta(ds); i++) {
        const char *k, *v;
        pat_dataset_meta_at(ds, i, &k, &v);
        PyObject *val = PyUnicode_DecodeUTF8(v, (Py_ssize_t)strlen(v), "replace");
        if (!val || PyDict_SetItemString(dict, k, val) != 0) Py_CLEAR(dict);
        Py_XDECREF(val);
    }
    return dict;
}

static PyObject *dataset_meta(DatasetObject *self, void *closure) {
    (void)closure;
    return dataset_with(self, dataset_meta_get);
}

static PyObject *dataset_len_attr(DatasetObject *self, void *closure) {
    if (!self->ds) return raise_closed("dataset");
    return PyLong_FromSize_t(closure ? pat_dataset_length(self->ds) : pat_dataset_rows(self->ds));
}

static PyObject *dataset_closed(DatasetObject *self, void *closure) {
    (void)closure;
    return PyBool_FromLong(self->ds == NULL);
}

static PyObject *dataset_repr(DatasetObject *self) {
    if (!self->ds) return PyUnicode_FromFormat("<pat.Dataset %s (closed)>", PyBytes_AS_STRING(self->path));
    return PyUnicode_FromFormat("<pat.Dataset %s: %zu rows of %zu minutes>",
                                PyBytes_AS_STRING(self->path), pat_dataset_rows(self->ds),
                                pat_dataset_length(self->ds));
}

static PyObject *enter_self(PyObject *self, PyObject *unused) {
    (void)unused;
    Py_INCREF(self);
    return self;
}

static PyObject *dataset_exit(DatasetObject *self, PyObject *args) {
    (void)args;
    if (self->ds) return dataset_close(self, NULL);
    Py_RETURN_NONE;
}

static PyMethodDef dataset_methods[] = {
    {"close", (PyCFunction)dataset_close, METH_NOARGS,
     "close()\n--\n\nUnmap the file. Closing twice or using a closed dataset raises PatError."},
    {"__enter__", enter_self, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)dataset_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef dataset_getset[] = {
    {"x", (getter)dataset_x, NULL, "Rows as a new (rows, length) float32 array.", NULL},
    {"labels", (getter)dataset_labels, NULL, "Label per row (float32, NaN = unlabeled).", NULL},
    {"splits", (getter)dataset_splits, NULL, "Split per row: 'train', 'val', 'test' or 'none'.",
     NULL},
    {"ids", (getter)dataset_ids, NULL, "Participant id of each row.", NULL},
    {"covariates", (getter)dataset_covariates, NULL, "Covariates: name -> float32 array (NaN = unknown).",
     NULL},
    {"meta", (getter)dataset_meta, NULL, "Provenance: dict of the stored key=value pairs.", NULL},
    {"rows", (getter)dataset_len_attr, NULL, "Number of rows.", NULL},
    {"length", (getter)dataset_len_attr, NULL, "Minutes per row (T).", (void *)1},
    {"closed", (getter)dataset_closed, NULL, "True after close().", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject DatasetType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pat.Dataset",
    .tp_basicsize = sizeof(DatasetObject),
    .tp_dealloc = (destructor)dataset_dealloc,
    .tp_repr = (reprfunc)dataset_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A dataset built by `pat data build` (.patd), memory-mapped read-only.\n\n"
              "Open one with pat.open_dataset(path). Model.embed, .predict and .explain\n"
              "accept it directly (rows as stored, the dataset's transform respected).",
    .tp_methods = dataset_methods,
    .tp_getset = dataset_getset,
};

/* ---- Model ----------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    struct pat_model *m;    /* NULL once closed */
    struct pat_model *held; /* closed while pinned: freed by the last user */
    Py_ssize_t users;
    struct pat_config cfg;  /* a copy: output shapes need no live model */
    PyThread_type_lock lock;
    PyObject *path;
    int threads; /* default for calls; 0: the library's default */
} ModelObject;

static PyTypeObject ModelType;

static PyObject *model_load(PyObject *module, PyObject *args, PyObject *kwargs) {
    (void)module;
    static char *kwlist[] = {"path", "threads", NULL};
    PyObject *path_obj, *threads_obj = Py_None;
    int threads;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|$O:load", kwlist, PyUnicode_FSConverter,
                                     &path_obj, &threads_obj))
        return NULL;
    if (parse_threads(threads_obj, &threads) != 0) {
        Py_DECREF(path_obj);
        return NULL;
    }
    ModelObject *self = PyObject_New(ModelObject, &ModelType);
    if (!self) {
        Py_DECREF(path_obj);
        return NULL;
    }
    self->m = self->held = NULL;
    self->users = 0;
    self->path = path_obj;
    self->threads = threads;
    self->lock = PyThread_allocate_lock();
    if (!self->lock) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    struct pat_err err = {0};
    enum pat_status st;
    const char *path = PyBytes_AS_STRING(path_obj);
    Py_BEGIN_ALLOW_THREADS
    st = pat_model_load(path, &self->m, &err);
    Py_END_ALLOW_THREADS
    if (st != PAT_OK) {
        Py_DECREF(self);
        return raise_err(&err);
    }
    self->cfg = *pat_model_config(self->m);
    return (PyObject *)self;
}

static void model_dealloc(ModelObject *self) {
    pat_model_free(self->m);
    pat_model_free(self->held);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_XDECREF(self->path);
    PyObject_Free(self);
}

static PyObject *model_close(ModelObject *self, PyObject *unused) {
    (void)unused;
    if (!self->m) return raise_closed("model");
    if (self->users > 0) self->held = self->m;
    else pat_model_free(self->m);
    self->m = NULL;
    Py_RETURN_NONE;
}

/* As dataset_pin / dataset_unpin. */
static struct pat_model *model_pin(ModelObject *self) {
    if (!self->m) return (struct pat_model *)raise_closed("model");
    self->users++;
    return self->m;
}

static void model_unpin(ModelObject *self) {
    if (--self->users == 0 && self->held) {
        pat_model_free(self->held);
        self->held = NULL;
    }
}

static PyObject *model_exit(ModelObject *self, PyObject *args) {
    (void)args;
    if (self->m) return model_close(self, NULL);
    Py_RETURN_NONE;
}

enum run_kind { RUN_EMBED, RUN_PREDICT, RUN_EXPLAIN };

/* One call into the library on rows x (B, T). */
struct job {
    enum run_kind kind;
    const float *x;
    size_t B, T;
    float *out;
    int threads;
    const char *rows_transform; /* dataset rows: their transform; else NULL */
    enum pat_precision precision;
};

static enum pat_status job_call(struct pat_model *m, const struct job *j, struct pat_err *err) {
    if (j->kind == RUN_EMBED) return pat_embed_ex(m, j->x, j->B, j->T, j->precision, j->out, err);
    if (j->kind == RUN_PREDICT)
        return pat_predict_ex(m, j->x, j->B, j->T, j->precision, j->out, err);
    return pat_explain_ex(m, j->x, j->B, j->T, j->precision, j->out, err);
}

/* Rows of a dataset already went through its transform: when the model
 * takes the same one it must not apply it again (as pat embed -i D.patd). */
static enum pat_status job_run(struct pat_model *m, const struct job *j, struct pat_err *err) {
    const char *model_tr = pat_model_input_transform(m);
    int skip = j->rows_transform && strcmp(j->rows_transform, "none") != 0;
    if (skip && strcmp(j->rows_transform, model_tr) != 0) {
        err->status = PAT_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg,
                 "the dataset's rows were stored after %s, but the model takes untransformed "
                 "minutes (pat.input_transform %s)", j->rows_transform, model_tr);
        return PAT_ERR_USAGE;
    }
    enum pat_status st = PAT_OK;
    if (skip) st = pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, "none", err);
    int old = threads_push(j->threads);
    if (st == PAT_OK) st = job_call(m, j, err);
    threads_pop(old);
    if (skip) {
        struct pat_err restore_err;
        if (pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, j->rows_transform, &restore_err) !=
                PAT_OK && st == PAT_OK) {
            *err = restore_err;
            st = restore_err.status;
        }
    }
    return st;
}

/* float32 C-contiguous view of x, copied only when it is not one already. */
static PyArrayObject *as_rows(PyObject *x) {
    PyArrayObject *arr = (PyArrayObject *)PyArray_FROM_O(x);
    if (!arr) return NULL;
    int type = PyArray_TYPE(arr);
    if (type != NPY_FLOAT32 && type != NPY_FLOAT64) {
        PyErr_Format(PyExc_TypeError, "x must be a float32 or float64 array, got dtype %s",
                     PyArray_DESCR(arr)->typeobj->tp_name);
        Py_DECREF(arr);
        return NULL;
    }
    if (PyArray_NDIM(arr) != 1 && PyArray_NDIM(arr) != 2) {
        char msg[128];
        snprintf(msg, sizeof msg, "x must have shape (B, T) or (T,), got %d dimensions",
                 PyArray_NDIM(arr));
        Py_DECREF(arr);
        return (PyArrayObject *)raise_pat(PAT_ERR_USAGE, msg);
    }
    PyArrayObject *rows = (PyArrayObject *)PyArray_FROM_OTF(
        (PyObject *)arr, NPY_FLOAT32, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);
    Py_DECREF(arr);
    return rows;
}

/* Width of one output row. */
static size_t out_width(enum run_kind kind, const struct pat_config *c, size_t T) {
    if (kind == RUN_EMBED) return c->embed_dim;
    if (kind == RUN_PREDICT) return 1;
    return T / c->patch_size;
}

static PyObject *new_output(enum run_kind kind, const struct pat_config *c, size_t B, size_t T,
                            int batched) {
    npy_intp dims[2] = {(npy_intp)B, (npy_intp)out_width(kind, c, T)};
    if (kind == RUN_PREDICT) return new_array(batched ? 1 : 0, dims, NPY_FLOAT32);
    return batched ? new_array(2, dims, NPY_FLOAT32) : new_array(1, dims + 1, NPY_FLOAT32);
}

/* Run the job with the GIL released; the model (and dataset) are pinned by
 * the caller. Steals result; returns it, or NULL with PatError set. */
static PyObject *run_without_gil(ModelObject *self, struct pat_model *m, const struct job *j,
                                 PyObject *result) {
    struct pat_err err = {0};
    enum pat_status st;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    st = job_run(m, j, &err);
    PyThread_release_lock(self->lock);
    Py_END_ALLOW_THREADS
    if (st != PAT_OK) {
        Py_DECREF(result);
        return raise_err(&err);
    }
    return result;
}

/* Are the dataset's rows one contiguous (rows, T) block? */
static int rows_contiguous(const struct pat_dataset *ds) {
    size_t R = pat_dataset_rows(ds), T = pat_dataset_length(ds);
    return R == 0 || pat_dataset_row(ds, R - 1) == pat_dataset_row(ds, 0) + (R - 1) * T;
}

/* The dataset's rows as stored: its transform decides whether the model's
 * own is skipped (job_run). */
static PyObject *run_dataset(ModelObject *self, struct pat_model *m,
                             const struct pat_dataset *ds, struct job *j) {
    if (!rows_contiguous(ds)) return raise_pat(PAT_ERR_UNSUPPORTED, "dataset rows are not contiguous");
    const char *tr = pat_dataset_meta_get(ds, "transform");
    j->rows_transform = tr ? tr : "none";
    if (strcmp(j->rows_transform, "none") != 0 && strcmp(j->rows_transform, "log1p") != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown row transform '%.40s'", j->rows_transform);
        return raise_pat(PAT_ERR_FORMAT, msg);
    }
    j->B = pat_dataset_rows(ds);
    j->T = pat_dataset_length(ds);
    j->x = pat_dataset_row(ds, 0);
    PyObject *result = new_output(j->kind, &self->cfg, j->B, j->T, 1);
    if (!result || j->B == 0) return result;
    j->out = PyArray_DATA((PyArrayObject *)result);
    return run_without_gil(self, m, j, result);
}

static PyObject *run_array(ModelObject *self, struct pat_model *m, PyObject *x, struct job *j) {
    PyArrayObject *rows = as_rows(x);
    if (!rows) return NULL;
    int batched = PyArray_NDIM(rows) == 2;
    j->B = batched ? (size_t)PyArray_DIM(rows, 0) : 1;
    j->T = (size_t)PyArray_DIM(rows, batched ? 1 : 0);
    j->x = PyArray_DATA(rows);
    PyObject *result = new_output(j->kind, &self->cfg, j->B, j->T, batched);
    if (result && j->B > 0) {
        j->out = PyArray_DATA((PyArrayObject *)result);
        result = run_without_gil(self, m, j, result);
    }
    Py_DECREF(rows);
    return result;
}

static PyObject *model_run(ModelObject *self, PyObject *args, PyObject *kwargs,
                           enum run_kind kind) {
    static char *kwlist[] = {"x", "threads", "precision", NULL};
    PyObject *x, *threads_obj = Py_None;
    const char *precision = "fp32";
    struct job j = {.kind = kind, .threads = self->threads};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$Os", kwlist, &x, &threads_obj, &precision))
        return NULL;
    if (threads_obj != Py_None && parse_threads(threads_obj, &j.threads) != 0) return NULL;
    if (strcmp(precision, "fp32") == 0) {
        j.precision = PAT_PRECISION_FP32;
    } else if (strcmp(precision, "bf16") == 0) {
        j.precision = PAT_PRECISION_BF16;
    } else {
        PyErr_Format(PyExc_ValueError, "precision must be 'fp32' or 'bf16', got '%s'", precision);
        return NULL;
    }
    struct pat_model *m = model_pin(self);
    if (!m) return NULL;
    PyObject *result;
    if (PyObject_TypeCheck(x, &DatasetType)) {
        DatasetObject *dso = (DatasetObject *)x;
        const struct pat_dataset *ds = dataset_pin(dso);
        result = ds ? run_dataset(self, m, ds, &j) : NULL;
        if (ds) dataset_unpin(dso);
    } else {
        result = run_array(self, m, x, &j);
    }
    model_unpin(self);
    return result;
}

static PyObject *model_embed(ModelObject *self, PyObject *args, PyObject *kwargs) {
    return model_run(self, args, kwargs, RUN_EMBED);
}
static PyObject *model_predict(ModelObject *self, PyObject *args, PyObject *kwargs) {
    return model_run(self, args, kwargs, RUN_PREDICT);
}
static PyObject *model_explain(ModelObject *self, PyObject *args, PyObject *kwargs) {
    return model_run(self, args, kwargs, RUN_EXPLAIN);
}

static int dict_set_steal(PyObject *d, const char *k, PyObject *v) {
    if (!v) return -1;
    int rc = PyDict_SetItemString(d, k, v);
    Py_DECREF(v);
    return rc;
}

static PyObject *meta_dict(const struct pat_model *m) {
    PyObject *dict = PyDict_New();
    for (size_t i = 0; dict && i < pat_model_num_meta(m); i++) {
        const char *k, *v;
        pat_model_meta_at(m, i, &k, &v);
        if (dict_set_steal(dict, k, PyUnicode_DecodeUTF8(v, (Py_ssize_t)strlen(v), "replace")))
            Py_CLEAR(dict);
    }
    return dict;
}

static PyObject *model_info_get(const struct pat_model *m) {
    const struct pat_config *c = pat_model_config(m);
    const char *recipe = pat_model_meta_get(m, "pat.finetune.recipe");
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    int bad = dict_set_steal(d, "architecture", PyUnicode_FromString(pat_config_name(c))) ||
              dict_set_steal(d, "patch_size", PyLong_FromSize_t(c->patch_size)) ||
              dict_set_steal(d, "embed_dim", PyLong_FromSize_t(c->embed_dim)) ||
              dict_set_steal(d, "num_heads", PyLong_FromSize_t(c->num_heads)) ||
              dict_set_steal(d, "key_dim", PyLong_FromSize_t(c->key_dim)) ||
              dict_set_steal(d, "ff_dim", PyLong_FromSize_t(c->ff_dim)) ||
              dict_set_steal(d, "num_layers", PyLong_FromSize_t(c->num_layers)) ||
              dict_set_steal(d, "embedding", PyUnicode_FromString(c->embedding == PAT_EMBED_CONV
                                                                      ? "conv" : "dense")) ||
              dict_set_steal(d, "encoder_params", PyLong_FromSize_t(pat_config_encoder_params(c))) ||
              dict_set_steal(d, "head_params", PyLong_FromSize_t(pat_model_has_head(m)
                                                                     ? pat_config_head_params(c) : 0)) ||
              dict_set_steal(d, "num_params", PyLong_FromSize_t(pat_model_num_params(m))) ||
              dict_set_steal(d, "has_head", PyBool_FromLong(pat_model_has_head(m))) ||
              dict_set_steal(d, "scaler_length", PyLong_FromSize_t(pat_model_scaler_len(m))) ||
              dict_set_steal(d, "input_transform",
                             PyUnicode_FromString(pat_model_input_transform(m))) ||
              dict_set_steal(d, "recipe", recipe ? PyUnicode_FromString(recipe) : Py_NewRef(Py_None)) ||
              dict_set_steal(d, "metadata", meta_dict(m));
    if (bad) Py_CLEAR(d);
    return d;
}

static PyObject *model_info(ModelObject *self, void *closure) {
    (void)closure;
    const struct pat_model *m = model_pin(self);
    if (!m) return NULL;
    PyObject *d = model_info_get(m);
    model_unpin(self);
    return d;
}

static PyObject *model_closed(ModelObject *self, void *closure) {
    (void)closure;
    return PyBool_FromLong(self->m == NULL);
}

static PyObject *model_repr(ModelObject *self) {
    if (!self->m) return PyUnicode_FromFormat("<pat.Model %s (closed)>", PyBytes_AS_STRING(self->path));
    return PyUnicode_FromFormat("<pat.Model %s: %s%s>", PyBytes_AS_STRING(self->path),
                                pat_config_name(&self->cfg),
                                pat_model_has_head(self->m) ? " with head" : "");
}

#define RUN_DOC_TAIL                                                                          \
    "x: float32 or float64 array of shape (B, T) or (T,) — minutes as the model\n"            \
    "expects them (T a multiple of the patch size; the model's input transform and\n"         \
    "scaler are applied by the library) — or a pat.Dataset (its rows as stored).\n"           \
    "It is used in place when float32 and C-contiguous, else converted once.\n"               \
    "threads: threads for this call (default: the model's, else\n"                     \
    "OMP_NUM_THREADS or all cores); results do not depend on it.\n"                           \
    "Raises PatError with the library's message on bad input (NaN, wrong length)."

static PyMethodDef model_methods[] = {
    {"embed", (PyCFunction)(void (*)(void))model_embed, METH_VARARGS | METH_KEYWORDS,
     "embed(x, *, threads=None)\n--\n\n"
     "Embeddings: float32 (B, E) (or (E,) for a single sequence), the mean over\n"
     "patches of the last block's output.\n\n" RUN_DOC_TAIL},
    {"predict", (PyCFunction)(void (*)(void))model_predict, METH_VARARGS | METH_KEYWORDS,
     "predict(x, *, threads=None)\n--\n\n"
     "Probabilities from the model's head: float32 (B,) (or a 0-d array for a\n"
     "single sequence). A model without a head raises PatError.\n\n" RUN_DOC_TAIL},
    {"explain", (PyCFunction)(void (*)(void))model_explain, METH_VARARGS | METH_KEYWORDS,
     "explain(x, *, threads=None)\n--\n\n"
     "Attention received by each patch in the last block, summed over queries,\n"
     "averaged over heads, normalised to sum 1: float32 (B, N), N = T / patch size.\n\n"
     RUN_DOC_TAIL},
    {"close", (PyCFunction)model_close, METH_NOARGS,
     "close()\n--\n\nFree the model now (waits for a running call). Closing twice or\n"
     "using a closed model raises PatError."},
    {"__enter__", enter_self, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)model_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef model_members[] = {
    {"threads", T_INT, offsetof(ModelObject, threads), 0,
     "Default threads of this model's calls (0: OMP_NUM_THREADS or all cores)."},
    {"_calls", T_PYSSIZET, offsetof(ModelObject, users), READONLY,
     "Calls using the model right now (close() during one frees it after the last)."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef model_getset[] = {
    {"info", (getter)model_info, NULL,
     "dict: architecture, patch_size, embed_dim, num_heads, key_dim, ff_dim,\n"
     "num_layers, embedding, encoder_params, head_params, num_params, has_head,\n"
     "scaler_length, input_transform, recipe (fine-tuning recipe or None), metadata.",
     NULL},
    {"closed", (getter)model_closed, NULL, "True after close().", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pat.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_repr = (reprfunc)model_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A PAT model loaded with pat.load(path). Calls on one model run one at a\n"
              "time (each uses the library\'s threads inside); close() or the garbage collector\n"
              "frees it.",
    .tp_methods = model_methods,
    .tp_members = model_members,
    .tp_getset = model_getset,
};

/* ---- module ---------------------------------------------------------- */

static PyObject *have_hdf5(PyObject *module, PyObject *unused) {
    (void)module, (void)unused;
    return PyBool_FromLong(pat_have_hdf5());
}

static PyMethodDef module_methods[] = {
    {"load", (PyCFunction)(void (*)(void))model_load, METH_VARARGS | METH_KEYWORDS,
     "load(path, *, threads=None)\n--\n\n"
     "Load a model from a .safetensors file or a Keras .h5 weights file (detected\n"
     "by content). threads: default threads of its calls. Raises PatError\n"
     "naming the file and what is wrong."},
    {"open_dataset", dataset_open, METH_VARARGS,
     "open_dataset(path)\n--\n\n"
     "Open a dataset built by `pat data build` (.patd) read-only. Raises PatError."},
    {"have_hdf5", have_hdf5, METH_NOARGS,
     "have_hdf5()\n--\n\nTrue when this libpat reads Keras .h5 files."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "pat._pat", "libpat bindings (use the pat package).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

static int add_status_constants(PyObject *mod) {
    static const struct { const char *name; enum pat_status st; } table[] = {
        {"OK", PAT_OK}, {"ERR_USAGE", PAT_ERR_USAGE}, {"ERR_IO", PAT_ERR_IO},
        {"ERR_FORMAT", PAT_ERR_FORMAT}, {"ERR_NUMERIC", PAT_ERR_NUMERIC},
        {"ERR_NOMEM", PAT_ERR_NOMEM}, {"ERR_UNSUPPORTED", PAT_ERR_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (PyModule_AddIntConstant(mod, table[i].name, (long)table[i].st) != 0) return -1;
    return PyModule_AddStringConstant(mod, "LIB_VERSION", PAT_VERSION);
}

PyMODINIT_FUNC PyInit__pat(void); /* the module's only exported symbol */
PyMODINIT_FUNC PyInit__pat(void) {
    import_array();
    if (PyType_Ready(&ModelType) < 0 || PyType_Ready(&DatasetType) < 0) return NULL;
    PyObject *mod = PyModule_Create(&module_def);
    if (!mod) return NULL;
    PatError = PyErr_NewExceptionWithDoc(
        "pat.PatError",
        "An error reported by libpat: .message (str) names the file and what is\n"
        "wrong; .status (int) is one of pat.ERR_USAGE, ERR_IO, ERR_FORMAT,\n"
        "ERR_NUMERIC, ERR_NOMEM, ERR_UNSUPPORTED.",
        PyExc_Exception, NULL);
    if (!PatError || PyModule_AddObjectRef(mod, "PatError", PatError) < 0 ||
        PyModule_AddObjectRef(mod, "Model", (PyObject *)&ModelType) < 0 ||
        PyModule_AddObjectRef(mod, "Dataset", (PyObject *)&DatasetType) < 0 ||
        add_status_constants(mod) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
