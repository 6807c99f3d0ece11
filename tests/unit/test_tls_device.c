/* test_tls_device.c - unit tests for a device's own TLS identity (cb_tls.h:
 * cb_tls_device_key, cb_tls_setup_device), what mps2-an385's HTTPS image
 * serves: a P-256 key from the port's entropy, and a self-signed certificate
 * made from it that is the same at every set-up, names the board's address,
 * and whose fingerprint is its DER's SHA-256. Run on the host's Mbed TLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_tls.h"

#include <mbedtls/asn1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include <stdio.h>
#include <string.h>

static int no_recv(int fd, uint8_t *buf, size_t cap)
{
    (void)fd, (void)buf, (void)cap;
    return CB_TLS_AGAIN;
}

static int no_send(int fd, const uint8_t *buf, size_t len)
{
    (void)fd, (void)buf;
    return (int)len;
}

static const cb_tls_bio_t k_bio = {no_recv, no_send};

/* A copy of the certificate the last set-up made. */
static size_t cert_copy(uint8_t *out, size_t cap)
{
    size_t len;
    const uint8_t *der = cb_tls_device_cert(&len);
    assert_non_null(der);
    assert_true(len > 0 && len <= cap);
    memcpy(out, der, len);
    return len;
}

static bool san_has_ip(const mbedtls_x509_crt *crt, const uint8_t ip[4])
{
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next)
        if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && s->buf.len == 4 &&
            memcmp(s->buf.p, ip, 4) == 0)
            return true;
    return false;
}

static void test_device_keys_differ(void **state)
{
    (void)state;
    uint8_t a[CB_TLS_DEVICE_KEY_LEN], b[CB_TLS_DEVICE_KEY_LEN], zero[CB_TLS_DEVICE_KEY_LEN] = {0};
    char err[200];
    assert_int_equal(cb_tls_device_key(a, err, sizeof err), 0);
    assert_int_equal(cb_tls_device_key(b, err, sizeof err), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
}

static void test_device_certificate_is_the_same_at_every_setup(void **state)
{
    (void)state;
    uint8_t key[CB_TLS_DEVICE_KEY_LEN], c1[2048], c2[2048], c3[2048];
    char err[200];
    assert_int_equal(cb_tls_device_key(key, err, sizeof err), 0);
    assert_int_equal(cb_tls_setup_device(key, "10.0.2.15", &k_bio, err, sizeof err), 0);
    size_t n1 = cert_copy(c1, sizeof c1);
    char fp[sizeof "AB:" * 32];
    snprintf(fp, sizeof fp, "%s", cb_tls_fingerprint());
    assert_int_equal(cb_tls_setup_device(key, "10.0.2.15", &k_bio, err, sizeof err), 0);
    size_t n2 = cert_copy(c2, sizeof c2);
    assert_int_equal(n1, n2);
    assert_memory_equal(c1, c2, n1);
    assert_string_equal(fp, cb_tls_fingerprint());

    /* its fingerprint is the DER's SHA-256, as "AB:CD:..." */
    uint8_t h[32];
    char want[sizeof fp];
    mbedtls_sha256_ret(c1, n1, h, 0);
    for (int i = 0; i < 32; i++)
        snprintf(want + 3 * i, 4, "%02X%s", h[i], i < 31 ? ":" : "");
    assert_string_equal(fp, want);

    /* another address: another certificate, same key */
    assert_int_equal(cb_tls_setup_device(key, "192.168.1.50", &k_bio, err, sizeof err), 0);
    size_t n3 = cert_copy(c3, sizeof c3);
    assert_false(n3 == n1 && memcmp(c1, c3, n1) == 0);
}

static void test_device_certificate_names_the_board(void **state)
{
    (void)state;
    uint8_t key[CB_TLS_DEVICE_KEY_LEN], der[2048];
    char err[200], dn[128];
    assert_int_equal(cb_tls_device_key(key, err, sizeof err), 0);
    assert_int_equal(cb_tls_setup_device(key, "10.0.2.15", &k_bio, err, sizeof err), 0);
    size_t n = cert_copy(der, sizeof der);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_crt_parse_der(&crt, der, n), 0);
    static const uint8_t board[4] = {10, 0, 2, 15}, lo[4] = {127, 0, 0, 1};
    assert_true(san_has_ip(&crt, board));
    assert_true(san_has_ip(&crt, lo));
    assert_true(mbedtls_x509_dn_gets(dn, sizeof dn, &crt.subject) > 0);
    assert_non_null(strstr(dn, "CN=chatbell"));
    assert_int_equal(crt.valid_from.year, 2025);
    assert_int_equal(crt.valid_to.year, 2099);
    assert_true(mbedtls_pk_can_do(&crt.pk, MBEDTLS_PK_ECDSA));
    /* self-signed: it verifies against itself */
    uint32_t flags = 0;
    assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, NULL, &flags, NULL, NULL), 0);
    mbedtls_x509_crt_free(&crt);
}

static void test_device_key_out_of_range_is_refused(void **state)
{
    (void)state;
    uint8_t zero[CB_TLS_DEVICE_KEY_LEN] = {0}, ones[CB_TLS_DEVICE_KEY_LEN];
    memset(ones, 0xff, sizeof ones); /* above the group order */
    char err[200] = "";
    assert_int_equal(cb_tls_setup_device(zero, "10.0.2.15", &k_bio, err, sizeof err), -1);
    assert_non_null(strstr(err, "tls_key"));
    err[0] = '\0';
    assert_int_equal(cb_tls_setup_device(ones, "10.0.2.15", &k_bio, err, sizeof err), -1);
    assert_non_null(strstr(err, "tls_key"));
    size_t len;
    assert_null(cb_tls_device_cert(&len));
    assert_int_equal(cb_tls_open(3, 0), -1); /* no server to open a session on */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_keys_differ),
        cmocka_unit_test(test_device_certificate_is_the_same_at_every_setup),
        cmocka_unit_test(test_device_certificate_names_the_board),
        cmocka_unit_test(test_device_key_out_of_range_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
