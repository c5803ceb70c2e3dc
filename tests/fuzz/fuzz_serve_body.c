/* fuzz_serve_body.c - pat serve's request body parsers (src/serve/body.c):
 * JSON {"sequences": [[...]]} and CSV rows, on an exact-size copy of the
 * input (bodies are not NUL-terminated). The first byte picks the parser
 * and the row-length limit. A parse that succeeds must give at least one
 * row, rows of at most the limit, and only finite values. */
#include <math.h>
#include <string.h>

#include "fuzz_common.h"
#include "serve/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const unsigned sel = data[0];
    const size_t n = size - 1, max_cols = (sel & 4) ? 8 : 100000;
    char *body = malloc(n ? n : 1);
    if (!body) return 0;
    memcpy(body, data + 1, n);
    static const char *const types[] = {NULL, "application/json", "text/csv", "text/plain"};
    struct serve_rows rows;
    struct pat_err err;
    int too_long = 0;
    if (serve_parse_rows(types[sel & 3], body, n, max_cols, &rows, &too_long, &err) == PAT_OK) {
        if (rows.rows == 0 || rows.cols == 0 || rows.cols > max_cols || too_long) abort();
        for (size_t i = 0; i < rows.rows * rows.cols; i++)
            if (!isfinite(rows.v[i])) abort();
        serve_rows_free(&rows);
    } else if (rows.v || err.msg[0] == '\0') {
        abort(); /* a failure frees everything and says why */
    }
    free(body);
    return 0;
}
