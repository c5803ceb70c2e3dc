/* http.c - pat serve's HTTP side on libmicrohttpd: the only file that
 * includes <microhttpd.h> (see serve.h). Requests are handed whole to
 * api.c; this file reads bodies within limits, answers, logs and drains.
 */
#include "serve/serve.h"

#include "util.h"

#ifndef PAT_HAVE_MHD

int pat_serve_available(void) { return 0; }

enum pat_status pat_serve_start(const struct pat_serve_opts *o, const struct serve_model *models,
                                size_t n, struct pat_server **out, struct pat_err *err) {
    (void)o, (void)models, (void)n;
    *out = NULL;
    return pat_fail(err, PAT_ERR_UNSUPPORTED,
                    "this build has no HTTP server: install libmicrohttpd (Debian: apt-get "
                    "install libmicrohttpd-dev) and rebuild pat (make)");
}

unsigned pat_serve_port(const struct pat_server *s) {
    (void)s;
    return 0;
}

size_t pat_serve_stop(struct pat_server *s, double drain_s) {
    (void)s, (void)drain_s;
    return 0;
}

#else

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct pat_server {
    struct MHD_Daemon *daemon;
    struct serve_state state;
    struct pat_serve_opts opts;
    unsigned port;
    pthread_mutex_t mu; /* guards inflight */
    pthread_cond_t idle;
    size_t inflight; /* requests between their headers and their completion */
};

/* One request's state, from its headers to its completion. */
struct req {
    double t0;
    char *body;
    size_t len, cap;
    unsigned code;
    enum serve_endpoint ep;
    size_t rows, bytes_out;
    int answered;
    int too_big;     /* a body over --max-body without Content-Length */
    size_t received; /* body bytes, kept or dropped */
    char method[16], url[256]; /* for the access log, made safe */
};

/* ---- access log -------------------------------------------------------- */

/* s with quotes, backslashes and control bytes replaced, at most max bytes. */
static void log_safe(char *dst, size_t cap, const char *s, size_t max) {
    size_t k = 0;
    for (; s && *s && k + 1 < cap && k < max; s++)
        dst[k++] = ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' || *s == 0x7f) ? '?' : *s;
    dst[k] = '\0';
}

static void client_address(struct MHD_Connection *c, char *buf, size_t cap) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, cap, "?");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf, (socklen_t)cap);
}

static void utc_now(char buf[32]) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void access_log(struct pat_server *s, struct MHD_Connection *c, const struct req *r,
                       const char *outcome) {
    if (!s->opts.log) return;
    char when[32], who[64];
    utc_now(when);
    client_address(c, who, sizeof who);
    fprintf(s->opts.log,
            "{\"time\":\"%s\",\"remote\":\"%s\",\"method\":\"%s\",\"path\":\"%s\","
            "\"endpoint\":\"%s\",\"status\":%u,\"rows\":%zu,\"bytes_in\":%zu,\"bytes_out\":%zu,"
            "\"ms\":%.3f,\"outcome\":\"%s\"}\n",
            when, who, r->method, r->url, serve_endpoint_name(r->ep), r->code, r->rows, r->len,
            r->bytes_out, 1e3 * (serve_now() - r->t0), outcome);
    fflush(s->opts.log);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap) {
    struct pat_server *s = cls;
    if (!s->opts.log) return;
    char msg[512], safe[512], when[32];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_safe(safe, sizeof safe, msg, 400);
    utc_now(when);
    fprintf(s->opts.log, "{\"time\":\"%s\",\"event\":\"http\",\"message\":\"%s\"}\n", when, safe);
    fflush(s->opts.log);
}

/* ---- answering ------------------------------------------------------------ */

