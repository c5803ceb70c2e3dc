/* report.c - metrics, paired comparison, results.json, tables and ROC
 * chart of pat cv (report.h). */
#include "cv/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/delong.h"
#include "report/atomic.h"
#include "report/json.h"
#include "report/svg.h"
#include "util.h"

static const float *scores(const struct pat_cv_report *rp, int m, size_t r) {
    return rp->res->score + PAT_CV_AT(rp->res, m, r, 0, rp->res->P);
}

static double fold_threshold(const struct pat_cv_report *rp, int m, size_t r, size_t k) {
    return rp->res->threshold[PAT_CV_AT(rp->res, m, r, k, rp->res->K)];
}

enum pat_status pat_cv_metrics_of(const struct pat_cv_report *rp, int m, size_t r,
                                  struct pat_cv_metrics *out, struct pat_err *err) {
    const size_t P = rp->c->P;
    const float *s = scores(rp, m, r);
    float *dec = pat_calloc(P, sizeof *dec);
    if (!dec) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t p = 0; p < P; p++)
        dec[p] = (double)s[p] >= fold_threshold(rp, m, r, rp->plan->fold[r * P + p]) ? 1.0f : 0.0f;
    out->auc = pat_roc_auc(s, rp->c->label, P);
    out->pr_auc = pat_average_precision(s, rp->c->label, P);
    pat_binary_metrics_at(dec, rp->c->label, P, 0.5, &out->at);
    free(dec);
    return pat_auc_bootstrap_ci(s, rp->c->label, P, rp->bootstrap, rp->cfg->seed + r, 0.95,
                                &out->ci_lo, &out->ci_hi, err);
}

enum pat_status pat_cv_paired_of(const struct pat_cv_report *rp, int m, size_t r,
                                 struct pat_cv_paired *out, struct pat_err *err) {
    const size_t P = rp->c->P;
    const float *a = scores(rp, m, r), *b = scores(rp, PAT_CV_FEATURES, r);
    struct pat_delong d;
    enum pat_status st = pat_delong(a, b, rp->c->label, P, &d, err);
    if (st == PAT_OK)
        st = pat_auc_diff_bootstrap_ci(a, b, rp->c->label, P, rp->bootstrap,
                                       rp->cfg->seed + 1000 + r, 0.95, &out->lo, &out->hi, err);
    out->diff = d.diff, out->z = d.z, out->p = d.p_value;
    return st;
}

/* ---- results.json ---- */

static void json_config(struct pat_jw *w, const struct pat_cv_report *rp) {
    const struct pat_cv_config *c = rp->cfg;
    pat_jw_object_begin(w);
    pat_jw_key_string(w, "protocol", pat_cv_protocol_name(rp->plan->protocol));
    pat_jw_key_uint(w, "folds", rp->plan->nfolds[0]);
    pat_jw_key_uint(w, "repeats", rp->plan->repeats);
    pat_jw_key_uint(w, "seed", c->seed);
    pat_jw_key(w, "methods");
    pat_jw_array_begin(w);
    for (int m = 0; m < PAT_CV_METHODS; m++)
        if (c->methods[m]) pat_jw_string(w, pat_cv_method_name((enum pat_cv_method)m));
    pat_jw_array_end(w);
    pat_jw_key_string(w, "arch", c->arch);
    pat_jw_key_string(w, "encoder", c->encoder_name ? c->encoder_name : "random");
    pat_jw_key_string(w, "aggregation", "mean of the participant's window probabilities");
    pat_jw_key_string(w, "threshold", "Youden's J on training participants' out-of-sample "
                      "scores (inner CV for logistic methods, inner validation otherwise)");
    pat_jw_key_uint(w, "inner_folds", c->inner_folds);
    pat_jw_key_number(w, "inner_val", c->inner_val);
    pat_jw_key(w, "C_grid");
    pat_jw_numbers(w, c->grid.grid, c->grid.ngrid);
    pat_jw_key_uint(w, "pretrain_epochs", c->pre_epochs);
    pat_jw_key_uint(w, "pretrain_batch", c->pre_batch);
    pat_jw_key_number(w, "pretrain_lr", c->pre_lr);
    pat_jw_key_number(w, "mask_ratio", c->mask_ratio);
    pat_jw_key_uint(w, "finetune_epochs", c->ft_epochs);
    pat_jw_key_uint(w, "finetune_batch", c->ft_batch);
    pat_jw_key_uint(w, "patience", c->patience);
    pat_jw_key_number(w, "finetune_lr_head", c->ft_lr_head);
    pat_jw_key_number(w, "finetune_lr_encoder", c->ft_lr_encoder);
    pat_jw_key_uint(w, "bootstrap_resamples", rp->bootstrap);
    pat_jw_object_end(w);
}

