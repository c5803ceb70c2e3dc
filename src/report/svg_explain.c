/* svg_explain.c - one participant's explanation chart (svg.h): activity,
 * attention and window probabilities in three panels over a shared clock
 * axis, the score and threshold as numbers at the top. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "svg.h"
#include "util.h"

#define W 1100.0
#define LEFT 86.0
#define RIGHT 96.0
#define PW (W - LEFT - RIGHT)
#define MAX_BINS 900.0 /* activity bins across the plot */
#define DAY 1440

struct panel {
    double top, h, lo, hi, step;
};

/* The plotted time span: whole days around the windows. */
struct span {
    long long t0, t1; /* minutes */
};

static double map_t(const struct span *s, double t) {
    return LEFT + (t - (double)s->t0) / (double)(s->t1 - s->t0) * PW;
}

static double map_v(const struct panel *p, double v) {
    if (v > p->hi) v = p->hi;
    return p->top + p->h - (v - p->lo) / (p->hi - p->lo) * p->h;
}

static long long floor_day(long long t) {
    long long d = t / DAY;
    if (t % DAY < 0) d--;
    return d * DAY;
}

/* 0 .. max in about four nice steps. */
static void nice_range(struct panel *p, double max) {
    if (!(max > 0) || !isfinite(max)) max = 1;
    double raw = max / 4, mag = pow(10, floor(log10(raw))), f = raw / mag;
    p->step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    p->lo = 0;
    p->hi = ceil(max / p->step) * p->step;
}

static void text(FILE *f, double x, double y, const char *attrs, const char *s) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
    pat_svg_put_text(f, s);
    fputs("</text>\n", f);
}

/* Title cut to what fits in the width at about 10.5 px per character. */
static void fitted_title(FILE *f, const char *title) {
    char buf[256];
    size_t fit = (size_t)(PW / 10.5), n = strlen(title ? title : "");
    snprintf(buf, sizeof buf, "%s", title ? title : "");
    if (n > fit && fit > 3 && fit < sizeof buf) strcpy(buf + fit - 3, "...");
    text(f, LEFT, 28, "font-size=\"18\" font-weight=\"bold\"", buf);
}

/* Frame, horizontal grid and y ticks of a panel, and its rotated label in
 * two lines (name, then unit). */
static void panel_frame(FILE *f, const struct panel *p, const char *label, const char *unit) {
    char buf[64];
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#000000\" stroke-width=\"1\"/>\n", LEFT, p->top, PW, p->h);
    for (double v = p->lo; v <= p->hi + p->step * 1e-9; v += p->step) {
        double y = map_v(p, v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                LEFT, y, LEFT + PW, y);
        pat_svg_tick_label(buf, sizeof buf, v, p->step);
        text(f, LEFT - 6, y + 4, "text-anchor=\"end\" fill=\"#333333\"", buf);
    }
    fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\" "
               "font-weight=\"bold\">", p->top + p->h / 2);
    pat_svg_put_text(f, label);
    fprintf(f, "</text>\n<text transform=\"translate(33 %.1f) rotate(-90)\" "
               "text-anchor=\"middle\" font-size=\"11\" fill=\"#444444\">", p->top + p->h / 2);
    pat_svg_put_text(f, unit);
    fputs("</text>\n", f);
}

/* Scored windows shaded in a panel (gaps stay white). */
static void window_shading(FILE *f, const struct pat_svg_explain *e, const struct span *s,
                           const struct panel *p) {
    for (size_t k = 0; k < e->nwin; k++) {
        double x0 = map_t(s, (double)e->start[k]), x1 = map_t(s, (double)(e->start[k] + (long long)e->T));
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4f7fb\"/>\n",
                x0, p->top, x1 - x0, p->h);
    }
}

/* Midnight lines through all panels; dates and weekdays under the last. */
static void clock_axis(FILE *f, const struct span *s, double top, double bottom) {
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    long long days = (s->t1 - s->t0) / DAY, every = days <= 16 ? 1 : (days + 15) / 16;
    for (long long t = s->t0; t <= s->t1; t += DAY) {
        double x = map_t(s, (double)t);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b0b0b0\" "
                   "stroke-dasharray=\"2 3\"/>\n", x, top, x, bottom + 4);
        if (t == s->t1 || ((t - s->t0) / DAY) % every) continue;
        char ts[PAT_TIME_LEN], date[8];
        pat_time_format(t, ts);
        snprintf(date, sizeof date, "%.5s", ts + 5); /* MM-DD */
        long long day = t / DAY;
        const char *name = wd[((day % 7) + 7 + 4) % 7]; /* 1970-01-01 was a Thursday */
        double xm = map_t(s, (double)t + DAY / 2.0);
        text(f, xm, bottom + 18, "text-anchor=\"middle\" font-weight=\"bold\"", name);
        text(f, xm, bottom + 33, "text-anchor=\"middle\" fill=\"#333333\"", date);
    }
    if (days <= 7) /* noon ticks */
        for (long long t = s->t0 + DAY / 2; t < s->t1; t += DAY) {
            double x = map_t(s, (double)t);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\"/>\n",
                    x, bottom, x, bottom + 5);
        }
}

