/* test_event.c - unit tests for cb_event_parse (SPEC 1): the documented
 * example, the shared string and signature vectors, required fields, types,
 * empty job_id, unknown fields at any depth, bad text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_err.h"
#include "cb_event.h"
#include "vec_reader.h"

#include <stdio.h>
#include <string.h>

static cb_json_tok_t s_toks_ev[CB_CFG_JSON_MAX_TOKENS];
static cb_event_t s_ev;
static const char *s_field, *s_why;

/* The body is parsed in a copy: values are decoded in place. */
static char s_body[CB_CFG_BODY_MAX + 64];

static int parse(const char *body, size_t len)
{
    s_field = "unset";
    s_why = "unset";
    if (len > sizeof s_body)
        len = sizeof s_body; /* over the limit either way */
    memcpy(s_body, body, len);
    return cb_event_parse(s_body, len, &s_ev, s_toks_ev, &s_field, &s_why);
}

static int parse_str(const char *body)
{
    return parse(body, strlen(body));
}

static void assert_span(cb_span_t s, const char *want)
{
    if (!cb_span_eq(s, want))
        fail_msg("span \"%.*s\" (present %d) != \"%s\"", (int)s.len, s.p ? s.p : "", s.p != NULL,
                 want);
}

/* Every decoded span lies in the parsed body (decoded in place). */
static void assert_in_scratch(cb_span_t s)
{
    if (!s.p)
        return;
    assert_true(s.p >= s_body);
    assert_true(s.p + s.len <= s_body + sizeof s_body);
}

static void assert_event_error(int rc, const char *field)
{
    if (rc != CB_ERR_EVENT)
        fail_msg("rc %d, want CB_ERR_EVENT for %s", rc, field);
    assert_non_null(s_field);
    assert_string_equal(s_field, field);
    assert_non_null(s_why);
    assert_true(strlen(s_why) > 5);
}

#define DOC_EXAMPLE                                                                                \
    "{ \"client_id\": \"string\", \"created_at\": \"2021-08-05T00:54:27.918Z\",\n"                 \
    "  \"sender\": \"SH\", \"job_id\": \"string\", \"notification_message\": \"Hi my name is "     \
    "Jose\" }"

static void test_event_parses_the_spec_example(void **state)
{
    (void)state;
    assert_int_equal(parse_str(DOC_EXAMPLE), CB_OK);
    assert_null(s_field);
    assert_null(s_why);
    assert_span(s_ev.client_id, "string");
    assert_span(s_ev.created_at, "2021-08-05T00:54:27.918Z");
    assert_span(s_ev.sender, "SH");
    assert_span(s_ev.job_id, "string");
    assert_span(s_ev.text, "Hi my name is Jose");
    assert_null(s_ev.id.p);
    assert_null(s_ev.type.p);
    assert_null(s_ev.timestamp.p);
    assert_in_scratch(s_ev.client_id);
    assert_in_scratch(s_ev.text);
}

static void test_event_reads_all_eight_fields(void **state)
{
    (void)state;
    assert_int_equal(parse_str("{\"id\":\"i\",\"type\":\"t\",\"timestamp\":\"1764331200000\","
                               "\"client_id\":\"c\",\"created_at\":\"ca\",\"sender\":\"SUP\","
                               "\"job_id\":\"J\",\"notification_message\":\"m\"}"),
                     CB_OK);
    assert_span(s_ev.id, "i");
    assert_span(s_ev.type, "t");
    assert_span(s_ev.timestamp, "1764331200000");
    assert_span(s_ev.client_id, "c");
    assert_span(s_ev.created_at, "ca");
    assert_span(s_ev.sender, "SUP");
    assert_span(s_ev.job_id, "J");
    assert_span(s_ev.text, "m");
}

/* {"created_at":"x","sender":"SH","job_id":"J","notification_message":<json>} */
static size_t body_with_text(char *buf, size_t cap, const char *json, size_t jl)
{
    static const char head[] =
        "{\"created_at\":\"2026-11-28T12:00:00Z\",\"sender\":\"SH\",\"job_id\":\"J\","
        "\"notification_message\":";
    size_t n = sizeof head - 1;
    assert_true(n + jl + 2 <= cap);
    memcpy(buf, head, n);
    memcpy(buf + n, json, jl);
    n += jl;
    buf[n++] = '}';
    return n;
}

