/* nhanes.c - NHANES PAXMIN / PAXRAW / DPQ / DEMO readers (nhanes.h).
 * ref: pat-spec §5.1, §5.2 (variable meanings), §5.3 and §8 item 19 (the
 * columns never to use: PAXAISMM, PAXSSNMP % 1440). */
#include "data/nhanes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/clock.h"
#include "data/idmap.h"
#include "data/series_long.h"
#include "io/xpt.h"
#include "util.h"

#define SAMPLES_PER_MINUTE 4800.0 /* 80 Hz x 60 s: PAXSSNMP counts samples */

struct pat_nhanes_params pat_nhanes_default_params(void) {
    struct pat_nhanes_params p = {0, 10.0, PAT_PHQ_EXCLUDE};
    return p;
}

/* SEQN as an id string; 0 when it is not a positive integer. */
static int seqn_id(double seqn, char id[32]) {
    if (!(seqn >= 1 && seqn < 1e12 && seqn == floor(seqn))) return 0;
    snprintf(id, 32, "%llu", (unsigned long long)seqn);
    return 1;
}

static enum pat_status bad_seqn(const char *path, size_t row, struct pat_err *err) {
    return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu: SEQN is missing or not a positive integer",
                    path, row + 1);
}

struct pax {
    struct pat_long a;
    const struct pat_nhanes_params *p;
    const char *path;
    double seqn;     /* SEQN of the previous row and its id text */
    char id[32];
    /* PAXMIN clock of the current participant: PAXDAYM and PAXSSNMP of the
     * previous row, and the first day change seen (day `anchor_day`
     * begins at minute `anchor`, a midnight) */
    double day, ssn, anchor_day;
    int64_t anchor;
    int anchored;
};

/* The id of a minute row (formatted once per participant). */
static int pax_id(struct pax *x, double seqn) {
    if (seqn == x->seqn && x->id[0]) return 1;
    x->seqn = seqn;
    x->id[0] = '\0';
    return seqn_id(seqn, x->id);
}

/* ---- PAXMIN_G/H ---------------------------------------------------------- */

enum { MIN_SEQN, MIN_DAY, MIN_SSN, MIN_MTS, MIN_PRED, MIN_QF };
static const struct pat_xpt_col paxmin_cols[] = {
    {"SEQN", 0}, {"PAXDAYM", 0}, {"PAXSSNMP", 0}, {"PAXMTSM", 0}, {"PAXPREDM", 1}, {"PAXQFM", 1}};

/* State of a minute from its MIMS value, wear prediction and QC flag. */
static enum pat_minute_state paxmin_state(const double *v, int keep_nonwear) {
    if (isnan(v[MIN_MTS])) return PAT_MIN_MISSING;
    if (v[MIN_MTS] < 0) return PAT_MIN_FLAGGED; /* -0.01: MIMS not computable */
    if (v[MIN_QF] > 0) return PAT_MIN_FLAGGED;
    if (keep_nonwear) return PAT_MIN_VALID;
    if (v[MIN_PRED] == 3) return PAT_MIN_NONWEAR;
    if (v[MIN_PRED] == 4) return PAT_MIN_FLAGGED; /* unknown */
    return PAT_MIN_VALID;
}

/* A PAXDAYM change at minute m (the first row of day `day`) is a
 * midnight. The first one sets the clock (day d begins at 1970-01-01 +
 * (d - 1) days); every later one must agree with it: exactly, when the
 * minutes run on without a gap, else within the day; one hour either
 * way is a daylight-saving change, which moves the clock. A missing or
 * mislabelled day 2 shifted the week silently before (issue 12). */
