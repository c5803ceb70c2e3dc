/* synth.c - synthetic cohorts (synth.h): a per-participant plan of nights
 * and non-wear gaps, then minute values drawn from it with one explicit,
 * seeded generator per participant (so any participant can be regenerated
 * alone and row counts are known before writing). */
#include "data/synth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/clock.h"
#include "data/files.h"
#include "io/xpt.h"
#include "report/atomic.h"
#include "rng.h"
#include "util.h"

#define MAX_DAYS 64

struct pat_synth_params pat_synth_default_params(void) {
    struct pat_synth_params p = {40, 0.4, 0.5, 0.1, 14, 1};
    return p;
}

/* What a participant's recording looks like, in minutes from the midnight
 * before its first row. */
struct plan {
    int depressed;
    double level;         /* daytime activity multiplier */
    double frag;          /* chance per sleep minute of a brief awakening */
    int64_t first, last;  /* first and last recorded minute */
    int weekday0;         /* weekday of day 0, 0 = Sunday */
    int64_t sleep0[MAX_DAYS + 1], sleep1[MAX_DAYS + 1]; /* night d: [sleep0, sleep1) */
    int64_t gap0[MAX_DAYS], gap1[MAX_DAYS];             /* non-wear of day d */
};

static double normal(struct pat_rng *r) { return (double)pat_rng_normal(r); }
static double uniform(struct pat_rng *r) { return (double)pat_rng_uniform(r); }

/* Generator of participant i: independent of every other participant. */
static void seed_person(struct pat_rng *r, uint64_t seed, size_t i) {
    pat_rng_seed(r, seed * 0x9E3779B97F4A7C15ull + (uint64_t)i * 0xBF58476D1CE4E5B9ull + 1);
}

/* Nights and gaps for `days` days; weekend nights are later and longer. */
static void make_plan(struct plan *pl, struct pat_rng *r, int depressed, size_t days,
                      const struct pat_synth_params *p) {
    double e = depressed ? p->effect : 0.0;
    double bed = 22.8 + 0.6 * normal(r), sleep = 7.3 + 0.5 * normal(r) + 1.5 * e;
    double bed_sd = 0.4 * (1.0 + e);
    for (size_t d = 0; d < MAX_DAYS; d++) pl->gap0[d] = pl->gap1[d] = -1;
    pl->depressed = depressed;
    pl->level = exp(0.3 * normal(r)) * (1.0 - 0.4 * e);
    pl->frag = 0.02 * (1.0 + 2.0 * e);
    pl->weekday0 = (int)(pat_rng_u64(r) % 7);
    for (size_t d = 0; d <= days && d <= MAX_DAYS; d++) {
        int wd = (pl->weekday0 + (int)d) % 7;
        int weekend = wd == 5 || wd == 6; /* Friday and Saturday nights */
        double b = bed + bed_sd * normal(r) + (weekend ? 1.0 : 0.0);
        double s = sleep + 0.4 * normal(r) + (weekend ? 0.7 : 0.0);
        pl->sleep0[d] = (int64_t)d * 1440 + (int64_t)(b * 60.0);
        pl->sleep1[d] = pl->sleep0[d] + (int64_t)(s * 60.0);
    }
    for (size_t d = 0; d < days && d < MAX_DAYS; d++) {
        int gap = uniform(r) < p->nonwear;
        pl->gap0[d] = gap ? (int64_t)d * 1440 + 540 + (int64_t)(uniform(r) * 600) : -1;
        pl->gap1[d] = gap ? pl->gap0[d] + 60 + (int64_t)(uniform(r) * 300) : -1;
    }
}

enum minute_kind { AWAKE, ASLEEP, NONWEAR };

static enum minute_kind kind_of(const struct plan *pl, int64_t t) {
    int64_t d = t / 1440;
    if (d < MAX_DAYS && pl->gap0[d] >= 0 && t >= pl->gap0[d] && t < pl->gap1[d]) return NONWEAR;
    for (int64_t k = d - 1; k <= d; k++)
        if (k >= 0 && k <= MAX_DAYS && t >= pl->sleep0[k] && t < pl->sleep1[k]) return ASLEEP;
    return AWAKE;
}

