/* cmd_eval.c - pat eval: a model's metrics on labelled sequences. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval/participant.h"
#include "score/recipe.h"
#include "train/finetune.h"
#include "util.h"

struct eval_opts {
    const char *model, *input, *labels, *output, *split, *aggregate;
    int json, threads, by_participant, threshold_given;
    double threshold;
    size_t bootstrap, max_minutes;
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
          "  -l, --labels FILE      one 0/1 label per line, same order, or the labels file\n"
          "                         of pat data export --labels (id,start,label,...)\n"
          "                         (-i D.patd instead: a dataset's labelled rows)\n"
          "      --split NAME       with a dataset: train, val, test (default) or all\n"
          "      --by UNIT          window (default): every row is a case; participant:\n"
          "                         a participant's window probabilities are aggregated\n"
          "                         (the model's recipe, else the mean) into one score,\n"
          "                         and the bootstrap resamples participants. Needs ids:\n"
          "                         a dataset, or labels written by pat data export\n"
          "      --aggregate RULE   participant score: mean, median or max (default: the\n"
          "                         model's pat.recipe.aggregate, else mean)\n"
          "      --json             print JSON instead of text\n"
          "  -o, --output FILE      write the report there instead of standard output\n"
          "      --threshold P      decision threshold (default 0.5; --by participant:\n"
          "                         the model's pat.recipe.threshold when it has one)\n"
          "      --bootstrap N      bootstrap resamples for the CI (default 1000; 0: none)\n"
          "      --seed S           bootstrap seed (default 1)\n"
          "  -t, --threads N        threads (default: all CPUs)\n"
          "      --max-minutes N    refuse rows longer than N minutes (default 80640)\n"
          "  -h, --help             this help\n",
          stdout);
}

static int parse_eval(int argc, char **argv, struct eval_opts *o) {
    static const struct option lo[] = {
        {"model", 1, 0, 'm'},     {"input", 1, 0, 'i'},  {"labels", 1, 0, 'l'},
        {"output", 1, 0, 'o'},    {"json", 0, 0, 'J'},   {"threshold", 1, 0, 'T'},
        {"bootstrap", 1, 0, 'B'}, {"seed", 1, 0, 'S'},   {"threads", 1, 0, 't'},
        {"split", 1, 0, 'P'},     {"help", 0, 0, 'h'},   {"max-minutes", 1, 0, 'M'},
        {"by", 1, 0, 'Y'},        {"aggregate", 1, 0, 'A'}, {0, 0, 0, 0}};
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
        case 'T': o->threshold = strtod(optarg, &end), o->threshold_given = 1; break;
        case 'A': o->aggregate = optarg; break;
        case 'Y':
            if (strcmp(optarg, "participant") && strcmp(optarg, "window"))
                return cli_usage_error("eval", "--by must be window or participant");
            o->by_participant = strcmp(optarg, "participant") == 0;
            break;
        case 'B': o->bootstrap = (size_t)strtoul(optarg, &end, 10); break;
        case 'S': o->seed = strtoull(optarg, &end, 10); break;
        case 't': o->threads = (int)strtol(optarg, &end, 10); break;
        case 'M':
            if (cli_parse_max_minutes("eval", optarg, &o->max_minutes) != EXIT_OK)
                return EXIT_USAGE;
            break;
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
    enum pat_aggregate a;
    if (o->aggregate && pat_aggregate_parse(o->aggregate, &a) != 0)
        return cli_usage_error("eval", "--aggregate must be mean, median or max");
    if (o->aggregate && !o->by_participant)
        return cli_usage_error("eval", "--aggregate goes with --by participant");
    if (!(o->threshold >= 0 && o->threshold <= 1))
        return cli_usage_error("eval", "--threshold must be in [0, 1]");
    return -1;
}

/* What a participant-level evaluation adds to the report. */
struct unit_info {
    size_t windows, participants;
    enum pat_aggregate aggregate;
    const char *threshold_from;
};

static void write_eval_json(FILE *f, const struct eval_opts *o, const struct eval_metrics *e,
                            const struct unit_info *u) {
    struct pat_jw w;
    pat_jw_init(&w, f, 2);
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "model", o->model);
    pat_jw_key_string(&w, "input", o->input);
    pat_jw_key_string(&w, "labels", o->labels);
    pat_jw_key_string(&w, "split", o->split);
    pat_jw_key_string(&w, "by", o->by_participant ? "participant" : "window");
    if (o->by_participant) {
        pat_jw_key_string(&w, "aggregate", pat_aggregate_name(u->aggregate));
        pat_jw_key_uint(&w, "windows", u->windows);
        pat_jw_key_uint(&w, "participants", u->participants);
        pat_jw_key_string(&w, "threshold_from", u->threshold_from);
    }
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

/* Aggregation and threshold for --by participant: options, else the
 * model's recipe, else mean and 0.5. */
static enum pat_status participant_rules(const struct eval_opts *o, const struct pat_model *m,
                                         struct unit_info *u, double *threshold,
                                         struct pat_err *err) {
    struct pat_recipe r = pat_recipe_default();
    int found = 0;
    enum pat_status st = pat_recipe_from_model(m, &r, &found, err);
    u->aggregate = found ? r.aggregate : PAT_AGG_MEAN;
    if (o->aggregate) pat_aggregate_parse(o->aggregate, &u->aggregate);
    u->threshold_from = "--threshold";
    if (!o->threshold_given) {
        int have = found && !isnan(r.threshold);
        *threshold = have ? r.threshold : 0.5;
        u->threshold_from = have ? "pat.recipe.threshold" : "default 0.5";
    }
    return st;
}

