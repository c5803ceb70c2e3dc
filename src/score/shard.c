/* shard.c - pieces of a pat score result as bytes, and merged (shard.h).
 *
 * Layout: a header of 64-bit words (magic, np, nw, T, N, has attention,
 * has values); per participant its struct (pointers zeroed), then its id
 * and source with their NULs, each after a 64-bit length; the nw window
 * structs; nw * N attention floats; nw * T value floats. */
#include "score/shard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SHARD_MAGIC 0x3152435354415001ULL

struct header {
    uint64_t magic, np, nw, T, N, attention, values;
};

/* ---- packing ------------------------------------------------------------- */

static int add(size_t *total, size_t a) { return pat_add_size(*total, a, total); }

/* Bytes of a packed result; 0 on overflow. */
static size_t packed_size(const struct pat_score_result *r) {
    size_t total = sizeof(struct header), n;
    int ok = 1;
    for (size_t i = 0; ok && i < r->np; i++)
        ok = add(&total, sizeof r->p[i] + 2 * sizeof(uint64_t)) &&
             add(&total, strlen(r->p[i].id) + 1) && add(&total, strlen(r->p[i].source) + 1);
    ok = ok && pat_mul_size(r->nw, sizeof *r->w, &n) && add(&total, n);
    if (r->attention) ok = ok && pat_mul_size(r->nw, r->N * sizeof(float), &n) && add(&total, n);
    if (r->values) ok = ok && pat_mul_size(r->nw, r->T * sizeof(float), &n) && add(&total, n);
    return ok ? total : 0;
}

static unsigned char *put(unsigned char *o, const void *src, size_t n) {
    if (n) memcpy(o, src, n);
    return o + n;
}

static unsigned char *put_string(unsigned char *o, const char *s) {
    uint64_t len = strlen(s) + 1;
    o = put(o, &len, sizeof len);
    return put(o, s, (size_t)len);
}

/* A window field by field: its padding bytes are zeros, not whatever the
 * memory held, so equal results pack to equal bytes. */
static unsigned char *put_window(unsigned char *o, const struct pat_score_window *w) {
    struct pat_score_window z;
    memset(&z, 0, sizeof z);
    z.participant = w->participant, z.start = w->start, z.valid = w->valid;
    z.valid_days = w->valid_days, z.probability = w->probability;
    return put(o, &z, sizeof z);
}

enum pat_status pat_score_result_pack(const struct pat_score_result *r, unsigned char **buf,
                                      size_t *bytes, struct pat_err *err) {
    *buf = NULL, *bytes = 0;
    size_t total = packed_size(r);
    unsigned char *o = total ? malloc(total) : NULL;
    if (!o) return pat_fail(err, PAT_ERR_NOMEM, "out of memory packing %zu scored participants",
                            r->np);
    struct header h = {SHARD_MAGIC, r->np, r->nw, r->T, r->N, r->attention != NULL,
                       r->values != NULL};
    unsigned char *at = put(o, &h, sizeof h);
    for (size_t i = 0; i < r->np; i++) {
        struct pat_score_participant p;
        memcpy(&p, &r->p[i], sizeof p);
        p.id = p.source = NULL;
        at = put(at, &p, sizeof p);
        at = put_string(at, r->p[i].id);
        at = put_string(at, r->p[i].source);
    }
    for (size_t k = 0; k < r->nw; k++) at = put_window(at, &r->w[k]);
    if (r->attention) at = put(at, r->attention, r->nw * r->N * sizeof(float));
    if (r->values) put(at, r->values, r->nw * r->T * sizeof(float));
    *buf = o, *bytes = total;
    return PAT_OK;
}

/* ---- reading a packed piece in place --------------------------------------- */

struct piece {
    struct header h;
    struct pat_score_participant *p; /* id and source NULL: see id, source */
    const char **id, **source;
    const unsigned char *w, *attention, *values; /* in the buffer */
};

struct cursor {
    const unsigned char *at;
    size_t left;
};

static const unsigned char *take(struct cursor *c, size_t n) {
    if (n > c->left) return NULL;
    const unsigned char *p = c->at;
    c->at += n, c->left -= n;
    return p;
}

