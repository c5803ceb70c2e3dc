/* logreg.h - L2-regularised logistic regression on standardized features,
 * the classifier of the simple baselines (docs/baselines.md).
 *
 *     struct pat_logreg_params p = pat_logreg_default_params();   // C = 1
 *     struct pat_logreg m;
 *     if (pat_logreg_fit(&m, x_train, y_train, n, d, &p, &err) != PAT_OK) ...
 *     if (!m.converged) ...                        // reported, not refused
 *     pat_logreg_predict_proba(&m, x_test, n_test, prob, &err);
 *     pat_logreg_free(&m);
 *
 * x is row-major (n, d) double; y[n] are labels, any non-zero counts as 1.
 * Standardization z = (x - mean) / scale is fitted on the training rows
 * only (mean, population SD; scale 1 for a constant column, as sklearn's
 * StandardScaler) and stored in the model, so predict_proba applies the
 * training statistics to new rows.
 *
 * The fit minimises sklearn's LogisticRegression(penalty='l2', C=C)
 * objective on z, intercept b not penalised:
 *
 *   f(w, b) = 0.5 ||w||^2 + C sum_i s_i [log(1 + exp(u_i)) - y_i u_i],
 *   u_i = b + z_i . w,
 *
 * s_i = 1, or n / (2 n_class(i)) with params.balanced (sklearn
 * class_weight='balanced'). The minimiser is unique (strictly convex given
 * both classes), so it equals what sklearn's lbfgs converges to. The method
 * is Newton's with a backtracking (Armijo) line search, the Newton system
 * solved by Cholesky: the Hessian is C Z~' S diag(p(1-p)) Z~ + diag(0, I),
 * positive definite, so constant or duplicated columns are harmless
 * (their coefficients come out 0 or equal). Convergence: the max-norm of
 * the gradient of f / (C sum_i s_i) (a mean loss, so tol does not depend
 * on n or C) is <= params.tol.
 */
#ifndef PAT_BASELINE_LOGREG_H
#define PAT_BASELINE_LOGREG_H

#include <stddef.h>

#include "pat.h"

struct pat_logreg_params {
    double C;        /* inverse regularisation strength, > 0; default 1
                      * (ref: sklearn LogisticRegression C=1.0) */
    double tol;      /* gradient max-norm to stop at; default 1e-10 */
    size_t max_iter; /* Newton iterations at most; default 100 */
    int balanced;    /* weight classes n / (2 n_c); default 0 (ref: sklearn
                      * class_weight='balanced') */
};

struct pat_logreg_params pat_logreg_default_params(void);

/* A fitted model. Arrays are owned by the model: pat_logreg_free(). */
struct pat_logreg {
    size_t d;         /* features */
    double *mean;     /* [d] training means */
    double *scale;    /* [d] training population SDs (1 for constant columns) */
    double *coef;     /* [d] weights on the standardized features */
    double intercept; /* b */
    size_t n_iter;    /* Newton iterations run */
    int converged;    /* 1 when the gradient reached tol within max_iter */
    double grad_norm; /* final max-norm of the scaled gradient */
};

/* Fit on x[n * d], y[n]. On PAT_OK *m is filled (check m->converged: a fit
 * that ran out of iterations or line-search steps is returned with
 * converged = 0, like sklearn's ConvergenceWarning). Refuses, leaving *m
 * empty (safe to free):
 *   PAT_ERR_USAGE    n == 0, d == 0, NULL arrays, C or tol not > 0 and
 *                    finite, max_iter == 0, labels of only one class;
 *   PAT_ERR_NUMERIC  a NaN or infinite x or y, or a Hessian that is not
 *                    positive definite in floating point;
 *   PAT_ERR_NOMEM.
 * Memory O(n d + d^2); time O(iterations * n d^2). */
enum pat_status pat_logreg_fit(struct pat_logreg *m, const double *x, const float *y,
                               size_t n, size_t d, const struct pat_logreg_params *params,
                               struct pat_err *err);

/* prob[i] = P(y = 1 | x_i) = 1 / (1 + exp(-(b + z_i . w))) for the rows
 * x[n * m->d]. PAT_ERR_USAGE for an unfitted model or NULL arrays,
 * PAT_ERR_NUMERIC for a NaN or infinite x (prob untouched from that row). */
enum pat_status pat_logreg_predict_proba(const struct pat_logreg *m, const double *x,
                                         size_t n, double *prob, struct pat_err *err);

/* Free the model's arrays and zero it; NULL-safe, idempotent. */
void pat_logreg_free(struct pat_logreg *m);

/* Youden's J threshold: among the distinct values t of score[n], the one
 * maximising J(t) = TPR(t) - FPR(t), positive <=> score >= t (the rule of
 * pat_binary_metrics_at); the largest such t on ties. J is compared
 * exactly as the integer tp * N - fp * P. *threshold = t, *j = J (j may
 * be NULL). PAT_ERR_USAGE when n == 0, NULL arrays or a class is absent;
 * PAT_ERR_NUMERIC for a NaN score; PAT_ERR_NOMEM. Use it on training
 * predictions; O(n log n). */
enum pat_status pat_logreg_youden_threshold(const double *score, const float *label, size_t n,
                                            double *threshold, double *j,
                                            struct pat_err *err);

#endif /* PAT_BASELINE_LOGREG_H */
