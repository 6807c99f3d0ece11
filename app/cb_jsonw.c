/* cb_jsonw.c - bounded JSON writer; see cb_jsonw.h. */
#include "cb_jsonw.h"
#include "cb_dec.h"
#include "cb_err.h"

#include <string.h>

static void put(cb_jsonw_t *w, const char *s, size_t n)
{
    if (w->overflow)
        return;
    if (w->cap == 0 || n > w->cap - 1 - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void sep(cb_jsonw_t *w)
{
    if (w->need_comma)
        put(w, ",", 1);
    w->need_comma = true;
}

void cb_jsonw_init(cb_jsonw_t *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = (cap == 0);
    w->need_comma = false;
    if (cap)
        buf[0] = '\0';
}

void cb_jsonw_obj_begin(cb_jsonw_t *w)
{
    sep(w);
    put(w, "{", 1);
    w->need_comma = false;
}

void cb_jsonw_obj_end(cb_jsonw_t *w)
{
    put(w, "}", 1);
    w->need_comma = true;
}

void cb_jsonw_arr_begin(cb_jsonw_t *w)
{
    sep(w);
    put(w, "[", 1);
    w->need_comma = false;
}

void cb_jsonw_arr_end(cb_jsonw_t *w)
{
    put(w, "]", 1);
    w->need_comma = true;
}

/* Bytes that cannot stand as they are inside a JSON string: control bytes,
 * DEL, '"' and '\\'. A table keeps the common path one load per byte. */
static const uint8_t k_escape[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1, [0x7f] = 1,
};

static void raw_str(cb_jsonw_t *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    size_t run = 0; /* start of the bytes copied as they are, flushed in one put */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!k_escape[c])
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            e[1] = '"';
            break;
        case '\\':
            e[1] = '\\';
            break;
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            n = 6;
        }
        put(w, e, n);
    }
    put(w, s + run, len - run);
    put(w, "\"", 1);
}

void cb_jsonw_key(cb_jsonw_t *w, const char *key)
{
    sep(w);
    raw_str(w, key, strlen(key));
    put(w, ":", 1);
    w->need_comma = false;
}

void cb_jsonw_str(cb_jsonw_t *w, const char *s, size_t len)
{
    sep(w);
    raw_str(w, s ? s : "", s ? len : 0);
}

void cb_jsonw_cstr(cb_jsonw_t *w, const char *s)
{
    cb_jsonw_str(w, s, s ? strlen(s) : 0);
}

void cb_jsonw_u64(cb_jsonw_t *w, uint64_t v)
{
    char d[CB_DEC_U64_MAX];
    size_t n = cb_dec_u64(d, sizeof d, v);
    sep(w);
    put(w, d, n);
}

void cb_jsonw_bool(cb_jsonw_t *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void cb_jsonw_kv_str(cb_jsonw_t *w, const char *key, const char *s, size_t len)
{
    cb_jsonw_key(w, key);
    cb_jsonw_str(w, s, len);
}

void cb_jsonw_kv_cstr(cb_jsonw_t *w, const char *key, const char *s)
{
    cb_jsonw_key(w, key);
    cb_jsonw_cstr(w, s);
}

void cb_jsonw_kv_u64(cb_jsonw_t *w, const char *key, uint64_t v)
{
    cb_jsonw_key(w, key);
    cb_jsonw_u64(w, v);
}

int cb_jsonw_finish(const cb_jsonw_t *w)
{
    return w->overflow ? CB_ERR_NOMEM : (int)w->len;
}
