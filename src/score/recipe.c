/* recipe.c - the input recipe as pat.recipe.* text (recipe.h). */
#include "score/recipe.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The keys of version 1, in writing order. The first WINDOW_KEYS after
 * "version" shape the windows (pat_recipe_diff compares those). */
enum recipe_key {
    K_VERSION, K_LENGTH, K_ALIGN, K_STRIDE, K_MAX_WINDOWS, K_MIN_DAY, K_MIN_DAYS, K_FILL,
    K_ZERO_RUN, K_SMOOTH_WINDOW, K_SMOOTH_ORDER, K_TRANSFORM, K_DUPLICATES, K_DST, K_MAX_GAP,
    K_AGGREGATE, K_THRESHOLD, K_THRESHOLD_RULE, K_SOURCE, K_COUNT
};
#define FIRST_WINDOW_KEY K_LENGTH
#define LAST_WINDOW_KEY K_MAX_GAP

static const char *const key_names[K_COUNT] = {
    "version", "window_length", "align", "stride", "max_windows", "min_day_minutes",
    "min_days", "fill", "nonwear_zero_run", "smooth_window", "smooth_order", "transform",
    "duplicates", "dst", "max_gap", "aggregate", "threshold", "threshold_rule", "source"};

struct pat_recipe pat_recipe_default(void) {
    struct pat_recipe r;
    memset(&r, 0, sizeof r);
    r.rules = pat_series_default_rules();
    r.weeks = pat_week_default_params();
    r.aggregate = PAT_AGG_MEAN;
    r.threshold = NAN;
    return r;
}

void pat_recipe_from_build(const struct pat_build_params *p, struct pat_recipe *r) {
    r->rules = p->rules;
    r->weeks = p->weeks;
    r->zero_run = p->zero_run;
    r->smooth_window = p->smooth_window;
    r->smooth_order = p->smooth_order;
    r->log1p = p->log1p;
}

void pat_recipe_to_build(const struct pat_recipe *r, struct pat_build_params *p) {
    size_t patch = p->weeks.patch;
    p->rules = r->rules;
    p->weeks = r->weeks;
    p->weeks.patch = patch;
    p->zero_run = r->zero_run;
    p->smooth_window = r->smooth_window;
    p->smooth_order = r->smooth_order;
    p->log1p = r->log1p;
}

static size_t stride_of(const struct pat_recipe *r) {
    return r->weeks.stride ? r->weeks.stride : r->weeks.length;
}

/* The text of key k (buf of 256 bytes). */
static const char *key_value(const struct pat_recipe *r, enum recipe_key k, char *buf) {
    const struct pat_week_params *w = &r->weeks;
    size_t v;
    switch (k) {
    case K_VERSION: v = PAT_RECIPE_VERSION; break;
    case K_LENGTH: v = w->length; break;
    case K_ALIGN: return w->align == PAT_ALIGN_START ? "start" : "midnight";
    case K_STRIDE: v = stride_of(r); break;
    case K_MAX_WINDOWS: v = w->max_windows; break;
    case K_MIN_DAY: v = w->min_day_minutes; break;
    case K_MIN_DAYS: v = w->min_days; break;
    case K_FILL: snprintf(buf, 256, "%.9g", (double)w->fill); return buf;
    case K_ZERO_RUN: v = r->zero_run; break;
    case K_SMOOTH_WINDOW: v = r->smooth_window; break;
    case K_SMOOTH_ORDER: v = r->smooth_order; break;
    case K_TRANSFORM: return r->log1p ? "log1p" : "none";
    case K_DUPLICATES: return pat_dup_rule_name(r->rules.dup);
    case K_DST: v = (size_t)(r->rules.dst != 0); break;
    case K_MAX_GAP: v = r->rules.max_gap; break;
    case K_AGGREGATE: return pat_aggregate_name(r->aggregate);
    case K_THRESHOLD:
        if (isnan(r->threshold)) return "none";
        snprintf(buf, 256, "%.9g", r->threshold);
        return buf;
    case K_THRESHOLD_RULE: return r->threshold_rule[0] ? r->threshold_rule : "none";
    case K_SOURCE: return r->source[0] ? r->source : "unknown";
    default: return "";
    }
    snprintf(buf, 256, "%zu", v);
    return buf;
}

enum pat_status pat_recipe_each(const struct pat_recipe *r, pat_recipe_kv_fn fn, void *ctx,
                                struct pat_err *err) {
    char buf[256], key[64];
    for (int k = 0; k < K_COUNT; k++) {
        snprintf(key, sizeof key, "%s%s", PAT_RECIPE_PREFIX, key_names[k]);
        enum pat_status st = fn(ctx, key, key_value(r, (enum recipe_key)k, buf), err);
        if (st != PAT_OK) return st;
    }
    return PAT_OK;
}

