/* cmd_infer.c - pat embed | predict | explain: a model over CSV rows. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dist/dist.h"
#include "io/csv.h"

enum infer_kind { INFER_EMBED, INFER_PREDICT, INFER_EXPLAIN };

struct infer_opts {
    const struct pat_dist *dist; /* the job under mpirun (else one process) */
    const char *cmd;
    enum infer_kind kind;
    const char *model, *input, *output;
    size_t batch, max_minutes;
    int threads, quiet;
    enum pat_precision precision;
};

static const char *const infer_help[] = {
    [INFER_EMBED] = "Usage: pat embed -m MODEL -i IN.csv [-o OUT.csv] [options]\n"
                    "Encode each row of IN.csv (one sequence of minutes per row, no header)\n"
                    "and write its embedding: 96 comma-separated values per row, the mean\n"
                    "over patches of the last block's output.\n",
    [INFER_PREDICT] = "Usage: pat predict -m MODEL -i IN.csv [-o OUT.csv] [options]\n"
                      "Write one probability per row of IN.csv from the model's head\n"
                      "(a model without a head is refused: fine-tune it first).\n",
    [INFER_EXPLAIN] = "Usage: pat explain -m MODEL -i IN.csv [-o OUT.csv] [options]\n"
                      "Write, per row of IN.csv, N = T/P values: the attention each patch\n"
                      "receives in the last block, summed over queries, averaged over heads,\n"
                      "normalised to sum 1.\n",
};

static void print_infer_help(enum infer_kind kind) {
    fputs(infer_help[kind], stdout);
    fputs("\nOptions:\n"
          "  -m, --model FILE     weights: .safetensors, or a Keras .h5 (imported on the fly)\n"
          "  -i, --input FILE     input CSV, '-' for standard input, or a dataset (.patd,\n"
          "                       every row in order, as stored) (required). A CSV gives\n"
          "                       one output row per input row; a dataset's output has a\n"
          "                       header and starts each row with the participant id and\n"
          "                       the window start (id,start,...)\n"
          "  -o, --output FILE    output CSV (default: standard output); written to a\n"
          "                       temporary file and renamed, never left half-written\n"
          "  -b, --batch N        rows encoded per call (default 16)\n"
          "  -t, --threads N      threads (default: OMP_NUM_THREADS or all CPUs)\n"
          "      --max-minutes N  refuse rows longer than N minutes (default 80640, 8 weeks;\n"
          "                       attention's cost grows with the square of the length)\n"
          CLI_PRECISION_HELP
          "  -q, --quiet          no progress on standard error\n"
          "  -h, --help           this help\n"
          "Inputs are used as they are unless the model carries a scaler (scaler/mean,\n"
          "scaler/std), in which case each row is standardized with it first.\n",
          stdout);
}

