/* score_dist.c - pat score's work split among the ranks of a job, and
 * their results merged on rank 0 (score_dist.h). No MPI here: the
 * collectives of dist/dist.h. */
#include "score_dist.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "score/shard.h"
#include "util.h"

/* ---- the plan -------------------------------------------------------------- */

struct sized_path {
    uint64_t bytes;
    size_t index;
};

/* Larger first; equal sizes in input order. */
static int larger_first(const void *a, const void *b) {
    const struct sized_path *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* A path that one rank reads whole: a file (not a folder) of a format that
 * holds one participant. *bytes: its size (0 when it cannot be read: the
 * rank that reads it reports why). */
static int read_by_one_rank(const char *path, const struct pat_input_params *ip,
                            uint64_t *bytes) {
    struct stat s;
    *bytes = 0;
    if (stat(path, &s) != 0) return 1;
    if (S_ISDIR(s.st_mode)) return 0;
    if (S_ISREG(s.st_mode) && s.st_size > 0) *bytes = (uint64_t)s.st_size;
    enum pat_input_format f = pat_input_detect(path, ip);
    return f == PAT_INPUT_CSV || f == PAT_INPUT_READERS;
}

/* Rank 0's decision: files largest first to the rank with the fewest bytes
 * so far (the lowest such rank), everything else shared. */
static enum pat_status deal(struct score_plan *pl, const char *const *paths,
                            const struct pat_input_params *ip, struct pat_err *err) {
    const int size = pat_dist_ranks(pl->d);
    struct sized_path *files = pat_calloc(pl->n ? pl->n : 1, sizeof *files);
    uint64_t *load = pat_calloc((size_t)size, sizeof *load);
    if (!files || !load) {
        free(files), free(load);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    size_t nf = 0;
    for (size_t i = 0; i < pl->n; i++) {
        uint64_t bytes;
        pl->owner[i] = -1;
        if (read_by_one_rank(paths[i], ip, &bytes)) files[nf++] = (struct sized_path){bytes, i};
    }
    qsort(files, nf, sizeof *files, larger_first);
    for (size_t k = 0; k < nf; k++) {
        int least = 0;
        for (int r = 1; r < size; r++)
            if (load[r] < load[least]) least = r;
        pl->owner[files[k].index] = least;
        load[least] += files[k].bytes ? files[k].bytes : 1;
    }
    free(files), free(load);
    return PAT_OK;
}

enum pat_status score_plan_make(struct score_plan *pl, const struct pat_dist *d,
                                const char *const *paths, size_t n,
                                const struct pat_input_params *ip, struct pat_err *err) {
    size_t bytes;
    memset(pl, 0, sizeof *pl);
    pl->d = d, pl->n = n;
    if (!pat_mul_size(n ? n : 1, sizeof *pl->owner, &bytes) || !(pl->owner = malloc(bytes)))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for %zu inputs", n);
    enum pat_status st = pat_dist_is_root(d) ? deal(pl, paths, ip, err) : PAT_OK;
    if (st == PAT_OK) st = pat_dist_broadcast(d, pl->owner, n * sizeof *pl->owner, err);
    return st;
}

void score_plan_free(struct score_plan *pl) {
    free(pl->owner);
    memset(pl, 0, sizeof *pl);
}

int score_plan_pick(void *user, size_t path, size_t k) {
    const struct score_plan *pl = user;
    const int rank = pl->d ? pl->d->rank : 0;
    if (path >= pl->n) return 0;
    if (pl->owner[path] >= 0) return pl->owner[path] == rank;
    if (k == PAT_SCORE_ANY) return 1;
    return (k + path) % (size_t)pat_dist_ranks(pl->d) == (size_t)rank;
}

/* ---- the results to rank 0 ------------------------------------------------- */

/* Rank r's sizes[r] bytes from mine into rank 0's blobs[r], in rounds
 * whose total stays within MPI's int counts. */
static enum pat_status gather_rounds(const struct pat_dist *d, const unsigned char *mine,
                                     const size_t *sizes, unsigned char **blobs,
                                     struct pat_err *err) {
    const size_t size = (size_t)pat_dist_ranks(d), chunk = (size_t)INT_MAX / size;
    size_t most = 0;
    for (size_t r = 0; r < size; r++) most = sizes[r] > most ? sizes[r] : most;
    const int root = pat_dist_is_root(d);
    size_t *bytes = pat_calloc(size, sizeof *bytes);
    unsigned char *round = root ? malloc((most < chunk ? most : chunk) * size) : NULL;
    enum pat_status st = bytes && (round || !root)
                             ? PAT_OK : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    const size_t me = (size_t)(d ? d->rank : 0);
    for (size_t off = 0; st == PAT_OK && off < most; off += chunk) {
        for (size_t r = 0; r < size; r++)
            bytes[r] = sizes[r] > off ? (sizes[r] - off < chunk ? sizes[r] - off : chunk) : 0;
        st = pat_dist_gather(d, mine + (bytes[me] ? off : 0), round, bytes, err);
        for (size_t r = 0, at = 0; st == PAT_OK && root && r < size; at += bytes[r++])
            if (bytes[r]) memcpy(blobs[r] + off, round + at, bytes[r]);
    }
    free(bytes), free(round);
    return st;
}

/* Rank 0: room for every rank's packed result. */
static enum pat_status alloc_blobs(const struct pat_dist *d, const size_t *sizes,
                                   unsigned char ***blobs, struct pat_err *err) {
    const size_t size = (size_t)pat_dist_ranks(d);
    *blobs = NULL;
    if (!pat_dist_is_root(d)) return PAT_OK;
    unsigned char **b = pat_calloc(size, sizeof *b);
    for (size_t r = 0; b && r < size; r++)
        if (!(b[r] = malloc(sizes[r] ? sizes[r] : 1))) {
            while (r--) free(b[r]);
            free(b), b = NULL;
        }
    if (!b) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the ranks' results");
    *blobs = b;
    return PAT_OK;
}

/* Rank 0 replaces *res by the merge of every rank's. */
static enum pat_status merge_blobs(const struct pat_dist *d, unsigned char **blobs,
                                   const size_t *sizes, struct pat_score_result *res,
                                   struct pat_err *err) {
    struct pat_score_result all;
    enum pat_status st = pat_score_result_merge((const unsigned char *const *)blobs, sizes,
                                                (size_t)pat_dist_ranks(d), &all, err);
    if (st != PAT_OK) return st;
    pat_score_result_free(res);
    *res = all;
    return PAT_OK;
}

enum pat_status score_gather(const struct pat_dist *d, struct pat_score_result *res,
                             struct pat_err *err) {
    const size_t size = (size_t)pat_dist_ranks(d);
    if (size == 1) return PAT_OK;
    unsigned char *mine = NULL, **blobs = NULL;
    size_t my_bytes = 0, *sizes = pat_calloc(size, sizeof *sizes);
    enum pat_status st = sizes ? pat_score_result_pack(res, &mine, &my_bytes, err)
                               : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK) {
        sizes[d->rank] = my_bytes;
        st = pat_dist_allgather_shares(d, sizes, size, 1, sizeof *sizes, err);
    }
    if (st == PAT_OK) st = alloc_blobs(d, sizes, &blobs, err);
    if (st == PAT_OK) st = gather_rounds(d, mine, sizes, blobs, err);
    free(mine);
    if (st == PAT_OK && pat_dist_is_root(d)) st = merge_blobs(d, blobs, sizes, res, err);
    else if (st == PAT_OK) pat_score_result_free(res);
    for (size_t r = 0; blobs && r < size; r++) free(blobs[r]);
    free(blobs), free(sizes);
    return st;
}
