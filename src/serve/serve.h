/* serve.h - pat serve: the models behind a local HTTP server
 * (libmicrohttpd, confined to http.c; docs/serve.md).
 *
 * Each connection has its own thread; at most `threads` model computations
 * run at once and at most `max_queue` requests wait for one (more: 429).
 * Bodies over max_body bytes get 413, as do sequences over max_row values;
 * a connection idle for timeout_s seconds, or a request whose body is not
 * in after max_request_s seconds, is closed. One JSON line per request
 * goes to `log` (NULL: none).
 */
#ifndef PAT_SERVE_SERVE_H
#define PAT_SERVE_SERVE_H

#include <stddef.h>
#include <stdio.h>

#include "pat.h"
#include "serve/api.h"

struct pat_serve_opts {
    const char *host;     /* numeric IPv4 or IPv6 address, e.g. 127.0.0.1 */
    unsigned port;        /* 0: any free port (pat_serve_port tells which) */
    size_t threads;       /* computations at once */
    int request_threads;  /* threads of a computation (the pool's width;
                             one computation uses the pool at a time); 0: the cores */
    size_t max_queue;     /* requests that may wait for a computation */
    size_t max_body;      /* bytes */
    size_t max_row;       /* values per sequence */
    size_t max_connections;
    unsigned timeout_s;     /* idle connection timeout */
    unsigned max_request_s; /* whole-request limit while the body arrives */
    FILE *log;
};

struct pat_server;

/* 1 when this build has libmicrohttpd (else pat_serve_start fails with
 * PAT_ERR_UNSUPPORTED and a message saying how to get it). */
int pat_serve_available(void);

/* Start serving models[0..n) (borrowed until pat_serve_stop returns). */
enum pat_status pat_serve_start(const struct pat_serve_opts *o, const struct serve_model *models,
                                size_t n, struct pat_server **out, struct pat_err *err);

unsigned pat_serve_port(const struct pat_server *s);

/* Stop accepting connections, let requests in flight finish (at most
 * drain_s seconds), then stop and free everything. Returns the number of
 * requests still in flight when the wait ended (0: a clean drain). */
size_t pat_serve_stop(struct pat_server *s, double drain_s);

#endif /* PAT_SERVE_SERVE_H */
