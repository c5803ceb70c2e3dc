/* test_pool.c - the worker pool (src/nn/pool.c): every task runs exactly
 * once on a worker below the width, nested and concurrent jobs run
 * serially, ranges cover [0, n), and the turnstile orders steps. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/pool.h"

#define NTASKS 1000

struct count_job {
    atomic_int runs[NTASKS];
    atomic_int bad_worker;
    size_t width;
};

static void count_task(void *ctx, size_t i, size_t worker) {
    struct count_job *j = ctx;
    atomic_fetch_add(&j->runs[i], 1);
    if (worker >= j->width) atomic_store(&j->bad_worker, 1);
}

static void test_every_task_once(struct check_ctx *c) {
    static struct count_job j; /* large: not on the stack */
    const size_t widths[] = {1, 2, 3, 8, (size_t)-1};
    for (size_t t = 1; t <= 4; t++) {
        pat_set_threads(t);
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
            memset(&j, 0, sizeof j);
            j.width = widths[w] < t ? widths[w] : t;
            pat_pool_run(NTASKS, widths[w], count_task, &j);
            int ok = !atomic_load(&j.bad_worker);
            for (size_t i = 0; i < NTASKS; i++) ok = ok && atomic_load(&j.runs[i]) == 1;
            CHECK(c, ok);
        }
    }
    pat_set_threads(0);
    CHECK(c, pat_threads() >= 1);
}

struct nest_job {
    atomic_int inner_runs;
    atomic_int inner_not_serial;
};

static void inner_task(void *ctx, size_t i, size_t worker) {
    struct nest_job *j = ctx;
    (void)i;
    atomic_fetch_add(&j->inner_runs, 1);
    if (worker != 0) atomic_store(&j->inner_not_serial, 1);
}

static void outer_task(void *ctx, size_t i, size_t worker) {
    (void)i, (void)worker;
    if (!pat_pool_in_task()) atomic_store(&((struct nest_job *)ctx)->inner_not_serial, 1);
    pat_pool_run(10, (size_t)-1, inner_task, ctx);
}

static void test_nested_serial(struct check_ctx *c) {
    struct nest_job j;
    atomic_init(&j.inner_runs, 0);
    atomic_init(&j.inner_not_serial, 0);
    pat_set_threads(3);
    pat_pool_run(20, (size_t)-1, outer_task, &j);
    pat_set_threads(1);
    CHECK(c, atomic_load(&j.inner_runs) == 200);
    CHECK(c, !atomic_load(&j.inner_not_serial));
    CHECK(c, !pat_pool_in_task());
}

struct range_cover {
    atomic_int hits[NTASKS];
};

static void cover_range(void *ctx, size_t b, size_t e) {
    struct range_cover *r = ctx;
    for (size_t i = b; i < e; i++) atomic_fetch_add(&r->hits[i], 1);
}

static void test_ranges_cover(struct check_ctx *c) {
    static struct range_cover r;
    const size_t ns[] = {0, 1, 63, 64, 65, 999}, grains[] = {0, 1, 7, 64, 5000};
    pat_set_threads(2);
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (size_t g = 0; g < sizeof grains / sizeof *grains; g++) {
            memset(&r, 0, sizeof r);
            pat_pool_for(ns[a], grains[g], cover_range, &r);
            int ok = 1;
            for (size_t i = 0; i < NTASKS; i++) ok = ok && r.hits[i] == (i < ns[a]);
            CHECK(c, ok);
        }
    pat_set_threads(1);
}

struct order_job {
    struct pat_turn *turn;
    size_t seen[NTASKS];
    size_t n;
};

static void ordered_task(void *ctx, size_t i, size_t worker) {
    struct order_job *j = ctx;
    (void)worker;
    pat_turn_wait(j->turn, i);
    j->seen[j->n++] = i; /* only one task at a time is past the turnstile */
    pat_turn_done(j->turn);
}

static void test_turnstile_orders(struct check_ctx *c) {
    static struct order_job j;
    for (size_t t = 1; t <= 4; t++) {
        memset(&j, 0, sizeof j);
        j.turn = pat_turn_create();
        CHECK(c, j.turn != NULL);
        if (!j.turn) return;
        pat_set_threads(t);
        pat_pool_run(NTASKS, (size_t)-1, ordered_task, &j);
        int ok = j.n == NTASKS;
        for (size_t i = 0; ok && i < NTASKS; i++) ok = j.seen[i] == i;
        CHECK(c, ok);
        pat_turn_free(j.turn);
    }
    pat_set_threads(1);
}

/* pat_osum: the same bits as adding x_0, x_1, ... in order, for any
 * thread count, over several ranges (n > 16384) and one. */
#define OSUM_N 100003
#define OSUM_STEPS 12

struct osum_job {
    struct pat_osum *sum;
    const float *x; /* (OSUM_STEPS, n) */
    size_t n;
};

static void osum_task(void *ctx, size_t i, size_t worker) {
    const struct osum_job *j = ctx;
    (void)worker;
    pat_osum_add(j->sum, i, i == 5 ? NULL : j->x + i * j->n); /* step 5 adds nothing */
}

static void test_osum_order(struct check_ctx *c) {
    float *x = malloc((size_t)OSUM_STEPS * OSUM_N * sizeof *x);
    float *want = calloc(OSUM_N, sizeof *want), *got = calloc(OSUM_N, sizeof *got);
    CHECK(c, x && want && got);
    if (!x || !want || !got) goto done;
    uint32_t state = 12345;
    for (size_t k = 0; k < (size_t)OSUM_STEPS * OSUM_N; k++) {
        state = state * 1664525u + 1013904223u;
        x[k] = (float)((double)(state >> 8) / 16777216.0 - 0.5) * (float)(1u << (k % 13));
    }
    const size_t ns[] = {OSUM_N, 1000};
    for (size_t a = 0; a < 2; a++) {
        const size_t n = ns[a];
        for (size_t i = 0; i < n; i++) want[i] = 0.0f;
        for (size_t s = 0; s < OSUM_STEPS; s++)
            for (size_t i = 0; s != 5 && i < n; i++) want[i] += x[s * n + i];
        for (size_t t = 1; t <= 4; t++) {
            for (size_t i = 0; i < n; i++) got[i] = 0.0f;
            struct osum_job j = {pat_osum_create(got, n), x, n};
            CHECK(c, j.sum != NULL);
            if (!j.sum) goto done;
            pat_set_threads(t);
            pat_pool_run(OSUM_STEPS, (size_t)-1, osum_task, &j);
            pat_osum_free(j.sum);
            CHECK(c, memcmp(want, got, n * sizeof *got) == 0);
        }
    }
done:
    pat_set_threads(1);
    free(x), free(want), free(got);
}

int main(void) {
    int failures = 0;
    RUN(test_every_task_once);
    RUN(test_nested_serial);
    RUN(test_ranges_cover);
    RUN(test_turnstile_orders);
    RUN(test_osum_order);
    return failures ? 1 : 0;
}
