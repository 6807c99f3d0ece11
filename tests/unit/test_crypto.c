/* test_crypto.c - unit tests for cb_crypto (SHA-256, HMAC-SHA256 against
 * FIPS 180-2 and RFC 4231, constant-time compare, zeroize) and cb_hex, plus
 * the HMACs of the shared signature vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_hex.h"
#include "vec_reader.h"

static void hex_of(const uint8_t *b, size_t n, char *out)
{
    cb_hex_encode(b, n, out, 2 * n + 1);
}

static void check_sha(const char *msg, const char *want)
{
    uint8_t d[CB_SHA256_LEN];
    char hex[65];
    cb_span_t part = cb_span_str(msg);
    cb_sha256(&part, 1, d);
    hex_of(d, sizeof d, hex);
    assert_string_equal(hex, want);
}

static void test_sha256_matches_fips_examples(void **state)
{
    (void)state;
    check_sha("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_concatenates_parts_and_skips_absent_ones(void **state)
{
    (void)state;
    static char million[1000];
    memset(million, 'a', sizeof million);
    static cb_span_t parts[1001];
    for (int i = 0; i < 1000; i++)
        parts[i] = cb_span(million, sizeof million);
    parts[1000] = CB_SPAN_NONE; /* absent: hashes as nothing */
    uint8_t d[CB_SHA256_LEN];
    char hex[65];
    cb_sha256(parts, 1001, d);
    hex_of(d, sizeof d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    const cb_span_t split[4] = {cb_span("a", 1), CB_SPAN_NONE, cb_span("b", 1), cb_span("c", 1)};
    cb_sha256(split, 4, d);
    hex_of(d, sizeof d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

typedef struct {
    uint8_t key[131];
    size_t key_len;
    uint8_t data[160];
    size_t data_len;
    const char *mac; /* hex; case 5 is truncated to 128 bits */
} rfc4231_t;

static void fill(uint8_t *p, uint8_t v, size_t n)
{
    memset(p, v, n);
}

static void test_hmac_sha256_matches_rfc4231_cases(void **state)
{
    (void)state;
    static rfc4231_t c[7];
    memset(c, 0, sizeof c);
    fill(c[0].key, 0x0b, c[0].key_len = 20);
    memcpy(c[0].data, "Hi There", c[0].data_len = 8);
    c[0].mac = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    memcpy(c[1].key, "Jefe", c[1].key_len = 4);
    memcpy(c[1].data, "what do ya want for nothing?", c[1].data_len = 28);
    c[1].mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    fill(c[2].key, 0xaa, c[2].key_len = 20);
    fill(c[2].data, 0xdd, c[2].data_len = 50);
    c[2].mac = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";
    for (int i = 0; i < 25; i++)
        c[3].key[i] = (uint8_t)(i + 1);
    c[3].key_len = 25;
    fill(c[3].data, 0xcd, c[3].data_len = 50);
    c[3].mac = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";
    fill(c[4].key, 0x0c, c[4].key_len = 20);
    memcpy(c[4].data, "Test With Truncation", c[4].data_len = 20);
    c[4].mac = "a3b6167473100ee06e0c796c2955552b";
    fill(c[5].key, 0xaa, c[5].key_len = 131);
    memcpy(c[5].data, "Test Using Larger Than Block-Size Key - Hash Key First", c[5].data_len = 54);
    c[5].mac = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
    fill(c[6].key, 0xaa, c[6].key_len = 131);
    const char *d7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the "
                     "HMAC algorithm.";
    memcpy(c[6].data, d7, c[6].data_len = strlen(d7));
    c[6].mac = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

    for (int i = 0; i < 7; i++) {
        uint8_t mac[CB_SHA256_LEN];
        char hex[65];
        cb_span_t part = cb_span((const char *)c[i].data, c[i].data_len);
        cb_hmac_sha256(c[i].key, c[i].key_len, &part, 1, mac);
        hex_of(mac, sizeof mac, hex);
        hex[strlen(c[i].mac)] = '\0';
        assert_string_equal(hex, c[i].mac);
    }
}

static void test_hmac_sha256_handles_keys_at_the_block_boundary(void **state)
{
    (void)state;
    char key[65];
    uint8_t mac[CB_SHA256_LEN];
    char hex[65];
    cb_span_t part = cb_span_str("block key");
    memset(key, 'k', sizeof key);
    cb_hmac_sha256(key, 64, &part, 1, mac);
    hex_of(mac, sizeof mac, hex);
    assert_string_equal(hex, "437a92f97a68e75cf0ba63ab34864a178edbe211c428d2d2eeb4c5316e6adecc");
    cb_hmac_sha256(key, 65, &part, 1, mac);
    hex_of(mac, sizeof mac, hex);
    assert_string_equal(hex, "edf53a9ac90af98ae11ed34cae0e11f147553460b2b89cbb1f8b195abc4e6a96");
}

static void test_hmac_sha256_of_split_parts_equals_whole(void **state)
{
    (void)state;
    uint8_t a[CB_SHA256_LEN], b[CB_SHA256_LEN];
    cb_span_t whole = cb_span_str("what do ya want for nothing?");
    const cb_span_t parts[3] = {cb_span_str("what do ya "), CB_SPAN_NONE,
                                cb_span_str("want for nothing?")};
    cb_hmac_sha256("Jefe", 4, &whole, 1, a);
    cb_hmac_sha256("Jefe", 4, parts, 3, b);
    assert_memory_equal(a, b, sizeof a);
}

/* Every vector's value is the HMAC of its signed_string under its secret,
 * except where the vector is about a wrong secret. */
static void test_hmac_sha256_reproduces_signature_vectors(void **state)
{
    (void)state;
    static vec_file_t v;
    int n = vec_load(&v, CB_VECTORS_DIR, "signatures.json");
    assert_true(n >= 11);
    int checked = 0;
    for (int i = 0; i < n; i++) {
        const vec_case_t *c = &v.cases[i];
        size_t slen = 0, mlen = 0;
        const char *secret = vec_get(c, "secret", &slen);
        const char *msg = vec_get(c, "signed_string", &mlen);
        const char *value = vec_get(c, "value", NULL);
        const char *name = vec_get(c, "name", NULL);
        assert_non_null(secret);
        assert_non_null(msg);
        assert_non_null(value);
        const char *hex_part = strstr(value, "v3=");
        hex_part = hex_part ? hex_part + 3 : value;
        /* left-pad and lower-case the expected value */
        char want[65];
        size_t hl = strlen(hex_part);
        assert_true(hl <= 64);
        memset(want, '0', 64 - hl);
        for (size_t k = 0; k < hl; k++)
            want[64 - hl + k] =
                (char)(hex_part[k] >= 'A' && hex_part[k] <= 'F' ? hex_part[k] - 'A' + 'a'
                                                                : hex_part[k]);
        want[64] = '\0';

        uint8_t mac[CB_SHA256_LEN];
        char got[65];
        cb_span_t part = cb_span(msg, mlen);
        cb_hmac_sha256(secret, slen, &part, 1, mac);
        hex_of(mac, sizeof mac, got);
        if (strstr(name, "wrong-secret"))
            assert_string_not_equal(got, want);
        else
            assert_string_equal(got, want);
        checked++;
    }
    assert_int_equal(checked, n);
}

static void test_ct_equal_compares_all_bytes(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    memset(a, 0x5a, sizeof a);
    memcpy(b, a, sizeof b);
    assert_int_equal(cb_ct_equal(a, b, sizeof a), 1);
    assert_int_equal(cb_ct_equal(a, b, 0), 1);
    for (size_t i = 0; i < sizeof a; i++) {
        b[i] ^= 0x01;
        assert_int_equal(cb_ct_equal(a, b, sizeof a), 0);
        b[i] ^= 0x81;
        assert_int_equal(cb_ct_equal(a, b, sizeof a), 0);
        b[i] ^= 0x80;
    }
    assert_int_equal(cb_ct_equal(a, b, sizeof a), 1);
}

static void test_zeroize_clears_buffer(void **state)
{
    (void)state;
    uint8_t buf[48];
    memset(buf, 0xee, sizeof buf);
    cb_zeroize(buf, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0);
}

static void test_hex_encode_is_lowercase_and_terminated(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x01, 0x9a, 0xbf, 0xff, 0x10};
    char out[13];
    memset(out, 'x', sizeof out);
    cb_hex_encode(in, sizeof in, out, sizeof out);
    assert_string_equal(out, "00019abfff10");
    cb_hex_encode(in, 0, out, sizeof out);
    assert_string_equal(out, "");
}

static void test_hex_encode_never_overflows_a_short_buffer(void **state)
{
    (void)state;
    const uint8_t in[] = {0xab, 0xcd, 0xef};
    char out[8];
    memset(out, 'x', sizeof out);
    cb_hex_encode(in, sizeof in, out, 6); /* room for 2 bytes + NUL */
    assert_string_equal(out, "abcd");
    assert_int_equal(out[6], 'x');
}

static void test_hex_decode_accepts_both_cases(void **state)
{
    (void)state;
    uint8_t out[8];
    assert_int_equal(cb_hex_decode("00ff9AbCdEf0a1B2", 16, out, 8), CB_OK);
    const uint8_t want[8] = {0x00, 0xff, 0x9a, 0xbc, 0xde, 0xf0, 0xa1, 0xb2};
    assert_memory_equal(out, want, 8);
    char all[2 * 256 + 1];
    uint8_t bytes[256], back[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (uint8_t)i;
    cb_hex_encode(bytes, 256, all, sizeof all);
    assert_int_equal(cb_hex_decode(all, 512, back, 256), CB_OK);
    assert_memory_equal(bytes, back, 256);
}

static void test_hex_digit_of_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        assert_int_equal(cb_hex_digit((char)c), want);
    }
}

