/* test_report.c - the JSON writer (exact output, escaping, misuse, parsed
 * back with src/io/json's strict parser), the atomic file writer, and the
 * SVG charts (well-formed, atomic, names present, refusals). */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/json.h"
#include "report/atomic.h"
#include "report/json.h"
#include "report/svg.h"

/* Output of a writer session on an in-memory stream (caller must free()). */
struct memout {
    char *buf;
    size_t len;
    FILE *f;
};

static void memout_open(struct memout *m) {
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
}

static void memout_close(struct memout *m) { fclose(m->f); }

/* Write the sample document used by the exact-output tests. */
static void write_sample(struct pat_jw *w) {
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "s", "a\"b\\c\n\t\x01\x1f/\xc3\xa9");
    pat_jw_key_number(w, "nan", NAN);
    pat_jw_key_number(w, "inf", -INFINITY);
    pat_jw_key_number(w, "x", 0.1);
    pat_jw_key_int(w, "i", -3);
    pat_jw_key_uint(w, "u", UINT64_C(4294967296));
    pat_jw_key_bool(w, "b", 1);
    pat_jw_key(w, "n");
    pat_jw_null(w);
    const double arr[3] = {1, 2.5, NAN};
    pat_jw_key(w, "arr");
    pat_jw_numbers(w, arr, 3);
    pat_jw_key(w, "nested");
    pat_jw_object_begin(w);
    pat_jw_key(w, "e");
    pat_jw_array_begin(w);
    pat_jw_array_end(w);
    pat_jw_key(w, "o");
    pat_jw_object_begin(w);
    pat_jw_object_end(w);
    pat_jw_object_end(w);
    pat_jw_object_end(w);
}

static void test_json_compact(struct check_ctx *c) {
    struct memout m;
    struct pat_jw w;
    memout_open(&m);
    pat_jw_init(&w, m.f, 0);
    write_sample(&w);
    CHECK_STATUS(c, pat_jw_finish(&w, NULL), PAT_OK);
    memout_close(&m);
    const char *want = "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\xc3\xa9\",\"nan\":null,"
                       "\"inf\":null,\"x\":0.10000000000000001,\"i\":-3,"
                       "\"u\":4294967296,\"b\":true,\"n\":null,"
                       "\"arr\":[1,2.5,null],\"nested\":{\"e\":[],\"o\":{}}}\n";
    if (strcmp(m.buf, want) != 0) check_fail(c, "got  %s\nwant %s", m.buf, want);
    free(m.buf);
}

static void test_json_pretty(struct check_ctx *c) {
    struct memout m;
    struct pat_jw w;
    memout_open(&m);
    pat_jw_init(&w, m.f, 2);
    pat_jw_object_begin(&w);
    pat_jw_key_number(&w, "auc", 0.75);
    pat_jw_key(&w, "loss");
    const double loss[2] = {0.5, 0.25};
    pat_jw_numbers(&w, loss, 2);
    pat_jw_key(&w, "empty");
    pat_jw_object_begin(&w);
    pat_jw_object_end(&w);
    pat_jw_object_end(&w);
    CHECK_STATUS(c, pat_jw_finish(&w, NULL), PAT_OK);
    memout_close(&m);
    const char *want = "{\n  \"auc\": 0.75,\n  \"loss\": [\n    0.5,\n    0.25\n  ],\n"
                       "  \"empty\": {}\n}\n";
    if (strcmp(m.buf, want) != 0) check_fail(c, "got  %s\nwant %s", m.buf, want);
    free(m.buf);
}

/* Member `key` of the root object, or 0. */
static size_t member(const struct pat_json *doc, const char *key) {
    for (size_t i = pat_json_first(doc, 0); i; i = doc->nodes[i].next)
        if (doc->nodes[i].key_len == strlen(key) &&
            memcmp(doc->nodes[i].key, key, doc->nodes[i].key_len) == 0)
            return i;
    return 0;
}