static enum MHD_Result answer(struct MHD_Connection *c, struct req *r, struct serve_response *res) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        res->len, res->body, res->body_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        serve_response_free(res);
        return MHD_NO;
    }
    res->body = NULL; /* MHD owns it now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (res->ep == EP_PAGE)
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'; img-src 'self' data: blob:");
    if (res->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, res->allow);
    char retry[16];
    if (res->retry_after) {
        snprintf(retry, sizeof retry, "%d", res->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry);
    }
    r->code = res->code;
    r->ep = res->ep;
    r->rows = res->rows;
    r->bytes_out = res->len;
    r->answered = 1;
    enum MHD_Result ok = MHD_queue_response(c, res->code, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result answer_error(struct MHD_Connection *c, struct req *r, unsigned code,
                                    const char *msg) {
    struct serve_response res;
    memset(&res, 0, sizeof res);
    serve_error(&res, code, msg);
    res.ep = r->ep;
    return answer(c, r, &res);
}

/* A body over the limit, declared up front by Content-Length. */
static int declared_too_big(struct MHD_Connection *c, size_t max_body) {
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl) return 0;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    return *end == '\0' && n > max_body;
}

static const char *too_big_message(const struct pat_server *s, char *buf, size_t cap) {
    snprintf(buf, cap, "request body over the limit of %zu bytes (--max-body)", s->opts.max_body);
    return buf;
}

static int append_body(struct req *r, const char *data, size_t n, size_t max_body) {
    if (n > max_body - r->len) return 0;
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap < r->len + n) cap *= 2;
        if (cap > max_body) cap = max_body;
        char *g = realloc(r->body, cap);
        if (!g) return 0;
        r->body = g;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    return 1;
}

/* A computation may outlast --timeout: the connection was busy, not idle,
 * so its idle clock starts again before the answer goes out (setting a
 * timeout on a connection that has none resets its last activity). */
static void restart_idle_clock(struct MHD_Connection *c, unsigned timeout_s) {
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, timeout_s);
}

static enum MHD_Result handle_complete(struct pat_server *s, struct MHD_Connection *c,
                                       struct req *r, const char *method, const char *url) {
    struct serve_request q = {
        .method = method,
        .path = url,
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
        .format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format"),
        .chart = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "chart"),
        .file_name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name"),
        .input = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "input"),
        .participant = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "participant"),
        .body = r->body ? r->body : "",
        .body_len = r->len,
    };
    struct serve_response res;
    serve_handle(&s->state, &q, &res);
    restart_idle_clock(c, s->opts.timeout_s);
    return answer(c, r, &res);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
    struct pat_server *s = cls;
    struct req *r = *con_cls;
    char msg[128];
    (void)version;
    if (!r) { /* headers are in: the request starts */
        if (!(r = calloc(1, sizeof *r))) return MHD_NO;
        r->t0 = serve_now();
        r->ep = serve_endpoint_of(url);
        log_safe(r->method, sizeof r->method, method, 15);
        log_safe(r->url, sizeof r->url, url, 200);
        *con_cls = r;
        pthread_mutex_lock(&s->mu);
        s->inflight++;
        pthread_mutex_unlock(&s->mu);
        if (declared_too_big(c, s->opts.max_body))
            return answer_error(c, r, 413, too_big_message(s, msg, sizeof msg));
        return MHD_YES;
    }
    if (r->answered) { /* an early answer: the rest of the body is dropped */
        *data_size = 0;
        return MHD_YES;
    }
    if (*data_size) {
        if (serve_now() - r->t0 > (double)s->opts.max_request_s) return MHD_NO; /* too slow */
        r->received += *data_size;
        /* Over the limit: the rest is read and dropped (413 at its end),
         * up to as much again; beyond that the connection is closed. */
        if (!r->too_big && !append_body(r, data, *data_size, s->opts.max_body)) r->too_big = 1;
        if (r->too_big && r->received / 2 > s->opts.max_body) return MHD_NO;
        *data_size = 0;
        return MHD_YES;
    }
    if (r->too_big) return answer_error(c, r, 413, too_big_message(s, msg, sizeof msg));
    return handle_complete(s, c, r, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    struct pat_server *s = cls;
    struct req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    const char *outcome = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok"
                          : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
                          : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client_abort"
                          : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
                          : "closed";
    if (!r->answered)
        r->code = r->too_big ? 413 : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408 : 400;
    serve_metrics_record(&s->state.metrics, r->ep, r->code, serve_now() - r->t0, r->rows,
                         r->len, r->bytes_out);
    access_log(s, c, r, outcome);
    free(r->body);
    free(r);
    pthread_mutex_lock(&s->mu);
    s->inflight--;
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
}

