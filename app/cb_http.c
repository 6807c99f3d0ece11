/* cb_http.c - incremental, bounded HTTP/1.1 request reader (RFC 9112) and
 * response writer; the server feeds it each connection's bytes (cb_http.h). */
#include "cb_http.h"
#include "cb_dec.h"
#include "cb_err.h"
#include "cb_port.h"

#include <limits.h>
#include <string.h>

/* Choices the contract leaves open (the server relies on them):
 * - Events: every request gives CB_HTTP_EV_HEAD, then CB_HTTP_EV_REQUEST on a
 *   later feed, even without a body (then on the next feed, even with len 0).
 *   After REQUEST or ERROR, feed consumes nothing and repeats that event.
 * - One empty line (CRLF) before a request line is ignored (RFC 9112 2.2, for
 *   clients that send CRLF after a body); a second one is a malformed request
 *   line. in_request is true from that CRLF on.
 * - head holds the request line and the field lines without their CRLFs.
 *   Spans point into head, except that an absolute-form target without a path
 *   ("http://h") gets path "/" taken from its "//", and asterisk-form ("*",
 *   OPTIONS only) gets path "*".
 * - The request-line limit counts the line without its CRLF; the header limit
 *   counts every byte after the request line, CRLFs and the final empty line
 *   included; trailers of a chunked body count against the same header limit.
 * - Trailer fields are checked and dropped. Chunk extensions are checked
 *   against RFC 9112 7.1.1 and dropped; OWS is allowed only where its BWS
 *   rule puts it (around ';' and '='), so "5;a \r\n" is malformed.
 * - Transfer-Encoding field lines form one list (RFC 9110 5.3); empty list
 *   elements are skipped (RFC 9110 5.6.1). */

enum {
    ST_IDLE,      /* no byte of a request yet */
    ST_LEAD_LF,   /* CR of a leading empty line seen */
    ST_LINE,      /* in the request line */
    ST_LINE_LF,   /* CR ending the request line seen */
    ST_HDR,       /* in a field line (or at its start) */
    ST_HDR_LF,    /* CR ending a field line (or the head) seen */
    ST_HEAD_DONE, /* EV_HEAD given, body not started */
    ST_BODY,      /* reading a Content-Length body */
    ST_CHUNK,     /* reading a chunked body (chunk_state) */
    ST_DONE,      /* EV_REQUEST given */
    ST_ERROR,
};

enum {
    CH_SIZE,       /* hex digits of a chunk size */
    CH_BWS,        /* whitespace after the size, or after an extension: ';' must follow */
    CH_EXT_NAME0,  /* after ';': BWS, then an extension name */
    CH_EXT_NAME,   /* in an extension name */
    CH_EXT_NAMEWS, /* BWS after a name: '=' or ';' must follow */
    CH_EXT_VAL0,   /* after '=': BWS, then a token or a quoted-string */
    CH_EXT_TOKEN,  /* in a token value */
    CH_EXT_QS,     /* in a quoted-string value */
    CH_EXT_QP,     /* after '\\' in a quoted-string */
    CH_EXT_QEND,   /* after the closing quote */
    CH_SIZE_LF,    /* CR of the size line seen */
    CH_DATA,       /* chunk data */
    CH_DATA_CR,    /* CRLF after chunk data */
    CH_DATA_LF,    /* */
    CH_TR_START,   /* start of a trailer line, or of the final empty line */
    CH_TR_NAME,    /* */
    CH_TR_VALUE,   /* */
    CH_TR_LF,      /* CR of a trailer line seen */
    CH_END_LF,     /* CR of the final empty line seen */
};

/* r->flags */
#define FL_LEAD_CRLF  0x01u /* the one leading empty line was used */
#define FL_TE         0x02u /* Transfer-Encoding seen */
#define FL_TE_CHUNKED 0x04u /* ... with a "chunked" element */
#define FL_CONN_CLOSE 0x08u
#define FL_CONN_KEEP  0x10u
#define FL_EXPECT     0x20u  /* Expect: 100-continue */
#define FL_EXPECT_BAD 0x40u  /* another expectation */
#define FL_TE_LAST    0x80u  /* the last coding so far is "chunked" */
#define FL_TE_TWICE   0x100u /* "chunked" more than once */
#define FL_TE_OTHER   0x200u /* a coding other than "chunked" */

/* A chunk size line (size, extensions) longer than this is refused. */
#define CHUNK_LINE_MAX 256

/* Byte classes. C_FIELD: may appear in a stored line (VCHAR, SP, HTAB,
 * obs-text); C_TCHAR: token character (RFC 9110 5.6.2); C_TARGET: allowed in a
 * request-target (VCHAR but '#'); C_HOST: allowed in a Host value. */
#define C_FIELD  1u
#define C_TCHAR  2u
#define C_TARGET 4u
#define C_HOST   8u

static const uint8_t s_cls[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  1,  0,  0,  0,  0,  0,  0,  /* 0x00 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x10 */
    1,  15, 5,  3,  15, 15, 15, 15, 13, 13, 15, 15, 13, 15, 15, 5,  /* 0x20 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 13, 13, 5,  13, 5,  5,  /* 0x30 */
    5,  15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, /* 0x40 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 13, 5,  13, 7,  15, /* 0x50 */
    7,  15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, /* 0x60 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 5,  7,  5,  15, 0,  /* 0x70 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0x80 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0x90 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0xa0 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0xb0 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0xc0 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0xd0 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0xe0 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 0xf0 */
};

