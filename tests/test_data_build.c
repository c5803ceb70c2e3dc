/* test_data_build.c - the whole pipeline on the 55 real Depresjon files and
 * on small synthetic inputs: rows, labels, splits, DST windows,
 * reproducibility, log1p, labels CSV, k-fold, and failures that leave no
 * output behind. Real data: $PAT_SHARED_DATA (default ../shared/data). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/build.h"
#include "data/clock.h"
#include "data/depresjon.h"
#include "data/series_csv.h"
#include "data/smooth.h"
#include "data/synth.h"
#include "pat.h"

static const char *shared_dir(void) {
    const char *d = getenv("PAT_SHARED_DATA");
    return d ? d : "../shared/data";
}

static const char *depresjon_dir(struct check_ctx *c, char *buf, size_t len) {
    char probe[600];
    snprintf(buf, len, "%s/depresjon", shared_dir());
    snprintf(probe, sizeof probe, "%s/scores.csv", buf);
    FILE *f = fopen(probe, "r");
    if (!f) {
        check_skip(c, "Depresjon data not found at %s (set PAT_SHARED_DATA)", buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

static void tmp_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", check_tmp_dir(), name);
}

/* Build a Depresjon folder into out with params p and its scores.csv. */
static enum pat_status build_depresjon(const char *dir, const char *out,
                                       const struct pat_build_params *p, struct pat_err *err) {
    char scores[600];
    struct pat_labels L;
    struct pat_build *b = NULL;
    size_t n;
    snprintf(scores, sizeof scores, "%s/scores.csv", dir);
    pat_labels_init(&L);
    enum pat_status st = pat_labels_read_depresjon(scores, &L, err);
    if (st == PAT_OK) st = pat_build_begin(out, p, &L, &b, err);
    if (st == PAT_OK) st = pat_depresjon_read(dir, &p->rules, pat_build_series_fn, b, &n, err);
    if (st == PAT_OK) st = pat_build_finish(b, "source=test\n", err);
    pat_build_free(b);
    pat_labels_free(&L);
    return st;
}

static int is_dst_file(const char *id) {
    return !strcmp(id, "control_1") || !strcmp(id, "control_6") || !strcmp(id, "control_7") ||
           !strcmp(id, "control_31") || !strcmp(id, "control_32");
}

/* Per-row facts of a Depresjon dataset built with the defaults. */
static void check_depresjon_rows(struct check_ctx *c, const struct pat_dataset *ds) {
    size_t per_split_class[4][2] = {{0}}, dst_windows = 0;
    long long dst_day = pat_civil_minutes(2003, 3, 30, 0, 0);
    for (size_t i = 0; i < pat_dataset_rows(ds); i++) {
        const char *id = pat_dataset_id(ds, i);
        float y = pat_dataset_label(ds, i);
        long long s = pat_dataset_start(ds, i);
        CHECK(c, y == (strncmp(id, "condition", 9) == 0 ? 1.0f : 0.0f));
        CHECK(c, s % 1440 == 0);
        per_split_class[pat_dataset_split(ds, i)][y == 1.0f]++;
        int has_dst = is_dst_file(id) && s <= dst_day && dst_day < s + 10080;
        dst_windows += has_dst;
        CHECK(c, pat_dataset_valid_minutes(ds, i) == (has_dst ? 10020u : 10080u));
    }
    CHECK(c, dst_windows == 5);
    for (int s = 0; s < 3; s++) CHECK(c, per_split_class[s][0] > 0 && per_split_class[s][1] > 0);
    CHECK(c, per_split_class[PAT_SPLIT_NONE][0] + per_split_class[PAT_SPLIT_NONE][1] == 0);
}

