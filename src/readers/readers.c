/* readers.c - format names, detection from content, and the dispatch of
 * files and folders to the readers (readers.h). */
#include "readers/readers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/files.h"
#include "readers/table.h"
#include "util.h"

#define HEAD_BYTES 8192

static const char *const format_names[PAT_FORMAT_COUNT] = {
    "auto", "agd", "apple-health", "actilife-csv", "fitbit-minute", "awd", "csv"};

struct pat_read_options pat_read_default_options(void) {
    struct pat_read_options o;
    memset(&o, 0, sizeof o);
    o.rules = pat_series_default_rules();
    return o;
}

const char *pat_format_name(enum pat_format f) {
    return (unsigned)f < PAT_FORMAT_COUNT ? format_names[f] : "?";
}

int pat_format_parse(const char *name) {
    for (int k = 0; k < PAT_FORMAT_COUNT; k++)
        if (strcmp(name, format_names[k]) == 0) return k;
    return -1;
}

/* ---- detection ------------------------------------------------------------ */

struct head {
    char text[HEAD_BYTES + 1];
    size_t n;
    const char *line[12]; /* starts of the first complete lines */
    size_t len[12], nl;
};

static void split_lines(struct head *h) {
    const char *p = h->text, *end = h->text + h->n;
    if (h->n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    while (p < end && h->nl < 12) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) break;
        size_t len = (size_t)(e - p);
        if (len && p[len - 1] == '\r') len--;
        h->line[h->nl] = p;
        h->len[h->nl++] = len;
        p = e + 1;
    }
}

static int line_has(const struct head *h, size_t i, const char *word) {
    if (i >= h->nl) return 0;
    size_t w = strlen(word);
    for (size_t k = 0; k + w <= h->len[i]; k++)
        if (strncasecmp(h->line[i] + k, word, w) == 0) return 1;
    return 0;
}

static int awd_like(const struct head *h) {
    int64_t day, ms;
    static const char *const codes[] = {"1", "2", "4", "8", "20", "81", "C1", "C2"};
    if (h->nl < 8) return 0;
    if (pat_when_date(h->line[1], h->len[1], PAT_DATE_AUTO, &day) != PAT_WHEN_OK) return 0;
    if (pat_when_time(h->line[2], h->len[2], &ms) != PAT_WHEN_OK) return 0;
    char code[8] = {0};
    size_t n = h->len[3];
    const char *c = h->line[3];
    while (n && *c == ' ') c++, n--;
    while (n && c[n - 1] == ' ') n--;
    if (n == 0 || n >= sizeof code) return 0;
    memcpy(code, c, n);
    for (size_t k = 0; k < sizeof codes / sizeof *codes; k++)
        if (strcasecmp(code, codes[k]) == 0) return 1;
    return 0;
}

/* Some field of the first lines reads as a date and time. */
static int csv_like(const struct head *h) {
    char sep = pat_table_guess_sep(h->text, h->n);
    for (size_t i = 0; i < h->nl; i++) {
        const char *p = h->line[i], *end = p + h->len[i];
        while (p <= end) {
            const char *e = memchr(p, sep, (size_t)(end - p));
            if (!e) e = end;
            const char *a = p, *b = e;
            while (a < b && (*a == ' ' || *a == '"')) a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '"')) b--;
            int64_t ms;
            if (b - a >= 8 && pat_when_datetime(a, (size_t)(b - a), PAT_DATE_AUTO, &ms) !=
                                  PAT_WHEN_BAD)
                return 1;
            p = e + 1;
        }
    }
    return 0;
}

