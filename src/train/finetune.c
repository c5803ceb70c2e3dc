/* finetune.c - fine-tuning loop: stages, batches, loss weighting, schedules,
 * early stopping with restore-best (see finetune.h). */
#include "train/finetune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "nn/infer.h"
#include "nn/kernels.h"
#include "nn/pool.h"
#include "eval/metrics.h"
#include "train/finetune_run.h"
#include "util.h"


/* ---- parameters ------------------------------------------------------------ */

void pat_train_default_params(const struct pat_config *cfg, struct pat_train_params *p) {
    memset(p, 0, sizeof *p);
    p->mode = PAT_FT_FULL;
    p->optimizer = PAT_OPTIM_ADAM_KERAS;
    p->weighting = PAT_WEIGHT_CLASS;
    p->schedule = PAT_SCHED_CONSTANT;
    p->monitor = PAT_MONITOR_KERAS_AUC;
    p->epochs = 10000;
    p->batch_size = 64;
    p->seed = 1;
    p->lr_head = p->lr_encoder = cfg->patch_size < 18 ? 1e-6 : 1e-5; /* ref: pat-spec §4.1 */
    p->lr_embedding = -1.0; /* as the encoder */
    p->eta_min = 1e-6;
    p->plateau_factor = 0.5;
    p->plateau_patience = 10;
    p->plateau_min_lr = 1e-7;
    p->patience = 250;
    p->dropout = 0.1f;
    p->stage1_epochs = 10;
    p->stage1_lr_head = 3e-4;
    p->unfreeze_last = 2;
}

enum pat_status pat_train_recipe(const char *name, const struct pat_config *cfg,
                                 struct pat_train_params *p, struct pat_err *err) {
    pat_train_default_params(cfg, p);
    if (strcasecmp(name, "paper") == 0) return PAT_OK;
    if (strcasecmp(name, "two-stage") != 0)
        return pat_fail(err, PAT_ERR_USAGE, "unknown recipe '%s' (paper or two-stage)", name);
    p->mode = PAT_FT_TWO_STAGE; /* ref: pat-spec §4.2, with the port's bugs fixed */
    p->optimizer = PAT_OPTIM_ADAMW;
    p->weight_decay = 1e-2;
    p->clip_norm = 1.0;
    p->weighting = PAT_WEIGHT_POS;
    p->schedule = PAT_SCHED_COSINE;
    p->monitor = PAT_MONITOR_AUC;
    p->shuffle = 1;
    p->stage1_epochs = 10;
    p->stage1_lr_head = 3e-4;
    p->epochs = 20;
    p->lr_head = 1e-4;
    p->lr_encoder = 3e-5;
    p->patience = 5;
    return PAT_OK;
}

void pat_train_result_free(struct pat_train_result *r) {
    if (!r) return;
    free(r->history);
    memset(r, 0, sizeof *r);
}

/* ---- checks ------------------------------------------------------------------ */

static enum pat_status check_labels(const struct pat_train_data *d, const char *what,
                                    size_t counts[2], struct pat_err *err) {
    counts[0] = counts[1] = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->y[i] != 0.0f && d->y[i] != 1.0f)
            return pat_fail(err, PAT_ERR_FORMAT, "%s label %zu is %g, expected 0 or 1", what,
                            i + 1, (double)d->y[i]);
        counts[d->y[i] == 1.0f]++;
    }
    if (!counts[0] || !counts[1])
        return pat_fail(err, PAT_ERR_USAGE, "%s set has a single class (%zu negatives, %zu positives)",
                        what, counts[0], counts[1]);
    return PAT_OK;
}

static enum pat_status check_inputs(const struct pat_model *m, const struct pat_train_params *p,
                                    const struct pat_train_data *tr,
                                    const struct pat_train_data *va, struct pat_err *err) {
    if (!m->has_head)
        return pat_fail(err, PAT_ERR_USAGE, "the model has no head to fine-tune");
    if (!tr->n || !va->n) return pat_fail(err, PAT_ERR_USAGE, "empty training or validation set");
    if (tr->T != va->T)
        return pat_fail(err, PAT_ERR_USAGE, "training sequences have %zu minutes, validation %zu",
                        tr->T, va->T);
    if (p->batch_size < 1 || p->epochs < 1)
        return pat_fail(err, PAT_ERR_USAGE, "batch size and epochs must be at least 1");
    if (!(p->lr_head >= 0) || !(p->lr_encoder >= 0) || !(p->dropout >= 0 && p->dropout < 1))
        return pat_fail(err, PAT_ERR_USAGE, "learning rates must be >= 0 and dropout in [0, 1)");
    size_t ct[2], cv[2];
    enum pat_status st = check_labels(tr, "training", ct, err);
    return st != PAT_OK ? st : check_labels(va, "validation", cv, err);
}

