/* score.h - a model over people's raw recordings: the data pipeline of
 * pat data build with the model's recipe, inference as pat predict, and one
 * row per participant (docs/cli.md "pat score").
 *
 *     struct pat_score_params sp = pat_score_default_params();
 *     sp.recipe = recipe;                        // score/recipe.h
 *     struct pat_score_result res;
 *     pat_score_files(model, &sp, paths, n, &res, &err);
 *     for (size_t i = 0; i < res.np; i++) use(&res.p[i]);   // every participant read
 *     for (size_t k = 0; k < res.nw; k++) use(&res.w[k]);   // every scored window
 *     pat_score_result_free(&res);
 *
 * Windows are cut and transformed exactly as pat data build does with the
 * recipe's options (the same code: pat_build with a row callback) and scored
 * exactly as pat predict scores the rows of that dataset (log1p applied
 * once, the model's scaler), so a participant's probability equals the
 * recipe's aggregate of the build + predict probabilities of its windows.
 * Streaming: one participant's series and windows are in memory at a time
 * (plus the results, and the window values when keep_values is set).
 */
#ifndef PAT_SCORE_SCORE_H
#define PAT_SCORE_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "data/build.h"
#include "pat.h"
#include "score/input.h"
#include "score/recipe.h"

/* Which participants a call scores (a shard of a job under mpirun,
 * cli/score_dist.c). Path i is read only when pick(user, i, PAT_SCORE_ANY)
 * is nonzero; its participant k (0-based, in reading order) is scored only
 * when pick(user, i, k) is nonzero, the others are read and skipped. */
#define PAT_SCORE_ANY SIZE_MAX
typedef int (*pat_score_pick_fn)(void *user, size_t path, size_t k);

struct pat_score_params {
    struct pat_recipe recipe;      /* windows, aggregation, threshold */
    struct pat_input_params input; /* how paths are read (score/input.h) */
    size_t batch;                  /* windows per inference call (default 64) */
    enum pat_precision precision;  /* of inference (default PAT_PRECISION_FP32) */
    int explain;                   /* also compute each window's attention */
    int keep_values;               /* keep each window's model input (charts) */
    pat_progress_fn progress;      /* "participants" done; may be NULL */
    void *progress_user;
    pat_score_pick_fn pick;        /* NULL: every participant of every path */
    void *pick_user;
};

struct pat_score_params pat_score_default_params(void);

/* How much valid data stands behind a participant's score: the valid days
 * inside the scored windows (a window of D days counts its valid days).
 * good: >= 7 (a full week, as in training); limited: 3..6; poor: 1..2
 * (read the score with care); none: no window, no score. */
enum pat_sufficiency { PAT_SUFF_NONE = 0, PAT_SUFF_POOR, PAT_SUFF_LIMITED, PAT_SUFF_GOOD };
const char *pat_sufficiency_name(enum pat_sufficiency s); /* none, poor, limited, good */

struct pat_score_participant {
    char *id;                  /* from the file (or its stem for one-participant files) */
    char *source;              /* the path it was read from */
    float label;               /* label the source knows (Depresjon folders); NaN: none */
    double probability;        /* recipe aggregate of its windows; NaN: not scored */
    int decision;              /* probability >= threshold: 1/0; -1 no threshold or score */
    size_t windows;            /* windows scored */
    size_t window_valid_days;  /* valid days inside them (sufficiency) */
    size_t days, valid_days;   /* complete calendar days recorded, of which valid */
    size_t minutes;            /* span of the recording in minutes */
    size_t minutes_observed;   /* valid (worn, observed) minutes */
    int64_t first;             /* wall-clock minute of the first row */
    size_t first_window;       /* index of its first window in the result */
    size_t path, ordinal;      /* participant number `ordinal` (0-based) of paths[path]:
                                  the order of the rows (score/shard.h merges by it) */
    enum pat_sufficiency sufficiency;
    char reason[200];          /* why there is no score, or a caution; "" if none */
};

struct pat_score_window {
    size_t participant;        /* index into the participants */
    int64_t start;             /* wall-clock minute of its first minute */
    size_t valid;              /* valid minutes before filling */
    size_t valid_days;
    float probability;
};

struct pat_score_result {
    struct pat_score_participant *p;
    size_t np;
    struct pat_score_window *w;
    size_t nw;
    size_t T, N;               /* minutes per window, patches per window */
    float *attention;          /* explain: nw * N attention per patch, else NULL */
    float *values;             /* keep_values: nw * T model inputs (after the
                                  recipe's transform, before the scaler), else NULL */
    size_t pcap, wcap;
};

/* Score every participant of the recordings paths[0..n) with model m (it
 * must have a head). The recipe's window length must suit the model (its
 * scaler length, a multiple of its patch). A participant without an
 * accepted window gets a row with probability NaN and the reason; a
 * recording that cannot be read is an error naming the file. */
enum pat_status pat_score_files(const struct pat_model *m, const struct pat_score_params *p,
                                const char *const *paths, size_t n,
                                struct pat_score_result *out, struct pat_err *err);
void pat_score_result_free(struct pat_score_result *r); /* NULL-safe */

/* The wall-clock minute of the most-attended patch of window k (explain
 * results only; -1 otherwise). */
int64_t pat_score_top_attention(const struct pat_score_result *r, size_t k);

#endif /* PAT_SCORE_SCORE_H */
