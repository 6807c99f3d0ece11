/* test_send_sign.c - unit tests for instaleap-send's event side
 * (tools/instaleap-send/send_sign.c): an event to its body and back, and the
 * signature headers it produces, checked against the shared vectors and
 * against the device's own verifier (cb_auth_sig_check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_auth_sig.h"
#include "cb_err.h"
#include "send_sign.h"
#include "vec_reader.h"

#include <ctype.h>

#define SECRET "whsec-test"

static cb_event_t std_event(void)
{
    cb_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.client_id = cb_span_str("acme");
    ev.created_at = cb_span_str("2026-11-28T12:00:00.000Z");
    ev.sender = cb_span_str("SH");
    ev.job_id = cb_span_str("JOB-42");
    ev.text = cb_span_str("Hola");
    return ev;
}

static bool span_is(cb_span_t s, const char *lit)
{
    return lit ? cb_span_eq(s, lit) : s.p == NULL;
}

/* A vector's value as the tool would print it: lowercase hex, 64 digits. */
static void normalize_hex(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in), pad = n < 64 ? 64 - n : 0, o = 0;
    for (size_t i = 0; i < pad && o + 1 < cap; i++)
        out[o++] = '0';
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        out[o++] = (char)tolower((unsigned char)in[i]);
    out[o] = '\0';
}

static void test_send_sign_vectors_give_the_vector_signature(void **state)
{
    (void)state;
    static vec_file_t v;
    static char store[8192];
    int n = vec_load(&v, CB_VECTORS_DIR, "signatures.json");
    assert_true(n >= 11);
    int checked = 0;
    for (int i = 0; i < n; i++) {
        const vec_case_t *c = &v.cases[i];
        size_t body_len = 0, secret_len = 0;
        const char *name = vec_get(c, "name", NULL);
        const char *body = vec_get(c, "body", &body_len);
        const char *secret = vec_get(c, "secret", &secret_len);
        const char *header = vec_get(c, "header", NULL);
        const char *value = vec_get(c, "value", NULL);
        const char *expect = vec_get(c, "expect", NULL);
        assert_non_null(body);
        assert_non_null(value);
        cb_event_t ev;
        assert_int_equal(send_sign_fields(body, body_len, &ev, store, sizeof store), CB_OK);

        send_sig_t sig;
        cb_span_t t = CB_SPAN_NONE;
        char want[256];
        if (strcmp(header, "InstaLeap-Signature") == 0) {
            sig = SEND_SIG_V1;
            normalize_hex(value, want, sizeof want);
        } else if (strncmp(value, "t=", 2) == 0) {
            sig = SEND_SIG_V3;
            const char *comma = strstr(value, ",v3=");
            assert_non_null(comma);
            t = cb_span(value + 2, (size_t)(comma - value - 2));
            snprintf(want, sizeof want, "%s", value);
        } else {
            sig = SEND_SIG_V3_BARE;
            normalize_hex(value, want, sizeof want);
        }
        const char *hname = NULL;
        char got[256];
        int len =
            send_sign_header(&ev, sig, cb_span(secret, secret_len), t, &hname, got, sizeof got);
        assert_true(len > 0);
        assert_string_equal(hname, header);
        /* an invalid vector whose HMAC matches (an '&' in a signed field) is
         * refused by the device, not by the signer: the sender reproduces it */
        const char *hmac_matches = vec_get(c, "hmac_matches", NULL);
        if (strcmp(expect, "valid") == 0 || (hmac_matches && strcmp(hmac_matches, "true") == 0)) {
            if (strcmp(got, want) != 0)
                fail_msg("%s: got %s want %s", name, got, want);
        } else if (strcmp(got, want) == 0) {
            fail_msg("%s: an invalid vector reproduced its value", name);
        }
        checked++;
    }
    assert_int_equal(checked, n);
}

