/* report.h - what pat cv writes: metrics of the out-of-fold participant
 * scores, the paired comparison with the features baseline, results.json,
 * the markdown tables and the ROC chart (docs/cv.md "Outputs").
 *
 * A participant's decision is score >= the threshold of its fold; the
 * threshold metrics pool every fold's decisions of a repeat. The ROC-AUC
 * interval is a participant bootstrap (bootstrap resamples, seed + r for
 * repeat r); the paired comparison resamples participants once for both
 * methods and adds DeLong's test (src/eval/delong.h).
 */
#ifndef PAT_CV_REPORT_H
#define PAT_CV_REPORT_H

#include <stdio.h>

#include "cv/cv.h"
#include "eval/metrics.h"

struct pat_cv_report {
    const struct pat_cv_cohort *c;
    const struct pat_cv_plan *plan;
    const struct pat_cv_config *cfg;
    const struct pat_cv_results *res;
    const char *data_path;
    size_t bootstrap;   /* resamples (2000) */
    double seconds;     /* of the whole run */
};

struct pat_cv_metrics {
    double auc, ci_lo, ci_hi, pr_auc;
    struct pat_binary_metrics at;
};

/* Method m on repeat r. */
enum pat_status pat_cv_metrics_of(const struct pat_cv_report *rp, int m, size_t r,
                                  struct pat_cv_metrics *out, struct pat_err *err);

struct pat_cv_paired {
    double diff, lo, hi; /* AUC(m) - AUC(features), paired bootstrap interval */
    double z, p;         /* DeLong */
};

enum pat_status pat_cv_paired_of(const struct pat_cv_report *rp, int m, size_t r,
                                 struct pat_cv_paired *out, struct pat_err *err);

enum pat_status pat_cv_write_json(const struct pat_cv_report *rp, const char *path,
                                  struct pat_err *err);
enum pat_status pat_cv_write_tables(const struct pat_cv_report *rp, FILE *f,
                                    struct pat_err *err);
enum pat_status pat_cv_write_roc(const struct pat_cv_report *rp, const char *path,
                                 struct pat_err *err);

#endif /* PAT_CV_REPORT_H */
