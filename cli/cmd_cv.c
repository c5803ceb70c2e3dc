/* cmd_cv.c - pat cv: participant-level cross-validation of the features
 * baseline and PAT recipes on one cohort (docs/cv.md). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "score/recipe.h"
#include "cv/cv.h"
#include "cv/report.h"
#include "util.h"

struct cv_opts {
    const char *data, *out, *encoder, *methods;
    int final, resume, quiet, threads;
    size_t bootstrap;
    struct pat_cv_config cfg;
};

static void print_cv_help(void) {
    fputs("Usage: pat cv --data D.patd -o DIR [options]\n"
          "Participant-level cross-validation: every method is fitted on each fold's\n"
          "training participants only and scores its test participants (the mean of\n"
          "their windows' probabilities). Writes DIR/tables.md (also printed),\n"
          "DIR/results.json (every participant's out-of-fold score), DIR/roc.svg and\n"
          "DIR/state/ (finished folds, for --resume). Protocol: docs/cv.md.\n\n"
          "Folds:\n"
          "      --protocol P       kfold (default): label-stratified folds grouped by\n"
          "                         participant, repeated; lopo: leave one participant\n"
          "                         out; stored: the folds of pat data build --folds\n"
          "      --folds K          k-fold folds (default 5)\n"
          "      --repeats R        k-fold repeats with seeds S, S+1, ... (default 5)\n"
          "      --seed S           seed of everything (default 20240607)\n"
          "Methods (--methods, comma list; default features,probe):\n"
          "  features    rest-activity features + L2 logistic regression (the baseline)\n"
          "  probe       L2 logistic regression on a fixed encoder's window embeddings\n"
          "  probe-mlp   the paper's head trained on the frozen encoder\n"
          "  full        every weight fine-tuned   two-stage  head, then the last blocks\n"
          "  mae-probe   MAE pretraining on the fold's training participants, then probe\n"
          "  mae-full    the same encoder, fully fine-tuned\n"
          "      --encoder FILE     fixed encoder of probe, probe-mlp, full, two-stage\n"
          "                         (e.g. converted released weights; default: PAT-S\n"
          "                         random weights drawn from the seed)\n"
          "      --arch NAME        architecture of random and MAE encoders (default S)\n"
          "Inner choices (training participants only):\n"
          "      --inner-folds K    folds choosing the logistic penalty C (default 5)\n"
          "      --c-grid LIST      candidate C values (default 1e-4,1e-3,0.01,0.1,1,10)\n"
          "      --inner-val F      fraction held out for early stopping (default 0.2)\n"
          "Training budgets: --pre-epochs N (12) --pre-batch N (32) --pre-lr LR (1e-3)\n"
          "  --mask-ratio R (0.9) --ft-epochs N (8) --ft-batch N (32) --patience N (0:\n"
          "  keep the best epoch of all) --ft-lr-head LR (1e-3) --ft-lr-encoder LR (1e-4)\n"
          "Output:\n"
          "  -o, --out DIR          output folder (created)\n"
          "      --resume           skip the folds DIR/state/ already holds (same options\n"
          "                         needed); the results equal an uninterrupted run's\n"
          "      --final            also fit each PAT method on all participants:\n"
          "                         DIR/final-METHOD.safetensors with its input recipe\n"
          "                         and threshold, ready for pat score\n"
          "      --bootstrap N      resamples of the CIs (default 2000)\n"
          "  -t, --threads N        folds run in parallel (results do not depend on N)\n"
          "  -q, --quiet            no progress lines\n"
          "  -h, --help             this help\n",
          stdout);
}

static int parse_grid(const char *s, struct pat_logreg_cv_params *g) {
    char *end;
    g->ngrid = 0;
    while (*s) {
        if (g->ngrid == PAT_LOGREG_CV_MAX_GRID) return -1;
        g->grid[g->ngrid++] = strtod(s, &end);
        if (end == s || (*end && *end != ',')) return -1;
        s = *end ? end + 1 : end;
    }
    return g->ngrid ? 0 : -1;
}

static int parse_methods(const char *s, struct pat_cv_config *c) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    for (int m = 0; m < PAT_CV_METHODS; m++) c->methods[m] = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int m = pat_cv_method_parse(tok);
        if (m < 0) return cli_usage_error("cv", "unknown method '%s' (features, probe, probe-mlp, "
                                          "full, two-stage, mae-probe, mae-full)", tok);
        c->methods[m] = 1;
    }
    return -1;
}

/* Numeric option c into o; 0 ok, else a usage error code. */
static int parse_number(int c, const char *arg, struct cv_opts *o) {
    char *end;
    const double v = strtod(arg, &end);
    if (*end || !isfinite(v) || v < 0) return cli_usage_error("cv", "'%s' is not a valid number", arg);
    struct pat_cv_config *g = &o->cfg;
    switch (c) {
    case 'K': g->folds = (size_t)v; break;
    case 'R': g->repeats = (size_t)v; break;
    case 'S': g->seed = (uint64_t)strtoull(arg, NULL, 10); break;
    case 'I': g->inner_folds = (size_t)v; break;
    case 'V': g->inner_val = v; break;
    case 1: g->pre_epochs = (size_t)v; break;
    case 2: g->pre_batch = (size_t)v; break;
    case 3: g->pre_lr = v; break;
    case 4: g->mask_ratio = (float)v; break;
    case 5: g->ft_epochs = (size_t)v; break;
    case 6: g->ft_batch = (size_t)v; break;
    case 7: g->patience = (size_t)v; break;
    case 8: g->ft_lr_head = v; break;
    case 9: g->ft_lr_encoder = v; break;
    case 'B': o->bootstrap = (size_t)v; break;
    case 't': o->threads = (int)v; break;
    default: return cli_usage_error("cv", "unknown option");
    }
    return 0;
}

