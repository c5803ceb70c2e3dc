/* zip_member.h - one member of a zip archive read as a stream (libzip,
 * Debian libzip-dev; the only file that uses it). Built without libzip
 * (make NO_LIBZIP=1), opening returns PAT_ERR_UNSUPPORTED. */
#ifndef PAT_READERS_ZIP_MEMBER_H
#define PAT_READERS_ZIP_MEMBER_H

#include <stddef.h>

#include "pat.h"

struct pat_zip_member;

/* Open the first member whose name is `name` or ends in "/name". */
enum pat_status pat_zip_member_open(const char *path, const char *name,
                                    struct pat_zip_member **m, struct pat_err *err);
/* Up to n bytes into buf: bytes read, 0 at the end, -1 on error (err filled). */
long pat_zip_member_read(struct pat_zip_member *m, void *buf, size_t n, struct pat_err *err);
void pat_zip_member_close(struct pat_zip_member *m); /* NULL-safe */

#endif /* PAT_READERS_ZIP_MEMBER_H */