enum pat_format pat_format_detect(const char *path) {
    struct head *h = calloc(1, sizeof *h);
    if (!h) return PAT_FORMAT_AUTO;
    FILE *f = fopen(path, "rb");
    if (f) {
        h->n = fread(h->text, 1, HEAD_BYTES, f);
        fclose(f);
    }
    enum pat_format fmt = PAT_FORMAT_AUTO;
    split_lines(h);
    if (h->n >= 16 && memcmp(h->text, "SQLite format 3", 16) == 0) fmt = PAT_FORMAT_AGD;
    else if (h->n >= 4 && memcmp(h->text, "PK\x03\x04", 4) == 0) fmt = PAT_FORMAT_APPLE_HEALTH;
    else if (memchr(h->text, '\0', h->n)) fmt = PAT_FORMAT_AUTO; /* other binary */
    else if (strstr(h->text, "<HealthData")) fmt = PAT_FORMAT_APPLE_HEALTH;
    else if (line_has(h, 0, "Created By ActiGraph") || line_has(h, 0, "Axis1") ||
             (line_has(h, 10, "Axis1") && line_has(h, 1, "Serial Number")))
        fmt = PAT_FORMAT_ACTILIFE_CSV;
    else if (line_has(h, 0, "ActivityMinute")) fmt = PAT_FORMAT_FITBIT_MINUTE;
    else if (awd_like(h)) fmt = PAT_FORMAT_AWD;
    else if (csv_like(h)) fmt = PAT_FORMAT_CSV;
    free(h);
    return fmt;
}

/* ---- dispatch ------------------------------------------------------------- */

typedef enum pat_status (*reader_fn)(const char *, const struct pat_read_options *,
                                     pat_series_fn, void *, size_t *, struct pat_err *);

static reader_fn reader_of(enum pat_format f) {
    switch (f) {
    case PAT_FORMAT_AGD: return pat_read_agd;
    case PAT_FORMAT_APPLE_HEALTH: return pat_read_apple_health;
    case PAT_FORMAT_ACTILIFE_CSV: return pat_read_actilife_csv;
    case PAT_FORMAT_FITBIT_MINUTE: return pat_read_fitbit_minute;
    case PAT_FORMAT_AWD: return pat_read_awd;
    case PAT_FORMAT_CSV: return pat_read_csv_generic;
    default: return NULL;
    }
}

enum pat_status pat_read_recording(const char *path, const struct pat_read_options *o,
                                   pat_series_fn fn, void *ctx, size_t *count,
                                   struct pat_err *err) {
    size_t ignored = 0;
    if (!count) count = &ignored;
    FILE *f = fopen(path, "rb");
    if (!f) return pat_fail(err, PAT_ERR_IO, "%s: cannot open", path);
    fclose(f);
    enum pat_format fmt = o->format;
    int detected = fmt == PAT_FORMAT_AUTO;
    if (detected) fmt = pat_format_detect(path);
    reader_fn r = reader_of(fmt);
    if (!r)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: not a recognised activity file (formats "
                        "tried: agd, apple-health, actilife-csv, fitbit-minute, awd, csv; "
                        "choose one with --format)", path);
    if (o->on_file) o->on_file(o->on_file_user, path, fmt, detected);
    return r(path, o, fn, ctx, count, err);
}

static enum pat_status read_dir(const char *dir, const struct pat_read_options *o,
                                pat_series_fn fn, void *ctx, size_t *count,
                                struct pat_err *err) {
    char **names = NULL;
    size_t n = 0, used = 0;
    enum pat_status st = pat_list_files(dir, "", "", &names, &n, err);
    for (size_t i = 0; st == PAT_OK && i < n; i++) {
        if (names[i][0] == '.') continue;
        char *path = pat_path_join(dir, names[i]);
        st = path ? pat_read_recording(path, o, fn, ctx, count, err)
                  : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        used++;
        free(path);
    }
    if (st == PAT_OK && used == 0) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no files", dir);
    pat_names_free(names, n);
    return st;
}

enum pat_status pat_read_inputs(const char *const *paths, size_t n,
                                const struct pat_read_options *o, pat_series_fn fn, void *ctx,
                                size_t *count, struct pat_err *err) {
    size_t ignored = 0;
    if (!count) count = &ignored;
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < n; i++)
        st = pat_is_dir(paths[i]) ? read_dir(paths[i], o, fn, ctx, count, err)
                                  : pat_read_recording(paths[i], o, fn, ctx, count, err);
    return st;
}
