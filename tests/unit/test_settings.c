/* test_settings.c - unit tests of cb_settings: defaults, every key, bad
 * values, the JSON config walk, the start-up check and secret hygiene. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cb_err.h"
#include "cb_settings.h"
#include "fake_port.h"

static cb_settings_t s;
static char err[256];

static int set(const char *key, const char *value)
{
    return cb_settings_set(&s, key, cb_span_str(value), err, sizeof err);
}

static int load(const char *json)
{
    return cb_settings_load_json(&s, json, strlen(json), err, sizeof err);
}

static int check(void)
{
    return cb_settings_check(&s, err, sizeof err);
}

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    cb_settings_defaults(&s);
    memset(err, 0, sizeof err);
    return 0;
}

/* err starts with "key: " */
static void assert_err_names(const char *key)
{
    size_t n = strlen(key);
    if (strncmp(err, key, n) != 0 || strncmp(err + n, ": ", 2) != 0)
        fail_msg("error \"%s\" does not start with \"%s: \"", err, key);
    assert_true(strlen(err) > n + 2);
    assert_null(strchr(err, '\n'));
}

static void test_settings_defaults_follow_spec(void **state)
{
    (void)state;
    assert_string_equal(s.listen, "127.0.0.1:8080");
    assert_string_equal(s.webhook_path, "/webhooks/instaleap/chat");
    assert_string_equal(s.token_path, "/auth/token");
    assert_int_equal(s.body_limit, 16384);
    assert_int_equal(s.max_conn, CB_CFG_MAX_CONN);
    assert_int_equal(s.request_timeout_ms, 10000);
    assert_int_equal(s.idle_timeout_ms, 30000);
    assert_int_equal(s.auth, CB_AUTH_SIGNATURE);
    assert_string_equal(s.secret, CB_DEMO_SECRET);
    assert_true(s.demo_secret);
    assert_string_equal(s.secret_next, "");
    assert_string_equal(s.token, "");
    assert_string_equal(s.admin_token, "");
    assert_string_equal(s.client_id_field, "client_id");
    assert_string_equal(s.client_secret_field, "client_secret");
    assert_int_equal(s.token_ttl_s, 3600);
    assert_int_equal(s.rate_limit_failures, 10);
    assert_int_equal(s.rate_limit_block_s, 60);
    assert_int_equal(s.replay_window_s, 3600);
    assert_int_equal(s.display_rows, 2);
    assert_int_equal(s.display_cols, 16);
    assert_int_equal(s.reminder_s, 60);
    assert_int_equal(s.scroll_ms, 400);
    assert_int_equal(s.journal_budget, 1024 * 1024);
    assert_true(s.fsync);
    assert_int_equal(check(), CB_OK);
    assert_string_equal(err, "");
}

static void test_settings_default_senders_have_distinct_patterns(void **state)
{
    (void)state;
    const cb_sender_cfg_t *sh = cb_settings_sender(&s, cb_span_str("SH"));
    const cb_sender_cfg_t *sup = cb_settings_sender(&s, cb_span_str("SUP"));
    assert_non_null(sh);
    assert_non_null(sup);
    assert_string_equal(sh->label, "Picker");
    assert_string_equal(sup->label, "Support");
    assert_string_not_equal(sh->pattern, sup->pattern);
    assert_string_not_equal(sh->pattern, s.default_pattern);
    assert_string_not_equal(sup->pattern, s.default_pattern);
    /* drivers' code is unknown: not configured, shown as itself */
    assert_null(cb_settings_sender(&s, cb_span_str("DR")));
    assert_null(cb_settings_sender(&s, CB_SPAN_NONE));
    assert_null(cb_settings_sender(&s, cb_span_str("sh")));
    assert_int_equal(s.nsenders, 2);
}

static void test_settings_token_header_defaults_per_mode(void **state)
{
    (void)state;
    assert_string_equal(s.token_header, "");
    s.auth = CB_AUTH_STATIC;
    assert_string_equal(cb_settings_token_header(&s), "X-Chatbell-Token");
    s.auth = CB_AUTH_DYNAMIC;
    assert_string_equal(cb_settings_token_header(&s), "Authorization");
    assert_int_equal(set("token_header", "X-My-Token"), CB_OK);
    assert_string_equal(cb_settings_token_header(&s), "X-My-Token");
    s.auth = CB_AUTH_STATIC;
    assert_string_equal(cb_settings_token_header(&s), "X-My-Token");
    assert_int_equal(set("token_header", ""), CB_OK);
    assert_string_equal(cb_settings_token_header(&s), "X-Chatbell-Token");
    assert_int_equal(set("token_header", "Bad Header"), CB_ERR_INVAL);
    assert_err_names("token_header");
    assert_int_equal(set("token_header", "X:Y"), CB_ERR_INVAL);
}

static void test_settings_sets_every_string_key(void **state)
{
    (void)state;
    assert_int_equal(set("listen", "0.0.0.0:9000"), CB_OK);
    assert_string_equal(s.listen, "0.0.0.0:9000");
    assert_int_equal(set("listen", "[::1]:0"), CB_OK);
    assert_string_equal(s.listen, "[::1]:0");
    assert_int_equal(set("webhook_path", "/hook"), CB_OK);
    assert_string_equal(s.webhook_path, "/hook");
    assert_int_equal(set("token_path", "/tok"), CB_OK);
    assert_string_equal(s.token_path, "/tok");
    assert_int_equal(set("secret_next", "next-one"), CB_OK);
    assert_string_equal(s.secret_next, "next-one");
    assert_int_equal(set("token", "tok-0123456789abc"), CB_OK);
    assert_string_equal(s.token, "tok-0123456789abc");
    assert_int_equal(set("client_id", "cid"), CB_OK);
    assert_string_equal(s.client_id, "cid");
    assert_int_equal(set("client_secret", "csec-0123456789ab"), CB_OK);
    assert_string_equal(s.client_secret, "csec-0123456789ab");
    assert_int_equal(set("client_id_field", "user"), CB_OK);
    assert_string_equal(s.client_id_field, "user");
    assert_int_equal(set("client_secret_field", "pass"), CB_OK);
    assert_string_equal(s.client_secret_field, "pass");
    assert_int_equal(set("admin_token", "adm-0123456789abc"), CB_OK);
    assert_string_equal(s.admin_token, "adm-0123456789abc");
    assert_int_equal(set("default_pattern", "-..-"), CB_OK);
    assert_string_equal(s.default_pattern, "-..-");
    assert_int_equal(check(), CB_OK);
}