static const char *take_string(struct cursor *c) {
    uint64_t len;
    const unsigned char *p = take(c, sizeof len);
    if (!p) return NULL;
    memcpy(&len, p, sizeof len);
    if (len == 0 || len > c->left || c->at[len - 1] != '\0') return NULL;
    return (const char *)take(c, (size_t)len);
}

/* The array part of n items of `each` bytes; NULL when short. */
static const unsigned char *take_array(struct cursor *c, uint64_t n, size_t each) {
    size_t bytes;
    if (n > SIZE_MAX || !pat_mul_size((size_t)n, each, &bytes)) return NULL;
    return take(c, bytes);
}

static enum pat_status read_piece(const unsigned char *buf, size_t bytes, size_t which,
                                  struct piece *pc, struct pat_err *err) {
    struct cursor c = {buf, bytes};
    const unsigned char *h = take(&c, sizeof pc->h);
    if (h) memcpy(&pc->h, h, sizeof pc->h);
    if (!h || pc->h.magic != SHARD_MAGIC || pc->h.np > c.left ||
        pc->h.T > SIZE_MAX / sizeof(float) || pc->h.N > SIZE_MAX / sizeof(float))
        return pat_fail(err, PAT_ERR_FORMAT, "scored piece %zu is not a packed result", which);
    size_t np = (size_t)pc->h.np;
    pc->p = pat_calloc(np ? np : 1, sizeof *pc->p);
    pc->id = pat_calloc(np ? np : 1, sizeof *pc->id);
    pc->source = pat_calloc(np ? np : 1, sizeof *pc->source);
    if (!pc->p || !pc->id || !pc->source) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < np; i++) {
        const unsigned char *p = take(&c, sizeof *pc->p);
        if (p) memcpy(&pc->p[i], p, sizeof *pc->p);
        if (!p || !(pc->id[i] = take_string(&c)) || !(pc->source[i] = take_string(&c)) ||
            pc->p[i].first_window > pc->h.nw || pc->p[i].windows > pc->h.nw - pc->p[i].first_window)
            return pat_fail(err, PAT_ERR_FORMAT, "scored piece %zu: participant %zu is damaged",
                            which, i + 1);
    }
    pc->w = take_array(&c, pc->h.nw, sizeof(struct pat_score_window));
    pc->attention = pc->h.attention ? take_array(&c, pc->h.nw, (size_t)pc->h.N * sizeof(float))
                                    : c.at;
    pc->values = pc->h.values ? take_array(&c, pc->h.nw, (size_t)pc->h.T * sizeof(float)) : c.at;
    if (!pc->w || !pc->attention || !pc->values || c.left)
        return pat_fail(err, PAT_ERR_FORMAT, "scored piece %zu has %zu bytes too %s", which,
                        c.left, c.left ? "many" : "few");
    return PAT_OK;
}

static void piece_free(struct piece *pc) {
    free(pc->p), free(pc->id), free(pc->source);
}

/* ---- merging --------------------------------------------------------------- */

struct ref {
    size_t path, ordinal, piece, index;
};

static int ref_cmp(const void *a, const void *b) {
    const struct ref *x = a, *y = b;
    if (x->path != y->path) return x->path < y->path ? -1 : 1;
    if (x->ordinal != y->ordinal) return x->ordinal < y->ordinal ? -1 : 1;
    return 0;
}

/* Every participant of the pieces, in row order; *np, *nw their totals. */
static enum pat_status order_refs(const struct piece *pcs, size_t n, struct ref **refs,
                                  size_t *np, size_t *nw, struct pat_err *err) {
    *np = *nw = 0;
    for (size_t i = 0; i < n; i++) *np += (size_t)pcs[i].h.np, *nw += (size_t)pcs[i].h.nw;
    struct ref *r = pat_calloc(*np ? *np : 1, sizeof *r);
    if (!r) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < (size_t)pcs[i].h.np; j++)
            r[k++] = (struct ref){pcs[i].p[j].path, pcs[i].p[j].ordinal, i, j};
    qsort(r, *np, sizeof *r, ref_cmp);
    for (k = 1; k < *np; k++)
        if (ref_cmp(&r[k - 1], &r[k]) == 0) {
            const size_t ordinal = r[k].ordinal, path = r[k].path;
            free(r);
            return pat_fail(err, PAT_ERR_FORMAT, "participant %zu of input %zu was scored twice",
                            ordinal + 1, path + 1);
        }
    *refs = r;
    return PAT_OK;
}