typedef enum {
    E_LINE,
    E_TARGET,
    E_VERSION_SYNTAX,
    E_BARE_CR,
    E_BARE_LF,
    E_CTL,
    E_FIELD,
    E_FIELD_WS,
    E_FOLD,
    E_HOST_COUNT,
    E_HOST,
    E_CL_TE,
    E_CL,
    E_CL_DIFFER,
    E_TE_10,
    E_TE_LIST,
    E_CHUNK_SIZE,
    E_CHUNK_EXT,
    E_CHUNK_CRLF,
    E_TRAILER,
    E_VERSION,
    E_TE,
    E_LENGTH,
    E_LINE_LONG,
    E_HEADERS_LONG,
    E_FIELDS,
    E_BODY,
    E_EXPECT,
} err_t;

static const struct {
    int status;
    const char *code;
    const char *message;
} s_errors[] = {
    [E_LINE] = {400, "bad_request", "The request line is malformed."},
    [E_TARGET] = {400, "bad_request", "The request target is not valid."},
    [E_VERSION_SYNTAX] = {400, "bad_request", "The HTTP version is malformed."},
    [E_BARE_CR] = {400, "bad_request", "A CR is not followed by LF."},
    [E_BARE_LF] = {400, "bad_request", "Lines must end with CRLF, not LF alone."},
    [E_CTL] = {400, "bad_request", "The request head contains a control character."},
    [E_FIELD] = {400, "bad_request", "A header line is malformed."},
    [E_FIELD_WS] = {400, "bad_request", "Whitespace between a header name and its colon."},
    [E_FOLD] = {400, "bad_request", "Folded header lines are not accepted."},
    [E_HOST_COUNT] = {400, "bad_request", "The request needs exactly one Host header."},
    [E_HOST] = {400, "bad_request", "The Host header is not valid."},
    [E_CL_TE] = {400, "bad_request", "Content-Length and Transfer-Encoding were both sent."},
    [E_CL] = {400, "bad_request", "Content-Length is not a valid number."},
    [E_CL_DIFFER] = {400, "bad_request", "Content-Length values differ."},
    [E_TE_10] = {400, "bad_request", "Transfer-Encoding is not allowed in HTTP/1.0."},
    [E_TE_LIST] = {400, "bad_request", "Transfer-Encoding must end in chunked, listed once."},
    [E_CHUNK_SIZE] = {400, "bad_request", "A chunk size line is malformed."},
    [E_CHUNK_EXT] = {400, "bad_request", "A chunk extension is malformed."},
    [E_CHUNK_CRLF] = {400, "bad_request", "Chunk data is not followed by CRLF."},
    [E_TRAILER] = {400, "bad_request", "The chunked trailer section is malformed."},
    [E_VERSION] = {505, "http_version", "Only HTTP/1.0 and HTTP/1.1 are supported."},
    [E_TE] = {501, "not_implemented", "Only the chunked transfer coding is supported."},
    [E_LENGTH] = {411, "length_required", "The request needs Content-Length or a chunked body."},
    [E_LINE_LONG] = {414, "uri_too_long", "The request line is too long."},
    [E_HEADERS_LONG] = {431, "headers_too_large", "The request headers are too large."},
    [E_FIELDS] = {431, "headers_too_large", "The request has too many header fields."},
    [E_BODY] = {413, "body_too_large", "The request body is larger than allowed."},
    [E_EXPECT] = {417, "expectation_failed", "Only the 100-continue expectation is supported."},
};

