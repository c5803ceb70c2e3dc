/* body.c - request bodies to rows of minutes (see body.h). */
#include "body.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/csv.h"
#include "util.h"

#define BODY "request body"
#define MAX_NUMBER_LEN 64 /* characters of one JSON number */

void serve_rows_free(struct serve_rows *r) {
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* Append n values as a new row (n must equal cols after the first row). */
static enum pat_status append_values(struct serve_rows *r, const float *v, size_t n,
                                     struct pat_err *err) {
    size_t need;
    if (!pat_mul_size(r->rows + 1, n, &need))
        return pat_fail(err, PAT_ERR_NOMEM, "%s: too many values", BODY);
    if (need > r->cap) {
        size_t cap = r->cap ? r->cap : n;
        while (cap < need)
            if (!pat_mul_size(cap, 2, &cap)) return pat_fail(err, PAT_ERR_NOMEM, "%s: too many values", BODY);
        float *g = cap <= SIZE_MAX / sizeof *g ? realloc(r->v, cap * sizeof *g) : NULL;
        if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory reading the %s", BODY);
        r->v = g;
        r->cap = cap;
    }
    memcpy(r->v + r->rows * n, v, n * sizeof *v);
    r->rows++;
    r->cols = n;
    return PAT_OK;
}

/* ---- JSON ------------------------------------------------------------ */

struct jp {
    const char *s;
    size_t n, i;
    size_t max_cols;
    int *too_long;
    struct serve_rows *out;
    float *row; /* values of the sequence being read */
    size_t row_cap;
    struct pat_err *err;
};

static void skip_ws(struct jp *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

static enum pat_status syntax(struct jp *p, const char *expected) {
    if (p->i >= p->n)
        return pat_fail(p->err, PAT_ERR_FORMAT, "%s: JSON ends early at byte %zu (expected %s)",
                        BODY, p->i + 1, expected);
    unsigned char c = (unsigned char)p->s[p->i];
    if (isprint(c))
        return pat_fail(p->err, PAT_ERR_FORMAT, "%s: JSON byte %zu: expected %s, found '%c'",
                        BODY, p->i + 1, expected, c);
    return pat_fail(p->err, PAT_ERR_FORMAT, "%s: JSON byte %zu: expected %s, found byte 0x%02x",
                    BODY, p->i + 1, expected, c);
}

/* Consume c after blanks, or fail naming what was expected. */
static enum pat_status expect(struct jp *p, char c, const char *what) {
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == c) {
        p->i++;
        return PAT_OK;
    }
    return syntax(p, what);
}

/* 1 when the next non-blank byte is c (consumed). */
static int accept(struct jp *p, char c) {
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == c) {
        p->i++;
        return 1;
    }
    return 0;
}

/* A string; its raw bytes (escapes undecoded) in [*start, *start+*len). */
static enum pat_status parse_string(struct jp *p, size_t *start, size_t *len) {
    enum pat_status st = expect(p, '"', "a string");
    if (st != PAT_OK) return st;
    *start = p->i;
    while (p->i < p->n && p->s[p->i] != '"') {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c < 0x20) return syntax(p, "a string character");
        p->i += c == '\\' ? 2 : 1;
    }
    if (p->i >= p->n) {
        p->i = p->n;
        return syntax(p, "'\"'");
    }
    *len = p->i - *start;
    p->i++;
    return PAT_OK;
}

/* Length of the JSON number token at s[0..n), 0 if there is none. */
static size_t number_token(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && isdigit((unsigned char)s[i])) i++;
    else return 0;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && isdigit((unsigned char)s[i])) i++;
        if (i == d) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        while (i < n && isdigit((unsigned char)s[i])) i++;
        if (i == d) return 0;
    }
    return i;
}

/* The bad token at the cursor, for a message: up to a delimiter, 40 bytes. */
static int bad_token_len(const struct jp *p) {
    size_t k = p->i;
    while (k < p->n && k - p->i < 40 && !strchr(",]} \t\r\n", p->s[k])) k++;
    return (int)(k - p->i);
}

static enum pat_status parse_number(struct jp *p, size_t seq, size_t col, float *v) {
    skip_ws(p);
    size_t len = number_token(p->s + p->i, p->n - p->i);
    if (len == 0 || len > MAX_NUMBER_LEN) {
        if (p->i >= p->n) return syntax(p, "a number");
        return pat_fail(p->err, PAT_ERR_FORMAT, "%s: sequence %zu, value %zu: '%.*s' is not a number",
                        BODY, seq, col, bad_token_len(p), p->s + p->i);
    }
    char buf[MAX_NUMBER_LEN + 1];
    memcpy(buf, p->s + p->i, len);
    buf[len] = '\0';
    double d = strtod(buf, NULL);
    if (!isfinite(d) || fabs(d) > 3.4028234663852886e38)
        return pat_fail(p->err, PAT_ERR_NUMERIC,
                        "%s: sequence %zu, value %zu: '%s' is not a finite float32 number", BODY,
                        seq, col, buf);
    *v = (float)d;
    p->i += len;
    return PAT_OK;
}

