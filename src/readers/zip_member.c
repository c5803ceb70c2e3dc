/* zip_member.c - a zip member as a stream through libzip (zip_member.h). */
#include "readers/zip_member.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifdef PAT_HAVE_LIBZIP
#include <zip.h>

struct pat_zip_member {
    zip_t *z;
    zip_file_t *f;
    const char *path;
};

static int name_matches(const char *entry, const char *name) {
    size_t a = strlen(entry), b = strlen(name);
    if (a == b) return strcmp(entry, name) == 0;
    return a > b && entry[a - b - 1] == '/' && strcmp(entry + a - b, name) == 0;
}

enum pat_status pat_zip_member_open(const char *path, const char *name,
                                    struct pat_zip_member **out, struct pat_err *err) {
    int code = 0;
    *out = NULL;
    zip_t *z = zip_open(path, ZIP_RDONLY, &code);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, code);
        enum pat_status st = pat_fail(err, PAT_ERR_FORMAT, "%s: not a readable zip archive: %s",
                                      path, zip_error_strerror(&e));
        zip_error_fini(&e);
        return st;
    }
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *entry = zip_get_name(z, (zip_uint64_t)i, 0);
        if (!entry || !name_matches(entry, name)) continue;
        zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
        if (!f) break;
        struct pat_zip_member *m = calloc(1, sizeof *m);
        if (!m) {
            zip_fclose(f);
            zip_discard(z);
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        }
        m->z = z, m->f = f, m->path = path;
        *out = m;
        return PAT_OK;
    }
    zip_discard(z);
    return pat_fail(err, PAT_ERR_FORMAT, "%s: the zip archive holds no readable %s", path, name);
}

long pat_zip_member_read(struct pat_zip_member *m, void *buf, size_t n, struct pat_err *err) {
    zip_int64_t got = zip_fread(m->f, buf, n);
    if (got < 0) {
        pat_fail(err, PAT_ERR_FORMAT, "%s: corrupt zip member: %s", m->path,
                 zip_strerror(m->z));
        return -1;
    }
    return (long)got;
}

void pat_zip_member_close(struct pat_zip_member *m) {
    if (!m) return;
    zip_fclose(m->f);
    zip_discard(m->z);
    free(m);
}

#else

struct pat_zip_member {
    int unused;
};

enum pat_status pat_zip_member_open(const char *path, const char *name,
                                    struct pat_zip_member **out, struct pat_err *err) {
    (void)name;
    *out = NULL;
    return pat_fail(err, PAT_ERR_UNSUPPORTED, "%s: this pat was built without libzip; unzip the "
                    "export and give its export.xml (or apt-get install libzip-dev and rebuild)",
                    path);
}

long pat_zip_member_read(struct pat_zip_member *m, void *buf, size_t n, struct pat_err *err) {
    (void)m, (void)buf, (void)n, (void)err;
    return -1;
}

void pat_zip_member_close(struct pat_zip_member *m) { (void)m; }

#endif
