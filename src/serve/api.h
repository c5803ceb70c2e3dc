/* api.h - pat serve's requests and answers, without the HTTP library:
 * routing, body parsing, model calls, JSON/CSV answers, metrics. http.c
 * hands each complete request to serve_handle.
 */
#ifndef PAT_SERVE_API_H
#define PAT_SERVE_API_H

#include <stddef.h>

#include "pat.h"
#include "serve/gate.h"
#include "serve/metrics.h"

struct serve_model {
    const char *name; /* [A-Za-z0-9_.-]+, the NAME of /v1/models/NAME/... */
    const char *path;
    const struct pat_model *model; /* read-only, shared by every thread */
};

struct serve_state {
    const struct serve_model *models;
    size_t num_models;
    size_t max_row;  /* values per sequence (longer: 413) */
    int cores;           /* the pool's threads (pat_threads) */
    int request_threads; /* the pool's threads; 0: the default */
    double t_start;  /* serve_now() at start */
    struct serve_gate gate;
    struct serve_metrics metrics;
};

struct serve_request {
    const char *method, *path;  /* path without the query */
    const char *content_type;   /* NULL when absent */
    const char *accept;         /* NULL when absent */
    const char *format;         /* ?format=csv|json, NULL when absent */
    const char *chart;          /* /score: ?chart=svg */
    const char *file_name;      /* /score: ?name= the recording's file name */
    const char *input;          /* /score: ?input= its format (pat score --format) */
    const char *participant;    /* /score: ?participant= whose chart */
    const char *body;
    size_t body_len;
};

struct serve_response {
    unsigned code;
    const char *content_type;
    char *body;       /* malloc'd, or static when body_static */
    size_t len;
    int body_static;
    const char *allow;       /* 405: the Allow header */
    int retry_after;         /* 429: seconds, else 0 */
    enum serve_endpoint ep;  /* for metrics and the access log */
    size_t rows;             /* sequences computed */
};

/* slots: computations at once; max_queue: requests that may wait. 0 on
 * failure (out of resources). */
int serve_state_init(struct serve_state *s, const struct serve_model *models, size_t n,
                     size_t slots, size_t max_queue, size_t max_row, int request_threads);
void serve_state_destroy(struct serve_state *s);

void serve_handle(struct serve_state *s, const struct serve_request *q,
                  struct serve_response *r);
void serve_response_free(struct serve_response *r);

/* The endpoint a path names (for metrics before the request is whole). */
enum serve_endpoint serve_endpoint_of(const char *path);

/* An answer with a JSON {"error": message} body (message escaped). */
void serve_error(struct serve_response *r, unsigned code, const char *message);

/* Monotonic seconds. */
double serve_now(void);

/* The page served at / (page.html, embedded by tools/embed_file.sh). */
extern const unsigned char serve_page_html[];
extern const size_t serve_page_html_len;

#endif /* PAT_SERVE_API_H */
