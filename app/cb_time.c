/* cb_time.c - lenient ISO 8601 / Unix-time reading for the replay window
 * (SPEC 1); see cb_time.h. Called by the server and the signature check. */
#include "cb_time.h"
#include "cb_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 9999-12-31T23:59:59.999Z: the last instant a four-digit year can name; an
 * all-digit time past it is not a time. */
#define MAX_EPOCH_MS 253402300799999LL

/* count digits at s[*i] into *out; false if any is missing. */
static bool digits(cb_span_t s, size_t *i, unsigned count, int *out)
{
    int v = 0;
    for (unsigned k = 0; k < count; k++) {
        if (*i >= s.len || s.p[*i] < '0' || s.p[*i] > '9')
            return false;
        v = v * 10 + (s.p[(*i)++] - '0');
    }
    *out = v;
    return true;
}

static bool at(cb_span_t s, size_t i, char c)
{
    return i < s.len && s.p[i] == c;
}

static bool is_digit_at(cb_span_t s, size_t i)
{
    return i < s.len && s.p[i] >= '0' && s.p[i] <= '9';
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const unsigned char k_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : k_days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so the core needs no libc time functions. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_epoch(cb_span_t s, int64_t *epoch_ms)
{
    unsigned long long v;
    bool ms = s.len >= 12;
    if (cb_span_to_u64(s, ms ? MAX_EPOCH_MS : MAX_EPOCH_MS / 1000, &v) != CB_OK)
        return CB_ERR_INVAL;
    *epoch_ms = ms ? (int64_t)v : (int64_t)v * 1000;
    return CB_OK;
}

int cb_time_parse(cb_span_t s, int64_t *epoch_ms)
{
    int y, mo, d, h, mi, sec = 0, ms = 0, oh = 0, om = 0, sign = 0;
    size_t i = 0;

    if (!s.p || s.len == 0 || !epoch_ms)
        return CB_ERR_INVAL;
    while (i < s.len && is_digit_at(s, i))
        i++;
    if (i == s.len)
        return parse_epoch(s, epoch_ms);

    i = 0;
    if (!digits(s, &i, 4, &y) || !at(s, i++, '-') || !digits(s, &i, 2, &mo) || !at(s, i++, '-') ||
        !digits(s, &i, 2, &d))
        return CB_ERR_INVAL;
    if (!(at(s, i, 'T') || at(s, i, 't') || at(s, i, ' ')))
        return CB_ERR_INVAL;
    i++;
    /* InstaLeap's own sample has a one-digit hour: 2022-01-01T0:00:00+0000 */
    if (!digits(s, &i, is_digit_at(s, i + 1) ? 2 : 1, &h) || !at(s, i++, ':') ||
        !digits(s, &i, 2, &mi))
        return CB_ERR_INVAL;
    if (at(s, i, ':')) {
        i++;
        if (!digits(s, &i, 2, &sec))
            return CB_ERR_INVAL;
        if (at(s, i, '.') || at(s, i, ',')) {
            unsigned n = 0;
            i++;
            while (is_digit_at(s, i)) {
                if (n++ < 3)
                    ms = ms * 10 + (s.p[i] - '0');
                i++;
            }
            if (n == 0)
                return CB_ERR_INVAL;
            for (; n < 3; n++)
                ms *= 10;
        }
    }
    if (at(s, i, 'Z') || at(s, i, 'z')) {
        i++;
    } else if (at(s, i, '+') || at(s, i, '-')) {
        sign = s.p[i++] == '+' ? 1 : -1;
        if (!digits(s, &i, 2, &oh))
            return CB_ERR_INVAL;
        if (i < s.len) {
            if (at(s, i, ':'))
                i++;
            if (!digits(s, &i, 2, &om))
                return CB_ERR_INVAL;
        }
    }
    /* No zone: read as UTC (SPEC 3). InstaLeap's timestamps are UTC, and a
     * signed timestamp that cannot be read would be refused. */
    if (i != s.len)
        return CB_ERR_INVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60 ||
        oh > 23 || om > 59)
        return CB_ERR_INVAL;

    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    secs -= sign * (oh * 3600 + om * 60);
    *epoch_ms = secs * 1000 + ms;
    return CB_OK;
}
