/* api.c - routing and answers of pat serve (see api.h). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report/json.h"
#include "score/recipe.h"
#include "serve/body.h"
#include "serve/score.h"
#include "util.h"

double serve_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int serve_state_init(struct serve_state *s, const struct serve_model *models, size_t n,
                     size_t slots, size_t max_queue, size_t max_row, int request_threads) {
    memset(s, 0, sizeof *s);
    s->models = models;
    s->num_models = n;
    s->max_row = max_row;
    s->request_threads = request_threads;
    /* The library's thread pool is process-wide and runs one computation's
     * job at a time (others run on their own thread, nn/pool.h): the
     * setting per computation is the pool's width. */
    if (request_threads > 0) pat_set_threads((size_t)request_threads);
    s->cores = (int)pat_threads();
    s->t_start = serve_now();
    if (!serve_gate_init(&s->gate, slots, max_queue)) return 0;
    if (!serve_metrics_init(&s->metrics)) {
        serve_gate_destroy(&s->gate);
        return 0;
    }
    return 1;
}

void serve_state_destroy(struct serve_state *s) {
    serve_metrics_destroy(&s->metrics);
    serve_gate_destroy(&s->gate);
}

void serve_response_free(struct serve_response *r) {
    if (!r->body_static) free(r->body);
    r->body = NULL;
}

/* ---- building answers ------------------------------------------------ */

/* A memory stream the answer is printed into. */
struct membuf {
    FILE *f;
    char *buf;
    size_t len;
};

static int membuf_open(struct membuf *b) {
    b->buf = NULL;
    b->len = 0;
    b->f = open_memstream(&b->buf, &b->len);
    return b->f != NULL;
}

/* Close the stream and hand its text to r; 0 when out of memory. */
static int membuf_finish(struct membuf *b, struct serve_response *r, unsigned code,
                         const char *content_type) {
    int bad = ferror(b->f);
    if (fclose(b->f) != 0 || bad) {
        free(b->buf);
        return 0;
    }
    r->code = code;
    r->content_type = content_type;
    r->body = b->buf;
    r->len = b->len;
    r->body_static = 0;
    return 1;
}

static void set_static(struct serve_response *r, unsigned code, const char *type,
                       const char *body) {
    r->code = code;
    r->content_type = type;
    r->body = (char *)body;
    r->len = strlen(body);
    r->body_static = 1;
}

void serve_error(struct serve_response *r, unsigned code, const char *message) {
    struct membuf b;
    if (membuf_open(&b)) {
        struct pat_jw w;
        pat_jw_init(&w, b.f, 0);
        pat_jw_object_begin(&w);
        pat_jw_key_string(&w, "error", message);
        pat_jw_key_uint(&w, "status", code);
        pat_jw_object_end(&w);
        fputc('\n', b.f);
        if (membuf_finish(&b, r, code, "application/json")) return;
    }
    set_static(r, code, "application/json", "{\"error\": \"out of memory\"}\n");
}

/* ---- endpoints ------------------------------------------------------- */

static void get_healthz(const struct serve_state *s, struct serve_response *r) {
    struct membuf b;
    if (!membuf_open(&b)) {
        serve_error(r, 503, "out of memory");
        return;
    }
    fprintf(b.f, "{\"status\": \"ok\", \"models\": %zu}\n", s->num_models);
    if (!membuf_finish(&b, r, 200, "application/json")) serve_error(r, 503, "out of memory");
}

static void get_metrics(struct serve_state *s, struct serve_response *r) {
    struct serve_gauges g = {.max_running = s->gate.slots, .max_waiting = s->gate.max_queue,
                             .models = s->num_models, .uptime_s = serve_now() - s->t_start};
    serve_gate_counts(&s->gate, &g.running, &g.waiting);
    struct membuf b;
    if (!membuf_open(&b)) {
        serve_error(r, 503, "out of memory");
        return;
    }
    serve_metrics_render(&s->metrics, &g, b.f);
    if (!membuf_finish(&b, r, 200, "text/plain; version=0.0.4; charset=utf-8"))
        serve_error(r, 503, "out of memory");
}

static enum pat_status recipe_kv(void *ctx, const char *key, const char *value,
                                 struct pat_err *err) {
    (void)err;
    pat_jw_key_string(ctx, key + strlen(PAT_RECIPE_PREFIX), value);
    return PAT_OK;
}

