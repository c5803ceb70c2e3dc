/* pretrain_ckpt.c - pretraining checkpoints: one safetensors file holding
 * the MAE's weights (under their names), the optimizer moments, the best
 * epoch's weights, and in __metadata__ the step, the epoch, the learning
 * rate, the early-stopping and plateau state, the history and a fingerprint
 * of the run's parameters and data. Randomness is derived from (seed,
 * epoch, step), so this is everything needed to continue bit-identically. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/ckpt_meta.h"
#include "io/safetensors.h"
#include "train/pretrain_run.h"
#include "util.h"

#define CKPT_FORMAT "pat-pretrain-checkpoint-1"
#define CKPT_STATE 3 /* pretrain/m, pretrain/v, pretrain/best */

/* FNV-1a 64 over n bytes, continuing from h. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* A digest of a set's contents (rows in order, then its scaler): resuming
 * on other data of the same shape is refused (issue 12). One pass over the
 * rows per checkpoint, small next to an epoch. */
static uint64_t data_digest(const struct pat_pretrain_data *d) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < d->n; i++) h = fnv1a(h, d->rows[i], d->T * sizeof(float));
    if (d->mean) h = fnv1a(h, d->mean, d->T * sizeof(float));
    if (d->std) h = fnv1a(h, d->std, d->T * sizeof(float));
    return h;
}

void pretrain_fingerprint(const struct pretrain_run *r, char *buf, size_t len) {
    const struct pat_pretrain_params *p = r->p;
    const struct pat_config *c = &r->mae->cfg;
    snprintf(buf, len,
             "arch=%zu/%zu/%zu/%zu/%zu/%zu/%d mask=%.9g group=%zu unshuffle=%d loss=%d opt=%d "
             "lr=%.9g wd=%.9g clip=%.9g epochs=%zu batch=%zu seed=%" PRIu64 " dropout=%.9g "
             "shuffle=%d patience=%zu plateau=%.9g/%zu/%.9g train=%zux%zu%s val=%zu%s "
             "data=%016" PRIx64 "/%016" PRIx64,
             c->patch_size, c->embed_dim, c->num_heads, c->key_dim, c->ff_dim, c->num_layers,
             (int)c->embedding, (double)p->mask_ratio, p->mask_group, (int)p->unshuffle,
             (int)p->loss, (int)p->optimizer, p->lr, p->weight_decay, p->clip_norm, p->epochs,
             p->batch_size, p->seed, (double)p->dropout, p->shuffle, p->patience,
             p->plateau_factor, p->plateau_patience, p->plateau_min_lr, r->train->n, r->train->T,
             r->train->mean ? "+scaler" : "", r->val->n, r->val->mean ? "+scaler" : "",
             data_digest(r->train), data_digest(r->val));
}

/* One history line per epoch, fields separated by commas, lines by ';'. */
static char *history_text(const struct pat_pretrain_result *res) {
    size_t cap = 64 + res->num_epochs * 240, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < res->num_epochs; i++) {
        const struct pat_pretrain_log *h = &res->history[i];
        len += (size_t)snprintf(s + len, cap - len, "%s%zu,%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d",
                                i ? ";" : "", h->epoch, h->epochs, h->train_loss, h->val_loss,
                                h->lr, h->grad_norm, h->seconds, h->seq_per_s, h->improved);
    }
    return s;
}

static const char *const state_keys[] = {
    "pretrain.epoch", "pretrain.step", "pretrain.lr", "pretrain.es.best",
    "pretrain.es.best_epoch", "pretrain.es.wait", "pretrain.es.epoch", "pretrain.es.stopped",
    "pretrain.es.stopped_epoch", "pretrain.plateau.best", "pretrain.plateau.wait",
    "pretrain.plateau.cooldown"};
#define NUM_STATE_KEYS (sizeof state_keys / sizeof state_keys[0])

static void build_meta(const struct pretrain_run *r, struct meta_builder *b, char *fp,
                       size_t fplen) {
    b->n = 0;
    b->meta[b->n++] = (struct pat_st_meta){"pretrain.format", CKPT_FORMAT};
    pretrain_fingerprint(r, fp, fplen);
    b->meta[b->n++] = (struct pat_st_meta){"pretrain.fingerprint", fp};
    const double v[NUM_STATE_KEYS] = {
        (double)r->epoch, (double)r->opt.step, r->lr, r->es.best, (double)r->es.best_epoch,
        (double)r->es.wait, (double)r->es.epoch, (double)r->es.stopped,
        (double)r->es.stopped_epoch, r->plateau.best, (double)r->plateau.wait,
        (double)r->plateau.cooldown_counter};
    for (size_t i = 0; i < NUM_STATE_KEYS; i++) {
        if (i == 1) meta_u64(b, state_keys[i], r->opt.step);
        else meta_num(b, state_keys[i], v[i]);
    }
}

