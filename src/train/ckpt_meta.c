/* ckpt_meta.c - checkpoint metadata builder (ckpt_meta.h). */
#include "train/ckpt_meta.h"

#include <inttypes.h>
#include <stdio.h>

void meta_num(struct meta_builder *b, const char *key, double v) {
    snprintf(b->text[b->n], sizeof b->text[b->n], "%.17g", v);
    b->meta[b->n] = (struct pat_st_meta){key, b->text[b->n]};
    b->n++;
}

void meta_u64(struct meta_builder *b, const char *key, uint64_t v) {
    snprintf(b->text[b->n], sizeof b->text[b->n], "%" PRIu64, v);
    b->meta[b->n] = (struct pat_st_meta){key, b->text[b->n]};
    b->n++;
}
