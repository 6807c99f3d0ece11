/* test_span.c - unit tests for cb_span: the case-insensitive compare that
 * header names, routes and media types go through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_span.h"

static void test_span_ieq_folds_ascii_letters_only(void **state)
{
    (void)state;
    assert_true(cb_span_ieq(cb_span_str("Content-Type"), "content-type"));
    assert_true(cb_span_ieq(cb_span_str("CONTENT-TYPE"), "Content-Type"));
    assert_true(cb_span_ieq(cb_span_str(""), ""));
    assert_false(cb_span_ieq(cb_span_str("Content-Typf"), "content-type"));
    /* bytes 0x20 apart that are not letters stay different */
    assert_false(cb_span_ieq(cb_span_str("["), "{"));
    assert_false(cb_span_ieq(cb_span_str("@"), "`"));
    assert_false(cb_span_ieq(cb_span_str("\xc1"), "\xe1"));
    for (int c = 1; c < 256; c++) {
        char a[2] = {(char)c, 0};
        for (int d = 1; d < 256; d++) {
            char b[2] = {(char)d, 0};
            int fold_c = c >= 'A' && c <= 'Z' ? c + 32 : c;
            int fold_d = d >= 'A' && d <= 'Z' ? d + 32 : d;
            assert_int_equal(cb_span_ieq(cb_span(a, 1), b), fold_c == fold_d);
        }
    }
}

static void test_span_ieq_needs_the_same_length(void **state)
{
    (void)state;
    assert_false(cb_span_ieq(cb_span_str("Host"), "Hos"));
    assert_false(cb_span_ieq(cb_span_str("Hos"), "Host"));
    assert_false(cb_span_ieq(cb_span_str(""), "a"));
    assert_false(cb_span_ieq(cb_span_str("a"), ""));
    /* a NUL inside the span is a byte like any other: it ends only lit */
    assert_false(cb_span_ieq(cb_span("ab\0c", 4), "ab"));
    assert_false(cb_span_ieq(cb_span("ab\0", 3), "ab"));
    assert_true(cb_span_ieq(cb_span("hostX", 4), "HOST")); /* only len bytes are read */
}

static void test_span_ieq_of_an_absent_span_is_false(void **state)
{
    (void)state;
    assert_false(cb_span_ieq(CB_SPAN_NONE, ""));
    assert_false(cb_span_ieq(CB_SPAN_NONE, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_span_ieq_folds_ascii_letters_only),
        cmocka_unit_test(test_span_ieq_needs_the_same_length),
        cmocka_unit_test(test_span_ieq_of_an_absent_span_is_false),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