/* "recipe": the model's input recipe (pat.recipe.*), or null. */
static void recipe_json(struct pat_jw *w, const struct pat_model *m) {
    struct pat_recipe rc;
    int found = 0;
    pat_jw_key(w, "recipe");
    if (pat_recipe_from_model(m, &rc, &found, NULL) != PAT_OK || !found) {
        pat_jw_null(w);
        return;
    }
    pat_jw_object_begin(w);
    pat_recipe_each(&rc, recipe_kv, w, NULL);
    pat_jw_object_end(w);
}

static void model_json(struct pat_jw *w, const struct serve_model *sm) {
    const struct pat_config *c = pat_model_config(sm->model);
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "name", sm->name);
    pat_jw_key_string(w, "architecture", pat_config_name(c));
    pat_jw_key_uint(w, "patch_size", c->patch_size);
    pat_jw_key_uint(w, "embed_dim", c->embed_dim);
    pat_jw_key_bool(w, "head", pat_model_has_head(sm->model));
    pat_jw_key(w, "sequence_length");
    if (pat_model_scaler_len(sm->model)) pat_jw_uint(w, pat_model_scaler_len(sm->model));
    else pat_jw_null(w);
    pat_jw_key_string(w, "input_transform", pat_model_input_transform(sm->model));
    pat_jw_key_uint(w, "parameters", pat_model_num_params(sm->model));
    pat_jw_key(w, "endpoints");
    pat_jw_array_begin(w);
    if (pat_model_has_head(sm->model)) pat_jw_string(w, "predict");
    pat_jw_string(w, "embed");
    pat_jw_string(w, "explain");
    if (serve_score_ready(sm->model)) pat_jw_string(w, "score");
    pat_jw_array_end(w);
    recipe_json(w, sm->model);
    pat_jw_object_end(w);
}

static void get_models(const struct serve_state *s, struct serve_response *r) {
    struct membuf b;
    if (!membuf_open(&b)) {
        serve_error(r, 503, "out of memory");
        return;
    }
    struct pat_jw w;
    pat_jw_init(&w, b.f, 2);
    pat_jw_object_begin(&w);
    pat_jw_key(&w, "models");
    pat_jw_array_begin(&w);
    for (size_t i = 0; i < s->num_models; i++) model_json(&w, &s->models[i]);
    pat_jw_array_end(&w);
    pat_jw_object_end(&w);
    struct pat_err err = {0};
    enum pat_status st = pat_jw_finish(&w, &err);
    if (!membuf_finish(&b, r, 200, "application/json")) {
        serve_error(r, 503, "out of memory");
        return;
    }
    if (st != PAT_OK) {
        serve_response_free(r);
        serve_error(r, 500, err.msg);
    }
}

/* ---- model calls ----------------------------------------------------- */

enum action { ACT_PREDICT, ACT_EMBED, ACT_EXPLAIN, ACT_SCORE };

static const char *const action_names[] = {"predict", "embed", "explain", "score"};
static const char *const result_keys[] = {"predictions", "embeddings", "explanations"};

static size_t result_width(enum action a, const struct pat_model *m, size_t T) {
    const struct pat_config *c = pat_model_config(m);
    if (a == ACT_EMBED) return c->embed_dim;
    if (a == ACT_PREDICT) return 1;
    return T / c->patch_size;
}

static unsigned status_code(enum pat_status st) {
    switch (st) {
    case PAT_ERR_USAGE:
    case PAT_ERR_FORMAT:
    case PAT_ERR_NUMERIC: return 400;
    case PAT_ERR_NOMEM: return 503;
    default: return 500;
    }
}

static enum pat_status compute(const struct serve_state *s, size_t running, enum action a,
                               const struct pat_model *m, const struct serve_rows *x,
                               float *out, struct pat_err *err) {
    (void)s, (void)running;
    if (a == ACT_PREDICT) return pat_predict(m, x->v, x->rows, x->cols, out, err);
    if (a == ACT_EMBED) return pat_embed(m, x->v, x->rows, x->cols, out, err);
    return pat_explain(m, x->v, x->rows, x->cols, out, err);
}

