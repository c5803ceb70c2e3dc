/* agd.c - ActiGraph .agd files: SQLite databases written by ActiLife
 * (docs/data.md "ActiGraph AGD"). Tables: settings (settingName,
 * settingValue: startdatetime and times in .NET ticks, epochlength in
 * seconds, deviceserial, ...), data (dataTimestamp in ticks, axis1, axis2,
 * axis3, steps, lux, inclinometer columns when recorded) and, from wear
 * sensors, capsense (timeStamp, state: 1 worn, 0 not worn).
 *
 * The only file that uses libsqlite3. A hostile file must not make SQLite
 * write, load extensions, run triggers or views, or trust its schema: the
 * database is opened read-only, without URIs, with defensive settings,
 * query_only, and only fixed statements naming whitelisted columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/files.h"
#include "readers/fields.h"
#include "readers/readers.h"
#include "util.h"

#ifdef PAT_HAVE_SQLITE
#include <sqlite3.h>

#define TICKS_AT_1970 621355968000000000LL /* .NET ticks (100 ns) of 1970-01-01 */
#define TICKS_PER_MS 10000LL

struct agd {
    const char *path;
    sqlite3 *db;
    int64_t epoch_s;
    int has[6];            /* axis1, axis2, axis3, steps, lux, capsense table */
};

static const char *const count_cols[5] = {"axis1", "axis2", "axis3", "steps", "lux"};

static enum pat_status db_fail(struct agd *a, const char *what, struct pat_err *err) {
    return pat_fail(err, PAT_ERR_FORMAT, "%s: %s: %s", a->path, what,
                    a->db ? sqlite3_errmsg(a->db) : "cannot open");
}

