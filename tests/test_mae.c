/* test_mae.c - the masked autoencoder: masking and unshuffling by index,
 * parameter layout and counts, whole-MAE gradients against finite
 * differences and against PyTorch autograd (tests/fixtures/mae), and
 * thread independence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/safetensors.h"
#include "nn/mae.h"
#include "nn/model.h"
#include "rng.h"

/* ---- masking ---------------------------------------------------------------- */

/* pat-spec §3.3's table, and tf.math.round's half-to-even. */
static void test_num_masked(struct check_ctx *c) {
    static const struct { size_t N; float ratio; size_t M; } cases[] = {
        {560, 0.90f, 504}, {1120, 0.90f, 1008}, {560, 0.75f, 420}, {1120, 0.75f, 840},
        {560, 0.50f, 280}, {1120, 0.50f, 560}, {560, 0.25f, 140}, {1120, 0.25f, 280},
        {10, 0.25f, 2} /* 2.5 -> 2 */, {14, 0.25f, 4} /* 3.5 -> 4 */, {10, 0.6f, 6}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t M = pat_mae_num_masked(cases[i].N, cases[i].ratio);
        if (M != cases[i].M)
            check_fail(c, "round(%g * %zu) = %zu, expected %zu", (double)cases[i].ratio,
                       cases[i].N, M, cases[i].M);
    }
}

/* Visible N-M tokens; masked and visible disjoint, covering 0..N-1; the
 * permutation reproducible from its seed and different for another. */
static void test_permutation(struct check_ctx *c) {
    enum { N = 560 };
    const size_t M = pat_mae_num_masked(N, 0.9f);
    size_t perm[N], again[N], other[N];
    struct pat_rng r;
    pat_rng_seed(&r, 42), pat_mae_permutation(perm, N, &r);
    pat_rng_seed(&r, 42), pat_mae_permutation(again, N, &r);
    pat_rng_seed(&r, 43), pat_mae_permutation(other, N, &r);
    CHECK(c, memcmp(perm, again, sizeof perm) == 0);
    CHECK(c, memcmp(perm, other, sizeof perm) != 0);
    unsigned char seen[N] = {0};
    size_t masked = 0, visible = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(c, perm[i] < N && !seen[perm[i]]);
        if (perm[i] < N) seen[perm[i]] = i < M ? 1 : 2;
    }
    for (size_t q = 0; q < N; q++) masked += seen[q] == 1, visible += seen[q] == 2;
    CHECK(c, masked == M && visible == N - M && N - M == 56);
    /* corrected: each visible position holds its own token, masked ones the mask */
    size_t src[N];
    pat_mae_unshuffle_map(src, perm, N, M, PAT_UNSHUFFLE_CORRECTED);
    for (size_t q = 0; q < N; q++) {
        if (seen[q] == 1) CHECK(c, src[q] == PAT_MAE_MASK_TOKEN);
        else CHECK(c, src[q] < N - M && perm[M + src[q]] == q);
    }
}

/* The original UnshuffleLayer, step by step: dec_in = concat(encoded, masks)
 * (entry i < Nv is encoded token i, the rest mask tokens), inverse
 * permutation by scatter, then gather. Returns src as pat_mae_unshuffle_map. */
static void tf_unshuffle(size_t *src, const size_t *perm, size_t N, size_t M) {
    size_t inv[64];
    for (size_t i = 0; i < N; i++) inv[perm[i]] = i; /* scatter_nd(perm, range(N)) */
    for (size_t q = 0; q < N; q++) src[q] = inv[q] < N - M ? inv[q] : PAT_MAE_MASK_TOKEN;
}

/* Faithful placement on a small N, by index: the token of patch perm[M+j]
 * lands at position perm[j]; every other position, visible ones included,
 * gets the mask token. */
