/* fuzz_fitbit.c - the Fitbit minute reader (src/readers/fitbit.c),
 * through fuzz_reader.h (the format forced, and detected for comparison). */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_reader(data, size, "fitbit", PAT_FORMAT_FITBIT_MINUTE);
}
