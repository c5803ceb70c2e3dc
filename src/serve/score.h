/* score.h - POST /v1/models/NAME/score: a recording in the request body
 * (any format pat score reads) -> pat score's participant and window rows
 * (JSON, or the participants CSV of `pat score -o`), or the explanation
 * chart of `pat score --chart` (SVG). The body is written to a private
 * temporary folder under the given file name (its extension picks the
 * reader; its stem is the participant id), scored with the model's own
 * recipe, and removed.
 */
#ifndef PAT_SERVE_SCORE_H
#define PAT_SERVE_SCORE_H

#include <stddef.h>

#include "pat.h"

enum serve_score_output { SCORE_JSON, SCORE_CSV, SCORE_SVG };

struct serve_score_query {
    const char *model_name, *model_path;
    const char *file_name;   /* ?name=, NULL: recording.csv */
    const char *format;      /* ?input= (pat score --format), NULL: auto */
    const char *participant; /* ?participant= for the chart, NULL: the first scored */
    enum serve_score_output output;
};

/* Score body[0..len) with m. *out (malloc'd, *out_len bytes) is the answer;
 * errors are PAT_ERR_USAGE/FORMAT/NUMERIC (the request's fault: 400),
 * PAT_ERR_IO/NOMEM (the server's). */
enum pat_status serve_score(const struct pat_model *m, const struct serve_score_query *q,
                            const char *body, size_t len, char **out, size_t *out_len,
                            struct pat_err *err);

/* 1 when m can score recordings: a head and an input recipe. */
int serve_score_ready(const struct pat_model *m);

#endif /* PAT_SERVE_SCORE_H */