static void test_unshuffle_faithful(struct check_ctx *c) {
    enum { N = 10, M = 6 };
    const size_t perm[N] = {3, 7, 0, 9, 5, 1, 8, 2, 6, 4}; /* masked 3 7 0 9 5 1 | visible 8 2 6 4 */
    const size_t X = PAT_MAE_MASK_TOKEN;
    /* token j is patch perm[M+j]: 0 = patch 8, 1 = patch 2, 2 = patch 6, 3 = patch 4 */
    const size_t want[N] = {2, X, X, 0, X, X, X, 1, X, 3};
    size_t src[N], lit[N];
    pat_mae_unshuffle_map(src, perm, N, M, PAT_UNSHUFFLE_FAITHFUL);
    CHECK(c, memcmp(src, want, sizeof src) == 0);
    tf_unshuffle(lit, perm, N, M);
    CHECK(c, memcmp(src, lit, sizeof src) == 0);
    /* none of the visible patches sits at its own position */
    for (size_t j = 0; j < N - M; j++) CHECK(c, src[perm[M + j]] == X);
    /* corrected on the same permutation: identity placement */
    const size_t want_c[N] = {X, X, 1, X, 3, X, 2, X, 0, X};
    pat_mae_unshuffle_map(src, perm, N, M, PAT_UNSHUFFLE_CORRECTED);
    CHECK(c, memcmp(src, want_c, sizeof src) == 0);
    /* more visible than masked (ratio < 0.5), random permutations */
    struct pat_rng r;
    pat_rng_seed(&r, 5);
    for (size_t m = 1; m < N; m++) {
        size_t p[N];
        pat_mae_permutation(p, N, &r);
        pat_mae_unshuffle_map(src, p, N, m, PAT_UNSHUFFLE_FAITHFUL);
        tf_unshuffle(lit, p, N, m);
        CHECK(c, memcmp(src, lit, sizeof src) == 0);
    }
}

/* ---- parameters ------------------------------------------------------------------ */

/* pat-spec §1.2 "full MAE (pretraining)" column; the encoder prefix is the
 * model's encoder, tensor for tensor. */
static void test_param_counts(struct check_ctx *c) {
    static const struct { const char *arch; size_t total; } cases[] = {
        {"S", 549458}, {"M", 1491090}, {"L", 2480969},
        {"conv-S", 548018}, {"conv-M", 1489650}, {"conv-L", 2480393}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pat_config cfg;
        struct pat_mae *a = NULL;
        struct pat_model *m = NULL;
        pat_config_preset(cases[i].arch, &cfg, NULL);
        if (!CHECK_STATUS(c, pat_mae_create(&cfg, &a, NULL), PAT_OK) ||
            !CHECK_STATUS(c, pat_model_create(&cfg, 0, 0, &m, NULL), PAT_OK))
            break;
        if (a->num_params != cases[i].total)
            check_fail(c, "%s: %zu MAE parameters, expected %zu", cases[i].arch, a->num_params,
                       cases[i].total);
        CHECK(c, a->encoder_params == m->num_params && a->encoder_tensors == m->num_tensors);
        for (size_t t = 0; t < m->num_tensors; t++)
            CHECK(c, strcmp(a->tensors[t].name, m->tensors[t].name) == 0 &&
                         a->tensors[t].offset == m->tensors[t].offset);
        size_t last = a->num_tensors - 1, sum = 0;
        CHECK(c, a->tensors[last].offset + a->tensors[last].numel == a->num_params);
        for (size_t t = 0; t < a->num_tensors; t++) sum += a->tensors[t].numel;
        CHECK(c, sum == a->num_params);
        CHECK(c, pat_mae_tensor_find(a, "mask_layer/mask_layer/mask_token") != (size_t)-1);
        CHECK(c, pat_mae_tensor_find(a, "decoder_layer_1_transformer/decoder_layer_1_attention/"
                                        "query/kernel") != (size_t)-1);
        CHECK(c, pat_mae_tensor_find(a, "decoder_dense/decoder_dense/kernel") != (size_t)-1);
        pat_mae_free(a);
        pat_model_free(m);
    }
}

/* The encoder goes in and comes out bit-identical; init is reproducible and
 * its encoder is pat_model_init_random's. */
static void test_encoder_roundtrip(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("conv-M", &cfg, NULL);
    struct pat_model *enc = NULL, *back = NULL;
    struct pat_mae *a = NULL, *b = NULL;
    CHECK_STATUS(c, pat_model_init_random(&cfg, 0, 9, &enc, NULL), PAT_OK);
    CHECK_STATUS(c, pat_mae_from_encoder(enc, 9, &a, NULL), PAT_OK);
    CHECK_STATUS(c, pat_mae_init_random(&cfg, 9, &b, NULL), PAT_OK);
    if (enc && a && b) {
        CHECK(c, memcmp(a->params, b->params, a->num_params * sizeof(float)) == 0);
        CHECK_STATUS(c, pat_mae_encoder(a, &back, NULL), PAT_OK);
        CHECK(c, back && !back->has_head && back->num_params == enc->num_params &&
                     memcmp(back->params, enc->params, enc->num_params * sizeof(float)) == 0);
        /* mask token ~ N(0, 0.05^2), decoder gamma 1 */
        double s = 0;
        for (size_t e = 0; e < cfg.embed_dim; e++) s += (double)a->mask_token[e] * a->mask_token[e];
        s = sqrt(s / (double)cfg.embed_dim);
        CHECK(c, s > 0.035 && s < 0.065);
        CHECK(c, a->decoder.ln1_g[0] == 1.0f && a->decoder.ln2_b[5] == 0.0f);
    }
    pat_model_free(enc), pat_model_free(back);
    pat_mae_free(a), pat_mae_free(b);
}

