/* ckpt_meta.h - the metadata of a checkpoint being built (finetune_ckpt.c,
 * pretrain_ckpt.c): keys are literals or borrowed strings, numbers are
 * formatted into the builder's own text. */
#ifndef PAT_CKPT_META_H
#define PAT_CKPT_META_H

#include <stddef.h>
#include <stdint.h>

#include "io/safetensors.h"

#define CKPT_MAX_META 64

struct meta_builder {
    struct pat_st_meta meta[CKPT_MAX_META];
    char text[CKPT_MAX_META][96];
    size_t n;
};

/* Append key = v, exactly (%.17g), or key = v as an unsigned integer. */
void meta_num(struct meta_builder *b, const char *key, double v);
void meta_u64(struct meta_builder *b, const char *key, uint64_t v);

#endif /* PAT_CKPT_META_H */
