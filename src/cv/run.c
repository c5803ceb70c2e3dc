/* run.c - the fold runner of pat cv: tasks over threads, per-task state
 * files for --resume, progress (cv.h). */
#include "cv/cv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifndef PAT_NO_THREADS
#include <pthread.h>
#endif

#include "cv/methods.h"
#include "nn/pool.h"
#include "report/atomic.h"
#include "util.h"

static const char *const method_names[PAT_CV_METHODS] = {
    "features", "probe", "probe-mlp", "full", "two-stage", "mae-probe", "mae-full"};
static const char *const method_labels[PAT_CV_METHODS] = {
    "Features + logistic regression", "PAT linear probe (fixed encoder)",
    "PAT MLP head (frozen encoder)", "PAT full fine-tune", "PAT two-stage fine-tune",
    "PAT MAE-pretrained in fold, linear probe", "PAT MAE-pretrained in fold, full fine-tune"};

const char *pat_cv_method_name(enum pat_cv_method m) {
    return (unsigned)m < PAT_CV_METHODS ? method_names[m] : "?";
}
const char *pat_cv_method_label(enum pat_cv_method m) {
    return (unsigned)m < PAT_CV_METHODS ? method_labels[m] : "?";
}
int pat_cv_method_parse(const char *s) {
    for (int m = 0; m < PAT_CV_METHODS; m++)
        if (strcmp(s, method_names[m]) == 0) return m;
    return -1;
}

void pat_cv_config_default(struct pat_cv_config *c) {
    memset(c, 0, sizeof *c);
    c->protocol = PAT_CV_KFOLD, c->folds = 5, c->repeats = 5, c->seed = 20240607;
    c->methods[PAT_CV_FEATURES] = c->methods[PAT_CV_PROBE] = 1;
    c->arch = "S";
    c->inner_folds = 5, c->inner_val = 0.2;
    c->grid = pat_logreg_cv_default_params();
    c->pre_epochs = 12, c->pre_batch = 32, c->pre_lr = 1e-3, c->mask_ratio = 0.90f;
    c->ft_epochs = 8, c->ft_batch = 32, c->patience = 0;
    c->ft_lr_head = 1e-3, c->ft_lr_encoder = 1e-4;
}

