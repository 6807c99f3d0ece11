/* test_server.c - the core end to end without sockets: bytes into a
 * connection, group commit, bytes out, signals, restart from the journal
 * (fake port + fault-injecting fake store). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_auth_sig.h"
#include "cb_config.h"
#include "cb_err.h"
#include "cb_metrics.h"
#include "cb_pool.h"
#include "cb_server.h"
#include "fake_port.h"
#include "fake_store.h"

#include <stdio.h>
#include <string.h>

static cb_settings_t s_settings;

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    fake_store_reset();
    cb_settings_defaults(&s_settings);
    s_settings.reminder_s = 0;
    assert_int_equal(cb_server_start(&s_settings), CB_OK);
    return 0;
}

/* Whatever a test did, once its connections are closed every pool buffer
 * is back. */
static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < CB_CFG_MAX_CONN; i++)
        cb_server_conn_close(i);
    assert_int_equal(cb_pool_in_use(), 0);
    return 0;
}

/* Sends raw bytes on a fresh connection, commits, returns the output. */
static const char *exchange(int conn, const char *req)
{
    static char out[8192];
    size_t len = strlen(req);
    size_t used = cb_server_conn_feed(conn, (const uint8_t *)req, len);
    cb_server_commit();
    if (used < len) { /* pipelined rest: after the first answer is taken */
        const uint8_t *o;
        size_t n = cb_server_conn_output(conn, &o);
        cb_server_conn_sent(conn, n);
        cb_server_conn_feed(conn, (const uint8_t *)req + used, len - used);
        cb_server_commit();
    }
    const uint8_t *o;
    size_t n = cb_server_conn_output(conn, &o);
    if (n >= sizeof out)
        n = sizeof out - 1;
    memcpy(out, o, n);
    out[n] = '\0';
    cb_server_conn_sent(conn, n);
    return out;
}

/* A V3-signed webhook request for job with text, created_at fixed near
 * the fake wall clock. */
