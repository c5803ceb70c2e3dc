/* participant.c - participant-level grouping, aggregation, AUC, bootstrap
 * and Youden threshold (contract in participant.h). */
#include "eval/participant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "util.h"

static const char *const agg_names[] = {"mean", "median", "max"};

const char *pat_aggregate_name(enum pat_aggregate a) {
    return (unsigned)a < 3 ? agg_names[a] : "?";
}

int pat_aggregate_parse(const char *name, enum pat_aggregate *out) {
    for (int k = 0; k < 3; k++)
        if (name && strcmp(name, agg_names[k]) == 0) {
            *out = (enum pat_aggregate)k;
            return 0;
        }
    return -1;
}

static int float_cmp(const void *pa, const void *pb) {
    float a = *(const float *)pa, b = *(const float *)pb;
    return (a > b) - (a < b);
}

static double median(const float *v, size_t n) {
    float *s = pat_calloc(n, sizeof *s);
    if (!s) return NAN;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, float_cmp);
    double m = n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2.0;
    free(s);
    return m;
}

double pat_aggregate_values(const float *v, size_t n, enum pat_aggregate a) {
    if (n == 0) return NAN;
    for (size_t k = 0; k < n; k++)
        if (isnan(v[k])) return NAN;
    if (a == PAT_AGG_MEDIAN) return median(v, n);
    double acc = a == PAT_AGG_MAX ? (double)v[0] : 0.0;
    for (size_t k = 0; k < n; k++) {
        if (a == PAT_AGG_MAX) acc = (double)v[k] > acc ? (double)v[k] : acc;
        else acc += (double)v[k];
    }
    return a == PAT_AGG_MAX ? acc : acc / (double)n;
}

void pat_participants_free(struct pat_participants *p) {
    if (!p) return;
    for (size_t k = 0; p->id && k < p->n; k++) free(p->id[k]);
    free(p->id);
    free(p->score);
    free(p->label);
    free(p->windows);
    free(p->first);
    memset(p, 0, sizeof *p);
}

/* Window indices sorted by (id, index): a participant's windows adjacent,
 * in input order. */
struct by_id {
    const char *id;
    size_t k;
};

static int by_id_cmp(const void *pa, const void *pb) {
    const struct by_id *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->k > b->k) - (a->k < b->k);
}

