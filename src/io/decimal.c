/* decimal.c - decimal text to float32 as strtof rounds it (see decimal.h). */
#include "io/decimal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIGITS 19            /* significant digits a uint64_t holds */
#define EXACT_LIMIT (1ULL << 53) /* integers a double holds exactly */

static const double powers_of_ten[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The decimal number at s in its plain form: w (significant digits), e10
 * (the power of ten), the sign; *end past it. 0 when the text is not in
 * that form or has too many digits. */
static int scan_plain(const char *s, uint64_t *w, int *e10, int *negative, const char **end) {
    const char *p = s;
    *negative = *p == '-';
    if (*p == '-' || *p == '+') p++;
    uint64_t v = 0;
    int digits = 0, significant = 0, frac = 0;
    for (; is_digit(*p); p++, digits++) {
        if (digits > 100000) return 0; /* frac and digits stay far from overflow */
        if (v == 0 && *p == '0') continue; /* leading zeros */
        if (++significant > MAX_DIGITS) return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; is_digit(*p); p++, digits++, frac++) {
            if (digits > 100000) return 0;
            if (v == 0 && *p == '0') continue; /* zeros before the first significant digit */
            if (++significant > MAX_DIGITS) return 0;
            v = v * 10 + (uint64_t)(*p - '0');
        }
    }
    if (digits == 0 || *p == 'x' || *p == 'X') return 0; /* hexadecimal: strtof's */
    int e = 0;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        int eneg = *q == '-';
        if (*q == '-' || *q == '+') q++;
        if (!is_digit(*q)) return 0; /* strtof stops before the 'e': let it decide */
        for (; is_digit(*q); q++)
            if ((e = e * 10 + (*q - '0')) > 1000) return 0;
        if (eneg) e = -e;
        p = q;
    }
    *w = v, *e10 = e - frac, *end = p;
    return 1;
}

/* d exactly halfway between two float32 neighbours (d a normal float in
 * magnitude): its 29 bits below float's 24-bit significand are 1000...0. */
static int halfway(double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return (bits & ((1ULL << 29) - 1)) == (1ULL << 28);
}

int pat_parse_float_fast(const char *s, float *out, char **end) {
    uint64_t w;
    int e10, negative;
    const char *after;
    if (!scan_plain(s, &w, &e10, &negative, &after) || w >= EXACT_LIMIT || e10 < -22 ||
        e10 > 22)
        return 0;
    float f = 0.0f;
    if (w != 0) {
        const double d =
            e10 >= 0 ? (double)w * powers_of_ten[e10] : (double)w / powers_of_ten[-e10];
        if (halfway(d)) return 0;
        f = (float)d;
    }
    *out = negative ? -f : f;
    *end = (char *)after;
    return 1;
}

float pat_parse_float(const char *s, char **end) {
    float f;
    return pat_parse_float_fast(s, &f, end) ? f : strtof(s, end);
}
