/* pool.h - the library's worker threads: one small pool of POSIX threads
 * that sleep on a condition variable between jobs (never spin).
 *
 *     static void work(void *ctx, size_t task, size_t worker) { ... }
 *     pat_pool_run(ntasks, width, work, &ctx);   // returns when every task ran
 *
 * Tasks are claimed one at a time, in index order, from a shared counter by
 * the calling thread (worker 0) and by up to width - 1 pool threads, so a
 * thread that the system does not schedule soon simply takes no task: on a
 * busy machine the caller does the work itself instead of waiting for it.
 * worker < width names per-worker scratch the caller allocated. A task must
 * write only what its index owns, so that results never depend on which
 * thread ran it or on how many there were.
 *
 * Calls made from inside a task, or while another thread of the program has
 * a job running, run their tasks serially on the calling thread (worker 0).
 * The pool and its thread count are process-wide, like an OpenMP runtime:
 * this file and nn/tile_choice.c (a choice made once) are the only places in
 * the library that hold global state.
 */
#ifndef PAT_POOL_H
#define PAT_POOL_H

#include <stddef.h>

typedef void (*pat_pool_task)(void *ctx, size_t task, size_t worker);

/* Threads that jobs may use: pat_set_threads's value, else OMP_NUM_THREADS
 * when set to a positive number, else the CPUs this process may run on
 * (its affinity mask: taskset, cgroups' cpusets), else the online CPUs; 1 in a build
 * without threads (NO_THREADS=1). */
size_t pat_pool_threads(void);

/* Run task(ctx, i, worker) for every i in [0, ntasks), on at most
 * min(width, pat_pool_threads()) threads, the caller included. */
void pat_pool_run(size_t ntasks, size_t width, pat_pool_task task, void *ctx);

/* [0, n) cut into ceil(n / grain) ranges, each run as
 * range(ctx, begin, end) on any thread. */
typedef void (*pat_pool_range_fn)(void *ctx, size_t begin, size_t end);
void pat_pool_for(size_t n, size_t grain, pat_pool_range_fn range, void *ctx);

/* Nonzero inside a task of a running job (nested jobs run serially). */
int pat_pool_in_task(void);

/* A turnstile for ordered steps inside a job: pat_turn_wait(t, i) blocks
 * (sleeping) until steps 0 .. i-1 have called pat_turn_done. With tasks
 * claimed in index order, task i waiting for i-1 cannot deadlock. */
struct pat_turn;
struct pat_turn *pat_turn_create(void); /* NULL when out of memory */
void pat_turn_wait(struct pat_turn *t, size_t i);
void pat_turn_done(struct pat_turn *t);
void pat_turn_free(struct pat_turn *t); /* NULL-safe */

/* An ordered sum: total (n) += x_0, then x_1, ... in index order whatever
 * the order in which the x_i are ready, so every element of total is
 * ((total + x_0) + x_1) + ... . The vector is cut into ranges, each with its
 * own turnstile: while step i adds range r, step i + 1 can already add
 * range r - 1, so tasks of a job share the adding instead of queueing for
 * it. Every step 0, 1, ... must call pat_osum_add once (x NULL: adds
 * nothing, still takes its turn). */
struct pat_osum;
struct pat_osum *pat_osum_create(float *total, size_t n); /* NULL when out of memory */
void pat_osum_add(struct pat_osum *s, size_t i, const float *x);
void pat_osum_free(struct pat_osum *s); /* NULL-safe */

#endif /* PAT_POOL_H */
