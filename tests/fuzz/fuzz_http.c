/* fuzz_http.c - fuzzes the cb_http request reader: the input, fed whole and
 * in pieces chosen by its first two bytes, must give the same events and
 * requests, and every event must leave the reader's invariants intact.
 * Input: byte 0 = body limit (bits 0-1) and largest piece - 1 (bits 2-7),
 * byte 1 = seed for the piece sizes, then the bytes a connection receives. */
#include "cb_err.h"
#include "cb_http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MARKS_MAX 64

typedef struct {
    cb_http_ev_t ev;
    size_t off;      /* input offset after the event */
    int status;      /* for ERROR */
    uint64_t digest; /* for HEAD / REQUEST: what the server can see */
} mark_t;

static cb_http_reader_t s_whole, s_split;

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t fnv_span(uint64_t h, cb_span_t s)
{
    uint8_t present = s.p != NULL;
    h = fnv(h, &present, 1);
    h = fnv(h, &s.len, sizeof s.len);
    return s.len ? fnv(h, s.p, s.len) : h;
}

static bool span_inside(cb_span_t s, const char *base, size_t len)
{
    if (!s.p)
        return s.len == 0;
    return s.p >= base && s.len <= len && (size_t)(s.p - base) <= len - s.len;
}

/* Invariants after any feed, and what the server may read after an event. */
static uint64_t check(const cb_http_reader_t *r, cb_http_ev_t ev)
{
    const cb_http_request_t *q = &r->req;
    REQUIRE(r->head_len < r->head_cap);
    REQUIRE(r->body_len <= r->body_limit && r->body_limit <= CB_CFG_BODY_MAX);
    REQUIRE(q->nfields <= CB_CFG_HTTP_MAX_FIELDS);
    if (ev == CB_HTTP_EV_ERROR) {
        REQUIRE(r->err_status >= 400 && r->err_status <= 505);
        REQUIRE(r->err_code && r->err_message);
        REQUIRE(!q->keep_alive);
        REQUIRE(!cb_http_reader_in_request(r));
        return (uint64_t)r->err_status;
    }
    if (ev == CB_HTTP_EV_NONE)
        return 0;
    REQUIRE(r->err_status == 0 && r->err_code == NULL);
    REQUIRE(q->version_minor == 0 || q->version_minor == 1);
    REQUIRE(q->method_str.len > 0 && q->target.len > 0 && q->path.len > 0);
    REQUIRE(span_inside(q->method_str, r->head, r->head_len));
    REQUIRE(span_inside(q->target, r->head, r->head_len));
    REQUIRE(span_inside(q->path, r->head, r->head_len));
    REQUIRE(span_inside(q->query, r->head, r->head_len));
    REQUIRE(q->path.p[0] == '/' || q->method == CB_HTTP_OPTIONS);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, &q->method, sizeof q->method);
    h = fnv_span(h, q->method_str);
    h = fnv_span(h, q->target);
    h = fnv_span(h, q->path);
    h = fnv_span(h, q->query);
    h = fnv(h, &q->version_minor, sizeof q->version_minor);
    for (size_t i = 0; i < q->nfields; i++) {
        REQUIRE(q->fields[i].name.len > 0);
        REQUIRE(span_inside(q->fields[i].name, r->head, r->head_len));
        REQUIRE(span_inside(q->fields[i].value, r->head, r->head_len));
        h = fnv_span(h, q->fields[i].name);
        h = fnv_span(h, q->fields[i].value);
    }
    h = fnv(h, &q->keep_alive, sizeof q->keep_alive);
    h = fnv(h, &q->expect_continue, sizeof q->expect_continue);
    size_t count;
    cb_span_t host = cb_http_field(q, "host", &count);
    REQUIRE(count <= q->nfields && (count > 0) == (host.p != NULL));
    REQUIRE(q->version_minor == 0 || count == 1);
    if (ev == CB_HTTP_EV_REQUEST) {
        REQUIRE(!cb_http_reader_in_request(r));
        REQUIRE((q->body_len == 0 || q->body == r->body) && q->body_len <= r->body_limit);
        h = fnv(h, &q->body_len, sizeof q->body_len);
        h = fnv(h, q->body, q->body_len);
    } else {
        REQUIRE(cb_http_reader_in_request(r));
    }
    return h;
}

