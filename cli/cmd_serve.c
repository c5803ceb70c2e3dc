/* cmd_serve.c - pat serve: models behind a local HTTP server (docs/serve.md). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve/serve.h"

#define MAX_MODELS 32

struct serve_opts {
    struct pat_serve_opts srv;
    const char *specs[MAX_MODELS];
    size_t num_specs;
    double drain_s;
};

static void print_serve_help(void) {
    fputs("Usage: pat serve -m NAME=MODEL [-m NAME=MODEL ...] [options]\n"
          "Serve models over HTTP: predictions, embeddings and explanations of sequences\n"
          "sent as CSV rows or JSON, pat score on an uploaded recording (participant\n"
          "rows, chart), a browser page at /, /healthz and /metrics.\n"
          "Bound to 127.0.0.1 unless --host says otherwise. SIGTERM or Ctrl-C stops\n"
          "accepting connections, lets requests in flight finish, and exits 0.\n"
          "Each request is logged on standard error as one JSON line. See docs/serve.md.\n\n"
          "Options:\n"
          "  -m, --model NAME=FILE  a model to serve as NAME ([A-Za-z0-9_.-]); FILE alone\n"
          "                         serves it under its file name without extension\n"
          "      --host ADDR        numeric address to listen on (default 127.0.0.1)\n"
          "  -p, --port N           TCP port (default 8080; 0: any free port, logged)\n"
          "  -t, --threads N        model computations at once (default: the cores)\n"
          "      --request-threads N  threads per computation (default 1; 0: the cores;\n"
          "                         one computation uses them at a time, others run on\n"
          "                         their own thread)\n"
          "      --max-queue N      requests that may wait for one (default 64; more: 429)\n"
          "      --max-body BYTES   largest request body (default 33554432; more: 413);\n"
          "                         suffixes k, M, G (powers of 1024)\n"
          "      --max-row N        most values in one sequence (default 40320; more: 413)\n"
          "      --max-connections N  open connections at once (default 256)\n"
          "      --timeout S        close a connection idle for S seconds (default 10)\n"
          "      --max-request S    close a request whose body is not in after S s (default 60)\n"
          "      --drain S          on SIGTERM, wait at most S s for requests (default 30)\n"
          "  -q, --quiet            no access log\n"
          "  -h, --help             this help\n",
          stdout);
}

static int parse_count(const char *cmd, const char *opt, const char *arg, size_t lo, size_t hi,
                       size_t *out) {
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end || arg[0] == '-' || v < lo || v > hi)
        return cli_usage_error(cmd, "%s must be %zu..%zu, got '%s'", opt, lo, hi, arg);
    *out = (size_t)v;
    return -1;
}

static int parse_bytes(const char *cmd, const char *arg, size_t *out) {
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K') shift = 10, end++;
    else if (*end == 'M') shift = 20, end++;
    else if (*end == 'G') shift = 30, end++;
    if (*end || arg[0] == '-' || v < 1 || v > (1ull << 40) >> shift)
        return cli_usage_error(cmd, "--max-body must be 1 byte..1T, got '%s'", arg);
    *out = (size_t)(v << shift);
    return -1;
}

enum { OPT_HOST = 256, OPT_MAX_QUEUE, OPT_MAX_BODY, OPT_MAX_ROW, OPT_MAX_CONN, OPT_TIMEOUT,
       OPT_MAX_REQUEST, OPT_DRAIN, OPT_REQUEST_THREADS };

static int parse_option(int c, const char *cmd, struct serve_opts *o) {
    size_t v = 0;
    int rc = -1;
    switch (c) {
    case 'm':
        if (o->num_specs == MAX_MODELS) return cli_usage_error(cmd, "at most %d models", MAX_MODELS);
        o->specs[o->num_specs++] = optarg;
        break;
    case OPT_HOST: o->srv.host = optarg; break;
    case 'p': if ((rc = parse_count(cmd, "--port", optarg, 0, 65535, &v)) < 0) o->srv.port = (unsigned)v; break;
    case 't': rc = parse_count(cmd, "--threads", optarg, 1, 1024, &o->srv.threads); break;
    case OPT_REQUEST_THREADS: if ((rc = parse_count(cmd, "--request-threads", optarg, 0, 1024, &v)) < 0) o->srv.request_threads = (int)v; break;
    case OPT_MAX_QUEUE: rc = parse_count(cmd, "--max-queue", optarg, 0, 100000, &o->srv.max_queue); break;
    case OPT_MAX_BODY: rc = parse_bytes(cmd, optarg, &o->srv.max_body); break;
    case OPT_MAX_ROW: rc = parse_count(cmd, "--max-row", optarg, 1, (size_t)1 << 26, &o->srv.max_row); break;
    case OPT_MAX_CONN: rc = parse_count(cmd, "--max-connections", optarg, 1, 60000, &o->srv.max_connections); break;
    case OPT_TIMEOUT: if ((rc = parse_count(cmd, "--timeout", optarg, 1, 3600, &v)) < 0) o->srv.timeout_s = (unsigned)v; break;
    case OPT_MAX_REQUEST: if ((rc = parse_count(cmd, "--max-request", optarg, 1, 86400, &v)) < 0) o->srv.max_request_s = (unsigned)v; break;
    case OPT_DRAIN: if ((rc = parse_count(cmd, "--drain", optarg, 0, 86400, &v)) < 0) o->drain_s = (double)v; break;
    case 'q': o->srv.log = NULL; break;
    case 'h': print_serve_help(); return EXIT_OK;
    default: return cli_usage_error(cmd, "unknown option");
    }
    return rc;
}

/* Returns -1 to continue, else an exit code. */
static int parse_serve_opts(int argc, char **argv, struct serve_opts *o) {
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},       {"host", required_argument, 0, OPT_HOST},
        {"port", required_argument, 0, 'p'},        {"threads", required_argument, 0, 't'},
        {"max-queue", required_argument, 0, OPT_MAX_QUEUE},
        {"max-body", required_argument, 0, OPT_MAX_BODY},
        {"max-row", required_argument, 0, OPT_MAX_ROW},
        {"max-connections", required_argument, 0, OPT_MAX_CONN},
        {"timeout", required_argument, 0, OPT_TIMEOUT},
        {"max-request", required_argument, 0, OPT_MAX_REQUEST},
        {"drain", required_argument, 0, OPT_DRAIN},
        {"request-threads", required_argument, 0, OPT_REQUEST_THREADS},
        {"quiet", no_argument, 0, 'q'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:p:t:qh", longopts, NULL)) != -1) {
        int rc = parse_option(c, argv[0], o);
        if (rc >= 0) return rc;
    }
    if (optind < argc) return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (o->num_specs == 0) return cli_usage_error(argv[0], "missing -m NAME=MODEL");
    return -1;
}

