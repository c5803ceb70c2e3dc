/* safetensors.c - strict F32 safetensors reader and atomic writer.
 *
 * Reader rules (each failure names the file and the tensor or field):
 * the file is a regular file of at most 16 GiB, read whole; the header
 * length is at most 100 MB and fits in the file; the header is a JSON
 * object; __metadata__, when present, maps strings to strings; every other
 * member is a tensor with dtype "F32", at most 8 non-negative dims whose
 * product (times 4) does not overflow, data_offsets [begin, end] with
 * begin <= end <= data size and end - begin == 4 * numel; names are unique,
 * non-empty and at most 159 bytes; the tensors cover the data section
 * exactly (no overlap, no gap, nothing after the last). Data may be
 * unaligned and is always copied out byte-wise as little endian.
 */
#include "io/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/atomic.h"
#include "util.h"

/* ---- reading ----------------------------------------------------------- */

static uint64_t get_le64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static uint32_t get_le32(const unsigned char *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Read the whole regular file into f->buf after checking its size. */
static enum pat_status read_whole(const char *path, struct pat_st_file *f,
                                  struct pat_err *err) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return pat_fail(err, PAT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return pat_fail(err, PAT_ERR_IO, "%s: not a regular file", path);
    if (sb.st_size < 0 || (unsigned long long)sb.st_size > PAT_ST_MAX_FILE ||
        (unsigned long long)sb.st_size > SIZE_MAX)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: file of %lld bytes is too large (limit 16 GiB)",
                        path, (long long)sb.st_size);
    f->size = (size_t)sb.st_size;
    if (f->size < 8)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: truncated: %zu bytes, shorter than the 8-byte header length",
                        path, f->size);
    FILE *fp = fopen(path, "rb");
    if (!fp) return pat_fail(err, PAT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    f->buf = malloc(f->size);
    size_t got = f->buf ? fread(f->buf, 1, f->size, fp) : 0;
    int read_err = ferror(fp);
    fclose(fp);
    if (!f->buf)
        return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory reading %zu bytes", path,
                        f->size);
    if (got != f->size)
        return pat_fail(err, PAT_ERR_IO, "%s: read %zu of %zu bytes%s", path, got, f->size,
                        read_err ? " (read error)" : " (file shrank while reading)");
    return PAT_OK;
}

/* A JSON value that is an integer in [0, SIZE_MAX]. */
static int json_size(const struct pat_json_node *n, size_t *out) {
    if (n->type != PAT_JSON_INT || n->num < 0 || (uint64_t)n->num > SIZE_MAX) return 0;
    *out = (size_t)n->num;
    return 1;
}

static enum pat_status parse_shape(const char *path, const struct pat_json *doc, size_t node,
                                   struct pat_st_tensor *t, struct pat_err *err) {
    const struct pat_json_node *a = &doc->nodes[node];
    if (a->type != PAT_JSON_ARRAY)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor '%s': shape must be an array, found %s",
                        path, t->name, pat_json_type_name(a->type));
    if (a->count > PAT_ST_MAX_NDIM)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor '%s' has %zu dimensions (at most %d supported)", path,
                        t->name, a->count, PAT_ST_MAX_NDIM);
    t->ndim = 0;
    t->numel = 1;
    for (size_t i = pat_json_first(doc, node); i; i = doc->nodes[i].next) {
        size_t d;
        if (!json_size(&doc->nodes[i], &d))
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: tensor '%s': shape entry %zu is not a non-negative integer",
                            path, t->name, t->ndim);
        if (!pat_mul_size(t->numel, d, &t->numel))
            return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor '%s': shape product overflows",
                            path, t->name);
        t->shape[t->ndim++] = d;
    }
    size_t bytes;
    if (!pat_mul_size(t->numel, 4, &bytes))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor '%s': shape product overflows", path,
                        t->name);
    return PAT_OK;
}