static void depresjon_end_to_end(struct check_ctx *c) {
    char dir[512], out[512];
    if (!depresjon_dir(c, dir, sizeof dir)) return;
    tmp_path(out, sizeof out, "dep.patd");
    struct pat_build_params p = pat_build_default_params();
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, build_depresjon(dir, out, &p, &err), PAT_OK)) return;
    struct pat_dataset *ds;
    if (!CHECK_STATUS(c, pat_dataset_open(out, &ds, &err), PAT_OK)) return;
    CHECK(c, pat_dataset_rows(ds) == 137 && pat_dataset_length(ds) == 10080);
    CHECK(c, pat_dataset_num_participants(ds) == 55 && pat_dataset_num_covariates(ds) == 11);
    CHECK(c, pat_dataset_scaler_mode(ds) == PAT_SCALER_TRAIN);
    check_depresjon_rows(c, ds);
    const char *t = pat_dataset_meta_get(ds, "transform");
    CHECK(c, t && strcmp(t, "none") == 0);
    CHECK(c, pat_dataset_meta_get(ds, "source") && pat_dataset_meta_get(ds, "pat_version"));
    pat_dataset_close(ds);
}

static void depresjon_build_is_reproducible(struct check_ctx *c) {
    char dir[512], a[512], b[512], d[512];
    if (!depresjon_dir(c, dir, sizeof dir)) return;
    tmp_path(a, sizeof a, "rep_a.patd");
    tmp_path(b, sizeof b, "rep_b.patd");
    tmp_path(d, sizeof d, "rep_d.patd");
    struct pat_build_params p = pat_build_default_params();
    struct pat_err err = {0};
    CHECK_STATUS(c, build_depresjon(dir, a, &p, &err), PAT_OK);
    CHECK_STATUS(c, build_depresjon(dir, b, &p, &err), PAT_OK);
    p.split.seed = 1234;
    CHECK_STATUS(c, build_depresjon(dir, d, &p, &err), PAT_OK);
    size_t la, lb, ld;
    unsigned char *x = check_read_file(a, &la), *y = check_read_file(b, &lb);
    unsigned char *z = check_read_file(d, &ld);
    CHECK(c, x && y && z && la == lb && memcmp(x, y, la) == 0);
    CHECK(c, z && (la != ld || memcmp(x, z, la) != 0)); /* another seed: other splits */
    free(x);
    free(y);
    free(z);
}

static void log1p_transform(struct check_ctx *c) {
    char dir[512], a[512], b[512];
    if (!depresjon_dir(c, dir, sizeof dir)) return;
    tmp_path(a, sizeof a, "lin.patd");
    tmp_path(b, sizeof b, "log.patd");
    struct pat_build_params p = pat_build_default_params();
    struct pat_err err = {0};
    p.weeks.max_windows = 1;
    CHECK_STATUS(c, build_depresjon(dir, a, &p, &err), PAT_OK);
    p.log1p = 1;
    p.scaler = PAT_SCALER_PER_SPLIT;
    CHECK_STATUS(c, build_depresjon(dir, b, &p, &err), PAT_OK);
    struct pat_dataset *x, *y;
    if (!CHECK_STATUS(c, pat_dataset_open(a, &x, &err), PAT_OK)) return;
    if (CHECK_STATUS(c, pat_dataset_open(b, &y, &err), PAT_OK)) {
        CHECK(c, pat_dataset_rows(x) == 55 && pat_dataset_rows(y) == 55);
        int same = 1;
        for (size_t j = 0; j < 10080; j++)
            same &= fabsf(pat_dataset_row(y, 7)[j] - log1pf(pat_dataset_row(x, 7)[j])) < 1e-6f;
        CHECK(c, same);
        CHECK(c, strcmp(pat_dataset_meta_get(y, "transform"), "log1p") == 0);
        CHECK(c, pat_dataset_scaler_mode(y) == PAT_SCALER_PER_SPLIT);
        pat_dataset_close(y);
    }
    pat_dataset_close(x);
}

/* ---- small synthetic inputs ---------------------------------------------- */

/* Write tmp/name: a "values" CSV of n minutes starting at midnight. */
static void values_csv(char *path, size_t len, const char *name, size_t n, float scale) {
    tmp_path(path, len, name);
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (size_t i = 0; i < n; i++) fprintf(f, "%g\n", (double)(scale * (float)(i % 97)));
    fclose(f);
}

/* Entries of the temporary folder whose names contain sub. */
static size_t files_containing(const char *sub) {
    DIR *d = opendir(check_tmp_dir());
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, sub) != NULL;
    if (d) closedir(d);
    return n;
}

