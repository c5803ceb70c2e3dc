/* test_tree_sum.c - the batch gradient sum of dist/tree_sum.h: one fixed tree, so
 * the same bits however the leaves are shared among ranks (simulated here
 * without MPI: each "rank" adds its share, their subtrees are then finished
 * in leaf order as pat_tree_sum_combine does), and equal to an independent
 * recursive definition of the dyadic tree. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dist/dist.h"
#include "dist/tree_sum.h"
#include "rng.h"

enum { LEN = 9, MAXB = 80 };

/* Leaves of wildly different magnitudes, so that the order of addition shows. */
static void make_leaves(float v[MAXB][LEN], uint64_t seed) {
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t i = 0; i < MAXB; i++)
        for (size_t j = 0; j < LEN; j++) {
            double u = (double)(pat_rng_u64(&rng) >> 11) / 9007199254740992.0;
            double e = (double)(pat_rng_u64(&rng) % 24) - 12.0;
            v[i][j] = (float)((u - 0.5) * ldexp(1.0, (int)e));
        }
}

/* Independent definition: the complete aligned subtrees of [0, B), one per
 * set bit of B from the largest, added right to left; each subtree adds its
 * two halves. */
static float tree(float v[MAXB][LEN], size_t lo, size_t n, size_t j) {
    return n == 1 ? v[lo][j] : tree(v, lo, n / 2, j) + tree(v, lo + n / 2, n / 2, j);
}
static float reference(float v[MAXB][LEN], size_t B, size_t j) {
    size_t starts[64], sizes[64], k = 0, pos = 0;
    for (int bit = 63; bit >= 0; bit--)
        if (B >> bit & 1) starts[k] = pos, sizes[k] = (size_t)1 << bit, pos += sizes[k++];
    float acc = tree(v, starts[k - 1], sizes[k - 1], j);
    while (k-- > 1) acc = tree(v, starts[k - 1], sizes[k - 1], j) + acc;
    return acc;
}

/* N simulated ranks: each adds its share; the subtrees are finished in order. */
static int ranks_sum(float v[MAXB][LEN], size_t B, int N, float *out) {
    struct pat_dist d = {0, N};
    struct pat_tree_sum all;
    pat_tree_sum_init(&all, LEN);
    struct pat_err err;
    int ok = 1;
    for (int r = 0; r < N && ok; r++) {
        struct pat_tree_sum s;
        pat_tree_sum_init(&s, LEN);
        size_t lo, hi;
        pat_dist_share(&d, r, B, 1, &lo, &hi);
        for (size_t i = lo; i < hi && ok; i++) ok = pat_tree_sum_add(&s, i, v[i], &err) == PAT_OK;
        ok = ok && s.n == pat_tree_sum_count(lo, hi);
        for (size_t k = 0; k < s.n && ok; k++)
            ok = pat_tree_sum_add_subtree(&all, s.node[k].start, s.node[k].size, s.node[k].v,
                                      &err) == PAT_OK;
        pat_tree_sum_free(&s);
    }
    pat_tree_sum_fold(&all, out);
    pat_tree_sum_free(&all);
    return ok;
}

static void test_same_bits_for_any_ranks(struct check_ctx *c) {
    static float v[MAXB][LEN];
    make_leaves(v, 11);
    for (size_t B = 1; B <= MAXB; B++) {
        float one[LEN], ref[LEN];
        if (!ranks_sum(v, B, 1, one)) { check_fail(c, "B %zu: one rank failed", B); return; }
        for (size_t j = 0; j < LEN; j++) ref[j] = reference(v, B, j);
        if (memcmp(one, ref, sizeof one) != 0) {
            check_fail(c, "B %zu: one process differs from the dyadic tree", B);
            return;
        }
        for (int N = 2; N <= 9; N++) {
            float many[LEN];
            if (!ranks_sum(v, B, N, many) || memcmp(one, many, sizeof one) != 0) {
                check_fail(c, "B %zu, %d ranks: not the bits of one process", B, N);
                return;
            }
        }
    }
}

/* The check can fail: the left-to-right sum rounds differently. */
static void test_order_matters(struct check_ctx *c) {
    static float v[MAXB][LEN];
    make_leaves(v, 12);
    int differs = 0;
    for (size_t j = 0; j < LEN; j++) {
        float left = 0.0f;
        for (size_t i = 0; i < MAXB; i++) left += v[i][j];
        differs += left != reference(v, MAXB, j);
    }
    CHECK(c, differs > 0);
}

static void test_shares_cover(struct check_ctx *c) {
    for (int N = 1; N <= 7; N++) {
        struct pat_dist d = {0, N};
        size_t next = 0;
        for (int r = 0; r < N; r++) {
            size_t lo, hi;
            pat_dist_share(&d, r, 130, 64, &lo, &hi);
            CHECK(c, lo == next && hi >= lo && (lo % 64 == 0 || lo == 130));
            next = hi;
        }
        CHECK(c, next == 130);
    }
}

static void test_out_of_order_refused(struct check_ctx *c) {
    struct pat_tree_sum s;
    pat_tree_sum_init(&s, LEN);
    float v[LEN] = {0};
    struct pat_err err;
    CHECK_STATUS(c, pat_tree_sum_add_subtree(&s, 2, 4, v, &err), PAT_ERR_USAGE);
    pat_tree_sum_free(&s);
}

int main(void) {
    int failures = 0;
    RUN(test_same_bits_for_any_ranks);
    RUN(test_order_matters);
    RUN(test_shares_cover);
    RUN(test_out_of_order_refused);
    return failures ? 1 : 0;
}
