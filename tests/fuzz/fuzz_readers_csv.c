/* fuzz_readers_csv.c - the generic CSV reader (src/readers/csv_generic.c over libcsv),
 * through pat_read_recording with the format forced and, for comparison,
 * detected. Byte 0 picks the options (date order, epoch aggregation,
 * duplicate rule, value column). */
#include "data/series.h"
#include "fuzz_common.h"
#include "pat.h"
#include "readers/readers.h"

static enum pat_status touch(void *ctx, struct pat_series *s, struct pat_err *err) {
    size_t *valid = ctx;
    (void)err;
    *valid += pat_series_valid(s);
    return PAT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const cols[4] = {0, "vm", "steps", "Axis1"};
    if (size < 1) return 0;
    unsigned sel = data[0];
    const char *path = fuzz_file("readers_csv", data + 1, size - 1);
    if (!path) return 0;
    struct pat_err err;
    struct pat_read_options o = pat_read_default_options();
    o.date_order = (enum pat_date_order)(sel & 3);
    o.agg = (enum pat_epoch_agg)((sel >> 2) & 1);
    o.rules.dup = (enum pat_dup_rule)((sel >> 3) % 3);
    o.value_col = cols[(sel >> 5) & 3];
    size_t valid = 0;
    o.format = PAT_FORMAT_CSV;
    (void)pat_read_recording(path, &o, touch, &valid, NULL, &err);
    if (sel & 128) {
        o.format = PAT_FORMAT_AUTO;
        (void)pat_read_recording(path, &o, touch, &valid, NULL, &err);
    }
    return 0;
}
