/* test_auth_token.c - unit tests for cb_auth_token: issuing and verifying
 * device tokens with a fake clock, tampering, wrong keys, garbage, the Bearer
 * header and the constant-time static token check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_auth_token.h"
#include "cb_base64.h"
#include "cb_crypto.h"
#include "cb_err.h"
#include "fake_port.h"

#include <string.h>

#define NOW 1764331200ull /* 2026-11-28T12:00:00Z */
#define TTL 3600u

static uint8_t key[CB_AUTH_TOKEN_KEY_LEN];
static const cb_span_t CLIENT = {"acme", 4};
static const cb_span_t SECRET = {"client-secret-0123456789", 24};

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    for (int i = 0; i < CB_AUTH_TOKEN_KEY_LEN; i++)
        key[i] = (uint8_t)(0xa0 + i);
    return 0;
}

static void issue(char tok[CB_AUTH_TOKEN_TEXT_CAP])
{
    assert_int_equal(
        cb_auth_token_issue(key, CLIENT, SECRET, NOW, TTL, tok, CB_AUTH_TOKEN_TEXT_CAP, NULL),
        CB_AUTH_TOKEN_TEXT_LEN);
}

static int verify_at(const char *tok, uint64_t now_s)
{
    return cb_auth_token_verify(cb_span_str(tok), key, CLIENT, SECRET, now_s, NULL);
}

static void test_token_issued_is_base64url_and_verifies(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP];
    uint64_t exp = 0, exp2 = 0;
    assert_int_equal(cb_auth_token_issue(key, CLIENT, SECRET, NOW, TTL, tok, sizeof tok, &exp),
                     CB_AUTH_TOKEN_TEXT_LEN);
    assert_int_equal(strlen(tok), CB_AUTH_TOKEN_TEXT_LEN);
    assert_int_equal(exp, NOW + TTL);
    for (size_t i = 0; i < strlen(tok); i++) {
        char ch = tok[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        assert_true(ok);
    }
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), key, CLIENT, SECRET, NOW, &exp2),
                     CB_OK);
    assert_int_equal(exp2, NOW + TTL);
}

static void test_token_expires_at_its_expiry(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP];
    uint64_t exp = 0;
    issue(tok);
    assert_int_equal(verify_at(tok, NOW + TTL - 1), CB_OK);
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), key, CLIENT, SECRET, NOW + TTL, &exp),
                     CB_ERR_AUTH_EXPIRED);
    assert_int_equal(exp, NOW + TTL);
    assert_int_equal(verify_at(tok, NOW + 10 * TTL), CB_ERR_AUTH_EXPIRED);
    assert_int_equal(verify_at(tok, 0), CB_OK); /* a clock set back does not reject it */
}

static void test_token_survives_a_reboot_with_the_same_key(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP];
    issue(tok);
    uint8_t stored[CB_AUTH_TOKEN_KEY_LEN];
    memcpy(stored, key, sizeof stored); /* the server keeps it in the journal */
    memset(key, 0, sizeof key);
    fake_port_reset();
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), stored, CLIENT, SECRET, NOW + 5, NULL),
                     CB_OK);
}

static void test_token_any_changed_character_is_invalid(void **state)
{
    (void)state;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char tok[CB_AUTH_TOKEN_TEXT_CAP], bad[CB_AUTH_TOKEN_TEXT_CAP];
    issue(tok);
    for (int i = 0; i < CB_AUTH_TOKEN_TEXT_LEN; i++) {
        for (int k = 0; k < 64; k += 7) {
            if (alphabet[k] == tok[i])
                continue;
            memcpy(bad, tok, sizeof bad);
            bad[i] = alphabet[k];
            if (verify_at(bad, NOW) != CB_ERR_AUTH_INVALID)
                fail_msg("position %d changed to %c still verifies", i, alphabet[k]);
        }
    }
}

