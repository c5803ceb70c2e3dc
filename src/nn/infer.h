/* infer.h - internal entry points of the inference forward pass. */
#ifndef PAT_INFER_H
#define PAT_INFER_H

#include <stddef.h>

#include "pat.h"

/* tokens (N, E): the last block's output for one sequence x (T), before the
 * mean over tokens. For tests and tools; pat_embed is the public form. */
enum pat_status pat_encode_tokens(const struct pat_model *m, const float *x, size_t T,
                                  float *tokens, struct pat_err *err);

/* pat_predict on rows already through the model's input transform (rows of
 * a transformed dataset, as training sees them): the transform is skipped,
 * the scaler is not. */
enum pat_status pat_predict_transformed(const struct pat_model *m, const float *x, size_t B,
                                        size_t T, float *out, struct pat_err *err);

#endif /* PAT_INFER_H */
