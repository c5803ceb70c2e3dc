/* score.c - recordings -> participant rows through the data pipeline and
 * inference (score.h). */
#include "score/score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct pat_score_params pat_score_default_params(void) {
    struct pat_score_params p;
    memset(&p, 0, sizeof p);
    p.recipe = pat_recipe_default();
    p.input = pat_input_default_params();
    p.batch = 64;
    return p;
}

const char *pat_sufficiency_name(enum pat_sufficiency s) {
    static const char *const names[] = {"none", "poor", "limited", "good"};
    return (unsigned)s < 4 ? names[s] : "?";
}

/* The state of one run. */
struct scorer {
    const struct pat_model *m;
    const struct pat_score_params *p;
    struct pat_score_result *res;
    struct pat_build *b;
    const char *source;   /* path being read */
    size_t path, ordinal; /* its index, and the next participant's number in it */
    int log1p_here;       /* apply log1p before the model (it has no transform) */
    float *x;             /* the current participant's windows, T each */
    size_t nx, xcap;
    float *prob, *att;    /* batch outputs */
};

void pat_score_result_free(struct pat_score_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->np; i++) free(r->p[i].id), free(r->p[i].source);
    free(r->p);
    free(r->w);
    free(r->attention);
    free(r->values);
    memset(r, 0, sizeof *r);
}

int64_t pat_score_top_attention(const struct pat_score_result *r, size_t k) {
    if (!r->attention || k >= r->nw || !r->N) return -1;
    const float *a = r->attention + k * r->N;
    size_t best = 0;
    for (size_t j = 1; j < r->N; j++)
        if (a[j] > a[best]) best = j;
    return r->w[k].start + (int64_t)(best * (r->T / r->N));
}

/* Grow *a (elements of size elem) to hold n + 1. */
static int grow(void **a, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return 1;
    size_t c = *cap ? *cap * 2 : 64, bytes;
    if (!pat_mul_size(c, elem, &bytes)) return 0;
    void *g = realloc(*a, bytes);
    if (!g) return 0;
    *a = g;
    *cap = c;
    return 1;
}

/* Resize the optional per-window arrays to wcap windows. */
static int grow_window_arrays(struct scorer *sc) {
    struct pat_score_result *r = sc->res;
    size_t n;
    if (r->attention) {
        float *g = pat_mul_size(r->wcap, r->N * sizeof *g, &n) ? realloc(r->attention, n) : NULL;
        if (!g) return 0;
        r->attention = g;
    }
    if (r->values) {
        float *g = pat_mul_size(r->wcap, r->T * sizeof *g, &n) ? realloc(r->values, n) : NULL;
        if (!g) return 0;
        r->values = g;
    }
    return 1;
}

/* Pipeline callback: one accepted window of the current participant. */
static enum pat_status on_row(void *user, const struct pat_series *s, const struct pat_window *w,
                              const float *x, struct pat_err *err) {
    struct scorer *sc = user;
    struct pat_score_result *r = sc->res;
    size_t T = r->T, oldcap = r->wcap;
    (void)s;
    if (!grow((void **)&r->w, &r->wcap, r->nw, sizeof *r->w) ||
        (r->wcap != oldcap && !grow_window_arrays(sc)) ||
        !grow((void **)&sc->x, &sc->xcap, sc->nx, T * sizeof *sc->x))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory at window %zu", r->nw + 1);
    struct pat_score_window *o = &r->w[r->nw];
    o->participant = r->np;
    o->start = w->start;
    o->valid = w->valid;
    o->valid_days = w->valid_days;
    o->probability = NAN;
    memcpy(sc->x + sc->nx * T, x, T * sizeof *x);
    if (r->values) memcpy(r->values + r->nw * T, x, T * sizeof *x);
    r->nw++;
    sc->nx++;
    return PAT_OK;
}

static enum pat_status apply_log1p(float *x, size_t n, const char *id, struct pat_err *err) {
    for (size_t j = 0; j < n; j++) {
        if (!(x[j] > -1.0f))
            return pat_fail(err, PAT_ERR_NUMERIC, "participant %s: value %g in a window is "
                            "<= -1; log1p is undefined", id, (double)x[j]);
        x[j] = log1pf(x[j]);
    }
    return PAT_OK;
}