static void test_token_from_another_key_or_client_is_invalid(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP];
    uint8_t other[CB_AUTH_TOKEN_KEY_LEN];
    issue(tok);
    memcpy(other, key, sizeof other);
    other[31] ^= 1;
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), other, CLIENT, SECRET, NOW, NULL),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(
        cb_auth_token_verify(cb_span_str(tok), key, cb_span_str("acme2"), SECRET, NOW, NULL),
        CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), key, CB_SPAN_NONE, SECRET, NOW, NULL),
                     CB_ERR_AUTH_INVALID);
}

/* A token with a chosen version and expiry, correctly tagged under key. */
static void forge(uint8_t version, uint64_t exp, bool bad_tag, char out[CB_AUTH_TOKEN_TEXT_CAP])
{
    uint8_t raw[CB_AUTH_TOKEN_RAW_LEN] = {0};
    raw[0] = version;
    for (int i = 0; i < 8; i++)
        raw[1 + i] = (uint8_t)(exp >> (56 - 8 * i));
    uint8_t bound[CB_SHA256_LEN];
    cb_sha256(&SECRET, 1, bound);
    const cb_span_t parts[3] = {
        {(const char *)raw, 17}, {(const char *)bound, sizeof bound}, CLIENT};
    cb_hmac_sha256(key, sizeof key, parts, 3, raw + 17);
    if (bad_tag)
        raw[20] ^= 0x40;
    assert_int_equal(cb_base64_encode(raw, sizeof raw, true, out, CB_AUTH_TOKEN_TEXT_CAP),
                     CB_AUTH_TOKEN_TEXT_LEN);
}

static void test_token_layout_is_as_documented(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP];
    forge(CB_AUTH_TOKEN_VERSION, NOW + 60, false, tok);
    assert_int_equal(verify_at(tok, NOW), CB_OK);
    forge(CB_AUTH_TOKEN_VERSION + 1, NOW + 60, false, tok); /* unknown version, even tagged */
    assert_int_equal(verify_at(tok, NOW), CB_ERR_AUTH_INVALID);
    forge(1, NOW + 60, false, tok); /* version 1 did not bind the secret: retired */
    assert_int_equal(verify_at(tok, NOW), CB_ERR_AUTH_INVALID);
    forge(CB_AUTH_TOKEN_VERSION, NOW - 60, true, tok); /* expired and forged: invalid */
    assert_int_equal(verify_at(tok, NOW), CB_ERR_AUTH_INVALID);
    forge(CB_AUTH_TOKEN_VERSION, NOW - 60, false, tok);
    assert_int_equal(verify_at(tok, NOW), CB_ERR_AUTH_EXPIRED);
}

static void test_token_garbage_is_invalid_and_empty_is_missing(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP], buf[200];
    issue(tok);
    assert_int_equal(verify_at("", NOW), CB_ERR_AUTH_MISSING);
    assert_int_equal(verify_at("   ", NOW), CB_ERR_AUTH_MISSING);
    assert_int_equal(cb_auth_token_verify(CB_SPAN_NONE, key, CLIENT, SECRET, NOW, NULL),
                     CB_ERR_AUTH_MISSING);
    assert_int_equal(verify_at("x", NOW), CB_ERR_AUTH_INVALID);
    assert_int_equal(verify_at("Bearer", NOW), CB_ERR_AUTH_INVALID);
    memcpy(buf, tok, CB_AUTH_TOKEN_TEXT_LEN - 1); /* one short */
    buf[CB_AUTH_TOKEN_TEXT_LEN - 1] = '\0';
    assert_int_equal(verify_at(buf, NOW), CB_ERR_AUTH_INVALID);
    memcpy(buf, tok, CB_AUTH_TOKEN_TEXT_LEN); /* one long */
    buf[CB_AUTH_TOKEN_TEXT_LEN] = 'A';
    buf[CB_AUTH_TOKEN_TEXT_LEN + 1] = '\0';
    assert_int_equal(verify_at(buf, NOW), CB_ERR_AUTH_INVALID);
    memset(buf, '=', CB_AUTH_TOKEN_TEXT_LEN);
    buf[CB_AUTH_TOKEN_TEXT_LEN] = '\0';
    assert_int_equal(verify_at(buf, NOW), CB_ERR_AUTH_INVALID);
    memset(buf, 'A', CB_AUTH_TOKEN_TEXT_LEN);
    assert_int_equal(verify_at(buf, NOW), CB_ERR_AUTH_INVALID);
    memcpy(buf, tok, sizeof tok);
    buf[5] = '+'; /* standard alphabet */
    assert_int_equal(verify_at(buf, NOW), CB_ERR_AUTH_INVALID);
    memset(buf, 0, sizeof buf);
    assert_int_equal(
        cb_auth_token_verify(cb_span(buf, CB_AUTH_TOKEN_TEXT_LEN), key, CLIENT, SECRET, NOW, NULL),
        CB_ERR_AUTH_INVALID);
    char padded[80];
    memcpy(padded, " \t", 2);
    memcpy(padded + 2, tok, CB_AUTH_TOKEN_TEXT_LEN);
    memcpy(padded + 2 + CB_AUTH_TOKEN_TEXT_LEN, " ", 2);
    assert_int_equal(verify_at(padded, NOW), CB_OK); /* surrounding OWS is ignored */
}

