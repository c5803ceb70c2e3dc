/* xpt.c - SAS XPORT reading (native, io/xport.c, with libreadstat for the
 * v8 files it does not read) and writing through libreadstat (xpt.h). The
 * only file that includes <readstat.h>; without PAT_HAVE_READSTAT the
 * readstat parts are stubs returning PAT_ERR_UNSUPPORTED. */
#include "io/xpt.h"

#include "io/xport.h"
#include "report/atomic.h"
#include "util.h"

static enum pat_status count_row(void *ctx, size_t row, const double *v, struct pat_err *err) {
    (void)row, (void)v, (void)err;
    ++*(size_t *)ctx;
    return PAT_OK;
}

enum pat_status pat_xpt_read(const char *path, const struct pat_xpt_col *cols, size_t n,
                             pat_xpt_row_fn fn, void *ctx, struct pat_err *err) {
    enum pat_status st = pat_xport_read(path, cols, n, fn, ctx, NULL, err);
    if (st == PAT_ERR_UNSUPPORTED && pat_have_readstat())
        st = pat_xpt_read_readstat(path, cols, n, fn, ctx, err);
    return st;
}

enum pat_status pat_xpt_shape(const char *path, size_t *rows, size_t *vars,
                              struct pat_err *err) {
    *rows = 0, *vars = 0;
    enum pat_status st = pat_xport_read(path, NULL, 0, count_row, rows, vars, err);
    if (st == PAT_ERR_UNSUPPORTED && pat_have_readstat())
        st = pat_xpt_shape_readstat(path, rows, vars, err);
    return st;
}

#ifndef PAT_HAVE_READSTAT

int pat_have_readstat(void) { return 0; }

static enum pat_status unsupported(const char *path, struct pat_err *err) {
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: SAS XPORT needs a build with libreadstat "
                    "(apt-get install libreadstat-dev, then rebuild)", path);
}

enum pat_status pat_xpt_read_readstat(const char *path, const struct pat_xpt_col *cols,
                                      size_t n, pat_xpt_row_fn fn, void *ctx,
                                      struct pat_err *err) {
    (void)cols, (void)n, (void)fn, (void)ctx;
    return unsupported(path, err);
}

enum pat_status pat_xpt_shape_readstat(const char *path, size_t *rows, size_t *vars,
                                       struct pat_err *err) {
    (void)rows, (void)vars;
    return unsupported(path, err);
}

enum pat_status pat_xpt_create(const char *path, const char *table,
                               const char *const *names, size_t n, size_t rows,
                               struct pat_xpt_writer **out, struct pat_err *err) {
    (void)table, (void)names, (void)n, (void)rows;
    *out = NULL;
    return unsupported(path, err);
}

enum pat_status pat_xpt_write_row(struct pat_xpt_writer *w, const double *v,
                                  struct pat_err *err) {
    (void)w, (void)v;
    return unsupported("xpt", err);
}

enum pat_status pat_xpt_close(struct pat_xpt_writer *w, struct pat_err *err) {
    (void)w;
    return unsupported("xpt", err);
}

void pat_xpt_abort(struct pat_xpt_writer *w) { (void)w; }

#else /* PAT_HAVE_READSTAT */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <readstat.h>

int pat_have_readstat(void) { return 1; }

/* ---- reading ------------------------------------------------------------- */

struct rctx {
    const char *path;
    const struct pat_xpt_col *cols;
    size_t n;
    int *map;       /* file variable index -> requested column, -1 = skipped */
    size_t map_len;
    int *found;     /* per requested column */
    double *v;      /* current row */
    long obs;       /* obs index of the current row, -1 before the first */
    size_t rows;
    int checked;    /* required columns verified */
    int keep_first; /* deliver variable 0 even when not requested (row counting) */
    size_t nvars;   /* variables seen */
    pat_xpt_row_fn fn;
    void *ctx;
    struct pat_err *err;
    enum pat_status st;
    char rs_msg[256];
};

