/* xport.c - a native streaming reader of SAS XPORT version 5/6 tables (SAS
 * TS-140), the format of the NHANES files (xport.h).
 *
 * Layout: 80-byte header records (library, member, descriptor, NAMESTR),
 * one NAMESTR of 140 bytes per variable (type, length, name, position in
 * the row), the OBS header, then rows of fixed length back to back, padded
 * with blanks to a multiple of 80 bytes. Numbers are IBM System/360 hex
 * floats, big-endian, 2 to 8 bytes (truncated); a missing value is '.',
 * '_' or 'A'..'Z' followed by zero bytes. Only the first member is read.
 * The rows stream through a fixed buffer, so memory does not grow with the
 * file; every count and length read from the file is checked before use.
 */
#include "io/xport.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define CARD 80
#define NAMESTR_LEN 140
#define MAX_VARS 9999            /* four digits in the NAMESTR header */
#define CHUNK ((size_t)4 << 20)  /* bytes read at a time */

static const char HDR[] = "HEADER RECORD*******";
static const char LIBRARY[] = "LIBRARY HEADER RECORD!!!!!!!";
static const char LIBV8[] = "LIBV8   HEADER RECORD!!!!!!!";
static const char MEMBER[] = "MEMBER  HEADER RECORD!!!!!!!";
static const char DSCRPTR[] = "DSCRPTR HEADER RECORD!!!!!!!";
static const char NAMESTR[] = "NAMESTR HEADER RECORD!!!!!!!";
static const char OBS[] = "OBS     HEADER RECORD!!!!!!!";

/* One variable of the table. */
struct xvar {
    char name[9];
    int numeric;
    size_t len, pos; /* bytes, offset in the row */
};

struct reader {
    const char *path;
    FILE *f;
    unsigned char *buf;
    size_t cap, start, end; /* buf[start, end) holds unread bytes */
    int eof;
    unsigned long long offset; /* file offset of buf[start] */
    struct pat_err *err;
};

/* ---- byte stream ---------------------------------------------------------- */

/* Make at least `want` unread bytes available unless the file ends first;
 * returns how many are. */
static size_t fill(struct reader *r, size_t want) {
    if (r->end - r->start >= want || r->eof) return r->end - r->start;
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start, r->start = 0;
    while (r->end < want && !r->eof) {
        size_t got = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
        r->end += got;
        if (got == 0) r->eof = 1;
    }
    return r->end - r->start;
}

static void consume(struct reader *r, size_t n) {
    r->start += n;
    r->offset += n;
}

static int is_header(const unsigned char *card, const char *kind) {
    return memcmp(card, HDR, 20) == 0 && memcmp(card + 20, kind, 28) == 0;
}

/* The next 80-byte record, which must be the header `kind`. */
static enum pat_status expect_header(struct reader *r, const char *kind, const char *what,
                                     const unsigned char **card) {
    if (fill(r, CARD) < CARD)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: ends before the %s header (truncated "
                        "SAS XPORT file?)", r->path, what);
    *card = r->buf + r->start;
    if (!is_header(*card, kind))
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: expected the %s header record at byte "
                        "%llu (not a SAS XPORT v5 file, or damaged)", r->path, what, r->offset);
    consume(r, CARD);
    return PAT_OK;
}

static enum pat_status skip_cards(struct reader *r, size_t n, const char *what) {
    if (fill(r, n * CARD) < n * CARD)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: ends inside the %s records (truncated "
                        "SAS XPORT file?)", r->path, what);
    consume(r, n * CARD);
    return PAT_OK;
}

