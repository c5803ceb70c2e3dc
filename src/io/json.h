/* json.h - a small strict JSON parser for safetensors headers.
 *
 * Parses a whole document into a flat array of nodes; children are linked
 * by index. Usage:
 *
 *     struct pat_json doc;
 *     char why[128];
 *     if (!pat_json_parse(&doc, text, len, why, sizeof why)) { report why }
 *     for (size_t i = pat_json_first(&doc, 0); i; i = doc.nodes[i].next)
 *         ... doc.nodes[i].key is the member name when node 0 is an object
 *     pat_json_free(&doc);
 *
 * Accepted: objects, arrays, strings (all escapes, \uXXXX with surrogate
 * pairs, decoded to UTF-8; raw bytes must be valid UTF-8; \u0000 refused),
 * numbers, true, false, null. Integers without fraction or exponent that
 * fit in int64 are JSON_INT; other numbers are JSON_NUMBER (value not
 * kept). Nesting deeper than PAT_JSON_MAX_DEPTH is refused. Duplicate keys
 * are kept; callers that care check for them.
 */
#ifndef PAT_IO_JSON_H
#define PAT_IO_JSON_H

#include <stddef.h>
#include <stdint.h>

#define PAT_JSON_MAX_DEPTH 32

enum pat_json_type {
    PAT_JSON_NULL,
    PAT_JSON_BOOL,
    PAT_JSON_INT,    /* integer in int64 range: value in .num */
    PAT_JSON_NUMBER, /* any other number (fraction or exponent) */
    PAT_JSON_STRING, /* .str / .len, NUL-terminated */
    PAT_JSON_ARRAY,
    PAT_JSON_OBJECT,
};

struct pat_json_node {
    enum pat_json_type type;
    const char *key;   /* member name when the parent is an object, else NULL */
    size_t key_len;
    const char *str;   /* PAT_JSON_STRING: decoded UTF-8 */
    size_t len;
    int64_t num;       /* PAT_JSON_INT value; PAT_JSON_BOOL 0 or 1 */
    size_t first;      /* first child (0: none; node 0 is the root) */
    size_t count;      /* number of children */
    size_t next;       /* next sibling (0: none) */
    size_t pos;        /* byte offset of the value in the input */
};

struct pat_json {
    struct pat_json_node *nodes; /* nodes[0] is the root */
    size_t num_nodes;
    char *pool; /* decoded strings */
};

/* Parse text[0..len). Returns 1 on success; on failure returns 0, frees
 * everything and writes a reason with the byte offset into why. */
int pat_json_parse(struct pat_json *doc, const char *text, size_t len, char *why,
                   size_t why_len);

void pat_json_free(struct pat_json *doc); /* safe on a zeroed or freed doc */

/* Index of the first child of node i, or 0 when it has none. */
size_t pat_json_first(const struct pat_json *doc, size_t i);

/* Name of a type for messages ("string", "object", ...). */
const char *pat_json_type_name(enum pat_json_type t);

/* 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int pat_json_utf8_valid(const char *s, size_t len);

#endif /* PAT_IO_JSON_H */