static void test_settings_sets_every_number_key(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        const char *value;
        size_t off;
    } cases[] = {
        {"body_limit", "1000", offsetof(cb_settings_t, body_limit)},
        {"max_conn", "3", offsetof(cb_settings_t, max_conn)},
        {"request_timeout_ms", "2500", offsetof(cb_settings_t, request_timeout_ms)},
        {"idle_timeout_ms", "4500", offsetof(cb_settings_t, idle_timeout_ms)},
        {"token_ttl_s", "2", offsetof(cb_settings_t, token_ttl_s)},
        {"rate_limit_failures", "5", offsetof(cb_settings_t, rate_limit_failures)},
        {"rate_limit_block_s", "30", offsetof(cb_settings_t, rate_limit_block_s)},
        {"replay_window_s", "0", offsetof(cb_settings_t, replay_window_s)},
        {"reminder_s", "0", offsetof(cb_settings_t, reminder_s)},
        {"scroll_ms", "250", offsetof(cb_settings_t, scroll_ms)},
        {"journal_budget", "2097152", offsetof(cb_settings_t, journal_budget)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(set(cases[i].key, cases[i].value), CB_OK);
        uint32_t v;
        memcpy(&v, (const char *)&s + cases[i].off, sizeof v);
        char text[16];
        snprintf(text, sizeof text, "%u", (unsigned)v);
        assert_string_equal(text, cases[i].value);
    }
    assert_int_equal(set("display.rows", "4"), CB_OK);
    assert_int_equal(set("display.cols", "20"), CB_OK);
    assert_int_equal(s.display_rows, 4);
    assert_int_equal(s.display_cols, 20);
    assert_int_equal(check(), CB_OK);
}

static void test_settings_sets_auth_and_fsync_enums(void **state)
{
    (void)state;
    assert_int_equal(set("auth", "static"), CB_OK);
    assert_int_equal(s.auth, CB_AUTH_STATIC);
    assert_int_equal(set("auth", "dynamic"), CB_OK);
    assert_int_equal(s.auth, CB_AUTH_DYNAMIC);
    assert_int_equal(set("auth", "signature"), CB_OK);
    assert_int_equal(s.auth, CB_AUTH_SIGNATURE);
    assert_int_equal(set("auth", "Static"), CB_ERR_INVAL);
    assert_err_names("auth");
    assert_int_equal(set("auth", "none"), CB_ERR_INVAL);
    assert_int_equal(s.auth, CB_AUTH_SIGNATURE);

    assert_int_equal(set("fsync", "off"), CB_OK);
    assert_false(s.fsync);
    assert_int_equal(set("fsync", "on"), CB_OK);
    assert_true(s.fsync);
    assert_int_equal(set("fsync", "false"), CB_OK);
    assert_false(s.fsync);
    assert_int_equal(set("fsync", "true"), CB_OK);
    assert_true(s.fsync);
    assert_int_equal(set("fsync", "yes"), CB_ERR_INVAL);
    assert_err_names("fsync");
    assert_true(s.fsync);

    assert_string_equal(cb_settings_auth_name(CB_AUTH_SIGNATURE), "signature");
    assert_string_equal(cb_settings_auth_name(CB_AUTH_STATIC), "static");
    assert_string_equal(cb_settings_auth_name(CB_AUTH_DYNAMIC), "dynamic");
}

static void test_settings_sets_signature_scheme(void **state)
{
    (void)state;
    assert_int_equal(s.signature_scheme, CB_SCHEME_AUTO); /* the default */
    assert_int_equal(set("signature_scheme", "v3"), CB_OK);
    assert_int_equal(s.signature_scheme, CB_SCHEME_V3);
    assert_int_equal(set("signature_scheme", "v1"), CB_OK);
    assert_int_equal(s.signature_scheme, CB_SCHEME_V1);
    assert_int_equal(set("signature_scheme", "auto"), CB_OK);
    assert_int_equal(s.signature_scheme, CB_SCHEME_AUTO);
    assert_int_equal(set("signature_scheme", "V3"), CB_ERR_INVAL);
    assert_err_names("signature_scheme");
    assert_non_null(strstr(err, "must be auto, v3 or v1"));
    assert_int_equal(s.signature_scheme, CB_SCHEME_AUTO);
    assert_string_equal(cb_settings_scheme_name(CB_SCHEME_V3), "v3");
    assert_int_equal(check(), CB_OK);
}