static cb_http_ev_t fail(cb_http_reader_t *r, err_t e)
{
    r->state = ST_ERROR;
    r->err_status = s_errors[e].status;
    r->err_code = s_errors[e].code;
    r->err_message = s_errors[e].message;
    r->req.keep_alive = false;
    return CB_HTTP_EV_ERROR;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Head bytes that can still be stored: one is kept for the sentinel that
 * end_field_line puts after a line. */
static size_t head_room(const cb_http_reader_t *r)
{
    return r->head_cap - 1 - r->head_len;
}

/* Copies bytes of class C_FIELD from src to dst, up to max; returns how many.
 * Word at a time while no byte is a control byte or DEL (the common case). */
static size_t copy_field_bytes(char *dst, const uint8_t *src, size_t max)
{
    const size_t ones = (size_t)-1 / 0xFF; /* 0x0101...01 */
    const size_t highs = ones * 0x80;
    size_t n = 0;
    while (max - n >= sizeof(size_t)) {
        size_t w, x;
        memcpy(&w, src + n, sizeof w);
        memcpy(dst + n, &w, sizeof w);
        x = w ^ (ones * 0x7F);
        /* any byte < 0x20 or == 0x7F: the exact "any" forms of hasless(w, 0x20)
         * and haszero(x); ~x and ~w have the same high bits */
        if (((w - ones * 0x20) | (x - ones)) & ~w & highs) {
            /* stored whole; count its bytes up to the first one to stop at */
            size_t stop = n + sizeof w;
            while (n < stop && (s_cls[src[n]] & C_FIELD))
                n++;
            if (n < stop)
                return n;
        } else {
            n += sizeof w;
        }
    }
    while (n < max && (s_cls[src[n]] & C_FIELD)) {
        dst[n] = (char)src[n];
        n++;
    }
    return n;
}

/* ASCII case-insensitive compare against a lowercase literal of letters,
 * digits and "-:/". p holds no control bytes, and c | 0x20 folds only control
 * bytes and capitals onto those characters. */
static bool token_is(const char *p, size_t n, const char *lit, size_t litlen)
{
    if (n != litlen)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((char)(p[i] | 0x20) != lit[i])
            return false;
    return true;
}

#define TOKEN_IS(p, n, lit) token_is((p), (n), lit, sizeof(lit) - 1)

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static cb_http_method_t method_of(const char *m, size_t n)
{
    switch (n) {
    case 3:
        if (memcmp(m, "GET", 3) == 0)
            return CB_HTTP_GET;
        if (memcmp(m, "PUT", 3) == 0)
            return CB_HTTP_PUT;
        break;
    case 4:
        if (memcmp(m, "POST", 4) == 0)
            return CB_HTTP_POST;
        if (memcmp(m, "HEAD", 4) == 0)
            return CB_HTTP_HEAD;
        break;
    case 5:
        if (memcmp(m, "PATCH", 5) == 0)
            return CB_HTTP_PATCH;
        if (memcmp(m, "TRACE", 5) == 0)
            return CB_HTTP_TRACE;
        break;
    case 6:
        if (memcmp(m, "DELETE", 6) == 0)
            return CB_HTTP_DELETE;
        break;
    case 7:
        if (memcmp(m, "OPTIONS", 7) == 0)
            return CB_HTTP_OPTIONS;
        if (memcmp(m, "CONNECT", 7) == 0)
            return CB_HTTP_CONNECT;
        break;
    default:
        break;
    }
    return CB_HTTP_UNKNOWN;
}

/* Splits path and query of t[from..n) into req. */
static void set_path(cb_http_request_t *q, const char *t, size_t from, size_t n)
{
    const char *qm = from < n ? memchr(t + from, '?', n - from) : NULL;
    size_t end = qm ? (size_t)(qm - t) : n;
    q->path = cb_span(t + from, end - from);
    q->query = qm ? cb_span(qm + 1, n - end - 1) : CB_SPAN_NONE;
}

/* origin-form, absolute-form (http/https, path "/" if empty) or, for
 * OPTIONS, asterisk-form (RFC 9112 3.2); authority-form is refused. */
static bool parse_target(cb_http_request_t *q, const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(s_cls[(uint8_t)t[i]] & C_TARGET))
            return false;
    if (t[0] == '/') {
        set_path(q, t, 0, n);
        return true;
    }
    if (n == 1 && t[0] == '*') {
        q->path = cb_span(t, 1);
        q->query = CB_SPAN_NONE;
        return q->method == CB_HTTP_OPTIONS;
    }
    size_t s;
    if (n > 7 && TOKEN_IS(t, 7, "http://"))
        s = 7;
    else if (n > 8 && TOKEN_IS(t, 8, "https://"))
        s = 8;
    else
        return false;
    size_t a = s;
    while (a < n && t[a] != '/' && t[a] != '?') {
        if (t[a] == '@') /* userinfo (RFC 9110 4.2.4) */
            return false;
        a++;
    }
    if (a == s)
        return false;
    set_path(q, t, a, n);
    if (a == n || t[a] != '/')
        q->path = cb_span(t + s - 1, 1); /* the second '/' of "//" */
    return true;
}

/* The request line is head[0..line_len): "method SP target SP HTTP/d.d". */
static cb_http_ev_t end_request_line(cb_http_reader_t *r)
{
    cb_http_request_t *q = &r->req;
    const char *l = r->head;
    size_t n = r->line_len;
    const char *sp1 = memchr(l, ' ', n);
    if (!sp1 || sp1 == l)
        return fail(r, E_LINE);
    size_t m = (size_t)(sp1 - l);
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', n - m - 1);
    if (!sp2 || sp2 == t)
        return fail(r, E_LINE);
    size_t tn = (size_t)(sp2 - t);
    const char *v = sp2 + 1;
    size_t vn = n - (size_t)(v - l);

    if (vn != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(r, E_VERSION_SYNTAX);
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return fail(r, E_VERSION);
    q->version_minor = v[7] - '0';

    for (size_t i = 0; i < m; i++)
        if (!(s_cls[(uint8_t)l[i]] & C_TCHAR))
            return fail(r, E_LINE);
    q->method_str = cb_span(l, m);
    q->method = method_of(l, m);
    q->target = cb_span(t, tn);
    if (!parse_target(q, t, tn))
        return fail(r, E_TARGET);

    r->line_len = 0;
    r->hdr_bytes = 0;
    r->state = ST_HDR;
    return CB_HTTP_EV_NONE;
}

/* Content-Length: 1*DIGIT, or a list of identical ones ("5, 5"). */
static cb_http_ev_t field_content_length(cb_http_reader_t *r, const char *p, size_t n)
{
    size_t i = 0;
    if (n == 0)
        return fail(r, E_CL);
    for (;;) {
        uint64_t v = 0;
        size_t start = i;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            unsigned d = (unsigned)(p[i] - '0');
            if (v > (UINT64_MAX - d) / 10)
                return fail(r, E_CL);
            v = v * 10 + d;
            i++;
        }
        if (i == start)
            return fail(r, E_CL);
        if (r->has_length && r->content_length != v)
            return fail(r, E_CL_DIFFER);
        r->has_length = true;
        r->content_length = v;
        while (i < n && is_ows(p[i]))
            i++;
        if (i == n)
            return CB_HTTP_EV_NONE;
        if (p[i] != ',')
            return fail(r, E_CL);
        i++;
        while (i < n && is_ows(p[i]))
            i++;
    }
}

/* Connection: a comma list of tokens; only close and keep-alive matter. */
static void field_connection(cb_http_reader_t *r, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows(p[i]) || p[i] == ','))
            i++;
        size_t s = i;
        while (i < n && p[i] != ',' && !is_ows(p[i]))
            i++;
        if (TOKEN_IS(p + s, i - s, "close"))
            r->flags |= FL_CONN_CLOSE;
        else if (TOKEN_IS(p + s, i - s, "keep-alive"))
            r->flags |= FL_CONN_KEEP;
    }
}