static int wants_csv(const struct serve_request *q) {
    if (q->format) return strcasecmp(q->format, "csv") == 0;
    return q->accept && strstr(q->accept, "text/csv") && !strstr(q->accept, "json");
}

/* The CLI's output: one CSV line per row, %.9g; or the same numbers in JSON. */
static void write_results(const struct serve_request *q, const char *name, enum action a,
                          const float *res, size_t rows, size_t width,
                          struct serve_response *r) {
    const int csv = wants_csv(q);
    struct membuf b;
    if (!membuf_open(&b)) {
        serve_error(r, 503, "out of memory");
        return;
    }
    if (!csv) fprintf(b.f, "{\"model\": \"%s\", \"rows\": %zu, \"%s\": [", name, rows, result_keys[a]);
    for (size_t i = 0; i < rows; i++) {
        const float *v = res + i * width;
        if (!csv) fputs(i ? (a == ACT_PREDICT ? ", " : ",\n  [") : (a == ACT_PREDICT ? "" : "\n  ["), b.f);
        for (size_t j = 0; j < width; j++)
            fprintf(b.f, j ? (csv ? ",%.9g" : ", %.9g") : "%.9g", (double)v[j]);
        if (csv) fputc('\n', b.f);
        else if (a != ACT_PREDICT) fputc(']', b.f);
    }
    if (!csv) fputs(a == ACT_PREDICT ? "]}\n" : "\n]}\n", b.f);
    if (!membuf_finish(&b, r, 200, csv ? "text/csv" : "application/json"))
        serve_error(r, 503, "out of memory");
}

/* The body's rows, or an error answer (0). */
static int read_rows(const struct serve_state *s, const struct serve_request *q,
                     const struct serve_model *sm, enum action a, struct serve_rows *x,
                     struct serve_response *r) {
    struct pat_err err = {0};
    int too_long = 0;
    enum pat_status st = serve_parse_rows(q->content_type, q->body, q->body_len, s->max_row, x,
                                          &too_long, &err);
    if (st != PAT_OK) {
        serve_error(r, too_long ? 413 : status_code(st), err.msg);
        return 0;
    }
    if (a == ACT_PREDICT && !pat_model_has_head(sm->model)) {
        serve_rows_free(x);
        snprintf(err.msg, sizeof err.msg,
                 "model '%s' has no classification head (an encoder only): fine-tune it first",
                 sm->name);
        serve_error(r, 400, err.msg);
        return 0;
    }
    return 1;
}

/* Take a computation slot, or answer 429 (0). */
static int enter_gate(struct serve_state *s, size_t *running, struct serve_response *r) {
    if (serve_gate_enter(&s->gate, running)) return 1;
    serve_error(r, 429, "too many requests: every worker is busy and the queue is full");
    r->retry_after = 1;
    return 0;
}

static void run_model(struct serve_state *s, const struct serve_request *q,
                      const struct serve_model *sm, enum action a, struct serve_response *r) {
    struct serve_rows x = {0};
    if (!read_rows(s, q, sm, a, &x, r)) return;
    size_t width = result_width(a, sm->model, x.cols), n, running = 0;
    float *res = pat_mul_size(x.rows, width ? width : 1, &n) ? malloc(n * sizeof *res) : NULL;
    if (!res) {
        serve_error(r, 503, "out of memory for the results");
    } else if (enter_gate(s, &running, r)) {
        struct pat_err err = {0};
        enum pat_status st = compute(s, running, a, sm->model, &x, res, &err);
        serve_gate_leave(&s->gate);
        if (st == PAT_OK) {
            write_results(q, sm->name, a, res, x.rows, width, r);
            r->rows = x.rows;
        } else {
            serve_error(r, status_code(st), err.msg);
        }
    }
    free(res);
    serve_rows_free(&x);
}

enum serve_endpoint serve_endpoint_of(const char *path) {
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) return EP_PAGE;
    if (strcmp(path, "/healthz") == 0) return EP_HEALTHZ;
    if (strcmp(path, "/metrics") == 0) return EP_METRICS;
    if (strcmp(path, "/v1/models") == 0) return EP_MODELS;
    const char *slash = strncmp(path, "/v1/models/", 11) == 0 ? strchr(path + 11, '/') : NULL;
    for (int i = 0; slash && i < 4; i++)
        if (strcmp(slash + 1, action_names[i]) == 0) return (enum serve_endpoint)(EP_PREDICT + i);
    return EP_OTHER;
}

