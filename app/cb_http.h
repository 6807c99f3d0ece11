/* cb_http.h - incremental, bounded HTTP/1.1 request reader (RFC 9112) and
 * response writer. Sans-IO: the server feeds it the bytes a connection
 * received; it copies the head into its own fixed buffer and the (de-chunked)
 * body into a buffer the owner lends (cb_http_reader_set_body), and says when
 * a request is complete or what the error is. */
#ifndef CB_HTTP_H
#define CB_HTTP_H

#include "cb_config.h"
#include "cb_span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CB_HTTP_GET,
    CB_HTTP_HEAD,
    CB_HTTP_POST,
    CB_HTTP_PUT,
    CB_HTTP_DELETE,
    CB_HTTP_OPTIONS,
    CB_HTTP_PATCH,
    CB_HTTP_TRACE,
    CB_HTTP_CONNECT,
    CB_HTTP_UNKNOWN /* a syntactically valid token we do not know: 501 */
} cb_http_method_t;

typedef struct {
    cb_span_t name;  /* as received (compare with cb_span_ieq) */
    cb_span_t value; /* OWS trimmed */
} cb_http_field_t;

typedef struct {
    cb_http_method_t method;
    cb_span_t method_str;
    cb_span_t target;  /* request-target as sent */
    cb_span_t path;    /* origin-form path, or the path of an absolute-form target
                          ("/" if it has none), or "*" (OPTIONS *) */
    cb_span_t query;   /* after '?', absent if none */
    int version_minor; /* 0 or 1 (HTTP/1.x) */
    cb_http_field_t fields[CB_CFG_HTTP_MAX_FIELDS];
    size_t nfields;
    bool keep_alive;      /* after this request (version, Connection header) */
    bool expect_continue; /* "Expect: 100-continue" was sent */
    uint8_t *body;        /* de-chunked body, in the lent body buffer (the webhook
                             decodes the event in place) */
    size_t body_len;
} cb_http_request_t;

typedef enum {
    CB_HTTP_EV_NONE = 0, /* all given bytes consumed, need more */
    CB_HTTP_EV_HEAD,     /* head complete and valid, body not read yet: the server
                            may answer 100 Continue (expect_continue) or reject now;
                            feed again to read the body. Given for every request,
                            bodyless too: REQUEST then comes on the next feed, even
                            one of len 0 */
    CB_HTTP_EV_REQUEST,  /* request complete: req is valid until reset */
    CB_HTTP_EV_ERROR,    /* framing error: err_* set; answer, then close */
} cb_http_ev_t;

typedef struct {
    /* public after an event */
    cb_http_request_t req;
    int err_status;          /* 400, 411, 413, 414, 431, 501, 505, 417 */
    const char *err_code;    /* "bad_request", "length_required", ... (SPEC 2) */
    const char *err_message; /* one human sentence, static, no input echoed */

    /* private */
    int state;
    uint32_t body_limit;
    size_t head_len;         /* bytes stored in head (lines without their CRLF) */
    size_t line_len;         /* bytes stored of the current line */
    size_t hdr_bytes;        /* header (and trailer) bytes received, CRLFs included */
    uint64_t content_length; /* Content-Length, then body or chunk bytes remaining */
    bool chunked;
    bool has_length;
    unsigned flags;      /* seen while reading the head (cb_http.c FL_*) */
    unsigned host_count; /* Host field lines */
    size_t body_len;
    int chunk_state;
    size_t chunk_line_len;
    bool need_room; /* cb_http_reader_needs_head_room */
    uint8_t *body;  /* lent by the owner, body_limit bytes; NULL: none yet */
    char *head;     /* head_own, or a larger buffer lent by the owner */
    size_t head_cap;
    char head_own[CB_CFG_CONN_HEAD];
} cb_http_reader_t;

_Static_assert(CB_CFG_CONN_HEAD >= 256 &&
                   CB_CFG_CONN_HEAD <= CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX,
               "a connection's head buffer is at most the whole head");

/* Prepares a reader, with no body buffer; body_limit (<= CB_CFG_BODY_MAX)
 * bounds the body. */
void cb_http_reader_init(cb_http_reader_t *r, uint32_t body_limit);

/* Lends buf (at least body_limit bytes; NULL takes it back) for bodies. The
 * reader keeps it across resets until set again. Between requests or in
 * cb_http_reader_needs_body's wait only. */
void cb_http_reader_set_body(cb_http_reader_t *r, uint8_t *buf);

/* True when the head outgrew the reader's own buffer (CB_CFG_CONN_HEAD)
 * before its limits: feed then consumes nothing and gives CB_HTTP_EV_NONE
 * until the owner lends a larger one with cb_http_reader_set_head. */
bool cb_http_reader_needs_head_room(const cb_http_reader_t *r);

/* Moves the head into buf (cap bytes, at least CB_CFG_HTTP_LINE_MAX +
 * CB_CFG_HTTP_HEADERS_MAX; the request's spans follow). NULL goes back to
 * the reader's own buffer, dropping what the head held: when the owner takes
 * its buffer back, after a reset or once the request is abandoned. */
void cb_http_reader_set_head(cb_http_reader_t *r, char *buf, size_t cap);

/* True when a head was read whose body (Content-Length > 0, or chunked) is
 * due and no body buffer is lent: feed then consumes nothing and gives
 * CB_HTTP_EV_NONE until one is. */
bool cb_http_reader_needs_body(const cb_http_reader_t *r);

/* Readies the reader for the next request on a keep-alive connection. */
void cb_http_reader_reset(cb_http_reader_t *r);

/* Feeds up to len received bytes. Returns the number of bytes consumed (it
 * stops right after a complete request or a head, so pipelined bytes stay
 * with the caller) and sets *ev. After CB_HTTP_EV_ERROR the reader stays in
 * error until reset. */
size_t cb_http_reader_feed(cb_http_reader_t *r, const uint8_t *data, size_t len, cb_http_ev_t *ev);

/* True once the first byte of a request has arrived and until it completes
 * (the server then applies the request timeout instead of the idle one). */
bool cb_http_reader_in_request(const cb_http_reader_t *r);

/* Value of the first field with this name (case-insensitive), or an absent
 * span. count_out, when not NULL, gets how many fields have the name. */
cb_span_t cb_http_field(const cb_http_request_t *req, const char *name, size_t *count_out);

/* Standard reason phrase for a status ("Not Found"). */
const char *cb_http_reason(int status);

/* Bytes of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7). */
#define CB_HTTP_DATE_LEN 29

/* Writes the IMF-fixdate of epoch_s (Unix seconds, UTC) to out, no NUL.
 * Returns CB_HTTP_DATE_LEN, or CB_ERR_INVAL for a year outside 1..9999. */
int cb_http_date(int64_t epoch_s, char out[CB_HTTP_DATE_LEN]);

/* Writes a complete response head and body into out (body may lie in out
 * itself, after the head's room: it is moved into place). extra_fields is zero or
 * more "Name: value\r\n" lines (or NULL). Adds Date (RFC 9110 6.6.1) while
 * cb_port_wall_ms says the clock is trusted, on every status but 1xx (the
 * text is made once per second); Content-Length, Content-Type (when
 * body_len > 0 or ctype given), and "Connection: close" when close.
 * Returns bytes written, or CB_ERR_NOMEM if it does not fit in cap. */
int cb_http_write_response(char *out, size_t cap, int status, const char *extra_fields,
                           const char *ctype, const char *body, size_t body_len, bool close);

#endif
