/* test_readers.c - the activity-file readers (src/readers/) on files this
 * test writes from each format's public description (not from pat's
 * readers): planted per-minute values must come back exactly, with the
 * format detected from the content; corrupt and truncated files must be
 * refused with errors naming the file.
 *
 *   test_readers            run the cases
 *   test_readers --write D  write every generated file into D/in and the
 *                           planted minutes as `pat data export` prints
 *                           them into D/expected (same names), for
 *                           tests/test_readers_cli.sh
 *
 * Sources of the layouts: docs/data.md "Input formats". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "data/clock.h"
#include "readers/readers.h"
#include "readers/table.h"
#include "readers/when.h"

#ifdef PAT_HAVE_SQLITE
#include <sqlite3.h>
#endif
#ifdef PAT_HAVE_LIBZIP
#include <zip.h>
#endif

#define DAY_MINUTES 1440
/* 2024-03-04 (a Monday) 00:00 as wall-clock minutes. */
#define DAY0 ((int64_t)19786 * 1440)

static int planted(int who, int m) {
    return who == 0 ? (m * 37 + 11) % 97 : (m * 13 + 5) % 61;
}

/* ---- generators (one per format) ---------------------------------------- */

/* Generic CSV: BOM, ';' separator, quoted header and a quoted text column
 * holding the separator, ISO 8601 with T, milliseconds and +01:00, 30 s
 * epochs (a minute's value = the sum of its two epochs), a decimal comma. */
static int gen_generic(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fputs("\xEF\xBB\xBF\"time\";\"steps\";\"note\"\r\n", f);
    for (int m = 0; m < DAY_MINUTES; m++) {
        int p = planted(0, m), a = p / 2;
        fprintf(f, "2024-03-04T%02d:%02d:00.000+01:00;%d;\"a;b \"\"q\"\"\"\r\n", m / 60, m % 60, a);
        fprintf(f, "2024-03-04T%02d:%02d:30.000+01:00;%d,0;x\r\n", m / 60, m % 60, p - a);
    }
    return fclose(f) == 0;
}

/* ActiLife CSV, 60 s epochs: the 10-line header block, the column header,
 * Date/Time in the header's M/d/yyyy; Vector Magnitude holds the planted
 * values (the default column), Axis1 other values. */
static int gen_actilife(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fputs("------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.4 Firmware v3.2.1 "
          "date format M/d/yyyy at 30 Hz  Filter Normal -----------\r\n"
          "Serial Number: MOS2E22180349\r\nStart Time 00:00:00\r\nStart Date 3/4/2024\r\n"
          "Epoch Period (hh:mm:ss) 00:01:00\r\nDownload Time 10:12:30\r\n"
          "Download Date 3/11/2024\r\nCurrent Memory Address: 0\r\n"
          "Current Battery Voltage: 4.21     Mode = 61\r\n"
          "--------------------------------------------------\r\n"
          "Date,Time,Axis1,Axis2,Axis3,Steps,Lux,Inclinometer Off,Inclinometer Standing,"
          "Inclinometer Sitting,Inclinometer Lying,Vector Magnitude\r\n", f);
    for (int m = 0; m < DAY_MINUTES; m++)
        fprintf(f, "3/4/2024,%d:%02d:00,%d,0,0,3,12,0,60,0,0,%d\r\n", m / 60, m % 60,
                1000 + m, planted(0, m));
    return fclose(f) == 0;
}

/* ActiLife CSV without a column header or Date/Time, 10 s epochs: times
 * come from Start Date/Time and the epoch; Axis1 (no VM column) summed. */
static int gen_actilife_10s(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fputs("------------ Data File Created By ActiGraph GT3X ActiLife v6.13.4 Firmware v4.4.0 "
          "date format d/M/yyyy Filter Normal -----------\n"
          "Serial Number: NEO1F18120387\nStart Time 00:00:00\nStart Date 4/3/2024\n"
          "Epoch Period (hh:mm:ss) 00:00:10\nDownload Time 09:00:00\nDownload Date 11/3/2024\n"
          "Current Memory Address: 0\nCurrent Battery Voltage: 4,05     Mode = 12\n"
          "--------------------------------------------------\n", f);
    for (int m = 0; m < DAY_MINUTES; m++) {
        int p = planted(0, m);
        for (int k = 0; k < 6; k++)
            fprintf(f, "%d,%d,%d,0,0\n", p / 6 + (k == 0 ? p % 6 : 0), 7, 9);
    }
    return fclose(f) == 0;
}

