/* bench_job.c - one benchmark job per process, so that the peak resident
 * memory (getrusage) belongs to that job alone.
 *
 *     bench_job infer ARCH BATCH REPS THREADS [fp32|bf16]
 *                                                pat_predict_ex on BATCH one-week sequences
 *                                                at that precision (default fp32); bf16
 *                                                prints path=avx512-bf16 or path=emulated
 *     bench_job train ARCH BATCH STEPS THREADS  STEPS fine-tuning steps of BATCH sequences
 *     bench_job pretrain ARCH BATCH STEPS THREADS  STEPS masked-autoencoder steps of BATCH
 *                                                one-week rows (mask 0.9, one mask per
 *                                                batch, dropout 0: as the reference)
 *     bench_job sgemm SIZE REPS THREADS          OpenBLAS sgemm SIZE^3 (when built with BLAS)
 *     bench_job tile                             the tile pat_matmul chooses (job=tile)
 *     bench_job shapes REPS 1                    the tile pat_matmul chose (job=tile), then
 *                                                every path's every tile and OpenBLAS on the
 *                                                model's product shapes, one thread
 *     bench_job csv FILE REPS                    the CSV side of pat embed: FILE read with
 *                                                the CSV reader and 96 values per row written
 *                                                as pat embed writes them (%.9g) to
 *                                                /dev/null; also every field through
 *                                                strtod + cast (the former parser) and
 *                                                through pat_parse_float alone
 *
 * Prints one line of key=value pairs on standard output, read by
 * bench/bench.py: the job, its throughput and maxrss_kb. Weights are
 * Keras-initialised from a fixed seed and inputs are seeded noise: the
 * arithmetic does not depend on the values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "io/csv.h"
#include "io/decimal.h"
#include "nn/gemm.h"
#include "nn/tile_choice.h"
#include "nn/gemm_bf16.h"
#include "pat.h"
#include "rng.h"
#include "nn/mae.h"
#include "train/finetune.h"
#include "train/pretrain.h"

#ifdef PAT_HAVE_BLAS /* after pat's headers: OpenBLAS's complex.h defines I */
#include <cblas.h>
#endif

#define BENCH_T 10080 /* one week of minutes */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* CPU seconds (user + system) of the process so far. */
static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static float *random_input(size_t n, unsigned long long seed) {
    float *x = malloc(n * sizeof *x);
    struct pat_rng rng;
    pat_rng_seed(&rng, seed);
    for (size_t i = 0; x && i < n; i++) x[i] = pat_rng_normal(&rng);
    return x;
}

static struct pat_model *make_model(const char *arch) {
    struct pat_config cfg;
    struct pat_model *m = NULL;
    struct pat_err err;
    if (pat_config_preset(arch, &cfg, &err) != PAT_OK ||
        pat_model_init_random(&cfg, 1, 1, &m, &err) != PAT_OK) {
        fprintf(stderr, "bench_job: %s\n", err.msg);
        return NULL;
    }
    return m;
}

/* One warm-up call, then REPS timed calls of pat_predict_ex on BATCH rows
 * (each call packs the bf16 weights again: that cost is included). */
static int job_infer(const char *arch, size_t batch, size_t reps, enum pat_precision prec) {
    struct pat_model *m = make_model(arch);
    float *x = random_input(batch * BENCH_T, 7), *out = calloc(batch, sizeof *out);
    struct pat_err err;
    int ok = m && x && out && pat_predict_ex(m, x, batch, BENCH_T, prec, out, &err) == PAT_OK;
    const double t0 = now_seconds(), c0 = cpu_seconds();
    for (size_t r = 0; ok && r < reps; r++)
        ok = pat_predict_ex(m, x, batch, BENCH_T, prec, out, &err) == PAT_OK;
    const double sec = now_seconds() - t0, cpu = cpu_seconds() - c0;
    if (ok)
        printf("job=infer arch=%s batch=%zu reps=%zu seconds=%.4f seq_per_s=%.4f cpu_s=%.4f "
               "maxrss_kb=%ld precision=%s path=%s\n",
               arch, batch, reps, sec, (double)(batch * reps) / sec, cpu, maxrss_kb(),
               prec == PAT_PRECISION_BF16 ? "bf16" : "fp32",
               prec == PAT_PRECISION_BF16 ? pat_bf16_path_name(pat_bf16_path_detect()) : "-");
    else
        fprintf(stderr, "bench_job infer: %s\n", m && x && out ? err.msg : "setup failed");
    free(x), free(out);
    pat_model_free(m);
    return ok ? 0 : 1;
}

