/* dataset_write.c - streaming writer of .patd files (dataset.h). Rows go
 * to a temporary file as they arrive; finish() appends the small sections,
 * writes the header last, fsyncs and renames, so a reader never sees a
 * partial file. */
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/idmap.h"
#include "data/scaler.h"
#include "report/atomic.h"
#include "util.h"

struct pat_dsw {
    char *path;
    struct pat_atomic_file out; /* seekable: rows are read back */
    FILE *f;                    /* out.f while open */
    size_t T, C, rows, cap;
    float *label, *cov;
    uint32_t *part, *valid;
    int64_t *start;
    char **cov_names;
    struct pat_idmap parts;
    uint64_t pos; /* bytes written so far */
    unsigned char table[PATD_MAX_SECTIONS * PATD_ENTRY_SIZE];
    size_t nsec;
};

void patd_put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
void patd_put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
uint32_t patd_get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
uint64_t patd_get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
int patd_host_little_endian(void) {
    uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

void pat_dsw_abort(struct pat_dsw *w) {
    if (!w) return;
    if (w->f) pat_atomic_abort(&w->out);
    for (size_t j = 0; w->cov_names && j < w->C; j++) free(w->cov_names[j]);
    free(w->cov_names);
    free(w->path);
    free(w->label);
    free(w->cov);
    free(w->part);
    free(w->valid);
    free(w->start);
    pat_idmap_free(&w->parts);
    free(w);
}

static enum pat_status copy_names(struct pat_dsw *w, const char *const *names,
                                  struct pat_err *err) {
    if (w->C == 0) return PAT_OK;
    w->cov_names = pat_calloc(w->C, sizeof *w->cov_names);
    if (!w->cov_names) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < w->C; j++) {
        if (!names[j][0]) return pat_fail(err, PAT_ERR_USAGE, "empty covariate name");
        if (!(w->cov_names[j] = pat_strdup(names[j])))
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    return PAT_OK;
}

enum pat_status pat_dsw_open(const char *path, size_t T, size_t C,
                             const char *const *cov_names, struct pat_dsw **out,
                             struct pat_err *err) {
    *out = NULL;
    if (!patd_host_little_endian())
        return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: .patd files need a little-endian host", path);
    if (T == 0 || T > ((size_t)1 << 26) || C > 4096)
        return pat_fail(err, PAT_ERR_USAGE, "%s: bad dataset shape T=%zu C=%zu", path, T, C);
    struct pat_dsw *w = calloc(1, sizeof *w);
    if (!w) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    pat_idmap_init(&w->parts);
    w->T = T;
    w->C = C;
    w->path = pat_strdup(path);
    enum pat_status st = copy_names(w, cov_names, err);
    if (st == PAT_OK && !w->path) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && (st = pat_atomic_open_seekable(&w->out, path, err)) == PAT_OK) {
        static const unsigned char zero[PATD_DATA_OFFSET];
        w->f = w->out.f;
        if (fwrite(zero, 1, sizeof zero, w->f) != sizeof zero)
            st = pat_fail(err, PAT_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        w->pos = PATD_DATA_OFFSET;
    }
    if (st != PAT_OK) {
        pat_dsw_abort(w);
        return st;
    }
    *out = w;
    return PAT_OK;
}

enum pat_status pat_dsw_participant(struct pat_dsw *w, const char *id, struct pat_err *err) {
    size_t idx;
    int added;
    if (!id[0]) return pat_fail(err, PAT_ERR_USAGE, "%s: empty participant id", w->path);
    if (!pat_idmap_add(&w->parts, id, &idx, &added))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (!added)
        return pat_fail(err, PAT_ERR_USAGE, "%s: participant '%s' given twice (ids must be "
                        "unique)", w->path, id);
    if (w->parts.n > UINT32_MAX) return pat_fail(err, PAT_ERR_USAGE, "too many participants");
    return PAT_OK;
}

static int grow(struct pat_dsw *w) {
    size_t cap = w->cap ? w->cap * 2 : 256, cc;
    if (!pat_mul_size(cap, w->C, &cc)) return 0;
    float *l = realloc(w->label, cap * sizeof *l);
    if (l) w->label = l;
    uint32_t *p = l ? realloc(w->part, cap * sizeof *p) : NULL;
    if (p) w->part = p;
    uint32_t *v = p ? realloc(w->valid, cap * sizeof *v) : NULL;
    if (v) w->valid = v;
    int64_t *s = v ? realloc(w->start, cap * sizeof *s) : NULL;
    if (s) w->start = s;
    float *c = s ? realloc(w->cov, (cc ? cc : 1) * sizeof *c) : NULL;
    if (!c) return 0;
    w->cov = c;
    w->cap = cap;
    return 1;
}

enum pat_status pat_dsw_row(struct pat_dsw *w, const float *x, float label, int64_t start,
                            size_t valid, const float *cov, struct pat_err *err) {
    if (w->parts.n == 0) return pat_fail(err, PAT_ERR_USAGE, "row before any participant");
    for (size_t j = 0; j < w->T; j++)
        if (!isfinite(x[j]))
            return pat_fail(err, PAT_ERR_NUMERIC, "%s: participant %s: minute %zu of a row is "
                            "not finite", w->path, w->parts.ids[w->parts.n - 1], j);
    if (w->rows == w->cap && !grow(w)) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (fwrite(x, sizeof *x, w->T, w->f) != w->T)
        return pat_fail(err, PAT_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
    size_t i = w->rows++;
    w->label[i] = label;
    w->part[i] = (uint32_t)(w->parts.n - 1);
    w->start[i] = start;
    w->valid[i] = (uint32_t)valid;
    for (size_t j = 0; j < w->C; j++) w->cov[i * w->C + j] = cov ? cov[j] : NAN;
    w->pos += (uint64_t)w->T * sizeof *x;
    return PAT_OK;
}

size_t pat_dsw_rows(const struct pat_dsw *w) { return w->rows; }
size_t pat_dsw_participants(const struct pat_dsw *w) { return w->parts.n; }
const char *const *pat_dsw_ids(const struct pat_dsw *w) {
    return (const char *const *)w->parts.ids;
}

enum pat_status pat_dsw_participant_labels(const struct pat_dsw *w, float *labels,
                                           struct pat_err *err) {
    for (size_t p = 0; p < w->parts.n; p++) labels[p] = NAN;
    for (size_t i = w->rows; i-- > 0;) labels[w->part[i]] = w->label[i];
    (void)err;
    return PAT_OK;
}

/* ---- finishing ----------------------------------------------------------- */

static void add_entry(struct pat_dsw *w, uint32_t id, uint64_t offset, uint64_t size) {
    unsigned char *e = w->table + w->nsec++ * PATD_ENTRY_SIZE;
    patd_put_u32(e, id);
    patd_put_u32(e + 4, 0);
    patd_put_u64(e + 8, offset);
    patd_put_u64(e + 16, size);
}

/* Append one section (padding the file to PATD_ALIGN first). */
static int put_section(struct pat_dsw *w, uint32_t id, const void *data, uint64_t size) {
    static const unsigned char pad[PATD_ALIGN];
    size_t npad = (size_t)((PATD_ALIGN - w->pos % PATD_ALIGN) % PATD_ALIGN);
    if (npad && fwrite(pad, 1, npad, w->f) != npad) return 0;
    w->pos += npad;
    add_entry(w, id, w->pos, size);
    if (size && fwrite(data, 1, (size_t)size, w->f) != (size_t)size) return 0;
    w->pos += size;
    return 1;
}

/* The NUL-terminated concatenation of n strings (malloc'd). */
static char *string_table(char *const *s, size_t n, size_t *len) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += strlen(s[i]) + 1;
    char *t = malloc(total ? total : 1), *p = t;
    for (size_t i = 0; t && i < n; i++) {
        size_t k = strlen(s[i]) + 1;
        memcpy(p, s[i], k);
        p += k;
    }
    *len = total;
    return t;
}

/* Read row i of X back from the temporary file into x. */
static int read_row(struct pat_dsw *w, size_t i, float *x) {
    off_t off = (off_t)PATD_DATA_OFFSET + (off_t)i * (off_t)(w->T * sizeof *x);
    return fseeko(w->f, off, SEEK_SET) == 0 && fread(x, sizeof *x, w->T, w->f) == w->T;
}

/* Accumulator of row i's split for the scaler mode, or -1 for none. */
static int scaler_slot(enum pat_scaler_mode mode, uint8_t split) {
    if (split == PAT_SPLIT_NONE) return -1;
    if (mode == PAT_SCALER_TRAIN) return split == PAT_SPLIT_TRAIN ? 0 : -1;
    return split;
}

/* Two passes over the rows; sc receives S scalers of mean[T], std[T]. */
static enum pat_status fit_scalers(struct pat_dsw *w, const uint8_t *split,
                                   enum pat_scaler_mode mode, float *sc, struct pat_err *err) {
    size_t S = mode == PAT_SCALER_TRAIN ? 1 : 3;
    struct pat_moments m[3];
    float *x = malloc(w->T * sizeof *x);
    enum pat_status st = x ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    size_t ok = 0;
    for (; st == PAT_OK && ok < S; ok++) st = pat_moments_init(&m[ok], w->T, err);
    if (st != PAT_OK) ok--;
    for (int pass = 0; st == PAT_OK && pass < 2; pass++) {
        for (size_t i = 0; st == PAT_OK && i < w->rows; i++) {
            int k = scaler_slot(mode, split[i]);
            if (k < 0) continue;
            if (!read_row(w, i, x))
                st = pat_fail(err, PAT_ERR_IO, "%s: cannot read back row %zu", w->path, i);
            else pat_moments_add(&m[k], x);
        }
        for (size_t k = 0; pass == 0 && k < S; k++) pat_moments_next_pass(&m[k]);
    }
    if (st == PAT_OK && m[0].n == 0 && mode == PAT_SCALER_TRAIN)
        st = pat_fail(err, PAT_ERR_USAGE, "%s: no training rows to fit the scaler on (use "
                      "--scaler none, or split unlabeled participants)", w->path);
    for (size_t k = 0; st == PAT_OK && k < S; k++)
        pat_moments_result(&m[k], sc + 2 * k * w->T, sc + (2 * k + 1) * w->T);
    for (size_t k = 0; k < ok; k++) pat_moments_free(&m[k]);
    free(x);
    return st;
}

static void put_header(unsigned char *h, const struct pat_dsw *w, const struct pat_dsw_final *f) {
    memset(h, 0, PATD_HEADER_SIZE);
    memcpy(h, PATD_MAGIC, 8);
    patd_put_u32(h + 8, PATD_VERSION);
    patd_put_u32(h + 12, (uint32_t)w->nsec);
    patd_put_u64(h + 16, w->rows);
    patd_put_u64(h + 24, w->T);
    patd_put_u64(h + 32, w->parts.n);
    patd_put_u64(h + 40, w->C);
    patd_put_u32(h + 48, (uint32_t)f->scaler);
    patd_put_u32(h + 52, (uint32_t)f->folds);
    patd_put_u32(h + 56, f->flags);
}

/* Per-row split and fold from the per-participant arrays. */
static int row_arrays(const struct pat_dsw *w, const struct pat_dsw_final *f, uint8_t *split,
                      uint8_t *fold) {
    for (size_t i = 0; i < w->rows; i++) {
        split[i] = f->split[w->part[i]];
        fold[i] = f->fold[w->part[i]];
    }
    return 1;
}

/* The small sections after X, then header and table at offset 0. */
static int write_tail(struct pat_dsw *w, const struct pat_dsw_final *f, const uint8_t *split,
                      const uint8_t *fold, const float *sc) {
    size_t n = w->rows, ids_len, names_len;
    char *ids = string_table(w->parts.ids, w->parts.n, &ids_len);
    char *names = string_table(w->cov_names, w->C, &names_len);
    int ok = ids && names && fseeko(w->f, 0, SEEK_END) == 0;
    add_entry(w, PATD_X, PATD_DATA_OFFSET, (uint64_t)n * w->T * 4); /* written first */
    ok = ok && put_section(w, PATD_LABEL, w->label, n * 4) &&
         put_section(w, PATD_PARTICIPANT, w->part, n * 4) &&
         put_section(w, PATD_START, w->start, n * 8) &&
         put_section(w, PATD_VALID, w->valid, n * 4) && put_section(w, PATD_SPLIT, split, n) &&
         put_section(w, PATD_FOLD, fold, n) && put_section(w, PATD_IDS, ids, ids_len);
    if (ok && w->C)
        ok = put_section(w, PATD_COV_NAMES, names, names_len) &&
             put_section(w, PATD_COV, w->cov, (uint64_t)n * w->C * 4);
    if (ok && f->scaler != PAT_SCALER_NONE)
        ok = put_section(w, PATD_SCALER, sc,
                         (uint64_t)(f->scaler == PAT_SCALER_TRAIN ? 1 : 3) * 2 * w->T * 4);
    ok = ok && put_section(w, PATD_META, f->meta, strlen(f->meta) + 1);
    free(ids);
    free(names);
    unsigned char h[PATD_HEADER_SIZE];
    put_header(h, w, f);
    ok = ok && fseeko(w->f, 0, SEEK_SET) == 0 && fwrite(h, 1, sizeof h, w->f) == sizeof h &&
         fwrite(w->table, PATD_ENTRY_SIZE, w->nsec, w->f) == w->nsec;
    return ok && fflush(w->f) == 0 && fsync(fileno(w->f)) == 0;
}

static enum pat_status commit(struct pat_dsw *w, struct pat_err *err) {
    w->f = NULL;
    return pat_atomic_commit(&w->out, err);
}

enum pat_status pat_dsw_finish(struct pat_dsw *w, const struct pat_dsw_final *f,
                               struct pat_err *err) {
    enum pat_status st = PAT_OK;
    size_t S = f->scaler == PAT_SCALER_NONE ? 0 : f->scaler == PAT_SCALER_TRAIN ? 1 : 3;
    uint8_t *split = malloc(w->rows ? w->rows : 1), *fold = malloc(w->rows ? w->rows : 1);
    float *sc = pat_calloc(S ? S * 2 * w->T : 1, sizeof *sc);
    if (w->rows == 0) st = pat_fail(err, PAT_ERR_USAGE, "%s: no rows to write", w->path);
    else if (!split || !fold || !sc) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) row_arrays(w, f, split, fold);
    if (st == PAT_OK && S) st = fit_scalers(w, split, f->scaler, sc, err);
    if (st == PAT_OK && !write_tail(w, f, split, fold, sc))
        st = pat_fail(err, PAT_ERR_IO, "%s: cannot write: %s", w->path, strerror(errno));
    if (st == PAT_OK) st = commit(w, err);
    free(split);
    free(fold);
    free(sc);
    pat_dsw_abort(w); /* frees; the temporary file is gone or renamed */
    return st;
}