/* Feeds d to r in pieces of 1..maxpiece bytes (0: all that is left), resetting
 * after each complete request, until an error or the end; records events. */
static size_t drive(cb_http_reader_t *r, const uint8_t *d, size_t len, uint32_t limit,
                    unsigned maxpiece, uint32_t seed, mark_t *marks)
{
    size_t off = 0, nm = 0;
    static uint8_t body[CB_CFG_BODY_MAX];
    static char head[CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX];
    cb_http_reader_init(r, limit);
    while (nm < MARKS_MAX) {
        if (cb_http_reader_needs_head_room(r)) { /* the head outgrew the reader's own */
            cb_http_ev_t w;
            REQUIRE(cb_http_reader_feed(r, d + off, len - off, &w) == 0 && w == CB_HTTP_EV_NONE);
            cb_http_reader_set_head(r, head, sizeof head);
        }
        if (cb_http_reader_needs_body(r)) { /* waits, consuming nothing, until lent one */
            cb_http_ev_t w;
            REQUIRE(cb_http_reader_feed(r, d + off, len - off, &w) == 0 && w == CB_HTTP_EV_NONE);
            cb_http_reader_set_body(r, body);
        }
        size_t n = len - off;
        if (maxpiece) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            if (n > seed % maxpiece + 1)
                n = seed % maxpiece + 1;
        }
        cb_http_ev_t ev;
        size_t c = cb_http_reader_feed(r, d + off, n, &ev);
        REQUIRE(c <= n);
        off += c;
        uint64_t digest = check(r, ev);
        if (ev == CB_HTTP_EV_NONE) {
            REQUIRE(c == n || cb_http_reader_needs_head_room(r));
            if (off == len)
                break;
            continue;
        }
        marks[nm++] = (mark_t){ev, off, r->err_status, digest};
        if (ev == CB_HTTP_EV_ERROR)
            break;
        if (ev == CB_HTTP_EV_REQUEST) { /* buffers back to the pool, as the server does */
            cb_http_reader_reset(r);
            cb_http_reader_set_head(r, NULL, 0);
            cb_http_reader_set_body(r, NULL);
        }
    }
    return nm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t limits[4] = {CB_CFG_BODY_MAX, 0, 16, 1000};
    static mark_t whole[MARKS_MAX], split[MARKS_MAX];
    if (size < 2)
        return 0;
    uint32_t limit = limits[data[0] & 3];
    unsigned maxpiece = (unsigned)(data[0] >> 2) + 1;
    uint32_t seed = data[1] * 2654435761u + 1;
    const uint8_t *d = data + 2;
    size -= 2;

    size_t nw = drive(&s_whole, d, size, limit, 0, 0, whole);
    size_t ns = drive(&s_split, d, size, limit, maxpiece, seed, split);
    REQUIRE(nw == ns);
    for (size_t i = 0; i < nw; i++) {
        REQUIRE(whole[i].ev == split[i].ev && whole[i].off == split[i].off);
        REQUIRE(whole[i].status == split[i].status && whole[i].digest == split[i].digest);
    }

    /* the writer with fuzzed body and capacity never overruns */
    static char out[CB_CFG_RESP_MAX];
    size_t cap = size ? d[0] * 4u : 0;
    int n = cb_http_write_response(out, cap < sizeof out ? cap : sizeof out, 200, NULL, NULL,
                                   (const char *)d, size, (size & 1) != 0);
    REQUIRE(n == CB_ERR_NOMEM || (n > 0 && (size_t)n <= cap));
    return 0;
}