static void json_folds(struct pat_jw *w, const struct pat_cv_report *rp) {
    pat_jw_array_begin(w);
    for (size_t r = 0; r < rp->plan->repeats; r++) {
        pat_jw_object_begin(w);
        for (size_t p = 0; p < rp->c->P; p++)
            pat_jw_key_uint(w, pat_dataset_participant_id(rp->c->ds, p),
                            rp->plan->fold[r * rp->c->P + p]);
        pat_jw_object_end(w);
    }
    pat_jw_array_end(w);
}

static void json_metrics(struct pat_jw *w, const struct pat_cv_metrics *m) {
    pat_jw_key_number(w, "auc", m->auc);
    pat_jw_key(w, "auc_ci");
    const double ci[2] = {m->ci_lo, m->ci_hi};
    pat_jw_numbers(w, ci, 2);
    pat_jw_key_number(w, "pr_auc", m->pr_auc);
    pat_jw_key_number(w, "accuracy", m->at.accuracy);
    pat_jw_key_number(w, "f1", m->at.f1);
    pat_jw_key_number(w, "mcc", m->at.mcc);
    pat_jw_key_number(w, "sensitivity", m->at.sensitivity);
    pat_jw_key_number(w, "specificity", m->at.specificity);
}

static void json_per_fold(struct pat_jw *w, const char *key, const double *v,
                          const struct pat_cv_report *rp, int m, size_t r) {
    pat_jw_key(w, key);
    pat_jw_numbers(w, v + PAT_CV_AT(rp->res, m, r, 0, rp->res->K), rp->plan->nfolds[r]);
}

static enum pat_status json_repeat(struct pat_jw *w, const struct pat_cv_report *rp, int m,
                                   size_t r, struct pat_err *err) {
    struct pat_cv_metrics mt;
    enum pat_status st = pat_cv_metrics_of(rp, m, r, &mt, err);
    if (st != PAT_OK) return st;
    const float *s = scores(rp, m, r);
    pat_jw_object_begin(w);
    json_metrics(w, &mt);
    json_per_fold(w, "threshold_per_fold", rp->res->threshold, rp, m, r);
    json_per_fold(w, "C_per_fold", rp->res->C, rp, m, r);
    json_per_fold(w, "inner_per_fold", rp->res->inner, rp, m, r);
    if (m != PAT_CV_FEATURES && rp->cfg->methods[PAT_CV_FEATURES]) {
        struct pat_cv_paired pr;
        st = pat_cv_paired_of(rp, m, r, &pr, err);
        if (st != PAT_OK) return st;
        pat_jw_key(w, "vs_features");
        pat_jw_object_begin(w);
        pat_jw_key_number(w, "auc_diff", pr.diff);
        pat_jw_key(w, "auc_diff_ci");
        const double ci[2] = {pr.lo, pr.hi};
        pat_jw_numbers(w, ci, 2);
        pat_jw_key_number(w, "delong_z", pr.z);
        pat_jw_key_number(w, "delong_p", pr.p);
        pat_jw_object_end(w);
    }
    pat_jw_key(w, "participants");
    pat_jw_array_begin(w);
    for (size_t p = 0; p < rp->c->P; p++) {
        pat_jw_object_begin(w);
        pat_jw_key_string(w, "id", pat_dataset_participant_id(rp->c->ds, p));
        pat_jw_key_number(w, "label", rp->c->label[p]);
        pat_jw_key_number(w, "score", s[p]);
        pat_jw_key_uint(w, "fold", rp->plan->fold[r * rp->c->P + p]);
        pat_jw_object_end(w);
    }
    pat_jw_array_end(w);
    pat_jw_object_end(w);
    return PAT_OK;
}

static enum pat_status json_methods(struct pat_jw *w, const struct pat_cv_report *rp,
                                    struct pat_err *err) {
    enum pat_status st = PAT_OK;
    pat_jw_object_begin(w);
    for (int m = 0; st == PAT_OK && m < PAT_CV_METHODS; m++) {
        if (!rp->cfg->methods[m]) continue;
        pat_jw_key(w, pat_cv_method_name((enum pat_cv_method)m));
        pat_jw_object_begin(w);
        pat_jw_key_string(w, "label", pat_cv_method_label((enum pat_cv_method)m));
        pat_jw_key(w, "repeats");
        pat_jw_array_begin(w);
        for (size_t r = 0; st == PAT_OK && r < rp->plan->repeats; r++)
            st = json_repeat(w, rp, m, r, err);
        pat_jw_array_end(w);
        pat_jw_object_end(w);
    }
    pat_jw_object_end(w);
    return st;
}