/* Actiwatch AWD: 7 header lines, epoch code 2 (30 s), one count per line,
 * a marker column on some lines. */
static int gen_awd(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fputs("SUBJ01\r\n04-Mar-2024\r\n00:00\r\n2\r\n34\r\nL1234567\r\nM\r\n", f);
    for (int m = 0; m < DAY_MINUTES; m++) {
        int p = planted(0, m), a = p / 3;
        fprintf(f, "%6d%s\r\n%6d\r\n", a, m % 100 == 0 ? " , M" : "", p - a);
    }
    return fclose(f) == 0;
}

/* Fitabase minuteStepsNarrow: two participants, US 12-hour date-times. */
static int gen_fitbit(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fputs("Id,ActivityMinute,Steps\r\n", f);
    static const char *const ids[2] = {"1503960366", "1624580081"};
    for (int who = 0; who < 2; who++)
        for (int m = 0; m < DAY_MINUTES; m++) {
            int h = m / 60, h12 = h % 12 ? h % 12 : 12;
            fprintf(f, "%s,3/4/2024 %d:%02d:00 %s,%d\r\n", ids[who], h12, m % 60,
                    h < 12 ? "AM" : "PM", planted(who, m));
        }
    return fclose(f) == 0;
}

#ifdef PAT_HAVE_SQLITE
#define TICKS_1970 621355968000000000LL
/* ActiGraph AGD: settings (startdatetime and epochlength), data with .NET
 * tick timestamps; axis1 planted, axis2 = axis3 = 0 so the vector
 * magnitude equals it. wear: a capsense table marking 60 minutes not worn
 * (01:00-02:00). */
static int gen_agd_epoch(const char *path, int wear, const char *epoch) {
    sqlite3 *db;
    remove(path);
    if (sqlite3_open(path, &db) != SQLITE_OK) return 0;
    char sql[512];
    int ok = sqlite3_exec(db,
        "BEGIN;"
        "CREATE TABLE settings (settingID INTEGER PRIMARY KEY, settingName VARCHAR(64), "
        "settingValue VARCHAR(256));"
        "CREATE TABLE data (dataTimestamp INTEGER NOT NULL, axis1 INTEGER, axis2 INTEGER, "
        "axis3 INTEGER, steps INTEGER, lux INTEGER, inclineOff INTEGER, inclineStanding INTEGER, "
        "inclineSitting INTEGER, inclineLying INTEGER);"
        "INSERT INTO settings (settingName, settingValue) VALUES ('softwarename','ActiLife'),"
        "('devicename','GT3XPlus'),('deviceserial','NEO1D31110533');", NULL, NULL,
        NULL) == SQLITE_OK;
    snprintf(sql, sizeof sql, "INSERT INTO settings (settingName, settingValue) VALUES "
             "('epochlength','%s');", epoch);
    ok = ok && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    long long t0 = TICKS_1970 + (long long)DAY0 * 60 * 10000000LL;
    snprintf(sql, sizeof sql, "INSERT INTO settings (settingName, settingValue) VALUES "
             "('startdatetime','%lld');", t0);
    ok = ok && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_stmt *q = NULL;
    ok = ok && sqlite3_prepare_v2(db, "INSERT INTO data VALUES (?,?,0,0,2,5,0,1,0,0)", -1, &q,
                                  NULL) == SQLITE_OK;
    for (int m = 0; ok && m < DAY_MINUTES; m++) {
        sqlite3_bind_int64(q, 1, t0 + (long long)m * 60 * 10000000LL);
        sqlite3_bind_int(q, 2, planted(0, m));
        ok = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    if (ok && wear) {
        ok = sqlite3_exec(db, "CREATE TABLE capsense (timeStamp INTEGER, signal INTEGER, "
                              "reference INTEGER, state INTEGER, bursts INTEGER);", NULL, NULL,
                          NULL) == SQLITE_OK;
        for (int k = 0; ok && k < 3; k++) {
            static const int at[3] = {0, 60, 120}, state[3] = {1, 0, 1};
            snprintf(sql, sizeof sql, "INSERT INTO capsense VALUES (%lld, 100, 90, %d, 4);",
                     t0 + (long long)at[k] * 60 * 10000000LL, state[k]);
            ok = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
        }
    }
    ok = ok && sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL) == SQLITE_OK;
    return sqlite3_close(db) == SQLITE_OK && ok;
}

static int gen_agd(const char *path, int wear) { return gen_agd_epoch(path, wear, "60"); }
#endif

