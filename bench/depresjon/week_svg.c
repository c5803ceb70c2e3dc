/* week_svg.c - draw a participant's activity, PAT's attention and the
 * per-window probabilities on one time axis (an SVG line chart, src/report/svg.h).
 *
 *   week_svg -x X.csv -a ATT.csv [-p PROB.csv] [--rows Y.csv] [--log1p]
 *            [--title TEXT] -o OUT.svg
 *
 *   X.csv     the windows, one per row (pat data export --csv)
 *   ATT.csv   pat explain's output for the same rows: N weights per row
 *   PROB.csv  pat predict's output for the same rows: one probability per row
 *   Y.csv     pat data export --labels: its "start" column places each row on
 *             the clock (default: rows back to back)
 *   --log1p   the rows hold log(1 + counts): undo it for the activity curve
 *
 * Three curves at the patch resolution (N patches of T/N minutes per row),
 * x in days from the first row's start: activity (mean count per patch,
 * divided by its largest value), attention (each row's weights times N, so
 * 1 = uniform, divided by the largest value), and each row's probability
 * as a flat segment over its window. Gaps between rows break the lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/clock.h"
#include "io/csv.h"
#include "pat.h"
#include "report/svg.h"
#include "util.h"

struct mat {
    float *v;
    size_t rows, cols;
};

static enum pat_status load(const char *path, struct mat *m, struct pat_err *err) {
    struct pat_csv_reader *r = NULL;
    enum pat_status st = pat_csv_open(path, &r, err);
    m->v = NULL, m->rows = m->cols = 0;
    size_t cap = 0;
    while (st == PAT_OK) {
        const float *row;
        size_t cols;
        st = pat_csv_next(r, &row, &cols, err);
        if (st != PAT_OK || !row) break;
        if (m->rows == cap) {
            cap = cap ? 2 * cap : 16;
            float *v = realloc(m->v, cap * cols * sizeof *v);
            if (!v) {
                st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
                break;
            }
            m->v = v;
        }
        memcpy(m->v + m->rows * cols, row, cols * sizeof *row);
        m->cols = cols, m->rows++;
    }
    pat_csv_close(r);
    if (st == PAT_OK && !m->rows) st = pat_fail(err, PAT_ERR_FORMAT, "%s: no rows", path);
    return st;
}

/* Row starts (minutes) from the "start" column of pat data export --labels. */
static enum pat_status load_starts(const char *path, size_t rows, long long *start,
                                   struct pat_err *err) {
    FILE *f = fopen(path, "r");
    if (!f) return pat_fail(err, PAT_ERR_IO, "%s: cannot open", path);
    char line[1024];
    size_t n = 0;
    enum pat_status st = PAT_OK;
    if (!fgets(line, sizeof line, f)) st = pat_fail(err, PAT_ERR_FORMAT, "%s: empty", path);
    while (st == PAT_OK && n < rows && fgets(line, sizeof line, f)) {
        const char *a = strchr(line, ','), *b = a ? strchr(a + 1, ',') : NULL;
        int64_t t;
        int sec;
        if (!b || !pat_parse_timestamp(a + 1, (size_t)(b - a - 1), &t, &sec))
            st = pat_fail(err, PAT_ERR_FORMAT, "%s: line %zu: no start time", path, n + 2);
        else start[n++] = (long long)t;
    }
    fclose(f);
    if (st == PAT_OK && n != rows)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: %zu rows, the windows have %zu", path, n, rows);
    return st;
}

struct opts {
    const char *x, *att, *prob, *rows, *title, *out;
    int log1p;
};

static int parse(int argc, char **argv, struct opts *o) {
    memset(o, 0, sizeof *o);
    o->title = "Activity and PAT attention";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--log1p")) { o->log1p = 1; continue; }
        if (!v) return -1;
        if (!strcmp(a, "-x")) o->x = v;
        else if (!strcmp(a, "-a")) o->att = v;
        else if (!strcmp(a, "-p")) o->prob = v;
        else if (!strcmp(a, "--rows")) o->rows = v;
        else if (!strcmp(a, "--title")) o->title = v;
        else if (!strcmp(a, "-o")) o->out = v;
        else return -1;
        i++;
    }
    return o->x && o->att && o->out ? 0 : -1;
}

