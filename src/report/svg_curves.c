/* svg_curves.c - training curves (svg.h): losses above, validation AUC
 * below, on one epoch axis; the best epoch marked; a stage boundary only
 * for two-stage runs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "atomic.h"
#include "svg.h"
#include "util.h"

#define CW 760.0
#define CLEFT 78.0
#define CPW 520.0 /* plot width; the legend goes to the right */

struct cpanel {
    double top, h, lo, hi, step;
};

struct xaxis {
    double lo, hi, step; /* epochs */
};

static double cx(const struct xaxis *a, double e) {
    return CLEFT + (e - a->lo) / (a->hi - a->lo) * CPW;
}

static double cy(const struct cpanel *p, double v) {
    return p->top + p->h - (v - p->lo) / (p->hi - p->lo) * p->h;
}

/* Nice step for a range of `range` in about `parts` steps. */
static double nice_step(double range, double parts) {
    double raw = range / parts, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void fit(struct cpanel *p, const double *a, const double *b, size_t n) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (a && isfinite(a[i])) lo = fmin(lo, a[i]), hi = fmax(hi, a[i]);
        if (b && isfinite(b[i])) lo = fmin(lo, b[i]), hi = fmax(hi, b[i]);
    }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (hi - lo < 1e-9) lo -= 0.05, hi += 0.05;
    p->step = nice_step(hi - lo, 4);
    p->lo = floor(lo / p->step) * p->step;
    p->hi = ceil(hi / p->step) * p->step;
}

static void frame(FILE *f, const struct cpanel *p, const struct xaxis *x, const char *label,
                  int xlabels) {
    char buf[64];
    for (double v = p->lo; v <= p->hi + p->step * 1e-9; v += p->step) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
                CLEFT, cy(p, v), CLEFT + CPW, cy(p, v));
        pat_svg_tick_label(buf, sizeof buf, v, p->step);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", CLEFT - 6,
                cy(p, v) + 4, buf);
    }
    for (double e = x->lo; e <= x->hi + 1e-9; e += x->step) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n",
                cx(x, e), p->top, cx(x, e), p->top + p->h);
        if (xlabels)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", cx(x, e),
                    p->top + p->h + 16, e);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#000000\"/>\n<text transform=\"translate(22 %.1f) rotate(-90)\" "
               "text-anchor=\"middle\">", CLEFT, p->top, CPW, p->h, p->top + p->h / 2);
    pat_svg_put_text(f, label);
    fputs("</text>\n", f);
}

static void line(FILE *f, const struct cpanel *p, const struct xaxis *x, const double *v,
                 size_t n, const char *colour, const char *dash) {
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s points=\"", colour,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) fprintf(f, "%s%.1f,%.1f", i ? " " : "", cx(x, (double)(i + 1)), cy(p, v[i]));
    fputs("\"/>\n", f);
    if (n <= 60)
        for (size_t i = 0; i < n; i++)
            if (isfinite(v[i]))
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                        cx(x, (double)(i + 1)), cy(p, v[i]), colour);
}

static void legend(FILE *f, double y, const char *colour, const char *dash, const char *name) {
    double x = CLEFT + CPW + 16;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
               "stroke-width=\"2\"%s%s%s/>\n<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x, y - 4,
            x + 24, y - 4, colour, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
            dash ? "\"" : "", x + 30, y, name);
}

static void vline(FILE *f, const struct xaxis *x, double e, double top, double bottom,
                  const char *colour, const char *dash) {
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
               "stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>\n", cx(x, e), top, cx(x, e),
            bottom, colour, dash);
}

enum pat_status pat_svg_curves(const char *path, const char *title, const double *train_loss,
                               const double *val_loss, const double *val_auc, size_t n,
                               size_t best_epoch, size_t stage2_first, struct pat_err *err) {
    if (!path || !train_loss || !val_loss || !val_auc)
        return pat_fail(err, PAT_ERR_USAGE, "training curves: missing output or values");
    struct xaxis x = {1, n > 1 ? (double)n : 2, 1};
    x.step = fmax(1, nice_step(x.hi - x.lo, 8));
    x.hi = x.lo + ceil((x.hi - x.lo) / x.step) * x.step;
    struct cpanel loss = {60, 170, 0, 1, 1}, auc = {262, 150, 0, 1, 1};
    fit(&loss, train_loss, val_loss, n);
    fit(&auc, val_auc, NULL, n);
    struct pat_atomic_file a;
    enum pat_status st = pat_atomic_open(&a, path, err);
    if (st != PAT_OK) return st;
    FILE *f = a.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
               "height=\"470\" viewBox=\"0 0 %.0f 470\" font-family=\"DejaVu Sans, Arial, "
               "Helvetica, sans-serif\" font-size=\"12\">\n<rect width=\"%.0f\" height=\"470\" "
               "fill=\"#ffffff\"/>\n<text x=\"%.1f\" y=\"28\" font-size=\"16\" "
               "font-weight=\"bold\">", CW, CW, CW, CLEFT);
    pat_svg_put_text(f, title);
    fputs("</text>\n", f);
    frame(f, &loss, &x, "loss", 0);
    frame(f, &auc, &x, "validation ROC-AUC", 1);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n",
            CLEFT + CPW / 2, auc.top + auc.h + 36);
    line(f, &loss, &x, train_loss, n, "#0072B2", NULL);
    line(f, &loss, &x, val_loss, n, "#D55E00", "6 3");
    line(f, &auc, &x, val_auc, n, "#009E73", NULL);
    legend(f, loss.top + 14, "#0072B2", NULL, "training loss");
    legend(f, loss.top + 34, "#D55E00", "6 3", "validation loss");
    legend(f, auc.top + 14, "#009E73", NULL, "validation AUC");
    if (stage2_first > 1 && stage2_first <= n) {
        double e = (double)stage2_first - 0.5;
        vline(f, &x, e, loss.top, auc.top + auc.h, "#777777", "3 3");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555555\">stage 1"
                   "</text>\n<text x=\"%.1f\" y=\"%.1f\" fill=\"#555555\">stage 2</text>\n",
                cx(&x, e) - 4, loss.top - 6, cx(&x, e) + 4, loss.top - 6);
    }
    if (best_epoch >= 1 && best_epoch <= n) {
        double e = (double)best_epoch;
        vline(f, &x, e, loss.top, auc.top + auc.h, "#CC79A7", "6 3");
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"none\" stroke=\"#CC79A7\" "
                   "stroke-width=\"2\"/>\n", cx(&x, e), cy(&auc, val_auc[best_epoch - 1]));
        char buf[96];
        snprintf(buf, sizeof buf, "best epoch %zu (kept)", best_epoch);
        legend(f, auc.top + 34, "#CC79A7", "6 3", buf);
        snprintf(buf, sizeof buf, "its AUC %.4f", val_auc[best_epoch - 1]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", CLEFT + CPW + 46, auc.top + 50, buf);
    }
    fputs("</svg>\n", f);
    return pat_atomic_commit(&a, err);
}