static enum pat_status parse_offsets(const char *path, const struct pat_json *doc,
                                     size_t node, size_t data_size, struct pat_st_tensor *t,
                                     struct pat_err *err) {
    const struct pat_json_node *a = &doc->nodes[node];
    size_t i = pat_json_first(doc, node);
    if (a->type != PAT_JSON_ARRAY || a->count != 2 ||
        !json_size(&doc->nodes[i], &t->begin) ||
        !json_size(&doc->nodes[doc->nodes[i].next], &t->end))
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets must be [begin, end] with "
                        "non-negative integers", path, t->name);
    if (t->end < t->begin)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets end %zu is before begin %zu", path,
                        t->name, t->end, t->begin);
    if (t->end > data_size)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets end %zu is beyond the %zu data bytes "
                        "(file truncated?)", path, t->name, t->end, data_size);
    if (t->end - t->begin != t->numel * 4)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets cover %zu bytes but the shape needs "
                        "%zu", path, t->name, t->end - t->begin, t->numel * 4);
    return PAT_OK;
}

/* Which of dtype/shape/data_offsets a member is; -1 for none. */
static int tensor_field(const struct pat_json_node *n) {
    static const char *const fields[3] = {"dtype", "shape", "data_offsets"};
    for (int k = 0; k < 3; k++)
        if (strcmp(n->key, fields[k]) == 0) return k;
    return -1;
}

/* Find the dtype, shape and data_offsets members of one tensor entry. */
static enum pat_status tensor_fields(const char *path, const struct pat_json *doc,
                                     size_t node, const char *name, size_t idx[3],
                                     struct pat_err *err) {
    static const char *const fields[3] = {"dtype", "shape", "data_offsets"};
    if (doc->nodes[node].type != PAT_JSON_OBJECT)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor '%s': entry must be an object, found %s",
                        path, name, pat_json_type_name(doc->nodes[node].type));
    idx[0] = idx[1] = idx[2] = 0;
    for (size_t i = pat_json_first(doc, node); i; i = doc->nodes[i].next) {
        int k = tensor_field(&doc->nodes[i]);
        if (k < 0 || idx[k])
            return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor '%s': %s field '%s'", path, name,
                            k < 0 ? "unknown" : "duplicate", doc->nodes[i].key);
        idx[k] = i;
    }
    for (int k = 0; k < 3; k++)
        if (!idx[k])
            return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor '%s': missing field '%s'", path,
                            name, fields[k]);
    return PAT_OK;
}

static enum pat_status parse_tensor(const char *path, struct pat_st_file *f, size_t node,
                                    struct pat_st_tensor *t, struct pat_err *err) {
    const struct pat_json_node *n = &f->doc.nodes[node];
    size_t idx[3];
    t->name = n->key;
    if (n->key_len == 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: a tensor has an empty name", path);
    if (n->key_len > PAT_ST_MAX_NAME)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor name of %zu bytes is longer than the limit of %d: '%.60s...'",
                        path, n->key_len, PAT_ST_MAX_NAME, n->key);
    enum pat_status st = tensor_fields(path, &f->doc, node, t->name, idx, err);
    if (st != PAT_OK) return st;
    const struct pat_json_node *dt = &f->doc.nodes[idx[0]];
    if (dt->type != PAT_JSON_STRING)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: tensor '%s': dtype must be a string, found %s",
                        path, t->name, pat_json_type_name(dt->type));
    if (strcmp(dt->str, "F32") != 0)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: tensor '%s' has dtype %.32s; only F32 is supported", path,
                        t->name, dt->str);
    st = parse_shape(path, &f->doc, idx[1], t, err);
    if (st != PAT_OK) return st;
    return parse_offsets(path, &f->doc, idx[2], f->data_size, t, err);
}

static enum pat_status parse_meta(const char *path, struct pat_st_file *f, size_t node,
                                  struct pat_err *err) {
    const struct pat_json *doc = &f->doc;
    if (doc->nodes[node].type != PAT_JSON_OBJECT)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: __metadata__ must be an object, found %s",
                        path, pat_json_type_name(doc->nodes[node].type));
    f->meta = pat_calloc(doc->nodes[node].count, sizeof *f->meta);
    if (!f->meta) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = pat_json_first(doc, node); i; i = doc->nodes[i].next) {
        if (doc->nodes[i].type != PAT_JSON_STRING)
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s: metadata '%.100s' is not a string (found %s); metadata values must be strings",
                            path, doc->nodes[i].key, pat_json_type_name(doc->nodes[i].type));
        f->meta[f->num_meta].key = doc->nodes[i].key;
        f->meta[f->num_meta++].value = doc->nodes[i].str;
    }
    return PAT_OK;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Report the first name that occurs twice among n names (sorted in place). */
