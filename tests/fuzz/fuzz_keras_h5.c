/* fuzz_keras_h5.c - pat's Keras HDF5 import wrapper (src/io/keras_h5.c):
 * walking the file, shapes, dtypes, storage sizes, architecture inference.
 * libhdf5 itself is not instrumented; a crash inside it is reported
 * upstream, not fixed here (docs/security.md). */
#include "fuzz_common.h"
#include "pat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("h5", data, size);
    if (!path) return 0;
    struct pat_err err;
    struct pat_model *m = NULL;
    if (pat_model_import_keras(path, &m, &err) == PAT_OK) pat_model_free(m);
    return 0;
}