/* A recording in the body -> pat score's rows or chart (serve/score.h). */
static void run_score(struct serve_state *s, const struct serve_request *q,
                      const struct serve_model *sm, struct serve_response *r) {
    struct serve_score_query sq = {sm->name, sm->path, q->file_name, q->input, q->participant,
                                   SCORE_JSON};
    const char *type = "application/json";
    if (q->chart && strcasecmp(q->chart, "svg") == 0) sq.output = SCORE_SVG, type = "image/svg+xml";
    else if (wants_csv(q)) sq.output = SCORE_CSV, type = "text/csv";
    struct pat_err err = {0};
    size_t running = 0;
    if (!enter_gate(s, &running, r)) return;
    char *out = NULL;
    size_t len = 0;
    enum pat_status st = serve_score(sm->model, &sq, q->body, q->body_len, &out, &len, &err);
    serve_gate_leave(&s->gate);
    if (st != PAT_OK) {
        serve_error(r, st == PAT_ERR_IO ? 500 : status_code(st), err.msg);
        return;
    }
    r->code = 200;
    r->content_type = type;
    r->body = out;
    r->len = len;
}

/* /v1/models/NAME/ACTION */
static void route_model(struct serve_state *s, const struct serve_request *q, const char *rest,
                        struct serve_response *r) {
    const char *slash = strchr(rest, '/');
    if (!slash) {
        serve_error(r, 404, "no such endpoint: use /v1/models/NAME/predict, /embed, "
                            "/explain or /score");
        return;
    }
    size_t len = (size_t)(slash - rest);
    const struct serve_model *sm = NULL;
    for (size_t i = 0; i < s->num_models; i++)
        if (strlen(s->models[i].name) == len && memcmp(s->models[i].name, rest, len) == 0)
            sm = &s->models[i];
    int act = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(slash + 1, action_names[i]) == 0) act = i;
    r->ep = act < 0 ? EP_OTHER : (enum serve_endpoint)(EP_PREDICT + act);
    if (act < 0) {
        serve_error(r, 404, "no such endpoint: use /v1/models/NAME/predict, /embed, "
                            "/explain or /score");
        return;
    }
    if (!sm) {
        char msg[200];
        snprintf(msg, sizeof msg, "no model called '%.*s' (GET /v1/models lists them)",
                 (int)(len > 64 ? 64 : len), rest);
        serve_error(r, 404, msg);
        return;
    }
    if (strcmp(q->method, "POST") != 0) {
        r->allow = "POST";
        serve_error(r, 405, "use POST with the body to compute on");
        return;
    }
    if (act == ACT_SCORE) run_score(s, q, sm, r);
    else run_model(s, q, sm, (enum action)act, r);
}

/* A GET-only resource: 405 for other methods (HEAD is answered as GET). */
static int get_only(const struct serve_request *q, struct serve_response *r) {
    if (strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0) return 1;
    r->allow = "GET, HEAD";
    serve_error(r, 405, "method not allowed (use GET)");
    return 0;
}

void serve_handle(struct serve_state *s, const struct serve_request *q,
                  struct serve_response *r) {
    memset(r, 0, sizeof *r);
    r->ep = EP_OTHER;
    const char *p = q->path;
    if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0) {
        r->ep = EP_PAGE;
        if (!get_only(q, r)) return;
        r->code = 200;
        r->content_type = "text/html; charset=utf-8";
        r->body = (char *)serve_page_html;
        r->len = serve_page_html_len;
        r->body_static = 1;
    } else if (strcmp(p, "/healthz") == 0) {
        r->ep = EP_HEALTHZ;
        if (get_only(q, r)) get_healthz(s, r);
    } else if (strcmp(p, "/metrics") == 0) {
        r->ep = EP_METRICS;
        if (get_only(q, r)) get_metrics(s, r);
    } else if (strcmp(p, "/v1/models") == 0) {
        r->ep = EP_MODELS;
        if (get_only(q, r)) get_models(s, r);
    } else if (strncmp(p, "/v1/models/", 11) == 0) {
        route_model(s, q, p + 11, r);
    } else {
        serve_error(r, 404, "no such endpoint (see docs/serve.md)");
    }
}