/* Decimal digits s[0, n) as a number; -1 when they are not all digits. */
static long digits(const unsigned char *s, size_t n) {
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned long be32(const unsigned char *p) {
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* ---- numbers ---------------------------------------------------------------- */

/* An IBM hex float of len (2..8) big-endian bytes as a double, or NaN for a
 * SAS missing value. The 56-bit fraction keeps its 53 leading significant
 * bits (truncated, as SAS's own TS-140 conversion does); every IBM value is
 * a normal double. */
static double ibm_value(const unsigned char *p, size_t len) {
    uint64_t u = 0;
    if (len == 8) /* the usual width: a fixed loop the compiler makes one load */
        for (size_t i = 0; i < 8; i++) u = u << 8 | p[i];
    else
        for (size_t i = 0; i < 8; i++) u = u << 8 | (i < len ? p[i] : 0u);
    const uint64_t sign = u & (UINT64_C(1) << 63);
    uint64_t frac = u & UINT64_C(0x00FFFFFFFFFFFFFF);
    if (frac == 0) { /* zero, or a missing value: '.', '_' or 'A'..'Z', then zeros */
        const unsigned char c = p[0];
        if (c == '.' || c == '_' || (c >= 'A' && c <= 'Z')) return NAN;
        return sign ? -0.0 : 0.0;
    }
    int shift = 0;
    while (!(frac & (UINT64_C(1) << 55))) frac <<= 1, shift++;
    const int e16 = (int)(u >> 56 & 0x7F);
    /* value = (frac >> 3) * 2^(4*(e16-64) - 53 - shift), frac >> 3 in [2^52, 2^53) */
    const uint64_t biased = (uint64_t)(4 * e16 + 766 - shift);
    const uint64_t bits = sign | biased << 52 | (frac >> 3 & UINT64_C(0xFFFFFFFFFFFFF));
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* ---- headers ------------------------------------------------------------------ */

/* Library and member headers up to the NAMESTR header; *nvars and
 * *namestr_len from them. PAT_ERR_UNSUPPORTED for an XPORT v8 file. */
static enum pat_status read_headers(struct reader *r, size_t *nvars, size_t *namestr_len) {
    const unsigned char *card;
    if (fill(r, CARD) < CARD)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: not a SAS XPORT file (shorter than one "
                        "header record)", r->path);
    if (is_header(r->buf + r->start, LIBV8))
        return pat_fail(r->err, PAT_ERR_UNSUPPORTED, "%s: SAS XPORT version 8", r->path);
    enum pat_status st = expect_header(r, LIBRARY, "library", &card);
    if (st == PAT_OK) st = skip_cards(r, 2, "library header");
    if (st == PAT_OK) st = expect_header(r, MEMBER, "member", &card);
    if (st != PAT_OK) return st;
    long nl = digits(card + 74, 4);
    if (nl != NAMESTR_LEN && nl != 136) /* 136: VAX/VMS */
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: member header gives a NAMESTR length of "
                        "'%.4s' (expected 0140 or 0136)", r->path, (const char *)card + 74);
    *namestr_len = (size_t)nl;
    st = expect_header(r, DSCRPTR, "member descriptor", &card);
    if (st == PAT_OK) st = skip_cards(r, 2, "member descriptor");
    if (st == PAT_OK) st = expect_header(r, NAMESTR, "NAMESTR", &card);
    if (st != PAT_OK) return st;
    long nv = digits(card + 54, 4);
    if (nv < 1 || nv > MAX_VARS)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: NAMESTR header gives '%.4s' variables",
                        r->path, (const char *)card + 54);
    *nvars = (size_t)nv;
    return PAT_OK;
}

/* One NAMESTR record into v; checks type and length. */
static enum pat_status parse_namestr(struct reader *r, const unsigned char *p, size_t i,
                                     struct xvar *v) {
    const unsigned type = be16(p), len = be16(p + 4);
    size_t k = 0;
    for (; k < 8 && p[8 + k] != ' ' && p[8 + k] != 0; k++) v->name[k] = (char)p[8 + k];
    v->name[k] = 0;
    v->numeric = type == 1;
    v->len = len;
    v->pos = be32(p + 84);
    if (k == 0)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: variable %zu has no name", r->path, i + 1);
    if (type != 1 && type != 2)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: variable %s has type %u (1 numeric, "
                        "2 text)", r->path, v->name, type);
    if (v->numeric ? len < 2 || len > 8 : len < 1)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: variable %s has length %u", r->path,
                        v->name, len);
    return PAT_OK;
}

/* The NAMESTR records (padded to whole cards) and the OBS header; *row_len
 * is the sum of the lengths, and every variable must lie inside the row. */