/* ---- parsing ------------------------------------------------------------- */

static int parse_size(const char *s, size_t hi, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || s[0] == '-' || errno || v > hi) return 0;
    *out = (size_t)v;
    return 1;
}

static int parse_choice(const char *s, const char *a, const char *b, int *out) {
    if (strcmp(s, a) == 0) *out = 0;
    else if (strcmp(s, b) == 0) *out = 1;
    else return 0;
    return 1;
}

static int parse_dup(const char *s, enum pat_dup_rule *out) {
    for (int k = 0; k < 3; k++)
        if (strcmp(s, pat_dup_rule_name((enum pat_dup_rule)k)) == 0) {
            *out = (enum pat_dup_rule)k;
            return 1;
        }
    return 0;
}

static int parse_real(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static int find_key(const char *key) {
    size_t n = strlen(PAT_RECIPE_PREFIX);
    if (strncmp(key, PAT_RECIPE_PREFIX, n) == 0) key += n;
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(key, key_names[k]) == 0) return k;
    return -1;
}

/* Parse value into field k of r; returns 0 when malformed. */
static int set_key(struct pat_recipe *r, int k, const char *value) {
    struct pat_week_params *w = &r->weeks;
    const size_t big = PAT_SERIES_MAX_MINUTES;
    size_t v;
    int c;
    double d;
    switch (k) {
    case K_VERSION: return parse_size(value, PAT_RECIPE_VERSION, &v) && v >= 1;
    case K_LENGTH: return parse_size(value, big, &w->length) && w->length > 0;
    case K_ALIGN: return parse_choice(value, "midnight", "start", &c) && ((w->align = (enum pat_align)c), 1);
    case K_STRIDE: return parse_size(value, big, &w->stride);
    case K_MAX_WINDOWS: return parse_size(value, big, &w->max_windows);
    case K_MIN_DAY: return parse_size(value, 1440, &w->min_day_minutes);
    case K_MIN_DAYS: return parse_size(value, 1u << 16, &w->min_days);
    case K_FILL: return parse_real(value, &d) && ((w->fill = (float)d), 1);
    case K_ZERO_RUN: return parse_size(value, big, &r->zero_run);
    case K_SMOOTH_WINDOW: return parse_size(value, big, &r->smooth_window);
    case K_SMOOTH_ORDER: return parse_size(value, 6, &r->smooth_order);
    case K_TRANSFORM: return parse_choice(value, "none", "log1p", &r->log1p);
    case K_DUPLICATES: return parse_dup(value, &r->rules.dup);
    case K_DST: return parse_size(value, 1, &v) && ((r->rules.dst = (int)v), 1);
    case K_MAX_GAP: return parse_size(value, big, &r->rules.max_gap);
    case K_AGGREGATE: return pat_aggregate_parse(value, &r->aggregate) == 0;
    case K_THRESHOLD:
        if (strcmp(value, "none") == 0) return (r->threshold = NAN), 1;
        return parse_real(value, &r->threshold);
    case K_THRESHOLD_RULE:
        snprintf(r->threshold_rule, sizeof r->threshold_rule, "%s", value);
        return 1;
    case K_SOURCE: snprintf(r->source, sizeof r->source, "%s", value); return 1;
    }
    return 0;
}

enum pat_status pat_recipe_set(struct pat_recipe *r, const char *key, const char *value,
                               struct pat_err *err) {
    int k = find_key(key);
    if (k < 0) return pat_fail(err, PAT_ERR_FORMAT, "unknown recipe key '%.60s'", key);
    if (!set_key(r, k, value)) {
        if (k == K_VERSION)
            return pat_fail(err, PAT_ERR_FORMAT, "recipe version '%.40s' is not supported "
                            "(this pat reads version 1..%d)", value, PAT_RECIPE_VERSION);
        return pat_fail(err, PAT_ERR_FORMAT, "recipe key %s: bad value '%.60s'", key_names[k],
                        value);
    }
    return PAT_OK;
}

/* ---- models -------------------------------------------------------------- */

enum pat_status pat_recipe_from_model(const struct pat_model *m, struct pat_recipe *r,
                                      int *found, struct pat_err *err) {
    *found = 0;
    if (!pat_model_meta_get(m, PAT_RECIPE_PREFIX "version")) return PAT_OK;
    struct pat_recipe t = *r;
    for (int k = 0; k < K_COUNT; k++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", PAT_RECIPE_PREFIX, key_names[k]);
        const char *v = pat_model_meta_get(m, key);
        if (!v) continue; /* keys absent keep their defaults */
        enum pat_status st = pat_recipe_set(&t, key, v, err);
        if (st != PAT_OK) return st;
    }
    *r = t;
    *found = 1;
    return PAT_OK;
}