static void test_settings_rejects_numbers_out_of_range_or_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
    } bad[] = {
        {"max_conn", "0"},
        {"body_limit", "16385"},
        {"body_limit", "10"},
        {"token_ttl_s", "0"},
        {"scroll_ms", "1"},
        {"journal_budget", "1024"},
        {"rate_limit_failures", "0"},
        {"replay_window_s", "-1"},
        {"idle_timeout_ms", "1e3"},
        {"reminder_s", "4.0"},
        {"reminder_s", " 4"},
        {"reminder_s", ""},
        {"reminder_s", "four"},
        {"reminder_s", "99999999999999999999999"},
        {"request_timeout_ms", "0x10"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_settings_defaults(&s);
        assert_int_equal(set(bad[i].key, bad[i].value), CB_ERR_INVAL);
        assert_err_names(bad[i].key);
        assert_non_null(strstr(err, "whole number from"));
        /* unchanged */
        cb_settings_t d;
        cb_settings_defaults(&d);
        assert_memory_equal(&d, &s, sizeof s);
    }
    char v[16];
    snprintf(v, sizeof v, "%d", CB_CFG_MAX_CONN + 1);
    assert_int_equal(set("max_conn", v), CB_ERR_INVAL);
    snprintf(v, sizeof v, "%d", CB_CFG_MAX_CONN);
    assert_int_equal(set("max_conn", v), CB_OK);
}

static void test_settings_display_is_2_or_4_rows_of_16_or_20(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
    } bad[] = {
        {"display.rows", "1"},  {"display.rows", "3"},    {"display.rows", "5"},
        {"display.cols", "15"}, {"display.cols", "18"},   {"display.cols", "21"},
        {"display.rows", "-2"}, {"display.rows", "4.0"},  {"display.rows", " 4"},
        {"display.rows", ""},   {"display.rows", "four"}, {"display.cols", "4294967312"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(set(bad[i].key, bad[i].value), CB_ERR_INVAL);
        assert_err_names(bad[i].key);
        assert_non_null(strstr(err, "must be "));
    }
    assert_int_equal(set("display.rows", "3"), CB_ERR_INVAL);
    assert_string_equal(err, "display.rows: must be 2 or 4");
    assert_int_equal(s.display_rows, 2);
    assert_int_equal(s.display_cols, 16);
    assert_int_equal(set("display.cols", "20"), CB_OK);
    assert_int_equal(check(), CB_OK); /* 2x20 */
    assert_int_equal(set("display.rows", "4"), CB_OK);
    assert_int_equal(set("display.cols", "16"), CB_OK);
    assert_int_equal(check(), CB_OK); /* 4x16 */
    s.display_rows = 3;
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_string_equal(err, "display.rows: must be 2 or 4");
}

static void test_settings_rejects_overlong_string_without_truncating(void **state)
{
    (void)state;
    char v[CB_CFG_SECRET_MAX + 1];
    memset(v, 'k', sizeof v - 1);
    v[sizeof v - 1] = '\0'; /* CB_CFG_SECRET_MAX chars: one too many */
    assert_int_equal(set("secret", v), CB_ERR_INVAL);
    assert_err_names("secret");
    assert_non_null(strstr(err, "too long"));
    assert_string_equal(s.secret, CB_DEMO_SECRET);
    assert_true(s.demo_secret);
    v[sizeof v - 2] = '\0'; /* exactly fits */
    assert_int_equal(set("secret", v), CB_OK);
    assert_int_equal(strlen(s.secret), CB_CFG_SECRET_MAX - 1);

    char p[CB_CFG_STR_MAX + 2];
    p[0] = '/';
    memset(p + 1, 'a', sizeof p - 2);
    p[sizeof p - 1] = '\0';
    assert_int_equal(set("webhook_path", p), CB_ERR_INVAL);
    assert_string_equal(s.webhook_path, "/webhooks/instaleap/chat");
}

static void test_settings_secret_clears_demo_flag(void **state)
{
    (void)state;
    assert_int_equal(set("secret", "real-secret"), CB_OK);
    assert_false(s.demo_secret);
    assert_string_equal(s.secret, "real-secret");
    /* setting the demo value itself is still the (public) demo secret */
    assert_int_equal(set("secret", CB_DEMO_SECRET), CB_OK);
    assert_true(s.demo_secret);
    /* other secrets leave the flag alone */
    assert_int_equal(set("secret", "x"), CB_OK);
    assert_int_equal(set("secret_next", CB_DEMO_SECRET), CB_OK);
    assert_false(s.demo_secret);
}

static void test_settings_rejects_bad_paths_and_listen(void **state)
{
    (void)state;
    const char *paths[] = {"webhooks", "", "/a b", "/a?x=1", "/a#f", "/caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_int_equal(set("webhook_path", paths[i]), CB_ERR_INVAL);
        assert_err_names("webhook_path");
        assert_int_equal(set("token_path", paths[i]), CB_ERR_INVAL);
    }
    const char *listens[] = {"8080", ":80", "host:", "host:65536", "host:-1", "a b:80", ""};
    for (size_t i = 0; i < sizeof listens / sizeof listens[0]; i++) {
        assert_int_equal(set("listen", listens[i]), CB_ERR_INVAL);
        assert_err_names("listen");
    }
    assert_string_equal(s.listen, "127.0.0.1:8080");
    assert_int_equal(set("listen", "localhost:65535"), CB_OK);
}

/* HTTPS settings (issue 16): off by default, "" switches them off again, a
 * listen_tls value is checked like listen, the file names are the port's. */
