/* dist.h - the processes of a data-parallel job: who am I, how many are we,
 * and the few collective operations training and scoring need.
 *
 *     struct pat_dist d;
 *     pat_dist_start(&argc, &argv, &d, &err);  // MPI_Init under mpirun
 *     ... p.dist = &d; pat_finetune(...) ...   // ranks agree step by step
 *     pat_dist_finish();                       // or pat_dist_abort(code)
 *
 * Every MPI call lives in dist/comm.c. Built without MPI (no `make MPI=1`),
 * or run without a launcher, the job is one process (rank 0 of 1) and every
 * operation below is a local copy. A NULL `d` means the same.
 *
 * Collectives return PAT_OK or an error naming the operation; a rank that
 * fails elsewhere ends the whole job with pat_dist_abort, so no rank waits
 * for it forever. */
#ifndef PAT_DIST_H
#define PAT_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

struct pat_dist {
    int rank; /* 0 .. size - 1 */
    int size; /* processes in the job */
};

/* 1 when this build can run under mpirun (make MPI=1). */
int pat_dist_available(void);

/* Join the job: MPI_Init when built with MPI and started by an MPI launcher
 * (Open MPI's mpirun, Slurm's srun with PMIx); otherwise one process. */
enum pat_status pat_dist_start(int *argc, char ***argv, struct pat_dist *d,
                               struct pat_err *err);

/* The job this process belongs to (rank 0 of 1 before or without start). */
void pat_dist_world(struct pat_dist *d);

/* Leave the job normally (MPI_Finalize; no-op for one process). */
void pat_dist_finish(void);

/* End the whole job with exit code `code`, every rank (MPI_Abort). */
_Noreturn void pat_dist_abort(int code);

/* Share of n items for `rank` in whole units of `unit` items (the last
 * unit may be short): [*lo, *hi). Shares are contiguous, in rank order,
 * and as even as the units allow. */
void pat_dist_share(const struct pat_dist *d, int rank, size_t n, size_t unit, size_t *lo,
                    size_t *hi);

/* buf holds n items of elem bytes; this rank has filled its share
 * (pat_dist_share with `unit`). Afterwards every rank holds every share. */
enum pat_status pat_dist_allgather_shares(const struct pat_dist *d, void *buf, size_t n,
                                          size_t unit, size_t elem, struct pat_err *err);

/* Concatenations in rank order: rank r sends bytes[r] from mine; rank 0
 * receives them all into all (ignored elsewhere). */
enum pat_status pat_dist_gather(const struct pat_dist *d, const void *mine, void *all,
                                const size_t *bytes, struct pat_err *err);

/* Personalised exchange: send holds, in rank order, send_bytes[q] for rank
 * q; recv gets, in rank order, recv_bytes[s] from rank s. */
enum pat_status pat_dist_alltoall(const struct pat_dist *d, const void *send,
                                  const size_t *send_bytes, void *recv,
                                  const size_t *recv_bytes, struct pat_err *err);

/* Rank 0's bytes to every rank. */
enum pat_status pat_dist_broadcast(const struct pat_dist *d, void *buf, size_t bytes,
                                   struct pat_err *err);

/* Continue a 64-bit checksum over bytes (not cryptographic). */
uint64_t pat_dist_checksum(uint64_t h, const void *p, size_t bytes);

/* Every rank passes its checksum of state that must be identical across
 * ranks; PAT_ERR_NUMERIC naming the first rank that differs from rank 0
 * and `what` when they do not agree. */
enum pat_status pat_dist_agree(const struct pat_dist *d, uint64_t checksum, const char *what,
                               struct pat_err *err);

/* Training loops check every this many steps (and after every epoch)
 * that the ranks' weights and optimizer state are identical. */
#define PAT_DIST_AGREE_EVERY 16

/* Ranks of d (1 for NULL) and whether this one speaks for the job. */
int pat_dist_ranks(const struct pat_dist *d);
int pat_dist_is_root(const struct pat_dist *d);

#endif /* PAT_DIST_H */
