/* cli.h - shared pieces of the pat command-line tool. */
#ifndef PAT_CLI_H
#define PAT_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "eval/metrics.h"
#include "pat.h"
#include "report/atomic.h"
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

/* An output that appears only when complete: report/atomic.h's helper
 * (temporary + rename; symlinks followed; FIFOs and devices streamed);
 * stdout when path is NULL or "-". */
struct output {
    FILE *f;
    const char *path;            /* final path as given, NULL for stdout */
    struct pat_atomic_file file; /* unused for stdout */
};

enum pat_status output_open(struct output *o, const char *path, struct pat_err *err);
enum pat_status output_commit(struct output *o, struct pat_err *err);
void output_abort(struct output *o); /* removes the temporary file */

/* Every one of rows x width results finite? Else PAT_ERR_NUMERIC naming
 * the model, the 1-based row (first_row + r) and the column: a non-finite
 * value made inside pat is as fatal as one in the input. */
enum pat_status cli_check_finite(const float *v, size_t rows, size_t width, size_t first_row,
                                 const char *model, struct pat_err *err);

/* Write n floats as one CSV line with %.9g. */
void output_row(struct output *o, const float *v, size_t n);

/* Every process's count of the training sequences whose gradient it
 * computed (its share under mpirun), gathered in rank order into
 * *per_rank (malloc'd, d->size entries, filled on rank 0); every process
 * of the job must call it. With more than one process and !quiet, rank 0
 * prints them after "pat CMD: ". */
struct pat_dist;
enum pat_status cli_rank_sequences(const char *cmd, const struct pat_dist *d, size_t mine,
                                   double **per_rank, int quiet, struct pat_err *err);

/* Apply --threads (0 keeps the default: pat_set_threads, else
 * OMP_NUM_THREADS or all cores); either is capped at CLI_MAX_THREADS. pat's
 * main applies the cap once before any command runs. */
#define CLI_MAX_THREADS 1024
void cli_set_threads(int threads);

/* Rows longer than this many minutes (8 weeks) are refused unless
 * --max-minutes raises it: attention's cost grows with the square of the
 * length (one 1.08M-minute row ran for minutes at 630 MB). */
#define CLI_MAX_MINUTES 80640
/* Parse --max-minutes (1..2^26); prints the usage error itself. */
int cli_parse_max_minutes(const char *cmd, const char *arg, size_t *out);
/* Parse --precision fp32|bf16 (also float32, bfloat16); prints the usage
 * error itself. */
int cli_parse_precision(const char *cmd, const char *arg, enum pat_precision *out);
/* With bf16 on a CPU without AVX512-BF16, say on stderr (unless quiet)
 * that it runs emulated: the same results, slower than float32. */
void cli_note_precision(const char *cmd, enum pat_precision p, int quiet);
#define CLI_PRECISION_HELP \
    "      --precision P    fp32 (default, exact float32) or bf16: bfloat16 products\n" \
    "                       with float32 sums (AVX512-BF16; emulated, slower, on\n" \
    "                       other CPUs), faster; its error: docs/benchmarks.md\n"
/* PAT_ERR_USAGE when a row (1-based `row` of path) of T minutes exceeds max. */
enum pat_status cli_check_row_length(size_t T, size_t max, size_t row, const char *path,
                                     struct pat_err *err);

/* Training inputs beyond +-1e15 overflow float32 inside the network and
 * used to stop training with "lower the learning rate"; refused first,
 * naming file, row (1-based, of the rows given) and column. */
#define CLI_TRAIN_ABS_MAX 1e15
enum pat_status cli_check_train_range(const float *const *rows, const float *v, size_t n,
                                      size_t cols, const char *path, struct pat_err *err);

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

/* Label files with a header as pat data export --labels writes them
 * (id,start,label,...; cli/labels_file.c). cli_load_labels reads both
 * kinds; this one also returns each row's participant id (ids may be
 * NULL). allow_na: NA/empty labels become NaN instead of an error. */
int cli_labels_have_header(const char *path);
enum pat_status cli_load_labels_with_ids(const char *path, size_t expect_rows,
                                         const char *x_path, int allow_na, struct matrix *y,
                                         char ***ids, struct pat_err *err);
/* Participant ids of a dataset's labelled rows of one split (split < 0:
 * all), in the order cli_load_dataset_split copies them; n rows expected. */
enum pat_status cli_dataset_row_ids(const char *path, int split, size_t n, char ***ids,
                                    struct pat_err *err);
void cli_ids_free(char **ids, size_t n);

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

/* pat finetune: store the input recipe (score/recipe.h) in m: windows from
 * the dataset data's provenance or recipe_file (NULL both: none), and a
 * Youden threshold on x[1]/y[1] (validation) or x[0]/y[0] (training)
 * participants. */
enum pat_status finetune_recipe(struct pat_model *m, const char *data, const char *recipe_file,
                                const struct matrix *x, const struct matrix *y,
                                struct pat_err *err);

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
int cmd_score(int argc, char **argv);
int cmd_cv(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif /* PAT_CLI_H */
