/* score_dist.h - pat score under mpirun: which rank scores which
 * participants, and the ranks' results merged on rank 0 (docs/scaling.md
 * "Sharded scoring").
 *
 *     struct score_plan plan;
 *     score_plan_make(&plan, &dist, paths, n, &sp.input, &err);
 *     sp.pick = score_plan_pick, sp.pick_user = &plan;
 *     pat_score_files(m, &sp, paths, n, &res, &err);   // this rank's share
 *     score_gather(&dist, &res, &err);    // rank 0: every row; others: none
 *     score_plan_free(&plan);
 */
#ifndef PAT_CLI_SCORE_DIST_H
#define PAT_CLI_SCORE_DIST_H

#include <stddef.h>

#include "dist/dist.h"
#include "score/score.h"

struct score_plan {
    const struct pat_dist *d;
    size_t n;
    int *owner; /* per path: the rank that reads it, or -1: every rank reads it
                   and its participant k goes to rank (k + path) mod ranks */
};

/* The ranks' shares of paths: a file holding one participant (a CSV or a
 * device file) is read by one rank, files dealt largest first to the rank
 * with the fewest bytes so far; a folder or a file of many participants
 * (long CSV, NHANES, Depresjon) is read by every rank, its participants
 * dealt in turn. Decided on rank 0 and broadcast. */
enum pat_status score_plan_make(struct score_plan *pl, const struct pat_dist *d,
                                const char *const *paths, size_t n,
                                const struct pat_input_params *ip, struct pat_err *err);
void score_plan_free(struct score_plan *pl);

/* pat_score_pick_fn over a plan (user: the plan). */
int score_plan_pick(void *user, size_t path, size_t k);

/* Every rank's result to rank 0, merged in input order (score/shard.h):
 * afterwards rank 0's *res holds every participant, the others' none. */
enum pat_status score_gather(const struct pat_dist *d, struct pat_score_result *res,
                             struct pat_err *err);

#endif /* PAT_CLI_SCORE_DIST_H */
