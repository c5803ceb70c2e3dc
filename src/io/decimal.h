/* decimal.h - decimal text to float32, exactly as strtof rounds it, fast.
 *
 * The plain forms CSV files hold ([+-]digits[.digits][(e|E)[+-]digits]
 * with at most 19 significant digits and a value w·10^e, w < 2^53,
 * |e| <= 22) are converted with one correctly rounded double operation
 * (w and 10^|e| are exact doubles) and one rounding to float. That second
 * rounding can differ from a direct one only when the double lands exactly
 * halfway between two floats (the halfway points are doubles, so rounding
 * to nearest never carries the value across one); those, and every other
 * form (more digits, larger exponents, hex, inf, nan, leading whitespace
 * other than none), go to strtof itself. In that range results are normal
 * floats, so there is no overflow or underflow to report.
 */
#ifndef PAT_DECIMAL_H
#define PAT_DECIMAL_H

/* strtof(s, end), bit for bit, including *end; errno as strtof sets it on
 * the slow path only (the fast path cannot overflow or underflow). */
float pat_parse_float(const char *s, char **end);

/* The fast path alone: 1 and *out, *end as strtof would give them, or 0
 * (nothing written) when the text needs strtof. */
int pat_parse_float_fast(const char *s, float *out, char **end);

#endif /* PAT_DECIMAL_H */
