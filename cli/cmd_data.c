/* cmd_data.c - pat data build | report | info | export | synth: raw public
 * files -> documented, reproducible .patd datasets (docs/data.md). The work
 * is done by src/data/; this file parses options and prints. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "data/build.h"
#include "data/clock.h"
#include "data/depresjon.h"
#include "data/files.h"
#include "data/lines.h"
#include "data/nhanes.h"
#include "data/series_csv.h"
#include "data/series_long.h"
#include "data/split.h"
#include "data/synth.h"
#include "readers/readers.h"
#include "util.h"

#define MAX_CSV 4096

/* ---- option values ------------------------------------------------------- */

static int parse_size(const char *cmd, const char *opt, const char *s, size_t lo, size_t hi,
                      size_t *out) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || s[0] == '-' || v < lo || v > hi)
        return cli_usage_error(cmd, "%s must be an integer in %zu..%zu, got '%s'", opt, lo, hi, s);
    *out = (size_t)v;
    return -1;
}

static int parse_real(const char *cmd, const char *opt, const char *s, double lo, double hi,
                      double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi))
        return cli_usage_error(cmd, "%s must be a number in [%g, %g], got '%s'", opt, lo, hi, s);
    *out = v;
    return -1;
}

/* Index of s in names[0..n), or a usage error. */
static int parse_choice(const char *cmd, const char *opt, const char *s,
                        const char *const *names, int n, int *out) {
    for (int k = 0; k < n; k++)
        if (strcmp(s, names[k]) == 0) {
            *out = k;
            return -1;
        }
    return cli_usage_error(cmd, "unknown %s '%s'", opt, s);
}

/* ---- pat data build / report: options ----------------------------------- */

struct build_opts {
    const char *cmd;
    int report_only;
    const char *depresjon, *long_csv, *paxmin, *paxraw;
    const char *csv[MAX_CSV];
    size_t ncsv;
    const char *input[MAX_CSV];
    size_t ninput;
    struct pat_read_options rd;
    struct pat_csv_series_params csvp;
    struct pat_long_csv_params longp;
    const char *labels, *dpq, *demo;
    struct pat_nhanes_params nh;
    struct pat_build_params bp;
    const char *output, *report;
    int quiet;
};

enum {
    O_DEPRESJON = 256, O_CSV, O_LAYOUT, O_START, O_LONG, O_IDCOL, O_TIMECOL, O_VALUECOL,
    O_CLOCKCOL, O_PAXMIN, O_PAXRAW, O_LABELS, O_DPQ, O_DEMO, O_PHQ_THRESHOLD, O_PHQ_MISSING,
    O_DROP_UNLABELED, O_DUPLICATES, O_NO_DST, O_MAX_GAP, O_ZERO_RUN, O_KEEP_NONWEAR,
    O_LENGTH, O_PATCH, O_ALIGN, O_STRIDE, O_MAX_WINDOWS, O_MIN_DAY, O_MIN_DAYS, O_FILL,
    O_LOG1P, O_SCALER, O_VAL, O_TEST, O_FOLDS, O_SEED, O_SPLIT_UNLABELED, O_REPORT,
    O_SMOOTH, O_SMOOTH_WINDOW, O_SMOOTH_ORDER, O_TEST_COUNT, O_USE_COUNT, O_INPUT, O_FORMAT,
    O_DATE_FORMAT, O_EPOCH_AGG
};

