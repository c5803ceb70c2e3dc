/* test_data_nhanes.c - SAS XPORT and NHANES readers: the real DEMO_C/D
 * files (shape, first participants), the real 5-participant PAXINTEN
 * sample (5 weeks, values unchanged), synthetic PAXMIN_H/DPQ_H files, and
 * the check that catches the port's wrong columns (PAXAISMM at PAXSSNMP %
 * 1440: only 21 of 10,080 positions ever vary, pat-spec §5.3).
 *
 * Cases SKIP when libreadstat is not built in or the shared data
 * ($PAT_SHARED_DATA, default ../shared/data) are absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/build.h"
#include "data/nhanes.h"
#include "data/series_long.h"
#include "data/synth.h"
#include "io/xport.h"
#include "io/xpt.h"
#include "pat.h"
#include "rng.h"
#include "util.h"

static const char *shared_dir(void) {
    const char *d = getenv("PAT_SHARED_DATA");
    return d ? d : "../shared/data";
}

/* Path of a shared NHANES sample, or NULL (skipped) when absent. */
static const char *sample(struct check_ctx *c, const char *name, char *buf, size_t len) {
    snprintf(buf, len, "%s/nhanes_samples/%s", shared_dir(), name);
    FILE *f = fopen(buf, "rb");
    if (!f) {
        check_skip(c, "%s not found (set PAT_SHARED_DATA)", buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

static int need_readstat(struct check_ctx *c) {
    if (pat_have_readstat()) return 1;
    check_skip(c, "built without libreadstat (apt-get install libreadstat-dev)");
    return 0;
}

/* ---- real files ---------------------------------------------------------- */

static void demo_files_have_their_documented_shape(struct check_ctx *c) {
    char a[512], b[512];
    if (!need_readstat(c) || !sample(c, "DEMO_C.XPT", a, sizeof a) ||
        !sample(c, "DEMO_D.XPT", b, sizeof b))
        return;
    size_t rows, vars;
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_xpt_shape(a, &rows, &vars, &err), PAT_OK);
    CHECK(c, rows == 10122 && vars == 44);
    CHECK_STATUS(c, pat_xpt_shape(b, &rows, &vars, &err), PAT_OK);
    CHECK(c, rows == 10348 && vars == 43);
}

static void demo_c_first_participants(struct check_ctx *c) {
    char a[512];
    if (!need_readstat(c) || !sample(c, "DEMO_C.XPT", a, sizeof a)) return;
    struct pat_labels L;
    struct pat_err err = {0};
    size_t rows;
    pat_labels_init(&L);
    CHECK_STATUS(c, pat_nhanes_read_demo(a, &L, &rows, &err), PAT_OK);
    CHECK(c, rows == 10122 && L.ids.n == 10122 && L.C == 2);
    static const struct { const char *id; float sex, age; } first[] = {
        {"21005", 1, 19}, {"21006", 2, 16}, {"21007", 2, 14}, {"21008", 1, 17}, {"21009", 1, 55}};
    for (size_t k = 0; k < 5; k++) {
        size_t r = pat_labels_find(&L, first[k].id);
        if (!CHECK(c, r != PAT_ID_NONE)) continue;
        CHECK(c, L.cov[1][r] == first[k].sex && L.cov[0][r] == first[k].age);
        CHECK(c, isnan(L.label[r]));
    }
    CHECK(c, pat_labels_find(&L, "31126") != PAT_ID_NONE);
    pat_labels_free(&L);
}

static void xpt_errors_name_the_file(struct check_ctx *c) {
    char a[512], path[512];
    if (!need_readstat(c) || !sample(c, "DEMO_C.XPT", a, sizeof a)) return;
    static const struct pat_xpt_col cols[] = {{"SEQN", 0}, {"NOPE", 0}};
    struct pat_err err = {0};
    size_t rows, vars;
    CHECK_STATUS(c, pat_xpt_read(a, cols, 2, NULL, NULL, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "DEMO_C.XPT: no variable NOPE") != NULL);
    CHECK_STATUS(c, pat_xpt_shape("/nonexistent/D.XPT", &rows, &vars, &err), PAT_ERR_IO);
    snprintf(path, sizeof path, "%s/not.xpt", check_tmp_dir());
    check_write_file(path, "seqn,x\n1,2\n", 11);
    CHECK_STATUS(c, pat_xpt_shape(path, &rows, &vars, &err), PAT_ERR_FORMAT);
    CHECK(c, strstr(err.msg, "not.xpt") != NULL);
}

/* ---- the PAXINTEN sample: 5 participants x 10,080 minutes ---------------- */

static void paxinten_sample_builds_five_weeks(struct check_ctx *c) {
    char csv[512], out[512];
    if (!sample(c, "paxinten_c_5subjects.csv", csv, sizeof csv)) return;
    snprintf(out, sizeof out, "%s/pax.patd", check_tmp_dir());
    struct pat_build_params p = pat_build_default_params();
    p.split.val = p.split.test = 0;
    p.split.split_unlabeled = 1;
    struct pat_long_csv_params lp = {"seqn", "paxn", "paxinten", "minute_of_day", p.rules};
    struct pat_build *b;
    struct pat_err err = {0};
    size_t n = 0;
    if (!CHECK_STATUS(c, pat_build_begin(out, &p, NULL, &b, &err), PAT_OK)) return;
    CHECK_STATUS(c, pat_series_read_long_csv(csv, &lp, pat_build_series_fn, b, &n, &err), PAT_OK);
    CHECK_STATUS(c, pat_build_finish(b, "", &err), PAT_OK);
    pat_build_free(b);
    struct pat_dataset *ds;
    if (!CHECK_STATUS(c, pat_dataset_open(out, &ds, &err), PAT_OK)) return;
    CHECK(c, n == 5 && pat_dataset_rows(ds) == 5);
    /* README: mean count and % zero minutes per participant */
    static const double mean[5] = {181.2, 95.3, 250.8, 164.9, 284.3};
    static const double zero[5] = {78.0, 72.8, 50.0, 75.9, 53.0};
    for (size_t i = 0; i < 5 && i < pat_dataset_rows(ds); i++) {
        const float *x = pat_dataset_row(ds, i);
        double s = 0, z = 0;
        for (size_t j = 0; j < 10080; j++) {
            s += x[j];
            z += x[j] == 0.0f;
        }
        CHECK_CLOSE(c, s / 10080, mean[i], 0.05);
        CHECK_CLOSE(c, 100 * z / 10080, zero[i], 0.05);
        CHECK(c, pat_dataset_start(ds, i) == 0 && pat_dataset_valid_minutes(ds, i) == 10080);
    }
    CHECK(c, strcmp(pat_dataset_id(ds, 0), "21005") == 0);
    pat_dataset_close(ds);
}

/* ---- synthetic NHANES ---------------------------------------------------- */

/* Synthetic PAXMIN_H/DPQ_H/DEMO_H of n participants in tmp/name. */
static int synth(struct check_ctx *c, const char *name, size_t n, char *dir, size_t len) {
    struct pat_synth_params p = pat_synth_default_params();
    struct pat_err err = {0};
    p.n = n;
    p.seed = 11;
    snprintf(dir, len, "%s/%s", check_tmp_dir(), name);
    return CHECK_STATUS(c, pat_synth_nhanes(dir, &p, &err), PAT_OK);
}

/* Positions j in 0..T-1 where not all rows are equal. */
static size_t varying_positions(const float *x, size_t rows, size_t T) {
    size_t v = 0;
    for (size_t j = 0; j < T; j++)
        for (size_t i = 1; i < rows; i++)
            if (x[i * T + j] != x[j]) {
                v++;
                break;
            }
    return v;
}

/* What [BMD] did (pat-spec §5.3): day d, slot PAXSSNMP % 1440, value
 * PAXAISMM. Test-only code, to show the check below would catch it. */
struct port {
    float *x;    /* rows x 10080 */
    size_t rows, cap;
    double seqn;
};

static enum pat_status port_row(void *ctx, size_t row, const double *v, struct pat_err *err) {
    struct port *p = ctx;
    (void)row, (void)err;
    if (v[0] != p->seqn) {
        if (p->rows == p->cap) return PAT_ERR_NOMEM;
        p->seqn = v[0];
        p->rows++;
    }
    int day = (int)v[1];
    if (day >= 1 && day <= 7)
        p->x[(p->rows - 1) * 10080 + (size_t)(day - 1) * 1440 + (size_t)fmod(v[2], 1440)] = (float)v[3];
    return PAT_OK;
}

static void wrong_columns_are_caught(struct check_ctx *c) {
    char dir[512], path[600], out[600];
    if (!need_readstat(c) || !synth(c, "nh_cols", 8, dir, sizeof dir)) return;
    snprintf(path, sizeof path, "%s/PAXMIN_H.XPT", dir);
    snprintf(out, sizeof out, "%s/nh.patd", check_tmp_dir());
    /* pat's reading */
    struct pat_build_params bp = pat_build_default_params();
    bp.scaler = PAT_SCALER_NONE;
    struct pat_nhanes_params np = pat_nhanes_default_params();
    struct pat_build *b;
    struct pat_err err = {0};
    size_t n = 0;
    if (!CHECK_STATUS(c, pat_build_begin(out, &bp, NULL, &b, &err), PAT_OK)) return;
    CHECK_STATUS(c, pat_nhanes_read_paxmin(path, &np, &bp.rules, pat_build_series_fn, b, &n, &err),
                 PAT_OK);
    CHECK_STATUS(c, pat_build_finish(b, "", &err), PAT_OK);
    pat_build_free(b);
    struct pat_dataset *ds;
    if (!CHECK_STATUS(c, pat_dataset_open(out, &ds, &err), PAT_OK)) return;
    size_t good = varying_positions(pat_dataset_row(ds, 0), pat_dataset_rows(ds), 10080);
    CHECK(c, n == 8 && pat_dataset_rows(ds) >= 6);
    if (good <= 5000) check_fail(c, "pat's weeks vary at only %zu of 10080 positions", good);
    pat_dataset_close(ds);
    /* the port's reading, for contrast */
    static const struct pat_xpt_col cols[] = {
        {"SEQN", 0}, {"PAXDAYM", 0}, {"PAXSSNMP", 0}, {"PAXAISMM", 0}};
    struct port p = {calloc(8 * 10080, sizeof(float)), 0, 8, -1};
    if (!CHECK(c, p.x != NULL)) return;
    CHECK_STATUS(c, pat_xpt_read(path, cols, 4, port_row, &p, &err), PAT_OK);
    size_t bad = varying_positions(p.x, p.rows, 10080);
    printf("# varying positions: pat %zu, port reading %zu\n", good, bad);
    if (bad > 21) check_fail(c, "the port's reading varies at %zu positions, expected <= 21", bad);
    free(p.x);
}

/* Minute order, clock and states of synthetic PAXMIN_H participants. */
struct first_series {
    struct check_ctx *c;
    size_t n;
};

static enum pat_status check_series(void *ctx, struct pat_series *s, struct pat_err *err) {
    struct first_series *f = ctx;
    (void)err;
    f->n++;
    /* day 1 starts between 08:00 and 16:00 of 1970-01-01; 9 days recorded,
     * the first and last partial */
    CHECK(f->c, s->start >= 480 && s->start < 960);
    CHECK(f->c, s->n > 7 * 1440 + 600 && s->n < 8 * 1440 + 500);
    CHECK(f->c, s->stats.gaps == 0 && s->stats.duplicates == 0 && s->stats.rows == s->n);
    CHECK(f->c, s->stats.flagged > 0); /* -0.01 MIMS and QC flags are planted */
    return PAT_OK;
}

static void synthetic_paxmin_reads_in_minute_order(struct check_ctx *c) {
    char dir[512], path[600];
    if (!need_readstat(c) || !synth(c, "nh_order", 4, dir, sizeof dir)) return;
    snprintf(path, sizeof path, "%s/PAXMIN_H.XPT", dir);
    struct pat_nhanes_params np = pat_nhanes_default_params();
    struct pat_series_rules r = pat_series_default_rules();
    struct first_series f = {c, 0};
    struct pat_err err = {0};
    size_t n;
    CHECK_STATUS(c, pat_nhanes_read_paxmin(path, &np, &r, check_series, &f, &n, &err), PAT_OK);
    CHECK(c, n == 4 && f.n == 4);
}

static void phq9_labels_and_missing_codes(struct check_ctx *c) {
    char dir[512], path[600];
    if (!need_readstat(c) || !synth(c, "nh_dpq", 300, dir, sizeof dir)) return;
    snprintf(path, sizeof path, "%s/DPQ_H.XPT", dir);
    struct pat_nhanes_params np = pat_nhanes_default_params();
    struct pat_phq_stats st;
    struct pat_labels L;
    struct pat_err err = {0};
    pat_labels_init(&L);
    CHECK_STATUS(c, pat_nhanes_read_dpq(path, &np, &L, &st, &err), PAT_OK);
    CHECK(c, st.rows == 300 && st.labeled == L.ids.n);
    CHECK(c, st.labeled + st.refused + st.missing + st.unanswered == 300);
    CHECK(c, st.refused > 0 && st.missing > 0 && st.unanswered > 0 && st.positive > 0);
    for (size_t r = 0; r < L.ids.n; r++)
        CHECK(c, L.label[r] == (L.cov[0][r] >= 10 ? 1.0f : 0.0f));
    pat_labels_free(&L);
    size_t excluded = st.refused + st.missing;
    np.phq_missing = PAT_PHQ_ZERO;
    pat_labels_init(&L);
    CHECK_STATUS(c, pat_nhanes_read_dpq(path, &np, &L, &st, &err), PAT_OK);
    CHECK(c, st.labeled == 300 - st.unanswered && st.zeroed == excluded);
    pat_labels_free(&L);
}

static void xpt_writer_round_trip(struct check_ctx *c) {
    if (!need_readstat(c)) return;
    char path[512];
    snprintf(path, sizeof path, "%s/t.xpt", check_tmp_dir());
    static const char *const names[] = {"SEQN", "A", "B"};
    struct pat_xpt_writer *w;
    struct pat_err err = {0};
    double rows[3][3] = {{1, 0.5, NAN}, {2, -0.01, 3}, {3, 1e6, 4}};
    if (!CHECK_STATUS(c, pat_xpt_create(path, "T", names, 3, 3, &w, &err), PAT_OK)) return;
    for (int i = 0; i < 3; i++) CHECK_STATUS(c, pat_xpt_write_row(w, rows[i], &err), PAT_OK);
    CHECK_STATUS(c, pat_xpt_close(w, &err), PAT_OK);
    size_t n, v;
    CHECK_STATUS(c, pat_xpt_shape(path, &n, &v, &err), PAT_OK);
    CHECK(c, n == 3 && v == 3);
    /* declaring more rows than written is refused and leaves no file */
    snprintf(path, sizeof path, "%s/short.xpt", check_tmp_dir());
    if (CHECK_STATUS(c, pat_xpt_create(path, "T", names, 3, 5, &w, &err), PAT_OK)) {
        CHECK_STATUS(c, pat_xpt_write_row(w, rows[0], &err), PAT_OK);
        CHECK_STATUS(c, pat_xpt_close(w, &err), PAT_ERR_USAGE);
    }
    FILE *f = fopen(path, "rb");
    CHECK(c, f == NULL);
    if (f) fclose(f);
}

/* ---- the native XPORT reader against libreadstat ------------------------ */

struct table {
    double *v;
    size_t rows, cols, cap;
};

static enum pat_status collect_row(void *ctx, size_t row, const double *v, struct pat_err *err) {
    struct table *t = ctx;
    (void)row;
    if (t->rows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        double *g = realloc(t->v, cap * t->cols * sizeof *g);
        if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        t->v = g, t->cap = cap;
    }
    memcpy(t->v + t->rows++ * t->cols, v, t->cols * sizeof *v);
    return PAT_OK;
}

/* Every numeric column of path through both readers: the same rows, the
 * same bits (NaN for missing in both). Returns the rows compared. */
static size_t same_as_readstat(struct check_ctx *c, const char *path) {
    char names[256][9];
    struct pat_xpt_col cols[256];
    size_t n = 0;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, pat_xport_numeric_names(path, names, 256, &n, &err), PAT_OK)) return 0;
    if (!CHECK(c, n > 0 && n <= 256)) return 0;
    for (size_t k = 0; k < n; k++) cols[k] = (struct pat_xpt_col){names[k], 0};
    struct table a = {.cols = n}, b = {.cols = n};
    CHECK_STATUS(c, pat_xpt_read(path, cols, n, collect_row, &a, &err), PAT_OK);
    CHECK_STATUS(c, pat_xpt_read_readstat(path, cols, n, collect_row, &b, &err), PAT_OK);
    size_t bad = 0;
    if (CHECK(c, a.rows == b.rows && a.rows > 0))
        for (size_t i = 0; i < a.rows * n; i++) {
            int same = isnan(a.v[i]) ? isnan(b.v[i]) : memcmp(&a.v[i], &b.v[i], sizeof a.v[i]) == 0;
            if (!same && bad++ < 3)
                check_fail(c, "%s row %zu %s: native %.17g, libreadstat %.17g", path,
                           i / n + 1, names[i % n], a.v[i], b.v[i]);
        }
    free(a.v), free(b.v);
    return bad ? 0 : a.rows;
}

