/* test_inbox.c - duplicate set, unacknowledged list and shown cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_err.h"
#include "cb_inbox.h"
#include "fake_port.h"

#include <stdio.h>
#include <string.h>

/* The duplicate keys' secret (a device's comes from cb_ledger_dupkey_secret). */
static const uint8_t secret[CB_SIPHASH_KEY_LEN] = "0123456789abcdef";

static void key_of(uint32_t n, uint8_t key[CB_DUPKEY_LEN])
{
    char job[32];
    snprintf(job, sizeof job, "JOB-%u", (unsigned)n);
    const cb_span_t tuple[4] = {cb_span_str("2026-11-28T12:00:00Z"), cb_span_str("acme"),
                                cb_span_str("SH"), cb_span_str(job)};
    cb_inbox_key(secret, 3, tuple, 4, key);
}

static cb_record_event_t rec(uint32_t seq, const char *text)
{
    cb_record_event_t r = {.seq = seq};
    r.ev.sender = cb_span_str("SH");
    r.ev.job_id = cb_span_str("JOB-1");
    r.ev.text = cb_span_str(text);
    return r;
}

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    cb_inbox_init();
    return 0;
}

static void test_inbox_key_covers_scheme_and_every_field_of_the_tuple(void **state)
{
    (void)state;
    const cb_span_t a[4] = {cb_span_str("2026-11-28T12:00:00Z"), cb_span_str("acme"),
                            cb_span_str("SH"), cb_span_str("J1")};
    cb_span_t b[4];
    uint8_t ka[CB_DUPKEY_LEN], kb[CB_DUPKEY_LEN];
    cb_inbox_key(secret, 3, a, 4, ka);
    memcpy(b, a, sizeof b);
    cb_inbox_key(secret, 3, b, 4, kb);
    assert_memory_equal(ka, kb, CB_DUPKEY_LEN); /* same input, same key */
    cb_inbox_key(secret, 1, a, 4, kb);
    assert_memory_not_equal(ka, kb, CB_DUPKEY_LEN); /* the scheme counts */
    cb_inbox_key(secret, 3, a, 3, kb);
    assert_memory_not_equal(ka, kb, CB_DUPKEY_LEN); /* a shorter tuple differs */
    for (size_t i = 0; i < 4; i++) {
        memcpy(b, a, sizeof b);
        b[i] = cb_span_str("other");
        cb_inbox_key(secret, 3, b, 4, kb);
        if (memcmp(ka, kb, CB_DUPKEY_LEN) == 0)
            fail_msg("field %u does not change the key", (unsigned)i);
        b[i] = CB_SPAN_NONE;
        cb_inbox_key(secret, 3, b, 4, ka);
        b[i] = cb_span("", 0);
        cb_inbox_key(secret, 3, b, 4, kb);
        if (memcmp(ka, kb, CB_DUPKEY_LEN) == 0)
            fail_msg("field %u: absent and empty give one key", (unsigned)i);
        cb_inbox_key(secret, 3, a, 4, ka);
    }
    /* bytes moved across a field boundary make another key */
    const cb_span_t m1[2] = {cb_span_str("ab"), cb_span_str("c")};
    const cb_span_t m2[2] = {cb_span_str("a"), cb_span_str("bc")};
    cb_inbox_key(secret, 1, m1, 2, ka);
    cb_inbox_key(secret, 1, m2, 2, kb);
    assert_memory_not_equal(ka, kb, CB_DUPKEY_LEN);
    /* a long field (two-byte length prefix) too */
    char lng[300];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    const cb_span_t l1[1] = {cb_span_str(lng)};
    const cb_span_t l2[1] = {cb_span(lng, sizeof lng - 2)};
    cb_inbox_key(secret, 1, l1, 1, ka);
    cb_inbox_key(secret, 1, l2, 1, kb);
    assert_memory_not_equal(ka, kb, CB_DUPKEY_LEN);
    /* fields past the maximum are not read */
    cb_span_t many[CB_INBOX_KEY_FIELDS_MAX + 1];
    for (size_t i = 0; i <= CB_INBOX_KEY_FIELDS_MAX; i++)
        many[i] = cb_span_str("f");
    cb_inbox_key(secret, 0, many, CB_INBOX_KEY_FIELDS_MAX, ka);
    many[CB_INBOX_KEY_FIELDS_MAX] = cb_span_str("ignored");
    cb_inbox_key(secret, 0, many, CB_INBOX_KEY_FIELDS_MAX + 1, kb);
    assert_memory_equal(ka, kb, CB_DUPKEY_LEN);
}

/* The key is SipHash-2-4 under the secret of exactly the encoded bytes:
 * scheme, then per field 0 (absent) or LEB128(length + 1) and the bytes. A
 * journal's keys stay valid across builds only while this holds. */