enum pat_status pat_cv_write_json(const struct pat_cv_report *rp, const char *path,
                                  struct pat_err *err) {
    struct pat_atomic_file a;
    enum pat_status st = pat_atomic_open(&a, path, err);
    if (st != PAT_OK) return st;
    struct pat_jw w;
    pat_jw_init(&w, a.f, 1);
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "command", "pat cv");
    pat_jw_key_string(&w, "pat_version", PAT_VERSION);
    pat_jw_key(&w, "dataset");
    pat_jw_object_begin(&w);
    pat_jw_key_string(&w, "path", rp->data_path);
    pat_jw_key_uint(&w, "participants", rp->c->P);
    pat_jw_key_uint(&w, "windows", rp->c->rows);
    pat_jw_key_uint(&w, "minutes_per_window", rp->c->T);
    pat_jw_key_string(&w, "transform", rp->c->log1p ? "log1p" : "none");
    pat_jw_object_end(&w);
    pat_jw_key(&w, "config");
    json_config(&w, rp);
    pat_jw_key(&w, "folds");
    json_folds(&w, rp);
    pat_jw_key(&w, "methods");
    st = json_methods(&w, rp, err);
    pat_jw_key_number(&w, "seconds", rp->seconds);
    pat_jw_object_end(&w);
    if (st == PAT_OK) st = pat_jw_finish(&w, err);
    if (st != PAT_OK) {
        pat_atomic_abort(&a);
        return st;
    }
    return pat_atomic_commit(&a, err);
}

/* ---- tables ---- */

static void mean_sd(const double *v, size_t n, double *mean, double *sd) {
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++) q += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(q / (double)(n - 1)) : 0.0;
}

