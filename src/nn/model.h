/* model.h - internal view of struct pat_model: the parameter layout.
 *
 * All weights live in one float buffer `params`; each named tensor is a
 * slice of it. Tensor names and layouts are the Keras H5 dataset paths
 * without ":0" (contract: docs/formats.md), in Keras layout, so y = x·W + b
 * needs no transpose.
 */
#ifndef PAT_MODEL_H
#define PAT_MODEL_H

#include <stddef.h>

#include "pat.h"

#define PAT_MAX_NAME 160 /* longest tensor name, including the NUL */
#define PAT_MAX_NDIM 4   /* most dimensions of a model tensor */

struct pat_tensor {
    char name[PAT_MAX_NAME];
    size_t ndim;
    size_t shape[PAT_MAX_NDIM];
    size_t numel;
    size_t offset; /* into pat_model.params, in floats */
};

/* Weights of one transformer block; pointers into params. */
struct pat_block_weights {
    const float *wq, *bq; /* (E, H*K), (H*K) */
    const float *wk, *bk; /* (E, H*K), (H*K) */
    const float *wv, *bv; /* (E, H*K), (H*K) */
    const float *wo, *bo; /* (H*K, E), (E) */
    const float *ln1_g, *ln1_b; /* (E), (E) */
    const float *ff1_w, *ff1_b; /* (E, F), (F) */
    const float *ff2_w, *ff2_b; /* (F, E), (E) */
    const float *ln2_g, *ln2_b; /* (E), (E) */
};

struct pat_meta_entry {
    char *key;
    char *value;
};

struct pat_model {
    struct pat_config cfg;
    int has_head;
    int input_log1p; /* metadata pat.input_transform = log1p */
    size_t scaler_len; /* T of scaler/mean and scaler/std; 0: none */

    float *params; /* all weights, num_params floats */
    size_t num_params;
    struct pat_tensor *tensors; /* num_tensors entries, in file order */
    size_t num_tensors;

    /* Named views into params (NULL where absent). */
    const float *embed_w, *embed_b; /* dense: (P, E), (E); conv: (3, 1, E), (E) */
    struct pat_block_weights *blocks; /* num_layers entries */
    const float *head_w1, *head_b1;   /* (E, 128), (128) */
    const float *head_w2, *head_b2;   /* (128, 1), (1) */
    const float *scaler_mean, *scaler_std; /* (T), (T) */

    struct pat_meta_entry *meta; /* metadata strings, num_meta entries */
    size_t num_meta;
};

#define PAT_HEAD_HIDDEN 128

/* Limits that keep every size product small; far above any real PAT. */
#define PAT_MAX_PATCH 4096
#define PAT_MAX_EMBED 4096
#define PAT_MAX_HEADS 256
#define PAT_MAX_FF 65536
#define PAT_MAX_LAYERS 256

/* Number of floats of a model of this (checked) architecture: what
 * pat_model_create would allocate. Readers compare it with the data a file
 * really holds before creating the model. */
size_t pat_config_num_params(const struct pat_config *cfg, int with_head, size_t scaler_len);

/* The tensor table (names, shapes, offsets) that pat_model_create would
 * make for this checked architecture, without allocating its parameters:
 * readers check a file against it first. *out is malloc'd (*count entries). */
enum pat_status pat_config_layout(const struct pat_config *cfg, int with_head, size_t scaler_len,
                                  struct pat_tensor **out, size_t *count, struct pat_err *err);

/* The most tensors any model within the limits above can have (PAT_MAX_LAYERS
 * blocks, a head, a scaler): readers stop collecting entries beyond it. */
size_t pat_config_max_tensors(void);

/* Validate a config: positive sizes, within sane limits. */
enum pat_status pat_config_check(const struct pat_config *cfg,
                                 struct pat_err *err);

/* Shape of a tensor as found in a file, for architecture inference. */
struct pat_shape_entry {
    const char *name;
    size_t ndim;
    const size_t *shape;
};

/* Infer architecture, head presence and scaler length from the names and
 * shapes found in a file: P from dense/dense/kernel rows (or conv variant
 * when conv1d_patch_embedding/conv1d/kernel is present), H from the query
 * kernel's middle dimension, L from the count of consecutive
 * encoder_layer_{i}_transformer blocks. A conv kernel does not fix P: it is
 * taken from the conv preset with the same sizes (0 when none matches); the
 * caller overrides it from metadata (pat.patch_size) when the file has it. Shapes are not fully checked here;
 * pat_model_create + per-tensor checks do that. `what` names the file. */
enum pat_status pat_config_infer(const struct pat_shape_entry *entries,
                                 size_t n, const char *what,
                                 struct pat_config *cfg, int *with_head,
                                 size_t *scaler_len, struct pat_err *err);

/* Add the metadata keys pat.* describing cfg (overwrites existing ones). */
enum pat_status pat_model_set_config_meta(struct pat_model *m,
                                          struct pat_err *err);

/* Check that pat.* metadata keys, when present, agree with m->cfg. */
enum pat_status pat_model_check_config_meta(const struct pat_model *m,
                                            const char *what,
                                            struct pat_err *err);

#endif /* PAT_MODEL_H */