enum pat_status pretrain_checkpoint_save(const struct pretrain_run *r, const char *path,
                                         struct pat_err *err) {
    const struct pat_mae *a = r->mae;
    const size_t nt = a->num_tensors, n = a->num_params;
    struct pat_st_out *t = pat_calloc(nt + CKPT_STATE, sizeof *t);
    struct meta_builder *b = calloc(1, sizeof *b);
    char *hist = history_text(r->res), fp[1024];
    enum pat_status st;
    if (!t || !b || !hist) {
        st = pat_fail(err, PAT_ERR_NOMEM, "out of memory writing checkpoint %s", path);
    } else {
        for (size_t i = 0; i < nt; i++)
            t[i] = (struct pat_st_out){a->tensors[i].name, a->tensors[i].ndim,
                                       a->tensors[i].shape, a->params + a->tensors[i].offset};
        static const char *const names[CKPT_STATE] = {"pretrain/m", "pretrain/v", "pretrain/best"};
        const float *data[CKPT_STATE] = {r->opt.m, r->opt.v, r->best};
        for (size_t k = 0; k < CKPT_STATE; k++)
            t[nt + k] = (struct pat_st_out){names[k], 1, &n, data[k]};
        build_meta(r, b, fp, sizeof fp);
        b->meta[b->n++] = (struct pat_st_meta){"pretrain.history", hist};
        st = pat_st_write(path, t, nt + CKPT_STATE, b->meta, b->n, err);
    }
    free(t), free(b), free(hist);
    return st;
}

/* ---- loading ------------------------------------------------------------------ */

static const char *meta_find(const struct pat_st_file *f, const char *key) {
    for (size_t i = 0; i < f->num_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

static enum pat_status load_tensor(const struct pat_st_file *f, const char *path,
                                   const char *name, float *dst, size_t numel,
                                   struct pat_err *err) {
    for (size_t i = 0; i < f->num_tensors; i++) {
        if (strcmp(f->tensors[i].name, name) != 0) continue;
        if (f->tensors[i].numel != numel)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: checkpoint tensor %s has %zu values, expected %zu",
                            path, name, f->tensors[i].numel, numel);
        pat_st_tensor_copy(f, i, dst);
        return PAT_OK;
    }
    return pat_fail(err, PAT_ERR_FORMAT, "%s: checkpoint lacks tensor %s", path, name);
}

static enum pat_status load_history(struct pretrain_run *r, const char *text, const char *path,
                                    struct pat_err *err) {
    for (const char *s = text; s && *s;) {
        struct pat_pretrain_log h;
        int used = 0;
        if (sscanf(s, "%zu,%zu,%lf,%lf,%lf,%lf,%lf,%lf,%d%n", &h.epoch, &h.epochs, &h.train_loss,
                   &h.val_loss, &h.lr, &h.grad_norm, &h.seconds, &h.seq_per_s, &h.improved,
                   &used) != 9)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: malformed pretraining history", path);
        struct pat_pretrain_log *g = realloc(r->res->history, (r->res->num_epochs + 1) * sizeof *g);
        if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory reading %s", path);
        r->res->history = g;
        g[r->res->num_epochs++] = h;
        s += used;
        if (*s == ';') s++;
    }
    return PAT_OK;
}

static enum pat_status load_state(struct pretrain_run *r, const struct pat_st_file *f,
                                  const char *path, struct pat_err *err) {
    double v[NUM_STATE_KEYS];
    for (size_t i = 0; i < NUM_STATE_KEYS; i++) {
        const char *s = meta_find(f, state_keys[i]);
        char *end = NULL;
        if (s) v[i] = strtod(s, &end);
        if (!s || end == s || *end)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: checkpoint metadata %s missing or malformed",
                            path, state_keys[i]);
    }
    r->epoch = (size_t)v[0];
    r->opt.step = strtoull(meta_find(f, state_keys[1]), NULL, 10); /* exact beyond 2^53 */
    r->lr = v[2];
    r->es.best = v[3], r->es.best_epoch = (size_t)v[4], r->es.wait = (size_t)v[5];
    r->es.epoch = (size_t)v[6], r->es.stopped = (int)v[7], r->es.stopped_epoch = (size_t)v[8];
    r->plateau.best = v[9], r->plateau.wait = (size_t)v[10];
    r->plateau.cooldown_counter = (size_t)v[11];
    return load_history(r, meta_find(f, "pretrain.history"), path, err);
}

static enum pat_status load_all(struct pretrain_run *r, const struct pat_st_file *f,
                                const char *path, struct pat_err *err) {
    const char *format = meta_find(f, "pretrain.format");
    const char *fp_file = meta_find(f, "pretrain.fingerprint");
    char fp[1024];
    if (!format || strcmp(format, CKPT_FORMAT) != 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: not a pat pretraining checkpoint", path);
    pretrain_fingerprint(r, fp, sizeof fp);
    if (!fp_file || strcmp(fp, fp_file) != 0)
        return pat_fail(err, PAT_ERR_USAGE,
                        "%s: the checkpoint was made with other options or data:\n  checkpoint: %s\n  now:        %s",
                        path, fp_file ? fp_file : "(none)", fp);
    struct pat_mae *a = r->mae;
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < a->num_tensors; i++)
        st = load_tensor(f, path, a->tensors[i].name, a->params + a->tensors[i].offset,
                         a->tensors[i].numel, err);
    static const char *const names[CKPT_STATE] = {"pretrain/m", "pretrain/v", "pretrain/best"};
    float *dst[CKPT_STATE] = {r->opt.m, r->opt.v, r->best};
    for (size_t k = 0; st == PAT_OK && k < CKPT_STATE; k++)
        st = load_tensor(f, path, names[k], dst[k], a->num_params, err);
    return st == PAT_OK ? load_state(r, f, path, err) : st;
}

enum pat_status pretrain_checkpoint_load(struct pretrain_run *r, const char *path,
                                         struct pat_err *err) {
    struct pat_st_file f;
    enum pat_status st = pat_st_read(path, &f, err);
    if (st != PAT_OK) return st;
    st = load_all(r, &f, path, err);
    pat_st_free(&f);
    return st;
}