static void test_inbox_key_is_siphash_of_the_encoded_tuple_under_the_secret(void **state)
{
    (void)state;
    const cb_span_t t[3] = {cb_span_str("ab"), CB_SPAN_NONE, cb_span("", 0)};
    const uint8_t enc[] = {3, 3, 'a', 'b', 0, 1};
    uint8_t got[CB_DUPKEY_LEN], want[CB_DUPKEY_LEN];
    cb_inbox_key(secret, 3, t, 3, got);
    cb_siphash_t h;
    cb_siphash_init(&h, secret, CB_DUPKEY_LEN);
    cb_siphash_update(&h, enc, sizeof enc);
    cb_siphash_final(&h, want);
    assert_memory_equal(got, want, CB_DUPKEY_LEN);
    /* another device (another secret) makes other keys from the same event */
    uint8_t other[CB_SIPHASH_KEY_LEN];
    memcpy(other, secret, sizeof other);
    other[CB_SIPHASH_KEY_LEN - 1] ^= 1;
    cb_inbox_key(other, 3, t, 3, want);
    assert_memory_not_equal(got, want, CB_DUPKEY_LEN);
}

static void test_inbox_remembers_last_1024_and_forgets_oldest(void **state)
{
    (void)state;
    uint8_t k[CB_DUPKEY_LEN];
    uint32_t seq;
    for (uint32_t i = 1; i <= CB_CFG_DEDUPE_MAX + 10; i++) {
        key_of(i, k);
        cb_inbox_remember(k, i, true);
    }
    for (uint32_t i = 1; i <= 10; i++) {
        key_of(i, k);
        assert_int_equal(cb_inbox_seen(k, &seq), CB_SEEN_NO);
    }
    for (uint32_t i = 11; i <= CB_CFG_DEDUPE_MAX + 10; i++) {
        key_of(i, k);
        assert_int_equal(cb_inbox_seen(k, &seq), CB_SEEN_DURABLE);
        assert_int_equal(seq, i);
    }
}

static void test_inbox_replay_does_not_let_old_events_push_out_new_keys(void **state)
{
    (void)state;
    uint8_t k[CB_DUPKEY_LEN];
    uint32_t seq;
    /* a compacted journal: the remembered keys (seq 101..1124), then an
     * unacknowledged event older than all of them (seq 5) */
    for (uint32_t i = 101; i < 101 + CB_CFG_DEDUPE_MAX; i++) {
        key_of(i, k);
        cb_inbox_remember_replayed(k, i);
    }
    key_of(5, k);
    cb_inbox_remember_replayed(k, 5);
    assert_int_equal(cb_inbox_seen(k, &seq), CB_SEEN_NO);
    key_of(101, k); /* the oldest remembered key is still there */
    assert_int_equal(cb_inbox_seen(k, &seq), CB_SEEN_DURABLE);
    /* an event within the window that is already known stays known */
    key_of(600, k);
    cb_inbox_remember_replayed(k, 600);
    assert_int_equal(cb_inbox_seen(k, &seq), CB_SEEN_DURABLE);
    key_of(101, k);
    assert_int_equal(cb_inbox_seen(k, &seq), CB_SEEN_DURABLE);
}

static void test_inbox_pending_then_durable_or_forgotten(void **state)
{
    (void)state;
    uint8_t k1[CB_DUPKEY_LEN], k2[CB_DUPKEY_LEN];
    uint32_t seq;
    key_of(1, k1);
    key_of(2, k2);
    cb_inbox_remember(k1, 1, false);
    cb_inbox_remember(k2, 2, false);
    assert_int_equal(cb_inbox_seen(k1, &seq), CB_SEEN_PENDING);
    cb_inbox_mark_durable(k1);
    assert_int_equal(cb_inbox_seen(k1, &seq), CB_SEEN_DURABLE);
    cb_inbox_forget(k2);
    assert_int_equal(cb_inbox_seen(k2, &seq), CB_SEEN_NO);
    assert_int_equal(cb_inbox_seen(k1, &seq), CB_SEEN_DURABLE);
    uint8_t got[CB_DUPKEY_LEN];
    assert_int_equal(cb_inbox_remembered(0, got, &seq), 1);
    assert_memory_equal(got, k1, CB_DUPKEY_LEN);
    assert_int_equal(cb_inbox_remembered(1, got, &seq), 0); /* the forgotten hole */
    assert_int_equal(cb_inbox_remembered(2, got, &seq), -1);
}

static void test_inbox_forget_keeps_other_keys_findable(void **state)
{
    (void)state;
    /* many keys so that probe chains form, then remove every third */
    uint8_t k[CB_DUPKEY_LEN];
    uint32_t seq;
    for (uint32_t i = 1; i <= 1000; i++) {
        key_of(i, k);
        cb_inbox_remember(k, i, true);
    }
    for (uint32_t i = 3; i <= 1000; i += 3) {
        key_of(i, k);
        cb_inbox_forget(k);
    }
    for (uint32_t i = 1; i <= 1000; i++) {
        key_of(i, k);
        assert_int_equal(cb_inbox_seen(k, &seq), i % 3 ? CB_SEEN_DURABLE : CB_SEEN_NO);
    }
}