static int dbl_cmp(const void *pa, const void *pb) {
    const double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, dbl_cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void cell(FILE *f, const double *v, size_t R, int sign) {
    double mean, sd;
    mean_sd(v, R, &mean, &sd);
    fprintf(f, sign ? " %+.3f" : " %.3f", mean);
    if (R > 1) fprintf(f, " ± %.3f", sd);
    fprintf(f, " |");
}

enum { NCOL = 9 };

static enum pat_status metrics_row(const struct pat_cv_report *rp, FILE *f, int m, double *v,
                                   struct pat_err *err) {
    const size_t R = rp->plan->repeats;
    for (size_t r = 0; r < R; r++) {
        struct pat_cv_metrics mt;
        enum pat_status st = pat_cv_metrics_of(rp, m, r, &mt, err);
        if (st != PAT_OK) return st;
        const double row[NCOL] = {mt.auc, mt.ci_lo, mt.ci_hi, mt.pr_auc, mt.at.accuracy,
                                  mt.at.f1, mt.at.mcc, mt.at.sensitivity, mt.at.specificity};
        for (int j = 0; j < NCOL; j++) v[(size_t)j * R + r] = row[j];
    }
    fprintf(f, "| %s |", pat_cv_method_name((enum pat_cv_method)m));
    cell(f, v, R, 0);
    double lo, hi, sd;
    mean_sd(v + R, R, &lo, &sd), mean_sd(v + 2 * R, R, &hi, &sd);
    fprintf(f, " %.3f–%.3f |", lo, hi);
    for (int j = 3; j < NCOL; j++) cell(f, v + (size_t)j * R, R, 0);
    fprintf(f, "\n");
    return PAT_OK;
}

/* DeLong decides; the bootstrap interval is reported beside it, and a
 * disagreement is said. */
static const char *verdict(double diff, double lo, double hi, double p) {
    if (p < 0.05) return diff > 0 ? "better" : "worse";
    return lo > 0 || hi < 0 ? "not shown different (but the CI excludes 0)"
                            : "not shown different";
}

static enum pat_status paired_row(const struct pat_cv_report *rp, FILE *f, int m, double *v,
                                  char *sentence, size_t n, struct pat_err *err) {
    const size_t R = rp->plan->repeats;
    for (size_t r = 0; r < R; r++) {
        struct pat_cv_paired pr;
        enum pat_status st = pat_cv_paired_of(rp, m, r, &pr, err);
        if (st != PAT_OK) return st;
        v[r] = pr.diff, v[R + r] = pr.lo, v[2 * R + r] = pr.hi, v[3 * R + r] = pr.p;
    }
    double d, lo, hi, sd;
    mean_sd(v, R, &d, &sd), mean_sd(v + R, R, &lo, &sd), mean_sd(v + 2 * R, R, &hi, &sd);
    const double p = median(v + 3 * R, R);
    const char *name = pat_cv_method_name((enum pat_cv_method)m);
    fprintf(f, "| %s |", name);
    cell(f, v, R, 1);
    const char *vd = verdict(d, lo, hi, p);
    fprintf(f, " %+.3f to %+.3f | %.3g | %s |\n", lo, hi, p, vd);
    snprintf(sentence, n, "On this cohort, %s is %s the features (ΔAUC %+.3f, paired 95%% CI "
             "%+.3f to %+.3f, DeLong p = %.3g%s).\n", name,
             strcmp(vd, "better") == 0 ? "better than"
             : strcmp(vd, "worse") == 0 ? "worse than" : "not shown different from",
             d, lo, hi, p, vd[0] == 'n' && vd[19] ? "; the bootstrap CI excludes 0" : "");
    return PAT_OK;
}

enum pat_status pat_cv_write_tables(const struct pat_cv_report *rp, FILE *f,
                                    struct pat_err *err) {
    const size_t R = rp->plan->repeats, P = rp->c->P;
    size_t pos = 0;
    for (size_t p = 0; p < P; p++) pos += rp->c->label[p] != 0.0f;
    fprintf(f, "## pat cv: %s, %zu folds × %zu repeat%s, %zu participants (%zu positive)\n\n",
            pat_cv_protocol_name(rp->plan->protocol), rp->plan->nfolds[0], R, R > 1 ? "s" : "",
            P, pos);
    if (R > 1)
        fprintf(f, "Mean ± SD over repeats; 95%% CI: mean of the per-repeat participant "
                   "bootstrap bounds.\n\n");
    fprintf(f, "| method | ROC-AUC | 95%% CI | PR-AUC | accuracy | F1 | MCC | sensitivity | "
               "specificity |\n|---|---|---|---|---|---|---|---|---|\n");
    double *v = pat_calloc(NCOL * R, sizeof *v);
    if (!v) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    enum pat_status st = PAT_OK;
    for (int m = 0; st == PAT_OK && m < PAT_CV_METHODS; m++)
        if (rp->cfg->methods[m]) st = metrics_row(rp, f, m, v, err);
    int paired = 0;
    for (int m = 1; m < PAT_CV_METHODS; m++) paired |= rp->cfg->methods[m];
    paired &= rp->cfg->methods[PAT_CV_FEATURES];
    char sentences[PAT_CV_METHODS][320];
    size_t ns = 0;
    if (st == PAT_OK && paired)
        fprintf(f, "\nPaired comparison with features on the same participants (ΔAUC = method "
                   "− features%s):\n\n| method | ΔAUC | paired bootstrap 95%% CI | DeLong p | "
                   "verdict (p < 0.05) |\n|---|---|---|---|---|\n",
                R > 1 ? "; CI: mean of per-repeat bounds; p: median over repeats" : "");
    for (int m = 1; st == PAT_OK && paired && m < PAT_CV_METHODS; m++)
        if (rp->cfg->methods[m])
            st = paired_row(rp, f, m, v, sentences[ns++], sizeof sentences[0], err);
    if (st == PAT_OK && ns) fprintf(f, "\n");
    for (size_t i = 0; st == PAT_OK && i < ns; i++) fputs(sentences[i], f);
    fprintf(f, "\n");
    free(v);
    return st;
}

/* ---- ROC chart (repeat 1) ---- */

enum pat_status pat_cv_write_roc(const struct pat_cv_report *rp, const char *path,
                                 struct pat_err *err) {
    const size_t P = rp->c->P;
    struct pat_svg_series s[PAT_CV_METHODS + 1];
    char names[PAT_CV_METHODS][128];
    double *buf = pat_calloc((size_t)PAT_CV_METHODS * 2 * (P + 1), sizeof *buf);
    if (!buf) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    size_t ns = 0;
    for (int m = 0; m < PAT_CV_METHODS; m++) {
        if (!rp->cfg->methods[m]) continue;
        double *fpr = buf + ns * 2 * (P + 1), *tpr = fpr + P + 1;
        const float *sc = scores(rp, m, 0);
        const size_t n = pat_roc_curve(fpr, tpr, sc, rp->c->label, P);
        snprintf(names[ns], sizeof names[ns], "%s (AUC %.3f)",
                 pat_cv_method_name((enum pat_cv_method)m), pat_roc_auc(sc, rp->c->label, P));
        s[ns] = (struct pat_svg_series){names[ns], fpr, tpr, n};
        ns++;
    }
    static const double diag[2] = {0.0, 1.0};
    s[ns++] = (struct pat_svg_series){"chance", diag, diag, 2};
    char title[200];
    snprintf(title, sizeof title, "pat cv %s: out-of-fold ROC of %zu participants%s",
             pat_cv_protocol_name(rp->plan->protocol), P,
             rp->plan->repeats > 1 ? " (repeat 1)" : "");
    enum pat_status st = pat_svg_lines(path, title, "false-positive rate (1 - specificity)",
                                       "true-positive rate (sensitivity)", s, ns, err);
    free(buf);
    return st;
}
