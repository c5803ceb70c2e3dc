/* awd.c - Actiwatch .AWD files (Cambridge Neurotechnology / Philips
 * Respironics). Seven header lines: subject name, start date (14-Mar-2024),
 * start time (10:00), epoch code (1 = 15 s, 2 = 30 s, 4 = 1 min, 8 = 2 min,
 * 20 = 5 min, 81 = 2 s, C1 = 5 s, C2 = 10 s), age, serial number (its first
 * letter the device type), sex; then one activity count per line, the
 * first at the start time, optionally followed by a marker column (an event
 * button press, ignored). docs/data.md "Actiwatch AWD". */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/files.h"
#include "data/lines.h"
#include "readers/fields.h"
#include "readers/readers.h"
#include "util.h"

#define AWD_HEADER_LINES 7

static int64_t epoch_seconds(const char *code) {
    static const struct { const char *code; int64_t s; } codes[] = {
        {"1", 15}, {"2", 30}, {"4", 60}, {"8", 120}, {"20", 300}, {"81", 2}, {"C1", 5}, {"C2", 10}};
    for (size_t k = 0; k < sizeof codes / sizeof *codes; k++)
        if (strcasecmp(code, codes[k].code) == 0) return codes[k].s;
    return 0;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

struct awd {
    struct pat_lines L;
    int64_t day, ms, epoch_s;
    size_t rows;
};

static enum pat_status header(struct awd *a, struct pat_err *err) {
    char *text;
    for (int k = 0; k < AWD_HEADER_LINES; k++) {
        enum pat_status st = pat_lines_next(&a->L, &text, err);
        if (st != PAT_OK) return st;
        if (!text)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: truncated header (%d of %d lines)",
                            a->L.path, k, AWD_HEADER_LINES);
        char *v = trim(text);
        if (k == 1 && pat_when_date(v, strlen(v), PAT_DATE_DMY, &a->day) != PAT_WHEN_OK)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:2: not a start date (like 14-Mar-2024): "
                            "'%.40s'", a->L.path, v);
        if (k == 2 && pat_when_time(v, strlen(v), &a->ms) != PAT_WHEN_OK)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:3: not a start time (HH:MM): '%.40s'",
                            a->L.path, v);
        if (k == 3 && !(a->epoch_s = epoch_seconds(v)))
            return pat_fail(err, PAT_ERR_FORMAT, "%s:4: unknown epoch code '%.20s' (known: 1, 2, "
                            "4, 8, 20, 81, C1, C2)", a->L.path, v);
    }
    return PAT_OK;
}

static enum pat_status counts(struct awd *a, struct pat_epochs *e, struct pat_err *err) {
    char *text;
    for (;;) {
        enum pat_status st = pat_lines_next(&a->L, &text, err);
        if (st != PAT_OK || !text) return st;
        char *f[3];
        size_t nf = pat_fields(text, f, 3);
        if (nf == 1) { /* "  12 M": marker after spaces */
            char *sp = strpbrk(f[0], " \t");
            if (sp) *sp = '\0';
        }
        if (nf > 2)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %zu fields, expected a count and "
                            "an optional marker", a->L.path, a->L.line, nf);
        double v = 0;
        int k = pat_number(trim(f[0]), ',', &v);
        if (k < 0 || (k && v < 0))
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: not an activity count: '%.40s'",
                            a->L.path, a->L.line, f[0]);
        int64_t t = a->day * 86400000 + a->ms + (int64_t)a->rows++ * a->epoch_s * 1000;
        st = pat_epochs_push(e, t, v, k ? PAT_MIN_VALID : PAT_MIN_MISSING, a->L.line, err);
        if (st != PAT_OK) return st;
    }
}

enum pat_status pat_read_awd(const char *path, const struct pat_read_options *o,
                             pat_series_fn fn, void *ctx, size_t *count, struct pat_err *err) {
    struct awd a;
    struct pat_series s;
    struct pat_epochs e;
    char id[256];
    memset(&a, 0, sizeof a);
    pat_path_stem(path, id, sizeof id);
    enum pat_status st = pat_series_init(&s, id, err);
    if (st != PAT_OK) return st;
    st = pat_lines_open(&a.L, path, err);
    if (st == PAT_OK) st = header(&a, err);
    if (st == PAT_OK) {
        pat_epochs_begin(&e, &s, &o->rules, o->agg, a.epoch_s, path);
        st = counts(&a, &e, err);
        if (st == PAT_OK) st = pat_epochs_end(&e, err);
    }
    if (st == PAT_OK && s.n == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no counts", path);
    if (st == PAT_OK) st = pat_emit(&s, fn, ctx, count, err);
    pat_series_free(&s);
    pat_lines_close(&a.L);
    return st;
}