/* ---- randomness without hidden streams --------------------------------------- */

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Batch order of an epoch: file order, or a seeded Fisher-Yates shuffle. */
static void epoch_order(const struct train_run *r) {
    const size_t n = r->train->n;
    for (size_t i = 0; i < n; i++) r->order[i] = i;
    if (!r->p->shuffle) return;
    struct pat_rng rng;
    pat_rng_seed(&rng, mix(mix(r->p->seed, r->stage), r->epoch));
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(pat_rng_u64(&rng) % i), t = r->order[i - 1];
        r->order[i - 1] = r->order[j];
        r->order[j] = t;
    }
}

/* ---- stages ------------------------------------------------------------------ */

/* Offset in floats of block l's first tensor, or of the head for l == L. */
static size_t block_offset(const struct pat_model *m, size_t l) {
    const float *p = l < m->cfg.num_layers ? m->blocks[l].wq : m->head_w1;
    return (size_t)(p - m->params);
}

/* Gradient options of the current stage. */
static struct pat_grad_opts stage_grad_opts(const struct train_run *r) {
    const size_t L = r->m->cfg.num_layers;
    struct pat_grad_opts o = {0, 1, r->p->dropout};
    if (r->p->mode == PAT_FT_PROBE || (r->p->mode == PAT_FT_TWO_STAGE && r->stage == 1)) {
        o.first_trainable_block = L, o.train_embedding = 0;
    } else if (r->p->mode == PAT_FT_TWO_STAGE) {
        size_t k = r->p->unfreeze_last < L ? r->p->unfreeze_last : L;
        o.first_trainable_block = L - k, o.train_embedding = 0;
    }
    return o;
}

static size_t stage_epochs(const struct train_run *r) {
    return r->p->mode == PAT_FT_TWO_STAGE && r->stage == 1 ? r->p->stage1_epochs : r->p->epochs;
}

/* A base learning rate with the epoch's schedule and plateau scale applied. */
static double scheduled(const struct train_run *r, double base) {
    if (r->p->schedule == PAT_SCHED_COSINE && base > 0)
        base = pat_lr_cosine(base, r->p->eta_min, r->epoch, stage_epochs(r));
    return base * r->lr_scale;
}

/* Learning rates of the current epoch for the head, blocks and embedding. */
static void stage_lrs(const struct train_run *r, double *head, double *encoder,
                      double *embedding) {
    const int stage1 = r->p->mode == PAT_FT_TWO_STAGE && r->stage == 1;
    *head = scheduled(r, stage1 ? r->p->stage1_lr_head : r->p->lr_head);
    *encoder = stage1 ? 0.0 : scheduled(r, r->p->lr_encoder);
    *embedding = r->p->lr_embedding >= 0 ? scheduled(r, r->p->lr_embedding) : *encoder;
}

/* Parameter groups: [frozen | embedding | trained blocks | head]; the
 * scaler never trains. */
static size_t stage_groups(const struct train_run *r, struct pat_param_group g[4]) {
    const struct pat_grad_opts o = stage_grad_opts(r);
    const size_t L = r->m->cfg.num_layers, head = block_offset(r->m, L);
    const size_t blocks = block_offset(r->m, 0);
    size_t start = o.train_embedding ? 0 : block_offset(r->m, o.first_trainable_block);
    const float wd = (float)r->p->weight_decay;
    double lh, le, lemb;
    stage_lrs(r, &lh, &le, &lemb);
    size_t n = 0;
    if (start > 0) g[n++] = (struct pat_param_group){0, start, 0.0f, 0.0f, 1};
    if (start == 0) { /* the embedding */
        g[n++] = (struct pat_param_group){0, blocks, (float)lemb, wd, 0};
        start = blocks;
    }
    if (start < head) g[n++] = (struct pat_param_group){start, head, (float)le, wd, 0};
    const size_t head_end = head + pat_config_head_params(&r->m->cfg);
    g[n++] = (struct pat_param_group){head, head_end, (float)lh, wd, 0};
    return n;
}

