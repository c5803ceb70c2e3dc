/* test_data_dataset.c - the .patd cache: a written dataset reads back
 * exactly (rows, labels, ids, starts, splits, folds, covariates, scalers,
 * provenance), the stored scalers equal a float64 reference, and every kind
 * of corrupt file (truncated, lying sizes, bad offsets, NaN, inconsistent
 * rows) is refused with a message naming the file, leaving nothing behind. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/dataset.h"
#include "pat.h"

#define T 36
#define ROWS 7

static void tmp_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", check_tmp_dir(), name);
}

static float value_at(size_t i, size_t j) { return (float)((i * 37 + j * 11) % 23) * 0.5f; }

/* 3 participants: a (3 rows, label 1, train), b (2 rows, label 0, val),
 * c (2 rows, unlabeled, none); 2 covariates. */
static enum pat_status write_sample(const char *path, enum pat_scaler_mode mode,
                                    struct pat_err *err) {
    static const char *const names[] = {"madrs1", "age"};
    struct pat_dsw *w;
    enum pat_status st = pat_dsw_open(path, T, 2, names, &w, err);
    if (st != PAT_OK) return st;
    static const char *const ids[] = {"a", "b", "c"};
    static const size_t first[] = {0, 3, 5, 7};
    static const float labels[] = {1.0f, 0.0f, NAN};
    float x[T];
    for (size_t p = 0; st == PAT_OK && p < 3; p++) {
        st = pat_dsw_participant(w, ids[p], err);
        for (size_t i = first[p]; st == PAT_OK && i < first[p + 1]; i++) {
            for (size_t j = 0; j < T; j++) x[j] = value_at(i, j);
            float cov[2] = {(float)p * 10.0f, p == 2 ? NAN : 30.0f};
            st = pat_dsw_row(w, x, labels[p], 1440 * (int64_t)i, T - i, cov, err);
        }
    }
    static const uint8_t split[] = {PAT_SPLIT_TRAIN, PAT_SPLIT_VAL, PAT_SPLIT_NONE};
    static const uint8_t fold[] = {1, 0, PAT_FOLD_NONE};
    struct pat_dsw_final f = {split, fold, 2, mode, 0, "source=test\nnote=a=b\n"};
    if (st != PAT_OK) {
        pat_dsw_abort(w);
        return st;
    }
    return pat_dsw_finish(w, &f, err);
}

/* Reference mean/std over rows [r0, r1) in double, ddof 0. */
static void reference(size_t r0, size_t r1, size_t j, double *mean, double *std) {
    double s = 0, q = 0;
    for (size_t i = r0; i < r1; i++) s += value_at(i, j);
    *mean = s / (double)(r1 - r0);
    for (size_t i = r0; i < r1; i++) q += (value_at(i, j) - *mean) * (value_at(i, j) - *mean);
    *std = sqrt(q / (double)(r1 - r0));
    if (*std < 1e-15) *std = 1;
}

static void round_trip(struct check_ctx *c) {
    char path[512];
    struct pat_err err = {0};
    tmp_path(path, sizeof path, "rt.patd");
    if (!CHECK_STATUS(c, write_sample(path, PAT_SCALER_TRAIN, &err), PAT_OK)) return;
    struct pat_dataset *ds;
    if (!CHECK_STATUS(c, pat_dataset_open(path, &ds, &err), PAT_OK)) return;
    CHECK(c, pat_dataset_rows(ds) == ROWS && pat_dataset_length(ds) == T);
    CHECK(c, pat_dataset_num_participants(ds) == 3 && pat_dataset_num_folds(ds) == 2);
    int same = 1;
    for (size_t i = 0; i < ROWS; i++)
        for (size_t j = 0; j < T; j++) same &= pat_dataset_row(ds, i)[j] == value_at(i, j);
    CHECK(c, same);
    CHECK(c, strcmp(pat_dataset_id(ds, 4), "b") == 0 && pat_dataset_participant(ds, 6) == 2);
    CHECK(c, pat_dataset_label(ds, 0) == 1.0f && pat_dataset_label(ds, 3) == 0.0f);
    CHECK(c, isnan(pat_dataset_label(ds, 6)));
    CHECK(c, pat_dataset_split(ds, 2) == PAT_SPLIT_TRAIN && pat_dataset_split(ds, 4) == PAT_SPLIT_VAL);
    CHECK(c, pat_dataset_split(ds, 5) == PAT_SPLIT_NONE && pat_dataset_fold(ds, 5) == PAT_FOLD_NONE);
    CHECK(c, pat_dataset_fold(ds, 1) == 1 && pat_dataset_fold(ds, 3) == 0);
    CHECK(c, pat_dataset_start(ds, 5) == 5 * 1440 && pat_dataset_valid_minutes(ds, 2) == T - 2);
    CHECK(c, pat_dataset_num_covariates(ds) == 2);
    CHECK(c, strcmp(pat_dataset_covariate_name(ds, 1), "age") == 0);
    CHECK(c, pat_dataset_covariate(ds, 4, 0) == 10.0f && isnan(pat_dataset_covariate(ds, 6, 1)));
    CHECK(c, pat_dataset_meta_get(ds, "source") && strcmp(pat_dataset_meta_get(ds, "note"), "a=b") == 0);
    const float *mean, *std;
    CHECK(c, pat_dataset_scaler_mode(ds) == PAT_SCALER_TRAIN);
    if (CHECK(c, pat_dataset_scaler(ds, PAT_SPLIT_TEST, &mean, &std))) {
        for (size_t j = 0; j < T; j++) {
            double m, s;
            reference(0, 3, j, &m, &s);
            CHECK_CLOSE(c, mean[j], m, 1e-6);
            CHECK_CLOSE(c, std[j], s, 1e-6);
        }
    }
    float m2[T], s2[T];
    unsigned char keep[ROWS] = {1, 1, 1, 0, 0, 0, 0};
    CHECK_STATUS(c, pat_dataset_fit_scaler(ds, keep, m2, s2, &err), PAT_OK);
    CHECK(c, memcmp(m2, mean, sizeof m2) == 0 && memcmp(s2, std, sizeof s2) == 0);
    pat_dataset_close(ds);
}

