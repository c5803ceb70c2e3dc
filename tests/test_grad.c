/* test_grad.c - backward passes against central finite differences, from
 * single kernels to the whole model on a tiny configuration. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/attention.h"
#include "check.h"
#include "nn/gemm.h"
#include "nn/grad.h"
#include "nn/kernels.h"
#include "nn/model.h"
#include "rng.h"

static void fill_normal(float *x, size_t n, struct pat_rng *rng, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * pat_rng_normal(rng);
}

/* Relative error ||a - b|| / max(||b||, floor) in double. */
static double rel_err_floor(const double *a, const double *b, size_t n, double floor) {
    double d = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        d += (a[i] - b[i]) * (a[i] - b[i]);
        nb += b[i] * b[i];
    }
    return sqrt(d) / fmax(sqrt(nb), floor);
}

static double rel_err(const double *a, const double *b, size_t n) {
    return rel_err_floor(a, b, n, 1e-12);
}

/* ---- per kernel: loss = sum(out * r) for a fixed random r ----------------- */

struct ln_case { float z[3 * 7], g[7], b[7], r[3 * 7]; };

static double ln_loss(struct ln_case *k) {
    float y[21];
    pat_layernorm(y, k->z, k->g, k->b, 3, 7);
    double s = 0;
    for (int i = 0; i < 21; i++) s += (double)y[i] * k->r[i];
    return s;
}

static void test_layernorm_backward_fd(struct check_ctx *c) {
    struct ln_case k;
    struct pat_rng rng;
    pat_rng_seed(&rng, 1);
    fill_normal(k.z, 21, &rng, 1), fill_normal(k.g, 7, &rng, 1), fill_normal(k.b, 7, &rng, 1);
    fill_normal(k.r, 21, &rng, 1);
    float y[21], mean[3], rstd[3], dz[21] = {0}, dg[7] = {0}, db[7] = {0};
    pat_layernorm_stats(y, mean, rstd, k.z, k.g, k.b, 3, 7);
    pat_layernorm_backward(dz, dg, db, k.r, k.z, k.g, mean, rstd, 3, 7);
    float *params[3] = {k.z, k.g, k.b}, *grads[3] = {dz, dg, db};
    size_t sizes[3] = {21, 7, 7};
    for (int p = 0; p < 3; p++) {
        double fd[21], an[21];
        for (size_t i = 0; i < sizes[p]; i++) {
            float keep = params[p][i], h = 1e-2f;
            params[p][i] = keep + h;
            double lp = ln_loss(&k);
            params[p][i] = keep - h;
            double lm = ln_loss(&k);
            params[p][i] = keep;
            fd[i] = (lp - lm) / (2.0 * h);
            an[i] = grads[p][i];
        }
        double e = rel_err(an, fd, sizes[p]);
        if (e > 1e-3) check_fail(c, "layernorm param %d: relative error %.2e", p, e);
    }
}

static void test_gemm_backward_fd(struct check_ctx *c) {
    enum { R = 5, I = 6, O = 7 };
    struct pat_rng rng;
    pat_rng_seed(&rng, 2);
    float x[R * I], W[I * O], b[O], r[R * O], y[R * O];
    fill_normal(x, R * I, &rng, 1), fill_normal(W, I * O, &rng, 1), fill_normal(b, O, &rng, 1);
    fill_normal(r, R * O, &rng, 1);
    float dx[R * I] = {0}, dW[I * O] = {0}, db[O] = {0};
    pat_gemm_backward(dx, dW, db, r, x, W, R, I, O);
    float *params[3] = {x, W, b}, *grads[3] = {dx, dW, db};
    size_t sizes[3] = {R * I, I * O, O};
    for (int p = 0; p < 3; p++) {
        double fd[R * O > I * O ? R * O : I * O], an[sizeof fd / sizeof fd[0]];
        for (size_t i = 0; i < sizes[p]; i++) {
            float keep = params[p][i], h = 1e-2f;
            double l[2];
            for (int s = 0; s < 2; s++) {
                params[p][i] = keep + (s ? -h : h);
                pat_gemm_bias(y, x, W, b, R, I, O);
                l[s] = 0;
                for (int j = 0; j < R * O; j++) l[s] += (double)y[j] * r[j];
            }
            params[p][i] = keep;
            fd[i] = (l[0] - l[1]) / (2.0 * h);
            an[i] = grads[p][i];
        }
        double e = rel_err(an, fd, sizes[p]);
        if (e > 1e-3) check_fail(c, "gemm param %d: relative error %.2e", p, e);
    }
}

