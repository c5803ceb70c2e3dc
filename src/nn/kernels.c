/* kernels.c - forward kernels of the PAT encoder (see kernels.h). */
#include "nn/kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"
#include "nn/pool.h"

void pat_positional_encoding_rows(float *pe, size_t p0, size_t rows, size_t E) {
    const size_t half = E / 2;
    /* TF: exp(range(0, E, 2) * (-log(10000) / E)), all in float32. */
    const float neg_log_base = -logf(10000.0f) / (float)E;
    for (size_t i = 0; i < half; i++) {
        const float w = expf((float)(2 * i) * neg_log_base);
        for (size_t r = 0; r < rows; r++) {
            const float angle = (float)(p0 + r) * w;
            pe[r * E + i] = sinf(angle);
            pe[r * E + half + i] = cosf(angle);
        }
    }
}

void pat_positional_encoding(float *pe, size_t N, size_t E) {
    pat_positional_encoding_rows(pe, 0, N, E);
}

void pat_patch_embed_dense(float *out, const float *x, const float *W, const float *b,
                           size_t N, size_t P, size_t E) {
    pat_gemm_bias(out, x, W, b, N, P, E); /* x is already (N, P) in C order */
}

/* Element-wise loops run in blocks of BLOCK with restrict pointers: a fixed
 * trip count and no possible overlap are what GCC's -O2 vectorizer needs. */
#define BLOCK 16

/* Rows (patches, tokens) per task of the row-parallel kernels. */
#define ROW_GRAIN 64

/* The three inputs of the Conv1D at minute t of a patch u (P), zero padded
 * inside the patch. */
struct conv_in {
    float left, mid, right;
};

static inline struct conv_in conv_inputs(const float *u, size_t t, size_t P) {
    struct conv_in in = {t > 0 ? u[t - 1] : 0.0f, u[t], t + 1 < P ? u[t + 1] : 0.0f};
    return in;
}

/* Filter f of the Conv1D (before ReLU) on inputs in. */
static inline float conv_value(const float *Wc, const float *b, size_t f, size_t E,
                               struct conv_in in) {
    return b[f] + Wc[f] * in.left + Wc[E + f] * in.mid + Wc[2 * E + f] * in.right;
}

/* Filters [f0, f0+n) of one patch, n <= BLOCK: out = mean_t relu(conv). */
PAT_INLINE void conv_patch_block(float *restrict out, const float *restrict u,
                                 const float *restrict Wc, const float *restrict b, size_t f0,
                                 size_t n, size_t P, size_t E) {
    float acc[BLOCK] = {0};
    for (size_t t = 0; t < P; t++) {
        const struct conv_in in = conv_inputs(u, t, P);
        for (size_t l = 0; l < n; l++) {
            const float c = conv_value(Wc, b, f0 + l, E, in);
            acc[l] += c > 0.0f ? c : 0.0f;
        }
    }
    for (size_t l = 0; l < n; l++) out[f0 + l] = acc[l] / (float)P;
}

/* One patch: out (E) = mean_t relu(b + W0 u[t-1] + W1 u[t] + W2 u[t+1]),
 * BLOCK filters at a time (the sum over t runs in order either way). */
static void conv_patch(float *out, const float *u, const float *Wc, const float *b, size_t P,
                       size_t E) {
    size_t f0 = 0;
    for (; f0 + BLOCK <= E; f0 += BLOCK) /* BLOCK constant: vectorized */
        conv_patch_block(out, u, Wc, b, f0, BLOCK, P, E);
    for (; f0 < E; f0++) conv_patch_block(out, u, Wc, b, f0, 1, P, E);
}

struct conv_job {
    float *out;
    const float *x, *Wc, *b;
    size_t P, E;
};

static void conv_range(void *ctx, size_t p0, size_t p1) {
    const struct conv_job *j = ctx;
    for (size_t p = p0; p < p1; p++)
        conv_patch(j->out + p * j->E, j->x + p * j->P, j->Wc, j->b, j->P, j->E);
}