void pat_cv_config_describe(const struct pat_cv_config *c, const struct pat_cv_plan *plan,
                            char *buf, size_t n) {
    size_t len = (size_t)snprintf(buf, n, "protocol=%s folds=%zu repeats=%zu seed=%llu methods=",
                                  pat_cv_protocol_name(plan->protocol), plan->nfolds[0],
                                  plan->repeats, (unsigned long long)c->seed);
    for (int m = 0; m < PAT_CV_METHODS && len < n; m++)
        if (c->methods[m]) len += (size_t)snprintf(buf + len, n - len, "%s,", method_names[m]);
    if (len < n)
        len += (size_t)snprintf(buf + len, n - len, " arch=%s encoder=%s inner_folds=%zu "
                                "inner_val=%.17g grid=", c->arch,
                                c->encoder_name ? c->encoder_name : "random",
                                c->inner_folds, c->inner_val);
    for (size_t i = 0; i < c->grid.ngrid && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%.17g,", c->grid.grid[i]);
    if (len < n)
        snprintf(buf + len, n - len, " pre=%zu,%zu,%.17g,%.9g ft=%zu,%zu,%zu,%.17g,%.17g",
                 c->pre_epochs, c->pre_batch, c->pre_lr, (double)c->mask_ratio, c->ft_epochs,
                 c->ft_batch, c->patience, c->ft_lr_head, c->ft_lr_encoder);
}

void pat_cv_results_free(struct pat_cv_results *r) {
    free(r->score), free(r->threshold), free(r->C), free(r->inner), free(r->seconds);
    memset(r, 0, sizeof *r);
}

static enum pat_status results_alloc(struct pat_cv_results *r, const struct pat_cv_plan *plan,
                                     struct pat_err *err) {
    memset(r, 0, sizeof *r);
    r->repeats = plan->repeats, r->P = plan->P;
    for (size_t i = 0; i < plan->repeats; i++)
        if (plan->nfolds[i] > r->K) r->K = plan->nfolds[i];
    const size_t ns = PAT_CV_METHODS * r->repeats * r->P, nk = PAT_CV_METHODS * r->repeats * r->K;
    r->score = pat_calloc(ns, sizeof *r->score);
    r->threshold = pat_calloc(nk, sizeof *r->threshold);
    r->C = pat_calloc(nk, sizeof *r->C), r->inner = pat_calloc(nk, sizeof *r->inner);
    r->seconds = pat_calloc(r->repeats * r->K, sizeof *r->seconds);
    if (!r->score || !r->threshold || !r->C || !r->inner || !r->seconds) {
        pat_cv_results_free(r);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < ns; i++) r->score[i] = NAN;
    for (size_t i = 0; i < nk; i++) r->threshold[i] = r->C[i] = r->inner[i] = NAN;
    for (size_t i = 0; i < r->repeats * r->K; i++) r->seconds[i] = NAN;
    return PAT_OK;
}

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- state files: one per finished task ---- */

#define STATE_MAGIC "pat-cv-task 1"

static void state_path(char *buf, size_t n, const char *dir, size_t r, size_t k) {
    snprintf(buf, n, "%s/task-r%zu-f%zu.txt", dir, r + 1, k + 1);
}

/* One finished task: its results for every method, test participants only. */
static enum pat_status state_save(const char *dir, const char *desc,
                                  const struct pat_cv_results *res, const struct pat_cv_plan *plan,
                                  const struct pat_cv_config *cfg, size_t r, size_t k,
                                  struct pat_err *err) {
    char path[4096];
    state_path(path, sizeof path, dir, r, k);
    struct pat_atomic_file a;
    enum pat_status st = pat_atomic_open(&a, path, err);
    if (st != PAT_OK) return st;
    fprintf(a.f, "%s\n%s\nseconds %.17g\n", STATE_MAGIC, desc, res->seconds[r * res->K + k]);
    for (int m = 0; m < PAT_CV_METHODS; m++) {
        if (!cfg->methods[m]) continue;
        const size_t i = PAT_CV_AT(res, m, r, k, res->K);
        fprintf(a.f, "method %s %a %a %a\n", method_names[m], res->threshold[i], res->C[i],
                res->inner[i]);
        for (size_t p = 0; p < res->P; p++)
            if (plan->fold[r * plan->P + p] == k)
                fprintf(a.f, "score %zu %a\n", p, (double)res->score[PAT_CV_AT(res, m, r, p, res->P)]);
    }
    fprintf(a.f, "end\n");
    return pat_atomic_commit(&a, err);
}

/* Read a task back; 0: no such file; 1: read; -1: error (err set). */
static int state_load(const char *dir, const char *desc, struct pat_cv_results *res,
                      const struct pat_cv_plan *plan, size_t r, size_t k, struct pat_err *err) {
    char path[4096], line[8192];
    state_path(path, sizeof path, dir, r, k);
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : (pat_fail(err, PAT_ERR_IO, "%s: %s", path, strerror(errno)), -1);
    int ok = fgets(line, sizeof line, f) && strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC)) == 0;
    if (ok && (!fgets(line, sizeof line, f) || strncmp(line, desc, strlen(desc)) != 0 ||
               line[strlen(desc)] != '\n')) {
        fclose(f);
        pat_fail(err, PAT_ERR_USAGE, "%s was written by a run with other options; resume with "
                 "the same options or use a new output folder", path);
        return -1;
    }
    int m = -1, ended = 0;
    while (ok && !ended && fgets(line, sizeof line, f)) {
        char name[64];
        double a, b, c;
        size_t p;
        if (sscanf(line, "seconds %lf", &a) == 1) res->seconds[r * res->K + k] = a;
        else if (sscanf(line, "method %63s %la %la %la", name, &a, &b, &c) == 4 &&
                 (m = pat_cv_method_parse(name)) >= 0) {
            const size_t i = PAT_CV_AT(res, m, r, k, res->K);
            res->threshold[i] = a, res->C[i] = b, res->inner[i] = c;
        } else if (sscanf(line, "score %zu %la", &p, &a) == 2 && m >= 0 && p < plan->P &&
                   plan->fold[r * plan->P + p] == k) {
            res->score[PAT_CV_AT(res, m, r, p, res->P)] = (float)a;
        } else if (strcmp(line, "end\n") == 0) {
            ended = 1;
        } else {
            ok = 0;
        }
    }
    fclose(f);
    if (!ok || !ended) {
        pat_fail(err, PAT_ERR_FORMAT, "%s: damaged task state (delete it to recompute the "
                 "task)", path);
        return -1;
    }
    return 1;
}

