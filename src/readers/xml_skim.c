/* xml_skim.c - element boundaries of a flat XML document (xml_skim.h). */
#include "readers/xml_skim.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { NEED_MORE = -1, BAD = -2 };

struct skim {
    char *buf;
    size_t len, cap;
    int64_t offset;    /* file offset of buf[0] */
    int depth;         /* 0: prolog; 1: inside the root; ... */
    int done;          /* the root has ended */
    size_t elem;       /* start of the current root child (depth >= 2) */
    int keep_elem;
    const char *keep;
    size_t keep_len;
    pat_skim_feed_fn feed;
    void *sink;
    const char *path;
    struct pat_err *err;
};

/* Index just past `end` searched from i, or NEED_MORE. */
static long past(const struct skim *s, size_t i, const char *end) {
    size_t n = strlen(end);
    while (i + n <= s->len) {
        const char *p = memchr(s->buf + i, end[0], s->len - i - n + 1);
        if (!p) return NEED_MORE;
        i = (size_t)(p - s->buf);
        if (memcmp(p, end, n) == 0) return (long)(i + n);
        i++;
    }
    return NEED_MORE;
}

/* Index just past the '>' closing the tag opened at i (quote-aware). */
static long tag_end(const struct skim *s, size_t i) {
    for (i++; i < s->len; i++) {
        char c = s->buf[i];
        if (c == '>') return (long)(i + 1);
        if (c == '"' || c == '\'') {
            const char *q = memchr(s->buf + i + 1, c, s->len - i - 1);
            if (!q) return NEED_MORE;
            i = (size_t)(q - s->buf);
        } else if (c == '<') {
            return BAD;
        }
    }
    return NEED_MORE;
}

/* End of the DOCTYPE declaration at i (its internal subset in [...]). */
static long doctype_end(const struct skim *s, size_t i) {
    int subset = 0;
    for (i += 2; i < s->len; i++) {
        char c = s->buf[i];
        if (c == '"' || c == '\'') {
            const char *q = memchr(s->buf + i + 1, c, s->len - i - 1);
            if (!q) return NEED_MORE;
            i = (size_t)(q - s->buf);
        } else if (c == '[') {
            subset = 1;
        } else if (c == ']') {
            subset = 0;
        } else if (c == '>' && !subset) {
            return (long)(i + 1);
        } else if (c == '<' && subset && i + 3 < s->len && memcmp(s->buf + i, "<!--", 4) == 0) {
            const char *q = NULL;
            for (size_t k = i + 4; k + 3 <= s->len && !q; k++)
                if (memcmp(s->buf + k, "-->", 3) == 0) q = s->buf + k;
            if (!q) return NEED_MORE;
            i = (size_t)(q - s->buf) + 2;
        }
    }
    return NEED_MORE;
}

static int starts(const struct skim *s, size_t i, const char *w) {
    size_t n = strlen(w);
    return i + n <= s->len && memcmp(s->buf + i, w, n) == 0;
}

/* Where the markup at i (a '<') ends; sets *kind: 'c' comment or PI or
 * CDATA, 'd' doctype, 'e' end tag, 's' start tag, 'x' empty-element tag. */
static long markup_end(const struct skim *s, size_t i, char *kind) {
    if (i + 2 > s->len || (s->buf[i + 1] == '!' && i + 9 > s->len)) return NEED_MORE;
    *kind = 'c';
    if (starts(s, i, "<!--")) return past(s, i + 4, "-->");
    if (starts(s, i, "<?")) return past(s, i + 2, "?>");
    if (starts(s, i, "<![CDATA[")) return past(s, i + 9, "]]>");
    if (starts(s, i, "<!DOCTYPE")) {
        *kind = 'd';
        return doctype_end(s, i);
    }
    if (s->buf[i + 1] == '!') return BAD;
    long e = tag_end(s, i);
    if (e < 0) return e;
    *kind = s->buf[i + 1] == '/' ? 'e' : s->buf[e - 2] == '/' ? 'x' : 's';
    return e;
}

static enum pat_status give(struct skim *s, size_t from, size_t to, int last) {
    return s->feed(s->sink, s->buf + from, to - from, s->offset + (int64_t)from, last, s->err);
}

static int keeps(const struct skim *s, size_t from, size_t to) {
    for (size_t i = from; i + s->keep_len <= to; i++) {
        const char *p = memchr(s->buf + i, s->keep[0], to - i - s->keep_len + 1);
        if (!p) return 0;
        i = (size_t)(p - s->buf);
        if (memcmp(p, s->keep, s->keep_len) == 0) return 1;
    }
    return 0;
}

