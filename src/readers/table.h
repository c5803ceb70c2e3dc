/* table.h - delimited text tables (CSV and its cousins) row by row.
 *
 * The grammar (quoted fields, doubled quotes, separators and line breaks
 * inside quotes) is libcsv's (Debian libcsv-dev); this file is the only one
 * that uses it. A UTF-8 byte-order mark is skipped, fields are trimmed of
 * spaces, blank lines are skipped. The separator is ',', ';' or tab,
 * detected from the first lines when not given. Built without libcsv
 * (make NO_LIBCSV=1) every call returns PAT_ERR_UNSUPPORTED. */
#ifndef PAT_READERS_TABLE_H
#define PAT_READERS_TABLE_H

#include <stddef.h>

#include "pat.h"

#define PAT_TABLE_MAX_FIELDS 256

/* One row: nf trimmed, NUL-terminated fields; line = the file line where
 * the row ends. Return PAT_OK to go on, PAT_STOP-like codes to stop: any
 * status other than PAT_OK ends the read with that status (err filled). */
typedef enum pat_status (*pat_row_fn)(void *ctx, char **field, size_t nf, size_t line,
                                      struct pat_err *err);

/* Read path with separator sep (0: detect); *used receives the separator. */
enum pat_status pat_table_read(const char *path, char sep, pat_row_fn fn, void *ctx, char *used,
                               struct pat_err *err);

/* The separator the first lines of text suggest: ',', ';' or '\t' (',' when
 * none fits). */
char pat_table_guess_sep(const char *text, size_t len);

/* 1 when the library was built with libcsv. */
int pat_table_available(void);

#endif /* PAT_READERS_TABLE_H */