/* The strict parser of src/io/json reads the output back unchanged. */
static void test_json_parses_back(struct check_ctx *c) {
    struct memout m;
    struct pat_jw w;
    memout_open(&m);
    pat_jw_init(&w, m.f, 4);
    write_sample(&w);
    CHECK_STATUS(c, pat_jw_finish(&w, NULL), PAT_OK);
    memout_close(&m);
    struct pat_json doc;
    char why[128];
    if (!pat_json_parse(&doc, m.buf, m.len, why, sizeof why)) {
        check_fail(c, "src/io/json cannot parse the output: %s", why);
        free(m.buf);
        return;
    }
    size_t s = member(&doc, "s"), nan = member(&doc, "nan"), i = member(&doc, "i");
    const char *raw = "a\"b\\c\n\t\x01\x1f/\xc3\xa9";
    CHECK(c, s && doc.nodes[s].len == strlen(raw) && memcmp(doc.nodes[s].str, raw,
                                                             strlen(raw)) == 0);
    CHECK(c, nan && doc.nodes[nan].type == PAT_JSON_NULL);
    CHECK(c, i && doc.nodes[i].type == PAT_JSON_INT && doc.nodes[i].num == -3);
    size_t u = member(&doc, "u");
    CHECK(c, u && doc.nodes[u].type == PAT_JSON_INT && doc.nodes[u].num == 4294967296);
    CHECK(c, member(&doc, "nested") && doc.nodes[0].count == 10);
    pat_json_free(&doc);
    free(m.buf);
}

static void test_json_string_n(struct check_ctx *c) {
    struct memout m;
    struct pat_jw w;
    memout_open(&m);
    pat_jw_init(&w, m.f, 0);
    pat_jw_array_begin(&w);
    pat_jw_string_n(&w, "a\0b", 3);
    pat_jw_string(&w, NULL);
    pat_jw_string(&w, "\x7f");
    pat_jw_uint(&w, UINT64_MAX);
    pat_jw_int(&w, INT64_MIN);
    pat_jw_array_end(&w);
    CHECK_STATUS(c, pat_jw_finish(&w, NULL), PAT_OK);
    memout_close(&m);
    const char *want = "[\"a\\u0000b\",null,\"\x7f\",18446744073709551615,"
                       "-9223372036854775808]\n";
    if (strcmp(m.buf, want) != 0) check_fail(c, "got  %s\nwant %s", m.buf, want);
    free(m.buf);
}

/* Run `fn` on a fresh compact writer; return pat_jw_finish's status. */
static enum pat_status misuse_status(void (*fn)(struct pat_jw *), struct pat_err *err) {
    struct memout m;
    struct pat_jw w;
    memout_open(&m);
    pat_jw_init(&w, m.f, 0);
    fn(&w);
    enum pat_status st = pat_jw_finish(&w, err);
    memout_close(&m);
    free(m.buf);
    return st;
}

static void value_without_key(struct pat_jw *w) {
    pat_jw_object_begin(w);
    pat_jw_number(w, 1);
    pat_jw_object_end(w);
}
static void key_in_array(struct pat_jw *w) {
    pat_jw_array_begin(w);
    pat_jw_key(w, "k");
    pat_jw_array_end(w);
}
static void mismatched_end(struct pat_jw *w) {
    pat_jw_array_begin(w);
    pat_jw_object_end(w);
}
static void unclosed(struct pat_jw *w) { pat_jw_object_begin(w); }
static void dangling_key(struct pat_jw *w) {
    pat_jw_object_begin(w);
    pat_jw_key(w, "k");
    pat_jw_object_end(w);
}
static void two_roots(struct pat_jw *w) {
    pat_jw_null(w);
    pat_jw_null(w);
}
static void too_deep(struct pat_jw *w) {
    for (int i = 0; i <= PAT_JW_MAX_DEPTH; i++) pat_jw_array_begin(w);
    for (int i = 0; i <= PAT_JW_MAX_DEPTH; i++) pat_jw_array_end(w);
}
static void nothing(struct pat_jw *w) { (void)w; }

