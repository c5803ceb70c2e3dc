/* svg.c - line charts and ROC curves as SVG 1.1 (see svg.h).
 *
 * A chart is laid out once (canvas, plot rectangle, axis ranges rounded out
 * to tick multiples) and then written top to bottom: background, title,
 * grid and ticks, axes, series, legend. Coordinates print with two
 * decimals; the y axis of SVG points down, so map_y flips it.
 */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "eval/metrics.h"
#include "util.h"

#define MAX_DOTS 60     /* series with at most this many points get dots */
#define CHAR_W 7.0      /* approximate width of a 12 px character */

static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000"};
static const char *const dashes[] = {"", "8 4", "2 3", "10 3 2 3"};
#define NPALETTE (sizeof palette / sizeof palette[0])
#define NDASHES (sizeof dashes / sizeof dashes[0])

struct axis {
    double lo, hi, step; /* range (multiples of step) */
};

struct chart {
    const char *title, *xlabel, *ylabel;
    const struct pat_svg_series *series;
    size_t nseries;
    int diagonal;           /* ROC: draw the chance line y = x */
    struct axis ax, ay;
    double w, h;            /* canvas */
    double left, top, pw, ph; /* plot rectangle */
};

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s) {
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
             : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F))) return 0;
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))) return 0;
    return n;
}

/* Text content or attribute value, XML-escaped; bytes XML 1.0 cannot hold
 * (controls other than tab/newline, invalid UTF-8) become '?'. */
static void put_text(FILE *f, const char *text) {
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    while (*s) {
        size_t n = utf8_len(s);
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '"') fputs("&quot;", f);
        else if (n == 0 || (*s < 0x20 && *s != '\t' && *s != '\n')) fputc('?', f);
        else fwrite(s, 1, n, f);
        s += n ? n : 1;
    }
}

static double series_x(const struct pat_svg_series *s, size_t i) {
    return s->x ? s->x[i] : (double)(i + 1);
}

static int point_ok(const struct pat_svg_series *s, size_t i) {
    return isfinite(series_x(s, i)) && isfinite(s->y[i]);
}

/* Round [min, max] out to about five "nice" steps (1, 2, 5 x 10^k), at
 * least min_step; an empty range becomes [0, 1]. 0 if not representable. */
static int nice_axis(struct axis *a, double min, double max, double min_step) {
    if (!(min <= max)) { /* no finite point */
        min = 0;
        max = 1;
    }
    if (min == max) {
        double pad = min != 0 ? fabs(min) * 0.1 : 0.5;
        min -= pad;
        max += pad;
    }
    double raw = (max - min) / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    if (step < min_step) step = min_step;
    a->lo = floor(min / step) * step;
    a->hi = ceil(max / step) * step;
    a->step = step;
    return isfinite(raw) && step > 0 && isfinite(a->lo) && isfinite(a->hi) &&
           a->hi > a->lo && (a->hi - a->lo) / step < 40;
}

/* Axis ranges over all finite points; integer x steps for index x. */
static int fit_axes(struct chart *ch) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int index_x = 1;
    for (size_t k = 0; k < ch->nseries; k++) {
        const struct pat_svg_series *s = &ch->series[k];
        index_x &= s->x == NULL;
        for (size_t i = 0; i < s->n; i++) {
            if (!point_ok(s, i)) continue;
            double x = series_x(s, i), y = s->y[i];
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    }
    return nice_axis(&ch->ax, x0, x1, index_x ? 1.0 : 0.0) &&
           nice_axis(&ch->ay, y0, y1, 0.0);
}

static double map_x(const struct chart *ch, double x) {
    return ch->left + (x - ch->ax.lo) / (ch->ax.hi - ch->ax.lo) * ch->pw;
}

static double map_y(const struct chart *ch, double y) {
    return ch->top + ch->ph - (y - ch->ay.lo) / (ch->ay.hi - ch->ay.lo) * ch->ph;
}

/* Tick label for v on an axis of the given step. */
static void tick_label(char *buf, size_t size, double v, double step) {
    if (fabs(v) < step * 1e-9) v = 0;
    int dec = (int)-floor(log10(step) + 1e-9);
    if (step >= 1e-6 && fabs(v) < 1e7) snprintf(buf, size, "%.*f", dec > 0 ? dec : 0, v);
    else snprintf(buf, size, "%g", v);
}

/* Number of ticks on axis a (lo, lo + step, ..., hi). */
static size_t tick_count(const struct axis *a) {
    return (size_t)floor((a->hi - a->lo) / a->step + 0.5) + 1;
}

