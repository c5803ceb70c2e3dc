/* svg.h - small line charts as plain SVG 1.1 files (training curves, ROC).
 *
 *     double loss[E], auc[E];
 *     struct pat_svg_series s[2] = {
 *         {"train loss", NULL, loss, E},     // x NULL: 1, 2, ..., E (epochs)
 *         {"val AUC", NULL, auc, E},
 *     };
 *     pat_svg_lines("curves.svg", "PAT-M fine-tuning", "epoch", "value", s, 2, &err);
 *
 * Charts have a title, axes with "nice" ticks (1, 2, 5 x 10^k) and grid
 * lines, axis labels, a legend to the right and one colour (Okabe-Ito,
 * colour-blind safe; dash patterns once the colours run out) per series.
 * Points with a non-finite x or y are skipped and break the line; points
 * are also marked with dots when a series has at most 60 of them. Text is
 * XML-escaped (invalid UTF-8 and control bytes become '?'). Files are
 * written atomically (report/atomic.h): a failure leaves no file behind.
 */
#ifndef PAT_REPORT_SVG_H
#define PAT_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

#include "pat.h"

struct pat_svg_series {
    const char *name; /* legend text (NULL: "series K") */
    const double *x;  /* n values, or NULL for x = 1, 2, ..., n */
    const double *y;  /* n values */
    size_t n;
};

/* A line chart of nseries series (nseries may be 0: empty axes). Axis
 * ranges cover all finite points. PAT_ERR_USAGE for a NULL path or a series
 * with n > 0 and no y; PAT_ERR_NUMERIC if the values span more than a
 * double can hold; PAT_ERR_IO, PAT_ERR_NOMEM. */
enum pat_status pat_svg_lines(const char *path, const char *title, const char *xlabel,
                              const char *ylabel, const struct pat_svg_series *series,
                              size_t nseries, struct pat_err *err);

/* The ROC curve of score[n] against label[n] (metrics.h conventions) on the
 * unit square with the chance diagonal; the title gets "(AUC = 0.xxxx)"
 * appended (title NULL: "ROC curve"). PAT_ERR_USAGE if a class is absent or
 * n == 0, PAT_ERR_NUMERIC for a NaN score, PAT_ERR_IO, PAT_ERR_NOMEM. */
enum pat_status pat_svg_roc(const char *path, const char *title, const float *score,
                            const float *label, size_t n, struct pat_err *err);

/* Helpers shared by the chart files: text content or an attribute value,
 * XML-escaped (invalid UTF-8 and control bytes become '?'); a tick label
 * for v on an axis of the given step. */
void pat_svg_put_text(FILE *f, const char *text);
void pat_svg_tick_label(char *buf, size_t size, double v, double step);

/* An explanation chart of one participant (svg_explain.c): the activity of
 * its scored windows in one panel (own axis and unit), the attention each
 * patch receives in another (1 = uniform), each window's probability with
 * the threshold in a third, on a shared clock-time axis with dates and
 * weekdays; the participant's probability and the threshold printed as
 * numbers under a title that fits. */
struct pat_svg_explain {
    const char *title;        /* e.g. the participant id */
    const char *note;         /* a line under the numbers (model, caution) */
    size_t nwin, T, N;        /* windows, minutes per window, patches per window */
    const long long *start;   /* nwin wall-clock minutes (since 1970-01-01) */
    const float *activity;    /* nwin * T values */
    const float *attention;   /* nwin * N, each window's sums to 1 */
    const float *prob;        /* nwin window probabilities */
    double probability;       /* the participant's score (NaN: none) */
    double threshold;         /* NaN: none */
    const char *unit;         /* activity unit, e.g. "counts/min" */
};
enum pat_status pat_svg_explain(const char *path, const struct pat_svg_explain *e,
                                struct pat_err *err);

/* Training curves (svg_curves.c): losses in one panel, validation AUC in
 * another below it on the same epoch axis; the best epoch marked in both;
 * (the kept one, chosen by the monitored metric, which may be the Keras
 * AUC rather than the plotted exact AUC); a stage boundary drawn only when
 * stage2_first > 0 (the first epoch of
 * stage 2, counted over both stages). */
enum pat_status pat_svg_curves(const char *path, const char *title, const double *train_loss,
                               const double *val_loss, const double *val_auc, size_t n,
                               size_t best_epoch, size_t stage2_first, struct pat_err *err);

#endif /* PAT_REPORT_SVG_H */