static enum pat_status push_row_value(struct jp *p, size_t k, float v) {
    if (k >= p->max_cols) {
        *p->too_long = 1;
        return pat_fail(p->err, PAT_ERR_USAGE, "%s: sequence %zu is longer than %zu values",
                        BODY, p->out->rows + 1, p->max_cols);
    }
    if (k == p->row_cap) {
        size_t cap = p->row_cap ? 2 * p->row_cap : 1024;
        if (cap > p->max_cols) cap = p->max_cols;
        float *g = cap <= SIZE_MAX / sizeof *g ? realloc(p->row, cap * sizeof *g) : NULL;
        if (!g) return pat_fail(p->err, PAT_ERR_NOMEM, "out of memory reading the %s", BODY);
        p->row = g;
        p->row_cap = cap;
    }
    p->row[k] = v;
    return PAT_OK;
}

/* One sequence: [number, ...], appended to the output. */
static enum pat_status parse_sequence(struct jp *p) {
    const size_t seq = p->out->rows + 1;
    enum pat_status st = expect(p, '[', "'[' opening a sequence");
    size_t k = 0;
    if (st == PAT_OK && accept(p, ']'))
        return pat_fail(p->err, PAT_ERR_FORMAT, "%s: sequence %zu is empty", BODY, seq);
    while (st == PAT_OK) {
        float v = 0.0f;
        st = parse_number(p, seq, k + 1, &v);
        if (st == PAT_OK) st = push_row_value(p, k, v);
        if (st != PAT_OK) break;
        k++;
        if (accept(p, ']')) break;
        st = expect(p, ',', "',' or ']' in a sequence");
    }
    if (st != PAT_OK) return st;
    if (p->out->rows > 0 && k != p->out->cols)
        return pat_fail(p->err, PAT_ERR_FORMAT,
                        "%s: sequence %zu has %zu values, expected %zu (as sequence 1)", BODY,
                        seq, k, p->out->cols);
    return append_values(p->out, p->row, k, p->err);
}

static enum pat_status parse_sequences(struct jp *p) {
    enum pat_status st = expect(p, '[', "'[' opening the list of sequences");
    if (st == PAT_OK && accept(p, ']'))
        return pat_fail(p->err, PAT_ERR_FORMAT, "%s: \"sequences\" is empty", BODY);
    while (st == PAT_OK) {
        st = parse_sequence(p);
        if (st != PAT_OK || accept(p, ']')) break;
        st = expect(p, ',', "',' or ']' after a sequence");
    }
    return st;
}

static enum pat_status skip_value(struct jp *p, int depth);

/* The rest of an object or array after its opening byte. */
static enum pat_status skip_container(struct jp *p, char close, int depth) {
    if (accept(p, close)) return PAT_OK;
    for (;;) {
        size_t a, b;
        enum pat_status st = PAT_OK;
        if (close == '}') {
            st = parse_string(p, &a, &b);
            if (st == PAT_OK) st = expect(p, ':', "':'");
        }
        if (st == PAT_OK) st = skip_value(p, depth + 1);
        if (st != PAT_OK || accept(p, close)) return st;
        if ((st = expect(p, ',', close == '}' ? "',' or '}'" : "',' or ']'")) != PAT_OK) return st;
    }
}

static enum pat_status skip_literal(struct jp *p, const char *word) {
    size_t n = strlen(word);
    if (p->n - p->i >= n && memcmp(p->s + p->i, word, n) == 0) {
        p->i += n;
        return PAT_OK;
    }
    return syntax(p, "a JSON value");
}

/* Any JSON value, checked for syntax and discarded. */
static enum pat_status skip_value(struct jp *p, int depth) {
    if (depth > SERVE_JSON_MAX_DEPTH)
        return pat_fail(p->err, PAT_ERR_FORMAT, "%s: JSON nested deeper than %d levels at byte %zu",
                        BODY, SERVE_JSON_MAX_DEPTH, p->i + 1);
    skip_ws(p);
    if (p->i >= p->n) return syntax(p, "a JSON value");
    size_t a, b, len;
    switch (p->s[p->i]) {
    case '{': p->i++; return skip_container(p, '}', depth);
    case '[': p->i++; return skip_container(p, ']', depth);
    case '"': return parse_string(p, &a, &b);
    case 't': return skip_literal(p, "true");
    case 'f': return skip_literal(p, "false");
    case 'n': return skip_literal(p, "null");
    default:
        len = number_token(p->s + p->i, p->n - p->i);
        if (len == 0) return syntax(p, "a JSON value");
        p->i += len;
        return PAT_OK;
    }
}

