/* build.c - the pipeline of build.h: per participant, mark non-wear, cut
 * windows, fill, transform and stream rows to the dataset writer; at the end
 * split participants, fit scalers and write. ref: pat-spec §5.4 */
#include "data/build.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/smooth.h"
#include "util.h"

struct pat_build {
    struct pat_build_params p;
    const struct pat_labels *labels;
    struct pat_dsw *w;          /* NULL for report-only builds */
    struct pat_build_report rep;
    size_t *kept;               /* report index of each dataset participant */
    size_t nkept, kcap;
    float *x, *y;               /* window scratch, T floats each */
    float *cov;                 /* covariates of the current participant */
    size_t cur;                 /* report index of the current participant */
    int cur_started;            /* its first row was written */
    float cur_label;
};

struct pat_build_params pat_build_default_params(void) {
    struct pat_build_params p;
    memset(&p, 0, sizeof p);
    p.rules = pat_series_default_rules();
    p.weeks = pat_week_default_params();
    p.split = pat_split_default_params();
    p.scaler = PAT_SCALER_TRAIN;
    return p;
}

const char *pat_scaler_mode_name(enum pat_scaler_mode m) {
    return m == PAT_SCALER_NONE ? "none" : m == PAT_SCALER_TRAIN ? "train" : "per-split";
}

const char *pat_dup_rule_name(enum pat_dup_rule r) {
    return r == PAT_DUP_ERROR ? "error" : r == PAT_DUP_FIRST ? "first" : "last";
}

enum pat_status pat_build_begin(const char *out_path, const struct pat_build_params *p,
                                const struct pat_labels *labels, struct pat_build **out,
                                struct pat_err *err) {
    *out = NULL;
    enum pat_status st = pat_week_params_check(&p->weeks, err);
    if (st != PAT_OK) return st;
    struct pat_build *b = calloc(1, sizeof *b);
    if (!b) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    b->p = *p;
    b->labels = labels;
    size_t C = labels ? labels->C : 0;
    b->x = pat_calloc(p->weeks.length, sizeof *b->x);
    b->y = pat_calloc(p->weeks.length, sizeof *b->y);
    b->cov = pat_calloc(C ? C : 1, sizeof *b->cov);
    if (!b->x || !b->y || !b->cov) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && p->smooth_window) { /* check the smoothing parameters once */
        st = pat_savgol(b->y, b->x, p->weeks.length, p->smooth_window, p->smooth_order, err);
    }
    if (st == PAT_OK && out_path)
        st = pat_dsw_open(out_path, p->weeks.length, C,
                          C ? (const char *const *)labels->cov_names : NULL, &b->w, err);
    if (st != PAT_OK) {
        pat_build_free(b);
        return st;
    }
    *out = b;
    return PAT_OK;
}

void pat_build_free(struct pat_build *b) {
    if (!b) return;
    pat_dsw_abort(b->w);
    for (size_t i = 0; i < b->rep.np; i++) free(b->rep.p[i].id);
    free(b->rep.p);
    free(b->rep.r);
    free(b->kept);
    free(b->x);
    free(b->y);
    free(b->cov);
    free(b);
}

const struct pat_build_report *pat_build_report(const struct pat_build *b) { return &b->rep; }

static void *grow_array(void *a, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return a;
    size_t c = *cap ? *cap * 2 : 64;
    void *g = realloc(a, c * elem);
    if (g) *cap = c;
    return g;
}

/* New report entry for s; fills everything known before windowing. */
static enum pat_status report_add(struct pat_build *b, const struct pat_series *s,
                                  struct pat_err *err) {
    struct pat_build_report *r = &b->rep;
    void *g = grow_array(r->p, &r->pcap, r->np, sizeof *r->p);
    if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    r->p = g;
    struct pat_participant_report *e = &r->p[r->np];
    memset(e, 0, sizeof *e);
    if (!(e->id = pat_strdup(s->id))) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    b->cur = r->np++;
    e->first = s->start;
    e->minutes = s->n;
    e->valid = pat_series_valid(s);
    e->stats = s->stats;
    e->split = -1;
    pat_series_day_stats(s, b->p.weeks.min_day_minutes, &e->days, &e->valid_days,
                         &e->mean_valid);
    return PAT_OK;
}

static enum pat_status reject(struct pat_build *b, const struct pat_window *w,
                              struct pat_err *err) {
    struct pat_build_report *r = &b->rep;
    void *g = grow_array(r->r, &r->rcap, r->nr, sizeof *r->r);
    if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    r->r = g;
    struct pat_rejection *e = &r->r[r->nr++];
    e->participant = b->cur;
    e->start = w->start;
    snprintf(e->reason, sizeof e->reason, "%s", w->reason);
    r->p[b->cur].rejected++;
    return PAT_OK;
}