static enum pat_status set_model_meta(void *ctx, const char *key, const char *value,
                                      struct pat_err *err) {
    return pat_model_meta_set(ctx, key, value, err);
}

enum pat_status pat_recipe_to_model(const struct pat_recipe *r, struct pat_model *m,
                                    struct pat_err *err) {
    return pat_recipe_each(r, set_model_meta, m, err);
}

/* ---- datasets ------------------------------------------------------------ */

/* Provenance key -> recipe key (same meaning and value text). */
static const char *const ds_keys[][2] = {
    {"window_length", "window_length"}, {"align", "align"}, {"stride", "stride"},
    {"max_windows", "max_windows"},     {"min_day_minutes", "min_day_minutes"},
    {"min_days", "min_days"},           {"fill", "fill"},
    {"zero_run", "nonwear_zero_run"},   {"transform", "transform"},
    {"duplicates", "duplicates"},       {"dst", "dst"},
    {"max_gap", "max_gap"}};

static enum pat_status dataset_smooth(const struct pat_dataset *ds, const char *path,
                                      struct pat_recipe *r, struct pat_err *err) {
    const char *s = pat_dataset_meta_get(ds, "smooth");
    if (!s || strcmp(s, "none") == 0) {
        r->smooth_window = r->smooth_order = 0;
        return PAT_OK;
    }
    size_t w, o;
    int used = 0;
    if (sscanf(s, "savgol window %zu order %zu%n", &w, &o, &used) != 2 || s[used])
        return pat_fail(err, PAT_ERR_FORMAT, "%s: provenance smooth '%.60s' is not understood",
                        path, s);
    r->smooth_window = w, r->smooth_order = o;
    return PAT_OK;
}

enum pat_status pat_recipe_from_dataset(const struct pat_dataset *ds, const char *path,
                                        struct pat_recipe *r, struct pat_err *err) {
    struct pat_recipe t = *r;
    for (size_t k = 0; k < sizeof ds_keys / sizeof ds_keys[0]; k++) {
        const char *v = pat_dataset_meta_get(ds, ds_keys[k][0]);
        if (!v)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: the provenance has no %s (a dataset "
                            "from an older pat: rebuild it)", path, ds_keys[k][0]);
        struct pat_err e = {0};
        if (pat_recipe_set(&t, ds_keys[k][1], v, &e) != PAT_OK)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: provenance %s: %s", path, ds_keys[k][0],
                            e.msg);
    }
    enum pat_status st = dataset_smooth(ds, path, &t, err);
    if (st != PAT_OK) return st;
    snprintf(t.source, sizeof t.source, "dataset %s", path);
    *r = t;
    return PAT_OK;
}

/* ---- files --------------------------------------------------------------- */

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

enum pat_status pat_recipe_read_file(const char *path, struct pat_recipe *r,
                                     struct pat_err *err) {
    FILE *f = fopen(path, "r");
    if (!f) return pat_fail(err, PAT_ERR_IO, "cannot open recipe %s: %s", path, strerror(errno));
    struct pat_recipe t = *r;
    char line[512];
    size_t no = 0;
    enum pat_status st = PAT_OK;
    while (st == PAT_OK && fgets(line, sizeof line, f)) {
        no++;
        char *s = trim(line), *eq = strchr(s, '=');
        if (!*s || *s == '#') continue;
        if (!eq) {
            st = pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: expected key=value", path, no);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        struct pat_err e = {0};
        if (pat_recipe_set(&t, key, value, &e) != PAT_OK)
            st = pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: %s", path, no, e.msg);
    }
    if (st == PAT_OK && ferror(f)) st = pat_fail(err, PAT_ERR_IO, "error reading %s", path);
    fclose(f);
    if (st == PAT_OK) {
        if (!t.source[0] || strcmp(t.source, r->source) == 0)
            snprintf(t.source, sizeof t.source, "file %s", path);
        *r = t;
    }
    return st;
}

size_t pat_recipe_diff(const struct pat_recipe *a, const struct pat_recipe *b, char *out,
                       size_t cap) {
    size_t n = 0, len = 0;
    if (cap) out[0] = '\0';
    for (int k = FIRST_WINDOW_KEY; k <= LAST_WINDOW_KEY; k++) {
        char ba[256], bb[256];
        const char *va = key_value(a, (enum recipe_key)k, ba);
        const char *vb = key_value(b, (enum recipe_key)k, bb);
        if (strcmp(va, vb) == 0) continue;
        if (len < cap) {
            int w = snprintf(out + len, cap - len, "%s%s %s -> %s", n ? ", " : "", key_names[k],
                             va, vb);
            len += w > 0 ? (size_t)w : 0;
        }
        n++;
    }
    return n;
}