static int check_opts(struct cv_opts *o) {
    struct pat_cv_config *g = &o->cfg;
    if (!o->data || !o->out) return cli_usage_error("cv", "--data D.patd and -o DIR are required");
    if (g->repeats < 1) return cli_usage_error("cv", "--repeats must be at least 1");
    if (g->inner_folds < 2) return cli_usage_error("cv", "--inner-folds must be at least 2");
    if (!(g->inner_val > 0 && g->inner_val < 1))
        return cli_usage_error("cv", "--inner-val must be in (0, 1)");
    if (!(g->mask_ratio > 0 && g->mask_ratio < 1))
        return cli_usage_error("cv", "--mask-ratio must be in (0, 1)");
    if (!g->pre_epochs || !g->pre_batch || !g->ft_epochs || !g->ft_batch)
        return cli_usage_error("cv", "epochs and batch sizes must be at least 1");
    if (o->bootstrap < 10) return cli_usage_error("cv", "--bootstrap must be at least 10");
    if (o->encoder && (g->methods[PAT_CV_MAE_PROBE] || g->methods[PAT_CV_MAE_FULL]))
        return cli_usage_error("cv", "mae-probe and mae-full pretrain their own encoder in "
                                     "each fold: drop them or --encoder");
    struct pat_config pc;
    if (pat_config_preset(g->arch, &pc, NULL) != PAT_OK)
        return cli_usage_error("cv", "unknown architecture '%s'", g->arch);
    return -1;
}

