/* score.c - recordings scored over HTTP (see score.h). */
#include "serve/score.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/json.h"
#include "report/svg.h"
#include "score/score.h"
#include "util.h"

int serve_score_ready(const struct pat_model *m) {
    struct pat_recipe r;
    int found = 0;
    return pat_model_has_head(m) && pat_recipe_from_model(m, &r, &found, NULL) == PAT_OK && found;
}

/* A file name made safe: letters, digits, '.', '-', '_' only, no leading
 * '.', at most 100 bytes; empty or NULL: recording.csv. */
static void safe_file_name(char *out, size_t cap, const char *name) {
    size_t n = 0;
    for (; name && name[n] && n + 1 < cap && n < 100; n++) {
        char c = name[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || (c == '.' && n > 0);
        out[n] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n == 0) snprintf(out, cap, "recording.csv");
}

/* A private folder holding the body as `name`. */
struct scratch {
    char dir[256], file[400], chart[400];
};

static enum pat_status scratch_write(struct scratch *s, const char *name, const char *body,
                                     size_t len, struct pat_err *err) {
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/pat-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    s->file[0] = s->chart[0] = '\0';
    if (!mkdtemp(s->dir)) {
        s->dir[0] = '\0';
        return pat_fail(err, PAT_ERR_IO, "cannot create a temporary folder: %s", strerror(errno));
    }
    snprintf(s->file, sizeof s->file, "%s/%s", s->dir, name);
    FILE *f = fopen(s->file, "wb");
    if (!f) return pat_fail(err, PAT_ERR_IO, "cannot write %s: %s", s->file, strerror(errno));
    int bad = len && fwrite(body, 1, len, f) != len;
    if (fclose(f) != 0 || bad)
        return pat_fail(err, PAT_ERR_IO, "cannot write %s: %s", s->file, strerror(errno));
    return PAT_OK;
}

static void scratch_remove(struct scratch *s) {
    if (s->chart[0]) unlink(s->chart);
    if (s->file[0]) unlink(s->file);
    if (s->dir[0]) rmdir(s->dir);
}

/* Messages name the request, not the temporary file. */
static void name_the_upload(struct pat_err *err, const struct scratch *s, const char *name) {
    char *at = strstr(err->msg, s->file);
    if (!at) return;
    char msg[PAT_ERR_MSG_LEN];
    snprintf(msg, sizeof msg, "%.*s%s%s", (int)(at - err->msg), err->msg, name,
             at + strlen(s->file));
    memcpy(err->msg, msg, sizeof msg);
}

/* ---- answers ----------------------------------------------------------- */

static void csv_text(FILE *f, const char *s) {
    int quote = strpbrk(s, ",\"\n") != NULL;
    if (quote) fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    if (quote) fputc('"', f);
}

/* The participants CSV of `pat score -o`, byte for byte. */
static void participants_csv(FILE *f, const struct pat_score_result *r) {
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

/* %.9g numbers (as the CLI writes them) as a JSON value; NaN: null. */
static void json_g9(FILE *f, double v) {
    if (isnan(v)) fputs("null", f);
    else fprintf(f, "%.9g", v);
}

static void json_string(FILE *f, const char *s) {
    struct pat_jw w;
    pat_jw_init(&w, f, 0);
    pat_jw_string(&w, s);
}

static void participants_json(FILE *f, const struct serve_score_query *q,
                              const struct pat_score_result *r, const struct pat_recipe *rc) {
    fputs("{\"model\": ", f);
    json_string(f, q->model_name);
    fputs(", \"intended_use\": \"research and demonstration only; not a diagnosis\","
          " \"threshold\": ", f);
    json_g9(f, rc->threshold);
    fprintf(f, ", \"window_minutes\": %zu, \"participants\": [", r->T);
    for (size_t i = 0; i < r->np; i++) {
        const struct pat_score_participant *p = &r->p[i];
        char t[PAT_TIME_LEN];
        fputs(i ? ",\n  {\"id\": " : "\n  {\"id\": ", f);
        json_string(f, p->id);
        fputs(", \"probability\": ", f);
        json_g9(f, p->probability);
        fputs(", \"decision\": ", f);
        if (p->decision < 0) fputs("null", f);
        else fprintf(f, "%d", p->decision);
        pat_time_format(p->first, t);
        fprintf(f, ", \"windows\": %zu, \"valid_days\": %zu, \"days\": %zu, "
                   "\"minutes_observed\": %zu, \"first\": \"%s\", \"sufficiency\": \"%s\", "
                   "\"reason\": ", p->windows, p->valid_days, p->days, p->minutes_observed, t,
                pat_sufficiency_name(p->sufficiency));
        json_string(f, p->reason);
        fputs(", \"window_rows\": [", f);
        for (size_t k = p->first_window; k < p->first_window + p->windows; k++) {
            pat_time_format(r->w[k].start, t);
            fprintf(f, "%s{\"start\": \"%s\", \"probability\": %.9g, \"valid_minutes\": %zu}",
                    k > p->first_window ? ", " : "", t, (double)r->w[k].probability,
                    r->w[k].valid);
        }
        fputs("]}", f);
    }
    fputs("\n]}\n", f);
}

/* The chart of `pat score --chart` for participant i, into s->chart. */
static enum pat_status chart(struct scratch *s, const struct serve_score_query *q,
                             const struct pat_score_params *sp, const struct pat_score_result *r,
                             size_t i, struct pat_err *err) {
    const struct pat_score_participant *p = &r->p[i];
    size_t n = p->windows, k0 = p->first_window;
    long long *start = malloc(n * sizeof *start);
    float *prob = malloc(n * sizeof *prob);
    if (!start || !prob) {
        free(start), free(prob);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the chart");
    }
    for (size_t k = 0; k < n; k++) start[k] = r->w[k0 + k].start, prob[k] = r->w[k0 + k].probability;
    char title[256], note[400];
    const char *base = strrchr(q->model_path, '/');
    snprintf(title, sizeof title, "%s: %zu window%s of %zu min scored with %s", p->id, n,
             n == 1 ? "" : "s", r->T, base ? base + 1 : q->model_path);
    snprintf(note, sizeof note, "data: %zu valid of %zu complete days, sufficiency %s%s%s. "
             "Research and demonstration only: not a diagnosis.", p->valid_days, p->days,
             pat_sufficiency_name(p->sufficiency), p->reason[0] ? "; " : "", p->reason);
    struct pat_svg_explain e = {title, note, n, r->T, r->N, start, r->values + k0 * r->T,
                                r->attention + k0 * r->N, prob, p->probability,
                                sp->recipe.threshold,
                                pat_input_detect(p->source, &sp->input) == PAT_INPUT_PAXMIN
                                    ? "MIMS/min" : "counts/min"};
    snprintf(s->chart, sizeof s->chart, "%s/chart.svg", s->dir);
    enum pat_status st = pat_svg_explain(s->chart, &e, err);
    free(start), free(prob);
    return st;
}

static enum pat_status read_whole(const char *path, char **out, size_t *len, struct pat_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return pat_fail(err, PAT_ERR_IO, "cannot read the chart: %s", strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n == cap) {
            char *g = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!g) {
                free(buf), fclose(f);
                return pat_fail(err, PAT_ERR_NOMEM, "out of memory reading the chart");
            }
            buf = g;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *out = buf, *len = n;
    return PAT_OK;
}

/* Index of the participant to draw: the one named, else the first scored. */
static enum pat_status chart_participant(const struct serve_score_query *q,
                                         const struct pat_score_result *r, size_t *i,
                                         struct pat_err *err) {
    for (*i = 0; *i < r->np; (*i)++)
        if (r->p[*i].windows && (!q->participant || strcmp(r->p[*i].id, q->participant) == 0))
            return PAT_OK;
    if (q->participant)
        return pat_fail(err, PAT_ERR_USAGE, "no scored participant called '%.64s' in the recording",
                        q->participant);
    return pat_fail(err, PAT_ERR_USAGE, "no participant of the recording has a window to score, "
                    "so there is no chart (%s)", r->np ? r->p[0].reason : "no participant");
}

static enum pat_status answer(struct scratch *s, const struct serve_score_query *q,
                              const struct pat_score_params *sp,
                              const struct pat_score_result *r, char **out, size_t *len,
                              struct pat_err *err) {
    if (q->output == SCORE_SVG) {
        size_t i;
        enum pat_status st = chart_participant(q, r, &i, err);
        if (st == PAT_OK) st = chart(s, q, sp, r, i, err);
        return st == PAT_OK ? read_whole(s->chart, out, len, err) : st;
    }
    FILE *f = open_memstream(out, len);
    if (!f) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the answer");
    if (q->output == SCORE_CSV) participants_csv(f, r);
    else participants_json(f, q, r, &sp->recipe);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(*out);
        *out = NULL;
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the answer");
    }
    return PAT_OK;
}

static enum pat_status settle(const struct pat_model *m, const struct serve_score_query *q,
                              struct pat_score_params *sp, struct pat_err *err) {
    int found = 0;
    *sp = pat_score_default_params();
    enum pat_status st = pat_recipe_from_model(m, &sp->recipe, &found, err);
    if (st != PAT_OK) return st;
    if (!found || !pat_model_has_head(m))
        return pat_fail(err, PAT_ERR_USAGE, "model '%s' cannot score recordings: it needs a "
                        "classification head and an input recipe (pat.recipe.*; docs/cli.md "
                        "\"pat score\")", q->model_name);
    if (q->format) {
        if (pat_input_format_set(&sp->input, q->format) < 0)
            return pat_fail(err, PAT_ERR_USAGE, "unknown input format '%.40s'", q->format);
    }
    sp->explain = sp->keep_values = q->output == SCORE_SVG;
    return PAT_OK;
}

enum pat_status serve_score(const struct pat_model *m, const struct serve_score_query *q,
                            const char *body, size_t len, char **out, size_t *out_len,
                            struct pat_err *err) {
    struct pat_score_params sp;
    struct pat_score_result res;
    struct scratch s = {{0}, {0}, {0}};
    char name[128];
    memset(&res, 0, sizeof res);
    *out = NULL, *out_len = 0;
    safe_file_name(name, sizeof name, q->file_name);
    enum pat_status st = settle(m, q, &sp, err);
    if (st == PAT_OK) st = scratch_write(&s, name, body, len, err);
    const char *path = s.file;
    if (st == PAT_OK) st = pat_score_files(m, &sp, &path, 1, &res, err);
    if (st == PAT_OK) st = answer(&s, q, &sp, &res, out, out_len, err);
    if (st != PAT_OK) name_the_upload(err, &s, name);
    pat_score_result_free(&res);
    scratch_remove(&s);
    return st;
}
