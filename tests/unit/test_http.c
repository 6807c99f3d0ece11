/* test_http.c - unit tests for cb_http: the framing rules of SPEC 2 as a table
 * of raw requests, split-independence of the reader (whole, byte at a time,
 * odd pieces), limits, pipelining, chunked bodies, and the response writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cb_err.h"
#include "cb_http.h"
#include "fake_port.h"

#include <time.h>

/* Readers are ~11 KiB: static, never on the stack; each has a body buffer
 * lent for the whole test (the server lends one per request: test_server). */
static cb_http_reader_t s_a, s_b;
static uint8_t s_body_a[CB_CFG_BODY_MAX], s_body_b[CB_CFG_BODY_MAX];
/* What the server lends a head that outgrows CB_CFG_CONN_HEAD. */
static char s_head_a[CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX];
static char s_head_b[CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX];
static uint8_t s_big[CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX + 2 * CB_CFG_BODY_MAX];

/* What the current check is about, named in failure messages. */
static const char *s_ctx = "";

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            fail_msg("%s: check failed: %s (line %d)", s_ctx, #c, __LINE__);                       \
    } while (0)

typedef struct {
    cb_http_ev_t last; /* REQUEST, ERROR, or NONE if the input ran out */
    int heads;         /* EV_HEAD events seen */
    size_t consumed;   /* bytes consumed in all */
} run_t;

/* Feeds data in pieces of step bytes (0 = all at once) until the reader
 * completes a request, fails, or the input runs out. */
static run_t run(cb_http_reader_t *r, const uint8_t *d, size_t len, size_t step)
{
    run_t out = {CB_HTTP_EV_NONE, 0, 0};
    size_t off = 0;
    for (size_t guard = 0; guard < 4 * len + 16; guard++) {
        size_t n = len - off;
        if (step && n > step)
            n = step;
        cb_http_ev_t ev = CB_HTTP_EV_NONE;
        if (cb_http_reader_needs_head_room(r)) { /* as the server: lend a larger buffer */
            CHECK(cb_http_reader_feed(r, d + off, n, &ev) == 0 && ev == CB_HTTP_EV_NONE);
            cb_http_reader_set_head(r, r == &s_a ? s_head_a : s_head_b, sizeof s_head_a);
        }
        size_t c = cb_http_reader_feed(r, d + off, n, &ev);
        CHECK(c <= n);
        off += c;
        if (ev == CB_HTTP_EV_HEAD) {
            out.heads++;
            CHECK(r->err_status == 0);
            continue;
        }
        if (ev == CB_HTTP_EV_REQUEST || ev == CB_HTTP_EV_ERROR) {
            out.last = ev;
            break;
        }
        CHECK(c == n || cb_http_reader_needs_head_room(r)); /* NONE: all offered was taken */
        if (off == len)
            break;
    }
    out.consumed = off;
    return out;
}

static run_t run_str(cb_http_reader_t *r, const char *s, size_t step)
{
    return run(r, (const uint8_t *)s, strlen(s), step);
}

static bool span_same(cb_span_t a, cb_span_t b)
{
    if (cb_span_present(a) != cb_span_present(b) || a.len != b.len)
        return false;
    return a.len == 0 || memcmp(a.p, b.p, a.len) == 0;
}

static void assert_span(cb_span_t s, const char *want)
{
    if (!want) {
        assert_false(cb_span_present(s));
        return;
    }
    CHECK(cb_span_present(s));
    CHECK(s.len == strlen(want));
    CHECK(memcmp(s.p, want, s.len) == 0);
}

/* Everything the server can see of two readers is equal. */
static void assert_same_result(const cb_http_reader_t *a, const cb_http_reader_t *b)
{
    CHECK(a->err_status == b->err_status);
    CHECK(a->err_code == b->err_code);
    CHECK(a->err_message == b->err_message);
    if (a->err_status)
        return;
    const cb_http_request_t *x = &a->req, *y = &b->req;
    CHECK(x->method == y->method);
    CHECK(span_same(x->method_str, y->method_str));
    CHECK(span_same(x->target, y->target));
    CHECK(span_same(x->path, y->path));
    CHECK(span_same(x->query, y->query));
    CHECK(x->version_minor == y->version_minor);
    CHECK(x->nfields == y->nfields);
    for (size_t i = 0; i < x->nfields; i++) {
        CHECK(span_same(x->fields[i].name, y->fields[i].name));
        CHECK(span_same(x->fields[i].value, y->fields[i].value));
    }
    CHECK(x->keep_alive == y->keep_alive);
    CHECK(x->expect_continue == y->expect_continue);
    CHECK(x->body_len == y->body_len);
    if (x->body_len)
        CHECK(memcmp(x->body, y->body, x->body_len) == 0);
}

/* Runs d whole into s_a, and in pieces of each step into s_b, and checks that
 * the outcomes are identical. Returns the whole run. */
static run_t run_split_checked(const uint8_t *d, size_t len, uint32_t limit)
{
    static const size_t steps[] = {1, 2, 3, 7, 64};
    cb_http_reader_init(&s_a, limit);
    cb_http_reader_set_body(&s_a, s_body_a);
    run_t whole = run(&s_a, d, len, 0);
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        cb_http_reader_init(&s_b, limit);
        cb_http_reader_set_body(&s_b, s_body_b);
        run_t part = run(&s_b, d, len, steps[k]);
        CHECK(part.last == whole.last);
        CHECK(part.heads == whole.heads);
        CHECK(part.consumed == whole.consumed);
        assert_same_result(&s_a, &s_b);
    }
    return whole;
}

/* ---- the table ---- */

typedef struct {
    const char *name;
    const char *raw;
    size_t len;
    int status; /* 0: a complete request, all bytes consumed */
    const char *code;
} http_case_t;

#define OK(name, raw)                                                                              \
    {                                                                                              \
        name, raw, sizeof(raw) - 1, 0, NULL                                                        \
    }
#define BAD(name, raw, st, code)                                                                   \
    {                                                                                              \
        name, raw, sizeof(raw) - 1, st, code                                                       \
    }
#define E400(name, raw) BAD(name, raw, 400, "bad_request")
#define H11             "Host: example.com\r\n"