/* Activity of minute t: scale 250 (Depresjon counts) or 12 (NHANES MIMS). */
static double activity(const struct plan *pl, struct pat_rng *r, int64_t t, double scale,
                       enum minute_kind *kind) {
    *kind = kind_of(pl, t);
    if (*kind == NONWEAR) return 0.0;
    double noise = exp(0.9 * normal(r) - 0.405);
    if (*kind == ASLEEP) return uniform(r) < pl->frag ? 0.3 * scale * noise : 0.0;
    double h = (double)(t % 1440) / 60.0;
    double shape = 1.0 + 0.5 * exp(-((h - 15.0) / 3.0) * ((h - 15.0) / 3.0));
    int wd = (pl->weekday0 + (int)(t / 1440)) % 7;
    double weekend = wd == 0 || wd == 6 ? 0.85 : 1.0;
    if (uniform(r) < 0.12) return 0.0; /* still minutes */
    return scale * pl->level * shape * weekend * noise;
}

/* ---- small file helpers -------------------------------------------------- */

static enum pat_status make_dir(const char *path, struct pat_err *err) {
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return pat_fail(err, PAT_ERR_IO, "%s: cannot create folder: %s", path, strerror(errno));
    return PAT_OK;
}

/* A text file written through report/atomic.h. */
struct tfile {
    struct pat_atomic_file a;
    FILE *f;
};

static enum pat_status tf_open(struct tfile *t, const char *path, struct pat_err *err) {
    enum pat_status st = pat_atomic_open(&t->a, path, err);
    t->f = t->a.f;
    return st;
}

static enum pat_status tf_close(struct tfile *t, enum pat_status st, struct pat_err *err) {
    if (st == PAT_OK) return pat_atomic_commit(&t->a, err);
    pat_atomic_abort(&t->a);
    return st;
}

/* Set up participant i: generator, depression status and plan. The
 * recording starts on day 0 at `first` and ends on day `days` at `last`. */
static void person(struct plan *pl, struct pat_rng *r, size_t i, int depressed, size_t days,
                   int64_t first, const struct pat_synth_params *p) {
    seed_person(r, p->seed, i);
    make_plan(pl, r, depressed, days, p);
    pl->first = first;
    pl->last = (int64_t)days * 1440 + 300 + (int64_t)(uniform(r) * 600);
}

/* ---- Depresjon ----------------------------------------------------------- */

static enum pat_status depresjon_file(const char *dir, const char *name, size_t i,
                                      int depressed, const struct pat_synth_params *p,
                                      struct pat_err *err) {
    struct pat_rng r;
    struct plan pl;
    seed_person(&r, p->seed ^ 0x5555, i);
    int64_t day0 = pat_civil_minutes(2003, 1, 6, 0, 0) + (int64_t)(pat_rng_u64(&r) % 1000) * 1440;
    int64_t first = 540 + 180 * (int64_t)(pat_rng_u64(&r) % 3); /* 09:00, 12:00 or 15:00 */
    person(&pl, &r, i, depressed, p->days, first, p);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    struct tfile t;
    enum pat_status st = tf_open(&t, path, err);
    if (st != PAT_OK) return st;
    fputs("timestamp,date,activity\n", t.f);
    for (int64_t m = pl.first; m <= pl.last; m++) {
        enum minute_kind k;
        double v = activity(&pl, &r, m, 250.0, &k);
        int y, mo, d, h, mi;
        pat_minutes_civil(day0 + m, &y, &mo, &d, &h, &mi);
        fprintf(t.f, "%04d-%02d-%02d %02d:%02d:00,%04d-%02d-%02d,%.0f\n", y, mo, d, h, mi, y, mo,
                d, v > 8000 ? 8000.0 : floor(v + 0.5));
    }
    return tf_close(&t, st, err);
}

