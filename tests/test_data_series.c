/* test_data_series.c - CSV series readers: the 55 real Depresjon files
 * (row counts and DST gaps as their README states), scores.csv, and the
 * gap / duplicate / DST / refusal rules on small synthetic files.
 *
 * Real data are read from $PAT_SHARED_DATA (default ../shared/data); cases
 * that need them SKIP when it is absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/clock.h"
#include "data/depresjon.h"
#include "data/labels.h"
#include "data/series_csv.h"
#include "pat.h"

/* ---- helpers ------------------------------------------------------------- */

static const char *shared_dir(void) {
    const char *d = getenv("PAT_SHARED_DATA");
    return d ? d : "../shared/data";
}

/* Path of the Depresjon folder, or NULL (case skipped) when absent. */
static const char *depresjon_dir(struct check_ctx *c, char *buf, size_t len) {
    snprintf(buf, len, "%s/depresjon", shared_dir());
    char probe[600];
    snprintf(probe, sizeof probe, "%s/scores.csv", buf);
    FILE *f = fopen(probe, "r");
    if (!f) {
        check_skip(c, "Depresjon data not found at %s (set PAT_SHARED_DATA)", buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

static void write_tmp(char *path, size_t len, const char *name, const char *text) {
    snprintf(path, len, "%s/%s", check_tmp_dir(), name);
    check_write_file(path, text, strlen(text));
}

/* Read text as a CSV series with the given layout and duplicate rule. */
static enum pat_status read_text(const char *name, const char *text, enum pat_csv_layout layout,
                                 enum pat_dup_rule dup, struct pat_series *s,
                                 struct pat_err *err) {
    char path[512];
    write_tmp(path, sizeof path, name, text);
    struct pat_csv_series_params p = {layout, 0, pat_series_default_rules()};
    p.rules.dup = dup;
    return pat_series_read_csv(path, "x", &p, s, err);
}

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* ---- Depresjon ----------------------------------------------------------- */

/* Row counts from /work/shared/data/depresjon/README.md "Per-file row counts". */
static const struct {
    const char *id;
    size_t rows;
} readme_rows[55] = {
    {"condition_1", 23244}, {"condition_2", 38926}, {"condition_3", 21648},
    {"condition_4", 21556}, {"condition_5", 21493}, {"condition_6", 21433},
    {"condition_7", 22175}, {"condition_8", 19299}, {"condition_9", 20318},
    {"condition_10", 21555}, {"condition_11", 22990}, {"condition_12", 22147},
    {"condition_13", 25910}, {"condition_14", 21646}, {"condition_15", 21829},
    {"condition_16", 41847}, {"condition_17", 21531}, {"condition_18", 21347},
    {"condition_19", 21231}, {"condition_20", 25847}, {"condition_21", 20487},
    {"condition_22", 21772}, {"condition_23", 31485}, {"control_1", 51611},
    {"control_2", 31473}, {"control_3", 65407}, {"control_4", 31455},
    {"control_5", 47133}, {"control_6", 51589}, {"control_7", 51490},
    {"control_8", 28918}, {"control_9", 29038}, {"control_10", 21655},
    {"control_11", 24772}, {"control_12", 34637}, {"control_13", 22257},
    {"control_14", 22259}, {"control_15", 22263}, {"control_16", 24553},
    {"control_17", 28905}, {"control_18", 24614}, {"control_19", 27609},
    {"control_20", 31891}, {"control_21", 31936}, {"control_22", 21688},
    {"control_23", 21694}, {"control_24", 21824}, {"control_25", 21818},
    {"control_26", 33365}, {"control_27", 20490}, {"control_28", 24536},
    {"control_29", 24433}, {"control_30", 21669}, {"control_31", 51389},
    {"control_32", 51619}};

/* The README's DST files: 2003-03-30 01:59 -> 03:00. */
static int is_dst_file(const char *id) {
    static const char *const dst[] = {"control_1", "control_6", "control_7", "control_31",
                                      "control_32"};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(id, dst[i]) == 0) return 1;
    return 0;
}

struct seen {
    struct check_ctx *c;
    size_t n, total;
};

static enum pat_status check_file(void *ctx, struct pat_series *s, struct pat_err *err) {
    struct seen *v = ctx;
    struct check_ctx *c = v->c;
    (void)err;
    if (v->n >= 55 || strcmp(s->id, readme_rows[v->n].id) != 0) {
        check_fail(c, "participant %zu is %s, expected %s", v->n, s->id,
                   v->n < 55 ? readme_rows[v->n].id : "none");
        return PAT_OK;
    }
    if (s->stats.rows != readme_rows[v->n].rows)
        check_fail(c, "%s: %zu rows, README says %zu", s->id, s->stats.rows,
                   readme_rows[v->n].rows);
    CHECK(c, s->label == (strncmp(s->id, "condition", 9) == 0 ? 1.0f : 0.0f));
    size_t dst = is_dst_file(s->id) ? 60 : 0;
    if (s->stats.dst_gap_minutes != dst || s->stats.gaps || s->stats.duplicates ||
        s->stats.dst_repeats || s->n != s->stats.rows + dst)
        check_fail(c, "%s: dst gap %zu (want %zu), gaps %zu, duplicates %zu, span %zu", s->id,
                   s->stats.dst_gap_minutes, dst, s->stats.gaps, s->stats.duplicates, s->n);
    v->n++;
    v->total += s->stats.rows;
    return PAT_OK;
}

static void depresjon_all_files_parse_with_readme_row_counts(struct check_ctx *c) {
    char dir[512];
    if (!depresjon_dir(c, dir, sizeof dir)) return;
    struct seen v = {c, 0, 0};
    struct pat_err err = {0};
    size_t count = 0;
    struct pat_series_rules r = pat_series_default_rules();
    CHECK_STATUS(c, pat_depresjon_read(dir, &r, check_file, &v, &count, &err), PAT_OK);
    CHECK(c, count == 55 && v.n == 55);
    CHECK(c, v.total == 1571706);
}

/* control_1: the 60 minutes 02:00..02:59 of 2003-03-30 are missing, the
 * rows on either side are 01:59 and 03:00, and nothing after is shifted. */
static void depresjon_dst_gap_is_missing_not_shifted(struct check_ctx *c) {
    char dir[512], path[600];
    if (!depresjon_dir(c, dir, sizeof dir)) return;
    snprintf(path, sizeof path, "%s/control/control_1.csv", dir);
    struct pat_csv_series_params p = {PAT_LAYOUT_AUTO, 0, pat_series_default_rules()};
    struct pat_series s;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, pat_series_read_csv(path, "control_1", &p, &s, &err), PAT_OK)) return;
    CHECK(c, s.start == pat_civil_minutes(2003, 3, 18, 15, 0));
    size_t gap = (size_t)(pat_civil_minutes(2003, 3, 30, 2, 0) - s.start);
    CHECK(c, s.state[gap - 1] == PAT_MIN_VALID);
    for (size_t k = 0; k < 60; k++) CHECK(c, s.state[gap + k] == PAT_MIN_MISSING);
    CHECK(c, isnan(s.value[gap]));
    CHECK(c, s.state[gap + 60] == PAT_MIN_VALID);
    /* the last row keeps its wall-clock time: 2003-04-23 12:10 */
    CHECK(c, s.start + (int64_t)s.n - 1 == pat_civil_minutes(2003, 4, 23, 12, 10));
    CHECK(c, s.stats.dst_gaps == 1 && s.stats.dst_gap_minutes == 60);
    pat_series_free(&s);
}

