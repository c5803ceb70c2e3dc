/* test_optim.c - optimizers, clipping, schedules and early stopping against
 * the fixtures of tools/reference/make_train_fixtures.py (tests/fixtures/
 * train/, README there) and against hand-made sequences (Keras semantics). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/safetensors.h"
#include "nn/model.h"
#include "train/optim.h"
#include "rng.h"

/* Optimizer trajectories: |got - want| <= OPT_ATOL + OPT_RTOL |want|. The
 * reference runs in float64; C stores float after every step. */
#define OPT_ATOL 1e-7
#define OPT_RTOL 1e-6

/* ---- fixture helpers ---------------------------------------------------- */

static int load_fixture(struct check_ctx *c, const char *name, struct pat_st_file *f) {
    char path[512];
    struct pat_err err = {0};
    snprintf(path, sizeof path, "%s/train/%s", check_fixture_dir(), name);
    if (pat_st_read(path, f, &err) != PAT_OK) {
        check_fail(c, "cannot read fixture (run make test): %s", err.msg);
        return 0;
    }
    return 1;
}

static const struct pat_st_tensor *find_tensor(const struct pat_st_file *f, const char *name,
                                               size_t *index) {
    for (size_t i = 0; i < f->num_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) {
            if (index) *index = i;
            return &f->tensors[i];
        }
    return NULL;
}

/* Tensor `name` as malloc'd floats (numel in *n); fails the case if absent. */
static float *get_tensor(struct check_ctx *c, const struct pat_st_file *f, const char *name,
                         size_t *n) {
    size_t i;
    const struct pat_st_tensor *t = find_tensor(f, name, &i);
    if (!t) {
        check_fail(c, "fixture lacks tensor %s", name);
        return NULL;
    }
    float *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
    if (x) pat_st_tensor_copy(f, i, x);
    if (n) *n = t->numel;
    return x;
}

static const char *meta_get(const struct pat_st_file *f, const char *key) {
    for (size_t i = 0; i < f->num_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

/* Numeric metadata value; NaN (and a failed case) when absent. */
static double meta_num(struct check_ctx *c, const struct pat_st_file *f, const char *key) {
    const char *v = meta_get(f, key);
    if (!v) {
        check_fail(c, "fixture lacks metadata %s", key);
        return NAN;
    }
    return strtod(v, NULL);
}

/* The two parameter groups described by an optimizer fixture. */
static void fixture_groups(struct check_ctx *c, const struct pat_st_file *f,
                           struct pat_param_group g[2]) {
    for (int i = 0; i < 2; i++) {
        char key[64];
        snprintf(key, sizeof key, "group.%d.begin", i);
        g[i].begin = (size_t)meta_num(c, f, key);
        snprintf(key, sizeof key, "group.%d.end", i);
        g[i].end = (size_t)meta_num(c, f, key);
        snprintf(key, sizeof key, "group.%d.lr", i);
        g[i].lr = (float)meta_num(c, f, key);
        snprintf(key, sizeof key, "group.%d.weight_decay", i);
        g[i].weight_decay = (float)meta_num(c, f, key);
        g[i].frozen = 0;
    }
}

/* Worst error of one step, in units of the tolerance (<= 1 passes). */
static double traj_error(const float *got, const float *want, size_t n, double *abs_err) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        *abs_err = fmax(*abs_err, d);
        worst = fmax(worst, d / (OPT_ATOL + OPT_RTOL * fabs(want[i])));
        if (isnan(got[i])) worst = INFINITY;
    }
    return worst;
}

/* Run `kind` from the fixture's initial params through its gradients;
 * returns the worst error in tolerance units over all steps (-1: setup). */