/* Attention: loss = sum(ctx * r); gradients for q, k, v. */
static double attention_loss(const float *q, const float *k, const float *v, const float *r,
                             size_t N, size_t H, size_t K) {
    size_t n = N * H * K;
    float *kt = malloc(n * sizeof *kt), *vh = malloc(n * sizeof *vh), *ctx = malloc(n * sizeof *ctx);
    pat_heads_split_t(kt, k, N, H, K);
    pat_heads_split(vh, v, N, H, K);
    pat_attention(ctx, NULL, NULL, q, kt, vh, N, H, K);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)ctx[i] * r[i];
    free(kt), free(vh), free(ctx);
    return s;
}

static void test_attention_backward_fd(struct check_ctx *c) {
    enum { N = 37, H = 2, K = 3, n = N * H * K }; /* N spans two tiles */
    struct pat_rng rng;
    pat_rng_seed(&rng, 3);
    float q[n], k[n], v[n], r[n], kt[n], vh[n], ctx[n], lse[H * N], dq[n], dk[n], dv[n];
    fill_normal(q, n, &rng, 1), fill_normal(k, n, &rng, 1), fill_normal(v, n, &rng, 1);
    fill_normal(r, n, &rng, 1);
    pat_heads_split_t(kt, k, N, H, K);
    pat_heads_split(vh, v, N, H, K);
    CHECK(c, pat_attention(ctx, NULL, lse, q, kt, vh, N, H, K));
    CHECK(c, pat_attention_backward(dq, dk, dv, r, q, k, v, ctx, lse, N, H, K));
    float *params[3] = {q, k, v}, *grads[3] = {dq, dk, dv};
    for (int p = 0; p < 3; p++) {
        double fd[n], an[n];
        for (size_t i = 0; i < n; i++) {
            float keep = params[p][i], h = 1e-2f;
            params[p][i] = keep + h;
            double lp = attention_loss(q, k, v, r, N, H, K);
            params[p][i] = keep - h;
            double lm = attention_loss(q, k, v, r, N, H, K);
            params[p][i] = keep;
            fd[i] = (lp - lm) / (2.0 * h);
            an[i] = grads[p][i];
        }
        double e = rel_err(an, fd, n);
        if (e > 1e-3) check_fail(c, "attention input %d: relative error %.2e", p, e);
    }
}

/* ---- whole model ----------------------------------------------------------- */

static struct pat_model *tiny_model(enum pat_embedding emb, uint64_t seed) {
    struct pat_config cfg = {4, 8, 2, 4, 16, 2, emb};
    struct pat_model *m = NULL;
    if (pat_model_create(&cfg, 1, 0, &m, NULL) != PAT_OK) return NULL;
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t i = 0; i < pat_model_num_tensors(m); i++) {
        size_t shape[4], nd = pat_model_tensor_shape(m, i, shape), n = 1;
        for (size_t d = 0; d < nd; d++) n *= shape[d];
        float *t = pat_model_tensor_data(m, i);
        int gamma = strstr(pat_model_tensor_name(m, i), "gamma") != NULL;
        for (size_t j = 0; j < n; j++) t[j] = (gamma ? 1.0f : 0.0f) + 0.3f * pat_rng_normal(&rng);
    }
    return m;
}

/* Batch loss: mean over B of BCE-with-logits, computed in double. */
static double batch_loss(struct pat_grad_ws *w, struct pat_model *m, const float *x,
                         const float *y, size_t B, size_t T) {
    struct pat_grad_opts o = {0, 1, 0.0f};
    double loss = 0;
    for (size_t b = 0; b < B; b++) {
        float z;
        pat_grad_forward(w, m, x + b * T, &o, NULL, &z, NULL);
        loss += fmax(z, 0) - (double)z * y[b] + log1p(exp(-fabs(z)));
    }
    return loss / (double)B;
}