static const struct option build_longopts[] = {
    {"depresjon", required_argument, 0, O_DEPRESJON}, {"csv", required_argument, 0, O_CSV},
    {"layout", required_argument, 0, O_LAYOUT}, {"start", required_argument, 0, O_START},
    {"long", required_argument, 0, O_LONG}, {"id-col", required_argument, 0, O_IDCOL},
    {"time-col", required_argument, 0, O_TIMECOL}, {"value-col", required_argument, 0, O_VALUECOL},
    {"clock-col", required_argument, 0, O_CLOCKCOL}, {"paxmin", required_argument, 0, O_PAXMIN},
    {"paxraw", required_argument, 0, O_PAXRAW}, {"labels", required_argument, 0, O_LABELS},
    {"dpq", required_argument, 0, O_DPQ}, {"demo", required_argument, 0, O_DEMO},
    {"phq-threshold", required_argument, 0, O_PHQ_THRESHOLD},
    {"phq-missing", required_argument, 0, O_PHQ_MISSING},
    {"drop-unlabeled", no_argument, 0, O_DROP_UNLABELED},
    {"duplicates", required_argument, 0, O_DUPLICATES}, {"no-dst", no_argument, 0, O_NO_DST},
    {"max-gap", required_argument, 0, O_MAX_GAP},
    {"nonwear-zeros", required_argument, 0, O_ZERO_RUN},
    {"keep-nonwear", no_argument, 0, O_KEEP_NONWEAR},
    {"length", required_argument, 0, O_LENGTH}, {"patch", required_argument, 0, O_PATCH},
    {"align", required_argument, 0, O_ALIGN}, {"stride", required_argument, 0, O_STRIDE},
    {"max-windows", required_argument, 0, O_MAX_WINDOWS},
    {"min-day-minutes", required_argument, 0, O_MIN_DAY},
    {"min-days", required_argument, 0, O_MIN_DAYS}, {"fill", required_argument, 0, O_FILL},
    {"log1p", no_argument, 0, O_LOG1P}, {"scaler", required_argument, 0, O_SCALER},
    {"val", required_argument, 0, O_VAL}, {"test", required_argument, 0, O_TEST},
    {"folds", required_argument, 0, O_FOLDS}, {"seed", required_argument, 0, O_SEED},
    {"split-unlabeled", no_argument, 0, O_SPLIT_UNLABELED},
    {"smooth", no_argument, 0, O_SMOOTH}, {"smooth-window", required_argument, 0, O_SMOOTH_WINDOW},
    {"smooth-order", required_argument, 0, O_SMOOTH_ORDER},
    {"test-count", required_argument, 0, O_TEST_COUNT},
    {"use-count", required_argument, 0, O_USE_COUNT},
    {"input", required_argument, 0, O_INPUT}, {"format", required_argument, 0, O_FORMAT},
    {"date-format", required_argument, 0, O_DATE_FORMAT},
    {"epoch-agg", required_argument, 0, O_EPOCH_AGG},
    {"report", required_argument, 0, O_REPORT}, {"output", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

static void print_build_help(int report_only) {
    if (report_only)
        fputs("Usage: pat data report INPUT... [options] [-o REPORT.txt]\n"
              "Read the inputs exactly as 'pat data build' would and write the data-sufficiency\n"
              "report (per participant: span, valid minutes per day, gaps, DST, duplicates,\n"
              "windows accepted and rejected with reasons) without writing a dataset.\n",
              stdout);
    else
        fputs("Usage: pat data build INPUT... -o OUT.patd [options]\n"
              "Turn raw actigraphy files into a dataset of windows (rows of T minutes) with\n"
              "labels, participant-level splits and per-minute scalers (docs/data.md).\n",
              stdout);
    fputs("\nInputs (one kind):\n"
          "  --input PATH           activity files as devices and apps write them; a folder\n"
          "                         means its files; repeatable (docs/data.md \"Input formats\")\n"
          "  --format NAME          auto|actilife-csv|agd|awd|fitbit-minute|apple-health|csv\n"
          "                         (default auto: decided from each file's content)\n"
          "  --value-col NAME       the value column (ActiLife: default Vector Magnitude, else\n"
          "                         Axis1; agd: vm, axis1..3, steps, lux; csv: by name)\n"
          "  --time-col NAME        csv: the timestamp column (default: the first that reads)\n"
          "  --date-format ORDER    auto|mdy|dmy|ymd for dates like 3/4/2024 (default auto:\n"
          "                         month first unless the first number is above 12)\n"
          "  --epoch-agg RULE       sum|mean for epochs shorter than a minute (default sum)\n",
          stdout);
    fputs(          "  --depresjon DIR        Depresjon folder: condition/ (label 1), control/ (label 0),\n"
          "                         scores.csv columns (madrs1, madrs2, age, ...) as covariates\n"
          "  --csv PATH             one participant per CSV (id = file stem); a folder means\n"
          "                         its *.csv files; repeatable\n"
          "  --layout NAME          auto|depresjon|timestamp|values (default auto)\n"
          "  --start 'YYYY-MM-DD HH:MM'  values layout: time of the first value\n"
          "                         (default 1970-01-01 00:00)\n"
          "  --long FILE            many participants in one CSV with a header; choose the\n"
          "                         columns with --id-col, --time-col (minute index or\n"
          "                         timestamp), --value-col and optionally --clock-col\n"
          "                         (minute of day of each row)\n"
          "  --paxmin FILE          NHANES 2011-14 PAXMIN_G/H .XPT (PAXMTSM; never PAXAISMM)\n"
          "  --paxraw FILE          NHANES 2003-06 PAXRAW_C/D .XPT (PAXINTEN)\n"
          "Labels and covariates:\n"
          "  --labels FILE          CSV id,label[,covariate...] (overrides source labels)\n"
          "  --dpq FILE             NHANES DPQ_* .XPT: label = PHQ-9 total >= threshold\n"
          "  --phq-threshold N      default 10\n"
          "  --phq-missing RULE     exclude|zero: items coded 7, 9 or missing (default\n"
          "                         exclude: such participants get no label, counted)\n"
          "  --demo FILE            NHANES DEMO_* .XPT: age and sex covariates\n"
          "  --drop-unlabeled       leave out participants without a label\n"
          "Series:\n"
          "  --duplicates RULE      error|first|last for a repeated minute (default error)\n"
          "  --no-dst               do not recognise daylight-saving jumps\n"
          "  --max-gap MIN          longest gap accepted, minutes (default 43200)\n"
          "  --nonwear-zeros MIN    runs of >= MIN zero minutes are non-wear (default 0: off)\n"
          "  --keep-nonwear         NHANES: non-wear/unknown minutes count as valid\n"
          "Windows:\n"
          "  --length T             minutes per window (default 10080), multiple of --patch\n"
          "  --patch P              default 18\n"
          "  --align WHERE          midnight|start (default midnight)\n"
          "  --stride MIN           between window starts (default: --length)\n"
          "  --max-windows N        per participant (default 0: all)\n"
          "  --min-day-minutes M    valid minutes for a valid day (default 600)\n"
          "  --min-days D           valid days a window needs (default 0: all of them)\n"
          "  --fill V               value of missing/invalid minutes (default 0)\n"
          "Transform and splits:\n"
          "  --smooth               Savitzky-Golay smoothing, window 51, order 3 (the\n"
          "                         paper's smoothed variant; --smooth-window, --smooth-order)\n"
          "  --log1p                store log(1 + x)\n"
          "  --scaler MODE          train|per-split|none (default train)\n"
          "  --val F, --test F      fractions per label class (default 0.2, 0.2)\n"
          "  --test-count N         hold out N test participants (the paper: 2000)\n"
          "  --use-count N          use only N non-test participants for train+val (the\n"
          "                         paper's sizes 500, 1000, 2500); the rest get split none\n"
          "  --folds K              k-fold over non-test participants (needs --val 0)\n"
          "  --seed S               default 42\n"
          "  --split-unlabeled      split unlabeled participants too (default: split none)\n"
          "Output:\n"
          "  -o, --output FILE      dataset (build) or report (report; default stdout)\n"
          "  --report FILE          build: also write the report\n"
          "  -q, --quiet            no progress on standard error\n"
          "  -h, --help             this help\n", stdout);
}

/* Source-selecting options; returns -1 to continue or an exit code. */
static int build_source_opt(struct build_opts *o, int c) {
    int k;
    switch (c) {
    case O_DEPRESJON: o->depresjon = optarg; return -1;
    case O_CSV:
        if (o->ncsv == MAX_CSV) return cli_usage_error(o->cmd, "more than %d --csv", MAX_CSV);
        o->csv[o->ncsv++] = optarg;
        return -1;
    case O_LAYOUT:
        if ((k = pat_layout_parse(optarg)) < 0)
            return cli_usage_error(o->cmd, "unknown --layout '%s'", optarg);
        o->csvp.layout = (enum pat_csv_layout)k;
        return -1;
    case O_START: {
        int64_t t;
        int sec;
        if (!pat_parse_timestamp(optarg, strlen(optarg), &t, &sec) || sec)
            return cli_usage_error(o->cmd, "--start must be 'YYYY-MM-DD HH:MM', got '%s'", optarg);
        o->csvp.start = t;
        return -1;
    }
    case O_INPUT:
        if (o->ninput == MAX_CSV) return cli_usage_error(o->cmd, "more than %d --input", MAX_CSV);
        o->input[o->ninput++] = optarg;
        return -1;
    case O_FORMAT:
        if ((k = pat_format_parse(optarg)) < 0)
            return cli_usage_error(o->cmd, "unknown --format '%s' (auto, actilife-csv, agd, awd, "
                                   "fitbit-minute, apple-health, csv)", optarg);
        o->rd.format = (enum pat_format)k;
        return -1;
    case O_DATE_FORMAT:
        if ((k = pat_date_order_parse(optarg)) < 0)
            return cli_usage_error(o->cmd, "unknown --date-format '%s' (auto, mdy, dmy, ymd)",
                                   optarg);
        o->rd.date_order = (enum pat_date_order)k;
        return -1;
    case O_EPOCH_AGG:
        if ((k = pat_epoch_agg_parse(optarg)) < 0)
            return cli_usage_error(o->cmd, "unknown --epoch-agg '%s' (sum, mean)", optarg);
        o->rd.agg = (enum pat_epoch_agg)k;
        return -1;
    case O_LONG: o->long_csv = optarg; return -1;
    case O_IDCOL: o->longp.id_col = optarg; return -1;
    case O_TIMECOL: o->longp.time_col = optarg; return -1;
    case O_VALUECOL: o->longp.value_col = optarg; return -1;
    case O_CLOCKCOL: o->longp.clock_col = optarg; return -1;
    case O_PAXMIN: o->paxmin = optarg; return -1;
    case O_PAXRAW: o->paxraw = optarg; return -1;
    }
    return 0; /* not a source option */
}

static int build_label_opt(struct build_opts *o, int c) {
    static const char *const phq[] = {"exclude", "zero"};
    int k = 0, rc;
    switch (c) {
    case O_LABELS: o->labels = optarg; return -1;
    case O_DPQ: o->dpq = optarg; return -1;
    case O_DEMO: o->demo = optarg; return -1;
    case O_PHQ_THRESHOLD:
        return parse_real(o->cmd, "--phq-threshold", optarg, 0, 27, &o->nh.phq_threshold);
    case O_PHQ_MISSING:
        rc = parse_choice(o->cmd, "--phq-missing", optarg, phq, 2, &k);
        o->nh.phq_missing = (enum pat_phq_missing)k;
        return rc;
    case O_DROP_UNLABELED: o->bp.drop_unlabeled = 1; return -1;
    case O_KEEP_NONWEAR: o->nh.keep_nonwear = 1; return -1;
    }
    return 0;
}

static int build_series_opt(struct build_opts *o, int c) {
    static const char *const dup[] = {"error", "first", "last"};
    static const char *const align[] = {"midnight", "start"};
    struct pat_week_params *w = &o->bp.weeks;
    int k = 0, rc;
    double v;
    switch (c) {
    case O_DUPLICATES:
        rc = parse_choice(o->cmd, "--duplicates", optarg, dup, 3, &k);
        o->bp.rules.dup = (enum pat_dup_rule)k;
        return rc;
    case O_NO_DST: o->bp.rules.dst = 0; return -1;
    case O_MAX_GAP: return parse_size(o->cmd, "--max-gap", optarg, 0, 1u << 23, &o->bp.rules.max_gap);
    case O_ZERO_RUN: return parse_size(o->cmd, "--nonwear-zeros", optarg, 0, 1u << 23, &o->bp.zero_run);
    case O_LENGTH: return parse_size(o->cmd, "--length", optarg, 1, 1u << 22, &w->length);
    case O_PATCH: return parse_size(o->cmd, "--patch", optarg, 1, 10080, &w->patch);
    case O_ALIGN:
        rc = parse_choice(o->cmd, "--align", optarg, align, 2, &k);
        w->align = (enum pat_align)k;
        return rc;
    case O_STRIDE: return parse_size(o->cmd, "--stride", optarg, 1, 1u << 22, &w->stride);
    case O_MAX_WINDOWS: return parse_size(o->cmd, "--max-windows", optarg, 0, 1u << 20, &w->max_windows);
    case O_MIN_DAY: return parse_size(o->cmd, "--min-day-minutes", optarg, 0, 1440, &w->min_day_minutes);
    case O_MIN_DAYS: return parse_size(o->cmd, "--min-days", optarg, 0, 1u << 16, &w->min_days);
    case O_FILL:
        rc = parse_real(o->cmd, "--fill", optarg, -1e30, 1e30, &v);
        w->fill = (float)v;
        return rc;
    }
    return 0;
}

static int build_split_opt(struct build_opts *o, int c) {
    static const char *const scaler[] = {"none", "train", "per-split"};
    struct pat_split_params *s = &o->bp.split;
    int k = 0, rc;
    size_t seed;
    switch (c) {
    case O_LOG1P: o->bp.log1p = 1; return -1;
    case O_SMOOTH:
        if (!o->bp.smooth_window) o->bp.smooth_window = 51;
        if (!o->bp.smooth_order) o->bp.smooth_order = 3;
        return -1;
    case O_SMOOTH_WINDOW:
        return parse_size(o->cmd, "--smooth-window", optarg, 3, 10079, &o->bp.smooth_window);
    case O_SMOOTH_ORDER:
        return parse_size(o->cmd, "--smooth-order", optarg, 0, 6, &o->bp.smooth_order);
    case O_TEST_COUNT: return parse_size(o->cmd, "--test-count", optarg, 0, 1u << 30, &s->test_count);
    case O_USE_COUNT: return parse_size(o->cmd, "--use-count", optarg, 0, 1u << 30, &s->use_count);
    case O_SCALER:
        rc = parse_choice(o->cmd, "--scaler", optarg, scaler, 3, &k);
        o->bp.scaler = (enum pat_scaler_mode)k;
        return rc;
    case O_VAL: return parse_real(o->cmd, "--val", optarg, 0, 0.99, &s->val);
    case O_TEST: return parse_real(o->cmd, "--test", optarg, 0, 0.99, &s->test);
    case O_FOLDS: return parse_size(o->cmd, "--folds", optarg, 0, 100, &s->folds);
    case O_SEED:
        rc = parse_size(o->cmd, "--seed", optarg, 0, SIZE_MAX, &seed);
        s->seed = seed;
        return rc;
    case O_SPLIT_UNLABELED: s->split_unlabeled = 1; return -1;
    case O_REPORT: o->report = optarg; return -1;
    case 'o': o->output = optarg; return -1;
    case 'q': o->quiet = 1; return -1;
    }
    return 0;
}

static int check_build_opts(struct build_opts *o, int val_given) {
    int kinds = (o->depresjon != NULL) + (o->ncsv > 0) + (o->ninput > 0) + (o->long_csv != NULL) +
                (o->paxmin != NULL) + (o->paxraw != NULL);
    if (kinds != 1)
        return cli_usage_error(o->cmd, "give exactly one kind of input (--input, --depresjon, "
                               "--csv, --long, --paxmin or --paxraw)");
    if (o->long_csv && (!o->longp.id_col || !o->longp.time_col || !o->longp.value_col))
        return cli_usage_error(o->cmd, "--long needs --id-col, --time-col and --value-col");
    if (!o->report_only && !o->output) return cli_usage_error(o->cmd, "missing -o OUT.patd");
    if (o->bp.split.folds && !val_given) o->bp.split.val = 0;
    if (o->bp.smooth_window && !o->bp.smooth_order) o->bp.smooth_order = 3;
    if (o->bp.smooth_order && !o->bp.smooth_window) o->bp.smooth_window = 51;
    struct pat_err err = {0};
    float label = 0;
    uint8_t split, fold;
    const char *id = "x";
    struct pat_split_params sp = o->bp.split; /* fractions and folds; counts need the data */
    sp.test_count = sp.use_count = 0;
    if (pat_week_params_check(&o->bp.weeks, &err) != PAT_OK ||
        pat_split_assign(&id, &label, 1, &sp, &split, &fold, &err) != PAT_OK)
        return cli_usage_error(o->cmd, "%s", err.msg);
    return -1;
}

static int parse_build_opts(int argc, char **argv, struct build_opts *o) {
    int c, val_given = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", build_longopts, NULL)) != -1) {
        if (c == 'h') {
            print_build_help(o->report_only);
            return EXIT_OK;
        }
        if (c == '?') return cli_usage_error(o->cmd, "unknown option");
        val_given |= c == O_VAL;
        int rc = build_source_opt(o, c);
        if (!rc) rc = build_label_opt(o, c);
        if (!rc) rc = build_series_opt(o, c);
        if (!rc) rc = build_split_opt(o, c);
        if (rc == 0) return cli_usage_error(o->cmd, "option not handled");
        if (rc > 0) return rc;
    }
    if (optind < argc) return cli_usage_error(o->cmd, "unexpected argument '%s'", argv[optind]);
    return check_build_opts(o, val_given);
}

/* ---- pat data build / report: running ------------------------------------ */

static void progress(void *user, const char *stage, size_t done, size_t total) {
    const struct build_opts *o = user;
    (void)total;
    if (o->quiet || !isatty(STDERR_FILENO)) return;
    if (strcmp(stage, "writing") == 0) fprintf(stderr, "\rpat %s: writing %s\n", o->cmd, o->output);
    else fprintf(stderr, "\rpat %s: %zu %s", o->cmd, done, stage);
}

/* Labels and covariates from --labels, --dpq, --demo or Depresjon scores. */
static enum pat_status load_labels(const struct build_opts *o, struct pat_labels *L,
                                   struct pat_err *err) {
    enum pat_status st = PAT_OK;
    if (o->depresjon) { /* scores.csv first: --labels then overrides by id */
        char *scores = pat_path_join(o->depresjon, "scores.csv");
        if (!scores) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        FILE *f = fopen(scores, "r");
        if (f) fclose(f);
        if (f) st = pat_labels_read_depresjon(scores, L, err);
        free(scores);
    }
    if (st == PAT_OK && o->labels) st = pat_labels_read_csv(o->labels, L, err);
    if (st == PAT_OK && o->dpq) {
        struct pat_phq_stats ps;
        st = pat_nhanes_read_dpq(o->dpq, &o->nh, L, &ps, err);
        if (st == PAT_OK && !o->quiet)
            fprintf(stderr, "pat %s: %s: %zu rows, %zu labelled (%zu with PHQ-9 >= %g); excluded: "
                    "%zu refused/don't know, %zu missing items, %zu unanswered; %zu with "
                    "refused or missing items counted as 0 (--phq-missing zero)\n", o->cmd,
                    o->dpq, ps.rows, ps.labeled, ps.positive, o->nh.phq_threshold, ps.refused,
                    ps.missing, ps.unanswered, ps.zeroed);
    }
    size_t rows;
    if (st == PAT_OK && o->demo) st = pat_nhanes_read_demo(o->demo, L, &rows, err);
    return st;
}

/* Which format each --input file was read as. */
static void note_format(void *user, const char *path, enum pat_format f, int detected) {
    const struct build_opts *o = user;
    if (!o->quiet)
        fprintf(stderr, "pat %s: %s: %s%s\n", o->cmd, path, pat_format_name(f),
                detected ? " (detected from its content)" : "");
}

static enum pat_status run_source(const struct build_opts *o, struct pat_build *b, size_t *n,
                                  struct pat_err *err) {
    const struct pat_series_rules *r = &o->bp.rules;
    if (o->ninput) {
        struct pat_read_options ro = o->rd;
        ro.rules = *r;
        ro.value_col = o->longp.value_col;
        ro.time_col = o->longp.time_col;
        ro.on_file = note_format;
        ro.on_file_user = (void *)o;
        return pat_read_inputs(o->input, o->ninput, &ro, pat_build_series_fn, b, n, err);
    }
    if (o->depresjon) return pat_depresjon_read(o->depresjon, r, pat_build_series_fn, b, n, err);
    if (o->ncsv) {
        struct pat_csv_series_params p = o->csvp;
        p.rules = *r;
        return pat_csv_files_read(o->csv, o->ncsv, &p, pat_build_series_fn, b, n, err);
    }
    if (o->long_csv) {
        struct pat_long_csv_params p = o->longp;
        p.rules = *r;
        return pat_series_read_long_csv(o->long_csv, &p, pat_build_series_fn, b, n, err);
    }
    if (o->paxmin)
        return pat_nhanes_read_paxmin(o->paxmin, &o->nh, r, pat_build_series_fn, b, n, err);
    return pat_nhanes_read_paxraw(o->paxraw, &o->nh, r, pat_build_series_fn, b, n, err);
}

/* Provenance lines added by the command line: inputs and the command. */
static char *command_meta(const struct build_opts *o, int argc, char **argv) {
    size_t len = 256;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "command=pat data");
    for (int i = 0; i < argc; i++) p += sprintf(p, " %s", argv[i]);
    for (char *q = s; *q; q++)
        if (*q == '\n') *q = ' ';
    sprintf(p, "\nlabels_source=%s\n", o->labels ? "labels" : o->dpq ? "dpq"
                                        : o->depresjon ? "depresjon folders" : "none");
    return s;
}

