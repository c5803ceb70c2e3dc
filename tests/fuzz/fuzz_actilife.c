/* fuzz_actilife.c - the ActiLife CSV reader (src/readers/actilife.c),
 * through fuzz_reader.h (the format forced, and detected for comparison). */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_reader(data, size, "actilife", PAT_FORMAT_ACTILIFE_CSV);
}
