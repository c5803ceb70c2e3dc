/* shard.h - results of pat score computed in pieces (the ranks of a job
 * under mpirun, each scoring some participants: score.h's pick) as bytes,
 * and the pieces merged back into the result of one call over everything.
 *
 *     unsigned char *buf; size_t bytes;
 *     pat_score_result_pack(&mine, &buf, &bytes, &err);     // every piece
 *     ... move the buffers to one process ...
 *     pat_score_result_merge(bufs, sizes, n, &all, &err);   // in row order
 *
 * The bytes are the in-memory layout of this build: pack and merge in
 * processes of the same pat binary (as the ranks of a job are). */
#ifndef PAT_SCORE_SHARD_H
#define PAT_SCORE_SHARD_H

#include <stddef.h>

#include "pat.h"
#include "score/score.h"

/* r as one malloc'ed buffer *buf of *bytes bytes (free it). */
enum pat_status pat_score_result_pack(const struct pat_score_result *r, unsigned char **buf,
                                      size_t *bytes, struct pat_err *err);

/* The n packed results bufs[i] (bytes[i] bytes each) as one result: the
 * participants ordered by (path, ordinal), their windows, attention and
 * values with them, as one pat_score_files over every participant gives.
 * PAT_ERR_FORMAT when a buffer is not a packed result or two pieces differ
 * in window length or hold the same participant. */
enum pat_status pat_score_result_merge(const unsigned char *const *bufs, const size_t *bytes,
                                       size_t n, struct pat_score_result *out,
                                       struct pat_err *err);

#endif /* PAT_SCORE_SHARD_H */
