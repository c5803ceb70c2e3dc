/* test_train.c - the training engine: whole-model gradients against the
 * PyTorch reference, learning on a planted signal, frozen encoders,
 * two-stage continuity, bit-identical resume and thread independence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/grad.h"
#include "io/safetensors.h"
#include "eval/metrics.h"
#include "nn/model.h"
#include "train/finetune.h"

/* ---- gradients against tests/fixtures/train/grad_*.safetensors ----------------- */

static size_t st_find(const struct pat_st_file *f, const char *name) {
    for (size_t i = 0; i < f->num_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return i;
    return (size_t)-1;
}

static float *st_get(const struct pat_st_file *f, const char *name) {
    size_t i = st_find(f, name);
    if (i == (size_t)-1) return NULL;
    float *v = malloc(f->tensors[i].numel * sizeof *v);
    if (v) pat_st_tensor_copy(f, i, v);
    return v;
}

static const char *st_meta(const struct pat_st_file *f, const char *key) {
    for (size_t i = 0; i < f->num_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

/* dL/dz of the fixture's loss for one sequence of a batch of B. */
static float fixture_dlogit(const struct pat_st_file *f, float z, float y, size_t B) {
    const double p = 1.0 / (1.0 + exp(-(double)z));
    if (strcmp(st_meta(f, "loss.kind"), "pos_weight") == 0) {
        const double pw = atof(st_meta(f, "loss.pos_weight"));
        return (float)((y * pw * (p - 1) + (1 - y) * p) / (double)B);
    }
    const double w = atof(st_meta(f, y == 1.0f ? "loss.class_weight.1" : "loss.class_weight.0"));
    return (float)(w * (p - y) / (double)B);
}

/* Every gradient within 1e-5 of its tensor's largest entry (plus 1e-7). */
static void check_grad_fixture(struct check_ctx *c, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/train/%s.safetensors", check_fixture_dir(), name);
    struct pat_st_file f;
    struct pat_err err = {0};
    if (pat_st_read(path, &f, &err) != PAT_OK) {
        check_fail(c, "%s", err.msg);
        return;
    }
    struct pat_config cfg = {4, 8, 2, 4, 16, 2,
                             strstr(name, "conv") ? PAT_EMBED_CONV : PAT_EMBED_DENSE};
    struct pat_model *m = NULL;
    struct pat_grad_ws *w = NULL;
    float *x = st_get(&f, "input/x"), *y = st_get(&f, "input/y"), *g = NULL;
    if (pat_model_create(&cfg, 1, 0, &m, NULL) != PAT_OK || !x || !y ||
        pat_grad_ws_init(&w, m, 32, NULL) != PAT_OK) {
        check_fail(c, "setup failed for %s", path);
        goto done;
    }
    for (size_t i = 0; i < m->num_tensors; i++) pat_st_tensor_copy(&f, i, m->params + m->tensors[i].offset);
    g = calloc(m->num_params, sizeof *g);
    struct pat_grad_opts o = {0, 1, 0.0f};
    for (size_t b = 0; b < 3; b++) {
        float z;
        pat_grad_forward(w, m, x + b * 32, &o, NULL, &z, NULL);
        pat_grad_backward(w, m, fixture_dlogit(&f, z, y[b], 3), &o, g, NULL);
    }
    double worst = 0;
    for (size_t t = 0; t < m->num_tensors; t++) {
        char gname[PAT_MAX_NAME + 8];
        snprintf(gname, sizeof gname, "grad/%s", m->tensors[t].name);
        float *want = st_get(&f, gname);
        if (!want) { check_fail(c, "%s lacks %s", path, gname); break; }
        double scale = 0, diff = 0;
        for (size_t i = 0; i < m->tensors[t].numel; i++) {
            scale = fmax(scale, fabs(want[i]));
            diff = fmax(diff, fabs(want[i] - g[m->tensors[t].offset + i]));
        }
        double rel = diff / (scale + 1e-2); /* zero-gradient tensors: absolute */
        worst = fmax(worst, rel);
        if (diff > 1e-5 * scale + 1e-7)
            check_fail(c, "%s: %s differs by %.3g (largest entry %.3g)", name, m->tensors[t].name,
                       diff, scale);
        free(want);
    }
    printf("  %s: worst gradient difference %.2e of the tensor's largest entry\n", name, worst);
done:
    free(x), free(y), free(g);
    pat_grad_ws_free(w);
    pat_model_free(m);
    pat_st_free(&f);
}

static void test_grad_dense_class_weight(struct check_ctx *c) { check_grad_fixture(c, "grad_dense_class_weight"); }
static void test_grad_dense_pos_weight(struct check_ctx *c) { check_grad_fixture(c, "grad_dense_pos_weight"); }
static void test_grad_conv_class_weight(struct check_ctx *c) { check_grad_fixture(c, "grad_conv_class_weight"); }
static void test_grad_conv_pos_weight(struct check_ctx *c) { check_grad_fixture(c, "grad_conv_pos_weight"); }

/* ---- synthetic data with a planted night-time signal ------------------------------ */

struct planted {
    float *x, *y;
    size_t n, T;
};

/* One-day sequences: sleep 23:00-07:00, activity by day; label 1 adds
 * bouts of night-time activity between 01:00 and 04:00. */
static void planted_make(struct planted *d, size_t n, size_t T, uint64_t seed) {
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    d->n = n, d->T = T;
    d->x = malloc(n * T * sizeof *d->x), d->y = malloc(n * sizeof *d->y);
    for (size_t i = 0; i < n; i++) {
        d->y[i] = (float)(i % 2);
        size_t onset = 60 + (size_t)(pat_rng_uniform(&rng) * 120.0f);
        for (size_t t = 0; t < T; t++) {
            size_t minute = t * 1440 / T;
            int awake = minute >= 420 && minute < 1380;
            float v = awake ? 0.8f + 0.5f * pat_rng_normal(&rng) : -1.0f + 0.3f * pat_rng_normal(&rng);
            if (d->y[i] == 1.0f && minute >= onset && minute < onset + 45) v += 1.0f;
            d->x[i * T + t] = v;
        }
    }
}

static void planted_free(struct planted *d) { free(d->x), free(d->y); }

static struct pat_train_data as_data(const struct planted *d) {
    return (struct pat_train_data){d->x, d->y, d->n, d->T};
}

/* From a random PAT-S, fine-tuning separates held-out data: AUC >= 0.90. */
static void test_learns_planted_signal(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("S", &cfg, NULL);
    struct pat_model *m = NULL;
    struct planted tr, va, te;
    planted_make(&tr, 96, 1440, 1), planted_make(&va, 32, 1440, 2), planted_make(&te, 64, 1440, 3);
    struct pat_train_params p;
    pat_train_default_params(&cfg, &p);
    p.epochs = 6, p.batch_size = 16, p.lr_head = p.lr_encoder = 1e-3, p.patience = 0;
    p.monitor = PAT_MONITOR_AUC;
    struct pat_train_data dtr = as_data(&tr), dva = as_data(&va), dte = as_data(&te);
    struct pat_train_result r = {0};
    float *prob = malloc(te.n * sizeof *prob);
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_model_init_random(&cfg, 1, 7, &m, NULL), PAT_OK);
    if (m && CHECK_STATUS(c, pat_train_predict(m, &dte, prob, &err), PAT_OK)) {
        double before = pat_roc_auc(prob, te.y, te.n);
        CHECK_STATUS(c, pat_finetune(m, &p, &dtr, &dva, &r, &err), PAT_OK);
        CHECK_STATUS(c, pat_train_predict(m, &dte, prob, &err), PAT_OK);
        double after = pat_roc_auc(prob, te.y, te.n);
        printf("  held-out ROC-AUC %.3f before, %.3f after %zu epochs\n", before, after, r.num_epochs);
        CHECK(c, after >= 0.90);
    }
    free(prob);
    pat_train_result_free(&r);
    planted_free(&tr), planted_free(&va), planted_free(&te);
    pat_model_free(m);
}

/* ---- engine properties on a tiny model ------------------------------------------- */

static struct pat_model *tiny(uint64_t seed) {
    struct pat_config cfg = {4, 8, 2, 4, 16, 2, PAT_EMBED_DENSE};
    struct pat_model *m = NULL;
    pat_model_init_random(&cfg, 1, seed, &m, NULL);
    return m;
}

struct tiny_run {
    struct planted tr, va;
    struct pat_train_params p;
};

static void tiny_run_init(struct tiny_run *t, enum pat_finetune_mode mode) {
    struct pat_config cfg = {4, 8, 2, 4, 16, 2, PAT_EMBED_DENSE};
    planted_make(&t->tr, 40, 64, 11), planted_make(&t->va, 16, 64, 12);
    pat_train_recipe(mode == PAT_FT_TWO_STAGE ? "two-stage" : "paper", &cfg, &t->p, NULL);
    t->p.mode = mode;
    t->p.epochs = 4, t->p.batch_size = 8, t->p.lr_head = t->p.lr_encoder = 3e-3;
    t->p.stage1_epochs = 3, t->p.stage1_lr_head = 3e-3, t->p.patience = 0;
    t->p.shuffle = 1, t->p.dropout = 0.1f;
}

static enum pat_status tiny_train(struct tiny_run *t, struct pat_model *m, const char *resume,
                                  struct pat_err *err) {
    struct pat_train_data tr = as_data(&t->tr), va = as_data(&t->va);
    struct pat_train_result r = {0};
    enum pat_status st = resume ? pat_finetune_resume(m, resume, &t->p, &tr, &va, &r, err)
                                : pat_finetune(m, &t->p, &tr, &va, &r, err);
    pat_train_result_free(&r);
    return st;
}

static void tiny_run_free(struct tiny_run *t) { planted_free(&t->tr), planted_free(&t->va); }

/* Probe: every encoder weight bit-identical, the head changed. */
static void test_probe_freezes_encoder(struct check_ctx *c) {
    struct tiny_run t;
    tiny_run_init(&t, PAT_FT_PROBE);
    struct pat_model *m = tiny(3), *before = tiny(3);
    CHECK_STATUS(c, tiny_train(&t, m, NULL, NULL), PAT_OK);
    size_t head = (size_t)(m->head_w1 - m->params);
    CHECK(c, memcmp(m->params, before->params, head * sizeof(float)) == 0);
    CHECK(c, memcmp(m->params + head, before->params + head,
                    (m->num_params - head) * sizeof(float)) != 0);
    pat_model_free(m), pat_model_free(before);
    tiny_run_free(&t);
}

/* Two-stage: stage 2 starts from stage 1's best weights. With stage-2
 * learning rates 0 the result must equal a probe run of stage 1 alone. */
static void test_two_stage_continues_from_stage1(struct check_ctx *c) {
    struct tiny_run two, probe;
    tiny_run_init(&two, PAT_FT_TWO_STAGE);
    two.p.lr_head = two.p.lr_encoder = 0.0;
    two.p.epochs = 2;
    tiny_run_init(&probe, PAT_FT_TWO_STAGE);
    probe.p = two.p;
    probe.p.mode = PAT_FT_PROBE;
    probe.p.epochs = two.p.stage1_epochs, probe.p.lr_head = two.p.stage1_lr_head;
    struct pat_model *a = tiny(4), *b = tiny(4);
    CHECK_STATUS(c, tiny_train(&two, a, NULL, NULL), PAT_OK);
    CHECK_STATUS(c, tiny_train(&probe, b, NULL, NULL), PAT_OK);
    CHECK(c, memcmp(a->params, b->params, a->num_params * sizeof(float)) == 0);
    pat_model_free(a), pat_model_free(b);
    tiny_run_free(&two), tiny_run_free(&probe);
}

/* Copy the checkpoint after epoch 2, as if the run were killed there. */
struct copy_at {
    const char *from, *to;
    size_t epoch;
};

static void copy_checkpoint(const struct pat_epoch_log *e, void *user) {
    const struct copy_at *ca = user;
    if (e->stage != 1 || e->epoch != ca->epoch) return;
    size_t len;
    unsigned char *b = check_read_file(ca->from, &len);
    if (b) check_write_file(ca->to, b, len);
    free(b);
}

static void test_resume_is_bit_identical(struct check_ctx *c) {
    const enum pat_finetune_mode modes[2] = {PAT_FT_FULL, PAT_FT_TWO_STAGE};
    for (int k = 0; k < 2; k++) {
        struct tiny_run t;
        tiny_run_init(&t, modes[k]);
        char ck[512], mid[512];
        snprintf(ck, sizeof ck, "%s/ck%d.safetensors", check_tmp_dir(), k);
        snprintf(mid, sizeof mid, "%s/mid%d.safetensors", check_tmp_dir(), k);
        struct copy_at ca = {ck, mid, 2};
        t.p.checkpoint_path = ck, t.p.on_epoch = copy_checkpoint, t.p.user = &ca;
        struct pat_model *full = tiny(5), *resumed = tiny(5);
        struct pat_err err = {0};
        CHECK_STATUS(c, tiny_train(&t, full, NULL, &err), PAT_OK);
        t.p.on_epoch = NULL;
        if (!CHECK_STATUS(c, tiny_train(&t, resumed, mid, &err), PAT_OK))
            check_fail(c, "resume: %s", err.msg);
        CHECK(c, memcmp(full->params, resumed->params, full->num_params * sizeof(float)) == 0);
        pat_model_free(full), pat_model_free(resumed);
        tiny_run_free(&t);
    }
}

static void test_training_thread_independent(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    struct tiny_run t;
    tiny_run_init(&t, PAT_FT_FULL);
    struct pat_model *m[2] = {tiny(6), tiny(6)};
    for (int i = 0; i < 2; i++) {
        pat_set_threads((size_t)(i + 1));
        CHECK_STATUS(c, tiny_train(&t, m[i], NULL, NULL), PAT_OK);
    }
    pat_set_threads((size_t)(1));
    CHECK(c, memcmp(m[0]->params, m[1]->params, m[0]->num_params * sizeof(float)) == 0);
    pat_model_free(m[0]), pat_model_free(m[1]);
    tiny_run_free(&t);
#endif
}

static void test_refusals(struct check_ctx *c) {
    struct tiny_run t;
    tiny_run_init(&t, PAT_FT_FULL);
    struct pat_model *m = tiny(7);
    struct pat_err err = {0};
    t.tr.y[3] = 2.0f;
    CHECK_STATUS(c, tiny_train(&t, m, NULL, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "label 4") != NULL);
    t.tr.y[3] = 1.0f;
    for (size_t i = 0; i < t.va.n; i++) t.va.y[i] = 0.0f;
    CHECK_STATUS(c, tiny_train(&t, m, NULL, &err), PAT_ERR_USAGE);
    CHECK(c, strstr(err.msg, "single class") != NULL);
    pat_model_free(m);
    tiny_run_free(&t);
}

int main(void) {
    int failures = 0;
#ifndef PAT_NO_THREADS
    pat_set_threads((size_t)(1));
#endif
    RUN(test_grad_dense_class_weight);
    RUN(test_grad_dense_pos_weight);
    RUN(test_grad_conv_class_weight);
    RUN(test_grad_conv_pos_weight);
    RUN(test_probe_freezes_encoder);
    RUN(test_two_stage_continues_from_stage1);
    RUN(test_resume_is_bit_identical);
    RUN(test_training_thread_independent);
    RUN(test_refusals);
#ifndef PAT_NO_THREADS
    pat_set_threads((size_t)(2));
#endif
    RUN(test_learns_planted_signal);
    return failures ? 1 : 0;
}
