/* common.c - exit codes, error reports and atomic output files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_exit_code(enum pat_status st) {
    switch (st) {
    case PAT_OK: return EXIT_OK;
    case PAT_ERR_USAGE: return EXIT_USAGE;
    case PAT_ERR_IO: return EXIT_IO;
    case PAT_ERR_FORMAT: return EXIT_FORMAT;
    case PAT_ERR_NUMERIC: return EXIT_NUMERIC;
    case PAT_ERR_NOMEM:
    case PAT_ERR_UNSUPPORTED: return EXIT_FAILURE_OTHER;
    }
    return EXIT_FAILURE_OTHER;
}

int cli_report(const char *cmd, const struct pat_err *err) {
    fprintf(stderr, "pat %s: %s\n", cmd, err->msg);
    return cli_exit_code(err->status);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pat %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'pat %s --help'.\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

void cli_set_threads(int threads) {
#ifndef PAT_NO_THREADS
    if (threads > 0) pat_set_threads((size_t)(threads));
#else
    (void)threads;
#endif
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

enum pat_status output_open(struct output *o, const char *path, struct pat_err *err) {
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return PAT_OK;
    }
    size_t n = strlen(path) + 32;
    o->path = dup_str(path);
    o->tmp_path = malloc(n);
    if (!o->path || !o->tmp_path) {
        output_abort(o);
        err->status = PAT_ERR_NOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return PAT_ERR_NOMEM;
    }
    snprintf(o->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp_path, "wb");
    if (!o->f) {
        err->status = PAT_ERR_IO;
        snprintf(err->msg, sizeof err->msg, "%s: cannot create: %s", path, strerror(errno));
        output_abort(o);
        return PAT_ERR_IO;
    }
    return PAT_OK;
}

enum pat_status output_commit(struct output *o, struct pat_err *err) {
    if (!o->path) {
        if (fflush(stdout) != 0) {
            err->status = PAT_ERR_IO;
            snprintf(err->msg, sizeof err->msg, "standard output: %s", strerror(errno));
            return PAT_ERR_IO;
        }
        return PAT_OK;
    }
    int bad = ferror(o->f) || fflush(o->f) != 0 || fsync(fileno(o->f)) != 0;
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (bad || rename(o->tmp_path, o->path) != 0) {
        err->status = PAT_ERR_IO;
        snprintf(err->msg, sizeof err->msg, "%s: cannot write: %s", o->path, strerror(errno));
        output_abort(o);
        return PAT_ERR_IO;
    }
    free(o->path);
    free(o->tmp_path);
    memset(o, 0, sizeof *o);
    return PAT_OK;
}

void output_abort(struct output *o) {
    if (o->path && o->f) fclose(o->f);
    if (o->tmp_path) remove(o->tmp_path);
    free(o->path);
    free(o->tmp_path);
    memset(o, 0, sizeof *o);
}

void output_row(struct output *o, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(o->f, i ? ",%.9g" : "%.9g", (double)v[i]);
    fputc('\n', o->f);
}
