/* fuzz_reader.h - the body every reader harness shares: one reader of
 * src/readers/ through pat_read_recording, the format forced and, when the
 * top bit of byte 0 is set, detected as well. Byte 0 also picks the options
 * (date order, epoch aggregation, duplicate rule, value column). */
#ifndef PAT_FUZZ_READER_H
#define PAT_FUZZ_READER_H

#include "data/series.h"
#include "fuzz_common.h"
#include "pat.h"
#include "readers/readers.h"

static enum pat_status fuzz_reader_touch(void *ctx, struct pat_series *s, struct pat_err *err) {
    size_t *valid = ctx;
    (void)err;
    *valid += pat_series_valid(s);
    return PAT_OK;
}

/* tag names the scratch file; format is the reader under test. */
static int fuzz_reader(const uint8_t *data, size_t size, const char *tag,
                       enum pat_format format) {
    static const char *const cols[4] = {0, "vm", "steps", "Axis1"};
    if (size < 1) return 0;
    unsigned sel = data[0];
    const char *path = fuzz_file(tag, data + 1, size - 1);
    if (!path) return 0;
    struct pat_err err;
    struct pat_read_options o = pat_read_default_options();
    o.date_order = (enum pat_date_order)(sel & 3);
    o.agg = (enum pat_epoch_agg)((sel >> 2) & 1);
    o.rules.dup = (enum pat_dup_rule)((sel >> 3) % 3);
    o.value_col = cols[(sel >> 5) & 3];
    size_t valid = 0;
    o.format = format;
    (void)pat_read_recording(path, &o, fuzz_reader_touch, &valid, NULL, &err);
    if (sel & 128) {
        o.format = PAT_FORMAT_AUTO;
        (void)pat_read_recording(path, &o, fuzz_reader_touch, &valid, NULL, &err);
    }
    return 0;
}

#endif /* PAT_FUZZ_READER_H */
