/* optim.c - Adam (Keras and PyTorch forms), AdamW, gradient clipping,
 * cosine and plateau learning-rate schedules, early stopping.
 * Formulas and their sources are listed in optim.h. */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/pool.h"
#include "util.h"

#define PAT_PI 3.14159265358979323846

enum pat_status pat_optim_init(struct pat_optim *o, enum pat_optim_kind kind, size_t n,
                               struct pat_err *err) {
    memset(o, 0, sizeof *o);
    if (kind != PAT_OPTIM_ADAM_KERAS && kind != PAT_OPTIM_ADAM_TORCH && kind != PAT_OPTIM_ADAMW)
        return pat_fail(err, PAT_ERR_USAGE, "optimizer: unknown kind %d", (int)kind);
    o->m = pat_calloc(n ? n : 1, sizeof(float));
    o->v = pat_calloc(n ? n : 1, sizeof(float));
    if (!o->m || !o->v) {
        pat_optim_free(o);
        return pat_fail(err, PAT_ERR_NOMEM, "optimizer: cannot allocate moments for %zu floats",
                        n);
    }
    o->kind = kind;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = pat_optim_default_eps(kind);
    o->n = n;
    o->step = 0;
    return PAT_OK;
}

void pat_optim_free(struct pat_optim *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

double pat_optim_default_eps(enum pat_optim_kind kind) {
    return kind == PAT_OPTIM_ADAM_KERAS ? 1e-7 : 1e-8;
}

float pat_optim_default_weight_decay(enum pat_optim_kind kind) {
    return kind == PAT_OPTIM_ADAMW ? 1e-2f : 0.0f;
}

/* Constants of one group's update at step t, computed once in double. */
struct adam_coef {
    double b1, b2, eps;
    double lr, wd;
    double bc1, bc2; /* 1 - b1^t, 1 - b2^t */
};

/* Decoupled decay theta *= 1 - lr wd over [b, e) (Keras weight decay, AdamW). */
static void decay_range(float *p, size_t b, size_t e, double lr, double wd) {
    const double keep = 1.0 - lr * wd;
    for (size_t i = b; i < e; i++) p[i] = (float)((double)p[i] * keep);
}

/* Keras Adam over [b, e): moments by the "+= (x - m)(1 - beta)" form, step
 * alpha m / (sqrt(v) + eps) with alpha = lr sqrt(bc2) / bc1. */
static void adam_keras_range(float *p, float *m, float *v, const float *g, size_t b, size_t e,
                             const struct adam_coef *k) {
    const double alpha = k->lr * sqrt(k->bc2) / k->bc1;
    for (size_t i = b; i < e; i++) {
        double gi = g[i];
        m[i] = (float)(m[i] + (gi - m[i]) * (1.0 - k->b1));
        v[i] = (float)(v[i] + (gi * gi - v[i]) * (1.0 - k->b2));
        p[i] = (float)(p[i] - alpha * m[i] / (sqrt((double)v[i]) + k->eps));
    }
}

/* torch Adam over [b, e) with optional L2 term g + wd theta (wd = 0 for
 * AdamW, whose decay is applied before): step lr/bc1 m / (sqrt(v/bc2) + eps). */
static void adam_torch_range(float *p, float *m, float *v, const float *g, size_t b, size_t e,
                             const struct adam_coef *k) {
    const double step_size = k->lr / k->bc1, bc2_sqrt = sqrt(k->bc2);
    for (size_t i = b; i < e; i++) {
        double gi = (double)g[i] + k->wd * (double)p[i];
        m[i] = (float)(k->b1 * m[i] + (1.0 - k->b1) * gi);
        v[i] = (float)(k->b2 * v[i] + (1.0 - k->b2) * gi * gi);
        double denom = sqrt((double)v[i]) / bc2_sqrt + k->eps;
        p[i] = (float)(p[i] - step_size * m[i] / denom);
    }
}

/* Check ranges, overlaps and hyperparameters of the groups. */
static enum pat_status check_groups(const struct pat_optim *o, const struct pat_param_group *g,
                                    size_t ng, struct pat_err *err) {
    for (size_t i = 0; i < ng; i++) {
        if (g[i].begin > g[i].end || g[i].end > o->n)
            return pat_fail(err, PAT_ERR_USAGE,
                            "optimizer: group %zu range [%zu, %zu) outside [0, %zu)", i,
                            g[i].begin, g[i].end, o->n);
        if (!(g[i].lr >= 0.0f) || !isfinite(g[i].lr) || !(g[i].weight_decay >= 0.0f) ||
            !isfinite(g[i].weight_decay))
            return pat_fail(err, PAT_ERR_USAGE,
                            "optimizer: group %zu has lr %g, weight decay %g (need finite >= 0)",
                            i, (double)g[i].lr, (double)g[i].weight_decay);
        for (size_t j = 0; j < i; j++)
            if (g[i].begin < g[j].end && g[j].begin < g[i].end)
                return pat_fail(err, PAT_ERR_USAGE, "optimizer: groups %zu and %zu overlap", j,
                                i);
    }
    return PAT_OK;
}

/* One group's update over [b, e): element-wise, so any split gives the
 * same bits. */
struct step_job {
    struct pat_optim *o;
    float *params;
    const float *grads;
    struct adam_coef k;
    size_t begin;
};

static void step_range(void *ctx, size_t b, size_t e) {
    const struct step_job *j = ctx;
    struct pat_optim *o = j->o;
    struct adam_coef k = j->k;
    b += j->begin, e += j->begin;
    switch (o->kind) {
    case PAT_OPTIM_ADAM_KERAS:
        if (k.wd > 0) decay_range(j->params, b, e, k.lr, k.wd);
        adam_keras_range(j->params, o->m, o->v, j->grads, b, e, &k);
        break;
    case PAT_OPTIM_ADAM_TORCH:
        adam_torch_range(j->params, o->m, o->v, j->grads, b, e, &k);
        break;
    case PAT_OPTIM_ADAMW:
        if (k.wd > 0) decay_range(j->params, b, e, k.lr, k.wd);
        k.wd = 0.0;
        adam_torch_range(j->params, o->m, o->v, j->grads, b, e, &k);
        break;
    }
}

/* Parameters per task of the update. */
#define STEP_GRAIN 65536

/* Update one group at 1-based step t. */
static void step_group(struct pat_optim *o, float *params, const float *grads,
                       const struct pat_param_group *grp, double t) {
    struct step_job j = {o, params, grads,
                         {o->beta1, o->beta2, o->eps, grp->lr, grp->weight_decay,
                          1.0 - pow(o->beta1, t), 1.0 - pow(o->beta2, t)},
                         grp->begin};
    pat_pool_for(grp->end - grp->begin, STEP_GRAIN, step_range, &j);
}

enum pat_status pat_optim_step(struct pat_optim *o, float *params, const float *grads,
                               const struct pat_param_group *groups, size_t num_groups,
                               struct pat_err *err) {
    enum pat_status st = check_groups(o, groups, num_groups, err);
    if (st != PAT_OK) return st;
    const double t = (double)(o->step + 1);
    for (size_t i = 0; i < num_groups; i++)
        if (!groups[i].frozen && groups[i].begin < groups[i].end)
            step_group(o, params, grads, &groups[i], t);
    o->step++;
    return PAT_OK;
}

enum pat_status pat_optim_restore(struct pat_optim *o, const float *m, const float *v,
                                  size_t n, uint64_t step, struct pat_err *err) {
    if (n != o->n)
        return pat_fail(err, PAT_ERR_USAGE,
                        "optimizer: saved state has %zu moments, the model has %zu", n, o->n);
    if (n) {
        memcpy(o->m, m, n * sizeof *m);
        memcpy(o->v, v, n * sizeof *v);
    }
    o->step = step;
    return PAT_OK;
}

double pat_grad_norm(const float *g, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * (double)g[i];
    return sqrt(s);
}

double pat_clip_grad_norm(float *g, size_t n, double max_norm) {
    const double norm = pat_grad_norm(g, n);
    const double c = max_norm / (norm + 1e-6);
    if (c < 1.0) {
        for (size_t i = 0; i < n; i++) g[i] = (float)((double)g[i] * c);
    }
    return norm;
}

double pat_lr_cosine(double base, double eta_min, size_t epoch, size_t t_max) {
    if (t_max == 0) return base;
    double x = PAT_PI * (double)epoch / (double)t_max;
    return eta_min + (base - eta_min) * (1.0 + cos(x)) / 2.0;
}

/* The two Keras callbacks phrase "better by more than delta" differently;
 * both forms are kept so that ties round exactly as in Keras. */
static int plateau_improves(enum pat_monitor_mode mode, double value, double best,
                            double delta) {
    return mode == PAT_MONITOR_MAX ? value > best + delta : value < best - delta;
}

static int stopping_improves(enum pat_monitor_mode mode, double value, double best,
                             double delta) {
    return mode == PAT_MONITOR_MAX ? value - delta > best : value + delta < best;
}

static double worst_value(enum pat_monitor_mode mode) {
    return mode == PAT_MONITOR_MAX ? -INFINITY : INFINITY;
}

void pat_plateau_init(struct pat_plateau *p, enum pat_monitor_mode mode, double factor,
                      size_t patience, double min_lr) {
    memset(p, 0, sizeof *p);
    p->mode = mode;
    p->factor = factor;
    p->patience = patience;
    p->min_lr = min_lr;
    p->min_delta = 1e-4;
    p->cooldown = 0;
    p->best = worst_value(mode);
}

int pat_plateau_update(struct pat_plateau *p, double *lr, double value) {
    if (p->cooldown_counter > 0) {
        p->cooldown_counter--;
        p->wait = 0;
    }
    if (plateau_improves(p->mode, value, p->best, p->min_delta)) {
        p->best = value;
        p->wait = 0;
        return 0;
    }
    if (p->cooldown_counter > 0) return 0;
    p->wait++;
    /* Keras compares its float32 lr variable with np.float32(min_lr) */
    if (p->wait < p->patience || !((float)*lr > (float)p->min_lr)) return 0;
    double next = *lr * p->factor;
    *lr = next > p->min_lr ? next : p->min_lr;
    p->cooldown_counter = p->cooldown;
    p->wait = 0;
    return 1;
}

void pat_early_stopping_init(struct pat_early_stopping *es, enum pat_monitor_mode mode,
                             size_t patience, double min_delta) {
    memset(es, 0, sizeof *es);
    es->mode = mode;
    es->patience = patience;
    es->min_delta = fabs(min_delta);
    es->best = worst_value(mode);
}

int pat_early_stopping_update(struct pat_early_stopping *es, double value) {
    const size_t epoch = es->epoch++;
    int flags = 0;
    es->wait++;
    if (stopping_improves(es->mode, value, es->best, es->min_delta)) {
        es->best = value;
        es->best_epoch = epoch;
        es->wait = 0;
        flags |= PAT_ES_IMPROVED;
    }
    if (es->wait >= es->patience && epoch > 0) {
        if (!es->stopped) es->stopped_epoch = epoch;
        es->stopped = 1;
        flags |= PAT_ES_STOP;
    }
    return flags;
}
