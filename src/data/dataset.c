/* dataset.c - the .patd reader: a read-only memory map, validated before
 * use (layout in dataset.h and docs/data.md). Every offset and size comes
 * from the file, so each is checked against the file size with overflow-
 * safe arithmetic; every per-row value is range-checked; the matrix must be
 * finite. */
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/scaler.h"
#include "util.h"

struct section {
    uint64_t offset, size;
    int present;
};

struct pat_dataset {
    char *path;
    const unsigned char *map;
    size_t size;
    size_t rows, T, np, C, folds;
    enum pat_scaler_mode mode;
    uint32_t flags;
    struct section sec[PATD_NUM_KINDS];
    const float *x, *label, *cov, *scaler;
    const uint32_t *part, *valid;
    const int64_t *start;
    const uint8_t *split, *fold;
    const char **ids, **cov_names;
    char *meta;   /* copy of the provenance text, split in place */
    char **keys, **values;
    size_t nmeta;
};

static const char *const section_names[PATD_NUM_KINDS] = {
    "?", "X", "LABEL", "PARTICIPANT", "START", "VALID", "SPLIT",
    "FOLD", "IDS", "COV_NAMES", "COV", "SCALER", "META"};

void pat_dataset_close(struct pat_dataset *ds) {
    if (!ds) return;
    if (ds->map) munmap((void *)ds->map, ds->size);
    free(ds->path);
    free(ds->ids);
    free(ds->cov_names);
    free(ds->meta);
    free(ds->keys);
    free(ds->values);
    free(ds);
}

static enum pat_status map_file(struct pat_dataset *ds, struct pat_err *err) {
    int fd = open(ds->path, O_RDONLY);
    if (fd < 0) return pat_fail(err, PAT_ERR_IO, "%s: cannot open: %s", ds->path, strerror(errno));
    struct stat sb;
    enum pat_status st = PAT_OK;
    if (fstat(fd, &sb) != 0)
        st = pat_fail(err, PAT_ERR_IO, "%s: cannot stat: %s", ds->path, strerror(errno));
    else if (sb.st_size < PATD_HEADER_SIZE)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: %lld bytes, too short for a .patd header",
                      ds->path, (long long)sb.st_size);
    if (st == PAT_OK) {
        ds->size = (size_t)sb.st_size;
        void *m = mmap(NULL, ds->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
            st = pat_fail(err, PAT_ERR_IO, "%s: cannot map: %s", ds->path, strerror(errno));
        else ds->map = m;
    }
    close(fd);
    return st;
}

/* A u64 count from the header that must fit size_t and `limit`. */
static int count(const unsigned char *p, uint64_t limit, size_t *out) {
    uint64_t v = patd_get_u64(p);
    if (v > limit || v > SIZE_MAX) return 0;
    *out = (size_t)v;
    return 1;
}

static enum pat_status parse_header(struct pat_dataset *ds, uint32_t *nsec,
                                    struct pat_err *err) {
    const unsigned char *h = ds->map;
    if (memcmp(h, PATD_MAGIC, 8) != 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: not a pat dataset (bad magic)", ds->path);
    uint32_t version = patd_get_u32(h + 8);
    if (version != PATD_VERSION)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: dataset format version %u; this pat reads "
                        "version %u (rebuild it with pat data build)", ds->path, version,
                        PATD_VERSION);
    *nsec = patd_get_u32(h + 12);
    uint64_t max = ds->size; /* no count can exceed the file size */
    if (*nsec > PATD_MAX_SECTIONS || !count(h + 16, max, &ds->rows) ||
        !count(h + 24, max, &ds->T) || !count(h + 32, max, &ds->np) ||
        !count(h + 40, max, &ds->C))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: header counts are impossible for a file of "
                        "%zu bytes", ds->path, ds->size);
    ds->mode = (enum pat_scaler_mode)patd_get_u32(h + 48);
    ds->folds = patd_get_u32(h + 52);
    ds->flags = patd_get_u32(h + 56);
    if (ds->rows == 0 || ds->T == 0 || ds->np == 0 || ds->np > ds->rows)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: header has %zu rows, T %zu, %zu participants",
                        ds->path, ds->rows, ds->T, ds->np);
    if (ds->mode > PAT_SCALER_PER_SPLIT || ds->folds == 1 || ds->folds > 100 ||
        (ds->flags & ~PATD_FLAG_LOG1P))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: header has scaler mode %u, %zu folds, flags "
                        "%#x", ds->path, (unsigned)ds->mode, ds->folds, ds->flags);
    return PAT_OK;
}

