/* make_seeds.c - writes the tiny model seeds of the fuzz corpora: a
 * dense and a conv model with E=4, H=1, K=2, F=4, L=1 as safetensors and
 * (with HDF5) Keras .h5. Built and run by tests/fuzz/make_seeds.sh. */
#include <stdio.h>
#include <string.h>

#include "io/xpt.h"
#include "pat.h"

static int one(const char *dir, const char *stem, enum pat_embedding emb, size_t P, int head) {
    struct pat_config c = {P, 4, 1, 2, 4, 1, emb};
    struct pat_err err;
    struct pat_model *m;
    char path[512];
    if (pat_model_init_random(&c, head, 7, &m, &err) != PAT_OK) goto fail;
    snprintf(path, sizeof path, "%s/safetensors/%s.safetensors", dir, stem);
    if (pat_model_save(m, path, &err) != PAT_OK) goto fail_m;
    if (pat_have_hdf5()) {
        snprintf(path, sizeof path, "%s/keras_h5/%s.h5", dir, stem);
        if (pat_model_export_keras(m, path, &err) != PAT_OK) goto fail_m;
    }
    pat_model_free(m);
    return 0;
fail_m:
    pat_model_free(m);
fail:
    fprintf(stderr, "make_seeds: %s\n", err.msg);
    return 1;
}

static int xpt(const char *dir) {
    static const char *const names[] = {"SEQN", "PAXDAY", "PAXINTEN", "PAXMTSM"};
    struct pat_err err;
    struct pat_xpt_writer *w;
    char path[512];
    snprintf(path, sizeof path, "%s/xpt/paxraw_tiny.xpt", dir);
    if (pat_xpt_create(path, "PAXRAW", names, 4, 6, &w, &err) != PAT_OK) goto fail;
    for (int i = 0; i < 6; i++) {
        double v[4] = {31128 + i / 3, 1 + i % 2, i == 4 ? 0.0 / 0.0 : 12.5 * i, i};
        if (pat_xpt_write_row(w, v, &err) != PAT_OK) {
            pat_xpt_abort(w);
            goto fail;
        }
    }
    if (pat_xpt_close(w, &err) != PAT_OK) goto fail;
    return 0;
fail:
    fprintf(stderr, "make_seeds: %s\n", err.msg);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    return one(argv[1], "tiny_dense_head", PAT_EMBED_DENSE, 2, 1) |
           one(argv[1], "tiny_dense", PAT_EMBED_DENSE, 3, 0) |
           one(argv[1], "tiny_conv_head", PAT_EMBED_CONV, 18, 1) | xpt(argv[1]);
}