static double run_optim_fixture(struct check_ctx *c, const char *file, enum pat_optim_kind kind,
                                double *abs_err) {
    struct pat_st_file f;
    if (!load_fixture(c, file, &f)) return -1;
    const struct pat_st_tensor *tp = find_tensor(&f, "params", NULL);
    const struct pat_st_tensor *tg = find_tensor(&f, "grads", NULL);
    double worst = -1;
    if (!tp || !tg || tp->ndim != 2 || tg->ndim != 2 || tp->shape[0] != tg->shape[0] + 1 ||
        tp->shape[1] != tg->shape[1]) {
        check_fail(c, "%s: expected params (S+1, N) and grads (S, N)", file);
        pat_st_free(&f);
        return -1;
    }
    const size_t S = tg->shape[0], N = tg->shape[1];
    float *params = get_tensor(c, &f, "params", NULL), *grads = get_tensor(c, &f, "grads", NULL);
    struct pat_param_group g[2];
    fixture_groups(c, &f, g);
    struct pat_optim o;
    *abs_err = 0;
    if (params && grads && pat_optim_init(&o, kind, N, NULL) == PAT_OK) {
        float *p = malloc(N * sizeof *p);
        memcpy(p, params, N * sizeof *p);
        worst = 0;
        for (size_t s = 0; s < S; s++) {
            struct pat_err err = {0};
            if (pat_optim_step(&o, p, grads + s * N, g, 2, &err) != PAT_OK)
                check_fail(c, "%s: %s", file, err.msg);
            worst = fmax(worst, traj_error(p, params + (s + 1) * N, N, abs_err));
        }
        free(p);
        pat_optim_free(&o);
    }
    free(params), free(grads);
    pat_st_free(&f);
    return worst;
}

static void check_optim_fixture(struct check_ctx *c, const char *file, enum pat_optim_kind kind) {
    double abs_err;
    double worst = run_optim_fixture(c, file, kind, &abs_err);
    if (worst < 0) return;
    printf("  %-14s max|err| %.2e = %.3f x tolerance (%.0e + %.0e|want|)\n", file, abs_err,
           worst, OPT_ATOL, OPT_RTOL);
    if (!(worst <= 1.0))
        check_fail(c, "%s: max |err| %.3g is %.3g x the tolerance %.0e + %.0e|want|", file,
                   abs_err, worst, OPT_ATOL, OPT_RTOL);
}

/* ---- optimizers against the reference --------------------------------- */

static void test_adam_keras_fixture(struct check_ctx *c) {
    check_optim_fixture(c, "adam_keras.safetensors", PAT_OPTIM_ADAM_KERAS);
}

static void test_adam_torch_fixture(struct check_ctx *c) {
    check_optim_fixture(c, "adam_torch.safetensors", PAT_OPTIM_ADAM_TORCH);
}

static void test_adam_torch_l2_fixture(struct check_ctx *c) {
    check_optim_fixture(c, "adam_torch_l2.safetensors", PAT_OPTIM_ADAM_TORCH);
}

static void test_adamw_fixture(struct check_ctx *c) {
    check_optim_fixture(c, "adamw.safetensors", PAT_OPTIM_ADAMW);
}

/* The fixtures tell the forms apart: epsilon placement (Keras vs torch) and
 * L2 vs decoupled decay each miss the others' fixture by far. */
static void test_wrong_form_misses_fixture(struct check_ctx *c) {
    static const struct {
        const char *file;
        enum pat_optim_kind kind;
    } wrong[] = {
        {"adam_keras.safetensors", PAT_OPTIM_ADAM_TORCH},
        {"adam_keras.safetensors", PAT_OPTIM_ADAMW},
        {"adam_torch.safetensors", PAT_OPTIM_ADAM_KERAS},
        {"adam_torch_l2.safetensors", PAT_OPTIM_ADAMW},
        {"adam_torch_l2.safetensors", PAT_OPTIM_ADAM_KERAS},
        {"adamw.safetensors", PAT_OPTIM_ADAM_TORCH},
        {"adamw.safetensors", PAT_OPTIM_ADAM_KERAS},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        double abs_err, worst = run_optim_fixture(c, wrong[i].file, wrong[i].kind, &abs_err);
        if (worst < 0) return;
        if (!(worst > 10.0))
            check_fail(c, "kind %d on %s is within %.3g x tolerance: fixture does not "
                       "discriminate", (int)wrong[i].kind, wrong[i].file, worst);
    }
}

/* ---- groups, validation, state ----------------------------------------- */

static void fill_normal(float *x, size_t n, uint64_t seed, float scale) {
    struct pat_rng r;
    pat_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = scale * pat_rng_normal(&r);
}

/* Frozen groups and elements outside every group keep params, m and v
 * bit-identical; the other groups update as if the frozen one were absent. */
