/* comm.c - the only file that calls MPI (see dist.h). Built with
 * -DPAT_HAVE_MPI by `make MPI=1` (mk/mpi.mk); otherwise every operation is
 * the one-process case. Byte counts travel as MPI_BYTE with int counts:
 * a message over INT_MAX bytes is refused with an error. */
#include "dist/dist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifdef PAT_HAVE_MPI
#include <mpi.h>
#endif

int pat_dist_available(void) {
#ifdef PAT_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int pat_dist_ranks(const struct pat_dist *d) { return d && d->size > 1 ? d->size : 1; }

int pat_dist_is_root(const struct pat_dist *d) { return !d || d->rank == 0; }

void pat_dist_share(const struct pat_dist *d, int rank, size_t n, size_t unit, size_t *lo,
                    size_t *hi) {
    const size_t size = (size_t)pat_dist_ranks(d), u = unit ? unit : 1;
    const size_t units = n / u + (n % u != 0);
    /* units * rank / size without overflow for any realistic n */
    const size_t a = units / size * (size_t)rank + units % size * (size_t)rank / size;
    const size_t b = units / size * (size_t)(rank + 1) + units % size * (size_t)(rank + 1) / size;
    *lo = a * u < n ? a * u : n;
    *hi = b * u < n ? b * u : n;
}

uint64_t pat_dist_checksum(uint64_t h, const void *p, size_t bytes) {
    const unsigned char *c = p;
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < bytes; i++) h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}

#ifndef PAT_HAVE_MPI

enum pat_status pat_dist_start(int *argc, char ***argv, struct pat_dist *d,
                               struct pat_err *err) {
    (void)argc, (void)argv, (void)err;
    pat_dist_world(d);
    return PAT_OK;
}

void pat_dist_world(struct pat_dist *d) { d->rank = 0, d->size = 1; }

void pat_dist_finish(void) {}

_Noreturn void pat_dist_abort(int code) { exit(code); }

enum pat_status pat_dist_allgather_shares(const struct pat_dist *d, void *buf, size_t n,
                                          size_t unit, size_t elem, struct pat_err *err) {
    (void)d, (void)buf, (void)n, (void)unit, (void)elem, (void)err;
    return PAT_OK;
}

enum pat_status pat_dist_gather(const struct pat_dist *d, const void *mine, void *all,
                                const size_t *bytes, struct pat_err *err) {
    (void)d, (void)err;
    if (all != mine && bytes[0]) memmove(all, mine, bytes[0]);
    return PAT_OK;
}

enum pat_status pat_dist_alltoall(const struct pat_dist *d, const void *send,
                                  const size_t *send_bytes, void *recv,
                                  const size_t *recv_bytes, struct pat_err *err) {
    (void)d, (void)err, (void)recv_bytes;
    if (recv != send && send_bytes[0]) memmove(recv, send, send_bytes[0]);
    return PAT_OK;
}

enum pat_status pat_dist_broadcast(const struct pat_dist *d, void *buf, size_t bytes,
                                   struct pat_err *err) {
    (void)d, (void)buf, (void)bytes, (void)err;
    return PAT_OK;
}

enum pat_status pat_dist_agree(const struct pat_dist *d, uint64_t checksum, const char *what,
                               struct pat_err *err) {
    (void)d, (void)checksum, (void)what, (void)err;
    return PAT_OK;
}

#else /* PAT_HAVE_MPI */

/* Started by a launcher that sets up an MPI job. */
static int launched_by_mpi(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

static int mpi_running(void) {
    int init = 0, fini = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fini);
    return init && !fini;
}

static enum pat_status mpi_fail(struct pat_err *err, const char *op, int rc) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) len = 0;
    msg[len] = '\0';
    return pat_fail(err, PAT_ERR_IO, "MPI %s failed: %s", op, len ? msg : "unknown error");
}

enum pat_status pat_dist_start(int *argc, char ***argv, struct pat_dist *d,
                               struct pat_err *err) {
    if (launched_by_mpi() && !mpi_running()) {
        int rc = MPI_Init(argc, argv);
        if (rc != MPI_SUCCESS) return mpi_fail(err, "MPI_Init", rc);
        /* errors come back as codes; pat ends the job itself (pat_dist_abort) */
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    }
    pat_dist_world(d);
    return PAT_OK;
}

void pat_dist_world(struct pat_dist *d) {
    d->rank = 0, d->size = 1;
    if (!mpi_running()) return;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
}

void pat_dist_finish(void) {
    if (mpi_running()) MPI_Finalize();
}

_Noreturn void pat_dist_abort(int code) {
    if (mpi_running()) MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
    exit(code);
}

/* Counts and displacements in bytes as MPI's ints. */
static enum pat_status int_counts(const size_t *bytes, int n, int *counts, int *displs,
                                  const char *op, struct pat_err *err) {
    size_t off = 0;
    for (int r = 0; r < n; r++) {
        if (bytes[r] > INT_MAX || off > INT_MAX)
            return pat_fail(err, PAT_ERR_UNSUPPORTED,
                            "MPI %s: a message of %zu bytes is over MPI's int count", op,
                            bytes[r] > INT_MAX ? bytes[r] : off);
        counts[r] = (int)bytes[r], displs[r] = (int)off;
        off += bytes[r];
    }
    return PAT_OK;
}

