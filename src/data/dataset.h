/* dataset.h - the .patd dataset cache: file layout and the streaming writer.
 * The reader API is public (include/pat.h); the byte layout is documented
 * in docs/data.md "Dataset cache format".
 *
 * Layout (all integers little-endian; sections 64-byte aligned):
 *   0    char[8] magic "PATDATA\0"
 *   8    u32 version (1)            12  u32 number of section entries
 *   16   u64 rows                   24  u64 T (minutes per row)
 *   32   u64 participants           40  u64 covariates C
 *   48   u32 scaler mode            52  u32 folds (0 = none)
 *   56   u32 flags (bit 0: log1p)   60  u32 reserved (0)
 *   64   section table: entries of {u32 id, u32 reserved, u64 offset, u64 size}
 *   512  X (rows*T float32), then the other sections
 *
 * Writer use:
 *     pat_dsw_open(path, T, C, cov_names, &w, &err);
 *     pat_dsw_participant(w, "control_1", &err);
 *     pat_dsw_row(w, x, label, start, valid, cov, &err);   // rows of it
 *     ...
 *     pat_dsw_finish(w, &final, &err);    // or pat_dsw_abort(w)
 * Rows stream to a temporary file beside `path` (constant memory in T);
 * finish fits the scalers by reading the rows back, writes the small
 * sections and the header, fsyncs and renames.
 */
#ifndef PAT_DATA_DATASET_H
#define PAT_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

#define PATD_MAGIC "PATDATA"  /* 7 chars + NUL = 8 bytes */
#define PATD_VERSION 1u
#define PATD_HEADER_SIZE 64
#define PATD_ENTRY_SIZE 24
#define PATD_MAX_SECTIONS 16
#define PATD_ALIGN 64
#define PATD_DATA_OFFSET 512 /* >= 64 + 16*24, aligned */
#define PATD_FLAG_LOG1P 1u

enum patd_section {
    PATD_X = 1,           /* f32 rows*T */
    PATD_LABEL = 2,       /* f32 rows, NaN = unlabeled */
    PATD_PARTICIPANT = 3, /* u32 rows: index into IDS */
    PATD_START = 4,       /* i64 rows: window start, wall-clock minutes since 1970 */
    PATD_VALID = 5,       /* u32 rows: valid minutes before filling */
    PATD_SPLIT = 6,       /* u8 rows: enum pat_split */
    PATD_FOLD = 7,        /* u8 rows: fold or 255 */
    PATD_IDS = 8,         /* participants NUL-terminated UTF-8 strings */
    PATD_COV_NAMES = 9,   /* C NUL-terminated strings */
    PATD_COV = 10,        /* f32 rows*C, row-major */
    PATD_SCALER = 11,     /* f32 S*2*T: per scaler mean[T] then std[T]; S = 1 or 3 */
    PATD_META = 12,       /* "key=value\n" text, NUL-terminated */
    PATD_NUM_KINDS = 13
};

struct pat_dsw; /* opaque writer */

/* Everything decided after the rows: per-participant split and fold, the
 * scaler mode, flags, and the provenance text ("key=value\n" lines). */
struct pat_dsw_final {
    const uint8_t *split; /* per participant, enum pat_split */
    const uint8_t *fold;  /* per participant, fold or PAT_FOLD_NONE */
    size_t folds;
    enum pat_scaler_mode scaler;
    uint32_t flags;
    const char *meta;
};

enum pat_status pat_dsw_open(const char *path, size_t T, size_t C,
                             const char *const *cov_names, struct pat_dsw **out,
                             struct pat_err *err);
/* Start the rows of a new participant (ids must be unique and non-empty). */
enum pat_status pat_dsw_participant(struct pat_dsw *w, const char *id, struct pat_err *err);
/* Append a row of the current participant. cov: C values (NULL: all NaN). */
enum pat_status pat_dsw_row(struct pat_dsw *w, const float *x, float label, int64_t start,
                            size_t valid, const float *cov, struct pat_err *err);
size_t pat_dsw_rows(const struct pat_dsw *w);
size_t pat_dsw_participants(const struct pat_dsw *w);
/* Participant ids and labels (label of its first row), for splitting. */
const char *const *pat_dsw_ids(const struct pat_dsw *w);
enum pat_status pat_dsw_participant_labels(const struct pat_dsw *w, float *labels,
                                           struct pat_err *err);
/* Complete the file and free w (also on failure, leaving no file behind). */
enum pat_status pat_dsw_finish(struct pat_dsw *w, const struct pat_dsw_final *f,
                               struct pat_err *err);
void pat_dsw_abort(struct pat_dsw *w); /* NULL-safe */

/* Little-endian encoding helpers shared by writer and reader. */
void patd_put_u32(unsigned char *p, uint32_t v);
void patd_put_u64(unsigned char *p, uint64_t v);
uint32_t patd_get_u32(const unsigned char *p);
uint64_t patd_get_u64(const unsigned char *p);
int patd_host_little_endian(void);

#endif /* PAT_DATA_DATASET_H */