static void scores_row(FILE *f, const char *name, size_t i, int depressed, double effect,
                       size_t days, uint64_t seed) {
    struct pat_rng r;
    seed_person(&r, seed ^ 0xAAAA, i);
    int age = 20 + 5 * (int)(pat_rng_u64(&r) % 10);
    int gender = 1 + (int)(pat_rng_u64(&r) % 2);
    fprintf(f, "%s,%zu,%d,%d-%d,", name, days - 2, gender, age, age + 4);
    if (!depressed) {
        fputs("NA,NA,NA, ,NA,NA,NA,NA\n", f);
        return;
    }
    int m1 = 15 + (int)(uniform(&r) * 10.0 + 10.0 * effect);
    int m2 = m1 - (int)(uniform(&r) * 8.0);
    fprintf(f, "%d,2,%d,6-10,%d,2,%d,%d\n", 1 + (int)(pat_rng_u64(&r) % 3),
            1 + (int)(pat_rng_u64(&r) % 2), 1 + (int)(pat_rng_u64(&r) % 2), m1, m2);
}

enum pat_status pat_synth_depresjon(const char *dir, const struct pat_synth_params *p,
                                    struct pat_err *err) {
    char sub[2][1024], path[1024], name[64];
    size_t nc = (size_t)floor((double)p->n * p->prevalence + 0.5);
    if (p->days < 8 || p->days > 60 || p->n == 0)
        return pat_fail(err, PAT_ERR_USAGE, "synthetic Depresjon needs 1+ participants and 8..60 "
                        "days");
    snprintf(sub[0], sizeof sub[0], "%s/condition", dir);
    snprintf(sub[1], sizeof sub[1], "%s/control", dir);
    enum pat_status st = make_dir(dir, err);
    for (int g = 0; g < 2 && st == PAT_OK; g++) st = make_dir(sub[g], err);
    snprintf(path, sizeof path, "%s/scores.csv", dir);
    struct tfile t;
    if (st == PAT_OK) st = tf_open(&t, path, err);
    if (st != PAT_OK) return st;
    fputs("number,days,gender,age,afftype,melanch,inpatient,edu,marriage,work,madrs1,madrs2\n",
          t.f);
    for (size_t i = 0; i < p->n && st == PAT_OK; i++) {
        int dep = i < nc;
        snprintf(name, sizeof name, "%s_%zu", dep ? "condition" : "control", dep ? i + 1 : i - nc + 1);
        st = depresjon_file(sub[dep ? 0 : 1], name, i, dep, p, err);
        scores_row(t.f, name, i, dep, p->effect, p->days, p->seed);
    }
    return tf_close(&t, st, err);
}

/* ---- NHANES 2013-14 ------------------------------------------------------ */

#define SEQN0 73557
#define NHANES_DAYS 8 /* day 0 partial, 7 full days, day 8 partial: PAXDAYM 1..9 */

static int nhanes_depressed(size_t i, const struct pat_synth_params *p) {
    struct pat_rng r;
    seed_person(&r, p->seed ^ 0x7777, i);
    return uniform(&r) < p->prevalence;
}

/* Plan of NHANES participant i (recording starts 08:00-16:00 of day 0). */
static void nhanes_person(struct plan *pl, struct pat_rng *r, size_t i,
                          const struct pat_synth_params *p) {
    struct pat_rng s;
    seed_person(&s, p->seed ^ 0x3333, i);
    int64_t first = 480 + (int64_t)(uniform(&s) * 480);
    person(pl, r, i, nhanes_depressed(i, p), NHANES_DAYS, first, p);
}

enum { PM_SEQN, PM_DAY, PM_DOW, PM_SSN, PM_MTS, PM_PRED, PM_AIS, PM_QF, PM_TS, PM_N };
static const char *const paxmin_names[PM_N] = {"SEQN", "PAXDAYM", "PAXDAYWM", "PAXSSNMP", "PAXMTSM",
                                               "PAXPREDM", "PAXAISMM", "PAXQFM", "PAXTSM"};