static void test_settings_tls_keys_are_optional(void **state)
{
    (void)state;
    assert_string_equal(s.listen_tls, "");
    assert_string_equal(s.tls_cert, "");
    assert_string_equal(s.tls_key, "");
    assert_int_equal(cb_settings_check(&s, err, sizeof err), CB_OK);
    const char *listens[] = {"8443", ":443", "host:", "host:65536", "a b:443"};
    for (size_t i = 0; i < sizeof listens / sizeof listens[0]; i++) {
        assert_int_equal(set("listen_tls", listens[i]), CB_ERR_INVAL);
        assert_err_names("listen_tls");
    }
    assert_int_equal(set("listen_tls", "0.0.0.0:8443"), CB_OK);
    assert_string_equal(s.listen_tls, "0.0.0.0:8443");
    assert_int_equal(set("tls_cert", "/etc/chatbell/fullchain.pem"), CB_OK);
    assert_int_equal(set("tls_key", "/etc/chatbell/privkey.pem"), CB_OK);
    assert_string_equal(s.tls_key, "/etc/chatbell/privkey.pem");
    assert_int_equal(cb_settings_check(&s, err, sizeof err), CB_OK);
    assert_int_equal(set("listen_tls", ""), CB_OK);
    assert_int_equal(set("tls_cert", "a\x01b"), CB_ERR_INVAL);
    assert_err_names("tls_cert");
}

static void test_settings_rejects_control_bytes_and_bad_utf8(void **state)
{
    (void)state;
    assert_int_equal(set("senders.SH.label", "Pi\ncker"), CB_ERR_INVAL);
    assert_err_names("senders.SH.label");
    assert_int_equal(set("senders.SH.label", "Pi\xff"), CB_ERR_INVAL);
    assert_int_equal(set("senders.SH.label", "\xc3\x28"), CB_ERR_INVAL);
    assert_int_equal(set("client_id_field", ""), CB_ERR_INVAL);
    assert_int_equal(set("token", "a\tb"), CB_ERR_INVAL);
    assert_int_equal(set("senders.SH.label", "Pick\xc3\xa9r"), CB_OK);
    assert_string_equal(cb_settings_sender(&s, cb_span_str("SH"))->label, "Pick\xc3\xa9r");
    /* a value with an embedded NUL is not silently cut */
    assert_int_equal(cb_settings_set(&s, "token", cb_span("ab\0cd", 5), err, sizeof err),
                     CB_ERR_INVAL);
    assert_int_equal(cb_settings_set(&s, "token", CB_SPAN_NONE, err, sizeof err), CB_ERR_INVAL);
    assert_err_names("token");
}

static void test_settings_unknown_key_is_error_naming_it(void **state)
{
    (void)state;
    assert_int_equal(set("secrte", "x"), CB_ERR_INVAL);
    assert_err_names("secrte");
    assert_non_null(strstr(err, "unknown"));
    assert_int_equal(set("display.depth", "3"), CB_ERR_INVAL);
    assert_err_names("display.depth");
    assert_int_equal(set("senders.SH.colour", "red"), CB_ERR_INVAL);
    assert_err_names("senders.SH.colour");
    assert_int_equal(set("senders.SH", "x"), CB_ERR_INVAL);
    assert_int_equal(set("", "x"), CB_ERR_INVAL);
    assert_int_equal(s.nsenders, 2);
}

static void test_settings_sender_keys_add_and_update(void **state)
{
    (void)state;
    assert_int_equal(set("senders.DR.label", "Driver"), CB_OK);
    const cb_sender_cfg_t *dr = cb_settings_sender(&s, cb_span_str("DR"));
    assert_non_null(dr);
    assert_string_equal(dr->label, "Driver");
    assert_string_equal(dr->pattern, s.default_pattern);
    assert_int_equal(set("senders.DR.pattern", "-.-."), CB_OK);
    assert_string_equal(dr->pattern, "-.-.");
    assert_int_equal(set("senders.X1.pattern", "--"), CB_OK);
    const cb_sender_cfg_t *x = cb_settings_sender(&s, cb_span_str("X1"));
    assert_non_null(x);
    assert_string_equal(x->label, "X1"); /* label defaults to the code */
    assert_int_equal(set("senders.SH.pattern", "-"), CB_OK);
    assert_string_equal(cb_settings_sender(&s, cb_span_str("SH"))->pattern, "-");
    assert_int_equal(s.nsenders, 4);

    /* bad patterns and codes add nothing */
    const char *pats[] = {"", "...", "-x-", "- -"};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        assert_int_equal(set("senders.NEW.pattern", pats[i]), CB_ERR_INVAL);
        assert_err_names("senders.NEW.pattern");
        assert_int_equal(set("default_pattern", pats[i]), CB_ERR_INVAL);
    }
    assert_int_equal(set("senders.NEW.label", ""), CB_ERR_INVAL);
    assert_int_equal(set("senders..label", "x"), CB_ERR_INVAL);
    assert_int_equal(set("senders.A B.label", "x"), CB_ERR_INVAL);
    assert_int_equal(set("senders.ABCDEFGHIJKLMNOPQRSTUVWXYZ.label", "x"), CB_ERR_INVAL);
    assert_int_equal(s.nsenders, 4);
    assert_null(cb_settings_sender(&s, cb_span_str("NEW")));

    /* the table is bounded */
    char key[64];
    for (unsigned i = s.nsenders; i < CB_CFG_SENDERS_MAX; i++) {
        snprintf(key, sizeof key, "senders.C%u.label", i);
        assert_int_equal(set(key, "c"), CB_OK);
    }
    assert_int_equal(set("senders.ONEMORE.label", "x"), CB_ERR_INVAL);
    assert_err_names("senders.ONEMORE.label");
    assert_non_null(strstr(err, "too many"));
    assert_int_equal(s.nsenders, CB_CFG_SENDERS_MAX);
    assert_int_equal(set("senders.SUP.label", "Help"), CB_OK); /* updates still work */
    assert_int_equal(check(), CB_OK);
}

