/* pat.h - the Pretrained Actigraphy Transformer (PAT) in C.
 *
 * One public header for libpat. Typical use:
 *
 *     struct pat_err err;
 *     struct pat_model *m = NULL;
 *     if (pat_model_load("PAT-M.safetensors", &m, &err) != PAT_OK) {
 *         fprintf(stderr, "%s\n", err.msg);
 *         return 1;
 *     }
 *     float emb[96];
 *     pat_embed(m, week, 1, 10080, emb, &err);    // week: 10080 standardized minutes
 *     pat_model_free(m);
 *
 * Conventions: functions return enum pat_status and, on failure, fill the
 * caller's struct pat_err with a message that names the file, tensor, row or
 * column at fault. Library code never prints and never exits. Arrays are
 * row-major float32. Dimension letters used throughout: B batch, T minutes,
 * P patch length, N = T/P patches, E embed dim (96), H heads, K key dim per
 * head (96), F feed-forward width (256), L blocks.
 */
#ifndef PAT_H
#define PAT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAT_VERSION "0.1.0"

/* Symbols of the public API. The shared library is built with
 * -fvisibility=hidden (mk/shared.mk), so only these are exported. */
#if defined(__GNUC__) || defined(__clang__)
#define PAT_API __attribute__((visibility("default")))
#else
#define PAT_API
#endif

/* Status codes. Values only grow at the end. */
enum pat_status {
    PAT_OK = 0,
    PAT_ERR_USAGE = 1,       /* invalid argument from the caller */
    PAT_ERR_IO = 2,          /* a file could not be opened, read or written */
    PAT_ERR_FORMAT = 3,      /* a file's contents are malformed or inconsistent */
    PAT_ERR_NUMERIC = 4,     /* NaN, Inf or a non-number where a number belongs */
    PAT_ERR_NOMEM = 5,       /* an allocation failed */
    PAT_ERR_UNSUPPORTED = 6, /* a feature not built in (e.g. HDF5 import) */
};

#define PAT_ERR_MSG_LEN 512

/* Error report filled by a failing call. */
struct pat_err {
    enum pat_status status;
    char msg[PAT_ERR_MSG_LEN];
};

/* Short constant description of a status ("format error", ...). */
PAT_API const char *pat_strerror(enum pat_status status);

enum pat_embedding {
    PAT_EMBED_DENSE = 0, /* Reshape(N,P) -> Dense(P->E) */
    PAT_EMBED_CONV = 1,  /* per-patch Conv1D(E, k=3, same, ReLU) + mean over P */
};

/* Architecture hyperparameters. ref: pat-spec §1.1 */
struct pat_config {
    size_t patch_size;   /* P: 18 for S/M, 9 for L */
    size_t embed_dim;    /* E: 96 */
    size_t num_heads;    /* H: 6 (S) or 12 (M, L) */
    size_t key_dim;      /* K: 96 per head (Keras key_dim = embed_dim) */
    size_t ff_dim;       /* F: 256 */
    size_t num_layers;   /* L: 1 (S), 2 (M), 4 (L) */
    enum pat_embedding embedding;
};

/* Fill *cfg for a named architecture: "S", "M", "L", "conv-S", "conv-M",
 * "conv-L" (case-insensitive; "PAT-S" and "PAT-Conv-S" accepted too). */
PAT_API enum pat_status pat_config_preset(const char *name, struct pat_config *cfg,
                                          struct pat_err *err);

/* Human-readable name of a config ("PAT-M", "PAT Conv-L", or "custom"). */
PAT_API const char *pat_config_name(const struct pat_config *cfg);

/* Number of encoder parameters of an architecture (no head, no scaler). */
PAT_API size_t pat_config_encoder_params(const struct pat_config *cfg);

/* Number of parameters of the classification head (12,545 for E=96). */
PAT_API size_t pat_config_head_params(const struct pat_config *cfg);

struct pat_model; /* opaque: config, weights, optional head and scaler */

/* Create a model with zeroed weights. with_head: include the classification
 * head. scaler_len: 0 for none, else T of the per-minute scaler. */
PAT_API enum pat_status pat_model_create(const struct pat_config *cfg, int with_head,
                                         size_t scaler_len, struct pat_model **out,
                                         struct pat_err *err);

/* Load a model from a .safetensors file or, when built with HDF5, a Keras
 * .h5 weights file (detected by content, not by name). */
PAT_API enum pat_status pat_model_load(const char *path, struct pat_model **out,
                                       struct pat_err *err);

