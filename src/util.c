/* util.c - error reporting and checked size arithmetic. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pat_status pat_fail(struct pat_err *err, enum pat_status status,
                         const char *fmt, ...) {
    if (err) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
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