static int on_variable(int index, readstat_variable_t *var, const char *labels, void *p) {
    struct rctx *r = p;
    (void)labels;
    if (index < 0) return READSTAT_HANDLER_ABORT;
    if ((size_t)index + 1 > r->nvars) r->nvars = (size_t)index + 1;
    if ((size_t)index >= r->map_len) {
        size_t len = (size_t)index * 2 + 16;
        int *g = realloc(r->map, len * sizeof *g);
        if (!g) {
            r->st = pat_fail(r->err, PAT_ERR_NOMEM, "out of memory");
            return READSTAT_HANDLER_ABORT;
        }
        for (size_t k = r->map_len; k < len; k++) g[k] = -1;
        r->map = g;
        r->map_len = len;
    }
    const char *name = readstat_variable_get_name(var);
    if (!name || !*name) { /* a damaged NAMESTR record (found by fuzzing) */
        r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s: variable %d has no name", r->path,
                         index + 1);
        return READSTAT_HANDLER_ABORT;
    }
    for (size_t k = 0; k < r->n; k++) {
        if (strcasecmp(name, r->cols[k].name)) continue;
        if (readstat_variable_get_type_class(var) != READSTAT_TYPE_CLASS_NUMERIC) {
            r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s: variable %s is text, expected numbers",
                             r->path, name);
            return READSTAT_HANDLER_ABORT;
        }
        r->map[index] = (int)k;
        r->found[k] = 1;
        return READSTAT_HANDLER_OK;
    }
    return r->keep_first && index == 0 ? READSTAT_HANDLER_OK : READSTAT_HANDLER_SKIP_VARIABLE;
}

static enum pat_status check_columns(struct rctx *r) {
    r->checked = 1;
    for (size_t k = 0; k < r->n; k++)
        if (!r->found[k] && !r->cols[k].optional)
            return pat_fail(r->err, PAT_ERR_FORMAT, "%s: no variable %s", r->path,
                            r->cols[k].name);
    return PAT_OK;
}

static enum pat_status emit(struct rctx *r) {
    enum pat_status st = r->fn(r->ctx, (size_t)r->obs, r->v, r->err);
    r->rows++;
    for (size_t k = 0; k < r->n; k++) r->v[k] = NAN;
    return st;
}

static int on_value(int obs, readstat_variable_t *var, readstat_value_t value, void *p) {
    struct rctx *r = p;
    if (!r->checked && (r->st = check_columns(r)) != PAT_OK) return READSTAT_HANDLER_ABORT;
    if (obs != r->obs) {
        if (r->obs >= 0 && (r->st = emit(r)) != PAT_OK) return READSTAT_HANDLER_ABORT;
        r->obs = obs;
    }
    int index = readstat_variable_get_index(var);
    if (index < 0 || (size_t)index >= r->map_len || r->map[index] < 0) return READSTAT_HANDLER_OK;
    r->v[r->map[index]] = readstat_value_is_missing(value, var) ? NAN : readstat_double_value(value);
    return READSTAT_HANDLER_OK;
}

static void on_error(const char *msg, void *p) {
    struct rctx *r = p;
    snprintf(r->rs_msg, sizeof r->rs_msg, "%s", msg);
    size_t n = strlen(r->rs_msg);
    while (n && (r->rs_msg[n - 1] == '\n' || r->rs_msg[n - 1] == ' ')) r->rs_msg[--n] = 0;
}

/* Buffered file access for the parser: readstat's default handlers issue a
 * read(2) per record, which dominates the time on minute files. */
struct bufio {
    FILE *f;
};

static int io_open(const char *path, void *ctx) {
    struct bufio *b = ctx;
    b->f = fopen(path, "rb");
    if (!b->f) return -1;
    setvbuf(b->f, NULL, _IOFBF, (size_t)1 << 20);
    return fileno(b->f);
}

static int io_close(void *ctx) {
    struct bufio *b = ctx;
    int rc = b->f ? fclose(b->f) : 0;
    b->f = NULL;
    return rc;
}

static readstat_off_t io_seek(readstat_off_t off, readstat_io_flags_t whence, void *ctx) {
    struct bufio *b = ctx;
    int w = whence == READSTAT_SEEK_SET ? SEEK_SET : whence == READSTAT_SEEK_CUR ? SEEK_CUR
                                                                                 : SEEK_END;
    if (fseeko(b->f, (off_t)off, w) != 0) return -1;
    return (readstat_off_t)ftello(b->f);
}

