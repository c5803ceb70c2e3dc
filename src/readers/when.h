/* when.h - the date and time spellings found in activity files, read into
 * wall-clock seconds since 1970-01-01 00:00 (no time zones: the clock time
 * as written is the local wall clock; docs/data.md "Input formats").
 *
 * Dates: 2024-03-04, 2024/03/04, 3/4/2024 (month first, --date-format mdy),
 * 4/3/2024 or 04.03.2024 (day first, dmy), 04-Mar-2024. Times: H:MM,
 * H:MM:SS, fractional seconds, AM/PM, and an offset (Z, +01:00, +0100, +01)
 * that is checked and otherwise ignored. */
#ifndef PAT_READERS_WHEN_H
#define PAT_READERS_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* Order of day, month and year in a date whose year is not first. */
enum pat_date_order {
    PAT_DATE_AUTO = 0, /* month first unless the first number is above 12 */
    PAT_DATE_YMD = 1,
    PAT_DATE_MDY = 2,
    PAT_DATE_DMY = 3,
};

/* Result of a parse. */
enum pat_when {
    PAT_WHEN_OK = 0,
    PAT_WHEN_BAD = 1,      /* not a date/time */
    PAT_WHEN_DAY_FIRST = 2 /* month-first reading impossible: the middle number is a day > 12 */
};

/* "mdy", "dmy", "ymd", "auto" -> order; -1 when unknown. */
int pat_date_order_parse(const char *name);
const char *pat_date_order_name(enum pat_date_order o);

/* A date alone, s[0..len): *day = days since 1970-01-01. */
enum pat_when pat_when_date(const char *s, size_t len, enum pat_date_order order, int64_t *day);

/* A time of day alone: *ms = milliseconds since midnight (0..86399999). */
enum pat_when pat_when_time(const char *s, size_t len, int64_t *ms);

/* A date and a time separated by one or more spaces or a 'T' (a date
 * alone is midnight): *ms = wall-clock milliseconds since 1970-01-01. */
enum pat_when pat_when_datetime(const char *s, size_t len, enum pat_date_order order,
                                int64_t *ms);

/* Days since 1970-01-01 of a valid civil date. */
int64_t pat_days_from_civil(int y, int m, int d);

#endif /* PAT_READERS_WHEN_H */
