/* nhanes.h - NHANES readers over SAS XPORT files (src/io/xpt.h), streaming
 * one participant at a time. ref: pat-spec §5.1, §5.2, §5.3, §8 item 19;
 * choices in docs/data.md "NHANES".
 *
 * PAXMIN_G/H (2011-14): activity PAXMTSM (MIMS; -0.01 = not computable ->
 *   flagged); minute index PAXSSNMP / 4800 within SEQN (never PAXSSNMP %
 *   1440); PAXPREDM 3 non-wear, 4 unknown (not valid unless keep_nonwear);
 *   PAXQFM > 0 flagged. The first minute of day 2 (PAXDAYM = 2) is put at
 *   midnight, so windows align to the participant's local midnights. PAXAISMM
 *   (idle-sleep-mode sample counts) is never read.
 * PAXRAW_C/D (2003-06): PAXINTEN counts, minute index PAXN; PAXSTAT != 1 or
 *   PAXCAL != 1 flagged; the wall clock from PAXHOUR/PAXMINUT when present.
 * DPQ_G/H: PHQ-9 = DPQ010..DPQ090 (0..3 each); codes 7 (refused), 9 (don't
 *   know) and missing either exclude the participant (default, counted) or
 *   count as 0; label = total >= threshold; covariate phq9_total.
 * DEMO_*: covariates age (RIDAGEYR) and sex (RIAGENDR: 1 male, 2 female).
 */
#ifndef PAT_DATA_NHANES_H
#define PAT_DATA_NHANES_H

#include <stddef.h>

#include "data/labels.h"
#include "data/series.h"

enum pat_phq_missing {
    PAT_PHQ_EXCLUDE = 0, /* any item 7, 9 or missing: no label */
    PAT_PHQ_ZERO = 1,    /* such items count 0 (as pandas' sum in [BMD] did) */
};

struct pat_nhanes_params {
    int keep_nonwear;     /* PAXPREDM 3/4 minutes count as valid */
    double phq_threshold; /* label 1 when PHQ-9 >= this (10) */
    enum pat_phq_missing phq_missing;
};

struct pat_nhanes_params pat_nhanes_default_params(void);

struct pat_phq_stats {
    size_t rows;         /* DPQ rows read */
    size_t labeled;      /* participants given a label */
    size_t positive;     /* of which label 1 */
    size_t refused;      /* excluded: an item 7 or 9 */
    size_t missing;      /* excluded: an item missing (some answered) */
    size_t unanswered;   /* excluded: all nine items missing */
    size_t zeroed;       /* PAT_PHQ_ZERO: participants with items counted 0 */
};

enum pat_status pat_nhanes_read_paxmin(const char *path, const struct pat_nhanes_params *p,
                                       const struct pat_series_rules *rules, pat_series_fn fn,
                                       void *ctx, size_t *count, struct pat_err *err);
enum pat_status pat_nhanes_read_paxraw(const char *path, const struct pat_nhanes_params *p,
                                       const struct pat_series_rules *rules, pat_series_fn fn,
                                       void *ctx, size_t *count, struct pat_err *err);
enum pat_status pat_nhanes_read_dpq(const char *path, const struct pat_nhanes_params *p,
                                    struct pat_labels *L, struct pat_phq_stats *st,
                                    struct pat_err *err);
/* *rows: DEMO rows read. */
enum pat_status pat_nhanes_read_demo(const char *path, struct pat_labels *L, size_t *rows,
                                     struct pat_err *err);

#endif /* PAT_DATA_NHANES_H */
