/* safetensors.h - strict reader and atomic writer of F32 safetensors files.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 *   {"__metadata__": {"k": "v", ...},
 *    "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
 * then the raw data; offsets are relative to the byte after the header.
 *
 * Reading:
 *     struct pat_st_file f;
 *     if (pat_st_read(path, &f, &err) != PAT_OK) return err.status;
 *     float *x = malloc(f.tensors[i].numel * sizeof *x);
 *     pat_st_tensor_copy(&f, i, x);
 *     pat_st_free(&f);
 *
 * The reader trusts nothing: sizes, offsets, names and dtypes are all
 * checked (see safetensors.c) and every error message starts with the path.
 */
#ifndef PAT_IO_SAFETENSORS_H
#define PAT_IO_SAFETENSORS_H

#include <stddef.h>

#include "io/json.h"
#include "pat.h"

#define PAT_ST_MAX_NDIM 8
#define PAT_ST_MAX_NAME 159 /* bytes, without the NUL */
#define PAT_ST_MAX_HEADER ((size_t)100 * 1000 * 1000)
#define PAT_ST_MAX_FILE ((unsigned long long)16 << 30)

struct pat_st_tensor {
    const char *name; /* borrowed from the parsed header */
    size_t ndim;
    size_t shape[PAT_ST_MAX_NDIM];
    size_t numel;
    size_t begin, end; /* byte range within the data section */
};

struct pat_st_meta {
    const char *key, *value; /* borrowed from the parsed header */
};

struct pat_st_file {
    unsigned char *buf; /* the whole file */
    size_t size;
    const unsigned char *data; /* data section: buf + 8 + header length */
    size_t data_size;
    struct pat_st_tensor *tensors; /* in header order */
    size_t num_tensors;
    struct pat_st_meta *meta;
    size_t num_meta;
    struct pat_json doc;
};

/* Read and validate a whole file. On failure *f is left freed. */
enum pat_status pat_st_read(const char *path, struct pat_st_file *f, struct pat_err *err);

/* Copy tensor i, converted from little endian, into dst (numel floats). */
void pat_st_tensor_copy(const struct pat_st_file *f, size_t i, float *dst);

void pat_st_free(struct pat_st_file *f); /* safe on a zeroed or freed file */

/* One tensor to write: data holds the product of shape floats. */
struct pat_st_out {
    const char *name;
    size_t ndim;
    const size_t *shape;
    const float *data;
};

/* Write tensors (in this order) and metadata to path atomically: to
 * path.tmp.<pid>, fsync, rename over path, fsync the directory. On failure
 * the temporary file is removed and an existing path is left untouched. */
enum pat_status pat_st_write(const char *path, const struct pat_st_out *tensors, size_t n,
                             const struct pat_st_meta *meta, size_t num_meta,
                             struct pat_err *err);

#endif /* PAT_IO_SAFETENSORS_H */
