/* check.h - a minimal test harness.
 *
 * Each test binary runs its cases with RUN(fn); every case prints one line:
 *   PASS name | FAIL name: why | SKIP name: why
 * tests/run.sh counts these lines over all binaries and prints the total.
 * A binary exits non-zero when any case failed.
 */
#ifndef PAT_CHECK_H
#define PAT_CHECK_H

#include <stddef.h>

#include "pat.h"

struct check_ctx {
    int failed;      /* the current case has failed */
    int skipped;     /* the current case was skipped */
    char why[512];   /* first failure or skip reason */
};

#define CHECK(ctx, cond) check_true((ctx), (cond), #cond, __FILE__, __LINE__)
#define CHECK_STATUS(ctx, got, want) \
    check_status((ctx), (got), (want), #got, __FILE__, __LINE__)
#define CHECK_CLOSE(ctx, got, want, tol) \
    check_close((ctx), (double)(got), (double)(want), (tol), #got, __FILE__, __LINE__)

int check_true(struct check_ctx *c, int cond, const char *expr, const char *file, int line);
int check_status(struct check_ctx *c, enum pat_status got, enum pat_status want,
                 const char *expr, const char *file, int line);
int check_close(struct check_ctx *c, double got, double want, double tol, const char *expr,
                const char *file, int line);
/* Fail the case with a formatted reason (first reason wins). */
void check_fail(struct check_ctx *c, const char *fmt, ...);
/* Mark the case skipped with a reason (e.g. a data folder is absent). */
void check_skip(struct check_ctx *c, const char *fmt, ...);

/* Run one case; returns 1 if it failed. */
int check_run(const char *name, void (*fn)(struct check_ctx *));
#define RUN(fn) (failures += check_run(#fn, fn))

/* Helpers shared by the tests. */
/* Directory holding the unpacked fixtures (PAT_FIXTURES or build/fixtures). */
const char *check_fixture_dir(void);
/* Directory for temporary files of this test run (created on first use). */
const char *check_tmp_dir(void);
/* Read a numeric CSV fully; returns rows*cols floats (malloc'd) or NULL. */
float *check_read_csv(const char *path, size_t *rows, size_t *cols);
/* Write bytes to a file; returns 1 on success. */
int check_write_file(const char *path, const void *data, size_t len);
/* Read a whole file (malloc'd); NULL on failure. */
unsigned char *check_read_file(const char *path, size_t *len);

#endif /* PAT_CHECK_H */
