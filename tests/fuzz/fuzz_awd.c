/* fuzz_awd.c - the Actiwatch AWD reader (src/readers/awd.c),
 * through fuzz_reader.h (the format forced, and detected for comparison). */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_reader(data, size, "awd", PAT_FORMAT_AWD);
}
