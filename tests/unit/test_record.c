/* test_record.c - journal payload encoding round trips and hostile decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_err.h"
#include "cb_record.h"

#include <string.h>

static bool span_same(cb_span_t a, cb_span_t b)
{
    if (!a.p || !b.p)
        return !a.p && !b.p;
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static void test_record_event_round_trip_keeps_absent_and_empty_apart(void **state)
{
    (void)state;
    cb_record_event_t r = {.seq = 77};
    memset(r.key, 0xAB, sizeof r.key);
    r.ev.id = cb_span_str("");
    r.ev.created_at = cb_span_str("2026-11-28T12:00:00Z");
    r.ev.sender = cb_span_str("SUP");
    r.ev.job_id = cb_span_str("JOB-9");
    r.ev.text = cb_span_str("¿Le cambio la leche?");
    static uint8_t buf[512];
    int n = cb_record_event_encode(&r, buf, sizeof buf);
    assert_true(n > 0);
    cb_record_event_t d;
    assert_int_equal(cb_record_event_decode(buf, (size_t)n, &d), CB_OK);
    assert_int_equal(d.seq, 77);
    assert_memory_equal(d.key, r.key, CB_DUPKEY_LEN);
    assert_true(span_same(d.ev.id, r.ev.id));
    assert_non_null(d.ev.id.p);
    assert_null(d.ev.type.p);
    assert_null(d.ev.client_id.p);
    assert_true(span_same(d.ev.text, r.ev.text));
    assert_true(span_same(d.ev.job_id, r.ev.job_id));
}

static void test_record_encode_refuses_small_buffer(void **state)
{
    (void)state;
    cb_record_event_t r = {.seq = 1};
    r.ev.text = cb_span_str("0123456789");
    uint8_t buf[40];
    assert_int_equal(cb_record_event_encode(&r, buf, sizeof buf), CB_ERR_TOO_LARGE);
}

static void test_record_decode_rejects_every_truncation_and_trailing_byte(void **state)
{
    (void)state;
    cb_record_event_t r = {.seq = 5};
    r.ev.job_id = cb_span_str("J");
    r.ev.text = cb_span_str("hello");
    static uint8_t buf[256];
    int n = cb_record_event_encode(&r, buf, sizeof buf - 1);
    assert_true(n > 0);
    cb_record_event_t d;
    for (int cut = 0; cut < n; cut++)
        assert_int_equal(cb_record_event_decode(buf, (size_t)cut, &d), CB_ERR_CORRUPT);
    buf[n] = 0;
    assert_int_equal(cb_record_event_decode(buf, (size_t)n + 1, &d), CB_ERR_CORRUPT);
    /* a length pointing past the end */
    memset(buf + 20, 0x7F, 4);
    assert_int_equal(cb_record_event_decode(buf, (size_t)n, &d), CB_ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_event_round_trip_keeps_absent_and_empty_apart),
        cmocka_unit_test(test_record_encode_refuses_small_buffer),
        cmocka_unit_test(test_record_decode_rejects_every_truncation_and_trailing_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
