/* cb_base64.c - base64 encode/decode (cb_base64.h) for cb_form (HTTP Basic)
 * and cb_auth_token (URL-safe tokens). Character mapping is arithmetic with
 * masks, not a table, so decoding secrets leaks nothing through the cache. */
#include "cb_base64.h"
#include "cb_err.h"

/* all-ones when lo <= c <= hi (c, lo, hi small non-negative ints), else 0 */
static unsigned range_mask(int c, int lo, int hi)
{
    return 0u - ((((unsigned)(c - lo) >> 31) | ((unsigned)(hi - c) >> 31)) ^ 1u);
}

static char enc_char(unsigned v, bool url)
{
    int x = (int)v;
    unsigned r = ((unsigned)(x + 'A') & range_mask(x, 0, 25)) |
                 ((unsigned)(x - 26 + 'a') & range_mask(x, 26, 51)) |
                 ((unsigned)(x - 52 + '0') & range_mask(x, 52, 61)) |
                 ((unsigned)(url ? '-' : '+') & range_mask(x, 62, 62)) |
                 ((unsigned)(url ? '_' : '/') & range_mask(x, 63, 63));
    return (char)r;
}

/* 6-bit value of c, or 0xff-ish with *bad set when not in the alphabet */
static unsigned dec_char(unsigned char ch, bool url, unsigned *bad)
{
    int c = ch;
    unsigned m62 = range_mask(c, url ? '-' : '+', url ? '-' : '+');
    unsigned m63 = range_mask(c, url ? '_' : '/', url ? '_' : '/');
    unsigned mu = range_mask(c, 'A', 'Z'), ml = range_mask(c, 'a', 'z');
    unsigned md = range_mask(c, '0', '9');
    unsigned v = ((unsigned)(c - 'A') & mu) | ((unsigned)(c - 'a' + 26) & ml) |
                 ((unsigned)(c - '0' + 52) & md) | (62u & m62) | (63u & m63);
    *bad |= ~(mu | ml | md | m62 | m63) & 1u;
    return v;
}

int cb_base64_encode(const uint8_t *in, size_t n, bool url, char *out, size_t cap)
{
    if (!out || cap == 0)
        return CB_ERR_NOMEM;
    if (n > (SIZE_MAX - 3) / 4 || cap < CB_BASE64_ENC_LEN(n, url) + 1) {
        out[0] = '\0';
        return CB_ERR_NOMEM;
    }
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = enc_char(v >> 18, url);
        out[o++] = enc_char((v >> 12) & 63, url);
        out[o++] = enc_char((v >> 6) & 63, url);
        out[o++] = enc_char(v & 63, url);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = enc_char(v >> 18, url);
        out[o++] = enc_char((v >> 12) & 63, url);
        if (!url) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = enc_char(v >> 18, url);
        out[o++] = enc_char((v >> 12) & 63, url);
        out[o++] = enc_char((v >> 6) & 63, url);
        if (!url)
            out[o++] = '=';
    }
    out[o] = '\0';
    return (int)o;
}

int cb_base64_decode(const char *in, size_t len, bool url, uint8_t *out, size_t cap)
{
    if (!in && len)
        return CB_ERR_INVAL;
    /* padding: only at the end, only to complete a 4-character quantum */
    size_t pad = 0;
    while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
        pad++;
    if (pad && len % 4 != 0)
        return CB_ERR_INVAL;
    len -= pad;
    if (len % 4 == 1 || (pad && len % 4 + pad != 4))
        return CB_ERR_INVAL;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > cap)
        return CB_ERR_TOO_LARGE;

    unsigned bad = 0;
    size_t o = 0, i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t v = dec_char((unsigned char)in[i], url, &bad) << 18 |
                     dec_char((unsigned char)in[i + 1], url, &bad) << 12 |
                     dec_char((unsigned char)in[i + 2], url, &bad) << 6 |
                     dec_char((unsigned char)in[i + 3], url, &bad);
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (len - i >= 2) {
        uint32_t v = dec_char((unsigned char)in[i], url, &bad) << 18 |
                     dec_char((unsigned char)in[i + 1], url, &bad) << 12;
        if (len - i == 3) {
            v |= dec_char((unsigned char)in[i + 2], url, &bad) << 6;
            bad |= (v & 0xff) != 0; /* unused low bits must be zero */
            out[o++] = (uint8_t)(v >> 16);
            out[o++] = (uint8_t)(v >> 8);
        } else {
            bad |= (v & 0xffff) != 0;
            out[o++] = (uint8_t)(v >> 16);
        }
    }
    return bad ? CB_ERR_INVAL : (int)o;
}
