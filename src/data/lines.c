/* lines.c - numbered text lines and comma fields (lines.h). */
#include "data/lines.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum pat_status pat_lines_open(struct pat_lines *L, const char *path, struct pat_err *err) {
    memset(L, 0, sizeof *L);
    L->path = path;
    return pat_open_input(path, &L->f, err);
}

void pat_lines_close(struct pat_lines *L) {
    if (L->f) fclose(L->f);
    free(L->buf);
    memset(L, 0, sizeof *L);
}

enum pat_status pat_lines_next(struct pat_lines *L, char **text, struct pat_err *err) {
    *text = NULL;
    for (;;) {
        errno = 0;
        ssize_t len = getline(&L->buf, &L->cap, L->f);
        if (len < 0) {
            if (ferror(L->f))
                return pat_fail(err, PAT_ERR_IO, "%s: read error: %s", L->path, strerror(errno));
            return PAT_OK;
        }
        L->line++;
        if (memchr(L->buf, '\0', (size_t)len))
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: line contains a NUL byte", L->path,
                            L->line);
        while (len > 0 && (L->buf[len - 1] == '\n' || L->buf[len - 1] == '\r')) L->buf[--len] = 0;
        if (L->line == 1 && len >= 3 && memcmp(L->buf, "\xEF\xBB\xBF", 3) == 0) {
            memmove(L->buf, L->buf + 3, (size_t)len - 2); /* a UTF-8 byte order mark */
            len -= 3;
        }
        if (memchr(L->buf, '\r', (size_t)len))
            return pat_fail(err, PAT_ERR_FORMAT,
                            "%s:%zu: CR line endings (lines end with a bare carriage return, as "
                            "in old Mac files): convert them to LF", L->path, L->line);
        if (len == 0) {
            if (!L->blank) L->blank = L->line;
            continue;
        }
        if (L->blank)
            return pat_fail(err, PAT_ERR_FORMAT, "%s:%zu: line is empty", L->path, L->blank);
        *text = L->buf;
        return PAT_OK;
    }
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    return s;
}

size_t pat_fields(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (n < max) fields[n] = trim(p);
        n++;
        if (!comma) return n;
        p = comma + 1;
    }
}

int pat_parse_value(const char *s, double *v) {
    if (!*s || strcmp(s, "NA") == 0 || strcmp(s, "na") == 0) return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end) return -1;
    if (!isfinite(d) || fabs(d) > 3.4028234663852886e38) return -2;
    *v = d;
    return 1;
}

int pat_str_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}
