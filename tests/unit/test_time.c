/* test_time.c - unit tests for cb_time_parse: the ISO 8601 forms SPEC 1 reads
 * leniently, zone offsets, Unix seconds and milliseconds, calendar checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_err.h"
#include "cb_time.h"

#include <stdio.h>
#include <string.h>

#define T_2026_11_28_NOON 1795867200000LL /* 2026-11-28T12:00:00Z */
#define T_2025_11_28_NOON 1764331200000LL /* 2025-11-28T12:00:00Z */
#define T_2022_01_01      1640995200000LL /* 2022-01-01T00:00:00Z */

static int64_t parse_ok(const char *s)
{
    int64_t ms = -12345;
    int rc = cb_time_parse(cb_span_str(s), &ms);
    if (rc != CB_OK)
        fail_msg("\"%s\" not read (rc %d)", s, rc);
    return ms;
}

static const struct {
    const char *text;
    int64_t ms;
} k_good[] = {
    {"2026-11-28T12:00:00Z", T_2026_11_28_NOON},
    {"2026-11-28T12:00:00.000Z", T_2026_11_28_NOON},
    {"2026-11-28T12:00:00+00:00", T_2026_11_28_NOON},
    {"2026-11-28T12:00:00+0000", T_2026_11_28_NOON},
    {"2026-11-28T12:00:00+00", T_2026_11_28_NOON},
    {"2026-11-28T12:00:00-00:00", T_2026_11_28_NOON},
    {"2026-11-28t12:00:00z", T_2026_11_28_NOON},
    {"2026-11-28 12:00:00Z", T_2026_11_28_NOON},
    {"2026-11-28T12:00Z", T_2026_11_28_NOON},
    {"2026-11-28T12:00:00", T_2026_11_28_NOON}, /* no zone: UTC (SPEC 3) */
    {"2026-11-28T12:00:00.000", T_2026_11_28_NOON},
    {"2026-11-28T12:00", T_2026_11_28_NOON},
    {"2026-11-28T14:00:00+02:00", T_2026_11_28_NOON},
    {"2026-11-28T14:00:00+0200", T_2026_11_28_NOON},
    {"2026-11-28T14:00:00+02", T_2026_11_28_NOON},
    {"2026-11-28T07:00:00-05:00", T_2026_11_28_NOON},
    {"2026-11-28T17:30:00+05:30", T_2026_11_28_NOON},
    {"2026-11-29T01:45:00+13:45", T_2026_11_28_NOON}, /* across midnight */
    {"2026-11-27T22:00:00-14:00", T_2026_11_28_NOON},
    {"2022-01-01T0:00:00+0000", T_2022_01_01}, /* InstaLeap's sample */
    {"2022-01-01T00:00:00+0000", T_2022_01_01},
    {"2022-01-01T5:00:00+05:00", T_2022_01_01},
    {"2021-08-05T00:54:27.918Z", 1628124867918LL},
    {"2021-08-05T00:54:27.9Z", 1628124867900LL},
    {"2021-08-05T00:54:27.91Z", 1628124867910LL},
    {"2021-08-05T00:54:27.918273645Z", 1628124867918LL}, /* any length, truncated */
    {"2021-08-05T00:54:27,5Z", 1628124867500LL},
    {"2022-03-08T00:18:39.115Z", 1646698719115LL},
    {"1970-01-01T00:00:00Z", 0},
    {"1969-12-31T23:59:59Z", -1000},
    {"2000-02-29T00:00:00Z", 951782400000LL},
    {"2024-02-29T12:00:00Z", 1709208000000LL},
    {"2016-12-31T23:59:60Z", 1483228800000LL}, /* leap second = next minute */
    {"9999-12-31T23:59:59.999Z", 253402300799999LL},
    /* Unix time: seconds below 12 digits, milliseconds from 12 */
    {"1764331200", T_2025_11_28_NOON},
    {"1764331200000", T_2025_11_28_NOON},
    {"1795867200000", T_2026_11_28_NOON},
    {"0", 0},
    {"99999999999", 99999999999000LL},
    {"100000000000", 100000000000LL},
    {"253402300799999", 253402300799999LL},
};

static void test_time_reads_iso_forms_and_offsets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_good / sizeof k_good[0]; i++) {
        int64_t ms = parse_ok(k_good[i].text);
        if (ms != k_good[i].ms)
            fail_msg("\"%s\": %lld, want %lld", k_good[i].text, (long long)ms,
                     (long long)k_good[i].ms);
    }
}

static void test_time_offset_is_subtracted(void **state)
{
    (void)state;
    assert_true(parse_ok("2026-11-28T12:00:00+02:00") == parse_ok("2026-11-28T10:00:00Z"));
    assert_true(parse_ok("2026-11-28T12:00:00-02:00") == parse_ok("2026-11-28T14:00:00Z"));
    assert_true(parse_ok("2026-11-28T12:00:00+02:00") + 4 * 3600000LL ==
                parse_ok("2026-11-28T12:00:00-02:00"));
}

