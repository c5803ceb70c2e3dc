/* test_decimal.c - pat_parse_float equals strtof, value bits and end
 * pointer, on 10^6 random decimal strings and on hard cases: float32
 * halfway points and their neighbours written with 9 to 19 digits, the
 * edges of the fast path's range, and forms only strtof takes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/decimal.h"

/* A deterministic generator (splitmix64). */
static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static long fast_hits; /* strings the fast path took */

/* 1 when pat_parse_float and strtof agree on s (bits and end); the first
 * disagreement is reported. */
static int same(struct check_ctx *c, const char *s) {
    char *e1, *e2;
    float a = pat_parse_float(s, &e1), b = strtof(s, &e2), f;
    char *ef;
    fast_hits += pat_parse_float_fast(s, &f, &ef);
    uint32_t ba, bb;
    memcpy(&ba, &a, sizeof ba);
    memcpy(&bb, &b, sizeof bb);
    if (ba == bb && e1 == e2) return 1;
    check_fail(c, "'%s': %.9g (end +%td) vs strtof %.9g (end +%td)", s, (double)a, e1 - s,
               (double)b, e2 - s);
    return 0;
}

/* Random plain decimals: 1-22 digits, a point anywhere or none, an
 * optional exponent, signs. */
static void random_decimal(char *buf, uint64_t *rng) {
    char *p = buf;
    uint64_t r = next_u64(rng);
    if (r & 1) *p++ = '-';
    else if (r & 2) *p++ = '+';
    const int ndig = 1 + (int)((r >> 2) % 22);
    const int point = (int)((r >> 8) % (uint64_t)(ndig + 2)) - 1; /* -1: none */
    for (int i = 0; i < ndig; i++) {
        if (i == point) *p++ = '.';
        uint64_t d = next_u64(rng);
        *p++ = (char)('0' + (i == 0 && (d & 0x30) == 0 ? 0 : d % 10));
    }
    if (point == ndig) *p++ = '.';
    if ((r >> 16) % 3 == 0) {
        *p++ = (r >> 20) & 1 ? 'e' : 'E';
        if ((r >> 21) & 1) *p++ = '-';
        p += sprintf(p, "%d", (int)((r >> 24) % 45));
    }
    *p = '\0';
}

static void test_random_inputs(struct check_ctx *c) {
    uint64_t rng = 42;
    char buf[64];
    long bad = 0;
    fast_hits = 0;
    for (long i = 0; i < 1000000 && bad < 5; i++) {
        random_decimal(buf, &rng);
        bad += !same(c, buf);
    }
    printf("  10^6 random strings, %ld on the fast path\n", fast_hits);
    CHECK(c, bad == 0);
    CHECK(c, fast_hits > 500000); /* both paths are exercised */
}

/* Halfway points between neighbouring floats, and the doubles next to
 * them, written with 9 to 19 significant digits (and as integers where
 * they are whole): the cases where rounding twice would go wrong. */
static void test_halfway_cases(struct check_ctx *c) {
    uint64_t rng = 7;
    char buf[64];
    long bad = 0, n = 0;
    fast_hits = 0;
    for (long i = 0; i < 40000 && bad < 5; i++) {
        /* a float of moderate magnitude, the fast path's range */
        uint32_t bits = (uint32_t)(next_u64(&rng) % (0x7e000000u - 0x1a000000u)) + 0x1a000000u;
        float f;
        memcpy(&f, &bits, sizeof f);
        float g = nextafterf(f, 3e38f);
        double mid = ((double)f + (double)g) / 2;
        const double around[3] = {nextafter(mid, 0), mid, nextafter(mid, 1e300)};
        for (int k = 0; k < 3; k++)
            for (int digits = 9; digits <= 19; digits += 2) {
                snprintf(buf, sizeof buf, "%.*g", digits, around[k]);
                bad += !same(c, buf), n++;
                snprintf(buf, sizeof buf, "-%.*e", digits - 1, around[k]);
                bad += !same(c, buf), n++;
            }
        if (mid < 9e15 && mid == (double)(uint64_t)mid) {
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)mid);
            bad += !same(c, buf), n++;
        }
    }
    printf("  %ld halfway and near-halfway strings, %ld on the fast path\n", n, fast_hits);
    CHECK(c, bad == 0);
    CHECK(c, fast_hits > 0 && fast_hits < n); /* halfway doubles go to strtof */
}

static void test_edges_and_other_forms(struct check_ctx *c) {
    static const char *cases[] = {
        "0", "-0", "+0", "0.0", "-0.000", ".5", "5.", "-.5e1", ".", "-", "+", "e5", "1e",
        "1e+", "1e-", "1.5e-3x", "1,2", " 7", "\t7", "12 ", "0x10", "0X1p-2", "inf", "-Infinity",
        "nan", "NAN(123)", "9007199254740991", "9007199254740992", "9007199254740993",
        "1234567890123456789", "12345678901234567890", "1e22", "1e23", "1e-22", "1e-23",
        "9007199254740991e22", "9007199254740991e-22", "3.4028235e38", "3.4028236e38",
        "1e39", "1.17549435e-38", "1e-45", "1e-46", "0.000000000000000000000000000000001",
        "16777217", "16777216.5", "33554435", "1.00000005960464477539062", "0.1", "0.2",
        "0.3", "123.456", "1e1000000", "0.1e-1000000", "00000000000000000000000012.5",
        "1.000000000000000000000000000000000000001",
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) ok &= same(c, cases[i]);
    CHECK(c, ok);
}

int main(void) {
    int failures = 0;
    RUN(test_random_inputs);
    RUN(test_halfway_cases);
    RUN(test_edges_and_other_forms);
    return failures ? 1 : 0;
}
