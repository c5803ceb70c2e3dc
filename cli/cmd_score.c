/* cmd_score.c - pat score: raw recordings -> one row per participant with
 * the model's input recipe (src/score/). This file parses options, settles
 * the recipe and writes the outputs; under mpirun the ranks share the
 * participants (score_dist.h) and rank 0 writes everything. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "data/clock.h"
#include "dist/dist.h"
#include "report/svg.h"
#include "score/score.h"
#include "score_dist.h"
#include "util.h"

#define MAX_OVERRIDES 32

struct score_opts {
    const char *model, *recipe_file, *output, *windows, *json, *chart;
    const char **inputs;
    size_t ninputs;
    const char *over[MAX_OVERRIDES][2]; /* recipe key, value from the command line */
    size_t nover;
    int allow_change, threads, quiet;
    const struct pat_dist *dist; /* the job under mpirun (else one process) */
    struct pat_score_params sp;
};

static void print_score_help(void) {
    fputs("Usage: pat score -m MODEL [options] RECORDING...\n"
          "Score people from their raw recordings: each recording is cut into windows\n"
          "exactly as the model's training data were (its input recipe, pat.recipe.*),\n"
          "every window is scored, and each participant gets one row: the mean (or the\n"
          "recipe's aggregate) of its window probabilities, the decision at the recipe's\n"
          "threshold, and how much valid data stands behind it. A participant without\n"
          "an acceptable window gets a row with an empty probability and the reason.\n"
          "The demo model scores days (1440-minute windows); give it a week or more.\n"
          "Research and demonstration only: not a diagnosis.\n\n"
          "Recordings (one participant per CSV file, id = file name without extension;\n"
          "or many per file; the format is picked per path unless --format is given):\n"
          "  --format NAME          auto, a device or app format (actilife-csv, agd, awd,\n"
          "                         fitbit-minute, apple-health; docs/data.md), or\n"
          "                         csv|depresjon|long|paxmin|paxraw (default auto: a folder\n"
          "                         with condition/ is Depresjon, another folder its *.csv,\n"
          "                         *.xpt NHANES, any other file judged from its content\n"
          "                         and named on stderr)\n"
          "  --date-format ORDER    auto|mdy|dmy|ymd for dates like 3/4/2024\n"
          "  --epoch-agg RULE       sum|mean for epochs shorter than a minute (default sum)\n"
          "  --layout NAME          CSV layout auto|depresjon|timestamp|values\n"
          "  --start 'YYYY-MM-DD HH:MM'  values layout: time of the first value\n"
          "  --id-col, --time-col, --value-col, --clock-col NAME   long CSV columns;\n"
          "                         --value-col and --time-col also pick a device file's\n"
          "                         column (ActiLife: vector magnitude, else Axis1)\n"
          "  --keep-nonwear         NHANES: non-wear/unknown minutes count as valid\n"
          "Outputs:\n"
          "  -o, --output FILE      participant rows, CSV with a header (default stdout):\n"
          "                         id,probability,decision,windows,valid_days,days,\n"
          "                         minutes_observed,sufficiency,reason\n"
          "      --windows FILE     one row per scored window: id,start,probability\n"
          "      --json FILE        everything: recipe, participants, windows with their\n"
          "                         most-attended clock time\n"
          "      --chart DIR        one explanation chart per scored participant, DIR/ID.svg:\n"
          "                         activity, attention and window probabilities over the\n"
          "                         days, with the score and the threshold\n"
          "Recipe (default: the model's own; docs/formats.md \"Input recipe\"):\n"
          "      --recipe FILE      key=value lines (pat.recipe.* keys); needed for a model\n"
          "                         without a recipe (Keras import, pat init)\n"
          "      --length T, --align midnight|start, --stride MIN, --max-windows N,\n"
          "      --min-day-minutes M, --min-days D, --fill V, --nonwear-zeros MIN,\n"
          "      --smooth, --smooth-window W, --smooth-order K, --log1p, --no-log1p,\n"
          "      --duplicates error|first|last, --no-dst, --max-gap MIN\n"
          "                         as in pat data build; with a model that has a recipe,\n"
          "                         a different value is refused unless\n"
          "      --allow-recipe-change  score with the changed recipe (reported on stderr\n"
          "                         and in the JSON)\n"
          "      --aggregate mean|median|max, --threshold P   participant score and decision\n"
          "                         (a change from the model's is reported on stderr)\n"
          "Other:\n"
          "  -b, --batch N          windows per inference call (default 64)\n"
          "  -t, --threads N        threads (results do not depend on it)\n"
          "      --precision P      fp32 (default, exact float32) or bf16: bfloat16 products\n"
          "                         with float32 sums (AVX512-BF16; emulated, slower, on\n"
          "                         other CPUs), faster; its error: docs/benchmarks.md\n"
          "  -q, --quiet            no progress on standard error\n"
          "  -h, --help             this help\n"
          "Under mpirun -np N (a make MPI=1 build) the ranks share the participants and\n"
          "rank 0 writes every output, the bytes of one process (docs/scaling.md).\n",
          stdout);
}

