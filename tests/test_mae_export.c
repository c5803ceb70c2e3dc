/* test_mae_export.c - pat_model_export_keras: the written H5 file has the
 * layout of the reference-written (Keras 2.15 save_weights) fixtures, and
 * re-imports bit-identically; an MAE's encoder goes through it unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/keras_h5_write.h"
#include "nn/mae.h"
#include "nn/model.h"

static int same_model(const struct pat_model *a, const struct pat_model *b) {
    if (a->num_params != b->num_params || a->num_tensors != b->num_tensors ||
        a->has_head != b->has_head || memcmp(&a->cfg, &b->cfg, sizeof a->cfg) != 0)
        return 0;
    for (size_t i = 0; i < a->num_tensors; i++)
        if (strcmp(a->tensors[i].name, b->tensors[i].name) != 0) return 0;
    return memcmp(a->params, b->params, a->num_params * sizeof(float)) == 0;
}

/* The line of `a` where a and b first differ, for the failure message. */
static void first_difference(const char *a, const char *b, char *buf, size_t len) {
    size_t i = 0, line = 0;
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '\n') line = i + 1;
    snprintf(buf, len, "%.200s", a + line);
}

/* Export the fixture's safetensors model and compare with the fixture H5
 * written by the reference: same layout; re-import equals the model. The
 * dense fixtures use the strings Keras 2.15 + h5py 3 write (variable
 * length), so their layout must match exactly; the conv ones use fixed-
 * length strings and only the re-import is compared. */
static void check_arch(struct check_ctx *c, const char *arch, int compare_layout) {
    char st[512], h5[512], out[512];
    snprintf(st, sizeof st, "%s/model/%s.safetensors", check_fixture_dir(), arch);
    snprintf(h5, sizeof h5, "%s/model/%s.h5", check_fixture_dir(), arch);
    snprintf(out, sizeof out, "%s/export_%s.h5", check_tmp_dir(), arch);
    struct pat_err err = {0};
    struct pat_model *m = NULL, *back = NULL;
    char *want = NULL, *got = NULL;
    if (!CHECK_STATUS(c, pat_model_load(st, &m, &err), PAT_OK) ||
        !CHECK_STATUS(c, pat_model_export_keras(m, out, &err), PAT_OK) ||
        !CHECK_STATUS(c, pat_model_import_keras(out, &back, &err), PAT_OK)) {
        check_fail(c, "%s: %s", arch, err.msg);
        goto done;
    }
    CHECK(c, same_model(m, back));
    if (compare_layout) {
        CHECK_STATUS(c, pat_keras_h5_describe(h5, &want, &err), PAT_OK);
        CHECK_STATUS(c, pat_keras_h5_describe(out, &got, &err), PAT_OK);
        if (want && got && strcmp(want, got) != 0) {
            char where[256];
            first_difference(got, want, where, sizeof where);
            check_fail(c, "%s: layout differs from the reference file at: %s", arch, where);
        }
        if (want && !strstr(want, "attr / layer_names class=string size=vlen"))
            check_fail(c, "the description lacks the root layer_names attribute");
    }
done:
    free(want), free(got);
    pat_model_free(m), pat_model_free(back);
}

static void test_export_s(struct check_ctx *c) { check_arch(c, "s", 1); }
static void test_export_m(struct check_ctx *c) { check_arch(c, "m", 1); }
static void test_export_l(struct check_ctx *c) { check_arch(c, "l", 1); }
static void test_export_conv(struct check_ctx *c) {
    check_arch(c, "conv-s", 0), check_arch(c, "conv-m", 0), check_arch(c, "conv-l", 0);
}

/* The encoder of an MAE: exported without head as the released files are
 * (no head layers in layer_names), re-imported bit-identically. */
static void test_export_mae_encoder(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("M", &cfg, NULL);
    struct pat_mae *a = NULL;
    struct pat_model *enc = NULL, *back = NULL;
    struct pat_err err = {0};
    char out[512], *text = NULL;
    snprintf(out, sizeof out, "%s/export_encoder.h5", check_tmp_dir());
    CHECK_STATUS(c, pat_mae_init_random(&cfg, 4, &a, &err), PAT_OK);
    if (a) CHECK_STATUS(c, pat_mae_encoder(a, &enc, &err), PAT_OK);
    if (enc) CHECK_STATUS(c, pat_model_export_keras(enc, out, &err), PAT_OK);
    if (CHECK_STATUS(c, pat_model_import_keras(out, &back, &err), PAT_OK)) {
        CHECK(c, same_model(enc, back) && !back->has_head);
        CHECK(c, memcmp(back->params, a->params, a->encoder_params * sizeof(float)) == 0);
    }
    if (CHECK_STATUS(c, pat_keras_h5_describe(out, &text, &err), PAT_OK)) {
        CHECK(c, strstr(text, "value=inputs,reshape,dense,tf.__operators__.add,"
                              "encoder_layer_1_transformer,encoder_layer_2_transformer\n") != NULL);
        CHECK(c, strstr(text, "dataset /encoder_layer_2_transformer/encoder_layer_2_attention/"
                              "query/kernel:0 class=1 size=4 order=LE shape=(96, 12, 96)") != NULL);
        CHECK(c, strstr(text, "attr /inputs weight_names class=1 size=8 order=LE space=(0)") != NULL);
        CHECK(c, strstr(text, "group /top_level_model_weights") != NULL);
        CHECK(c, strstr(text, "mask") == NULL && strstr(text, "decoder") == NULL);
    }
    free(text);
    pat_mae_free(a);
    pat_model_free(enc), pat_model_free(back);
}

/* A scaler is refused; a failed write leaves an existing file as it was. */
static void test_export_refusals(struct check_ctx *c) {
    struct pat_config cfg;
    pat_config_preset("S", &cfg, NULL);
    struct pat_model *m = NULL;
    struct pat_err err = {0};
    char out[512], bad[512];
    snprintf(out, sizeof out, "%s/export_scaler.h5", check_tmp_dir());
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.h5", check_tmp_dir());
    CHECK_STATUS(c, pat_model_create(&cfg, 0, 1440, &m, NULL), PAT_OK);
    CHECK(c, check_write_file(out, "old", 3));
    CHECK_STATUS(c, pat_model_export_keras(m, out, &err), PAT_ERR_USAGE);
    CHECK(c, strstr(err.msg, "scaler") != NULL);
    size_t len = 0;
    unsigned char *b = check_read_file(out, &len);
    CHECK(c, b && len == 3 && memcmp(b, "old", 3) == 0);
    free(b);
    pat_model_free(m);
    CHECK_STATUS(c, pat_model_create(&cfg, 0, 0, &m, NULL), PAT_OK);
    CHECK_STATUS(c, pat_model_export_keras(m, bad, &err), PAT_ERR_IO);
    pat_model_free(m);
}

int main(void) {
    int failures = 0;
    if (!pat_have_hdf5()) {
        printf("SKIP test_export: built without HDF5\n");
        return 0;
    }
    RUN(test_export_s);
    RUN(test_export_m);
    RUN(test_export_l);
    RUN(test_export_conv);
    RUN(test_export_mae_encoder);
    RUN(test_export_refusals);
    return failures ? 1 : 0;
}
