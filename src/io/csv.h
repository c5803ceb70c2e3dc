/* csv.h - numeric CSV matrices: one sequence per row, no header.
 *
 * Rows are streamed, so a cohort of any size is read in constant memory.
 * Every field must be a finite number; every row must have the length of
 * the first. Errors name the file, row and column (1-based).
 */
#ifndef PAT_CSV_H
#define PAT_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "pat.h"

struct pat_csv_reader;

/* Open `path` ("-" for standard input) for reading. */
enum pat_status pat_csv_open(const char *path, struct pat_csv_reader **out,
                             struct pat_err *err);

/* Read rows from an open stream (not closed by pat_csv_close); `name`
 * stands for the file in messages (e.g. "request body"). */
enum pat_status pat_csv_open_stream(FILE *f, const char *name, struct pat_csv_reader **out,
                                    struct pat_err *err);

/* Read the next row into the reader's buffer. *row points at its values
 * (borrowed, valid until the next call) and *cols is its length; at end of
 * file returns PAT_OK with *row NULL. */
enum pat_status pat_csv_next(struct pat_csv_reader *r, const float **row, size_t *cols,
                             struct pat_err *err);

/* 1-based number of the last row returned. */
size_t pat_csv_row_number(const struct pat_csv_reader *r);

void pat_csv_close(struct pat_csv_reader *r); /* NULL-safe */

#endif /* PAT_CSV_H */
