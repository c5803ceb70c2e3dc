/* finetune_ckpt.c - fine-tuning checkpoints: one safetensors file holding the
 * weights (under their model names), the optimizer moments, the best
 * epoch's snapshot, and in __metadata__ the step, the epoch, the
 * early-stopping and schedule state, the history and a fingerprint of the
 * run's parameters. Randomness is derived from (seed, epoch, step), so this
 * is everything needed to continue bit-identically. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/ckpt_meta.h"
#include "io/safetensors.h"
#include "train/finetune_run.h"
#include "util.h"

#define CKPT_FORMAT "pat-finetune-checkpoint-1"

void train_fingerprint(const struct train_run *r, char *buf, size_t len) {
    const struct pat_train_params *p = r->p;
    snprintf(buf, len,
             "mode=%d opt=%d weighting=%d schedule=%d monitor=%d epochs=%zu batch=%zu "
             "seed=%" PRIu64 " lr_head=%.9g lr_encoder=%.9g lr_embedding=%.9g wd=%.9g clip=%.9g eta_min=%.9g "
             "plateau=%.9g/%zu/%.9g patience=%zu dropout=%.9g shuffle=%d stage1=%zu/%.9g "
             "unfreeze=%zu train=%zux%zu val=%zu",
             (int)p->mode, (int)p->optimizer, (int)p->weighting, (int)p->schedule,
             (int)p->monitor, p->epochs, p->batch_size, p->seed, p->lr_head, p->lr_encoder,
             p->lr_embedding, p->weight_decay, p->clip_norm, p->eta_min, p->plateau_factor, p->plateau_patience,
             p->plateau_min_lr, p->patience, (double)p->dropout, p->shuffle, p->stage1_epochs,
             p->stage1_lr_head, p->unfreeze_last, r->train->n, r->train->T, r->val->n);
}

/* One history line per epoch, fields separated by commas, lines by ';'. */
static char *history_text(const struct pat_train_result *res) {
    size_t cap = 64 + res->num_epochs * 400, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < res->num_epochs; i++) {
        const struct pat_epoch_log *h = &res->history[i];
        len += (size_t)snprintf(s + len, cap - len,
                                "%s%zu,%zu,%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d",
                                i ? ";" : "", h->stage, h->epoch, h->epochs, h->train_loss,
                                h->val_loss, h->val_auc, h->val_keras_auc, h->lr_head,
                                h->lr_encoder, h->grad_norm, h->seconds, h->seq_per_s,
                                h->improved);
    }
    return s;
}

static void build_meta(const struct train_run *r, struct meta_builder *b, char *fp,
                       size_t fplen) {
    b->n = 0;
    b->meta[b->n++] = (struct pat_st_meta){"train.format", CKPT_FORMAT};
    train_fingerprint(r, fp, fplen);
    b->meta[b->n++] = (struct pat_st_meta){"train.fingerprint", fp};
    meta_u64(b, "train.stage", r->stage);
    meta_u64(b, "train.epoch", r->epoch);
    meta_u64(b, "train.step", r->opt.step);
    meta_u64(b, "train.best_step", r->best_step);
    meta_u64(b, "train.best_epoch1", r->res->best_epoch[0]);
    meta_num(b, "train.lr_scale", r->lr_scale);
    meta_num(b, "train.es.best", r->es.best);
    meta_u64(b, "train.es.best_epoch", r->es.best_epoch);
    meta_u64(b, "train.es.wait", r->es.wait);
    meta_u64(b, "train.es.epoch", r->es.epoch);
    meta_u64(b, "train.es.stopped", (uint64_t)r->es.stopped);
    meta_u64(b, "train.es.stopped_epoch", r->es.stopped_epoch);
    meta_num(b, "train.plateau.best", r->plateau.best);
    meta_u64(b, "train.plateau.wait", r->plateau.wait);
    meta_u64(b, "train.plateau.cooldown", r->plateau.cooldown_counter);
    for (size_t i = 0; i < r->m->num_meta && b->n < CKPT_MAX_META - 1; i++)
        b->meta[b->n++] = (struct pat_st_meta){r->m->meta[i].key, r->m->meta[i].value};
}

