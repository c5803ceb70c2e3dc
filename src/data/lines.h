/* lines.h - line-by-line text input for the data readers: numbered lines,
 * comma fields, and the value rules shared by every CSV layout
 * (docs/data.md "CSV inputs"). No quoting: fields never contain commas. */
#ifndef PAT_DATA_LINES_H
#define PAT_DATA_LINES_H

#include <stddef.h>
#include <stdio.h>

#include "pat.h"

struct pat_lines {
    FILE *f;
    const char *path; /* borrowed */
    char *buf;
    size_t cap;
    size_t line;      /* 1-based number of the last line returned */
    size_t blank;     /* number of a blank line seen, 0 if none */
};

enum pat_status pat_lines_open(struct pat_lines *L, const char *path, struct pat_err *err);
void pat_lines_close(struct pat_lines *L);

/* Next line without its end of line; *text is NULL at the end. Blank lines
 * are accepted only at the end of the file; NUL bytes are refused. */
enum pat_status pat_lines_next(struct pat_lines *L, char **text, struct pat_err *err);

/* Split line in place at commas into at most max trimmed fields; returns the
 * number of fields found (more than max when the line has too many). */
size_t pat_fields(char *line, char **fields, size_t max);

/* Parse a numeric field: returns 1 for a finite number, 0 for a missing
 * marker (empty, "NA", "na"), -1 for text that is not a number, -2 for a
 * number that is not finite ("nan", "inf", 1e999). */
int pat_parse_value(const char *s, double *v);

/* ASCII case-insensitive equality. */
int pat_str_ieq(const char *a, const char *b);

#endif /* PAT_DATA_LINES_H */