static enum pat_status open_db(struct agd *a, struct pat_err *err) {
    if (sqlite3_open_v2(a->path, &a->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return db_fail(a, "not a readable SQLite database", err);
    int off = 0, on = 1;
    sqlite3_db_config(a->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, off, NULL);
    sqlite3_db_config(a->db, SQLITE_DBCONFIG_DEFENSIVE, on, NULL);
    sqlite3_db_config(a->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, NULL);
    sqlite3_db_config(a->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, off, NULL);
    sqlite3_db_config(a->db, SQLITE_DBCONFIG_ENABLE_VIEW, off, NULL);
    sqlite3_limit(a->db, SQLITE_LIMIT_LENGTH, 1 << 20);
    sqlite3_limit(a->db, SQLITE_LIMIT_ATTACHED, 0);
    if (sqlite3_exec(a->db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(a, "cannot set query_only", err);
    return PAT_OK;
}

/* Ticks -> wall-clock milliseconds; 0 when out of range. */
static int ticks_ms(sqlite3_int64 ticks, int64_t *ms) {
    if (ticks < TICKS_AT_1970 - 70LL * 365 * 86400 * 10000000LL ||
        ticks > TICKS_AT_1970 + 230LL * 365 * 86400 * 10000000LL)
        return 0;
    *ms = (ticks - TICKS_AT_1970) / TICKS_PER_MS;
    return 1;
}

static enum pat_status read_settings(struct agd *a, int64_t *start_ms, struct pat_err *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(a->db, "SELECT settingName, settingValue FROM settings", -1, &q,
                           NULL) != SQLITE_OK)
        return db_fail(a, "no settings table", err);
    int have_epoch = 0, have_start = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        const char *value = (const char *)sqlite3_column_text(q, 1);
        if (!name || !value) continue;
        if (strcasecmp(name, "epochlength") == 0) {
            char *end;
            long v = strtol(value, &end, 10);
            if (*end || v < 1 || v > 3600 || (v < 60 ? 60 % v : v % 60)) {
                /* the message first: value belongs to the statement */
                enum pat_status st = pat_fail(err, PAT_ERR_FORMAT, "%s: settings: epochlength "
                                              "'%.20s' is not a divisor or multiple of 60 s",
                                              a->path, value);
                sqlite3_finalize(q);
                return st;
            }
            a->epoch_s = v, have_epoch = 1;
        } else if (strcasecmp(name, "startdatetime") == 0) {
            have_start = ticks_ms(strtoll(value, NULL, 10), start_ms);
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) return db_fail(a, "reading settings", err);
    if (!have_epoch) return pat_fail(err, PAT_ERR_FORMAT, "%s: settings: no epochlength", a->path);
    (void)have_start;
    return PAT_OK;
}

static enum pat_status read_columns(struct agd *a, struct pat_err *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(a->db, "SELECT name FROM pragma_table_info('data')", -1, &q, NULL) !=
        SQLITE_OK)
        return db_fail(a, "reading the data table's columns", err);
    int ts = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        if (!name) continue;
        ts |= strcasecmp(name, "dataTimestamp") == 0;
        for (int k = 0; k < 5; k++) a->has[k] |= strcasecmp(name, count_cols[k]) == 0;
    }
    sqlite3_finalize(q);
    if (!ts || !a->has[0])
        return pat_fail(err, PAT_ERR_FORMAT, "%s: no data table with dataTimestamp and axis1",
                        a->path);
    if (sqlite3_prepare_v2(a->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND "
                                  "name='capsense'", -1, &q, NULL) != SQLITE_OK)
        return db_fail(a, "reading the schema", err);
    a->has[5] = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return PAT_OK;
}

/* Column index into count_cols of --value-col (-1: vector magnitude). */
static enum pat_status choose(struct agd *a, const char *want, int *col, struct pat_err *err) {
    int vm_ok = a->has[1] && a->has[2];
    if (!want) {
        *col = vm_ok ? -1 : 0;
        return PAT_OK;
    }
    if (strcasecmp(want, "vm") == 0 || strcasecmp(want, "vector magnitude") == 0) {
        *col = -1;
        if (vm_ok) return PAT_OK;
    }
    for (int k = 0; k < 5; k++)
        if (strcasecmp(want, count_cols[k]) == 0 && a->has[k]) {
            *col = k;
            return PAT_OK;
        }
    return pat_fail(err, PAT_ERR_FORMAT, "%s: no column '%s' (agd columns: axis1, axis2, axis3, "
                    "steps, lux, vm when recorded)", a->path, want);
}

/* Wear state walk: capsense rows in time order, the latest at or before t. */
struct wear {
    sqlite3_stmt *q;
    int have, next_have;
    int64_t next_t;
    int state, next_state;
};

static void wear_step(struct wear *w) {
    w->next_have = 0;
    while (w->q && sqlite3_step(w->q) == SQLITE_ROW) {
        if (!ticks_ms(sqlite3_column_int64(w->q, 0), &w->next_t)) continue;
        w->next_state = sqlite3_column_int(w->q, 1);
        w->next_have = 1;
        return;
    }
}

static int worn(struct wear *w, int64_t t) {
    while (w->next_have && w->next_t <= t) {
        w->state = w->next_state;
        w->have = 1;
        wear_step(w);
    }
    return !w->have || w->state != 0;
}

static enum pat_status read_data(struct agd *a, int col, struct pat_epochs *e,
                                 struct pat_err *err) {
    char sql[160];
    if (col >= 0)
        snprintf(sql, sizeof sql, "SELECT dataTimestamp, %s FROM data", count_cols[col]);
    else
        snprintf(sql, sizeof sql, "SELECT dataTimestamp, axis1, axis2, axis3 FROM data");
    sqlite3_stmt *q;
    struct wear w = {0};
    if (sqlite3_prepare_v2(a->db, sql, -1, &q, NULL) != SQLITE_OK)
        return db_fail(a, "reading the data table", err);
    if (a->has[5] && sqlite3_prepare_v2(a->db, "SELECT timeStamp, state FROM capsense", -1, &w.q,
                                        NULL) != SQLITE_OK)
        w.q = NULL;
    wear_step(&w);
    enum pat_status st = PAT_OK;
    size_t row = 0;
    int rc;
    while (st == PAT_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t t;
        row++;
        if (!ticks_ms(sqlite3_column_int64(q, 0), &t)) {
            st = pat_fail(err, PAT_ERR_FORMAT, "%s: data row %zu: dataTimestamp out of range",
                          a->path, row);
            break;
        }
        double v = sqlite3_column_double(q, 1);
        if (col < 0) {
            double y = sqlite3_column_double(q, 2), z = sqlite3_column_double(q, 3);
            v = sqrt(v * v + y * y + z * z);
        }
        int missing = sqlite3_column_type(q, 1) == SQLITE_NULL;
        enum pat_minute_state state = missing ? PAT_MIN_MISSING
                                      : worn(&w, t) ? PAT_MIN_VALID : PAT_MIN_NONWEAR;
        st = pat_epochs_push(e, t, v, state, row, err);
    }
    if (st == PAT_OK && rc != SQLITE_DONE) st = db_fail(a, "reading the data table", err);
    sqlite3_finalize(q);
    sqlite3_finalize(w.q);
    return st;
}

enum pat_status pat_read_agd(const char *path, const struct pat_read_options *o,
                             pat_series_fn fn, void *ctx, size_t *count, struct pat_err *err) {
    struct agd a = {.path = path};
    struct pat_series s;
    struct pat_epochs e;
    char id[256];
    int64_t start_ms = 0;
    int col = 0;
    pat_path_stem(path, id, sizeof id);
    enum pat_status st = pat_series_init(&s, id, err);
    if (st != PAT_OK) return st;
    st = open_db(&a, err);
    if (st == PAT_OK) st = read_settings(&a, &start_ms, err);
    if (st == PAT_OK) st = read_columns(&a, err);
    if (st == PAT_OK) st = choose(&a, o->value_col, &col, err);
    if (st == PAT_OK) {
        pat_epochs_begin(&e, &s, &o->rules, o->agg, a.epoch_s, path);
        st = read_data(&a, col, &e, err);
        if (st == PAT_OK) st = pat_epochs_end(&e, err);
    }
    if (st == PAT_OK && s.n == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no data rows", path);
    sqlite3_close(a.db);
    if (st == PAT_OK) st = pat_emit(&s, fn, ctx, count, err);
    pat_series_free(&s);
    return st;
}

#else

enum pat_status pat_read_agd(const char *path, const struct pat_read_options *o,
                             pat_series_fn fn, void *ctx, size_t *count, struct pat_err *err) {
    (void)o, (void)fn, (void)ctx, (void)count;
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: this pat was built without SQLite, needed "
                    "for .agd files (apt-get install libsqlite3-dev and rebuild)", path);
}

#endif
