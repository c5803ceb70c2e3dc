/* pool.c - worker threads with blocking waits (see pool.h).
 *
 * Why not OpenMP: libgomp's threads spin at every barrier for a while
 * before they sleep (its wait policy is read from the environment before
 * main, out of the program's reach), and its static schedules hand each
 * thread a fixed share. With another process holding a core, one pat thread
 * is often not running: the others spin against the busy process for the
 * CPU, then wait a time slice at every barrier for the descheduled share,
 * and a step of many small parallel regions becomes many time slices long.
 * Here idle threads sleep on a condition variable, tasks are claimed from a
 * counter by whoever runs, and the caller only ever waits for tasks that a
 * running thread has already claimed.
 */
#ifdef __linux__
#define _GNU_SOURCE /* sched_getaffinity: the CPUs this process may use */
#include <sched.h>
#endif

#include "nn/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "pat.h"

#ifndef PAT_NO_THREADS
#include <pthread.h>
#include <stdatomic.h>
#endif

#define POOL_MAX_THREADS 256

/* ---- thread count ----------------------------------------------------------- */

#ifndef PAT_NO_THREADS
static atomic_size_t configured; /* 0: not set, use the default */
#endif

static size_t default_threads(void) {
    const char *env = getenv("OMP_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (v > 0 && (*end == '\0' || *end == ',')) return (size_t)v;
    }
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (size_t)CPU_COUNT(&set);
#endif
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (size_t)cpus : 1;
}

#ifdef PAT_NO_THREADS

static int in_task; /* one thread: a task is running */

size_t pat_pool_threads(void) { return 1; }
void pat_set_threads(size_t n) { (void)n; }
size_t pat_threads(void) { return 1; }
int pat_pool_in_task(void) { return in_task; }

void pat_pool_run(size_t ntasks, size_t width, pat_pool_task task, void *ctx) {
    const int outer = in_task;
    (void)width;
    (void)default_threads;
    in_task = 1;
    for (size_t i = 0; i < ntasks; i++) task(ctx, i, 0);
    in_task = outer;
}

struct pat_turn {
    size_t next;
};
struct pat_turn *pat_turn_create(void) { return calloc(1, sizeof(struct pat_turn)); }
void pat_turn_wait(struct pat_turn *t, size_t i) { (void)t, (void)i; }
void pat_turn_done(struct pat_turn *t) { t->next++; }
void pat_turn_free(struct pat_turn *t) { free(t); }

#else

size_t pat_pool_threads(void) {
    size_t n = atomic_load(&configured);
    if (!n) n = default_threads();
    return n < POOL_MAX_THREADS ? n : POOL_MAX_THREADS;
}

void pat_set_threads(size_t n) { atomic_store(&configured, n); }
size_t pat_threads(void) { return pat_pool_threads(); }

/* ---- the pool ------------------------------------------------------------------ */

struct pool {
    pthread_mutex_t run_lock; /* held by the one caller whose job is running */
    pthread_mutex_t mu;       /* guards everything below but next */
    pthread_cond_t wake;      /* a new job was posted */
    pthread_cond_t idle;      /* the last joined worker left the job */
    size_t started;           /* pool threads created (workers 1 .. started) */
    unsigned long long job;   /* number of the latest job */
    int open;                 /* the latest job still accepts workers */
    size_t width;             /* workers 0 .. width-1 may take part */
    size_t active;            /* pool threads inside the job */
    pat_pool_task task;
    void *ctx;
    size_t ntasks;
    atomic_size_t next; /* the next unclaimed task */
};

static struct pool pool = {.run_lock = PTHREAD_MUTEX_INITIALIZER,
                           .mu = PTHREAD_MUTEX_INITIALIZER,
                           .wake = PTHREAD_COND_INITIALIZER,
                           .idle = PTHREAD_COND_INITIALIZER};

static _Thread_local int in_task; /* this thread is running a task */

int pat_pool_in_task(void) { return in_task; }

static void claim_tasks(pat_pool_task task, void *ctx, size_t ntasks, size_t worker) {
    for (size_t i; (i = atomic_fetch_add(&pool.next, 1)) < ntasks;) task(ctx, i, worker);
}

static void *worker_main(void *arg) {
    const size_t id = (size_t)(uintptr_t)arg;
    unsigned long long seen = 0;
    in_task = 1; /* anything a pool thread runs is inside a task */
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.job == seen) pthread_cond_wait(&pool.wake, &pool.mu);
        seen = pool.job;
        if (!pool.open || id >= pool.width) continue;
        pool.active++;
        pat_pool_task task = pool.task;
        void *ctx = pool.ctx;
        size_t ntasks = pool.ntasks;
        pthread_mutex_unlock(&pool.mu);
        claim_tasks(task, ctx, ntasks, id);
        pthread_mutex_lock(&pool.mu);
        if (--pool.active == 0) pthread_cond_signal(&pool.idle);
    }
    return NULL;
}