static void test_token_each_issue_is_different(void **state)
{
    (void)state;
    char a[CB_AUTH_TOKEN_TEXT_CAP], b[CB_AUTH_TOKEN_TEXT_CAP];
    issue(a);
    issue(b);
    assert_string_not_equal(a, b);
    assert_int_equal(verify_at(a, NOW), CB_OK);
    assert_int_equal(verify_at(b, NOW), CB_OK);
}

static void test_token_issue_reports_bad_arguments_and_rng_failure(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP];
    uint64_t exp;
    assert_int_equal(
        cb_auth_token_issue(key, CLIENT, SECRET, NOW, TTL, tok, CB_AUTH_TOKEN_TEXT_CAP - 1, NULL),
        CB_ERR_NOMEM);
    assert_string_equal(tok, "");
    assert_int_equal(cb_auth_token_issue(key, CLIENT, SECRET, NOW, 0, tok, sizeof tok, NULL),
                     CB_ERR_INVAL);
    fake_port.random_fails = true;
    assert_int_equal(cb_auth_token_issue(key, CLIENT, SECRET, NOW, TTL, tok, sizeof tok, NULL),
                     CB_ERR_CRYPTO);
    assert_string_equal(tok, "");
    fake_port.random_fails = false;
    assert_int_equal(
        cb_auth_token_issue(key, CLIENT, SECRET, UINT64_MAX - 5, TTL, tok, sizeof tok, &exp),
        CB_AUTH_TOKEN_TEXT_LEN);
    assert_int_equal(exp, UINT64_MAX); /* saturates */
}

/* SPEC 3: rotating client_secret revokes the tokens issued under the old
 * one; the secret is bound by its hash, so a secret that differs in any
 * byte or only in length does not verify. */
static void test_token_from_another_client_secret_is_invalid(void **state)
{
    (void)state;
    char tok[CB_AUTH_TOKEN_TEXT_CAP];
    issue(tok);
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), key, CLIENT, SECRET, NOW, NULL), CB_OK);
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), key, CLIENT,
                                          cb_span_str("client-secret-0123456788"), NOW, NULL),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), key, CLIENT,
                                          cb_span_str("client-secret-01234567890"), NOW, NULL),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_token_verify(cb_span_str(tok), key, CLIENT, CB_SPAN_NONE, NOW, NULL),
                     CB_ERR_AUTH_INVALID);
}

static void test_token_bearer_header_is_parsed(void **state)
{
    (void)state;
    cb_span_t t;
    assert_int_equal(cb_auth_token_bearer(cb_span_str("Bearer abc.def"), &t), CB_OK);
    assert_true(cb_span_eq(t, "abc.def"));
    assert_int_equal(cb_auth_token_bearer(cb_span_str("  bearer \t tok  "), &t), CB_OK);
    assert_true(cb_span_eq(t, "tok"));
    assert_int_equal(cb_auth_token_bearer(cb_span_str("Bearer"), &t), CB_ERR_AUTH_MISSING);
    assert_false(cb_span_present(t));
    assert_int_equal(cb_auth_token_bearer(cb_span_str("Bearer   "), &t), CB_ERR_AUTH_MISSING);
    assert_int_equal(cb_auth_token_bearer(cb_span_str("Basic YTpi"), &t), CB_ERR_AUTH_MISSING);
    assert_int_equal(cb_auth_token_bearer(cb_span_str("Bearertok"), &t), CB_ERR_AUTH_MISSING);
    assert_int_equal(cb_auth_token_bearer(CB_SPAN_NONE, &t), CB_ERR_AUTH_MISSING);
}