/* Build values CSVs with labels into out. */
static enum pat_status build_csvs(const char *const *paths, size_t n, const char *labels,
                                  const struct pat_build_params *p, const char *out,
                                  struct pat_err *err) {
    struct pat_labels L;
    struct pat_build *b = NULL;
    struct pat_csv_series_params cp = {PAT_LAYOUT_VALUES, 0, p->rules};
    size_t count;
    pat_labels_init(&L);
    enum pat_status st = labels ? pat_labels_read_csv(labels, &L, err) : PAT_OK;
    if (st == PAT_OK) st = pat_build_begin(out, p, &L, &b, err);
    if (st == PAT_OK) st = pat_csv_files_read(paths, n, &cp, pat_build_series_fn, b, &count, err);
    if (st == PAT_OK) st = pat_build_finish(b, "", err);
    pat_build_free(b);
    pat_labels_free(&L);
    return st;
}

static void labels_csv_and_kfold(struct check_ctx *c) {
    char names[12][600], lab[600], out[600];
    const char *paths[12];
    for (size_t i = 0; i < 12; i++) {
        char n[32];
        snprintf(n, sizeof n, "s%02zu.csv", i);
        values_csv(names[i], sizeof names[i], n, 2 * 1440 + i, 1.0f + (float)i);
        paths[i] = names[i];
    }
    tmp_path(lab, sizeof lab, "labels.csv");
    FILE *f = fopen(lab, "w");
    if (!CHECK(c, f != NULL)) return;
    fputs("id,label,score\n", f);
    for (size_t i = 0; i < 11; i++) fprintf(f, "s%02zu,%d,%zu\n", i, (int)(i % 2), i * 3);
    fclose(f); /* s11 has no label */
    tmp_path(out, sizeof out, "k.patd");
    struct pat_build_params p = pat_build_default_params();
    p.weeks.length = 1440;
    p.split.val = 0;
    p.split.test = 0;
    p.split.folds = 3;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, build_csvs(paths, 12, lab, &p, out, &err), PAT_OK)) return;
    struct pat_dataset *ds;
    if (!CHECK_STATUS(c, pat_dataset_open(out, &ds, &err), PAT_OK)) return;
    CHECK(c, pat_dataset_rows(ds) == 24 && pat_dataset_num_folds(ds) == 3);
    size_t per_fold[3] = {0};
    for (size_t i = 0; i < pat_dataset_rows(ds); i++) {
        unsigned fold = pat_dataset_fold(ds, i);
        if (strcmp(pat_dataset_id(ds, i), "s11") == 0) {
            CHECK(c, isnan(pat_dataset_label(ds, i)) && fold == PAT_FOLD_NONE);
            CHECK(c, pat_dataset_split(ds, i) == PAT_SPLIT_NONE);
        } else if (CHECK(c, fold < 3)) {
            per_fold[fold]++;
            CHECK(c, pat_dataset_covariate(ds, i, 0) ==
                         3.0f * (float)atoi(pat_dataset_id(ds, i) + 1));
        }
    }
    /* 6 of label 0 dealt to folds 0,1,2,0,1,2, then 5 of label 1 to 0,1,2,0,1 */
    CHECK(c, per_fold[0] == 8 && per_fold[1] == 8 && per_fold[2] == 6);
    pat_dataset_close(ds);
    /* dropping the unlabeled participant */
    p.drop_unlabeled = 1;
    CHECK_STATUS(c, build_csvs(paths, 12, lab, &p, out, &err), PAT_OK);
    if (CHECK_STATUS(c, pat_dataset_open(out, &ds, &err), PAT_OK)) {
        CHECK(c, pat_dataset_rows(ds) == 22 && pat_dataset_num_participants(ds) == 11);
        pat_dataset_close(ds);
    }
}

