/* test_hardening_nhanes.c - NHANES and label regressions of issue 12:
 * PAXMIN files written here (libreadstat) with one planted defect each:
 * a PAXSSNMP that is not a minute start, rows out of order, a mislabelled
 * day 2 (the week shifted silently), a missing day 2 (must still read
 * with the right clock); a DPQ file with a SEQN twice; a directory given
 * as a table. Cases skip without libreadstat. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "data/labels.h"
#include "data/nhanes.h"
#include "data/series.h"
#include "io/xpt.h"
#include "pat.h"

static int need_readstat(struct check_ctx *c) {
    if (pat_have_readstat()) return 1;
    check_skip(c, "built without libreadstat (apt-get install libreadstat-dev)");
    return 0;
}

/* One PAXMIN row per minute of one participant (SEQN 100), 3 days from
 * 08:00: day d covers its clock day. Then `plant` edits rows. */
struct paxmin_plan {
    size_t n;                 /* minutes */
    double (*rows)[6];        /* SEQN PAXDAYM PAXSSNMP PAXMTSM PAXPREDM PAXQFM */
};

static int plan_rows(struct paxmin_plan *p) {
    p->n = 3 * 1440 - 480;
    p->rows = calloc(p->n, sizeof *p->rows);
    if (!p->rows) return 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t clock = 480 + i;
        double *r = p->rows[i];
        r[0] = 100, r[1] = (double)(clock / 1440 + 1), r[2] = (double)i * 4800;
        r[3] = (double)(i % 37), r[4] = 1, r[5] = 0;
    }
    return 1;
}

static int write_paxmin(const char *path, const struct paxmin_plan *p) {
    static const char *const names[] = {"SEQN", "PAXDAYM", "PAXSSNMP", "PAXMTSM", "PAXPREDM", "PAXQFM"};
    struct pat_xpt_writer *w;
    struct pat_err err;
    if (pat_xpt_create(path, "PAXMIN_H", names, 6, p->n, &w, &err) != PAT_OK) return 0;
    for (size_t i = 0; i < p->n; i++)
        if (pat_xpt_write_row(w, p->rows[i], &err) != PAT_OK) {
            pat_xpt_abort(w);
            return 0;
        }
    return pat_xpt_close(w, &err) == PAT_OK;
}

static enum pat_status keep_start(void *ctx, struct pat_series *s, struct pat_err *err) {
    (void)err;
    *(int64_t *)ctx = s->start;
    return PAT_OK;
}

/* Read path; returns the status, the message in err, the start in *start. */
static enum pat_status read_paxmin(const char *path, int64_t *start, struct pat_err *err) {
    struct pat_nhanes_params np = pat_nhanes_default_params();
    struct pat_series_rules r = pat_series_default_rules();
    size_t n;
    *start = -1;
    return pat_nhanes_read_paxmin(path, &np, &r, keep_start, start, &n, err);
}

/* Write the plan with `edit` applied and read it back. */
static enum pat_status run_plan(struct check_ctx *c, const char *name,
                                void (*edit)(struct paxmin_plan *), int64_t *start,
                                struct pat_err *err) {
    char path[512];
    struct paxmin_plan p;
    snprintf(path, sizeof path, "%s/%s.xpt", check_tmp_dir(), name);
    if (!CHECK(c, plan_rows(&p))) return PAT_ERR_NOMEM;
    if (edit) edit(&p);
    int ok = write_paxmin(path, &p);
    free(p.rows);
    if (!CHECK(c, ok)) return PAT_ERR_IO;
    return read_paxmin(path, start, err);
}

static void control(struct paxmin_plan *p) { (void)p; }

/* The control: the clock comes out at 08:00. */
static void paxmin_control_reads_with_its_clock(struct check_ctx *c) {
    int64_t start;
    struct pat_err err = {0};
    if (!need_readstat(c)) return;
    if (CHECK_STATUS(c, run_plan(c, "control", control, &start, &err), PAT_OK))
        CHECK(c, start == 480);
}

static void ssn_not_minute(struct paxmin_plan *p) { p->rows[2][2] += 1; }

static void paxssnmp_not_a_multiple_of_4800_refused(struct check_ctx *c) {
    int64_t start;
    struct pat_err err = {0};
    if (!need_readstat(c)) return;
    CHECK_STATUS(c, run_plan(c, "ssn", ssn_not_minute, &start, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "row 3: PAXSSNMP 9601 is not a multiple of 4800") != NULL);
}

static void swap_rows(struct paxmin_plan *p) {
    double t[6];
    memcpy(t, p->rows[5], sizeof t);
    memcpy(p->rows[5], p->rows[6], sizeof t);
    memcpy(p->rows[6], t, sizeof t);
}