/* Transfer-Encoding: a comma list of codings, continued by further field
 * lines. Only where "chunked" stands matters (RFC 9112 6.3): last and once,
 * or 400; absent, or with another coding, 501 (checked in end_head). */
static void field_transfer_encoding(cb_http_reader_t *r, const char *p, size_t n)
{
    size_t i = 0;
    r->flags |= FL_TE;
    for (;;) {
        while (i < n && (is_ows(p[i]) || p[i] == ','))
            i++;
        if (i == n)
            return;
        size_t s = i;
        while (i < n && p[i] != ',')
            i++;
        size_t e = i;
        while (is_ows(p[e - 1]))
            e--;
        if (TOKEN_IS(p + s, e - s, "chunked")) {
            if (r->flags & FL_TE_CHUNKED)
                r->flags |= FL_TE_TWICE;
            r->flags |= FL_TE_CHUNKED | FL_TE_LAST;
        } else {
            r->flags = (r->flags | FL_TE_OTHER) & ~FL_TE_LAST;
        }
    }
}

/* The field line is head[head_len - line_len .. head_len). */
static cb_http_ev_t end_field_line(cb_http_reader_t *r)
{
    char *l = r->head + r->head_len - r->line_len;
    size_t n = r->line_len;
    size_t k = 0;
    /* A sentinel ends the name scan. There is room: this line's CRLF was
     * counted against the header limit but not stored. */
    l[n] = '\0';
    for (;; k += 4) { /* unrolled: this is the hottest loop of a typical head */
        if (!(s_cls[(uint8_t)l[k]] & C_TCHAR))
            break;
        if (!(s_cls[(uint8_t)l[k + 1]] & C_TCHAR)) {
            k += 1;
            break;
        }
        if (!(s_cls[(uint8_t)l[k + 2]] & C_TCHAR)) {
            k += 2;
            break;
        }
        if (!(s_cls[(uint8_t)l[k + 3]] & C_TCHAR)) {
            k += 3;
            break;
        }
    }
    if (l[k] != ':' || k == 0)
        return fail(r, is_ows(l[k]) ? E_FIELD_WS : E_FIELD);
    size_t vs = k + 1, ve = n;
    while (vs < ve && is_ows(l[vs]))
        vs++;
    while (ve > vs && is_ows(l[ve - 1]))
        ve--;
    const char *v = l + vs;
    size_t vn = ve - vs;

    cb_http_request_t *q = &r->req;
    q->fields[q->nfields].name = cb_span(l, k);
    q->fields[q->nfields].value = cb_span(v, vn);
    q->nfields++;
    r->line_len = 0;

    switch (k) {
    case 4:
        if (TOKEN_IS(l, k, "host")) {
            r->host_count++;
            for (size_t i = 0; i < vn; i++)
                if (!(s_cls[(uint8_t)v[i]] & C_HOST))
                    return fail(r, E_HOST);
        }
        break;
    case 6:
        if (TOKEN_IS(l, k, "expect"))
            r->flags |= TOKEN_IS(v, vn, "100-continue") ? FL_EXPECT : FL_EXPECT_BAD;
        break;
    case 10:
        if (TOKEN_IS(l, k, "connection"))
            field_connection(r, v, vn);
        break;
    case 14:
        if (TOKEN_IS(l, k, "content-length"))
            return field_content_length(r, v, vn);
        break;
    case 17:
        if (TOKEN_IS(l, k, "transfer-encoding"))
            field_transfer_encoding(r, v, vn);
        break;
    default:
        break;
    }
    return CB_HTTP_EV_NONE;
}

/* The empty line ending the head was read: whole-head checks, in this order. */
static cb_http_ev_t end_head(cb_http_reader_t *r)
{
    cb_http_request_t *q = &r->req;
    if (r->host_count > 1 || (q->version_minor == 1 && r->host_count != 1))
        return fail(r, E_HOST_COUNT);
    if (r->flags & FL_TE) {
        if (q->version_minor == 0) /* RFC 9112 6.1: faulty framing */
            return fail(r, E_TE_10);
        if (r->has_length)
            return fail(r, E_CL_TE);
        if ((r->flags & FL_TE_TWICE) || ((r->flags & FL_TE_CHUNKED) && !(r->flags & FL_TE_LAST)))
            return fail(r, E_TE_LIST);
        if ((r->flags & FL_TE_OTHER) || !(r->flags & FL_TE_CHUNKED))
            return fail(r, E_TE);
        r->chunked = true;
    }
    if (!r->chunked && !r->has_length &&
        (q->method == CB_HTTP_POST || q->method == CB_HTTP_PUT || q->method == CB_HTTP_PATCH))
        return fail(r, E_LENGTH);
    if (r->has_length && r->content_length > r->body_limit)
        return fail(r, E_BODY);
    if (r->flags & FL_EXPECT_BAD)
        return fail(r, E_EXPECT);
    /* RFC 9110 10.1.1: a 100-continue from an HTTP/1.0 client is ignored */
    q->expect_continue = (r->flags & FL_EXPECT) && q->version_minor == 1;
    if (q->version_minor == 1)
        q->keep_alive = !(r->flags & FL_CONN_CLOSE);
    else
        q->keep_alive = (r->flags & FL_CONN_KEEP) && !(r->flags & FL_CONN_CLOSE);
    r->state = ST_HEAD_DONE;
    return CB_HTTP_EV_HEAD;
}