static enum pat_status parse_table(struct pat_dataset *ds, uint32_t nsec, struct pat_err *err) {
    uint64_t table_end = PATD_HEADER_SIZE + (uint64_t)nsec * PATD_ENTRY_SIZE;
    if (table_end > ds->size)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: section table runs past the end of the file",
                        ds->path);
    for (uint32_t k = 0; k < nsec; k++) {
        const unsigned char *e = ds->map + PATD_HEADER_SIZE + (size_t)k * PATD_ENTRY_SIZE;
        uint32_t id = patd_get_u32(e);
        uint64_t off = patd_get_u64(e + 8), size = patd_get_u64(e + 16);
        if (id == 0 || id >= PATD_NUM_KINDS)
            continue; /* unknown section of a later minor revision: ignored */
        if (ds->sec[id].present)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s appears twice", ds->path,
                            section_names[id]);
        if (off < table_end || off % 8 || off > ds->size || size > ds->size - off)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s (offset %llu, %llu bytes) lies "
                            "outside the %zu-byte file", ds->path, section_names[id],
                            (unsigned long long)off, (unsigned long long)size, ds->size);
        ds->sec[id] = (struct section){off, size, 1};
    }
    return PAT_OK;
}

static enum pat_status check_overlap(const struct pat_dataset *ds, struct pat_err *err) {
    for (int a = 1; a < PATD_NUM_KINDS; a++)
        for (int b = a + 1; b < PATD_NUM_KINDS; b++) {
            const struct section *p = &ds->sec[a], *q = &ds->sec[b];
            if (!p->present || !q->present || !p->size || !q->size) continue;
            if (p->offset < q->offset + q->size && q->offset < p->offset + p->size)
                return pat_fail(err, PAT_ERR_FORMAT, "%s: sections %s and %s overlap", ds->path,
                                section_names[a], section_names[b]);
        }
    return PAT_OK;
}

/* Expected byte size of a fixed-size section; 0 when it is variable. */
static int expected_size(const struct pat_dataset *ds, int id, size_t *bytes) {
    size_t n = ds->rows, t = 0, s = 0;
    switch (id) {
    case PATD_X: return pat_mul_size(n, ds->T, &t) && pat_mul_size(t, 4, bytes);
    case PATD_LABEL: case PATD_PARTICIPANT: case PATD_VALID: return pat_mul_size(n, 4, bytes);
    case PATD_START: return pat_mul_size(n, 8, bytes);
    case PATD_SPLIT: case PATD_FOLD: *bytes = n; return 1;
    case PATD_COV: return pat_mul_size(n, ds->C, &t) && pat_mul_size(t, 4, bytes);
    case PATD_SCALER:
        s = ds->mode == PAT_SCALER_TRAIN ? 2 : 6;
        return pat_mul_size(s, ds->T, &t) && pat_mul_size(t, 4, bytes);
    default: *bytes = 0; return 1;
    }
}

static int required(const struct pat_dataset *ds, int id) {
    if (id == PATD_COV || id == PATD_COV_NAMES) return ds->C > 0;
    if (id == PATD_SCALER) return ds->mode != PAT_SCALER_NONE;
    return 1;
}

static enum pat_status check_sizes(struct pat_dataset *ds, struct pat_err *err) {
    for (int id = 1; id < PATD_NUM_KINDS; id++) {
        size_t want;
        const struct section *s = &ds->sec[id];
        if (s->present != required(ds, id))
            return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s is %s", ds->path,
                            section_names[id], s->present ? "unexpected" : "missing");
        if (!s->present) continue;
        if (!expected_size(ds, id, &want))
            return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s: size overflows (rows %zu, "
                            "T %zu)", ds->path, section_names[id], ds->rows, ds->T);
        if (want && s->size != want)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s has %llu bytes, expected %zu "
                            "for %zu rows of %zu minutes", ds->path, section_names[id],
                            (unsigned long long)s->size, want, ds->rows, ds->T);
        if (!want && s->size == 0)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s is empty", ds->path,
                            section_names[id]);
    }
    return check_overlap(ds, err);
}

static const void *at(const struct pat_dataset *ds, int id) {
    return ds->sec[id].present ? ds->map + ds->sec[id].offset : NULL;
}

static void point(struct pat_dataset *ds) {
    ds->x = at(ds, PATD_X);
    ds->label = at(ds, PATD_LABEL);
    ds->part = at(ds, PATD_PARTICIPANT);
    ds->start = at(ds, PATD_START);
    ds->valid = at(ds, PATD_VALID);
    ds->split = at(ds, PATD_SPLIT);
    ds->fold = at(ds, PATD_FOLD);
    ds->cov = at(ds, PATD_COV);
    ds->scaler = at(ds, PATD_SCALER);
}