/* Apple Health: the planted day except 05:00-06:00, where 10-minute
 * records spread 7, 14, ... 42 steps over each of their minutes. */
static int apple_expected(int m) {
    return m >= 300 && m < 360 ? 7 * (1 + (m - 300) / 10) : planted(0, m);
}

#ifdef PAT_HAVE_EXPAT
/* "YYYY-MM-DD HH:MM:SS +hhmm" of minute m of 2024-03-04 (m may reach 1440). */
static void apple_time(char *buf, size_t len, int m, int sec, const char *offset) {
    int d = 4 + m / 1440;
    m %= 1440;
    snprintf(buf, len, "2024-03-%02d %02d:%02d:%02d %s", d, m / 60, m % 60, sec, offset);
}

static void apple_record(FILE *f, int watch, const char *type, int m0, int s0, int m1, int s1,
                         int value, const char *offset) {
    char a[40], b[40];
    apple_time(a, sizeof a, m0, s0, offset);
    apple_time(b, sizeof b, m1, s1, offset);
    fprintf(f, " <Record type=\"%s\" sourceName=\"%s\" sourceVersion=\"10.3\" device=\"%s\" "
            "unit=\"count\" creationDate=\"%s\" startDate=\"%s\" endDate=\"%s\" value=\"%d\"/>\n",
            type, watch ? "Alice\xE2\x80\x99s Apple\xC2\xA0Watch" : "Alice\xE2\x80\x99s iPhone",
            watch ? "&lt;&lt;HKDevice: 0x283f4d2c0&gt;, name:Apple Watch, manufacturer:Apple Inc., "
                    "model:Watch, hardware:Watch6,1, software:10.3&gt;"
                  : "&lt;&lt;HKDevice: 0x2834&gt;, name:iPhone, manufacturer:Apple Inc., "
                    "model:iPhone, hardware:iPhone14,5, software:17.3&gt;",
            b, a, b, value);
}

/* export.xml as the Health app writes it (HealthKit Export Version 14):
 * the internal DTD, ExportDate, Me, then records of many types. Steps:
 * watch records of one minute or two 20 s pieces, a zero-length record,
 * 10-minute records, phone duplicates of watch minutes (10:00-12:00, to be
 * ignored), phone-only minutes (20:00-21:00, counted), -0500 offsets, and
 * records the reader must skip (heart rate with metadata, a step record
 * inside a correlation). */
