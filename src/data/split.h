/* split.h - participant-level, stratified, seeded splits and k-fold.
 * ref: pat-spec §5.1 "splits" (the original's seeds and sampling are
 * unknown); the algorithm is in docs/data.md "Splits".
 *
 * Participants are sorted by id, grouped into strata by label (each distinct
 * label value; all labeled participants form one stratum when there are more
 * than PAT_SPLIT_MAX_STRATA values), shuffled within each stratum by one
 * seeded generator, and cut: round(n*test) to test, round(n*val) to val, the
 * rest to train. With k folds, the non-test participants of each stratum are
 * dealt to folds in turn, continuing from stratum to stratum.
 *
 * The paper's protocol (pat-spec §5.1): test_count holds out a fixed number
 * of test participants (2,000 in the paper) and use_count keeps only that
 * many of the others (its training sizes 500, 1,000, 2,500, ...) for train
 * + val; both are shared out over the strata in proportion to their sizes
 * (largest remainders), and the participants left over get split NONE.
 */
#ifndef PAT_DATA_SPLIT_H
#define PAT_DATA_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

#define PAT_SPLIT_MAX_STRATA 32

struct pat_split_params {
    double val, test;    /* fractions of each stratum (default 0.2, 0.2) */
    size_t folds;        /* 0: none; k >= 2: k folds over non-test (then val must be 0) */
    uint64_t seed;       /* default 42 */
    size_t test_count;   /* > 0: this many test participants instead of `test` */
    size_t use_count;    /* > 0: only this many non-test participants are used */
    int split_unlabeled; /* 1: unlabeled participants are a stratum; 0: split NONE */
};

struct pat_split_params pat_split_default_params(void);

/* n participants with ids and labels (NaN: unlabeled). Writes split[n]
 * (enum pat_split) and fold[n] (PAT_FOLD_NONE or 0..folds-1). */
enum pat_status pat_split_assign(const char *const *ids, const float *labels, size_t n,
                                 const struct pat_split_params *p, uint8_t *split,
                                 uint8_t *fold, struct pat_err *err);

const char *pat_split_name(enum pat_split s); /* "train", "val", "test", "none" */

#endif /* PAT_DATA_SPLIT_H */