/* Write the model as safetensors: to a temporary file beside `path`, then
 * renamed over it, so a failure never leaves a partial file. */
PAT_API enum pat_status pat_model_save(const struct pat_model *m, const char *path,
                                       struct pat_err *err);

/* Import a Keras-2 HDF5 weights file (layout of pat-spec §2.8); the
 * architecture is inferred from the dataset shapes. */
PAT_API enum pat_status pat_model_import_keras(const char *path, struct pat_model **out,
                                               struct pat_err *err);

/* Write the model as a Keras-2 HDF5 weights file laid out like the released
 * PAT-*_weights.h5 (pat-spec §2.8: the same dataset paths, shapes, root and
 * group attributes), so Keras' load_weights and pat_model_import_keras read
 * it; a head is written as layers dense_128 and output. Refused for a model
 * with a scaler. Written to a temporary file beside `path`, then renamed. */
PAT_API enum pat_status pat_model_export_keras(const struct pat_model *m, const char *path,
                                               struct pat_err *err);

/* 1 when this build can read and write HDF5 files. */
PAT_API int pat_have_hdf5(void);

PAT_API void pat_model_free(struct pat_model *m); /* NULL-safe */

/* A model with fresh weights as Keras initialises them (pat-spec §3.3):
 * glorot_uniform kernels with Keras fans, zero biases, LayerNorm gamma 1 and
 * beta 0, all drawn from `seed`. For training from scratch. */
PAT_API enum pat_status pat_model_init_random(const struct pat_config *cfg, int with_head,
                                              unsigned long long seed, struct pat_model **out,
                                              struct pat_err *err);

/* A copy of m that standardizes its inputs with the per-minute scaler
 * mean (T), std (T) (stored as scaler/mean, scaler/std; std must be > 0),
 * replacing any scaler m had. */
PAT_API enum pat_status pat_model_with_scaler(const struct pat_model *m, const float *mean,
                                              const float *std, size_t T, struct pat_model **out,
                                              struct pat_err *err);

/* A copy of m with a new classification head, initialised as Keras does
 * (glorot_uniform kernels from `seed`, zero biases; pat-spec §3.3). For
 * fine-tuning an encoder-only file such as the released weights. */
PAT_API enum pat_status pat_model_with_new_head(const struct pat_model *m, unsigned long long seed,
                                                struct pat_model **out, struct pat_err *err);

PAT_API const struct pat_config *pat_model_config(const struct pat_model *m);
PAT_API int pat_model_has_head(const struct pat_model *m);
PAT_API size_t pat_model_scaler_len(const struct pat_model *m); /* 0: no scaler */
PAT_API size_t pat_model_num_params(const struct pat_model *m); /* all tensors */

/* Metadata strings (safetensors __metadata__); borrowed, do not free. */
PAT_API size_t pat_model_num_meta(const struct pat_model *m);
PAT_API void pat_model_meta_at(const struct pat_model *m, size_t i, const char **key,
                               const char **value);
PAT_API const char *pat_model_meta_get(const struct pat_model *m, const char *key);
PAT_API enum pat_status pat_model_meta_set(struct pat_model *m, const char *key,
                                           const char *value, struct pat_err *err);

/* The input transform a model applies before its scaler: metadata
 * pat.input_transform, "none" (absent) or "log1p" (log(1 + x), for models
 * trained on datasets built with --log1p). pat_embed, pat_predict and
 * pat_explain take raw minutes and apply it; set it with pat_model_meta_set
 * (other values are refused). */
#define PAT_META_INPUT_TRANSFORM "pat.input_transform"
PAT_API const char *pat_model_input_transform(const struct pat_model *m);

/* Named tensors of the model, in file order; data is borrowed, writable. */
PAT_API size_t pat_model_num_tensors(const struct pat_model *m);
PAT_API const char *pat_model_tensor_name(const struct pat_model *m, size_t i);
PAT_API size_t pat_model_tensor_shape(const struct pat_model *m, size_t i,
                                      size_t shape[4]); /* returns ndim */
PAT_API float *pat_model_tensor_data(struct pat_model *m, size_t i);
/* Index of the tensor called `name`, or (size_t)-1. */
PAT_API size_t pat_model_tensor_find(const struct pat_model *m, const char *name);

/* Inference. x: (B, T) minutes, T a positive multiple of P; when the model
 * has an input transform (log1p) it is applied first (x must be > -1); when
 * it has a scaler, T must equal its length and x is standardized with it.
 * Inputs must be finite. Each call allocates and frees its own scratch,
 * which is O(N*H*K) floats per sequence (never the (B,H,N,N) attention). */

