/* metrics.c - counters and Prometheus text rendering (see metrics.h). */
#include "metrics.h"

#include <string.h>

static const unsigned codes[SERVE_NUM_CODES] = {200, 400, 404, 405, 408, 411,
                                                413, 415, 429, 500, 503};
static const double bounds[SERVE_NUM_BUCKETS - 1] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,  0.1,    0.25,  0.5,  1.0,
                                                     2.5,   5.0,    10.0};

int serve_metrics_init(struct serve_metrics *m) {
    memset(m, 0, sizeof *m);
    return pthread_mutex_init(&m->mu, NULL) == 0;
}

void serve_metrics_destroy(struct serve_metrics *m) { pthread_mutex_destroy(&m->mu); }

const char *serve_endpoint_name(enum serve_endpoint ep) {
    static const char *const names[EP_COUNT] = {"page",    "healthz", "metrics",
                                                "models",  "predict", "embed",
                                                "explain", "score",   "other"};
    return (unsigned)ep < EP_COUNT ? names[ep] : "other";
}

/* Index of code in codes[], the last slot for any other code. */
static size_t code_slot(unsigned code) {
    for (size_t i = 0; i < SERVE_NUM_CODES; i++)
        if (codes[i] == code) return i;
    return SERVE_NUM_CODES - 1;
}

static size_t bucket_slot(double seconds) {
    size_t i = 0;
    while (i < SERVE_NUM_BUCKETS - 1 && seconds > bounds[i]) i++;
    return i;
}

void serve_metrics_record(struct serve_metrics *m, enum serve_endpoint ep, unsigned code,
                          double seconds, uint64_t rows, uint64_t bytes_in, uint64_t bytes_out) {
    if ((unsigned)ep >= EP_COUNT) ep = EP_OTHER;
    pthread_mutex_lock(&m->mu);
    m->requests[ep][code_slot(code)]++;
    m->buckets[ep][bucket_slot(seconds)]++;
    m->seconds_sum[ep] += seconds;
    m->rows[ep] += rows;
    m->bytes_in += bytes_in;
    m->bytes_out += bytes_out;
    pthread_mutex_unlock(&m->mu);
}

static void render_requests(const struct serve_metrics *m, FILE *f) {
    fputs("# HELP pat_requests_total HTTP requests answered, by endpoint and status code.\n"
          "# TYPE pat_requests_total counter\n", f);
    for (size_t e = 0; e < EP_COUNT; e++)
        for (size_t c = 0; c < SERVE_NUM_CODES; c++)
            if (m->requests[e][c])
                fprintf(f, "pat_requests_total{endpoint=\"%s\",code=\"%u\"} %llu\n",
                        serve_endpoint_name((enum serve_endpoint)e), codes[c],
                        (unsigned long long)m->requests[e][c]);
    fputs("# HELP pat_errors_total Requests answered with a 4xx or 5xx status.\n"
          "# TYPE pat_errors_total counter\n", f);
    for (size_t e = 0; e < EP_COUNT; e++) {
        unsigned long long client = 0, server = 0;
        for (size_t c = 0; c < SERVE_NUM_CODES; c++) {
            if (codes[c] >= 400 && codes[c] < 500) client += m->requests[e][c];
            if (codes[c] >= 500) server += m->requests[e][c];
        }
        const char *name = serve_endpoint_name((enum serve_endpoint)e);
        if (client) fprintf(f, "pat_errors_total{endpoint=\"%s\",class=\"4xx\"} %llu\n", name, client);
        if (server) fprintf(f, "pat_errors_total{endpoint=\"%s\",class=\"5xx\"} %llu\n", name, server);
    }
}

static void render_latency(const struct serve_metrics *m, FILE *f) {
    fputs("# HELP pat_request_duration_seconds Time from the request's headers to its answer.\n"
          "# TYPE pat_request_duration_seconds histogram\n", f);
    for (size_t e = 0; e < EP_COUNT; e++) {
        unsigned long long cum = 0;
        const char *name = serve_endpoint_name((enum serve_endpoint)e);
        for (size_t b = 0; b < SERVE_NUM_BUCKETS; b++) cum += m->buckets[e][b];
        if (!cum) continue;
        cum = 0;
        for (size_t b = 0; b < SERVE_NUM_BUCKETS; b++) {
            cum += m->buckets[e][b];
            if (b < SERVE_NUM_BUCKETS - 1)
                fprintf(f, "pat_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                        name, bounds[b], cum);
            else
                fprintf(f, "pat_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                        name, cum);
        }
        fprintf(f, "pat_request_duration_seconds_sum{endpoint=\"%s\"} %.9g\n", name,
                m->seconds_sum[e]);
        fprintf(f, "pat_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", name, cum);
    }
}

static void render_gauges(const struct serve_gauges *g, FILE *f) {
    fprintf(f, "# HELP pat_inflight_requests Model computations running now.\n"
               "# TYPE pat_inflight_requests gauge\npat_inflight_requests %zu\n"
               "# HELP pat_queue_depth Requests waiting for a computation slot.\n"
               "# TYPE pat_queue_depth gauge\npat_queue_depth %zu\n"
               "# HELP pat_queue_limit Most requests that may wait (--max-queue).\n"
               "# TYPE pat_queue_limit gauge\npat_queue_limit %zu\n"
               "# HELP pat_workers Computations allowed at once (--threads).\n"
               "# TYPE pat_workers gauge\npat_workers %zu\n"
               "# HELP pat_models_loaded Models being served.\n"
               "# TYPE pat_models_loaded gauge\npat_models_loaded %zu\n"
               "# HELP pat_uptime_seconds Seconds since the server started.\n"
               "# TYPE pat_uptime_seconds gauge\npat_uptime_seconds %.3f\n",
            g->running, g->waiting, g->max_waiting, g->max_running, g->models, g->uptime_s);
}

void serve_metrics_render(struct serve_metrics *m, const struct serve_gauges *g, FILE *f) {
    pthread_mutex_lock(&m->mu);
    render_requests(m, f);
    render_latency(m, f);
    fputs("# HELP pat_rows_total Sequences computed, by endpoint.\n"
          "# TYPE pat_rows_total counter\n", f);
    for (size_t e = 0; e < EP_COUNT; e++)
        if (m->rows[e])
            fprintf(f, "pat_rows_total{endpoint=\"%s\"} %llu\n",
                    serve_endpoint_name((enum serve_endpoint)e), (unsigned long long)m->rows[e]);
    fprintf(f, "# HELP pat_received_bytes_total Request body bytes received.\n"
               "# TYPE pat_received_bytes_total counter\npat_received_bytes_total %llu\n"
               "# HELP pat_sent_bytes_total Response body bytes sent.\n"
               "# TYPE pat_sent_bytes_total counter\npat_sent_bytes_total %llu\n",
            (unsigned long long)m->bytes_in, (unsigned long long)m->bytes_out);
    pthread_mutex_unlock(&m->mu);
    render_gauges(g, f);
}
