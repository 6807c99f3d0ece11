/* cb_dec.c - unsigned integers to decimal text; see cb_dec.h. Called by the
 * HTTP response writer, the JSON writer, metrics and settings messages. */
#include "cb_dec.h"

#include <string.h>

/* Digits from the right into tmp, then one copy. 64-bit division only while
 * the value needs it: a 32-bit core does no helper call for a small one. */
static size_t put_digits(char *out, size_t cap, uint64_t v)
{
    char tmp[CB_DEC_U64_MAX];
    size_t i = sizeof tmp;
    while (v > UINT32_MAX) {
        tmp[--i] = (char)('0' + v % 10u);
        v /= 10u;
    }
    uint32_t w = (uint32_t)v;
    do {
        tmp[--i] = (char)('0' + w % 10u);
        w /= 10u;
    } while (w);
    size_t n = sizeof tmp - i;
    if (!out || n > cap)
        return 0;
    memcpy(out, tmp + i, n);
    return n;
}

size_t cb_dec_u32(char *out, size_t cap, uint32_t v)
{
    return put_digits(out, cap, v);
}

size_t cb_dec_u64(char *out, size_t cap, uint64_t v)
{
    return put_digits(out, cap, v);
}