/* ---- tasks ---- */

struct task_env {
    const struct pat_cv_cohort *c;
    const struct pat_cv_plan *plan;
    const struct pat_cv_config *cfg;
    const struct pat_cv_shared *sh;
    struct pat_cv_results *res;
};

/* One (repeat, fold): every method on the fold. */
static enum pat_status run_task(const struct task_env *e, size_t r, size_t k,
                                struct pat_err *err) {
    const size_t P = e->c->P;
    unsigned char *in_test = pat_calloc(P, 1);
    float *score = pat_calloc(P, sizeof *score);
    if (!in_test || !score) {
        free(in_test), free(score);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    for (size_t p = 0; p < P; p++) in_test[p] = e->plan->fold[r * P + p] == k;
    struct pat_cv_fold f;
    const double t0 = now();
    enum pat_status st = pat_cv_fold_begin(&f, e->sh, in_test, mix(mix(e->cfg->seed, r), k), err);
    const int begun = st == PAT_OK;
    for (int m = 0; st == PAT_OK && m < PAT_CV_METHODS; m++) {
        if (!e->cfg->methods[m]) continue;
        struct pat_cv_fit fit = {score, 0, 0, 0, NULL};
        st = pat_cv_fold_fit(&f, (enum pat_cv_method)m, 0, &fit, err);
        if (st != PAT_OK) break;
        struct pat_cv_results *res = e->res;
        const size_t i = PAT_CV_AT(res, m, r, k, res->K);
        res->threshold[i] = fit.threshold, res->C[i] = fit.C, res->inner[i] = fit.inner;
        for (size_t p = 0; p < P; p++)
            if (in_test[p]) res->score[PAT_CV_AT(res, m, r, p, P)] = score[p];
    }
    if (begun) pat_cv_fold_end(&f);
    e->res->seconds[r * e->res->K + k] = now() - t0;
    free(in_test), free(score);
    return st;
}

static int make_dir(const char *dir, struct pat_err *err) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) return 0;
    pat_fail(err, PAT_ERR_IO, "%s: cannot create the folder: %s", dir, strerror(errno));
    return -1;
}

struct progress_state {
    pat_cv_progress_fn fn;
    void *user;
    size_t done, total, computed, to_compute;
    double t0, computed_seconds;
};

static void report(struct progress_state *ps, size_t r, size_t k, double secs, int resumed) {
    ps->done++;
    if (!resumed) ps->computed++;
    if (!ps->fn) return;
    struct pat_cv_progress p = {ps->done, ps->total, r, k, secs, now() - ps->t0, NAN, resumed};
    if (ps->computed) /* rate of the tasks computed in this run */
        p.eta_seconds = p.elapsed_seconds / (double)ps->computed *
                        (double)(ps->to_compute - ps->computed);
    ps->fn(&p, ps->user);
}

/* The tasks of one run: each (repeat, fold) on a pool thread (nested
 * training inside runs serially), failures and progress under a lock. */
struct cv_job {
    const struct task_env *env;
    const size_t *task;
    struct pat_err *terr;
    const char *state_dir, *desc;
    const struct pat_cv_plan *plan;
    const struct pat_cv_config *cfg;
    struct progress_state *ps;
    int failed;
#ifndef PAT_NO_THREADS
    pthread_mutex_t lock;
#endif
};

static void cv_lock(struct cv_job *j, int lock) {
#ifndef PAT_NO_THREADS
    if (lock) pthread_mutex_lock(&j->lock);
    else pthread_mutex_unlock(&j->lock);
#else
    (void)j, (void)lock;
#endif
}

static void cv_task(void *ctx, size_t t, size_t worker) {
    struct cv_job *j = ctx;
    (void)worker;
    cv_lock(j, 1);
    const int stop = j->failed;
    cv_lock(j, 0);
    if (stop) return;
    const size_t r = j->task[2 * t], k = j->task[2 * t + 1];
    enum pat_status ts = run_task(j->env, r, k, &j->terr[t]);
    if (ts == PAT_OK && j->state_dir)
        ts = state_save(j->state_dir, j->desc, j->env->res, j->plan, j->cfg, r, k, &j->terr[t]);
    j->terr[t].status = ts;
    cv_lock(j, 1);
    if (ts != PAT_OK) j->failed = 1;
    else report(j->ps, r, k, j->env->res->seconds[r * j->env->res->K + k], 0);
    cv_lock(j, 0);
}

