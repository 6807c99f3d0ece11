/* cb_crypto_mbedtls.c - cb_crypto.h over Mbed TLS 2.28 (Debian 12): SHA-256
 * contexts only, HMAC built by hand per RFC 2104 because mbedtls_md_hmac
 * allocates its context. The only file in the tree that spells mbedtls_. */
#include "cb_crypto.h"

#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#define BLOCK 64 /* SHA-256 block size: the HMAC key pad length */

static void sha256_parts(mbedtls_sha256_context *c, const cb_span_t *parts, size_t nparts)
{
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].p && parts[i].len)
            mbedtls_sha256_update_ret(c, (const unsigned char *)parts[i].p, parts[i].len);
}

void cb_sha256(const cb_span_t *parts, size_t nparts, uint8_t out[CB_SHA256_LEN])
{
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    sha256_parts(&c, parts, nparts);
    mbedtls_sha256_finish_ret(&c, out);
    mbedtls_sha256_free(&c);
}

void cb_hmac_sha256(const void *key, size_t key_len, const cb_span_t *parts, size_t nparts,
                    uint8_t out[CB_SHA256_LEN])
{
    uint8_t k[BLOCK] = {0};
    uint8_t pad[BLOCK];
    uint8_t inner[CB_SHA256_LEN];
    mbedtls_sha256_context c;

    /* RFC 2104: keys longer than the block are hashed first */
    if (key_len > BLOCK) {
        cb_span_t kp = {key, key_len};
        cb_sha256(&kp, 1, k);
    } else if (key_len) {
        for (size_t i = 0; i < key_len; i++)
            k[i] = ((const uint8_t *)key)[i];
    }

    mbedtls_sha256_init(&c);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    mbedtls_sha256_starts_ret(&c, 0);
    mbedtls_sha256_update_ret(&c, pad, BLOCK);
    sha256_parts(&c, parts, nparts);
    mbedtls_sha256_finish_ret(&c, inner);

    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    mbedtls_sha256_starts_ret(&c, 0);
    mbedtls_sha256_update_ret(&c, pad, BLOCK);
    mbedtls_sha256_update_ret(&c, inner, sizeof inner);
    mbedtls_sha256_finish_ret(&c, out);

    mbedtls_sha256_free(&c);
    mbedtls_platform_zeroize(k, sizeof k);
    mbedtls_platform_zeroize(pad, sizeof pad);
    mbedtls_platform_zeroize(inner, sizeof inner);
}

int cb_ct_equal(const void *a, const void *b, size_t n)
{
    return mbedtls_ct_memcmp(a, b, n) == 0;
}

void cb_zeroize(void *p, size_t n)
{
    mbedtls_platform_zeroize(p, n);
}
