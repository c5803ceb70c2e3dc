/* body.h - request bodies to rows of minutes: CSV (as pat predict reads it)
 * or JSON {"sequences": [[...], ...]}.
 *
 * Every value must be a finite float32 number and every row must have the
 * length of the first; messages name "request body", the row and the value
 * (1-based) like the CLI's CSV reader does. A row longer than max_cols
 * values stops the parse with PAT_ERR_USAGE and *too_long set (the server
 * answers 413 Payload Too Large).
 */
#ifndef PAT_SERVE_BODY_H
#define PAT_SERVE_BODY_H

#include <stddef.h>

#include "pat.h"

/* rows x cols floats, row-major. */
struct serve_rows {
    float *v;
    size_t rows, cols, cap; /* cap: floats allocated */
};

void serve_rows_free(struct serve_rows *r);

/* JSON: an object with a member "sequences" holding a non-empty array of
 * non-empty arrays of numbers; other members are skipped (nesting at most
 * SERVE_JSON_MAX_DEPTH). */
#define SERVE_JSON_MAX_DEPTH 32
enum pat_status serve_parse_json(const char *text, size_t len, size_t max_cols,
                                 struct serve_rows *out, int *too_long, struct pat_err *err);

/* CSV: one sequence per line, no header (io/csv.h). */
enum pat_status serve_parse_csv(const char *text, size_t len, size_t max_cols,
                                struct serve_rows *out, int *too_long, struct pat_err *err);

/* JSON when content_type names JSON, CSV when it names CSV, else by the
 * first non-blank byte ('{' is JSON). */
enum pat_status serve_parse_rows(const char *content_type, const char *text, size_t len,
                                 size_t max_cols, struct serve_rows *out, int *too_long,
                                 struct pat_err *err);

#endif /* PAT_SERVE_BODY_H */