static ssize_t io_read(void *buf, size_t n, void *ctx) {
    struct bufio *b = ctx;
    size_t got = fread(buf, 1, n, b->f);
    return got == 0 && ferror(b->f) ? -1 : (ssize_t)got;
}

static readstat_error_t io_update(long size, readstat_progress_handler fn, void *user,
                                  void *ctx) {
    (void)size, (void)fn, (void)user, (void)ctx;
    return READSTAT_OK;
}

static void use_bufio(readstat_parser_t *parser, struct bufio *b) {
    readstat_set_open_handler(parser, io_open);
    readstat_set_close_handler(parser, io_close);
    readstat_set_seek_handler(parser, io_seek);
    readstat_set_read_handler(parser, io_read);
    readstat_set_update_handler(parser, io_update);
    readstat_set_io_ctx(parser, b);
}

/* Run the parser over path with r's handlers; map readstat errors. */
static enum pat_status parse(struct rctx *r) {
    FILE *probe = fopen(r->path, "rb");
    if (!probe) return pat_fail(r->err, PAT_ERR_IO, "%s: cannot open: %s", r->path, strerror(errno));
    fclose(probe);
    readstat_parser_t *parser = readstat_parser_init();
    if (!parser) return pat_fail(r->err, PAT_ERR_NOMEM, "out of memory");
    readstat_set_variable_handler(parser, on_variable);
    readstat_set_value_handler(parser, on_value);
    readstat_set_error_handler(parser, on_error);
    struct bufio b = {NULL};
    use_bufio(parser, &b);
    readstat_error_t e = readstat_parse_xport(parser, r->path, r);
    readstat_parser_free(parser);
    io_close(&b); /* when the parser stopped before closing */
    if (r->st != PAT_OK) return r->st;
    if (e != READSTAT_OK)
        return pat_fail(r->err, PAT_ERR_FORMAT, /* it opened: short or malformed */
                        "%s: not a readable SAS XPORT file: %s%s%s", r->path,
                        readstat_error_message(e), r->rs_msg[0] ? ": " : "", r->rs_msg);
    if (!r->checked && (r->st = check_columns(r)) != PAT_OK) return r->st;
    if (r->obs >= 0) return emit(r);
    return PAT_OK;
}

enum pat_status pat_xpt_read_readstat(const char *path, const struct pat_xpt_col *cols,
                                      size_t n, pat_xpt_row_fn fn, void *ctx,
                                      struct pat_err *err) {
    struct rctx r = {.path = path, .cols = cols, .n = n, .obs = -1, .fn = fn, .ctx = ctx,
                     .err = err};
    r.found = pat_calloc(n, sizeof *r.found);
    r.v = pat_calloc(n, sizeof *r.v);
    enum pat_status st = r.found && r.v ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == PAT_OK && k < n; k++) r.v[k] = NAN;
    if (st == PAT_OK) st = parse(&r);
    free(r.map);
    free(r.found);
    free(r.v);
    return st;
}

/* ---- shape --------------------------------------------------------------- */

enum pat_status pat_xpt_shape_readstat(const char *path, size_t *rows, size_t *vars,
                                       struct pat_err *err) {
    size_t n = 0;
    struct rctx r = {.path = path, .obs = -1, .fn = count_row, .ctx = &n, .err = err,
                     .keep_first = 1};
    enum pat_status st = parse(&r);
    free(r.map);
    *rows = n;
    *vars = r.nvars;
    return st;
}

/* ---- writing ------------------------------------------------------------- */

struct pat_xpt_writer {
    readstat_writer_t *w;
    FILE *f; /* out.f while open */
    char *path;
    struct pat_atomic_file out;
    readstat_variable_t **vars;
    size_t n, rows, written;
};

static ssize_t write_bytes(const void *data, size_t len, void *ctx) {
    struct pat_xpt_writer *x = ctx;
    return fwrite(data, 1, len, x->f) == len ? (ssize_t)len : -1;
}