static void draw_ticks(FILE *f, const struct chart *ch) {
    char buf[64];
    double bottom = ch->top + ch->ph, right = ch->left + ch->pw;
    fputs("<g stroke=\"#dddddd\" stroke-width=\"1\">\n", f);
    for (size_t i = 0, n = tick_count(&ch->ax); i < n; i++) {
        double x = map_x(ch, ch->ax.lo + (double)i * ch->ax.step);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", x, ch->top, x,
                bottom);
    }
    for (size_t i = 0, n = tick_count(&ch->ay); i < n; i++) {
        double y = map_y(ch, ch->ay.lo + (double)i * ch->ay.step);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", ch->left, y,
                right, y);
    }
    fputs("</g>\n<g fill=\"#333333\" text-anchor=\"middle\">\n", f);
    for (size_t i = 0, n = tick_count(&ch->ax); i < n; i++) {
        double v = ch->ax.lo + (double)i * ch->ax.step;
        tick_label(buf, sizeof buf, v, ch->ax.step);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\">%s</text>\n", map_x(ch, v), bottom + 18, buf);
    }
    fputs("</g>\n<g fill=\"#333333\" text-anchor=\"end\">\n", f);
    for (size_t i = 0, n = tick_count(&ch->ay); i < n; i++) {
        double v = ch->ay.lo + (double)i * ch->ay.step;
        tick_label(buf, sizeof buf, v, ch->ay.step);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\">%s</text>\n", ch->left - 8, map_y(ch, v) + 4,
                buf);
    }
    fputs("</g>\n", f);
}

/* Title, axes lines (with tick marks) and axis labels. */
static void draw_frame(FILE *f, const struct chart *ch) {
    double bottom = ch->top + ch->ph;
    fprintf(f, "<text x=\"%.2f\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
               "font-weight=\"bold\">", ch->w / 2);
    put_text(f, ch->title);
    fputs("</text>\n", f);
    fprintf(f, "<path d=\"M%.2f %.2f V%.2f H%.2f\" fill=\"none\" stroke=\"#000000\" "
               "stroke-width=\"1\"/>\n", ch->left, ch->top, bottom, ch->left + ch->pw);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", ch->left + ch->pw / 2,
            bottom + 40);
    put_text(f, ch->xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(20 %.2f) rotate(-90)\" "
               "text-anchor=\"middle\">", ch->top + ch->ph / 2);
    put_text(f, ch->ylabel);
    fputs("</text>\n", f);
}

/* Stroke attributes of series k. */
static void put_stroke(FILE *f, size_t k) {
    fprintf(f, "stroke=\"%s\" stroke-width=\"2\"", palette[k % NPALETTE]);
    const char *dash = dashes[(k / NPALETTE) % NDASHES];
    if (*dash) fprintf(f, " stroke-dasharray=\"%s\"", dash);
}

/* Runs of finite points as polylines; dots for short series and for
 * isolated points. */
static void draw_series(FILE *f, const struct chart *ch, size_t k) {
    const struct pat_svg_series *s = &ch->series[k];
    int dots = s->n <= MAX_DOTS;
    size_t i = 0;
    while (i < s->n) {
        if (!point_ok(s, i)) {
            i++;
            continue;
        }
        size_t e = i;
        while (e < s->n && point_ok(s, e)) e++;
        if (e - i > 1) {
            fputs("<polyline fill=\"none\" stroke-linejoin=\"round\" ", f);
            put_stroke(f, k);
            fputs(" points=\"", f);
            for (size_t j = i; j < e; j++)
                fprintf(f, "%s%.2f,%.2f", j == i ? "" : (j - i) % 8 ? " " : "\n",
                        map_x(ch, series_x(s, j)), map_y(ch, s->y[j]));
            fputs("\"/>\n", f);
        }
        for (size_t j = i; j < e && (dots || e - i == 1); j++)
            fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>\n",
                    map_x(ch, series_x(s, j)), map_y(ch, s->y[j]), palette[k % NPALETTE]);
        i = e;
    }
}

/* One legend row: a line sample in the series style, then the name. */
static void legend_row(FILE *f, double x, double y, const char *stroke_attrs, size_t k,
                       const char *name) {
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" ", x, y - 4, x + 24,
            y - 4);
    if (stroke_attrs) fputs(stroke_attrs, f);
    else put_stroke(f, k);
    fprintf(f, "/>\n<text x=\"%.2f\" y=\"%.2f\">", x + 30, y);
    if (name) put_text(f, name);
    else fprintf(f, "series %zu", k + 1);
    fputs("</text>\n", f);
}

static void draw_legend(FILE *f, const struct chart *ch) {
    double x = ch->left + ch->pw + 16, y = ch->top + 12;
    for (size_t k = 0; k < ch->nseries; k++, y += 20)
        legend_row(f, x, y, NULL, k, ch->series[k].name);
    if (ch->diagonal)
        legend_row(f, x, y, "stroke=\"#888888\" stroke-width=\"1\" stroke-dasharray=\"5 4\"",
                   0, "chance");
}

