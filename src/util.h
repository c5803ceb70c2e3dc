/* util.h - error reporting, checked size arithmetic, small helpers. */
#ifndef PAT_UTIL_H
#define PAT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pat.h"

#if defined(__GNUC__)
#define PAT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PAT_PRINTF(a, b)
#endif

/* Fill err (may be NULL) with status and a formatted message; returns status. */
enum pat_status pat_fail(struct pat_err *err, enum pat_status status,
                         const char *fmt, ...) PAT_PRINTF(3, 4);

/* Rewrite msg (NUL-terminated, cap bytes) so that it is safe to show on a
 * terminal: control bytes, DEL, C1 controls and bytes that are not valid
 * UTF-8 become \xNN (an ESC sequence from a hostile CSV, byte 0x92 from an
 * XPT); printable ASCII and valid UTF-8 stay. Truncates to fit. pat_fail
 * applies it to every message. */
void pat_escape_text(char *msg, size_t cap);

/* Open path for reading ("rb") into *f; a directory or a missing file is
 * PAT_ERR_IO naming path (fopen accepts a directory and its reads then
 * fail, which readers reported as a format error). */
enum pat_status pat_open_input(const char *path, FILE **f, struct pat_err *err);

/* *out = a * b; returns 0 on overflow (out untouched), 1 on success. */
int pat_mul_size(size_t a, size_t b, size_t *out);
/* *out = a + b; returns 0 on overflow, 1 on success. */
int pat_add_size(size_t a, size_t b, size_t *out);

/* calloc of n elements of `size` bytes with overflow check; NULL on failure. */
void *pat_calloc(size_t n, size_t size);
/* strdup that returns NULL on failure. */
char *pat_strdup(const char *s);

#endif /* PAT_UTIL_H */
