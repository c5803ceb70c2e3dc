/* fuzz_common.h - shared by the libFuzzer harnesses (tests/fuzz/README.md).
 *
 * pat's readers take paths, so each input is written to a per-process
 * temporary file (under $TMPDIR, default /tmp) and read back through the
 * public entry point, exactly as the CLI would read an untrusted file. */
#ifndef PAT_FUZZ_COMMON_H
#define PAT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write data to a file named after tag and the process id; returns its path
 * (static storage) or NULL. */
static inline const char *fuzz_file(const char *tag, const uint8_t *data, size_t size) {
    static char path[512];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/pat-fuzz-%s-%ld", dir && *dir ? dir : "/tmp", tag,
             (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return NULL;
    }
    if (fclose(f) != 0) return NULL;
    return path;
}

#endif