static enum pat_status apply_log1p(struct pat_build *b, const char *id, struct pat_err *err) {
    for (size_t j = 0; j < b->p.weeks.length; j++) {
        if (!(b->x[j] > -1.0f))
            return pat_fail(err, PAT_ERR_NUMERIC, "participant %s: value %g at minute %zu of a "
                            "window is <= -1; log1p is undefined", id, (double)b->x[j], j);
        b->x[j] = log1pf(b->x[j]);
    }
    return PAT_OK;
}

/* First row of a participant: register it with the writer. */
static enum pat_status start_participant(struct pat_build *b, const char *id,
                                         struct pat_err *err) {
    void *g = grow_array(b->kept, &b->kcap, b->nkept, sizeof *b->kept);
    if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    b->kept = g;
    b->kept[b->nkept++] = b->cur;
    b->cur_started = 1;
    return b->w ? pat_dsw_participant(b->w, id, err) : PAT_OK;
}

static enum pat_status on_window(void *ctx, const struct pat_series *s, const struct pat_window *w,
                                 const float *x, struct pat_err *err) {
    struct pat_build *b = ctx;
    if (!x) return reject(b, w, err);
    enum pat_status st = PAT_OK;
    size_t T = b->p.weeks.length;
    if (b->p.smooth_window) { /* x is b->x, our scratch */
        st = pat_savgol(b->y, b->x, T, b->p.smooth_window, b->p.smooth_order, err);
        memcpy(b->x, b->y, T * sizeof *b->x);
    }
    if (st == PAT_OK && b->p.log1p) st = apply_log1p(b, s->id, err);
    if (st == PAT_OK && !b->cur_started) st = start_participant(b, s->id, err);
    if (st == PAT_OK && b->w)
        st = pat_dsw_row(b->w, b->x, b->cur_label, w->start, w->valid, b->cov, err);
    if (st == PAT_OK && b->p.on_row) st = b->p.on_row(b->p.row_user, s, w, b->x, err);
    if (st != PAT_OK) return st;
    struct pat_participant_report *e = &b->rep.p[b->cur];
    e->windows++;
    e->filled += w->filled;
    b->rep.rows++;
    return PAT_OK;
}

/* Label and covariates of s: the labels table wins over the source's label. */
static void lookup(struct pat_build *b, const struct pat_series *s) {
    const struct pat_labels *L = b->labels;
    size_t row = L ? pat_labels_find(L, s->id) : PAT_ID_NONE;
    b->cur_label = row != PAT_ID_NONE ? L->label[row] : s->label;
    for (size_t j = 0; L && j < L->C; j++)
        b->cov[j] = row != PAT_ID_NONE ? L->cov[j][row] : NAN;
}

enum pat_status pat_build_add(struct pat_build *b, struct pat_series *s, struct pat_err *err) {
    pat_series_mark_zero_runs(s, b->p.zero_run);
    enum pat_status st = report_add(b, s, err);
    if (st != PAT_OK) return st;
    struct pat_participant_report *e = &b->rep.p[b->cur];
    lookup(b, s);
    e->label = b->cur_label;
    b->cur_started = 0;
    if (b->p.drop_unlabeled && isnan(b->cur_label)) {
        snprintf(e->reason, sizeof e->reason, "no label");
    } else {
        struct pat_week_summary sum;
        st = pat_weeks_build(s, &b->p.weeks, b->x, on_window, b, &sum, err);
        e = &b->rep.p[b->cur]; /* the report array may have moved */
        if (st == PAT_OK && sum.accepted == 0)
            snprintf(e->reason, sizeof e->reason, "%s", sum.candidates
                     ? "every candidate window was rejected" : sum.reason);
    }
    if (b->p.progress) b->p.progress(b->p.progress_user, "participants", b->rep.np, 0);
    return st;
}

enum pat_status pat_build_series_fn(void *ctx, struct pat_series *s, struct pat_err *err) {
    return pat_build_add(ctx, s, err);
}

/* ---- finishing ----------------------------------------------------------- */

