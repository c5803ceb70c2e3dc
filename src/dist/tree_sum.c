/* tree_sum.c - the batch gradient sum with a fixed dyadic tree (see tree_sum.h). */
#include "dist/tree_sum.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void pat_tree_sum_init(struct pat_tree_sum *s, size_t len) {
    memset(s, 0, sizeof *s);
    s->len = len;
}

static void release(struct pat_tree_sum *s, const struct pat_tree_sum_node *x) {
    if (x->pooled) s->pool[s->npool++] = x->v;
}

void pat_tree_sum_reset(struct pat_tree_sum *s) {
    for (size_t i = 0; i < s->n; i++) release(s, &s->node[i]);
    s->n = 0;
}

void pat_tree_sum_free(struct pat_tree_sum *s) {
    pat_tree_sum_reset(s);
    for (size_t i = 0; i < s->npool; i++) free(s->pool[i]);
    s->npool = 0;
}

/* lower and [start, start + size) are the two halves of one tree node. */
static int siblings(size_t lo_start, size_t lo_size, size_t start, size_t size) {
    return lo_size == size && size <= SIZE_MAX / 2 && lo_start + size == start &&
           lo_start % (2 * size) == 0;
}

static void add_into(float *restrict a, const float *restrict b, size_t n) {
    for (size_t i = 0; i < n; i++) a[i] += b[i];
}

/* Push x, adding it to its left sibling while the two complete a node. */
static void push(struct pat_tree_sum *s, struct pat_tree_sum_node x) {
    while (s->n && siblings(s->node[s->n - 1].start, s->node[s->n - 1].size, x.start, x.size)) {
        struct pat_tree_sum_node *low = &s->node[s->n - 1];
        add_into(low->v, x.v, s->len); /* left + right (addition commutes bitwise) */
        release(s, &x);
        x = *low;
        x.size *= 2;
        s->n--;
    }
    s->node[s->n++] = x;
}

enum pat_status pat_tree_sum_add(struct pat_tree_sum *s, size_t pos, const float *v,
                             struct pat_err *err) {
    if (s->n && siblings(s->node[s->n - 1].start, s->node[s->n - 1].size, pos, 1)) {
        struct pat_tree_sum_node x = s->node[--s->n]; /* leaf joins its left sibling directly */
        add_into(x.v, v, s->len);
        x.size = 2;
        push(s, x);
        return PAT_OK;
    }
    return pat_tree_sum_add_subtree(s, pos, 1, v, err);
}

enum pat_status pat_tree_sum_add_subtree(struct pat_tree_sum *s, size_t start, size_t size,
                                     const float *v, struct pat_err *err) {
    if (s->n >= PAT_TREE_SUM_MAX - 1 || !size || (size & (size - 1)) || start % size)
        return pat_fail(err, PAT_ERR_USAGE, "gradient sum: leaves [%zu, %zu) are not the next "
                        "aligned subtree", start, start + size);
    float *buf = s->npool ? s->pool[--s->npool] : malloc((s->len ? s->len : 1) * sizeof *buf);
    if (!buf) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the gradient sum");
    memcpy(buf, v, s->len * sizeof *buf);
    push(s, (struct pat_tree_sum_node){start, size, buf, 1});
    return PAT_OK;
}

void pat_tree_sum_fold(const struct pat_tree_sum *s, float *out) {
    if (!s->n) {
        memset(out, 0, s->len * sizeof *out);
        return;
    }
    memcpy(out, s->node[s->n - 1].v, s->len * sizeof *out);
    for (size_t j = s->n - 1; j-- > 0;) add_into(out, s->node[j].v, s->len);
}

/* Subtrees a rank holding leaves [lo, hi) ends with: starts and sizes
 * (PAT_TREE_SUM_MAX each); returns their number. */
static size_t shape(size_t lo, size_t hi, size_t *starts, size_t *sizes) {
    size_t n = 0;
    for (size_t i = lo; i < hi; i++) {
        size_t st = i, sz = 1;
        while (n && siblings(starts[n - 1], sizes[n - 1], st, sz)) st = starts[--n], sz *= 2;
        starts[n] = st, sizes[n] = sz, n++;
    }
    return n;
}

size_t pat_tree_sum_count(size_t lo, size_t hi) {
    size_t starts[PAT_TREE_SUM_MAX], sizes[PAT_TREE_SUM_MAX];
    return shape(lo, hi, starts, sizes);
}

struct exchange {
    size_t *starts, *sizes, *count;   /* every rank's subtrees */
    size_t *send_bytes, *recv_bytes;  /* per rank */
    float *send, *recv;
};