static void test_send_sign_body_round_trips_every_field(void **state)
{
    (void)state;
    static char body[1024], store[1024];
    cb_event_t ev = std_event(), back;
    ev.id = cb_span_str("e-1");
    ev.type = cb_span_str("CHAT_MESSAGE");
    ev.timestamp = cb_span_str("1764331200000");
    ev.job_id = cb_span_str("J\"1\\/2");
    ev.text = cb_span_str("l\xc3\xadnea 1\nline \"2\"\t\xf0\x9f\x9a\x9a \x01");
    int n = send_sign_body(&ev, body, sizeof body);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(body));
    assert_int_equal(send_sign_fields(body, (size_t)n, &back, store, sizeof store), CB_OK);
    const cb_span_t *a[8] = {&ev.id,         &ev.type,   &ev.timestamp, &ev.client_id,
                             &ev.created_at, &ev.sender, &ev.job_id,    &ev.text};
    const cb_span_t *b[8] = {&back.id,         &back.type,   &back.timestamp, &back.client_id,
                             &back.created_at, &back.sender, &back.job_id,    &back.text};
    for (int i = 0; i < 8; i++) {
        assert_non_null(b[i]->p);
        assert_int_equal(a[i]->len, b[i]->len);
        assert_memory_equal(a[i]->p, b[i]->p, a[i]->len);
    }
}

static void test_send_sign_body_leaves_absent_fields_out(void **state)
{
    (void)state;
    char body[512];
    cb_event_t ev = std_event();
    ev.client_id = CB_SPAN_NONE;
    ev.text = cb_span_str("");
    int n = send_sign_body(&ev, body, sizeof body);
    assert_true(n > 0);
    assert_string_equal(body, "{\"created_at\":\"2026-11-28T12:00:00.000Z\",\"sender\":\"SH\","
                              "\"job_id\":\"JOB-42\",\"notification_message\":\"\"}");
}

static void test_send_sign_body_reports_a_small_buffer(void **state)
{
    (void)state;
    char body[32];
    cb_event_t ev = std_event();
    assert_int_equal(send_sign_body(&ev, body, sizeof body), CB_ERR_NOMEM);
}

static void test_send_sign_fields_leave_bad_fields_absent(void **state)
{
    (void)state;
    char store[512];
    cb_event_t ev;
    const char *body = "{\"job_id\":7,\"sender\":\"SH\",\"client_id\":\"a\\ud800\","
                       "\"created_at\":\"x\",\"extra\":{\"id\":\"nested\"}}";
    assert_int_equal(send_sign_fields(body, strlen(body), &ev, store, sizeof store), CB_OK);
    assert_true(span_is(ev.job_id, NULL));    /* not a string */
    assert_true(span_is(ev.client_id, NULL)); /* unpaired surrogate */
    assert_true(span_is(ev.id, NULL));        /* only nested */
    assert_true(span_is(ev.sender, "SH"));
    assert_true(span_is(ev.created_at, "x"));
}

static void test_send_sign_fields_reject_a_non_object(void **state)
{
    (void)state;
    char store[64];
    cb_event_t ev;
    const char *bodies[] = {"not json", "[1,2]", "{\"a\":1}{}", ""};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        ev.sender = cb_span_str("stale");
        assert_int_equal(send_sign_fields(bodies[i], strlen(bodies[i]), &ev, store, sizeof store),
                         CB_ERR_JSON);
        assert_null(ev.sender.p);
    }
}

/* What the tool signs, the device accepts: every scheme through the core's
 * verifier, with and without a timestamp field. */
static void test_send_sign_headers_verify_on_the_device(void **state)
{
    (void)state;
    static const cb_span_t secrets[1] = {{SECRET, sizeof SECRET - 1}};
    const send_sig_t sigs[3] = {SEND_SIG_V1, SEND_SIG_V3, SEND_SIG_V3_BARE};
    for (int with_ts = 0; with_ts < 2; with_ts++) {
        for (int s = 0; s < 3; s++) {
            cb_event_t ev = std_event();
            if (with_ts)
                ev.timestamp = cb_span_str("1764331200000");
            const char *name;
            char val[256];
            assert_true(send_sign_header(&ev, sigs[s], cb_span_str(SECRET), CB_SPAN_NONE, &name,
                                         val, sizeof val) > 0);
            bool v1 = sigs[s] == SEND_SIG_V1;
            cb_auth_sig_signed_t sg;
            assert_int_equal(cb_auth_sig_check(&ev, v1 ? cb_span_str(val) : CB_SPAN_NONE,
                                               v1 ? CB_SPAN_NONE : cb_span_str(val),
                                               CB_SIG_V1 | CB_SIG_V3, secrets, 1, &sg),
                             CB_OK);
            /* the replay window applies to what the tool meant to sign */
            const char *want_ts = sigs[s] == SEND_SIG_V3_BARE && with_ts
                                      ? "1764331200000"
                                      : "2026-11-28T12:00:00.000Z";
            assert_true(span_is(sg.ts, want_ts));
            /* another secret does not verify */
            assert_true(send_sign_header(&ev, sigs[s], cb_span_str("other"), CB_SPAN_NONE, &name,
                                         val, sizeof val) > 0);
            assert_int_equal(cb_auth_sig_check(&ev, v1 ? cb_span_str(val) : CB_SPAN_NONE,
                                               v1 ? CB_SPAN_NONE : cb_span_str(val),
                                               CB_SIG_V1 | CB_SIG_V3, secrets, 1, NULL),
                             CB_ERR_AUTH_INVALID);
        }
    }
}

