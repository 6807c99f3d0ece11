/* cb_siphash.h - SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012), 64- and 128-bit outputs, incremental: the keyed
 * short hash of the duplicate keys (cb_inbox_key). */
#ifndef CB_SIPHASH_H
#define CB_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define CB_SIPHASH_KEY_LEN 16

/* Caller-owned state; holds key material until cb_siphash_final wipes it. */
typedef struct {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;  /* the bytes of an unfinished word, little-endian */
    size_t len;     /* bytes taken so far */
    size_t out_len; /* 8 or 16 */
} cb_siphash_t;

/* Starts a hash under key with out_len bytes of output: 16 for the
 * 128-bit variant, anything else for the 64-bit one (8 bytes). */
void cb_siphash_init(cb_siphash_t *s, const uint8_t key[CB_SIPHASH_KEY_LEN], size_t out_len);

/* Hashes n more bytes (any split gives the same result). */
void cb_siphash_update(cb_siphash_t *s, const void *p, size_t n);

/* Writes out_len bytes (little-endian words, as the paper's reference) and
 * wipes the state. */
void cb_siphash_final(cb_siphash_t *s, uint8_t *out);

#endif