/* Canvas and plot rectangle: the legend takes the room its names need. */
static void layout(struct chart *ch, double w, double h, int square) {
    size_t longest = ch->diagonal ? 6 : 0;
    for (size_t k = 0; k < ch->nseries; k++) {
        const char *name = ch->series[k].name;
        size_t len = name ? strlen(name) : 9;
        longest = len > longest ? len : longest;
    }
    double legend = longest ? fmin(46 + CHAR_W * (double)longest, 260) : 0;
    ch->h = h;
    ch->left = 78;
    ch->top = 44;
    ch->pw = w - ch->left - 20;
    ch->ph = h - ch->top - 56;
    if (square) ch->pw = ch->ph = fmin(ch->pw, ch->ph);
    ch->w = ch->left + ch->pw + (legend > 0 ? 16 + legend : 20);
}

static void render(FILE *f, const struct chart *ch) {
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
               "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, "
               "Arial, Helvetica, sans-serif\" font-size=\"12\">\n<title>",
            ch->w, ch->h, ch->w, ch->h);
    put_text(f, ch->title);
    fprintf(f, "</title>\n<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
               "fill=\"#ffffff\"/>\n", ch->w, ch->h);
    draw_ticks(f, ch);
    draw_frame(f, ch);
    if (ch->diagonal)
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#888888\" "
                   "stroke-width=\"1\" stroke-dasharray=\"5 4\"/>\n",
                map_x(ch, 0), map_y(ch, 0), map_x(ch, 1), map_y(ch, 1));
    for (size_t k = 0; k < ch->nseries; k++) draw_series(f, ch, k);
    draw_legend(f, ch);
    fputs("</svg>\n", f);
}

static enum pat_status write_chart(const char *path, const struct chart *ch,
                                   struct pat_err *err) {
    struct pat_atomic_file a;
    enum pat_status st = pat_atomic_open(&a, path, err);
    if (st != PAT_OK) return st;
    render(a.f, ch);
    return pat_atomic_commit(&a, err);
}

enum pat_status pat_svg_lines(const char *path, const char *title, const char *xlabel,
                              const char *ylabel, const struct pat_svg_series *series,
                              size_t nseries, struct pat_err *err) {
    if (!path) return pat_fail(err, PAT_ERR_USAGE, "SVG chart: no output path");
    if (nseries && !series) return pat_fail(err, PAT_ERR_USAGE, "%s: no series given", path);
    for (size_t k = 0; k < nseries; k++)
        if (series[k].n && !series[k].y)
            return pat_fail(err, PAT_ERR_USAGE, "%s: series %zu has no y values", path, k);
    struct chart ch = {.title = title, .xlabel = xlabel, .ylabel = ylabel,
                       .series = series, .nseries = nseries};
    if (!fit_axes(&ch))
        return pat_fail(err, PAT_ERR_NUMERIC, "%s: values span too wide a range to plot",
                        path);
    layout(&ch, 640, 420, 0);
    return write_chart(path, &ch, err);
}

/* Check score/label for pat_svg_roc. */
static enum pat_status roc_check(const char *path, const float *score, const float *label,
                                 size_t n, struct pat_err *err) {
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(score[i]))
            return pat_fail(err, PAT_ERR_NUMERIC, "%s: score %zu is NaN", path, i);
        npos += label[i] != 0.0f;
    }
    if (npos == 0 || npos == n)
        return pat_fail(err, PAT_ERR_USAGE, "%s: an ROC curve needs both classes (%zu of %zu "
                        "cases positive)", path, npos, n);
    return PAT_OK;
}

enum pat_status pat_svg_roc(const char *path, const char *title, const float *score,
                            const float *label, size_t n, struct pat_err *err) {
    if (!path) return pat_fail(err, PAT_ERR_USAGE, "SVG ROC: no output path");
    enum pat_status st = roc_check(path, score, label, n, err);
    if (st != PAT_OK) return st;
    size_t cap = n + 1; /* n < SIZE_MAX: score[n] exists */
    double *fpr = pat_calloc(cap, sizeof *fpr), *tpr = pat_calloc(cap, sizeof *tpr);
    size_t m = fpr && tpr ? pat_roc_curve(fpr, tpr, score, label, n) : 0;
    if (m == 0) {
        free(fpr);
        free(tpr);
        return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory for %zu ROC points", path, cap);
    }
    char full[512], name[64];
    snprintf(full, sizeof full, "%s (AUC = %.4f)", title ? title : "ROC curve",
             pat_roc_auc(score, label, n));
    snprintf(name, sizeof name, "ROC (n = %zu)", n);
    struct pat_svg_series s = {name, fpr, tpr, m};
    struct chart ch = {.title = full, .xlabel = "false positive rate (1 - specificity)",
                       .ylabel = "true positive rate (sensitivity)", .series = &s,
                       .nseries = 1, .diagonal = 1, .ax = {0, 1, 0.2}, .ay = {0, 1, 0.2}};
    layout(&ch, 520, 500, 1);
    st = write_chart(path, &ch, err);
    free(fpr);
    free(tpr);
    return st;
}
