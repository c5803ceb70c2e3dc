/* test_safetensors.c - pat_model_save / pat_model_load round trips and the
 * reader's refusals.
 *
 * Every refusal case writes its own corrupt file into check_tmp_dir() and
 * checks both the status and that the message starts with the path and
 * names the culprit. Model-level cases start from a valid file written by
 * pat_model_save and edit its header text.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "pat.h"

/* ---- helpers ------------------------------------------------------------ */

static void tmp_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", check_tmp_dir(), name);
}

/* Small custom model: P=4, E=8, H=2, K=8, F=16, L=2, distinct values. */
static struct pat_model *small_model(struct check_ctx *c, enum pat_embedding emb,
                                     int with_head, size_t scaler_len) {
    struct pat_config cfg = {4, 8, 2, 8, 16, 2, emb};
    struct pat_model *m = NULL;
    struct pat_err err;
    if (!CHECK_STATUS(c, pat_model_create(&cfg, with_head, scaler_len, &m, &err), PAT_OK))
        return NULL;
    for (size_t i = 0; i < pat_model_num_tensors(m); i++) {
        size_t shape[4], numel = 1, nd = pat_model_tensor_shape(m, i, shape);
        for (size_t d = 0; d < nd; d++) numel *= shape[d];
        float *x = pat_model_tensor_data(m, i);
        for (size_t k = 0; k < numel; k++) x[k] = 0.5f + (float)(i * 1000 + k) * 0.001f;
    }
    return m;
}

/* Write a safetensors file from a header length, header text and data. */
static int write_raw(const char *path, uint64_t hlen, const char *header, const void *data,
                     size_t data_len) {
    size_t n = strlen(header);
    unsigned char *buf = malloc(8 + n + data_len + 1);
    if (!buf) return 0;
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + 8, header, n);
    if (data_len) memcpy(buf + 8 + n, data, data_len);
    int ok = check_write_file(path, buf, 8 + n + data_len);
    free(buf);
    return ok;
}

/* Write header + data (with the right header length) to tmp/name. */
static void write_st(char *path, size_t len, const char *name, const char *header,
                     const void *data, size_t data_len) {
    tmp_path(path, len, name);
    write_raw(path, strlen(header), header, data, data_len);
}

/* Load must fail with `want`; the message starts with the path and
 * contains each non-NULL needle. */
static void expect_fail(struct check_ctx *c, const char *path, enum pat_status want,
                        const char *needle1, const char *needle2) {
    struct pat_model *m = NULL;
    struct pat_err err = {0};
    enum pat_status st = pat_model_load(path, &m, &err);
    CHECK_STATUS(c, st, want);
    CHECK(c, m == NULL);
    if (strncmp(err.msg, path, strlen(path)) != 0)
        check_fail(c, "message does not start with the path: %s", err.msg);
    if (needle1 && !strstr(err.msg, needle1))
        check_fail(c, "message lacks '%s': %s", needle1, err.msg);
    if (needle2 && !strstr(err.msg, needle2))
        check_fail(c, "message lacks '%s': %s", needle2, err.msg);
    pat_model_free(m);
}

/* A file's parts: header text (NUL-terminated) and data bytes. */
struct st_parts {
    char *header;
    unsigned char *data;
    size_t data_len;
};

