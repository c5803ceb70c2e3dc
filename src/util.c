/* util.c - error reporting and checked size arithmetic. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

enum pat_status pat_fail(struct pat_err *err, enum pat_status status,
                         const char *fmt, ...) {
    if (err) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        pat_escape_text(err->msg, sizeof err->msg);
    }
    return status;
}

/* Length of the valid, printable UTF-8 sequence at s (2 to 4 bytes), or 0. */
static size_t utf8_len(const unsigned char *s) {
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) return 0;              /* C1 controls */
    if (n == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0;              /* overlong */
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0;             /* surrogates */
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return n;
}

void pat_escape_text(char *msg, size_t cap) {
    char out[4 * PAT_ERR_MSG_LEN];
    const unsigned char *s = (const unsigned char *)msg;
    size_t o = 0, limit = cap < sizeof out ? cap - 1 : sizeof out - 1;
    int changed = 0;
    while (*s && o < limit) {
        size_t n = *s >= 0x20 && *s < 0x7F ? 1 : *s >= 0x80 ? utf8_len(s) : 0;
        if (n == 0) {
            if (o + 4 > limit) break;
            snprintf(out + o, 5, "\\x%02X", *s++);
            o += 4;
            changed = 1;
            continue;
        }
        if (o + n > limit) break;
        memcpy(out + o, s, n);
        o += n, s += n;
    }
    if (!changed) return;
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

const char *pat_strerror(enum pat_status status) {
    switch (status) {
    case PAT_OK: return "ok";
    case PAT_ERR_USAGE: return "usage error";
    case PAT_ERR_IO: return "I/O error";
    case PAT_ERR_FORMAT: return "format error";
    case PAT_ERR_NUMERIC: return "numeric error";
    case PAT_ERR_NOMEM: return "out of memory";
    case PAT_ERR_UNSUPPORTED: return "not supported by this build";
    }
    return "unknown error";
}

int pat_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

int pat_add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}

void *pat_calloc(size_t n, size_t size) {
    size_t bytes;
    if (!pat_mul_size(n, size, &bytes)) return NULL;
    return calloc(bytes ? n : 1, bytes ? size : 1);
}

char *pat_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

enum pat_status pat_open_input(const char *path, FILE **f, struct pat_err *err) {
    struct stat sb;
    *f = fopen(path, "rb");
    if (!*f) return pat_fail(err, PAT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(*f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(*f);
        *f = NULL;
        return pat_fail(err, PAT_ERR_IO, "%s: is a directory, not a file", path);
    }
    return PAT_OK;
}