static void depresjon_scores_are_labels_and_covariates(struct check_ctx *c) {
    char dir[512], path[600];
    if (!depresjon_dir(c, dir, sizeof dir)) return;
    snprintf(path, sizeof path, "%s/scores.csv", dir);
    struct pat_labels L;
    struct pat_err err = {0};
    pat_labels_init(&L);
    CHECK_STATUS(c, pat_labels_read_depresjon(path, &L, &err), PAT_OK);
    CHECK(c, L.ids.n == 55);
    size_t m1 = (size_t)-1, m2 = (size_t)-1, age = (size_t)-1;
    for (size_t j = 0; j < L.C; j++) {
        if (strcmp(L.cov_names[j], "madrs1") == 0) m1 = j;
        if (strcmp(L.cov_names[j], "madrs2") == 0) m2 = j;
        if (strcmp(L.cov_names[j], "age") == 0) age = j;
    }
    size_t r1 = pat_labels_find(&L, "condition_1"), r2 = pat_labels_find(&L, "control_5");
    if (CHECK(c, m1 < L.C && m2 < L.C && age < L.C && r1 != PAT_ID_NONE && r2 != PAT_ID_NONE)) {
        CHECK(c, L.label[r1] == 1.0f && L.label[r2] == 0.0f);
        CHECK(c, L.cov[m1][r1] == 19.0f && L.cov[m2][r1] == 19.0f);
        CHECK(c, L.cov[age][r1] == 35.0f); /* band 35-39 -> 35 */
        CHECK(c, isnan(L.cov[m1][r2]) && isnan(L.cov[m2][r2]));
    }
    pat_labels_free(&L);
}

/* ---- synthetic files: gaps, duplicates, DST, refusals -------------------- */

