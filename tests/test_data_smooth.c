/* test_data_smooth.c - Savitzky-Golay smoothing: textbook coefficients,
 * exact reproduction of polynomials up to the order (edges included, as in
 * scipy's mode='interp'), and refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/smooth.h"

/* Window 5, order 2: the smoothing weights are (-3, 12, 17, 12, -3) / 35. */
static void textbook_coefficients(struct check_ctx *c) {
    float in[11] = {0}, out[11];
    struct pat_err err = {0};
    in[5] = 35.0f;
    CHECK_STATUS(c, pat_savgol(out, in, 11, 5, 2, &err), PAT_OK);
    CHECK_CLOSE(c, out[3], -3, 1e-5);
    CHECK_CLOSE(c, out[4], 12, 1e-5);
    CHECK_CLOSE(c, out[5], 17, 1e-5);
    CHECK_CLOSE(c, out[6], 12, 1e-5);
    CHECK_CLOSE(c, out[7], -3, 1e-5);
    CHECK_CLOSE(c, out[0], 0, 1e-5);
}

/* A cubic passes through window 51, order 3 unchanged, edges too. */
static void cubic_is_preserved(struct check_ctx *c) {
    enum { n = 300 };
    float in[n], out[n];
    struct pat_err err = {0};
    for (int i = 0; i < n; i++) {
        double t = (i - 150) / 50.0;
        in[i] = (float)(2.0 - t + 0.5 * t * t - 0.25 * t * t * t);
    }
    CHECK_STATUS(c, pat_savgol(out, in, n, 51, 3, &err), PAT_OK);
    double worst = 0;
    for (int i = 0; i < n; i++) worst = fmax(worst, fabs(out[i] - in[i]));
    CHECK(c, worst < 1e-4);
    /* noise is reduced */
    for (int i = 0; i < n; i++) in[i] = (i % 2) ? 1.0f : -1.0f;
    CHECK_STATUS(c, pat_savgol(out, in, n, 51, 3, &err), PAT_OK);
    CHECK(c, fabs(out[150]) < 0.05);
}

/* Against scipy.signal.savgol_filter(x, 51, 3) (tests/fixtures/data/README.md). */
static void matches_scipy(struct check_ctx *c) {
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/data/savgol_in.csv", check_fixture_dir());
    snprintf(b, sizeof b, "%s/data/savgol_51_3.csv", check_fixture_dir());
    size_t r1, c1, r2, c2;
    float *x = check_read_csv(a, &r1, &c1), *ref = check_read_csv(b, &r2, &c2);
    if (CHECK(c, x && ref && r1 == 1 && r2 == 1 && c1 == 400 && c2 == 400)) {
        float out[400];
        struct pat_err err = {0};
        CHECK_STATUS(c, pat_savgol(out, x, 400, 51, 3, &err), PAT_OK);
        double worst = 0;
        for (size_t i = 0; i < 400; i++) worst = fmax(worst, fabs((double)out[i] - ref[i]));
        if (worst > 1e-3) check_fail(c, "max difference from scipy %g", worst);
    }
    free(x);
    free(ref);
}

static void bad_parameters_are_refused(struct check_ctx *c) {
    float in[60] = {0}, out[60];
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_savgol(out, in, 60, 50, 3, &err), PAT_ERR_USAGE); /* even */
    CHECK_STATUS(c, pat_savgol(out, in, 60, 5, 5, &err), PAT_ERR_USAGE);  /* order >= window */
    CHECK_STATUS(c, pat_savgol(out, in, 40, 51, 3, &err), PAT_ERR_USAGE); /* too short */
    CHECK(c, strstr(err.msg, "Savitzky-Golay") != NULL);
}

int main(void) {
    int failures = 0;
    RUN(textbook_coefficients);
    RUN(cubic_is_preserved);
    RUN(matches_scipy);
    RUN(bad_parameters_are_refused);
    return failures ? 1 : 0;
}