static const http_case_t s_cases[] = {
    /* valid */
    OK("simple GET", "GET / HTTP/1.1\r\n" H11 "\r\n"),
    OK("GET with query", "GET /healthz?verbose=1&x=%20 HTTP/1.1\r\n" H11 "\r\n"),
    OK("POST with Content-Length", "POST /w HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\nhello"),
    OK("POST chunked",
       "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
    OK("chunked with extensions and trailers",
       "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
       "3;name=value\r\nhel\r\n2 ; q=\"a b\";x\r\nlo\r\n0;last\r\nX-Sum: 1\r\nY: \t\r\n\r\n"),
    OK("chunk extensions: BWS around ';' and '=', quoted-pair, obs-text",
       "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
       "3 \t; a = b\t;c;d=\"x\\\"y\\\\ \xc3\xa9\t\"\r\nhel\r\n"
       "2;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nlo\r\n0 ; e=\"\"\r\n\r\n"),
    OK("Transfer-Encoding list elements may be empty",
       "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: ,, chunked ,\r\n\r\n0\r\n\r\n"),
    OK("other names of the lengths of known ones",
       "GET / HTTP/1.1\r\n" H11 "Date: x\r\nAccept: */*\r\nUser-Agent: close\r\n"
       "Accept-Charset: utf-8\r\nX-Forwarded-Proto: gzip\r\n\r\n"),
    OK("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"),
    OK("one leading empty line ignored", "\r\nGET / HTTP/1.1\r\n" H11 "\r\n"),
    OK("absolute-form", "GET http://example.com/a/b?c=d HTTP/1.1\r\n" H11 "\r\n"),
    OK("absolute-form https", "GET HTTPS://example.com:8443/a HTTP/1.1\r\n" H11 "\r\n"),
    OK("absolute-form without path", "GET http://example.com HTTP/1.1\r\n" H11 "\r\n"),
    OK("asterisk-form with OPTIONS", "OPTIONS * HTTP/1.1\r\n" H11 "\r\n"),
    OK("unknown method is not a reader error", "BREW /pot HTTP/1.1\r\n" H11 "\r\n"),
    OK("lowercase method is unknown, not an error", "get / HTTP/1.1\r\n" H11 "\r\n"),
    OK("identical Content-Length list",
       "POST /w HTTP/1.1\r\n" H11 "Content-Length: 5, 5\r\n\r\nhello"),
    OK("identical duplicate Content-Length",
       "POST /w HTTP/1.1\r\n" H11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
    OK("Transfer-Encoding is case-insensitive",
       "POST /w HTTP/1.1\r\n" H11 "transfer-encoding: ChUnKeD\r\n\r\n0\r\n\r\n"),
    OK("Expect 100-continue is case-insensitive",
       "POST /w HTTP/1.1\r\n" H11 "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nx"),
    OK("HTAB inside a value", "GET / HTTP/1.1\r\n" H11 "X-A: a\tb\r\n\r\n"),
    OK("obs-text inside a value", "GET / HTTP/1.1\r\n" H11 "X-A: caf\xc3\xa9\r\n\r\n"),
    OK("empty value", "GET / HTTP/1.1\r\n" H11 "X-Empty:\r\n\r\n"),
    OK("DELETE needs no length", "DELETE /x HTTP/1.1\r\n" H11 "\r\n"),
    OK("GET may carry a body", "GET / HTTP/1.1\r\n" H11 "Content-Length: 2\r\n\r\nhi"),
    OK("POST with Content-Length 0", "POST /w HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n"),
    OK("uppercase hex chunk size",
       "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"),
    OK("leading zeros in chunk size",
       "PUT /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0002\r\nhi\r\n000\r\n\r\n"),
    OK("PATCH chunked", "PATCH /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    OK("Connection close", "GET / HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n"),
    OK("Host with IPv6 literal and port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"),
    OK("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
    OK("Content-Length with leading zeros",
       "POST /w HTTP/1.1\r\n" H11 "Content-Length: 003\r\n\r\nabc"),
    OK("body bytes may be anything",
       "POST /w HTTP/1.1\r\n" H11 "Content-Length: 4\r\n\r\n\0\r\n\x7f"),

    /* 400: request line */
    E400("HTTP/0.9 style line without version", "GET /\r\n\r\n"),
    E400("two spaces after method", "GET  / HTTP/1.1\r\n" H11 "\r\n"),
    E400("space after version", "GET / HTTP/1.1 \r\n" H11 "\r\n"),
    E400("lowercase protocol name", "GET / http/1.1\r\n" H11 "\r\n"),
    E400("version with two-digit major", "GET / HTTP/10.1\r\n" H11 "\r\n"),
    E400("method with a non-token byte", "GE(T / HTTP/1.1\r\n" H11 "\r\n"),
    E400("empty method", " / HTTP/1.1\r\n" H11 "\r\n"),
    E400("tab as separator", "GET\t/ HTTP/1.1\r\n" H11 "\r\n"),
    E400("relative target", "GET index.html HTTP/1.1\r\n" H11 "\r\n"),
    E400("asterisk-form with GET", "GET * HTTP/1.1\r\n" H11 "\r\n"),
    E400("authority-form", "CONNECT example.com:443 HTTP/1.1\r\n" H11 "\r\n"),
    E400("fragment in target", "GET /a#b HTTP/1.1\r\n" H11 "\r\n"),
    E400("raw UTF-8 in target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" H11 "\r\n"),
    E400("userinfo in absolute-form", "GET http://u@example.com/ HTTP/1.1\r\n" H11 "\r\n"),
    E400("absolute-form without host", "GET http:///a HTTP/1.1\r\n" H11 "\r\n"),
    E400("leading CR without LF", "\rGET / HTTP/1.1\r\n" H11 "\r\n"),
    E400("two leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n"),
    /* 400: line ends and control bytes */
    E400("bare CR in request line", "GET / HTTP/1.1\rHost: a\r\n\r\n"),
    E400("LF-only request line", "GET / HTTP/1.1\n" H11 "\r\n"),
    E400("LF-only header line", "GET / HTTP/1.1\r\nHost: a\n\r\n"),
    E400("LF-only end of head", "GET / HTTP/1.1\r\nHost: a\r\n\n"),
    E400("bare CR in a value", "GET / HTTP/1.1\r\n" H11 "X-A: a\rb\r\n\r\n"),
    E400("NUL in a value", "GET / HTTP/1.1\r\n" H11 "X-A: a\0b\r\n\r\n"),
    E400("NUL in the request line", "GET /\0 HTTP/1.1\r\n" H11 "\r\n"),
    E400("control byte in a value", "GET / HTTP/1.1\r\n" H11 "X-A: a\x01\r\n\r\n"),
    E400("DEL in a value", "GET / HTTP/1.1\r\n" H11 "X-A: a\x7f\r\n\r\n"),
    E400("escape byte in a name", "GET / HTTP/1.1\r\n" H11 "X\x1b: a\r\n\r\n"),
    /* 400: field lines */
    E400("header without colon", "GET / HTTP/1.1\r\n" H11 "NoColon\r\n\r\n"),
    E400("space between name and colon", "GET / HTTP/1.1\r\n" H11 "X-A : b\r\n\r\n"),
    E400("tab between name and colon", "GET / HTTP/1.1\r\n" H11 "X-A\t: b\r\n\r\n"),
    E400("empty field name", "GET / HTTP/1.1\r\n" H11 ": b\r\n\r\n"),
    E400("non-token byte in a name", "GET / HTTP/1.1\r\n" H11 "X(A): b\r\n\r\n"),
    E400("obs-fold with space", "GET / HTTP/1.1\r\n" H11 "X-A: b\r\n c\r\n\r\n"),
    E400("obs-fold with tab", "GET / HTTP/1.1\r\n" H11 "X-A: b\r\n\tc\r\n\r\n"),
    E400("whitespace before the first field", "GET / HTTP/1.1\r\n " H11 "\r\n"),
    E400("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"),
    E400("two Host fields", "GET / HTTP/1.1\r\n" H11 "Host: other\r\n\r\n"),
    E400("two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"),
    E400("invalid Host value", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
    /* 400: body framing */
    E400("Content-Length with Transfer-Encoding",
         "POST /w HTTP/1.1\r\n" H11
         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
    E400("differing duplicate Content-Length",
         "POST /w HTTP/1.1\r\n" H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    E400("differing Content-Length list",
         "POST /w HTTP/1.1\r\n" H11 "Content-Length: 5, 6\r\n\r\nhello!"),
    E400("Content-Length with plus sign",
         "POST /w HTTP/1.1\r\n" H11 "Content-Length: +5\r\n\r\nhello"),
    E400("negative Content-Length", "POST /w HTTP/1.1\r\n" H11 "Content-Length: -1\r\n\r\n"),
    E400("space inside Content-Length",
         "POST /w HTTP/1.1\r\n" H11 "Content-Length: 1 0\r\n\r\nhellohello"),
    E400("empty Content-Length", "POST /w HTTP/1.1\r\n" H11 "Content-Length:\r\n\r\n"),
    E400("empty Content-Length list element",
         "POST /w HTTP/1.1\r\n" H11 "Content-Length: 5,,5\r\n\r\nhello"),
    E400("hex Content-Length", "POST /w HTTP/1.1\r\n" H11 "Content-Length: 0x5\r\n\r\nhello"),
    E400("overflowing Content-Length",
         "POST /w HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551616\r\n\r\n"),
    E400("Transfer-Encoding in HTTP/1.0", "POST /w HTTP/1.0\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    E400("non-hex chunk size",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\nzz\r\n"),
    E400("empty chunk size", "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n\r\n"),
    E400("overflowing chunk size",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
    E400("space after chunk size without extension",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"),
    E400("chunk size line ending in LF",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
    E400("chunk size line CR without LF",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n"),
    E400("chunk data CR without LF",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\rX0\r\n\r\n"),
    E400("trailer CR without LF",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A: b\rc\r\n\r\n"),
    E400("control byte in a chunk extension",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5;a\x01\r\nhello\r\n"),
    /* 400: chunk extensions that are not ;token[=token-or-quoted-string] (RFC 9112 7.1.1) */
    E400("bare ';' chunk extension",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension ';bad['",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;bad[\r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension ';bad[' on the last chunk",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0;bad[\r\n\r\n"),
    E400("chunk extension without a name",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5;=v\r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension '=' without a value",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5;a=\r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension value with a non-token byte",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=b[\r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension with two '='",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=b=c\r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension ending in ';'",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5;a;\r\nhello\r\n0\r\n\r\n"),
    E400("whitespace after a chunk extension",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=b \r\nhello\r\n0\r\n\r\n"),
    E400("whitespace after a chunk extension name",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5;a \r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension without ';'",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5 a\r\nhello\r\n0\r\n\r\n"),
    E400("unterminated quoted chunk extension",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n"),
    E400("bytes after a quoted chunk extension",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"),
    E400("control byte in a quoted chunk extension",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n"),
    E400("DEL in a quoted chunk extension",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n"),
    E400("quoted-pair of a control byte in a chunk extension",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n"),
    E400("quoted chunk extension name",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;\"a\"=b\r\nhello\r\n0\r\n\r\n"),
    E400("chunk extension hiding a CR LF in quotes",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\n\r\n5;a=\"\r\nhello\r\n0\r\n\r\n\"\r\nhello\r\n0\r\n\r\n"),
    /* 400: a Transfer-Encoding list that does not end in one chunked (RFC 9112 6.3) */
    E400("chunked then gzip",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n"),
    E400("chunked twice in one line",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
    E400("chunked twice",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    E400("chunked, then gzip on a second line",
         "POST /w HTTP/1.1\r\n" H11
         "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n"),
    E400("chunked in the middle",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked, br\r\n\r\n"),
    E400("chunked last but also earlier",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, gzip, chunked\r\n\r\n"),
    E400("chunk data not followed by CRLF",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
    E400("chunk data followed by LF only",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
    E400("trailer without colon",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nBad\r\n\r\n"),
    E400("trailer with space before colon",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A : b\r\n\r\n"),
    E400("folded trailer",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A: b\r\n c\r\n\r\n"),
    E400("trailer with NUL",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A: \0\r\n\r\n"),
    E400("body-end LF-only",
         "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\n\n"),

    /* 505 */
    BAD("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "http_version"),
    BAD("HTTP/1.2", "GET / HTTP/1.2\r\n" H11 "\r\n", 505, "http_version"),
    BAD("HTTP/0.9 with a version", "GET / HTTP/0.9\r\n" H11 "\r\n", 505, "http_version"),
    BAD("HTTP/3.0", "GET / HTTP/3.0\r\n" H11 "\r\n", 505, "http_version"),

    /* 501 */
    BAD("gzip coding", "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\n\r\n", 501,
        "not_implemented"),
    BAD("gzip then chunked", "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n",
        501, "not_implemented"),
    BAD("gzip, then chunked on a second line",
        "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
        501, "not_implemented"),
    BAD("empty Transfer-Encoding", "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n\r\n", 501,
        "not_implemented"),
    BAD("chunked with a parameter is another coding",
        "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked;q=1\r\n\r\n", 501,
        "not_implemented"),
    BAD("identity coding", "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: identity\r\n\r\n", 501,
        "not_implemented"),

    /* 411 */
    BAD("POST without length", "POST /w HTTP/1.1\r\n" H11 "\r\n", 411, "length_required"),
    BAD("PUT without length", "PUT /w HTTP/1.1\r\n" H11 "\r\n", 411, "length_required"),
    BAD("PATCH without length", "PATCH /w HTTP/1.0\r\n\r\n", 411, "length_required"),

    /* 413 (the default limit, CB_CFG_BODY_MAX = 16384) */
    BAD("Content-Length over the limit", "POST /w HTTP/1.1\r\n" H11 "Content-Length: 16385\r\n\r\n",
        413, "body_too_large"),
    BAD("huge Content-Length",
        "POST /w HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551615\r\n\r\n", 413,
        "body_too_large"),
    BAD("chunk over the limit",
        "POST /w HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n4001\r\n", 413,
        "body_too_large"),

    /* 417 */
    BAD("unknown expectation",
        "POST /w HTTP/1.1\r\n" H11 "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417,
        "expectation_failed"),
    BAD("100-continue with more",
        "POST /w HTTP/1.1\r\n" H11 "Expect: 100-continue, x\r\nContent-Length: 1\r\n\r\nx", 417,
        "expectation_failed"),
};

static void test_http_table_cases_give_expected_outcome_however_split(void **state)
{
    (void)state;
    assert_true(sizeof s_cases / sizeof s_cases[0] >= 60);
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const http_case_t *c = &s_cases[i];
        s_ctx = c->name;
        run_t w = run_split_checked((const uint8_t *)c->raw, c->len, CB_CFG_BODY_MAX);
        if (c->status == 0) {
            CHECK(w.last == CB_HTTP_EV_REQUEST);
            CHECK(w.heads == 1);
            CHECK(w.consumed == c->len);
            CHECK(s_a.err_status == 0);
            CHECK(!cb_http_reader_in_request(&s_a));
        } else {
            CHECK(w.last == CB_HTTP_EV_ERROR);
            CHECK(s_a.err_status == c->status);
            CHECK(s_a.err_code && strcmp(s_a.err_code, c->code) == 0);
            CHECK(s_a.err_message != NULL);
            CHECK(!s_a.req.keep_alive);
        }
    }
    s_ctx = "";
}

/* ---- request details ---- */

static void test_http_parses_request_line_and_fields(void **state)
{
    (void)state;
    const char *raw = "POST /webhooks/chat?a=1&b HTTP/1.1\r\n"
                      "Host: dev.local:8080\r\n"
                      "Content-Type:   application/json  \r\n"
                      "X-Dup: one\r\n"
                      "x-dup: two\r\n"
                      "Content-Length: 2\r\n"
                      "\r\n"
                      "{}";
    run_t w = run_split_checked((const uint8_t *)raw, strlen(raw), CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    const cb_http_request_t *q = &s_a.req;
    assert_int_equal(q->method, CB_HTTP_POST);
    assert_span(q->method_str, "POST");
    assert_span(q->target, "/webhooks/chat?a=1&b");
    assert_span(q->path, "/webhooks/chat");
    assert_span(q->query, "a=1&b");
    assert_int_equal(q->version_minor, 1);
    assert_int_equal(q->nfields, 5);
    assert_span(q->fields[1].name, "Content-Type");
    assert_span(q->fields[1].value, "application/json");
    assert_true(q->keep_alive);
    assert_false(q->expect_continue);
    assert_int_equal(q->body_len, 2);
    assert_memory_equal(q->body, "{}", 2);

    size_t count = 99;
    assert_span(cb_http_field(q, "content-type", &count), "application/json");
    assert_int_equal(count, 1);
    assert_span(cb_http_field(q, "Content-Type", &count), "application/json"); /* as sent */
    assert_int_equal(count, 1);
    assert_span(cb_http_field(q, "Content-Typf", &count), NULL); /* same length, other name */
    assert_int_equal(count, 0);
    assert_span(cb_http_field(q, "X-DUP", &count), "one");
    assert_int_equal(count, 2);
    assert_span(cb_http_field(q, "Missing", &count), NULL);
    assert_int_equal(count, 0);
    assert_span(cb_http_field(q, "HOST", NULL), "dev.local:8080");
}

static void test_http_maps_methods_case_sensitively(void **state)
{
    (void)state;
    static const struct {
        const char *m;
        cb_http_method_t want;
    } t[] = {
        {"GET", CB_HTTP_GET},          {"HEAD", CB_HTTP_HEAD},     {"POST", CB_HTTP_POST},
        {"PUT", CB_HTTP_PUT},          {"DELETE", CB_HTTP_DELETE}, {"OPTIONS", CB_HTTP_OPTIONS},
        {"PATCH", CB_HTTP_PATCH},      {"TRACE", CB_HTTP_TRACE},   {"CONNECT", CB_HTTP_CONNECT},
        {"get", CB_HTTP_UNKNOWN},      {"Post", CB_HTTP_UNKNOWN},  {"GETS", CB_HTTP_UNKNOWN},
        {"X-CUSTOM", CB_HTTP_UNKNOWN}, {"FETCH", CB_HTTP_UNKNOWN}, {"SEARCH", CB_HTTP_UNKNOWN},
        {"BINDING", CB_HTTP_UNKNOWN},
    };
    char raw[128];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int n = snprintf(raw, sizeof raw, "%s /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
                         t[i].m);
        assert_true(n > 0);
        run_t w = run_split_checked((const uint8_t *)raw, (size_t)n, CB_CFG_BODY_MAX);
        assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
        assert_int_equal(s_a.req.method, t[i].want);
        assert_span(s_a.req.method_str, t[i].m);
    }
}

static void test_http_absolute_form_gives_its_path(void **state)
{
    (void)state;
    static const struct {
        const char *target, *path, *query;
    } t[] = {
        {"http://example.com/a/b?c=d", "/a/b", "c=d"},
        {"http://example.com", "/", NULL},
        {"http://example.com?x", "/", "x"},
        {"https://example.com:8443/webhooks/chat", "/webhooks/chat", NULL},
        {"/plain?", "/plain", ""},
    };
    char raw[256];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int n =
            snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: example.com\r\n\r\n", t[i].target);
        run_t w = run_split_checked((const uint8_t *)raw, (size_t)n, CB_CFG_BODY_MAX);
        assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
        assert_span(s_a.req.target, t[i].target);
        assert_span(s_a.req.path, t[i].path);
        assert_span(s_a.req.query, t[i].query);
    }
    cb_http_reader_init(&s_a, 100);
    cb_http_reader_set_body(&s_a, s_body_a);
    run_t w = run_str(&s_a, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 0);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_span(s_a.req.path, "*");
    assert_span(s_a.req.query, NULL);
}

static void test_http_decodes_chunked_body_with_extensions_and_trailers(void **state)
{
    (void)state;
    const char *raw = "POST /w HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4;ext=1\r\nWiki\r\n"
                      "5 ;a=\"quoted;\\\"\" ; b\r\npedia\r\n"
                      "E\r\n in\r\n\r\nchunks.\r\n"
                      "0;final\r\n"
                      "Expires: never\r\nX-Checksum: abc\r\n"
                      "\r\n";
    run_t w = run_split_checked((const uint8_t *)raw, strlen(raw), CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(w.consumed, strlen(raw));
    assert_int_equal(s_a.req.body_len, 23);
    assert_memory_equal(s_a.req.body, "Wikipedia in\r\n\r\nchunks.", 23);
    /* trailers are not exposed as fields */
    assert_span(cb_http_field(&s_a.req, "Expires", NULL), NULL);
}

static void test_http_rejects_chunk_size_line_over_limit(void **state)
{
    (void)state;
    const char *head = "POST /w HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    size_t hl = strlen(head);
    memcpy(s_big, head, hl);
    size_t n = hl;
    s_big[n++] = '1';
    s_big[n++] = ';';
    for (int i = 0; i < 300; i++)
        s_big[n++] = 'e';
    memcpy(s_big + n, "\r\nx\r\n0\r\n\r\n", 10);
    n += 10;
    run_t w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(s_a.err_status, 400);
    assert_true(w.consumed < n - 10); /* found before the line ended */

    /* the same bound holds for leading zeros and for whitespace */
    for (int k = 0; k < 2; k++) {
        n = hl;
        s_big[n++] = '1';
        for (int i = 0; i < 300; i++)
            s_big[n++] = k ? ' ' : '0';
        memcpy(s_big + n, ";e\r\nx\r\n0\r\n\r\n", 12);
        if (!k)
            memmove(s_big + hl, s_big + hl + 1, 300); /* "000...0" then ";e" */
        n += 12;
        w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
        assert_int_equal(w.last, CB_HTTP_EV_ERROR);
        assert_int_equal(s_a.err_status, 400);
    }

    /* a 200-byte extension is fine */
    n = hl;
    s_big[n++] = '1';
    s_big[n++] = ';';
    for (int i = 0; i < 200; i++)
        s_big[n++] = 'e';
    memcpy(s_big + n, "\r\nx\r\n0\r\n\r\n", 10);
    n += 10;
    w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(s_a.req.body_len, 1);
}

/* ---- events and consumption ---- */

static void test_http_stops_after_head_and_flags_100_continue(void **state)
{
    (void)state;
    const char *head = "POST /w HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                       "Content-Length: 5\r\n\r\n";
    char raw[256];
    size_t hl = strlen(head);
    memcpy(raw, head, hl);
    memcpy(raw + hl, "hello", 5);
    cb_http_ev_t ev;
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    cb_http_reader_set_body(&s_a, s_body_a);
    assert_false(cb_http_reader_in_request(&s_a));
    size_t c = cb_http_reader_feed(&s_a, (const uint8_t *)raw, hl + 5, &ev);
    assert_int_equal(ev, CB_HTTP_EV_HEAD);
    assert_int_equal(c, hl); /* body left for the next feed */
    assert_true(s_a.req.expect_continue);
    assert_true(cb_http_reader_in_request(&s_a));
    c = cb_http_reader_feed(&s_a, (const uint8_t *)raw + hl, 5, &ev);
    assert_int_equal(ev, CB_HTTP_EV_REQUEST);
    assert_int_equal(c, 5);
    assert_false(cb_http_reader_in_request(&s_a));
    assert_memory_equal(s_a.req.body, "hello", 5);

    /* HTTP/1.0 clients get no 100 Continue (RFC 9110 10.1.1) */
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    cb_http_reader_set_body(&s_a, s_body_a);
    run_t w =
        run_str(&s_a, "POST /w HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_false(s_a.req.expect_continue);
}

static void test_http_bodyless_request_completes_on_next_feed_even_empty(void **state)
{
    (void)state;
    const char *raw = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    cb_http_ev_t ev;
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    cb_http_reader_set_body(&s_a, s_body_a);
    size_t c = cb_http_reader_feed(&s_a, (const uint8_t *)raw, strlen(raw), &ev);
    assert_int_equal(ev, CB_HTTP_EV_HEAD);
    assert_int_equal(c, strlen(raw));
    c = cb_http_reader_feed(&s_a, NULL, 0, &ev);
    assert_int_equal(ev, CB_HTTP_EV_REQUEST);
    assert_int_equal(c, 0);
    /* complete stays complete until reset, consuming nothing */
    c = cb_http_reader_feed(&s_a, (const uint8_t *)raw, strlen(raw), &ev);
    assert_int_equal(ev, CB_HTTP_EV_REQUEST);
    assert_int_equal(c, 0);
}

static void test_http_pipelined_requests_are_consumed_exactly(void **state)
{
    (void)state;
    const char *one = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    const char *two = "GET /b?x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    const char *three = "\r\nPOST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "1\r\nz\r\n0\r\n\r\n";
    char buf[512];
    size_t l1 = strlen(one), l2 = strlen(two), l3 = strlen(three);
    memcpy(buf, one, l1);
    memcpy(buf + l1, two, l2);
    memcpy(buf + l1 + l2, three, l3);
    memcpy(buf + l1 + l2 + l3, "GET", 3);
    size_t total = l1 + l2 + l3 + 3;

    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    cb_http_reader_set_body(&s_a, s_body_a);
    run_t w = run(&s_a, (const uint8_t *)buf, total, 0);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(w.consumed, l1);
    assert_span(s_a.req.path, "/a");
    assert_int_equal(s_a.req.body_len, 3);
    assert_true(s_a.req.keep_alive);

    cb_http_reader_reset(&s_a);
    w = run(&s_a, (const uint8_t *)buf + l1, total - l1, 0);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(w.consumed, l2);
    assert_span(s_a.req.path, "/b");
    assert_span(s_a.req.query, "x");
    assert_false(s_a.req.keep_alive);
    assert_int_equal(s_a.req.body_len, 0);

    cb_http_reader_reset(&s_a);
    w = run(&s_a, (const uint8_t *)buf + l1 + l2, total - l1 - l2, 0);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(w.consumed, l3);
    assert_span(s_a.req.path, "/c");
    assert_int_equal(s_a.req.body_len, 1);

    cb_http_reader_reset(&s_a);
    w = run(&s_a, (const uint8_t *)buf + l1 + l2 + l3, 3, 0);
    assert_int_equal(w.last, CB_HTTP_EV_NONE);
    assert_int_equal(w.consumed, 3);
    assert_true(cb_http_reader_in_request(&s_a));
}

static void test_http_error_is_sticky_until_reset(void **state)
{
    (void)state;
    cb_http_ev_t ev;
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    cb_http_reader_set_body(&s_a, s_body_a);
    run_t w = run_str(&s_a, "GET / HTTP/1.1\r\nBad Header: x\r\n", 0);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_false(cb_http_reader_in_request(&s_a));
    size_t c = cb_http_reader_feed(&s_a, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, &ev);
    assert_int_equal(ev, CB_HTTP_EV_ERROR);
    assert_int_equal(c, 0);
    assert_int_equal(s_a.err_status, 400);
    cb_http_reader_reset(&s_a);
    assert_int_equal(s_a.err_status, 0);
    assert_null(s_a.err_code);
    w = run_str(&s_a, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
}

static void test_http_error_messages_never_echo_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        if (!s_cases[i].status)
            continue;
        cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
        cb_http_reader_set_body(&s_a, s_body_a);
        run(&s_a, (const uint8_t *)s_cases[i].raw, s_cases[i].len, 0);
        assert_non_null(s_a.err_message);
        assert_true(s_a.err_message < (const char *)&s_a ||
                    s_a.err_message >= (const char *)(&s_a + 1));
        assert_null(strstr(s_a.err_message, "example.com"));
        assert_null(strstr(s_a.err_message, "/w"));
    }
}

static void test_http_in_request_tracks_first_byte_to_completion(void **state)
{
    (void)state;
    cb_http_ev_t ev;
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    cb_http_reader_set_body(&s_a, s_body_a);
    cb_http_reader_feed(&s_a, NULL, 0, &ev);
    assert_int_equal(ev, CB_HTTP_EV_NONE);
    assert_false(cb_http_reader_in_request(&s_a));
    cb_http_reader_feed(&s_a, (const uint8_t *)"\r", 1, &ev);
    assert_true(cb_http_reader_in_request(&s_a));
    cb_http_reader_reset(&s_a);
    assert_false(cb_http_reader_in_request(&s_a));
    cb_http_reader_feed(&s_a, (const uint8_t *)"G", 1, &ev);
    assert_true(cb_http_reader_in_request(&s_a));
}

static void test_http_keep_alive_follows_version_and_connection(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        bool keep;
    } t[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: foo,keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        run_t w = run_split_checked((const uint8_t *)t[i].raw, strlen(t[i].raw), 100);
        assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
        assert_int_equal(s_a.req.keep_alive, t[i].keep);
    }
}

/* ---- limits ---- */

/* "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: <n>\r\n\r\n" + n bytes of 'b' */
static size_t make_cl_request(size_t n)
{
    int hl = snprintf((char *)s_big, sizeof s_big,
                      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n", n);
    memset(s_big + hl, 'b', n);
    return (size_t)hl + n;
}

/* the same body as n_chunks chunks of size each */
static size_t make_chunked_request(size_t n_chunks, size_t size)
{
    int hl = snprintf((char *)s_big, sizeof s_big,
                      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    size_t n = (size_t)hl;
    for (size_t i = 0; i < n_chunks; i++) {
        n += (size_t)snprintf((char *)s_big + n, sizeof s_big - n, "%zx\r\n", size);
        memset(s_big + n, 'c', size);
        n += size;
        memcpy(s_big + n, "\r\n", 2);
        n += 2;
    }
    memcpy(s_big + n, "0\r\n\r\n", 5);
    return n + 5;
}

static void test_http_body_at_limit_accepted_one_over_rejected(void **state)
{
    (void)state;
    static const uint32_t limits[] = {1000, CB_CFG_BODY_MAX};
    for (size_t k = 0; k < 2; k++) {
        uint32_t lim = limits[k];
        size_t n = make_cl_request(lim);
        run_t w = run_split_checked(s_big, n, lim);
        assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
        assert_int_equal(s_a.req.body_len, lim);
        assert_int_equal(w.consumed, n);

        n = make_cl_request(lim + 1);
        w = run_split_checked(s_big, n, lim);
        assert_int_equal(w.last, CB_HTTP_EV_ERROR);
        assert_int_equal(w.heads, 0); /* refused at the head, body unread */
        assert_int_equal(s_a.err_status, 413);
        assert_string_equal(s_a.err_code, "body_too_large");

        n = make_chunked_request(4, lim / 4);
        w = run_split_checked(s_big, n, lim);
        assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
        assert_int_equal(s_a.req.body_len, lim);

        n = make_chunked_request(4, lim / 4);
        memcpy(s_big + n - 5, "1\r\nx\r\n0\r\n\r\n", 11);
        n += 6;
        w = run_split_checked(s_big, n, lim);
        assert_int_equal(w.last, CB_HTTP_EV_ERROR);
        assert_int_equal(w.heads, 1);
        assert_int_equal(s_a.err_status, 413);
        assert_true(w.consumed < n - 5); /* refused at the size line */
    }
}

static void test_http_init_clamps_body_limit(void **state)
{
    (void)state;
    size_t n = make_cl_request(CB_CFG_BODY_MAX + 1);
    cb_http_reader_init(&s_a, UINT32_MAX);
    cb_http_reader_set_body(&s_a, s_body_a);
    run_t w = run(&s_a, s_big, n, 0);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(s_a.err_status, 413);
}

/* SPEC 8: a body is read only into a buffer the owner lends; until then the
 * reader takes nothing and says so. */
static void test_http_body_waits_for_a_lent_buffer(void **state)
{
    (void)state;
    const char *req = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    size_t len = strlen(req), hl = strlen(req) - 5;
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX); /* no body buffer */
    cb_http_ev_t ev;
    assert_int_equal(cb_http_reader_feed(&s_a, (const uint8_t *)req, len, &ev), hl);
    assert_int_equal(ev, CB_HTTP_EV_HEAD);
    assert_true(cb_http_reader_needs_body(&s_a));
    assert_int_equal(cb_http_reader_feed(&s_a, (const uint8_t *)req + hl, 5, &ev), 0);
    assert_int_equal(ev, CB_HTTP_EV_NONE);
    assert_true(cb_http_reader_in_request(&s_a)); /* the request timeout runs */
    cb_http_reader_set_body(&s_a, s_body_a);
    assert_false(cb_http_reader_needs_body(&s_a));
    assert_int_equal(cb_http_reader_feed(&s_a, (const uint8_t *)req + hl, 5, &ev), 5);
    assert_int_equal(ev, CB_HTTP_EV_REQUEST);
    assert_memory_equal(s_a.req.body, "hello", 5);
    /* a bodyless request needs no buffer */
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    run_t r = run_str(&s_a, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0);
    assert_int_equal(r.last, CB_HTTP_EV_REQUEST);
    assert_false(cb_http_reader_needs_body(&s_a));
    assert_int_equal(s_a.req.body_len, 0);
    assert_non_null(s_a.req.body);
}

/* A head past the reader's own CB_CFG_CONN_HEAD bytes stops until the owner
 * lends a larger buffer; the spans read so far move with it. */
static void test_http_head_moves_to_a_lent_buffer(void **state)
{
    (void)state;
#if CB_CFG_CONN_HEAD == CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX
    skip(); /* this build's readers hold the whole head */
#else
    size_t n = (size_t)snprintf((char *)s_big, sizeof s_big,
                                "GET /p/a?q=1 HTTP/1.1\r\nHost: h\r\nX-First: one\r\n");
    while (n < CB_CFG_CONN_HEAD + 500)
        n += (size_t)snprintf((char *)s_big + n, sizeof s_big - n, "X-Pad: %080d\r\n", 7);
    n += (size_t)snprintf((char *)s_big + n, sizeof s_big - n, "X-Last: end\r\n\r\n");
    cb_http_reader_init(&s_a, CB_CFG_BODY_MAX);
    cb_http_ev_t ev;
    size_t used = cb_http_reader_feed(&s_a, s_big, n, &ev);
    assert_int_equal(ev, CB_HTTP_EV_NONE);
    assert_true(used > CB_CFG_CONN_HEAD / 2 && used < n);
    assert_true(cb_http_reader_needs_head_room(&s_a));
    assert_int_equal(cb_http_reader_feed(&s_a, s_big + used, n - used, &ev), 0);
    cb_http_reader_set_head(&s_a, s_head_a, sizeof s_head_a);
    assert_false(cb_http_reader_needs_head_room(&s_a));
    assert_int_equal(cb_http_reader_feed(&s_a, s_big + used, n - used, &ev), n - used);
    assert_int_equal(ev, CB_HTTP_EV_HEAD);
    const cb_http_request_t *q = &s_a.req;
    assert_span(q->path, "/p/a");
    assert_span(q->query, "q=1");
    assert_span(cb_http_field(q, "host", NULL), "h");
    assert_span(cb_http_field(q, "x-first", NULL), "one");
    assert_span(cb_http_field(q, "x-last", NULL), "end");
    assert_true(q->path.p >= s_head_a && q->path.p < s_head_a + sizeof s_head_a);
    /* given back between requests: the next head starts in the own buffer */
    cb_http_reader_feed(&s_a, NULL, 0, &ev);
    assert_int_equal(ev, CB_HTTP_EV_REQUEST);
    cb_http_reader_reset(&s_a);
    cb_http_reader_set_head(&s_a, NULL, 0);
    assert_int_equal(run_str(&s_a, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n", 0).last,
                     CB_HTTP_EV_REQUEST);
    assert_span(s_a.req.path, "/b");
    assert_true(s_a.req.path.p >= s_a.head_own && s_a.req.path.p < s_a.head_own + CB_CFG_CONN_HEAD);
#endif
}

static void test_http_rejects_request_line_over_limit_early(void **state)
{
    (void)state;
    /* exactly CB_CFG_HTTP_LINE_MAX bytes of line: accepted */
    const char *pre = "GET /", *post = " HTTP/1.1";
    size_t fill = CB_CFG_HTTP_LINE_MAX - strlen(pre) - strlen(post);
    size_t n = 0;
    memcpy(s_big, pre, strlen(pre));
    n += strlen(pre);
    memset(s_big + n, 'a', fill);
    n += fill;
    memcpy(s_big + n, post, strlen(post));
    n += strlen(post);
    assert_int_equal(n, CB_CFG_HTTP_LINE_MAX);
    memcpy(s_big + n, "\r\nHost: h\r\n\r\n", 13);
    run_t w = run_split_checked(s_big, n + 13, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(s_a.req.path.len, fill + 1);

    /* one more byte: 414, without waiting for the CRLF */
    memmove(s_big + 6, s_big + 5, n - 5);
    n++;
    w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(s_a.err_status, 414);
    assert_string_equal(s_a.err_code, "uri_too_long");

    /* a line that never ends */
    memset(s_big, 'A', 3 * CB_CFG_HTTP_LINE_MAX);
    w = run_split_checked(s_big, 3 * CB_CFG_HTTP_LINE_MAX, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(s_a.err_status, 414);
    assert_int_equal(w.consumed, CB_CFG_HTTP_LINE_MAX + 1);
}

/* Request line + one "X-Pad: aaa...\r\n" field so that the header bytes
 * (after the request line, CRLFs and the final empty line included) total
 * hdr_bytes. */
static size_t make_padded_headers(size_t hdr_bytes)
{
    const char *line = "GET / HTTP/1.1\r\n";
    const char *host = "Host: h\r\n";
    size_t n = strlen(line);
    memcpy(s_big, line, n);
    memcpy(s_big + n, host, strlen(host));
    n += strlen(host);
    size_t pad = hdr_bytes - strlen(host) - strlen("X-Pad: \r\n") - 2;
    memcpy(s_big + n, "X-Pad: ", 7);
    n += 7;
    memset(s_big + n, 'p', pad);
    n += pad;
    memcpy(s_big + n, "\r\n\r\n", 4);
    return n + 4;
}

static void test_http_rejects_header_over_limit(void **state)
{
    (void)state;
    size_t n = make_padded_headers(CB_CFG_HTTP_HEADERS_MAX);
    run_t w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(w.consumed, n);

    n = make_padded_headers(CB_CFG_HTTP_HEADERS_MAX + 1);
    w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(s_a.err_status, 431);
    assert_string_equal(s_a.err_code, "headers_too_large");

    /* trailers count against the same limit */
    int hl = snprintf((char *)s_big, sizeof s_big,
                      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "1\r\nx\r\n0\r\nX-T: ");
    memset(s_big + hl, 't', CB_CFG_HTTP_HEADERS_MAX);
    w = run_split_checked(s_big, (size_t)hl + CB_CFG_HTTP_HEADERS_MAX, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(w.heads, 1);
    assert_int_equal(s_a.err_status, 431);

    /* a header that never ends is refused once past the limit */
    memcpy(s_big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(s_big + 19, 'v', 2 * CB_CFG_HTTP_HEADERS_MAX);
    w = run_split_checked(s_big, 19 + 2 * CB_CFG_HTTP_HEADERS_MAX, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(s_a.err_status, 431);
    assert_int_equal(w.consumed, 16 + CB_CFG_HTTP_HEADERS_MAX + 1);
}

static size_t make_fields(size_t nfields)
{
    int n = snprintf((char *)s_big, sizeof s_big, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (size_t i = 1; i < nfields; i++)
        n += snprintf((char *)s_big + n, sizeof s_big - (size_t)n, "X-F%zu: %zu\r\n", i, i);
    memcpy(s_big + n, "\r\n", 2);
    return (size_t)n + 2;
}

static void test_http_rejects_too_many_fields(void **state)
{
    (void)state;
    size_t n = make_fields(CB_CFG_HTTP_MAX_FIELDS);
    run_t w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_REQUEST);
    assert_int_equal(s_a.req.nfields, CB_CFG_HTTP_MAX_FIELDS);
    assert_span(s_a.req.fields[CB_CFG_HTTP_MAX_FIELDS - 1].value, "63");

    n = make_fields(CB_CFG_HTTP_MAX_FIELDS + 1);
    w = run_split_checked(s_big, n, CB_CFG_BODY_MAX);
    assert_int_equal(w.last, CB_HTTP_EV_ERROR);
    assert_int_equal(s_a.err_status, 431);
    /* refused at the first byte of the extra field line */
    assert_int_equal(w.consumed, n - 2 - strlen("X-F64: 64\r\n") + 1);
}

/* ---- response writer ---- */

static void test_http_writes_response_exactly(void **state)
{
    (void)state;
    char out[256];
    fake_port_reset();
    fake_port.wall_trusted = false; /* no Date: the bytes below are exact */
    const char *body = "{\"status\":\"ok\"}";
    int n = cb_http_write_response(out, sizeof out, 200, NULL, NULL, body, strlen(body), false);
    const char *want = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: 15\r\n\r\n{\"status\":\"ok\"}";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, (size_t)n);

    n = cb_http_write_response(out, sizeof out, 405, "Allow: GET, HEAD\r\n", "text/plain", "no", 2,
                               true);
    want = "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: text/plain\r\n"
           "Content-Length: 2\r\nConnection: close\r\n\r\nno";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, (size_t)n);

    n = cb_http_write_response(out, sizeof out, 404, NULL, NULL, NULL, 0, false);
    want = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, (size_t)n);

    n = cb_http_write_response(out, sizeof out, 100, NULL, NULL, NULL, 0, false);
    want = "HTTP/1.1 100 Continue\r\n\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, (size_t)n);

    n = cb_http_write_response(out, sizeof out, 299, NULL, NULL, NULL, 0, false);
    want = "HTTP/1.1 299 Unknown\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, (size_t)n);

    assert_int_equal(cb_http_write_response(out, sizeof out, 42, NULL, NULL, NULL, 0, false),
                     CB_ERR_INVAL);
}

/* ---- Date (RFC 9110 6.6.1, IMF-fixdate of RFC 9110 5.6.7) ---- */

static void assert_date(int64_t s, const char *want)
{
    char out[CB_HTTP_DATE_LEN + 1];
    memset(out, '#', sizeof out);
    assert_int_equal(cb_http_date(s, out), CB_HTTP_DATE_LEN);
    assert_int_equal(strlen(want), CB_HTTP_DATE_LEN);
    assert_memory_equal(out, want, CB_HTTP_DATE_LEN);
    assert_int_equal(out[CB_HTTP_DATE_LEN], '#');
}

static void test_http_date_formats_known_instants(void **state)
{
    (void)state;
    assert_date(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_date(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
    assert_date(784111777, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110's example */
    assert_date(946684799, "Fri, 31 Dec 1999 23:59:59 GMT");
    assert_date(978307200, "Mon, 01 Jan 2001 00:00:00 GMT");
    assert_date(1795867200, "Sat, 28 Nov 2026 12:00:00 GMT");
    /* leap years: every 4th, not 2100, but 2000 */
    assert_date(68169600, "Tue, 29 Feb 1972 00:00:00 GMT");
    assert_date(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
    assert_date(1709164800, "Thu, 29 Feb 2024 00:00:00 GMT");
    assert_date(4107456000, "Sun, 28 Feb 2100 00:00:00 GMT");
    assert_date(4107542400, "Mon, 01 Mar 2100 00:00:00 GMT");
    /* either side of 2038-01-19T03:14:07Z, where a signed 32-bit time_t ends */
    assert_date(INT64_C(2147483647), "Tue, 19 Jan 2038 03:14:07 GMT");
    assert_date(INT64_C(2147483648), "Tue, 19 Jan 2038 03:14:08 GMT");
    assert_date(INT64_C(4294967296), "Sun, 07 Feb 2106 06:28:16 GMT");
    /* the four-digit years, and past them */
    assert_date(INT64_C(-62135596800), "Mon, 01 Jan 0001 00:00:00 GMT");
    assert_date(INT64_C(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
    char out[CB_HTTP_DATE_LEN];
    assert_int_equal(cb_http_date(INT64_C(253402300800), out), CB_ERR_INVAL);
    assert_int_equal(cb_http_date(INT64_C(-62135596801), out), CB_ERR_INVAL);
    assert_int_equal(cb_http_date(INT64_MAX, out), CB_ERR_INVAL);
    assert_int_equal(cb_http_date(INT64_MIN, out), CB_ERR_INVAL);
}

/* Against the C library's gmtime + strftime ("C" locale) over 1970..2200 in
 * steps that visit every day-of-year position, hour and weekday. */
static void test_http_date_agrees_with_gmtime(void **state)
{
    (void)state;
    if (sizeof(time_t) < 8)
        skip();
    for (int64_t s = 0; s < INT64_C(7258118400); s += 86400 * 13 + 3607) {
        time_t t = (time_t)s;
        char want[64], got[CB_HTTP_DATE_LEN];
        assert_int_equal(strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t)),
                         CB_HTTP_DATE_LEN);
        assert_int_equal(cb_http_date(s, got), CB_HTTP_DATE_LEN);
        assert_memory_equal(got, want, CB_HTTP_DATE_LEN);
    }
}

/* The text of the Date field line in a response, or NULL. */
static const char *date_field(const char *resp, int n)
{
    static char v[64];
    const char *end = strstr(resp, "\r\n\r\n");
    const char *d = strstr(resp, "\r\nDate: ");
    assert_true(n > 0 && end != NULL);
    if (!d || d > end)
        return NULL;
    d += 8;
    const char *e = strstr(d, "\r\n");
    memcpy(v, d, (size_t)(e - d));
    v[e - d] = '\0';
    return v;
}

static void test_http_response_carries_date_only_while_clock_trusted(void **state)
{
    (void)state;
    char out[512];
    int n;
    fake_port_reset(); /* 2026-11-28T12:00:00Z, trusted */
    fake_port.wall_ms += 999;
    n = cb_http_write_response(out, sizeof out - 1, 200, NULL, NULL, "{}", 2, false);
    out[n] = '\0';
    /* right after the status line */
    const char *want = "HTTP/1.1 200 OK\r\nDate: Sat, 28 Nov 2026 12:00:00 GMT\r\n"
                       "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    assert_string_equal(out, want);
    /* every status but 1xx: 4xx, 5xx, a framing error that closes */
    static const int statuses[] = {204, 400, 404, 413, 431, 500, 501, 503};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        n = cb_http_write_response(out, sizeof out - 1, statuses[i], "Retry-After: 60\r\n", NULL,
                                   "{}", 2, true);
        out[n] = '\0';
        assert_non_null(date_field(out, n));
        assert_string_equal(date_field(out, n), "Sat, 28 Nov 2026 12:00:00 GMT");
    }
    n = cb_http_write_response(out, sizeof out - 1, 100, NULL, NULL, NULL, 0, false);
    out[n] = '\0';
    assert_string_equal(out, "HTTP/1.1 100 Continue\r\n\r\n");

    /* the next second, and a jump back: the cached text follows the clock */
    fake_port.wall_ms += 1;
    n = cb_http_write_response(out, sizeof out - 1, 404, NULL, NULL, NULL, 0, false);
    out[n] = '\0';
    assert_string_equal(date_field(out, n), "Sat, 28 Nov 2026 12:00:01 GMT");
    fake_port.wall_ms = 784111777000LL;
    n = cb_http_write_response(out, sizeof out - 1, 404, NULL, NULL, NULL, 0, false);
    out[n] = '\0';
    assert_string_equal(date_field(out, n), "Sun, 06 Nov 1994 08:49:37 GMT");

    /* untrusted (a board before SNTP): no Date at all */
    fake_port.wall_trusted = false;
    n = cb_http_write_response(out, sizeof out - 1, 200, NULL, NULL, "{}", 2, false);
    out[n] = '\0';
    assert_null(date_field(out, n));
    assert_null(strstr(out, "Date"));

    /* a clock past year 9999 gives no Date rather than a wrong one */
    fake_port.wall_trusted = true;
    fake_port.wall_ms = INT64_C(253402300800) * 1000;
    n = cb_http_write_response(out, sizeof out - 1, 200, NULL, NULL, "{}", 2, false);
    out[n] = '\0';
    assert_null(date_field(out, n));
    fake_port_reset();
}

static void test_http_response_writer_reports_overflow(void **state)
{
    (void)state;
    char out[160];
    fake_port_reset(); /* the Date field too must fit */
    const char *want = "HTTP/1.1 413 Content Too Large\r\nDate: Sat, 28 Nov 2026 12:00:00 GMT\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 4\r\nConnection: close\r\n\r\n{\"a\"";
    size_t wl = strlen(want);
    memset(out, '#', sizeof out);
    int n = cb_http_write_response(out, wl, 413, NULL, NULL, "{\"a\"", 4, true);
    assert_int_equal(n, wl);
    assert_memory_equal(out, want, wl);
    assert_int_equal(out[wl], '#');
    for (size_t cap = 0; cap < wl; cap++) {
        memset(out, '#', sizeof out);
        n = cb_http_write_response(out, cap, 413, NULL, NULL, "{\"a\"", 4, true);
        assert_int_equal(n, CB_ERR_NOMEM);
        for (size_t i = cap; i < sizeof out; i++)
            assert_int_equal(out[i], '#'); /* nothing written past cap */
    }
}

static void test_http_reason_phrases(void **state)
{
    (void)state;
    assert_string_equal(cb_http_reason(200), "OK");
    assert_string_equal(cb_http_reason(400), "Bad Request");
    assert_string_equal(cb_http_reason(408), "Request Timeout");
    assert_string_equal(cb_http_reason(411), "Length Required");
    assert_string_equal(cb_http_reason(413), "Content Too Large");
    assert_string_equal(cb_http_reason(414), "URI Too Long");
    assert_string_equal(cb_http_reason(415), "Unsupported Media Type");
    assert_string_equal(cb_http_reason(417), "Expectation Failed");
    assert_string_equal(cb_http_reason(429), "Too Many Requests");
    assert_string_equal(cb_http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(cb_http_reason(501), "Not Implemented");
    assert_string_equal(cb_http_reason(503), "Service Unavailable");
    assert_string_equal(cb_http_reason(505), "HTTP Version Not Supported");
    assert_string_equal(cb_http_reason(799), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_table_cases_give_expected_outcome_however_split),
        cmocka_unit_test(test_http_parses_request_line_and_fields),
        cmocka_unit_test(test_http_maps_methods_case_sensitively),
        cmocka_unit_test(test_http_absolute_form_gives_its_path),
        cmocka_unit_test(test_http_decodes_chunked_body_with_extensions_and_trailers),
        cmocka_unit_test(test_http_rejects_chunk_size_line_over_limit),
        cmocka_unit_test(test_http_stops_after_head_and_flags_100_continue),
        cmocka_unit_test(test_http_bodyless_request_completes_on_next_feed_even_empty),
        cmocka_unit_test(test_http_pipelined_requests_are_consumed_exactly),
        cmocka_unit_test(test_http_error_is_sticky_until_reset),
        cmocka_unit_test(test_http_error_messages_never_echo_input),
        cmocka_unit_test(test_http_in_request_tracks_first_byte_to_completion),
        cmocka_unit_test(test_http_keep_alive_follows_version_and_connection),
        cmocka_unit_test(test_http_body_at_limit_accepted_one_over_rejected),
        cmocka_unit_test(test_http_init_clamps_body_limit),
        cmocka_unit_test(test_http_rejects_request_line_over_limit_early),
        cmocka_unit_test(test_http_rejects_header_over_limit),
        cmocka_unit_test(test_http_rejects_too_many_fields),
        cmocka_unit_test(test_http_writes_response_exactly),
        cmocka_unit_test(test_http_date_formats_known_instants),
        cmocka_unit_test(test_http_date_agrees_with_gmtime),
        cmocka_unit_test(test_http_response_carries_date_only_while_clock_trusted),
        cmocka_unit_test(test_http_response_writer_reports_overflow),
        cmocka_unit_test(test_http_reason_phrases),
        cmocka_unit_test(test_http_body_waits_for_a_lent_buffer),
        cmocka_unit_test(test_http_head_moves_to_a_lent_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
