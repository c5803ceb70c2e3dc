/* participant.h - participant-level evaluation: window results grouped by
 * participant, aggregated into one score per person, participant-level
 * ROC-AUC with a bootstrap over participants, and a Youden-J threshold.
 *
 * A person's windows (days, weeks) are not independent cases: a window-level
 * bootstrap treats them as such and gives too narrow an interval. Here the
 * unit is the participant: the windows of one person become one score
 * (the mean of their probabilities unless another rule is chosen), and the
 * bootstrap resamples participants.
 *
 *     struct pat_participants P;
 *     pat_participants_group(ids, prob, label, n, PAT_AGG_MEAN, &P, &err);
 *     pat_participants_auc(&P, &auc, &used, &err);
 *     pat_participants_auc_ci(&P, 1000, 42, 0.95, &lo, &hi, &err);
 *     pat_youden_threshold(P.score, P.label, P.n, &thr, &j, &err);  // labelled only
 *     pat_participants_free(&P);
 *
 * Everything is deterministic: groups come in the order of each id's first
 * window, and the bootstrap depends on its seed only (not on the order of
 * the participants). Labels: 0 or 1, any non-zero counts as positive, NaN
 * means unlabelled.
 */
#ifndef PAT_EVAL_PARTICIPANT_H
#define PAT_EVAL_PARTICIPANT_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

/* How a participant's window probabilities become one score. */
enum pat_aggregate {
    PAT_AGG_MEAN = 0,   /* arithmetic mean (default) */
    PAT_AGG_MEDIAN = 1, /* median (mean of the two middle values for even counts) */
    PAT_AGG_MAX = 2,    /* the largest window probability */
};

/* "mean", "median", "max". */
const char *pat_aggregate_name(enum pat_aggregate a);
/* Parse a name of pat_aggregate_name; returns 0, or -1 for an unknown name. */
int pat_aggregate_parse(const char *name, enum pat_aggregate *out);

/* The aggregate of v[n] in double precision (NaN when n == 0 or a value is
 * NaN). Sums run in input order. Allocates O(n) scratch for the median
 * (NaN if that fails). */
double pat_aggregate_values(const float *v, size_t n, enum pat_aggregate a);

/* One row per participant, in the order of each id's first window. */
struct pat_participants {
    size_t n;
    char **id;       /* n ids (owned copies) */
    float *score;    /* aggregated window probability (rounded to float) */
    float *label;    /* the participant's label; NaN when its windows have none */
    size_t *windows; /* windows of the participant */
    size_t *first;   /* index of the participant's first window in the input */
};

/* Group n windows by id[k] (non-empty strings; a participant's windows need
 * not be adjacent) and aggregate prob[k] with `agg`. label may be NULL (all
 * unlabelled); otherwise every window of a participant must carry the same
 * label (NaN counts as a label value here), else PAT_ERR_FORMAT names the
 * participant. A NaN probability is PAT_ERR_NUMERIC. On failure *out is
 * left empty. */
enum pat_status pat_participants_group(const char *const *id, const float *prob,
                                       const float *label, size_t n, enum pat_aggregate agg,
                                       struct pat_participants *out, struct pat_err *err);
void pat_participants_free(struct pat_participants *p); /* NULL-safe; leaves it empty */

/* Exact ROC-AUC (pat_roc_auc) over the labelled participants; *used (may be
 * NULL) receives their number. PAT_ERR_USAGE when no labelled participant
 * exists or a class is missing. */
enum pat_status pat_participants_auc(const struct pat_participants *p, double *auc,
                                     size_t *used, struct pat_err *err);

/* Percentile bootstrap interval of the participant-level AUC: `reps`
 * resamples of the labelled participants drawn with replacement
 * (pat_auc_bootstrap_ci on their scores: seeded, independent of the input
 * order, resamples missing a class redrawn). Same refusals as
 * pat_auc_bootstrap_ci. */
enum pat_status pat_participants_auc_ci(const struct pat_participants *p, size_t reps,
                                        uint64_t seed, double level, double *lo, double *hi,
                                        struct pat_err *err);

/* The decision threshold that maximises Youden's J = sensitivity +
 * specificity - 1 with "positive <=> score >= threshold" over the n cases
 * (typically participants; NaN labels are skipped). The candidates are the
 * distinct scores and the best one is returned, as
 * pat_logreg_youden_threshold does for the baselines (the rule behind the
 * Depresjon benchmark's thresholds). J is compared exactly (in integer
 * counts); among equal J the highest candidate wins. *j receives the J achieved (may be NULL).
 * PAT_ERR_USAGE when there is no positive or no negative case or a score
 * is NaN; PAT_ERR_NOMEM. */
enum pat_status pat_youden_threshold(const float *score, const float *label, size_t n,
                                     double *threshold, double *j, struct pat_err *err);

#endif /* PAT_EVAL_PARTICIPANT_H */
