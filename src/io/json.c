/* json.c - a small strict JSON parser (see json.h).
 *
 * Recursive descent with an explicit depth limit. Every read is checked
 * against the input length; decoded strings go to one pool allocated up
 * front (a decoded string plus its NUL never exceeds its quoted source, so
 * len + 1 bytes always suffice).
 */
#include "io/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    struct pat_json_node *nodes;
    size_t n, cap;
    char *pool;
    size_t pool_len;
    char *why;
    size_t why_len;
};

static int fail(struct parser *p, const char *fmt, ...) {
    char msg[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->why_len) snprintf(p->why, p->why_len, "at byte %zu: %s", p->pos, msg);
    return 0;
}

static void skip_ws(struct parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
        p->pos++;
    }
}

/* Append a node; *out receives its index. */
static int new_node(struct parser *p, enum pat_json_type type, size_t *out) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct pat_json_node *g =
            cap > p->cap && cap <= (size_t)-1 / sizeof *g ? realloc(p->nodes, cap * sizeof *g)
                                                          : NULL;
        if (!g) return fail(p, "out of memory");
        p->nodes = g;
        p->cap = cap;
    }
    memset(&p->nodes[p->n], 0, sizeof p->nodes[p->n]);
    p->nodes[p->n].type = type;
    p->nodes[p->n].pos = p->pos;
    *out = p->n++;
    return 1;
}

/* Length of the valid UTF-8 sequence starting at s (n bytes available), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) need = 2;
    else if (c >= 0xF0 && c <= 0xF4) need = 3;
    else return 0;
    if (c == 0xE0) lo = 0xA0;           /* overlong */
    if (c == 0xED) hi = 0x9F;           /* surrogates */
    if (c == 0xF0) lo = 0x90;           /* overlong */
    if (c == 0xF4) hi = 0x8F;           /* above U+10FFFF */
    if (n < need + 1 || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i <= need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return need + 1;
}

int pat_json_utf8_valid(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq_len(u + i, len - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static size_t encode_utf8(unsigned long cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Four hex digits at p->pos; advances past them. */
static int parse_hex4(struct parser *p, unsigned long *cp) {
    if (p->len - p->pos < 4) return fail(p, "truncated \\u escape");
    unsigned long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + (size_t)i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return fail(p, "invalid hex digit in \\u escape");
        v = v * 16 + (unsigned long)d;
    }
    p->pos += 4;
    *cp = v;
    return 1;
}

/* \uXXXX (p->pos just after the 'u'), with surrogate pairs, into dst. */
static int parse_unicode(struct parser *p, char *dst, size_t *n) {
    unsigned long cp, lo;
    if (!parse_hex4(p, &cp)) return 0;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(p, "unpaired low surrogate \\u%04lx", cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
            return fail(p, "unpaired high surrogate \\u%04lx", cp);
        p->pos += 2;
        if (!parse_hex4(p, &lo)) return 0;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(p, "high surrogate not followed by a low surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0) return fail(p, "\\u0000 is not allowed in strings");
    *n = encode_utf8(cp, dst);
    return 1;
}

/* One escape (p->pos at the char after the backslash) into dst. */
static int parse_escape(struct parser *p, char *dst, size_t *n) {
    if (p->pos >= p->len) return fail(p, "unterminated string");
    char c = p->s[p->pos++];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        dst[0] = to[hit - from];
        *n = 1;
        return 1;
    }
    if (c == 'u') return parse_unicode(p, dst, n);
    p->pos--;
    return fail(p, "invalid escape '\\%c'", c >= 0x20 && c < 0x7F ? c : '?');
}

/* String at p->pos (the opening quote) into the pool. */
static int parse_string(struct parser *p, const char **str, size_t *slen) {
    char *dst = p->pool + p->pool_len;
    size_t n = 0;
    p->pos++;
    for (;;) {
        if (p->pos >= p->len) return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        size_t k = 1;
        if (c == '"') break;
        if (c == '\\') {
            p->pos++;
            if (!parse_escape(p, dst + n, &k)) return 0;
            n += k;
            continue;
        }
        if (c < 0x20) return fail(p, "control character 0x%02x in string", c);
        k = utf8_seq_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
        if (!k) return fail(p, "invalid UTF-8 in string");
        memcpy(dst + n, p->s + p->pos, k);
        n += k;
        p->pos += k;
    }
    p->pos++;
    dst[n] = '\0';
    p->pool_len += n + 1;
    *str = dst;
    *slen = n;
    return 1;
}

static int is_digit(const struct parser *p) {
    return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

/* Digits [start, end) (optionally after '-') as int64; 0 when out of range. */
static int int_value(const char *s, size_t start, size_t end, int64_t *out) {
    int neg = s[start] == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (size_t i = start + (size_t)neg; i < end; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return 1;
}

static int parse_number(struct parser *p, size_t node) {
    size_t start = p->pos;
    int is_int = 1;
    if (p->s[p->pos] == '-') p->pos++;
    if (!is_digit(p)) return fail(p, "invalid number");
    if (p->s[p->pos] == '0') p->pos++;
    else while (is_digit(p)) p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        is_int = 0;
        if (!is_digit(p)) return fail(p, "digit expected after '.'");
        while (is_digit(p)) p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        is_int = 0;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (!is_digit(p)) return fail(p, "digit expected in exponent");
        while (is_digit(p)) p->pos++;
    }
    p->nodes[node].type = is_int ? PAT_JSON_INT : PAT_JSON_NUMBER;
    if (is_int && !int_value(p->s, start, p->pos, &p->nodes[node].num)) {
        p->pos = start;
        return fail(p, "integer out of range");
    }
    return 1;
}

static int parse_literal(struct parser *p, size_t node) {
    static const char *const words[3] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (p->len - p->pos >= n && memcmp(p->s + p->pos, words[i], n) == 0) {
            p->nodes[node].type = i == 2 ? PAT_JSON_NULL : PAT_JSON_BOOL;
            p->nodes[node].num = i == 0;
            p->pos += n;
            return 1;
        }
    }
    return fail(p, "unexpected character");
}

static int parse_value(struct parser *p, int depth, size_t *out);

/* Link child after *last under parent. */
static void link_child(struct parser *p, size_t parent, size_t *last, size_t child) {
    if (p->nodes[parent].count++ == 0) p->nodes[parent].first = child;
    else p->nodes[*last].next = child;
    *last = child;
}

/* Array or object at p->pos (the opening bracket). */
static int parse_container(struct parser *p, int depth, size_t node) {
    int is_obj = p->s[p->pos] == '{';
    char close = is_obj ? '}' : ']';
    size_t last = 0;
    if (depth >= PAT_JSON_MAX_DEPTH) return fail(p, "nesting deeper than %d", PAT_JSON_MAX_DEPTH);
    p->nodes[node].type = is_obj ? PAT_JSON_OBJECT : PAT_JSON_ARRAY;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return 1;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0, child;
        skip_ws(p);
        if (is_obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "member name expected");
            if (!parse_string(p, &key, &key_len)) return 0;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') return fail(p, "':' expected");
            p->pos++;
        }
        if (!parse_value(p, depth + 1, &child)) return 0;
        p->nodes[child].key = key;
        p->nodes[child].key_len = key_len;
        link_child(p, node, &last, child);
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
        if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; return 1; }
        return fail(p, "',' or '%c' expected", close);
    }
}