static enum pat_status read_variables(struct reader *r, size_t nvars, size_t namestr_len,
                                      struct xvar *vars, size_t *row_len) {
    const size_t bytes = nvars * namestr_len, padded = (bytes + CARD - 1) / CARD * CARD;
    if (fill(r, padded) < padded)
        return pat_fail(r->err, PAT_ERR_FORMAT, "%s: ends inside the %zu variable "
                        "descriptions (truncated SAS XPORT file?)", r->path, nvars);
    size_t sum = 0;
    for (size_t i = 0; i < nvars; i++) {
        enum pat_status st = parse_namestr(r, r->buf + r->start + i * namestr_len, i, &vars[i]);
        if (st != PAT_OK) return st;
        sum += vars[i].len; /* at most 9999 * 65535 */
    }
    for (size_t i = 0; i < nvars; i++)
        if (vars[i].pos > sum || vars[i].len > sum - vars[i].pos)
            return pat_fail(r->err, PAT_ERR_FORMAT, "%s: variable %s lies outside the "
                            "%zu-byte row", r->path, vars[i].name, sum);
    consume(r, padded);
    const unsigned char *card;
    *row_len = sum;
    return expect_header(r, OBS, "observation", &card);
}

/* ---- rows ---------------------------------------------------------------------- */

struct query {
    const struct pat_xpt_col *cols;
    size_t n;
    const struct xvar **var; /* per requested column, NULL when absent */
    double *v;
    pat_xpt_row_fn fn;
    void *ctx;
};

/* Requested columns to variables: required ones must exist and be numeric. */
static enum pat_status match_columns(struct reader *r, const struct xvar *vars, size_t nvars,
                                     struct query *q) {
    for (size_t k = 0; k < q->n; k++) {
        q->var[k] = NULL;
        for (size_t i = 0; i < nvars && !q->var[k]; i++)
            if (!strcasecmp(vars[i].name, q->cols[k].name)) q->var[k] = &vars[i];
        if (q->var[k] && !q->var[k]->numeric)
            return pat_fail(r->err, PAT_ERR_FORMAT, "%s: variable %s is text, expected "
                            "numbers", r->path, q->var[k]->name);
        if (!q->var[k] && !q->cols[k].optional)
            return pat_fail(r->err, PAT_ERR_FORMAT, "%s: no variable %s", r->path,
                            q->cols[k].name);
    }
    return PAT_OK;
}

static int all_blank(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ') return 0;
    return 1;
}

/* A whole member header record (namestr length 140 or 136), as SAS writes
 * it between members; anything less is data, as libreadstat reads it. */
static int is_member_card(const unsigned char *card) {
    static const char tail[] = "00000000000000000160000000014";
    return is_header(card, MEMBER) && memcmp(card + 48, tail, 29) == 0 &&
           (card[77] == '0' || card[77] == '6') && card[78] == ' ' && card[79] == ' ';
}

/* 1 when, from the unread bytes (avail of them), blank padding to the next
 * card boundary is followed by the next member's header: the table ends. */
static int member_follows(struct reader *r, size_t avail, unsigned long long data_start) {
    const unsigned char *p = r->buf + r->start;
    const size_t into_card = (size_t)((r->offset - data_start) % CARD);
    const size_t pad = into_card ? CARD - into_card : 0;
    return avail >= pad + CARD && all_blank(p, pad) && is_member_card(p + pad);
}