/* ---- the report ---------------------------------------------------------- */

static void report_summary(FILE *f, const struct pat_build_report *r) {
    size_t with_rows = 0, obs = 0, gapm = 0, dst = 0, dup = 0, rej = 0;
    for (size_t i = 0; i < r->np; i++) {
        with_rows += r->p[i].windows > 0;
        obs += r->p[i].valid;
        gapm += r->p[i].stats.gap_minutes;
        dst += r->p[i].stats.dst_gap_minutes;
        dup += r->p[i].stats.duplicates + r->p[i].stats.dst_repeat_rows;
        rej += r->p[i].windows == 0;
    }
    fprintf(f, "# pat data report (pat %s)\n", PAT_VERSION);
    fprintf(f, "# participants read %zu, with windows %zu, without %zu\n", r->np, with_rows, rej);
    fprintf(f, "# windows accepted %zu, rejected %zu\n", r->rows, r->nr);
    fprintf(f, "# valid minutes %zu; gap minutes %zu; DST gap minutes %zu; rows dropped as "
               "duplicates or DST repeats %zu\n", obs, gapm, dst, dup);
    if (r->split_participants[0] + r->split_participants[1] + r->split_participants[2] +
        r->split_participants[3])
        fprintf(f, "# split rows/participants: train %zu/%zu, val %zu/%zu, test %zu/%zu, none "
                   "%zu/%zu\n", r->split_rows[0], r->split_participants[0], r->split_rows[1],
                r->split_participants[1], r->split_rows[2], r->split_participants[2],
                r->split_rows[3], r->split_participants[3]);
}