static int size_cmp_first(const void *pa, const void *pb) {
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

static int same_label(float a, float b) { return (isnan(a) && isnan(b)) || a == b; }

static enum pat_status check_windows(const char *const *id, const float *prob, size_t n,
                                     struct pat_err *err) {
    for (size_t k = 0; k < n; k++) {
        if (!id[k] || !id[k][0])
            return pat_fail(err, PAT_ERR_USAGE, "window %zu has no participant id", k + 1);
        if (isnan(prob[k]))
            return pat_fail(err, PAT_ERR_NUMERIC, "window %zu (participant %s): probability "
                            "is NaN", k + 1, id[k]);
    }
    return PAT_OK;
}

static enum pat_status alloc_rows(struct pat_participants *p, size_t n, struct pat_err *err) {
    p->id = pat_calloc(n, sizeof *p->id);
    p->score = pat_calloc(n, sizeof *p->score);
    p->label = pat_calloc(n, sizeof *p->label);
    p->windows = pat_calloc(n, sizeof *p->windows);
    p->first = pat_calloc(n, sizeof *p->first);
    if (!p->id || !p->score || !p->label || !p->windows || !p->first)
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory grouping %zu windows", n);
    return PAT_OK;
}

/* One group: windows o[0..m) of the same id, in input order. */
static enum pat_status fill_group(struct pat_participants *p, size_t g, const struct by_id *o,
                                  size_t m, const float *prob, const float *label,
                                  enum pat_aggregate agg, float *scratch, struct pat_err *err) {
    float lab = label ? label[o[0].k] : NAN;
    for (size_t i = 0; i < m; i++) {
        scratch[i] = prob[o[i].k];
        if (label && !same_label(label[o[i].k], lab))
            return pat_fail(err, PAT_ERR_FORMAT, "participant %s has windows with different "
                            "labels (%g and %g)", o[0].id, (double)lab, (double)label[o[i].k]);
    }
    double s = pat_aggregate_values(scratch, m, agg);
    if (isnan(s)) return pat_fail(err, PAT_ERR_NOMEM, "out of memory aggregating windows");
    if (!(p->id[g] = pat_strdup(o[0].id))) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    p->score[g] = (float)s;
    p->label[g] = lab;
    p->windows[g] = m;
    p->first[g] = o[0].k;
    return PAT_OK;
}

/* Reorder the n groups by their first window. */
static enum pat_status order_by_first(struct pat_participants *p, struct pat_err *err) {
    size_t n = p->n, (*key)[2] = pat_calloc(n ? n : 1, sizeof *key);
    struct pat_participants q = {0};
    if (!key || alloc_rows(&q, n ? n : 1, err) != PAT_OK) {
        free(key);
        pat_participants_free(&q);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    for (size_t g = 0; g < n; g++) key[g][0] = p->first[g], key[g][1] = g;
    qsort(key, n, sizeof *key, size_cmp_first);
    for (size_t r = 0; r < n; r++) {
        size_t g = key[r][1];
        q.id[r] = p->id[g], q.score[r] = p->score[g], q.label[r] = p->label[g];
        q.windows[r] = p->windows[g], q.first[r] = p->first[g];
        p->id[g] = NULL;
    }
    q.n = n;
    free(key);
    pat_participants_free(p);
    *p = q;
    return PAT_OK;
}

enum pat_status pat_participants_group(const char *const *id, const float *prob,
                                       const float *label, size_t n, enum pat_aggregate agg,
                                       struct pat_participants *out, struct pat_err *err) {
    memset(out, 0, sizeof *out);
    enum pat_status st = check_windows(id, prob, n, err);
    if (st != PAT_OK) return st;
    struct by_id *o = pat_calloc(n ? n : 1, sizeof *o);
    float *scratch = pat_calloc(n ? n : 1, sizeof *scratch);
    if (!o || !scratch) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory grouping %zu windows", n);
    if (st == PAT_OK) st = alloc_rows(out, n ? n : 1, err);
    for (size_t k = 0; st == PAT_OK && k < n; k++) o[k].id = id[k], o[k].k = k;
    if (st == PAT_OK) qsort(o, n, sizeof *o, by_id_cmp);
    for (size_t a = 0; st == PAT_OK && a < n;) {
        size_t b = a + 1;
        while (b < n && strcmp(o[b].id, o[a].id) == 0) b++;
        st = fill_group(out, out->n, o + a, b - a, prob, label, agg, scratch, err);
        if (st == PAT_OK) out->n++;
        a = b;
    }
    if (st == PAT_OK) st = order_by_first(out, err);
    free(o);
    free(scratch);
    if (st != PAT_OK) pat_participants_free(out);
    return st;
}

/* The labelled participants' scores and labels (caller frees both). */
static enum pat_status labelled(const struct pat_participants *p, float **s, float **y,
                                size_t *m, struct pat_err *err) {
    *s = pat_calloc(p->n ? p->n : 1, sizeof **s);
    *y = pat_calloc(p->n ? p->n : 1, sizeof **y);
    *m = 0;
    if (!*s || !*y) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    size_t pos = 0;
    for (size_t k = 0; k < p->n; k++) {
        if (isnan(p->label[k])) continue;
        (*s)[*m] = p->score[k];
        (*y)[*m] = p->label[k] != 0.0f ? 1.0f : 0.0f;
        pos += p->label[k] != 0.0f;
        (*m)++;
    }
    if (*m == 0) return pat_fail(err, PAT_ERR_USAGE, "no participant has a label");
    if (pos == 0 || pos == *m)
        return pat_fail(err, PAT_ERR_USAGE, "all %zu labelled participants are %s: the "
                        "participant-level AUC needs both classes", *m,
                        pos ? "positive" : "negative");
    return PAT_OK;
}

enum pat_status pat_participants_auc(const struct pat_participants *p, double *auc,
                                     size_t *used, struct pat_err *err) {
    float *s, *y;
    size_t m;
    *auc = NAN;
    enum pat_status st = labelled(p, &s, &y, &m, err);
    if (st == PAT_OK) *auc = pat_roc_auc(s, y, m);
    if (st == PAT_OK && isnan(*auc)) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (used) *used = m;
    free(s);
    free(y);
    return st;
}

enum pat_status pat_participants_auc_ci(const struct pat_participants *p, size_t reps,
                                        uint64_t seed, double level, double *lo, double *hi,
                                        struct pat_err *err) {
    float *s, *y;
    size_t m;
    *lo = *hi = NAN;
    enum pat_status st = labelled(p, &s, &y, &m, err);
    if (st == PAT_OK) st = pat_auc_bootstrap_ci(s, y, m, reps, seed, level, lo, hi, err);
    free(s);
    free(y);
    return st;
}

/* A labelled case for the threshold scan. */
struct ycase {
    float s;
    int pos;
};

static int ycase_desc(const void *pa, const void *pb) {
    const struct ycase *a = pa, *b = pb;
    return (a->s < b->s) - (a->s > b->s);
}

enum pat_status pat_youden_threshold(const float *score, const float *label, size_t n,
                                     double *threshold, double *j, struct pat_err *err) {
    *threshold = NAN;
    struct ycase *c = pat_calloc(n ? n : 1, sizeof *c);
    if (!c) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    size_t m = 0, npos = 0;
    for (size_t k = 0; k < n; k++) {
        if (isnan(label[k])) continue;
        if (isnan(score[k])) {
            free(c);
            return pat_fail(err, PAT_ERR_USAGE, "Youden threshold: score %zu is NaN", k + 1);
        }
        c[m].s = score[k], c[m].pos = label[k] != 0.0f;
        npos += (size_t)c[m++].pos;
    }
    if (npos == 0 || npos == m) {
        free(c);
        return pat_fail(err, PAT_ERR_USAGE, "Youden threshold: needs positive and negative "
                        "cases (%zu labelled, %zu positive)", m, npos);
    }
    qsort(c, m, sizeof *c, ycase_desc);
    size_t tp = 0, fp = 0, best = 0, nneg = m - npos, btp = 0, bfp = 0;
    int found = 0;
    for (size_t k = 0; k < m;) { /* threshold = c[k].s: every case >= it is positive */
        size_t e = k;
        for (; e < m && c[e].s == c[k].s; e++) tp += (size_t)c[e].pos, fp += (size_t)!c[e].pos;
        /* J * npos * nneg, exact as long as the products fit in 64 bits */
        int64_t jn = (int64_t)tp * (int64_t)nneg - (int64_t)fp * (int64_t)npos;
        int64_t bn = (int64_t)btp * (int64_t)nneg - (int64_t)bfp * (int64_t)npos;
        if (!found || jn > bn) found = 1, best = k, btp = tp, bfp = fp;
        k = e;
    }
    *threshold = (double)c[best].s;
    double bestj = (double)btp / (double)npos - (double)bfp / (double)nneg;
    if (j) *j = bestj;
    free(c);
    return PAT_OK;
}
