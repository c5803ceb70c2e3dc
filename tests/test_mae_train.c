/* test_mae_train.c - the pretraining loop: the loss decreases on synthetic
 * data, the kept weights are the best epoch's, a resumed run ends
 * bit-identical, the thread count changes nothing, Keras' validation split. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/mae.h"
#include "train/pretrain.h"
#include "rng.h"

/* Sequences with structure to learn: a daily-like rhythm of random phase
 * and amplitude, a few activity bouts, and noise. */
struct synth {
    float *x;
    const float **rows;
    size_t n, T;
};

static void synth_make(struct synth *s, size_t n, size_t T, uint64_t seed) {
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    s->n = n, s->T = T;
    s->x = malloc(n * T * sizeof *s->x);
    s->rows = malloc(n * sizeof *s->rows);
    for (size_t i = 0; i < n; i++) {
        const double phase = 6.283185307179586 * pat_rng_uniform(&rng);
        const double amp = 0.6 + 0.6 * pat_rng_uniform(&rng);
        for (size_t t = 0; t < T; t++) {
            double v = amp * sin(6.283185307179586 * (double)t / 96.0 + phase);
            s->x[i * T + t] = (float)(v + 0.15 * pat_rng_normal(&rng));
        }
        for (int b = 0; b < 3; b++) { /* bouts */
            size_t at = (size_t)(pat_rng_uniform(&rng) * (float)(T - 12));
            for (size_t t = at; t < at + 12; t++) s->x[i * T + t] += 0.8f;
        }
        s->rows[i] = s->x + i * T;
    }
}

static void synth_free(struct synth *s) { free(s->x), free(s->rows); }

static struct pat_pretrain_data as_data(const struct synth *s) {
    return (struct pat_pretrain_data){s->rows, s->n, s->T, NULL, NULL};
}

static const struct pat_config small_cfg = {8, 16, 2, 8, 32, 1, PAT_EMBED_DENSE};

struct run {
    struct synth tr, va;
    struct pat_pretrain_params p;
};

static void run_init(struct run *r, size_t ntrain) {
    synth_make(&r->tr, ntrain, 192, 11), synth_make(&r->va, 16, 192, 12);
    pat_pretrain_default_params(&small_cfg, &r->p);
    r->p.epochs = 4, r->p.batch_size = 8, r->p.lr = 3e-3, r->p.mask_ratio = 0.75f;
    r->p.patience = 0;
}

static void run_free(struct run *r) { synth_free(&r->tr), synth_free(&r->va); }

static enum pat_status train(struct run *r, struct pat_mae *a, const char *resume,
                             struct pat_pretrain_result *res, struct pat_err *err) {
    struct pat_pretrain_data tr = as_data(&r->tr), va = as_data(&r->va);
    struct pat_pretrain_result local = {0};
    if (!res) res = &local;
    enum pat_status st = resume ? pat_pretrain_resume(a, resume, &r->p, &tr, &va, res, err)
                                : pat_pretrain(a, &r->p, &tr, &va, res, err);
    pat_pretrain_result_free(&local);
    return st;
}

static struct pat_mae *fresh(uint64_t seed) {
    struct pat_mae *a = NULL;
    pat_mae_init_random(&small_cfg, seed, &a, NULL);
    return a;
}

/* Validation loss falls well below its starting value in both unshuffle
 * modes; the kept weights reproduce the best epoch's validation loss. */
static void check_learns(struct check_ctx *c, enum pat_unshuffle un, enum pat_mae_loss loss) {
    struct run r;
    run_init(&r, 96);
    r.p.epochs = 8, r.p.unshuffle = un, r.p.loss = loss;
    struct pat_mae *a = fresh(2);
    struct pat_pretrain_data va = as_data(&r.va);
    struct pat_pretrain_result res = {0};
    struct pat_err err = {0};
    double before = 0, after = 0;
    CHECK_STATUS(c, pat_pretrain_evaluate(a, &r.p, &va, &before, &err), PAT_OK);
    if (!CHECK_STATUS(c, train(&r, a, NULL, &res, &err), PAT_OK)) check_fail(c, "%s", err.msg);
    CHECK_STATUS(c, pat_pretrain_evaluate(a, &r.p, &va, &after, &err), PAT_OK);
    printf("  %s, loss over %s minutes: validation loss %.4f before, %.4f after %zu epochs "
           "(best epoch %zu; train loss %.4f -> %.4f)\n",
           un == PAT_UNSHUFFLE_FAITHFUL ? "faithful" : "corrected",
           loss == PAT_MAE_LOSS_ALL ? "all" : "masked", before, after, res.num_epochs,
           res.best_epoch, res.num_epochs ? res.history[0].train_loss : NAN,
           res.num_epochs ? res.history[res.num_epochs - 1].train_loss : NAN);
    CHECK(c, res.num_epochs == 8 && after < 0.8 * before);
    CHECK(c, after == res.best_val_loss); /* the best epoch's weights are the ones kept */
    CHECK(c, res.best_epoch >= 1 && res.history[res.best_epoch - 1].val_loss == after);
    pat_pretrain_result_free(&res);
    pat_mae_free(a);
    run_free(&r);
}