/* out: (B, E) mean over tokens of the last block's output. */
PAT_API enum pat_status pat_embed(const struct pat_model *m, const float *x, size_t B,
                                  size_t T, float *out, struct pat_err *err);

/* out: (B) probability from the head; refused when the model has none. */
PAT_API enum pat_status pat_predict(const struct pat_model *m, const float *x, size_t B,
                                    size_t T, float *out, struct pat_err *err);

/* out: (B, N) attention received by each patch in the last block, summed over
 * queries, averaged over heads, normalised to sum 1. ref: pat-spec §7 */
PAT_API enum pat_status pat_explain(const struct pat_model *m, const float *x, size_t B,
                                    size_t T, float *out, struct pat_err *err);

/* Precision of inference. PAT_PRECISION_FP32 (what pat_embed, pat_predict
 * and pat_explain run) is exact float32. PAT_PRECISION_BF16 rounds both
 * factors of every Dense product (projections, output projection,
 * feed-forward) and of attention (q·k, probabilities·v) to bfloat16 and
 * sums the products in float32 (VDPBF16PS on CPUs with AVX512-BF16; an
 * exact emulation, same bits but slower, elsewhere); patch embedding,
 * softmax, LayerNorm, residuals and the head stay float32. Results are the
 * same for any thread count; docs/benchmarks.md gives their error. */
enum pat_precision { PAT_PRECISION_FP32 = 0, PAT_PRECISION_BF16 = 1 };

/* pat_embed, pat_predict, pat_explain at a chosen precision. */
PAT_API enum pat_status pat_embed_ex(const struct pat_model *m, const float *x, size_t B,
                                     size_t T, enum pat_precision precision, float *out,
                                     struct pat_err *err);
PAT_API enum pat_status pat_predict_ex(const struct pat_model *m, const float *x, size_t B,
                                       size_t T, enum pat_precision precision, float *out,
                                       struct pat_err *err);
PAT_API enum pat_status pat_explain_ex(const struct pat_model *m, const float *x, size_t B,
                                       size_t T, enum pat_precision precision, float *out,
                                       struct pat_err *err);

/* How a precision runs here: "float32", "bf16 (AVX512-BF16)" or "bf16
 * (emulated: ...)" (no AVX512-BF16 on this CPU, or PAT_ISA below avx512). */
PAT_API const char *pat_precision_path(enum pat_precision precision);

/* Threads of the library's pool (embed/predict/explain, training): n = 0
 * restores the default (OMP_NUM_THREADS when set, else the CPUs the process
 * may run on).
 * Process-wide; results are bit-identical for any value. */
PAT_API void pat_set_threads(size_t n);
PAT_API size_t pat_threads(void);

/* ---- data pipeline ---------------------------------------------------
 * Datasets built by `pat data build` (docs/data.md): a read-only memory map
 * of a .patd file holding rows of T minutes (float32), a label per row (NaN
 * = unlabeled), the participant of each row, the window start, a
 * participant-level split, optional k-fold numbers, covariates, per-minute
 * scalers and a provenance text. Every size is checked against the file size
 * when it is opened. Typical use:
 *
 *     struct pat_dataset *ds;
 *     if (pat_dataset_open("d.patd", &ds, &err) != PAT_OK) ...
 *     for (size_t i = 0; i < pat_dataset_rows(ds); i++)
 *         if (pat_dataset_split(ds, i) == PAT_SPLIT_TRAIN)
 *             use(pat_dataset_row(ds, i), pat_dataset_label(ds, i));
 *     pat_dataset_close(ds);
 */

/* Split of a row; all rows of one participant share it. */
enum pat_split {
    PAT_SPLIT_TRAIN = 0,
    PAT_SPLIT_VAL = 1,
    PAT_SPLIT_TEST = 2,
    PAT_SPLIT_NONE = 3, /* not assigned (e.g. unlabeled participants) */
};
#define PAT_FOLD_NONE 255u /* pat_dataset_fold of a row outside the k folds */

/* How the stored per-minute scalers were fitted. ref: pat-spec §5.1, §5.4.3 */
enum pat_scaler_mode {
    PAT_SCALER_NONE = 0,      /* no scaler stored */
    PAT_SCALER_TRAIN = 1,     /* one scaler fitted on the training split */
    PAT_SCALER_PER_SPLIT = 2, /* paper protocol: train, val, test each on itself */
};

