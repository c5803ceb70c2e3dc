/* pretrain.c - masked-autoencoder pretraining loop (see pretrain.h):
 * batches with shared mask permutations, Keras Adam, validation,
 * ReduceLROnPlateau and early stopping on validation loss. ref: pat-spec §3.2 */
#include "train/pretrain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/pool.h"
#include "train/pretrain_run.h"
#include "util.h"

/* ---- parameters ------------------------------------------------------------------ */

void pat_pretrain_default_params(const struct pat_config *cfg, struct pat_pretrain_params *p) {
    memset(p, 0, sizeof *p);
    p->mask_ratio = 0.90f; /* ref: pat-spec §3.1 */
    p->mask_group = 0;
    p->unshuffle = PAT_UNSHUFFLE_CORRECTED;
    p->loss = PAT_MAE_LOSS_ALL;
    p->optimizer = PAT_OPTIM_ADAM_KERAS;
    p->epochs = 10000, p->batch_size = 128, p->seed = 1; /* ref: pat-spec §3.2 */
    p->dropout = 0.1f;
    p->shuffle = 1;
    p->plateau_factor = 0.5;
    if (cfg->num_layers >= 8) { /* huge */
        p->lr = 1e-5, p->patience = 500, p->plateau_patience = 100, p->plateau_min_lr = 1e-6;
    } else if (cfg->num_layers >= 4) { /* L */
        p->lr = 1e-4, p->patience = 500, p->plateau_patience = 100, p->plateau_min_lr = 1e-5;
    } else { /* S, M */
        p->lr = 1e-3, p->patience = 250, p->plateau_patience = 75, p->plateau_min_lr = 1e-4;
    }
}

size_t pat_pretrain_val_rows(size_t n, double fraction) {
    if (!(fraction > 0.0)) return 0;
    if (fraction >= 1.0) return n;
    /* Keras train_validation_split: split_at = int(floor(n * (1.0 - fraction))) */
    return n - (size_t)floor((double)n * (1.0 - fraction));
}

void pat_pretrain_result_free(struct pat_pretrain_result *r) {
    if (!r) return;
    free(r->history);
    memset(r, 0, sizeof *r);
}

static enum pat_status check_inputs(const struct pat_pretrain_params *p,
                                    const struct pat_pretrain_data *tr,
                                    const struct pat_pretrain_data *va, struct pat_err *err) {
    if (!tr->n || !va->n) return pat_fail(err, PAT_ERR_USAGE, "empty training or validation set");
    if (tr->T != va->T)
        return pat_fail(err, PAT_ERR_USAGE, "training sequences have %zu minutes, validation %zu",
                        tr->T, va->T);
    if (!tr->mean != !tr->std || !va->mean != !va->std)
        return pat_fail(err, PAT_ERR_USAGE, "give both a scaler mean and std, or neither");
    if (p->batch_size < 1 || p->epochs < 1)
        return pat_fail(err, PAT_ERR_USAGE, "batch size and epochs must be at least 1");
    if (!(p->lr >= 0) || !(p->dropout >= 0 && p->dropout < 1) || !(p->clip_norm >= 0))
        return pat_fail(err, PAT_ERR_USAGE,
                        "the learning rate must be >= 0, dropout in [0, 1), clipping >= 0");
    if (p->plateau_patience && !(p->plateau_factor > 0 && p->plateau_factor < 1))
        return pat_fail(err, PAT_ERR_USAGE, "the plateau factor must be in (0, 1)");
    return PAT_OK;
}

/* ---- randomness without hidden streams ---------------------------------------------- */

enum { SALT_ORDER = 1, SALT_MASK = 2, SALT_DROPOUT = 3, SALT_VAL_MASK = 4 };

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void seed3(struct pat_rng *rng, uint64_t seed, uint64_t salt, uint64_t a, uint64_t b) {
    pat_rng_seed(rng, mix(mix(mix(seed, salt), a), b));
}

