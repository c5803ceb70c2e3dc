/* xpt.h - SAS XPORT tables, streamed row by row: read by pat's own parser
 * (io/xport.c; v5/v6, the NHANES format), with libreadstat for v8 files
 * and for writing. The only file that includes <readstat.h> is xpt.c;
 * without libreadstat (PAT_HAVE_READSTAT unset) v5 files are still read,
 * and the readstat calls return PAT_ERR_UNSUPPORTED.
 *
 *     static const struct pat_xpt_col cols[] = {{"SEQN", 0}, {"PAXHOUR", 1}};
 *     pat_xpt_read("PAXRAW_C.XPT", cols, 2, on_row, ctx, &err);
 *     // on_row(ctx, row, v): v[k] is column k's value, NaN when missing
 *     // (or when an optional column is absent from the file)
 */
#ifndef PAT_IO_XPT_H
#define PAT_IO_XPT_H

#include <stddef.h>

#include "pat.h"

struct pat_xpt_col {
    const char *name; /* variable name (case-insensitive) */
    int optional;     /* 1: the file may lack it (values NaN) */
};

/* Called once per row; row is 0-based. A non-OK status stops the read. */
typedef enum pat_status (*pat_xpt_row_fn)(void *ctx, size_t row, const double *v,
                                          struct pat_err *err);

/* Stream the numeric columns `cols` of every row. A required column that is
 * missing or is a text column is refused, naming it. */
enum pat_status pat_xpt_read(const char *path, const struct pat_xpt_col *cols, size_t n,
                             pat_xpt_row_fn fn, void *ctx, struct pat_err *err);

/* Rows and variables of a file (the rows are counted by reading it). */
enum pat_status pat_xpt_shape(const char *path, size_t *rows, size_t *vars,
                              struct pat_err *err);

/* The same two through libreadstat alone: the oracle of the native reader
 * in tests, and its fallback for XPORT v8. */
enum pat_status pat_xpt_read_readstat(const char *path, const struct pat_xpt_col *cols,
                                      size_t n, pat_xpt_row_fn fn, void *ctx,
                                      struct pat_err *err);
enum pat_status pat_xpt_shape_readstat(const char *path, size_t *rows, size_t *vars,
                                       struct pat_err *err);

/* Writer of numeric tables (8-byte doubles, NaN written as missing '.').
 * Rows go to a temporary file renamed by pat_xpt_close. */
struct pat_xpt_writer;
enum pat_status pat_xpt_create(const char *path, const char *table,
                               const char *const *names, size_t n, size_t rows,
                               struct pat_xpt_writer **out, struct pat_err *err);
enum pat_status pat_xpt_write_row(struct pat_xpt_writer *w, const double *v,
                                  struct pat_err *err);
/* Finish (all `rows` written), rename, free. */
enum pat_status pat_xpt_close(struct pat_xpt_writer *w, struct pat_err *err);
void pat_xpt_abort(struct pat_xpt_writer *w); /* NULL-safe; removes the temporary */

#endif /* PAT_IO_XPT_H */
