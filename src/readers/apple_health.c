/* apple_health.c - Apple Health exports: export.xml, or the export.zip the
 * Health app writes (docs/data.md "Apple Health").
 *
 * The XML is streamed through expat (Debian libexpat1-dev; the only file
 * that uses it), so memory does not grow with the file: it holds one
 * value and one source class per minute of the recorded span. Only
 * <Record type="HKQuantityTypeIdentifierStepCount"> children of the root
 * <HealthData> are read (startDate, endDate, value, sourceName, device);
 * every other record type, workouts, correlations, metadata and the
 * clinical (CDA) file are ignored.
 *
 * A record's steps are spread over [startDate, endDate) in proportion to
 * each minute's overlap. Sources are ranked watch > phone > other (as the
 * Health app prefers a watch's steps): in each minute only the steps of
 * the best-ranked class that recorded anything count, so a phone's steps
 * counted by a worn watch are not added twice. Dates are read on the wall
 * clock they were written in (the ±hhmm offset is checked, not applied).
 * Minutes without a record are 0 steps on days with at least one record;
 * days without any record are missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/clock.h"
#include "data/files.h"
#include "readers/fields.h"
#include "readers/readers.h"
#include "readers/xml_skim.h"
#include "readers/zip_member.h"
#include "util.h"

#ifdef PAT_HAVE_EXPAT
#include <expat.h>

#define MAX_RECORD_MS (7LL * 86400000) /* longer records are ignored */

enum source_class { SRC_NONE = 0, SRC_OTHER = 1, SRC_PHONE = 2, SRC_WATCH = 3 };

/* Minutes [base, base + cap): steps and the class that gave them. */
struct grid {
    int64_t base;
    size_t cap;
    float *v;
    uint8_t *cls;
    int any;
    int64_t lo, hi; /* recorded minutes [lo, hi] */
};

struct apple {
    const char *path;
    XML_Parser xp;
    struct pat_err *err;
    enum pat_status st;
    int depth;
    int64_t at;      /* file offset of the text being parsed */
    struct grid g;
    size_t records, ignored;
};

static enum pat_status grid_reserve(struct apple *a, int64_t m0, int64_t m1) {
    struct grid *g = &a->g;
    if (g->cap && m0 >= g->base && m1 < g->base + (int64_t)g->cap) return PAT_OK;
    int64_t lo = g->any ? (m0 < g->lo ? m0 : g->lo) : m0;
    int64_t hi = g->any ? (m1 > g->hi ? m1 : g->hi) : m1;
    if (hi - lo >= (int64_t)PAT_SERIES_MAX_MINUTES)
        return pat_fail(a->err, PAT_ERR_FORMAT, "%s: step records span more than %zu minutes",
                        a->path, PAT_SERIES_MAX_MINUTES);
    int64_t slack = 7 * 1440 + (int64_t)g->cap / 2;
    int64_t base = lo - slack, end = hi + 1 + slack;
    size_t cap = (size_t)(end - base);
    float *v = calloc(cap, sizeof *v);
    uint8_t *cls = calloc(cap, 1);
    if (!v || !cls) {
        free(v), free(cls);
        return pat_fail(a->err, PAT_ERR_NOMEM, "%s: out of memory for %zu minutes", a->path, cap);
    }
    if (g->cap) {
        size_t off = (size_t)(g->base - base);
        memcpy(v + off, g->v, g->cap * sizeof *v);
        memcpy(cls + off, g->cls, g->cap);
    }
    free(g->v), free(g->cls);
    g->v = v, g->cls = cls, g->base = base, g->cap = cap;
    return PAT_OK;
}

static void grid_add(struct grid *g, int64_t m, double steps, uint8_t c) {
    size_t i = (size_t)(m - g->base);
    if (g->cls[i] < c) g->v[i] = (float)steps, g->cls[i] = c;
    else if (g->cls[i] == c) g->v[i] += (float)steps;
}

/* Spread steps over [s, e) (ms) by overlap; an empty interval counts in
 * its start minute. */