static void test_learns_corrected_all(struct check_ctx *c) {
    check_learns(c, PAT_UNSHUFFLE_CORRECTED, PAT_MAE_LOSS_ALL);
}
static void test_learns_faithful_all(struct check_ctx *c) {
    check_learns(c, PAT_UNSHUFFLE_FAITHFUL, PAT_MAE_LOSS_ALL);
}
static void test_learns_corrected_masked(struct check_ctx *c) {
    check_learns(c, PAT_UNSHUFFLE_CORRECTED, PAT_MAE_LOSS_MASKED);
}

/* Copy the checkpoint after an epoch, as if the run were killed there. */
struct copy_at {
    const char *from, *to;
    size_t epoch;
};

static void copy_checkpoint(const struct pat_pretrain_log *e, void *user) {
    const struct copy_at *ca = user;
    if (e->epoch != ca->epoch) return;
    size_t len;
    unsigned char *b = check_read_file(ca->from, &len);
    if (b) check_write_file(ca->to, b, len);
    free(b);
}

/* Resumed from epoch 6 of 10 = uninterrupted, with everything random on:
 * shuffling, dropout, one permutation per 3 sequences; the learning rate
 * is halved on plateaus (after epochs 6 and 9) and the best epoch (8) is
 * restored at the end. */
static void test_resume_is_bit_identical(struct check_ctx *c) {
    struct run r;
    run_init(&r, 12);
    r.p.epochs = 10, r.p.mask_group = 3, r.p.plateau_patience = 1, r.p.plateau_factor = 0.5;
    r.p.lr = 5e-2, r.p.batch_size = 5;
    r.p.plateau_min_lr = 1e-5, r.p.patience = 3, r.p.unshuffle = PAT_UNSHUFFLE_FAITHFUL;
    char ck[512], mid[512];
    snprintf(ck, sizeof ck, "%s/mae_ck.safetensors", check_tmp_dir());
    snprintf(mid, sizeof mid, "%s/mae_mid.safetensors", check_tmp_dir());
    struct copy_at ca = {ck, mid, 6}; /* after a plateau reduction, best = epoch 5 */
    r.p.checkpoint_path = ck, r.p.on_epoch = copy_checkpoint, r.p.user = &ca;
    struct pat_mae *full = fresh(5), *resumed = fresh(5);
    struct pat_pretrain_result a = {0}, b = {0};
    struct pat_err err = {0};
    CHECK_STATUS(c, train(&r, full, NULL, &a, &err), PAT_OK);
    r.p.on_epoch = NULL;
    if (!CHECK_STATUS(c, train(&r, resumed, mid, &b, &err), PAT_OK)) check_fail(c, "resume: %s", err.msg);
    CHECK(c, memcmp(full->params, resumed->params, full->num_params * sizeof(float)) == 0);
    CHECK(c, b.resumed_from_epoch == 6 && a.num_epochs == b.num_epochs && a.best_epoch == b.best_epoch);
    for (size_t i = 0; i < a.num_epochs; i++) printf("  epoch %zu: val loss %.4f, lr %.1e%s\n", i + 1, a.history[i].val_loss, a.history[i].lr, a.history[i].improved ? " *" : "");
    for (size_t i = 0; i < a.num_epochs && i < b.num_epochs; i++)
        CHECK(c, a.history[i].val_loss == b.history[i].val_loss && a.history[i].lr == b.history[i].lr);
    /* other options: refused with both fingerprints shown */
    const uint64_t seed = r.p.seed;
    r.p.seed = 99;
    CHECK_STATUS(c, train(&r, resumed, mid, NULL, &err), PAT_ERR_USAGE);
    CHECK(c, strstr(err.msg, "other options or data") != NULL);
    /* other data of the same shape (one minute changed): refused too (issue 12) */
    r.p.seed = seed;
    r.tr.x[5] += 1.0f;
    CHECK_STATUS(c, train(&r, resumed, mid, NULL, &err), PAT_ERR_USAGE);
    CHECK(c, strstr(err.msg, "other options or data") != NULL);
    pat_pretrain_result_free(&a), pat_pretrain_result_free(&b);
    pat_mae_free(full), pat_mae_free(resumed);
    run_free(&r);
}