static void test_frozen_group_untouched(struct check_ctx *c) {
    enum { N = 40 };
    const struct pat_param_group with[3] = {
        {0, 10, 1e-3f, 0.01f, 0}, {10, 25, 1e-3f, 0.01f, 1}, {25, 35, 2e-3f, 0.05f, 0}};
    const struct pat_param_group without[2] = {with[0], with[2]};
    for (int kind = PAT_OPTIM_ADAM_KERAS; kind <= PAT_OPTIM_ADAMW; kind++) {
        float p0[N], a[N], b[N], g[N];
        fill_normal(p0, N, 11, 1.0f);
        memcpy(a, p0, sizeof a), memcpy(b, p0, sizeof b);
        struct pat_optim oa, ob;
        pat_optim_init(&oa, (enum pat_optim_kind)kind, N, NULL);
        pat_optim_init(&ob, (enum pat_optim_kind)kind, N, NULL);
        for (uint64_t s = 0; s < 3; s++) {
            fill_normal(g, N, 100 + s, 0.5f);
            CHECK_STATUS(c, pat_optim_step(&oa, a, g, with, 3, NULL), PAT_OK);
            CHECK_STATUS(c, pat_optim_step(&ob, b, g, without, 2, NULL), PAT_OK);
        }
        static const float zero[N];
        CHECK(c, memcmp(a + 10, p0 + 10, 15 * sizeof(float)) == 0);  /* frozen */
        CHECK(c, memcmp(a + 35, p0 + 35, 5 * sizeof(float)) == 0);   /* outside */
        CHECK(c, memcmp(oa.m + 10, zero, 15 * sizeof(float)) == 0);
        CHECK(c, memcmp(oa.v + 10, zero, 15 * sizeof(float)) == 0);
        CHECK(c, memcmp(oa.m + 35, zero, 5 * sizeof(float)) == 0);
        CHECK(c, memcmp(a, b, sizeof a) == 0);
        CHECK(c, memcmp(oa.m, ob.m, N * sizeof(float)) == 0);
        CHECK(c, a[0] != p0[0] && a[30] != p0[30]);
        CHECK(c, oa.step == 3);
        pat_optim_free(&oa), pat_optim_free(&ob);
    }
}

/* Bad groups are refused and leave params and state unchanged. */
static void test_group_validation(struct check_ctx *c) {
    enum { N = 8 };
    float p[N] = {1, 2, 3, 4, 5, 6, 7, 8}, g[N] = {1, 1, 1, 1, 1, 1, 1, 1}, p0[N];
    memcpy(p0, p, sizeof p);
    struct pat_optim o;
    CHECK_STATUS(c, pat_optim_init(&o, PAT_OPTIM_ADAMW, N, NULL), PAT_OK);
    const struct pat_param_group overlap[2] = {{0, 5, 1e-3f, 0, 0}, {4, 8, 1e-3f, 0, 0}};
    const struct pat_param_group beyond = {2, 9, 1e-3f, 0, 0};
    const struct pat_param_group inverted = {5, 2, 1e-3f, 0, 0};
    const struct pat_param_group neg_lr = {0, 8, -1e-3f, 0, 0};
    const struct pat_param_group nan_wd = {0, 8, 1e-3f, NAN, 0};
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_optim_step(&o, p, g, overlap, 2, &err), PAT_ERR_USAGE);
    CHECK(c, strstr(err.msg, "overlap") != NULL);
    CHECK_STATUS(c, pat_optim_step(&o, p, g, &beyond, 1, NULL), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_optim_step(&o, p, g, &inverted, 1, NULL), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_optim_step(&o, p, g, &neg_lr, 1, NULL), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_optim_step(&o, p, g, &nan_wd, 1, NULL), PAT_ERR_USAGE);
    CHECK(c, memcmp(p, p0, sizeof p) == 0 && o.step == 0 && o.m[0] == 0.0f);
    const struct pat_param_group empty = {3, 3, 1e-3f, 0, 0}; /* allowed, a no-op */
    CHECK_STATUS(c, pat_optim_step(&o, p, g, &empty, 1, NULL), PAT_OK);
    CHECK(c, memcmp(p, p0, sizeof p) == 0 && o.step == 1);
    float m[N + 1] = {0};
    CHECK_STATUS(c, pat_optim_restore(&o, m, m, N + 1, 0, NULL), PAT_ERR_USAGE);
    pat_optim_free(&o);
    pat_optim_free(&o); /* safe twice */
    CHECK(c, pat_optim_default_eps(PAT_OPTIM_ADAM_KERAS) == 1e-7);
    CHECK(c, pat_optim_default_eps(PAT_OPTIM_ADAMW) == 1e-8);
    CHECK(c, pat_optim_default_weight_decay(PAT_OPTIM_ADAMW) == 1e-2f);
}