/* ---- gradients ---------------------------------------------------------------------- */

static void fill_normal(float *x, size_t n, struct pat_rng *rng, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * pat_rng_normal(rng);
}

/* Tiny MAE with N(0, 0.3^2) weights (gamma around 1). */
static struct pat_mae *tiny_mae(enum pat_embedding emb, uint64_t seed) {
    struct pat_config cfg = {4, 8, 2, 4, 16, 2, emb};
    struct pat_mae *a = NULL;
    if (pat_mae_create(&cfg, &a, NULL) != PAT_OK) return NULL;
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t t = 0; t < a->num_tensors; t++) {
        float *w = a->params + a->tensors[t].offset;
        int gamma = strstr(a->tensors[t].name, "gamma") != NULL;
        for (size_t j = 0; j < a->tensors[t].numel; j++)
            w[j] = (gamma ? 1.0f : 0.0f) + 0.3f * pat_rng_normal(&rng);
    }
    return a;
}

struct mae_case {
    struct pat_mae *mae;
    struct pat_mae_ws *ws;
    struct pat_mae_opts o;
    const float *x;
    const size_t *perm; /* (B, N): one permutation per sequence */
    size_t B, T, N;
};

/* Batch loss (mean over sequences) and, with grads, its gradient. */
static double case_loss(const struct mae_case *k, float *grads) {
    double total = 0;
    if (grads) memset(grads, 0, k->mae->num_params * sizeof *grads);
    for (size_t b = 0; b < k->B; b++) {
        double l = 0;
        pat_mae_forward(k->ws, k->mae, k->x + b * k->T, NULL, NULL, k->perm + b * k->N, &k->o,
                        NULL, &l, NULL);
        total += l / (double)k->B;
        if (grads) pat_mae_backward(k->ws, k->mae, 1.0f / (float)k->B, grads, NULL);
    }
    return total;
}

static double rel_err_floor(const double *a, const double *b, size_t n, double floor) {
    double d = 0, nb = 0;
    for (size_t i = 0; i < n; i++) d += (a[i] - b[i]) * (a[i] - b[i]), nb += b[i] * b[i];
    return sqrt(d) / fmax(sqrt(nb), floor);
}

/* Central differences (float32 model, h = 1e-3) against the backward, for
 * every parameter: 5e-2 per tensor (key bias: true gradient 0, held to an
 * absolute floor), 1e-2 over all, as tests/test_grad.c. */
static void check_fd(struct check_ctx *c, enum pat_embedding emb, enum pat_unshuffle un,
                     enum pat_mae_loss loss, float ratio) {
    enum { B = 2, T = 40, N = 10 };
    struct mae_case k = {tiny_mae(emb, 21 + emb), NULL, {un, loss, 0.0f}, NULL, NULL, B, T, N};
    float x[B * T];
    size_t perm[B * N];
    struct pat_rng rng;
    pat_rng_seed(&rng, 31);
    fill_normal(x, B * T, &rng, 0.8f);
    for (size_t b = 0; b < B; b++) pat_mae_permutation(perm + b * N, N, &rng);
    k.x = x, k.perm = perm;
    if (!k.mae || pat_mae_ws_init(&k.ws, k.mae, T, ratio, NULL) != PAT_OK) {
        check_fail(c, "setup failed");
        pat_mae_free(k.mae);
        return;
    }
    const size_t np = k.mae->num_params;
    float *g = calloc(np, sizeof *g);
    double *fd = calloc(np, sizeof *fd), *an = calloc(np, sizeof *an), norm = 0, worst = 0;
    case_loss(&k, g);
    for (size_t i = 0; i < np; i++) {
        float keep = k.mae->params[i], h = 3e-3f;
        k.mae->params[i] = keep + h;
        double lp = case_loss(&k, NULL);
        k.mae->params[i] = keep - h;
        double lm = case_loss(&k, NULL);
        k.mae->params[i] = keep;
        fd[i] = (lp - lm) / (2.0 * (double)h), an[i] = g[i], norm += fd[i] * fd[i];
    }
    for (size_t t = 0; t < k.mae->num_tensors; t++) {
        const struct pat_tensor *tt = &k.mae->tensors[t];
        double e = rel_err_floor(an + tt->offset, fd + tt->offset, tt->numel, 1e-3 * sqrt(norm));
        worst = fmax(worst, e);
        if (e > 5e-2) check_fail(c, "%s: relative error %.2e", tt->name, e);
    }
    double all = rel_err_floor(an, fd, np, 1e-12);
    if (all > 1e-2) check_fail(c, "all parameters: relative error %.2e", all);
    printf("  %s %s loss=%s M=%zu: %.2e over all parameters, worst tensor %.2e\n",
           emb == PAT_EMBED_CONV ? "conv" : "dense",
           un == PAT_UNSHUFFLE_FAITHFUL ? "faithful" : "corrected",
           loss == PAT_MAE_LOSS_MASKED ? "masked" : "all", pat_mae_ws_masked(k.ws), all, worst);
    free(g), free(fd), free(an);
    pat_mae_ws_free(k.ws);
    pat_mae_free(k.mae);
}