static int parse_cv(int argc, char **argv, struct cv_opts *o) {
    static const struct option lo[] = {
        {"data", 1, 0, 'd'},        {"out", 1, 0, 'o'},         {"protocol", 1, 0, 'P'},
        {"folds", 1, 0, 'K'},       {"repeats", 1, 0, 'R'},     {"seed", 1, 0, 'S'},
        {"methods", 1, 0, 'M'},     {"encoder", 1, 0, 'E'},     {"arch", 1, 0, 'A'},
        {"final", 0, 0, 'F'},       {"resume", 2, 0, 'r'},      {"inner-folds", 1, 0, 'I'},
        {"c-grid", 1, 0, 'G'},      {"inner-val", 1, 0, 'V'},   {"pre-epochs", 1, 0, 1},
        {"pre-batch", 1, 0, 2},     {"pre-lr", 1, 0, 3},        {"mask-ratio", 1, 0, 4},
        {"ft-epochs", 1, 0, 5},     {"ft-batch", 1, 0, 6},      {"patience", 1, 0, 7},
        {"ft-lr-head", 1, 0, 8},    {"ft-lr-encoder", 1, 0, 9}, {"bootstrap", 1, 0, 'B'},
        {"threads", 1, 0, 't'},     {"quiet", 0, 0, 'q'},       {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
        case 'P':
            if ((rc = pat_cv_protocol_parse(optarg)) < 0)
                return cli_usage_error("cv", "--protocol must be kfold, lopo or stored");
            o->cfg.protocol = (enum pat_cv_protocol)rc;
            break;
        case 'M': if ((rc = parse_methods(optarg, &o->cfg)) >= 0) return rc; break;
        case 'E': o->encoder = optarg; break;
        case 'A': o->cfg.arch = optarg; break;
        case 'F': o->final = 1; break;
        case 'r':
            o->resume = 1;
            if (optarg && o->out && strcmp(optarg, o->out))
                return cli_usage_error("cv", "--resume=%s and -o %s differ", optarg, o->out);
            if (optarg) o->out = optarg;
            break;
        case 'G':
            if (parse_grid(optarg, &o->cfg.grid))
                return cli_usage_error("cv", "--c-grid: a comma list of at most %d numbers",
                                       PAT_LOGREG_CV_MAX_GRID);
            break;
        case 'q': o->quiet = 1; break;
        case 'h': print_cv_help(); return EXIT_OK;
        case '?': return cli_usage_error("cv", "unknown option");
        default: if ((rc = parse_number(c, optarg, o))) return rc;
        }
    }
    if (optind < argc) return cli_usage_error("cv", "unexpected argument '%s'", argv[optind]);
    return check_opts(o);
}

static void progress(const struct pat_cv_progress *p, void *user) {
    (void)user;
    fprintf(stderr, "pat cv: repeat %zu fold %zu %s (%.1f s); %zu/%zu folds, %.0f s elapsed",
            p->repeat + 1, p->fold + 1, p->resumed ? "resumed" : "done", p->task_seconds,
            p->done, p->total, p->elapsed_seconds);
    if (!isnan(p->eta_seconds)) fprintf(stderr, ", ETA %.0f s", p->eta_seconds);
    fprintf(stderr, "\n");
}

/* The input recipe of a final model, for pat score: the dataset's window
 * options (its provenance), mean aggregation and the threshold pat cv chose
 * on the training participants. */
static enum pat_status final_recipe(const struct cv_opts *o, const struct pat_cv_cohort *c,
                                    const char *method, double thr, struct pat_model *model,
                                    struct pat_err *err) {
    struct pat_recipe r = pat_recipe_default();
    enum pat_status st = pat_recipe_from_dataset(c->ds, o->data, &r, err);
    if (st != PAT_OK) return st;
    r.aggregate = PAT_AGG_MEAN;
    r.threshold = thr;
    snprintf(r.threshold_rule, sizeof r.threshold_rule,
             "pat cv --final %s: Youden's J on out-of-sample scores of inner CV or the "
             "inner validation split",
             method);
    return pat_recipe_to_model(&r, model, err);
}

