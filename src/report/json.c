/* json.c - the streaming JSON writer of json.h.
 *
 * State machine: depth/kind/items describe the open containers; before any
 * value, begin_value() writes the separator (or checks that a key came
 * first inside an object); after a complete value, end_value() marks the
 * document done when it was the root. Output errors are left to the
 * FILE's error flag and collected by pat_jw_finish().
 */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "util.h"

void pat_jw_init(struct pat_jw *w, FILE *f, int indent) {
    *w = (struct pat_jw){0};
    w->f = f;
    w->indent = indent > 0 ? indent : 0;
}

static int misuse(struct pat_jw *w, const char *why) {
    if (!w->misuse) w->misuse = why;
    return 0;
}

/* Newline and indentation for the current depth (pretty mode only). */
static void newline(struct pat_jw *w) {
    if (!w->indent) return;
    fputc('\n', w->f);
    for (size_t i = 0; i < w->depth * (size_t)w->indent; i++) fputc(' ', w->f);
}

/* ',' between items of the innermost container, then a new line. */
static void separator(struct pat_jw *w) {
    if (w->items[w->depth - 1]++ > 0) fputc(',', w->f);
    newline(w);
}

/* Ready the stream for a value; 0 if a value is not allowed here. */
static int begin_value(struct pat_jw *w) {
    if (w->misuse) return 0;
    if (w->depth == 0) return w->done ? misuse(w, "a second root value") : 1;
    if (w->kind[w->depth - 1] == '{') {
        if (!w->after_key) return misuse(w, "a value in an object without a key");
        w->after_key = 0;
        return 1;
    }
    separator(w);
    return 1;
}

static void end_value(struct pat_jw *w) {
    if (w->depth == 0) w->done = 1;
}

static void open_container(struct pat_jw *w, char kind) {
    if (!begin_value(w)) return;
    if (w->depth == PAT_JW_MAX_DEPTH) {
        misuse(w, "nesting deeper than PAT_JW_MAX_DEPTH");
        return;
    }
    fputc(kind, w->f);
    w->kind[w->depth] = kind;
    w->items[w->depth] = 0;
    w->depth++;
}

static void close_container(struct pat_jw *w, char kind) {
    if (w->misuse) return;
    if (w->depth == 0 || w->kind[w->depth - 1] != kind) {
        misuse(w, kind == '{' ? "object_end without an open object"
                              : "array_end without an open array");
        return;
    }
    if (w->after_key) {
        misuse(w, "a key without a value");
        return;
    }
    size_t had = w->items[--w->depth];
    if (had) newline(w);
    fputc(kind == '{' ? '}' : ']', w->f);
    end_value(w);
}

void pat_jw_object_begin(struct pat_jw *w) { open_container(w, '{'); }
void pat_jw_object_end(struct pat_jw *w) { close_container(w, '{'); }
void pat_jw_array_begin(struct pat_jw *w) { open_container(w, '['); }
void pat_jw_array_end(struct pat_jw *w) { close_container(w, '['); }

/* A quoted, escaped string of len bytes. */
static void put_string(FILE *f, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        switch (ch) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) fputs(esc, f);
        else if (ch < 0x20) fprintf(f, "\\u00%c%c", hex[ch >> 4], hex[ch & 15]);
        else fputc(ch, f);
    }
    fputc('"', f);
}

void pat_jw_key(struct pat_jw *w, const char *key) {
    if (w->misuse) return;
    if (w->depth == 0 || w->kind[w->depth - 1] != '{') {
        misuse(w, "a key outside an object");
        return;
    }
    if (w->after_key) {
        misuse(w, "two keys in a row");
        return;
    }
    separator(w);
    put_string(w->f, key ? key : "", key ? strlen(key) : 0);
    fputs(w->indent ? ": " : ":", w->f);
    w->after_key = 1;
}

void pat_jw_string_n(struct pat_jw *w, const char *s, size_t len) {
    if (!begin_value(w)) return;
    put_string(w->f, s, len);
    end_value(w);
}

void pat_jw_string(struct pat_jw *w, const char *s) {
    if (!s) {
        pat_jw_null(w);
        return;
    }
    pat_jw_string_n(w, s, strlen(s));
}

void pat_jw_number(struct pat_jw *w, double v) {
    if (!begin_value(w)) return;
    if (isfinite(v)) fprintf(w->f, "%.17g", v);
    else fputs("null", w->f);
    end_value(w);
}

void pat_jw_int(struct pat_jw *w, int64_t v) {
    if (!begin_value(w)) return;
    fprintf(w->f, "%" PRId64, v);
    end_value(w);
}

void pat_jw_uint(struct pat_jw *w, uint64_t v) {
    if (!begin_value(w)) return;
    fprintf(w->f, "%" PRIu64, v);
    end_value(w);
}

void pat_jw_bool(struct pat_jw *w, int v) {
    if (!begin_value(w)) return;
    fputs(v ? "true" : "false", w->f);
    end_value(w);
}

void pat_jw_null(struct pat_jw *w) {
    if (!begin_value(w)) return;
    fputs("null", w->f);
    end_value(w);
}

void pat_jw_numbers(struct pat_jw *w, const double *v, size_t n) {
    pat_jw_array_begin(w);
    for (size_t i = 0; i < n; i++) pat_jw_number(w, v[i]);
    pat_jw_array_end(w);
}

void pat_jw_key_string(struct pat_jw *w, const char *key, const char *s) {
    pat_jw_key(w, key);
    pat_jw_string(w, s);
}

void pat_jw_key_number(struct pat_jw *w, const char *key, double v) {
    pat_jw_key(w, key);
    pat_jw_number(w, v);
}

void pat_jw_key_int(struct pat_jw *w, const char *key, int64_t v) {
    pat_jw_key(w, key);
    pat_jw_int(w, v);
}

void pat_jw_key_uint(struct pat_jw *w, const char *key, uint64_t v) {
    pat_jw_key(w, key);
    pat_jw_uint(w, v);
}

void pat_jw_key_bool(struct pat_jw *w, const char *key, int v) {
    pat_jw_key(w, key);
    pat_jw_bool(w, v);
}

enum pat_status pat_jw_finish(struct pat_jw *w, struct pat_err *err) {
    if (w->misuse) return pat_fail(err, PAT_ERR_USAGE, "JSON writer: %s", w->misuse);
    if (!w->done)
        return pat_fail(err, PAT_ERR_USAGE, "JSON writer: document incomplete (%zu open)",
                        w->depth);
    fputc('\n', w->f);
    if (fflush(w->f) != 0 || ferror(w->f))
        return pat_fail(err, PAT_ERR_IO, "JSON writer: write failed: %s", strerror(errno));
    return PAT_OK;
}
