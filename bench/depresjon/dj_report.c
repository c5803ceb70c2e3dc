/* dj_report.c - metrics, results JSON, markdown tables and the ROC chart of
 * the Depresjon benchmark (dj.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj.h"
#include "report/atomic.h"
#include "report/json.h"
#include "report/svg.h"
#include "util.h"

/* The method's label with the run's architecture ("PAT-S ..." -> "PAT-M ..."). */
static const char *arch_label(char *buf, size_t n, enum dj_method me, const char *arch) {
    const char *label = dj_method_label(me);
    if (strncmp(label, "PAT-S ", 6) != 0) return label;
    snprintf(buf, n, "PAT-%s %s", arch, label + 6);
    return buf;
}

enum pat_status dj_protocol_alloc(struct dj_protocol *pr, const char *name, size_t repeats,
                                  size_t folds, size_t P, struct pat_err *err) {
    memset(pr, 0, sizeof *pr);
    pr->name = name, pr->repeats = repeats, pr->folds = folds;
    const size_t ns = repeats * DJ_METHODS * P, nf = repeats * folds * DJ_METHODS;
    pr->score = malloc(ns * sizeof *pr->score), pr->decision = malloc(ns * sizeof *pr->decision);
    pr->threshold = malloc(nf * sizeof *pr->threshold);
    pr->inner_auc = malloc(nf * sizeof *pr->inner_auc);
    pr->pre_loss = malloc(repeats * folds * sizeof *pr->pre_loss);
    if (!pr->score || !pr->decision || !pr->threshold || !pr->inner_auc || !pr->pre_loss) {
        dj_protocol_free(pr);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < ns; i++) pr->score[i] = NAN, pr->decision[i] = NAN;
    for (size_t i = 0; i < nf; i++) pr->threshold[i] = NAN, pr->inner_auc[i] = NAN;
    for (size_t i = 0; i < repeats * folds; i++) pr->pre_loss[i] = NAN;
    return PAT_OK;
}

void dj_protocol_free(struct dj_protocol *pr) {
    free(pr->score), free(pr->decision), free(pr->threshold), free(pr->inner_auc);
    free(pr->pre_loss);
    memset(pr, 0, sizeof *pr);
}

enum pat_status dj_metrics_of(const struct dj_data *d, const float *score,
                              const float *decision, uint64_t seed, struct dj_metrics *m,
                              struct pat_err *err) {
    m->auc = pat_roc_auc(score, d->label, d->P);
    m->pr_auc = pat_average_precision(score, d->label, d->P);
    pat_binary_metrics_at(decision, d->label, d->P, 0.5, &m->at);
    return pat_auc_bootstrap_ci(score, d->label, d->P, DJ_BOOTSTRAP, seed, 0.95, &m->ci_lo,
                                &m->ci_hi, err);
}

static const float *rep_score(const struct dj_protocol *pr, size_t P, size_t r, int me) {
    return pr->score + (r * DJ_METHODS + (size_t)me) * P;
}
static const float *rep_decision(const struct dj_protocol *pr, size_t P, size_t r, int me) {
    return pr->decision + (r * DJ_METHODS + (size_t)me) * P;
}

/* ---- JSON ---- */

static void json_metrics(struct pat_jw *w, const struct dj_metrics *m) {
    pat_jw_object_begin(w);
    pat_jw_key_number(w, "roc_auc", m->auc);
    pat_jw_key(w, "roc_auc_ci95");
    double ci[2] = {m->ci_lo, m->ci_hi};
    pat_jw_numbers(w, ci, 2);
    pat_jw_key_number(w, "pr_auc", m->pr_auc);
    pat_jw_key_number(w, "accuracy", m->at.accuracy);
    pat_jw_key_number(w, "f1", m->at.f1);
    pat_jw_key_number(w, "mcc", m->at.mcc);
    pat_jw_key_number(w, "sensitivity", m->at.sensitivity);
    pat_jw_key_number(w, "specificity", m->at.specificity);
    pat_jw_key_uint(w, "tp", m->at.tp), pat_jw_key_uint(w, "fp", m->at.fp);
    pat_jw_key_uint(w, "tn", m->at.tn), pat_jw_key_uint(w, "fn", m->at.fn);
    pat_jw_object_end(w);
}

static void json_floats(struct pat_jw *w, const float *v, size_t n) {
    pat_jw_array_begin(w);
    for (size_t i = 0; i < n; i++) pat_jw_number(w, v[i]);
    pat_jw_array_end(w);
}

static void json_config(struct pat_jw *w, const struct dj_config *c) {
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "arch", c->arch);
    pat_jw_key_uint(w, "seed", c->seed);
    pat_jw_key_uint(w, "pretrain_epochs", c->pre_epochs);
    pat_jw_key_uint(w, "pretrain_batch", c->pre_batch);
    pat_jw_key_number(w, "pretrain_lr", c->pre_lr);
    pat_jw_key_number(w, "mask_ratio", c->mask_ratio);
    pat_jw_key_uint(w, "finetune_epochs", c->ft_epochs);
    pat_jw_key_uint(w, "finetune_batch", c->ft_batch);
    pat_jw_key_number(w, "finetune_lr_head", c->ft_lr_head);
    pat_jw_key_number(w, "finetune_lr_encoder", c->ft_lr_encoder);
    pat_jw_key_number(w, "probe_C", c->probe_C);
    pat_jw_key_number(w, "features_C", c->features_C);
    pat_jw_key_number(w, "inner_val", c->inner_val);
    pat_jw_key_uint(w, "bootstrap_resamples", DJ_BOOTSTRAP);
    pat_jw_object_end(w);
}