static void report_row(FILE *f, const struct pat_participant_report *e) {
    char t[PAT_TIME_LEN];
    pat_time_format(e->first, t);
    const struct pat_series_stats *s = &e->stats;
    fprintf(f, "%s,", e->id);
    if (isnan(e->label)) fputs("NA,", f);
    else fprintf(f, "%g,", (double)e->label);
    fprintf(f, "%s,%s,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%.1f,%zu,%zu,%zu,\"%s\"\n",
            e->split >= 0 ? pat_split_name((enum pat_split)e->split) : "-", t, e->minutes,
            e->valid, s->gaps, s->gap_minutes, s->dst_gap_minutes, s->dst_repeat_rows,
            s->duplicates, s->na_values, s->flagged, s->nonwear, e->days, e->valid_days,
            e->mean_valid, e->windows, e->rejected, e->filled, e->reason);
}

static void write_report(FILE *f, const struct pat_build_report *r) {
    report_summary(f, r);
    fputs("id,label,split,first,minutes,valid_minutes,gaps,gap_minutes,dst_gap_minutes,"
          "dst_repeat_rows,duplicates,na_values,flagged,nonwear,days,valid_days,"
          "valid_minutes_per_day,windows,windows_rejected,minutes_filled,reason\n", f);
    for (size_t i = 0; i < r->np; i++) report_row(f, &r->p[i]);
    for (size_t i = 0; i < r->nr; i++) {
        char t[PAT_TIME_LEN];
        pat_time_format(r->r[i].start, t);
        fprintf(f, "# rejected window: %s %s: %s\n", r->p[r->r[i].participant].id, t,
                r->r[i].reason);
    }
}