static void test_event_decodes_shared_string_vectors(void **state)
{
    static vec_file_t v;
    char body[512];
    (void)state;
    int n = vec_load(&v, CB_VECTORS_DIR, "json-strings.json");
    assert_true(n >= 5);
    for (int i = 0; i < n; i++) {
        size_t jl = 0, tl = 0;
        const char *json = vec_get(&v.cases[i], "json", &jl);
        const char *text = vec_get(&v.cases[i], "text", &tl);
        assert_non_null(json);
        assert_non_null(text);
        size_t bl = body_with_text(body, sizeof body, json, jl);
        int rc = parse(body, bl);
        if (rc != CB_OK)
            fail_msg("vector %d %s: rc %d (%s)", i, json, rc, s_why);
        assert_int_equal(s_ev.text.len, tl);
        assert_memory_equal(s_ev.text.p, text, tl);
        assert_in_scratch(s_ev.text);
    }
}

static void test_event_rejects_shared_invalid_string_vectors(void **state)
{
    static vec_file_t v;
    char body[512];
    (void)state;
    int n = vec_load(&v, CB_VECTORS_DIR, "json-strings-invalid.json");
    assert_true(n >= 5);
    for (int i = 0; i < n; i++) {
        size_t jl = 0;
        const char *json = vec_get(&v.cases[i], "json", &jl);
        assert_non_null(json);
        size_t bl = body_with_text(body, sizeof body, json, jl);
        int rc = parse(body, bl);
        /* a bad escape makes the body not JSON; bad text in good JSON is a bad event */
        if (rc == CB_ERR_EVENT)
            assert_string_equal(s_field, "notification_message");
        else if (rc != CB_ERR_JSON)
            fail_msg("vector %d %s: rc %d", i, json, rc);
    }
}

static void test_event_classifies_bad_strings(void **state)
{
    (void)state;
    /* well-formed JSON, text not acceptable: invalid_event naming the field */
    assert_event_error(parse_str("{\"created_at\":\"c\",\"sender\":\"SH\",\"job_id\":\"J\","
                                 "\"notification_message\":\"\\ud83d alone\"}"),
                       "notification_message");
    assert_event_error(parse_str("{\"created_at\":\"c\",\"sender\":\"SH\",\"job_id\":\"J\\u0000\","
                                 "\"notification_message\":\"m\"}"),
                       "job_id");
    assert_event_error(parse_str("{\"created_at\":\"c\",\"sender\":\"\xc3\x28\",\"job_id\":\"J\","
                                 "\"notification_message\":\"m\"}"),
                       "sender");
    assert_event_error(parse_str("{\"created_at\":\"c\",\"sender\":\"SH\",\"job_id\":\"J\","
                                 "\"client_id\":\"\xed\xa0\x80\",\"notification_message\":\"m\"}"),
                       "client_id");
    /* not JSON at all: invalid_json, no field named */
    assert_int_equal(parse_str("{\"created_at\":\"c\",\"sender\":\"SH\",\"job_id\":\"J\","
                               "\"notification_message\":\"\\x41\"}"),
                     CB_ERR_JSON);
    assert_null(s_field);
    assert_non_null(s_why);
}

static void test_event_ignores_bad_text_in_unknown_fields(void **state)
{
    (void)state;
    assert_int_equal(
        parse_str("{\"extra\":\"\\ud83d \\u0000 \xff\",\"created_at\":\"c\","
                  "\"sender\":\"SH\",\"job_id\":\"J\",\"notification_message\":\"m\"}"),
        CB_OK);
    assert_span(s_ev.text, "m");
}

static const char *const k_required[] = {"created_at", "sender", "job_id", "notification_message"};
static const char *const k_all[] = {"id",         "type",   "timestamp", "client_id",
                                    "created_at", "sender", "job_id",    "notification_message"};

/* A body with every field as a string, except skip (absent) or bad (raw value). */
static size_t make_body(char *buf, size_t cap, const char *skip, const char *bad, const char *raw)
{
    size_t n = 0;
    buf[n++] = '{';
    for (size_t i = 0; i < sizeof k_all / sizeof k_all[0]; i++) {
        if (skip && strcmp(k_all[i], skip) == 0)
            continue;
        const char *val = bad && strcmp(k_all[i], bad) == 0 ? raw : "\"v\"";
        n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\":%s", n > 1 ? "," : "", k_all[i], val);
        assert_true(n < cap);
    }
    buf[n++] = '}';
    return n;
}

static void test_event_rejects_each_missing_required_field(void **state)
{
    char body[512];
    (void)state;
    assert_int_equal(parse(body, make_body(body, sizeof body, NULL, NULL, NULL)), CB_OK);
    for (size_t i = 0; i < sizeof k_required / sizeof k_required[0]; i++)
        assert_event_error(parse(body, make_body(body, sizeof body, k_required[i], NULL, NULL)),
                           k_required[i]);
    assert_event_error(parse_str("{}"), "created_at");
}

