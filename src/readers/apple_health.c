/* apple_health.c - Apple Health exports: export.xml, or the export.zip the
 * Health app writes (docs/data.md "Apple Health").
 *
 * The XML is streamed through libxml2's SAX2 push parser (the only file
 * that uses libxml2), so memory does not grow with the file: it holds one
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
#include "readers/zip_member.h"
#include "util.h"

#ifdef PAT_HAVE_LIBXML2
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#define CHUNK ((size_t)1 << 18)
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
    xmlParserCtxtPtr ctxt;
    struct pat_err *err;
    enum pat_status st;
    int depth;
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

static int has(const xmlChar *v, const xmlChar *end, const char *word) {
    size_t n = strlen(word), len = (size_t)(end - v);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(v + i, word, n) == 0) return 1;
    return 0;
}

static int is(const xmlChar *s, const char *word) { return strcmp((const char *)s, word) == 0; }

static void stop(struct apple *a, enum pat_status st) {
    a->st = st;
    xmlStopParser(a->ctxt);
}

struct record {
    const xmlChar *type[2], *start[2], *end[2], *value[2];
    uint8_t cls;
};

static void record(struct apple *a, const xmlChar **att, int n) {
    struct record r = {{0}, {0}, {0}, {0}, SRC_OTHER};
    for (int k = 0; k < n; k++, att += 5) {
        const xmlChar *name = att[0], *v = att[3], *e = att[4];
        if (is(name, "type")) r.type[0] = v, r.type[1] = e;
        else if (is(name, "startDate")) r.start[0] = v, r.start[1] = e;
        else if (is(name, "endDate")) r.end[0] = v, r.end[1] = e;
        else if (is(name, "value")) r.value[0] = v, r.value[1] = e;
        else if (is(name, "device") || is(name, "sourceName")) {
            uint8_t c = has(v, e, "Watch") ? SRC_WATCH : has(v, e, "iPhone") ? SRC_PHONE : SRC_OTHER;
            if (c > r.cls) r.cls = c;
        }
    }
    static const char step[] = "HKQuantityTypeIdentifierStepCount";
    if (!r.type[0] || r.type[1] - r.type[0] != (long)strlen(step) ||
        memcmp(r.type[0], step, strlen(step)) != 0)
        return;
    a->records++;
    int64_t s, e;
    char num[64];
    size_t vl = r.value[0] ? (size_t)(r.value[1] - r.value[0]) : 0;
    if (!r.start[0] || !r.end[0] || !r.value[0] || vl == 0 || vl >= sizeof num ||
        pat_when_datetime((const char *)r.start[0], (size_t)(r.start[1] - r.start[0]),
                          PAT_DATE_YMD, &s) != PAT_WHEN_OK ||
        pat_when_datetime((const char *)r.end[0], (size_t)(r.end[1] - r.end[0]), PAT_DATE_YMD,
                          &e) != PAT_WHEN_OK) {
        stop(a, pat_fail(a->err, PAT_ERR_FORMAT, "%s:%d: step record without a readable "
                         "startDate, endDate and value", a->path, xmlSAX2GetLineNumber(a->ctxt)));
        return;
    }
    memcpy(num, r.value[0], vl);
    num[vl] = '\0';
    char *end;
    double steps = strtod(num, &end);
    if (*end || !isfinite(steps) || steps < 0 || steps > 1e6) {
        stop(a, pat_fail(a->err, PAT_ERR_FORMAT, "%s:%d: step count is not a number in 0..1e6: "
                         "'%s'", a->path, xmlSAX2GetLineNumber(a->ctxt), num));
        return;
    }
    enum pat_status st = spread(a, s, e, steps, r.cls);
    if (st != PAT_OK) stop(a, st);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattr, int ndefaulted,
                     const xmlChar **att) {
    struct apple *a = ((xmlParserCtxtPtr)ctx)->_private;
    (void)prefix, (void)uri, (void)nns, (void)ns, (void)ndefaulted;
    a->depth++;
    if (a->st != PAT_OK) return;
    if (a->depth == 1 && !is(name, "HealthData"))
        stop(a, pat_fail(a->err, PAT_ERR_FORMAT, "%s: not an Apple Health export (root element "
                         "<%.40s>, expected <HealthData>)", a->path, (const char *)name));
    else if (a->depth == 2 && is(name, "Record"))
        record(a, att, nattr);
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri) {
    struct apple *a = ((xmlParserCtxtPtr)ctx)->_private;
    (void)name, (void)prefix, (void)uri;
    a->depth--;
}

static void on_error(void *ctx, xmlErrorPtr e) {
    struct apple *a = ((xmlParserCtxtPtr)ctx)->_private;
    if (a->st != PAT_OK || !e || e->level < XML_ERR_ERROR) return;
    char msg[200];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "malformed XML");
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = '\0';
    a->st = pat_fail(a->err, PAT_ERR_FORMAT, "%s:%d: %s", a->path, e->line, msg);
}

/* Feed the XML: from the file, or from its export.xml member when it is a
 * zip archive. */
static enum pat_status parse(struct apple *a, FILE *f, struct pat_zip_member *z, char *buf) {
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    xmlSAXVersion(&sax, 2);
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.startElement = NULL, sax.endElement = NULL;
    sax.characters = NULL, sax.ignorableWhitespace = NULL, sax.comment = NULL;
    sax.warning = NULL, sax.error = NULL;
    sax.serror = on_error;
    a->ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, a->path);
    if (!a->ctxt) return pat_fail(a->err, PAT_ERR_NOMEM, "out of memory");
    a->ctxt->_private = a;
    a->ctxt->sax->serror = on_error;
    xmlCtxtUseOptions(a->ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA);
    a->ctxt->userData = a->ctxt; /* SAX callbacks receive the context */
    for (;;) {
        long n = z ? pat_zip_member_read(z, buf, CHUNK, a->err) : (long)fread(buf, 1, CHUNK, f);
        if (n < 0 || (!z && ferror(f))) {
            if (a->st == PAT_OK)
                a->st = n < 0 ? PAT_ERR_FORMAT : pat_fail(a->err, PAT_ERR_IO, "%s: read error",
                                                          a->path);
            break;
        }
        int rc = xmlParseChunk(a->ctxt, buf, (int)n, n == 0);
        if (a->st != PAT_OK) break;
        if (rc != 0) {
            a->st = pat_fail(a->err, PAT_ERR_FORMAT, "%s: malformed XML (libxml2 error %d)",
                             a->path, rc);
            break;
        }
        if (n == 0) break;
    }
    xmlFreeParserCtxt(a->ctxt);
    a->ctxt = NULL;
    return a->st;
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
    struct pat_zip_member *z = NULL;
    struct pat_series s;
    char id[256];
    FILE *f = fopen(path, "rb");
    if (!f) return pat_fail(err, PAT_ERR_IO, "%s: cannot open", path);
    enum pat_status st = is_zip(f) ? pat_zip_member_open(path, "export.xml", &z, err) : PAT_OK;
    char *buf = st == PAT_OK ? malloc(CHUNK) : NULL;
    if (st == PAT_OK && !buf) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    xmlInitParser();
    if (st == PAT_OK) st = parse(&a, f, z, buf);
    free(buf);
    pat_zip_member_close(z);
    fclose(f);
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
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: this pat was built without libxml2, needed "
                    "for Apple Health exports (apt-get install libxml2-dev and rebuild)", path);
}

#endif