static enum pat_status save_report(const char *path, const struct pat_build_report *r,
                                   struct pat_err *err) {
    struct output out;
    enum pat_status st = output_open(&out, path, err);
    if (st != PAT_OK) return st;
    write_report(out.f, r);
    return output_commit(&out, err);
}

/* Split and write the dataset (build) and the report. A report-only run
 * still splits, to show the split sizes; a failed build still writes the
 * --report it was asked for, which says why no window was accepted. */
static enum pat_status finish(const struct build_opts *o, struct pat_build *b, const char *meta,
                              struct pat_err *err) {
    struct pat_err ignored;
    enum pat_status st = pat_build_finish(b, meta, o->report_only ? &ignored : err);
    if (o->report_only) st = PAT_OK;
    const char *path = o->report_only ? o->output : o->report;
    if (o->report_only || o->report) {
        enum pat_status rs = save_report(path, pat_build_report(b), st == PAT_OK ? err : &ignored);
        if (st == PAT_OK) st = rs;
    }
    return st;
}

static int run_build(int argc, char **argv, int report_only) {
    struct build_opts *o = calloc(1, sizeof *o);
    if (!o) return EXIT_FAILURE_OTHER;
    o->cmd = report_only ? "data report" : "data build";
    o->report_only = report_only;
    o->bp = pat_build_default_params();
    o->rd = pat_read_default_options();
    o->nh = pat_nhanes_default_params();
    o->bp.progress = progress;
    o->bp.progress_user = o;
    int rc = parse_build_opts(argc, argv, o);
    if (rc >= 0) {
        free(o);
        return rc;
    }
    struct pat_err err = {0};
    struct pat_labels L;
    struct pat_build *b = NULL;
    size_t n = 0;
    char *meta = command_meta(o, argc, argv);
    pat_labels_init(&L);
    enum pat_status st = meta ? load_labels(o, &L, &err)
                              : pat_fail(&err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK)
        st = pat_build_begin(report_only ? NULL : o->output, &o->bp, &L, &b, &err);
    if (st == PAT_OK) st = run_source(o, b, &n, &err);
    if (st == PAT_OK && !o->quiet && isatty(STDERR_FILENO)) fputc('\n', stderr);
    if (st == PAT_OK) st = finish(o, b, meta, &err);
    if (st == PAT_OK && !o->quiet) {
        const struct pat_build_report *r = pat_build_report(b);
        fprintf(stderr, "pat %s: %zu participants read, %zu windows accepted, %zu rejected%s%s\n",
                o->cmd, n, r->rows, r->nr, report_only ? "" : "; wrote ",
                report_only ? "" : o->output);
    }
    pat_build_free(b);
    pat_labels_free(&L);
    free(meta);
    free(o);
    return st == PAT_OK ? EXIT_OK : cli_report(report_only ? "data report" : "data build", &err);
}