static void test_event_accepts_missing_optional_fields(void **state)
{
    char body[512];
    static const char *const optional[] = {"id", "type", "timestamp", "client_id"};
    (void)state;
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        assert_int_equal(parse(body, make_body(body, sizeof body, optional[i], NULL, NULL)), CB_OK);
        cb_span_t *spans[] = {&s_ev.id, &s_ev.type, &s_ev.timestamp, &s_ev.client_id};
        assert_null(spans[i]->p);
        assert_span(s_ev.job_id, "v");
    }
}

static void test_event_rejects_each_field_of_wrong_type(void **state)
{
    char body[512];
    static const char *const raws[] = {"1",  "-2.5", "true",    "false",        "null",
                                       "{}", "[]",   "[\"v\"]", "{\"v\":\"v\"}"};
    (void)state;
    for (size_t i = 0; i < sizeof k_all / sizeof k_all[0]; i++)
        for (size_t r = 0; r < sizeof raws / sizeof raws[0]; r++)
            assert_event_error(parse(body, make_body(body, sizeof body, NULL, k_all[i], raws[r])),
                               k_all[i]);
}

static void test_event_rejects_empty_job_id(void **state)
{
    char body[512];
    (void)state;
    assert_event_error(parse(body, make_body(body, sizeof body, NULL, "job_id", "\"\"")), "job_id");
    /* other required strings may be empty */
    assert_int_equal(
        parse(body, make_body(body, sizeof body, NULL, "notification_message", "\"\"")), CB_OK);
    assert_non_null(s_ev.text.p);
    assert_int_equal(s_ev.text.len, 0);
    assert_int_equal(parse(body, make_body(body, sizeof body, NULL, "sender", "\"\"")), CB_OK);
}

static void test_event_ignores_unknown_fields_at_any_depth(void **state)
{
    (void)state;
    assert_int_equal(
        parse_str("{\"x\":{\"job_id\":5,\"deep\":[{\"sender\":null,\"y\":{\"z\":[1,2,{}]}}]},"
                  "\"n\":3.5e2,\"b\":true,\"nil\":null,\"arr\":[\"job_id\",{\"job_id\":\"no\"}],"
                  "\"created_at\":\"c\",\"sender\":\"SH\",\"job_id\":\"J-1\","
                  "\"notification_message\":\"m\",\"zz\":{\"notification_message\":[]}}"),
        CB_OK);
    assert_span(s_ev.job_id, "J-1");
    assert_span(s_ev.sender, "SH");
    assert_span(s_ev.text, "m");
}

static void test_event_nested_field_does_not_count_as_top_level(void **state)
{
    (void)state;
    assert_event_error(parse_str("{\"x\":{\"job_id\":\"J\"},\"created_at\":\"c\",\"sender\":\"SH\","
                                 "\"notification_message\":\"m\"}"),
                       "job_id");
}

static void test_event_reads_escaped_key_names(void **state)
{
    (void)state;
    assert_int_equal(
        parse_str("{\"created\\u005fat\":\"c\",\"sender\":\"SH\",\"job\\u005fid\":\"J\","
                  "\"notification_message\":\"m\"}"),
        CB_OK);
    assert_span(s_ev.job_id, "J");
    assert_span(s_ev.created_at, "c");
}

static void test_event_rejects_bad_json(void **state)
{
    char body[512];
    (void)state;
    static const char *const bad[] = {
        "", "[]", "{}{}", "{\"job_id\":\"J\",\"job_id\":\"K\"}", "{\"a\":01}", "{\"a\":1,}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_str(bad[i]), CB_ERR_JSON);
        assert_null(s_field);
        assert_non_null(s_why);
    }
    /* a valid event with a NUL appended */
    size_t n = make_body(body, sizeof body, NULL, NULL, NULL);
    body[n] = '\0';
    assert_int_equal(parse(body, n + 1), CB_ERR_JSON);
    /* a repeated required field, even spelled with an escape */
    static const char again[] = ",\"job\\u005fid\":\"K\"}";
    n = make_body(body, sizeof body, NULL, NULL, NULL) - 1;
    memcpy(body + n, again, sizeof again - 1);
    assert_int_equal(parse(body, n + sizeof again - 1), CB_ERR_JSON);
    assert_non_null(strstr(s_why, "repeated"));
}