/* Run the model over the current participant's nx windows (the last nx of
 * the result). */
static enum pat_status infer_windows(struct scorer *sc, const char *id, struct pat_err *err) {
    struct pat_score_result *r = sc->res;
    size_t T = r->T, first = r->nw - sc->nx, B = sc->p->batch;
    enum pat_status st = PAT_OK;
    if (sc->log1p_here) st = apply_log1p(sc->x, sc->nx * T, id, err);
    for (size_t k = 0; st == PAT_OK && k < sc->nx; k += B) {
        size_t b = sc->nx - k < B ? sc->nx - k : B;
        st = pat_predict_ex(sc->m, sc->x + k * T, b, T, sc->p->precision, sc->prob, err);
        for (size_t i = 0; st == PAT_OK && i < b; i++) r->w[first + k + i].probability = sc->prob[i];
        if (st == PAT_OK && r->attention)
            st = pat_explain_ex(sc->m, sc->x + k * T, b, T, sc->p->precision,
                                r->attention + (first + k) * r->N, err);
    }
    return st;
}

static enum pat_sufficiency sufficiency_of(size_t valid_days) {
    return valid_days >= 7 ? PAT_SUFF_GOOD : valid_days >= 3 ? PAT_SUFF_LIMITED
           : valid_days >= 1 ? PAT_SUFF_POOR : PAT_SUFF_NONE;
}

