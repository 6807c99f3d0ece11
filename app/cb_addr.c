/* cb_addr.c - IP address literals (cb_addr.h); called by the settings check,
 * the authentication gate and the connection cap. */
#include "cb_addr.h"
#include "cb_err.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_v4(const char *p, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || p[i] != '.')
                return CB_ERR_INVAL;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && p[i] >= '0' && p[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(p[i++] - '0');
        size_t n = i - start;
        /* "010" could mean octal to some readers: refuse it */
        if (n == 0 || v > 255 || (n > 1 && p[start] == '0'))
            return CB_ERR_INVAL;
        out[part] = (uint8_t)v;
    }
    return i == len ? CB_OK : CB_ERR_INVAL;
}

static int parse_v6(const char *p, size_t len, uint8_t out[CB_ADDR_LEN])
{
    uint8_t a[CB_ADDR_LEN] = {0};
    size_t n = 0; /* bytes written */
    int gap = -1; /* byte offset of "::" */
    size_t i = 0;
    if (len >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len && p[0] == ':') {
        return CB_ERR_INVAL;
    }
    while (i < len) {
        /* a dotted IPv4 tail takes the last 4 bytes */
        size_t j = i;
        while (j < len && p[j] != ':' && p[j] != '.')
            j++;
        if (j < len && p[j] == '.') {
            if (n + 4 > CB_ADDR_LEN || parse_v4(p + i, len - i, a + n) != CB_OK)
                return CB_ERR_INVAL;
            n += 4;
            i = len;
            break;
        }
        unsigned v = 0;
        size_t start = i;
        while (i < len && hexval(p[i]) >= 0 && i - start < 4)
            v = v << 4 | (unsigned)hexval(p[i++]);
        if (i == start || n + 2 > CB_ADDR_LEN)
            return CB_ERR_INVAL;
        a[n++] = (uint8_t)(v >> 8);
        a[n++] = (uint8_t)v;
        if (i == len)
            break;
        if (p[i] != ':')
            return CB_ERR_INVAL;
        i++;
        if (i < len && p[i] == ':') {
            if (gap >= 0)
                return CB_ERR_INVAL; /* "::" twice */
            gap = (int)n;
            i++;
        } else if (i == len) {
            return CB_ERR_INVAL; /* trailing single ':' */
        }
    }
    if (gap < 0) {
        if (n != CB_ADDR_LEN)
            return CB_ERR_INVAL;
    } else {
        if (n > CB_ADDR_LEN - 2)
            return CB_ERR_INVAL; /* "::" stands for at least one group */
        size_t tail = n - (size_t)gap;
        for (size_t k = 0; k < tail; k++) {
            a[CB_ADDR_LEN - 1 - k] = a[n - 1 - k];
            a[n - 1 - k] = 0;
        }
        for (size_t k = (size_t)gap; k < CB_ADDR_LEN - tail; k++)
            a[k] = 0;
    }
    for (size_t k = 0; k < CB_ADDR_LEN; k++)
        out[k] = a[k];
    return CB_OK;
}

int cb_addr_parse(cb_span_t text, uint8_t out[CB_ADDR_LEN])
{
    cb_span_t t = cb_span_trim(text);
    if (!t.p || t.len == 0 || t.len > 45) /* the longest IPv6 text */
        return CB_ERR_INVAL;
    bool v6 = false;
    for (size_t i = 0; i < t.len; i++)
        if (t.p[i] == ':')
            v6 = true;
    if (v6)
        return parse_v6(t.p, t.len, out);
    uint8_t v4[4];
    if (parse_v4(t.p, t.len, v4) != CB_OK)
        return CB_ERR_INVAL;
    for (int k = 0; k < 10; k++)
        out[k] = 0;
    out[10] = out[11] = 0xff;
    for (int k = 0; k < 4; k++)
        out[12 + k] = v4[k];
    return CB_OK;
}

int cb_addr_list_each(cb_span_t list, bool (*each)(const uint8_t addr[CB_ADDR_LEN], void *ctx),
                      void *ctx)
{
    if (cb_span_trim(list).len == 0)
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= list.len; i++) {
        if (i < list.len && list.p[i] != ',')
            continue;
        uint8_t a[CB_ADDR_LEN];
        if (cb_addr_parse(cb_span(list.p + start, i - start), a) != CB_OK)
            return CB_ERR_INVAL;
        if (each && each(a, ctx))
            return 1;
        start = i + 1;
    }
    return 0;
}

static bool same(const uint8_t addr[CB_ADDR_LEN], void *ctx)
{
    const uint8_t *want = ctx;
    for (int k = 0; k < CB_ADDR_LEN; k++)
        if (addr[k] != want[k])
            return false;
    return true;
}

bool cb_addr_in_list(cb_span_t list, cb_span_t text)
{
    uint8_t a[CB_ADDR_LEN];
    return cb_addr_parse(text, a) == CB_OK && cb_addr_list_each(list, same, a) == 1;
}