/* ---- pat data info ------------------------------------------------------- */

static void info_splits(const struct pat_dataset *ds) {
    size_t rows[4] = {0}, pos[4] = {0}, neg[4] = {0}, unl[4] = {0}, parts[4] = {0};
    size_t np = pat_dataset_num_participants(ds), last = (size_t)-1;
    for (size_t i = 0; i < pat_dataset_rows(ds); i++) {
        unsigned s = pat_dataset_split(ds, i);
        float y = pat_dataset_label(ds, i);
        rows[s]++;
        if (isnan(y)) unl[s]++;
        else if (y == 1.0f) pos[s]++;
        else if (y == 0.0f) neg[s]++;
        if (pat_dataset_participant(ds, i) != last) parts[s]++;
        last = pat_dataset_participant(ds, i);
    }
    printf("participants  %zu\n", np);
    printf("split         rows  participants  label 1  label 0  unlabeled\n");
    for (unsigned s = 0; s < 4; s++)
        printf("  %-10s %6zu %13zu %8zu %8zu %10zu\n", pat_split_name((enum pat_split)s), rows[s],
               parts[s], pos[s], neg[s], unl[s]);
}

static void info_rows(const struct pat_dataset *ds) {
    printf("\nrow,id,start,label,split,fold,valid_minutes\n");
    for (size_t i = 0; i < pat_dataset_rows(ds); i++) {
        char t[PAT_TIME_LEN];
        pat_time_format(pat_dataset_start(ds, i), t);
        unsigned f = pat_dataset_fold(ds, i);
        float y = pat_dataset_label(ds, i);
        printf("%zu,%s,%s,", i + 1, pat_dataset_id(ds, i), t); /* rows count from 1 */
        if (isnan(y)) printf("NA,"); /* unlabeled: NA, as data export writes it */
        else printf("%g,", (double)y);
        printf("%s,", pat_split_name(pat_dataset_split(ds, i)));
        if (f == PAT_FOLD_NONE) printf("NA,");
        else printf("%u,", f);
        printf("%zu\n", pat_dataset_valid_minutes(ds, i));
    }
}

static void info_print(const char *path, const struct pat_dataset *ds, int rows) {
    printf("file          %s\n", path);
    printf("rows          %zu windows of %zu minutes\n", pat_dataset_rows(ds),
           pat_dataset_length(ds));
    info_splits(ds);
    printf("folds         %zu\n", pat_dataset_num_folds(ds));
    printf("scaler        %s\n", pat_scaler_mode_name(pat_dataset_scaler_mode(ds)));
    printf("covariates    %zu", pat_dataset_num_covariates(ds));
    for (size_t j = 0; j < pat_dataset_num_covariates(ds); j++)
        printf("%s%s", j ? ", " : ": ", pat_dataset_covariate_name(ds, j));
    printf("\nprovenance\n");
    for (size_t i = 0; i < pat_dataset_num_meta(ds); i++) {
        const char *k, *v;
        pat_dataset_meta_at(ds, i, &k, &v);
        printf("  %s=%s\n", k, v);
    }
    if (rows) info_rows(ds);
}