/* Batch order of an epoch: file order, or a seeded Fisher-Yates shuffle. */
static void epoch_order(const struct pretrain_run *r) {
    const size_t n = r->train->n;
    for (size_t i = 0; i < n; i++) r->order[i] = i;
    if (!r->p->shuffle) return;
    struct pat_rng rng;
    seed3(&rng, r->p->seed, SALT_ORDER, r->epoch, 0);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(pat_rng_u64(&rng) % i), t = r->order[i - 1];
        r->order[i - 1] = r->order[j];
        r->order[j] = t;
    }
}

/* perm (N) = the mask permutation of sequence k of a batch: the one of
 * its mask group, seeded by (salt, batch key, group), so that any lane can
 * draw it without the sequences before it. */
static void sequence_perm(const struct pat_pretrain_params *p, size_t *perm, size_t N,
                          uint64_t salt, uint64_t key, size_t k) {
    const size_t g = p->mask_group;
    struct pat_rng rng;
    seed3(&rng, p->seed, salt, key, g == 0 ? 0 : k / g);
    pat_mae_permutation(perm, N, &rng);
}

/* ---- lanes ------------------------------------------------------------------------
 * The sequences of a batch are independent: up to num_lanes of them run at
 * once (one per pool thread, nn/pool.h), each on its own lane into its own
 * zeroed gradient buffer (lane_gradient). The buffers are added to the
 * batch gradient in sequence order (combine_in_order), so the step is
 * ((g_0 + g_1) + g_2) + ... whatever the number of lanes or threads, and
 * the result is bit-identical for any thread count. Memory per lane: one
 * MAE workspace and one num_params buffer. */

static void lanes_free(struct mae_lane *lanes, size_t n) {
    for (size_t k = 0; lanes && k < n; k++) {
        pat_mae_ws_free(lanes[k].ws);
        free(lanes[k].perm), free(lanes[k].grads);
    }
    free(lanes);
}

/* n lanes for sequences of T minutes; with_grads: with gradient buffers. */
static enum pat_status lanes_init(struct mae_lane **out, size_t n, const struct pat_mae *mae,
                                  size_t T, float mask_ratio, int with_grads,
                                  struct pat_err *err) {
    struct mae_lane *lanes = pat_calloc(n, sizeof *lanes);
    if (!lanes) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the pretraining lanes");
    enum pat_status st = PAT_OK;
    for (size_t k = 0; k < n && st == PAT_OK; k++) {
        st = pat_mae_ws_init(&lanes[k].ws, mae, T, mask_ratio, err);
        lanes[k].perm = pat_calloc(T / mae->cfg.patch_size, sizeof(size_t));
        if (with_grads) lanes[k].grads = pat_calloc(mae->num_params, sizeof(float));
        if (st == PAT_OK && (!lanes[k].perm || (with_grads && !lanes[k].grads)))
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory for the pretraining lanes");
    }
    if (st != PAT_OK) {
        lanes_free(lanes, n);
        return st;
    }
    *out = lanes;
    return PAT_OK;
}

/* Lanes for batches of bsz sequences: the pool's threads, at most bsz. */
static size_t lane_count(size_t bsz) {
    const size_t t = pat_pool_threads();
    return t < bsz ? t : bsz;
}

/* ---- steps ------------------------------------------------------------------------ */

static struct pat_mae_opts mae_opts(const struct pat_pretrain_params *p, int training) {
    return (struct pat_mae_opts){p->unshuffle, p->loss, training ? p->dropout : 0.0f};
}

/* Sequence order[i] of the batch starting at b0 (bsz sequences) on lane l:
 * l->grads = its gradient of the batch-mean loss (zeroed first), *loss =
 * its own loss. Depends only on (run state, i), never on the lane. */
static enum pat_status lane_gradient(const struct pretrain_run *r, struct mae_lane *l, size_t i,
                                     size_t b0, size_t bsz, double *loss, struct pat_err *err) {
    const struct pat_pretrain_data *d = r->train;
    const struct pat_mae_opts o = mae_opts(r->p, 1);
    sequence_perm(r->p, l->perm, d->T / r->mae->cfg.patch_size, SALT_MASK, r->opt.step, i - b0);
    struct pat_rng rng;
    seed3(&rng, r->p->seed, SALT_DROPOUT, r->opt.step, i - b0);
    memset(l->grads, 0, r->mae->num_params * sizeof *l->grads);
    enum pat_status st = pat_mae_forward(l->ws, r->mae, d->rows[r->order[i]], d->mean, d->std,
                                         l->perm, &o, &rng, loss, err);
    if (st == PAT_OK) st = pat_mae_backward(l->ws, r->mae, 1.0f / (float)bsz, l->grads, err);
    return st;
}