enum pat_status train_checkpoint_save(const struct train_run *r, const char *path,
                                      struct pat_err *err) {
    const struct pat_model *m = r->m;
    const size_t nt = m->num_tensors, n = m->num_params;
    struct pat_st_out *t = pat_calloc(nt + 5, sizeof *t);
    struct meta_builder *b = calloc(1, sizeof *b);
    char *hist = history_text(r->res), fp[1024];
    enum pat_status st;
    if (!t || !b || !hist) {
        st = pat_fail(err, PAT_ERR_NOMEM, "out of memory writing checkpoint %s", path);
    } else {
        for (size_t i = 0; i < nt; i++)
            t[i] = (struct pat_st_out){m->tensors[i].name, m->tensors[i].ndim,
                                       m->tensors[i].shape, m->params + m->tensors[i].offset};
        static const char *const names[5] = {"train/m", "train/v", "train/best", "train/best_m",
                                             "train/best_v"};
        const float *data[5] = {r->opt.m, r->opt.v, r->best, r->best_m, r->best_v};
        for (size_t k = 0; k < 5; k++) t[nt + k] = (struct pat_st_out){names[k], 1, &n, data[k]};
        build_meta(r, b, fp, sizeof fp);
        b->meta[b->n++] = (struct pat_st_meta){"train.history", hist};
        st = pat_st_write(path, t, nt + 5, b->meta, b->n, err);
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

/* Parse a required number; 0 (and err) when absent or malformed. */
static int meta_get(const struct pat_st_file *f, const char *path, const char *key, double *v,
                    struct pat_err *err) {
    const char *s = meta_find(f, key);
    char *end;
    if (s) *v = strtod(s, &end);
    if (!s || end == s || *end) {
        pat_fail(err, PAT_ERR_FORMAT, "%s: checkpoint metadata %s missing or malformed", path, key);
        return 0;
    }
    return 1;
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

static enum pat_status load_history(struct train_run *r, const char *text, const char *path,
                                    struct pat_err *err) {
    for (const char *s = text; s && *s;) {
        struct pat_epoch_log h;
        int used = 0;
        if (sscanf(s, "%zu,%zu,%zu,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%d%n", &h.stage, &h.epoch,
                   &h.epochs, &h.train_loss, &h.val_loss, &h.val_auc, &h.val_keras_auc,
                   &h.lr_head, &h.lr_encoder, &h.grad_norm, &h.seconds, &h.seq_per_s,
                   &h.improved, &used) != 13)
            return pat_fail(err, PAT_ERR_FORMAT, "%s: malformed training history", path);
        struct pat_epoch_log *g = realloc(r->res->history, (r->res->num_epochs + 1) * sizeof *g);
        if (!g) return pat_fail(err, PAT_ERR_NOMEM, "out of memory reading %s", path);
        r->res->history = g;
        g[r->res->num_epochs++] = h;
        s += used;
        if (*s == ';') s++;
    }
    return PAT_OK;
}

static enum pat_status load_state(struct train_run *r, const struct pat_st_file *f,
                                  const char *path, struct pat_err *err) {
    double v[16];
    static const char *const keys[16] = {
        "train.stage", "train.epoch", "train.step", "train.best_step", "train.best_epoch1",
        "train.lr_scale", "train.es.best", "train.es.best_epoch", "train.es.wait",
        "train.es.epoch", "train.es.stopped", "train.es.stopped_epoch", "train.plateau.best",
        "train.plateau.wait", "train.plateau.cooldown", "train.format"};
    for (size_t i = 0; i < 15; i++)
        if (!meta_get(f, path, keys[i], &v[i], err)) return PAT_ERR_FORMAT;
    if (v[0] != 1.0 && v[0] != 2.0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: checkpoint stage %g is not 1 or 2", path, v[0]);
    r->stage = (size_t)v[0], r->epoch = (size_t)v[1];
    r->opt.step = (uint64_t)v[2], r->best_step = (uint64_t)v[3];
    r->res->best_epoch[0] = (size_t)v[4];
    r->lr_scale = v[5];
    r->es.best = v[6], r->es.best_epoch = (size_t)v[7], r->es.wait = (size_t)v[8];
    r->es.epoch = (size_t)v[9], r->es.stopped = (int)v[10], r->es.stopped_epoch = (size_t)v[11];
    r->plateau.best = v[12], r->plateau.wait = (size_t)v[13];
    r->plateau.cooldown_counter = (size_t)v[14];
    return load_history(r, meta_find(f, "train.history"), path, err);
}

static enum pat_status load_all(struct train_run *r, const struct pat_st_file *f,
                                const char *path, struct pat_err *err) {
    const char *format = meta_find(f, "train.format"), *fp_file = meta_find(f, "train.fingerprint");
    char fp[1024];
    if (!format || strcmp(format, CKPT_FORMAT) != 0)
        return pat_fail(err, PAT_ERR_FORMAT, "%s: not a pat fine-tuning checkpoint", path);
    train_fingerprint(r, fp, sizeof fp);
    if (!fp_file || strcmp(fp, fp_file) != 0)
        return pat_fail(err, PAT_ERR_USAGE,
                        "%s: the checkpoint was made with other options or data:\n  checkpoint: %s\n  now:        %s",
                        path, fp_file ? fp_file : "(none)", fp);
    struct pat_model *m = r->m;
    const size_t n = m->num_params;
    enum pat_status st = PAT_OK;
    for (size_t i = 0; st == PAT_OK && i < m->num_tensors; i++)
        st = load_tensor(f, path, m->tensors[i].name, m->params + m->tensors[i].offset,
                         m->tensors[i].numel, err);
    static const char *const names[5] = {"train/m", "train/v", "train/best", "train/best_m",
                                         "train/best_v"};
    float *dst[5] = {r->opt.m, r->opt.v, r->best, r->best_m, r->best_v};
    for (size_t k = 0; st == PAT_OK && k < 5; k++) st = load_tensor(f, path, names[k], dst[k], n, err);
    return st == PAT_OK ? load_state(r, f, path, err) : st;
}

enum pat_status train_checkpoint_load(struct train_run *r, const char *path,
                                      struct pat_err *err) {
    struct pat_st_file f;
    enum pat_status st = pat_st_read(path, &f, err);
    if (st != PAT_OK) return st;
    st = load_all(r, &f, path, err);
    pat_st_free(&f);
    return st;
}