static int cmd_data_info(int argc, char **argv) {
    static const struct option longopts[] = {{"rows", no_argument, 0, 'r'},
                                             {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, rows = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "rh", longopts, NULL)) != -1) {
        if (c == 'r') rows = 1;
        else if (c == 'h') {
            fputs("Usage: pat data info D.patd [--rows]\n"
                  "Print a dataset's shape, rows and participants per split and label,\n"
                  "folds, scaler, covariates and provenance; --rows lists every row\n"
                  "(id, window start, label, split, fold, valid minutes).\n", stdout);
            return EXIT_OK;
        } else return cli_usage_error("data info", "unknown option");
    }
    if (optind + 1 != argc) return cli_usage_error("data info", "give one dataset file");
    struct pat_dataset *ds;
    struct pat_err err = {0};
    if (pat_dataset_open(argv[optind], &ds, &err) != PAT_OK) return cli_report("data info", &err);
    info_print(argv[optind], ds, rows);
    pat_dataset_close(ds);
    return EXIT_OK;
}

/* ---- pat data export ----------------------------------------------------- */

struct export_opts {
    const char *input, *output, *labels;
    int split; /* -1: all */
    int standardize, quiet;
};

static int parse_export_opts(int argc, char **argv, struct export_opts *o) {
    static const struct option longopts[] = {
        {"csv", required_argument, 0, 'c'},    {"output", required_argument, 0, 'o'},
        {"labels", required_argument, 0, 'l'}, {"split", required_argument, 0, 's'},
        {"standardize", no_argument, 0, 'z'},  {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    static const char *const splits[] = {"train", "val", "test", "none", "all"};
    int c, k = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:l:s:zqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->input = optarg; break;
        case 'o': o->output = optarg; break;
        case 'l': o->labels = optarg; break;
        case 's':
            if (parse_choice("data export", "--split", optarg, splits, 5, &k) >= 0) return EXIT_USAGE;
            o->split = k == 4 ? -1 : k;
            break;
        case 'z': o->standardize = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h':
            fputs("Usage: pat data export --csv D.patd -o X.csv [--labels Y.csv] [options]\n"
                  "Write the rows of a dataset as CSV, one window per line (comma-separated\n"
                  "minutes, no header: the input of pat embed/predict/explain), and\n"
                  "optionally Y.csv with one line per row: id,start,label,split,fold,\n"
                  "valid_minutes (with a header).\n\n"
                  "  --split NAME      train|val|test|none|all (default all)\n"
                  "  --standardize     apply the stored per-minute scaler of each row's split\n"
                  "  -q, --quiet       no summary on standard error\n", stdout);
            return EXIT_OK;
        default: return cli_usage_error("data export", "unknown option");
        }
    }
    if (optind < argc && !o->input) o->input = argv[optind++];
    if (optind < argc) return cli_usage_error("data export", "unexpected argument '%s'", argv[optind]);
    if (!o->input) return cli_usage_error("data export", "missing --csv D.patd");
    if (!o->output) return cli_usage_error("data export", "missing -o X.csv");
    return -1;
}

static void label_line(FILE *f, const struct pat_dataset *ds, size_t i) {
    char t[PAT_TIME_LEN];
    pat_time_format(pat_dataset_start(ds, i), t);
    float y = pat_dataset_label(ds, i);
    unsigned fold = pat_dataset_fold(ds, i);
    fprintf(f, "%s,%s,", pat_dataset_id(ds, i), t);
    if (isnan(y)) fputs("NA,", f);
    else fprintf(f, "%.9g,", (double)y);
    fprintf(f, "%s,", pat_split_name(pat_dataset_split(ds, i)));
    if (fold == PAT_FOLD_NONE) fputs("NA,", f);
    else fprintf(f, "%u,", fold);
    fprintf(f, "%zu\n", pat_dataset_valid_minutes(ds, i));
}

/* Write the selected rows to x (and their labels to y when open). */
static enum pat_status export_rows(const struct export_opts *o, const struct pat_dataset *ds,
                                   struct output *x, struct output *y, size_t *n,
                                   struct pat_err *err) {
    size_t T = pat_dataset_length(ds);
    float *z = malloc(T * sizeof *z);
    if (!z) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (y->f) fputs("id,start,label,split,fold,valid_minutes\n", y->f);
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < pat_dataset_rows(ds); i++) {
        enum pat_split s = pat_dataset_split(ds, i);
        if (o->split >= 0 && (int)s != o->split) continue;
        const float *row = pat_dataset_row(ds, i), *mean, *std;
        if (o->standardize) {
            if (!pat_dataset_scaler(ds, s, &mean, &std)) {
                st = pat_fail(err, PAT_ERR_USAGE, "%s: row %zu (split %s) has no stored scaler "
                              "to standardize with", o->input, i + 1, pat_split_name(s));
                break;
            }
            for (size_t j = 0; j < T; j++) z[j] = (row[j] - mean[j]) / std[j];
            row = z;
        }
        output_row(x, row, T);
        if (y->f) label_line(y->f, ds, i);
        (*n)++;
    }
    free(z);
    return st;
}