/* One PAXMIN_H row of minute m; *day_sum accumulates PAXMTSM. */
static void paxmin_row(const struct plan *pl, struct pat_rng *r, size_t i, int64_t m, double *v) {
    enum minute_kind k;
    double mims = activity(pl, r, m, 12.0, &k);
    v[PM_SEQN] = SEQN0 + (double)i;
    v[PM_DAY] = (double)(m / 1440 + 1);
    v[PM_DOW] = (double)((pl->weekday0 + m / 1440) % 7 + 1);
    v[PM_SSN] = (double)(m - pl->first) * 4800.0;
    v[PM_MTS] = floor(mims * 1000.0 + 0.5) / 1000.0;
    v[PM_PRED] = k == AWAKE ? 1 : k == ASLEEP ? 2 : 3;
    v[PM_AIS] = k == NONWEAR ? 4800 : k == ASLEEP && uniform(r) < 0.3 ? floor(uniform(r) * 4800) : 0;
    v[PM_QF] = uniform(r) < 0.001 ? 1 : 0;
    v[PM_TS] = 60;
    if (k == AWAKE && uniform(r) < 0.002) v[PM_MTS] = -0.01; /* MIMS not computable */
}

enum { PD_SEQN, PD_DAY, PD_DOW, PD_SSN, PD_MTS, PD_WAKE, PD_SLEEP, PD_NONWEAR, PD_VALID, PD_N };
static const char *const paxday_names[PD_N] = {"SEQN", "PAXDAYD", "PAXDAYWD", "PAXSSNDP", "PAXMTSD",
                                               "PAXWWMD", "PAXSWMD", "PAXNWMD", "PAXVMD"};

static enum pat_status write_paxday_row(struct pat_xpt_writer *w, double *d, struct pat_err *err) {
    d[PD_VALID] = d[PD_WAKE] + d[PD_SLEEP];
    enum pat_status st = pat_xpt_write_row(w, d, err);
    d[PD_MTS] = d[PD_WAKE] = d[PD_SLEEP] = d[PD_NONWEAR] = 0;
    return st;
}

/* All rows of participant i to the PAXMIN and PAXDAY writers. */
static enum pat_status nhanes_minutes(struct pat_xpt_writer *wm, struct pat_xpt_writer *wd,
                                      size_t i, const struct pat_synth_params *p,
                                      struct pat_err *err) {
    struct pat_rng r;
    struct plan pl;
    nhanes_person(&pl, &r, i, p);
    double v[PM_N], d[PD_N] = {0};
    enum pat_status st = PAT_OK;
    for (int64_t m = pl.first; st == PAT_OK && m <= pl.last; m++) {
        paxmin_row(&pl, &r, i, m, v);
        st = pat_xpt_write_row(wm, v, err);
        if (m == pl.first || m % 1440 == 0) {
            if (m != pl.first && st == PAT_OK) st = write_paxday_row(wd, d, err);
            d[PD_SEQN] = v[PM_SEQN], d[PD_DAY] = v[PM_DAY], d[PD_DOW] = v[PM_DOW];
            d[PD_SSN] = v[PM_SSN];
        }
        d[PD_MTS] += v[PM_MTS] > 0 ? v[PM_MTS] : 0;
        d[v[PM_PRED] == 1 ? PD_WAKE : v[PM_PRED] == 2 ? PD_SLEEP : PD_NONWEAR] += 1;
    }
    return st == PAT_OK ? write_paxday_row(wd, d, err) : st;
}

/* PHQ-9 items of participant i: total >= 10 when depressed, < 10 if not;
 * some refusals (7), don't-knows (9), missing items and skipped forms. */
static void dpq_row(size_t i, const struct pat_synth_params *p, double *v) {
    struct pat_rng r;
    seed_person(&r, p->seed ^ 0x1111, i);
    int dep = nhanes_depressed(i, p), total = 0;
    v[0] = SEQN0 + (double)i;
    for (int k = 1; k <= 9; k++) {
        int x = dep ? 1 + (int)(pat_rng_u64(&r) % 3) : (uniform(&r) < 0.35 ? 1 : 0);
        if (!dep && total + x > 9) x = 0;
        total += x;
        v[k] = x;
    }
    v[10] = uniform(&r) < 0.5 ? NAN : (double)(pat_rng_u64(&r) % 4); /* DPQ100 */
    double u = uniform(&r);
    if (u < 0.03) {
        for (int k = 1; k <= 10; k++) v[k] = NAN; /* questionnaire not done */
    } else if (u < 0.06) {
        v[1 + pat_rng_u64(&r) % 9] = uniform(&r) < 0.5 ? 7 : 9;
    } else if (u < 0.08) {
        v[1 + pat_rng_u64(&r) % 9] = NAN;
    }
}