/* Lanes: the trained weights are the same bits for 1, 2, 3 and 4 threads,
 * with one permutation per sequence or per batch, dropout on, and a last
 * batch smaller than the others (24 rows, batch 7: 7, 7, 7, 3). */
static void test_thread_independent(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    for (size_t group = 0; group < 2; group++) {
        struct run r;
        run_init(&r, 24);
        r.p.epochs = 2, r.p.mask_group = group, r.p.batch_size = 7, r.p.dropout = 0.1f;
        struct pat_mae *m[4];
        for (size_t i = 0; i < 4; i++) {
            m[i] = fresh(6);
            pat_set_threads(i + 1);
            CHECK_STATUS(c, train(&r, m[i], NULL, NULL, NULL), PAT_OK);
        }
        pat_set_threads(1);
        for (size_t i = 1; i < 4; i++)
            CHECK(c, memcmp(m[0]->params, m[i]->params, m[0]->num_params * sizeof(float)) == 0);
        for (size_t i = 0; i < 4; i++) pat_mae_free(m[i]);
        run_free(&r);
    }
#endif
}

/* pat_pretrain_evaluate gives the same loss for any thread count. */
static void test_evaluate_thread_independent(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    struct run r;
    run_init(&r, 24);
    struct pat_mae *m = fresh(6);
    const struct pat_pretrain_data d = as_data(&r.tr);
    double loss[3];
    for (size_t i = 0; i < 3; i++) {
        pat_set_threads(i + 1);
        CHECK_STATUS(c, pat_pretrain_evaluate(m, &r.p, &d, &loss[i], NULL), PAT_OK);
    }
    pat_set_threads(1);
    CHECK(c, loss[0] == loss[1] && loss[0] == loss[2]);
    pat_mae_free(m);
    run_free(&r);
#endif
}

/* Keras validation_split keeps the last n - floor(n (1 - f)) rows. */
static void test_val_rows(struct check_ctx *c) {
    CHECK(c, pat_pretrain_val_rows(100, 0.1) == 10);
    CHECK(c, pat_pretrain_val_rows(21538, 0.1) == 2154); /* floor(19384.2) = 19384 */
    CHECK(c, pat_pretrain_val_rows(9, 0.1) == 1);
    CHECK(c, pat_pretrain_val_rows(10, 0.0) == 0);
    struct pat_pretrain_params p;
    struct pat_config l;
    pat_config_preset("L", &l, NULL);
    pat_pretrain_default_params(&l, &p);
    CHECK(c, p.lr == 1e-4 && p.patience == 500 && p.plateau_patience == 100 &&
                 p.plateau_min_lr == 1e-5 && p.batch_size == 128 && p.mask_ratio == 0.90f);
}

static void test_refusals(struct check_ctx *c) {
    struct run r;
    run_init(&r, 8);
    struct pat_mae *a = fresh(7);
    struct pat_err err = {0};
    r.p.mask_ratio = 1.0f;
    CHECK_STATUS(c, train(&r, a, NULL, NULL, &err), PAT_ERR_USAGE);
    r.p.mask_ratio = 0.5f, r.va.n = 0;
    CHECK_STATUS(c, train(&r, a, NULL, NULL, &err), PAT_ERR_USAGE);
    r.va.n = 16, r.tr.x[5] = NAN;
    CHECK_STATUS(c, train(&r, a, NULL, NULL, &err), PAT_ERR_NUMERIC);
    pat_mae_free(a);
    run_free(&r);
}

int main(void) {
    int failures = 0;
#ifndef PAT_NO_THREADS
    pat_set_threads((size_t)(1));
#endif
    RUN(test_val_rows);
    RUN(test_learns_corrected_all);
    RUN(test_learns_faithful_all);
    RUN(test_learns_corrected_masked);
    RUN(test_resume_is_bit_identical);
    RUN(test_thread_independent);
    RUN(test_evaluate_thread_independent);
    RUN(test_refusals);
    return failures ? 1 : 0;
}