static enum pat_status check_unique(const char *path, const char **names, size_t n,
                                    const char *what, struct pat_err *err) {
    if (n > 1) qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: duplicate %s '%.160s'", path, what,
                            names[i]);
    return PAT_OK;
}

static enum pat_status check_names(const char *path, const struct pat_st_file *f,
                                   struct pat_err *err) {
    size_t n = f->num_tensors > f->num_meta ? f->num_tensors : f->num_meta;
    const char **names = pat_calloc(n ? n : 1, sizeof *names);
    if (!names) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < f->num_tensors; i++) names[i] = f->tensors[i].name;
    enum pat_status st = check_unique(path, names, f->num_tensors, "tensor name", err);
    for (size_t i = 0; st == PAT_OK && i < f->num_meta; i++) names[i] = f->meta[i].key;
    if (st == PAT_OK) st = check_unique(path, names, f->num_meta, "metadata key", err);
    free(names);
    return st;
}

static int cmp_range(const void *a, const void *b) {
    const struct pat_st_tensor *x = *(const struct pat_st_tensor *const *)a;
    const struct pat_st_tensor *y = *(const struct pat_st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* The tensors tile the data section exactly: sorted by begin, the first
 * starts at 0, each starts where the previous ends (no overlap, no gap) and
 * the last ends at the end of the file. */
static enum pat_status check_coverage(const char *path, const struct pat_st_file *f,
                                      struct pat_err *err) {
    size_t n = f->num_tensors;
    const struct pat_st_tensor **by = pat_calloc(n ? n : 1, sizeof *by);
    if (!by) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) by[i] = &f->tensors[i];
    if (n > 1) qsort(by, n, sizeof *by, cmp_range);
    enum pat_status st = PAT_OK;
    if (n > 0 && by[0]->begin != 0)
        st = pat_fail(err, PAT_ERR_FORMAT,
                      "%s: %zu bytes before the first tensor '%s' belong to no tensor", path,
                      by[0]->begin, by[0]->name);
    for (size_t i = 1; i < n && st == PAT_OK; i++)
        if (by[i]->begin != by[i - 1]->end)
            st = pat_fail(err, PAT_ERR_FORMAT, "%s: tensors '%s' [%zu, %zu) and '%s' [%zu, %zu) %s",
                          path, by[i - 1]->name, by[i - 1]->begin, by[i - 1]->end, by[i]->name,
                          by[i]->begin, by[i]->end,
                          by[i]->begin < by[i - 1]->end ? "overlap"
                                                        : "leave a gap that belongs to no tensor");
    size_t end = n ? by[n - 1]->end : 0;
    if (st == PAT_OK && end != f->data_size)
        st = pat_fail(err, PAT_ERR_FORMAT,
                      "%s: %zu bytes after the last tensor belong to no tensor (data section "
                      "%zu bytes, tensors end at %zu)",
                      path, f->data_size - end, f->data_size, end);
    free(by);
    return st;
}

/* Walk the root object: tensors and __metadata__. */
static enum pat_status parse_members(const char *path, struct pat_st_file *f,
                                     struct pat_err *err) {
    const struct pat_json *doc = &f->doc;
    size_t meta_node = 0;
    f->tensors = pat_calloc(doc->nodes[0].count ? doc->nodes[0].count : 1, sizeof *f->tensors);
    if (!f->tensors) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = pat_json_first(doc, 0); i; i = doc->nodes[i].next) {
        if (strcmp(doc->nodes[i].key, "__metadata__") == 0) {
            if (meta_node)
                return pat_fail(err, PAT_ERR_FORMAT, "%s: duplicate __metadata__", path);
            meta_node = i;
            continue;
        }
        enum pat_status st = parse_tensor(path, f, i, &f->tensors[f->num_tensors], err);
        if (st != PAT_OK) return st;
        f->num_tensors++;
    }
    return meta_node ? parse_meta(path, f, meta_node, err) : PAT_OK;
}

