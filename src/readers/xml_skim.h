/* xml_skim.h - pass on to an XML parser only the parts of a large,
 * flat XML document that matter: the prolog and root start tag, each child
 * element of the root whose start tag contains a given attribute text, and
 * the root end tag. Everything handed on is parsed (and checked) by the
 * real parser (expat, in apple_health.c); the skim only finds element
 * boundaries (tags with quoted attribute values, comments, processing
 * instructions, CDATA sections, the DOCTYPE with its internal subset) so
 * that the 95% of an Apple Health export that is not step counts is not
 * parsed at all. Memory: one buffer holding the longest element (at most
 * PAT_SKIM_MAX_ELEMENT bytes). */
#ifndef PAT_READERS_XML_SKIM_H
#define PAT_READERS_XML_SKIM_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

#define PAT_SKIM_MAX_ELEMENT ((size_t)16 << 20)

/* Source: up to n bytes into buf; bytes read, 0 at the end, -1 on error. */
typedef long (*pat_skim_read_fn)(void *src, char *buf, size_t n, struct pat_err *err);
/* Sink: bytes of the document to parse, starting at file offset `at`;
 * last = 1 on the final call (n may be 0). */
typedef enum pat_status (*pat_skim_feed_fn)(void *sink, const char *bytes, size_t n,
                                            int64_t at, int last, struct pat_err *err);

/* Stream src to feed, keeping root children whose start tag contains
 * `keep` (e.g. "\"HKQuantityTypeIdentifierStepCount\""). */
enum pat_status pat_xml_skim(pat_skim_read_fn rd, void *src, const char *keep,
                             pat_skim_feed_fn feed, void *sink, const char *path,
                             struct pat_err *err);

#endif /* PAT_READERS_XML_SKIM_H */