/* This rank's share order[s0, s1) of the batch starting at b0 (bsz
 * sequences), one sequence per task on the lanes. */
struct batch_job {
    struct pretrain_run *r;
    size_t b0, s0, bsz;
    struct pat_turn *turn;  /* the order of the sums, losses and status */
    enum pat_status status; /* the first failure in sequence order */
    struct pat_err *err;
};

/* Adds sequence s0 + i's gradient to the tree sum r->sum
 * (pat_tree_sum_add) and stores its loss share, in sequence order (each
 * waits for the ones before it), so the sum does not depend on how or
 * where the sequences were computed. After a failure nothing more is
 * added. */
static void combine_in_order(struct batch_job *j, size_t i, const float *grads, double loss,
                             enum pat_status st, struct pat_err *e) {
    pat_turn_wait(j->turn, i);
    if (j->status == PAT_OK) {
        const size_t pos = j->s0 + i - j->b0;
        if (st == PAT_OK) st = pat_tree_sum_add(&j->r->sum, pos, grads, e);
        j->r->seq_loss[pos] = loss / (double)j->bsz;
        if (st != PAT_OK) {
            j->status = st;
            if (j->err) *j->err = *e;
        }
    }
    pat_turn_done(j->turn);
}

static void batch_task(void *ctx, size_t i, size_t worker) {
    struct batch_job *j = ctx;
    struct mae_lane *l = &j->r->lanes[worker];
    double loss = 0.0;
    struct pat_err e;
    enum pat_status st = lane_gradient(j->r, l, j->s0 + i, j->b0, j->bsz, &loss, &e);
    combine_in_order(j, i, l->grads, loss, st, &e);
}

/* This rank's share of the batch order[b0, b1): each sequence's gradients
 * added to r->sum (a fixed tree: dist/tree_sum.h) and its loss share stored. */
static enum pat_status share_gradients(struct pretrain_run *r, size_t b0, size_t b1,
                                       struct pat_err *err) {
    const size_t bsz = b1 - b0;
    size_t lo, hi;
    pat_dist_share(r->p->dist, r->p->dist ? r->p->dist->rank : 0, bsz, 1, &lo, &hi);
    struct batch_job j = {r, b0, b0 + lo, bsz, pat_turn_create(), PAT_OK, err};
    enum pat_status st = PAT_OK;
    if (!j.turn) {
        st = pat_fail(err, PAT_ERR_NOMEM, "out of memory for a batch");
    } else {
        pat_pool_run(hi - lo, r->num_lanes, batch_task, &j);
        st = j.status;
        r->res->rank_sequences += hi - lo;
    }
    pat_turn_free(j.turn);
    return st;
}

/* Stop when the ranks' weights or optimizer state differ (cheap: one
 * checksum per rank). */
static enum pat_status ranks_agree(const struct pretrain_run *r, struct pat_err *err) {
    if (pat_dist_ranks(r->p->dist) == 1) return PAT_OK;
    const size_t bytes = r->mae->num_params * sizeof(float);
    uint64_t h = pat_dist_checksum(r->opt.step, r->mae->params, bytes);
    if (r->opt.m) h = pat_dist_checksum(h, r->opt.m, bytes);
    if (r->opt.v) h = pat_dist_checksum(h, r->opt.v, bytes);
    h = pat_dist_checksum(h, &r->lr, sizeof r->lr);
    char what[96];
    snprintf(what, sizeof what, "the weights and optimizer state after step %llu",
             (unsigned long long)r->opt.step);
    return pat_dist_agree(r->p->dist, h, what, err);
}

/* One optimizer step on the batch order[b0, b1); *loss = the batch mean.
 * Every rank computes its share; all end with the same sum and step. */