static void test_json_misuse(struct check_ctx *c) {
    void (*const bad[])(struct pat_jw *) = {value_without_key, key_in_array, mismatched_end,
                                             unclosed, dangling_key, two_roots, too_deep,
                                             nothing};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pat_err err = {0};
        if (!CHECK_STATUS(c, misuse_status(bad[i], &err), PAT_ERR_USAGE))
            check_fail(c, "misuse case %zu accepted", i);
        CHECK(c, strstr(err.msg, "JSON writer") != NULL);
    }
}

/* 1 if directory dir holds an entry whose name contains `part`. */
static int dir_has(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d));) found |= strstr(e->d_name, part) != NULL;
    if (d) closedir(d);
    return found;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* A fresh directory under the test tmp dir. */
static const char *fresh_dir(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", check_tmp_dir(), name);
    mkdir(buf, 0700);
    return buf;
}

static void test_atomic_file(struct check_ctx *c) {
    char dir[512], path[600];
    fresh_dir(dir, sizeof dir, "atomic");
    snprintf(path, sizeof path, "%s/out.json", dir);
    CHECK(c, check_write_file(path, "old", 3));
    struct pat_atomic_file a;
    struct pat_err err;
    CHECK_STATUS(c, pat_atomic_open(&a, path, &err), PAT_OK);
    fputs("new", a.f);
    CHECK(c, dir_has(dir, ".tmp."));
    pat_atomic_abort(&a); /* the old file stays, the temporary goes */
    size_t len;
    char *got = (char *)check_read_file(path, &len);
    CHECK(c, got && strcmp(got, "old") == 0 && !dir_has(dir, ".tmp."));
    free(got);
    CHECK_STATUS(c, pat_atomic_open(&a, path, &err), PAT_OK);
    fputs("new", a.f);
    CHECK_STATUS(c, pat_atomic_commit(&a, &err), PAT_OK);
    got = (char *)check_read_file(path, &len);
    CHECK(c, got && strcmp(got, "new") == 0 && !dir_has(dir, ".tmp."));
    free(got);
    CHECK_STATUS(c, pat_atomic_open(&a, "", &err), PAT_ERR_USAGE);
}

/* Minimal XML well-formedness: the declaration, balanced tags, quoted
 * attributes, only known entities. Returns NULL or the reason. */
static const char *xml_check(const char *s) {
    char stack[64][32];
    size_t depth = 0, roots = 0;
    if (strncmp(s, "<?xml ", 6) != 0) return "no XML declaration";
    s = strstr(s, "?>") + 2;
    for (; *s; s++) {
        if (*s == '&') {
            if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) &&
                strncmp(s, "&quot;", 6))
                return "bare &";
            continue;
        }
        if (*s == '>') return "bare >";
        if (*s != '<') continue;
        int closing = s[1] == '/';
        const char *name = s + 1 + closing;
        size_t nlen = strcspn(name, " \t\n/>");
        const char *end = name + nlen;
        int quote = 0;
        for (; *end && (quote || *end != '>'); end++)
            if (*end == '"') quote = !quote;
            else if (*end == '<' && !quote) return "'<' inside a tag";
        if (!*end || nlen == 0 || nlen >= 32) return "unterminated or bad tag";
        if (closing) {
            if (depth == 0 || strncmp(stack[depth - 1], name, nlen) || stack[depth - 1][nlen])
                return "mismatched end tag";
            depth--;
        } else if (end[-1] != '/') {
            if (depth == 64) return "too deep";
            if (depth == 0) roots++;
            memcpy(stack[depth], name, nlen);
            stack[depth++][nlen] = '\0';
        }
        s = end;
    }
    return depth ? "unclosed element" : roots != 1 ? "not exactly one root" : NULL;
}

static size_t count_substr(const char *s, const char *part) {
    size_t n = 0;
    for (const char *p = strstr(s, part); p; p = strstr(p + 1, part)) n++;
    return n;
}

/* Read an SVG file and check that it is well formed; NULL on failure. */
static char *read_svg(struct check_ctx *c, const char *path) {
    size_t len;
    char *svg = (char *)check_read_file(path, &len);
    if (!svg) {
        check_fail(c, "%s not written", path);
        return NULL;
    }
    const char *why = xml_check(svg);
    if (why) check_fail(c, "%s: not well-formed XML: %s", path, why);
    return svg;
}

