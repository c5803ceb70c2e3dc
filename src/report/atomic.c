/* atomic.c - the output helper (see atomic.h): temporary + fsync + rename
 * for files, symlinks followed, FIFOs and character devices streamed. */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/cleanup.h"
#include "util.h"

#define MAX_SYMLINKS 40
#define PAT_ATOMIC_SEEKABLE 1 /* open_output flag */

static void release(struct pat_atomic_file *a) {
    pat_cleanup_unregister(a->slot - 1);
    free(a->path);
    free(a->target);
    free(a->tmp);
    *a = (struct pat_atomic_file){0};
}

/* The folder part of path ("." when none, "/" for the root); malloc'd. */
static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char *dir = malloc(n + 2);
    if (!dir) return NULL;
    if (!slash) memcpy(dir, ".", 2);
    else if (n == 0) memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

/* The text of symlink `link` (malloc'd), NULL on failure. */
static char *read_link(const char *link, size_t size_hint) {
    size_t cap = size_hint + 2;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        ssize_t n = readlink(link, buf, cap);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf);
        if (cap > ((size_t)1 << 20)) return NULL;
        cap *= 2;
    }
}

/* Where the symlink `from` points: its text, relative to from's folder. */
static char *link_target(const char *from, size_t size_hint) {
    char *text = read_link(from, size_hint);
    if (!text || text[0] == '/' || !strchr(from, '/')) return text;
    char *dir = dir_of(from);
    size_t n;
    char *joined = NULL;
    if (dir && pat_add_size(strlen(dir), strlen(text) + 2, &n) && (joined = malloc(n)))
        snprintf(joined, n, "%s/%s", dir, text);
    free(dir);
    free(text);
    return joined;
}

char *pat_atomic_resolve(const char *path, struct pat_err *err) {
    char *cur = pat_strdup(path);
    for (int hops = 0; cur; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
        if (hops == MAX_SYMLINKS) {
            free(cur);
            pat_fail(err, PAT_ERR_IO, "%s: too many levels of symbolic links", path);
            return NULL;
        }
        char *next = link_target(cur, (size_t)st.st_size);
        free(cur);
        cur = next;
    }
    pat_fail(err, PAT_ERR_IO, "%s: cannot follow the symbolic link: %s", path,
             errno ? strerror(errno) : "out of memory");
    return NULL;
}

/* A private temporary for a seekable output bound for a device. */
static int private_temp(struct pat_atomic_file *a) {
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    size_t n;
    if (!pat_add_size(strlen(dir), 16, &n) || !(a->tmp = malloc(n))) return -1;
    snprintf(a->tmp, n, "%s/pat-XXXXXX", dir);
    return mkstemp(a->tmp);
}

/* A temporary beside the target, created exclusively. */
static int sibling_temp(struct pat_atomic_file *a) {
    size_t n;
    if (!pat_add_size(strlen(a->target), 32, &n) || !(a->tmp = malloc(n))) return -1;
    snprintf(a->tmp, n, "%s.tmp.%ld", a->target, (long)getpid());
    return open(a->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
}

/* Decide how target is written: 0 file (temporary + rename), 1 direct,
 * or fail with a message. */
static enum pat_status classify(struct pat_atomic_file *a, struct pat_err *err) {
    struct stat st;
    if (stat(a->target, &st) != 0) return PAT_OK; /* new file (or an error at create) */
    if (S_ISREG(st.st_mode)) return PAT_OK;
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        a->direct = 1;
        return PAT_OK;
    }
    if (S_ISDIR(st.st_mode))
        return pat_fail(err, PAT_ERR_IO, "%s: is a directory, not an output file", a->path);
    return pat_fail(err, PAT_ERR_IO,
                    "%s: is a %s; outputs go to regular files, FIFOs and character devices",
                    a->path, S_ISBLK(st.st_mode) ? "block device" : "socket or special file");
}

