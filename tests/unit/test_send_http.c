/* test_send_http.c - unit tests for instaleap-send's HTTP pieces
 * (tools/instaleap-send/send_http.c): the tolerant, bounded response parser,
 * chunked decoding, URL parsing and request building. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "send_http.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *s, send_resp_t *r)
{
    return send_resp_parse(s, strlen(s), r);
}

static void test_send_resp_parses_content_length(void **state)
{
    (void)state;
    send_resp_t r;
    const char *s = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
                    "\r\nhello";
    assert_int_equal(parse(s, &r), 1);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 5);
    assert_int_equal(r.total, strlen(s));
    assert_int_equal(r.head_len, strlen(s) - 5);
    assert_false(r.close);
    assert_false(r.chunked);
}

static void test_send_resp_needs_more_until_complete(void **state)
{
    (void)state;
    send_resp_t r;
    const char *s = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 3\r\n\r\n{x}";
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(send_resp_parse(s, i, &r), 0);
    assert_int_equal(send_resp_parse(s, n, &r), 1);
    assert_int_equal(r.status, 401);
}

static void test_send_resp_decodes_chunked_split_anywhere(void **state)
{
    (void)state;
    send_resp_t r;
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "4;ext=1\r\n{\"a\"\r\nA\r\n:\"0123456\"\r\n1\r\n}\r\n0\r\nX-T: 1\r\n\r\n";
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(send_resp_parse(s, i, &r), 0);
    assert_int_equal(send_resp_parse(s, n, &r), 1);
    assert_true(r.chunked);
    assert_int_equal(r.total, n);
    char *copy = malloc(r.body_len);
    memcpy(copy, s + r.head_len, r.body_len);
    long dl = send_resp_dechunk(copy, r.body_len, copy);
    assert_int_equal(dl, 15);
    assert_memory_equal(copy, "{\"a\":\"0123456\"}", 15);
    free(copy);
}

static void test_send_resp_tolerates_lf_only_and_odd_spacing(void **state)
{
    (void)state;
    send_resp_t r;
    const char *s = "HTTP/1.1 503\nCONTENT-LENGTH:   2  \nno colon line\nConnection: Close\n\nok";
    assert_int_equal(parse(s, &r), 1);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.body_len, 2);
    assert_true(r.close);
}

static void test_send_resp_knows_when_the_server_closes(void **state)
{
    (void)state;
    send_resp_t r;
    assert_int_equal(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &r), 1);
    assert_true(r.close);
    assert_int_equal(
        parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", &r), 1);
    assert_false(r.close);
    assert_int_equal(parse("HTTP/1.1 400 Bad\r\nConnection: keep-alive, close\r\n"
                           "Content-Length: 0\r\n\r\n",
                           &r),
                     1);
    assert_true(r.close);
}

static void test_send_resp_without_length_runs_to_close(void **state)
{
    (void)state;
    send_resp_t r;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\npartial", &r), 2);
    assert_true(r.until_close);
    assert_true(r.close);
    /* no body by definition */
    assert_int_equal(parse("HTTP/1.1 204 No Content\r\n\r\n", &r), 1);
    assert_int_equal(r.body_len, 0);
    assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", &r), 1);
    assert_int_equal(r.status, 100);
    assert_int_equal(r.total, strlen("HTTP/1.1 100 Continue\r\n\r\n"));
}

static void test_send_resp_parses_pipelined_answers_one_by_one(void **state)
{
    (void)state;
    send_resp_t r;
    const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
                    "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\n[1]"
                    "HTTP/1.1 202 Accepted\r\nContent-Length: 9\r\n\r\n{";
    size_t pos = 0, n = strlen(s);
    int statuses[3] = {0}, k = 0;
    while (send_resp_parse(s + pos, n - pos, &r) == 1) {
        statuses[k++] = r.status;
        pos += r.total;
    }
    assert_int_equal(k, 2);
    assert_int_equal(statuses[0], 200);
    assert_int_equal(statuses[1], 201);
    assert_int_equal(send_resp_parse(s + pos, n - pos, &r), 0);
}