static enum pat_status train_batch(struct pretrain_run *r, size_t b0, size_t b1, double *loss,
                                   double *norm, struct pat_err *err) {
    const size_t bsz = b1 - b0;
    enum pat_status st = share_gradients(r, b0, b1, err);
    if (st == PAT_OK) st = pat_tree_sum_combine(&r->sum, r->p->dist, bsz, r->grads, NULL, err);
    pat_tree_sum_reset(&r->sum);
    if (st == PAT_OK)
        st = pat_dist_allgather_shares(r->p->dist, r->seq_loss, bsz, 1, sizeof(double), err);
    if (st != PAT_OK) return st;
    *loss = 0.0;
    for (size_t i = 0; i < bsz; i++) *loss += r->seq_loss[i];
    *norm = r->p->clip_norm > 0 ? pat_clip_grad_norm(r->grads, r->mae->num_params, r->p->clip_norm)
                                : pat_grad_norm(r->grads, r->mae->num_params);
    if (!isfinite(*norm) || !isfinite(*loss))
        return pat_fail(err, PAT_ERR_NUMERIC,
                        "non-finite loss or gradient at epoch %zu, step %llu: lower the "
                        "learning rate", r->epoch + 1, (unsigned long long)r->opt.step + 1);
    struct pat_param_group g = {0, r->mae->num_params, (float)r->lr, (float)r->p->weight_decay, 0};
    st = pat_optim_step(&r->opt, r->mae->params, r->grads, &g, 1, err);
    if (st == PAT_OK && r->opt.step % PAT_DIST_AGREE_EVERY == 0) st = ranks_agree(r, err);
    return st;
}

/* Validation: each rank's share of the rows, one per task on the lanes,
 * with the fixed validation masks and dropout off. */
struct val_job {
    const struct pat_mae *mae;
    const struct pat_pretrain_params *p;
    const struct pat_pretrain_data *d;
    struct mae_lane *lanes;
    size_t lo;              /* the share's first row */
    double *loss;           /* (d->n) */
    enum pat_status *st;    /* (hi - lo) */
    struct pat_err *errs;   /* (hi - lo) */
};

static void val_task(void *ctx, size_t t, size_t worker) {
    const struct val_job *j = ctx;
    struct mae_lane *l = &j->lanes[worker];
    const struct pat_mae_opts o = mae_opts(j->p, 0);
    const size_t i = j->lo + t, bs = j->p->batch_size, N = j->d->T / j->mae->cfg.patch_size;
    sequence_perm(j->p, l->perm, N, SALT_VAL_MASK, i / bs, i % bs);
    j->st[t] = pat_mae_forward(l->ws, j->mae, j->d->rows[i], j->d->mean, j->d->std, l->perm, &o,
                               NULL, &j->loss[i], &j->errs[t]);
}

/* Mean loss over d (each rank its share of the rows, summed in row order
 * on every rank). */
static enum pat_status validate(const struct pat_mae *mae, const struct pat_pretrain_params *p,
                                struct mae_lane *lanes, size_t num_lanes,
                                const struct pat_pretrain_data *d, double *loss,
                                struct pat_err *err) {
    size_t lo, hi;
    pat_dist_share(p->dist, p->dist ? p->dist->rank : 0, d->n, 1, &lo, &hi);
    const size_t share = hi - lo ? hi - lo : 1;
    struct val_job j = {mae, p, d, lanes, lo, pat_calloc(d->n, sizeof(double)),
                        pat_calloc(share, sizeof(enum pat_status)),
                        pat_calloc(share, sizeof(struct pat_err))};
    enum pat_status st = PAT_OK;
    if (!j.loss || !j.st || !j.errs) {
        st = pat_fail(err, PAT_ERR_NOMEM, "out of memory for validation");
    } else {
        pat_pool_run(hi - lo, num_lanes, val_task, &j);
        for (size_t t = 0; t < hi - lo && st == PAT_OK; t++)
            if ((st = j.st[t]) != PAT_OK && err) *err = j.errs[t];
    }
    if (st == PAT_OK) st = pat_dist_allgather_shares(p->dist, j.loss, d->n, 1, sizeof(double), err);
    if (st == PAT_OK) {
        double sum = 0.0;
        for (size_t i = 0; i < d->n; i++) sum += j.loss[i];
        *loss = sum / (double)d->n;
        if (!isfinite(*loss)) st = pat_fail(err, PAT_ERR_NUMERIC, "non-finite validation loss");
    }
    free(j.loss), free(j.st), free(j.errs);
    return st;
}

