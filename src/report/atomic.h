/* atomic.h - the one way pat writes an output file: readers see either the
 * old file or the complete new one, and pat never replaces what is not a
 * file of its own (a device node, a FIFO, a symlink).
 *
 *     struct pat_atomic_file a;
 *     if (pat_atomic_open(&a, "results.json", &err) != PAT_OK) return err.status;
 *     ... write to a.f ...
 *     return pat_atomic_commit(&a, &err);   // or pat_atomic_abort(&a)
 *
 * What PATH is decides how it is written:
 *  - a regular file or nothing: a temporary "<path>.tmp.<pid>" is created
 *    exclusively beside it; commit checks the stream's error flag,
 *    fflush()es, fsync()s, closes, renames it over path and syncs the
 *    directory. On any failure the temporary is removed and path is left
 *    as it was (except when only the final directory sync fails: then the
 *    new file is in place and PAT_ERR_IO says so).
 *  - a symlink (chains too, dangling ones included): followed; its final
 *    target is replaced as above, the temporary beside the target, and the
 *    link stays a link.
 *  - a FIFO or a character device (/dev/null, /dev/stdout, a terminal):
 *    written directly, streamed, never renamed or removed. A failed run may
 *    then have written part of its output to it.
 *  - a directory: PAT_ERR_IO "is a directory"; a block device or socket:
 *    PAT_ERR_IO.
 * Temporaries are registered with report/cleanup.h, so a fatal signal
 * removes them too.
 */
#ifndef PAT_REPORT_ATOMIC_H
#define PAT_REPORT_ATOMIC_H

#include <stdio.h>

#include "pat.h"

struct pat_atomic_file {
    FILE *f;      /* open for writing (and reading with PAT_ATOMIC_SEEKABLE) */
    char *path;   /* name as given, for messages (owned) */
    char *target; /* the file written: path with symlinks followed (owned) */
    char *tmp;    /* the temporary's name (owned); NULL when writing directly */
    int direct;   /* 1: target is a FIFO or character device */
    int slot;     /* report/cleanup.h registry slot + 1, 0 when none */
};

/* Prepare the output for path as described above. PAT_ERR_IO (unwritable
 * directory, a directory or block device as path, a symlink loop),
 * PAT_ERR_NOMEM, PAT_ERR_USAGE for a NULL or empty path. */
enum pat_status pat_atomic_open(struct pat_atomic_file *a, const char *path,
                                struct pat_err *err);

/* The same for a writer that needs a seekable, readable file (a.f is
 * "w+b") that it may also rewrite by name through a.tmp (HDF5, .patd).
 * For a FIFO or device, a.tmp is then a private temporary in $TMPDIR (or
 * /tmp) that commit copies to the device. */
enum pat_status pat_atomic_open_seekable(struct pat_atomic_file *a, const char *path,
                                         struct pat_err *err);

/* Finish as described above; always releases a. */
enum pat_status pat_atomic_commit(struct pat_atomic_file *a, struct pat_err *err);

/* Close and remove the temporary; releases a. Safe on a zeroed struct. */
void pat_atomic_abort(struct pat_atomic_file *a);

/* The file path resolves to, symlinks followed (malloc'd; the path itself
 * when it is not a symlink). NULL with err filled on a loop or no memory. */
char *pat_atomic_resolve(const char *path, struct pat_err *err);

#endif /* PAT_REPORT_ATOMIC_H */
