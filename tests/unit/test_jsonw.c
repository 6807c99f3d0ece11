/* test_jsonw.c - the bounded JSON writer: escaping, nesting, numbers, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_err.h"
#include "cb_jsonw.h"

#include <string.h>

static void test_jsonw_writes_nested_objects_and_arrays(void **state)
{
    (void)state;
    char buf[128];
    cb_jsonw_t w;
    cb_jsonw_init(&w, buf, sizeof buf);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "kind", "message");
    cb_jsonw_kv_u64(&w, "seq", 18446744073709551615ull);
    cb_jsonw_key(&w, "n");
    cb_jsonw_u64(&w, 0);
    cb_jsonw_key(&w, "lines");
    cb_jsonw_arr_begin(&w);
    cb_jsonw_cstr(&w, "a");
    cb_jsonw_cstr(&w, "");
    cb_jsonw_bool(&w, true);
    cb_jsonw_arr_end(&w);
    cb_jsonw_obj_end(&w);
    assert_int_equal(cb_jsonw_finish(&w), (int)strlen(buf));
    assert_string_equal(buf, "{\"kind\":\"message\",\"seq\":18446744073709551615,"
                             "\"n\":0,\"lines\":[\"a\",\"\",true]}");
}

static void test_jsonw_escapes_quotes_controls_and_keeps_utf8(void **state)
{
    (void)state;
    char buf[128];
    cb_jsonw_t w;
    cb_jsonw_init(&w, buf, sizeof buf);
    const char in[] = "a\"b\\c\n\r\t\x01\x7f é🚚";
    cb_jsonw_str(&w, in, sizeof in - 1);
    assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u007f é🚚\"");
    /* a NUL inside the data is escaped too, not a terminator */
    cb_jsonw_init(&w, buf, sizeof buf);
    cb_jsonw_str(&w, "x\0y", 3);
    assert_string_equal(buf, "\"x\\u0000y\"");
}

static void test_jsonw_overflow_is_reported_and_never_writes_past_cap(void **state)
{
    (void)state;
    char buf[16];
    memset(buf, 'Z', sizeof buf);
    cb_jsonw_t w;
    cb_jsonw_init(&w, buf, 10);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "key", "a long value");
    cb_jsonw_obj_end(&w);
    assert_int_equal(cb_jsonw_finish(&w), CB_ERR_NOMEM);
    assert_true(strlen(buf) < 10);
    for (size_t i = 10; i < sizeof buf; i++)
        assert_int_equal(buf[i], 'Z');
    /* exactly fitting output (with its NUL) is fine */
    cb_jsonw_init(&w, buf, 5);
    cb_jsonw_cstr(&w, "ab");
    assert_int_equal(cb_jsonw_finish(&w), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonw_writes_nested_objects_and_arrays),
        cmocka_unit_test(test_jsonw_escapes_quotes_controls_and_keeps_utf8),
        cmocka_unit_test(test_jsonw_overflow_is_reported_and_never_writes_past_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