static int gen_apple_xml(const char *path) {
    static const char *const step = "HKQuantityTypeIdentifierStepCount";
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n"
          "<!-- HealthKit Export Version: 14 -->\n"
          "<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>\n"
          "<!ATTLIST HealthData\n  locale CDATA #REQUIRED\n>\n<!ELEMENT ExportDate EMPTY>\n"
          "<!ATTLIST ExportDate\n  value CDATA #REQUIRED\n>\n<!ELEMENT Me EMPTY>\n"
          "<!ATTLIST Me\n  HKCharacteristicTypeIdentifierDateOfBirth CDATA #REQUIRED\n"
          "  HKCharacteristicTypeIdentifierBiologicalSex CDATA #REQUIRED\n>\n"
          "<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>\n"
          "<!ATTLIST Record\n  type CDATA #REQUIRED\n  unit CDATA #IMPLIED\n"
          "  value CDATA #IMPLIED\n  sourceName CDATA #REQUIRED\n  sourceVersion CDATA #IMPLIED\n"
          "  device CDATA #IMPLIED\n  creationDate CDATA #IMPLIED\n  startDate CDATA #REQUIRED\n"
          "  endDate CDATA #REQUIRED\n>\n<!ELEMENT MetadataEntry EMPTY>\n"
          "<!ATTLIST MetadataEntry\n  key CDATA #REQUIRED\n  value CDATA #REQUIRED\n>\n"
          "<!ELEMENT Correlation ((MetadataEntry|Record)*)>\n"
          "<!ATTLIST Correlation\n  type CDATA #REQUIRED\n  sourceName CDATA #REQUIRED\n"
          "  startDate CDATA #REQUIRED\n  endDate CDATA #REQUIRED\n>\n]>\n"
          "<HealthData locale=\"en_GB\">\n <ExportDate value=\"2024-03-12 09:00:00 +0100\"/>\n"
          " <Me HKCharacteristicTypeIdentifierDateOfBirth=\"1990-01-01\" "
          "HKCharacteristicTypeIdentifierBiologicalSex=\"HKBiologicalSexFemale\"/>\n", f);
    for (int m = 0; m < DAY_MINUTES; m++) {
        int p = planted(0, m);
        const char *off = m >= 120 && m < 180 ? "-0500" : "+0100";
        if (m >= 300 && m < 360) {
            if (m % 10 == 0) apple_record(f, 1, step, m, 0, m + 10, 0, 70 * (1 + (m - 300) / 10), off);
        } else if (m >= 1200 && m < 1260) {
            if (p) apple_record(f, 0, step, m, 0, m + 1, 0, p, off);
        } else if (p && m == 7) {
            apple_record(f, 1, step, m, 15, m, 15, p, off);
        } else if (p && m % 2) {
            apple_record(f, 1, step, m, 0, m, 20, p / 2, off);
            apple_record(f, 1, step, m, 20, m, 40, p - p / 2, off);
        } else if (p) {
            apple_record(f, 1, step, m, 0, m + 1, 0, p, off);
        }
        if (p && m >= 600 && m < 720) apple_record(f, 0, step, m, 0, m + 1, 0, 999, off);
        if (m == 400) /* markup the skim must step over */
            fputs(" <!-- <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"x\" "
                  "startDate=\"2024-03-04 06:40:00 +0100\" endDate=\"2024-03-04 06:41:00 +0100\" "
                  "value=\"5000\"/> -->\n <?pat ignore?>\n <Record type=\"HKCategoryTypeIdentifier"
                  "SleepAnalysis\" sourceName=\"a > b 'c'\" startDate=\"2024-03-04 06:40:00 +0100\""
                  " endDate=\"2024-03-04 06:41:00 +0100\" value=\"HKCategoryValueSleepAnalysis"
                  "Asleep\"><MetadataEntry key=\"k\" value=\"&gt;\"/></Record>\n", f);
        if (m % 10 == 3) {
            fprintf(f, " <Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"W\" "
                    "unit=\"count/min\" startDate=\"2024-03-04 %02d:%02d:00 +0100\" "
                    "endDate=\"2024-03-04 %02d:%02d:00 +0100\" value=\"61\">\n  <MetadataEntry "
                    "key=\"HKMetadataKeyHeartRateMotionContext\" value=\"0\"/>\n </Record>\n",
                    m / 60, m % 60, m / 60, m % 60);
        }
    }
    fputs(" <Correlation type=\"HKCorrelationTypeIdentifierFood\" sourceName=\"App\" "
          "startDate=\"2024-03-04 12:00:00 +0100\" endDate=\"2024-03-04 12:00:00 +0100\">\n", f);
    apple_record(f, 1, step, 720, 0, 721, 0, 5000, "+0100");
    fputs(" </Correlation>\n</HealthData>\n", f);
    return fclose(f) == 0;
}

#endif

#if defined PAT_HAVE_EXPAT && defined PAT_HAVE_LIBZIP
/* export.zip as the Health app shares it: apple_health_export/export.xml
 * beside export_cda.xml. */
static int gen_apple_zip(const char *path) {
    char xml[700];
    snprintf(xml, sizeof xml, "%s.xml.tmp", path);
    if (!gen_apple_xml(xml)) return 0;
    remove(path);
    int code;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!z) return 0;
    static const char cda[] = "<?xml version=\"1.0\"?><ClinicalDocument/>";
    zip_source_t *a = zip_source_buffer(z, cda, sizeof cda - 1, 0);
    zip_source_t *b = zip_source_file(z, xml, 0, -1);
    int ok = a && b && zip_dir_add(z, "apple_health_export", ZIP_FL_ENC_UTF_8) >= 0 &&
             zip_file_add(z, "apple_health_export/export_cda.xml", a, 0) >= 0 &&
             zip_file_add(z, "apple_health_export/export.xml", b, 0) >= 0;
    ok = zip_close(z) == 0 && ok;
    remove(xml);
    return ok;
}
#endif

/* ---- reading back -------------------------------------------------------- */

#define MAX_GOT 4
struct got {
    size_t n;
    char id[MAX_GOT][64];
    int64_t start[MAX_GOT];
    size_t len[MAX_GOT];
    float *value[MAX_GOT];
    uint8_t *state[MAX_GOT];
    enum pat_format format;
    int detected;
};

