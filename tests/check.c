/* check.c - the minimal test harness of check.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ftw.h>
#include <unistd.h>

static void vset_reason(struct check_ctx *c, const char *fmt, va_list ap) {
    if (c->why[0]) return;
    vsnprintf(c->why, sizeof c->why, fmt, ap);
}

void check_fail(struct check_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (!c->failed) {
        c->why[0] = '\0';
        vset_reason(c, fmt, ap);
    }
    va_end(ap);
    c->failed = 1;
}

void check_skip(struct check_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vset_reason(c, fmt, ap);
    va_end(ap);
    c->skipped = 1;
}

int check_true(struct check_ctx *c, int cond, const char *expr, const char *file, int line) {
    if (!cond) check_fail(c, "%s:%d: %s", file, line, expr);
    return cond;
}

int check_status(struct check_ctx *c, enum pat_status got, enum pat_status want,
                 const char *expr, const char *file, int line) {
    if (got != want)
        check_fail(c, "%s:%d: %s returned %s, expected %s", file, line, expr,
                   pat_strerror(got), pat_strerror(want));
    return got == want;
}

int check_close(struct check_ctx *c, double got, double want, double tol, const char *expr,
                const char *file, int line) {
    int ok = fabs(got - want) <= tol; /* false for NaN */
    if (!ok)
        check_fail(c, "%s:%d: %s = %.9g, expected %.9g (tolerance %g)", file, line, expr,
                   got, want, tol);
    return ok;
}

int check_run(const char *name, void (*fn)(struct check_ctx *)) {
    struct check_ctx c = {0};
    fn(&c);
    if (c.failed) {
        printf("FAIL %s: %s\n", name, c.why);
    } else if (c.skipped) {
        printf("SKIP %s: %s\n", name, c.why);
    } else {
        printf("PASS %s\n", name);
    }
    fflush(stdout);
    return c.failed;
}

const char *check_fixture_dir(void) {
    const char *d = getenv("PAT_FIXTURES");
    return d ? d : "build/fixtures";
}

static char tmp_dir[256]; /* set once per process by check_tmp_dir */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tmp_dir(void) {
    if (tmp_dir[0]) nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *check_tmp_dir(void) {
    if (!tmp_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/pat-test-%ld", base ? base : "/tmp",
                 (long)getpid());
        mkdir(tmp_dir, 0700);
        atexit(remove_tmp_dir);
    }
    return tmp_dir;
}

unsigned char *check_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

int check_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

float *check_read_csv(const char *path, size_t *rows, size_t *cols) {
    size_t len;
    unsigned char *text = check_read_file(path, &len);
    if (!text) return NULL;
    size_t cap = 1024, n = 0, r = 0, c0 = 0, c = 0;
    float *v = malloc(cap * sizeof *v);
    char *p = (char *)text;
    while (v && *p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p) break;
        if (n == cap) {
            float *g = realloc(v, (cap *= 2) * sizeof *v);
            if (!g) { free(v); v = NULL; break; }
            v = g;
        }
        v[n++] = (float)x;
        c++;
        p = end;
        if (*p == ',') { p++; continue; }
        if (*p == '\r') p++;
        if (*p == '\n' || *p == '\0') {
            if (r == 0) c0 = c;
            if (c != c0) { free(v); v = NULL; break; }
            r++;
            c = 0;
            if (*p) p++;
        }
    }
    free(text);
    if (!v) return NULL;
    *rows = r;
    *cols = c0;
    return v;
}