static int read_parts(const char *path, struct st_parts *p) {
    size_t len;
    unsigned char *buf = check_read_file(path, &len);
    if (!buf || len < 8) {
        free(buf);
        return 0;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | buf[i];
    p->header = malloc(hlen + 1);
    p->data_len = len - 8 - hlen;
    p->data = malloc(p->data_len + 1);
    memcpy(p->header, buf + 8, hlen);
    p->header[hlen] = '\0';
    memcpy(p->data, buf + 8 + hlen, p->data_len);
    free(buf);
    return 1;
}

static void free_parts(struct st_parts *p) {
    free(p->header);
    free(p->data);
}

/* Copy of s with the first `from` replaced by `to`; NULL when absent. */
static char *replace(const char *s, const char *from, const char *to) {
    const char *hit = strstr(s, from);
    if (!hit) return NULL;
    size_t a = (size_t)(hit - s), nf = strlen(from), nt = strlen(to);
    char *r = malloc(strlen(s) - nf + nt + 1);
    memcpy(r, s, a);
    memcpy(r + a, to, nt);
    strcpy(r + a + nt, hit + nf);
    return r;
}

/* Save the small model with head and scaler to tmp/name, replace `from` by
 * `to` in its header and rewrite it (extra data bytes appended). */
static void edited_file(struct check_ctx *c, char *path, size_t len, const char *name,
                        const char *from, const char *to, const void *extra, size_t extra_len) {
    struct pat_model *m = small_model(c, PAT_EMBED_DENSE, 1, 8);
    struct pat_err err;
    struct st_parts p = {0};
    tmp_path(path, len, name);
    if (!m || !CHECK_STATUS(c, pat_model_save(m, path, &err), PAT_OK) || !read_parts(path, &p)) {
        pat_model_free(m);
        return;
    }
    char *h = replace(p.header, from, to);
    if (!h) check_fail(c, "'%s' not found in the header", from);
    unsigned char *data = malloc(p.data_len + extra_len + 1);
    memcpy(data, p.data, p.data_len);
    if (extra_len) memcpy(data + p.data_len, extra, extra_len);
    if (h) write_raw(path, strlen(h), h, data, p.data_len + extra_len);
    free(data);
    free(h);
    free_parts(&p);
    pat_model_free(m);
}

/* Bit-exact equality of tensors and metadata. */
static void compare_models(struct check_ctx *c, struct pat_model *a, struct pat_model *b) {
    if (!CHECK(c, pat_model_num_tensors(a) == pat_model_num_tensors(b))) return;
    for (size_t i = 0; i < pat_model_num_tensors(a); i++) {
        size_t sa[4], sb[4], numel = 1;
        size_t na = pat_model_tensor_shape(a, i, sa), nb = pat_model_tensor_shape(b, i, sb);
        const char *name = pat_model_tensor_name(a, i);
        if (strcmp(name, pat_model_tensor_name(b, i)) != 0 || na != nb ||
            memcmp(sa, sb, sizeof sa) != 0) {
            check_fail(c, "tensor %zu differs in name or shape (%s)", i, name);
            return;
        }
        for (size_t d = 0; d < na; d++) numel *= sa[d];
        if (memcmp(pat_model_tensor_data(a, i), pat_model_tensor_data(b, i),
                   numel * sizeof(float)) != 0)
            check_fail(c, "tensor %s differs", name);
    }
    CHECK(c, pat_model_num_meta(a) == pat_model_num_meta(b));
    for (size_t i = 0; i < pat_model_num_meta(a); i++) {
        const char *k, *v, *w;
        pat_model_meta_at(a, i, &k, &v);
        w = pat_model_meta_get(b, k);
        if (!w || strcmp(v, w) != 0) check_fail(c, "metadata %s differs", k);
    }
}

/* 1 when the directory holds a leftover "*.tmp.*" file. */
static int has_tmp_leftover(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp.")) found = 1;
    closedir(d);
    return found;
}

/* ---- round trips -------------------------------------------------------- */

static void test_roundtrip(struct check_ctx *c) {
    char path[512];
    struct pat_err err;
    struct pat_model *a = small_model(c, PAT_EMBED_DENSE, 1, 8), *b = NULL;
    if (!a) return;
    tmp_path(path, sizeof path, "roundtrip.safetensors");
    CHECK_STATUS(c, pat_model_meta_set(a, "note", "q\"b\\n\nt\tµ😀\x01", &err), PAT_OK);
    CHECK_STATUS(c, pat_model_meta_set(a, "train.seed", "42", &err), PAT_OK);
    CHECK_STATUS(c, pat_model_save(a, path, &err), PAT_OK);
    if (CHECK_STATUS(c, pat_model_load(path, &b, &err), PAT_OK)) {
        compare_models(c, a, b);
        CHECK(c, pat_model_has_head(b) && pat_model_scaler_len(b) == 8);
        CHECK(c, pat_model_config(b)->patch_size == 4 && pat_model_config(b)->num_heads == 2);
    }
    CHECK(c, !has_tmp_leftover(check_tmp_dir()));
    pat_model_free(a);
    pat_model_free(b);
}

static void test_roundtrip_conv_no_head(struct check_ctx *c) {
    char path[512];
    struct pat_err err;
    struct pat_model *a = small_model(c, PAT_EMBED_CONV, 0, 0), *b = NULL;
    if (!a) return;
    tmp_path(path, sizeof path, "roundtrip-conv.safetensors");
    CHECK_STATUS(c, pat_model_save(a, path, &err), PAT_OK);
    if (CHECK_STATUS(c, pat_model_load(path, &b, &err), PAT_OK)) {
        compare_models(c, a, b);
        CHECK(c, pat_model_config(b)->embedding == PAT_EMBED_CONV);
        CHECK(c, pat_model_config(b)->patch_size == 4);
        CHECK(c, !pat_model_has_head(b) && pat_model_scaler_len(b) == 0);
    }
    pat_model_free(a);
    pat_model_free(b);
}

static void test_save_replaces_existing(struct check_ctx *c) {
    char path[512];
    struct pat_err err;
    struct pat_model *a = small_model(c, PAT_EMBED_DENSE, 1, 8), *b = NULL, *r = NULL;
    b = small_model(c, PAT_EMBED_DENSE, 0, 0);
    if (!a || !b) goto done;
    pat_model_tensor_data(b, 0)[0] = -7.25f;
    tmp_path(path, sizeof path, "replace.safetensors");
    CHECK_STATUS(c, pat_model_save(a, path, &err), PAT_OK);
    CHECK_STATUS(c, pat_model_save(b, path, &err), PAT_OK);
    if (CHECK_STATUS(c, pat_model_load(path, &r, &err), PAT_OK)) compare_models(c, b, r);
    CHECK(c, !has_tmp_leftover(check_tmp_dir()));
done:
    pat_model_free(a);
    pat_model_free(b);
    pat_model_free(r);
}

static void test_save_missing_dir(struct check_ctx *c) {
    char dir[512], path[600];
    struct pat_err err = {0};
    struct stat sb;
    struct pat_model *a = small_model(c, PAT_EMBED_DENSE, 0, 0);
    if (!a) return;
    tmp_path(dir, sizeof dir, "no-such-dir");
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    CHECK_STATUS(c, pat_model_save(a, path, &err), PAT_ERR_IO);
    CHECK(c, strncmp(err.msg, path, strlen(path)) == 0);
    CHECK(c, stat(dir, &sb) != 0);
    CHECK(c, !has_tmp_leftover(check_tmp_dir()));
    pat_model_free(a);
}

/* A failing rename (target is a directory) removes the temp file and
 * leaves the target alone. */
static void test_save_failure_leaves_target(struct check_ctx *c) {
    char path[512];
    struct pat_err err = {0};
    struct stat sb;
    struct pat_model *a = small_model(c, PAT_EMBED_DENSE, 0, 0);
    if (!a) return;
    tmp_path(path, sizeof path, "target-is-dir");
    mkdir(path, 0700);
    CHECK_STATUS(c, pat_model_save(a, path, &err), PAT_ERR_IO);
    CHECK(c, strncmp(err.msg, path, strlen(path)) == 0);
    CHECK(c, stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK(c, !has_tmp_leftover(check_tmp_dir()));
    pat_model_free(a);
}

/* \uXXXX escapes (with a surrogate pair) decode to UTF-8. */
static void test_unicode_escapes(struct check_ctx *c) {
    char path[512];
    struct pat_model *m = NULL;
    struct pat_err err;
    edited_file(c, path, sizeof path, "unicode.safetensors", "\"pat.embedding\":\"dense\"",
                "\"pat.embedding\":\"d\\u0065nse\",\"n\\/te\":\"\\u00b5\\ud83d\\ude00\\n\"",
                NULL, 0);
    if (CHECK_STATUS(c, pat_model_load(path, &m, &err), PAT_OK)) {
        const char *v = pat_model_meta_get(m, "n/te");
        CHECK(c, v && strcmp(v, "\xc2\xb5\xf0\x9f\x98\x80\n") == 0);
        CHECK(c, strcmp(pat_model_meta_get(m, "pat.embedding"), "dense") == 0);
    }
    pat_model_free(m);
}

/* ---- file-level refusals ------------------------------------------------ */

static const char one_tensor[] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

static void test_truncated_header(struct check_ctx *c) {
    char path[512];
    tmp_path(path, sizeof path, "trunc-header.safetensors");
    write_raw(path, strlen(one_tensor), "{\"a\":{\"dtype\"", NULL, 0);
    expect_fail(c, path, PAT_ERR_FORMAT, "header length", "exceeds the file size");
    tmp_path(path, sizeof path, "trunc-len.safetensors");
    check_write_file(path, "\x10\x00\x00", 3);
    expect_fail(c, path, PAT_ERR_FORMAT, "truncated", NULL);
}

static void test_truncated_data(struct check_ctx *c) {
    char path[512];
    size_t len;
    struct pat_model *m = small_model(c, PAT_EMBED_DENSE, 1, 8);
    struct pat_err err;
    tmp_path(path, sizeof path, "trunc-data.safetensors");
    if (!m || !CHECK_STATUS(c, pat_model_save(m, path, &err), PAT_OK)) goto done;
    unsigned char *buf = check_read_file(path, &len);
    if (CHECK(c, buf != NULL)) check_write_file(path, buf, len - 10);
    free(buf);
    expect_fail(c, path, PAT_ERR_FORMAT, "scaler/std", "truncated");
done:
    pat_model_free(m);
}

static void test_header_len_exceeds_file(struct check_ctx *c) {
    char path[512];
    tmp_path(path, sizeof path, "hlen-big.safetensors");
    write_raw(path, 1000, one_tensor, "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "header length 1000", "exceeds");
}

static void test_header_len_absurd(struct check_ctx *c) {
    char path[512];
    tmp_path(path, sizeof path, "hlen-absurd.safetensors");
    write_raw(path, (uint64_t)1 << 63, one_tensor, "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "9223372036854775808", "limit");
}

static void test_invalid_json(struct check_ctx *c) {
    static const char *const bad[] = {
        "{\"a\":{\"dtype\":\"F32\",}}",    "{\"a\" {}}",          "{\"a\":tru}",
        "{\"a\":\"x\\qy\"}",               "{\"a\":\"x\ny\"}",    "{\"a\":01}",
        "{\"a\":\"\\ud800x\"}",            "{\"a\\udc00\":1}",    "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\xc0\xaf\"}",            "{} x",                "",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"a\":1e}",                      "{\"a\":99999999999999999999}", "{\"a\":\"abc",
    };
    char path[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_st(path, sizeof path, "bad-json.safetensors", bad[i], NULL, 0);
        expect_fail(c, path, PAT_ERR_FORMAT, "invalid JSON header at byte", NULL);
        if (c->failed) {
            check_fail(c, "case %zu", i);
            return;
        }
    }
}

static void test_header_not_object(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "not-object.safetensors", "[1, 2]  ", NULL, 0);
    expect_fail(c, path, PAT_ERR_FORMAT, "header must be a JSON object", "found array");
}

static void test_dtype_f16_f64(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "f16.safetensors",
             "{\"w16\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "'w16'", "dtype F16");
    write_st(path, sizeof path, "f64.safetensors",
             "{\"w64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "'w64'", "dtype F64");
}

static void test_ndim_9(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "ndim9.safetensors",
             "{\"deep\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
             "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "'deep'", "9 dimensions");
}

static void test_shape_overflow(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "overflow.safetensors",
             "{\"big\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
             "\"data_offsets\":[0,4]}}", "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "'big'", "overflows");
    write_st(path, sizeof path, "overflow4.safetensors",
             "{\"big4\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
             "\"data_offsets\":[0,4]}}", "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "'big4'", "overflows");
}

static void test_shape_bad_entries(struct check_ctx *c) {
    static const char *const shapes[] = {"[-2]", "[2.0]", "[\"2\"]", "[null]", "2"};
    char path[512], hdr[256];
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        snprintf(hdr, sizeof hdr,
                 "{\"neg\":{\"dtype\":\"F32\",\"shape\":%s,\"data_offsets\":[0,8]}}", shapes[i]);
        write_st(path, sizeof path, "bad-shape.safetensors", hdr, "12345678", 8);
        expect_fail(c, path, PAT_ERR_FORMAT, "'neg'", "shape");
    }
    write_st(path, sizeof path, "bad-shape.safetensors",
             "{\"neg\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "not a non-negative integer", NULL);
}

static void test_offsets_out_of_range(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "offsets-range.safetensors",
             "{\"far\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "'far'", "beyond the 8 data bytes");
    write_st(path, sizeof path, "offsets-neg.safetensors",
             "{\"far\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "'far'", "data_offsets");
    write_st(path, sizeof path, "offsets-one.safetensors",
             "{\"far\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "'far'", "data_offsets");
}

static void test_offsets_end_before_begin(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "offsets-order.safetensors",
             "{\"rev\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "'rev'", "before begin");
}

static void test_size_mismatch(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "size-mismatch.safetensors",
             "{\"odd\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "'odd'", "needs 12");
}

static void test_overlap(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "overlap.safetensors",
             "{\"first\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"second\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
             "123456789012", 12);
    expect_fail(c, path, PAT_ERR_FORMAT, "'first'", "'second'");
    expect_fail(c, path, PAT_ERR_FORMAT, "overlap", NULL);
}

static void test_duplicate_name(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "duplicate.safetensors",
             "{\"twice\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
             "\"twice\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
             "12345678", 8);
    expect_fail(c, path, PAT_ERR_FORMAT, "duplicate tensor name 'twice'", NULL);
}

static void test_name_too_long(struct check_ctx *c) {
    char path[512], name[200], hdr[512];
    memset(name, 'x', 160);
    name[160] = '\0';
    snprintf(hdr, sizeof hdr,
             "{\"%s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", name);
    write_st(path, sizeof path, "long-name.safetensors", hdr, "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "160 bytes", "159");
    name[159] = '\0'; /* 159 bytes is fine for the reader: the model then misses tensors */
    snprintf(hdr, sizeof hdr,
             "{\"%s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", name);
    write_st(path, sizeof path, "long-name.safetensors", hdr, "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "dense/dense/kernel", NULL);
}

static void test_meta_not_string(struct check_ctx *c) {
    char path[512];
    write_st(path, sizeof path, "meta-int.safetensors",
             "{\"__metadata__\":{\"pat.num_heads\":2},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "'pat.num_heads'", "must be strings");
    write_st(path, sizeof path, "meta-array.safetensors",
             "{\"__metadata__\":[\"x\"],"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "__metadata__ must be an object, found array", NULL);
    write_st(path, sizeof path, "meta-dup.safetensors",
             "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "1234", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "duplicate metadata key 'k'", NULL);
}

/* ---- model-level refusals ----------------------------------------------- */

static void test_missing_tensor(struct check_ctx *c) {
    char path[512];
    edited_file(c, path, sizeof path, "missing.safetensors", "\"head/output/bias\"",
                "\"head/output/bias_renamed\"", NULL, 0);
    expect_fail(c, path, PAT_ERR_FORMAT, "missing tensor 'head/output/bias'", NULL);
}

static void test_unknown_tensor(struct check_ctx *c) {
    char path[512], entry[256];
    struct pat_model *m = small_model(c, PAT_EMBED_DENSE, 1, 8);
    if (!m) return;
    size_t data_len = pat_model_num_params(m) * 4;
    pat_model_free(m);
    snprintf(entry, sizeof entry,
             "{\"extra/w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%zu,%zu]},",
             data_len, data_len + 4);
    edited_file(c, path, sizeof path, "unknown.safetensors", "{", entry, "\0\0\0\0", 4);
    expect_fail(c, path, PAT_ERR_FORMAT, "unknown tensor 'extra/w'", NULL);
}

static void test_wrong_shape(struct check_ctx *c) {
    char path[512];
    edited_file(c, path, sizeof path, "wrong-shape.safetensors",
                "\"head/output/kernel\":{\"dtype\":\"F32\",\"shape\":[128,1]",
                "\"head/output/kernel\":{\"dtype\":\"F32\",\"shape\":[1,128]", NULL, 0);
    expect_fail(c, path, PAT_ERR_FORMAT, "'head/output/kernel' has shape (1, 128)",
                "expected (128, 1)");
}

static void test_meta_disagrees(struct check_ctx *c) {
    char path[512];
    edited_file(c, path, sizeof path, "meta-heads.safetensors", "\"pat.num_heads\":\"2\"",
                "\"pat.num_heads\":\"3\"", NULL, 0);
    expect_fail(c, path, PAT_ERR_FORMAT, "pat.num_heads", "3");
    edited_file(c, path, sizeof path, "meta-embed.safetensors", "\"pat.embedding\":\"dense\"",
                "\"pat.embedding\":\"conv\"", NULL, 0);
    expect_fail(c, path, PAT_ERR_FORMAT, "pat.embedding", NULL);
}

static void test_conv_needs_patch_size(struct check_ctx *c) {
    char path[512];
    struct pat_model *m = small_model(c, PAT_EMBED_CONV, 0, 0);
    struct pat_err err;
    struct st_parts p = {0};
    tmp_path(path, sizeof path, "conv-no-p.safetensors");
    if (!m || !CHECK_STATUS(c, pat_model_save(m, path, &err), PAT_OK) || !read_parts(path, &p))
        goto done;
    char *h = replace(p.header, "\"pat.patch_size\":\"4\"", "\"pat.other\":\"4\"");
    if (CHECK(c, h != NULL)) write_raw(path, strlen(h), h, p.data, p.data_len);
    free(h);
    expect_fail(c, path, PAT_ERR_FORMAT, "pat.patch_size", "patch size");
done:
    free_parts(&p);
    pat_model_free(m);
}

static void test_nan_weight(struct check_ctx *c) {
    char path[512];
    struct pat_err err;
    struct pat_model *m = small_model(c, PAT_EMBED_DENSE, 1, 8);
    if (!m) return;
    size_t i = pat_model_tensor_find(m, "encoder_layer_2_transformer/encoder_layer_2_ff1/bias");
    if (!CHECK(c, i != (size_t)-1)) goto done;
    pat_model_tensor_data(m, i)[5] = NAN;
    tmp_path(path, sizeof path, "nan.safetensors");
    CHECK_STATUS(c, pat_model_save(m, path, &err), PAT_OK);
    expect_fail(c, path, PAT_ERR_NUMERIC, "encoder_layer_2_transformer/encoder_layer_2_ff1/bias",
                "element 5 is NaN");
    pat_model_tensor_data(m, i)[5] = -INFINITY;
    CHECK_STATUS(c, pat_model_save(m, path, &err), PAT_OK);
    expect_fail(c, path, PAT_ERR_NUMERIC, "element 5 is infinite", NULL);
done:
    pat_model_free(m);
}

static void test_scaler_std_zero(struct check_ctx *c) {
    char path[512];
    struct pat_err err;
    struct pat_model *m = small_model(c, PAT_EMBED_DENSE, 0, 8);
    if (!m) return;
    size_t i = pat_model_tensor_find(m, "scaler/std");
    if (!CHECK(c, i != (size_t)-1)) goto done;
    pat_model_tensor_data(m, i)[3] = 0.0f;
    tmp_path(path, sizeof path, "std-zero.safetensors");
    CHECK_STATUS(c, pat_model_save(m, path, &err), PAT_OK);
    expect_fail(c, path, PAT_ERR_FORMAT, "'scaler/std' element 3", "> 0");
done:
    pat_model_free(m);
}

static void test_not_found(struct check_ctx *c) {
    char path[512];
    tmp_path(path, sizeof path, "does-not-exist.safetensors");
    expect_fail(c, path, PAT_ERR_IO, "cannot open", NULL);
}

/* err may be NULL: failures still return their status. */
static void test_null_err(struct check_ctx *c) {
    char path[512];
    struct pat_model *m = NULL;
    struct pat_model *a = small_model(c, PAT_EMBED_DENSE, 1, 8);
    tmp_path(path, sizeof path, "null-err.safetensors");
    if (!a || !CHECK_STATUS(c, pat_model_save(a, path, NULL), PAT_OK)) goto done;
    CHECK_STATUS(c, pat_model_load(path, &m, NULL), PAT_OK);
    pat_model_free(m);
    m = NULL;
    write_st(path, sizeof path, "null-err.safetensors", "{\"a\":1}", NULL, 0);
    CHECK_STATUS(c, pat_model_load(path, &m, NULL), PAT_ERR_FORMAT);
    CHECK(c, m == NULL);
done:
    pat_model_free(a);
}

int main(void) {
    int failures = 0;
    RUN(test_roundtrip);
    RUN(test_roundtrip_conv_no_head);
    RUN(test_save_replaces_existing);
    RUN(test_save_missing_dir);
    RUN(test_save_failure_leaves_target);
    RUN(test_unicode_escapes);
    RUN(test_truncated_header);
    RUN(test_truncated_data);
    RUN(test_header_len_exceeds_file);
    RUN(test_header_len_absurd);
    RUN(test_invalid_json);
    RUN(test_header_not_object);
    RUN(test_dtype_f16_f64);
    RUN(test_ndim_9);
    RUN(test_shape_overflow);
    RUN(test_shape_bad_entries);
    RUN(test_offsets_out_of_range);
    RUN(test_offsets_end_before_begin);
    RUN(test_size_mismatch);
    RUN(test_overlap);
    RUN(test_duplicate_name);
    RUN(test_name_too_long);
    RUN(test_meta_not_string);
    RUN(test_missing_tensor);
    RUN(test_unknown_tensor);
    RUN(test_wrong_shape);
    RUN(test_meta_disagrees);
    RUN(test_conv_needs_patch_size);
    RUN(test_nan_weight);
    RUN(test_scaler_std_zero);
    RUN(test_not_found);
    RUN(test_null_err);
    return failures ? 1 : 0;
}