static const char *webhook(const char *job, const char *text, const char *secret)
{
    static char req[4096];
    char body[1024];
    snprintf(body, sizeof body,
             "{\"client_id\":\"acme\",\"created_at\":\"2026-11-28T12:00:00.000Z\","
             "\"sender\":\"SH\",\"job_id\":\"%s\",\"notification_message\":\"%s\"}",
             job, text);
    cb_event_t ev = {.client_id = cb_span_str("acme"),
                     .created_at = cb_span_str("2026-11-28T12:00:00.000Z"),
                     .sender = cb_span_str("SH"),
                     .job_id = cb_span_str(job)};
    char hex[65];
    cb_auth_sig_v3(&ev, ev.created_at, cb_span_str(secret), hex);
    snprintf(req, sizeof req,
             "POST /webhooks/instaleap/chat HTTP/1.1\r\nHost: d\r\n"
             "Content-Type: application/json\r\nInstaLeap-Signature-V3: t=%s,v3=%s\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             "2026-11-28T12:00:00.000Z", hex, strlen(body), body);
    return req;
}

static unsigned count_signals(const char *kind)
{
    char needle[48];
    snprintf(needle, sizeof needle, "{\"kind\":\"%s\"", kind);
    unsigned n = 0;
    for (unsigned i = 0; i < fake_port.nsignals; i++)
        if (strncmp(fake_port.signals[i], needle, strlen(needle)) == 0)
            n++;
    return n;
}

static void test_server_accepts_signed_event_and_signals_once(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    assert_true(c >= 0);
    const char *out = exchange(c, webhook("JOB-1", "Hola", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(out, "{\"status\":\"accepted\",\"seq\":1}"));
    assert_int_equal(count_signals("message"), 1);
    assert_int_equal(count_signals("buzzer"), 1);
    assert_non_null(strstr(fake_port.signals[0], "\"job_id\":\"JOB-1\""));
    /* durable before the answer: one sync, and the record is in synced bytes */
    assert_true(fake_store.syncs >= 1);
    assert_true(fake_store_synced(CB_SLOT_JOURNAL_A) > 0);
}

static void test_server_answers_duplicate_without_signal(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    exchange(c, webhook("JOB-1", "Hola", CB_DEMO_SECRET));
    const char *out = exchange(c, webhook("JOB-1", "Changed text", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "{\"status\":\"duplicate\",\"seq\":1}"));
    assert_int_equal(count_signals("message"), 1);
}

static void test_server_same_event_twice_in_one_turn_is_one_message(void **state)
{
    (void)state;
    int a = cb_server_conn_open("127.0.0.1"), b = cb_server_conn_open("127.0.0.1");
    /* the device's first event ever also makes its device key (the duplicate
     * keys' secret): one flush more, once */
    assert_non_null(strstr(exchange(a, webhook("JOB-6", "x", CB_DEMO_SECRET)), "accepted"));
    const char *req = webhook("JOB-7", "x", CB_DEMO_SECRET);
    unsigned syncs = fake_store.syncs;
    cb_server_conn_feed(a, (const uint8_t *)req, strlen(req));
    cb_server_conn_feed(b, (const uint8_t *)req, strlen(req));
    const uint8_t *o;
    assert_int_equal(cb_server_conn_output(a, &o), 0); /* held for the commit */
    cb_server_commit();
    size_t na = cb_server_conn_output(a, &o);
    assert_non_null(strstr((const char *)o, "accepted"));
    cb_server_conn_sent(a, na);
    cb_server_conn_output(b, &o);
    assert_non_null(strstr((const char *)o, "duplicate"));
    assert_int_equal(count_signals("message"), 2);
    assert_int_equal(fake_store.syncs - syncs, 1); /* group commit: one flush for both */
}

static void test_server_rejects_wrong_secret_with_401(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    const char *out = exchange(c, webhook("JOB-1", "Hola", "wrong"));
    assert_non_null(strstr(out, "HTTP/1.1 401 "));
    assert_non_null(strstr(out, "\"error\":\"invalid_signature\""));
    assert_int_equal(fake_port.nsignals, 0);
    assert_false(fake_port_log_contains(CB_DEMO_SECRET));
}

static void test_server_sync_failure_gives_503_and_no_signal(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    fake_store.sync_fails = 1;
    const char *out = exchange(c, webhook("JOB-2", "Hola", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "HTTP/1.1 503 "));
    assert_non_null(strstr(out, "storage_unavailable"));
    assert_int_equal(count_signals("message"), 0);
    /* the retry is a new event, not a duplicate of one never stored */
    out = exchange(c, webhook("JOB-2", "Hola", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "\"status\":\"accepted\""));
    assert_int_equal(count_signals("message"), 1);
}

static void test_server_restart_restores_unacked_and_remembers_duplicates(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    exchange(c, webhook("JOB-1", "uno", CB_DEMO_SECRET));
    exchange(c, webhook("JOB-2", "dos", CB_DEMO_SECRET));
    cb_server_button(); /* acknowledges seq 1 */
    assert_int_equal(count_signals("ack"), 1);
    fake_store_crash(0);
    fake_port.nsignals = 0;
    assert_int_equal(cb_server_start(&s_settings), CB_OK);
    assert_int_equal(count_signals("restore"), 1);
    assert_string_equal(fake_port.signals[0], "{\"kind\":\"restore\",\"seq\":2}");
    c = cb_server_conn_open("127.0.0.1");
    const char *out = exchange(c, webhook("JOB-1", "uno", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "{\"status\":\"duplicate\",\"seq\":1}"));
    out = exchange(c, webhook("JOB-3", "tres", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "{\"status\":\"accepted\",\"seq\":3}"));
}

static void test_server_pipelined_requests_answered_in_order(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    char two[2048];
    snprintf(two, sizeof two, "GET /healthz HTTP/1.1\r\nHost: d\r\n\r\n%s",
             "GET /nope HTTP/1.1\r\nHost: d\r\n\r\n");
    size_t used = cb_server_conn_feed(c, (const uint8_t *)two, strlen(two));
    assert_true(used < strlen(two));
    const uint8_t *o;
    size_t n = cb_server_conn_output(c, &o);
    assert_non_null(strstr((const char *)o, "200 OK"));
    cb_server_conn_sent(c, n);
    cb_server_conn_feed(c, (const uint8_t *)two + used, strlen(two) - used);
    cb_server_conn_output(c, &o);
    assert_non_null(strstr((const char *)o, "404 Not Found"));
}

static void test_server_request_timeout_gives_408(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    cb_server_conn_feed(c, (const uint8_t *)"POST /webhooks", 14);
    fake_port.now_ms += s_settings.request_timeout_ms + 1;
    cb_server_tick();
    const uint8_t *o;
    cb_server_conn_output(c, &o);
    assert_non_null(strstr((const char *)o, "408 Request Timeout"));
    assert_true(cb_server_conn_closing(c) || cb_server_conn_output(c, &o) > 0);
}

static void test_server_idle_connection_closed_silently(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    fake_port.now_ms += s_settings.idle_timeout_ms + 1;
    cb_server_tick();
    const uint8_t *o;
    assert_int_equal(cb_server_conn_output(c, &o), 0);
    assert_true(cb_server_conn_closing(c));
}

/* Between requests only: a request begun (head, then half a body), an
 * answer not yet taken, a closing connection are not idle; the time is the
 * last answer's, so the loop can pick the one idle longest. */
static void test_server_conn_idle_between_requests_only(void **state)
{
    (void)state;
    int c = cb_server_conn_open("127.0.0.1");
    uint64_t since = 0;
    assert_true(cb_server_conn_idle(c, &since)); /* open, nothing sent yet */
    fake_port.now_ms += 500;
    const char *req = webhook("JOB-I", "Hola", CB_DEMO_SECRET);
    const char *body = strstr(req, "\r\n\r\n") + 4;
    size_t head = (size_t)(body - req);
    cb_server_conn_feed(c, (const uint8_t *)req, 5); /* part of the request line */
    assert_false(cb_server_conn_idle(c, NULL));
    cb_server_conn_feed(c, (const uint8_t *)req + 5, head - 5 + 10); /* head, part of body */
    assert_false(cb_server_conn_idle(c, NULL));
    cb_server_conn_feed(c, (const uint8_t *)req + head + 10, strlen(req) - head - 10);
    assert_false(cb_server_conn_idle(c, NULL)); /* held for the commit */
    cb_server_commit();
    const uint8_t *o;
    size_t n = cb_server_conn_output(c, &o);
    assert_non_null(strstr((const char *)o, "200 OK"));
    assert_false(cb_server_conn_idle(c, NULL)); /* answer not taken */
    fake_port.now_ms += 250;
    cb_server_conn_sent(c, n);
    assert_true(cb_server_conn_idle(c, &since));
    assert_int_equal(since, fake_port.now_ms);
    assert_false(cb_server_conn_idle(CB_CFG_MAX_CONN, NULL)); /* no such connection */
    exchange(c, "GET /healthz HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
    assert_true(cb_server_conn_closing(c));
    assert_false(cb_server_conn_idle(c, NULL));
    cb_server_conn_close(c);
    assert_false(cb_server_conn_idle(c, NULL));
}

static void test_server_refuses_connections_over_cap(void **state)
{
    (void)state;
    s_settings.max_conn = 2;
    assert_true(cb_server_conn_open("a") >= 0);
    assert_true(cb_server_conn_open("b") >= 0);
    assert_int_equal(cb_server_conn_open("c"), CB_ERR_BUSY);
    size_t len;
    const char *busy = cb_server_busy_response(&len);
    assert_non_null(strstr(busy, "503"));
    assert_non_null(strstr(busy, "\"error\":\"busy\""));
    const char *body = strstr(busy, "\r\n\r\n") + 4;
    assert_int_equal(strlen(body), len - (size_t)(body - busy));
}

/* Feeds req on a fresh connection from peer; returns the output. */
static const char *exchange_from(const char *peer, const char *req)
{
    int c = cb_server_conn_open(peer);
    assert_true(c >= 0);
    const char *out = exchange(c, req);
    cb_server_conn_close(c);
    return out;
}

static void block(const char *peer)
{
    for (int i = 0; i < 11; i++)
        exchange_from(peer, webhook("JOB-X", "forged", "wrong-secret"));
    const char *out = exchange_from(peer, webhook("JOB-X", "forged", "wrong-secret"));
    assert_non_null(strstr(out, "HTTP/1.1 429 "));
    assert_non_null(strstr(out, "Retry-After: 60\r\n"));
    assert_non_null(strstr(out, "\"error\":\"rate_limited\""));
}

/* A connection's source is its peer, parsed once when it opens: the same
 * address written two ways is one source, and a peer that is no address
 * (a port naming peers otherwise) is its text, on every request of a
 * keep-alive connection. */
static void test_server_gate_source_is_the_peer_parsed_at_open(void **state)
{
    (void)state;
    block("::ffff:198.51.100.9");
    const char *bad = webhook("JOB-X", "forged", "wrong-secret");
    assert_non_null(strstr(exchange_from("198.51.100.9", bad), "HTTP/1.1 429 "));
    assert_non_null(strstr(exchange_from("198.51.100.10", bad), "HTTP/1.1 401 "));
    block("sim-peer");
    int c = cb_server_conn_open("sim-peer");
    assert_non_null(strstr(exchange(c, bad), "HTTP/1.1 429 "));
    assert_non_null(strstr(exchange(c, bad), "HTTP/1.1 429 "));
    cb_server_conn_close(c);
    assert_non_null(strstr(exchange_from("sim-peer2", bad), "HTTP/1.1 401 "));
}

/* Gate (hole 4): a blocked source's failing requests get 429, its requests
 * with a valid credential are served. */
static void test_server_gate_serves_valid_credentials_from_a_blocked_source(void **state)
{
    (void)state;
    block("192.0.2.7");
    const char *out = exchange_from("192.0.2.7", webhook("JOB-1", "Hola", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "{\"status\":\"accepted\",\"seq\":1}"));
    assert_int_equal(count_signals("message"), 1);
    /* still blocked for failures, also one that fails before its signature
     * can be checked (it learns nothing about validation) */
    out = exchange_from("192.0.2.7", webhook("JOB-2", "x", "wrong-secret"));
    assert_non_null(strstr(out, "HTTP/1.1 429 "));
    static const char bad_json[] = "POST /webhooks/instaleap/chat HTTP/1.1\r\nHost: d\r\n"
                                   "Content-Type: application/json\r\n"
                                   "InstaLeap-Signature: 00\r\nContent-Length: 1\r\n\r\n{";
    out = exchange_from("192.0.2.7", bad_json);
    assert_non_null(strstr(out, "HTTP/1.1 429 "));
    out = exchange_from("192.0.2.8", bad_json);
    assert_non_null(strstr(out, "HTTP/1.1 400 "));
    assert_non_null(strstr(out, "invalid_json"));
    assert_int_equal(cb_metrics.events[CB_RES_RATE_LIMITED], 3);
    assert_int_equal(cb_metrics.auth_failures[CB_AUTHF_INVALID_SIGNATURE], 11);
}

/* Gate (hole 5): POST /ack is limited like the other credential routes. */
static void test_server_gate_limits_ack_and_serves_the_admin_token(void **state)
{
    (void)state;
    strcpy(s_settings.admin_token, "admin-token-0123456789");
    exchange_from("192.0.2.7", webhook("JOB-1", "Hola", CB_DEMO_SECRET));
    static const char wrong[] = "POST /ack HTTP/1.1\r\nHost: d\r\n"
                                "Authorization: Bearer guess-0000000000\r\n"
                                "Content-Length: 0\r\n\r\n";
    const char *out = NULL;
    for (int i = 0; i < 11; i++) {
        out = exchange_from("192.0.2.7", wrong);
        assert_non_null(strstr(out, "HTTP/1.1 401 "));
        assert_non_null(strstr(out, "WWW-Authenticate: Bearer"));
    }
    out = exchange_from("192.0.2.7", wrong);
    assert_non_null(strstr(out, "HTTP/1.1 429 "));
    out = exchange_from("192.0.2.7", "POST /ack HTTP/1.1\r\nHost: d\r\n"
                                     "Authorization: Bearer admin-token-0123456789\r\n"
                                     "Content-Length: 0\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 200 "));
    assert_int_equal(count_signals("ack"), 1);
    /* /ack's failures are not webhook events */
    assert_int_equal(cb_metrics.events[CB_RES_UNAUTHORIZED], 0);
    assert_int_equal(cb_metrics.auth_failures[CB_AUTHF_INVALID_TOKEN], 11);
}

/* Hole 6: max_conn_per_source (default a quarter of max_conn) by peer
 * address at accept; a trusted proxy is held only to max_conn. */
static void test_server_caps_connections_per_source(void **state)
{
    (void)state;
    s_settings.max_conn = 8; /* 2 per source */
    strcpy(s_settings.trusted_proxies, "10.0.0.1");
    assert_true(cb_server_conn_open("192.0.2.7") >= 0);
    assert_true(cb_server_conn_open("192.0.2.7") >= 0);
    assert_int_equal(cb_server_conn_open("192.0.2.7"), CB_ERR_BUSY);
    assert_true(cb_server_conn_open("192.0.2.8") >= 0);
    for (int i = 0; i < 5; i++)
        assert_true(cb_server_conn_open("10.0.0.1") >= 0);
    assert_int_equal(cb_server_conn_open("10.0.0.1"), CB_ERR_BUSY); /* max_conn */
    assert_int_equal(cb_metrics.connections_rejected, 2);
    assert_int_equal(cb_metrics.connections_rejected_source, 1);
}

/* Hole 6: a connection that sends no byte within 5 s is closed silently;
 * one that did keeps the idle timeout. */
static void test_server_first_byte_timeout_closes_silent_connections(void **state)
{
    (void)state;
    int silent = cb_server_conn_open("192.0.2.7");
    int talker = cb_server_conn_open("192.0.2.8");
    assert_int_equal(cb_server_conn_feed(talker, (const uint8_t *)"G", 1), 1);
    fake_port.now_ms += CB_CFG_FIRST_BYTE_MS - 1;
    cb_server_tick();
    assert_false(cb_server_conn_closing(silent));
    fake_port.now_ms += 1;
    cb_server_tick();
    const uint8_t *o;
    assert_true(cb_server_conn_closing(silent));
    assert_int_equal(cb_server_conn_output(silent, &o), 0);
    assert_false(cb_server_conn_closing(talker));
}

/* Hole 7: the request clock moves only when input is consumed. A client
 * that leaves its answer unread and trickles bytes is dropped after the
 * request timeout. */
static void test_server_unconsumed_bytes_do_not_keep_a_connection(void **state)
{
    (void)state;
    int c = cb_server_conn_open("192.0.2.7");
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: d\r\n\r\nGET /healthz";
    size_t used = cb_server_conn_feed(c, (const uint8_t *)req, strlen(req));
    assert_true(used < strlen(req));
    const uint8_t *o;
    assert_true(cb_server_conn_output(c, &o) > 0); /* never taken by the client */
    for (uint32_t t = 0; t < s_settings.request_timeout_ms; t += 1000) {
        fake_port.now_ms += 1000;
        assert_int_equal(cb_server_conn_feed(c, (const uint8_t *)"X", 1), 0);
        cb_server_tick();
    }
    assert_true(cb_server_conn_closing(c));
}

/* /metrics must fit one response (CB_CFG_RESP_MAX) on a device that has
 * run for a long time: every counter at six digits. */
static void test_server_metrics_fit_with_six_digit_counters(void **state)
{
    (void)state;
    uint64_t *p = (uint64_t *)(void *)&cb_metrics;
    for (size_t i = 0; i < offsetof(cb_metrics_t, ratelimit_sources) / sizeof *p; i++)
        p[i] = 999999;
    int c = cb_server_conn_open("192.0.2.7");
    const char *out = exchange(c, "GET /metrics HTTP/1.1\r\nHost: d\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(out, "chatbell_ratelimit_total{event=\"blocked\"} 999999\n"));
}

static size_t head_len(const char *req)
{
    return (size_t)(strstr(req, "\r\n\r\n") + 4 - req);
}

/* Takes the output of c (asserting there is some) and marks it sent. */
static const char *take_output(int c)
{
    static char out[8192];
    const uint8_t *o;
    size_t n = cb_server_conn_output(c, &o);
    assert_true(n > 0 && n < sizeof out);
    memcpy(out, o, n);
    out[n] = '\0';
    cb_server_conn_sent(c, n);
    return out;
}

/* SPEC 8: more bodies at once than buffers: the rest wait unread (their
 * heads are read), get a buffer as answered requests give theirs back, and
 * every request is answered. */
static void test_server_more_connections_than_body_buffers(void **state)
{
    (void)state;
    enum { N = CB_CFG_BODY_BUFS + 4 < CB_CFG_MAX_CONN ? CB_CFG_BODY_BUFS + 4 : CB_CFG_MAX_CONN };
    _Static_assert(N > CB_CFG_BODY_BUFS, "more connections than body buffers");
    static char reqs[N][4096];
    int ids[N];
    size_t used[N];
    for (int i = 0; i < N; i++) {
        char job[16];
        snprintf(job, sizeof job, "JOB-%d", i);
        snprintf(reqs[i], sizeof reqs[i], "%s", webhook(job, "Hola", CB_DEMO_SECRET));
        char peer[16]; /* one source each: max_conn_per_source stays out of it */
        snprintf(peer, sizeof peer, "10.0.0.%d", i + 1);
        ids[i] = cb_server_conn_open(peer);
        assert_true(ids[i] >= 0);
        size_t part = head_len(reqs[i]) + 5; /* the head and the body's first bytes */
        used[i] = cb_server_conn_feed(ids[i], (const uint8_t *)reqs[i], part);
        if (i < CB_CFG_BODY_BUFS)
            assert_int_equal(used[i], part);
        else /* the head is read, the body waits */
            assert_int_equal(used[i], head_len(reqs[i]));
    }
    assert_int_equal(cb_pool_in_use(), CB_CFG_BODY_BUFS);
    assert_int_equal(cb_metrics.pool_waits, N - CB_CFG_BODY_BUFS);
    /* waiting: offered again, still nothing taken */
    assert_int_equal(cb_server_conn_feed(ids[N - 1], (const uint8_t *)reqs[N - 1] + used[N - 1],
                                         strlen(reqs[N - 1]) - used[N - 1]),
                     0);
    assert_int_equal(cb_metrics.pool_waits, N - CB_CFG_BODY_BUFS); /* once per request */

    /* the first body completes: its buffer is back once the request is routed,
     * before the group commit answers it */
    size_t len0 = strlen(reqs[0]);
    assert_int_equal(
        cb_server_conn_feed(ids[0], (const uint8_t *)reqs[0] + used[0], len0 - used[0]),
        len0 - used[0]);
    const uint8_t *o;
    assert_int_equal(cb_server_conn_output(ids[0], &o), 0); /* held for the commit */
    assert_int_equal(cb_pool_in_use(), CB_CFG_BODY_BUFS - 1);
    cb_server_tick(); /* a waiting connection takes it */
    assert_int_equal(cb_pool_in_use(), CB_CFG_BODY_BUFS);

    for (int i = 1; i < N; i++) {
        size_t len = strlen(reqs[i]);
        cb_server_tick();
        assert_int_equal(
            cb_server_conn_feed(ids[i], (const uint8_t *)reqs[i] + used[i], len - used[i]),
            len - used[i]);
    }
    cb_server_commit();
    for (int i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "{\"status\":\"accepted\",\"seq\":");
        assert_non_null(strstr(take_output(ids[i]), want));
    }
    assert_int_equal(count_signals("message"), N);
    assert_int_equal(cb_pool_in_use(), 0);
    assert_int_equal(cb_pool_hwm(), CB_CFG_BODY_BUFS);
}

/* Buffers come back however a request ends: close, timeout, framing error. */
static void test_server_pool_buffers_back_after_close_timeout_error(void **state)
{
    (void)state;
    const char *req = webhook("JOB-1", "Hola", CB_DEMO_SECRET);
    size_t part = head_len(req) + 3;

    int a = cb_server_conn_open("a");
    cb_server_conn_feed(a, (const uint8_t *)req, part);
    assert_int_equal(cb_pool_in_use(), 1);
    cb_server_conn_close(a); /* the peer went away mid-body */
    assert_int_equal(cb_pool_in_use(), 0);

    int b = cb_server_conn_open("b");
    cb_server_conn_feed(b, (const uint8_t *)req, part);
    assert_int_equal(cb_pool_in_use(), 1);
    fake_port.now_ms += s_settings.request_timeout_ms + 1;
    cb_server_tick();
    assert_non_null(strstr(take_output(b), "408 Request Timeout"));
    assert_int_equal(cb_pool_in_use(), 0);

    int c = cb_server_conn_open("c");
    const char *bad = "POST /webhooks/instaleap/chat HTTP/1.1\r\nHost: d\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n5\r\nab";
    cb_server_conn_feed(c, (const uint8_t *)bad, strlen(bad));
    assert_int_equal(cb_pool_in_use(), 1);
    cb_server_conn_feed(c, (const uint8_t *)"cdeXX", 5); /* no CRLF after the chunk */
    assert_non_null(strstr(take_output(c), "400 Bad Request"));
    assert_int_equal(cb_pool_in_use(), 0);

#if CB_CFG_CONN_HEAD < CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX
    /* a head past the connection's own buffer, abandoned half way */
    static char big[CB_CFG_CONN_HEAD + 256];
    int d = cb_server_conn_open("d");
    int n = snprintf(big, sizeof big, "GET /healthz HTTP/1.1\r\nHost: d\r\nX-Pad: ");
    memset(big + n, 'p', sizeof big - (size_t)n);
    assert_int_equal(cb_server_conn_feed(d, (const uint8_t *)big, sizeof big), sizeof big);
    assert_int_equal(cb_pool_in_use(), 1);
    cb_server_conn_close(d);
    assert_int_equal(cb_pool_in_use(), 0);
#endif
}

/* A head longer than CB_CFG_CONN_HEAD is read into a pool buffer and the
 * request served as any other; heads never hold the last buffer, so a body
 * always finds one in time. */
static void test_server_long_head_moves_to_pool_buffer(void **state)
{
    (void)state;
#if CB_CFG_CONN_HEAD == CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX
    skip(); /* this build's connections hold the whole head */
#else
    static char req[8192], pad[CB_CFG_CONN_HEAD + 512];
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    const char *w = webhook("JOB-L", "Hola", CB_DEMO_SECRET);
    size_t hl = head_len(w);
    /* insert "X-Pad: ppp...\r\n" before the empty line */
    snprintf(req, sizeof req, "%.*sX-Pad: %s\r\n%s", (int)(hl - 2), w, pad, w + hl - 2);
    int c = cb_server_conn_open("a");
    const char *out = exchange(c, req);
    assert_non_null(strstr(out, "{\"status\":\"accepted\",\"seq\":1}"));
    assert_int_equal(cb_pool_in_use(), 0);

    /* all buffers but one held by long heads: the next long head waits, a
     * body still gets the last buffer */
    int ids[CB_CFG_BODY_BUFS];
    size_t part = CB_CFG_CONN_HEAD + 100, got[CB_CFG_BODY_BUFS];
    for (int i = 0; i < CB_CFG_BODY_BUFS; i++) {
        ids[i] = cb_server_conn_open("b");
        got[i] = cb_server_conn_feed(ids[i], (const uint8_t *)req, part);
    }
    for (int i = 0; i < CB_CFG_BODY_BUFS - 1; i++)
        assert_int_equal(got[i], part);
    assert_true(got[CB_CFG_BODY_BUFS - 1] < part); /* waits for room */
    assert_int_equal(cb_pool_in_use(), CB_CFG_BODY_BUFS - 1);
    int e = cb_server_conn_open("e");
    out = exchange(e, webhook("JOB-E", "Hola", CB_DEMO_SECRET));
    assert_non_null(strstr(out, "{\"status\":\"accepted\",\"seq\":2}"));
    /* every head completes, the waiting one once a buffer is free: all served */
    for (int i = 0; i < CB_CFG_BODY_BUFS; i++) {
        cb_server_tick();
        size_t len = strlen(req) - got[i];
        assert_int_equal(cb_server_conn_feed(ids[i], (const uint8_t *)req + got[i], len), len);
        cb_server_commit();
        assert_non_null(strstr(take_output(ids[i]), "{\"status\":\"duplicate\",\"seq\":1}"));
    }
    assert_int_equal(cb_pool_in_use(), 0);
#endif
}

/* /metrics writes its page into a pool buffer: with none free it waits,
 * then shows the pool's counts. */
static void test_server_metrics_waits_for_a_buffer(void **state)
{
    (void)state;
    static char reqs[CB_CFG_BODY_BUFS][4096];
    int ids[CB_CFG_BODY_BUFS];
    for (int i = 0; i < CB_CFG_BODY_BUFS; i++) {
        char job[16];
        snprintf(job, sizeof job, "JOB-%d", i);
        snprintf(reqs[i], sizeof reqs[i], "%s", webhook(job, "Hola", CB_DEMO_SECRET));
        ids[i] = cb_server_conn_open("a");
        cb_server_conn_feed(ids[i], (const uint8_t *)reqs[i], head_len(reqs[i]) + 1);
    }
    int m = cb_server_conn_open("m");
    const char *get = "GET /metrics HTTP/1.1\r\nHost: d\r\n\r\n";
    assert_int_equal(cb_server_conn_feed(m, (const uint8_t *)get, strlen(get)), strlen(get));
    const uint8_t *o;
    assert_int_equal(cb_server_conn_output(m, &o), 0); /* waits */
    size_t hl = head_len(reqs[0]);
    cb_server_conn_feed(ids[0], (const uint8_t *)reqs[0] + hl + 1, strlen(reqs[0]) - hl - 1);
    cb_server_commit();
    cb_server_tick();
    const char *page = take_output(m);
    assert_non_null(strstr(page, "200 OK"));
    char want[64];
    snprintf(want, sizeof want, "chatbell_body_buffers_in_use_max %d\n", CB_CFG_BODY_BUFS);
    assert_non_null(strstr(page, want));
    assert_non_null(strstr(page, "chatbell_body_buffer_waits_total 1\n"));
    assert_int_equal(cb_pool_in_use(), CB_CFG_BODY_BUFS - 1); /* the page's buffer is back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server_accepts_signed_event_and_signals_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_answers_duplicate_without_signal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_same_event_twice_in_one_turn_is_one_message,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_rejects_wrong_secret_with_401, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_sync_failure_gives_503_and_no_signal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_server_restart_restores_unacked_and_remembers_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_pipelined_requests_answered_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_request_timeout_gives_408, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_idle_connection_closed_silently, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_conn_idle_between_requests_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_refuses_connections_over_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_gate_source_is_the_peer_parsed_at_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_server_gate_serves_valid_credentials_from_a_blocked_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_gate_limits_ack_and_serves_the_admin_token,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_caps_connections_per_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_first_byte_timeout_closes_silent_connections,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_unconsumed_bytes_do_not_keep_a_connection,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_metrics_fit_with_six_digit_counters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_more_connections_than_body_buffers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_pool_buffers_back_after_close_timeout_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_long_head_moves_to_pool_buffer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_metrics_waits_for_a_buffer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
