/* xport.h - native streaming reader of SAS XPORT version 5/6 tables (SAS
 * TS-140), the format NHANES publishes. pat_xpt_read (xpt.h) uses it first
 * and falls back to libreadstat for what it does not read (XPORT v8). */
#ifndef PAT_IO_XPORT_H
#define PAT_IO_XPORT_H

#include "io/xpt.h"

/* As pat_xpt_read, over the first member of the file; *nvars (may be NULL)
 * gets the number of variables. PAT_ERR_UNSUPPORTED for an XPORT v8 file. */
enum pat_status pat_xport_read(const char *path, const struct pat_xpt_col *cols, size_t n,
                               pat_xpt_row_fn fn, void *ctx, size_t *nvars,
                               struct pat_err *err);

/* Names of the first member's numeric variables, in file order: up to cap
 * into names, *n all of them. */
enum pat_status pat_xport_numeric_names(const char *path, char (*names)[9], size_t cap,
                                        size_t *n, struct pat_err *err);

#endif /* PAT_IO_XPORT_H */