static enum pat_status keep(void *ctx, struct pat_series *s, struct pat_err *err) {
    struct got *g = ctx;
    (void)err;
    if (g->n == MAX_GOT) return PAT_OK;
    size_t i = g->n++;
    snprintf(g->id[i], sizeof g->id[i], "%s", s->id);
    g->start[i] = s->start;
    g->len[i] = s->n;
    g->value[i] = malloc(s->n * sizeof(float) + 1);
    g->state[i] = malloc(s->n + 1);
    if (g->value[i]) memcpy(g->value[i], s->value, s->n * sizeof(float));
    if (g->state[i]) memcpy(g->state[i], s->state, s->n);
    return PAT_OK;
}

static void note(void *user, const char *path, enum pat_format f, int detected) {
    struct got *g = user;
    (void)path;
    g->format = f;
    g->detected = detected;
}

static void got_free(struct got *g) {
    for (size_t i = 0; i < g->n; i++) free(g->value[i]), free(g->state[i]);
    memset(g, 0, sizeof *g);
}

static enum pat_status read_auto(const char *path, struct pat_read_options *o, struct got *g,
                                 struct pat_err *err) {
    memset(g, 0, sizeof *g);
    o->on_file = note;
    o->on_file_user = g;
    return pat_read_recording(path, o, keep, g, NULL, err);
}

static int expected_minute(int who, int m) { return who < 2 ? planted(who, m) : apple_expected(m); }

/* Participant i of g holds the planted day of `who` (2: Apple Health), all VALID. */
static void check_planted(struct check_ctx *c, const struct got *g, size_t i, int who) {
    if (!CHECK(c, g->n > i) || !CHECK(c, g->start[i] == DAY0) ||
        !CHECK(c, g->len[i] == DAY_MINUTES))
        return;
    for (int m = 0; m < DAY_MINUTES; m++)
        if (g->state[i][m] != PAT_MIN_VALID || g->value[i][m] != (float)expected_minute(who, m)) {
            check_fail(c, "minute %d of %s: %g (state %d), planted %d", m, g->id[i],
                       (double)g->value[i][m], g->state[i][m], expected_minute(who, m));
            return;
        }
}

static const char *tmp_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", check_tmp_dir(), name);
    return buf;
}

typedef int (*gen_fn)(const char *path);

static void round_trip_who(struct check_ctx *c, const char *name, gen_fn gen,
                           enum pat_format want, int who) {
    char path[600];
    struct got g;
    struct pat_err err = {0};
    struct pat_read_options o = pat_read_default_options();
    if (!pat_table_available() && want != PAT_FORMAT_AWD && want != PAT_FORMAT_AGD &&
        want != PAT_FORMAT_APPLE_HEALTH) {
        check_skip(c, "built without libcsv");
        return;
    }
    if (!CHECK(c, gen(tmp_path(path, sizeof path, name)))) return;
    CHECK(c, pat_format_detect(path) == want);
    enum pat_status st = read_auto(path, &o, &g, &err);
    if (!CHECK_STATUS(c, st, PAT_OK)) check_fail(c, "%s", err.msg);
    CHECK(c, g.format == want && g.detected);
    check_planted(c, &g, 0, who);
    got_free(&g);
}

static void round_trip(struct check_ctx *c, const char *name, gen_fn gen, enum pat_format want) {
    round_trip_who(c, name, gen, want, 0);
}

static void test_apple_health_xml(struct check_ctx *c) {
#ifdef PAT_HAVE_EXPAT
    round_trip_who(c, "export.xml", gen_apple_xml, PAT_FORMAT_APPLE_HEALTH, 2);
#else
    check_skip(c, "built without expat");
#endif
}

static void test_apple_health_zip(struct check_ctx *c) {
#if defined PAT_HAVE_EXPAT && defined PAT_HAVE_LIBZIP
    round_trip_who(c, "alice.zip", gen_apple_zip, PAT_FORMAT_APPLE_HEALTH, 2);
#else
    check_skip(c, "built without expat or libzip");
#endif
}

static void test_generic_csv(struct check_ctx *c) {
    round_trip(c, "generic.csv", gen_generic, PAT_FORMAT_CSV);
}
static void test_actilife_60s(struct check_ctx *c) {
    round_trip(c, "actilife60.csv", gen_actilife, PAT_FORMAT_ACTILIFE_CSV);
}
static void test_actilife_10s_headerless(struct check_ctx *c) {
    round_trip(c, "actilife10.csv", gen_actilife_10s, PAT_FORMAT_ACTILIFE_CSV);
}
static void test_awd(struct check_ctx *c) { round_trip(c, "subj01.AWD", gen_awd, PAT_FORMAT_AWD); }