static int parse_value(struct parser *p, int depth, size_t *out) {
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, "unexpected end of input");
    if (!new_node(p, PAT_JSON_NULL, out)) return 0;
    char c = p->s[p->pos];
    if (c == '{' || c == '[') return parse_container(p, depth, *out);
    if (c == '"') {
        p->nodes[*out].type = PAT_JSON_STRING;
        return parse_string(p, &p->nodes[*out].str, &p->nodes[*out].len);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, *out);
    return parse_literal(p, *out);
}

int pat_json_parse(struct pat_json *doc, const char *text, size_t len, char *why,
                   size_t why_len) {
    struct parser p = {.s = text, .len = len, .why = why, .why_len = why_len};
    size_t root;
    memset(doc, 0, sizeof *doc);
    if (why_len) why[0] = '\0';
    p.pool = len < (size_t)-1 ? malloc(len + 1) : NULL;
    int ok = p.pool ? parse_value(&p, 0, &root) : fail(&p, "out of memory");
    if (ok) {
        skip_ws(&p);
        if (p.pos != p.len) ok = fail(&p, "unexpected data after the JSON value");
    }
    if (!ok) {
        free(p.nodes);
        free(p.pool);
        return 0;
    }
    doc->nodes = p.nodes;
    doc->num_nodes = p.n;
    doc->pool = p.pool;
    return 1;
}

void pat_json_free(struct pat_json *doc) {
    free(doc->nodes);
    free(doc->pool);
    memset(doc, 0, sizeof *doc);
}

size_t pat_json_first(const struct pat_json *doc, size_t i) {
    return doc->nodes[i].count ? doc->nodes[i].first : 0;
}

const char *pat_json_type_name(enum pat_json_type t) {
    switch (t) {
    case PAT_JSON_NULL: return "null";
    case PAT_JSON_BOOL: return "boolean";
    case PAT_JSON_INT: return "integer";
    case PAT_JSON_NUMBER: return "non-integer number";
    case PAT_JSON_STRING: return "string";
    case PAT_JSON_ARRAY: return "array";
    case PAT_JSON_OBJECT: return "object";
    }
    return "?";
}