static void model_grads(struct pat_grad_ws *w, struct pat_model *m, const float *x,
                        const float *y, size_t B, size_t T, const struct pat_grad_opts *o,
                        float *grads) {
    memset(grads, 0, pat_model_num_params(m) * sizeof *grads);
    for (size_t b = 0; b < B; b++) {
        float z;
        pat_grad_forward(w, m, x + b * T, o, NULL, &z, NULL);
        double p = 1.0 / (1.0 + exp(-(double)z));
        pat_grad_backward(w, m, (float)((p - y[b]) / (double)B), o, grads, NULL);
    }
}

/* Central differences of the batch loss for every parameter of m. */
static void finite_differences(double *fd, struct pat_grad_ws *w, struct pat_model *m,
                               const float *x, const float *y, size_t B, size_t T, float h) {
    float *p = pat_model_tensor_data(m, 0);
    for (size_t i = 0; i < pat_model_num_params(m); i++) {
        float keep = p[i];
        p[i] = keep + h;
        double lp = batch_loss(w, m, x, y, B, T);
        p[i] = keep - h;
        double lm = batch_loss(w, m, x, y, B, T);
        p[i] = keep;
        fd[i] = (lp - lm) / (2.0 * (double)h);
    }
}

/* The model runs in float32, so finite differences carry ~1e-5 of rounding
 * noise and ReLU kinks: the bound is 5e-2 per tensor and 1e-2 over all
 * parameters (the float64 PyTorch fixtures in test_train_reference check
 * the gradients tightly). A tensor whose true gradient is zero (the key
 * bias: softmax is shift-invariant) is held to an absolute bound instead. */
static void check_model_fd(struct check_ctx *c, enum pat_embedding emb) {
    enum { B = 3, T = 32 };
    struct pat_model *m = tiny_model(emb, 10 + emb);
    struct pat_grad_ws *w = NULL;
    if (!m || pat_grad_ws_init(&w, m, T, NULL) != PAT_OK) {
        check_fail(c, "setup failed");
        pat_model_free(m);
        return;
    }
    struct pat_rng rng;
    pat_rng_seed(&rng, 99);
    float x[B * T], y[B] = {1, 0, 1};
    fill_normal(x, B * T, &rng, 1);
    const size_t np = pat_model_num_params(m);
    float *g = calloc(np, sizeof *g);
    double *fd = calloc(np, sizeof *fd), *an = calloc(np, sizeof *an);
    struct pat_grad_opts o = {0, 1, 0.0f};
    model_grads(w, m, x, y, B, T, &o, g);
    finite_differences(fd, w, m, x, y, B, T, 1e-3f);
    for (size_t i = 0; i < np; i++) an[i] = g[i];
    double all = rel_err(an, fd, np), norm = 0, worst = 0;
    for (size_t i = 0; i < np; i++) norm += fd[i] * fd[i];
    size_t off = 0;
    for (size_t t = 0; t < pat_model_num_tensors(m); t++) {
        size_t shape[4], nd = pat_model_tensor_shape(m, t, shape), n = 1;
        for (size_t d = 0; d < nd; d++) n *= shape[d];
        double e = rel_err_floor(an + off, fd + off, n, 1e-3 * sqrt(norm));
        worst = fmax(worst, e);
        if (e > 5e-2) check_fail(c, "%s: relative error %.2e", pat_model_tensor_name(m, t), e);
        if (getenv("PAT_VERBOSE")) printf("    %-70s %.2e\n", pat_model_tensor_name(m, t), e);
        off += n;
    }
    if (all > 1e-2) check_fail(c, "all parameters: relative error %.2e", all);
    printf("  %s model vs finite differences: %.2e over all parameters, worst tensor %.2e\n",
           emb == PAT_EMBED_CONV ? "conv" : "dense", all, worst);
    free(g), free(fd), free(an);
    pat_grad_ws_free(w);
    pat_model_free(m);
}

static void test_model_dense_fd(struct check_ctx *c) { check_model_fd(c, PAT_EMBED_DENSE); }
static void test_model_conv_fd(struct check_ctx *c) { check_model_fd(c, PAT_EMBED_CONV); }

/* Which blocks get gradients: frozen ones none at all, trained ones the
 * same values as in full fine-tuning. */