static void test_fitbit_two_participants(struct check_ctx *c) {
    char path[600];
    struct got g;
    struct pat_err err = {0};
    struct pat_read_options o = pat_read_default_options();
    if (!pat_table_available()) {
        check_skip(c, "built without libcsv");
        return;
    }
    if (!CHECK(c, gen_fitbit(tmp_path(path, sizeof path, "minuteStepsNarrow_merged.csv"))))
        return;
    enum pat_status st = read_auto(path, &o, &g, &err);
    if (!CHECK_STATUS(c, st, PAT_OK)) check_fail(c, "%s", err.msg);
    CHECK(c, g.format == PAT_FORMAT_FITBIT_MINUTE);
    CHECK(c, g.n == 2);
    CHECK(c, strcmp(g.id[0], "1503960366") == 0 && strcmp(g.id[1], "1624580081") == 0);
    check_planted(c, &g, 0, 0);
    check_planted(c, &g, 1, 1);
    got_free(&g);
}

#ifdef PAT_HAVE_SQLITE
static int gen_agd_plain(const char *path) { return gen_agd(path, 0); }
#endif

static void test_agd(struct check_ctx *c) {
#ifdef PAT_HAVE_SQLITE
    char path[600];
    struct got g;
    struct pat_err err = {0};
    struct pat_read_options o = pat_read_default_options();
    if (!CHECK(c, gen_agd(tmp_path(path, sizeof path, "wear.agd"), 1))) return;
    CHECK(c, pat_format_detect(path) == PAT_FORMAT_AGD);
    enum pat_status st = read_auto(path, &o, &g, &err);
    if (!CHECK_STATUS(c, st, PAT_OK)) check_fail(c, "%s", err.msg);
    if (CHECK(c, g.n == 1 && g.len[0] == DAY_MINUTES)) {
        size_t nonwear = 0, wrong = 0;
        for (int m = 0; m < DAY_MINUTES; m++) {
            int off = m >= 60 && m < 120;
            nonwear += g.state[0][m] == PAT_MIN_NONWEAR;
            wrong += off != (g.state[0][m] == PAT_MIN_NONWEAR) ||
                     (!off && g.value[0][m] != (float)planted(0, m));
        }
        CHECK(c, nonwear == 60 && wrong == 0);
    }
    got_free(&g);
    round_trip(c, "plain.agd", gen_agd_plain, PAT_FORMAT_AGD);
#else
    check_skip(c, "built without SQLite");
#endif
}

/* ---- refusals ------------------------------------------------------------ */

static void expect_error(struct check_ctx *c, const char *name, const char *text, size_t len,
                         enum pat_format fmt, const char *words) {
    char path[600];
    struct pat_err err = {0};
    struct pat_read_options o = pat_read_default_options();
    struct got g;
    o.format = fmt;
    if (!CHECK(c, check_write_file(tmp_path(path, sizeof path, name), text, len))) return;
    enum pat_status st = read_auto(path, &o, &g, &err);
    got_free(&g);
    if (st == PAT_OK) {
        check_fail(c, "%s was accepted", name);
        return;
    }
    if (!strstr(err.msg, name) || !strstr(err.msg, words))
        check_fail(c, "%s: message '%s' lacks the file name or '%s'", name, err.msg, words);
}

static void test_refusals(struct check_ctx *c) {
    static const char bin[] = "\x01\x02\x00\x7f binary";
    expect_error(c, "blob.bin", bin, sizeof bin, PAT_FORMAT_AUTO, "formats tried: agd");
    static const char awd[] = "X\n04-Mar-2024\n00:00\n7\n30\nL1\nF\n12\n";
    expect_error(c, "bad.awd", awd, strlen(awd), PAT_FORMAT_AWD, "unknown epoch code");
    static const char awd_short[] = "X\n04-Mar-2024\n00:00\n";
    expect_error(c, "short.awd", awd_short, strlen(awd_short), PAT_FORMAT_AWD, "truncated");
    if (!pat_table_available()) return;
    static const char al[] = "------------ Data File Created By ActiGraph GT3X+ date format "
                             "M/d/yyyy\nSerial Number: X\nStart Time 00:00:00\n";
    expect_error(c, "cut.csv", al, strlen(al), PAT_FORMAT_AUTO, "header block does not end");
    static const char fb[] = "Id,ActivityMinute,Steps\n1,3/4/2024 1:00:00 AM,3\n"
                             "2,3/4/2024 1:00:00 AM,3\n1,3/4/2024 1:01:00 AM,4\n";
    expect_error(c, "back.csv", fb, strlen(fb), PAT_FORMAT_AUTO, "comes back");
    static const char us[] = "when,v\n03/13/2024 10:00,1\n03/13/2024 10:01,x\n";
    expect_error(c, "word.csv", us, strlen(us), PAT_FORMAT_AUTO, "not a number");
    static const char quote[] = "when,v\n2024-03-04 10:00,\"1\n";
    expect_error(c, "quote.csv", quote, strlen(quote), PAT_FORMAT_CSV, "");
    static const char order[] = "Time,Date,Axis1\n10:00:00\n";
    expect_error(c, "order.csv", order, strlen(order), PAT_FORMAT_ACTILIFE_CSV, "fields");
    static const char empty_rows[] = "\n\n,\n";
    expect_error(c, "rows.csv", empty_rows, strlen(empty_rows), PAT_FORMAT_ACTILIFE_CSV, "");
    static const char many[] = "t,a,b\n2024-03-04 10:00,1,2\n";
    expect_error(c, "many.csv", many, strlen(many), PAT_FORMAT_AUTO, "--value-col");
}