/* Write params, m, v and step to a safetensors file, as a checkpoint would. */
static int save_state(const char *path, const struct pat_optim *o, const float *p) {
    const size_t shape[1] = {o->n};
    const struct pat_st_out t[3] = {
        {"params", 1, shape, p}, {"optim/m", 1, shape, o->m}, {"optim/v", 1, shape, o->v}};
    char step[32];
    snprintf(step, sizeof step, "%" PRIu64, o->step);
    const struct pat_st_meta meta[1] = {{"optim.step", step}};
    return pat_st_write(path, t, 3, meta, 1, NULL) == PAT_OK;
}

/* Restore from the file into a fresh state; params into p. */
static int load_state(struct check_ctx *c, const char *path, struct pat_optim *o, float *p) {
    struct pat_st_file f;
    struct pat_err err = {0};
    if (pat_st_read(path, &f, &err) != PAT_OK) return 0;
    float *m = get_tensor(c, &f, "optim/m", NULL), *v = get_tensor(c, &f, "optim/v", NULL);
    float *q = get_tensor(c, &f, "params", NULL);
    const char *step = meta_get(&f, "optim.step");
    int ok = m && v && q && step &&
             pat_optim_restore(o, m, v, o->n, strtoull(step, NULL, 10), NULL) == PAT_OK;
    if (ok) memcpy(p, q, o->n * sizeof *p);
    free(m), free(v), free(q);
    pat_st_free(&f);
    return ok;
}

/* Save after 3 steps, restore into a new state: 4 more steps on both give
 * bit-identical params and moments. */
static void test_save_restore_continues(struct check_ctx *c) {
    enum { N = 1000 };
    for (int kind = PAT_OPTIM_ADAM_KERAS; kind <= PAT_OPTIM_ADAMW; kind++) {
        float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *g = malloc(N * sizeof *g);
        fill_normal(a, N, 21, 1.0f);
        const struct pat_param_group grp[2] = {{0, 600, 1e-3f, 0.01f, 0},
                                               {600, N, 3e-4f, 0.0f, 0}};
        struct pat_optim oa, ob;
        pat_optim_init(&oa, (enum pat_optim_kind)kind, N, NULL);
        pat_optim_init(&ob, (enum pat_optim_kind)kind, N, NULL);
        for (uint64_t s = 0; s < 7; s++) {
            if (s == 3) {
                char path[600];
                snprintf(path, sizeof path, "%s/optim_state.safetensors", check_tmp_dir());
                CHECK(c, save_state(path, &oa, a));
                CHECK(c, load_state(c, path, &ob, b));
            }
            fill_normal(g, N, 200 + s, 0.1f);
            pat_optim_step(&oa, a, g, grp, 2, NULL);
            if (s >= 3) pat_optim_step(&ob, b, g, grp, 2, NULL);
        }
        CHECK(c, oa.step == 7 && ob.step == 7);
        CHECK(c, memcmp(a, b, N * sizeof *a) == 0);
        CHECK(c, memcmp(oa.m, ob.m, N * sizeof *a) == 0 && memcmp(oa.v, ob.v, N * sizeof *a) == 0);
        pat_optim_free(&oa), pat_optim_free(&ob);
        free(a), free(b), free(g);
    }
}

/* Results do not depend on the thread count (each element is independent). */
static void test_thread_count_independent(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    enum { N = 100003 };
    float *p[2], *g = malloc(N * sizeof *g), *m[2];
    for (int r = 0; r < 2; r++) {
        pat_set_threads((size_t)(r == 0 ? 1 : 4));
        p[r] = malloc(N * sizeof(float));
        m[r] = malloc(N * sizeof(float));
        fill_normal(p[r], N, 31, 1.0f);
        struct pat_optim o;
        pat_optim_init(&o, PAT_OPTIM_ADAMW, N, NULL);
        const struct pat_param_group grp = {0, N, 1e-3f, 0.01f, 0};
        for (uint64_t s = 0; s < 3; s++) {
            fill_normal(g, N, 300 + s, 1.0f);
            pat_clip_grad_norm(g, N, 1.0);
            pat_optim_step(&o, p[r], g, &grp, 1, NULL);
        }
        memcpy(m[r], o.v, N * sizeof(float));
        pat_optim_free(&o);
    }
    pat_set_threads((size_t)(2));
    CHECK(c, memcmp(p[0], p[1], N * sizeof(float)) == 0);
    CHECK(c, memcmp(m[0], m[1], N * sizeof(float)) == 0);
    free(p[0]), free(p[1]), free(m[0]), free(m[1]), free(g);
#endif
}