static void test_settings_json_nested_objects_map_to_dotted_keys(void **state)
{
    (void)state;
    const char *json =
        "{ \"listen\": \"0.0.0.0:8081\", \"auth\": \"static\",\n"
        "  \"token\": \"tok-0123456789abc\", \"fsync\": false,\n"
        "  \"display\": { \"rows\": 4, \"cols\": 20 },\n"
        "  \"senders\": { \"DR\": { \"label\": \"Driver\", \"pattern\": \"-.-.\" },\n"
        "               \"SH\": { \"label\": \"Shopper\" } },\n"
        "  \"reminder_s\": 0, \"display.cols\": 20 }";
    assert_int_equal(load(json), CB_OK);
    assert_string_equal(s.listen, "0.0.0.0:8081");
    assert_int_equal(s.auth, CB_AUTH_STATIC);
    assert_string_equal(s.token, "tok-0123456789abc");
    assert_false(s.fsync);
    assert_int_equal(s.display_rows, 4);
    assert_int_equal(s.display_cols, 20);
    assert_int_equal(s.reminder_s, 0);
    const cb_sender_cfg_t *dr = cb_settings_sender(&s, cb_span_str("DR"));
    assert_non_null(dr);
    assert_string_equal(dr->label, "Driver");
    assert_string_equal(dr->pattern, "-.-.");
    assert_string_equal(cb_settings_sender(&s, cb_span_str("SH"))->label, "Shopper");
    assert_int_equal(s.nsenders, 3);
    assert_int_equal(check(), CB_OK);
}

static void test_settings_json_decodes_string_escapes(void **state)
{
    (void)state;
    assert_int_equal(load("{\"senders\":{\"SH\":{\"label\":\"Pick\\u00e9r \\\"1\\\"\"}},"
                          "\"webhook_path\":\"\\/hook\"}"),
                     CB_OK);
    assert_string_equal(cb_settings_sender(&s, cb_span_str("SH"))->label, "Pick\xc3\xa9r \"1\"");
    assert_string_equal(s.webhook_path, "/hook");
    assert_int_equal(load("{\"dis\\u0070lay\":{\"rows\":4}}"), CB_OK);
    assert_int_equal(s.display_rows, 4);
    /* escapes that decode to control bytes or NUL are refused */
    assert_int_equal(load("{\"token\":\"a\\nb\"}"), CB_ERR_INVAL);
    assert_err_names("token");
    assert_int_equal(load("{\"token\":\"a\\u0000b\"}"), CB_ERR_INVAL);
    assert_err_names("token");
}

static void test_settings_json_new_senders_take_default_pattern_in_any_order(void **state)
{
    (void)state;
    assert_int_equal(load("{\"senders\":{\"DR\":{\"label\":\"Driver\"},"
                          "\"XX\":{\"pattern\":\"-\"}},\"default_pattern\":\"--.--\"}"),
                     CB_OK);
    assert_string_equal(cb_settings_sender(&s, cb_span_str("DR"))->pattern, "--.--");
    assert_string_equal(cb_settings_sender(&s, cb_span_str("XX"))->pattern, "-");
    /* senders that existed before keep their pattern */
    assert_string_not_equal(cb_settings_sender(&s, cb_span_str("SH"))->pattern, "--.--");
}

static void test_settings_json_unknown_key_is_error_naming_it(void **state)
{
    (void)state;
    assert_int_equal(load("{\"display\":{\"rowz\":4}}"), CB_ERR_INVAL);
    assert_string_equal(err, "display.rowz: unknown setting");
    assert_int_equal(load("{\"colour\":\"red\"}"), CB_ERR_INVAL);
    assert_err_names("colour");
    assert_int_equal(load("{\"senders\":{\"DR\":{\"color\":\"red\"}}}"), CB_ERR_INVAL);
    assert_err_names("senders.DR.color");
    assert_int_equal(load("{\"x\":[1,2]}"), CB_ERR_INVAL);
    assert_err_names("x");
    assert_int_equal(load("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}"), CB_ERR_INVAL);
    assert_err_names("a.b.c.d");
}

static void test_settings_json_checks_value_types(void **state)
{
    (void)state;
    assert_int_equal(load("{\"display\":{\"rows\":\"4\"}}"), CB_ERR_INVAL);
    assert_err_names("display.rows");
    assert_int_equal(s.display_rows, 2);
    assert_int_equal(load("{\"fsync\":\"off\"}"), CB_ERR_INVAL);
    assert_err_names("fsync");
    assert_int_equal(load("{\"listen\":8080}"), CB_ERR_INVAL);
    assert_err_names("listen");
    assert_int_equal(load("{\"secret\":null}"), CB_ERR_INVAL);
    assert_err_names("secret");
    assert_int_equal(load("{\"token\":[\"a\"]}"), CB_ERR_INVAL);
    assert_err_names("token");
    assert_int_equal(load("{\"display\":{\"rows\":4.5}}"), CB_ERR_INVAL);
    assert_err_names("display.rows");
    assert_int_equal(load("{\"display\":{\"rows\":-4}}"), CB_ERR_INVAL);
    assert_int_equal(load("{\"display\":{\"rows\":true}}"), CB_ERR_INVAL);
    assert_int_equal(load("{\"display\":{\"rows\":4}}"), CB_OK);
    assert_int_equal(load("{\"fsync\":false}"), CB_OK);
    assert_false(s.fsync);
}

static void test_settings_json_rejects_non_object_and_bad_json(void **state)
{
    (void)state;
    const char *bad[] = {"",         "[1]",
                         "\"x\"",    "{}{}",
                         "{\"a\":}", "{\"rows\":4,\"rows\":4}",
                         "nope",     "{\"listen\":\"a:1\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(load(bad[i]), CB_ERR_INVAL);
        assert_err_names("config");
    }
    assert_int_equal(load("{}"), CB_OK);
    assert_int_equal(load(" { } \n"), CB_OK);
}