static void gap_becomes_missing_minutes(struct check_ctx *c) {
    struct pat_series s;
    struct pat_err err = {0};
    const char *text = "timestamp,value\n2020-01-01 00:00,1\n2020-01-01 00:01,2\n"
                       "2020-01-01 00:05,3\n2020-01-01 00:06,NA\n";
    if (!CHECK_STATUS(c, read_text("gap.csv", text, PAT_LAYOUT_AUTO, PAT_DUP_ERROR, &s, &err),
                      PAT_OK))
        return;
    CHECK(c, s.n == 7 && s.stats.gaps == 1 && s.stats.gap_minutes == 3);
    CHECK(c, s.state[2] == PAT_MIN_MISSING && s.state[4] == PAT_MIN_MISSING);
    CHECK(c, s.value[5] == 3.0f && s.state[6] == PAT_MIN_MISSING && s.stats.na_values == 1);
    CHECK(c, pat_series_valid(&s) == 3);
    pat_series_free(&s);
}

static void duplicate_is_refused_by_default_naming_the_line(struct check_ctx *c) {
    struct pat_series s;
    struct pat_err err = {0};
    const char *text = "2020-01-01 00:00,1\n2020-01-01 00:01,2\n2020-01-01 00:01,5\n";
    CHECK_STATUS(c, read_text("dup.csv", text, PAT_LAYOUT_TIMESTAMP, PAT_DUP_ERROR, &s, &err),
                 PAT_ERR_FORMAT);
    CHECK(c, contains(err.msg, "dup.csv:3:") && contains(err.msg, "duplicate"));
}

static void duplicate_rules_first_and_last(struct check_ctx *c) {
    struct pat_series s;
    struct pat_err err = {0};
    const char *text = "2020-01-01 00:00,1\n2020-01-01 00:01,2\n2020-01-01 00:01,5\n";
    if (CHECK_STATUS(c, read_text("d1.csv", text, PAT_LAYOUT_TIMESTAMP, PAT_DUP_FIRST, &s, &err),
                     PAT_OK)) {
        CHECK(c, s.n == 2 && s.value[1] == 2.0f && s.stats.duplicates == 1);
        pat_series_free(&s);
    }
    if (CHECK_STATUS(c, read_text("d2.csv", text, PAT_LAYOUT_TIMESTAMP, PAT_DUP_LAST, &s, &err),
                     PAT_OK)) {
        CHECK(c, s.n == 2 && s.value[1] == 5.0f && s.stats.duplicates == 1);
        pat_series_free(&s);
    }
}

static void unsorted_rows_are_refused(struct check_ctx *c) {
    struct pat_series s;
    struct pat_err err = {0};
    const char *text = "2020-01-01 00:00,1\n2020-01-01 00:05,2\n2020-01-01 00:03,5\n";
    CHECK_STATUS(c, read_text("uns.csv", text, PAT_LAYOUT_TIMESTAMP, PAT_DUP_FIRST, &s, &err),
                 PAT_ERR_FORMAT);
    CHECK(c, contains(err.msg, "uns.csv:3:") && contains(err.msg, "time order"));
}

/* Autumn: 02:00..02:59 occurs twice (CEST then CET). The second pass is
 * dropped and counted; the series continues at 03:00 without a gap. */
static void dst_repeated_hour_keeps_the_first(struct check_ctx *c) {
    char text[200000];
    size_t len = 0;
    len += (size_t)snprintf(text + len, sizeof text - len, "timestamp,date,activity\n");
    for (int pass = 0; pass < 2; pass++)
        for (int m = (pass ? 120 : 60); m < 180; m++)
            len += (size_t)snprintf(text + len, sizeof text - len,
                                    "2003-10-26 %02d:%02d:00,2003-10-26,%d\n", m / 60, m % 60,
                                    pass ? 7 : 1);
    for (int m = 180; m < 185; m++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "2003-10-26 %02d:%02d:00,2003-10-26,2\n", m / 60, m % 60);
    struct pat_series s;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, read_text("fall.csv", text, PAT_LAYOUT_DEPRESJON, PAT_DUP_ERROR, &s, &err),
                      PAT_OK))
        return;
    CHECK(c, s.stats.dst_repeats == 1 && s.stats.dst_repeat_rows == 60);
    CHECK(c, s.n == 125 && s.stats.gaps == 0 && s.stats.rows == 185);
    CHECK(c, s.value[70] == 1.0f && s.value[122] == 2.0f);
    pat_series_free(&s);
}

