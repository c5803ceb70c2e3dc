/* gate.c - the concurrency gate (see gate.h). */
#include "gate.h"

int serve_gate_init(struct serve_gate *g, size_t slots, size_t max_queue) {
    g->slots = slots ? slots : 1;
    g->max_queue = max_queue;
    g->running = g->waiting = 0;
    if (pthread_mutex_init(&g->mu, NULL) != 0) return 0;
    if (pthread_cond_init(&g->cv, NULL) != 0) {
        pthread_mutex_destroy(&g->mu);
        return 0;
    }
    return 1;
}

void serve_gate_destroy(struct serve_gate *g) {
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

int serve_gate_enter(struct serve_gate *g, size_t *running) {
    pthread_mutex_lock(&g->mu);
    if (g->running >= g->slots && g->waiting >= g->max_queue) {
        pthread_mutex_unlock(&g->mu);
        return 0;
    }
    g->waiting++;
    while (g->running >= g->slots) pthread_cond_wait(&g->cv, &g->mu);
    g->waiting--;
    *running = ++g->running;
    pthread_mutex_unlock(&g->mu);
    return 1;
}

void serve_gate_leave(struct serve_gate *g) {
    pthread_mutex_lock(&g->mu);
    g->running--;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

void serve_gate_counts(struct serve_gate *g, size_t *running, size_t *waiting) {
    pthread_mutex_lock(&g->mu);
    *running = g->running;
    *waiting = g->waiting;
    pthread_mutex_unlock(&g->mu);
}