static void test_apple_refusals(struct check_ctx *c) {
#ifdef PAT_HAVE_EXPAT
    char path[600];
    size_t len;
    if (!CHECK(c, gen_apple_xml(tmp_path(path, sizeof path, "full.xml")))) return;
    unsigned char *bytes = check_read_file(path, &len);
    if (!CHECK(c, bytes != NULL)) return;
    expect_error(c, "half.xml", (const char *)bytes, len / 2, PAT_FORMAT_AUTO, "half.xml:");
    free(bytes);
    static const char root[] = "<?xml version=\"1.0\"?>\n<HealthDataX/>\n";
    expect_error(c, "root.xml", root, strlen(root), PAT_FORMAT_APPLE_HEALTH, "<HealthData>");
    /* an external entity must be neither fetched nor read */
    static const char xxe[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE HealthData [\n"
        "<!ENTITY x SYSTEM \"file:///etc/hostname\">]>\n<HealthData>\n"
        "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"&x;\" "
        "startDate=\"2024-03-04 10:00:00 +0100\" endDate=\"2024-03-04 10:01:00 +0100\" "
        "value=\"5\"/>\n</HealthData>\n";
    expect_error(c, "xxe.xml", xxe, strlen(xxe), PAT_FORMAT_AUTO, "xxe.xml");
    static const char none[] = "<?xml version=\"1.0\"?>\n<HealthData>\n"
        "<Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"W\" "
        "startDate=\"2024-03-04 10:00:00 +0100\" endDate=\"2024-03-04 10:01:00 +0100\" "
        "value=\"60\"/>\n</HealthData>\n";
    expect_error(c, "nosteps.xml", none, strlen(none), PAT_FORMAT_AUTO, "no step records");
    static const char zip[] = "PK\x03\x04 not really a zip";
    expect_error(c, "broken.zip", zip, sizeof zip - 1, PAT_FORMAT_AUTO, "zip");
#else
    check_skip(c, "built without expat");
#endif
}

static void test_truncated_agd(struct check_ctx *c) {
#ifdef PAT_HAVE_SQLITE
    char path[600], cut[600];
    size_t len;
    if (!CHECK(c, gen_agd(tmp_path(path, sizeof path, "whole.agd"), 0))) return;
    unsigned char *bytes = check_read_file(path, &len);
    if (!CHECK(c, bytes && len > 8192)) return;
    struct pat_err err = {0};
    struct got g;
    struct pat_read_options o = pat_read_default_options();
    CHECK(c, check_write_file(tmp_path(cut, sizeof cut, "cut.agd"), bytes, len / 2));
    free(bytes);
    enum pat_status st = read_auto(cut, &o, &g, &err);
    got_free(&g);
    CHECK(c, st != PAT_OK && strstr(err.msg, "cut.agd"));
    /* found by fuzz_agd: the message quoted a setting after its statement was freed */
    CHECK(c, gen_agd_epoch(tmp_path(cut, sizeof cut, "epoch7.agd"), 0, "7"));
    st = read_auto(cut, &o, &g, &err);
    got_free(&g);
    CHECK(c, st != PAT_OK && strstr(err.msg, "epochlength '7'"));
#else
    check_skip(c, "built without SQLite");
#endif
}

/* ---- date and time spellings --------------------------------------------- */

static void test_when(struct check_ctx *c) {
    int64_t ms, base = (int64_t)DAY0 * 60000;
    CHECK(c, pat_when_datetime("2024-03-04T10:05:30.250+01:00", 29, PAT_DATE_AUTO, &ms) == 0 &&
                 ms == base + (10 * 3600 + 5 * 60 + 30) * 1000 + 250);
    CHECK(c, pat_when_datetime("2024-03-04 10:05Z", 17, PAT_DATE_AUTO, &ms) == 0 &&
                 ms == base + (10 * 60 + 5) * 60000);
    CHECK(c, pat_when_datetime("3/4/2024 12:05:00 AM", 20, PAT_DATE_AUTO, &ms) == 0 &&
                 ms == base + 5 * 60000);
    CHECK(c, pat_when_datetime("3/4/2024 12:05:00 PM", 20, PAT_DATE_AUTO, &ms) == 0 &&
                 ms == base + 12 * 3600000 + 5 * 60000);
    CHECK(c, pat_when_datetime("04.03.2024 00:00", 16, PAT_DATE_DMY, &ms) == 0 && ms == base);
    CHECK(c, pat_when_datetime("13/03/2024 00:00", 16, PAT_DATE_AUTO, &ms) == 0 &&
                 ms == base + 9 * 86400000LL);
    CHECK(c, pat_when_datetime("03/13/2024 00:00", 16, PAT_DATE_DMY, &ms) != 0);
    CHECK(c, pat_when_datetime("04-Mar-2024 00:00", 17, PAT_DATE_AUTO, &ms) == 0 && ms == base);
    CHECK(c, pat_when_datetime("2024-02-30 00:00", 16, PAT_DATE_AUTO, &ms) != 0);
    CHECK(c, pat_when_datetime("2024-03-04 24:00", 16, PAT_DATE_AUTO, &ms) != 0);
    CHECK(c, pat_when_datetime("2024-03-04 10:00 +25:00", 23, PAT_DATE_AUTO, &ms) != 0);
}

/* ---- --write: the files of tests/test_readers_cli.sh ---------------------- */

static int write_expected(const char *dir, const char *name, int people) {
    char path[700];
    snprintf(path, sizeof path, "%s/expected/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    for (int who = people == 3 ? 2 : 0; who < (people == 3 ? 3 : people); who++)
        for (int m = 0; m < DAY_MINUTES; m++)
            fprintf(f, m ? ",%.9g" : "%.9g", (double)(float)expected_minute(who, m)),
                fputs(m == DAY_MINUTES - 1 ? "\n" : "", f);
    return fclose(f) == 0;
}

static int write_all(const char *dir) {
    /* people: participants (3: one, the Apple Health expectation); csv:
     * needs libcsv (files of formats this build cannot read are not written) */
    static const struct { const char *name; gen_fn gen; int people, csv; } files[] = {
        {"generic.csv", gen_generic, 1, 1},        {"actilife60.csv", gen_actilife, 1, 1},
        {"actilife10.csv", gen_actilife_10s, 1, 1}, {"subj01.AWD", gen_awd, 1, 0},
        {"minuteStepsNarrow_merged.csv", gen_fitbit, 2, 1},
#ifdef PAT_HAVE_SQLITE
        {"plain.agd", gen_agd_plain, 1, 0},
#endif
#ifdef PAT_HAVE_EXPAT
        {"export.xml", gen_apple_xml, 3, 0},
#ifdef PAT_HAVE_LIBZIP
        {"alice.zip", gen_apple_zip, 3, 0},
#endif
#endif
    };
    char path[700];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/in", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/expected", dir);
    mkdir(path, 0755);
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        if (files[k].csv && !pat_table_available()) continue;
        snprintf(path, sizeof path, "%s/in/%s", dir, files[k].name);
        if (!files[k].gen(path) || !write_expected(dir, files[k].name, files[k].people)) {
            fprintf(stderr, "test_readers: cannot write %s\n", path);
            return 1;
        }
        printf("%s\n", files[k].name);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write") == 0) return write_all(argv[2]);
    int failures = 0;
    RUN(test_when);
    RUN(test_generic_csv);
    RUN(test_actilife_60s);
    RUN(test_actilife_10s_headerless);
    RUN(test_awd);
    RUN(test_fitbit_two_participants);
    RUN(test_agd);
    RUN(test_apple_health_xml);
    RUN(test_apple_health_zip);
    RUN(test_refusals);
    RUN(test_truncated_agd);
    RUN(test_apple_refusals);
    return failures ? 1 : 0;
}