/* Mean activity per bin of each window, as a filled area per window. */
static double bin_width(const struct span *s) {
    return ceil((double)(s->t1 - s->t0) / MAX_BINS);
}

static double max_binned(const struct pat_svg_explain *e, size_t bw) {
    double max = 0;
    for (size_t k = 0; k < e->nwin; k++)
        for (size_t b = 0; b < e->T; b += bw) {
            double sum = 0;
            size_t n = 0;
            for (size_t j = b; j < b + bw && j < e->T; j++, n++) sum += e->activity[k * e->T + j];
            if (n && sum / (double)n > max) max = sum / (double)n;
        }
    return max;
}

static void activity_panel(FILE *f, const struct pat_svg_explain *e, const struct span *s,
                           const struct panel *p, size_t bw) {
    for (size_t k = 0; k < e->nwin; k++) {
        fprintf(f, "<path fill=\"#7aa6d6\" stroke=\"#2f6db3\" stroke-width=\"0.6\" d=\"M%.1f %.1f",
                map_t(s, (double)e->start[k]), map_v(p, 0));
        for (size_t b = 0; b < e->T; b += bw) {
            double sum = 0;
            size_t n = 0;
            for (size_t j = b; j < b + bw && j < e->T; j++, n++) sum += e->activity[k * e->T + j];
            double y = map_v(p, sum / (double)n);
            fprintf(f, " L%.1f %.1f L%.1f %.1f", map_t(s, (double)(e->start[k] + (long long)b)), y,
                    map_t(s, (double)(e->start[k] + (long long)(b + n))), y);
        }
        fprintf(f, " L%.1f %.1f Z\"/>\n", map_t(s, (double)(e->start[k] + (long long)e->T)),
                map_v(p, 0));
    }
}

static void attention_panel(FILE *f, const struct pat_svg_explain *e, const struct span *s,
                            const struct panel *p) {
    double P = (double)(e->T / e->N);
    for (size_t k = 0; k < e->nwin; k++) {
        fprintf(f, "<path fill=\"#f2b880\" stroke=\"#c25e00\" stroke-width=\"0.8\" d=\"M%.1f %.1f",
                map_t(s, (double)e->start[k]), map_v(p, 0));
        for (size_t j = 0; j < e->N; j++) {
            double y = map_v(p, (double)e->attention[k * e->N + j] * (double)e->N);
            double t = (double)e->start[k] + (double)j * P;
            fprintf(f, " L%.1f %.1f L%.1f %.1f", map_t(s, t), y, map_t(s, t + P), y);
        }
        fprintf(f, " L%.1f %.1f Z\"/>\n", map_t(s, (double)(e->start[k] + (long long)e->T)),
                map_v(p, 0));
    }
    double y1 = map_v(p, 1);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" "
               "stroke-dasharray=\"6 4\"/>\n", LEFT, y1, LEFT + PW, y1);
    text(f, LEFT + PW + 6, y1 + 4, "fill=\"#555555\" font-size=\"11\"", "uniform");
}

static void probability_panel(FILE *f, const struct pat_svg_explain *e, const struct span *s,
                              const struct panel *p) {
    for (size_t k = 0; k < e->nwin; k++) {
        double y = map_v(p, (double)e->prob[k]);
        int above = !isnan(e->threshold) && (double)e->prob[k] >= e->threshold;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"4\"/>\n", map_t(s, (double)e->start[k]) + 2, y,
                map_t(s, (double)(e->start[k] + (long long)e->T)) - 2, y,
                above ? "#b2182b" : "#2166ac");
    }
    char buf[96];
    if (!isnan(e->threshold)) {
        double y = map_v(p, e->threshold);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\" "
                   "stroke-dasharray=\"6 4\"/>\n", LEFT, y, LEFT + PW, y);
        snprintf(buf, sizeof buf, "%.3f", e->threshold);
        text(f, LEFT + PW + 6, y - 2, "font-size=\"11\"", "threshold");
        text(f, LEFT + PW + 6, y + 11, "font-size=\"11\"", buf);
    }
}