static enum pat_status spread(struct apple *a, int64_t s, int64_t e, double steps, uint8_t c) {
    if (e - s > MAX_RECORD_MS) {
        a->ignored++;
        return PAT_OK;
    }
    int64_t m0 = pat_floor_div(s, 60000), m1 = e > s ? pat_floor_div(e - 1, 60000) : m0;
    enum pat_status st = grid_reserve(a, m0, m1);
    if (st != PAT_OK) return st;
    struct grid *g = &a->g;
    if (e <= s) grid_add(g, m0, steps, c);
    for (int64_t m = m0; e > s && m <= m1; m++) {
        int64_t from = m * 60000 > s ? m * 60000 : s, to = (m + 1) * 60000 < e ? (m + 1) * 60000 : e;
        grid_add(g, m, steps * (double)(to - from) / (double)(e - s), c);
    }
    if (!g->any || m0 < g->lo) g->lo = m0;
    if (!g->any || m1 > g->hi) g->hi = m1;
    g->any = 1;
    return PAT_OK;
}

static void stop(struct apple *a, enum pat_status st) {
    a->st = st;
    XML_StopParser(a->xp, XML_FALSE);
}


static const char step_type[] = "HKQuantityTypeIdentifierStepCount";

/* One <Record>: attribute names and values alternate in att. */
static void record(struct apple *a, const XML_Char **att) {
    const char *type = NULL, *start = NULL, *end = NULL, *value = NULL;
    uint8_t cls = SRC_OTHER;
    for (; att[0]; att += 2) {
        const char *name = att[0], *v = att[1];
        if (strcmp(name, "type") == 0) type = v;
        else if (strcmp(name, "startDate") == 0) start = v;
        else if (strcmp(name, "endDate") == 0) end = v;
        else if (strcmp(name, "value") == 0) value = v;
        else if (strcmp(name, "device") == 0 || strcmp(name, "sourceName") == 0) {
            uint8_t c = strstr(v, "Watch") ? SRC_WATCH : strstr(v, "iPhone") ? SRC_PHONE : SRC_OTHER;
            if (c > cls) cls = c;
        }
    }
    if (!type || strcmp(type, step_type) != 0) return;
    a->records++;
    int64_t s, e;
    if (!start || !end || !value ||
        pat_when_datetime(start, strlen(start), PAT_DATE_YMD, &s) != PAT_WHEN_OK ||
        pat_when_datetime(end, strlen(end), PAT_DATE_YMD, &e) != PAT_WHEN_OK) {
        stop(a, pat_fail(a->err, PAT_ERR_FORMAT, "%s: byte %lld: step record without a "
                         "readable startDate, endDate and value", a->path, (long long)a->at));
        return;
    }
    char *stop_at;
    double steps = strtod(value, &stop_at);
    if (!value[0] || *stop_at || !isfinite(steps) || steps < 0 || steps > 1e6) {
        stop(a, pat_fail(a->err, PAT_ERR_FORMAT, "%s: byte %lld: step count is not a number "
                         "in 0..1e6: '%.40s'", a->path, (long long)a->at, value));
        return;
    }
    uint8_t r_cls = cls;
    enum pat_status st = spread(a, s, e, steps, r_cls);
    if (st != PAT_OK) stop(a, st);
}

static void on_start(void *user, const XML_Char *name, const XML_Char **att) {
    struct apple *a = user;
    a->depth++;
    if (a->st != PAT_OK) return;
    if (a->depth == 1 && strcmp(name, "HealthData") != 0)
        stop(a, pat_fail(a->err, PAT_ERR_FORMAT, "%s: not an Apple Health export (root element "
                         "<%.40s>, expected <HealthData>)", a->path, name));
    else if (a->depth == 2 && strcmp(name, "Record") == 0)
        record(a, att);
}

static void on_end(void *user, const XML_Char *name) {
    struct apple *a = user;
    (void)name;
    a->depth--;
}

/* Entity references to anything outside the file are refused, never read. */
static int on_external(XML_Parser p, const XML_Char *context, const XML_Char *base,
                       const XML_Char *system, const XML_Char *public_id) {
    (void)p, (void)context, (void)base, (void)system, (void)public_id;
    return XML_STATUS_ERROR;
}

struct source {
    FILE *f;
    struct pat_zip_member *z;
    const char *path;
};

static long read_source(void *src, char *buf, size_t n, struct pat_err *err) {
    struct source *r = src;
    if (r->z) return pat_zip_member_read(r->z, buf, n, err);
    size_t got = fread(buf, 1, n, r->f);
    if (got == 0 && ferror(r->f)) {
        pat_fail(err, PAT_ERR_IO, "%s: read error", r->path);
        return -1;
    }
    return (long)got;
}