/* ---- clipping and cosine schedule -------------------------------------- */

static void test_grad_norm_hand(struct check_ctx *c) {
    float g[4] = {3, 0, -4, 0};
    CHECK(c, pat_grad_norm(g, 4) == 5.0);
    CHECK(c, pat_grad_norm(g, 0) == 0.0);
    CHECK(c, pat_clip_grad_norm(g, 4, 10.0) == 5.0 && g[0] == 3.0f); /* below: unchanged */
    CHECK(c, pat_clip_grad_norm(g, 4, 1.0) == 5.0);
    CHECK_CLOSE(c, g[0], 3.0 / (5.0 + 1e-6), 1e-7);
    CHECK_CLOSE(c, pat_grad_norm(g, 4), 1.0, 1e-6);
}

/* Against torch.nn.utils.clip_grad_norm_, including the edge where torch
 * scales a norm just below max_norm (coefficient max_norm/(norm+1e-6) < 1). */
static void test_clip_fixture(struct check_ctx *c) {
    struct pat_st_file f;
    if (!load_fixture(c, "clip.safetensors", &f)) return;
    size_t n_in, n_norm;
    float *in = get_tensor(c, &f, "in", &n_in), *out = get_tensor(c, &f, "out", NULL);
    float *norm = get_tensor(c, &f, "norm", &n_norm);
    double max_norm = meta_num(c, &f, "clip.max_norm"), worst_rel = 0, worst_norm = 0;
    if (in && out && norm && n_norm > 0) {
        const size_t N = n_in / n_norm;
        for (size_t r = 0; r < n_norm; r++) {
            float *g = in + r * N;
            double got = pat_clip_grad_norm(g, N, max_norm);
            worst_norm = fmax(worst_norm, fabs(got - norm[r]) / norm[r]);
            for (size_t i = 0; i < N; i++) {
                double d = fabs((double)g[i] - out[r * N + i]);
                worst_rel = fmax(worst_rel, d / fmax(fabs(out[r * N + i]), 1e-30));
            }
        }
        printf("  clip: max rel err of grads %.2e (tolerance 2^-22), of norms %.2e\n",
               worst_rel, worst_norm);
        if (!(worst_rel <= 0x1p-22))
            check_fail(c, "clipped gradients: max relative error %.3g > 2^-22", worst_rel);
        if (!(worst_norm <= 1e-6))
            check_fail(c, "norms: max relative error %.3g > 1e-6", worst_norm);
    }
    free(in), free(out), free(norm);
    pat_st_free(&f);
}

static void test_cosine_fixture(struct check_ctx *c) {
    struct pat_st_file f;
    if (!load_fixture(c, "cosine.safetensors", &f)) return;
    size_t n;
    float *lr = get_tensor(c, &f, "lr", &n);
    double base = meta_num(c, &f, "cosine.base"), eta_min = meta_num(c, &f, "cosine.eta_min");
    size_t t_max = (size_t)meta_num(c, &f, "cosine.t_max");
    double worst = 0;
    for (size_t e = 0; lr && e < n; e++) {
        double got = pat_lr_cosine(base, eta_min, e, t_max);
        worst = fmax(worst, fabs(got - lr[e]) / lr[e]);
    }
    printf("  cosine: %zu epochs, max rel err %.2e (tolerance 1e-6)\n", n, worst);
    if (!(worst <= 1e-6)) check_fail(c, "cosine lr: max relative error %.3g > 1e-6", worst);
    CHECK(c, n == 10);
    CHECK(c, pat_lr_cosine(3e-4, 1e-6, 0, 7) == 3e-4);
    CHECK_CLOSE(c, pat_lr_cosine(3e-4, 1e-6, 7, 7), 1e-6, 1e-18);
    CHECK(c, pat_lr_cosine(3e-4, 1e-6, 5, 0) == 3e-4);
    free(lr);
    pat_st_free(&f);
}

