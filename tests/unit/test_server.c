/* test_server.c - the core end to end without sockets: bytes into a
 * connection, group commit, bytes out, signals, restart from the journal
 * (fake port + fault-injecting fake store). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_auth_sig.h"
#include "cb_err.h"
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
    assert_int_equal(count_signals("message"), 1);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_server_accepts_signed_event_and_signals_once, setup),
        cmocka_unit_test_setup(test_server_answers_duplicate_without_signal, setup),
        cmocka_unit_test_setup(test_server_same_event_twice_in_one_turn_is_one_message, setup),
        cmocka_unit_test_setup(test_server_rejects_wrong_secret_with_401, setup),
        cmocka_unit_test_setup(test_server_sync_failure_gives_503_and_no_signal, setup),
        cmocka_unit_test_setup(test_server_restart_restores_unacked_and_remembers_duplicates,
                               setup),
        cmocka_unit_test_setup(test_server_pipelined_requests_answered_in_order, setup),
        cmocka_unit_test_setup(test_server_request_timeout_gives_408, setup),
        cmocka_unit_test_setup(test_server_idle_connection_closed_silently, setup),
        cmocka_unit_test_setup(test_server_refuses_connections_over_cap, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