enum {
    O_RECIPE = 256, O_WINDOWS, O_JSON, O_CHART, O_FORMAT, O_LAYOUT, O_START, O_IDCOL,
    O_TIMECOL, O_VALUECOL, O_CLOCKCOL, O_KEEP_NONWEAR, O_ALLOW, O_LOG1P, O_NO_LOG1P, O_SMOOTH,
    O_NO_DST, O_DATE_FORMAT, O_EPOCH_AGG, O_PRECISION, O_KEYED /* options that set a recipe key: O_KEYED + index in keyed[] */
};

/* Command-line options that set one recipe key to their argument. */
static const char *const keyed[][2] = {
    {"length", "window_length"},         {"align", "align"},
    {"stride", "stride"},                {"max-windows", "max_windows"},
    {"min-day-minutes", "min_day_minutes"}, {"min-days", "min_days"},
    {"fill", "fill"},                    {"nonwear-zeros", "nonwear_zero_run"},
    {"smooth-window", "smooth_window"},  {"smooth-order", "smooth_order"},
    {"duplicates", "duplicates"},        {"max-gap", "max_gap"},
    {"aggregate", "aggregate"},          {"threshold", "threshold"}};
#define NKEYED (sizeof keyed / sizeof keyed[0])

static int add_override(struct score_opts *o, const char *key, const char *value) {
    if (o->nover == MAX_OVERRIDES) return cli_usage_error("score", "too many recipe options");
    o->over[o->nover][0] = key;
    o->over[o->nover][1] = value;
    o->nover++;
    return -1;
}

static int input_opt(struct score_opts *o, int c) {
    struct pat_input_params *ip = &o->sp.input;
    int k;
    switch (c) {
    case O_FORMAT:
        if (pat_input_format_set(ip, optarg) < 0)
            return cli_usage_error("score", "unknown --format '%s' (auto, actilife-csv, agd, awd, "
                                   "fitbit-minute, apple-health, csv, depresjon, long, paxmin, "
                                   "paxraw)", optarg);
        return -1;
    case O_DATE_FORMAT:
        if ((k = pat_date_order_parse(optarg)) < 0)
            return cli_usage_error("score", "unknown --date-format '%s' (auto, mdy, dmy, ymd)",
                                   optarg);
        ip->readers.date_order = (enum pat_date_order)k;
        return -1;
    case O_EPOCH_AGG:
        if ((k = pat_epoch_agg_parse(optarg)) < 0)
            return cli_usage_error("score", "unknown --epoch-agg '%s' (sum, mean)", optarg);
        ip->readers.agg = (enum pat_epoch_agg)k;
        return -1;
    case O_LAYOUT:
        if ((k = pat_layout_parse(optarg)) < 0)
            return cli_usage_error("score", "unknown --layout '%s'", optarg);
        ip->csv.layout = (enum pat_csv_layout)k;
        return -1;
    case O_START: {
        int64_t t;
        int sec;
        if (!pat_parse_timestamp(optarg, strlen(optarg), &t, &sec) || sec)
            return cli_usage_error("score", "--start must be 'YYYY-MM-DD HH:MM', got '%s'", optarg);
        ip->csv.start = t;
        return -1;
    }
    case O_IDCOL: ip->lng.id_col = optarg; return -1;
    case O_TIMECOL: ip->lng.time_col = ip->readers.time_col = optarg; return -1;
    case O_VALUECOL: ip->lng.value_col = ip->readers.value_col = optarg; return -1;
    case O_CLOCKCOL: ip->lng.clock_col = optarg; return -1;
    case O_KEEP_NONWEAR: ip->nhanes.keep_nonwear = 1; return -1;
    }
    return 0;
}