static void test_settings_json_bounds_keys_and_token_count(void **state)
{
    (void)state;
    static char json[16384];
    /* a key longer than any setting */
    size_t n = (size_t)snprintf(json, sizeof json, "{\"");
    for (int i = 0; i < 200; i++)
        json[n++] = 'k';
    n += (size_t)snprintf(json + n, sizeof json - n, "\":1}");
    assert_int_equal(cb_settings_load_json(&s, json, n, err, sizeof err), CB_ERR_INVAL);
    assert_err_names("config");
    /* more values than the token budget */
    n = (size_t)snprintf(json, sizeof json, "{\"a\":[");
    for (int i = 0; i < CB_CFG_JSON_MAX_TOKENS + 10; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "%s1", i ? "," : "");
    n += (size_t)snprintf(json + n, sizeof json - n, "]}");
    assert_int_equal(cb_settings_load_json(&s, json, n, err, sizeof err), CB_ERR_INVAL);
    assert_err_names("config");
    /* text is taken as (ptr, len): bytes past len are not read */
    const char *t = "{\"display\":{\"rows\":4}}GARBAGE";
    assert_int_equal(cb_settings_load_json(&s, t, strlen(t) - 7, err, sizeof err), CB_OK);
    assert_int_equal(s.display_rows, 4);
}

static void test_settings_check_requires_each_modes_secrets(void **state)
{
    (void)state;
    assert_int_equal(set("secret", ""), CB_OK);
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("secret");

    cb_settings_defaults(&s);
    assert_int_equal(set("auth", "static"), CB_OK);
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("token");
    assert_int_equal(set("token", "t-0123456789abcde"), CB_OK);
    assert_int_equal(check(), CB_OK);

    cb_settings_defaults(&s);
    assert_int_equal(set("auth", "dynamic"), CB_OK);
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("client_id");
    assert_int_equal(set("client_id", "id"), CB_OK);
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("client_secret");
    assert_int_equal(set("client_secret", "sec-0123456789abc"), CB_OK);
    assert_int_equal(check(), CB_OK);
    assert_int_equal(set("client_secret_field", "client_id"), CB_OK);
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("client_secret_field");
    assert_int_equal(set("client_secret_field", "pw"), CB_OK);
    assert_int_equal(set("token_path", "/webhooks/instaleap/chat"), CB_OK);
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("token_path");
}

/* SPEC 3: a static token, admin token or client secret under 16 characters
 * stops start-up naming the key; 16 is enough. The demo signature secret is
 * the only default secret and is not held to it. */
