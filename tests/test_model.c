/* test_model.c - whole-model checks: parameter counts, layout goldens,
 * thread independence, and agreement with the reference fixtures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/infer.h"
#include "nn/kernels.h"
#include "rng.h"

/* pat-spec §1.2 */
static void test_param_counts(struct check_ctx *c) {
    static const struct { const char *name; size_t encoder; } want[] = {
        {"S", 274720}, {"M", 993440}, {"L", 1984192},
        {"conv-S", 273280}, {"conv-M", 992000}, {"conv-L", 1983616}};
    for (size_t i = 0; i < 6; i++) {
        struct pat_config cfg;
        CHECK_STATUS(c, pat_config_preset(want[i].name, &cfg, NULL), PAT_OK);
        CHECK_CLOSE(c, pat_config_encoder_params(&cfg), want[i].encoder, 0);
        CHECK_CLOSE(c, pat_config_head_params(&cfg), 12545, 0);
        struct pat_model *m = NULL;
        CHECK_STATUS(c, pat_model_create(&cfg, 1, 0, &m, NULL), PAT_OK);
        if (m) CHECK_CLOSE(c, pat_model_num_params(m), want[i].encoder + 12545, 0);
        pat_model_free(m);
    }
    struct pat_config cfg;
    CHECK_STATUS(c, pat_config_preset("PAT-M", &cfg, NULL), PAT_OK);
    CHECK_STATUS(c, pat_config_preset("X", &cfg, NULL), PAT_ERR_USAGE);
}

static size_t tensor_numel(const struct pat_model *m, size_t i) {
    size_t shape[4], ndim = pat_model_tensor_shape(m, i, shape), n = 1;
    for (size_t d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

static void fill_random(struct pat_model *m, uint64_t seed, float scale) {
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t i = 0; i < pat_model_num_tensors(m); i++) {
        size_t n = tensor_numel(m, i);
        float *t = pat_model_tensor_data(m, i);
        int is_gamma = strstr(pat_model_tensor_name(m, i), "gamma") != NULL;
        for (size_t j = 0; j < n; j++) t[j] = (is_gamma ? 1.0f : 0.0f) + scale * pat_rng_normal(&rng);
    }
}

static float *random_input(size_t n, uint64_t seed) {
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = pat_rng_normal(&rng);
    return x;
}

/* pat-spec §10.4(b): zero kernels and biases, gamma 1, beta 0: LN(LN(PE)). */
static void test_zero_block_is_ln_ln_pe(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("S", &cfg, NULL);
    struct pat_model *m = NULL;
    CHECK_STATUS(c, pat_model_create(&cfg, 0, 0, &m, NULL), PAT_OK);
    if (!m) return;
    for (size_t i = 0; i < pat_model_num_tensors(m); i++)
        if (strstr(pat_model_tensor_name(m, i), "gamma")) {
            size_t shape[4];
            pat_model_tensor_shape(m, i, shape);
            for (size_t j = 0; j < shape[0]; j++) pat_model_tensor_data(m, i)[j] = 1.0f;
        }
    const size_t T = 10080, N = 560, E = 96;
    float *x = random_input(T, 3), *tok = malloc(N * E * sizeof *tok);
    float *pe = malloc(N * E * sizeof *pe), one[96], zero[96];
    for (size_t i = 0; i < E; i++) one[i] = 1.0f, zero[i] = 0.0f;
    pat_positional_encoding(pe, N, E);
    pat_layernorm(pe, pe, one, zero, N, E);
    pat_layernorm(pe, pe, one, zero, N, E);
    CHECK_STATUS(c, pat_encode_tokens(m, x, T, tok, NULL), PAT_OK);
    double worst = 0;
    for (size_t i = 0; i < N * E; i++) worst = fmax(worst, fabs(tok[i] - pe[i]));
    CHECK_CLOSE(c, worst, 0.0, 1e-5);
    free(x), free(tok), free(pe);
    pat_model_free(m);
}

/* Bit-identical outputs with 1 and 2 threads, for every entry point. */
static void test_thread_independence(struct check_ctx *c) {
#ifdef PAT_NO_THREADS
    check_skip(c, "built without threads");
#else
    const char *archs[] = {"M", "conv-L"};
    for (size_t a = 0; a < 2; a++) {
        struct pat_config cfg;
        pat_config_preset(archs[a], &cfg, NULL);
        struct pat_model *m = NULL;
        CHECK_STATUS(c, pat_model_create(&cfg, 1, 0, &m, NULL), PAT_OK);
        if (!m) return;
        fill_random(m, 5 + a, 0.05f);
        const size_t B = 2, T = 1440, N = T / cfg.patch_size;
        float *x = random_input(B * T, 9);
        float out[2][2 * 96 + 2 + 2 * 160];
        for (int threads = 1; threads <= 2; threads++) {
            pat_set_threads((size_t)(threads));
            float *o = out[threads - 1];
            CHECK_STATUS(c, pat_embed(m, x, B, T, o, NULL), PAT_OK);
            CHECK_STATUS(c, pat_predict(m, x, B, T, o + 2 * 96, NULL), PAT_OK);
            CHECK_STATUS(c, pat_explain(m, x, B, T, o + 2 * 96 + 2, NULL), PAT_OK);
        }
        size_t n = 2 * 96 + 2 + B * N;
        CHECK(c, memcmp(out[0], out[1], n * sizeof(float)) == 0);
        free(x);
        pat_model_free(m);
    }
    pat_set_threads((size_t)(2));
#endif
}

static void test_explain_sums_to_one(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("L", &cfg, NULL);
    struct pat_model *m = NULL;
    CHECK_STATUS(c, pat_model_create(&cfg, 0, 0, &m, NULL), PAT_OK);
    if (!m) return;
    fill_random(m, 21, 0.1f);
    const size_t T = 2016, N = 224;
    float *x = random_input(T, 4), prof[224];
    CHECK_STATUS(c, pat_explain(m, x, 1, T, prof, NULL), PAT_OK);
    double s = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(c, prof[i] >= 0.0f);
        s += prof[i];
    }
    CHECK_CLOSE(c, s, 1.0, 1e-5);
    free(x);
    pat_model_free(m);
}