static int number_opt(const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return cli_usage_error("score", "%s must be %ld..%ld, got '%s'", opt, lo, hi, s);
    *out = v;
    return -1;
}

static int other_opt(struct score_opts *o, int c) {
    long v;
    int rc;
    switch (c) {
    case 'm': o->model = optarg; return -1;
    case 'o': o->output = optarg; return -1;
    case O_WINDOWS: o->windows = optarg; return -1;
    case O_JSON: o->json = optarg; return -1;
    case O_CHART: o->chart = optarg; return -1;
    case O_RECIPE: o->recipe_file = optarg; return -1;
    case O_ALLOW: o->allow_change = 1; return -1;
    case O_LOG1P: return add_override(o, "transform", "log1p");
    case O_NO_LOG1P: return add_override(o, "transform", "none");
    case O_NO_DST: return add_override(o, "dst", "0");
    case O_SMOOTH:
        rc = add_override(o, "smooth_window", "51");
        return rc < 0 ? add_override(o, "smooth_order", "3") : rc;
    case 'b':
        rc = number_opt("--batch", optarg, 1, 4096, &v);
        o->sp.batch = (size_t)v;
        return rc;
    case 't':
        rc = number_opt("--threads", optarg, 1, 1024, &v);
        o->threads = (int)v;
        return rc;
    case 'q': o->quiet = 1; return -1;
    case O_PRECISION:
        return cli_parse_precision("score", optarg, &o->sp.precision) == EXIT_OK ? -1 : EXIT_USAGE;
    }
    if (c >= O_KEYED && c < O_KEYED + (int)NKEYED) return add_override(o, keyed[c - O_KEYED][1], optarg);
    return 0;
}

/* Which format each device or app file was read as. */
static void note_format(void *user, const char *path, enum pat_format f, int detected) {
    const struct score_opts *o = user;
    if (!o->quiet)
        fprintf(stderr, "pat score: %s: %s%s\n", path, pat_format_name(f),
                detected ? " (detected from its content)" : "");
}

