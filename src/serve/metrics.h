/* metrics.h - request counters and latency histograms, rendered in the
 * Prometheus text exposition format (version 0.0.4). */
#ifndef PAT_SERVE_METRICS_H
#define PAT_SERVE_METRICS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

enum serve_endpoint {
    EP_PAGE, EP_HEALTHZ, EP_METRICS, EP_MODELS, EP_PREDICT, EP_EMBED, EP_EXPLAIN, EP_SCORE,
    EP_OTHER, EP_COUNT
};

#define SERVE_NUM_CODES 11   /* the status codes the server answers, + "other" */
#define SERVE_NUM_BUCKETS 14 /* latency histogram upper bounds, the last +Inf */

struct serve_metrics {
    pthread_mutex_t mu;
    uint64_t requests[EP_COUNT][SERVE_NUM_CODES];
    uint64_t buckets[EP_COUNT][SERVE_NUM_BUCKETS]; /* non-cumulative */
    double seconds_sum[EP_COUNT];
    uint64_t rows[EP_COUNT];
    uint64_t bytes_in, bytes_out;
};

int serve_metrics_init(struct serve_metrics *m); /* 0 on failure */
void serve_metrics_destroy(struct serve_metrics *m);

const char *serve_endpoint_name(enum serve_endpoint ep);

/* One finished request. */
void serve_metrics_record(struct serve_metrics *m, enum serve_endpoint ep, unsigned code,
                          double seconds, uint64_t rows, uint64_t bytes_in, uint64_t bytes_out);

/* Gauges sampled by the caller at render time. */
struct serve_gauges {
    size_t running, waiting, max_running, max_waiting, models;
    double uptime_s;
};

void serve_metrics_render(struct serve_metrics *m, const struct serve_gauges *g, FILE *f);

#endif /* PAT_SERVE_METRICS_H */