static void test_input_refusals(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("S", &cfg, NULL);
    struct pat_model *m = NULL, *ms = NULL;
    CHECK_STATUS(c, pat_model_create(&cfg, 0, 0, &m, NULL), PAT_OK);
    CHECK_STATUS(c, pat_model_create(&cfg, 1, 36, &ms, NULL), PAT_OK);
    if (!m || !ms) return;
    float x[40] = {0}, out[96];
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_embed(m, x, 1, 20, out, &err), PAT_ERR_USAGE); /* 20 % 18 != 0 */
    CHECK(c, strstr(err.msg, "multiple") != NULL);
    CHECK_STATUS(c, pat_predict(m, x, 1, 18, out, &err), PAT_ERR_USAGE);
    CHECK(c, strstr(err.msg, "head") != NULL);
    x[5] = NAN;
    CHECK_STATUS(c, pat_embed(m, x, 1, 18, out, &err), PAT_ERR_NUMERIC);
    CHECK(c, strstr(err.msg, "column 6") != NULL);
    x[5] = 0;
    CHECK_STATUS(c, pat_embed(ms, x, 1, 18, out, &err), PAT_ERR_USAGE); /* scaler is 36 */
    CHECK(c, strstr(err.msg, "scaler") != NULL);
    CHECK_STATUS(c, pat_embed(ms, x, 1, 36, out, &err), PAT_OK);
    pat_model_free(m);
    pat_model_free(ms);
}

/* A scaler standardizes the input: same output as pre-standardized input. */
static void test_scaler_applied(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("S", &cfg, NULL);
    struct pat_model *plain = NULL, *scaled = NULL;
    CHECK_STATUS(c, pat_model_create(&cfg, 1, 36, &scaled, NULL), PAT_OK);
    CHECK_STATUS(c, pat_model_create(&cfg, 1, 0, &plain, NULL), PAT_OK);
    if (!plain || !scaled) return;
    fill_random(plain, 8, 0.1f);
    size_t mean_i = pat_model_tensor_find(scaled, "scaler/mean");
    size_t std_i = pat_model_tensor_find(scaled, "scaler/std");
    for (size_t i = 0; i < pat_model_num_tensors(plain); i++) /* same names, same order */
        memcpy(pat_model_tensor_data(scaled, i), pat_model_tensor_data(plain, i),
               tensor_numel(plain, i) * sizeof(float));
    float *mu = pat_model_tensor_data(scaled, mean_i), *sd = pat_model_tensor_data(scaled, std_i);
    float x[36], z[36], p1, p2;
    for (int t = 0; t < 36; t++) {
        mu[t] = (float)t * 0.5f;
        sd[t] = 2.0f;
        x[t] = (float)(t % 7);
        z[t] = (x[t] - mu[t]) / sd[t];
    }
    CHECK_STATUS(c, pat_predict(scaled, x, 1, 36, &p1, NULL), PAT_OK);
    CHECK_STATUS(c, pat_predict(plain, z, 1, 36, &p2, NULL), PAT_OK);
    CHECK_CLOSE(c, p1, p2, 0.0);
    pat_model_free(plain);
    pat_model_free(scaled);
}

