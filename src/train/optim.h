/* optim.h - optimizers, gradient clipping and learning-rate schedules.
 *
 * Everything works on flat float buffers: the parameters, their gradients
 * and the optimizer moments m and v share one layout (the model's ordered
 * tensor table, model.h), so a "parameter group" is a float range of it.
 *
 *     struct pat_optim opt;
 *     pat_optim_init(&opt, PAT_OPTIM_ADAM_KERAS, m->num_params, &err);
 *     struct pat_param_group all = {0, m->num_params, 1e-5f, 0.0f, 0};
 *     for (each batch) {
 *         ... forward, backward into grads ...
 *         pat_optim_step(&opt, m->params, grads, &all, 1, &err);
 *     }
 *     pat_optim_free(&opt);
 *
 * Three update rules (t = step + 1 is the 1-based step being taken):
 *   PAT_OPTIM_ADAM_KERAS  Keras Adam (pat-spec §3.2), eps 1e-7:
 *       m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
 *       theta -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 *     eps is added to the un-corrected sqrt(v). A group weight decay wd > 0
 *     is Keras' decoupled decay (optimizer._apply_weight_decay), applied
 *     first: theta -= theta lr wd. The original PAT used wd = 0.
 *   PAT_OPTIM_ADAM_TORCH  torch.optim.Adam, eps 1e-8: g' = g + wd theta
 *     (L2 penalty, when wd > 0); m = b1 m + (1 - b1) g';
 *     v = b2 v + (1 - b2) g'^2;
 *     theta -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *   PAT_OPTIM_ADAMW       torch.optim.AdamW, eps 1e-8: theta *= 1 - lr wd,
 *     then the Adam update above without the L2 term (default wd 1e-2).
 * Each element is updated in double from its float params, grads, m and v;
 * the results are stored as float. Elements are independent, so the result
 * does not depend on the thread count.
 *
 * Step counter: one per state, incremented once per pat_optim_step call and
 * used for every group's bias correction. This equals Keras (one
 * `iterations` counter per optimizer) and torch as long as every parameter
 * gets a gradient at every step; torch keeps one counter per tensor, so a
 * group that is frozen for some steps and then trained again would see a
 * smaller t in torch than here.
 *
 * Checkpoints: m, v (n floats each) and step are the whole state besides
 * the hyperparameters; save them as they are (float32 tensors and a decimal
 * integer) and put them back with pat_optim_restore to continue bit-exactly.
 */
#ifndef PAT_OPTIM_H
#define PAT_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

/* Values only grow at the end (they may be written to checkpoints). */
enum pat_optim_kind {
    PAT_OPTIM_ADAM_KERAS = 0, /* Keras Adam, eps 1e-7 (the original PAT) */
    PAT_OPTIM_ADAM_TORCH = 1, /* torch.optim.Adam, eps 1e-8, L2 decay */
    PAT_OPTIM_ADAMW = 2,      /* torch.optim.AdamW, eps 1e-8, decoupled decay */
};

/* One parameter group: the float range [begin, end) of the flat buffer.
 * Groups of one step must not overlap; elements outside every group and
 * elements of a frozen group are not touched (parameters, m and v). */
struct pat_param_group {
    size_t begin, end;
    float lr;           /* learning rate of this step */
    float weight_decay; /* 0: none; meaning depends on the kind (above) */
    int frozen;         /* nonzero: skip this range entirely */
};

struct pat_optim {
    enum pat_optim_kind kind;
    double beta1, beta2; /* 0.9, 0.999 after init */
    double eps;          /* 1e-7 (Keras) or 1e-8 (torch) after init */
    size_t n;            /* floats in params, grads, m, v */
    float *m, *v;        /* first and second moments, owned, zero after init */
    uint64_t step;       /* steps taken; the next step uses t = step + 1 */
};

/* Allocate zeroed moments for n floats and set the kind's defaults
 * (beta1 0.9, beta2 0.999, eps per kind, step 0). The fields beta1, beta2,
 * eps may be changed before the first step. On failure *o is zeroed. */
enum pat_status pat_optim_init(struct pat_optim *o, enum pat_optim_kind kind, size_t n,
                               struct pat_err *err);

/* Free the moments; safe on a zeroed or freed state. */
void pat_optim_free(struct pat_optim *o);

/* Default epsilon (1e-7 Keras, 1e-8 torch) and weight decay (1e-2 for
 * AdamW, as torch, else 0) of a kind. */
double pat_optim_default_eps(enum pat_optim_kind kind);
float pat_optim_default_weight_decay(enum pat_optim_kind kind);

/* One update of params (n floats, in place) from grads (n floats) over the
 * given groups, then step += 1. Fails with PAT_ERR_USAGE, changing nothing,
 * when a group is out of range or empty-inverted (begin > end), groups
 * overlap, or a learning rate or weight decay is negative or not finite. */
enum pat_status pat_optim_step(struct pat_optim *o, float *params, const float *grads,
                               const struct pat_param_group *groups, size_t num_groups,
                               struct pat_err *err);

