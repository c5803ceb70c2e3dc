/* json.h - a small streaming JSON writer to a FILE * (results files).
 *
 *     struct pat_jw w;
 *     pat_jw_init(&w, f, 2);                 // 2-space indent; 0: one line
 *     pat_jw_object_begin(&w);
 *     pat_jw_key_string(&w, "model", "PAT-M");
 *     pat_jw_key_number(&w, "auc", 0.7312);
 *     pat_jw_key(&w, "val_auc");
 *     pat_jw_numbers(&w, val_auc, epochs);   // [0.61, 0.64, ...]
 *     pat_jw_object_end(&w);
 *     if (pat_jw_finish(&w, &err) != PAT_OK) ...
 *
 * Commas, ':' and indentation are automatic. Strings are escaped (quote,
 * backslash, control characters as \n \t ... or \u00XX; other bytes,
 * UTF-8 included, are copied). Numbers print with %.17g (exact double round
 * trip; assumes the C locale's '.' decimal point); NaN and ±Inf print as
 * null. The first misuse (a value in an object without a key, a key in an
 * array, a mismatched end, nesting deeper than PAT_JW_MAX_DEPTH, a second
 * root value) is remembered, makes later calls no-ops, and is reported by
 * pat_jw_finish. The writer holds no memory; it never closes the FILE.
 */
#ifndef PAT_REPORT_JSON_H
#define PAT_REPORT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pat.h"

#define PAT_JW_MAX_DEPTH 32

struct pat_jw {
    FILE *f;
    int indent;                       /* spaces per level; 0: compact */
    size_t depth;                     /* open containers */
    char kind[PAT_JW_MAX_DEPTH];      /* '{' or '[' per open container */
    size_t items[PAT_JW_MAX_DEPTH];   /* members/elements written in each */
    int after_key;                    /* a key was written; its value is due */
    int done;                         /* the root value is complete */
    const char *misuse;               /* first usage error, or NULL */
};

void pat_jw_init(struct pat_jw *w, FILE *f, int indent);

void pat_jw_object_begin(struct pat_jw *w);
void pat_jw_object_end(struct pat_jw *w);
void pat_jw_array_begin(struct pat_jw *w);
void pat_jw_array_end(struct pat_jw *w);

/* Member name inside an object; the next call writes its value. */
void pat_jw_key(struct pat_jw *w, const char *key);

void pat_jw_string(struct pat_jw *w, const char *s); /* NULL writes null */
void pat_jw_string_n(struct pat_jw *w, const char *s, size_t len); /* NUL -> \u0000 */
void pat_jw_number(struct pat_jw *w, double v);      /* %.17g; NaN/Inf -> null */
void pat_jw_int(struct pat_jw *w, int64_t v);
void pat_jw_uint(struct pat_jw *w, uint64_t v);
void pat_jw_bool(struct pat_jw *w, int v);
void pat_jw_null(struct pat_jw *w);
/* An array of n numbers (each as pat_jw_number). */
void pat_jw_numbers(struct pat_jw *w, const double *v, size_t n);

/* key + value in one call. */
void pat_jw_key_string(struct pat_jw *w, const char *key, const char *s);
void pat_jw_key_number(struct pat_jw *w, const char *key, double v);
void pat_jw_key_int(struct pat_jw *w, const char *key, int64_t v);
void pat_jw_key_uint(struct pat_jw *w, const char *key, uint64_t v);
void pat_jw_key_bool(struct pat_jw *w, const char *key, int v);

/* End the document: a final newline and fflush. PAT_ERR_USAGE on misuse or
 * an incomplete document, PAT_ERR_IO if a write failed. */
enum pat_status pat_jw_finish(struct pat_jw *w, struct pat_err *err);

#endif /* PAT_REPORT_JSON_H */