static void test_token_equal_compares_exact_bytes(void **state)
{
    (void)state;
    assert_true(cb_auth_token_equal(cb_span_str("s3cret-token"), cb_span_str("s3cret-token")));
    assert_false(cb_auth_token_equal(cb_span_str("s3cret-toke"), cb_span_str("s3cret-token")));
    assert_false(cb_auth_token_equal(cb_span_str("s3cret-tokenX"), cb_span_str("s3cret-token")));
    assert_false(cb_auth_token_equal(cb_span_str("S3cret-token"), cb_span_str("s3cret-token")));
    assert_false(cb_auth_token_equal(cb_span_str(""), cb_span_str("")));
    assert_false(cb_auth_token_equal(CB_SPAN_NONE, cb_span_str("x")));
    assert_false(cb_auth_token_equal(cb_span_str("x"), CB_SPAN_NONE));
    assert_true(cb_auth_token_equal(cb_span("a\0b", 3), cb_span("a\0b", 3)));
    assert_false(cb_auth_token_equal(cb_span("a\0b", 3), cb_span("a\0c", 3)));
    /* still exact when the per-boot key cannot be drawn */
    fake_port.random_fails = true;
    assert_true(cb_auth_token_equal(cb_span_str("k"), cb_span_str("k")));
    assert_false(cb_auth_token_equal(cb_span_str("k"), cb_span_str("j")));
}

static void test_token_static_check_needs_exact_header_value(void **state)
{
    (void)state;
    cb_span_t want = cb_span_str("tok-123");
    assert_int_equal(cb_auth_token_check_static(cb_span_str("tok-123"), want), CB_OK);
    assert_int_equal(cb_auth_token_check_static(cb_span_str(" tok-123 "), want), CB_OK);
    assert_int_equal(cb_auth_token_check_static(CB_SPAN_NONE, want), CB_ERR_AUTH_MISSING);
    assert_int_equal(cb_auth_token_check_static(cb_span_str(""), want), CB_ERR_AUTH_MISSING);
    assert_int_equal(cb_auth_token_check_static(cb_span_str("tok-12"), want), CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_token_check_static(cb_span_str("tok-1234"), want),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_token_check_static(cb_span_str("Bearer tok-123"), want),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_token_check_static(cb_span_str("tok-123"), cb_span_str("")),
                     CB_ERR_AUTH_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_token_issued_is_base64url_and_verifies, setup),
        cmocka_unit_test_setup(test_token_expires_at_its_expiry, setup),
        cmocka_unit_test_setup(test_token_survives_a_reboot_with_the_same_key, setup),
        cmocka_unit_test_setup(test_token_any_changed_character_is_invalid, setup),
        cmocka_unit_test_setup(test_token_from_another_key_or_client_is_invalid, setup),
        cmocka_unit_test_setup(test_token_layout_is_as_documented, setup),
        cmocka_unit_test_setup(test_token_garbage_is_invalid_and_empty_is_missing, setup),
        cmocka_unit_test_setup(test_token_each_issue_is_different, setup),
        cmocka_unit_test_setup(test_token_issue_reports_bad_arguments_and_rng_failure, setup),
        cmocka_unit_test_setup(test_token_from_another_client_secret_is_invalid, setup),
        cmocka_unit_test_setup(test_token_bearer_header_is_parsed, setup),
        cmocka_unit_test_setup(test_token_equal_compares_exact_bytes, setup),
        cmocka_unit_test_setup(test_token_static_check_needs_exact_header_value, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