static enum pat_status day_change(struct pax *x, size_t row, int64_t m, int64_t prev,
                                  struct pat_err *err) {
    double day = x->day;
    if (!x->anchored) {
        x->anchored = 1;
        x->anchor = m;
        x->anchor_day = day;
        pat_long_set_start(&x->a, (int64_t)(day - 1) * PAT_MINUTES_PER_DAY - (m - x->a.first_index));
        return PAT_OK;
    }
    int64_t expect = x->anchor + (int64_t)(day - x->anchor_day) * PAT_MINUTES_PER_DAY;
    if (m == expect - 60 || m == expect + 60) { /* a daylight-saving change: the clock moves */
        x->anchor = m;
        x->anchor_day = day;
        return PAT_OK;
    }
    int ok = prev == m - 1 ? m == expect : m >= expect && m < expect + PAT_MINUTES_PER_DAY;
    if (ok) return PAT_OK;
    return pat_fail(err, PAT_ERR_FORMAT,
                    "%s: row %zu: SEQN %s: PAXDAYM %g begins at PAXSSNMP %.0f (minute %lld), but "
                    "day %g began at minute %lld, so day %g should begin at minute %lld: the day "
                    "labels and PAXSSNMP disagree (the recording's clock would shift)",
                    x->path, row + 1, x->id, day, x->ssn, (long long)m, x->anchor_day,
                    (long long)x->anchor, day, (long long)expect);
}

static enum pat_status on_paxmin(void *ctx, size_t row, const double *v, struct pat_err *err) {
    struct pax *x = ctx;
    if (!pax_id(x, v[MIN_SEQN])) return bad_seqn(x->path, row, err);
    const char *id = x->id;
    double ssn = v[MIN_SSN];
    if (!(ssn >= 0 && ssn < 1e15))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu: PAXSSNMP is missing or negative",
                        x->path, row + 1);
    if (fmod(ssn, SAMPLES_PER_MINUTE) != 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: row %zu: PAXSSNMP %.0f is not a multiple of 4800 (80 Hz samples "
                        "per minute): not a minute start", x->path, row + 1, ssn);
    int is_new = pat_long_is_new(&x->a, id);
    if (!is_new && ssn < x->ssn)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: row %zu: SEQN %s: PAXSSNMP %.0f comes after %.0f: rows out of order "
                        "(pat reads each participant's minutes in PAXSSNMP order, as NHANES "
                        "publishes them; sort the file by SEQN, PAXSSNMP)",
                        x->path, row + 1, id, ssn, x->ssn);
    /* minute index since the recording began: sample number / 4800
     * (pat-spec §5.2), never PAXSSNMP % 1440 (§5.3) */
    int64_t m = (int64_t)(ssn / SAMPLES_PER_MINUTE);
    int64_t prev = is_new ? -2 : (int64_t)(x->ssn / SAMPLES_PER_MINUTE);
    enum pat_minute_state st = paxmin_state(v, x->p->keep_nonwear);
    float value = st == PAT_MIN_MISSING || v[MIN_MTS] < 0 ? NAN : (float)v[MIN_MTS];
    if (is_new) x->anchored = 0;
    int changed = !is_new && v[MIN_DAY] != x->day;
    x->ssn = ssn;
    x->day = v[MIN_DAY];
    enum pat_status s = pat_long_push(&x->a, id, m, value, st, x->path, row + 1, err);
    if (s == PAT_OK && changed) s = day_change(x, row, m, prev, err);
    return s;
}

