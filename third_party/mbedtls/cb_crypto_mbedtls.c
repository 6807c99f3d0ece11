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

/* The two contexts of a prepared key, inside cb_hmac_key_t's opaque bytes. */
typedef struct {
    mbedtls_sha256_context inner, outer;
} prepared_t;
_Static_assert(sizeof(prepared_t) <= sizeof(cb_hmac_key_t), "cb_hmac_key_t too small");
_Static_assert(_Alignof(prepared_t) <= _Alignof(cb_hmac_key_t), "cb_hmac_key_t misaligned");

void cb_hmac_key_init(cb_hmac_key_t *key, const void *k, size_t k_len)
{
    prepared_t *p = (prepared_t *)key->opaque;
    uint8_t kb[BLOCK] = {0};
    uint8_t pad[BLOCK];

    /* RFC 2104: keys longer than the block are hashed first */
    if (k_len > BLOCK) {
        cb_span_t kp = {k, k_len};
        cb_sha256(&kp, 1, kb);
    } else if (k_len) {
        for (size_t i = 0; i < k_len; i++)
            kb[i] = ((const uint8_t *)k)[i];
    }
    mbedtls_sha256_init(&p->inner);
    mbedtls_sha256_init(&p->outer);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = kb[i] ^ 0x36;
    mbedtls_sha256_starts_ret(&p->inner, 0);
    mbedtls_sha256_update_ret(&p->inner, pad, BLOCK);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = kb[i] ^ 0x5c;
    mbedtls_sha256_starts_ret(&p->outer, 0);
    mbedtls_sha256_update_ret(&p->outer, pad, BLOCK);
    mbedtls_platform_zeroize(kb, sizeof kb);
    mbedtls_platform_zeroize(pad, sizeof pad);
}

void cb_hmac_key_wipe(cb_hmac_key_t *key)
{
    mbedtls_platform_zeroize(key, sizeof *key);
}

void cb_hmac_sha256_with(const cb_hmac_key_t *key, const cb_span_t *parts, size_t nparts,
                         uint8_t out[CB_SHA256_LEN])
{
    const prepared_t *p = (const prepared_t *)key->opaque;
    mbedtls_sha256_context c;
    uint8_t inner[CB_SHA256_LEN];
    mbedtls_sha256_clone(&c, &p->inner);
    sha256_parts(&c, parts, nparts);
    mbedtls_sha256_finish_ret(&c, inner);
    mbedtls_sha256_clone(&c, &p->outer);
    mbedtls_sha256_update_ret(&c, inner, sizeof inner);
    mbedtls_sha256_finish_ret(&c, out);
    mbedtls_sha256_free(&c);
    mbedtls_platform_zeroize(inner, sizeof inner);
}

void cb_hmac_sha256(const void *key, size_t key_len, const cb_span_t *parts, size_t nparts,
                    uint8_t out[CB_SHA256_LEN])
{
    cb_hmac_key_t k;
    cb_hmac_key_init(&k, key, key_len);
    cb_hmac_sha256_with(&k, parts, nparts, out);
    cb_hmac_key_wipe(&k);
}

int cb_ct_equal(const void *a, const void *b, size_t n)
{
    return mbedtls_ct_memcmp(a, b, n) == 0;
}

void cb_zeroize(void *p, size_t n)
{
    mbedtls_platform_zeroize(p, n);
}
