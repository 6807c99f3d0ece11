/* test_record.c - journal payload encoding round trips and hostile decode:
 * events and the fixed-size records (ack, seen, state, flags). */
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

static void test_record_small_records_round_trip_in_their_fixed_layout(void **state)
{
    (void)state;
    static const struct {
        uint8_t type;
        size_t len;
    } k[] = {{CB_REC_ACK, 4}, {CB_REC_STATE, 4}, {CB_REC_FLAGS, 4}, {CB_REC_SEEN, 20}};
    for (unsigned i = 0; i < sizeof k / sizeof k[0]; i++) {
        cb_record_small_t r = {.value = 0x01020304u + i}, d;
        memset(r.key, 0xA0 + (int)i, sizeof r.key);
        uint8_t buf[CB_RECORD_SMALL_MAX + 1];
        memset(buf, 0xEE, sizeof buf);
        assert_int_equal(cb_record_small_len(k[i].type), k[i].len);
        assert_int_equal(cb_record_small_encode(k[i].type, &r, buf), k[i].len);
        assert_int_equal(buf[0], 0x04 + i); /* little-endian */
        assert_int_equal(buf[3], 0x01);
        assert_int_equal(buf[k[i].len], 0xEE); /* nothing past its length */
        assert_int_equal(cb_record_small_decode(k[i].type, buf, k[i].len, &d), CB_OK);
        assert_int_equal(d.value, r.value);
        if (k[i].type == CB_REC_SEEN)
            assert_memory_equal(d.key, r.key, CB_DUPKEY_LEN);
        /* any other length is damage */
        assert_int_equal(cb_record_small_decode(k[i].type, buf, k[i].len - 1, &d), CB_ERR_CORRUPT);
        assert_int_equal(cb_record_small_decode(k[i].type, buf, k[i].len + 1, &d), CB_ERR_CORRUPT);
    }
}

static void test_record_seen_run_holds_consecutive_seqs_and_whole_keys_only(void **state)
{
    (void)state;
    uint8_t buf[CB_RECORD_RUN_BYTES];
    for (size_t i = 0; i < CB_RECORD_RUN_MAX; i++)
        memset(buf + 4 + i * CB_DUPKEY_LEN, (int)i, CB_DUPKEY_LEN);
    size_t len = cb_record_run_encode(0x01020304u, CB_RECORD_RUN_MAX, buf);
    assert_int_equal(len, sizeof buf);
    assert_int_equal(buf[0], 0x04); /* little-endian */
    uint32_t first;
    size_t n;
    assert_int_equal(cb_record_run_decode(buf, len, &first, &n), CB_OK);
    assert_int_equal(first, 0x01020304u);
    assert_int_equal(n, CB_RECORD_RUN_MAX);
    assert_int_equal(buf[4 + 3 * CB_DUPKEY_LEN], 3); /* key i of seq first + i */
    assert_int_equal(cb_record_run_decode(buf, 4 + CB_DUPKEY_LEN, &first, &n), CB_OK);
    assert_int_equal(n, 1);
    /* no key, or a part of one, is damage */
    assert_int_equal(cb_record_run_decode(buf, 4, &first, &n), CB_ERR_CORRUPT);
    assert_int_equal(cb_record_run_decode(buf, 3, &first, &n), CB_ERR_CORRUPT);
    assert_int_equal(cb_record_run_decode(buf, len - 1, &first, &n), CB_ERR_CORRUPT);
}

static void test_record_small_refuses_types_that_are_not_fixed_size(void **state)
{
    (void)state;
    cb_record_small_t r = {.value = 1}, d;
    uint8_t buf[CB_RECORD_SMALL_MAX] = {0};
    const uint8_t types[] = {0, CB_REC_EVENT, CB_REC_KEY, 0x7F, 0xEF};
    for (unsigned i = 0; i < sizeof types; i++) {
        assert_int_equal(cb_record_small_len(types[i]), 0);
        assert_int_equal(cb_record_small_encode(types[i], &r, buf), 0);
        assert_int_equal(cb_record_small_decode(types[i], buf, 4, &d), CB_ERR_CORRUPT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_event_round_trip_keeps_absent_and_empty_apart),
        cmocka_unit_test(test_record_encode_refuses_small_buffer),
        cmocka_unit_test(test_record_decode_rejects_every_truncation_and_trailing_byte),
        cmocka_unit_test(test_record_small_records_round_trip_in_their_fixed_layout),
        cmocka_unit_test(test_record_seen_run_holds_consecutive_seqs_and_whole_keys_only),
        cmocka_unit_test(test_record_small_refuses_types_that_are_not_fixed_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