static void test_inbox_unacked_in_order_and_ack_any(void **state)
{
    (void)state;
    for (uint32_t s = 1; s <= 5; s++) {
        cb_record_event_t r = rec(s, "hi");
        assert_int_equal(cb_inbox_add(&r), CB_OK);
    }
    assert_int_equal(cb_inbox_unacked(), 5);
    assert_int_equal(cb_inbox_ack(3), CB_OK);
    assert_int_equal(cb_inbox_ack(3), CB_ERR_NOT_FOUND);
    uint32_t seq;
    uint32_t want[] = {1, 2, 4, 5};
    for (size_t i = 0; i < 4; i++) {
        assert_true(cb_inbox_unacked_at(i, &seq));
        assert_int_equal(seq, want[i]);
    }
    assert_false(cb_inbox_unacked_at(4, &seq));
    assert_int_equal(cb_inbox_unacked_hwm(), 5);
}

static void test_inbox_caches_only_the_shown_window(void **state)
{
    (void)state;
    for (uint32_t s = 1; s <= CB_CFG_INBOX_SHOWN + 5; s++) {
        cb_record_event_t r = rec(s, "text");
        cb_inbox_add(&r);
    }
    assert_non_null(cb_inbox_cached(1));
    assert_non_null(cb_inbox_cached(CB_CFG_INBOX_SHOWN));
    assert_null(cb_inbox_cached(CB_CFG_INBOX_SHOWN + 1));
    assert_false(cb_inbox_missing_any());
    cb_inbox_ack(1);
    /* the window moved: the next one must be fetched from the journal */
    assert_true(cb_inbox_missing_any());
    assert_true(cb_inbox_wants(CB_CFG_INBOX_SHOWN + 1));
    assert_false(cb_inbox_wants(CB_CFG_INBOX_SHOWN + 2));
    cb_record_event_t r = rec(CB_CFG_INBOX_SHOWN + 1, "fetched");
    cb_inbox_cache_put(&r);
    assert_string_equal(cb_inbox_cached(CB_CFG_INBOX_SHOWN + 1)->text, "fetched");
    assert_false(cb_inbox_missing_any());
}

static void test_inbox_refuses_past_unacked_max(void **state)
{
    (void)state;
    for (uint32_t s = 1; s <= CB_CFG_UNACKED_MAX; s++) {
        cb_record_event_t r = rec(s, "x");
        assert_int_equal(cb_inbox_add(&r), CB_OK);
    }
    assert_false(cb_inbox_has_room());
    cb_record_event_t r = rec(CB_CFG_UNACKED_MAX + 1, "x");
    assert_int_equal(cb_inbox_add(&r), CB_ERR_NOMEM);
}

static void test_inbox_cache_keeps_job_id_end_and_cuts_text_on_char_boundary(void **state)
{
    (void)state;
    char job[200], text[CB_CFG_SHOWN_TEXT_MAX + 10];
    memset(job, 'a', sizeof job - 1);
    job[sizeof job - 1] = '\0';
    memcpy(job + sizeof job - 7, "JOB-42", 6);
    /* 'é' (2 bytes) straddling the cut */
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    text[CB_CFG_SHOWN_TEXT_MAX - 2] = (char)0xC3;
    text[CB_CFG_SHOWN_TEXT_MAX - 1] = (char)0xA9;
    cb_record_event_t r = rec(1, text);
    r.ev.job_id = cb_span_str(job);
    cb_inbox_add(&r);
    const cb_inbox_msg_t *m = cb_inbox_cached(1);
    assert_non_null(m);
    assert_int_equal(strlen(m->job_id), CB_CFG_ID_MAX - 1);
    assert_string_equal(m->job_id + strlen(m->job_id) - 6, "JOB-42");
    assert_int_equal(strlen(m->text), CB_CFG_SHOWN_TEXT_MAX - 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_inbox_key_covers_scheme_and_every_field_of_the_tuple, setup),
        cmocka_unit_test_setup(test_inbox_key_is_siphash_of_the_encoded_tuple_under_the_secret,
                               setup),
        cmocka_unit_test_setup(test_inbox_remembers_last_1024_and_forgets_oldest, setup),
        cmocka_unit_test_setup(test_inbox_replay_does_not_let_old_events_push_out_new_keys, setup),
        cmocka_unit_test_setup(test_inbox_pending_then_durable_or_forgotten, setup),
        cmocka_unit_test_setup(test_inbox_forget_keeps_other_keys_findable, setup),
        cmocka_unit_test_setup(test_inbox_unacked_in_order_and_ack_any, setup),
        cmocka_unit_test_setup(test_inbox_caches_only_the_shown_window, setup),
        cmocka_unit_test_setup(test_inbox_refuses_past_unacked_max, setup),
        cmocka_unit_test_setup(test_inbox_cache_keeps_job_id_end_and_cuts_text_on_char_boundary,
                               setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