static enum pat_status alloc_counts(int n, int **counts, int **displs, struct pat_err *err) {
    *counts = malloc((size_t)n * sizeof **counts);
    *displs = malloc((size_t)n * sizeof **displs);
    if (*counts && *displs) return PAT_OK;
    free(*counts), free(*displs);
    return pat_fail(err, PAT_ERR_NOMEM, "out of memory for an MPI exchange");
}

enum pat_status pat_dist_allgather_shares(const struct pat_dist *d, void *buf, size_t n,
                                          size_t unit, size_t elem, struct pat_err *err) {
    const int size = pat_dist_ranks(d);
    if (size == 1) return PAT_OK;
    int *counts, *displs;
    size_t *bytes = malloc((size_t)size * sizeof *bytes);
    enum pat_status st = bytes ? alloc_counts(size, &counts, &displs, err)
                               : pat_fail(err, PAT_ERR_NOMEM, "out of memory for an MPI exchange");
    if (!bytes || st != PAT_OK) {
        free(bytes);
        return st;
    }
    for (int r = 0; r < size; r++) {
        size_t lo, hi;
        pat_dist_share(d, r, n, unit, &lo, &hi);
        bytes[r] = (hi - lo) * elem;
    }
    st = int_counts(bytes, size, counts, displs, "allgather", err);
    if (st == PAT_OK) {
        int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_BYTE, buf, counts, displs, MPI_BYTE,
                                MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) st = mpi_fail(err, "MPI_Allgatherv", rc);
    }
    free(bytes), free(counts), free(displs);
    return st;
}

enum pat_status pat_dist_gather(const struct pat_dist *d, const void *mine, void *all,
                                const size_t *bytes, struct pat_err *err) {
    const int size = pat_dist_ranks(d);
    if (size == 1) {
        if (all != mine && bytes[0]) memmove(all, mine, bytes[0]);
        return PAT_OK;
    }
    int *counts, *displs;
    enum pat_status st = alloc_counts(size, &counts, &displs, err);
    if (st != PAT_OK) return st;
    st = int_counts(bytes, size, counts, displs, "gather", err);
    if (st == PAT_OK) {
        int rc = MPI_Gatherv(mine, counts[d->rank], MPI_BYTE, all, counts, displs, MPI_BYTE, 0,
                             MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) st = mpi_fail(err, "MPI_Gatherv", rc);
    }
    free(counts), free(displs);
    return st;
}

enum pat_status pat_dist_alltoall(const struct pat_dist *d, const void *send,
                                  const size_t *send_bytes, void *recv,
                                  const size_t *recv_bytes, struct pat_err *err) {
    const int size = pat_dist_ranks(d);
    if (size == 1) {
        if (recv != send && send_bytes[0]) memmove(recv, send, send_bytes[0]);
        return PAT_OK;
    }
    int *sc, *sd, *rc_, *rd;
    enum pat_status st = alloc_counts(size, &sc, &sd, err);
    if (st != PAT_OK) return st;
    if ((st = alloc_counts(size, &rc_, &rd, err)) != PAT_OK) {
        free(sc), free(sd);
        return st;
    }
    st = int_counts(send_bytes, size, sc, sd, "alltoall", err);
    if (st == PAT_OK) st = int_counts(recv_bytes, size, rc_, rd, "alltoall", err);
    if (st == PAT_OK) {
        int rc = MPI_Alltoallv(send, sc, sd, MPI_BYTE, recv, rc_, rd, MPI_BYTE, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) st = mpi_fail(err, "MPI_Alltoallv", rc);
    }
    free(sc), free(sd), free(rc_), free(rd);
    return st;
}

enum pat_status pat_dist_broadcast(const struct pat_dist *d, void *buf, size_t bytes,
                                   struct pat_err *err) {
    if (pat_dist_ranks(d) == 1) return PAT_OK;
    if (bytes > INT_MAX)
        return pat_fail(err, PAT_ERR_UNSUPPORTED, "MPI broadcast of %zu bytes is over MPI's int count",
                        bytes);
    int rc = MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? PAT_OK : mpi_fail(err, "MPI_Bcast", rc);
}

enum pat_status pat_dist_agree(const struct pat_dist *d, uint64_t checksum, const char *what,
                               struct pat_err *err) {
    const int size = pat_dist_ranks(d);
    if (size == 1) return PAT_OK;
    uint64_t *all = malloc((size_t)size * sizeof *all);
    if (!all) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for an MPI exchange");
    int rc = MPI_Allgather(&checksum, 8, MPI_BYTE, all, 8, MPI_BYTE, MPI_COMM_WORLD);
    enum pat_status st = rc == MPI_SUCCESS ? PAT_OK : mpi_fail(err, "MPI_Allgather", rc);
    for (int r = 1; st == PAT_OK && r < size; r++)
        if (all[r] != all[0])
            st = pat_fail(err, PAT_ERR_NUMERIC,
                          "ranks diverged: %s differs between rank 0 (checksum %016llx) and "
                          "rank %d (%016llx); the ranks no longer train the same model",
                          what, (unsigned long long)all[0], r, (unsigned long long)all[r]);
    free(all);
    return st;
}

#endif /* PAT_HAVE_MPI */