static enum pat_status read_pax(const char *path, const struct pat_nhanes_params *p,
                                const struct pat_series_rules *rules, pat_series_fn fn,
                                void *ctx, size_t *count, const struct pat_xpt_col *cols,
                                size_t ncols, pat_xpt_row_fn on_row, struct pat_err *err) {
    struct pax x = {.p = p, .path = path};
    pat_long_begin(&x.a, rules, fn, ctx);
    enum pat_status st = pat_xpt_read(path, cols, ncols, on_row, &x, err);
    if (st == PAT_OK) st = pat_long_end(&x.a, err);
    if (st == PAT_OK && x.a.count == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no rows", path);
    *count = x.a.count;
    pat_long_free(&x.a);
    return st;
}

enum pat_status pat_nhanes_read_paxmin(const char *path, const struct pat_nhanes_params *p,
                                       const struct pat_series_rules *rules, pat_series_fn fn,
                                       void *ctx, size_t *count, struct pat_err *err) {
    return read_pax(path, p, rules, fn, ctx, count, paxmin_cols,
                    sizeof paxmin_cols / sizeof paxmin_cols[0], on_paxmin, err);
}

/* ---- PAXRAW_C/D ---------------------------------------------------------- */

enum { RAW_SEQN, RAW_N, RAW_INTEN, RAW_STAT, RAW_CAL, RAW_HOUR, RAW_MIN };
static const struct pat_xpt_col paxraw_cols[] = {
    {"SEQN", 0},    {"PAXN", 0},    {"PAXINTEN", 0}, {"PAXSTAT", 1},
    {"PAXCAL", 1},  {"PAXHOUR", 1}, {"PAXMINUT", 1}};

static enum pat_status on_paxraw(void *ctx, size_t row, const double *v, struct pat_err *err) {
    struct pax *x = ctx;
    if (!pax_id(x, v[RAW_SEQN])) return bad_seqn(x->path, row, err);
    const char *id = x->id;
    if (!(v[RAW_N] >= 1 && v[RAW_N] < 1e9 && v[RAW_N] == floor(v[RAW_N])))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu: PAXN is not a minute number",
                        x->path, row + 1);
    enum pat_minute_state st = PAT_MIN_VALID;
    if (isnan(v[RAW_INTEN])) st = PAT_MIN_MISSING;
    else if ((!isnan(v[RAW_STAT]) && v[RAW_STAT] != 1) || (!isnan(v[RAW_CAL]) && v[RAW_CAL] != 1))
        st = PAT_MIN_FLAGGED; /* unreliable data or uncalibrated monitor */
    int is_new = pat_long_is_new(&x->a, id);
    enum pat_status s = pat_long_push(&x->a, id, (int64_t)v[RAW_N], (float)v[RAW_INTEN], st,
                                      x->path, row + 1, err);
    int have_clock = v[RAW_HOUR] >= 0 && v[RAW_HOUR] < 24 && v[RAW_MIN] >= 0 && v[RAW_MIN] < 60;
    if (s == PAT_OK && is_new)
        pat_long_set_start(&x->a, have_clock ? (int64_t)v[RAW_HOUR] * 60 + (int64_t)v[RAW_MIN] : 0);
    return s;
}

enum pat_status pat_nhanes_read_paxraw(const char *path, const struct pat_nhanes_params *p,
                                       const struct pat_series_rules *rules, pat_series_fn fn,
                                       void *ctx, size_t *count, struct pat_err *err) {
    return read_pax(path, p, rules, fn, ctx, count, paxraw_cols,
                    sizeof paxraw_cols / sizeof paxraw_cols[0], on_paxraw, err);
}

/* ---- DPQ_*: PHQ-9 -------------------------------------------------------- */

static const struct pat_xpt_col dpq_cols[] = {
    {"SEQN", 0},   {"DPQ010", 0}, {"DPQ020", 0}, {"DPQ030", 0}, {"DPQ040", 0},
    {"DPQ050", 0}, {"DPQ060", 0}, {"DPQ070", 0}, {"DPQ080", 0}, {"DPQ090", 0}};

struct dpq {
    const char *path;
    const struct pat_nhanes_params *p;
    struct pat_labels *L;
    struct pat_phq_stats *st;
    size_t col;            /* phq9_total covariate */
    struct pat_idmap seen; /* SEQNs of this file: each once */
};

