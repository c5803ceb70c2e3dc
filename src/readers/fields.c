/* fields.c - helpers of the text readers (fields.h). */
#include "readers/fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/lines.h"
#include "util.h"

void pat_header_free(struct pat_header *h) {
    for (size_t i = 0; h->name && i < h->n; i++) free(h->name[i]);
    free(h->name);
    h->name = NULL;
    h->n = 0;
}

enum pat_status pat_header_set(struct pat_header *h, char **field, size_t nf,
                               struct pat_err *err) {
    pat_header_free(h);
    h->name = pat_calloc(nf ? nf : 1, sizeof *h->name);
    if (!h->name) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nf; i++) {
        if (!(h->name[i] = pat_strdup(field[i]))) {
            h->n = i;
            pat_header_free(h);
            return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        }
    }
    h->n = nf;
    return PAT_OK;
}

/* Compare ignoring case, spaces and underscores. */
static int loose_eq(const char *a, const char *b) {
    for (;;) {
        while (*a == ' ' || *a == '_') a++;
        while (*b == ' ' || *b == '_') b++;
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
        if (!x) return 1;
        a++, b++;
    }
}

int pat_header_find(const struct pat_header *h, const char *name) {
    for (size_t i = 0; i < h->n; i++)
        if (loose_eq(h->name[i], name)) return (int)i;
    return -1;
}

void pat_header_list(const struct pat_header *h, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < h->n && at + 1 < len; i++) {
        int k = snprintf(buf + at, len - at, "%s'%s'", i ? ", " : "", h->name[i]);
        if (k < 0) break;
        at += (size_t)k;
    }
}

int pat_number(const char *s, char sep, double *v) {
    char tmp[64];
    const char *comma = sep != ',' ? strchr(s, ',') : NULL;
    if (comma && !strchr(s, '.') && strlen(s) < sizeof tmp) {
        memcpy(tmp, s, strlen(s) + 1);
        tmp[comma - s] = '.';
        s = tmp;
    }
    int k = pat_parse_value(s, v);
    return k == 1 ? 1 : k == 0 ? 0 : -1;
}

enum pat_status pat_emit(struct pat_series *s, pat_series_fn fn, void *ctx, size_t *count,
                         struct pat_err *err) {
    enum pat_status st = fn(ctx, s, err);
    pat_series_free(s);
    if (st == PAT_OK) (*count)++;
    return st;
}