/* One epoch of STEPS full fine-tuning steps (paper recipe: Keras Adam,
 * class weights, dropout 0.1); throughput from the epoch's training time,
 * which excludes validation. */
static int job_train(const char *arch, size_t batch, size_t steps) {
    struct pat_model *m = make_model(arch);
    const size_t n = batch * steps, nval = 2;
    float *x = random_input(n * BENCH_T, 7), *xv = random_input(nval * BENCH_T, 8);
    float *y = calloc(n, sizeof *y), yv[2] = {0.0f, 1.0f};
    struct pat_err err;
    int ok = m && x && xv && y;
    for (size_t i = 0; ok && i < n; i++) y[i] = (float)(i % 2);
    struct pat_train_params p;
    struct pat_train_result r = {0};
    double cpu = 0.0; /* of the whole fine-tuning call, validation included */
    if (ok) {
        pat_train_default_params(pat_model_config(m), &p);
        p.epochs = 1, p.batch_size = batch;
        struct pat_train_data tr = {x, y, n, BENCH_T}, va = {xv, yv, nval, BENCH_T};
        cpu = cpu_seconds();
        ok = pat_finetune(m, &p, &tr, &va, &r, &err) == PAT_OK && r.num_epochs == 1;
        cpu = cpu_seconds() - cpu;
    }
    if (ok)
        printf("job=train arch=%s batch=%zu reps=%zu seconds=%.4f seq_per_s=%.4f cpu_s=%.4f "
               "maxrss_kb=%ld\n",
               arch, batch, steps, (double)n / r.history[0].seq_per_s, r.history[0].seq_per_s,
               cpu, maxrss_kb());
    else
        fprintf(stderr, "bench_job train: %s\n", m && x && xv && y ? err.msg : "setup failed");
    pat_train_result_free(&r);
    free(x), free(xv), free(y);
    pat_model_free(m);
    return ok ? 0 : 1;
}

static int job_sgemm(size_t n, size_t reps) {
#ifdef PAT_HAVE_BLAS
    float *a = random_input(n * n, 1), *b = random_input(n * n, 2), *c = calloc(n * n, sizeof *c);
    if (!a || !b || !c) return 1;
    const int in = (int)n;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, in, in, in, 1.0f, a, in, b, in, 0.0f,
                c, in); /* warm-up */
    const double t0 = now_seconds();
    for (size_t r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, in, in, in, 1.0f, a, in, b, in,
                    0.0f, c, in);
    const double sec = now_seconds() - t0;
    printf("job=sgemm size=%zu reps=%zu seconds=%.4f gflop_s=%.3f maxrss_kb=%ld\n", n, reps, sec,
           2.0 * (double)n * (double)n * (double)n * (double)reps / sec * 1e-9, maxrss_kb());
    free(a), free(b), free(c);
    return 0;
#else
    (void)n, (void)reps;
    printf("job=sgemm unavailable=1\n");
    return 0;
#endif
}

/* Best of `reps` runs of one product c (m, n) = a (m, k) · b (k, n); path < 0 is OpenBLAS. */
static double shape_rate(int path, int tile, float *c, const float *a, const float *b, size_t m,
                         size_t n, size_t k, size_t reps) {
    double best = 1e30;
    for (size_t r = 0; r < reps; r++) {
        const double t0 = now_seconds();
        if (path >= 0)
            pat_matmul_tile((enum pat_isa)path, tile, c, n, a, k, 1, b, n, m, n, k, 0);
#ifdef PAT_HAVE_BLAS
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                        a, (int)k, b, (int)n, 0.0f, c, (int)n);
#endif
        const double sec = now_seconds() - t0;
        best = sec < best ? sec : best;
    }
    (void)tile;
    return 2.0 * (double)m * (double)n * (double)k / best * 1e-9;
}

/* The tile pat_matmul uses on the best path, how it was chosen, and what
 * choosing cost this process (a cache read, or the measurement). */
