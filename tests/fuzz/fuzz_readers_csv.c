/* fuzz_readers_csv.c - the generic CSV reader (src/readers/csv_generic.c over libcsv),
 * through fuzz_reader.h (the format forced, and detected for comparison). */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_reader(data, size, "readers_csv", PAT_FORMAT_CSV);
}
