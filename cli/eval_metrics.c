/* eval_metrics.c - the metric set reported by pat eval and pat finetune. */
#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "eval/metrics.h"

enum pat_status eval_metrics_compute(struct eval_metrics *e, const float *prob,
                                     const float *label, size_t n, double threshold,
                                     size_t bootstrap, unsigned long long seed,
                                     struct pat_err *err) {
    e->n = n;
    e->positives = 0;
    for (size_t i = 0; i < n; i++) e->positives += label[i] == 1.0f;
    e->threshold = threshold;
    e->roc_auc = pat_roc_auc(prob, label, n);
    e->keras_auc = pat_keras_auc(prob, label, n);
    e->pr_auc = pat_average_precision(prob, label, n);
    pat_binary_metrics_at(prob, label, n, threshold, &e->at);
    e->ci_lo = e->ci_hi = NAN;
    e->bootstrap = bootstrap;
    if (!bootstrap) return PAT_OK;
    return pat_auc_bootstrap_ci(prob, label, n, bootstrap, seed, 0.95, &e->ci_lo, &e->ci_hi, err);
}

void eval_metrics_print(FILE *f, const struct eval_metrics *e) {
    fprintf(f, "n               %zu (%zu positive, %zu negative)\n", e->n, e->positives,
            e->n - e->positives);
    if (e->bootstrap)
        fprintf(f, "ROC-AUC         %.4f (95%% CI %.4f-%.4f, %zu bootstrap resamples)\n",
                e->roc_auc, e->ci_lo, e->ci_hi, e->bootstrap);
    else
        fprintf(f, "ROC-AUC         %.4f\n", e->roc_auc);
    fprintf(f, "Keras AUC       %.4f (200 thresholds, as the paper reports)\n", e->keras_auc);
    fprintf(f, "PR-AUC          %.4f (average precision)\n", e->pr_auc);
    fprintf(f, "at threshold    %.3g: accuracy %.4f, sensitivity %.4f, specificity %.4f,\n"
               "                F1 %.4f, MCC %.4f (TP %zu, FP %zu, TN %zu, FN %zu)\n",
            e->threshold, e->at.accuracy, e->at.sensitivity, e->at.specificity, e->at.f1,
            e->at.mcc, e->at.tp, e->at.fp, e->at.tn, e->at.fn);
}

void eval_metrics_json(struct pat_jw *w, const struct eval_metrics *e) {
    pat_jw_object_begin(w);
    pat_jw_key_uint(w, "n", e->n);
    pat_jw_key_uint(w, "positives", e->positives);
    pat_jw_key_number(w, "roc_auc", e->roc_auc);
    pat_jw_key(w, "roc_auc_ci95");
    double ci[2] = {e->ci_lo, e->ci_hi};
    pat_jw_numbers(w, ci, 2);
    pat_jw_key_uint(w, "bootstrap_resamples", e->bootstrap);
    pat_jw_key_number(w, "keras_auc", e->keras_auc);
    pat_jw_key_number(w, "pr_auc", e->pr_auc);
    pat_jw_key_number(w, "threshold", e->threshold);
    pat_jw_key_number(w, "accuracy", e->at.accuracy);
    pat_jw_key_number(w, "sensitivity", e->at.sensitivity);
    pat_jw_key_number(w, "specificity", e->at.specificity);
    pat_jw_key_number(w, "f1", e->at.f1);
    pat_jw_key_number(w, "mcc", e->at.mcc);
    pat_jw_key_uint(w, "tp", e->at.tp);
    pat_jw_key_uint(w, "fp", e->at.fp);
    pat_jw_key_uint(w, "tn", e->at.tn);
    pat_jw_key_uint(w, "fn", e->at.fn);
    pat_jw_object_end(w);
}
