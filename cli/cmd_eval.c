/* cmd_eval.c - pat eval: a model's metrics on labelled sequences. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train/finetune.h"

struct eval_opts {
    const char *model, *input, *labels, *output, *split;
    int json, threads;
    double threshold;
    size_t bootstrap;
    unsigned long long seed;
};

static void print_eval_help(void) {
    fputs("Usage: pat eval -m MODEL -i X.csv --labels Y.csv [options]\n"
          "Score each row of X.csv with the model's head and report ROC-AUC with a\n"
          "bootstrap 95% CI, the Keras 200-threshold AUC the paper reports, PR-AUC, and\n"
          "accuracy, sensitivity, specificity, F1 and MCC at a threshold.\n\n"
          "Options:\n"
          "  -m, --model FILE       model with a head (.safetensors or .h5)\n"
          "  -i, --input FILE       sequences, one per row (as pat embed)\n"
          "  -l, --labels FILE      one 0/1 label per line, same order\n"
          "                         (-i D.patd instead: a dataset's labelled rows)\n"
          "      --split NAME       with a dataset: train, val, test (default) or all\n"
          "      --json             print JSON instead of text\n"
          "  -o, --output FILE      write the report there instead of standard output\n"
          "      --threshold P      decision threshold (default 0.5)\n"
          "      --bootstrap N      bootstrap resamples for the CI (default 1000; 0: none)\n"
          "      --seed S           bootstrap seed (default 1)\n"
          "  -t, --threads N        threads (default: all CPUs)\n"
          "  -h, --help             this help\n",
          stdout);
}

static int parse_eval(int argc, char **argv, struct eval_opts *o) {
    static const struct option lo[] = {
        {"model", 1, 0, 'm'},     {"input", 1, 0, 'i'},  {"labels", 1, 0, 'l'},
        {"output", 1, 0, 'o'},    {"json", 0, 0, 'J'},   {"threshold", 1, 0, 'T'},
        {"bootstrap", 1, 0, 'B'}, {"seed", 1, 0, 'S'},   {"threads", 1, 0, 't'},
        {"split", 1, 0, 'P'},     {"help", 0, 0, 'h'},   {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:i:l:o:t:h", lo, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'i': o->input = optarg; break;
        case 'l': o->labels = optarg; break;
        case 'o': o->output = optarg; break;
        case 'J': o->json = 1; break;
        case 'P': o->split = optarg; break;
        case 'T': o->threshold = strtod(optarg, &end); break;
        case 'B': o->bootstrap = (size_t)strtoul(optarg, &end, 10); break;
        case 'S': o->seed = strtoull(optarg, &end, 10); break;
        case 't': o->threads = (int)strtol(optarg, &end, 10); break;
        case 'h': print_eval_help(); return EXIT_OK;
        default: return cli_usage_error("eval", "unknown option");
        }
        if (end && *end) return cli_usage_error("eval", "'%s' is not a number", optarg);
    }
    if (optind < argc) return cli_usage_error("eval", "unexpected argument '%s'", argv[optind]);
    int ds = o->input && cli_is_dataset(o->input);
    if (!o->model || !o->input || (!o->labels && !ds))
        return cli_usage_error("eval", "-m MODEL, -i X.csv and --labels Y.csv are required "
                                       "(or -i D.patd)");
    if (ds && o->labels) return cli_usage_error("eval", "a dataset carries its labels: drop --labels");
    if (o->split && strcmp(o->split, "train") && strcmp(o->split, "val") &&
        strcmp(o->split, "test") && strcmp(o->split, "all"))
        return cli_usage_error("eval", "--split must be train, val, test or all");
    if (!(o->threshold >= 0 && o->threshold <= 1))
        return cli_usage_error("eval", "--threshold must be in [0, 1]");
    return -1;
}

static void write_eval_json(FILE *f, const struct eval_opts *o, const struct eval_metrics *e) {
    struct pat_jw w;
    pat_jw_init(&w, f, 2);
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "model", o->model);
    pat_jw_key_string(&w, "input", o->input);
    pat_jw_key_string(&w, "labels", o->labels);
    pat_jw_key_string(&w, "split", o->split);
    pat_jw_key(&w, "metrics");
    eval_metrics_json(&w, e);
    pat_jw_object_end(&w);
    fputc('\n', f);
}

/* Split number for --split (default test; "all": -1). */
static int dataset_split(const char *name) {
    if (!name || !strcmp(name, "test")) return PAT_SPLIT_TEST;
    if (!strcmp(name, "train")) return PAT_SPLIT_TRAIN;
    if (!strcmp(name, "val")) return PAT_SPLIT_VAL;
    return -1;
}

static enum pat_status eval_run(const struct eval_opts *o, struct eval_metrics *e,
                                struct pat_err *err) {
    struct pat_model *m = NULL;
    struct matrix x = {0}, y = {0};
    float *prob = NULL;
    enum pat_status st = pat_model_load(o->model, &m, err);
    if (st == PAT_OK && !pat_model_has_head(m)) {
        err->status = st = PAT_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg, "%s has no classification head: fine-tune it first",
                 o->model);
    }
    if (st == PAT_OK && cli_is_dataset(o->input)) {
        st = cli_load_dataset_split(o->input, dataset_split(o->split), &x, &y, err);
    } else if (st == PAT_OK) {
        st = cli_load_matrix(o->input, &x, err);
        if (st == PAT_OK) st = cli_load_labels(o->labels, x.rows, o->input, &y, err);
    }
    if (st == PAT_OK && x.rows == 0) {
        err->status = st = PAT_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg, "%s: no labelled rows to evaluate", o->input);
    }
    const char *rows_tr = "none";
    if (st == PAT_OK) st = cli_rows_transform(o->input, &rows_tr, err);
    if (st == PAT_OK) st = cli_rows_for_model(&x, rows_tr, m, o->input, o->model, err);
    if (st == PAT_OK && !(prob = malloc(x.rows * sizeof *prob))) st = PAT_ERR_NOMEM;
    if (st == PAT_OK) {
        struct pat_train_data d = {x.v, y.v, x.rows, x.cols};
        st = pat_train_predict(m, &d, prob, err);
    }
    if (st == PAT_OK)
        st = eval_metrics_compute(e, prob, y.v, x.rows, o->threshold, o->bootstrap, o->seed, err);
    free(prob);
    matrix_free(&x), matrix_free(&y);
    pat_model_free(m);
    return st;
}

int cmd_eval(int argc, char **argv) {
    struct eval_opts o = {.threshold = 0.5, .bootstrap = 1000, .seed = 1};
    int rc = parse_eval(argc, argv, &o);
    if (rc >= 0) return rc;
    cli_set_threads(o.threads);
    struct pat_err err = {0};
    struct eval_metrics e;
    struct output out = {0};
    enum pat_status st = eval_run(&o, &e, &err);
    if (st == PAT_OK) st = output_open(&out, o.output, &err);
    if (st == PAT_OK) {
        if (o.json) write_eval_json(out.f, &o, &e);
        else eval_metrics_print(out.f, &e);
        st = output_commit(&out, &err);
    }
    return st == PAT_OK ? EXIT_OK : cli_report("eval", &err);
}