/* Every byte value at every position of a signature's 64 digits (the
 * word-at-a-time path): a non-digit fails the whole decode, a digit decodes
 * to its value, and no byte changes what its neighbours decode to. */
static void test_hex_decode_checks_every_byte_at_every_position_of_a_signature(void **state)
{
    (void)state;
    uint8_t want[32], out[32];
    char hex[65];
    for (int i = 0; i < 32; i++)
        want[i] = (uint8_t)(0x9e * i + 0x3b);
    cb_hex_encode(want, 32, hex, sizeof hex);
    for (int pos = 0; pos < 64; pos++) {
        for (int c = 0; c < 256; c++) {
            char in[64];
            memcpy(in, hex, 64);
            in[pos] = (char)c;
            int d = cb_hex_digit((char)c);
            int r = cb_hex_decode(in, 64, out, 32);
            if (d < 0) {
                if (r != CB_ERR_INVAL)
                    fail_msg("byte 0x%02x at %d accepted", (unsigned)c, pos);
                continue;
            }
            assert_int_equal(r, CB_OK);
            uint8_t w[32];
            memcpy(w, want, 32);
            w[pos / 2] = (uint8_t)(pos % 2 ? (w[pos / 2] & 0xf0) | (unsigned)d
                                           : (w[pos / 2] & 0x0f) | (unsigned)d << 4);
            assert_memory_equal(out, w, 32);
        }
    }
    /* lengths that end in the byte-wise tail: 5, 6 and 7 bytes */
    for (size_t n = 5; n <= 7; n++) {
        assert_int_equal(cb_hex_decode(hex, 2 * n, out, n), CB_OK);
        assert_memory_equal(out, want, n);
    }
}