/* The byte after the CR of a field line or of the empty line. */
static cb_http_ev_t field_lf(cb_http_reader_t *r, uint8_t c)
{
    if (r->hdr_bytes == CB_CFG_HTTP_HEADERS_MAX)
        return fail(r, E_HEADERS_LONG);
    r->hdr_bytes++;
    if (c != '\n')
        return fail(r, E_BARE_CR);
    if (r->line_len == 0)
        return end_head(r);
    r->state = ST_HDR;
    return end_field_line(r);
}

/* Field lines, one after the other while bytes last (state ST_HDR). */
static cb_http_ev_t read_fields(cb_http_reader_t *r, const uint8_t *d, size_t len, size_t *pos)
{
    size_t i = *pos;
    cb_http_ev_t ev = CB_HTTP_EV_NONE;
    while (i < len && ev == CB_HTTP_EV_NONE && !r->need_room) {
        if (r->line_len == 0 && d[i] != '\r') {
            if (is_ows((char)d[i])) { /* obs-fold, or space before the first field */
                i++;
                ev = fail(r, E_FOLD);
                break;
            }
            if (r->req.nfields == CB_CFG_HTTP_MAX_FIELDS) {
                i++;
                ev = fail(r, E_FIELDS);
                break;
            }
        }
        size_t lim = CB_CFG_HTTP_HEADERS_MAX - r->hdr_bytes, room = head_room(r);
        size_t n =
            copy_field_bytes(r->head + r->head_len, d + i, min_size(len - i, min_size(lim, room)));
        r->head_len += n;
        r->line_len += n;
        r->hdr_bytes += n;
        i += n;
        if (i == len)
            break;
        if (n == room && room < lim && (s_cls[d[i]] & C_FIELD)) {
            r->need_room = true; /* cb_http_reader_needs_head_room */
            break;
        }
        uint8_t c = d[i++];
        if (r->hdr_bytes == CB_CFG_HTTP_HEADERS_MAX) {
            ev = fail(r, E_HEADERS_LONG);
        } else if (c != '\r') {
            ev = fail(r, c == '\n' ? E_BARE_LF : E_CTL);
        } else {
            r->hdr_bytes++;
            r->state = ST_HDR_LF;
            if (i < len)
                ev = field_lf(r, d[i++]);
        }
    }
    *pos = i;
    return ev;
}

static cb_http_ev_t feed_head(cb_http_reader_t *r, const uint8_t *d, size_t len, size_t *pos)
{
    size_t i = *pos;
    cb_http_ev_t ev = CB_HTTP_EV_NONE;
    while (i < len && ev == CB_HTTP_EV_NONE && !r->need_room) {
        switch (r->state) {
        case ST_IDLE:
            r->state = ST_LINE;
            if (d[i] == '\r' && !(r->flags & FL_LEAD_CRLF)) {
                r->flags |= FL_LEAD_CRLF;
                r->state = ST_LEAD_LF;
                i++;
            }
            break;
        case ST_LEAD_LF:
            if (d[i++] != '\n')
                ev = fail(r, E_BARE_CR);
            else
                r->state = ST_LINE;
            break;
        case ST_LINE: {
            size_t lim = CB_CFG_HTTP_LINE_MAX - r->line_len, room = head_room(r);
            size_t n = copy_field_bytes(r->head + r->head_len, d + i,
                                        min_size(len - i, min_size(lim, room)));
            r->head_len += n;
            r->line_len += n;
            i += n;
            if (i == len)
                break;
            if (n == room && room < lim && (s_cls[d[i]] & C_FIELD)) {
                r->need_room = true; /* cb_http_reader_needs_head_room */
                break;
            }
            uint8_t c = d[i++];
            if (s_cls[c] & C_FIELD) /* stopped by the limit */
                ev = fail(r, E_LINE_LONG);
            else if (c == '\r')
                r->state = ST_LINE_LF;
            else
                ev = fail(r, c == '\n' ? E_BARE_LF : E_CTL);
            break;
        }
        case ST_LINE_LF:
            if (d[i++] != '\n')
                ev = fail(r, E_BARE_CR);
            else
                ev = end_request_line(r);
            break;
        case ST_HDR:
            ev = read_fields(r, d, len, &i);
            break;
        case ST_HDR_LF:
            ev = field_lf(r, d[i++]);
            break;
        default:
            break;
        }
    }
    *pos = i;
    return ev;
}

static void finish(cb_http_reader_t *r)
{
    r->req.body_len = r->body_len;
    r->state = ST_DONE;
}