static enum pat_status json_protocol(struct pat_jw *w, const struct dj_data *d,
                                     const struct dj_config *c, const struct dj_protocol *pr,
                                     struct pat_err *err) {
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "name", pr->name);
    pat_jw_key_uint(w, "repeats", pr->repeats);
    pat_jw_key_uint(w, "folds", pr->folds);
    pat_jw_key_number(w, "seconds", pr->seconds);
    pat_jw_key(w, "mae_val_loss");
    pat_jw_numbers(w, pr->pre_loss, pr->repeats * pr->folds);
    pat_jw_key(w, "methods");
    pat_jw_array_begin(w);
    for (int me = 0; me < DJ_METHODS; me++) {
        if (!c->methods[me]) continue;
        pat_jw_object_begin(w);
        pat_jw_key_string(w, "name", dj_method_name((enum dj_method)me));
        char lb[96];
        pat_jw_key_string(w, "label", arch_label(lb, sizeof lb, (enum dj_method)me, c->arch));
        pat_jw_key(w, "repeats");
        pat_jw_array_begin(w);
        for (size_t r = 0; r < pr->repeats; r++) {
            struct dj_metrics m;
            enum pat_status st = dj_metrics_of(d, rep_score(pr, d->P, r, me),
                                               rep_decision(pr, d->P, r, me), c->seed + r, &m, err);
            if (st != PAT_OK) return st;
            pat_jw_object_begin(w);
            pat_jw_key(w, "metrics");
            json_metrics(w, &m);
            pat_jw_key(w, "scores");
            json_floats(w, rep_score(pr, d->P, r, me), d->P);
            pat_jw_key(w, "thresholds");
            pat_jw_array_begin(w);
            for (size_t k = 0; k < pr->folds; k++)
                pat_jw_number(w, pr->threshold[(r * pr->folds + k) * DJ_METHODS + (size_t)me]);
            pat_jw_array_end(w);
            pat_jw_key(w, "inner_val_auc");
            pat_jw_array_begin(w);
            for (size_t k = 0; k < pr->folds; k++)
                pat_jw_number(w, pr->inner_auc[(r * pr->folds + k) * DJ_METHODS + (size_t)me]);
            pat_jw_array_end(w);
            pat_jw_object_end(w);
        }
        pat_jw_array_end(w);
        pat_jw_object_end(w);
    }
    pat_jw_array_end(w);
    pat_jw_object_end(w);
    return PAT_OK;
}

enum pat_status dj_report_json(const char *path, const struct dj_data *d,
                               const struct dj_config *c, const char *data_path,
                               const struct dj_protocol *pr, size_t npr, double seconds,
                               struct pat_err *err) {
    struct pat_atomic_file a;
    enum pat_status st = pat_atomic_open(&a, path, err);
    if (st != PAT_OK) return st;
    struct pat_jw w;
    pat_jw_init(&w, a.f, 1);
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "benchmark", "depresjon");
    pat_jw_key_string(&w, "pat_version", PAT_VERSION);
    pat_jw_key_number(&w, "seconds", seconds);
    pat_jw_key(&w, "dataset");
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "path", data_path);
    pat_jw_key_uint(&w, "windows", d->rows);
    pat_jw_key_uint(&w, "minutes_per_window", d->T);
    pat_jw_key_uint(&w, "participants", d->P);
    pat_jw_key_string(&w, "command", pat_dataset_meta_get(d->ds, "command"));
    pat_jw_object_end(&w);
    pat_jw_key(&w, "config");
    json_config(&w, c);
    pat_jw_key(&w, "participants");
    pat_jw_array_begin(&w);
    for (size_t p = 0; p < d->P; p++) pat_jw_string(&w, pat_dataset_participant_id(d->ds, p));
    pat_jw_array_end(&w);
    pat_jw_key(&w, "labels");
    json_floats(&w, d->label, d->P);
    pat_jw_key(&w, "windows_per_participant");
    pat_jw_array_begin(&w);
    for (size_t p = 0; p < d->P; p++) pat_jw_uint(&w, d->count[p]);
    pat_jw_array_end(&w);
    pat_jw_key(&w, "protocols");
    pat_jw_array_begin(&w);
    for (size_t i = 0; st == PAT_OK && i < npr; i++) st = json_protocol(&w, d, c, &pr[i], err);
    pat_jw_array_end(&w);
    pat_jw_object_end(&w);
    if (st == PAT_OK) st = pat_jw_finish(&w, err);
    if (st != PAT_OK) {
        pat_atomic_abort(&a);
        return st;
    }
    return pat_atomic_commit(&a, err);
}