static void test_svg_lines(struct check_ctx *c) {
    char dir[512], path[600];
    fresh_dir(dir, sizeof dir, "svg");
    snprintf(path, sizeof path, "%s/curves.svg", dir);
    double loss[6] = {0.9, 0.7, NAN, 0.55, 0.5, 0.48}, auc[6] = {0.5, 0.6, 0.65, 0.7, NAN, 0.72};
    double x[3] = {1, 2, 4}, y[3] = {0.3, INFINITY, 0.2};
    struct pat_svg_series s[3] = {{"train loss", NULL, loss, 6},
                                  {"val AUC <Keras> & \"exact\"", NULL, auc, 6},
                                  {"bad\x01name\xff", x, y, 3}};
    struct pat_err err;
    CHECK_STATUS(c, pat_svg_lines(path, "PAT-M fine-tuning", "epoch", "value", s, 3, &err),
                 PAT_OK);
    char *svg = read_svg(c, path);
    if (!svg) return;
    CHECK(c, strstr(svg, "train loss") && strstr(svg, "PAT-M fine-tuning"));
    CHECK(c, strstr(svg, "val AUC &lt;Keras&gt; &amp; &quot;exact&quot;") != NULL);
    CHECK(c, strstr(svg, "bad?name?") != NULL);
    CHECK(c, strstr(svg, ">epoch</text>") && strstr(svg, ">value</text>"));
    /* NaN splits series 1 into two lines and series 2 into a line and an
     * isolated dot; series 3 has two isolated finite points and no line */
    CHECK(c, count_substr(svg, "<polyline") == 3);
    CHECK(c, strstr(svg, "#0072B2") && strstr(svg, "#D55E00") && strstr(svg, "#009E73"));
    CHECK(c, !dir_has(dir, ".tmp."));
    free(svg);
    /* no series, or only non-finite points: empty axes, still valid */
    double nan1[1] = {NAN};
    struct pat_svg_series e = {NULL, NULL, nan1, 1};
    CHECK_STATUS(c, pat_svg_lines(path, NULL, NULL, NULL, &e, 1, &err), PAT_OK);
    free(read_svg(c, path));
    CHECK_STATUS(c, pat_svg_lines(path, "t", "x", "y", NULL, 0, &err), PAT_OK);
    free(read_svg(c, path));
}

/* Many series: colours cycle, then dash patterns; x from 0 to 1e6. */
static void test_svg_many_series(struct check_ctx *c) {
    char dir[512], path[600], names[10][16];
    double x[5] = {0, 1e3, 1e4, 1e5, 1e6}, y[10][5];
    struct pat_svg_series s[10];
    fresh_dir(dir, sizeof dir, "svg");
    snprintf(path, sizeof path, "%s/many.svg", dir);
    for (int k = 0; k < 10; k++) {
        snprintf(names[k], sizeof names[k], "run %d", k);
        for (int i = 0; i < 5; i++) y[k][i] = -1e-4 * k * i;
        s[k] = (struct pat_svg_series){names[k], x, y[k], 5};
    }
    CHECK_STATUS(c, pat_svg_lines(path, "sweep", "step", "delta", s, 10, NULL), PAT_OK);
    char *svg = read_svg(c, path);
    if (!svg) return;
    CHECK(c, strstr(svg, "run 9") && strstr(svg, "stroke-dasharray=\"8 4\""));
    CHECK(c, count_substr(svg, "<polyline") == 10);
    free(svg);
}