/* ---- ReduceLROnPlateau and EarlyStopping (Keras semantics) -------------- */

static void test_plateau_keras_semantics(struct check_ctx *c) {
    struct pat_plateau p;
    double lr = 1e-3;
    pat_plateau_init(&p, PAT_MONITOR_MIN, 0.5, 2, 1e-4);
    CHECK(c, p.min_delta == 1e-4 && p.cooldown == 0);
    /* 0.99995 is within min_delta of 1.0: not an improvement */
    static const double vals[] = {1.0, 0.99995, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95,
                                  0.95, 0.95, 0.95, 0.95, 0.95};
    static const int reduced[] = {0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0};
    static const double lrs[] = {1e-3, 1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4,
                                 1.25e-4, 1.25e-4, 1e-4, 1e-4, 1e-4};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int r = pat_plateau_update(&p, &lr, vals[i]);
        if (r != reduced[i] || fabs(lr - lrs[i]) > 1e-18)
            check_fail(c, "epoch %zu: reduced %d lr %g, expected %d %g", i, r, lr, reduced[i],
                       lrs[i]);
    }
    CHECK(c, p.best == 0.9 && p.wait == 2); /* at min_lr, wait keeps growing (Keras) */
    /* mode max, patience 1, cooldown 2: the two epochs after a reduction do
     * not count, so reductions come 2 epochs apart */
    pat_plateau_init(&p, PAT_MONITOR_MAX, 0.5, 1, 0.0);
    p.cooldown = 2;
    lr = 1.0;
    int r[6];
    r[0] = pat_plateau_update(&p, &lr, 0.5);
    r[1] = pat_plateau_update(&p, &lr, 0.50005); /* within min_delta */
    for (int i = 2; i < 6; i++) r[i] = pat_plateau_update(&p, &lr, 0.4);
    CHECK(c, r[0] == 0 && r[1] == 1 && r[2] == 0 && r[3] == 1 && r[4] == 0 && r[5] == 1);
    CHECK(c, lr == 0.125);
    CHECK(c, pat_plateau_update(&p, &lr, NAN) == 0 && p.best == 0.5);
    /* pat-spec baselines: min_lr 1e-4 above lr 1e-5 makes it a no-op */
    pat_plateau_init(&p, PAT_MONITOR_MIN, 0.5, 1, 1e-4);
    lr = 1e-5;
    for (int i = 0; i < 5; i++) CHECK(c, pat_plateau_update(&p, &lr, 1.0) == 0);
    CHECK(c, lr == 1e-5);
}

/* Feed values; check the returned flags epoch by epoch. */
static void feed_stopping(struct check_ctx *c, struct pat_early_stopping *es, const double *v,
                          const int *flags, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int got = pat_early_stopping_update(es, v[i]);
        if (got != flags[i])
            check_fail(c, "epoch %zu (value %g): flags %d, expected %d", i, v[i], got, flags[i]);
    }
}

static void test_early_stopping_keras_semantics(struct check_ctx *c) {
    enum { I = PAT_ES_IMPROVED, S = PAT_ES_STOP };
    struct pat_early_stopping es;
    /* max, patience 3, min_delta 0.125: strict, so 0.875 after 0.75 is a tie */
    pat_early_stopping_init(&es, PAT_MONITOR_MAX, 3, 0.125);
    const double v1[] = {0.5, 0.75, 0.875, 0.8125, 0.625};
    const int f1[] = {I, I, 0, 0, S};
    feed_stopping(c, &es, v1, f1, 5);
    CHECK(c, es.best == 0.75 && es.best_epoch == 1 && es.stopped && es.stopped_epoch == 4);
    /* min, min_delta 0: equal is not better; stop `patience` epochs after the best */
    pat_early_stopping_init(&es, PAT_MONITOR_MIN, 2, 0.0);
    const double v2[] = {1.0, 0.5, 0.5, 0.25, 0.3, 0.25};
    const int f2[] = {I, I, 0, I, 0, S};
    feed_stopping(c, &es, v2, f2, 6);
    CHECK(c, es.best_epoch == 3 && es.stopped_epoch == 5);
    /* patience 0: the first epoch never stops, later ones always (Keras) */
    pat_early_stopping_init(&es, PAT_MONITOR_MAX, 0, 0.0);
    const double v3[] = {0.1, 0.2};
    const int f3[] = {I, I | S};
    feed_stopping(c, &es, v3, f3, 2);
    /* NaN never improves; with no improvement best_epoch stays 0 (first epoch) */
    pat_early_stopping_init(&es, PAT_MONITOR_MAX, 2, 0.0);
    const double v4[] = {NAN, NAN, NAN};
    const int f4[] = {0, S, S};
    feed_stopping(c, &es, v4, f4, 3);
    CHECK(c, es.best_epoch == 0 && isinf(es.best) && es.stopped_epoch == 1);
    /* pat-spec §4.1 log: best epoch 4, "Epoch 254: early stopping" (1-based), patience 250 */
    pat_early_stopping_init(&es, PAT_MONITOR_MAX, 250, 0.0);
    size_t stop_at = 0;
    for (size_t e = 0; e < 400 && !stop_at; e++) {
        double auc = e <= 3 ? 0.5 + 0.01 * (double)e : 0.52;
        if (pat_early_stopping_update(&es, auc) & PAT_ES_STOP) stop_at = e;
    }
    CHECK(c, es.best_epoch + 1 == 4 && stop_at + 1 == 254);
}