static enum pat_status parse_header(const char *path, struct pat_st_file *f,
                                    struct pat_err *err) {
    uint64_t hlen = get_le64(f->buf);
    char why[160];
    int implausible = hlen > PAT_ST_MAX_HEADER || hlen > f->size - 8;
    if (implausible && (f->size < 9 || f->buf[8] != '{'))
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: not a safetensors or Keras .h5 file (by content: a safetensors "
                        "file begins with 8 length bytes and a JSON object)", path);
    if (hlen > PAT_ST_MAX_HEADER)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: header length %llu is larger than the %zu-byte limit", path,
                        (unsigned long long)hlen, PAT_ST_MAX_HEADER);
    if (hlen > f->size - 8)
        return pat_fail(err, PAT_ERR_FORMAT,
                        "%s: header length %llu exceeds the file size %zu minus 8 (truncated?)",
                        path, (unsigned long long)hlen, f->size);
    f->data = f->buf + 8 + hlen;
    f->data_size = f->size - 8 - (size_t)hlen;
    if (!pat_json_parse(&f->doc, (const char *)f->buf + 8, (size_t)hlen, why, sizeof why))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: invalid JSON header %s", path, why);
    if (f->doc.nodes[0].type != PAT_JSON_OBJECT)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: header must be a JSON object, found %s",
                        path, pat_json_type_name(f->doc.nodes[0].type));
    enum pat_status st = parse_members(path, f, err);
    if (st == PAT_OK) st = check_names(path, f, err);
    if (st == PAT_OK) st = check_coverage(path, f, err);
    return st;
}

enum pat_status pat_st_read(const char *path, struct pat_st_file *f, struct pat_err *err) {
    memset(f, 0, sizeof *f);
    enum pat_status st = read_whole(path, f, err);
    if (st == PAT_OK) st = parse_header(path, f, err);
    if (st != PAT_OK) pat_st_free(f);
    return st;
}

void pat_st_tensor_copy(const struct pat_st_file *f, size_t i, float *dst) {
    const struct pat_st_tensor *t = &f->tensors[i];
    const unsigned char *src = f->data + t->begin;
    for (size_t k = 0; k < t->numel; k++) {
        uint32_t u = get_le32(src + 4 * k);
        memcpy(&dst[k], &u, sizeof u);
    }
}

void pat_st_free(struct pat_st_file *f) {
    free(f->buf);
    free(f->tensors);
    free(f->meta);
    pat_json_free(&f->doc);
    memset(f, 0, sizeof *f);
}

/* ---- writing ----------------------------------------------------------- */

