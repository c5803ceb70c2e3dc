/* test_regressions.c - one case per bug found by fuzzing or the hardening
 * audit (docs/security.md); each names the input or condition it pins. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "data/series.h"
#include "data/series_csv.h"
#include "io/xport.h"
#include "io/xpt.h"
#include "pat.h"



static enum pat_status count_row(void *ctx, size_t row, const double *v, struct pat_err *err) {
    (void)row, (void)v, (void)err;
    ++*(size_t *)ctx;
    return PAT_OK;
}

/* fuzz_xpt: a variable without a name was compared as a string (NULL). */
static void xpt_variable_without_name_is_refused(struct check_ctx *c) {
    if (!pat_have_readstat()) {
        check_skip(c, "built without libreadstat");
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz/xpt_unnamed_variable.xpt", check_fixture_dir());
    static const struct pat_xpt_col cols[] = {{"SEQN", 0}, {"PAXINTEN", 1}};
    struct pat_err err = {0};
    size_t rows = 0, vars = 0;
    CHECK_STATUS(c, pat_xpt_read(path, cols, 2, count_row, &rows, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "xpt_unnamed_variable.xpt") != NULL);
    CHECK(c, strstr(err.msg, "has no name") != NULL);
    (void)pat_xpt_shape(path, &rows, &vars, &err); /* must not crash either */
}

/* fuzz_xpt (differential): a last row of blanks only is padding, as
 * libreadstat reads it; the native reader once counted it as a row. */
static void xpt_trailing_blank_row_is_padding(struct check_ctx *c) {
    char path[512], names[1][9];
    snprintf(path, sizeof path, "%s/fuzz/xpt_trailing_blank_row.xpt", check_fixture_dir());
    struct pat_err err = {0};
    size_t n = 0, native = 0, other = 0;
    if (!CHECK_STATUS(c, pat_xport_numeric_names(path, names, 1, &n, &err), PAT_OK)) return;
    const struct pat_xpt_col col = {names[0], 0};
    CHECK_STATUS(c, pat_xpt_read(path, &col, 1, count_row, &native, &err), PAT_OK);
    CHECK(c, native == 52);
    if (pat_have_readstat()) {
        CHECK_STATUS(c, pat_xpt_read_readstat(path, &col, 1, count_row, &other, &err), PAT_OK);
        CHECK(c, other == native);
    }
}

/* fuzz_xpt (differential): the first 48 bytes of a member header inside
 * the rows ended the table for the native reader (50 rows), while
 * libreadstat reads on to 59; only a whole member header record ends it
 * now, and the partial row at the end is refused as truncated. */
static void xpt_partial_member_header_is_data(struct check_ctx *c) {
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz/xpt_partial_member_header.xpt", check_fixture_dir());
    const struct pat_xpt_col col = {"RIAGENDR", 0};
    struct pat_err err = {0};
    size_t rows = 0;
    CHECK_STATUS(c, pat_xpt_read(path, &col, 1, count_row, &rows, &err), PAT_ERR_FORMAT);
    CHECK(c, rows == 59);
    CHECK(c, strstr(err.msg, "ends inside row 60") != NULL);
}

/* Audit (issue #8 item 4): a non-finite value in a per-participant CSV is
 * refused naming the file, the line and the column, in every layout. */
static void series_csv_nonfinite_names_line_and_column(struct check_ctx *c) {
    static const struct {
        const char *text;
        enum pat_csv_layout layout;
        const char *msg;
    } cases[] = {
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,1\n"
         "2003-05-07 12:01:00,2003-05-07,inf\n",
         PAT_LAYOUT_DEPRESJON, ":3: value is not a finite number: 'inf' (column 3)"},
        {"time,value\n2020-01-01 00:00,1e40\n", PAT_LAYOUT_TIMESTAMP,
         ":2: value is not a finite number: '1e40' (column 2)"},
        {"1\n2\nnan\n", PAT_LAYOUT_VALUES, ":3: value is not a finite number: 'nan' (column 1)"},
        {"1\n-inf\n", PAT_LAYOUT_AUTO, ":2: value is not a finite number: '-inf' (column 1)"},
    };
    char path[512];
    snprintf(path, sizeof path, "%s/regress_series.csv", check_tmp_dir());
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        check_write_file(path, cases[i].text, strlen(cases[i].text));
        struct pat_csv_series_params p = {cases[i].layout, 0, pat_series_default_rules()};
        struct pat_series s;
        struct pat_err err = {0};
        CHECK_STATUS(c, pat_series_read_csv(path, "p", &p, &s, &err), PAT_ERR_NUMERIC);
        if (!strstr(err.msg, "regress_series.csv") || !strstr(err.msg, cases[i].msg))
            check_fail(c, "case %zu: message '%s' lacks '%s'", i, err.msg, cases[i].msg);
    }
}

/* Audit (issue #8 item 4): tensor names and shapes decide the architecture,
 * so a small file naming 256 layers with empty tensors once made
 * pat_model_load allocate ~500x its size before the shapes were compared.
 * Now the parameter count is checked against the file's data first. */
static void model_larger_than_its_file_is_refused(struct check_ctx *c) {
    static char hdr[64 * 1024];
    const size_t E = 4096, K = 16, F = 16;
    size_t off = 0, len = 0;
    const size_t sizes[3] = {18 * E, E * K, E * F};
    const char *const names[3] = {
        "dense/dense/kernel",
        "encoder_layer_1_transformer/encoder_layer_1_attention/query/kernel",
        "encoder_layer_1_transformer/encoder_layer_1_ff1/kernel"};
    const char *const shapes[3] = {"[18,4096]", "[4096,1,16]", "[4096,16]"};
    len += (size_t)snprintf(hdr + len, sizeof hdr - len, "{");
    for (int i = 0; i < 3; i++) {
        len += (size_t)snprintf(hdr + len, sizeof hdr - len,
                                "%s\"%s\":{\"dtype\":\"F32\",\"shape\":%s,"
                                "\"data_offsets\":[%zu,%zu]}",
                                i ? "," : "", names[i], shapes[i], off, off + 4 * sizes[i]);
        off += 4 * sizes[i];
    }
    for (int l = 2; l <= 256; l++)
        len += (size_t)snprintf(hdr + len, sizeof hdr - len,
                                ",\"encoder_layer_%d_transformer/encoder_layer_%d_attention/"
                                "query/kernel\":{\"dtype\":\"F32\",\"shape\":[0],"
                                "\"data_offsets\":[%zu,%zu]}",
                                l, l, off, off);
    len += (size_t)snprintf(hdr + len, sizeof hdr - len, "}");
    if (!CHECK(c, len < sizeof hdr - 1)) return;
    size_t total = 8 + len + off;
    unsigned char *buf = calloc(1, total);
    if (!CHECK(c, buf != NULL)) return;
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(buf + 8, hdr, len);
    char path[512];
    snprintf(path, sizeof path, "%s/amplify.safetensors", check_tmp_dir());
    CHECK(c, check_write_file(path, buf, total));
    free(buf);
    struct pat_model *m = NULL;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_model_load(path, &m, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "amplify.safetensors") != NULL);
    CHECK(c, strstr(err.msg, "larger than the") != NULL);
    pat_model_free(m);
}

int main(void) {
    int failures = 0;
    RUN(xpt_variable_without_name_is_refused);
    RUN(xpt_trailing_blank_row_is_padding);
    RUN(xpt_partial_member_header_is_data);
    RUN(series_csv_nonfinite_names_line_and_column);
    RUN(model_larger_than_its_file_is_refused);
    return failures ? 1 : 0;
}