struct pat_dataset; /* opaque */

/* Map and validate a .patd file. Row data stay in the page cache; the
 * small per-row arrays are validated and every value of the matrix is
 * checked to be finite. */
PAT_API enum pat_status pat_dataset_open(const char *path, struct pat_dataset **out,
                                         struct pat_err *err);
PAT_API void pat_dataset_close(struct pat_dataset *ds); /* NULL-safe */

PAT_API size_t pat_dataset_rows(const struct pat_dataset *ds);
PAT_API size_t pat_dataset_length(const struct pat_dataset *ds); /* T minutes per row */
/* Row i: T floats (borrowed, read-only, valid until close). */
PAT_API const float *pat_dataset_row(const struct pat_dataset *ds, size_t i);
PAT_API float pat_dataset_label(const struct pat_dataset *ds, size_t i); /* NaN: none */
PAT_API enum pat_split pat_dataset_split(const struct pat_dataset *ds, size_t i);
/* Fold of row i in 0..folds-1, or PAT_FOLD_NONE. */
PAT_API unsigned pat_dataset_fold(const struct pat_dataset *ds, size_t i);
PAT_API size_t pat_dataset_num_folds(const struct pat_dataset *ds); /* 0: no k-fold */
/* Window start of row i: minutes since 1970-01-01 00:00 on the participant's
 * local wall clock (pat_time_format prints it). */
PAT_API long long pat_dataset_start(const struct pat_dataset *ds, size_t i);
/* Minutes of row i that were observed and valid before gap filling. */
PAT_API size_t pat_dataset_valid_minutes(const struct pat_dataset *ds, size_t i);

/* Participants: row i belongs to participant pat_dataset_participant(ds, i). */
PAT_API size_t pat_dataset_num_participants(const struct pat_dataset *ds);
PAT_API size_t pat_dataset_participant(const struct pat_dataset *ds, size_t i);
PAT_API const char *pat_dataset_participant_id(const struct pat_dataset *ds, size_t p);
PAT_API const char *pat_dataset_id(const struct pat_dataset *ds, size_t i); /* of row i */

/* Covariates (e.g. MADRS scores, age): NaN where unknown. */
PAT_API size_t pat_dataset_num_covariates(const struct pat_dataset *ds);
PAT_API const char *pat_dataset_covariate_name(const struct pat_dataset *ds, size_t j);
PAT_API float pat_dataset_covariate(const struct pat_dataset *ds, size_t i, size_t j);

/* Stored per-minute scaler for rows of `split` (T floats each, borrowed):
 * the training scaler for every split in PAT_SCALER_TRAIN mode, the split's
 * own in PAT_SCALER_PER_SPLIT mode. Returns 0 when there is none (mode NONE
 * or split NONE in per-split mode). These are the values to store in a
 * model as scaler/mean and scaler/std. */
PAT_API enum pat_scaler_mode pat_dataset_scaler_mode(const struct pat_dataset *ds);
PAT_API int pat_dataset_scaler(const struct pat_dataset *ds, enum pat_split split,
                               const float **mean, const float **std);

/* Fit a per-minute scaler on the rows i with keep[i] != 0 (keep NULL: all
 * rows): float64 accumulation, population std (ddof 0), std 0 -> 1. mean and
 * std receive T floats. Refused when no row is kept. ref: pat-spec §10.7 */
PAT_API enum pat_status pat_dataset_fit_scaler(const struct pat_dataset *ds,
                                               const unsigned char *keep, float *mean,
                                               float *std, struct pat_err *err);

/* Provenance: "key=value" pairs (sources, options, pat version,
 * "transform" = "none" or "log1p", ...); borrowed strings. */
PAT_API size_t pat_dataset_num_meta(const struct pat_dataset *ds);
PAT_API void pat_dataset_meta_at(const struct pat_dataset *ds, size_t i, const char **key,
                                 const char **value);
PAT_API const char *pat_dataset_meta_get(const struct pat_dataset *ds, const char *key);

/* "YYYY-MM-DD HH:MM" of a minute count since 1970-01-01 00:00. */
#define PAT_TIME_LEN 24
PAT_API void pat_time_format(long long minutes, char buf[PAT_TIME_LEN]);

/* 1 when this build reads and writes SAS XPORT files (NHANES, libreadstat). */
PAT_API int pat_have_readstat(void);
/* ---- end of data pipeline ---- */

#ifdef __cplusplus
}
#endif

#endif /* PAT_H */