/* The three curves; rows are separated by a NaN point where they do not touch. */
static enum pat_status draw(const struct opts *o, const struct mat *x, const struct mat *a,
                            const struct mat *p, const long long *start, struct pat_err *err) {
    const size_t R = x->rows, T = x->cols, N = a->cols, Pm = T / N, n = R * (N + 1);
    double *buf = calloc(7 * n, sizeof *buf);
    if (!buf) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    double *tx = buf, *act = buf + n, *att = buf + 2 * n, *px = buf + 3 * n, *py = buf + 5 * n;
    double amax = 0, wmax = 0;
    size_t k = 0, q = 0;
    for (size_t r = 0; r < R; r++) {
        const double day0 = (double)(start[r] - start[0]) / 1440.0;
        for (size_t j = 0; j < N; j++, k++) {
            double s = 0;
            for (size_t t = j * Pm; t < (j + 1) * Pm; t++) {
                double v = x->v[r * T + t];
                s += o->log1p ? expm1(v) : v;
            }
            tx[k] = day0 + ((double)j + 0.5) * (double)Pm / 1440.0;
            act[k] = s / (double)Pm, att[k] = a->v[r * N + j] * (double)N;
            amax = fmax(amax, act[k]), wmax = fmax(wmax, att[k]);
        }
        const int gap = r + 1 < R && start[r + 1] != start[r] + (long long)T;
        tx[k] = day0 + (double)T / 1440.0, act[k] = att[k] = NAN, k += gap;
        if (p) {
            px[q] = day0, py[q] = p->v[r], q++;
            px[q] = day0 + (double)T / 1440.0, py[q] = p->v[r], q++;
            px[q] = px[q - 1], py[q] = NAN, q++;
        }
    }
    for (size_t i = 0; i < k; i++) {
        if (amax > 0 && !isnan(act[i])) act[i] /= amax;
        if (wmax > 0 && !isnan(att[i])) att[i] /= wmax;
    }
    struct pat_svg_series s[3] = {
        {"activity (max = 1)", tx, act, k},
        {"attention (max = 1)", tx, att, k},
        {"P(depression), window", px, py, q},
    };
    enum pat_status st = pat_svg_lines(o->out, o->title, "days from the first window's start",
                                       "relative value (0 to 1)", s, p ? 3 : 2, err);
    free(buf);
    return st;
}

int main(int argc, char **argv) {
    struct opts o;
    if (parse(argc, argv, &o)) {
        fprintf(stderr, "Usage: week_svg -x X.csv -a ATT.csv [-p PROB.csv] [--rows Y.csv] "
                        "[--log1p] [--title TEXT] -o OUT.svg\n");
        return 2;
    }
    struct pat_err err = {0};
    struct mat x = {0}, a = {0}, p = {0};
    long long *start = NULL;
    enum pat_status st = load(o.x, &x, &err);
    if (st == PAT_OK) st = load(o.att, &a, &err);
    if (st == PAT_OK && o.prob) st = load(o.prob, &p, &err);
    if (st == PAT_OK && (a.rows != x.rows || !a.cols || x.cols % a.cols ||
                         (o.prob && (p.rows != x.rows || p.cols != 1))))
        st = pat_fail(&err, PAT_ERR_FORMAT, "%s, %s%s%s: rows or lengths do not match", o.x,
                      o.att, o.prob ? ", " : "", o.prob ? o.prob : "");
    if (st == PAT_OK && !(start = malloc(x.rows * sizeof *start)))
        st = pat_fail(&err, PAT_ERR_NOMEM, "out of memory");
    for (size_t r = 0; st == PAT_OK && !o.rows && r < x.rows; r++)
        start[r] = (long long)(r * x.cols);
    if (st == PAT_OK && o.rows) st = load_starts(o.rows, x.rows, start, &err);
    if (st == PAT_OK) st = draw(&o, &x, &a, o.prob ? &p : NULL, start, &err);
    free(x.v), free(a.v), free(p.v), free(start);
    if (st != PAT_OK) {
        fprintf(stderr, "week_svg: %s\n", err.msg);
        return 1;
    }
    return 0;
}