/* ---- epochs ----------------------------------------------------------------------- */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static enum pat_status append_log(struct pat_pretrain_result *res,
                                  const struct pat_pretrain_log *entry, struct pat_err *err) {
    struct pat_pretrain_log *h = realloc(res->history, (res->num_epochs + 1) * sizeof *h);
    if (!h) return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the training history");
    res->history = h;
    res->history[res->num_epochs++] = *entry;
    return PAT_OK;
}

/* Train over the epoch's batches into entry (loss, norm, speed). */
static enum pat_status train_epoch(struct pretrain_run *r, struct pat_pretrain_log *entry,
                                   struct pat_err *err) {
    const double t0 = now_seconds();
    double loss_sum = 0.0, norm_sum = 0.0;
    size_t steps = 0;
    epoch_order(r);
    for (size_t b0 = 0; b0 < r->train->n; b0 += r->p->batch_size, steps++) {
        size_t b1 = b0 + r->p->batch_size < r->train->n ? b0 + r->p->batch_size : r->train->n;
        double loss, norm;
        enum pat_status st = train_batch(r, b0, b1, &loss, &norm, err);
        if (st != PAT_OK) return st;
        loss_sum += loss * (double)(b1 - b0);
        norm_sum += norm;
    }
    const double t = now_seconds() - t0;
    entry->train_loss = loss_sum / (double)r->train->n;
    entry->grad_norm = norm_sum / (double)steps;
    entry->seq_per_s = t > 0 ? (double)r->train->n / t : 0.0;
    return PAT_OK;
}

/* Train, validate and decide one epoch; *stop is set by early stopping. */
static enum pat_status run_epoch(struct pretrain_run *r, int *stop, struct pat_err *err) {
    struct pat_pretrain_log entry = {.epoch = r->epoch + 1, .epochs = r->p->epochs, .lr = r->lr};
    const double t0 = now_seconds();
    enum pat_status st = train_epoch(r, &entry, err);
    if (st == PAT_OK) st = validate(r->mae, r->p, r->lanes, r->num_lanes, r->val, &entry.val_loss, err);
    if (st != PAT_OK) return st;
    int flags = pat_early_stopping_update(&r->es, entry.val_loss);
    entry.improved = (flags & PAT_ES_IMPROVED) != 0;
    if (entry.improved) memcpy(r->best, r->mae->params, r->mae->num_params * sizeof *r->best);
    *stop = r->p->patience > 0 && (flags & PAT_ES_STOP);
    if (r->p->plateau_patience) pat_plateau_update(&r->plateau, &r->lr, entry.val_loss);
    r->epoch++;
    entry.seconds = now_seconds() - t0;
    st = append_log(r->res, &entry, err);
    if (st == PAT_OK) st = ranks_agree(r, err);
    if (st == PAT_OK && r->p->checkpoint_path && pat_dist_is_root(r->p->dist))
        st = pretrain_checkpoint_save(r, r->p->checkpoint_path, err);
    if (st == PAT_OK && r->p->on_epoch) r->p->on_epoch(&entry, r->p->user);
    return st;
}

/* Epochs from r->epoch to the end or an early stop, then restore the best. */
static enum pat_status run_epochs(struct pretrain_run *r, struct pat_err *err) {
    int stop = r->p->patience > 0 && r->es.stopped; /* a resumed run may have stopped */
    while (!stop && r->epoch < r->p->epochs) {
        enum pat_status st = run_epoch(r, &stop, err);
        if (st != PAT_OK) return st;
    }
    memcpy(r->mae->params, r->best, r->mae->num_params * sizeof *r->best);
    r->res->best_epoch = r->es.best_epoch + 1;
    r->res->best_val_loss = r->es.best;
    r->res->stopped_early = r->p->patience > 0 && r->es.stopped;
    return PAT_OK;
}

/* ---- run lifetime ---------------------------------------------------------------- */