/* Sum the nine items; *refused / *missing count codes 7-9 / missing. */
static enum pat_status phq_items(const struct dpq *d, size_t row, const double *v, int *total,
                                 int *refused, int *missing, struct pat_err *err) {
    *total = *refused = *missing = 0;
    for (int k = 1; k <= 9; k++) {
        double x = v[k];
        if (isnan(x)) (*missing)++;
        else if (x == 7 || x == 9) (*refused)++;
        else if (x == 0 || x == 1 || x == 2 || x == 3) *total += (int)x;
        else
            return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu: %s = %g is not a PHQ-9 code "
                            "(0-3, 7, 9)", d->path, row + 1, dpq_cols[k].name, x);
    }
    return PAT_OK;
}

static enum pat_status on_dpq(void *ctx, size_t row, const double *v, struct pat_err *err) {
    struct dpq *d = ctx;
    char id[32];
    int total, refused, missing;
    d->st->rows++;
    if (!seqn_id(v[0], id)) return bad_seqn(d->path, row, err);
    size_t seen;
    int added;
    if (!pat_idmap_add(&d->seen, id, &seen, &added))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (!added)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu: SEQN %s appears twice (each "
                        "participant answers the PHQ-9 once)", d->path, row + 1, id);
    enum pat_status s = phq_items(d, row, v, &total, &refused, &missing, err);
    if (s != PAT_OK) return s;
    if (missing == 9) {
        d->st->unanswered++;
        return PAT_OK;
    }
    if (d->p->phq_missing == PAT_PHQ_EXCLUDE && (refused || missing)) {
        if (refused) d->st->refused++;
        else d->st->missing++;
        return PAT_OK;
    }
    d->st->zeroed += refused || missing;
    size_t r;
    if ((s = pat_labels_row(d->L, id, &r, err)) != PAT_OK) return s;
    d->L->label[r] = (double)total >= d->p->phq_threshold ? 1.0f : 0.0f;
    d->L->cov[d->col][r] = (float)total;
    d->st->labeled++;
    d->st->positive += d->L->label[r] == 1.0f;
    return PAT_OK;
}

enum pat_status pat_nhanes_read_dpq(const char *path, const struct pat_nhanes_params *p,
                                    struct pat_labels *L, struct pat_phq_stats *st,
                                    struct pat_err *err) {
    struct dpq d = {path, p, L, st, 0, {0}};
    memset(st, 0, sizeof *st);
    pat_idmap_init(&d.seen);
    enum pat_status s = pat_labels_column(L, "phq9_total", &d.col, err);
    if (s == PAT_OK) s = pat_xpt_read(path, dpq_cols, 10, on_dpq, &d, err);
    pat_idmap_free(&d.seen);
    return s;
}

/* ---- DEMO_*: age and sex ------------------------------------------------- */

struct demo {
    const char *path;
    struct pat_labels *L;
    size_t age, sex, rows;
};

static enum pat_status on_demo(void *ctx, size_t row, const double *v, struct pat_err *err) {
    struct demo *d = ctx;
    char id[32];
    size_t r;
    if (!seqn_id(v[0], id)) return bad_seqn(d->path, row, err);
    enum pat_status s = pat_labels_row(d->L, id, &r, err);
    if (s != PAT_OK) return s;
    d->L->cov[d->age][r] = (float)v[1];
    d->L->cov[d->sex][r] = (float)v[2];
    d->rows++;
    return PAT_OK;
}

enum pat_status pat_nhanes_read_demo(const char *path, struct pat_labels *L, size_t *rows,
                                     struct pat_err *err) {
    static const struct pat_xpt_col cols[] = {{"SEQN", 0}, {"RIDAGEYR", 0}, {"RIAGENDR", 0}};
    struct demo d = {path, L, 0, 0, 0};
    enum pat_status s = pat_labels_column(L, "age", &d.age, err);
    if (s == PAT_OK) s = pat_labels_column(L, "sex", &d.sex, err);
    if (s == PAT_OK) s = pat_xpt_read(path, cols, 3, on_demo, &d, err);
    *rows = d.rows;
    return s;
}