/* Start pool threads until there are want - 1 of them (called with mu
 * held); fewer if the system refuses. */
static void grow(size_t want) {
    while (pool.started + 1 < want) {
        pthread_t t;
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0) return;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker_main, (void *)(uintptr_t)(pool.started + 1));
        pthread_attr_destroy(&attr);
        if (rc != 0) return;
        pool.started++;
    }
}

void pat_pool_run(size_t ntasks, size_t width, pat_pool_task task, void *ctx) {
    const size_t threads = pat_pool_threads();
    if (width > threads) width = threads;
    if (width > ntasks) width = ntasks;
    if (width <= 1 || in_task || pthread_mutex_trylock(&pool.run_lock) != 0) {
        for (size_t i = 0; i < ntasks; i++) task(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&pool.mu);
    grow(width);
    pool.task = task, pool.ctx = ctx, pool.ntasks = ntasks;
    pool.width = width < pool.started + 1 ? width : pool.started + 1;
    atomic_store(&pool.next, 0);
    pool.open = 1;
    pool.job++;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);

    in_task = 1;
    claim_tasks(task, ctx, ntasks, 0);
    in_task = 0;

    pthread_mutex_lock(&pool.mu);
    pool.open = 0; /* late wakers find nothing left and go back to sleep */
    while (pool.active) pthread_cond_wait(&pool.idle, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    pthread_mutex_unlock(&pool.run_lock);
}

/* ---- ordered steps --------------------------------------------------------------- */

struct pat_turn {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;
};

struct pat_turn *pat_turn_create(void) {
    struct pat_turn *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t);
        return NULL;
    }
    if (pthread_cond_init(&t->cv, NULL) != 0) {
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    return t;
}

void pat_turn_wait(struct pat_turn *t, size_t i) {
    pthread_mutex_lock(&t->mu);
    while (t->next != i) pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
}

void pat_turn_done(struct pat_turn *t) {
    pthread_mutex_lock(&t->mu);
    t->next++;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void pat_turn_free(struct pat_turn *t) {
    if (!t) return;
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

#endif /* PAT_NO_THREADS */

/* ---- ordered sums ----------------------------------------------------------------- */

#define OSUM_MIN_RANGE 16384 /* floats: a range is worth a turnstile */
#define OSUM_MAX_RANGES 32

struct pat_osum {
    float *total;
    size_t n, ranges, len; /* ranges of len floats (the last may be shorter) */
    struct pat_turn *turn[OSUM_MAX_RANGES];
};

struct pat_osum *pat_osum_create(float *total, size_t n) {
    struct pat_osum *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->total = total, s->n = n;
    s->ranges = n / OSUM_MIN_RANGE;
    if (s->ranges < 1) s->ranges = 1;
    if (s->ranges > OSUM_MAX_RANGES) s->ranges = OSUM_MAX_RANGES;
    s->len = (n + s->ranges - 1) / s->ranges;
    for (size_t r = 0; r < s->ranges; r++)
        if (!(s->turn[r] = pat_turn_create())) {
            pat_osum_free(s);
            return NULL;
        }
    return s;
}

void pat_osum_add(struct pat_osum *s, size_t i, const float *x) {
    for (size_t r = 0; r < s->ranges; r++) {
        const size_t b = r * s->len < s->n ? r * s->len : s->n;
        const size_t e = s->n - b < s->len ? s->n : b + s->len;
        pat_turn_wait(s->turn[r], i);
        for (size_t k = b; x && k < e; k++) s->total[k] += x[k];
        pat_turn_done(s->turn[r]);
    }
}

void pat_osum_free(struct pat_osum *s) {
    if (!s) return;
    for (size_t r = 0; r < s->ranges; r++) pat_turn_free(s->turn[r]);
    free(s);
}

/* ---- ranges --------------------------------------------------------------------- */

struct range_job {
    size_t n, grain;
    pat_pool_range_fn fn;
    void *ctx;
};

static void range_task(void *ctx, size_t task, size_t worker) {
    const struct range_job *j = ctx;
    const size_t b = task * j->grain, e = j->n - b < j->grain ? j->n : b + j->grain;
    (void)worker;
    j->fn(j->ctx, b, e);
}

void pat_pool_for(size_t n, size_t grain, pat_pool_range_fn range, void *ctx) {
    if (n == 0) return;
    if (grain == 0) grain = 1;
    struct range_job j = {n, grain, range, ctx};
    pat_pool_run((n + grain - 1) / grain, (size_t)-1, range_task, &j);
}