/* ---- whole-model gradient fixtures: format (consumed by the model tests) - */

/* Loss of the fixture recomputed from its logits and labels, in double. */
static double fixture_loss(const struct pat_st_file *f, const float *z, const float *y,
                           size_t B, int *known) {
    const char *kind = meta_get(f, "loss.kind");
    double pw = 0, w0 = 0, w1 = 0, s = 0;
    *known = 1;
    if (kind && strcmp(kind, "keras_class_weight") == 0) {
        w0 = strtod(meta_get(f, "loss.class_weight.0"), NULL);
        w1 = strtod(meta_get(f, "loss.class_weight.1"), NULL);
        for (size_t i = 0; i < B; i++) {
            double l = log1p(exp(-fabs(z[i]))) + fmax(z[i], 0.0) - (double)z[i] * y[i];
            s += (y[i] > 0.5 ? w1 : w0) * l;
        }
    } else if (kind && strcmp(kind, "pos_weight") == 0) {
        pw = strtod(meta_get(f, "loss.pos_weight"), NULL);
        for (size_t i = 0; i < B; i++) {
            double log_sig = -log1p(exp(-z[i])), log_1m = -log1p(exp(z[i]));
            s += -(pw * y[i] * log_sig + (1 - y[i]) * log_1m);
        }
    } else {
        *known = 0;
    }
    return s / (double)B;
}

/* Every model tensor of the tiny config is in the file, in model order,
 * with a same-shaped grad/ twin; inputs and outputs have their shapes. */
static void check_grad_file_tensors(struct check_ctx *c, const char *file,
                                    const struct pat_st_file *f, const struct pat_model *m) {
    for (size_t i = 0; i < m->num_tensors; i++) {
        const struct pat_tensor *t = &m->tensors[i];
        char gname[PAT_MAX_NAME + 8];
        snprintf(gname, sizeof gname, "grad/%s", t->name);
        const struct pat_st_tensor *w = find_tensor(f, t->name, NULL);
        const struct pat_st_tensor *g = find_tensor(f, gname, NULL);
        if (!w || !g || w->ndim != t->ndim || g->ndim != t->ndim ||
            memcmp(w->shape, t->shape, t->ndim * sizeof(size_t)) != 0 ||
            memcmp(g->shape, t->shape, t->ndim * sizeof(size_t)) != 0 ||
            strcmp(f->tensors[i].name, t->name) != 0) {
            check_fail(c, "%s: tensor %s or its gradient missing, misplaced or misshaped", file,
                       t->name);
            return;
        }
    }
    const struct pat_st_tensor *x = find_tensor(f, "input/x", NULL);
    const struct pat_st_tensor *y = find_tensor(f, "input/y", NULL);
    const struct pat_st_tensor *z = find_tensor(f, "logits", NULL);
    const struct pat_st_tensor *l = find_tensor(f, "loss", NULL);
    CHECK(c, x && x->ndim == 2 && x->shape[0] == 3 && x->shape[1] == 32);
    CHECK(c, y && y->numel == 3 && z && z->numel == 3 && l && l->numel == 1);
    CHECK(c, f->num_tensors == 2 * m->num_tensors + 4);
}