static void test_event_rejects_body_over_token_budget(void **state)
{
    static char body[CB_CFG_BODY_MAX];
    (void)state;
    size_t n = make_body(body, sizeof body, NULL, NULL, NULL);
    n--; /* reopen the object */
    n += (size_t)snprintf(body + n, sizeof body - n, ",\"pad\":[");
    for (int i = 0; i < CB_CFG_JSON_MAX_TOKENS; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "%s0", i ? "," : "");
    n += (size_t)snprintf(body + n, sizeof body - n, "]}");
    assert_int_equal(parse(body, n), CB_ERR_JSON);
    assert_null(s_field);
}

static void test_event_parses_every_signature_vector_body(void **state)
{
    static vec_file_t v;
    (void)state;
    int n = vec_load(&v, CB_VECTORS_DIR, "signatures.json");
    assert_true(n >= 8);
    bool saw_escaped = false;
    for (int i = 0; i < n; i++) {
        size_t bl = 0;
        const char *name = vec_get(&v.cases[i], "name", NULL);
        const char *body = vec_get(&v.cases[i], "body", &bl);
        assert_non_null(name);
        assert_non_null(body);
        int rc = parse(body, bl);
        if (rc != CB_OK)
            fail_msg("%s: rc %d (%s: %s)", name, rc, s_field ? s_field : "-", s_why);
        assert_true(s_ev.job_id.len > 0);
        assert_true(cb_utf8_valid(s_ev.text.p, s_ev.text.len));
        if (strcmp(name, "v1-escaped-json") == 0) {
            saw_escaped = true;
            assert_span(s_ev.id, "e1");
            assert_span(s_ev.job_id, "J/1");
            assert_span(s_ev.type, "CHAT");
            assert_span(s_ev.created_at, "2026-11-28T12:00:00Z");
            assert_span(s_ev.text, "line1\nline2 \"quoted\" \xc3\xa9 \xf0\x9f\x98\x80");
        }
    }
    assert_true(saw_escaped);
}

static void test_event_clears_fields_absent_from_the_next_body(void **state)
{
    (void)state;
    assert_int_equal(parse_str("{\"id\":\"i\",\"created_at\":\"c\",\"sender\":\"SH\","
                               "\"job_id\":\"J\",\"notification_message\":\"m\"}"),
                     CB_OK);
    assert_span(s_ev.id, "i");
    assert_int_equal(parse_str(DOC_EXAMPLE), CB_OK);
    assert_null(s_ev.id.p);
}

static void test_event_decodes_a_body_of_the_maximum_size(void **state)
{
    static char body[CB_CFG_BODY_MAX];
    (void)state;
    static const char head[] = "{\"created_at\":\"c\",\"sender\":\"SH\",\"job_id\":\"J\","
                               "\"notification_message\":\"";
    size_t n = sizeof head - 1;
    memcpy(body, head, n);
    while (n < sizeof body - 2)
        body[n++] = 'x';
    body[n++] = '"';
    body[n++] = '}';
    assert_int_equal(parse(body, n), CB_OK);
    assert_int_equal(s_ev.text.len, sizeof body - 2 - (sizeof head - 1));
    assert_in_scratch(s_ev.text);
    assert_int_equal(parse(body, 0), CB_ERR_JSON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_parses_the_spec_example),
        cmocka_unit_test(test_event_reads_all_eight_fields),
        cmocka_unit_test(test_event_decodes_shared_string_vectors),
        cmocka_unit_test(test_event_rejects_shared_invalid_string_vectors),
        cmocka_unit_test(test_event_classifies_bad_strings),
        cmocka_unit_test(test_event_ignores_bad_text_in_unknown_fields),
        cmocka_unit_test(test_event_rejects_each_missing_required_field),
        cmocka_unit_test(test_event_accepts_missing_optional_fields),
        cmocka_unit_test(test_event_rejects_each_field_of_wrong_type),
        cmocka_unit_test(test_event_rejects_empty_job_id),
        cmocka_unit_test(test_event_ignores_unknown_fields_at_any_depth),
        cmocka_unit_test(test_event_nested_field_does_not_count_as_top_level),
        cmocka_unit_test(test_event_reads_escaped_key_names),
        cmocka_unit_test(test_event_rejects_bad_json),
        cmocka_unit_test(test_event_rejects_body_over_token_budget),
        cmocka_unit_test(test_event_parses_every_signature_vector_body),
        cmocka_unit_test(test_event_clears_fields_absent_from_the_next_body),
        cmocka_unit_test(test_event_decodes_a_body_of_the_maximum_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
