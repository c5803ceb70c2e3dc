/* gate.h - at most `slots` computations at once, at most `max_queue`
 * waiting; a request beyond both is turned away (429). */
#ifndef PAT_SERVE_GATE_H
#define PAT_SERVE_GATE_H

#include <pthread.h>
#include <stddef.h>

struct serve_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t slots, max_queue;
    size_t running, waiting;
};

int serve_gate_init(struct serve_gate *g, size_t slots, size_t max_queue); /* 0 on failure */
void serve_gate_destroy(struct serve_gate *g);

/* Take a slot, waiting in the queue if needed: 1 when taken, 0 when the
 * queue is full (nothing taken). *running: the computations running once
 * this one has started (itself included). */
int serve_gate_enter(struct serve_gate *g, size_t *running);
void serve_gate_leave(struct serve_gate *g);

/* Snapshot of the counts (for /metrics). */
void serve_gate_counts(struct serve_gate *g, size_t *running, size_t *waiting);

#endif /* PAT_SERVE_GATE_H */