/* Loss of one sequence and its derivative with respect to the logit. */
static double sequence_loss(const struct train_run *r, float z, float y, size_t bsz,
                            float *dlogit) {
    const double sp = log1p(exp(-fabs((double)z))); /* softplus(-|z|) */
    const double p = 1.0 / (1.0 + exp(-(double)z));
    double loss, d;
    if (r->p->weighting == PAT_WEIGHT_POS) {
        const double pw = r->pos_weight;
        loss = y * pw * (sp + fmax(-z, 0.0)) + (1 - y) * (sp + fmax(z, 0.0));
        d = y * pw * (p - 1.0) + (1 - y) * p;
    } else {
        const double w = r->p->weighting == PAT_WEIGHT_CLASS ? r->class_weight[y == 1.0f] : 1.0;
        loss = w * (fmax(z, 0.0) - (double)z * y + sp);
        d = w * (p - y);
    }
    *dlogit = (float)(d / (double)bsz);
    return loss / (double)bsz;
}

/* ---- one optimizer step -------------------------------------------------------
 * Sequences of a batch are independent, so up to `lanes` of them (the
 * pool's thread count, nn/pool.h) run at once, each lane with its own
 * workspace, into its own zeroed gradient buffer (lane_sequence), which is
 * then added to the batch sum in sequence order (combine_in_order, each
 * sequence waiting its turn). The sum has a fixed dyadic tree
 * (dist/tree_sum.h), so the step is bit-identical across thread counts
 * and, under MPI, across process counts: each rank computes its share of
 * the batch's sequences and the ranks finish the same tree. With one lane
 * the kernels use every thread instead. Memory: per extra lane, one
 * gradient workspace (the activations of every block for one sequence) and
 * one num_params buffer; the sum holds up to 2 log2(batch) more. */

static void lanes_free(struct batch_lanes *b) {
    for (size_t t = 1; b->ws && t < b->n; t++) pat_grad_ws_free(b->ws[t]);
    for (size_t t = 0; b->grads && t < b->n; t++) free(b->grads[t]);
    free(b->ws), free(b->grads);
    memset(b, 0, sizeof *b);
}

/* The run's lanes, made once: as many as threads, at most a batch. */
static enum pat_status lanes_init(struct batch_lanes *b, struct train_run *r, struct pat_err *err) {
    if (b->n) return PAT_OK;
    const size_t n = pat_pool_threads(), bsz = r->p->batch_size ? r->p->batch_size : 1;
    b->n = n < bsz ? n : bsz;
    b->ws = calloc(b->n, sizeof *b->ws), b->grads = calloc(b->n, sizeof *b->grads);
    enum pat_status st = PAT_OK;
    if (!b->ws || !b->grads) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory for a batch");
    else b->ws[0] = r->ws;
    for (size_t t = 0; st == PAT_OK && t < b->n; t++) {
        if (!(b->grads[t] = malloc(r->m->num_params * sizeof(float))))
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory for a batch");
        else if (t)
            st = pat_grad_ws_init(&b->ws[t], r->m, r->train->T, err);
    }
    if (st != PAT_OK) lanes_free(b);
    return st;
}

/* Forward and backward of sequence order[i] into grads (zeroed first) with
 * workspace ws; *loss is its share of the batch loss. */
static enum pat_status lane_sequence(struct train_run *r, struct pat_grad_ws *ws, float *grads,
                                     size_t i, size_t b0, size_t bsz,
                                     const struct pat_grad_opts *o, double *loss,
                                     struct pat_err *err) {
    const size_t idx = r->order[i], T = r->train->T;
    struct pat_rng rng;
    pat_rng_seed(&rng, mix(mix(r->p->seed, r->opt.step), i - b0));
    float z, dz;
    memset(grads, 0, r->m->num_params * sizeof(float));
    enum pat_status st = pat_grad_forward(ws, r->m, r->train->x + idx * T, o, &rng, &z, err);
    if (st != PAT_OK) return st;
    *loss = sequence_loss(r, z, r->train->y[idx], bsz, &dz);
    return pat_grad_backward(ws, r->m, dz, o, grads, err);
}

