/* test_reference.c - the whole model against the independent Python
 * reference (tools/reference), through the committed fixtures in
 * tests/fixtures/model (unpacked into build/fixtures/model by make). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Tolerances of the foundation issue: embeddings 1e-4, probabilities 1e-5,
 * explanation profiles 1e-6 (absolute). */
#define TOL_EMBED 1e-4
#define TOL_PROB 1e-5
#define TOL_EXPLAIN 1e-6

static const char *const archs[] = {"s", "m", "l", "conv-s", "conv-m", "conv-l"};
static const char *const lengths[] = {"week", "day"};

enum output_kind { OUT_EMBED, OUT_PROB, OUT_EXPLAIN };
static const char *const kind_names[] = {"embed", "prob", "explain"};
static const double kind_tol[] = {TOL_EMBED, TOL_PROB, TOL_EXPLAIN};

static enum pat_status run_kind(const struct pat_model *m, enum output_kind k, const float *x,
                                size_t B, size_t T, float *out, struct pat_err *err) {
    if (k == OUT_EMBED) return pat_embed(m, x, B, T, out, err);
    if (k == OUT_PROB) return pat_predict(m, x, B, T, out, err);
    return pat_explain(m, x, B, T, out, err);
}

/* Compare one model output on one input file with the reference CSV;
 * returns the largest absolute difference, or -1 on a setup failure. */
static double compare_output(struct check_ctx *c, const struct pat_model *m, const char *arch,
                             const char *len, enum output_kind k) {
    char path[512];
    size_t B, T, rows, cols;
    snprintf(path, sizeof path, "%s/model/x_%s.csv", check_fixture_dir(), len);
    float *x = check_read_csv(path, &B, &T);
    snprintf(path, sizeof path, "%s/model/%s_%s_%s.csv", check_fixture_dir(), arch, len,
             kind_names[k]);
    float *want = check_read_csv(path, &rows, &cols);
    if (!x || !want || rows != B) {
        check_fail(c, "cannot read fixture %s (or its input): run make test", path);
        free(x), free(want);
        return -1;
    }
    float *got = calloc(rows * cols, sizeof *got);
    struct pat_err err = {0};
    double worst = -1;
    if (run_kind(m, k, x, B, T, got, &err) != PAT_OK) {
        check_fail(c, "%s %s %s: %s", arch, len, kind_names[k], err.msg);
    } else {
        worst = 0;
        for (size_t i = 0; i < rows * cols; i++) worst = fmax(worst, fabs(got[i] - want[i]));
        if (!(worst <= kind_tol[k]))
            check_fail(c, "%s %s %s: max |diff| %.3g > %.1g", arch, len, kind_names[k], worst,
                       kind_tol[k]);
    }
    free(x), free(want), free(got);
    return worst;
}

static struct pat_model *load_fixture_model(struct check_ctx *c, const char *arch,
                                            const char *ext) {
    char path[512];
    snprintf(path, sizeof path, "%s/model/%s.%s", check_fixture_dir(), arch, ext);
    struct pat_model *m = NULL;
    struct pat_err err = {0};
    if (pat_model_load(path, &m, &err) != PAT_OK) check_fail(c, "%s", err.msg);
    return m;
}

/* PAT_TEST_QUICK=1 (make asan): day-long inputs only, so that the suite
 * stays within the CI budget under the sanitizers' slowdown. */
static int quick(void) {
    const char *q = getenv("PAT_TEST_QUICK");
    return q && strcmp(q, "1") == 0;
}

/* Every architecture, both lengths, all three outputs, from safetensors. */
static void test_safetensors_fixtures_match_reference(struct check_ctx *c) {
    for (size_t a = 0; a < 6; a++) {
        struct pat_model *m = load_fixture_model(c, archs[a], "safetensors");
        if (!m) return;
        for (size_t l = quick() ? 1 : 0; l < 2; l++) {
            for (int k = OUT_EMBED; k <= OUT_EXPLAIN; k++) {
                double worst = compare_output(c, m, archs[a], lengths[l], (enum output_kind)k);
                printf("  %-7s %-4s %-7s max|diff| %.2e (tolerance %.0e)\n", archs[a],
                       lengths[l], kind_names[k], worst, kind_tol[k]);
            }
        }
        pat_model_free(m);
    }
}

/* The Keras H5 files give the same weights, hence the same outputs. */
static void test_keras_fixtures_match_reference(struct check_ctx *c) {
    if (!pat_have_hdf5()) {
        check_skip(c, "built without HDF5 (apt-get install libhdf5-dev)");
        return;
    }
    for (size_t a = 0; a < 6; a++) {
        struct pat_model *h5 = load_fixture_model(c, archs[a], "h5");
        struct pat_model *st = load_fixture_model(c, archs[a], "safetensors");
        if (!h5 || !st) {
            pat_model_free(h5), pat_model_free(st);
            return;
        }
        CHECK(c, pat_model_num_params(h5) == pat_model_num_params(st));
        const size_t T = quick() ? 1440 : 10080;
        float *x = calloc(T, sizeof *x), e1[96], e2[96];
        for (size_t t = 0; t < T; t++) x[t] = (float)sin(0.01 * (double)t);
        CHECK_STATUS(c, pat_embed(h5, x, 1, T, e1, NULL), PAT_OK);
        CHECK_STATUS(c, pat_embed(st, x, 1, T, e2, NULL), PAT_OK);
        CHECK(c, memcmp(e1, e2, sizeof e1) == 0);
        compare_output(c, h5, archs[a], "day", OUT_PROB);
        free(x);
        pat_model_free(h5), pat_model_free(st);
    }
}

int main(void) {
    int failures = 0;
    RUN(test_safetensors_fixtures_match_reference);
    RUN(test_keras_fixtures_match_reference);
    return failures ? 1 : 0;
}
