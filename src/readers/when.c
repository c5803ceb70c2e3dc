/* when.c - date and time spellings of activity files (when.h). */
#include "readers/when.h"

#include <string.h>

#include "data/clock.h"

int pat_date_order_parse(const char *name) {
    static const char *const names[] = {"auto", "ymd", "mdy", "dmy"};
    for (int k = 0; k < 4; k++)
        if (strcmp(name, names[k]) == 0) return k;
    if (strcmp(name, "us") == 0) return PAT_DATE_MDY;
    if (strcmp(name, "day-first") == 0) return PAT_DATE_DMY;
    return -1;
}

const char *pat_date_order_name(enum pat_date_order o) {
    static const char *const names[] = {"auto", "ymd", "mdy", "dmy"};
    return (unsigned)o < 4 ? names[o] : "?";
}

int64_t pat_days_from_civil(int y, int m, int d) {
    return pat_civil_minutes(y, m, d, 0, 0) / PAT_MINUTES_PER_DAY;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Up to max digits from s[*i]; at least one. */
static int number(const char *s, size_t len, size_t *i, int max, int *v) {
    int x = 0, k = 0;
    while (*i < len && k < max && is_digit(s[*i])) {
        x = x * 10 + (s[(*i)++] - '0');
        k++;
    }
    *v = x;
    return k;
}

static int month_name(const char *s, size_t len, size_t *i, int *m) {
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (*i + 3 > len) return 0;
    char a[3];
    for (int k = 0; k < 3; k++) {
        char c = s[*i + (size_t)k];
        a[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    for (int k = 0; k < 12; k++)
        if (memcmp(a, names + 3 * k, 3) == 0) {
            *m = k + 1;
            *i += 3;
            while (*i < len && ((s[*i] >= 'a' && s[*i] <= 'z') || (s[*i] >= 'A' && s[*i] <= 'Z')))
                (*i)++; /* "March" */
            return 1;
        }
    return 0;
}

static int valid_date(int y, int m, int d) {
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= (m == 2 && leap ? 29 : dm[m - 1]);
}

/* Date at s[*i]; leaves *i after it. */
static enum pat_when date_at(const char *s, size_t len, size_t *i, enum pat_date_order order,
                             int64_t *day) {
    int a, b, c, y, m, d;
    size_t k0 = *i;
    int na = number(s, len, i, 4, &a);
    if (!na || *i >= len) return PAT_WHEN_BAD;
    char sep = s[*i];
    if (sep != '-' && sep != '/' && sep != '.') return PAT_WHEN_BAD;
    (*i)++;
    if (na == 4) { /* year first */
        if (!number(s, len, i, 2, &b) || *i >= len || s[*i] != sep) return PAT_WHEN_BAD;
        (*i)++;
        if (!number(s, len, i, 2, &c)) return PAT_WHEN_BAD;
        y = a, m = b, d = c;
    } else {
        int named = month_name(s, len, i, &b);
        if (!named && !number(s, len, i, 2, &b)) return PAT_WHEN_BAD;
        if (*i >= len || s[*i] != sep) return PAT_WHEN_BAD;
        (*i)++;
        size_t y0 = *i;
        if (number(s, len, i, 4, &c) != 4 || na > 2 || *i - y0 != 4) return PAT_WHEN_BAD;
        y = c;
        if (named) m = b, d = a;
        else if (order == PAT_DATE_DMY || (order != PAT_DATE_MDY && a > 12)) d = a, m = b;
        else if (order == PAT_DATE_YMD) return PAT_WHEN_BAD;
        else {
            m = a, d = b;
            if (m > 12 && b <= 12) return PAT_WHEN_DAY_FIRST;
        }
    }
    (void)k0;
    if (!valid_date(y, m, d)) return PAT_WHEN_BAD;
    *day = pat_days_from_civil(y, m, d);
    return PAT_WHEN_OK;
}

enum pat_when pat_when_date(const char *s, size_t len, enum pat_date_order order, int64_t *day) {
    size_t i = 0;
    enum pat_when w = date_at(s, len, &i, order, day);
    return w != PAT_WHEN_OK ? w : i == len ? PAT_WHEN_OK : PAT_WHEN_BAD;
}

/* Z, +hh:mm, +hhmm, +hh (checked, not applied). */
static int offset_at(const char *s, size_t len, size_t *i) {
    if (*i < len && s[*i] == 'Z') {
        (*i)++;
        return 1;
    }
    if (*i >= len || (s[*i] != '+' && s[*i] != '-')) return 0;
    (*i)++;
    int h, m = 0;
    if (number(s, len, i, 2, &h) != 2) return 0;
    if (*i < len && s[*i] == ':') (*i)++;
    if (*i < len && number(s, len, i, 2, &m) != 2) return 0;
    return h <= 14 && m <= 59;
}

static void skip_spaces(const char *s, size_t len, size_t *i) {
    while (*i < len && s[*i] == ' ') (*i)++;
}

/* Time at s[*i]; leaves *i after it. */
static enum pat_when time_at(const char *s, size_t len, size_t *i, int64_t *ms) {
    int h, mi, sec = 0, frac = 0;
    if (!number(s, len, i, 2, &h) || *i >= len || s[*i] != ':') return PAT_WHEN_BAD;
    (*i)++;
    if (number(s, len, i, 2, &mi) != 2) return PAT_WHEN_BAD;
    if (*i < len && s[*i] == ':') {
        (*i)++;
        if (number(s, len, i, 2, &sec) != 2) return PAT_WHEN_BAD;
        if (*i < len && (s[*i] == '.' || s[*i] == ',')) {
            (*i)++;
            int scale = 100, k = 0;
            while (*i < len && is_digit(s[*i])) {
                if (k++ < 3) frac += (s[*i] - '0') * scale, scale /= 10;
                (*i)++;
            }
            if (!k) return PAT_WHEN_BAD;
        }
    }
    size_t j = *i;
    skip_spaces(s, len, &j);
    if (j + 2 <= len && (s[j + 1] == 'M' || s[j + 1] == 'm') &&
        (s[j] == 'A' || s[j] == 'a' || s[j] == 'P' || s[j] == 'p')) {
        if (h < 1 || h > 12) return PAT_WHEN_BAD;
        h = h % 12 + ((s[j] == 'P' || s[j] == 'p') ? 12 : 0);
        *i = j + 2;
    }
    if (h > 23 || mi > 59 || sec > 59) return PAT_WHEN_BAD;
    j = *i;
    skip_spaces(s, len, &j);
    if (j < len && offset_at(s, len, &j)) *i = j;
    *ms = ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
    return PAT_WHEN_OK;
}

enum pat_when pat_when_time(const char *s, size_t len, int64_t *ms) {
    size_t i = 0;
    enum pat_when w = time_at(s, len, &i, ms);
    return w != PAT_WHEN_OK ? w : i == len ? PAT_WHEN_OK : PAT_WHEN_BAD;
}

enum pat_when pat_when_datetime(const char *s, size_t len, enum pat_date_order order,
                                int64_t *ms) {
    size_t i = 0;
    int64_t day, t = 0;
    enum pat_when w = date_at(s, len, &i, order, &day);
    if (w != PAT_WHEN_OK) return w;
    if (i < len) {
        if (s[i] == 'T') i++;
        else if (s[i] == ' ') skip_spaces(s, len, &i);
        else return PAT_WHEN_BAD;
        if ((w = time_at(s, len, &i, &t)) != PAT_WHEN_OK) return w;
    }
    if (i != len) return PAT_WHEN_BAD;
    *ms = day * 86400000 + t;
    return PAT_WHEN_OK;
}