void pat_xpt_abort(struct pat_xpt_writer *x) {
    if (!x) return;
    if (x->w) readstat_writer_free(x->w);
    if (x->f) pat_atomic_abort(&x->out);
    free(x->vars);
    free(x->path);
    free(x);
}

static enum pat_status rs_fail(struct pat_xpt_writer *x, readstat_error_t e, struct pat_err *err) {
    return pat_fail(err, e == READSTAT_ERROR_WRITE ? PAT_ERR_IO : PAT_ERR_USAGE,
                    "%s: cannot write SAS XPORT: %s", x->path, readstat_error_message(e));
}

static enum pat_status define(struct pat_xpt_writer *x, const char *table,
                              const char *const *names, struct pat_err *err) {
    readstat_error_t e = readstat_set_data_writer(x->w, write_bytes);
    if (e == READSTAT_OK) e = readstat_writer_set_file_format_version(x->w, 5);
    if (e == READSTAT_OK) e = readstat_writer_set_table_name(x->w, table);
    for (size_t k = 0; e == READSTAT_OK && k < x->n; k++) {
        x->vars[k] = readstat_add_variable(x->w, names[k], READSTAT_TYPE_DOUBLE, 8);
        if (!x->vars[k]) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    if (e == READSTAT_OK) e = readstat_begin_writing_xport(x->w, x, (long)x->rows);
    return e == READSTAT_OK ? PAT_OK : rs_fail(x, e, err);
}

enum pat_status pat_xpt_create(const char *path, const char *table,
                               const char *const *names, size_t n, size_t rows,
                               struct pat_xpt_writer **out, struct pat_err *err) {
    *out = NULL;
    struct pat_xpt_writer *x = calloc(1, sizeof *x);
    if (!x) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    x->n = n;
    x->rows = rows;
    x->path = pat_strdup(path);
    x->vars = pat_calloc(n, sizeof *x->vars);
    x->w = readstat_writer_init();
    enum pat_status st = x->path && x->vars && x->w
                             ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && rows > 0x7fffffff)
        st = pat_fail(err, PAT_ERR_USAGE, "%s: too many rows for XPORT", path);
    if (st == PAT_OK && (st = pat_atomic_open(&x->out, path, err)) == PAT_OK) x->f = x->out.f;
    if (st == PAT_OK) st = define(x, table, names, err);
    if (st != PAT_OK) {
        pat_xpt_abort(x);
        return st;
    }
    *out = x;
    return PAT_OK;
}

enum pat_status pat_xpt_write_row(struct pat_xpt_writer *x, const double *v,
                                  struct pat_err *err) {
    if (x->written == x->rows)
        return pat_fail(err, PAT_ERR_USAGE, "%s: more rows than the %zu declared", x->path,
                        x->rows);
    readstat_error_t e = readstat_begin_row(x->w);
    for (size_t k = 0; e == READSTAT_OK && k < x->n; k++)
        e = isnan(v[k]) ? readstat_insert_missing_value(x->w, x->vars[k])
                        : readstat_insert_double_value(x->w, x->vars[k], v[k]);
    if (e == READSTAT_OK) e = readstat_end_row(x->w);
    if (e != READSTAT_OK) return rs_fail(x, e, err);
    x->written++;
    return PAT_OK;
}

enum pat_status pat_xpt_close(struct pat_xpt_writer *x, struct pat_err *err) {
    enum pat_status st = PAT_OK;
    if (x->written != x->rows)
        st = pat_fail(err, PAT_ERR_USAGE, "%s: %zu rows written of %zu declared", x->path,
                      x->written, x->rows);
    readstat_error_t e = st == PAT_OK ? readstat_end_writing(x->w) : READSTAT_OK;
    if (st == PAT_OK && e != READSTAT_OK) st = rs_fail(x, e, err);
    if (st == PAT_OK) {
        x->f = NULL;
        st = pat_atomic_commit(&x->out, err);
    }
    pat_xpt_abort(x);
    return st;
}

#endif /* PAT_HAVE_READSTAT */
