/* common.c - exit codes, error reports and output files (report/atomic.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dist/dist.h"
#include "util.h"

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

/* "pat CMD: " or, from a rank other than 0 of an MPI job, "pat CMD (rank
 * R of N): " after a pause: an error every rank meets is reported once, by
 * rank 0, whose pat_dist_abort ends the others while they wait; one only
 * this rank meets still gets reported. */
static void error_prefix(const char *cmd) {
    struct pat_dist d;
    pat_dist_world(&d);
    if (d.size > 1 && d.rank > 0) {
        sleep(2);
        fprintf(stderr, "pat %s (rank %d of %d): ", cmd, d.rank, d.size);
    } else {
        fprintf(stderr, "pat %s: ", cmd);
    }
}

/* Messages echo bytes of files and arguments: escaped (util.h) first. */
int cli_report(const char *cmd, const struct pat_err *err) {
    char msg[PAT_ERR_MSG_LEN];
    snprintf(msg, sizeof msg, "%s", err->msg);
    pat_escape_text(msg, sizeof msg);
    error_prefix(cmd);
    fprintf(stderr, "%s\n", msg);
    return cli_exit_code(err->status);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    char msg[PAT_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pat_escape_text(msg, sizeof msg);
    error_prefix(cmd);
    fprintf(stderr, "%s\nTry 'pat %s --help'.\n", msg, cmd);
    return EXIT_USAGE;
}

void cli_set_threads(int threads) {
#ifndef PAT_NO_THREADS
    /* OMP_NUM_THREADS=100000 would start that many threads: the
     * environment is held to the same limit as -t. */
    if (threads <= 0) threads = pat_threads() > CLI_MAX_THREADS ? CLI_MAX_THREADS : 0;
    if (threads > CLI_MAX_THREADS) threads = CLI_MAX_THREADS;
    if (threads > 0) pat_set_threads((size_t)(threads));
#else
    (void)threads;
#endif
}

enum pat_status output_open(struct output *o, const char *path, struct pat_err *err) {
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return PAT_OK;
    }
    enum pat_status st = pat_atomic_open(&o->file, path, err);
    if (st != PAT_OK) return st;
    o->f = o->file.f;
    o->path = o->file.path;
    return PAT_OK;
}

enum pat_status output_commit(struct output *o, struct pat_err *err) {
    if (!o->path) {
        if (fflush(stdout) != 0 || ferror(stdout)) {
            err->status = PAT_ERR_IO;
            snprintf(err->msg, sizeof err->msg, "standard output: %s", strerror(errno));
            return PAT_ERR_IO;
        }
        return PAT_OK;
    }
    enum pat_status st = pat_atomic_commit(&o->file, err);
    memset(o, 0, sizeof *o);
    return st;
}

void output_abort(struct output *o) {
    if (o->path) pat_atomic_abort(&o->file);
    memset(o, 0, sizeof *o);
}

enum pat_status cli_check_finite(const float *v, size_t rows, size_t width, size_t first_row,
                                 const char *model, struct pat_err *err) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < width; j++)
            if (!isfinite(v[r * width + j])) {
                err->status = PAT_ERR_NUMERIC;
                snprintf(err->msg, sizeof err->msg,
                         "model %s gave %s for row %zu (column %zu): an input value, a weight "
                         "or the scaler is out of float range; nothing written",
                         model, isnan(v[r * width + j]) ? "NaN" : "an infinite value",
                         first_row + r, j + 1);
                return PAT_ERR_NUMERIC;
            }
    return PAT_OK;
}

int cli_parse_max_minutes(const char *cmd, const char *arg, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v < 1 || v > ((size_t)1 << 26))
        return cli_usage_error(cmd, "--max-minutes must be 1..%zu, got '%s'",
                               (size_t)1 << 26, arg);
    *out = (size_t)v;
    return EXIT_OK;
}

int cli_parse_precision(const char *cmd, const char *arg, enum pat_precision *out) {
    if (strcmp(arg, "fp32") == 0 || strcmp(arg, "float32") == 0)
        *out = PAT_PRECISION_FP32;
    else if (strcmp(arg, "bf16") == 0 || strcmp(arg, "bfloat16") == 0)
        *out = PAT_PRECISION_BF16;
    else
        return cli_usage_error(cmd, "--precision must be fp32 or bf16, got '%s'", arg);
    return EXIT_OK;
}

void cli_note_precision(const char *cmd, enum pat_precision p, int quiet) {
    if (quiet || p != PAT_PRECISION_BF16) return;
    const char *path = pat_precision_path(p);
    if (strstr(path, "emulated"))
        fprintf(stderr, "pat %s: %s: the same results as on a CPU with AVX512-BF16, slower "
                        "than fp32\n", cmd, path);
}

enum pat_status cli_check_row_length(size_t T, size_t max, size_t row, const char *path,
                                     struct pat_err *err) {
    if (T <= max) return PAT_OK;
    err->status = PAT_ERR_USAGE;
    snprintf(err->msg, sizeof err->msg,
             "%s: row %zu has %zu minutes, more than the limit of %zu (attention's cost grows "
             "with the square of the length); raise it with --max-minutes if you mean it",
             path, row, T, max);
    return PAT_ERR_USAGE;
}

enum pat_status cli_check_train_range(const float *const *rows, const float *v, size_t n,
                                      size_t cols, const char *path, struct pat_err *err) {
    for (size_t i = 0; i < n; i++) {
        const float *row = rows ? rows[i] : v + i * cols;
        for (size_t j = 0; j < cols; j++)
            if (fabsf(row[j]) > CLI_TRAIN_ABS_MAX) {
                err->status = PAT_ERR_NUMERIC;
                snprintf(err->msg, sizeof err->msg,
                         "%s: row %zu, column %zu is %g, out of the range pat can train on "
                         "(|x| <= %g): check the values (or their units)",
                         path, i + 1, j + 1, (double)row[j], CLI_TRAIN_ABS_MAX);
                return PAT_ERR_NUMERIC;
            }
    }
    return PAT_OK;
}

void output_row(struct output *o, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(o->f, i ? ",%.9g" : "%.9g", (double)v[i]);
    fputc('\n', o->f);
}

enum pat_status cli_rank_sequences(const char *cmd, const struct pat_dist *d, size_t mine,
                                   double **per_rank, int quiet, struct pat_err *err) {
    const size_t n = (size_t)pat_dist_ranks(d);
    size_t *bytes = pat_calloc(n, sizeof *bytes), *counts = pat_calloc(n, sizeof *counts);
    *per_rank = pat_calloc(n, sizeof **per_rank);
    enum pat_status st = PAT_OK;
    if (!bytes || !counts || !*per_rank)
        st = pat_fail(err, PAT_ERR_NOMEM, "out of memory for %zu processes' counts", n);
    for (size_t r = 0; st == PAT_OK && r < n; r++) bytes[r] = sizeof mine;
    if (st == PAT_OK) st = pat_dist_gather(d, &mine, counts, bytes, err);
    for (size_t r = 0; st == PAT_OK && r < n; r++) (*per_rank)[r] = (double)counts[r];
    if (st == PAT_OK && !quiet && n > 1 && pat_dist_is_root(d)) {
        fprintf(stderr, "pat %s: %zu processes computed", cmd, n);
        for (size_t r = 0; r < n; r++) fprintf(stderr, "%s%zu", r ? ", " : " ", counts[r]);
        fprintf(stderr, " training sequences (each its share of every batch)\n");
    }
    free(bytes), free(counts);
    return st;
}