/* ---- start and stop -------------------------------------------------------- */

static enum pat_status bind_address(const char *host, unsigned port, struct sockaddr_storage *sa,
                                    unsigned *flags, struct pat_err *err) {
    memset(sa, 0, sizeof *sa);
    struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)sa;
    char h[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof h) {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else {
        snprintf(h, sizeof h, "%s", host);
    }
    if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((unsigned short)port);
        return PAT_OK;
    }
    if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((unsigned short)port);
        *flags |= MHD_USE_IPv6;
        return PAT_OK;
    }
    return pat_fail(err, PAT_ERR_USAGE, "--host '%s' is not a numeric IPv4 or IPv6 address", host);
}

int pat_serve_available(void) { return 1; }

static void free_server(struct pat_server *s) {
    serve_state_destroy(&s->state);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static enum pat_status start_daemon(struct pat_server *s, struct pat_err *err) {
    struct sockaddr_storage sa;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    enum pat_status st = bind_address(s->opts.host, s->opts.port, &sa, &flags, err);
    if (st != PAT_OK) return st;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->opts.port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->opts.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, s->opts.timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_END);
    if (!s->daemon)
        return pat_fail(err, PAT_ERR_IO, "cannot listen on %s port %u (in use, or not an "
                        "address of this machine?)", s->opts.host, s->opts.port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->opts.port;
    return PAT_OK;
}

enum pat_status pat_serve_start(const struct pat_serve_opts *o, const struct serve_model *models,
                                size_t n, struct pat_server **out, struct pat_err *err) {
    *out = NULL;
    struct pat_server *s = calloc(1, sizeof *s);
    if (!s) return pat_fail(err, PAT_ERR_NOMEM, "out of memory starting the server");
    s->opts = *o;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return pat_fail(err, PAT_ERR_NOMEM, "cannot create a mutex");
    }
    if (pthread_cond_init(&s->idle, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return pat_fail(err, PAT_ERR_NOMEM, "cannot create a condition variable");
    }
    if (!serve_state_init(&s->state, models, n, o->threads, o->max_queue, o->max_row,
                          o->request_threads)) {
        pthread_cond_destroy(&s->idle);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return pat_fail(err, PAT_ERR_NOMEM, "out of resources starting the server");
    }
    enum pat_status st = start_daemon(s, err);
    if (st != PAT_OK) {
        free_server(s);
        return st;
    }
    *out = s;
    return PAT_OK;
}

unsigned pat_serve_port(const struct pat_server *s) { return s->port; }

/* Wait until no request is in flight or drain_s has passed; returns how
 * many are left. */
static size_t wait_idle(struct pat_server *s, double drain_s) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double t = (double)until.tv_sec + 1e-9 * (double)until.tv_nsec + drain_s;
    until.tv_sec = (time_t)t;
    until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
    pthread_mutex_lock(&s->mu);
    while (s->inflight > 0)
        if (pthread_cond_timedwait(&s->idle, &s->mu, &until) != 0) break;
    size_t left = s->inflight;
    pthread_mutex_unlock(&s->mu);
    return left;
}

size_t pat_serve_stop(struct pat_server *s, double drain_s) {
    if (!s) return 0;
    MHD_socket fd = MHD_quiesce_daemon(s->daemon); /* no new connections */
    if (fd != MHD_INVALID_SOCKET) close(fd);
    size_t left = wait_idle(s, drain_s);
    MHD_stop_daemon(s->daemon); /* closes idle keep-alive connections */
    free_server(s);
    return left;
}

#endif /* PAT_HAVE_MHD */
