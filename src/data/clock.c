/* clock.c - civil calendar arithmetic on a proleptic Gregorian calendar,
 * using the era/day-of-era decomposition (400-year cycles of 146,097 days). */
#include "data/clock.h"

#include <stdio.h>

#include "pat.h"

int64_t pat_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t pat_floor_mod(int64_t a, int64_t b) { return a - pat_floor_div(a, b) * b; }

/* Days since 1970-01-01 of year/month/day, with March as the first month
 * of the computational year so that leap days fall at its end. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    if (m <= 2) y -= 1;
    int64_t era = pat_floor_div(y, 400);
    int64_t yoe = y - era * 400;                 /* [0, 399] */
    int64_t mp = m > 2 ? m - 3 : m + 9;          /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;    /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;          /* 719468: 0000-03-01 .. 1970-01-01 */
}

static void civil_from_days(int64_t z, int *year, int *month, int *day) {
    z += 719468;
    int64_t era = pat_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

int64_t pat_civil_minutes(int year, int month, int day, int hour, int minute) {
    return days_from_civil(year, month, day) * PAT_MINUTES_PER_DAY + hour * 60 + minute;
}

void pat_minutes_civil(int64_t t, int *year, int *month, int *day, int *hour, int *minute) {
    int64_t days = pat_floor_div(t, PAT_MINUTES_PER_DAY);
    int64_t rem = t - days * PAT_MINUTES_PER_DAY;
    civil_from_days(days, year, month, day);
    *hour = (int)(rem / 60);
    *minute = (int)(rem % 60);
}

void pat_time_format(long long minutes, char buf[PAT_TIME_LEN]) {
    int y, mo, d, h, mi;
    pat_minutes_civil((int64_t)minutes, &y, &mo, &d, &h, &mi);
    if (y < 0 || y > 9999) {
        snprintf(buf, PAT_TIME_LEN, "%lld", minutes);
        return;
    }
    snprintf(buf, PAT_TIME_LEN, "%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi);
}

/* n decimal digits at s into *v; returns 1 when all are digits. */
static int digits(const char *s, int n, int *v) {
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

static int days_in_month(int y, int m) {
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int parse_ymd(const char *s, int *y, int *m, int *d) {
    if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m) || s[7] != '-' ||
        !digits(s + 8, 2, d))
        return 0;
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

int pat_parse_date(const char *s, size_t len, int64_t *minute) {
    int y, m, d;
    if (len != 10 || !parse_ymd(s, &y, &m, &d)) return 0;
    *minute = pat_civil_minutes(y, m, d, 0, 0);
    return 1;
}

int pat_parse_timestamp(const char *s, size_t len, int64_t *minute, int *seconds) {
    int y, mo, d, h, mi, sec = 0;
    if ((len != 16 && len != 19) || !parse_ymd(s, &y, &mo, &d)) return 0;
    if ((s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi))
        return 0;
    if (len == 19 && (s[16] != ':' || !digits(s + 17, 2, &sec))) return 0;
    if (h > 23 || mi > 59 || sec > 59) return 0;
    *minute = pat_civil_minutes(y, mo, d, h, mi);
    *seconds = sec;
    return 1;
}