static void per_split_scalers(struct check_ctx *c) {
    char path[512];
    struct pat_err err = {0};
    tmp_path(path, sizeof path, "ps.patd");
    if (!CHECK_STATUS(c, write_sample(path, PAT_SCALER_PER_SPLIT, &err), PAT_OK)) return;
    struct pat_dataset *ds;
    if (!CHECK_STATUS(c, pat_dataset_open(path, &ds, &err), PAT_OK)) return;
    const float *mean, *std;
    CHECK(c, pat_dataset_scaler(ds, PAT_SPLIT_VAL, &mean, &std));
    double m, s;
    reference(3, 5, 4, &m, &s);
    CHECK_CLOSE(c, mean[4], m, 1e-6);
    CHECK_CLOSE(c, std[4], s, 1e-6);
    CHECK(c, pat_dataset_scaler(ds, PAT_SPLIT_TEST, &mean, &std)); /* empty: 0 and 1 */
    CHECK(c, mean[0] == 0.0f && std[0] == 1.0f);
    CHECK(c, !pat_dataset_scaler(ds, PAT_SPLIT_NONE, &mean, &std));
    pat_dataset_close(ds);
}

/* Number of entries of the temporary folder whose name contains sub. */
static size_t files_containing(const char *sub) {
    DIR *d = opendir(check_tmp_dir());
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, sub) != NULL;
    if (d) closedir(d);
    return n;
}

static void failed_writes_leave_nothing(struct check_ctx *c) {
    char path[512];
    struct pat_err err = {0};
    tmp_path(path, sizeof path, "fail.patd");
    struct pat_dsw *w;
    /* abort */
    if (CHECK_STATUS(c, pat_dsw_open(path, T, 0, NULL, &w, &err), PAT_OK)) pat_dsw_abort(w);
    /* no training rows for the scaler */
    if (CHECK_STATUS(c, pat_dsw_open(path, T, 0, NULL, &w, &err), PAT_OK)) {
        float x[T] = {0};
        uint8_t split = PAT_SPLIT_NONE, fold = PAT_FOLD_NONE;
        pat_dsw_participant(w, "a", &err);
        pat_dsw_row(w, x, NAN, 0, T, NULL, &err);
        struct pat_dsw_final f = {&split, &fold, 0, PAT_SCALER_TRAIN, 0, ""};
        CHECK_STATUS(c, pat_dsw_finish(w, &f, &err), PAT_ERR_USAGE);
        CHECK(c, strstr(err.msg, "no training rows") != NULL);
    }
    /* a non-finite row */
    if (CHECK_STATUS(c, pat_dsw_open(path, T, 0, NULL, &w, &err), PAT_OK)) {
        float x[T] = {0};
        x[5] = NAN;
        pat_dsw_participant(w, "a", &err);
        CHECK_STATUS(c, pat_dsw_row(w, x, 1, 0, T, NULL, &err), PAT_ERR_NUMERIC);
        CHECK_STATUS(c, pat_dsw_participant(w, "a", &err), PAT_ERR_USAGE); /* twice */
        pat_dsw_abort(w);
    }
    CHECK(c, files_containing("fail.patd") == 0);
}

/* ---- corrupt files ------------------------------------------------------- */

struct corrupt {
    const char *name;
    enum pat_status want;
    const char *msg;
};

/* Write a modified copy of good[0..len) and check it is refused. */
static void expect_refused(struct check_ctx *c, const unsigned char *bytes, size_t len,
                           const struct corrupt *k) {
    char path[512];
    tmp_path(path, sizeof path, k->name);
    check_write_file(path, bytes, len);
    struct pat_dataset *ds = NULL;
    struct pat_err err = {0};
    enum pat_status st = pat_dataset_open(path, &ds, &err);
    if (st == PAT_OK) pat_dataset_close(ds);
    if (st != k->want || !strstr(err.msg, k->name) || !strstr(err.msg, k->msg))
        check_fail(c, "%s: %s '%s', expected %s '%s'", k->name, pat_strerror(st), err.msg,
                   pat_strerror(k->want), k->msg);
}