/* Handle markup [i, e) of kind k. */
static enum pat_status markup(struct skim *s, size_t i, size_t e, char k) {
    if (s->depth == 0) { /* prolog and the root start tag go through whole */
        if (k == 's') s->depth = 1;
        if (k == 'e')
            return pat_fail(s->err, PAT_ERR_FORMAT, "%s: byte %lld: end tag before any element",
                            s->path, (long long)(s->offset + (int64_t)i));
        if (k == 'x') s->done = 1;
        return give(s, i, e, 0);
    }
    if (k == 'c' || k == 'd') return PAT_OK;
    if (s->depth == 1 && k == 'e') { /* the root ends */
        s->depth = 0;
        s->done = 1;
        return give(s, i, e, 0);
    }
    if (s->depth == 1) { /* a child of the root starts */
        int keep = keeps(s, i, e);
        if (k == 'x') return keep ? give(s, i, e, 0) : PAT_OK;
        s->elem = i;
        s->keep_elem = keep;
        s->depth = 2;
        return PAT_OK;
    }
    if (k == 's') s->depth++;
    if (k == 'e' && --s->depth == 1 && s->keep_elem) return give(s, s->elem, e, 0);
    return PAT_OK;
}

/* Process the buffer; returns where unprocessed bytes begin. */
static enum pat_status scan(struct skim *s, size_t *pos) {
    size_t i = *pos;
    while (!s->done) {
        const char *lt = memchr(s->buf + i, '<', s->len - i);
        if (!lt) {
            if (s->depth == 0) { /* whitespace of the prolog */
                enum pat_status st = give(s, i, s->len, 0);
                if (st != PAT_OK) return st;
            }
            i = s->len;
            break;
        }
        size_t at = (size_t)(lt - s->buf);
        if (s->depth == 0 && at > i) {
            enum pat_status st = give(s, i, at, 0);
            if (st != PAT_OK) return st;
        }
        i = at;
        char kind;
        long e = markup_end(s, i, &kind);
        if (e == NEED_MORE) break;
        if (e == BAD)
            return pat_fail(s->err, PAT_ERR_FORMAT, "%s: byte %lld: malformed markup", s->path,
                            (long long)(s->offset + (int64_t)i));
        enum pat_status st = markup(s, i, (size_t)e, kind);
        if (st != PAT_OK) return st;
        i = (size_t)e;
    }
    *pos = i;
    return PAT_OK;
}

/* Drop what is no longer needed and make room to read. */
static enum pat_status compact(struct skim *s, size_t pos) {
    size_t from = s->depth >= 2 && s->keep_elem && s->elem < pos ? s->elem : pos;
    memmove(s->buf, s->buf + from, s->len - from);
    s->len -= from;
    s->offset += (int64_t)from;
    if (s->depth >= 2) s->elem -= from < s->elem ? from : s->elem;
    if (s->len + 65536 > s->cap) {
        if (s->cap >= PAT_SKIM_MAX_ELEMENT)
            return pat_fail(s->err, PAT_ERR_FORMAT, "%s: byte %lld: an element longer than %zu "
                            "bytes", s->path, (long long)s->offset, PAT_SKIM_MAX_ELEMENT);
        char *b = realloc(s->buf, s->cap * 2);
        if (!b) return pat_fail(s->err, PAT_ERR_NOMEM, "out of memory");
        s->buf = b;
        s->cap *= 2;
    }
    return PAT_OK;
}

enum pat_status pat_xml_skim(pat_skim_read_fn rd, void *src, const char *keep,
                             pat_skim_feed_fn feed, void *sink, const char *path,
                             struct pat_err *err) {
    struct skim s = {.cap = (size_t)1 << 20, .keep = keep, .keep_len = strlen(keep),
                     .feed = feed, .sink = sink, .path = path, .err = err};
    if (!(s.buf = malloc(s.cap))) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    enum pat_status st = PAT_OK;
    size_t pos = 0;
    for (;;) {
        long n = rd(src, s.buf + s.len, s.cap - s.len, err);
        if (n < 0) {
            st = PAT_ERR_IO;
            break;
        }
        s.len += (size_t)n;
        if ((st = scan(&s, &pos)) != PAT_OK) break;
        if (s.done || n == 0) break;
        if ((st = compact(&s, pos)) != PAT_OK) break;
        pos = 0;
    }
    /* the rest after the root (or an unfinished document) goes to the parser,
     * which then judges the end of the document */
    if (st == PAT_OK && s.done) st = give(&s, pos, s.len, 0);
    if (st == PAT_OK && s.done) {
        for (long n; (n = rd(src, s.buf, s.cap, err)) != 0;) {
            if (n < 0) {
                st = PAT_ERR_IO;
                break;
            }
            s.offset += (int64_t)s.len;
            s.len = (size_t)n;
            if ((st = give(&s, 0, s.len, 0)) != PAT_OK) break;
        }
    }
    if (st == PAT_OK) st = feed(sink, s.buf, 0, s.offset + (int64_t)s.len, 1, err);
    free(s.buf);
    return st;
}