/* Row `row` from its bytes p, or (p NULL) a row of blanks. */
static enum pat_status deliver(struct reader *r, struct query *q, const unsigned char *p,
                               size_t row) {
    static const unsigned char blanks[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
    for (size_t k = 0; k < q->n; k++) {
        const struct xvar *v = q->var[k];
        q->v[k] = !v ? NAN : ibm_value(p ? p + v->pos : blanks, v->len);
    }
    return q->fn(q->ctx, row, q->v, r->err);
}

/* Rows up to the end of the file or the next member. Rows that are all
 * blanks are held back: at the end they are padding (as libreadstat reads
 * them), before a row with data they are rows. */
static enum pat_status stream_rows(struct reader *r, size_t row_len, struct query *q) {
    const unsigned long long data_start = r->offset;
    size_t blank = 0; /* blank rows held back */
    for (size_t row = 0;; row++) {
        const size_t avail = fill(r, row_len + CARD);
        const unsigned char *p = r->buf + r->start;
        if (member_follows(r, avail, data_start)) return PAT_OK;
        if (avail < row_len) {
            if (all_blank(p, avail)) return PAT_OK;
            return pat_fail(r->err, PAT_ERR_FORMAT, "%s: ends inside row %zu (truncated SAS "
                            "XPORT file?)", r->path, row + 1);
        }
        if (all_blank(p, row_len)) {
            blank++;
        } else {
            enum pat_status st = PAT_OK;
            for (; st == PAT_OK && blank; blank--)
                st = deliver(r, q, NULL, row - blank);
            if (st == PAT_OK) st = deliver(r, q, p, row);
            if (st != PAT_OK) return st;
        }
        consume(r, row_len);
    }
}

/* ---- entry point ------------------------------------------------------------------ */

static enum pat_status read_table(struct reader *r, struct query *q, size_t *nvars_out) {
    size_t nvars = 0, namestr_len = 0, row_len = 0;
    enum pat_status st = read_headers(r, &nvars, &namestr_len);
    if (st != PAT_OK) return st;
    if (nvars_out) *nvars_out = nvars;
    struct xvar *vars = pat_calloc(nvars, sizeof *vars);
    if (!vars) return pat_fail(r->err, PAT_ERR_NOMEM, "%s: out of memory", r->path);
    st = read_variables(r, nvars, namestr_len, vars, &row_len);
    if (st == PAT_OK) st = match_columns(r, vars, nvars, q);
    if (st == PAT_OK && row_len + 2 * CARD > r->cap) { /* rows longer than the buffer */
        unsigned char *g = realloc(r->buf, row_len + 2 * CARD);
        if (!g) st = pat_fail(r->err, PAT_ERR_NOMEM, "%s: out of memory", r->path);
        else r->buf = g, r->cap = row_len + 2 * CARD;
    }
    if (st == PAT_OK) st = stream_rows(r, row_len, q);
    free(vars);
    return st;
}

enum pat_status pat_xport_read(const char *path, const struct pat_xpt_col *cols, size_t n,
                               pat_xpt_row_fn fn, void *ctx, size_t *nvars,
                               struct pat_err *err) {
    struct reader r = {.path = path, .err = err, .cap = CHUNK};
    struct query q = {.cols = cols, .n = n, .fn = fn, .ctx = ctx};
    enum pat_status opened = pat_open_input(path, &r.f, err);
    if (opened != PAT_OK) return opened;
    r.buf = malloc(r.cap);
    q.var = pat_calloc(n, sizeof *q.var);
    q.v = pat_calloc(n, sizeof *q.v);
    enum pat_status st = r.buf && q.var && q.v ? read_table(&r, &q, nvars)
                                               : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && ferror(r.f))
        st = pat_fail(err, PAT_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(r.f);
    free(r.buf);
    free(q.var);
    free(q.v);
    return st;
}

enum pat_status pat_xport_numeric_names(const char *path, char (*names)[9], size_t cap,
                                        size_t *n, struct pat_err *err) {
    struct reader r = {.path = path, .err = err, .cap = CHUNK};
    size_t nvars = 0, namestr_len = 0, row_len = 0;
    struct xvar *vars = NULL;
    *n = 0;
    enum pat_status opened = pat_open_input(path, &r.f, err);
    if (opened != PAT_OK) return opened;
    enum pat_status st = (r.buf = malloc(r.cap)) ? read_headers(&r, &nvars, &namestr_len)
                                                 : pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    if (st == PAT_OK && !(vars = pat_calloc(nvars, sizeof *vars)))
        st = pat_fail(err, PAT_ERR_NOMEM, "%s: out of memory", path);
    if (st == PAT_OK) st = read_variables(&r, nvars, namestr_len, vars, &row_len);
    for (size_t i = 0; st == PAT_OK && i < nvars; i++) {
        if (!vars[i].numeric) continue;
        if (*n < cap) memcpy(names[*n], vars[i].name, sizeof names[*n]);
        ++*n;
    }
    fclose(r.f);
    free(r.buf);
    free(vars);
    return st;
}
