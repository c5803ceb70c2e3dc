/* cli.h - shared pieces of the pat command-line tool. */
#ifndef PAT_CLI_H
#define PAT_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "eval/metrics.h"
#include "pat.h"
#include "report/json.h"

/* Exit codes (documented in docs/cli.md). */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_OTHER = 1, /* out of memory, unsupported feature */
    EXIT_USAGE = 2,         /* bad command line or argument */
    EXIT_IO = 3,            /* a file could not be read or written */
    EXIT_FORMAT = 4,        /* a file is malformed */
    EXIT_NUMERIC = 5,       /* NaN, Inf or non-number in input */
};

/* Exit code for a library status. */
int cli_exit_code(enum pat_status st);

/* Print "pat CMD: message" to stderr and return the exit code for st. */
int cli_report(const char *cmd, const struct pat_err *err);

/* Print "pat CMD: fmt..." to stderr and return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* An output that appears only when complete: a temporary file beside the
 * target, renamed over it by output_commit; stdout when path is NULL or "-". */
struct output {
    FILE *f;
    char *path;     /* final path, NULL for stdout */
    char *tmp_path; /* temporary file, NULL for stdout */
};

enum pat_status output_open(struct output *o, const char *path, struct pat_err *err);
enum pat_status output_commit(struct output *o, struct pat_err *err);
void output_abort(struct output *o); /* removes the temporary file */

/* Write n floats as one CSV line with %.9g. */
void output_row(struct output *o, const float *v, size_t n);

/* Apply --threads (0 keeps the default: pat_set_threads). */
void cli_set_threads(int threads);

/* A whole numeric CSV in memory: rows x cols floats. */
struct matrix {
    float *v;
    size_t rows, cols;
};

/* Read a whole CSV matrix (errors name row and column). */
enum pat_status cli_load_matrix(const char *path, struct matrix *out, struct pat_err *err);
/* Read one 0/1 label per line; must have expect_rows lines (x_path names
 * the matching sequences in messages). */
enum pat_status cli_load_labels(const char *path, size_t expect_rows, const char *x_path,
                                struct matrix *out, struct pat_err *err);
void matrix_free(struct matrix *m);

/* 1 when path names a pat dataset (.patd). */
int cli_is_dataset(const char *path);
/* Labelled rows of one split of a dataset (`split` < 0: every labelled
 * row) as a matrix and labels, as stored (after the dataset's transform:
 * cli_rows_transform). x->rows may be 0. */
enum pat_status cli_load_dataset_split(const char *path, int split, struct matrix *x,
                                       struct matrix *y, struct pat_err *err);

/* Input transforms (docs/cli.md "Input transforms"). A dataset stores its
 * rows after its transform (pat data build --log1p); a CSV holds raw
 * minutes; a model applies its own (pat.input_transform) to raw minutes. */

/* "none" or "log1p": the transform the rows of path went through (a CSV:
 * "none"). */
enum pat_status cli_rows_transform(const char *path, const char **transform,
                                   struct pat_err *err);
/* x = log(1 + x) in place; every value must be > -1 (errors name path, row
 * and column). */
enum pat_status cli_apply_log1p(struct matrix *x, const char *path, struct pat_err *err);
/* Scoring rows of path (stored with rows_tr) with model m: brings x to the
 * model's input space (log1p applied to raw rows of a log1p model), so that
 * it can be scored with the transform skipped (pat_train_predict). Refused
 * when the rows went through a transform the model does not have. x NULL:
 * only the check. */
enum pat_status cli_rows_for_model(struct matrix *x, const char *rows_tr,
                                   const struct pat_model *m, const char *path,
                                   const char *model_path, struct pat_err *err);

/* Metrics reported by eval and finetune. */
struct eval_metrics {
    size_t n, positives, bootstrap;
    double roc_auc, ci_lo, ci_hi, keras_auc, pr_auc, threshold;
    struct pat_binary_metrics at;
};

/* Compute every metric; bootstrap 0 skips the confidence interval. */
enum pat_status eval_metrics_compute(struct eval_metrics *e, const float *prob,
                                     const float *label, size_t n, double threshold,
                                     size_t bootstrap, unsigned long long seed,
                                     struct pat_err *err);
void eval_metrics_print(FILE *f, const struct eval_metrics *e);
void eval_metrics_json(struct pat_jw *w, const struct eval_metrics *e);

/* Subcommands: argc/argv start at the subcommand name. */
int cmd_info(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_finetune(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_pretrain(int argc, char **argv);

#endif /* PAT_CLI_H */