enum pat_status pat_cv_run(const struct pat_cv_cohort *c, const struct pat_cv_plan *plan,
                           const struct pat_cv_config *cfg, const char *state_dir, int resume,
                           struct pat_cv_results *out, pat_cv_progress_fn progress,
                           void *user, struct pat_err *err) {
    char desc[2048];
    pat_cv_config_describe(cfg, plan, desc, sizeof desc);
    enum pat_status st = results_alloc(out, plan, err);
    if (st != PAT_OK) return st;
    if (state_dir && make_dir(state_dir, err)) st = err->status;
    /* the task list: (repeat, fold) pairs; resumed ones are read now */
    size_t ntask = 0, *task = pat_calloc(2 * plan->repeats * out->K + 1, sizeof *task);
    if (st == PAT_OK && !task) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    struct progress_state ps = {progress, user, 0, 0, 0, 0, now(), 0};
    for (size_t r = 0; st == PAT_OK && r < plan->repeats; r++) ps.total += plan->nfolds[r];
    for (size_t r = 0; st == PAT_OK && r < plan->repeats; r++)
        for (size_t k = 0; st == PAT_OK && k < plan->nfolds[r]; k++) {
            int got = resume && state_dir ? state_load(state_dir, desc, out, plan, r, k, err) : 0;
            if (got < 0) st = err->status;
            else if (got) out->resumed++, report(&ps, r, k, out->seconds[r * out->K + k], 1);
            else task[2 * ntask] = r, task[2 * ntask + 1] = k, ntask++;
        }
    ps.to_compute = ntask;
    struct pat_cv_shared sh;
    memset(&sh, 0, sizeof sh);
    if (st == PAT_OK && ntask) st = pat_cv_shared_make(&sh, c, cfg, err);
    const struct task_env env = {c, plan, cfg, &sh, out};
    struct pat_err *terr = st == PAT_OK && ntask ? pat_calloc(ntask, sizeof *terr) : NULL;
    if (st == PAT_OK && ntask && !terr) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && ntask) {
        struct cv_job job = {.env = &env, .task = task, .terr = terr, .state_dir = state_dir,
                             .desc = desc, .plan = plan, .cfg = cfg, .ps = &ps, .failed = 0};
#ifndef PAT_NO_THREADS
        pthread_mutex_init(&job.lock, NULL);
#endif
        pat_pool_run(ntask, ntask, cv_task, &job);
#ifndef PAT_NO_THREADS
        pthread_mutex_destroy(&job.lock);
#endif
        for (size_t t = 0; t < ntask; t++)
            if (terr[t].status != PAT_OK) {
                *err = terr[t];
                st = terr[t].status;
                break;
            }
    }
    free(terr), free(task);
    pat_cv_shared_free(&sh);
    if (st != PAT_OK) pat_cv_results_free(out);
    return st;
}

enum pat_status pat_cv_final(const struct pat_cv_cohort *c, const struct pat_cv_config *cfg,
                             enum pat_cv_method m, struct pat_model **model, double *threshold,
                             struct pat_err *err) {
    *model = NULL;
    if (m == PAT_CV_FEATURES)
        return pat_fail(err, PAT_ERR_USAGE, "features makes no PAT model");
    struct pat_cv_config one = *cfg;
    for (int i = 0; i < PAT_CV_METHODS; i++) one.methods[i] = i == (int)m;
    unsigned char *in_test = pat_calloc(c->P, 1);
    float *score = pat_calloc(c->P, sizeof *score);
    struct pat_cv_shared sh;
    struct pat_cv_fold f;
    enum pat_status st = in_test && score ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) st = pat_cv_shared_make(&sh, c, &one, err);
    const int have_sh = st == PAT_OK;
    if (st == PAT_OK) st = pat_cv_fold_begin(&f, &sh, in_test, mix(cfg->seed, 7777), err);
    const int have_f = st == PAT_OK;
    struct pat_cv_fit fit = {score, 0, 0, 0, NULL};
    if (st == PAT_OK) st = pat_cv_fold_fit(&f, m, 1, &fit, err);
    if (st == PAT_OK) *model = fit.model, *threshold = fit.threshold;
    if (have_f) pat_cv_fold_end(&f);
    if (have_sh) pat_cv_shared_free(&sh);
    free(in_test), free(score);
    return st;
}