static int parse_score_opts(int argc, char **argv, struct score_opts *o) {
    static struct option longopts[NKEYED + 32];
    static const struct option fixed[] = {
        {"model", required_argument, 0, 'm'},     {"output", required_argument, 0, 'o'},
        {"windows", required_argument, 0, O_WINDOWS}, {"json", required_argument, 0, O_JSON},
        {"chart", required_argument, 0, O_CHART}, {"recipe", required_argument, 0, O_RECIPE},
        {"format", required_argument, 0, O_FORMAT}, {"layout", required_argument, 0, O_LAYOUT},
        {"start", required_argument, 0, O_START}, {"id-col", required_argument, 0, O_IDCOL},
        {"time-col", required_argument, 0, O_TIMECOL},
        {"value-col", required_argument, 0, O_VALUECOL},
        {"clock-col", required_argument, 0, O_CLOCKCOL},
        {"keep-nonwear", no_argument, 0, O_KEEP_NONWEAR},
        {"date-format", required_argument, 0, O_DATE_FORMAT},
        {"epoch-agg", required_argument, 0, O_EPOCH_AGG},
        {"allow-recipe-change", no_argument, 0, O_ALLOW}, {"log1p", no_argument, 0, O_LOG1P},
        {"no-log1p", no_argument, 0, O_NO_LOG1P}, {"smooth", no_argument, 0, O_SMOOTH},
        {"no-dst", no_argument, 0, O_NO_DST},     {"batch", required_argument, 0, 'b'},
        {"threads", required_argument, 0, 't'},   {"quiet", no_argument, 0, 'q'},
        {"precision", required_argument, 0, O_PRECISION}, {"help", no_argument, 0, 'h'}};
    size_t nf = sizeof fixed / sizeof fixed[0];
    memcpy(longopts, fixed, sizeof fixed);
    for (size_t k = 0; k < NKEYED; k++)
        longopts[nf + k] = (struct option){keyed[k][0], required_argument, 0, O_KEYED + (int)k};
    memset(&longopts[nf + NKEYED], 0, sizeof longopts[0]);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:b:t:qh", longopts, NULL)) != -1) {
        if (c == 'h') {
            print_score_help();
            return EXIT_OK;
        }
        if (c == '?') return cli_usage_error("score", "unknown option");
        int rc = input_opt(o, c);
        if (!rc) rc = other_opt(o, c);
        if (rc == 0) return cli_usage_error("score", "option not handled");
        if (rc > 0) return rc;
    }
    if (!o->model) return cli_usage_error("score", "missing -m MODEL");
    if (optind >= argc) return cli_usage_error("score", "no RECORDING given");
    o->inputs = (const char **)argv + optind;
    o->ninputs = (size_t)(argc - optind);
    o->sp.input.readers.on_file = note_format;
    o->sp.input.readers.on_file_user = o;
    return -1;
}

/* ---- the recipe ---------------------------------------------------------- */

/* The recipe to score with: the model's (or --recipe's), then the command
 * line's options; a window change against the model's recipe is refused
 * unless allowed, and every change is reported. */
static enum pat_status settle_recipe(struct score_opts *o, const struct pat_model *m,
                                     struct pat_err *err) {
    struct pat_recipe *r = &o->sp.recipe, model = pat_recipe_default();
    int found = 0;
    enum pat_status st = pat_recipe_from_model(m, &model, &found, err);
    if (st != PAT_OK) return st;
    *r = found ? model : pat_recipe_default();
    if (st == PAT_OK && o->recipe_file) st = pat_recipe_read_file(o->recipe_file, r, err);
    if (st == PAT_OK && !found && !o->recipe_file && !o->nover)
        return pat_fail(err, PAT_ERR_USAGE, "%s has no input recipe (pat.recipe.*: a Keras "
                        "import or a pat init model): give --recipe FILE or the window options "
                        "of pat data build (--length, --log1p, ...; docs/cli.md)", o->model);
    for (size_t k = 0; st == PAT_OK && k < o->nover; k++)
        st = pat_recipe_set(r, o->over[k][0], o->over[k][1], err);
    if (st != PAT_OK || !found) return st;
    char diff[512];
    if (pat_recipe_diff(&model, r, diff, sizeof diff)) {
        if (!o->allow_change)
            return pat_fail(err, PAT_ERR_USAGE, "these options differ from %s's input recipe: "
                            "%s. Its windows would not be those it was trained on; drop them, "
                            "or add --allow-recipe-change to score anyway", o->model, diff);
        if (pat_dist_is_root(o->dist))
            fprintf(stderr, "pat score: warning: scoring with a recipe changed from the "
                    "model's: %s\n", diff);
        snprintf(r->source, sizeof r->source, "%s's recipe changed on the command line: %.150s",
                 o->model, diff);
    }
    if (model.aggregate != r->aggregate && pat_dist_is_root(o->dist))
        fprintf(stderr, "pat score: note: aggregate %s instead of the model's %s\n",
                pat_aggregate_name(r->aggregate), pat_aggregate_name(model.aggregate));
    if (!(model.threshold == r->threshold || (isnan(model.threshold) && isnan(r->threshold)))) {
        if (pat_dist_is_root(o->dist))
            fprintf(stderr, "pat score: note: threshold %g instead of the model's %g\n",
                    r->threshold, model.threshold);
        snprintf(r->threshold_rule, sizeof r->threshold_rule, "given on the command line");
    }
    return PAT_OK;
}