static const char *const k_bad[] = {
    "",
    "garbage",
    "2026-13-01T00:00:00Z",  /* month 13 */
    "2026-00-01T00:00:00Z",  /* month 0 */
    "2026-02-30T00:00:00Z",  /* Feb 30 */
    "2023-02-29T00:00:00Z",  /* not a leap year */
    "1900-02-29T00:00:00Z",  /* century, not a leap year */
    "2026-04-31T00:00:00Z",  /* April has 30 */
    "2026-01-32T00:00:00Z",  /* day 32 */
    "2026-01-00T00:00:00Z",  /* day 0 */
    "2026-11-28T25:00:00Z",  /* hour 25 */
    "2026-11-28T24:00:00Z",  /* hour 24 */
    "2026-11-28T12:60:00Z",  /* minute 60 */
    "2026-11-28T12:00:61Z",  /* second 61 */
    "2026-11-28",            /* no time */
    "2026-11-28T",           /* no time */
    "2026-11-28T12Z",        /* no minutes */
    "2026-11-28T12:0Z",      /* one-digit minute */
    "2026-11-28T12:00:0Z",   /* one-digit second */
    "2026-11-28T123:00:00Z", /* three-digit hour */
    "2026-11-28T:00:00Z",    /* no hour */
    "26-11-28T12:00:00Z",    /* two-digit year */
    "20261-11-28T12:00:00Z", /* five-digit year */
    "2026-1-28T12:00:00Z",   /* one-digit month */
    "2026/11/28T12:00:00Z",  /* wrong separators */
    "2026-11-28X12:00:00Z",  /* wrong T */
    "2026-11-28T12:00:00.Z", /* dot without digits */
    "2026-11-28T12:00:00ZZ", /* trailing garbage */
    "2026-11-28T12:00:00Z ", /* trailing space */
    " 2026-11-28T12:00:00Z", /* leading space */
    "2026-11-28T12:00:00+2:00",
    "2026-11-28T12:00:00+02:0",
    "2026-11-28T12:00:00+02:",
    "2026-11-28T12:00:00+020",
    "2026-11-28T12:00:00+24:00", /* offset hour 24 */
    "2026-11-28T12:00:00+02:60", /* offset minute 60 */
    "2026-11-28T12:00:00+02:00:00",
    "2026-11-28T12:00:00 +02:00",
    "2026-11-28T12:00:00UTC",
    "-1764331200",
    "+1764331200",
    "1764331200.5",
    "253402300800000",      /* past 9999-12-31 in ms */
    "99999999999999999999", /* overflows 64 bits */
    "1e10",
};

static void test_time_rejects_unreadable_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        int64_t ms = 777;
        if (cb_time_parse(cb_span_str(k_bad[i]), &ms) != CB_ERR_INVAL)
            fail_msg("\"%s\" accepted as %lld", k_bad[i], (long long)ms);
    }
}

static void test_time_rejects_absent_span_and_respects_length(void **state)
{
    int64_t ms = 0;
    (void)state;
    assert_int_equal(cb_time_parse(CB_SPAN_NONE, &ms), CB_ERR_INVAL);
    assert_int_equal(cb_time_parse(cb_span_str("2026-11-28T12:00:00Z"), NULL), CB_ERR_INVAL);
    /* bytes past len are not read: cut before its offset, it has no zone (UTC) */
    assert_int_equal(cb_time_parse(cb_span("2026-11-28T12:00:00+02:00", 19), &ms), CB_OK);
    assert_true(ms == T_2026_11_28_NOON);
    assert_int_equal(cb_time_parse(cb_span("2026-11-28T12:00:00Z", 18), &ms), CB_ERR_INVAL);
    assert_int_equal(cb_time_parse(cb_span("2026-11-28T12:00:00+02:00", 22), &ms), CB_OK);
    assert_true(ms == parse_ok("2026-11-28T10:00:00Z"));
    assert_int_equal(cb_time_parse(cb_span("17643312009", 10), &ms), CB_OK);
    assert_true(ms == T_2025_11_28_NOON);
}

/* Every day from 1899 to 2101 is exactly one day after the one before, and
 * the calendar (month lengths, leap years) matches the rules. */
static void test_time_days_advance_one_at_a_time(void **state)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char buf[32];
    int64_t prev = 0;
    bool first = true;
    unsigned days = 0;
    (void)state;
    for (int y = 1899; y <= 2101; y++) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int nd = mdays[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= nd + 1; d++) {
                int64_t ms;
                snprintf(buf, sizeof buf, "%04d-%02d-%02dT00:00:00Z", y, m, d);
                int rc = cb_time_parse(cb_span_str(buf), &ms);
                if (d == nd + 1) {
                    if (rc != CB_ERR_INVAL)
                        fail_msg("%s accepted", buf);
                    continue;
                }
                if (rc != CB_OK)
                    fail_msg("%s rejected", buf);
                if (!first && ms - prev != 86400000LL)
                    fail_msg("%s is not one day after the day before", buf);
                if (y == 1970 && m == 1 && d == 1)
                    assert_true(ms == 0);
                prev = ms;
                first = false;
                days++;
            }
        }
    }
    assert_true(days > 70000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_reads_iso_forms_and_offsets),
        cmocka_unit_test(test_time_offset_is_subtracted),
        cmocka_unit_test(test_time_rejects_unreadable_input),
        cmocka_unit_test(test_time_rejects_absent_span_and_respects_length),
        cmocka_unit_test(test_time_days_advance_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