/* The participant row from the pipeline's report and the windows' results. */
static enum pat_status finish_participant(struct scorer *sc, const struct pat_series *s,
                                          struct pat_err *err) {
    struct pat_score_result *r = sc->res;
    const struct pat_build_report *rep = pat_build_report(sc->b);
    const struct pat_participant_report *e = &rep->p[rep->np - 1];
    const struct pat_recipe *rc = &sc->p->recipe;
    struct pat_score_participant *o = &r->p[r->np];
    memset(o, 0, sizeof *o);
    o->id = pat_strdup(s->id);
    o->source = pat_strdup(sc->source);
    if (!o->id || !o->source) {
        free(o->id), free(o->source);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    r->np++;
    o->path = sc->path, o->ordinal = sc->ordinal - 1;
    o->label = e->label;
    o->windows = sc->nx;
    o->first_window = r->nw - sc->nx;
    o->days = e->days, o->valid_days = e->valid_days;
    o->minutes = e->minutes, o->minutes_observed = e->valid, o->first = e->first;
    float *pr = sc->prob;
    for (size_t k = 0; k < sc->nx; k++) {
        pr[k] = r->w[o->first_window + k].probability;
        o->window_valid_days += r->w[o->first_window + k].valid_days;
    }
    o->probability = sc->nx ? pat_aggregate_values(pr, sc->nx, rc->aggregate) : NAN;
    if (sc->nx && isnan(o->probability)) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    o->decision = isnan(o->probability) || isnan(rc->threshold) ? -1
                  : o->probability >= rc->threshold;
    o->sufficiency = sufficiency_of(o->window_valid_days);
    if (!sc->nx)
        snprintf(o->reason, sizeof o->reason, "no window accepted: %.100s (%zu of %zu complete "
                 "days have >= %zu valid minutes)", e->reason[0] ? e->reason : "no data",
                 e->valid_days, e->days, rc->weeks.min_day_minutes);
    else if (o->sufficiency == PAT_SUFF_POOR)
        snprintf(o->reason, sizeof o->reason, "only %zu valid day%s scored: read with care",
                 o->window_valid_days, o->window_valid_days == 1 ? "" : "s");
    return PAT_OK;
}

/* Series callback: one participant through the pipeline and the model. */
static enum pat_status on_series(void *ctx, struct pat_series *s, struct pat_err *err) {
    struct scorer *sc = ctx;
    struct pat_score_result *r = sc->res;
    size_t k = sc->ordinal++;
    if (sc->p->pick && !sc->p->pick(sc->p->pick_user, sc->path, k)) return PAT_OK;
    if (!grow((void **)&r->p, &r->pcap, r->np, sizeof *r->p))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    sc->nx = 0;
    enum pat_status st = pat_build_add(sc->b, s, err);
    if (st == PAT_OK && sc->nx > sc->p->batch) { /* prob doubles as aggregation scratch */
        float *g = realloc(sc->prob, sc->nx * sizeof *g);
        if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        sc->prob = g;
    }
    if (st == PAT_OK && sc->nx) st = infer_windows(sc, s->id, err);
    if (st == PAT_OK) st = finish_participant(sc, s, err);
    if (st == PAT_OK && sc->p->progress)
        sc->p->progress(sc->p->progress_user, "participants", r->np, 0);
    return st;
}

/* Folder reading: participant k of the current path is read only when
 * picked (on_series then asks again, with the same answer). */
static int want_file(void *user, size_t k) {
    struct scorer *sc = user;
    sc->ordinal = k;
    return sc->p->pick(sc->p->pick_user, sc->path, k);
}

/* Checks of model against recipe, and the pipeline's parameters. */
static enum pat_status setup(struct scorer *sc, struct pat_build_params *bp,
                             struct pat_err *err) {
    const struct pat_config *c = pat_model_config(sc->m);
    const struct pat_recipe *rc = &sc->p->recipe;
    if (!pat_model_has_head(sc->m))
        return pat_fail(err, PAT_ERR_USAGE, "the model has no classification head (an encoder "
                        "only): fine-tune it first");
    const char *scaler = pat_model_meta_get(sc->m, "pat.scaler");
    if (scaler && strncmp(scaler, "per-split", 9) == 0)
        return pat_fail(err, PAT_ERR_USAGE, "the model was trained on per-split standardized "
                        "rows and carries no scaler: raw recordings cannot be scored with it");
    size_t T = rc->weeks.length, S = pat_model_scaler_len(sc->m);
    if (S && S != T)
        return pat_fail(err, PAT_ERR_USAGE, "the recipe cuts windows of %zu minutes but the "
                        "model's scaler is for %zu-minute windows", T, S);
    *bp = pat_build_default_params();
    bp->weeks.patch = c->patch_size;
    pat_recipe_to_build(rc, bp);
    bp->split.val = bp->split.test = 0;
    bp->scaler = PAT_SCALER_NONE;
    bp->log1p = 0; /* applied here or by the model, once (score.h) */
    bp->on_row = on_row;
    bp->row_user = sc;
    sc->log1p_here = rc->log1p && strcmp(pat_model_input_transform(sc->m), "log1p") != 0;
    sc->res->T = T;
    sc->res->N = T / c->patch_size;
    if (sc->p->explain) sc->res->attention = malloc(sizeof(float));
    if (sc->p->keep_values) sc->res->values = malloc(sizeof(float));
    sc->prob = pat_calloc(sc->p->batch ? sc->p->batch : 1, sizeof *sc->prob);
    if (!sc->prob || (sc->p->explain && !sc->res->attention) ||
        (sc->p->keep_values && !sc->res->values))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    return pat_week_params_check(&bp->weeks, err);
}

enum pat_status pat_score_files(const struct pat_model *m, const struct pat_score_params *p,
                                const char *const *paths, size_t n,
                                struct pat_score_result *out, struct pat_err *err) {
    memset(out, 0, sizeof *out);
    if (p->batch == 0) return pat_fail(err, PAT_ERR_USAGE, "batch must be at least 1");
    struct scorer sc = {.m = m, .p = p, .res = out};
    struct pat_build_params bp;
    enum pat_status st = setup(&sc, &bp, err);
    if (st == PAT_OK) st = pat_build_begin(NULL, &bp, NULL, &sc.b, err);
    for (size_t i = 0; st == PAT_OK && i < n; i++) {
        size_t count;
        if (p->pick && !p->pick(p->pick_user, i, PAT_SCORE_ANY)) continue;
        sc.source = paths[i];
        sc.path = i, sc.ordinal = 0;
        st = pat_input_read_some(paths[i], &p->input, &bp.rules, on_series, &sc,
                                 p->pick ? want_file : NULL, &sc, &count, err);
        if (st == PAT_OK && count == 0)
            st = pat_fail(err, PAT_ERR_FORMAT, "%s: no participant found", paths[i]);
    }
    pat_build_free(sc.b);
    free(sc.x);
    free(sc.prob);
    if (st != PAT_OK) pat_score_result_free(out);
    return st;
}