static void test_hex_decode_rejects_every_non_hex_byte(void **state)
{
    (void)state;
    uint8_t out[2];
    char in[4] = {'a', 'b', 'c', 'd'};
    int accepted = 0;
    for (int c = 0; c < 256; c++) {
        in[2] = (char)c;
        int r = cb_hex_decode(in, 4, out, 2);
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        assert_int_equal(r, hex ? CB_OK : CB_ERR_INVAL);
        if (hex) {
            accepted++;
            unsigned v = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
            assert_int_equal(out[1], (v << 4) | 0x0d);
        }
    }
    assert_int_equal(accepted, 22);
}

static void test_hex_decode_rejects_wrong_length(void **state)
{
    (void)state;
    uint8_t out[4];
    assert_int_equal(cb_hex_decode("abc", 3, out, 2), CB_ERR_INVAL);
    assert_int_equal(cb_hex_decode("abcdef", 6, out, 2), CB_ERR_INVAL);
    assert_int_equal(cb_hex_decode("", 0, out, 0), CB_OK);
    assert_int_equal(cb_hex_decode(NULL, 0, out, 0), CB_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_matches_fips_examples),
        cmocka_unit_test(test_sha256_concatenates_parts_and_skips_absent_ones),
        cmocka_unit_test(test_hmac_sha256_matches_rfc4231_cases),
        cmocka_unit_test(test_hmac_sha256_handles_keys_at_the_block_boundary),
        cmocka_unit_test(test_hmac_sha256_of_split_parts_equals_whole),
        cmocka_unit_test(test_hmac_sha256_reproduces_signature_vectors),
        cmocka_unit_test(test_ct_equal_compares_all_bytes),
        cmocka_unit_test(test_zeroize_clears_buffer),
        cmocka_unit_test(test_hex_encode_is_lowercase_and_terminated),
        cmocka_unit_test(test_hex_encode_never_overflows_a_short_buffer),
        cmocka_unit_test(test_hex_decode_accepts_both_cases),
        cmocka_unit_test(test_hex_digit_of_every_byte),
        cmocka_unit_test(test_hex_decode_checks_every_byte_at_every_position_of_a_signature),
        cmocka_unit_test(test_hex_decode_rejects_every_non_hex_byte),
        cmocka_unit_test(test_hex_decode_rejects_wrong_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