/* ---- outputs ------------------------------------------------------------- */

static void csv_text(FILE *f, const char *s) {
    int quote = strpbrk(s, ",\"\n") != NULL;
    if (quote) fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    if (quote) fputc('"', f);
}

static void write_participants(FILE *f, const struct pat_score_result *r) {
    fputs("id,probability,decision,windows,valid_days,days,minutes_observed,sufficiency,"
          "reason\n", f);
    for (size_t i = 0; i < r->np; i++) {
        const struct pat_score_participant *p = &r->p[i];
        csv_text(f, p->id);
        fputc(',', f);
        if (!isnan(p->probability)) fprintf(f, "%.9g", p->probability);
        fputc(',', f);
        if (p->decision >= 0) fprintf(f, "%d", p->decision);
        fprintf(f, ",%zu,%zu,%zu,%zu,%s,", p->windows, p->valid_days, p->days,
                p->minutes_observed, pat_sufficiency_name(p->sufficiency));
        csv_text(f, p->reason);
        fputc('\n', f);
    }
}

static void write_windows(FILE *f, const struct pat_score_result *r) {
    fputs("id,start,probability\n", f);
    for (size_t k = 0; k < r->nw; k++) {
        char t[PAT_TIME_LEN];
        pat_time_format(r->w[k].start, t);
        csv_text(f, r->p[r->w[k].participant].id);
        fprintf(f, ",%s,%.9g\n", t, (double)r->w[k].probability);
    }
}

static enum pat_status recipe_json_kv(void *ctx, const char *key, const char *value,
                                      struct pat_err *err) {
    (void)err;
    pat_jw_key_string(ctx, key + strlen(PAT_RECIPE_PREFIX), value);
    return PAT_OK;
}

static void json_participant(struct pat_jw *w, const struct pat_score_result *r, size_t i) {
    const struct pat_score_participant *p = &r->p[i];
    char t[PAT_TIME_LEN];
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "id", p->id);
    pat_jw_key_string(w, "source", p->source);
    pat_jw_key_number(w, "probability", p->probability);
    pat_jw_key(w, "decision");
    if (p->decision < 0) pat_jw_null(w);
    else pat_jw_int(w, p->decision);
    pat_jw_key_number(w, "label", p->label);
    pat_jw_key_uint(w, "windows", p->windows);
    pat_jw_key_uint(w, "valid_days", p->valid_days);
    pat_jw_key_uint(w, "days", p->days);
    pat_jw_key_uint(w, "valid_days_in_windows", p->window_valid_days);
    pat_jw_key_uint(w, "minutes", p->minutes);
    pat_jw_key_uint(w, "minutes_observed", p->minutes_observed);
    pat_time_format(p->first, t);
    pat_jw_key_string(w, "first", t);
    pat_jw_key_string(w, "sufficiency", pat_sufficiency_name(p->sufficiency));
    pat_jw_key_string(w, "reason", p->reason);
    pat_jw_key(w, "windows_scored");
    pat_jw_array_begin(w);
    for (size_t k = p->first_window; k < p->first_window + p->windows; k++) {
        pat_jw_object_begin(w);
        pat_time_format(r->w[k].start, t);
        pat_jw_key_string(w, "start", t);
        pat_jw_key_number(w, "probability", r->w[k].probability);
        pat_jw_key_uint(w, "valid_minutes", r->w[k].valid);
        int64_t top = pat_score_top_attention(r, k);
        if (top >= 0) {
            pat_time_format(top, t);
            pat_jw_key_string(w, "most_attended", t);
        }
        pat_jw_object_end(w);
    }
    pat_jw_array_end(w);
    pat_jw_object_end(w);
}