static void test_settings_check_refuses_secrets_under_16_characters(void **state)
{
    (void)state;
    static const struct {
        const char *mode, *key;
    } cases[] = {{"static", "token"}, {"signature", "admin_token"}, {"dynamic", "client_secret"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cb_settings_defaults(&s);
        assert_int_equal(set("auth", cases[i].mode), CB_OK);
        assert_int_equal(set("token", "static-token-0123"), CB_OK);
        assert_int_equal(set("client_id", "id"), CB_OK);
        assert_int_equal(set("client_secret", "client-secret-01"), CB_OK);
        assert_int_equal(check(), CB_OK);
        assert_int_equal(set(cases[i].key, "fifteen-chars-1"), CB_OK); /* 15 */
        assert_int_equal(check(), CB_ERR_INVAL);
        assert_err_names(cases[i].key);
        assert_null(strstr(err, "fifteen"));
        assert_int_equal(set(cases[i].key, "sixteen-chars-12"), CB_OK); /* 16 */
        assert_int_equal(check(), CB_OK);
    }
    cb_settings_defaults(&s);
    assert_true(s.demo_secret);
    assert_int_equal(check(), CB_OK);
}

/* trusted_proxies: addresses only (a string of them or a JSON array);
 * max_conn_per_source defaults to a quarter of max_conn, at least 1. */
static void test_settings_trusted_proxies_and_conn_per_source(void **state)
{
    (void)state;
    assert_string_equal(s.trusted_proxies, "");
    assert_int_equal(set("trusted_proxies", "10.0.0.1, ::1,2001:db8::7"), CB_OK);
    assert_int_equal(check(), CB_OK);
    assert_int_equal(set("trusted_proxies", "10.0.0.1:80"), CB_ERR_INVAL);
    assert_err_names("trusted_proxies");
    assert_int_equal(set("trusted_proxies", "proxy.lan"), CB_ERR_INVAL);
    assert_int_equal(set("trusted_proxies", "10.0.0.0/8"), CB_ERR_INVAL);
    assert_int_equal(set("trusted_proxies", "10.0.0.1,,10.0.0.2"), CB_ERR_INVAL);
    assert_int_equal(set("trusted_proxies", ""), CB_OK);
    assert_int_equal(load("{\"trusted_proxies\":[\"127.0.0.1\",\"192.168.1.2\"]}"), CB_OK);
    assert_string_equal(s.trusted_proxies, "127.0.0.1,192.168.1.2");
    assert_int_equal(load("{\"trusted_proxies\":[]}"), CB_OK);
    assert_string_equal(s.trusted_proxies, "");
    assert_int_equal(load("{\"trusted_proxies\":\"127.0.0.1\"}"), CB_OK);
    assert_string_equal(s.trusted_proxies, "127.0.0.1");
    assert_int_equal(load("{\"trusted_proxies\":[1]}"), CB_ERR_INVAL);
    assert_int_equal(load("{\"trusted_proxies\":[\"1.2.3.4,5.6.7.8\"]}"), CB_ERR_INVAL);
    assert_int_equal(load("{\"trusted_proxies\":[\"nope\"]}"), CB_ERR_INVAL);
    assert_err_names("trusted_proxies");
    /* keys after an array are still read */
    assert_int_equal(load("{\"trusted_proxies\":[\"::1\"],\"reminder_s\":7}"), CB_OK);
    assert_int_equal(s.reminder_s, 7);

    assert_int_equal(cb_settings_conn_per_source(&s), CB_CFG_MAX_CONN / 4);
    s.max_conn = 3;
    assert_int_equal(cb_settings_conn_per_source(&s), 1);
    assert_int_equal(set("max_conn_per_source", "5"), CB_OK);
    assert_int_equal(cb_settings_conn_per_source(&s), 3); /* never over max_conn */
    s.max_conn = 64;
    assert_int_equal(cb_settings_conn_per_source(&s), 5);
    assert_int_equal(set("max_conn_per_source", "100000"), CB_ERR_INVAL);
}

static void test_settings_check_rejects_bad_struct_values(void **state)
{
    (void)state;
    s.display_rows = 5;
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("display.rows");

    cb_settings_defaults(&s);
    s.display_cols = 8;
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("display.cols");

    cb_settings_defaults(&s);
    s.body_limit = CB_CFG_BODY_MAX + 1;
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("body_limit");

    cb_settings_defaults(&s);
    s.max_conn = CB_CFG_MAX_CONN + 1;
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("max_conn");

    cb_settings_defaults(&s);
    strcpy(s.webhook_path, "hook");
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("webhook_path");

    cb_settings_defaults(&s);
    strcpy(s.webhook_path, "/healthz");
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("webhook_path");

    cb_settings_defaults(&s);
    memset(s.token, 'x', sizeof s.token); /* no NUL inside the field */
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("token");

    cb_settings_defaults(&s);
    s.auth = (cb_auth_mode_t)7;
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("auth");

    cb_settings_defaults(&s);
    s.nsenders = CB_CFG_SENDERS_MAX + 1;
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("senders");

    cb_settings_defaults(&s);
    strcpy(s.senders[1].code, "SH");
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("senders");

    cb_settings_defaults(&s);
    s.senders[0].pattern[0] = '\0';
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_err_names("senders.pattern");
}

static void test_settings_errors_never_echo_secret_values(void **state)
{
    (void)state;
    static const char *const keys[] = {"secret",    "secret_next",   "token",
                                       "client_id", "client_secret", "admin_token"};
    char v[CB_CFG_SECRET_MAX + 40];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        /* control byte */
        assert_int_equal(set(keys[i], "SuperSecret\x01"), CB_ERR_INVAL);
        assert_null(strstr(err, "SuperSecret"));
        /* too long */
        memset(v, 'Q', sizeof v - 1);
        v[sizeof v - 1] = '\0';
        memcpy(v, "SuperSecret", 11);
        assert_int_equal(set(keys[i], v), CB_ERR_INVAL);
        assert_null(strstr(err, "SuperSecret"));
        assert_null(strstr(err, "QQQQ"));
        /* wrong JSON type */
        char json[96];
        snprintf(json, sizeof json, "{\"%s\":98765431}", keys[i]);
        assert_int_equal(load(json), CB_ERR_INVAL);
        assert_null(strstr(err, "98765431"));
        snprintf(json, sizeof json, "{\"%s\":\"SuperSecret\\u0001\"}", keys[i]);
        assert_int_equal(load(json), CB_ERR_INVAL);
        assert_err_names(keys[i]);
        assert_null(strstr(err, "SuperSecret"));
    }
    /* a mode-check failure names the key, not the value */
    assert_int_equal(set("client_id", "SuperSecret"), CB_OK);
    assert_int_equal(set("auth", "dynamic"), CB_OK);
    assert_int_equal(check(), CB_ERR_INVAL);
    assert_null(strstr(err, "SuperSecret"));
    assert_int_equal(fake_port.log_lines, 0); /* settings never log */
}

static void test_settings_error_fits_small_buffers(void **state)
{
    (void)state;
    char small[8];
    memset(small, 'Z', sizeof small);
    assert_int_equal(cb_settings_set(&s, "display.rows", cb_span_str("9"), small, sizeof small),
                     CB_ERR_INVAL);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, "display", 7);
    /* no buffer at all is fine too */
    assert_int_equal(cb_settings_set(&s, "display.rows", cb_span_str("9"), NULL, 0), CB_ERR_INVAL);
    assert_int_equal(cb_settings_check(&s, NULL, 0), CB_OK);
}

static void test_settings_sntp_server_is_an_ipv4_address_with_an_optional_port(void **state)
{
    (void)state;
    assert_string_equal(s.sntp_server, ""); /* default: the server DHCP names */
    assert_int_equal(set("sntp_server", "10.0.2.2"), CB_OK);
    assert_int_equal(set("sntp_server", "10.0.2.2:12345"), CB_OK);
    assert_string_equal(s.sntp_server, "10.0.2.2:12345");
    assert_int_equal(set("sntp_server", ""), CB_OK);
    const char *bad[] = {"pool.ntp.org",   "10.0.2",       "10.0.2.2:", "10.0.2.2:0",
                         "10.0.2.2:65536", "10.0.2.2:1:2", " 10.0.2.2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(set("sntp_server", bad[i]), CB_ERR_INVAL);
        assert_non_null(strstr(err, "sntp_server"));
    }
    assert_int_equal(load("{\"sntp_server\":\"192.168.1.1:123\"}"), CB_OK);
    assert_string_equal(s.sntp_server, "192.168.1.1:123");
}

typedef struct {
    char seen[512];
    int stop_at; /* fail on the n-th key (0: never) */
    int n;
} visit_log_t;