static void rows_out_of_order_name_their_paxssnmp(struct check_ctx *c) {
    int64_t start;
    struct pat_err err = {0};
    if (!need_readstat(c)) return;
    CHECK_STATUS(c, run_plan(c, "order", swap_rows, &start, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "PAXSSNMP 24000 comes after 28800") != NULL);
    CHECK(c, strstr(err.msg, "1969") == NULL && strstr(err.msg, "1970") == NULL);
}

/* Day 2's first 600 minutes labelled day 1: the first PAXDAYM = 2 row is
 * 10 h late and the week would shift by 10 h. */
static void day2_late(struct paxmin_plan *p) {
    for (size_t i = 960; i < 960 + 600; i++) p->rows[i][1] = 1;
}

static void mislabelled_day2_refused(struct check_ctx *c) {
    int64_t start;
    struct pat_err err = {0};
    if (!need_readstat(c)) return;
    CHECK_STATUS(c, run_plan(c, "day2", day2_late, &start, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "PAXDAYM 3 begins") != NULL);
    CHECK(c, strstr(err.msg, "disagree") != NULL);
}

/* Day 2 labelled 3 and day 3 labelled 4 (day 2 absent): the clock still
 * comes from the day changes, at 08:00. */
static void day2_absent(struct paxmin_plan *p) {
    for (size_t i = 960; i < p->n; i++) p->rows[i][1] += 1;
}

static void absent_day2_keeps_the_clock(struct check_ctx *c) {
    int64_t start;
    struct pat_err err = {0};
    if (!need_readstat(c)) return;
    if (CHECK_STATUS(c, run_plan(c, "noday2", day2_absent, &start, &err), PAT_OK))
        CHECK(c, start % 1440 == 480);
}

/* Clocks falling back one hour during day 2: day 2 has 1500 minutes. */
static void dst_day2(struct paxmin_plan *p) {
    for (size_t i = 960 + 1440; i < 960 + 1500; i++) p->rows[i][1] = 2;
}

static void daylight_saving_day_is_accepted(struct check_ctx *c) {
    int64_t start;
    struct pat_err err = {0};
    if (!need_readstat(c)) return;
    if (CHECK_STATUS(c, run_plan(c, "dst", dst_day2, &start, &err), PAT_OK))
        CHECK(c, start == 480);
}

static void dpq_duplicate_seqn_refused(struct check_ctx *c) {
    static const char *const names[] = {"SEQN",   "DPQ010", "DPQ020", "DPQ030", "DPQ040",
                                        "DPQ050", "DPQ060", "DPQ070", "DPQ080", "DPQ090"};
    double rows[3][10] = {{7, 0, 1, 2, 3, 0, 1, 2, 3, 0},
                          {8, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                          {7, 3, 3, 3, 3, 3, 3, 3, 3, 3}};
    char path[512];
    struct pat_xpt_writer *w;
    struct pat_err err = {0};
    if (!need_readstat(c)) return;
    snprintf(path, sizeof path, "%s/dpq_dup.xpt", check_tmp_dir());
    if (!CHECK_STATUS(c, pat_xpt_create(path, "DPQ_H", names, 10, 3, &w, &err), PAT_OK)) return;
    for (int i = 0; i < 3; i++) CHECK_STATUS(c, pat_xpt_write_row(w, rows[i], &err), PAT_OK);
    if (!CHECK_STATUS(c, pat_xpt_close(w, &err), PAT_OK)) return;
    struct pat_nhanes_params np = pat_nhanes_default_params();
    struct pat_phq_stats st;
    struct pat_labels L;
    pat_labels_init(&L);
    CHECK_STATUS(c, pat_nhanes_read_dpq(path, &np, &L, &st, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "row 3: SEQN 7 appears twice") != NULL);
    pat_labels_free(&L);
}

static void directory_as_table_is_an_io_error(struct check_ctx *c) {
    char dir[512];
    int64_t start;
    struct pat_err err = {0};
    snprintf(dir, sizeof dir, "%s/a_folder.xpt", check_tmp_dir());
    mkdir(dir, 0755);
    CHECK_STATUS(c, read_paxmin(dir, &start, &err), PAT_ERR_IO);
    CHECK(c, strstr(err.msg, "is a directory") != NULL);
}

int main(void) {
    int failures = 0;
    RUN(paxmin_control_reads_with_its_clock);
    RUN(paxssnmp_not_a_multiple_of_4800_refused);
    RUN(rows_out_of_order_name_their_paxssnmp);
    RUN(mislabelled_day2_refused);
    RUN(absent_day2_keeps_the_clock);
    RUN(daylight_saving_day_is_accepted);
    RUN(dpq_duplicate_seqn_refused);
    RUN(directory_as_table_is_an_io_error);
    return failures ? 1 : 0;
}
