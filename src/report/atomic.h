/* atomic.h - write an output file through a temporary file and rename it
 * into place, so readers see either the old file or the complete new one.
 *
 *     struct pat_atomic_file a;
 *     if (pat_atomic_open(&a, "results.json", &err) != PAT_OK) return err.status;
 *     ... write to a.f ...
 *     return pat_atomic_commit(&a, &err);   // or pat_atomic_abort(&a)
 *
 * The temporary is "<path>.tmp.<pid>", created exclusively; commit checks
 * the stream's error flag, fflush()es, fsync()s, closes, renames it over
 * path and syncs the directory. On any failure the temporary is removed and
 * path is left as it was (except when only the final directory sync fails:
 * then the new file is in place and PAT_ERR_IO says so).
 */
#ifndef PAT_REPORT_ATOMIC_H
#define PAT_REPORT_ATOMIC_H

#include <stdio.h>

#include "pat.h"

struct pat_atomic_file {
    FILE *f;     /* the temporary, open for writing */
    char *path;  /* final name (owned) */
    char *tmp;   /* temporary name (owned) */
};

/* Create the temporary for path. PAT_ERR_IO (e.g. unwritable directory),
 * PAT_ERR_NOMEM, PAT_ERR_USAGE for a NULL or empty path. */
enum pat_status pat_atomic_open(struct pat_atomic_file *a, const char *path,
                                struct pat_err *err);

/* Finish as described above; always releases a. */
enum pat_status pat_atomic_commit(struct pat_atomic_file *a, struct pat_err *err);

/* Close and remove the temporary; releases a. Safe on a zeroed struct. */
void pat_atomic_abort(struct pat_atomic_file *a);

#endif /* PAT_REPORT_ATOMIC_H */