static void write_json(FILE *f, const struct score_opts *o, const struct pat_score_result *r) {
    struct pat_jw w;
    struct pat_err ignored;
    pat_jw_init(&w, f, 2);
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "pat_version", PAT_VERSION);
    pat_jw_key_string(&w, "model", o->model);
    pat_jw_key_string(&w, "intended_use", "research and demonstration only; not a diagnosis");
    pat_jw_key(&w, "recipe");
    pat_jw_object_begin(&w);
    pat_recipe_each(&o->sp.recipe, recipe_json_kv, &w, &ignored);
    pat_jw_object_end(&w);
    pat_jw_key_string(&w, "attention", "most_attended: start of the window's patch that "
                      "receives the most attention in the last block");
    pat_jw_key(&w, "participants");
    pat_jw_array_begin(&w);
    for (size_t i = 0; i < r->np; i++) json_participant(&w, r, i);
    pat_jw_array_end(&w);
    pat_jw_object_end(&w);
    fputc('\n', f);
}

static enum pat_status write_file(const char *path, const struct score_opts *o,
                                  const struct pat_score_result *r, int kind,
                                  struct pat_err *err) {
    struct output out;
    enum pat_status st = output_open(&out, path, err);
    if (st != PAT_OK) return st;
    if (kind == 0) write_participants(out.f, r);
    else if (kind == 1) write_windows(out.f, r);
    else write_json(out.f, o, r);
    return output_commit(&out, err);
}

/* A participant id as a file name: characters other than letters, digits,
 * '.', '-' and '_' become '_' (and a leading '.' too). */
static void safe_name(char *out, size_t cap, const char *id) {
    size_t n = 0;
    for (; id[n] && n + 1 < cap; n++) {
        char c = id[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || (c == '.' && n > 0);
        out[n] = ok ? c : '_';
    }
    out[n] = '\0';
}

static enum pat_status chart_one(const char *dir, const struct score_opts *o,
                                 const struct pat_score_result *r, size_t i,
                                 struct pat_err *err) {
    const struct pat_score_participant *p = &r->p[i];
    size_t n = p->windows, k0 = p->first_window;
    long long *start = malloc((n ? n : 1) * sizeof *start);
    float *prob = malloc((n ? n : 1) * sizeof *prob);
    if (!start || !prob) {
        free(start), free(prob);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++) start[k] = r->w[k0 + k].start, prob[k] = r->w[k0 + k].probability;
    char title[256], note[400], name[128], *path;
    const char *base = strrchr(o->model, '/');
    snprintf(title, sizeof title, "%s: %zu window%s of %zu min scored with %s", p->id, n,
             n == 1 ? "" : "s", r->T, base ? base + 1 : o->model);
    snprintf(note, sizeof note, "data: %zu valid of %zu complete days, sufficiency %s%s%s. "
             "Research and demonstration only: not a diagnosis.", p->valid_days, p->days,
             pat_sufficiency_name(p->sufficiency), p->reason[0] ? "; " : "", p->reason);
    struct pat_svg_explain e = {title, note, n, r->T, r->N, start, r->values + k0 * r->T,
                                r->attention + k0 * r->N, prob, p->probability,
                                o->sp.recipe.threshold,
                                pat_input_detect(p->source, &o->sp.input) == PAT_INPUT_PAXMIN
                                    ? "MIMS/min" : "counts/min"};
    safe_name(name, sizeof name, p->id);
    size_t len = strlen(dir) + strlen(name) + 6;
    enum pat_status st = (path = malloc(len)) ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) {
        snprintf(path, len, "%s/%s.svg", dir, name);
        st = pat_svg_explain(path, &e, err);
    }
    free(path), free(start), free(prob);
    return st;
}