static void test_send_resp_rejects_garbage_and_oversize(void **state)
{
    (void)state;
    send_resp_t r;
    const char *bad[] = {
        "GET / HTTP/1.1\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse(bad[i], &r) != -1)
            fail_msg("accepted: %s", bad[i]);
    /* a head that never ends is cut off at the limit */
    size_t big = SEND_RESP_HEAD_MAX + 100;
    char *h = malloc(big);
    memcpy(h, "HTTP/1.1 200 OK\r\n", 17);
    for (size_t i = 17; i < big; i++)
        h[i] = (i % 50 == 49) ? '\n' : 'a';
    assert_int_equal(send_resp_parse(h, big, &r), -1);
    assert_int_equal(send_resp_parse(h, 1000, &r), 0);
    free(h);
}

static void test_send_url_parses_host_port_and_path(void **state)
{
    (void)state;
    send_url_t u;
    char err[256];
    assert_int_equal(send_url_parse("http://127.0.0.1:8080", "/def", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "8080");
    assert_string_equal(u.path, "/def");
    assert_string_equal(u.hostport, "127.0.0.1:8080");

    assert_int_equal(send_url_parse("HTTP://dev.local/a/b?x=1", "/def", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "dev.local");
    assert_string_equal(u.port, "80");
    assert_string_equal(u.path, "/a/b?x=1");
    assert_string_equal(u.hostport, "dev.local");

    assert_int_equal(send_url_parse("http://[::1]:9?q", "/def", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.path, "/def?q");
    assert_string_equal(u.hostport, "[::1]:9");

    assert_false(u.tls);
    assert_int_equal(send_url_parse("https://dev.local/a", "/def", &u, err, sizeof err), 0);
    assert_true(u.tls);
    assert_string_equal(u.port, "443");
    assert_string_equal(u.hostport, "dev.local");
    assert_int_equal(send_url_parse("HTTPS://127.0.0.1:8443", "/def", &u, err, sizeof err), 0);
    assert_true(u.tls);
    assert_string_equal(u.hostport, "127.0.0.1:8443");

    const char *bad[] = {"ftp://x/",     "x:80",        "http://",
                         "http://:80/",  "http://h:0/", "http://h:65536/",
                         "http://h:8a/", "http://u@h/", "http://[::1/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (send_url_parse(bad[i], "/", &u, err, sizeof err) != -1)
            fail_msg("accepted: %s", bad[i]);
}

static void test_send_request_lets_extra_headers_replace_defaults(void **state)
{
    (void)state;
    send_url_t u;
    char err[64];
    assert_int_equal(send_url_parse("http://h:1/p", "/", &u, err, sizeof err), 0);
    const char *extra_lines[] = {"content-type: text/plain", "X-A: 1"};
    send_extra_t x = {extra_lines, 2};
    const char *pairs[] = {"InstaLeap-Signature", "abc", "x-a", "dropped"};
    send_buf_t b = {0};
    send_request_build(&b, "POST", &u, "application/json", pairs, 2, &x, "{}", 2);
    assert_string_equal(b.p, "POST /p HTTP/1.1\r\nHost: h:1\r\nContent-Length: 2\r\n"
                             "InstaLeap-Signature: abc\r\ncontent-type: text/plain\r\nX-A: 1\r\n"
                             "\r\n{}");
    send_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_resp_parses_content_length),
        cmocka_unit_test(test_send_resp_needs_more_until_complete),
        cmocka_unit_test(test_send_resp_decodes_chunked_split_anywhere),
        cmocka_unit_test(test_send_resp_tolerates_lf_only_and_odd_spacing),
        cmocka_unit_test(test_send_resp_knows_when_the_server_closes),
        cmocka_unit_test(test_send_resp_without_length_runs_to_close),
        cmocka_unit_test(test_send_resp_parses_pipelined_answers_one_by_one),
        cmocka_unit_test(test_send_resp_rejects_garbage_and_oversize),
        cmocka_unit_test(test_send_url_parses_host_port_and_path),
        cmocka_unit_test(test_send_request_lets_extra_headers_replace_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