/* The score line: the number, how it was formed, and the decision. */
static void headline(FILE *f, const struct pat_svg_explain *e) {
    char buf[256];
    if (isnan(e->probability))
        snprintf(buf, sizeof buf, "no score: no window had enough valid data");
    else if (isnan(e->threshold))
        snprintf(buf, sizeof buf, "P = %.3f (mean of %zu windows; no threshold)", e->probability,
                 e->nwin);
    else
        snprintf(buf, sizeof buf, "P = %.3f (mean of %zu windows): %s the threshold %.3f",
                 e->probability, e->nwin, e->probability >= e->threshold ? "at or above" : "below",
                 e->threshold);
    text(f, LEFT, 54, "font-size=\"15\" font-weight=\"bold\" fill=\"#222222\"", buf);
    if (e->note) text(f, LEFT, 74, "font-size=\"12\" fill=\"#555555\"", e->note);
}

static void render(FILE *f, const struct pat_svg_explain *e, const struct span *s, double H) {
    struct panel act = {96, 160, 0, 1, 1}, att = {286, 110, 0, 1, 1}, pr = {422, 80, 0, 1, 0.5};
    size_t bw = (size_t)bin_width(s);
    double amax = 0;
    for (size_t i = 0; i < e->nwin * e->N; i++)
        amax = fmax(amax, (double)e->attention[i] * (double)e->N);
    nice_range(&act, max_binned(e, bw));
    nice_range(&att, fmax(amax, 1.2));
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
               "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Arial, "
               "Helvetica, sans-serif\" font-size=\"12\">\n<title>", W, H, W, H);
    pat_svg_put_text(f, e->title);
    fprintf(f, "</title>\n<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
            W, H);
    fitted_title(f, e->title);
    headline(f, e);
    const struct panel *ps[3] = {&act, &att, &pr};
    for (int i = 0; i < 3; i++) window_shading(f, e, s, ps[i]);
    char unit[96];
    snprintf(unit, sizeof unit, "%s, mean per %zu min", e->unit ? e->unit : "", bw);
    panel_frame(f, &act, "activity", unit);
    panel_frame(f, &att, "attention", "1 = uniform");
    panel_frame(f, &pr, "P(window)", "0 to 1");
    activity_panel(f, e, s, &act, bw);
    attention_panel(f, e, s, &att);
    probability_panel(f, e, s, &pr);
    clock_axis(f, s, act.top, pr.top + pr.h);
    char ts0[PAT_TIME_LEN], ts1[PAT_TIME_LEN], axis[160];
    pat_time_format(s->t0, ts0);
    pat_time_format(s->t1 - 1, ts1);
    snprintf(axis, sizeof axis, "local clock time, %.10s to %.10s (dotted lines: midnight)",
             ts0, ts1);
    text(f, LEFT + PW / 2, pr.top + pr.h + 52, "text-anchor=\"middle\"", axis);
    text(f, LEFT, H - 10, "font-size=\"11\" fill=\"#555555\"",
         "Shaded: scored windows (white: not scored). Attention: how much the model's last "
         "block attends to each patch of minutes, relative to an even spread.");
    fputs("</svg>\n", f);
}

enum pat_status pat_svg_explain(const char *path, const struct pat_svg_explain *e,
                                struct pat_err *err) {
    if (!path || !e) return pat_fail(err, PAT_ERR_USAGE, "explanation chart: no output");
    if (e->nwin && (!e->start || !e->activity || !e->attention || !e->prob || !e->N ||
                    e->T % e->N))
        return pat_fail(err, PAT_ERR_USAGE, "%s: incomplete explanation data", path);
    struct span s = {0, DAY};
    if (e->nwin) {
        s.t0 = floor_day(e->start[0]);
        s.t1 = e->start[0] + (long long)e->T;
        for (size_t k = 0; k < e->nwin; k++) {
            if (floor_day(e->start[k]) < s.t0) s.t0 = floor_day(e->start[k]);
            if (e->start[k] + (long long)e->T > s.t1) s.t1 = e->start[k] + (long long)e->T;
        }
        s.t1 = floor_day(s.t1 + DAY - 1);
    }
    struct pat_atomic_file a;
    enum pat_status st = pat_atomic_open(&a, path, err);
    if (st != PAT_OK) return st;
    render(a.f, e, &s, 592);
    return pat_atomic_commit(&a, err);
}