/* Growable string; `oom` sticks once an allocation fails. */
struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n && cap <= (size_t)-1 / 2) cap *= 2;
        char *g = cap - b->len >= n ? realloc(b->p, cap) : NULL;
        if (!g) {
            b->oom = 1;
            return;
        }
        b->p = g;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void sb_lit(struct sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_size(struct sbuf *b, size_t v) {
    char num[32];
    int n = snprintf(num, sizeof num, "%zu", v);
    sb_put(b, num, (size_t)n);
}

/* A JSON string literal: quotes, backslashes and control bytes escaped;
 * UTF-8 (validated by the caller) passes through. */
static void sb_str(struct sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sb_put(b, esc, 6);
        } else {
            sb_put(b, s, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static void sb_tensor(struct sbuf *b, const struct pat_st_out *t, size_t begin, size_t end) {
    sb_put(b, ",", 1);
    sb_str(b, t->name);
    sb_lit(b, ":{\"dtype\":\"F32\",\"shape\":[");
    for (size_t d = 0; d < t->ndim; d++) {
        if (d) sb_put(b, ",", 1);
        sb_size(b, t->shape[d]);
    }
    sb_lit(b, "],\"data_offsets\":[");
    sb_size(b, begin);
    sb_put(b, ",", 1);
    sb_size(b, end);
    sb_put(b, "]}", 2);
}

static enum pat_status check_out_tensor(const char *path, const struct pat_st_out *t,
                                        size_t *bytes, struct pat_err *err) {
    size_t len = strlen(t->name), numel = 1;
    if (len == 0 || len > PAT_ST_MAX_NAME || !pat_json_utf8_valid(t->name, len))
        return pat_fail(err, PAT_ERR_USAGE,
                        "%s: tensor name '%.60s' is empty, longer than %d bytes or not UTF-8",
                        path, t->name, PAT_ST_MAX_NAME);
    if (t->ndim > PAT_ST_MAX_NDIM)
        return pat_fail(err, PAT_ERR_USAGE, "%s: tensor '%s' has %zu dimensions", path,
                        t->name, t->ndim);
    for (size_t d = 0; d < t->ndim; d++)
        if (!pat_mul_size(numel, t->shape[d], &numel))
            return pat_fail(err, PAT_ERR_USAGE, "%s: tensor '%s' is too large", path, t->name);
    if (!pat_mul_size(numel, 4, bytes))
        return pat_fail(err, PAT_ERR_USAGE, "%s: tensor '%s' is too large", path, t->name);
    return PAT_OK;
}

/* The header JSON, space-padded to a multiple of 8 bytes. */
static enum pat_status build_header(const char *path, const struct pat_st_out *t, size_t n,
                                    const struct pat_st_meta *meta, size_t nm,
                                    struct sbuf *b, struct pat_err *err) {
    size_t off = 0, bytes;
    sb_lit(b, "{\"__metadata__\":{");
    for (size_t i = 0; i < nm; i++) {
        if (!pat_json_utf8_valid(meta[i].key, strlen(meta[i].key)) ||
            !pat_json_utf8_valid(meta[i].value, strlen(meta[i].value)))
            return pat_fail(err, PAT_ERR_USAGE, "%s: metadata '%.60s' is not valid UTF-8",
                            path, meta[i].key);
        if (i) sb_put(b, ",", 1);
        sb_str(b, meta[i].key);
        sb_put(b, ":", 1);
        sb_str(b, meta[i].value);
    }
    sb_put(b, "}", 1);
    for (size_t i = 0; i < n; i++) {
        enum pat_status st = check_out_tensor(path, &t[i], &bytes, err);
        if (st != PAT_OK) return st;
        if (!pat_add_size(off, bytes, &bytes))
            return pat_fail(err, PAT_ERR_USAGE, "%s: tensors too large", path);
        sb_tensor(b, &t[i], off, bytes);
        off = bytes;
    }
    sb_put(b, "}", 1);
    while (!b->oom && b->len % 8) sb_put(b, " ", 1);
    if (b->oom) return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory building header", path);
    return PAT_OK;
}

/* Tensor data as little-endian bytes, in chunks. */
static int write_data(FILE *fp, const struct pat_st_out *t) {
    unsigned char chunk[16384];
    size_t numel = 1, k = 0;
    for (size_t d = 0; d < t->ndim; d++) numel *= t->shape[d]; /* checked in the header */
    while (k < numel) {
        size_t m = 0;
        for (; m < sizeof chunk / 4 && k < numel; m++, k++) {
            uint32_t u;
            memcpy(&u, &t->data[k], sizeof u);
            for (int j = 0; j < 4; j++) chunk[4 * m + (size_t)j] = (unsigned char)(u >> (8 * j));
        }
        if (fwrite(chunk, 4, m, fp) != m) return 0;
    }
    return 1;
}

/* Write header and data to fp; 1 on success. */
static int write_file(FILE *fp, const struct sbuf *hdr, const struct pat_st_out *t, size_t n) {
    unsigned char len8[8];
    for (int j = 0; j < 8; j++) len8[j] = (unsigned char)((uint64_t)hdr->len >> (8 * j));
    int ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(hdr->p, 1, hdr->len, fp) == hdr->len;
    for (size_t i = 0; ok && i < n; i++) ok = write_data(fp, &t[i]);
    return ok;
}

enum pat_status pat_st_write(const char *path, const struct pat_st_out *tensors, size_t n,
                             const struct pat_st_meta *meta, size_t num_meta,
                             struct pat_err *err) {
    struct sbuf hdr = {0};
    struct pat_atomic_file a;
    enum pat_status st = build_header(path, tensors, n, meta, num_meta, &hdr, err);
    if (st == PAT_OK) st = pat_atomic_open(&a, path, err);
    if (st == PAT_OK) {
        if (write_file(a.f, &hdr, tensors, n)) {
            st = pat_atomic_commit(&a, err);
        } else {
            st = pat_fail(err, PAT_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
            pat_atomic_abort(&a);
        }
    }
    free(hdr.p);
    return st;
}