static void test_fd_dense_corrected_all(struct check_ctx *c) {
    check_fd(c, PAT_EMBED_DENSE, PAT_UNSHUFFLE_CORRECTED, PAT_MAE_LOSS_ALL, 0.6f);
}
static void test_fd_dense_faithful_masked(struct check_ctx *c) {
    check_fd(c, PAT_EMBED_DENSE, PAT_UNSHUFFLE_FAITHFUL, PAT_MAE_LOSS_MASKED, 0.6f);
}
static void test_fd_conv_faithful_all(struct check_ctx *c) {
    check_fd(c, PAT_EMBED_CONV, PAT_UNSHUFFLE_FAITHFUL, PAT_MAE_LOSS_ALL, 0.3f);
}
static void test_fd_conv_corrected_masked(struct check_ctx *c) {
    check_fd(c, PAT_EMBED_CONV, PAT_UNSHUFFLE_CORRECTED, PAT_MAE_LOSS_MASKED, 0.9f);
}

/* ---- against PyTorch autograd (tests/fixtures/mae) ------------------------------------- */

static float *st_get(const struct pat_st_file *f, const char *name, size_t *numel) {
    for (size_t i = 0; i < f->num_tensors; i++) {
        if (strcmp(f->tensors[i].name, name) != 0) continue;
        float *v = malloc(f->tensors[i].numel * sizeof *v);
        if (v) pat_st_tensor_copy(f, i, v);
        if (numel) *numel = f->tensors[i].numel;
        return v;
    }
    return NULL;
}

