/* fields.h - helpers shared by the text readers: a header's column names,
 * numbers with a decimal point or (';'-separated files) a decimal comma,
 * and handing a finished series to the consumer. */
#ifndef PAT_READERS_FIELDS_H
#define PAT_READERS_FIELDS_H

#include <stddef.h>

#include "data/series.h"

struct pat_header {
    char **name;
    size_t n;
};

/* Copy nf names (replacing h's). */
enum pat_status pat_header_set(struct pat_header *h, char **field, size_t nf,
                               struct pat_err *err);
void pat_header_free(struct pat_header *h);
/* Column of name (ASCII case-insensitive, spaces and '_' ignored), -1 if none. */
int pat_header_find(const struct pat_header *h, const char *name);
/* "a, b, c" of the names into buf. */
void pat_header_list(const struct pat_header *h, char *buf, size_t len);

/* 1: a finite number in *v; 0: a missing marker (empty, NA, NaN as text
 * "NA"/"na"); -1: not a number. A decimal comma is read when sep is ';'
 * or tab. */
int pat_number(const char *s, char sep, double *v);

/* Hand s to fn and count it; s is freed either way. */
enum pat_status pat_emit(struct pat_series *s, pat_series_fn fn, void *ctx, size_t *count,
                         struct pat_err *err);

#endif /* PAT_READERS_FIELDS_H */