/* Open a->f for the classified target. */
static enum pat_status open_stream(struct pat_atomic_file *a, int flags, struct pat_err *err) {
    int fd;
    if (a->direct && !(flags & PAT_ATOMIC_SEEKABLE))
        fd = open(a->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    else
        fd = a->direct ? private_temp(a) : sibling_temp(a);
    if (fd < 0) {
        int e = errno;
        free(a->tmp); /* never remove a file that is not ours */
        a->tmp = NULL;
        return pat_fail(err, PAT_ERR_IO, "%s: cannot %s: %s", a->path,
                        a->direct && !(flags & PAT_ATOMIC_SEEKABLE) ? "open for writing"
                                                                    : "create a temporary file",
                        e ? strerror(e) : "out of memory");
    }
    if (a->tmp) a->slot = pat_cleanup_register(a->tmp) + 1;
    a->f = fdopen(fd, a->tmp ? "w+b" : "wb");
    if (!a->f) {
        close(fd);
        return pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", a->path);
    }
    return PAT_OK;
}

static enum pat_status open_output(struct pat_atomic_file *a, const char *path, int flags,
                                   struct pat_err *err) {
    *a = (struct pat_atomic_file){0};
    if (!path || !*path) return pat_fail(err, PAT_ERR_USAGE, "no output path given");
    if (!(a->path = pat_strdup(path))) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    enum pat_status st = PAT_OK;
    if (!(a->target = pat_atomic_resolve(path, err))) st = err->status;
    if (st == PAT_OK) st = classify(a, err);
    if (st == PAT_OK) st = open_stream(a, flags, err);
    if (st != PAT_OK) pat_atomic_abort(a);
    return st;
}

enum pat_status pat_atomic_open(struct pat_atomic_file *a, const char *path,
                                struct pat_err *err) {
    return open_output(a, path, 0, err);
}

enum pat_status pat_atomic_open_seekable(struct pat_atomic_file *a, const char *path,
                                         struct pat_err *err) {
    return open_output(a, path, PAT_ATOMIC_SEEKABLE, err);
}

/* fsync the directory holding path so that the rename is durable. */
static int sync_dir(const char *path) {
    char *dir = dir_of(path);
    if (!dir) return 0;
    int fd = open(dir, O_RDONLY);
    free(dir);
    if (fd < 0) return 0;
    int ok = fsync(fd) == 0 || errno == EINVAL; /* some file systems cannot sync dirs */
    close(fd);
    return ok;
}

/* Write all n bytes of buf to fd. */
static int write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        buf += w;
        n -= (size_t)w;
    }
    return 1;
}

/* Copy the private temporary (flushed) to the device. */
static int copy_to_device(struct pat_atomic_file *a) {
    int in = fileno(a->f), out = open(a->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    int ok = out >= 0 && lseek(in, 0, SEEK_SET) == 0;
    char buf[1 << 16];
    while (ok) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            ok = r == 0;
            break;
        }
        ok = write_all(out, buf, (size_t)r);
    }
    int e = errno;
    if (out >= 0 && close(out) != 0 && ok) e = errno, ok = 0;
    errno = e;
    return ok;
}

enum pat_status pat_atomic_commit(struct pat_atomic_file *a, struct pat_err *err) {
    if (!a->f) return pat_fail(err, PAT_ERR_USAGE, "commit of a file that is not open");
    errno = 0;
    int ok = fflush(a->f) == 0 && !ferror(a->f); /* a retried flush names the error */
    if (ok && !a->direct) ok = fsync(fileno(a->f)) == 0;
    if (ok && a->direct && a->tmp) ok = copy_to_device(a);
    int e = errno ? errno : EIO;
    if (fclose(a->f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    a->f = NULL;
    if (ok && !a->direct && rename(a->tmp, a->target) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok || a->direct) {
        if (a->tmp) remove(a->tmp);
        enum pat_status st =
            ok ? PAT_OK : pat_fail(err, PAT_ERR_IO, "%s: cannot write: %s", a->path, strerror(e));
        release(a);
        return st;
    }
    enum pat_status st = PAT_OK;
    if (!sync_dir(a->target))
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