static void test_frozen_blocks(struct check_ctx *c) {
    enum { B = 2, T = 32 };
    struct pat_model *m = tiny_model(PAT_EMBED_DENSE, 5);
    struct pat_grad_ws *w = NULL;
    if (!m || pat_grad_ws_init(&w, m, T, NULL) != PAT_OK) {
        check_fail(c, "setup failed");
        pat_model_free(m);
        return;
    }
    struct pat_rng rng;
    pat_rng_seed(&rng, 4);
    float x[B * T], y[B] = {0, 1};
    fill_normal(x, B * T, &rng, 1);
    const size_t np = pat_model_num_params(m);
    float *full = calloc(np, sizeof *full), *part = calloc(np, sizeof *part);
    struct pat_grad_opts o_full = {0, 1, 0.0f}, o_probe = {2, 0, 0.0f}, o_last = {1, 0, 0.0f};
    model_grads(w, m, x, y, B, T, &o_full, full);
    const size_t block2 = pat_model_tensor_find(
        m, "encoder_layer_2_transformer/encoder_layer_2_attention/query/kernel");
    const size_t head = pat_model_tensor_find(m, "head/dense_128/kernel");
    const float *base = pat_model_tensor_data(m, 0);
    const size_t off2 = (size_t)(pat_model_tensor_data(m, block2) - base);
    const size_t offh = (size_t)(pat_model_tensor_data(m, head) - base);
    /* probe: the encoder gets exactly nothing, the head the same as full */
    model_grads(w, m, x, y, B, T, &o_probe, part);
    for (size_t i = 0; i < offh; i++) CHECK(c, part[i] == 0.0f);
    CHECK(c, memcmp(part + offh, full + offh, (np - offh) * sizeof *part) == 0);
    /* last block only: block 1 and the embedding get nothing */
    model_grads(w, m, x, y, B, T, &o_last, part);
    for (size_t i = 0; i < off2; i++) CHECK(c, part[i] == 0.0f);
    CHECK(c, memcmp(part + off2, full + off2, (np - off2) * sizeof *part) == 0);
    free(full), free(part);
    pat_grad_ws_free(w);
    pat_model_free(m);
}

/* Gradients with dropout are identical with 1 and 2 threads. */
static void test_grad_thread_independence(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    struct pat_config cfg;
    pat_config_preset("M", &cfg, NULL);
    struct pat_model *m = NULL;
    struct pat_grad_ws *w = NULL;
    const size_t T = 720;
    if (pat_model_create(&cfg, 1, 0, &m, NULL) != PAT_OK ||
        pat_grad_ws_init(&w, m, T, NULL) != PAT_OK) {
        check_fail(c, "setup failed");
        pat_model_free(m);
        return;
    }
    struct pat_rng rng;
    pat_rng_seed(&rng, 8);
    fill_normal(pat_model_tensor_data(m, 0), pat_model_num_params(m), &rng, 0.05f);
    float *x = malloc(T * sizeof *x);
    fill_normal(x, T, &rng, 1);
    const size_t np = pat_model_num_params(m);
    float *g[2] = {calloc(np, sizeof(float)), calloc(np, sizeof(float))};
    struct pat_grad_opts o = {0, 1, 0.1f};
    for (int threads = 1; threads <= 2; threads++) {
        pat_set_threads((size_t)(threads));
        struct pat_rng drop;
        pat_rng_seed(&drop, 77);
        float z;
        CHECK_STATUS(c, pat_grad_forward(w, m, x, &o, &drop, &z, NULL), PAT_OK);
        CHECK_STATUS(c, pat_grad_backward(w, m, 0.5f, &o, g[threads - 1], NULL), PAT_OK);
    }
    pat_set_threads((size_t)(1));
    CHECK(c, memcmp(g[0], g[1], np * sizeof(float)) == 0);
    free(g[0]), free(g[1]), free(x);
    pat_grad_ws_free(w);
    pat_model_free(m);
#endif
}

int main(void) {
    int failures = 0;
#ifndef PAT_NO_THREADS
    pat_set_threads((size_t)(1)); /* tiny shapes: thread start-up would dominate */
#endif
    RUN(test_layernorm_backward_fd);
    RUN(test_gemm_backward_fd);
    RUN(test_attention_backward_fd);
    RUN(test_model_dense_fd);
    RUN(test_model_conv_fd);
    RUN(test_frozen_blocks);
    RUN(test_grad_thread_independence);
    return failures ? 1 : 0;
}
