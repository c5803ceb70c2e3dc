/* fuzz_safetensors.c - the safetensors reader (with its JSON header parser)
 * and pat_model_load on top of it (architecture inference, value checks). */
#include <stdlib.h>

#include "fuzz_common.h"
#include "io/safetensors.h"
#include "pat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("st", data, size);
    if (!path) return 0;
    struct pat_err err;
    struct pat_st_file f;
    if (pat_st_read(path, &f, &err) == PAT_OK) {
        for (size_t i = 0; i < f.num_tensors; i++) {
            if (f.tensors[i].numel > ((size_t)1 << 24)) continue;
            float *x = malloc((f.tensors[i].numel ? f.tensors[i].numel : 1) * sizeof *x);
            if (!x) continue;
            pat_st_tensor_copy(&f, i, x);
            free(x);
        }
        pat_st_free(&f);
    }
    struct pat_model *m = NULL;
    if (pat_model_load(path, &m, &err) == PAT_OK) pat_model_free(m);
    return 0;
}
