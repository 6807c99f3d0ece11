/* cb_hex.c - hex encoding and constant-time decoding for signatures and
 * tokens (cb_hex.h); called by cb_auth_sig and cb_auth_token. */
#include "cb_hex.h"
#include "cb_err.h"

#include <string.h>

/* 1 when 0 <= v < lim (v, lim small ints), computed without a branch so
 * decoding a secret-derived value leaks nothing through timing. */
static unsigned in_range(int v, int lim)
{
    return (((unsigned)v >> 31) ^ 1u) & ((unsigned)(v - lim) >> 31);
}

/* Nibble value of a hex digit; sets *bad when c is not one. */
static unsigned nibble(unsigned char c, unsigned *bad)
{
    int d = (int)c - '0';
    int l = (int)(c | 0x20) - 'a';
    unsigned is_d = in_range(d, 10);
    unsigned is_l = in_range(l, 6);
    *bad |= (is_d | is_l) ^ 1u;
    return ((unsigned)d & (0u - is_d)) | ((unsigned)(l + 10) & (0u - is_l));
}

int cb_hex_digit(char c)
{
    unsigned bad = 0;
    unsigned v = nibble((unsigned char)c, &bad);
    return bad ? -1 : (int)v;
}

static char digit(unsigned v)
{
    /* '0'..'9' for 0..9, 'a'..'f' for 10..15, without a table lookup */
    return (char)('0' + v + (in_range((int)v - 10, 6) * ('a' - '0' - 10)));
}

void cb_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    if (n > (cap - 1) / 2)
        n = (cap - 1) / 2;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digit(in[i] >> 4);
        out[2 * i + 1] = digit(in[i] & 0x0f);
    }
    out[2 * n] = '\0';
}

/* Digits per machine word: 8 on a 64-bit host, 4 on a Cortex-M. */
#define WORD sizeof(size_t)

/* WORD hex digits at p to WORD / 2 bytes (a signature is 64 digits); sets
 * high bits in *bad for any byte that is not a digit. A byte is tested by
 * adding 0x80 - bound: for bytes below 0x80 the top bit then says
 * byte >= bound and no sum carries into the next byte (a byte >= 0x80 fails
 * the decode whatever its sums do). No branch, no table: the time does not
 * depend on the digits. */
static void decode_word(const char *p, uint8_t *out, size_t *bad)
{
    const size_t ones = (size_t)-1 / 0xFF; /* 0x0101...01 */
    const size_t highs = ones * 0x80;
    size_t w;
    uint8_t v[WORD];
    memcpy(&w, p, WORD); /* any byte order: every step works per byte */
    *bad |= w & highs;
    size_t l = w | ones * 0x20; /* 'A'..'F' as 'a'..'f' */
    size_t dig = (w + ones * (0x80 - '0')) & ~(w + ones * (0x80 - '9' - 1));
    size_t let = (l + ones * (0x80 - 'a')) & ~(l + ones * (0x80 - 'f' - 1));
    *bad |= ~(dig | let) & highs;
    /* '0'..'9' are 0..9 in their low nibble, 'a'..'f' 1..6 (+9) */
    w = (w & ones * 0x0f) + ((let & highs) >> 7) * 9;
    memcpy(v, &w, WORD);
    for (size_t i = 0; i < WORD / 2; i++)
        out[i] = (uint8_t)(v[2 * i] << 4 | v[2 * i + 1]);
}

int cb_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t n)
{
    unsigned bad = 0;
    size_t badw = 0;
    if (!hex || !out || n > SIZE_MAX / 2 || hex_len != 2 * n)
        return CB_ERR_INVAL;
    size_t i = 0;
    for (; n - i >= WORD / 2; i += WORD / 2)
        decode_word(hex + 2 * i, out + i, &badw);
    for (; i < n; i++) {
        unsigned hi = nibble((unsigned char)hex[2 * i], &bad);
        unsigned lo = nibble((unsigned char)hex[2 * i + 1], &bad);
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return bad || badw ? CB_ERR_INVAL : CB_OK;
}
