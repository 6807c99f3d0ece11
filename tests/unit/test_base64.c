/* test_base64.c - unit tests for cb_base64: RFC 4648 vectors, both
 * alphabets, padding rules, canonical encoding, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_base64.h"
#include "cb_err.h"

#include <string.h>

static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const std_enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
static const char *const url_enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};

static void test_base64_encodes_rfc4648_vectors(void **state)
{
    (void)state;
    char out[16];
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(plain[i]);
        assert_int_equal(cb_base64_encode((const uint8_t *)plain[i], n, false, out, sizeof out),
                         strlen(std_enc[i]));
        assert_string_equal(out, std_enc[i]);
        assert_int_equal(CB_BASE64_ENC_LEN(n, 0), strlen(std_enc[i]));
        assert_int_equal(cb_base64_encode((const uint8_t *)plain[i], n, true, out, sizeof out),
                         strlen(url_enc[i]));
        assert_string_equal(out, url_enc[i]);
        assert_int_equal(CB_BASE64_ENC_LEN(n, 1), strlen(url_enc[i]));
    }
}

static void test_base64_decodes_rfc4648_vectors_with_or_without_padding(void **state)
{
    (void)state;
    uint8_t out[16];
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(plain[i]);
        assert_int_equal(cb_base64_decode(std_enc[i], strlen(std_enc[i]), false, out, sizeof out),
                         n);
        assert_memory_equal(out, plain[i], n);
        assert_int_equal(cb_base64_decode(url_enc[i], strlen(url_enc[i]), false, out, sizeof out),
                         n);
        assert_int_equal(cb_base64_decode(url_enc[i], strlen(url_enc[i]), true, out, sizeof out),
                         n);
        assert_memory_equal(out, plain[i], n);
    }
}

static void test_base64_alphabets_differ_in_the_last_two_characters(void **state)
{
    (void)state;
    const uint8_t in[] = {0xfb, 0xff, 0xbf};
    char out[8];
    uint8_t back[3];
    cb_base64_encode(in, 3, false, out, sizeof out);
    assert_string_equal(out, "+/+/");
    cb_base64_encode(in, 3, true, out, sizeof out);
    assert_string_equal(out, "-_-_");
    assert_int_equal(cb_base64_decode("-_-_", 4, true, back, 3), 3);
    assert_memory_equal(back, in, 3);
    assert_int_equal(cb_base64_decode("-_-_", 4, false, back, 3), CB_ERR_INVAL);
    assert_int_equal(cb_base64_decode("+/+/", 4, true, back, 3), CB_ERR_INVAL);
}

static void test_base64_round_trips_every_byte_value(void **state)
{
    (void)state;
    uint8_t in[256], back[256];
    char out[400];
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)(255 - i);
    for (size_t n = 0; n <= 256; n += 17) {
        for (int url = 0; url < 2; url++) {
            int len = cb_base64_encode(in, n, url, out, sizeof out);
            assert_true(len >= 0);
            assert_int_equal(cb_base64_decode(out, (size_t)len, url, back, sizeof back), n);
            assert_memory_equal(in, back, n);
        }
    }
}

static void test_base64_rejects_malformed_input(void **state)
{
    (void)state;
    uint8_t out[16];
    const char *bad[] = {
        "Z",    "Zg=",  "Zg=a",     "Z===", "====", "Zm9v=", "Zm 9v",   "Zm9v\n",   "Zm9\0",
        "Zh==", "Zm9=", "Zg==Zg==", "=Zm9", "Zm*v", "Zg===", "Zm9vYg=", "Zm9vYmF=", "\xc3\xa9Zm"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i]);
        if (i == 8)
            len = 4; /* embedded NUL */
        if (cb_base64_decode(bad[i], len, false, out, sizeof out) != CB_ERR_INVAL)
            fail_msg("accepted bad input %zu: %s", i, bad[i]);
    }
}

static void test_base64_never_writes_past_capacity(void **state)
{
    (void)state;
    uint8_t out[4] = {0xee, 0xee, 0xee, 0xee};
    char text[8];
    assert_int_equal(cb_base64_decode("Zm9vYmFy", 8, false, out, 3), CB_ERR_TOO_LARGE);
    assert_int_equal(out[0], 0xee);
    assert_int_equal(cb_base64_decode("Zm9v", 4, false, out, 3), 3);
    assert_int_equal(out[3], 0xee);
    assert_int_equal(cb_base64_encode((const uint8_t *)"foob", 4, false, text, 8), CB_ERR_NOMEM);
    assert_string_equal(text, "");
    char fits[9];
    assert_int_equal(cb_base64_encode((const uint8_t *)"foob", 4, false, fits, sizeof fits), 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_encodes_rfc4648_vectors),
        cmocka_unit_test(test_base64_decodes_rfc4648_vectors_with_or_without_padding),
        cmocka_unit_test(test_base64_alphabets_differ_in_the_last_two_characters),
        cmocka_unit_test(test_base64_round_trips_every_byte_value),
        cmocka_unit_test(test_base64_rejects_malformed_input),
        cmocka_unit_test(test_base64_never_writes_past_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