/* Split a section of n NUL-terminated non-empty strings into out[n]. */
static enum pat_status strings(const struct pat_dataset *ds, int id, size_t n,
                               const char ***out, struct pat_err *err) {
    const char *p = at(ds, id), *end = p + ds->sec[id].size;
    const char **v = pat_calloc(n, sizeof *v);
    if (!v) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    *out = v;
    for (size_t k = 0; k < n; k++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        if (!nul || nul == p)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s: string %zu of %zu is %s",
                            ds->path, section_names[id], k + 1, n, nul ? "empty" : "missing");
        v[k] = p;
        p = nul + 1;
    }
    if (p != end)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: section %s has %zu bytes after its %zu strings",
                        ds->path, section_names[id], (size_t)(end - p), n);
    return PAT_OK;
}

/* Per-row arrays: indices in range, one split per participant, labels
 * finite or NaN. */
static enum pat_status check_rows(const struct pat_dataset *ds, struct pat_err *err) {
    uint8_t *psplit = malloc(ds->np);
    if (!psplit) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    memset(psplit, 0xFF, ds->np);
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < ds->rows; i++) {
        uint32_t p = ds->part[i];
        unsigned f = ds->fold[i];
        if (p >= ds->np || ds->split[i] > PAT_SPLIT_NONE || ds->valid[i] > ds->T ||
            (f != PAT_FOLD_NONE && f >= ds->folds) || isinf(ds->label[i]))
            st = pat_fail(err, PAT_ERR_FORMAT, "%s: row %zu: participant %u, split %u, fold %u, "
                          "valid minutes %u or label out of range", ds->path, i + 1, p,
                          ds->split[i], f, ds->valid[i]);
        else if (psplit[p] != 0xFF && psplit[p] != ds->split[i])
            st = pat_fail(err, PAT_ERR_FORMAT, "%s: participant %s has rows in two splits",
                          ds->path, ds->ids[p]);
        else psplit[p] = ds->split[i];
    }
    free(psplit);
    return st;
}

static enum pat_status check_floats(const struct pat_dataset *ds, struct pat_err *err) {
    size_t n = ds->rows * ds->T; /* checked in expected_size */
    for (size_t k = 0; k < n; k++)
        if (!isfinite(ds->x[k]))
            return pat_fail(err, PAT_ERR_NUMERIC, "%s: row %zu, minute %zu is not finite",
                            ds->path, k / ds->T + 1, k % ds->T + 1);
    for (size_t k = 0; k < ds->rows * ds->C; k++)
        if (isinf(ds->cov[k]))
            return pat_fail(err, PAT_ERR_NUMERIC, "%s: row %zu, covariate %zu is infinite",
                            ds->path, k / ds->C + 1, k % ds->C + 1);
    size_t S = ds->mode == PAT_SCALER_NONE ? 0 : ds->mode == PAT_SCALER_TRAIN ? 1 : 3;
    for (size_t k = 0; k < 2 * S * ds->T; k++) {
        int is_std = (k / ds->T) % 2 == 1;
        if (!isfinite(ds->scaler[k]) || (is_std && !(ds->scaler[k] > 0)))
            return pat_fail(err, PAT_ERR_NUMERIC, "%s: scaler %s %zu, minute %zu is %s", ds->path,
                            is_std ? "std" : "mean", k / (2 * ds->T), k % ds->T,
                            is_std ? "not positive" : "not finite");
    }
    return PAT_OK;
}

/* Copy the provenance text and split it into key=value lines. */
static enum pat_status parse_meta(struct pat_dataset *ds, struct pat_err *err) {
    const char *p = at(ds, PATD_META);
    size_t n = (size_t)ds->sec[PATD_META].size;
    if (p[n - 1] != '\0' || memchr(p, '\0', n - 1))
        return pat_fail(err, PAT_ERR_FORMAT, "%s: section META is not one NUL-terminated text",
                        ds->path);
    size_t lines = 1;
    for (size_t k = 0; k < n; k++) lines += p[k] == '\n';
    ds->meta = pat_strdup(p);
    ds->keys = pat_calloc(lines, sizeof *ds->keys);
    ds->values = pat_calloc(lines, sizeof *ds->values);
    if (!ds->meta || !ds->keys || !ds->values) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (char *line = ds->meta, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq || eq == line)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: provenance line '%.40s' is not key=value",
                            ds->path, line);
        *eq = '\0';
        ds->keys[ds->nmeta] = line;
        ds->values[ds->nmeta++] = eq + 1;
    }
    return PAT_OK;
}