static enum pat_status write_table(const char *dir, const char *file, const char *table,
                                   const char *const *names, size_t nv, size_t rows,
                                   void (*row)(size_t, const struct pat_synth_params *, double *),
                                   const struct pat_synth_params *p, struct pat_err *err) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct pat_xpt_writer *w;
    double v[16];
    enum pat_status st = pat_xpt_create(path, table, names, nv, rows, &w, err);
    for (size_t i = 0; st == PAT_OK && i < rows; i++) {
        row(i, p, v);
        st = pat_xpt_write_row(w, v, err);
    }
    if (st != PAT_OK) {
        pat_xpt_abort(w);
        return st;
    }
    return pat_xpt_close(w, err);
}

static void demo_row(size_t i, const struct pat_synth_params *p, double *v) {
    struct pat_rng r;
    seed_person(&r, p->seed ^ 0x2222, i);
    v[0] = SEQN0 + (double)i;
    v[1] = (double)(1 + pat_rng_u64(&r) % 2);
    v[2] = (double)(20 + pat_rng_u64(&r) % 61);
}

static enum pat_status write_minutes(const char *dir, const struct pat_synth_params *p,
                                     struct pat_err *err) {
    size_t rows = 0, days = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct pat_rng r;
        struct plan pl;
        nhanes_person(&pl, &r, i, p);
        rows += (size_t)(pl.last - pl.first + 1);
        days += (size_t)(pl.last / 1440 + 1);
    }
    char pm[1024], pd[1024];
    snprintf(pm, sizeof pm, "%s/PAXMIN_H.XPT", dir);
    snprintf(pd, sizeof pd, "%s/PAXDAY_H.XPT", dir);
    struct pat_xpt_writer *wm = NULL, *wd = NULL;
    enum pat_status st = pat_xpt_create(pm, "PAXMIN_H", paxmin_names, PM_N, rows, &wm, err);
    if (st == PAT_OK) st = pat_xpt_create(pd, "PAXDAY_H", paxday_names, PD_N, days, &wd, err);
    for (size_t i = 0; st == PAT_OK && i < p->n; i++) st = nhanes_minutes(wm, wd, i, p, err);
    if (st == PAT_OK) {
        st = pat_xpt_close(wm, err);
        wm = NULL;
    }
    if (st == PAT_OK) {
        st = pat_xpt_close(wd, err);
        wd = NULL;
    }
    pat_xpt_abort(wm);
    pat_xpt_abort(wd);
    return st;
}

enum pat_status pat_synth_nhanes(const char *dir, const struct pat_synth_params *p,
                                 struct pat_err *err) {
    static const char *const dpq_names[] = {"SEQN", "DPQ010", "DPQ020", "DPQ030",
                                            "DPQ040", "DPQ050", "DPQ060", "DPQ070",
                                            "DPQ080", "DPQ090", "DPQ100"};
    static const char *const demo_names[] = {"SEQN", "RIAGENDR", "RIDAGEYR"};
    if (!pat_have_readstat())
        return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: writing NHANES XPT files needs a build "
                        "with libreadstat", dir);
    if (p->n == 0) return pat_fail(err, PAT_ERR_USAGE, "no participants requested");
    enum pat_status st = make_dir(dir, err);
    if (st == PAT_OK) st = write_minutes(dir, p, err);
    if (st == PAT_OK)
        st = write_table(dir, "DPQ_H.XPT", "DPQ_H", dpq_names, 11, p->n, dpq_row, p, err);
    if (st == PAT_OK)
        st = write_table(dir, "DEMO_H.XPT", "DEMO_H", demo_names, 3, p->n, demo_row, p, err);
    return st;
}