static enum pat_status write_final(const struct cv_opts *o, const struct pat_cv_cohort *c,
                                   struct pat_err *err) {
    enum pat_status st = PAT_OK;
    for (int m = 1; st == PAT_OK && m < PAT_CV_METHODS; m++) {
        if (!o->cfg.methods[m]) continue;
        struct pat_model *model = NULL;
        double thr = NAN;
        char path[4096], v[64];
        const char *name = pat_cv_method_name((enum pat_cv_method)m);
        if (!o->quiet) fprintf(stderr, "pat cv: final %s on all %zu participants\n", name, c->P);
        st = pat_cv_final(c, &o->cfg, (enum pat_cv_method)m, &model, &thr, err);
        snprintf(v, sizeof v, "%.9g", thr);
        if (st == PAT_OK && c->log1p)
            st = pat_model_meta_set(model, PAT_META_INPUT_TRANSFORM, "log1p", err);
        if (st == PAT_OK) st = pat_model_meta_set(model, "pat.cv.method", name, err);
        if (st == PAT_OK) st = pat_model_meta_set(model, "pat.cv.threshold", v, err);
        if (st == PAT_OK)
            st = pat_model_meta_set(model, "pat.cv.aggregation", "mean", err);
        if (st == PAT_OK) st = final_recipe(o, c, name, thr, model, err);
        snprintf(path, sizeof path, "%s/final-%s.safetensors", o->out, name);
        if (st == PAT_OK) st = pat_model_save(model, path, err);
        pat_model_free(model);
    }
    return st;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static enum pat_status write_outputs(const struct pat_cv_report *rp, const char *dir,
                                     struct pat_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", dir);
    enum pat_status st = pat_cv_write_json(rp, path, err);
    snprintf(path, sizeof path, "%s/roc.svg", dir);
    if (st == PAT_OK) st = pat_cv_write_roc(rp, path, err);
    struct output out;
    snprintf(path, sizeof path, "%s/tables.md", dir);
    if (st == PAT_OK) st = output_open(&out, path, err);
    if (st == PAT_OK) {
        st = pat_cv_write_tables(rp, out.f, err);
        if (st == PAT_OK) st = output_commit(&out, err);
        else output_abort(&out);
    }
    if (st == PAT_OK) st = pat_cv_write_tables(rp, stdout, err);
    return st;
}

static enum pat_status cv_run(struct cv_opts *o, struct pat_err *err) {
    struct pat_cv_cohort c;
    struct pat_cv_plan plan;
    struct pat_cv_results res;
    struct pat_model *enc = NULL;
    memset(&plan, 0, sizeof plan), memset(&res, 0, sizeof res);
    const double t0 = now();
    if (mkdir(o->out, 0777) != 0 && errno != EEXIST)
        return pat_fail(err, PAT_ERR_IO, "%s: cannot create the folder: %s", o->out, strerror(errno));
    enum pat_status st = pat_cv_cohort_open(&c, o->data, err);
    if (st != PAT_OK) return st;
    if (o->encoder) st = pat_model_load(o->encoder, &enc, err);
    o->cfg.encoder = enc, o->cfg.encoder_name = o->encoder;
    if (st == PAT_OK)
        st = pat_cv_plan_make(&plan, &c, o->cfg.protocol, o->cfg.folds, o->cfg.repeats,
                              o->cfg.seed, err);
    char state[4096];
    snprintf(state, sizeof state, "%s/state", o->out);
    if (st == PAT_OK)
        st = pat_cv_run(&c, &plan, &o->cfg, state, o->resume, &res, o->quiet ? NULL : progress,
                        NULL, err);
    struct pat_cv_report rp = {&c, &plan, &o->cfg, &res, o->data, o->bootstrap, now() - t0};
    if (st == PAT_OK) st = write_outputs(&rp, o->out, err);
    if (st == PAT_OK && o->final) st = write_final(o, &c, err);
    pat_cv_results_free(&res);
    pat_cv_plan_free(&plan);
    pat_model_free(enc);
    pat_cv_cohort_close(&c);
    return st;
}

int cmd_cv(int argc, char **argv) {
    struct cv_opts o;
    memset(&o, 0, sizeof o);
    pat_cv_config_default(&o.cfg);
    o.bootstrap = 2000;
    int rc = parse_cv(argc, argv, &o);
    if (rc >= 0) return rc;
    cli_set_threads(o.threads);
    struct pat_err err = {0};
    if (cv_run(&o, &err) != PAT_OK) return cli_report("cv", &err);
    return EXIT_OK;
}