static void print_tile_choice(void) {
    const enum pat_isa isa = pat_isa_detect();
    const double t0 = now_seconds();
    const int tile = pat_tile_active(isa);
    const double ms = (now_seconds() - t0) * 1e3;
    char how[64];
    snprintf(how, sizeof how, "%s", pat_tile_how(isa));
    for (char *p = how; *p; p++) *p = *p == ' ' ? '_' : *p;
    printf("job=tile isa=%s tile=%s how=%s choose_ms=%.2f\n", pat_isa_name(isa),
           pat_tile_name(isa, tile), how[0] ? how : "-", ms);
}

/* Each path's tiles and OpenBLAS on the products of PAT-L (N = 1120 tokens),
 * on one 48-row block of them (what the model hands pat_matmul), and on one
 * attention tile. */
static int job_shapes(size_t reps) {
    static const struct { const char *name; size_t m, n, k; } shapes[] = {
        {"qkv_projection", 1120, 1152, 96}, {"output_projection", 1120, 96, 1152},
        {"ff1", 1120, 256, 96},             {"ff2", 1120, 96, 256},
        {"qkv_block", 48, 1152, 96},        {"output_block", 48, 96, 1152},
        {"ff1_block", 48, 256, 96},         {"ff2_block", 48, 96, 256},
        {"attention_scores", 48, 128, 96},  {"attention_context", 48, 96, 128},
        {"square_2048", 2048, 2048, 2048},
    };
    int paths = (int)pat_isa_detect(), first = 0;
#ifdef PAT_HAVE_BLAS
    first = -1;
#endif
    print_tile_choice();
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
        float *a = random_input(m * k, 1), *b = random_input(k * n, 2), *c = malloc(m * n * 4);
        if (!a || !b || !c) return 1;
        const size_t calls = 2e9 / (2.0 * (double)(m * n * k)) + 1; /* ~2 GFLOP per timing */
        for (int path = first; path <= paths; path++) {
            if (path >= 0 && !pat_isa_supported((enum pat_isa)path)) continue;
            const int tiles = path < 0 ? 1 : pat_tile_count((enum pat_isa)path);
            for (int tile = 0; tile < tiles; tile++) {
                double rate = 0;
                for (size_t r = 0; r < reps; r++) {
                    const double g = shape_rate(path, tile, c, a, b, m, n, k, calls);
                    rate = g > rate ? g : rate;
                }
                const char *pname = path < 0 ? "openblas" : pat_isa_name((enum pat_isa)path);
                printf("job=shape name=%s m=%zu n=%zu k=%zu path=%s%s%s gflop_s=%.2f\n",
                       shapes[s].name, m, n, k, pname, tiles > 1 ? ":" : "",
                       tiles > 1 ? pat_tile_name((enum pat_isa)path, tile) : "", rate);
            }
        }
        free(a), free(b), free(c);
    }
    return 0;
}

/* Every field of the file's text through parse (sum kept live). */
static double parse_fields(const char *text, size_t len, int fast) {
    const double t0 = now_seconds();
    volatile float sink = 0;
    for (const char *p = text; p < text + len;) {
        char *end;
        sink += fast ? pat_parse_float(p, &end) : (float)strtod(p, &end);
        p = end == p ? p + 1 : end + 1;
    }
    (void)sink;
    return now_seconds() - t0;
}

static char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            *len = fread(buf, 1, (size_t)n, f);
            buf[*len] = 0;
        }
    }
    if (f) fclose(f);
    return buf;
}

static int job_csv(const char *path, size_t reps) {
    double best = 1e30, best_old = 1e30, best_new = 1e30;
    size_t rows = 0, cols = 0, n = 0, len = 0;
    char *text = read_text(path, &len);
    FILE *null = fopen("/dev/null", "w");
    if (!text || !null) return 1;
    for (size_t r = 0; r < reps; r++) {
        const double t0 = now_seconds();
        struct pat_csv_reader *rd;
        struct pat_err err;
        if (pat_csv_open(path, &rd, &err) != PAT_OK) return 1;
        const float *row;
        rows = 0;
        while (pat_csv_next(rd, &row, &n, &err) == PAT_OK && row) {
            cols = n;
            for (size_t i = 0; i < 96; i++)
                fprintf(null, i ? ",%.9g" : "%.9g", (double)row[i % cols]);
            fputc('\n', null);
            rows++;
        }
        pat_csv_close(rd);
        fflush(null);
        const double t = now_seconds() - t0;
        best = t < best ? t : best;
        const double o = parse_fields(text, len, 0), f = parse_fields(text, len, 1);
        best_old = o < best_old ? o : best_old;
        best_new = f < best_new ? f : best_new;
    }
    printf("job=csv rows=%zu cols=%zu seconds=%.5f strtod_s=%.5f fast_s=%.5f maxrss_kb=%ld\n",
           rows, cols, best, best_old, best_new, maxrss_kb());
    fclose(null);
    free(text);
    return 0;
}