static enum pat_status feed(void *sink, const char *bytes, size_t n, int64_t at, int last,
                            struct pat_err *err) {
    struct apple *a = sink;
    (void)err;
    a->at = at;
    if (n > (size_t)1 << 30) return pat_fail(a->err, PAT_ERR_FORMAT, "%s: chunk too large", a->path);
    enum XML_Status rc = XML_Parse(a->xp, bytes, (int)n, last);
    if (a->st != PAT_OK) return a->st;
    if (rc != XML_STATUS_OK)
        a->st = pat_fail(a->err, PAT_ERR_FORMAT, "%s: near byte %lld: %s", a->path,
                         (long long)at, XML_ErrorString(XML_GetErrorCode(a->xp)));
    return a->st;
}

/* Parse the XML of src: the skim hands expat the prolog, the root and its
 * step-count records (xml_skim.h); expat checks all it is given. */
static enum pat_status parse(struct apple *a, struct source *src) {
    a->xp = XML_ParserCreate(NULL);
    if (!a->xp) return pat_fail(a->err, PAT_ERR_NOMEM, "out of memory");
    XML_SetUserData(a->xp, a);
    XML_SetElementHandler(a->xp, on_start, on_end);
    XML_SetParamEntityParsing(a->xp, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetExternalEntityRefHandler(a->xp, on_external);
    enum pat_status st = pat_xml_skim(read_source, src, "\"HKQuantityTypeIdentifierStepCount\"",
                                      feed, a, a->path, a->err);
    XML_ParserFree(a->xp);
    a->xp = NULL;
    return st;
}

/* The recorded span as a series: days without any record are missing. */
static enum pat_status to_series(struct apple *a, struct pat_series *s,
                                 const struct pat_read_options *o) {
    struct grid *g = &a->g;
    int64_t day = PAT_MINUTES_PER_DAY;
    for (int64_t m = g->lo; m <= g->hi; m++) {
        int64_t d0 = pat_floor_div(m, day) * day, d1 = d0 + day;
        int any = 0;
        for (int64_t k = d0 > g->lo ? d0 : g->lo; k < d1 && k <= g->hi && !any; k++)
            any = g->cls[k - g->base] != SRC_NONE;
        for (; m < d1 && m <= g->hi; m++) {
            float v = g->v[m - g->base];
            enum pat_status st = pat_series_push(s, &o->rules, m, any ? v : NAN,
                                                 any ? PAT_MIN_VALID : PAT_MIN_MISSING, a->path,
                                                 0, a->err);
            if (st != PAT_OK) return st;
        }
        m--;
    }
    return PAT_OK;
}

static int is_zip(FILE *f) {
    unsigned char m[4] = {0};
    size_t n = fread(m, 1, 4, f);
    rewind(f);
    return n == 4 && memcmp(m, "PK\x03\x04", 4) == 0;
}

enum pat_status pat_read_apple_health(const char *path, const struct pat_read_options *o,
                                      pat_series_fn fn, void *ctx, size_t *count,
                                      struct pat_err *err) {
    struct apple a = {.path = path, .err = err, .st = PAT_OK};
    struct source src = {.path = path};
    struct pat_series s;
    char id[256];
    if (!(src.f = fopen(path, "rb"))) return pat_fail(err, PAT_ERR_IO, "%s: cannot open", path);
    enum pat_status st = is_zip(src.f) ? pat_zip_member_open(path, "export.xml", &src.z, err)
                                       : PAT_OK;
    if (st == PAT_OK) st = parse(&a, &src);
    pat_zip_member_close(src.z);
    fclose(src.f);
    if (st == PAT_OK && !a.g.any)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: no step records (HKQuantityTypeIdentifierStep"
                      "Count) in the export", path);
    pat_path_stem(path, id, sizeof id);
    if (st == PAT_OK && (st = pat_series_init(&s, id, err)) == PAT_OK) {
        st = to_series(&a, &s, o);
        if (st == PAT_OK) st = pat_emit(&s, fn, ctx, count, err);
        pat_series_free(&s);
    }
    free(a.g.v);
    free(a.g.cls);
    return st;
}

#else

enum pat_status pat_read_apple_health(const char *path, const struct pat_read_options *o,
                                      pat_series_fn fn, void *ctx, size_t *count,
                                      struct pat_err *err) {
    (void)o, (void)fn, (void)ctx, (void)count;
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: this pat was built without expat, needed "
                    "for Apple Health exports (apt-get install libexpat1-dev and rebuild)", path);
}

#endif
