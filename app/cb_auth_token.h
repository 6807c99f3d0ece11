/* cb_auth_token.h - bearer tokens (SPEC 3): the self-contained tokens the
 * device issues at POST /auth/token and verifies on webhooks (dynamic mode),
 * and the constant-time check of a static token (static mode). Called by the
 * server; the device key is kept by the server in the journal. */
#ifndef CB_AUTH_TOKEN_H
#define CB_AUTH_TOKEN_H

#include "cb_span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the device key that signs tokens. */
#define CB_AUTH_TOKEN_KEY_LEN 32

/* Token layout before encoding: version (1) | expiry, Unix seconds, big
 * endian (8) | random nonce (8) | HMAC-SHA256 tag (32) under the device key
 * over the first 17 bytes, SHA-256 of the client secret and the client id:
 * changing the configured client id or client secret revokes the tokens
 * issued under the old one. Text: base64url without padding,
 * CB_AUTH_TOKEN_TEXT_LEN characters. (Version 1 tokens did not bind the
 * secret; they no longer verify and InstaLeap renews them.) */
#define CB_AUTH_TOKEN_VERSION  2
#define CB_AUTH_TOKEN_RAW_LEN  49
#define CB_AUTH_TOKEN_TEXT_LEN 66
/* Buffer for a token's text with its NUL. */
#define CB_AUTH_TOKEN_TEXT_CAP (CB_AUTH_TOKEN_TEXT_LEN + 1)

/* Issues a token for client_id (with client_secret bound by its hash) valid until now_s + ttl_s
 * (saturating) into out (NUL-terminated). now_s: wall-clock Unix seconds. Returns the text length
 * (CB_AUTH_TOKEN_TEXT_LEN), CB_ERR_NOMEM when cap is less than CB_AUTH_TOKEN_TEXT_CAP, CB_ERR_INVAL
 * for ttl_s 0, or CB_ERR_CRYPTO when no random nonce could be had. *expiry_s (may be NULL) gets the
 * expiry. */
int cb_auth_token_issue(const uint8_t key[CB_AUTH_TOKEN_KEY_LEN], cb_span_t client_id,
                        cb_span_t client_secret, uint64_t now_s, uint32_t ttl_s, char *out,
                        size_t cap, uint64_t *expiry_s);

/* Verifies a token's text (surrounding spaces ignored) issued under key for
 * client_id and client_secret (so changing either revokes its tokens).
 * Returns CB_OK; CB_ERR_AUTH_MISSING for an absent or empty token;
 * CB_ERR_AUTH_INVALID for a token of the wrong length, alphabet or version,
 * or whose tag does not verify (compared in constant time); or
 * CB_ERR_AUTH_EXPIRED when it verifies but now_s >= its expiry. The expiry is
 * only looked at after the tag verified. *expiry_s (may be NULL) gets it on
 * CB_OK and CB_ERR_AUTH_EXPIRED. */
int cb_auth_token_verify(cb_span_t token, const uint8_t key[CB_AUTH_TOKEN_KEY_LEN],
                         cb_span_t client_id, cb_span_t client_secret, uint64_t now_s,
                         uint64_t *expiry_s);

/* The token of an "Authorization: Bearer <token>" value (scheme case-
 * insensitive, spaces after it): CB_OK, or CB_ERR_AUTH_MISSING when the value
 * is absent, of another scheme, or has no token. */
int cb_auth_token_bearer(cb_span_t header_value, cb_span_t *token);

/* True if a and b hold the same bytes. Neither the time taken nor an early
 * exit tells how much of a matched or how long b is beyond SHA-256 block
 * granularity: both are HMAC'ed under a random per-boot key and the tags
 * compared in constant time. An absent or empty b never matches. Used for
 * the static token, the admin token and the client credentials. */
bool cb_auth_token_equal(cb_span_t a, cb_span_t b);

/* Static mode: got is the configured header's value (absent if not sent),
 * want the configured token. CB_OK, CB_ERR_AUTH_MISSING (not sent or
 * empty), or CB_ERR_AUTH_INVALID. A "Bearer " prefix is not stripped: the
 * header must equal the token (SPEC 3). */
int cb_auth_token_check_static(cb_span_t got, cb_span_t want);

#endif
