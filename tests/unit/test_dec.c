/* test_dec.c - unit tests for cb_dec: decimal text of u32/u64 values at
 * every digit count and at the type limits, against snprintf; bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_dec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Formats v both ways and compares the text and the length. */
static void check_u64(uint64_t v)
{
    char want[32], got[CB_DEC_U64_MAX + 4];
    int wn = snprintf(want, sizeof want, "%" PRIu64, v);
    memset(got, '#', sizeof got);
    size_t n = cb_dec_u64(got, CB_DEC_U64_MAX, v);
    assert_int_equal(n, (size_t)wn);
    assert_memory_equal(got, want, n);
    assert_int_equal(got[n], '#'); /* nothing past the digits, no NUL */
}

static void check_u32(uint32_t v)
{
    char want[16], got[CB_DEC_U32_MAX + 4];
    int wn = snprintf(want, sizeof want, "%" PRIu32, v);
    memset(got, '#', sizeof got);
    size_t n = cb_dec_u32(got, CB_DEC_U32_MAX, v);
    assert_int_equal(n, (size_t)wn);
    assert_memory_equal(got, want, n);
    assert_int_equal(got[n], '#');
}

static void test_dec_formats_zero_and_limits(void **state)
{
    (void)state;
    char b[CB_DEC_U64_MAX];
    assert_int_equal(cb_dec_u32(b, sizeof b, 0), 1);
    assert_int_equal(b[0], '0');
    assert_int_equal(cb_dec_u64(b, sizeof b, 0), 1);
    assert_int_equal(b[0], '0');
    assert_int_equal(cb_dec_u32(b, sizeof b, UINT32_MAX), 10);
    assert_memory_equal(b, "4294967295", 10);
    assert_int_equal(cb_dec_u64(b, sizeof b, UINT64_MAX), 20);
    assert_memory_equal(b, "18446744073709551615", 20);
    /* either side of the 32-bit boundary the 64-bit path takes over at */
    assert_int_equal(cb_dec_u64(b, sizeof b, (uint64_t)UINT32_MAX + 1), 10);
    assert_memory_equal(b, "4294967296", 10);
    assert_int_equal(cb_dec_u64(b, sizeof b, UINT64_C(10000000000)), 11);
    assert_memory_equal(b, "10000000000", 11);
}

static void test_dec_agrees_with_printf_at_every_digit_count(void **state)
{
    (void)state;
    uint64_t p = 1;
    for (int d = 0; d < 20; d++, p *= 10) {
        check_u64(p);
        check_u64(p - 1);
        check_u64(p + 7);
        check_u64(p * 9 + (p - 1)); /* 9, 99, 999, ... */
        if (p <= UINT32_MAX) {
            check_u32((uint32_t)p);
            check_u32((uint32_t)(p - 1));
        }
    }
    /* a pseudo-random walk over the whole range */
    uint64_t x = UINT64_C(0x9E3779B97F4A7C15);
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_u64(x);
        check_u64(x >> (i % 64));
        check_u32((uint32_t)(x >> (i % 32)));
    }
}

static void test_dec_writes_nothing_when_the_digits_do_not_fit(void **state)
{
    (void)state;
    char b[8];
    memset(b, '#', sizeof b);
    assert_int_equal(cb_dec_u32(b, 4, 12345), 0);
    assert_int_equal(cb_dec_u64(b, 0, 0), 0);
    assert_int_equal(cb_dec_u64(b, 7, UINT64_C(12345678)), 0);
    assert_memory_equal(b, "########", 8);
    assert_int_equal(cb_dec_u32(b, 5, 12345), 5); /* exactly fits */
    assert_memory_equal(b, "12345###", 8);
    assert_int_equal(cb_dec_u64(NULL, 20, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_formats_zero_and_limits),
        cmocka_unit_test(test_dec_agrees_with_printf_at_every_digit_count),
        cmocka_unit_test(test_dec_writes_nothing_when_the_digits_do_not_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