static int valid_name(const char *s, size_t n) {
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!(('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') ||
              ('0' <= s[i] && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return 0;
    return 1;
}

/* NAME=FILE, or FILE named after its base name without extension. */
static int split_spec(const char *cmd, const char *spec, char *name, size_t cap,
                      const char **path) {
    const char *eq = strchr(spec, '=');
    const char *base = strrchr(spec, '/');
    const char *start = eq ? spec : (base ? base + 1 : spec);
    const char *dot = eq ? NULL : strrchr(start, '.');
    size_t n = eq ? (size_t)(eq - spec) : dot && dot > start ? (size_t)(dot - start) : strlen(start);
    *path = eq ? eq + 1 : spec;
    if (!valid_name(start, n) || n >= cap)
        return cli_usage_error(cmd, "model name '%.*s' must be 1..64 of A-Z a-z 0-9 _ . - "
                               "(write -m NAME=FILE)", (int)(n > 64 ? 64 : n), start);
    memcpy(name, start, n);
    name[n] = '\0';
    return -1;
}

struct loaded {
    struct serve_model m[MAX_MODELS];
    char names[MAX_MODELS][65];
    struct pat_model *models[MAX_MODELS];
    size_t n;
};

static int load_models(const char *cmd, const struct serve_opts *o, struct loaded *l) {
    for (size_t i = 0; i < o->num_specs; i++) {
        const char *path;
        int rc = split_spec(cmd, o->specs[i], l->names[i], sizeof l->names[i], &path);
        if (rc >= 0) return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(l->names[j], l->names[i]) == 0)
                return cli_usage_error(cmd, "two models are called '%s'", l->names[i]);
        struct pat_err err = {0};
        if (pat_model_load(path, &l->models[i], &err) != PAT_OK) return cli_report(cmd, &err);
        l->m[i] = (struct serve_model){l->names[i], path, l->models[i]};
        l->n = i + 1;
    }
    return -1;
}

static void log_event(FILE *f, const char *event, const char *extra) {
    if (!f) return;
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "{\"time\":\"%s\",\"event\":\"%s\"%s}\n", when, event, extra);
    fflush(f);
}

/* Serve until SIGTERM or SIGINT, then drain. */
static int serve_until_signal(const char *cmd, struct serve_opts *o, struct loaded *l) {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the server's threads inherit this */
    signal(SIGPIPE, SIG_IGN);
    struct pat_server *srv = NULL;
    struct pat_err err = {0};
    if (pat_serve_start(&o->srv, l->m, l->n, &srv, &err) != PAT_OK) return cli_report(cmd, &err);
    char extra[256];
    snprintf(extra, sizeof extra, ",\"url\":\"http://%s%s%s:%u/\",\"models\":%zu,\"threads\":%zu",
             strchr(o->srv.host, ':') && o->srv.host[0] != '[' ? "[" : "", o->srv.host,
             strchr(o->srv.host, ':') && o->srv.host[0] != '[' ? "]" : "",
             pat_serve_port(srv), l->n, o->srv.threads);
    log_event(o->srv.log ? o->srv.log : stderr, "listening", extra);
    int sig = 0;
    sigwait(&stop, &sig);
    snprintf(extra, sizeof extra, ",\"signal\":\"%s\"", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    log_event(o->srv.log ? o->srv.log : stderr, "draining", extra);
    size_t left = pat_serve_stop(srv, o->drain_s);
    snprintf(extra, sizeof extra, ",\"cut_short\":%zu", left);
    log_event(o->srv.log ? o->srv.log : stderr, "stopped", extra);
    return left ? EXIT_FAILURE_OTHER : EXIT_OK;
}

int cmd_serve(int argc, char **argv) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct serve_opts o = {.srv = {.host = "127.0.0.1", .port = 8080,
                                   .threads = cores > 0 ? (size_t)cores : 1, .max_queue = 64, .request_threads = 1,
                                   .max_body = (size_t)32 << 20, .max_row = 40320,
                                   .max_connections = 256, .timeout_s = 10,
                                   .max_request_s = 60, .log = stderr},
                           .drain_s = 30};
    int rc = parse_serve_opts(argc, argv, &o);
    if (rc >= 0) return rc;
    if (!pat_serve_available()) {
        struct pat_err err = {0};
        struct pat_server *none = NULL;
        pat_serve_start(&o.srv, NULL, 0, &none, &err);
        return cli_report(argv[0], &err);
    }
    struct loaded l;
    memset(&l, 0, sizeof l);
    rc = load_models(argv[0], &o, &l);
    if (rc < 0) rc = serve_until_signal(argv[0], &o, &l);
    for (size_t i = 0; i < l.n; i++) pat_model_free(l.models[i]);
    return rc;
}
