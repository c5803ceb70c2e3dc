/* scaler.c - two-pass float64 per-minute moments (scaler.h). */
#include "data/scaler.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum pat_status pat_moments_init(struct pat_moments *m, size_t T, struct pat_err *err) {
    memset(m, 0, sizeof *m);
    m->T = T;
    m->mean = pat_calloc(T, sizeof *m->mean);
    m->m2 = pat_calloc(T, sizeof *m->m2);
    if (!m->mean || !m->m2) {
        pat_moments_free(m);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory for a scaler of %zu minutes", T);
    }
    return PAT_OK;
}

void pat_moments_add(struct pat_moments *m, const float *x) {
    if (m->pass == 0) {
        for (size_t j = 0; j < m->T; j++) m->mean[j] += (double)x[j];
        m->n++;
        return;
    }
    for (size_t j = 0; j < m->T; j++) {
        double d = (double)x[j] - m->mean[j];
        m->m2[j] += d * d;
    }
}

void pat_moments_next_pass(struct pat_moments *m) {
    for (size_t j = 0; m->n && j < m->T; j++) m->mean[j] /= (double)m->n;
    m->pass = 1;
}

void pat_moments_result(const struct pat_moments *m, float *mean, float *std) {
    for (size_t j = 0; j < m->T; j++) {
        double s = m->n ? sqrt(m->m2[j] / (double)m->n) : 0.0;
        mean[j] = m->n ? (float)m->mean[j] : 0.0f;
        std[j] = s < 10 * DBL_EPSILON ? 1.0f : (float)s;
    }
}

void pat_moments_free(struct pat_moments *m) {
    free(m->mean);
    free(m->m2);
    memset(m, 0, sizeof *m);
}