/* The fixture's weights, put into a C model in file order, give its logits
 * through the existing forward pass (pat_predict = sigmoid(logit)). */
static void check_grad_file_forward(struct check_ctx *c, const char *file,
                                    const struct pat_st_file *f, struct pat_model *m) {
    for (size_t i = 0; i < m->num_tensors; i++)
        pat_st_tensor_copy(f, i, m->params + m->tensors[i].offset);
    float *x = get_tensor(c, f, "input/x", NULL), *z = get_tensor(c, f, "logits", NULL);
    float prob[3];
    struct pat_err err = {0};
    if (x && z && pat_predict(m, x, 3, 32, prob, &err) == PAT_OK) {
        double worst = 0;
        for (size_t i = 0; i < 3; i++)
            worst = fmax(worst, fabs(prob[i] - 1.0 / (1.0 + exp(-(double)z[i]))));
        printf("  %-36s C forward vs reference probability: max|diff| %.2e\n", file, worst);
        if (!(worst <= 1e-5)) check_fail(c, "%s: C forward max |diff| %.3g > 1e-5", file, worst);
    } else if (x && z) {
        check_fail(c, "%s: pat_predict: %s", file, err.msg);
    }
    free(x), free(z);
}

static void check_grad_file(struct check_ctx *c, const char *file, enum pat_embedding emb) {
    struct pat_st_file f;
    if (!load_fixture(c, file, &f)) return;
    const struct pat_config cfg = {4, 8, 2, 4, 16, 2, emb};
    struct pat_model *m = NULL;
    CHECK_STATUS(c, pat_model_create(&cfg, 1, 0, &m, NULL), PAT_OK);
    static const char *keys[] = {"pat.patch_size", "pat.embed_dim", "pat.num_heads",
                                 "pat.key_dim", "pat.ff_dim", "pat.num_layers"};
    const size_t want[] = {4, 8, 2, 4, 16, 2};
    for (size_t k = 0; k < 6; k++) CHECK(c, (size_t)meta_num(c, &f, keys[k]) == want[k]);
    const char *e = meta_get(&f, "pat.embedding");
    CHECK(c, e && strcmp(e, emb == PAT_EMBED_CONV ? "conv" : "dense") == 0);
    if (m) check_grad_file_tensors(c, file, &f, m);
    if (m && !c->failed) check_grad_file_forward(c, file, &f, m);
    float *z = get_tensor(c, &f, "logits", NULL), *y = get_tensor(c, &f, "input/y", NULL);
    float *loss = get_tensor(c, &f, "loss", NULL);
    if (z && y && loss) {
        int known;
        double want_loss = fixture_loss(&f, z, y, 3, &known);
        CHECK(c, known);
        CHECK(c, y[0] == 1.0f && y[1] == 0.0f && y[2] == 1.0f);
        CHECK_CLOSE(c, loss[0], want_loss, 1e-6 * fabs(want_loss));
    }
    free(z), free(y), free(loss);
    pat_model_free(m);
    pat_st_free(&f);
}

static void test_grad_fixtures_format(struct check_ctx *c) {
    check_grad_file(c, "grad_dense_class_weight.safetensors", PAT_EMBED_DENSE);
    check_grad_file(c, "grad_dense_pos_weight.safetensors", PAT_EMBED_DENSE);
    check_grad_file(c, "grad_conv_class_weight.safetensors", PAT_EMBED_CONV);
    check_grad_file(c, "grad_conv_pos_weight.safetensors", PAT_EMBED_CONV);
}

int main(void) {
    int failures = 0;
    RUN(test_adam_keras_fixture);
    RUN(test_adam_torch_fixture);
    RUN(test_adam_torch_l2_fixture);
    RUN(test_adamw_fixture);
    RUN(test_wrong_form_misses_fixture);
    RUN(test_frozen_group_untouched);
    RUN(test_group_validation);
    RUN(test_save_restore_continues);
    RUN(test_thread_count_independent);
    RUN(test_grad_norm_hand);
    RUN(test_clip_fixture);
    RUN(test_cosine_fixture);
    RUN(test_plateau_keras_semantics);
    RUN(test_early_stopping_keras_semantics);
    RUN(test_grad_fixtures_format);
    return failures ? 1 : 0;
}