static const char *st_meta(const struct pat_st_file *f, const char *key) {
    for (size_t i = 0; i < f->num_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return "";
}

/* Compare the fixture's per-tensor gradients, reconstruction and loss. */
static void compare_fixture(struct check_ctx *c, const char *name, const struct pat_st_file *f,
                            const struct pat_mae *a, const float *g, const float *out,
                            double loss) {
    double worst = 0;
    for (size_t t = 0; t < a->num_tensors; t++) {
        char gname[PAT_MAX_NAME + 8];
        snprintf(gname, sizeof gname, "grad/%s", a->tensors[t].name);
        float *want = st_get(f, gname, NULL);
        if (!want) { check_fail(c, "%s lacks %s", name, gname); return; }
        double scale = 0, diff = 0;
        for (size_t i = 0; i < a->tensors[t].numel; i++) {
            scale = fmax(scale, fabs(want[i]));
            diff = fmax(diff, fabs(want[i] - g[a->tensors[t].offset + i]));
        }
        worst = fmax(worst, diff / (scale + 1e-2));
        if (diff > 1e-5 * scale + 1e-7)
            check_fail(c, "%s: %s differs by %.3g (largest entry %.3g)", name, a->tensors[t].name,
                       diff, scale);
        free(want);
    }
    size_t n = 0;
    float *want_out = st_get(f, "output", &n), *want_loss = st_get(f, "loss", NULL);
    double dout = 0;
    for (size_t i = 0; want_out && i < n; i++) dout = fmax(dout, fabs(want_out[i] - out[i]));
    if (!want_out || !want_loss || dout > 1e-5 || fabs(loss - want_loss[0]) > 1e-5 * want_loss[0])
        check_fail(c, "%s: output differs by %.3g, loss %.9g vs %.9g", name, dout, loss,
                   want_loss ? (double)want_loss[0] : NAN);
    printf("  %s: worst gradient difference %.2e of the tensor's largest entry, output %.1e\n",
           name, worst, dout);
    free(want_out), free(want_loss);
}

static void check_fixture(struct check_ctx *c, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/mae/%s.safetensors", check_fixture_dir(), name);
    struct pat_st_file f;
    struct pat_err err = {0};
    if (pat_st_read(path, &f, &err) != PAT_OK) {
        check_fail(c, "%s", err.msg);
        return;
    }
    struct pat_config cfg = {(size_t)atoi(st_meta(&f, "pat.patch_size")),
                             (size_t)atoi(st_meta(&f, "pat.embed_dim")),
                             (size_t)atoi(st_meta(&f, "pat.num_heads")),
                             (size_t)atoi(st_meta(&f, "pat.key_dim")),
                             (size_t)atoi(st_meta(&f, "pat.ff_dim")),
                             (size_t)atoi(st_meta(&f, "pat.num_layers")),
                             strcmp(st_meta(&f, "pat.embedding"), "conv") == 0 ? PAT_EMBED_CONV
                                                                               : PAT_EMBED_DENSE};
    const size_t B = (size_t)atoi(st_meta(&f, "mae.batch")), T = (size_t)atoi(st_meta(&f, "mae.length"));
    const float ratio = (float)atof(st_meta(&f, "mae.mask_ratio"));
    struct pat_mae_opts o = {strcmp(st_meta(&f, "mae.unshuffle"), "faithful") == 0
                                 ? PAT_UNSHUFFLE_FAITHFUL : PAT_UNSHUFFLE_CORRECTED,
                             strcmp(st_meta(&f, "mae.loss"), "masked") == 0 ? PAT_MAE_LOSS_MASKED
                                                                            : PAT_MAE_LOSS_ALL,
                             0.0f};
    struct pat_mae *a = NULL;
    struct pat_mae_ws *w = NULL;
    size_t np = 0;
    float *x = st_get(&f, "input/x", NULL), *permf = st_get(&f, "input/perm", &np), *g = NULL;
    float *out = NULL;
    if (pat_mae_create(&cfg, &a, &err) != PAT_OK || !x || !permf ||
        pat_mae_ws_init(&w, a, T, ratio, &err) != PAT_OK || np != T / cfg.patch_size) {
        check_fail(c, "setup failed for %s: %s", path, err.msg);
        goto done;
    }
    for (size_t t = 0; t < a->num_tensors; t++) {
        float *v = st_get(&f, a->tensors[t].name, &np);
        if (!v || np != a->tensors[t].numel) { check_fail(c, "%s: bad %s", path, a->tensors[t].name); free(v); goto done; }
        memcpy(a->params + a->tensors[t].offset, v, np * sizeof *v);
        free(v);
    }
    const size_t N = T / cfg.patch_size;
    size_t *perm = malloc(N * sizeof *perm);
    for (size_t i = 0; i < N; i++) perm[i] = (size_t)permf[i];
    g = calloc(a->num_params, sizeof *g), out = malloc(B * T * sizeof *out);
    double loss = 0;
    for (size_t b = 0; b < B; b++) {
        double l = 0;
        CHECK_STATUS(c, pat_mae_forward(w, a, x + b * T, NULL, NULL, perm, &o, NULL, &l, &err), PAT_OK);
        memcpy(out + b * T, pat_mae_ws_output(w), T * sizeof *out);
        loss += l / (double)B;
        CHECK_STATUS(c, pat_mae_backward(w, a, 1.0f / (float)B, g, &err), PAT_OK);
    }
    free(perm);
    compare_fixture(c, name, &f, a, g, out, loss);
done:
    free(x), free(permf), free(g), free(out);
    pat_mae_ws_free(w);
    pat_mae_free(a);
    pat_st_free(&f);
}

static void test_ref_dense_corrected_all(struct check_ctx *c) { check_fixture(c, "dense_corrected_all"); }
static void test_ref_dense_faithful_masked(struct check_ctx *c) { check_fixture(c, "dense_faithful_masked"); }
static void test_ref_conv_faithful_all(struct check_ctx *c) { check_fixture(c, "conv_faithful_all"); }
static void test_ref_conv_corrected_masked(struct check_ctx *c) { check_fixture(c, "conv_corrected_masked"); }

/* ---- determinism --------------------------------------------------------------------- */

/* Gradients with dropout are identical with 1 and 2 threads (PAT-S, one day). */
static void test_mae_thread_independence(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    struct pat_config cfg;
    pat_config_preset("S", &cfg, NULL);
    struct pat_mae *a = NULL;
    struct pat_mae_ws *w = NULL;
    const size_t T = 1440, N = 80;
    if (pat_mae_init_random(&cfg, 3, &a, NULL) != PAT_OK ||
        pat_mae_ws_init(&w, a, T, 0.75f, NULL) != PAT_OK) {
        check_fail(c, "setup failed");
        pat_mae_free(a);
        return;
    }
    struct pat_rng rng;
    pat_rng_seed(&rng, 8);
    float *x = malloc(T * sizeof *x);
    size_t perm[80];
    fill_normal(x, T, &rng, 1);
    pat_mae_permutation(perm, N, &rng);
    float *g[2] = {calloc(a->num_params, sizeof(float)), calloc(a->num_params, sizeof(float))};
    struct pat_mae_opts o = {PAT_UNSHUFFLE_FAITHFUL, PAT_MAE_LOSS_ALL, 0.1f};
    double loss[2];
    for (int threads = 1; threads <= 2; threads++) {
        pat_set_threads((size_t)(threads));
        struct pat_rng drop;
        pat_rng_seed(&drop, 77);
        CHECK_STATUS(c, pat_mae_forward(w, a, x, NULL, NULL, perm, &o, &drop, &loss[threads - 1], NULL), PAT_OK);
        CHECK_STATUS(c, pat_mae_backward(w, a, 1.0f, g[threads - 1], NULL), PAT_OK);
    }
    pat_set_threads((size_t)(1));
    CHECK(c, loss[0] == loss[1]);
    CHECK(c, memcmp(g[0], g[1], a->num_params * sizeof(float)) == 0);
    free(g[0]), free(g[1]), free(x);
    pat_mae_ws_free(w);
    pat_mae_free(a);
#endif
}

static void test_refusals(struct check_ctx *c) {
    struct pat_config cfg = {4, 8, 2, 4, 16, 1, PAT_EMBED_DENSE};
    struct pat_mae *a = NULL;
    struct pat_mae_ws *w = NULL;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_mae_create(&cfg, &a, NULL), PAT_OK);
    CHECK_STATUS(c, pat_mae_ws_init(&w, a, 42, 0.5f, &err), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_mae_ws_init(&w, a, 40, 0.99f, &err), PAT_ERR_USAGE); /* all 10 masked */
    CHECK(c, strstr(err.msg, "one visible") != NULL);
    CHECK_STATUS(c, pat_mae_ws_init(&w, a, 40, 0.01f, &err), PAT_ERR_USAGE); /* none masked */
    CHECK_STATUS(c, pat_mae_ws_init(&w, a, 40, 0.5f, &err), PAT_OK);
    float x[40] = {0};
    size_t bad[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 8};
    double l;
    struct pat_mae_opts o = {PAT_UNSHUFFLE_CORRECTED, PAT_MAE_LOSS_ALL, 0.0f};
    CHECK_STATUS(c, pat_mae_forward(w, a, x, NULL, NULL, bad, &o, NULL, &l, &err), PAT_ERR_USAGE);
    bad[9] = 9, x[7] = NAN;
    CHECK_STATUS(c, pat_mae_forward(w, a, x, NULL, NULL, bad, &o, NULL, &l, &err), PAT_ERR_NUMERIC);
    CHECK(c, strstr(err.msg, "minute 8") != NULL);
    pat_mae_ws_free(w);
    pat_mae_free(a);
}

int main(void) {
    int failures = 0;
#ifndef PAT_NO_THREADS
    pat_set_threads((size_t)(1)); /* tiny shapes: thread start-up would dominate */
#endif
    RUN(test_num_masked);
    RUN(test_permutation);
    RUN(test_unshuffle_faithful);
    RUN(test_param_counts);
    RUN(test_encoder_roundtrip);
    RUN(test_fd_dense_corrected_all);
    RUN(test_fd_dense_faithful_masked);
    RUN(test_fd_conv_faithful_all);
    RUN(test_fd_conv_corrected_masked);
    RUN(test_ref_dense_corrected_all);
    RUN(test_ref_dense_faithful_masked);
    RUN(test_ref_conv_faithful_all);
    RUN(test_ref_conv_corrected_masked);
    RUN(test_mae_thread_independence);
    RUN(test_refusals);
    return failures ? 1 : 0;
}