static void exchange_free(struct exchange *x) {
    free(x->starts), free(x->sizes), free(x->count);
    free(x->send_bytes), free(x->recv_bytes), free(x->send), free(x->recv);
}

/* Every rank's subtrees (the same on every rank: they follow from the
 * shares) and this rank's send buffer: slice q of each subtree for rank q. */
static enum pat_status exchange_plan(struct exchange *x, const struct pat_tree_sum *s,
                                     const struct pat_dist *d, size_t total,
                                     struct pat_err *err) {
    const size_t N = (size_t)d->size, me = (size_t)d->rank, len = s->len;
    x->starts = calloc(N * PAT_TREE_SUM_MAX, sizeof *x->starts);
    x->sizes = calloc(N * PAT_TREE_SUM_MAX, sizeof *x->sizes);
    x->count = calloc(N, sizeof *x->count);
    x->send_bytes = calloc(N, sizeof *x->send_bytes);
    x->recv_bytes = calloc(N, sizeof *x->recv_bytes);
    size_t send_n, mine_lo, mine_hi;
    pat_dist_share(d, d->rank, len, 1, &mine_lo, &mine_hi);
    if (!x->starts || !x->sizes || !x->count || !x->send_bytes || !x->recv_bytes ||
        !pat_mul_size(s->n, len, &send_n))
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the gradient exchange");
    size_t recv_n = 0;
    for (size_t q = 0; q < N; q++) {
        size_t lo, hi, plo, phi;
        pat_dist_share(d, (int)q, total, 1, &lo, &hi);
        x->count[q] = shape(lo, hi, x->starts + q * PAT_TREE_SUM_MAX, x->sizes + q * PAT_TREE_SUM_MAX);
        pat_dist_share(d, (int)q, len, 1, &plo, &phi);
        x->send_bytes[q] = s->n * (phi - plo) * sizeof(float);
        x->recv_bytes[q] = x->count[q] * (mine_hi - mine_lo) * sizeof(float);
        recv_n += x->count[q] * (mine_hi - mine_lo);
    }
    if (x->count[me] != s->n)
        return pat_fail(err, PAT_ERR_USAGE, "gradient sum: rank %d holds %zu subtrees, its "
                        "share of %zu leaves makes %zu", d->rank, s->n, total, x->count[me]);
    x->send = malloc((send_n ? send_n : 1) * sizeof *x->send);
    x->recv = malloc((recv_n ? recv_n : 1) * sizeof *x->recv);
    if (!x->send || !x->recv)
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the gradient exchange");
    float *p = x->send;
    for (size_t q = 0; q < N; q++) {
        size_t plo, phi;
        pat_dist_share(d, (int)q, len, 1, &plo, &phi);
        for (size_t j = 0; j < s->n; j++, p += phi - plo)
            memcpy(p, s->node[j].v + plo, (phi - plo) * sizeof *p);
    }
    return PAT_OK;
}

enum pat_status pat_tree_sum_combine(struct pat_tree_sum *s, const struct pat_dist *d, size_t total,
                                 float *out, size_t *bytes_sent, struct pat_err *err) {
    if (bytes_sent) *bytes_sent = 0;
    if (pat_dist_ranks(d) == 1) {
        pat_tree_sum_fold(s, out);
        return PAT_OK;
    }
    struct exchange x = {0};
    enum pat_status st = exchange_plan(&x, s, d, total, err);
    if (st == PAT_OK) st = pat_dist_alltoall(d, x.send, x.send_bytes, x.recv, x.recv_bytes, err);
    if (st == PAT_OK) { /* finish the tree on this rank's slice, leaf order */
        size_t plo, phi;
        pat_dist_share(d, d->rank, s->len, 1, &plo, &phi);
        struct pat_tree_sum t;
        pat_tree_sum_init(&t, phi - plo);
        float *v = x.recv;
        for (size_t q = 0; q < (size_t)d->size; q++)
            for (size_t j = 0; j < x.count[q]; j++, v += phi - plo)
                push(&t, (struct pat_tree_sum_node){x.starts[q * PAT_TREE_SUM_MAX + j],
                                                x.sizes[q * PAT_TREE_SUM_MAX + j], v, 0});
        pat_tree_sum_fold(&t, out + plo);
        pat_tree_sum_free(&t);
        st = pat_dist_allgather_shares(d, out, s->len, 1, sizeof *out, err);
        if (st == PAT_OK && bytes_sent) {
            for (size_t q = 0; q < (size_t)d->size; q++)
                if (q != (size_t)d->rank) *bytes_sent += x.send_bytes[q];
            *bytes_sent += (phi - plo) * sizeof *out * (size_t)(d->size - 1);
        }
    }
    exchange_free(&x);
    return st;
}