static void test_send_sign_v3_t_defaults_to_created_at_and_can_be_set(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    ev.timestamp = cb_span_str("1764331200000");
    const char *name;
    char a[256], b[256], hex[65];
    assert_true(send_sign_header(&ev, SEND_SIG_V3, cb_span_str(SECRET), CB_SPAN_NONE, &name, a,
                                 sizeof a) > 0);
    assert_string_equal(name, "InstaLeap-Signature-V3");
    cb_auth_sig_v3(&ev, ev.created_at, cb_span_str(SECRET), hex);
    snprintf(b, sizeof b, "t=2026-11-28T12:00:00.000Z,v3=%s", hex);
    assert_string_equal(a, b);

    assert_true(send_sign_header(&ev, SEND_SIG_V3, cb_span_str(SECRET), cb_span_str("T0"), &name, a,
                                 sizeof a) > 0);
    cb_auth_sig_v3(&ev, cb_span_str("T0"), cb_span_str(SECRET), hex);
    snprintf(b, sizeof b, "t=T0,v3=%s", hex);
    assert_string_equal(a, b);
}

static void test_send_sign_header_reports_a_small_buffer(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    const char *name;
    char val[64];
    assert_int_equal(send_sign_header(&ev, SEND_SIG_V3, cb_span_str(SECRET), CB_SPAN_NONE, &name,
                                      val, sizeof val),
                     CB_ERR_NOMEM);
    assert_int_equal(
        send_sign_header(&ev, SEND_SIG_V1, cb_span_str(SECRET), CB_SPAN_NONE, &name, val, 64),
        CB_ERR_NOMEM); /* 64 digits need 65 bytes */
    char ok[65];
    assert_int_equal(
        send_sign_header(&ev, SEND_SIG_V1, cb_span_str(SECRET), CB_SPAN_NONE, &name, ok, sizeof ok),
        64);
}

/* "both" is two headers, so it has no single header value of its own. */
static void test_send_sign_header_refuses_both(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    const char *name = NULL;
    char val[256];
    assert_int_equal(send_sign_header(&ev, SEND_SIG_BOTH, cb_span_str(SECRET), CB_SPAN_NONE, &name,
                                      val, sizeof val),
                     CB_ERR_INVAL);
}

static void test_send_sig_names_map_to_schemes(void **state)
{
    (void)state;
    send_sig_t s;
    assert_int_equal(send_sig_from_name("v1", &s), CB_OK);
    assert_int_equal(s, SEND_SIG_V1);
    assert_int_equal(send_sig_from_name("v3", &s), CB_OK);
    assert_int_equal(s, SEND_SIG_V3);
    assert_int_equal(send_sig_from_name("v3-bare", &s), CB_OK);
    assert_int_equal(s, SEND_SIG_V3_BARE);
    assert_int_equal(send_sig_from_name("both", &s), CB_OK);
    assert_int_equal(s, SEND_SIG_BOTH);
    assert_int_equal(send_sig_from_name("V3", &s), CB_ERR_INVAL);
    assert_int_equal(send_sig_from_name("", &s), CB_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_sign_vectors_give_the_vector_signature),
        cmocka_unit_test(test_send_sign_header_refuses_both),
        cmocka_unit_test(test_send_sign_body_round_trips_every_field),
        cmocka_unit_test(test_send_sign_body_leaves_absent_fields_out),
        cmocka_unit_test(test_send_sign_body_reports_a_small_buffer),
        cmocka_unit_test(test_send_sign_fields_leave_bad_fields_absent),
        cmocka_unit_test(test_send_sign_fields_reject_a_non_object),
        cmocka_unit_test(test_send_sign_headers_verify_on_the_device),
        cmocka_unit_test(test_send_sign_v3_t_defaults_to_created_at_and_can_be_set),
        cmocka_unit_test(test_send_sign_header_reports_a_small_buffer),
        cmocka_unit_test(test_send_sig_names_map_to_schemes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
