/* cb_base64.h - base64 (RFC 4648): the standard alphabet for HTTP Basic
 * credentials (cb_form) and the URL-safe one for device tokens
 * (cb_auth_token). Bounded, no allocation, no table lookups on data. */
#ifndef CB_BASE64_H
#define CB_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes (without the NUL): padded for the
 * standard alphabet, unpadded for the URL-safe one. */
#define CB_BASE64_ENC_LEN(n, url) ((url) ? ((n)*4 + 2) / 3 : (((n) + 2) / 3) * 4)

/* Encodes n bytes into out (NUL-terminated). url: URL-safe alphabet ('-',
 * '_') without padding (RFC 4648 section 5), else standard with '=' padding.
 * Returns the characters written (without the NUL) or CB_ERR_NOMEM when cap
 * is less than CB_BASE64_ENC_LEN(n, url) + 1 (out is then an empty string
 * when cap > 0). */
int cb_base64_encode(const uint8_t *in, size_t n, bool url, char *out, size_t cap);

/* Decodes len characters of the chosen alphabet into out. '=' padding is
 * optional but, when present, must complete the last quantum exactly; a
 * length of 4k+1, any other character (incl. whitespace), or non-zero unused
 * bits in the last character (a non-canonical encoding) is CB_ERR_INVAL.
 * Returns the bytes written, or CB_ERR_TOO_LARGE when they would exceed cap
 * (nothing beyond cap is written). */
int cb_base64_decode(const char *in, size_t len, bool url, uint8_t *out, size_t cap);

#endif