static enum pat_status alloc_merged(struct pat_score_result *out, const struct header *h,
                                    size_t np, size_t nw, struct pat_err *err) {
    size_t T = (size_t)h->T, N = (size_t)h->N;
    out->T = T, out->N = N;
    out->p = pat_calloc(np ? np : 1, sizeof *out->p);
    out->w = pat_calloc(nw ? nw : 1, sizeof *out->w);
    if (h->attention) out->attention = pat_calloc(nw && N ? nw : 1, (N ? N : 1) * sizeof(float));
    if (h->values) out->values = pat_calloc(nw && T ? nw : 1, (T ? T : 1) * sizeof(float));
    out->pcap = np ? np : 1, out->wcap = nw ? nw : 1;
    if (!out->p || !out->w || (h->attention && !out->attention) || (h->values && !out->values))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory merging %zu scored participants", np);
    return PAT_OK;
}

/* Append participant `index` of piece pc, with its windows, to out. */
static enum pat_status append(struct pat_score_result *out, const struct piece *pc,
                              size_t index, struct pat_err *err) {
    struct pat_score_participant *o = &out->p[out->np];
    *o = pc->p[index];
    o->id = pat_strdup(pc->id[index]);
    o->source = pat_strdup(pc->source[index]);
    if (!o->id || !o->source) {
        free(o->id), free(o->source);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    size_t first = o->first_window, T = out->T, N = out->N;
    o->first_window = out->nw;
    for (size_t k = first; k < first + o->windows; k++, out->nw++) {
        memcpy(&out->w[out->nw], pc->w + k * sizeof *out->w, sizeof *out->w);
        out->w[out->nw].participant = out->np;
        if (out->attention)
            memcpy(out->attention + out->nw * N, pc->attention + k * N * sizeof(float),
                   N * sizeof(float));
        if (out->values)
            memcpy(out->values + out->nw * T, pc->values + k * T * sizeof(float),
                   T * sizeof(float));
    }
    out->np++;
    return PAT_OK;
}

static enum pat_status merge_pieces(const struct piece *pcs, size_t n,
                                    struct pat_score_result *out, struct pat_err *err) {
    for (size_t i = 1; i < n; i++)
        if (pcs[i].h.T != pcs[0].h.T || pcs[i].h.N != pcs[0].h.N ||
            pcs[i].h.attention != pcs[0].h.attention || pcs[i].h.values != pcs[0].h.values)
            return pat_fail(err, PAT_ERR_FORMAT, "scored pieces 1 and %zu differ in their "
                            "windows or outputs", i + 1);
    struct ref *refs = NULL;
    size_t np, nw;
    enum pat_status st = order_refs(pcs, n, &refs, &np, &nw, err);
    if (st == PAT_OK) st = alloc_merged(out, &pcs[0].h, np, nw, err);
    for (size_t k = 0; st == PAT_OK && k < np; k++)
        st = append(out, &pcs[refs[k].piece], refs[k].index, err);
    free(refs);
    return st;
}

enum pat_status pat_score_result_merge(const unsigned char *const *bufs, const size_t *bytes,
                                       size_t n, struct pat_score_result *out,
                                       struct pat_err *err) {
    memset(out, 0, sizeof *out);
    if (n == 0) return pat_fail(err, PAT_ERR_USAGE, "no scored pieces to merge");
    struct piece *pcs = pat_calloc(n, sizeof *pcs);
    if (!pcs) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < n; i++) st = read_piece(bufs[i], bytes[i], i + 1, &pcs[i], err);
    if (st == PAT_OK) st = merge_pieces(pcs, n, out, err);
    for (size_t i = 0; i < n; i++) piece_free(&pcs[i]);
    free(pcs);
    if (st != PAT_OK) pat_score_result_free(out);
    return st;
}