static int visit(void *ctx, const char *key, cb_span_t value, char *e, size_t cap)
{
    visit_log_t *v = ctx;
    v->n++;
    size_t at = strlen(v->seen);
    snprintf(v->seen + at, sizeof v->seen - at, "%s=%.*s;", key, (int)value.len, value.p);
    if (v->n == v->stop_at) {
        snprintf(e, cap, "%s: refused", key);
        return CB_ERR_INVAL;
    }
    return CB_OK;
}

static void test_settings_each_json_walks_keys_as_the_config_file_does(void **state)
{
    (void)state;
    visit_log_t v = {.seen = "", .stop_at = 0, .n = 0};
    cb_settings_t before = s;
    const char *json = "{\"secret\":\"a\\u00e9b\",\"display\":{\"rows\":4},"
                       "\"trusted_proxies\":[\"10.0.0.1\",\"10.0.0.2\"],\"fsync\":false,"
                       "\"senders\":{\"XY\":{\"label\":\"Ex\"}}}";
    assert_int_equal(cb_settings_each_json(json, strlen(json), visit, &v, err, sizeof err), CB_OK);
    assert_string_equal(v.seen, "secret=a\xc3\xa9"
                                "b;display.rows=4;trusted_proxies=10.0.0.1,10.0.0.2;"
                                "fsync=false;senders.XY.label=Ex;");
    assert_memory_equal(&before, &s, sizeof s); /* nothing set */
    /* the config file's checks: an unknown key, a number as a string */
    v = (visit_log_t){.seen = "", .stop_at = 0, .n = 0};
    assert_int_equal(cb_settings_each_json("{\"nope\":1}", 10, visit, &v, err, sizeof err),
                     CB_ERR_INVAL);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(
        cb_settings_each_json("{\"reminder_s\":\"5\"}", 16, visit, &v, err, sizeof err),
        CB_ERR_INVAL);
    assert_int_equal(v.n, 0);
    /* the visitor's error stops the walk */
    v = (visit_log_t){.seen = "", .stop_at = 1, .n = 0};
    assert_int_equal(cb_settings_each_json("{\"reminder_s\":1,\"scroll_ms\":100}", 32, visit, &v,
                                           err, sizeof err),
                     CB_ERR_INVAL);
    assert_int_equal(v.n, 1);
    assert_string_equal(err, "reminder_s: refused");
}

static void test_settings_is_secret_names_the_secret_keys(void **state)
{
    (void)state;
    const char *secret[] = {"secret",    "secret_next",   "token",
                            "client_id", "client_secret", "admin_token"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        assert_true(cb_settings_is_secret(secret[i]));
    assert_false(cb_settings_is_secret("reminder_s"));
    assert_false(cb_settings_is_secret("senders.SH.label"));
    assert_false(cb_settings_is_secret("nope"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_settings_defaults_follow_spec, setup),
        cmocka_unit_test_setup(test_settings_default_senders_have_distinct_patterns, setup),
        cmocka_unit_test_setup(test_settings_token_header_defaults_per_mode, setup),
        cmocka_unit_test_setup(test_settings_sets_every_string_key, setup),
        cmocka_unit_test_setup(test_settings_sets_every_number_key, setup),
        cmocka_unit_test_setup(test_settings_sets_auth_and_fsync_enums, setup),
        cmocka_unit_test_setup(test_settings_sets_signature_scheme, setup),
        cmocka_unit_test_setup(test_settings_rejects_numbers_out_of_range_or_malformed, setup),
        cmocka_unit_test_setup(test_settings_display_is_2_or_4_rows_of_16_or_20, setup),
        cmocka_unit_test_setup(test_settings_rejects_overlong_string_without_truncating, setup),
        cmocka_unit_test_setup(test_settings_secret_clears_demo_flag, setup),
        cmocka_unit_test_setup(test_settings_rejects_bad_paths_and_listen, setup),
        cmocka_unit_test_setup(test_settings_tls_keys_are_optional, setup),
        cmocka_unit_test_setup(test_settings_rejects_control_bytes_and_bad_utf8, setup),
        cmocka_unit_test_setup(test_settings_unknown_key_is_error_naming_it, setup),
        cmocka_unit_test_setup(test_settings_sender_keys_add_and_update, setup),
        cmocka_unit_test_setup(test_settings_json_nested_objects_map_to_dotted_keys, setup),
        cmocka_unit_test_setup(test_settings_json_decodes_string_escapes, setup),
        cmocka_unit_test_setup(test_settings_json_new_senders_take_default_pattern_in_any_order,
                               setup),
        cmocka_unit_test_setup(test_settings_json_unknown_key_is_error_naming_it, setup),
        cmocka_unit_test_setup(test_settings_json_checks_value_types, setup),
        cmocka_unit_test_setup(test_settings_json_rejects_non_object_and_bad_json, setup),
        cmocka_unit_test_setup(test_settings_json_bounds_keys_and_token_count, setup),
        cmocka_unit_test_setup(test_settings_check_requires_each_modes_secrets, setup),
        cmocka_unit_test_setup(test_settings_check_refuses_secrets_under_16_characters, setup),
        cmocka_unit_test_setup(test_settings_trusted_proxies_and_conn_per_source, setup),
        cmocka_unit_test_setup(test_settings_check_rejects_bad_struct_values, setup),
        cmocka_unit_test_setup(test_settings_errors_never_echo_secret_values, setup),
        cmocka_unit_test_setup(test_settings_error_fits_small_buffers, setup),
        cmocka_unit_test_setup(test_settings_sntp_server_is_an_ipv4_address_with_an_optional_port,
                               setup),
        cmocka_unit_test_setup(test_settings_each_json_walks_keys_as_the_config_file_does, setup),
        cmocka_unit_test_setup(test_settings_is_secret_names_the_secret_keys, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