static void no_window_leaves_no_output(struct check_ctx *c) {
    char a[600], out[600];
    values_csv(a, sizeof a, "short.csv", 5000, 1.0f);
    tmp_path(out, sizeof out, "none.patd");
    const char *paths[] = {a};
    struct pat_build_params p = pat_build_default_params();
    struct pat_err err = {0};
    CHECK_STATUS(c, build_csvs(paths, 1, NULL, &p, out, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "no window was accepted from 1 participant") != NULL);
    CHECK(c, files_containing("none.patd") == 0);
    /* a bad line in the second file: refused, naming it, nothing left */
    char b[600];
    tmp_path(b, sizeof b, "badline.csv");
    check_write_file(b, "1\n2\nx3\n", 7);
    const char *two[] = {a, b};
    p.weeks.length = 1440;
    CHECK_STATUS(c, build_csvs(two, 2, NULL, &p, out, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "badline.csv:3:") != NULL);
    CHECK(c, files_containing("none.patd") == 0);
}

/* --smooth: each stored row is the Savitzky-Golay filter of the raw row. */
static void smoothing_is_applied_per_window(struct check_ctx *c) {
    char a[600], raw[600], sm[600];
    values_csv(a, sizeof a, "smooth_in.csv", 2 * 1440, 3.0f);
    tmp_path(raw, sizeof raw, "raw.patd");
    tmp_path(sm, sizeof sm, "sm.patd");
    const char *paths[] = {a};
    struct pat_build_params p = pat_build_default_params();
    struct pat_err err = {0};
    p.weeks.length = 1440;
    p.scaler = PAT_SCALER_NONE;
    CHECK_STATUS(c, build_csvs(paths, 1, NULL, &p, raw, &err), PAT_OK);
    p.smooth_window = 51;
    p.smooth_order = 3;
    CHECK_STATUS(c, build_csvs(paths, 1, NULL, &p, sm, &err), PAT_OK);
    struct pat_dataset *x, *y;
    if (!CHECK_STATUS(c, pat_dataset_open(raw, &x, &err), PAT_OK)) return;
    if (CHECK_STATUS(c, pat_dataset_open(sm, &y, &err), PAT_OK)) {
        float want[1440];
        CHECK_STATUS(c, pat_savgol(want, pat_dataset_row(x, 1), 1440, 51, 3, &err), PAT_OK);
        CHECK(c, memcmp(want, pat_dataset_row(y, 1), sizeof want) == 0);
        CHECK(c, strcmp(pat_dataset_meta_get(y, "smooth"), "savgol window 51 order 3") == 0);
        pat_dataset_close(y);
    }
    pat_dataset_close(x);
}

/* The report records every rejected window with its reason. */
static void rejections_are_reported(struct check_ctx *c) {
    char a[600];
    tmp_path(a, sizeof a, "zeros.csv"); /* 3 days; 16 h of zeros on day 2 */
    FILE *f = fopen(a, "w");
    if (!CHECK(c, f != NULL)) return;
    for (size_t i = 0; i < 3 * 1440; i++) fprintf(f, "%d\n", i >= 1440 && i < 2400 ? 0 : 5);
    fclose(f);
    struct pat_build_params p = pat_build_default_params();
    p.weeks.length = 1440;
    p.zero_run = 120;
    struct pat_build *b;
    struct pat_err err = {0};
    struct pat_csv_series_params cp = {PAT_LAYOUT_VALUES, 0, p.rules};
    const char *paths[] = {a};
    size_t n;
    if (!CHECK_STATUS(c, pat_build_begin(NULL, &p, NULL, &b, &err), PAT_OK)) return;
    CHECK_STATUS(c, pat_csv_files_read(paths, 1, &cp, pat_build_series_fn, b, &n, &err), PAT_OK);
    const struct pat_build_report *r = pat_build_report(b);
    CHECK(c, r->np == 1 && r->rows == 2 && r->nr == 1);
    CHECK(c, r->p[0].stats.nonwear == 960 && r->p[0].valid_days == 2);
    if (r->nr == 1) {
        CHECK(c, r->r[0].start == 1440);
        CHECK(c, strcmp(r->r[0].reason, "0 of 1 days have >= 600 valid minutes, 1 needed") == 0);
    }
    pat_build_free(b);
}

int main(void) {
    int failures = 0;
    RUN(depresjon_end_to_end);
    RUN(depresjon_build_is_reproducible);
    RUN(log1p_transform);
    RUN(labels_csv_and_kfold);
    RUN(no_window_leaves_no_output);
    RUN(smoothing_is_applied_per_window);
    RUN(rejections_are_reported);
    return failures ? 1 : 0;
}