/* pat.input_transform = log1p: raw minutes through the model equal
 * log1p-transformed minutes through the same model without it (the scaler
 * comes after the transform); the skipping entry point that training uses
 * equals the plain model; x <= -1 and unknown transforms are refused; a
 * saved and reloaded model keeps the transform. */
static void test_input_transform(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("S", &cfg, NULL);
    struct pat_model *m = NULL;
    CHECK_STATUS(c, pat_model_create(&cfg, 1, 36, &m, NULL), PAT_OK);
    if (!m) return;
    fill_random(m, 9, 0.1f);
    float *mu = pat_model_tensor_data(m, pat_model_tensor_find(m, "scaler/mean"));
    float *sd = pat_model_tensor_data(m, pat_model_tensor_find(m, "scaler/std"));
    float x[36], lx[36], p_raw, p_logged, p_skip, e_raw[96], e_logged[96];
    for (int t = 0; t < 36; t++) {
        mu[t] = 1.0f + 0.01f * (float)t, sd[t] = 1.5f;
        x[t] = (float)((t * 37) % 11) * 40.0f; /* counts 0..400 */
        lx[t] = log1pf(x[t]);
    }
    CHECK(c, strcmp(pat_model_input_transform(m), "none") == 0);
    CHECK_STATUS(c, pat_predict(m, lx, 1, 36, &p_logged, NULL), PAT_OK);
    CHECK_STATUS(c, pat_embed(m, lx, 1, 36, e_logged, NULL), PAT_OK);
    CHECK_STATUS(c, pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, "log1p", NULL), PAT_OK);
    CHECK(c, strcmp(pat_model_input_transform(m), "log1p") == 0);
    CHECK_STATUS(c, pat_predict(m, x, 1, 36, &p_raw, NULL), PAT_OK);
    CHECK_STATUS(c, pat_embed(m, x, 1, 36, e_raw, NULL), PAT_OK);
    CHECK_STATUS(c, pat_predict_transformed(m, lx, 1, 36, &p_skip, NULL), PAT_OK);
    CHECK_CLOSE(c, p_raw, p_logged, 0.0);
    CHECK_CLOSE(c, p_skip, p_logged, 0.0);
    CHECK(c, memcmp(e_raw, e_logged, sizeof e_raw) == 0);
    CHECK(c, fabsf(p_raw - p_skip) == 0.0f);
    float p_double; /* raw minutes given as if transformed: a different answer */
    CHECK_STATUS(c, pat_predict_transformed(m, x, 1, 36, &p_double, NULL), PAT_OK);
    CHECK(c, p_double != p_raw);
    struct pat_err err = {0};
    x[7] = -1.0f;
    CHECK_STATUS(c, pat_predict(m, x, 1, 36, &p_raw, &err), PAT_ERR_NUMERIC);
    CHECK(c, strstr(err.msg, "column 8") && strstr(err.msg, "log(1 + x)"));
    CHECK_STATUS(c, pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, "sqrt", &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "unknown input transform") != NULL);
    CHECK(c, strcmp(pat_model_input_transform(m), "log1p") == 0); /* unchanged */
    /* saved and loaded again, the model still takes raw minutes */
    char path[512];
    snprintf(path, sizeof path, "%s/transform.safetensors", check_tmp_dir());
    struct pat_model *back = NULL;
    x[7] = 3.0f;
    CHECK_STATUS(c, pat_predict(m, x, 1, 36, &p_raw, NULL), PAT_OK);
    if (CHECK_STATUS(c, pat_model_save(m, path, NULL), PAT_OK) &&
        CHECK_STATUS(c, pat_model_load(path, &back, NULL), PAT_OK)) {
        float p_back;
        CHECK(c, strcmp(pat_model_input_transform(back), "log1p") == 0);
        CHECK_STATUS(c, pat_predict(back, x, 1, 36, &p_back, NULL), PAT_OK);
        CHECK_CLOSE(c, p_back, p_raw, 0.0);
    }
    pat_model_free(back);
    CHECK_STATUS(c, pat_model_meta_set(m, PAT_META_INPUT_TRANSFORM, "none", NULL), PAT_OK);
    CHECK(c, strcmp(pat_model_input_transform(m), "none") == 0);
    pat_model_free(m);
}

int main(void) {
    int failures = 0;
    RUN(test_param_counts);
    RUN(test_zero_block_is_ln_ln_pe);
    RUN(test_thread_independence);
    RUN(test_explain_sums_to_one);
    RUN(test_input_refusals);
    RUN(test_scaler_applied);
    RUN(test_input_transform);
    return failures ? 1 : 0;
}