static void run_free(struct pretrain_run *r) {
    pat_optim_free(&r->opt);
    lanes_free(r->lanes, r->num_lanes);
    free(r->grads), free(r->best), free(r->order), free(r->seq_loss);
    pat_tree_sum_free(&r->sum);
}

static enum pat_status run_init(struct pretrain_run *r, struct pat_mae *mae,
                                const struct pat_pretrain_params *p,
                                const struct pat_pretrain_data *tr,
                                const struct pat_pretrain_data *va,
                                struct pat_pretrain_result *res, struct pat_err *err) {
    memset(r, 0, sizeof *r);
    memset(res, 0, sizeof *res);
    r->mae = mae, r->p = p, r->train = tr, r->val = va, r->res = res;
    enum pat_status st = check_inputs(p, tr, va, err);
    if (st == PAT_OK) {
        r->num_lanes = lane_count(p->batch_size);
        st = lanes_init(&r->lanes, r->num_lanes, mae, tr->T, p->mask_ratio, 1, err);
        if (st != PAT_OK) r->num_lanes = 0;
    }
    if (st == PAT_OK) st = pat_optim_init(&r->opt, p->optimizer, mae->num_params, err);
    if (st != PAT_OK) return st;
    const size_t n = mae->num_params;
    r->grads = pat_calloc(n, sizeof(float)), r->best = pat_calloc(n, sizeof(float));
    r->order = pat_calloc(tr->n, sizeof(size_t));
    r->seq_loss = pat_calloc(p->batch_size, sizeof(double));
    pat_tree_sum_init(&r->sum, n);
    if (!r->grads || !r->best || !r->order || !r->seq_loss)
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for the pretraining state");
    memcpy(r->best, mae->params, n * sizeof *r->best); /* until an epoch improves */
    r->lr = p->lr;
    size_t patience = p->patience ? p->patience : (size_t)-1;
    pat_early_stopping_init(&r->es, PAT_MONITOR_MIN, patience, 0.0);
    pat_plateau_init(&r->plateau, PAT_MONITOR_MIN, p->plateau_factor, p->plateau_patience,
                     p->plateau_min_lr);
    return PAT_OK;
}

enum pat_status pat_pretrain(struct pat_mae *mae, const struct pat_pretrain_params *p,
                             const struct pat_pretrain_data *train,
                             const struct pat_pretrain_data *val,
                             struct pat_pretrain_result *result, struct pat_err *err) {
    struct pretrain_run r;
    const double t0 = now_seconds();
    enum pat_status st = run_init(&r, mae, p, train, val, result, err);
    if (st == PAT_OK) st = run_epochs(&r, err);
    result->seconds = now_seconds() - t0;
    run_free(&r);
    return st;
}

enum pat_status pat_pretrain_resume(struct pat_mae *mae, const char *checkpoint,
                                    const struct pat_pretrain_params *p,
                                    const struct pat_pretrain_data *train,
                                    const struct pat_pretrain_data *val,
                                    struct pat_pretrain_result *result, struct pat_err *err) {
    struct pretrain_run r;
    const double t0 = now_seconds();
    enum pat_status st = run_init(&r, mae, p, train, val, result, err);
    if (st == PAT_OK) st = pretrain_checkpoint_load(&r, checkpoint, err);
    if (st == PAT_OK) {
        result->resumed_from_epoch = result->num_epochs;
        st = run_epochs(&r, err);
    }
    result->seconds = now_seconds() - t0;
    run_free(&r);
    return st;
}

enum pat_status pat_pretrain_evaluate(const struct pat_mae *mae,
                                      const struct pat_pretrain_params *p,
                                      const struct pat_pretrain_data *d, double *loss,
                                      struct pat_err *err) {
    if (!d->n || d->T % mae->cfg.patch_size != 0 || !d->mean != !d->std || p->batch_size < 1)
        return pat_fail(err, PAT_ERR_USAGE, "nothing to evaluate, or a bad length or scaler");
    const size_t n = lane_count(d->n);
    struct mae_lane *lanes = NULL;
    enum pat_status st = lanes_init(&lanes, n, mae, d->T, p->mask_ratio, 0, err);
    if (st == PAT_OK) st = validate(mae, p, lanes, n, d, loss, err);
    lanes_free(lanes, n);
    return st;
}