/* ---- markdown table ---- */

static void mean_sd(const double *v, size_t n, double *mean, double *sd) {
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++) q += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(q / (double)(n - 1)) : 0.0;
}

static enum pat_status summarize(const struct dj_data *d, const struct dj_config *c,
                                 const struct dj_protocol *pr, int me, double out[9][2],
                                 struct pat_err *err) {
    double *v = malloc(pr->repeats * 9 * sizeof *v);
    if (!v) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < pr->repeats; r++) {
        struct dj_metrics m;
        enum pat_status st = dj_metrics_of(d, rep_score(pr, d->P, r, me),
                                           rep_decision(pr, d->P, r, me), c->seed + r, &m, err);
        if (st != PAT_OK) {
            free(v);
            return st;
        }
        const double row[9] = {m.auc, m.ci_lo, m.ci_hi, m.pr_auc, m.at.accuracy, m.at.f1,
                               m.at.mcc, m.at.sensitivity, m.at.specificity};
        for (int j = 0; j < 9; j++) v[(size_t)j * pr->repeats + r] = row[j];
    }
    for (int j = 0; j < 9; j++) mean_sd(v + (size_t)j * pr->repeats, pr->repeats, &out[j][0], &out[j][1]);
    free(v);
    return PAT_OK;
}

/* Mean over all folds of full fine-tuning's best inner-validation window
 * AUC (a training-folds-only signal; NaN for methods without one). */
static double mean_inner(const struct dj_protocol *pr, int me) {
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < pr->repeats * pr->folds; i++) {
        const double v = pr->inner_auc[i * DJ_METHODS + (size_t)me];
        if (!isnan(v)) s += v, n++;
    }
    return n ? s / (double)n : NAN;
}

enum pat_status dj_report_table(FILE *f, const struct dj_data *d, const struct dj_config *c,
                                const struct dj_protocol *pr, struct pat_err *err) {
    const int multi = pr->repeats > 1;
    fprintf(f, "%s: %zu participants, %zu repeat%s of %zu folds%s\n\n", pr->name, d->P,
            pr->repeats, multi ? "s" : "", pr->folds,
            multi ? " (mean ± SD over repeats; CI: mean of the per-repeat bootstrap bounds)" : "");
    fprintf(f, "| method | ROC-AUC | 95%% CI | PR-AUC | accuracy | F1 | MCC | sensitivity | "
               "specificity | inner-val AUC |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (int me = 0; me < DJ_METHODS; me++) {
        if (!c->methods[me]) continue;
        double s[9][2];
        enum pat_status st = summarize(d, c, pr, me, s, err);
        if (st != PAT_OK) return st;
        char lb[96];
        fprintf(f, "| %s |", arch_label(lb, sizeof lb, (enum dj_method)me, c->arch));
        for (int j = 0; j < 9; j++) {
            if (j == 1) {
                fprintf(f, " %.3f–%.3f |", s[1][0], s[2][0]);
                j = 2;
                continue;
            }
            if (multi) fprintf(f, " %.3f ± %.3f |", s[j][0], s[j][1]);
            else fprintf(f, " %.3f |", s[j][0]);
        }
        const double iv = mean_inner(pr, me);
        if (isnan(iv)) fprintf(f, " – |\n");
        else fprintf(f, " %.3f |\n", iv);
    }
    fprintf(f, "\n");
    return PAT_OK;
}

/* ---- ROC chart ---- */

enum pat_status dj_report_roc(const char *path, const struct dj_data *d,
                              const struct dj_config *c, const struct dj_protocol *pr,
                              size_t repeat, struct pat_err *err) {
    struct pat_svg_series s[DJ_METHODS + 1];
    double *buf = malloc((size_t)(DJ_METHODS + 1) * 2 * (d->P + 1) * sizeof *buf);
    char names[DJ_METHODS][128];
    if (!buf) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    size_t ns = 0;
    for (int me = 0; me < DJ_METHODS; me++) {
        if (!c->methods[me]) continue;
        double *fpr = buf + ns * 2 * (d->P + 1), *tpr = fpr + d->P + 1;
        const float *sc = rep_score(pr, d->P, repeat, me);
        size_t n = pat_roc_curve(fpr, tpr, sc, d->label, d->P);
        snprintf(names[ns], sizeof names[ns], "%s (AUC %.3f)", dj_method_name((enum dj_method)me),
                 pat_roc_auc(sc, d->label, d->P));
        s[ns] = (struct pat_svg_series){names[ns], fpr, tpr, n};
        ns++;
    }
    static const double diag[2] = {0.0, 1.0};
    s[ns++] = (struct pat_svg_series){"chance", diag, diag, 2};
    char title[160];
    snprintf(title, sizeof title, "Depresjon %s: ROC of %zu participants' scores%s", pr->name,
             d->P, pr->repeats > 1 ? " (CV repeat 1)" : "");
    enum pat_status st = pat_svg_lines(path, title, "false-positive rate (1 - specificity)",
                                       "true-positive rate (sensitivity)", s, ns, err);
    free(buf);
    return st;
}
