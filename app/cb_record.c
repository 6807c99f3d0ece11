/* cb_record.c - journal payload encoding; see cb_record.h. */
#include "cb_record.h"
#include "cb_err.h"

#include <string.h>

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The event's fields in journal order; the order is the format. */
#define NFIELDS 8
static cb_span_t *field(cb_event_t *ev, int i)
{
    cb_span_t *f[NFIELDS] = {&ev->sender, &ev->job_id, &ev->client_id, &ev->created_at,
                             &ev->text,   &ev->id,     &ev->type,      &ev->timestamp};
    return f[i];
}

int cb_record_event_encode(const cb_record_event_t *r, uint8_t *buf, size_t cap)
{
    cb_event_t ev = r->ev;
    size_t n = 4 + CB_DUPKEY_LEN;
    if (cap < n)
        return CB_ERR_TOO_LARGE;
    put_u32(buf, r->seq);
    memcpy(buf + 4, r->key, CB_DUPKEY_LEN);
    for (int i = 0; i < NFIELDS; i++) {
        const cb_span_t *s = field(&ev, i);
        /* absent: length 0xFFFFFFFF, so "" and absent stay distinct */
        uint32_t len = s->p ? (uint32_t)s->len : UINT32_MAX;
        size_t body = s->p ? s->len : 0;
        if (cap - n < 4 || cap - n - 4 < body)
            return CB_ERR_TOO_LARGE;
        put_u32(buf + n, len);
        if (body)
            memcpy(buf + n + 4, s->p, body);
        n += 4 + body;
    }
    return (int)n;
}

int cb_record_event_decode(const uint8_t *buf, size_t len, cb_record_event_t *r)
{
    size_t n = 4 + CB_DUPKEY_LEN;
    memset(r, 0, sizeof *r);
    if (len < n)
        return CB_ERR_CORRUPT;
    r->seq = get_u32(buf);
    memcpy(r->key, buf + 4, CB_DUPKEY_LEN);
    for (int i = 0; i < NFIELDS; i++) {
        if (len - n < 4)
            return CB_ERR_CORRUPT;
        uint32_t flen = get_u32(buf + n);
        n += 4;
        cb_span_t *s = field(&r->ev, i);
        if (flen == UINT32_MAX) {
            *s = CB_SPAN_NONE;
            continue;
        }
        if (flen > len - n)
            return CB_ERR_CORRUPT;
        /* an empty present field still needs a non-NULL pointer */
        *s = cb_span((const char *)buf + n, flen);
        n += flen;
    }
    return n == len ? CB_OK : CB_ERR_CORRUPT;
}

size_t cb_record_small_len(uint8_t type)
{
    switch (type) {
    case CB_REC_ACK:
    case CB_REC_STATE:
    case CB_REC_FLAGS:
        return 4;
    case CB_REC_SEEN:
        return 4 + CB_DUPKEY_LEN;
    default:
        return 0;
    }
}

size_t cb_record_small_encode(uint8_t type, const cb_record_small_t *r,
                              uint8_t buf[CB_RECORD_SMALL_MAX])
{
    size_t n = cb_record_small_len(type);
    if (n == 0)
        return 0;
    put_u32(buf, r->value);
    if (n > 4)
        memcpy(buf + 4, r->key, CB_DUPKEY_LEN);
    return n;
}

int cb_record_small_decode(uint8_t type, const uint8_t *p, size_t len, cb_record_small_t *r)
{
    size_t n = cb_record_small_len(type);
    memset(r, 0, sizeof *r);
    if (n == 0 || len != n)
        return CB_ERR_CORRUPT;
    r->value = get_u32(p);
    if (n > 4)
        memcpy(r->key, p + 4, CB_DUPKEY_LEN);
    return CB_OK;
}

size_t cb_record_run_encode(uint32_t first, size_t n, uint8_t *buf)
{
    put_u32(buf, first);
    return 4 + n * CB_DUPKEY_LEN;
}

int cb_record_run_decode(const uint8_t *p, size_t len, uint32_t *first, size_t *n)
{
    if (len < 4 + CB_DUPKEY_LEN || (len - 4) % CB_DUPKEY_LEN)
        return CB_ERR_CORRUPT;
    *first = get_u32(p);
    *n = (len - 4) / CB_DUPKEY_LEN;
    return CB_OK;
}