static enum pat_status parse_member(struct jp *p, int *seen) {
    size_t start = 0, len = 0;
    enum pat_status st = parse_string(p, &start, &len);
    if (st == PAT_OK) st = expect(p, ':', "':' after a member name");
    if (st != PAT_OK) return st;
    if (len == 9 && memcmp(p->s + start, "sequences", 9) == 0) {
        if (*seen)
            return pat_fail(p->err, PAT_ERR_FORMAT, "%s: \"sequences\" appears twice", BODY);
        *seen = 1;
        return parse_sequences(p);
    }
    return skip_value(p, 1);
}

enum pat_status serve_parse_json(const char *text, size_t len, size_t max_cols,
                                 struct serve_rows *out, int *too_long, struct pat_err *err) {
    struct jp p = {.s = text, .n = len, .max_cols = max_cols, .too_long = too_long, .out = out,
                   .err = err};
    memset(out, 0, sizeof *out);
    *too_long = 0;
    int seen = 0;
    enum pat_status st = expect(&p, '{', "'{' (a JSON object with \"sequences\")");
    if (st == PAT_OK && !accept(&p, '}'))
        for (;;) {
            st = parse_member(&p, &seen);
            if (st != PAT_OK || accept(&p, '}')) break;
            if ((st = expect(&p, ',', "',' or '}' after a member")) != PAT_OK) break;
        }
    if (st == PAT_OK) {
        skip_ws(&p);
        if (p.i < p.n) st = syntax(&p, "the end of the body after the JSON object");
    }
    if (st == PAT_OK && !seen)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: the JSON object has no \"sequences\" member", BODY);
    free(p.row);
    if (st != PAT_OK) serve_rows_free(out);
    return st;
}

/* ---- CSV ------------------------------------------------------------- */

static enum pat_status read_csv(struct pat_csv_reader *r, size_t max_cols,
                                struct serve_rows *out, int *too_long, struct pat_err *err) {
    for (;;) {
        const float *row;
        size_t cols;
        enum pat_status st = pat_csv_next(r, &row, &cols, err);
        if (st != PAT_OK || !row) return st;
        if (cols > max_cols) {
            *too_long = 1;
            return pat_fail(err, PAT_ERR_USAGE, "%s: row %zu is longer than %zu values", BODY,
                            out->rows + 1, max_cols);
        }
        if ((st = append_values(out, row, cols, err)) != PAT_OK) return st;
    }
}

enum pat_status serve_parse_csv(const char *text, size_t len, size_t max_cols,
                                struct serve_rows *out, int *too_long, struct pat_err *err) {
    memset(out, 0, sizeof *out);
    *too_long = 0;
    if (len == 0) return pat_fail(err, PAT_ERR_FORMAT, "%s: no rows", BODY);
    FILE *f = fmemopen((void *)text, len, "r");
    if (!f) return pat_fail(err, PAT_ERR_NOMEM, "out of memory reading the %s", BODY);
    struct pat_csv_reader *r = NULL;
    enum pat_status st = pat_csv_open_stream(f, BODY, &r, err);
    if (st == PAT_OK) st = read_csv(r, max_cols, out, too_long, err);
    pat_csv_close(r);
    fclose(f);
    if (st != PAT_OK) serve_rows_free(out);
    return st;
}

static int names(const char *content_type, const char *what) {
    if (!content_type) return 0;
    size_t n = strlen(what);
    for (const char *s = content_type; *s; s++)
        if (strncasecmp(s, what, n) == 0) return 1;
    return 0;
}

enum pat_status serve_parse_rows(const char *content_type, const char *text, size_t len,
                                 size_t max_cols, struct serve_rows *out, int *too_long,
                                 struct pat_err *err) {
    int json;
    if (names(content_type, "json")) json = 1;
    else if (names(content_type, "csv")) json = 0;
    else {
        size_t i = 0;
        while (i < len && isspace((unsigned char)text[i])) i++;
        json = i < len && text[i] == '{';
    }
    return json ? serve_parse_json(text, len, max_cols, out, too_long, err)
                : serve_parse_csv(text, len, max_cols, out, too_long, err);
}
