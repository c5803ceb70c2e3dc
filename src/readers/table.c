/* table.c - delimited tables through libcsv (table.h). The only file that
 * includes <csv.h>. */
#include "readers/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_LINE ((size_t)16 << 20) /* longest physical line accepted */

/* Separator count outside quotes in line s[0..n). */
static size_t count_sep(const char *s, size_t n, char sep) {
    size_t c = 0;
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') quoted = !quoted;
        else if (s[i] == sep && !quoted) c++;
    }
    return c;
}

char pat_table_guess_sep(const char *text, size_t len) {
    static const char cand[3] = {'\t', ';', ','};
    size_t best_score = 0;
    char best = ',';
    for (int k = 0; k < 3; k++) {
        size_t counts[64], nl = 0;
        const char *p = text, *end = text + len;
        while (p < end && nl < 64) {
            const char *e = memchr(p, '\n', (size_t)(end - p));
            if (!e) break; /* the last, possibly cut, line is left out */
            counts[nl++] = count_sep(p, (size_t)(e - p), cand[k]);
            p = e + 1;
        }
        if (nl == 0 && p < end) counts[nl++] = count_sep(p, (size_t)(end - p), cand[k]);
        /* score: lines sharing the most common non-zero count */
        size_t score = 0;
        for (size_t i = 0; i < nl; i++) {
            if (!counts[i]) continue;
            size_t same = 0;
            for (size_t j = 0; j < nl; j++) same += counts[j] == counts[i];
            if (same > score) score = same;
        }
        if (score > best_score) best_score = score, best = cand[k];
    }
    return best;
}

#ifdef PAT_HAVE_LIBCSV
#include <csv.h>

struct rows {
    const char *path;
    pat_row_fn fn;
    void *ctx;
    struct pat_err *err;
    enum pat_status st;
    size_t line;
    char *buf; /* fields of the current row, each NUL-terminated */
    size_t len, cap;
    size_t off[PAT_TABLE_MAX_FIELDS];
    size_t nf;
    int too_many;
};

static int trim_char(char c) { return c == ' ' || c == '\r'; }

static void on_field(void *field, size_t n, void *data) {
    struct rows *r = data;
    if (r->st != PAT_OK) return;
    const char *s = field ? field : "";
    if (memchr(s, '\0', n)) {
        r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s:%zu: NUL byte in a field", r->path, r->line);
        return;
    }
    while (n && trim_char(s[0])) s++, n--;
    while (n && trim_char(s[n - 1])) n--;
    if (r->nf == PAT_TABLE_MAX_FIELDS) {
        r->too_many = 1;
        return;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        while (cap < r->len + n + 1) cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b) {
            r->st = pat_fail(r->err, PAT_ERR_NOMEM, "%s:%zu: out of memory", r->path, r->line);
            return;
        }
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, s, n);
    r->off[r->nf++] = r->len;
    r->len += n;
    r->buf[r->len++] = '\0';
}

static void on_row(int term, void *data) {
    struct rows *r = data;
    (void)term;
    if (r->st == PAT_OK && r->too_many)
        r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s:%zu: more than %d fields", r->path,
                         r->line, PAT_TABLE_MAX_FIELDS);
    if (r->st == PAT_OK) {
        char *f[PAT_TABLE_MAX_FIELDS];
        for (size_t i = 0; i < r->nf; i++) f[i] = r->buf + r->off[i];
        int blank = r->nf == 0 || (r->nf == 1 && f[0][0] == '\0');
        if (!blank) r->st = r->fn(r->ctx, f, r->nf, r->line, r->err);
    }
    r->nf = r->len = 0;
    r->too_many = 0;
}

static enum pat_status feed(struct csv_parser *p, struct rows *r, FILE *f) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (r->st == PAT_OK && (n = getline(&line, &cap, f)) > 0) {
        const char *s = line;
        r->line++;
        if ((size_t)n > MAX_LINE) {
            r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s:%zu: line longer than %zu bytes",
                             r->path, r->line, MAX_LINE);
            break;
        }
        if (r->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3, n -= 3;
        if (csv_parse(p, s, (size_t)n, on_field, on_row, r) != (size_t)n && r->st == PAT_OK)
            r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s:%zu: %s", r->path, r->line,
                             csv_strerror(csv_error(p)));
        if (r->st == PAT_OK && csv_get_buffer_size(p) > MAX_LINE) /* a quoted field over lines */
            r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s:%zu: a field longer than %zu bytes",
                             r->path, r->line, MAX_LINE);
    }
    if (r->st == PAT_OK && ferror(f))
        r->st = pat_fail(r->err, PAT_ERR_IO, "%s: read error", r->path);
    if (r->st == PAT_OK && csv_fini(p, on_field, on_row, r) != 0 && r->st == PAT_OK)
        r->st = pat_fail(r->err, PAT_ERR_FORMAT, "%s:%zu: unterminated quoted field", r->path,
                         r->line);
    free(line);
    return r->st;
}

static char detect(FILE *f) {
    char head[16384];
    size_t n = fread(head, 1, sizeof head, f);
    rewind(f);
    return pat_table_guess_sep(head, n);
}

enum pat_status pat_table_read(const char *path, char sep, pat_row_fn fn, void *ctx, char *used,
                               struct pat_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return pat_fail(err, PAT_ERR_IO, "%s: cannot open", path);
    if (!sep) sep = detect(f);
    if (used) *used = sep;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(f);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    csv_set_delim(&p, (unsigned char)sep);
    struct rows r = {.path = path, .fn = fn, .ctx = ctx, .err = err, .st = PAT_OK};
    enum pat_status st = feed(&p, &r, f);
    csv_free(&p);
    free(r.buf);
    fclose(f);
    return st;
}

int pat_table_available(void) { return 1; }

#else /* without libcsv */

enum pat_status pat_table_read(const char *path, char sep, pat_row_fn fn, void *ctx, char *used,
                               struct pat_err *err) {
    (void)sep, (void)fn, (void)ctx, (void)used;
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: this pat was built without libcsv (apt-get "
                    "install libcsv-dev and rebuild)", path);
}

int pat_table_available(void) { return 0; }

#endif