/* The state of one share of a batch, added to in sequence order only. */
struct batch_sums {
    struct pat_turn *turn;  /* the order of the sums, losses and status */
    enum pat_status status; /* the first failure in sequence order */
    struct pat_err *err;
};

struct batch_job {
    struct train_run *r;
    struct batch_lanes *b;
    size_t b0, s0, bsz; /* batch start, share start, batch size */
    const struct pat_grad_opts *o;
    struct batch_sums sums;
};

/* Adds sequence s0 + i's result: its loss into r->seq_loss and its
 * gradient into the tree sum r->sum (pat_tree_sum_add), in sequence order
 * (each waits for the ones before it), so the sum's bits never depend on
 * which lane computed what. After a failure nothing more is added. */
static void combine_in_order(struct batch_job *j, size_t i, const float *grads, double l,
                             enum pat_status st, struct pat_err *e) {
    struct batch_sums *s = &j->sums;
    pat_turn_wait(s->turn, i);
    if (s->status == PAT_OK) {
        const size_t pos = j->s0 + i - j->b0;
        j->r->seq_loss[pos] = l;
        if (st == PAT_OK) st = pat_tree_sum_add(&j->r->sum, pos, grads, e);
        if (st != PAT_OK) {
            s->status = st;
            if (s->err) *s->err = *e;
        }
    }
    pat_turn_done(s->turn);
}

/* Task i: sequence s0 + i on the worker's lane, then its turn to combine. */
static void batch_task(void *ctx, size_t i, size_t worker) {
    struct batch_job *j = ctx;
    double l = 0.0;
    struct pat_err e;
    enum pat_status st = lane_sequence(j->r, j->b->ws[worker], j->b->grads[worker], j->s0 + i,
                                       j->b0, j->bsz, j->o, &l, &e);
    combine_in_order(j, i, j->b->grads[worker], l, st, &e);
}

/* Sequences order[s0, s1) of the batch starting at b0, b->n at a time;
 * gradients added to r->sum and losses stored in r->seq_loss, in sequence
 * order. The first failure (in sequence order) is returned; later
 * sequences are not added. */
static enum pat_status batch_gradients(struct train_run *r, struct batch_lanes *b, size_t b0,
                                       size_t s0, size_t s1, size_t bsz, struct pat_err *err) {
    const struct pat_grad_opts o = stage_grad_opts(r);
    struct batch_job j = {r, b, b0, s0, bsz, &o, {pat_turn_create(), PAT_OK, err}};
    enum pat_status st = PAT_OK;
    if (!j.sums.turn) {
        st = pat_fail(err, PAT_ERR_NOMEM, "out of memory for a batch");
    } else {
        pat_pool_run(s1 - s0, s1 - s0 < b->n ? s1 - s0 : b->n, batch_task, &j);
        st = j.sums.status;
    }
    pat_turn_free(j.sums.turn);
    return st;
}

/* Every rank's share of the batch order[b0, b1) into r->grads (the sum)
 * and *loss (added in sequence order), identical on every rank. */
static enum pat_status shared_gradients(struct train_run *r, size_t b0, size_t b1,
                                        double *loss, struct pat_err *err) {
    const size_t bsz = b1 - b0;
    size_t lo, hi;
    pat_dist_share(r->p->dist, r->p->dist ? r->p->dist->rank : 0, bsz, 1, &lo, &hi);
    enum pat_status st = lanes_init(&r->lanes, r, err);
    if (st == PAT_OK) st = batch_gradients(r, &r->lanes, b0, b0 + lo, b0 + hi, bsz, err);
    if (st == PAT_OK) r->res->rank_sequences += hi - lo;
    if (st == PAT_OK) st = pat_tree_sum_combine(&r->sum, r->p->dist, bsz, r->grads, NULL, err);
    pat_tree_sum_reset(&r->sum);
    if (st == PAT_OK)
        st = pat_dist_allgather_shares(r->p->dist, r->seq_loss, bsz, 1, sizeof(double), err);
    *loss = 0.0;
    for (size_t i = 0; st == PAT_OK && i < bsz; i++) *loss += r->seq_loss[i];
    return st;
}

/* Stop when the ranks' weights or optimizer state differ (cheap: one
 * checksum per rank). */
