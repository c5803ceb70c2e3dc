/* tree_sum.h - a sum of per-sequence gradients whose rounding does not depend
 * on how many processes or threads computed it.
 *
 * Float addition is commutative but not associative, so the shape of the
 * summation tree decides the bits. The sum of a batch of B vectors is
 * defined by one tree fixed by B alone: the dyadic tree (each node adds
 * two aligned halves [k 2^j, (k+1) 2^j) of 2^(j+1) leaves), whose complete
 * subtrees, one per set bit of B, are added right to left:
 *     sum = T_0 + (T_1 + (... + T_last)).
 * A process holding any contiguous range of sequences adds what lies in its
 * range (a few aligned subtrees, at most 2 log2 B); the ranks then finish
 * the tree from those subtrees. Nothing depends on the number of ranks, on
 * the range boundaries or on timing: the result is bit-identical to one
 * process adding leaf by leaf.
 *
 *     struct pat_tree_sum s;  pat_tree_sum_init(&s, num_params);
 *     for i in my range, in order:  pat_tree_sum_add(&s, i, grad_i, &err);
 *     pat_tree_sum_combine(&s, dist, B, grads, &err);   // grads = the batch sum
 *     pat_tree_sum_reset(&s);  ...  pat_tree_sum_free(&s);
 *
 * Cost per step and rank (N ranks, P floats): each rank sends its n_r
 * subtrees, one slice of P/N floats of each to every rank (n_r P (N-1)/N
 * floats), and the slices of the finished sum go round once more
 * (P (N-1)/N floats): (n_r + 1) P (N-1)/N floats each way, against
 * 2 P (N-1)/N for a ring allreduce (equal when n_r = 1: N and B/N powers
 * of two). docs/scaling.md has the numbers. */
#ifndef PAT_TREE_SUM_H
#define PAT_TREE_SUM_H

#include <stddef.h>

#include "dist/dist.h"
#include "pat.h"

#define PAT_TREE_SUM_MAX 130 /* stack depth: 2 log2 of any size_t batch, plus one */

struct pat_tree_sum_node {
    size_t start, size; /* leaves [start, start + size) */
    float *v;           /* their sum */
    int pooled;         /* v is one of the pool's buffers */
};

struct pat_tree_sum {
    size_t len; /* floats per vector */
    struct pat_tree_sum_node node[PAT_TREE_SUM_MAX];
    size_t n;
    float *pool[PAT_TREE_SUM_MAX]; /* free buffers of len floats */
    size_t npool;
};

void pat_tree_sum_init(struct pat_tree_sum *s, size_t len);
void pat_tree_sum_reset(struct pat_tree_sum *s); /* empty, buffers kept */
void pat_tree_sum_free(struct pat_tree_sum *s);

/* Add leaf `pos` (0-based within the batch; leaves must come in increasing
 * contiguous order). v is copied (or added) and may be reused. */
enum pat_status pat_tree_sum_add(struct pat_tree_sum *s, size_t pos, const float *v,
                             struct pat_err *err);

/* Add the sum v of an aligned subtree [start, start + size) (size a power
 * of two, start a multiple of it) that comes next; v is copied. */
enum pat_status pat_tree_sum_add_subtree(struct pat_tree_sum *s, size_t start, size_t size,
                                     const float *v, struct pat_err *err);

/* One process's whole batch: out = the sum (zeros when empty). */
void pat_tree_sum_fold(const struct pat_tree_sum *s, float *out);

/* Every rank holds the leaves of its share (pat_dist_share of total, unit
 * 1); afterwards every rank's out (len) holds the sum over all total
 * leaves, the same bits as pat_tree_sum_fold of one process holding them all.
 * *bytes_sent (may be NULL) gets what this rank sent. */
enum pat_status pat_tree_sum_combine(struct pat_tree_sum *s, const struct pat_dist *d, size_t total,
                                 float *out, size_t *bytes_sent, struct pat_err *err);

/* Subtrees a rank holding leaves [lo, hi) ends with (for cost estimates). */
size_t pat_tree_sum_count(size_t lo, size_t hi);

#endif /* PAT_TREE_SUM_H */
