/* cb_crypto.h - the hashing the core needs, implemented over Mbed TLS's
 * sha256 contexts in third_party/mbedtls/cb_crypto_mbedtls.c (the only file
 * that spells mbedtls_). Nothing here allocates. */
#ifndef CB_CRYPTO_H
#define CB_CRYPTO_H

#include "cb_span.h"

#include <stddef.h>
#include <stdint.h>

#define CB_SHA256_LEN 32

/* SHA-256 of the concatenation of nparts spans. */
void cb_sha256(const cb_span_t *parts, size_t nparts, uint8_t out[CB_SHA256_LEN]);

/* HMAC-SHA256 (RFC 2104) with key over the concatenation of nparts spans.
 * Key material on the stack is wiped before return. */
void cb_hmac_sha256(const void *key, size_t key_len, const cb_span_t *parts, size_t nparts,
                    uint8_t out[CB_SHA256_LEN]);

/* A key prepared once for many HMACs: the SHA-256 states after the inner
 * and outer key pads (RFC 2104 section 4: "precomputed"), so each message
 * hashes two blocks fewer. Holds key material: wipe with cb_hmac_key_wipe.
 * Opaque; sized for the glue's contexts (checked there at build time). */
typedef struct {
    uint64_t opaque[32];
} cb_hmac_key_t;

void cb_hmac_key_init(cb_hmac_key_t *k, const void *key, size_t key_len);
void cb_hmac_key_wipe(cb_hmac_key_t *k);

/* HMAC-SHA256 under a prepared key over the concatenation of nparts spans. */
void cb_hmac_sha256_with(const cb_hmac_key_t *k, const cb_span_t *parts, size_t nparts,
                         uint8_t out[CB_SHA256_LEN]);

/* 1 if the n bytes at a and b are equal, 0 if not; time depends only on n. */
int cb_ct_equal(const void *a, const void *b, size_t n);

/* Wipes n bytes so the compiler cannot optimise it away. */
void cb_zeroize(void *p, size_t n);

#endif