/* Offset of section id's table entry in the file. */
static size_t entry_of(const unsigned char *b, uint32_t id) {
    uint32_t n = patd_get_u32(b + 12);
    for (uint32_t k = 0; k < n; k++)
        if (patd_get_u32(b + PATD_HEADER_SIZE + k * PATD_ENTRY_SIZE) == id)
            return PATD_HEADER_SIZE + k * PATD_ENTRY_SIZE;
    return 0;
}

static void corrupt_files_are_refused(struct check_ctx *c) {
    char path[512];
    struct pat_err err = {0};
    tmp_path(path, sizeof path, "good.patd");
    if (!CHECK_STATUS(c, write_sample(path, PAT_SCALER_TRAIN, &err), PAT_OK)) return;
    size_t len;
    unsigned char *good = check_read_file(path, &len), *b = malloc(len);
    if (!CHECK(c, good && b)) return;
    size_t ex = entry_of(good, PATD_X), lab = entry_of(good, PATD_LABEL);
    size_t part = entry_of(good, PATD_PARTICIPANT), split = entry_of(good, PATD_SPLIT);
    size_t meta = entry_of(good, PATD_META);
    size_t x_off = (size_t)patd_get_u64(good + ex + 8);
    size_t part_off = (size_t)patd_get_u64(good + part + 8);
    size_t split_off = (size_t)patd_get_u64(good + split + 8);
    size_t meta_end = (size_t)(patd_get_u64(good + meta + 8) + patd_get_u64(good + meta + 16));

    expect_refused(c, good, 40, &(struct corrupt){"short.patd", PAT_ERR_FORMAT, "too short"});
    expect_refused(c, good, len / 2,
                   &(struct corrupt){"half.patd", PAT_ERR_FORMAT, "outside the"});
    expect_refused(c, good, len - 1, &(struct corrupt){"minus1.patd", PAT_ERR_FORMAT, "META"});
    struct {
        const char *name;
        size_t at;
        uint64_t v;
        int width;
        enum pat_status want;
        const char *msg;
    } edits[] = {
        {"magic.patd", 0, 0x41, 1, PAT_ERR_FORMAT, "bad magic"},
        {"version.patd", 8, 2, 4, PAT_ERR_FORMAT, "version 2"},
        {"rows.patd", 16, ROWS + 1, 8, PAT_ERR_FORMAT, "section X has"},
        {"rowsbig.patd", 16, (uint64_t)1 << 62, 8, PAT_ERR_FORMAT, "impossible"},
        {"T.patd", 24, T / 2, 8, PAT_ERR_FORMAT, "section X has"},
        {"nsec.patd", 12, 1000, 4, PAT_ERR_FORMAT, "impossible"},
        {"xoff.patd", ex + 8, (uint64_t)len, 8, PAT_ERR_FORMAT, "outside the"},
        {"xsize.patd", ex + 16, (uint64_t)-8, 8, PAT_ERR_FORMAT, "outside the"},
        {"overlap.patd", lab + 8, x_off, 8, PAT_ERR_FORMAT, "overlap"},
        {"unaligned.patd", lab + 8, x_off + 3, 8, PAT_ERR_FORMAT, "outside the"},
        {"dupsec.patd", lab, PATD_X, 4, PAT_ERR_FORMAT, "appears twice"},
        {"part.patd", part_off + 4, 9, 4, PAT_ERR_FORMAT, "row 2: participant 9"}, /* rows from 1 */
        {"straddle.patd", split_off + 1, PAT_SPLIT_TEST, 1, PAT_ERR_FORMAT, "two splits"},
        {"nan.patd", x_off + 4 * 40, 0x7fc00000u, 4, PAT_ERR_NUMERIC, "row 2, minute 5"},
        {"meta.patd", meta_end - 1, 'x', 1, PAT_ERR_FORMAT, "META"},
        {"folds.patd", 52, 1, 4, PAT_ERR_FORMAT, "folds"},
    };
    for (size_t k = 0; k < sizeof edits / sizeof edits[0]; k++) {
        memcpy(b, good, len);
        for (int i = 0; i < edits[k].width; i++)
            b[edits[k].at + (size_t)i] = (unsigned char)(edits[k].v >> (8 * i));
        expect_refused(c, b, len,
                       &(struct corrupt){edits[k].name, edits[k].want, edits[k].msg});
    }
    free(good);
    free(b);
}

static void missing_file_is_an_io_error(struct check_ctx *c) {
    struct pat_dataset *ds;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_dataset_open("/nonexistent/x.patd", &ds, &err), PAT_ERR_IO);
    CHECK(c, strstr(err.msg, "/nonexistent/x.patd") != NULL);
    pat_dataset_close(NULL);
}

int main(void) {
    int failures = 0;
    RUN(round_trip);
    RUN(per_split_scalers);
    RUN(failed_writes_leave_nothing);
    RUN(corrupt_files_are_refused);
    RUN(missing_file_is_an_io_error);
    return failures ? 1 : 0;
}