void pat_patch_embed_conv(float *out, const float *x, const float *Wc, const float *b,
                          size_t N, size_t P, size_t E) {
    struct conv_job j = {out, x, Wc, b, P, E};
    pat_pool_for(N, ROW_GRAIN, conv_range, &j);
}

struct ln_job {
    float *out, *mean, *rstd;
    const float *inp, *g, *b;
    size_t E;
};

static void layernorm_range(void *ctx, size_t r0, size_t r1) {
    const struct ln_job *j = ctx;
    const size_t E = j->E;
    for (size_t r = r0; r < r1; r++) {
        const float *z = j->inp + r * E;
        float *y = j->out + r * E;
        double mu = 0.0, var = 0.0;
        for (size_t c = 0; c < E; c++) mu += z[c];
        mu /= (double)E;
        for (size_t c = 0; c < E; c++) var += (z[c] - mu) * (z[c] - mu);
        var /= (double)E;
        const float m = (float)mu;
        const float rs = (float)(1.0 / sqrt(var + (double)PAT_LN_EPS));
        if (j->mean) j->mean[r] = m;
        if (j->rstd) j->rstd[r] = rs;
        for (size_t c = 0; c < E; c++) y[c] = (z[c] - m) * rs * j->g[c] + j->b[c];
    }
}

void pat_layernorm_stats(float *out, float *mean, float *rstd, const float *inp,
                         const float *g, const float *b, size_t R, size_t E) {
    struct ln_job j = {out, mean, rstd, inp, g, b, E};
    pat_pool_for(R, ROW_GRAIN, layernorm_range, &j);
}

void pat_layernorm(float *out, const float *inp, const float *g, const float *b, size_t R,
                   size_t E) {
    pat_layernorm_stats(out, NULL, NULL, inp, g, b, R, E);
}

struct ln_bwd_job {
    float *dinp;
    const float *dout, *inp, *g, *mean, *rstd;
    size_t E;
};

static void layernorm_backward_range(void *ctx, size_t r0, size_t r1) {
    const struct ln_bwd_job *j = ctx;
    const size_t E = j->E;
    for (size_t r = r0; r < r1; r++) {
        const float *dy = j->dout + r * E, *z = j->inp + r * E, *g = j->g;
        const float m = j->mean[r], rs = j->rstd[r];
        double mean_d = 0.0, mean_dx = 0.0;
        for (size_t c = 0; c < E; c++) {
            const double dxhat = (double)dy[c] * g[c];
            mean_d += dxhat;
            mean_dx += dxhat * ((z[c] - m) * rs);
        }
        mean_d /= (double)E;
        mean_dx /= (double)E;
        float *dz = j->dinp + r * E;
        for (size_t c = 0; c < E; c++) {
            const double xhat = (z[c] - m) * rs;
            dz[c] += (float)(rs * ((double)dy[c] * g[c] - mean_d - xhat * mean_dx));
        }
    }
}

/* dz = rstd (dxhat − mean(dxhat) − xhat mean(dxhat xhat)), dxhat = dy g. */
void pat_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
                            const float *inp, const float *g, const float *mean,
                            const float *rstd, size_t R, size_t E) {
    struct ln_bwd_job j = {dinp, dout, inp, g, mean, rstd, E};
    pat_pool_for(R, ROW_GRAIN, layernorm_backward_range, &j);
    for (size_t r = 0; r < R; r++) /* fixed row order: thread-independent */
        for (size_t c = 0; c < E; c++) {
            const float xhat = (inp[r * E + c] - mean[r]) * rstd[r];
            dg[c] += dout[r * E + c] * xhat;
            db[c] += dout[r * E + c];
        }
}

static void relu_backward_inplace(float *d, const float *restrict y, size_t n) {
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (size_t l = 0; l < BLOCK; l++) d[i + l] = y[i + l] > 0.0f ? d[i + l] : 0.0f;
    for (; i < n; i++) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
}

