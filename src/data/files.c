/* files.c - folder listing in natural order (files.h). */
#include "data/files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int pat_natural_cmp(const char *a, const char *b) {
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0') a++;
            while (*b == '0') b++;
            size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
            if (la != lb) return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c) return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int cmp_names(const void *x, const void *y) {
    return pat_natural_cmp(*(const char *const *)x, *(const char *const *)y);
}

char *pat_path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int pat_is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_regular(const char *dir, const char *name) {
    char *p = pat_path_join(dir, name);
    struct stat sb;
    int ok = p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
    free(p);
    return ok;
}

static int matches(const char *name, const char *prefix, const char *suffix) {
    size_t n = strlen(name), lp = strlen(prefix), ls = strlen(suffix);
    return n > lp + ls && strncmp(name, prefix, lp) == 0 && strcmp(name + n - ls, suffix) == 0;
}

void pat_names_free(char **names, size_t n) {
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

enum pat_status pat_list_files(const char *dir, const char *prefix, const char *suffix,
                               char ***names, size_t *n, struct pat_err *err) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return pat_fail(err, PAT_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    size_t cap = 0;
    char **v = NULL;
    enum pat_status st = PAT_OK;
    for (struct dirent *e; st == PAT_OK && (e = readdir(d));) {
        if (!matches(e->d_name, prefix, suffix) || !is_regular(dir, e->d_name)) continue;
        if (*n == cap) {
            char **g = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof *g);
            if (!g) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
            else v = g;
        }
        if (st == PAT_OK && !(v[*n] = pat_strdup(e->d_name)))
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        if (st == PAT_OK) (*n)++;
    }
    closedir(d);
    if (st != PAT_OK) {
        pat_names_free(v, *n);
        *n = 0;
        return st;
    }
    if (*n) qsort(v, *n, sizeof *v, cmp_names);
    *names = v;
    return PAT_OK;
}

void pat_path_stem(const char *path, char *buf, size_t len) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    snprintf(buf, len, "%.*s", (int)n, base);
}