static enum pat_status ranks_agree(const struct train_run *r, struct pat_err *err) {
    if (pat_dist_ranks(r->p->dist) == 1) return PAT_OK;
    const size_t bytes = r->m->num_params * sizeof(float);
    uint64_t h = pat_dist_checksum(r->opt.step, r->m->params, bytes);
    if (r->opt.m) h = pat_dist_checksum(h, r->opt.m, bytes);
    if (r->opt.v) h = pat_dist_checksum(h, r->opt.v, bytes);
    char what[96];
    snprintf(what, sizeof what, "the weights and optimizer state after step %llu",
             (unsigned long long)r->opt.step);
    return pat_dist_agree(r->p->dist, h, what, err);
}

/* One optimizer step on the batch order[b0, b1); returns the batch loss. */
static enum pat_status train_batch(struct train_run *r, size_t b0, size_t b1, double *loss,
                                   double *norm, struct pat_err *err) {
    enum pat_status st = shared_gradients(r, b0, b1, loss, err);
    if (st != PAT_OK) return st;
    *norm = r->p->clip_norm > 0 ? pat_clip_grad_norm(r->grads, r->m->num_params, r->p->clip_norm)
                                : pat_grad_norm(r->grads, r->m->num_params);
    if (!isfinite(*norm) || !isfinite(*loss))
        return pat_fail(err, PAT_ERR_NUMERIC,
                        "non-finite loss or gradient at stage %zu, epoch %zu, step %llu: "
                        "lower the learning rate", r->stage, r->epoch + 1,
                        (unsigned long long)r->opt.step + 1);
    struct pat_param_group g[4];
    size_t ng = stage_groups(r, g);
    st = pat_optim_step(&r->opt, r->m->params, r->grads, g, ng, err);
    if (st == PAT_OK && r->opt.step % PAT_DIST_AGREE_EVERY == 0) st = ranks_agree(r, err);
    return st;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum pat_status pat_train_predict(const struct pat_model *m, const struct pat_train_data *d,
                                  float *out, struct pat_err *err) {
    const size_t chunk = PAT_PREDICT_CHUNK;
    for (size_t i = 0; i < d->n; i += chunk) {
        size_t n = d->n - i < chunk ? d->n - i : chunk;
        enum pat_status st = pat_predict_transformed(m, d->x + i * d->T, n, d->T, out + i, err);
        if (st != PAT_OK) return st;
    }
    return PAT_OK;
}

/* Validation metrics into entry; each rank predicts its share of the
 * rows (in whole chunks of pat_train_predict) and all get every row. */
static enum pat_status validate(struct train_run *r, struct pat_epoch_log *entry,
                                struct pat_err *err) {
    const struct pat_dist *d = r->p->dist;
    const size_t T = r->val->T, unit = PAT_PREDICT_CHUNK;
    size_t lo, hi;
    pat_dist_share(d, d ? d->rank : 0, r->val->n, unit, &lo, &hi);
    struct pat_train_data share = {r->val->x + lo * T, r->val->y + lo, hi - lo, T};
    enum pat_status st = share.n ? pat_train_predict(r->m, &share, r->probs + lo, err) : PAT_OK;
    if (st == PAT_OK) st = pat_dist_allgather_shares(d, r->probs, r->val->n, unit, sizeof(float), err);
    if (st != PAT_OK) return st;
    double loss = 0.0;
    for (size_t i = 0; i < r->val->n; i++) {
        double p = fmin(fmax(r->probs[i], 1e-7), 1 - 1e-7), y = r->val->y[i];
        loss -= y * log(p) + (1 - y) * log(1 - p);
    }
    entry->val_loss = loss / (double)r->val->n;
    entry->val_auc = pat_roc_auc(r->probs, r->val->y, r->val->n);
    entry->val_keras_auc = pat_keras_auc(r->probs, r->val->y, r->val->n);
    return PAT_OK;
}

static void snapshot_best(struct train_run *r) {
    const size_t n = r->m->num_params;
    memcpy(r->best, r->m->params, n * sizeof *r->best);
    memcpy(r->best_m, r->opt.m, n * sizeof *r->best_m);
    memcpy(r->best_v, r->opt.v, n * sizeof *r->best_v);
    r->best_step = r->opt.step;
}

static void restore_best(struct train_run *r) {
    const size_t n = r->m->num_params;
    memcpy(r->m->params, r->best, n * sizeof *r->best);
    memcpy(r->opt.m, r->best_m, n * sizeof *r->best_m);
    memcpy(r->opt.v, r->best_v, n * sizeof *r->best_v);
    r->opt.step = r->best_step;
}

static enum pat_status append_log(struct pat_train_result *res, const struct pat_epoch_log *entry,
                                  struct pat_err *err) {
    struct pat_epoch_log *h = realloc(res->history, (res->num_epochs + 1) * sizeof *h);
    if (!h) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the training history");
    res->history = h;
    res->history[res->num_epochs++] = *entry;
    return PAT_OK;
}

/* Train, validate and decide one epoch; *stop is set by early stopping. */
static enum pat_status run_epoch(struct train_run *r, int *stop, struct pat_err *err) {
    struct pat_epoch_log entry = {.stage = r->stage, .epoch = r->epoch + 1, .epochs = stage_epochs(r)};
    const double t0 = now_seconds();
    double lemb;
    stage_lrs(r, &entry.lr_head, &entry.lr_encoder, &lemb);
    epoch_order(r);
    double loss_sum = 0.0, norm_sum = 0.0;
    size_t steps = 0;
    for (size_t b0 = 0; b0 < r->train->n; b0 += r->p->batch_size, steps++) {
        size_t b1 = b0 + r->p->batch_size < r->train->n ? b0 + r->p->batch_size : r->train->n;
        double loss, norm;
        enum pat_status st = train_batch(r, b0, b1, &loss, &norm, err);
        if (st != PAT_OK) return st;
        loss_sum += loss * (double)(b1 - b0);
        norm_sum += norm;
    }
    const double t_train = now_seconds() - t0;
    entry.train_loss = loss_sum / (double)r->train->n;
    entry.grad_norm = norm_sum / (double)steps;
    enum pat_status st = validate(r, &entry, err);
    if (st != PAT_OK) return st;
    double monitored = r->p->monitor == PAT_MONITOR_KERAS_AUC ? entry.val_keras_auc : entry.val_auc;
    int flags = pat_early_stopping_update(&r->es, monitored);
    entry.improved = (flags & PAT_ES_IMPROVED) != 0;
    if (entry.improved) snapshot_best(r);
    *stop = r->p->patience > 0 && (flags & PAT_ES_STOP);
    if (r->p->schedule == PAT_SCHED_PLATEAU) {
        double lr = r->lr_scale;
        pat_plateau_update(&r->plateau, &lr, entry.val_loss);
        r->lr_scale = lr;
    }
    r->epoch++;
    entry.seconds = now_seconds() - t0;
    entry.seq_per_s = t_train > 0 ? (double)r->train->n / t_train : 0.0;
    st = append_log(r->res, &entry, err);
    if (st == PAT_OK) st = ranks_agree(r, err);
    if (st == PAT_OK && r->p->checkpoint_path && pat_dist_is_root(r->p->dist))
        st = train_checkpoint_save(r, r->p->checkpoint_path, err);
    if (st == PAT_OK && r->p->on_epoch) r->p->on_epoch(&entry, r->p->user);
    return st;
}

/* Fresh early-stopping and schedule state for a stage. */
static void begin_stage(struct train_run *r, size_t stage) {
    r->stage = stage;
    r->epoch = 0;
    r->lr_scale = 1.0;
    size_t patience = r->p->patience ? r->p->patience : (size_t)-1;
    pat_early_stopping_init(&r->es, PAT_MONITOR_MAX, patience, 0.0);
    pat_plateau_init(&r->plateau, PAT_MONITOR_MIN, r->p->plateau_factor,
                     r->p->plateau_patience, r->p->plateau_min_lr / 1.0);
}

/* Run the current stage from r->epoch to its end, then restore its best. */
static enum pat_status run_stage(struct train_run *r, struct pat_err *err) {
    int stop = r->p->patience > 0 && r->es.stopped; /* a resumed run may have stopped */
    while (!stop && r->epoch < stage_epochs(r)) {
        enum pat_status st = run_epoch(r, &stop, err);
        if (st != PAT_OK) return st;
    }
    restore_best(r);
    r->res->best_epoch[r->stage - 1] = r->es.best_epoch + 1;
    r->res->best_val_auc = r->es.best;
    return PAT_OK;
}

static enum pat_status run_stages(struct train_run *r, struct pat_err *err) {
    enum pat_status st = run_stage(r, err);
    if (st != PAT_OK || r->p->mode != PAT_FT_TWO_STAGE || r->stage == 2) return st;
    begin_stage(r, 2);
    if (r->p->checkpoint_path && pat_dist_is_root(r->p->dist)) {
        st = train_checkpoint_save(r, r->p->checkpoint_path, err);
        if (st != PAT_OK) return st;
    }
    return run_stage(r, err);
}

/* ---- run lifetime ---------------------------------------------------------------- */

static void run_free(struct train_run *r) {
    pat_optim_free(&r->opt);
    lanes_free(&r->lanes);
    pat_grad_ws_free(r->ws);
    free(r->grads), free(r->best), free(r->best_m), free(r->best_v);
    free(r->order), free(r->probs), free(r->seq_loss);
    pat_tree_sum_free(&r->sum);
}

static enum pat_status run_init(struct train_run *r, struct pat_model *m,
                                const struct pat_train_params *p,
                                const struct pat_train_data *tr,
                                const struct pat_train_data *va,
                                struct pat_train_result *res, struct pat_err *err) {
    memset(r, 0, sizeof *r);
    memset(res, 0, sizeof *res);
    r->m = m, r->p = p, r->train = tr, r->val = va, r->res = res;
    enum pat_status st = check_inputs(m, p, tr, va, err);
    if (st == PAT_OK) st = pat_optim_init(&r->opt, p->optimizer, m->num_params, err);
    if (st == PAT_OK) st = pat_grad_ws_init(&r->ws, m, tr->T, err);
    if (st != PAT_OK) return st;
    const size_t n = m->num_params;
    r->grads = pat_calloc(n, sizeof(float)), r->best = pat_calloc(n, sizeof(float));
    r->best_m = pat_calloc(n, sizeof(float)), r->best_v = pat_calloc(n, sizeof(float));
    r->order = pat_calloc(tr->n, sizeof(size_t)), r->probs = pat_calloc(va->n, sizeof(float));
    r->seq_loss = pat_calloc(p->batch_size, sizeof(double));
    pat_tree_sum_init(&r->sum, n);
    if (!r->grads || !r->best || !r->best_m || !r->best_v || !r->order || !r->probs ||
        !r->seq_loss)
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for training state");
    size_t pos = 0;
    for (size_t i = 0; i < tr->n; i++) pos += tr->y[i] == 1.0f;
    r->class_weight[0] = (double)pos / (double)tr->n; /* ref: pat-spec §4.1 */
    r->class_weight[1] = (double)(tr->n - pos) / (double)tr->n;
    r->pos_weight = (double)(tr->n - pos) / (double)pos;
    res->class_weight[0] = r->class_weight[0], res->class_weight[1] = r->class_weight[1];
    res->pos_weight = r->pos_weight;
    begin_stage(r, 1);
    snapshot_best(r); /* until an epoch improves */
    return PAT_OK;
}

enum pat_status pat_finetune(struct pat_model *m, const struct pat_train_params *p,
                             const struct pat_train_data *train,
                             const struct pat_train_data *val,
                             struct pat_train_result *result, struct pat_err *err) {
    struct train_run r;
    const double t0 = now_seconds();
    enum pat_status st = run_init(&r, m, p, train, val, result, err);
    if (st == PAT_OK) st = run_stages(&r, err);
    result->seconds = now_seconds() - t0;
    run_free(&r);
    return st;
}

enum pat_status pat_finetune_resume(struct pat_model *m, const char *checkpoint,
                                    const struct pat_train_params *p,
                                    const struct pat_train_data *train,
                                    const struct pat_train_data *val,
                                    struct pat_train_result *result, struct pat_err *err) {
    struct train_run r;
    const double t0 = now_seconds();
    enum pat_status st = run_init(&r, m, p, train, val, result, err);
    if (st == PAT_OK) st = train_checkpoint_load(&r, checkpoint, err);
    if (st == PAT_OK) {
        result->resumed_from_epoch = result->num_epochs;
        st = run_stages(&r, err);
    }
    result->seconds = now_seconds() - t0;
    run_free(&r);
    return st;
}