static void test_svg_io_errors(struct check_ctx *c) {
    char path[600];
    double y[2] = {1, 2};
    struct pat_svg_series s = {"a", NULL, y, 2};
    struct pat_err err;
    snprintf(path, sizeof path, "%s/no/such/dir/x.svg", check_tmp_dir());
    CHECK_STATUS(c, pat_svg_lines(path, "t", "x", "y", &s, 1, &err), PAT_ERR_IO);
    CHECK(c, strstr(err.msg, "x.svg") != NULL && !file_exists(path));
    /* the temporary is written, but renaming it over a directory fails */
    char dir[512];
    fresh_dir(dir, sizeof dir, "svg_is_dir");
    snprintf(path, sizeof path, "%s/target.svg", dir);
    mkdir(path, 0700);
    CHECK_STATUS(c, pat_svg_lines(path, "t", "x", "y", &s, 1, &err), PAT_ERR_IO);
    CHECK(c, !dir_has(dir, ".tmp."));
}

static void test_svg_readonly_dir(struct check_ctx *c) {
    char dir[512], path[600];
    double y[2] = {1, 2};
    struct pat_svg_series s = {"a", NULL, y, 2};
    struct pat_err err;
    fresh_dir(dir, sizeof dir, "readonly");
    snprintf(path, sizeof path, "%s/x.svg", dir);
    chmod(dir, 0500);
    if (access(dir, W_OK) == 0) { /* root ignores permissions */
        chmod(dir, 0700);
        check_skip(c, "a read-only directory is writable here (running as root)");
        return;
    }
    CHECK_STATUS(c, pat_svg_lines(path, "t", "x", "y", &s, 1, &err), PAT_ERR_IO);
    CHECK(c, !file_exists(path) && !dir_has(dir, ".tmp."));
    chmod(dir, 0700);
}

static void test_svg_refusals(struct check_ctx *c) {
    char path[600];
    snprintf(path, sizeof path, "%s/refused.svg", check_tmp_dir());
    struct pat_svg_series s = {"no y", NULL, NULL, 3};
    double huge[2] = {-1e308, 1e308};
    struct pat_svg_series h = {"huge", NULL, huge, 2};
    struct pat_err err;
    CHECK_STATUS(c, pat_svg_lines(path, "t", "x", "y", &s, 1, &err), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_svg_lines(path, "t", "x", "y", &h, 1, &err), PAT_ERR_NUMERIC);
    CHECK_STATUS(c, pat_svg_lines(NULL, "t", "x", "y", &s, 1, &err), PAT_ERR_USAGE);
    const float sc[3] = {0.1f, 0.2f, NAN}, one[3] = {1, 1, 1}, y[3] = {0, 1, 1};
    CHECK_STATUS(c, pat_svg_roc(path, NULL, sc, one, 2, &err), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_svg_roc(path, NULL, sc, y, 0, &err), PAT_ERR_USAGE);
    CHECK_STATUS(c, pat_svg_roc(path, NULL, sc, y, 3, &err), PAT_ERR_NUMERIC);
    CHECK(c, !file_exists(path));
}

static void test_svg_roc(struct check_ctx *c) {
    char dir[512], path[600];
    fresh_dir(dir, sizeof dir, "roc");
    snprintf(path, sizeof path, "%s/roc.svg", dir);
    const float s[4] = {0.1f, 0.4f, 0.35f, 0.8f}, y[4] = {0, 0, 1, 1};
    struct pat_err err;
    CHECK_STATUS(c, pat_svg_roc(path, "test set", s, y, 4, &err), PAT_OK);
    char *svg = read_svg(c, path);
    if (!svg) return;
    CHECK(c, strstr(svg, "test set (AUC = 0.7500)") != NULL);
    CHECK(c, strstr(svg, "ROC (n = 4)") && strstr(svg, "chance"));
    CHECK(c, count_substr(svg, "<polyline") == 1 && count_substr(svg, "<circle") == 5);
    CHECK(c, !dir_has(dir, ".tmp."));
    free(svg);
}

int main(void) {
    int failures = 0;
    RUN(test_json_compact);
    RUN(test_json_pretty);
    RUN(test_json_parses_back);
    RUN(test_json_string_n);
    RUN(test_json_misuse);
    RUN(test_atomic_file);
    RUN(test_svg_lines);
    RUN(test_svg_many_series);
    RUN(test_svg_io_errors);
    RUN(test_svg_readonly_dir);
    RUN(test_svg_refusals);
    RUN(test_svg_roc);
    return failures ? 1 : 0;
}