/* One explanation chart per scored participant in dir (created if need be). */
static enum pat_status score_charts(const char *dir, const struct score_opts *o,
                                    const struct pat_score_result *r, struct pat_err *err) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return pat_fail(err, PAT_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < r->np; i++)
        if (r->p[i].windows) st = chart_one(dir, o, r, i, err);
    return st;
}

/* Progress on a terminal, from rank 0 (its own participants under mpirun). */
static int shows_progress(const struct score_opts *o) {
    return !o->quiet && pat_dist_is_root(o->dist) && isatty(STDERR_FILENO);
}

static void progress(void *user, const char *stage, size_t done, size_t total) {
    const struct score_opts *o = user;
    (void)total;
    if (shows_progress(o)) fprintf(stderr, "\rpat score: %zu %s", done, stage);
}

/* Score this process's participants: all of them, or under mpirun this
 * rank's share, every row ending up in rank 0's *res. */
static enum pat_status score_inputs(struct score_opts *o, const struct pat_model *m,
                                    struct pat_score_result *res, struct pat_err *err) {
    if (pat_dist_ranks(o->dist) == 1)
        return pat_score_files(m, &o->sp, o->inputs, o->ninputs, res, err);
    struct score_plan plan;
    enum pat_status st = score_plan_make(&plan, o->dist, o->inputs, o->ninputs, &o->sp.input,
                                         err);
    o->sp.pick = score_plan_pick, o->sp.pick_user = &plan;
    if (st == PAT_OK) st = pat_score_files(m, &o->sp, o->inputs, o->ninputs, res, err);
    if (st == PAT_OK) st = score_gather(o->dist, res, err);
    score_plan_free(&plan);
    o->sp.pick = NULL, o->sp.pick_user = NULL;
    return st;
}

static enum pat_status run_score(struct score_opts *o, struct pat_err *err) {
    struct pat_model *m = NULL;
    struct pat_score_result res = {0};
    enum pat_status st = pat_model_load(o->model, &m, err);
    if (st == PAT_OK) st = settle_recipe(o, m, err);
    o->sp.explain = o->json || o->chart;
    o->sp.keep_values = o->chart != NULL;
    o->sp.progress = progress, o->sp.progress_user = o;
    if (st == PAT_OK) st = score_inputs(o, m, &res, err);
    if (shows_progress(o)) fputc('\n', stderr);
    if (st == PAT_OK && !pat_dist_is_root(o->dist)) {
        pat_score_result_free(&res);
        pat_model_free(m);
        return PAT_OK; /* rank 0 writes every output */
    }
    if (st == PAT_OK && o->windows) st = write_file(o->windows, o, &res, 1, err);
    if (st == PAT_OK && o->json) st = write_file(o->json, o, &res, 2, err);
    if (st == PAT_OK && o->chart) st = score_charts(o->chart, o, &res, err);
    if (st == PAT_OK) st = write_file(o->output, o, &res, 0, err);
    pat_score_result_free(&res);
    pat_model_free(m);
    return st;
}

int cmd_score(int argc, char **argv) {
    struct score_opts *o = calloc(1, sizeof *o);
    if (!o) return EXIT_FAILURE_OTHER;
    struct pat_dist dist;
    pat_dist_world(&dist);
    o->dist = &dist;
    o->sp = pat_score_default_params();
    int rc = parse_score_opts(argc, argv, o);
    if (rc < 0) {
        cli_set_threads(o->threads);
        cli_note_precision("score", o->sp.precision, o->quiet);
        struct pat_err err = {0};
        rc = run_score(o, &err) == PAT_OK ? EXIT_OK : cli_report("score", &err);
    }
    free(o);
    return rc;
}