static int cmd_data_export(int argc, char **argv) {
    struct export_opts o = {.split = -1};
    int rc = parse_export_opts(argc, argv, &o);
    if (rc >= 0) return rc;
    struct pat_dataset *ds = NULL;
    struct output x = {0}, y = {0};
    struct pat_err err = {0};
    size_t n = 0;
    enum pat_status st = pat_dataset_open(o.input, &ds, &err);
    if (st == PAT_OK) st = output_open(&x, o.output, &err);
    if (st == PAT_OK && o.labels) st = output_open(&y, o.labels, &err);
    if (st == PAT_OK) st = export_rows(&o, ds, &x, &y, &n, &err);
    if (st == PAT_OK) st = output_commit(&x, &err);
    if (st == PAT_OK && o.labels) st = output_commit(&y, &err);
    if (st != PAT_OK) {
        output_abort(&x);
        output_abort(&y);
    } else if (!o.quiet) {
        fprintf(stderr, "pat data export: %zu rows of %zu minutes to %s\n", n,
                pat_dataset_length(ds), o.output);
    }
    pat_dataset_close(ds);
    return st == PAT_OK ? EXIT_OK : cli_report("data export", &err);
}

/* ---- pat data synth ------------------------------------------------------ */

static int parse_synth_opts(int argc, char **argv, struct pat_synth_params *p, int *kind,
                            const char **out) {
    static const struct option longopts[] = {
        {"kind", required_argument, 0, 'k'},     {"n", required_argument, 0, 'n'},
        {"prevalence", required_argument, 0, 'p'}, {"effect", required_argument, 0, 'e'},
        {"nonwear", required_argument, 0, 'w'},  {"days", required_argument, 0, 'd'},
        {"seed", required_argument, 0, 's'},     {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    static const char *const kinds[] = {"depresjon", "nhanes"};
    const char *cmd = "data synth";
    int c, rc = -1;
    size_t seed;
    optind = 1;
    while (rc < 0 && (c = getopt_long(argc, argv, "k:n:p:e:w:d:s:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': rc = parse_choice(cmd, "--kind", optarg, kinds, 2, kind); break;
        case 'n': rc = parse_size(cmd, "--n", optarg, 1, 100000, &p->n); break;
        case 'p': rc = parse_real(cmd, "--prevalence", optarg, 0, 1, &p->prevalence); break;
        case 'e': rc = parse_real(cmd, "--effect", optarg, 0, 1, &p->effect); break;
        case 'w': rc = parse_real(cmd, "--nonwear", optarg, 0, 1, &p->nonwear); break;
        case 'd': rc = parse_size(cmd, "--days", optarg, 8, 60, &p->days); break;
        case 's':
            rc = parse_size(cmd, "--seed", optarg, 0, SIZE_MAX, &seed);
            p->seed = seed;
            break;
        case 'o': *out = optarg; break;
        case 'h':
            fputs("Usage: pat data synth --kind depresjon|nhanes -o DIR [options]\n"
                  "Write a synthetic cohort with realistic rest-activity rhythms, weekday/\n"
                  "weekend differences, non-wear gaps and a planted depression signal:\n"
                  "  depresjon  DIR/condition/*.csv, DIR/control/*.csv, DIR/scores.csv\n"
                  "  nhanes     DIR/PAXMIN_H.XPT, PAXDAY_H.XPT, DPQ_H.XPT, DEMO_H.XPT\n\n"
                  "  --n N             participants (default 40)\n"
                  "  --prevalence F    fraction depressed (default 0.4)\n"
                  "  --effect F        signal strength 0..1 (default 0.5)\n"
                  "  --nonwear F       chance per day of a non-wear gap (default 0.1)\n"
                  "  --days N          Depresjon recording days, 8..60 (default 14)\n"
                  "  --seed S          default 1\n", stdout);
            return EXIT_OK;
        default: return cli_usage_error(cmd, "unknown option");
        }
    }
    if (rc >= 0) return rc;
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!*out) return cli_usage_error(cmd, "missing -o DIR");
    if (*kind < 0) return cli_usage_error(cmd, "missing --kind depresjon|nhanes");
    return -1;
}

static int cmd_data_synth(int argc, char **argv) {
    struct pat_synth_params p = pat_synth_default_params();
    int kind = -1;
    const char *out = NULL;
    int rc = parse_synth_opts(argc, argv, &p, &kind, &out);
    if (rc >= 0) return rc;
    struct pat_err err = {0};
    enum pat_status st = kind == 0 ? pat_synth_depresjon(out, &p, &err)
                                   : pat_synth_nhanes(out, &p, &err);
    if (st != PAT_OK) return cli_report("data synth", &err);
    fprintf(stderr, "pat data synth: %zu %s-shaped participants in %s (seed %llu)\n", p.n,
            kind == 0 ? "Depresjon" : "NHANES", out, (unsigned long long)p.seed);
    return EXIT_OK;
}

/* ---- dispatcher ---------------------------------------------------------- */

static void print_data_help(FILE *f) {
    fputs("Usage: pat data SUBCOMMAND [options]   (pat data SUBCOMMAND --help)\n\n"
          "  build    raw files (Depresjon, CSV, NHANES XPT) -> dataset D.patd\n"
          "  report   data-sufficiency report of the same inputs, without a dataset\n"
          "  info     describe a dataset (splits, labels, scaler, provenance)\n"
          "  export   write a dataset's rows as CSV (pat embed's input) and its labels\n"
          "  synth    write a synthetic Depresjon- or NHANES-shaped cohort\n\n"
          "Choices (alignment, gaps, DST, labels, splits, file format): docs/data.md\n", f);
}

int cmd_data(int argc, char **argv) {
    if (argc < 2) {
        print_data_help(stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        print_data_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(sub, "build") == 0) return run_build(argc - 1, argv + 1, 0);
    if (strcmp(sub, "report") == 0) return run_build(argc - 1, argv + 1, 1);
    if (strcmp(sub, "info") == 0) return cmd_data_info(argc - 1, argv + 1);
    if (strcmp(sub, "export") == 0) return cmd_data_export(argc - 1, argv + 1);
    if (strcmp(sub, "synth") == 0) return cmd_data_synth(argc - 1, argv + 1);
    fprintf(stderr, "pat data: unknown subcommand '%s'\n\n", sub);
    print_data_help(stderr);
    return EXIT_USAGE;
}
