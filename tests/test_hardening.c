/* test_hardening.c - regressions of the second hardening audit (issue 12):
 * each case pins one defect and fails on the code before its fix. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/safetensors.h"
#include "pat.h"

/* A safetensors file: 8-byte little-endian header length, header, data. */
static int write_safetensors(const char *path, const char *header, size_t data_len) {
    size_t h = strlen(header), n = 8 + h + data_len;
    unsigned char *b = calloc(1, n);
    if (!b) return 0;
    for (int j = 0; j < 8; j++) b[j] = (unsigned char)((uint64_t)h >> (8 * j));
    memcpy(b + 8, header, h);
    int ok = check_write_file(path, b, n);
    free(b);
    return ok;
}

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", check_tmp_dir(), name);
}

/* Item 8: 64 bytes after the last tensor were accepted. */
static void safetensors_bytes_after_last_tensor_refused(struct check_ctx *c) {
    char path[512];
    tmp_path(path, sizeof path, "after.safetensors");
    CHECK(c, write_safetensors(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                                     "\"data_offsets\":[0,8]}}", 8 + 64));
    struct pat_st_file f;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_st_read(path, &f, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "64 bytes after the last tensor") != NULL);
}

/* Item 8: a gap before the first tensor was accepted. */
static void safetensors_gap_before_first_tensor_refused(struct check_ctx *c) {
    char path[512];
    tmp_path(path, sizeof path, "gap.safetensors");
    CHECK(c, write_safetensors(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                                     "\"data_offsets\":[16,24]}}", 24));
    struct pat_st_file f;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_st_read(path, &f, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "16 bytes before the first tensor") != NULL);
    tmp_path(path, sizeof path, "gap2.safetensors");
    CHECK(c, write_safetensors(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                                     "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\","
                                     "\"shape\":[1],\"data_offsets\":[12,16]}}", 16));
    CHECK_STATUS(c, pat_st_read(path, &f, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "gap") != NULL);
    tmp_path(path, sizeof path, "exact.safetensors"); /* the control: exact cover reads */
    CHECK(c, write_safetensors(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                                     "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\","
                                     "\"shape\":[1],\"data_offsets\":[8,12]}}", 12));
    if (CHECK_STATUS(c, pat_st_read(path, &f, &err), PAT_OK)) pat_st_free(&f);
}

/* Messages: a CSV given as a model said "header length 3759433910672177206". */
static void csv_as_model_says_not_a_model(struct check_ctx *c) {
    char path[512];
    tmp_path(path, sizeof path, "model.csv");
    const char *text = "1,2,3,4,5,6,7,8,9,10\n11,12,13,14,15,16,17,18,19,20\n";
    CHECK(c, check_write_file(path, text, strlen(text)));
    struct pat_model *m = NULL;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_model_load(path, &m, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "not a safetensors or Keras .h5 file") != NULL);
    CHECK(c, strstr(err.msg, "header length") == NULL);
    pat_model_free(m);
}

/* Item 3: a scaler std of 1e-38 passed "std > 0" and made every output NaN
 * (embed -nan, predict 0.5, eval AUC 0.5, exit 0). Refused at load. */
static void tiny_scaler_std_refused_at_load(struct check_ctx *c) {
    static const struct pat_config cfg = {4, 8, 2, 8, 16, 2, PAT_EMBED_DENSE};
    float mean[8] = {0}, std[8] = {1, 1, 1, 1e-38f, 1, 1, 1, 1};
    struct pat_model *m = NULL, *s = NULL;
    struct pat_err err = {0};
    char path[512];
    tmp_path(path, sizeof path, "tiny-std.safetensors");
    CHECK_STATUS(c, pat_model_create(&cfg, 1, 0, &m, &err), PAT_OK);
    if (m && CHECK_STATUS(c, pat_model_with_scaler(m, mean, std, 8, &s, &err), PAT_OK) &&
        CHECK_STATUS(c, pat_model_save(s, path, &err), PAT_OK)) {
        struct pat_model *back = NULL;
        CHECK_STATUS(c, pat_model_load(path, &back, &err), PAT_ERR_FORMAT);
        CHECK(c, strstr(err.msg, "'scaler/std' element 3") != NULL);
        pat_model_free(back);
    }
    pat_model_free(s);
    pat_model_free(m);
}

int main(void) {
    int failures = 0;
    RUN(safetensors_bytes_after_last_tensor_refused);
    RUN(safetensors_gap_before_first_tensor_refused);
    RUN(csv_as_model_says_not_a_model);
    RUN(tiny_scaler_std_refused_at_load);
    return failures ? 1 : 0;
}