/* Windows -> participants, then the metrics over participants. */
static enum pat_status eval_participants(const struct eval_opts *o, const float *prob,
                                         const struct matrix *y, char **ids, double threshold,
                                         struct unit_info *u, struct eval_metrics *e,
                                         struct pat_err *err) {
    struct pat_participants P;
    enum pat_status st = pat_participants_group((const char *const *)ids, prob, y->v, y->rows,
                                                u->aggregate, &P, err);
    if (st != PAT_OK) return st;
    u->windows = y->rows;
    u->participants = P.n;
    st = eval_metrics_compute(e, P.score, P.label, P.n, threshold, o->bootstrap, o->seed, err);
    pat_participants_free(&P);
    return st;
}

static enum pat_status load_rows(const struct eval_opts *o, struct matrix *x, struct matrix *y,
                                 char ***ids, struct pat_err *err) {
    enum pat_status st;
    if (cli_is_dataset(o->input)) {
        st = cli_load_dataset_split(o->input, dataset_split(o->split), x, y, err);
        if (st == PAT_OK && o->by_participant)
            st = cli_dataset_row_ids(o->input, dataset_split(o->split), y->rows, ids, err);
        return st;
    }
    st = cli_load_matrix(o->input, x, err);
    if (st != PAT_OK || !o->by_participant) {
        if (st == PAT_OK) st = cli_load_labels(o->labels, x->rows, o->input, y, err);
        return st;
    }
    if (!cli_labels_have_header(o->labels))
        return pat_fail(err, PAT_ERR_USAGE, "--by participant needs each row's participant: "
                        "give -i D.patd, or --labels written by pat data export --labels "
                        "(%s has one label per line)", o->labels);
    return cli_load_labels_with_ids(o->labels, x->rows, o->input, 0, y, ids, err);
}

static enum pat_status eval_run(const struct eval_opts *o, struct eval_metrics *e,
                                struct unit_info *u, struct pat_err *err) {
    struct pat_model *m = NULL;
    struct matrix x = {0}, y = {0};
    float *prob = NULL;
    char **ids = NULL;
    double threshold = o->threshold;
    enum pat_status st = pat_model_load(o->model, &m, err);
    if (st == PAT_OK && !pat_model_has_head(m)) {
        err->status = st = PAT_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg, "%s has no classification head: fine-tune it first",
                 o->model);
    }
    if (st == PAT_OK) st = load_rows(o, &x, &y, &ids, err);
    if (st == PAT_OK && o->by_participant) st = participant_rules(o, m, u, &threshold, err);
    if (st == PAT_OK && x.rows == 0) {
        err->status = st = PAT_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg, "%s: no labelled rows to evaluate", o->input);
    }
    if (st == PAT_OK) st = cli_check_row_length(x.cols, o->max_minutes, 1, o->input, err);
    const char *rows_tr = "none";
    if (st == PAT_OK) st = cli_rows_transform(o->input, &rows_tr, err);
    if (st == PAT_OK) st = cli_rows_for_model(&x, rows_tr, m, o->input, o->model, err);
    if (st == PAT_OK && !(prob = malloc(x.rows * sizeof *prob))) st = PAT_ERR_NOMEM;
    if (st == PAT_OK) {
        struct pat_train_data d = {x.v, y.v, x.rows, x.cols};
        st = pat_train_predict(m, &d, prob, err);
    }
    if (st == PAT_OK) st = cli_check_finite(prob, x.rows, 1, 1, o->model, err);
    if (st == PAT_OK && o->by_participant)
        st = eval_participants(o, prob, &y, ids, threshold, u, e, err);
    else if (st == PAT_OK)
        st = eval_metrics_compute(e, prob, y.v, x.rows, threshold, o->bootstrap, o->seed, err);
    cli_ids_free(ids, ids ? y.rows : 0);
    free(prob);
    matrix_free(&x), matrix_free(&y);
    pat_model_free(m);
    return st;
}

int cmd_eval(int argc, char **argv) {
    struct eval_opts o = {.threshold = 0.5, .bootstrap = 1000, .seed = 1,
                          .max_minutes = CLI_MAX_MINUTES};
    int rc = parse_eval(argc, argv, &o);
    if (rc >= 0) return rc;
    cli_set_threads(o.threads);
    struct pat_err err = {0};
    struct eval_metrics e;
    struct unit_info u = {0};
    struct output out = {0};
    enum pat_status st = eval_run(&o, &e, &u, &err);
    if (st == PAT_OK) st = output_open(&out, o.output, &err);
    if (st == PAT_OK) {
        if (o.json) write_eval_json(out.f, &o, &e, &u);
        else {
            if (o.by_participant)
                fprintf(out.f, "unit            participant: %zu windows -> %zu participants "
                        "(%s of window probabilities; threshold from %s)\n", u.windows,
                        u.participants, pat_aggregate_name(u.aggregate), u.threshold_from);
            eval_metrics_print(out.f, &e);
        }
        st = output_commit(&out, &err);
    }
    return st == PAT_OK ? EXIT_OK : cli_report("eval", &err);
}
