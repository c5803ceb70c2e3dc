/* fuzz_agd.c - the ActiGraph .agd reader (src/readers/agd.c over libsqlite3),
 * through fuzz_reader.h (the format forced, and detected for comparison). */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_reader(data, size, "agd", PAT_FORMAT_AGD);
}