enum pat_status pat_dataset_open(const char *path, struct pat_dataset **out,
                                 struct pat_err *err) {
    *out = NULL;
    if (!patd_host_little_endian())
        return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: .patd files need a little-endian host", path);
    struct pat_dataset *ds = calloc(1, sizeof *ds);
    if (!ds || !(ds->path = pat_strdup(path))) {
        free(ds);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    uint32_t nsec = 0;
    enum pat_status st = map_file(ds, err);
    if (st == PAT_OK) st = parse_header(ds, &nsec, err);
    if (st == PAT_OK) st = parse_table(ds, nsec, err);
    if (st == PAT_OK) st = check_sizes(ds, err);
    if (st == PAT_OK) {
        point(ds);
        st = strings(ds, PATD_IDS, ds->np, &ds->ids, err);
    }
    if (st == PAT_OK && ds->C) st = strings(ds, PATD_COV_NAMES, ds->C, &ds->cov_names, err);
    if (st == PAT_OK) st = check_rows(ds, err);
    if (st == PAT_OK) st = check_floats(ds, err);
    if (st == PAT_OK) st = parse_meta(ds, err);
    if (st != PAT_OK) {
        pat_dataset_close(ds);
        return st;
    }
    *out = ds;
    return PAT_OK;
}

/* ---- accessors ----------------------------------------------------------- */

size_t pat_dataset_rows(const struct pat_dataset *ds) { return ds->rows; }
size_t pat_dataset_length(const struct pat_dataset *ds) { return ds->T; }
const float *pat_dataset_row(const struct pat_dataset *ds, size_t i) { return ds->x + i * ds->T; }
float pat_dataset_label(const struct pat_dataset *ds, size_t i) { return ds->label[i]; }
enum pat_split pat_dataset_split(const struct pat_dataset *ds, size_t i) {
    return (enum pat_split)ds->split[i];
}
unsigned pat_dataset_fold(const struct pat_dataset *ds, size_t i) { return ds->fold[i]; }
size_t pat_dataset_num_folds(const struct pat_dataset *ds) { return ds->folds; }
long long pat_dataset_start(const struct pat_dataset *ds, size_t i) { return ds->start[i]; }
size_t pat_dataset_valid_minutes(const struct pat_dataset *ds, size_t i) { return ds->valid[i]; }
size_t pat_dataset_num_participants(const struct pat_dataset *ds) { return ds->np; }
size_t pat_dataset_participant(const struct pat_dataset *ds, size_t i) { return ds->part[i]; }
const char *pat_dataset_participant_id(const struct pat_dataset *ds, size_t p) {
    return ds->ids[p];
}
const char *pat_dataset_id(const struct pat_dataset *ds, size_t i) {
    return ds->ids[ds->part[i]];
}
size_t pat_dataset_num_covariates(const struct pat_dataset *ds) { return ds->C; }
const char *pat_dataset_covariate_name(const struct pat_dataset *ds, size_t j) {
    return ds->cov_names[j];
}
float pat_dataset_covariate(const struct pat_dataset *ds, size_t i, size_t j) {
    return ds->cov[i * ds->C + j];
}
enum pat_scaler_mode pat_dataset_scaler_mode(const struct pat_dataset *ds) { return ds->mode; }

int pat_dataset_scaler(const struct pat_dataset *ds, enum pat_split split, const float **mean,
                       const float **std) {
    size_t k;
    if (ds->mode == PAT_SCALER_NONE) return 0;
    if (ds->mode == PAT_SCALER_TRAIN) k = 0;
    else if (split == PAT_SPLIT_NONE) return 0;
    else k = (size_t)split;
    *mean = ds->scaler + 2 * k * ds->T;
    *std = ds->scaler + (2 * k + 1) * ds->T;
    return 1;
}

enum pat_status pat_dataset_fit_scaler(const struct pat_dataset *ds, const unsigned char *keep,
                                       float *mean, float *std, struct pat_err *err) {
    struct pat_moments m;
    enum pat_status st = pat_moments_init(&m, ds->T, err);
    if (st != PAT_OK) return st;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ds->rows; i++)
            if (!keep || keep[i]) pat_moments_add(&m, pat_dataset_row(ds, i));
        if (pass == 0) pat_moments_next_pass(&m);
    }
    if (m.n == 0) st = pat_fail(err, PAT_ERR_USAGE, "%s: no rows selected to fit a scaler", ds->path);
    else pat_moments_result(&m, mean, std);
    pat_moments_free(&m);
    return st;
}

size_t pat_dataset_num_meta(const struct pat_dataset *ds) { return ds->nmeta; }
void pat_dataset_meta_at(const struct pat_dataset *ds, size_t i, const char **key,
                         const char **value) {
    *key = ds->keys[i];
    *value = ds->values[i];
}
const char *pat_dataset_meta_get(const struct pat_dataset *ds, const char *key) {
    for (size_t i = 0; i < ds->nmeta; i++)
        if (strcmp(ds->keys[i], key) == 0) return ds->values[i];
    return NULL;
}
