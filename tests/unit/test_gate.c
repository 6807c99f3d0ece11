/* test_gate.c - the gate's source of a request (peer, or the last
 * X-Forwarded-For hop behind a trusted proxy) and the address literals it
 * rests on (cb_addr). The gate's 401/429 decisions are driven through the
 * server in test_server.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cb_addr.h"
#include "cb_err.h"
#include "cb_gate.h"
#include "cb_settings.h"

#include <string.h>

static cb_settings_t s_settings;
static cb_http_request_t s_req;

static int setup(void **state)
{
    (void)state;
    cb_settings_defaults(&s_settings);
    memset(&s_req, 0, sizeof s_req);
    return 0;
}

static void add_field(const char *name, const char *value)
{
    s_req.fields[s_req.nfields].name = cb_span_str(name);
    s_req.fields[s_req.nfields].value = cb_span_str(value);
    s_req.nfields++;
}

/* The source key of a request from peer (parsed as the server does at a
 * connection's open), compared with the key of want. */
static size_t source_of(const char *peer, const cb_http_request_t *req,
                        char out[CB_GATE_SOURCE_MAX])
{
    uint8_t a[CB_ADDR_LEN];
    bool is_addr = cb_addr_parse(cb_span_str(peer), a) == CB_OK;
    return cb_gate_source(&s_settings, cb_span_str(peer), is_addr ? a : NULL, req, out);
}

static bool source_is(const char *peer, const char *want)
{
    char got[CB_GATE_SOURCE_MAX], exp[CB_GATE_SOURCE_MAX];
    size_t n = source_of(peer, &s_req, got);
    cb_http_request_t none;
    memset(&none, 0, sizeof none);
    size_t m = source_of(want, &none, exp);
    return n == m && memcmp(got, exp, n) == 0;
}

static void parse_ok(const char *text, const char *hex)
{
    uint8_t a[CB_ADDR_LEN];
    char out[2 * CB_ADDR_LEN + 1];
    if (cb_addr_parse(cb_span_str(text), a) != CB_OK)
        fail_msg("'%s' did not parse", text);
    for (int i = 0; i < CB_ADDR_LEN; i++) {
        static const char d[] = "0123456789abcdef";
        out[2 * i] = d[a[i] >> 4];
        out[2 * i + 1] = d[a[i] & 15];
    }
    out[2 * CB_ADDR_LEN] = '\0';
    assert_string_equal(out, hex);
}

static void test_addr_parses_ipv4_and_ipv6_literals(void **state)
{
    (void)state;
    parse_ok("127.0.0.1", "00000000000000000000ffff7f000001");
    parse_ok(" 203.0.113.7\t", "00000000000000000000ffffcb007107");
    parse_ok("::1", "00000000000000000000000000000001");
    parse_ok("::", "00000000000000000000000000000000");
    parse_ok("2001:db8::7", "20010db8000000000000000000000007");
    parse_ok("2001:DB8:0:0:0:0:0:7", "20010db8000000000000000000000007");
    parse_ok("fe80::", "fe800000000000000000000000000000");
    parse_ok("1:2:3:4:5:6:7::", "00010002000300040005000600070000");
    parse_ok("::ffff:203.0.113.7", "00000000000000000000ffffcb007107");
    parse_ok("64:ff9b::192.0.2.33", "0064ff9b0000000000000000c0000221");
}

static void test_addr_refuses_anything_else(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3.4:80",
        "[::1]",
        "[::1]:443",
        "::1%eth0",
        "10.0.0.0/8",
        "host.lan",
        "unknown",
        "1::2::3",
        ":::",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::",
        "12345::",
        "1:",
        ":1",
        "1.2.3.4 5",
        "::1.2.3",
        "1.2.3.4::",
        "g::1",
        "-1.2.3.4",
        "1.2.3.-4",
        "0x7f.0.0.1",
    };
    uint8_t a[CB_ADDR_LEN];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cb_addr_parse(cb_span_str(bad[i]), a) == CB_OK)
            fail_msg("'%s' parsed as an address", bad[i]);
    assert_int_equal(cb_addr_parse(CB_SPAN_NONE, a), CB_ERR_INVAL);
}

static void test_addr_list_membership_compares_addresses_not_text(void **state)
{
    (void)state;
    cb_span_t list = cb_span_str("10.0.0.1, ::1 ,2001:db8::7");
    assert_true(cb_addr_in_list(list, cb_span_str("10.0.0.1")));
    assert_true(cb_addr_in_list(list, cb_span_str("0:0:0:0:0:0:0:1")));
    assert_true(cb_addr_in_list(list, cb_span_str("2001:0db8:0::7")));
    assert_true(cb_addr_in_list(list, cb_span_str("::ffff:10.0.0.1")));
    assert_false(cb_addr_in_list(list, cb_span_str("10.0.0.2")));
    assert_false(cb_addr_in_list(list, cb_span_str("?")));
    assert_false(cb_addr_in_list(cb_span_str(""), cb_span_str("10.0.0.1")));
    assert_int_equal(cb_addr_list_each(cb_span_str("1.2.3.4,"), NULL, NULL), CB_ERR_INVAL);
    assert_int_equal(cb_addr_list_each(cb_span_str(" "), NULL, NULL), 0);
}

static void test_gate_source_is_the_peer_without_trusted_proxies(void **state)
{
    (void)state;
    add_field("X-Forwarded-For", "203.0.113.7");
    assert_true(source_is("127.0.0.1", "127.0.0.1"));
    assert_false(source_is("127.0.0.1", "203.0.113.7"));
    /* a peer that is not an address is its own key */
    assert_true(source_is("?", "?"));
}

static void test_gate_source_is_the_last_hop_behind_a_trusted_proxy(void **state)
{
    (void)state;
    strcpy(s_settings.trusted_proxies, "10.0.0.1,::1");
    add_field("X-Forwarded-For", "198.51.100.1, 203.0.113.7");
    assert_true(source_is("10.0.0.1", "203.0.113.7"));
    assert_true(source_is("::1", "203.0.113.7"));
    assert_true(source_is("10.0.0.2", "10.0.0.2")); /* not trusted: its XFF is ignored */
    /* several fields: the last hop of the last one */
    add_field("x-forwarded-for", "192.0.2.9,2001:db8::5 ");
    assert_true(source_is("10.0.0.1", "2001:db8::5"));
}

static void test_gate_source_falls_back_to_the_proxy_on_a_bad_hop(void **state)
{
    (void)state;
    static const char *const bad[] = {"unknown", "203.0.113.7:80", "", "203.0.113.7,", "a, b"};
    strcpy(s_settings.trusted_proxies, "10.0.0.1");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&s_req, 0, sizeof s_req);
        add_field("X-Forwarded-For", bad[i]);
        if (!source_is("10.0.0.1", "10.0.0.1"))
            fail_msg("hop '%s' did not leave the proxy as the source", bad[i]);
    }
    memset(&s_req, 0, sizeof s_req); /* no X-Forwarded-For at all */
    assert_true(source_is("10.0.0.1", "10.0.0.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_addr_parses_ipv4_and_ipv6_literals, setup),
        cmocka_unit_test_setup(test_addr_refuses_anything_else, setup),
        cmocka_unit_test_setup(test_addr_list_membership_compares_addresses_not_text, setup),
        cmocka_unit_test_setup(test_gate_source_is_the_peer_without_trusted_proxies, setup),
        cmocka_unit_test_setup(test_gate_source_is_the_last_hop_behind_a_trusted_proxy, setup),
        cmocka_unit_test_setup(test_gate_source_falls_back_to_the_proxy_on_a_bad_hop, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