/* Put back a saved state: copies n floats of m and v and sets step.
 * PAT_ERR_USAGE when n differs from o->n. */
enum pat_status pat_optim_restore(struct pat_optim *o, const float *m, const float *v,
                                  size_t n, uint64_t step, struct pat_err *err);

/* Global L2 norm of g (n floats): sum of squares in double, in index
 * order, then sqrt. NaN or Inf when g holds one. */
double pat_grad_norm(const float *g, size_t n);

/* torch.nn.utils.clip_grad_norm_: norm = pat_grad_norm(g, n);
 * c = max_norm / (norm + 1e-6); when c < 1, g[i] = (float)(g[i] * c).
 * (So, as in torch, a norm in (max_norm - 1e-6, max_norm] is scaled by a
 * factor just below 1.) Returns the norm before clipping; the caller
 * should stop on a non-finite return (g is then left unscaled for NaN). */
double pat_clip_grad_norm(float *g, size_t n, double max_norm);

/* torch CosineAnnealingLR in closed form: the learning rate of epoch
 * `epoch` (0-based) = eta_min + (base - eta_min)(1 + cos(pi epoch/t_max))/2.
 * Periodic beyond t_max like torch's recursion (rises again after t_max).
 * t_max = 0 returns base. */
double pat_lr_cosine(double base, double eta_min, size_t epoch, size_t t_max);

/* Direction of a monitored quantity. */
enum pat_monitor_mode {
    PAT_MONITOR_MIN = 0, /* smaller is better (loss) */
    PAT_MONITOR_MAX = 1, /* bigger is better (AUC) */
};

/* Keras ReduceLROnPlateau (keras/callbacks.py, Keras 2.15), one update per
 * epoch. Improvement: value < best - min_delta (min) or value > best +
 * min_delta (max); min_delta is ABSOLUTE (Keras), not torch's relative
 * threshold. On improvement best = value and wait = 0; otherwise, outside a
 * cooldown, wait += 1 and when wait >= patience and (float)lr > (float)min_lr
 * (Keras' lr is a float32 variable):
 * lr = max(lr * factor, min_lr), wait = 0, cooldown starts. When lr is
 * already at min_lr, wait keeps growing (Keras). NaN never improves. */
struct pat_plateau {
    enum pat_monitor_mode mode;
    double factor;    /* in (0, 1); pat-spec §3.2: 0.5 */
    size_t patience;  /* epochs without improvement before a reduction */
    double min_lr;    /* lower bound of the learning rate */
    double min_delta; /* absolute; Keras default 1e-4 */
    size_t cooldown;  /* epochs after a reduction when wait stays 0; Keras default 0 */
    /* state */
    double best;             /* +Inf (min) or -Inf (max) after init */
    size_t wait;             /* epochs since the last improvement or reduction */
    size_t cooldown_counter; /* epochs of cooldown left */
};

/* Set the parameters, Keras defaults min_delta 1e-4 and cooldown 0, and a
 * fresh state. */
void pat_plateau_init(struct pat_plateau *p, enum pat_monitor_mode mode, double factor,
                      size_t patience, double min_lr);

/* Feed one epoch's monitored value; may lower *lr. Returns 1 when *lr was
 * reduced, else 0. */
int pat_plateau_update(struct pat_plateau *p, double *lr, double value);

/* Keras EarlyStopping (Keras 2.15, baseline None, start_from_epoch 0).
 * Per epoch: wait += 1; improvement (value - min_delta > best for max,
 * value + min_delta < best for min; strictly) sets best, best_epoch and
 * wait = 0; then training stops when wait >= patience and the epoch is not
 * the first. Hence the stop comes `patience` epochs after the best one, and
 * with patience 0 even an improving epoch stops (Keras does the same).
 * NaN never improves. Restore-best: the weights to keep are those of
 * best_epoch; if nothing ever improved best_epoch stays 0, i.e. the first
 * epoch's weights, as Keras restores. */
struct pat_early_stopping {
    enum pat_monitor_mode mode;
    size_t patience;
    double min_delta;  /* >= 0 (its absolute value is used) */
    /* state */
    double best;          /* +Inf (min) or -Inf (max) after init */
    size_t best_epoch;    /* 0-based epoch of best */
    size_t wait;          /* epochs since the best one */
    size_t epoch;         /* epochs seen so far = 0-based index of the next */
    int stopped;          /* a stop was signalled */
    size_t stopped_epoch; /* 0-based epoch of the stop signal */
};

/* Flags returned by pat_early_stopping_update. */
enum {
    PAT_ES_IMPROVED = 1, /* this epoch is the new best: save its weights */
    PAT_ES_STOP = 2,     /* stop training now; restore best_epoch's weights */
};

void pat_early_stopping_init(struct pat_early_stopping *es, enum pat_monitor_mode mode,
                             size_t patience, double min_delta);

/* Feed one epoch's monitored value; returns PAT_ES_* flags (0: go on). */
int pat_early_stopping_update(struct pat_early_stopping *es, double value);

#endif /* PAT_OPTIM_H */
