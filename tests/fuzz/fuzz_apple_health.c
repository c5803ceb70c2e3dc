/* fuzz_apple_health.c - the Apple Health reader (src/readers/apple_health.c: the skim, expat, libzip),
 * through fuzz_reader.h (the format forced, and detected for comparison). */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_reader(data, size, "apple_health", PAT_FORMAT_APPLE_HEALTH);
}
