/* cb_hex.h - hex encoding for signatures and tokens. */
#ifndef CB_HEX_H
#define CB_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of n bytes into out (2n chars + NUL; cap must be >= 2n+1). */
void cb_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Decodes exactly 2*n hex digits (either case) into out[n]. CB_OK or
 * CB_ERR_INVAL on a non-hex digit or wrong length. Runs in time that depends
 * only on the length (used on signatures). */
int cb_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t n);

/* The value of one hex digit (either case), or -1 when c is not one
 * (constant time too; for parsers of JSON escapes and IPv6 literals). */
int cb_hex_digit(char c);

#endif
