/* apple_health.c - placeholder until the streaming reader lands. */
#include "readers/readers.h"
#include "util.h"

enum pat_status pat_read_apple_health(const char *path, const struct pat_read_options *o,
                                      pat_series_fn fn, void *ctx, size_t *count,
                                      struct pat_err *err) {
    (void)o, (void)fn, (void)ctx, (void)count;
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: Apple Health exports are not read yet", path);
}
