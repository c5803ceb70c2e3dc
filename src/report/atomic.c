/* atomic.c - temporary file + fsync + rename (see atomic.h). */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void release(struct pat_atomic_file *a) {
    free(a->path);
    free(a->tmp);
    *a = (struct pat_atomic_file){0};
}

enum pat_status pat_atomic_open(struct pat_atomic_file *a, const char *path,
                                struct pat_err *err) {
    *a = (struct pat_atomic_file){0};
    if (!path || !*path) return pat_fail(err, PAT_ERR_USAGE, "no output path given");
    size_t n;
    if (!pat_add_size(strlen(path), 32, &n))
        return pat_fail(err, PAT_ERR_USAGE, "output path too long");
    a->path = pat_strdup(path);
    a->tmp = malloc(n);
    if (!a->path || !a->tmp) {
        release(a);
        return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wbx"); /* exclusive: never truncate a file not ours */
    if (!a->f) {
        int e = errno;
        release(a);
        return pat_fail(err, PAT_ERR_IO, "%s: cannot create a temporary file: %s", path,
                        strerror(e));
    }
    return PAT_OK;
}

/* fsync the directory holding path so that the rename is durable. */
static int sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char *dir = malloc(n + 2);
    if (!dir) return 0;
    if (!slash) memcpy(dir, ".", 2);
    else if (n == 0) memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY);
    free(dir);
    if (fd < 0) return 0;
    int ok = fsync(fd) == 0 || errno == EINVAL; /* some file systems cannot sync dirs */
    close(fd);
    return ok;
}

enum pat_status pat_atomic_commit(struct pat_atomic_file *a, struct pat_err *err) {
    if (!a->f) return pat_fail(err, PAT_ERR_USAGE, "commit of a file that is not open");
    int ok = !ferror(a->f) && fflush(a->f) == 0 && fsync(fileno(a->f)) == 0;
    int e = errno;
    if (fclose(a->f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    a->f = NULL;
    if (ok && rename(a->tmp, a->path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        remove(a->tmp);
        enum pat_status st =
            pat_fail(err, PAT_ERR_IO, "%s: cannot write: %s", a->path, strerror(e));
        release(a);
        return st;
    }
    enum pat_status st = PAT_OK;
    if (!sync_dir(a->path))
        st = pat_fail(err, PAT_ERR_IO, "%s: written, but syncing its directory failed: %s",
                      a->path, strerror(errno));
    release(a);
    return st;
}

void pat_atomic_abort(struct pat_atomic_file *a) {
    if (a->f) fclose(a->f);
    if (a->tmp) remove(a->tmp);
    release(a);
}