static void native_reader_matches_readstat_on_real_files(struct check_ctx *c) {
    char a[512], b[512];
    if (!need_readstat(c) || !sample(c, "DEMO_C.XPT", a, sizeof a) ||
        !sample(c, "DEMO_D.XPT", b, sizeof b))
        return;
    CHECK(c, same_as_readstat(c, a) == 10122);
    CHECK(c, same_as_readstat(c, b) == 10348);
}

/* Values of every magnitude, sign and kind (integers, decimals, zero,
 * missing) written by libreadstat's writer: both readers agree bit for bit,
 * and with what was written to IBM precision (56-bit fraction). */
static void native_reader_matches_readstat_on_every_magnitude(struct check_ctx *c) {
    if (!need_readstat(c)) return;
    char path[512];
    snprintf(path, sizeof path, "%s/magnitudes.xpt", check_tmp_dir());
    static const char *const names[] = {"SEQN", "X", "Y"};
    enum { ROWS = 4000 };
    static double want[ROWS][3];
    struct pat_rng rng;
    pat_rng_seed(&rng, 11);
    for (size_t i = 0; i < ROWS; i++) {
        double u = pat_rng_uniform(&rng), e = floor(pat_rng_uniform(&rng) * 140) - 70;
        want[i][0] = (double)i;
        want[i][1] = (pat_rng_uniform(&rng) < 0.5 ? -1 : 1) * u * pow(10.0, e);
        want[i][2] = i % 7 == 0 ? NAN : i % 7 == 1 ? 0.0 : floor(u * 1e6) / 1000; /* MIMS-like */
    }
    struct pat_xpt_writer *w;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, pat_xpt_create(path, "T", names, 3, ROWS, &w, &err), PAT_OK)) return;
    for (size_t i = 0; i < ROWS; i++) pat_xpt_write_row(w, want[i], &err);
    if (!CHECK_STATUS(c, pat_xpt_close(w, &err), PAT_OK)) return;
    CHECK(c, same_as_readstat(c, path) == ROWS);
    struct pat_xpt_col cols[3] = {{"SEQN", 0}, {"X", 0}, {"Y", 0}};
    struct table t = {.cols = 3};
    CHECK_STATUS(c, pat_xpt_read(path, cols, 3, collect_row, &t, &err), PAT_OK);
    double worst = 0;
    for (size_t i = 0; i < t.rows && i < ROWS; i++)
        for (int k = 0; k < 3; k++) {
            const double g = t.v[i * 3 + k], x = want[i][k];
            if (isnan(x) != isnan(g)) worst = INFINITY;
            else if (!isnan(x) && x != 0) worst = fmax(worst, fabs(g - x) / fabs(x));
            else if (!isnan(x) && g != 0) worst = INFINITY;
        }
    CHECK(c, t.rows == ROWS);
    if (!(worst <= 0x1p-52)) check_fail(c, "largest relative error %g", worst);
    free(t.v);
}

int main(void) {
    int failures = 0;
    RUN(demo_files_have_their_documented_shape);
    RUN(demo_c_first_participants);
    RUN(xpt_errors_name_the_file);
    RUN(paxinten_sample_builds_five_weeks);
    RUN(wrong_columns_are_caught);
    RUN(synthetic_paxmin_reads_in_minute_order);
    RUN(phq9_labels_and_missing_codes);
    RUN(xpt_writer_round_trip);
    RUN(native_reader_matches_readstat_on_real_files);
    RUN(native_reader_matches_readstat_on_every_magnitude);
    return failures ? 1 : 0;
}