static void relu_backward_into(float *restrict dx, const float *restrict dy,
                               const float *restrict y, size_t n) {
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (size_t l = 0; l < BLOCK; l++) {
            const float g = dy[i + l]; /* read unconditionally: no branch */
            dx[i + l] = y[i + l] > 0.0f ? g : 0.0f;
        }
    for (; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void pat_relu_backward(float *dx, const float *dy, const float *y, size_t n) {
    if (dx == dy)
        relu_backward_inplace(dx, y, n);
    else
        relu_backward_into(dx, dy, y, n);
}

/* x when cond, else +0 (adding it then changes no sum), through a bit mask:
 * GCC vectorizes this where a float select would become a branch. */
static inline float keep_if(float x, int cond) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits &= -(uint32_t)(cond != 0);
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* Filters [f0, f0+n) of the conv backward, n <= BLOCK: the gradients are
 * summed over patches, then minutes, in order, as the one-filter loop would. */
PAT_INLINE void conv_backward_block(float *restrict dWc, float *restrict db,
                                    const float *restrict dout, const float *restrict x,
                                    const float *restrict Wc, const float *restrict b,
                                    size_t f0, size_t n, size_t N, size_t P, size_t E) {
    float g_b[BLOCK], g_l[BLOCK], g_m[BLOCK], g_r[BLOCK];
    for (size_t l = 0; l < n; l++)
        g_b[l] = db[f0 + l], g_l[l] = dWc[f0 + l], g_m[l] = dWc[E + f0 + l],
        g_r[l] = dWc[2 * E + f0 + l];
    for (size_t p = 0; p < N; p++) {
        const float *u = x + p * P, *de = dout + p * E + f0;
        for (size_t t = 0; t < P; t++) {
            const struct conv_in in = conv_inputs(u, t, P);
            for (size_t l = 0; l < n; l++) {
                const float c = conv_value(Wc, b, f0 + l, E, in);
                const float gr = keep_if(de[l] / (float)P, c > 0.0f); /* ReLU backward */
                g_b[l] += gr, g_l[l] += gr * in.left, g_m[l] += gr * in.mid;
                g_r[l] += gr * in.right;
            }
        }
    }
    for (size_t l = 0; l < n; l++)
        db[f0 + l] = g_b[l], dWc[f0 + l] = g_l[l], dWc[E + f0 + l] = g_m[l],
        dWc[2 * E + f0 + l] = g_r[l];
}

void pat_patch_embed_conv_backward(float *dWc, float *db, const float *dout, const float *x,
                                   const float *Wc, const float *b, size_t N, size_t P,
                                   size_t E) {
    size_t f0 = 0;
    for (; f0 + BLOCK <= E; f0 += BLOCK) /* BLOCK constant: vectorized */
        conv_backward_block(dWc, db, dout, x, Wc, b, f0, BLOCK, N, P, E);
    for (; f0 < E; f0++) conv_backward_block(dWc, db, dout, x, Wc, b, f0, 1, N, P, E);
}

void pat_relu_inplace(float *x, size_t n) {
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (size_t l = 0; l < BLOCK; l++) x[i + l] = x[i + l] > 0.0f ? x[i + l] : 0.0f;
    for (; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void pat_scale_inplace(float *x, float s, size_t n) {
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (size_t l = 0; l < BLOCK; l++) x[i + l] *= s;
    for (; i < n; i++) x[i] *= s;
}

static void add_disjoint(float *restrict out, const float *restrict a, size_t n) {
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (size_t l = 0; l < BLOCK; l++) out[i + l] += a[i + l];
    for (; i < n; i++) out[i] += a[i];
}

void pat_add_inplace(float *out, const float *a, size_t n) {
    if ((uintptr_t)(a + n) <= (uintptr_t)out || (uintptr_t)(out + n) <= (uintptr_t)a) {
        add_disjoint(out, a, n);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] += a[i];
}

void pat_mean_rows(float *out, const float *inp, size_t N, size_t E) {
    for (size_t c = 0; c < E; c++) {
        double s = 0.0;
        for (size_t t = 0; t < N; t++) s += inp[t * E + c];
        out[c] = (float)(s / (double)N);
    }
}