/* One epoch of STEPS pretraining steps (Keras Adam); throughput from the
 * epoch's training time, which excludes validation. */
static int job_pretrain(const char *arch, size_t batch, size_t steps) {
    struct pat_config cfg;
    struct pat_mae *mae = NULL;
    struct pat_err err;
    const size_t n = batch * steps;
    float *x = random_input((n + 1) * BENCH_T, 7);
    const float **rows = calloc(n + 1, sizeof *rows);
    int ok = x && rows && pat_config_preset(arch, &cfg, &err) == PAT_OK &&
             pat_mae_init_random(&cfg, 1, &mae, &err) == PAT_OK;
    struct pat_pretrain_result r = {0};
    double cpu = 0.0;
    if (ok) {
        for (size_t i = 0; i <= n; i++) rows[i] = x + i * BENCH_T;
        struct pat_pretrain_params p;
        pat_pretrain_default_params(&cfg, &p);
        p.epochs = 1, p.batch_size = batch, p.dropout = 0.0f, p.shuffle = 0;
        struct pat_pretrain_data tr = {rows, n, BENCH_T, NULL, NULL},
                                 va = {rows + n, 1, BENCH_T, NULL, NULL};
        cpu = cpu_seconds();
        ok = pat_pretrain(mae, &p, &tr, &va, &r, &err) == PAT_OK && r.num_epochs == 1;
        cpu = cpu_seconds() - cpu;
    }
    if (ok)
        printf("job=pretrain arch=%s batch=%zu reps=%zu seconds=%.4f seq_per_s=%.4f cpu_s=%.4f "
               "maxrss_kb=%ld\n",
               arch, batch, steps, (double)n / r.history[0].seq_per_s, r.history[0].seq_per_s,
               cpu, maxrss_kb());
    else
        fprintf(stderr, "bench_job pretrain: %s\n", x && rows ? err.msg : "setup failed");
    pat_pretrain_result_free(&r);
    pat_mae_free(mae);
    free(x), free(rows);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "tile") == 0) {
        print_tile_choice();
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "csv") == 0)
        return job_csv(argv[2], strtoul(argv[3], NULL, 10));
    if (argc < 4 || (argc < 5 && strcmp(argv[1], "shapes") != 0)) {
        fprintf(stderr, "usage: bench_job infer|train|pretrain ARCH BATCH REPS THREADS\n"
                        "       bench_job sgemm SIZE REPS THREADS\n"
                        "       bench_job shapes REPS 1\n"
                        "       bench_job tile\n");
        return 2;
    }
    const int sgemm = strcmp(argv[1], "sgemm") == 0, shapes = strcmp(argv[1], "shapes") == 0;
    const int threads = shapes ? 1 : atoi(argv[sgemm ? 4 : 5]);
#ifndef PAT_NO_THREADS
    if (threads > 0) pat_set_threads((size_t)(threads));
#endif
#ifdef PAT_HAVE_BLAS
    if (threads > 0) openblas_set_num_threads(threads);
#endif
    (void)threads;
    if (sgemm) return job_sgemm(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
    if (shapes) return job_shapes(strtoul(argv[2], NULL, 10));
    if (argc < 6) return 2;
    const size_t batch = strtoul(argv[3], NULL, 10), reps = strtoul(argv[4], NULL, 10);
    if (strcmp(argv[1], "infer") == 0) {
        const int bf16 = argc > 6 && strcmp(argv[6], "bf16") == 0;
        if (argc > 6 && !bf16 && strcmp(argv[6], "fp32") != 0) return 2;
        return job_infer(argv[2], batch, reps, bf16 ? PAT_PRECISION_BF16 : PAT_PRECISION_FP32);
    }
    if (strcmp(argv[1], "train") == 0) return job_train(argv[2], batch, reps);
    if (strcmp(argv[1], "pretrain") == 0) return job_pretrain(argv[2], batch, reps);
    fprintf(stderr, "bench_job: unknown job '%s'\n", argv[1]);
    return 2;
}