/* Returns -1 to continue, else an exit code. */
static int parse_infer_opts(int argc, char **argv, struct infer_opts *o) {
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},  {"input", required_argument, 0, 'i'},
        {"output", required_argument, 0, 'o'}, {"batch", required_argument, 0, 'b'},
        {"threads", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {"max-minutes", required_argument, 0, 'M'},
        {"precision", required_argument, 0, 'P'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:i:o:b:t:qh", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'i': o->input = optarg; break;
        case 'o': o->output = optarg; break;
        case 'b':
            o->batch = (size_t)strtoul(optarg, &end, 10);
            if (*end || o->batch < 1 || o->batch > 4096)
                return cli_usage_error(o->cmd, "--batch must be 1..4096, got '%s'", optarg);
            break;
        case 't':
            o->threads = (int)strtol(optarg, &end, 10);
            if (*end || o->threads < 1 || o->threads > CLI_MAX_THREADS)
                return cli_usage_error(o->cmd, "--threads must be 1..1024, got '%s'", optarg);
            break;
        case 'M':
            if (cli_parse_max_minutes(o->cmd, optarg, &o->max_minutes) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'P':
            if (cli_parse_precision(o->cmd, optarg, &o->precision) != EXIT_OK) return EXIT_USAGE;
            break;
        case 'q': o->quiet = 1; break;
        case 'h': print_infer_help(o->kind); return EXIT_OK;
        default: return cli_usage_error(o->cmd, "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error(o->cmd, "unexpected argument '%s'", argv[optind]);
    if (!o->model) return cli_usage_error(o->cmd, "missing -m MODEL");
    if (!o->input) return cli_usage_error(o->cmd, "missing -i IN.csv");
    return -1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Rows come from a CSV file (streamed) or a dataset (memory-mapped). */
struct row_source {
    struct pat_csv_reader *csv;
    struct pat_dataset *ds;
    size_t next; /* dataset row */
};

/* A dataset's rows are named: "id,start," before each result row. */
static void write_row_name(struct output *out, const struct row_source *in, size_t row) {
    char t[PAT_TIME_LEN];
    pat_time_format(pat_dataset_start(in->ds, row), t);
    fprintf(out->f, "%s,%s,", pat_dataset_id(in->ds, row), t);
}

/* The header of a dataset's results: id,start and one name per value. */
static void write_header(struct output *out, enum infer_kind kind, size_t width) {
    fputs("id,start", out->f);
    for (size_t j = 0; j < width; j++) {
        if (kind == INFER_PREDICT) fputs(",probability", out->f);
        else fprintf(out->f, ",%s%zu", kind == INFER_EMBED ? "embedding_" : "patch_", j + 1);
    }
    fputc('\n', out->f);
}

/* Run the model over `rows` buffered sequences into res. */
static enum pat_status run_rows(const struct infer_opts *o, const struct pat_model *m,
                                const float *x, size_t rows, size_t T, float *res,
                                struct pat_err *err) {
    if (!rows) return PAT_OK;
    if (o->kind == INFER_EMBED) return pat_embed_ex(m, x, rows, T, o->precision, res, err);
    if (o->kind == INFER_PREDICT) return pat_predict_ex(m, x, rows, T, o->precision, res, err);
    return pat_explain_ex(m, x, rows, T, o->precision, res, err);
}

/* Width of one result row for sequences of T minutes. */
static size_t result_width(enum infer_kind kind, const struct pat_model *m, size_t T) {
    const struct pat_config *c = pat_model_config(m);
    if (kind == INFER_EMBED) return c->embed_dim;
    if (kind == INFER_PREDICT) return 1;
    return T / c->patch_size;
}

/* Under mpirun the rows go round in rounds of `size` batches: rank r
 * encodes batch r of each round (every rank reads the input; each keeps
 * its batch), rank 0 gathers the round's results in rank order and writes
 * them, so the output is in input order and the batches are those of one
 * process with the same --batch. */
struct infer_buffers {
    float *x, *res, *round; /* round: rank 0's results of a whole round */
    size_t T, width;
};

static enum pat_status alloc_buffers(struct infer_buffers *b, const struct infer_opts *o,
                                     const struct pat_model *m, size_t T, struct pat_err *err) {
    b->T = T;
    b->width = result_width(o->kind, m, T);
    b->x = malloc(o->batch * T * sizeof *b->x);
    b->res = malloc(o->batch * (b->width ? b->width : 1) * sizeof *b->res);
    b->round = malloc(o->batch * (b->width ? b->width : 1) * sizeof *b->round *
                      (size_t)pat_dist_ranks(o->dist));
    if (!b->x || !b->res || !b->round) {
        err->status = PAT_ERR_NOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory for a batch of %zu rows", o->batch);
        return PAT_ERR_NOMEM;
    }
    return PAT_OK;
}

static enum pat_status source_open(struct row_source *s, const char *path,
                                   struct pat_err *err) {
    memset(s, 0, sizeof *s);
    if (cli_is_dataset(path)) return pat_dataset_open(path, &s->ds, err);
    return pat_csv_open(path, &s->csv, err);
}

static enum pat_status source_next(struct row_source *s, const float **row, size_t *cols,
                                   struct pat_err *err) {
    if (s->csv) return pat_csv_next(s->csv, row, cols, err);
    *row = NULL;
    if (s->next < pat_dataset_rows(s->ds)) {
        *row = pat_dataset_row(s->ds, s->next++);
        *cols = pat_dataset_length(s->ds);
    }
    return PAT_OK;
}

static void source_close(struct row_source *s) {
    pat_csv_close(s->csv);
    pat_dataset_close(s->ds);
}

/* Read the next round (up to ranks x batch rows); this rank keeps batch
 * `rank` of it in b->x. *got: rows in the round, *mine: rows kept. */
static enum pat_status read_round(const struct infer_opts *o, const struct pat_model *m,
                                  struct row_source *in, struct infer_buffers *b, size_t done,
                                  size_t *got, size_t *mine, struct pat_err *err) {
    const size_t rank = o->dist ? (size_t)o->dist->rank : 0;
    const size_t want = o->batch * (size_t)pat_dist_ranks(o->dist);
    enum pat_status st = PAT_OK;
    *got = *mine = 0;
    while (st == PAT_OK && *got < want) {
        const float *row;
        size_t cols;
        st = source_next(in, &row, &cols, err);
        if (st != PAT_OK || !row) break;
        st = cli_check_row_length(cols, o->max_minutes, done + *got + 1, o->input, err);
        if (st != PAT_OK) break;
        if (!b->x && (st = alloc_buffers(b, o, m, cols, err)) != PAT_OK) break;
        if (*got / o->batch == rank) memcpy(b->x + (*mine)++ * b->T, row, cols * sizeof *row);
        ++*got;
    }
    return st;
}

/* Rank 0 gathers a round of `got` rows in rank order, checks them and
 * writes them (a dataset's rows named, after a header); done: rows before. */
static enum pat_status write_round(const struct infer_opts *o, struct infer_buffers *b,
                                   const struct row_source *in, size_t done, size_t got,
                                   struct output *out, struct pat_err *err) {
    const int size = pat_dist_ranks(o->dist);
    size_t bytes[1024];
    for (int r = 0; r < size; r++) {
        size_t lo = (size_t)r * o->batch, rows = lo >= got ? 0 : got - lo;
        bytes[r] = (rows < o->batch ? rows : o->batch) * b->width * sizeof(float);
    }
    enum pat_status st = pat_dist_gather(o->dist, b->res, b->round, bytes, err);
    if (st != PAT_OK || !pat_dist_is_root(o->dist)) return st;
    st = cli_check_finite(b->round, got, b->width, done + 1, o->model, err);
    if (st != PAT_OK) return st;
    if (done == 0 && in->ds) write_header(out, o->kind, b->width);
    for (size_t r = 0; r < got; r++) {
        if (in->ds) write_row_name(out, in, done + r);
        output_row(out, b->round + r * b->width, b->width);
    }
    return PAT_OK;
}

/* Stream rows from the source through the model in batches. */
static enum pat_status stream_rows(const struct infer_opts *o, const struct pat_model *m,
                                   struct row_source *in, struct output *out,
                                   size_t *total, struct pat_err *err) {
    struct infer_buffers b = {0};
    enum pat_status st = PAT_OK;
    double t0 = now_seconds(), last = t0;
    const size_t rank = o->dist ? (size_t)o->dist->rank : 0;
    for (;;) {
        size_t got, mine;
        st = read_round(o, m, in, &b, *total, &got, &mine, err);
        if (st != PAT_OK || !got) break;
        st = run_rows(o, m, b.x, mine, b.T, b.res, err);
        if (st != PAT_OK) {
            *total += rank * o->batch; /* the failing batch, for the message */
            break;
        }
        if ((st = write_round(o, &b, in, *total, got, out, err)) != PAT_OK) break;
        *total += got;
        double t = now_seconds();
        if (!o->quiet && t - last > 2.0) {
            fprintf(stderr, "pat %s: %zu rows done, %.1f s\n", o->cmd, *total, t - t0);
            last = t;
        }
        if (got < o->batch * (size_t)pat_dist_ranks(o->dist)) break;
    }
    free(b.x), free(b.res), free(b.round);
    return st;
}

/* pat_embed & co. name rows within a batch; make errors name the CSV row. */
static void locate_error(struct pat_err *err, const char *input, size_t first_row) {
    if (err->status != PAT_ERR_NUMERIC && err->status != PAT_ERR_USAGE) return;
    char msg[2 * PAT_ERR_MSG_LEN];
    int n = snprintf(msg, sizeof msg, "%s (batch starting at row %zu of %s)", err->msg,
                     first_row, input);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof err->msg) len = sizeof err->msg - 1;
    memcpy(err->msg, msg, len);
    err->msg[len] = '\0';
}

/* Rows of a dataset already went through its transform: when the model
 * takes the same one, it must not apply it again (CSV rows are raw). */
static enum pat_status skip_done_transform(struct pat_model *m, const char *input,
                                           const char *model_path, struct pat_err *err) {
    const char *rows_tr = "none";
    enum pat_status st = cli_rows_transform(input, &rows_tr, err);
    if (st == PAT_OK) st = cli_rows_for_model(NULL, rows_tr, m, input, model_path, err);
    if (st == PAT_OK && strcmp(rows_tr, "none") != 0)
        st = pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, "none", err);
    return st;
}

static int run_infer(int argc, char **argv, enum infer_kind kind) {
    struct pat_dist dist;
    pat_dist_world(&dist);
    struct infer_opts o = {.dist = &dist, .cmd = argv[0], .kind = kind, .batch = 16,
                           .max_minutes = CLI_MAX_MINUTES};
    int rc = parse_infer_opts(argc, argv, &o);
    if (rc >= 0) return rc;
    if (dist.size > 1 && (strcmp(o.input, "-") == 0 || dist.size > 1024))
        return cli_usage_error(o.cmd, "under mpirun the input must be a file (every rank reads "
                               "it) and ranks at most 1024");
    const int root = pat_dist_is_root(&dist);
    o.quiet |= !root;
    cli_set_threads(o.threads);
    cli_note_precision(o.cmd, o.precision, o.quiet);
    struct pat_err err = {0};
    struct pat_model *m = NULL;
    struct row_source in = {0};
    struct output out = {0};
    size_t total = 0;
    double t0 = now_seconds();
    enum pat_status st = pat_model_load(o.model, &m, &err);
    if (st == PAT_OK && kind == INFER_PREDICT && !pat_model_has_head(m)) {
        err.status = st = PAT_ERR_USAGE;
        snprintf(err.msg, sizeof err.msg,
                 "%s has no classification head (an encoder only): fine-tune it first",
                 o.model);
    }
    if (st == PAT_OK) st = skip_done_transform(m, o.input, o.model, &err);
    if (st == PAT_OK) st = source_open(&in, o.input, &err);
    if (st == PAT_OK && root) st = output_open(&out, o.output, &err);
    if (st == PAT_OK) st = stream_rows(&o, m, &in, &out, &total, &err);
    if (st != PAT_OK) locate_error(&err, o.input, total + 1);
    if (st == PAT_OK && root) st = output_commit(&out, &err);
    else if (root) output_abort(&out);
    if (st == PAT_OK && !o.quiet) {
        double dt = now_seconds() - t0;
        fprintf(stderr, "pat %s: %zu rows with %s%s in %.2f s (%.2f rows/s)\n", o.cmd, total,
                pat_config_name(pat_model_config(m)),
                o.precision == PAT_PRECISION_BF16 ? " at bf16" : "", dt,
                dt > 0 ? (double)total / dt : 0.0);
    }
    source_close(&in);
    pat_model_free(m);
    return st == PAT_OK ? EXIT_OK : cli_report(o.cmd, &err);
}

int cmd_embed(int argc, char **argv) { return run_infer(argc, argv, INFER_EMBED); }
int cmd_predict(int argc, char **argv) { return run_infer(argc, argv, INFER_PREDICT); }
int cmd_explain(int argc, char **argv) { return run_infer(argc, argv, INFER_EXPLAIN); }