static void copy_body(cb_http_reader_t *r, const uint8_t *d, size_t len, size_t *pos)
{
    size_t n = len - *pos;
    if (n > r->content_length)
        n = (size_t)r->content_length;
    if (n) {
        memcpy(r->body + r->body_len, d + *pos, n);
        r->body_len += n;
        r->content_length -= n;
        *pos += n;
    }
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One byte of a chunk size line after the size (RFC 9112 7.1.1):
 *   chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
 * then CR. Moves chunk_state on; false if the byte cannot come here. */
static bool chunk_ext_step(cb_http_reader_t *r, uint8_t c)
{
    bool ows = is_ows((char)c), tchar = (s_cls[c] & C_TCHAR) != 0;
    int next;
    switch (r->chunk_state) {
    case CH_BWS: /* after the size or a value: only BWS and ';' */
        next = c == ';' ? CH_EXT_NAME0 : ows ? CH_BWS : -1;
        break;
    case CH_EXT_NAME0:
        next = tchar ? CH_EXT_NAME : ows ? CH_EXT_NAME0 : -1;
        break;
    case CH_EXT_NAME:
        next = tchar       ? CH_EXT_NAME
               : c == '='  ? CH_EXT_VAL0
               : c == ';'  ? CH_EXT_NAME0
               : c == '\r' ? CH_SIZE_LF
               : ows       ? CH_EXT_NAMEWS
                           : -1;
        break;
    case CH_EXT_NAMEWS:
        next = c == '=' ? CH_EXT_VAL0 : c == ';' ? CH_EXT_NAME0 : ows ? CH_EXT_NAMEWS : -1;
        break;
    case CH_EXT_VAL0:
        next = tchar ? CH_EXT_TOKEN : c == '"' ? CH_EXT_QS : ows ? CH_EXT_VAL0 : -1;
        break;
    case CH_EXT_TOKEN:
    case CH_EXT_QEND:
        next = tchar && r->chunk_state == CH_EXT_TOKEN ? CH_EXT_TOKEN
               : c == ';'                              ? CH_EXT_NAME0
               : c == '\r'                             ? CH_SIZE_LF
               : ows                                   ? CH_BWS
                                                       : -1;
        break;
    case CH_EXT_QS: /* qdtext: HTAB, SP, VCHAR but '"' and '\\', obs-text */
        next = c == '"'               ? CH_EXT_QEND
               : c == '\\'            ? CH_EXT_QP
               : (s_cls[c] & C_FIELD) ? CH_EXT_QS
                                      : -1;
        break;
    default: /* CH_EXT_QP: quoted-pair, HTAB / SP / VCHAR / obs-text */
        next = (s_cls[c] & C_FIELD) ? CH_EXT_QS : -1;
        break;
    }
    if (next < 0)
        return false;
    r->chunk_state = next;
    return true;
}

/* RFC 9112 7.1: chunk = size [ext] CRLF data CRLF; last-chunk "0" [ext] CRLF;
 * then trailer fields and CRLF. */
static cb_http_ev_t feed_chunked(cb_http_reader_t *r, const uint8_t *d, size_t len, size_t *pos)
{
    size_t i = *pos;
    cb_http_ev_t ev = CB_HTTP_EV_NONE;
    while (i < len && ev == CB_HTTP_EV_NONE) {
        uint8_t c = d[i];
        if (r->chunk_state == CH_DATA) {
            copy_body(r, d, len, &i);
            if (r->content_length == 0)
                r->chunk_state = CH_DATA_CR;
            continue;
        }
        i++;
        switch (r->chunk_state) {
        case CH_SIZE: {
            int h = hex_value(c);
            if (r->chunk_line_len++ == CHUNK_LINE_MAX) {
                ev = fail(r, E_CHUNK_SIZE);
            } else if (h >= 0) {
                if ((r->content_length >> 60) != 0) /* a 65th bit */
                    ev = fail(r, E_CHUNK_SIZE);
                else
                    r->content_length = (r->content_length << 4) | (unsigned)h;
            } else if (r->chunk_line_len == 1) { /* no digit */
                ev = fail(r, E_CHUNK_SIZE);
            } else if (c == ';') {
                r->chunk_state = CH_EXT_NAME0;
            } else if (is_ows((char)c)) {
                r->chunk_state = CH_BWS;
            } else if (c == '\r') {
                r->chunk_state = CH_SIZE_LF;
            } else {
                ev = fail(r, E_CHUNK_SIZE);
            }
            break;
        }
        case CH_BWS:
        case CH_EXT_NAME0:
        case CH_EXT_NAME:
        case CH_EXT_NAMEWS:
        case CH_EXT_VAL0:
        case CH_EXT_TOKEN:
        case CH_EXT_QS:
        case CH_EXT_QP:
        case CH_EXT_QEND:
            if (r->chunk_line_len++ == CHUNK_LINE_MAX)
                ev = fail(r, E_CHUNK_SIZE);
            else if (!chunk_ext_step(r, c))
                ev = fail(r, r->chunk_state == CH_BWS ? E_CHUNK_SIZE : E_CHUNK_EXT);
            break;
        case CH_SIZE_LF:
            if (c != '\n') {
                ev = fail(r, E_CHUNK_SIZE);
            } else if (r->content_length == 0) {
                r->chunk_state = CH_TR_START;
            } else if (r->content_length > r->body_limit - r->body_len) {
                ev = fail(r, E_BODY);
            } else {
                r->chunk_state = CH_DATA;
            }
            break;
        case CH_DATA_CR:
            if (c != '\r')
                ev = fail(r, E_CHUNK_CRLF);
            else
                r->chunk_state = CH_DATA_LF;
            break;
        case CH_DATA_LF:
            if (c != '\n') {
                ev = fail(r, E_CHUNK_CRLF);
            } else {
                r->chunk_state = CH_SIZE;
                r->chunk_line_len = 0;
            }
            break;
        case CH_TR_START:
        case CH_TR_NAME:
        case CH_TR_VALUE:
        case CH_TR_LF:
        case CH_END_LF:
            if (r->hdr_bytes == CB_CFG_HTTP_HEADERS_MAX) {
                ev = fail(r, E_HEADERS_LONG);
                break;
            }
            r->hdr_bytes++;
            if (r->chunk_state == CH_TR_START) {
                if (c == '\r')
                    r->chunk_state = CH_END_LF;
                else if (s_cls[c] & C_TCHAR)
                    r->chunk_state = CH_TR_NAME;
                else
                    ev = fail(r, E_TRAILER);
            } else if (r->chunk_state == CH_TR_NAME) {
                if (c == ':')
                    r->chunk_state = CH_TR_VALUE;
                else if (!(s_cls[c] & C_TCHAR))
                    ev = fail(r, E_TRAILER);
            } else if (r->chunk_state == CH_TR_VALUE) {
                if (c == '\r')
                    r->chunk_state = CH_TR_LF;
                else if (!(s_cls[c] & C_FIELD))
                    ev = fail(r, E_TRAILER);
            } else if (c != '\n') {
                ev = fail(r, E_TRAILER);
            } else if (r->chunk_state == CH_TR_LF) {
                r->chunk_state = CH_TR_START;
            } else {
                finish(r);
                ev = CB_HTTP_EV_REQUEST;
            }
            break;
        default:
            break;
        }
    }
    *pos = i;
    return ev;
}

void cb_http_reader_init(cb_http_reader_t *r, uint32_t body_limit)
{
    memset(&r->req, 0, sizeof r->req);
    r->body_limit = body_limit < CB_CFG_BODY_MAX ? body_limit : CB_CFG_BODY_MAX;
    r->body = NULL;
    r->head = r->head_own;
    r->head_cap = sizeof r->head_own;
    cb_http_reader_reset(r);
}

/* Moves a span that points into [from, from + n) to the same place in to. */
static void rebase(cb_span_t *sp, const char *from, size_t n, const char *to)
{
    if (sp->p && sp->p >= from && sp->p < from + n)
        sp->p = to + (sp->p - from);
}

void cb_http_reader_set_head(cb_http_reader_t *r, char *buf, size_t cap)
{
    if (!buf) { /* back to the own buffer; what the head held is dropped */
        r->head = r->head_own;
        r->head_cap = sizeof r->head_own;
        r->head_len = r->line_len = 0;
        r->req.nfields = 0;
        r->need_room = false;
        return;
    }
    char *to = buf;
    cb_http_request_t *q = &r->req;
    memcpy(to, r->head, r->head_len);
    /* end_field_line may point a span at the sentinel byte: include it */
    size_t n = r->head_len + 1;
    rebase(&q->method_str, r->head, n, to);
    rebase(&q->target, r->head, n, to);
    rebase(&q->path, r->head, n, to);
    rebase(&q->query, r->head, n, to);
    for (size_t i = 0; i < q->nfields; i++) {
        rebase(&q->fields[i].name, r->head, n, to);
        rebase(&q->fields[i].value, r->head, n, to);
    }
    r->head = to;
    r->head_cap = cap;
    r->need_room = false;
}

bool cb_http_reader_needs_head_room(const cb_http_reader_t *r)
{
    return r->need_room;
}

/* req.body of a request read without a body buffer: never NULL */
static uint8_t s_no_body[1];

void cb_http_reader_set_body(cb_http_reader_t *r, uint8_t *buf)
{
    r->body = buf;
    r->req.body = buf ? buf : s_no_body;
}

bool cb_http_reader_needs_body(const cb_http_reader_t *r)
{
    return r->state == ST_HEAD_DONE && !r->body && (r->chunked || r->content_length > 0);
}

void cb_http_reader_reset(cb_http_reader_t *r)
{
    cb_http_request_t *q = &r->req;
    /* the fields array is not cleared: nfields bounds it */
    q->method = CB_HTTP_UNKNOWN;
    q->method_str = q->target = q->path = q->query = CB_SPAN_NONE;
    q->version_minor = 0;
    q->nfields = 0;
    q->keep_alive = false;
    q->expect_continue = false;
    q->body = r->body ? r->body : s_no_body;
    q->body_len = 0;
    r->err_status = 0;
    r->err_code = NULL;
    r->err_message = NULL;
    r->state = ST_IDLE;
    r->need_room = false;
    r->head_len = 0;
    r->line_len = 0;
    r->hdr_bytes = 0;
    r->content_length = 0;
    r->chunked = false;
    r->has_length = false;
    r->flags = 0;
    r->host_count = 0;
    r->body_len = 0;
    r->chunk_state = CH_SIZE;
    r->chunk_line_len = 0;
}

size_t cb_http_reader_feed(cb_http_reader_t *r, const uint8_t *data, size_t len, cb_http_ev_t *ev)
{
    size_t i = 0;
    if (!data || r->need_room)
        len = 0;
    switch (r->state) {
    case ST_ERROR:
        *ev = CB_HTTP_EV_ERROR;
        return 0;
    case ST_DONE:
        *ev = CB_HTTP_EV_REQUEST;
        return 0;
    case ST_HEAD_DONE:
        if (!r->chunked && r->content_length == 0) {
            finish(r);
            *ev = CB_HTTP_EV_REQUEST;
            return 0;
        }
        if (!r->body) { /* cb_http_reader_needs_body: wait for a buffer */
            *ev = CB_HTTP_EV_NONE;
            return 0;
        }
        r->state = r->chunked ? ST_CHUNK : ST_BODY;
        break;
    default:
        break;
    }
    if (r->state == ST_BODY) {
        copy_body(r, data, len, &i);
        if (r->content_length == 0) {
            finish(r);
            *ev = CB_HTTP_EV_REQUEST;
        } else {
            *ev = CB_HTTP_EV_NONE;
        }
    } else if (r->state == ST_CHUNK) {
        *ev = feed_chunked(r, data, len, &i);
    } else {
        *ev = feed_head(r, data, len, &i);
    }
    return i;
}

bool cb_http_reader_in_request(const cb_http_reader_t *r)
{
    return r->state != ST_IDLE && r->state != ST_DONE && r->state != ST_ERROR;
}

cb_span_t cb_http_field(const cb_http_request_t *req, const char *name, size_t *count_out)
{
    cb_span_t found = CB_SPAN_NONE;
    size_t count = 0, n = strlen(name);
    for (size_t i = 0; i < req->nfields; i++) {
        /* the length first: most names differ in it, and it is one compare;
         * then the bytes as they are (senders mostly write names as the
         * specs do), folding case only when they differ */
        cb_span_t f = req->fields[i].name;
        if (f.len == n && (memcmp(f.p, name, n) == 0 || cb_span_ieq(f, name))) {
            if (count++ == 0)
                found = req->fields[i].value;
        }
    }
    if (count_out)
        *count_out = count;
    return found;
}

const char *cb_http_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {304, "Not Modified"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {417, "Expectation Failed"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

/* The Date field's text for one second: responses of the same second reuse it. */
static struct {
    int64_t date_s; /* the second date holds; INT64_MIN: none yet */
    char date[CB_HTTP_DATE_LEN];
} s_http = {INT64_MIN, {0}};

/* Two digits of v (0..99) at p. */
static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

int cb_http_date(int64_t epoch_s, char out[CB_HTTP_DATE_LEN])
{
    static const char wdays[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: four-digit years */
    if (epoch_s < INT64_C(-62135596800) || epoch_s > INT64_C(253402300799))
        return CB_ERR_INVAL;
    int64_t days = epoch_s / 86400, sod = epoch_s % 86400;
    if (sod < 0) { /* floor, for times before 1970 */
        sod += 86400;
        days--;
    }
    unsigned wday = (unsigned)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    /* Days to civil date (H. Hinnant, "chrono-compatible low-level date
     * algorithms"): eras of 400 years starting on March 1st. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11], March = 0 */
    unsigned mday = doy - (153 * mp + 2) / 5 + 1;
    unsigned mon = mp < 10 ? mp + 2 : mp - 10; /* January = 0 */
    unsigned year = (unsigned)(yoe + era * 400) + (mon < 2);
    memcpy(out, wdays + 3 * wday, 3);
    memcpy(out + 3, ", ", 2);
    put2(out + 5, mday);
    out[7] = ' ';
    memcpy(out + 8, months + 3 * mon, 3);
    out[11] = ' ';
    put2(out + 12, year / 100);
    put2(out + 14, year % 100);
    out[16] = ' ';
    put2(out + 17, (unsigned)(sod / 3600));
    out[19] = ':';
    put2(out + 20, (unsigned)(sod / 60 % 60));
    out[22] = ':';
    put2(out + 23, (unsigned)(sod % 60));
    memcpy(out + 25, " GMT", 4);
    return CB_HTTP_DATE_LEN;
}

typedef struct {
    char *p;
    size_t cap, len;
    bool over; /* something did not fit */
} wbuf_t;

static void put(wbuf_t *w, const char *s, size_t n)
{
    if (w->over || n > w->cap - w->len) {
        w->over = true;
        return;
    }
    if (n)
        memmove(w->p + w->len, s, n); /* a body may already lie further on in out */
    w->len += n;
}

static void put_str(wbuf_t *w, const char *s)
{
    put(w, s, strlen(s));
}

/* A string literal, its length known at build time. */
#define PUT_LIT(w, lit) put((w), (lit), sizeof(lit) - 1)

static void put_uint(wbuf_t *w, uint64_t v)
{
    char d[CB_DEC_U64_MAX];
    put(w, d, cb_dec_u64(d, sizeof d, v));
}

/* "Date: ...\r\n" while the clock is trusted; nothing before (SPEC 2). */
static void put_date(wbuf_t *w)
{
    int64_t ms;
    if (cb_port_wall_ms(&ms) != CB_OK)
        return;
    int64_t s = ms / 1000 - (ms % 1000 < 0);
    if (s != s_http.date_s) {
        if (cb_http_date(s, s_http.date) < 0)
            return;
        s_http.date_s = s;
    }
    put(w, "Date: ", 6);
    put(w, s_http.date, CB_HTTP_DATE_LEN);
    put(w, "\r\n", 2);
}

int cb_http_write_response(char *out, size_t cap, int status, const char *extra_fields,
                           const char *ctype, const char *body, size_t body_len, bool close)
{
    /* 1xx and 204 carry no content and no Content-Length (RFC 9110 8.6) */
    bool no_content = status < 200 || status == 204;
    wbuf_t w = {out, cap, 0, false};
    if (status < 100 || status > 999)
        return CB_ERR_INVAL;
    PUT_LIT(&w, "HTTP/1.1 ");
    put_uint(&w, (uint64_t)status);
    PUT_LIT(&w, " ");
    put_str(&w, cb_http_reason(status));
    PUT_LIT(&w, "\r\n");
    if (status >= 200) /* RFC 9110 6.6.1: optional on 1xx, sent on all others */
        put_date(&w);
    if (extra_fields)
        put_str(&w, extra_fields);
    if (!no_content) {
        if (body_len > 0 || ctype) {
            PUT_LIT(&w, "Content-Type: ");
            put_str(&w, ctype ? ctype : "application/json");
            PUT_LIT(&w, "\r\n");
        }
        PUT_LIT(&w, "Content-Length: ");
        put_uint(&w, body_len);
        PUT_LIT(&w, "\r\n");
    }
    if (close)
        PUT_LIT(&w, "Connection: close\r\n");
    PUT_LIT(&w, "\r\n");
    if (!no_content)
        put(&w, body, body_len);
    if (w.over || w.len > INT_MAX)
        return CB_ERR_NOMEM;
    return (int)w.len;
}