/* Append printf-formatted text to a growing string; returns 0 on failure. */
static int appendf(char **s, size_t *len, size_t *cap, const char *fmt, ...) PAT_PRINTF(4, 5);
static int appendf(char **s, size_t *len, size_t *cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return 0;
    if (*len + (size_t)n + 1 > *cap) {
        size_t c = (*len + (size_t)n + 1) * 2;
        char *g = realloc(*s, c);
        if (!g) return 0;
        *s = g;
        *cap = c;
    }
    va_start(ap, fmt);
    vsnprintf(*s + *len, *cap - *len, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
    return 1;
}

/* The provenance text: pat's own keys, then the caller's lines. */
static char *provenance(const struct pat_build *b, const char *extra) {
    const struct pat_build_params *p = &b->p;
    const struct pat_week_params *w = &p->weeks;
    char *s = NULL, smooth[64] = "none";
    size_t len = 0, cap = 0;
    if (p->smooth_window)
        snprintf(smooth, sizeof smooth, "savgol window %zu order %zu", p->smooth_window,
                 p->smooth_order);
    int ok = appendf(&s, &len, &cap,
                     "format=patd 1\npat_version=%s\ntransform=%s\nsmooth=%s\nfill=%g\n"
                     "window_length=%zu\n"
                     "patch_size=%zu\nalign=%s\nstride=%zu\nmax_windows=%zu\n"
                     "min_day_minutes=%zu\nmin_days=%zu\nzero_run=%zu\nduplicates=%s\ndst=%d\n"
                     "max_gap=%zu\ndrop_unlabeled=%d\n",
                     PAT_VERSION, p->log1p ? "log1p" : "none",
                     smooth,
                     (double)w->fill, w->length,
                     w->patch, w->align == PAT_ALIGN_START ? "start" : "midnight",
                     w->stride ? w->stride : w->length, w->max_windows, w->min_day_minutes,
                     w->min_days, p->zero_run, pat_dup_rule_name(p->rules.dup), p->rules.dst,
                     p->rules.max_gap, p->drop_unlabeled);
    ok = ok && appendf(&s, &len, &cap,
                       "split_seed=%llu\nsplit_val=%g\nsplit_test=%g\ntest_count=%zu\n"
                       "use_count=%zu\nfolds=%zu\n"
                       "split_unlabeled=%d\nscaler=%s\nparticipants_read=%zu\n"
                       "participants=%zu\nrows=%zu\nwindows_rejected=%zu\n%s",
                       (unsigned long long)p->split.seed, p->split.val, p->split.test,
                       p->split.test_count, p->split.use_count, p->split.folds, p->split.split_unlabeled, pat_scaler_mode_name(p->scaler),
                       b->rep.np, b->nkept, b->rep.rows, b->rep.nr, extra ? extra : "");
    if (!ok) {
        free(s);
        return NULL;
    }
    return s;
}

/* Split the dataset's participants; record splits in the report. */
static enum pat_status do_split(struct pat_build *b, uint8_t *split, uint8_t *fold,
                                struct pat_err *err) {
    size_t n = b->nkept;
    float *labels = pat_calloc(n, sizeof *labels);
    const char **ids = pat_calloc(n, sizeof *ids);
    enum pat_status st = labels && ids ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == PAT_OK && k < n; k++) {
        labels[k] = b->rep.p[b->kept[k]].label;
        ids[k] = b->rep.p[b->kept[k]].id;
    }
    if (st == PAT_OK) st = pat_split_assign(ids, labels, n, &b->p.split, split, fold, err);
    for (size_t k = 0; st == PAT_OK && k < n; k++) {
        struct pat_participant_report *e = &b->rep.p[b->kept[k]];
        e->split = split[k];
        b->rep.split_participants[split[k]]++;
        b->rep.split_rows[split[k]] += e->windows;
    }
    free(labels);
    free(ids);
    return st;
}

enum pat_status pat_build_finish(struct pat_build *b, const char *extra_meta,
                                 struct pat_err *err) {
    if (b->nkept == 0)
        return pat_fail(err, PAT_ERR_FORMAT, "no window was accepted from %zu participant%s "
                        "(see pat data report for the reasons)", b->rep.np,
                        b->rep.np == 1 ? "" : "s");
    uint8_t *split = malloc(b->nkept), *fold = malloc(b->nkept);
    enum pat_status st = split && fold ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = do_split(b, split, fold, err);
    char *meta = st == PAT_OK && b->w ? provenance(b, extra_meta) : NULL;
    if (st == PAT_OK && b->w && !meta) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && b->w) {
        struct pat_dsw_final f = {split, fold, b->p.split.folds, b->p.scaler,
                                  b->p.log1p ? PATD_FLAG_LOG1P : 0u, meta};
        if (b->p.progress) b->p.progress(b->p.progress_user, "writing", 0, 0);
        st = pat_dsw_finish(b->w, &f, err);
        b->w = NULL; /* finish frees the writer either way */
    }
    free(meta);
    free(split);
    free(fold);
    return st;
}
