/* clock.h - wall-clock minutes: civil date-times <-> minutes since
 * 1970-01-01 00:00.
 *
 * There are no time zones here. A series' axis is the local wall clock as
 * written in its file (pat-spec §5.4 leaves week alignment open; pat aligns
 * to local midnight, see docs/data.md "Time axis"). Sources without a
 * calendar (NHANES) put their first recording day on 1970-01-01.
 */
#ifndef PAT_DATA_CLOCK_H
#define PAT_DATA_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define PAT_MINUTES_PER_DAY 1440

/* Floor division and the matching non-negative remainder (b > 0). */
int64_t pat_floor_div(int64_t a, int64_t b);
int64_t pat_floor_mod(int64_t a, int64_t b);

/* Minutes since 1970-01-01 00:00 of a valid civil date-time (no checks). */
int64_t pat_civil_minutes(int year, int month, int day, int hour, int minute);

/* Inverse of pat_civil_minutes. */
void pat_minutes_civil(int64_t t, int *year, int *month, int *day, int *hour, int *minute);

/* Parse "YYYY-MM-DD HH:MM[:SS]" (or with 'T' between date and time) from
 * s[0..len). Fields are range-checked (February 30 is refused). Returns 1
 * and sets *minute and *seconds on success, 0 on a malformed text. */
int pat_parse_timestamp(const char *s, size_t len, int64_t *minute, int *seconds);

/* Parse "YYYY-MM-DD"; *minute is its midnight. Returns 1 on success. */
int pat_parse_date(const char *s, size_t len, int64_t *minute);

#endif /* PAT_DATA_CLOCK_H */