static void bad_lines_are_refused_naming_file_and_line(struct check_ctx *c) {
    static const struct {
        const char *text;
        enum pat_status st;
        const char *msg;
    } cases[] = {
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,1\n2003-05-07 12:01:00,"
         "2003-05-08,2\n", PAT_ERR_FORMAT, ":3: date does not match"},
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,nan\n", PAT_ERR_NUMERIC,
         ":2: value is not a finite number"},
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,abc\n", PAT_ERR_FORMAT,
         ":2: value is not a number"},
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07\n", PAT_ERR_FORMAT,
         ":2: 2 fields, expected 3"},
        {"timestamp,date,activity\n2003-02-30 12:00:00,2003-02-30,1\n", PAT_ERR_FORMAT,
         ":2: not a timestamp"},
        {"timestamp,date,activity\n2003-05-07 12:00:30,2003-05-07,1\n", PAT_ERR_FORMAT,
         ":2: timestamp is not on a whole minute"},
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,-4\n", PAT_ERR_FORMAT,
         ":2: negative activity"},
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,NA\n", PAT_ERR_FORMAT,
         ":2: missing value"},
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,1\n\n2003-05-07 12:01:00,"
         "2003-05-07,1\n", PAT_ERR_FORMAT, ":3: line is empty"},
        {"time,act\n", PAT_ERR_FORMAT, "no data rows"},
        {"timestamp,date,activity\n2003-05-07 12:00:00,2003-05-07,1\n2003-06-20 12:00:00,"
         "2003-06-20,1\n", PAT_ERR_FORMAT, ":3: gap of"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pat_series s;
        struct pat_err err = {0};
        char name[32];
        snprintf(name, sizeof name, "bad%zu.csv", i);
        enum pat_status st = read_text(name, cases[i].text, PAT_LAYOUT_AUTO, PAT_DUP_ERROR, &s,
                                       &err);
        if (st == PAT_OK) pat_series_free(&s);
        if (st != cases[i].st || !contains(err.msg, name) || !contains(err.msg, cases[i].msg))
            check_fail(c, "case %zu: status %s, message '%s', expected '%s'", i,
                       pat_strerror(st), err.msg, cases[i].msg);
    }
}

static void values_layout_with_header_and_na(struct check_ctx *c) {
    struct pat_series s;
    struct pat_err err = {0};
    CHECK_STATUS(c, read_text("vals.csv", "activity\n3\n\nNA\n", PAT_LAYOUT_AUTO,
                              PAT_DUP_ERROR, &s, &err), PAT_ERR_FORMAT);
    if (!CHECK_STATUS(c, read_text("vals2.csv", "activity\n3\nNA\n4.5\n", PAT_LAYOUT_AUTO,
                                   PAT_DUP_ERROR, &s, &err), PAT_OK))
        return;
    CHECK(c, s.n == 3 && s.start == 0 && s.value[2] == 4.5f && s.state[1] == PAT_MIN_MISSING);
    pat_series_free(&s);
}

static void zero_runs_become_nonwear(struct check_ctx *c) {
    struct pat_series s;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, read_text("z.csv", "1\n0\n0\n0\n2\n0\n0\n5\n", PAT_LAYOUT_VALUES,
                                   PAT_DUP_ERROR, &s, &err), PAT_OK))
        return;
    CHECK(c, pat_series_mark_zero_runs(&s, 3) == 3);
    CHECK(c, s.state[1] == PAT_MIN_NONWEAR && s.state[3] == PAT_MIN_NONWEAR);
    CHECK(c, s.state[5] == PAT_MIN_VALID && pat_series_valid(&s) == 5);
    pat_series_free(&s);
}

static void clock_round_trips(struct check_ctx *c) {
    char buf[PAT_TIME_LEN];
    int64_t t = pat_civil_minutes(2003, 3, 30, 1, 59);
    pat_time_format(t, buf);
    CHECK(c, strcmp(buf, "2003-03-30 01:59") == 0);
    CHECK(c, pat_civil_minutes(1970, 1, 1, 0, 0) == 0);
    CHECK(c, pat_civil_minutes(2000, 3, 1, 0, 0) - pat_civil_minutes(2000, 2, 28, 0, 0) ==
                 2 * 1440); /* 2000 is a leap year */
    pat_time_format(-1, buf);
    CHECK(c, strcmp(buf, "1969-12-31 23:59") == 0);
    int64_t m;
    int sec;
    CHECK(c, !pat_parse_timestamp("2001-02-29 00:00", 16, &m, &sec));
    CHECK(c, pat_parse_timestamp("2004-02-29T23:59:00", 19, &m, &sec) && sec == 0);
}

int main(void) {
    int failures = 0;
    RUN(depresjon_all_files_parse_with_readme_row_counts);
    RUN(depresjon_dst_gap_is_missing_not_shifted);
    RUN(depresjon_scores_are_labels_and_covariates);
    RUN(gap_becomes_missing_minutes);
    RUN(duplicate_is_refused_by_default_naming_the_line);
    RUN(duplicate_rules_first_and_last);
    RUN(unsorted_rows_are_refused);
    RUN(dst_repeated_hour_keeps_the_first);
    RUN(bad_lines_are_refused_naming_file_and_line);
    RUN(values_layout_with_header_and_na);
    RUN(zero_runs_become_nonwear);
    RUN(clock_round_trips);
    return failures ? 1 : 0;
}
