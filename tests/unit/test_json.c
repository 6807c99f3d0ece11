/* test_json.c - unit tests for cb_json: strict validation (tables of valid and
 * invalid documents), depth and token limits, duplicate keys, lookup, string
 * decoding against the shared vectors, UTF-8 checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_config.h"
#include "cb_err.h"
#include "cb_json.h"
#include "vec_reader.h"

#include <stdio.h>
#include <string.h>

static cb_json_tok_t s_toks[CB_CFG_JSON_MAX_TOKENS];

/* Parses a string literal; sizeof - 1 keeps embedded NULs. */
#define PARSE_LIT(lit, why)                                                                        \
    cb_json_parse((lit), sizeof(lit) - 1, s_toks, CB_CFG_JSON_MAX_TOKENS, why)

static int parse_str(const char *s, const char **why)
{
    return cb_json_parse(s, strlen(s), s_toks, CB_CFG_JSON_MAX_TOKENS, why);
}

/* ---- valid documents ---- */

static const struct {
    const char *text;
    int ntoks;
} k_valid[] = {
    {"{}", 1},
    {" \t\r\n{ \t\r\n} \t\r\n", 1},
    {"{\"a\":1}", 3},
    {"{\"a\":\"b\"}", 3},
    {"{\"a\" : \"b\" , \"c\" : \"d\"}", 5},
    {"{\"a\":[]}", 3},
    {"{\"a\":[1,2,3]}", 6},
    {"{\"a\":{}}", 3},
    {"{\"a\":{\"b\":{\"c\":null}}}", 7},
    {"{\"t\":true,\"f\":false,\"n\":null}", 7},
    {"{\"n\":0}", 3},
    {"{\"n\":-0}", 3},
    {"{\"n\":-12.5e+3}", 3},
    {"{\"n\":1E5}", 3},
    {"{\"n\":1e-5}", 3},
    {"{\"n\":0.000}", 3},
    {"{\"n\":123456789012345678901234567890}", 3},
    {"{\"s\":\"\"}", 3},
    {"{\"\":1}", 3},
    {"{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"}", 3},
    {"{\"s\":\"caf\xc3\xa9 \xf0\x9f\x9a\x9a\"}", 3},
    {"{\"a\":[{\"b\":[]},[[]],\"x\",1]}", 10},
    {"{\"a\":1,\"b\":{\"a\":2}}", 7},           /* the same key in another object */
    {"{\"a\":[{\"k\":1},{\"k\":2}]}", 9},       /* and in sibling objects */
    {"{\"ab\":1,\"a\":2,\"b\":3,\"ba\":4}", 9}, /* prefixes are not repeats */
    {"{\"a\":1,\"A\":2}", 5},                   /* keys are case-sensitive */
    {"{\"glbvs\":1,\"yacxa\":2}", 5},           /* same 32-bit FNV-1a hash, different keys */
    {"{\"glbvs\":1,\"yac\\u0078a\":2}", 5},
    /* Bad text inside strings is left to the event checks (invalid_event). */
    {"{\"s\":\"\\ud83d alone\"}", 3},
    {"{\"s\":\"nul \\u0000\"}", 3},
    {"{\"s\":\"\xff\xfe bad utf8\"}", 3},
    {"{\"s\":\"\xed\xa0\x80 raw surrogate\"}", 3},
};

static void test_json_accepts_valid_documents(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_valid / sizeof k_valid[0]; i++) {
        const char *why = "unset";
        int n = parse_str(k_valid[i].text, &why);
        if (n != k_valid[i].ntoks)
            fail_msg("case %zu %s: got %d (%s), want %d", i, k_valid[i].text, n, why ? why : "-",
                     k_valid[i].ntoks);
        assert_null(why);
        assert_int_equal(s_toks[0].type, CB_JSON_OBJECT);
        assert_int_equal(s_toks[0].parent, -1);
    }
}

/* ---- invalid documents ---- */

static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    const char *what;
} k_invalid[] = {
    {"", 0, "empty"},
    {"   \n\t ", 0, "whitespace only"},
    {"[]", 0, "array at top level"},
    {"\"str\"", 0, "string at top level"},
    {"1", 0, "number at top level"},
    {"true", 0, "literal at top level"},
    {"null ", 0, "null at top level"},
    {"{}{}", 0, "two objects"},
    {"{} {}", 0, "two objects with space"},
    {"{}[]", 0, "object then array"},
    {"{} x", 0, "trailing garbage"},
    {"{}}", 0, "extra closing brace"},
    {"{},", 0, "trailing comma at top"},
    {"{\"a\":1}\"s\"", 0, "object then string"},
    {"{", 0, "unterminated object"},
    {"{\"a\":1", 0, "missing closing brace"},
    {"{\"a\" 1}", 0, "missing colon"},
    {"{\"a\"::1}", 0, "doubled colon"},
    {"{\"a\":1 \"b\":2}", 0, "missing comma"},
    {"{\"a\":1,,\"b\":2}", 0, "doubled comma"},
    {"{\"a\":1,}", 0, "trailing comma in object"},
    {"{,\"a\":1}", 0, "leading comma in object"},
    {"{\"a\":[1,]}", 0, "trailing comma in array"},
    {"{\"a\":[,1]}", 0, "leading comma in array"},
    {"{\"a\":[1 2]}", 0, "missing comma in array"},
    {"{\"a\":[1,,2]}", 0, "doubled comma in array"},
    {"{\"a\":}", 0, "missing value"},
    {"{\"a\"}", 0, "key without value"},
    {"{\"a\":1:2}", 0, "colon after value"},
    {"{\"a\",1}", 0, "comma instead of colon"},
    {"{\"a\":[1:2]}", 0, "colon in array"},
    {"{1:1}", 0, "number as key"},
    {"{true:1}", 0, "literal as key"},
    {"{{}:1}", 0, "object as key"},
    {"{[]:1}", 0, "array as key"},
    {"{a:1}", 0, "bare word key"},
    {"{\"a\":tru}", 0, "truncated literal"},
    {"{\"a\":truee}", 0, "long literal"},
    {"{\"a\":True}", 0, "capitalised literal"},
    {"{\"a\":nul}", 0, "truncated null"},
    {"{\"a\":undefined}", 0, "undefined"},
    {"{\"a\":01}", 0, "leading zero"},
    {"{\"a\":-01}", 0, "negative leading zero"},
    {"{\"a\":1.}", 0, "dot without digits"},
    {"{\"a\":.5}", 0, "no integer part"},
    {"{\"a\":-}", 0, "lone minus"},
    {"{\"a\":+1}", 0, "plus sign"},
    {"{\"a\":1e}", 0, "exponent without digits"},
    {"{\"a\":1e+}", 0, "signed exponent without digits"},
    {"{\"a\":0x10}", 0, "hex number"},
    {"{\"a\":1.5.5}", 0, "two dots"},
    {"{\"a\":NaN}", 0, "NaN"},
    {"{\"a\":Infinity}", 0, "Infinity"},
    {"{\"a\":-Infinity}", 0, "-Infinity"},
    {"{\"a\":'s'}", 0, "single quotes"},
    {"{\"a\":\"x\\qy\"}", 0, "invalid escape"},
    {"{\"a\":\"\\x41\"}", 0, "hex escape"},
    {"{\"a\":\"\\u12G4\"}", 0, "bad hex in \\u"},
    {"{\"a\":\"\\u12\"}", 0, "short \\u"},
    {"{\"a\":\"\\\"}", 0, "escaped closing quote"},
    {"{\"a\":\"tab\there\"}", 0, "raw tab in string"},
    {"{\"a\":\"line\nbreak\"}", 0, "raw newline in string"},
    {"{\"a\":\"\x01\"}", 0, "raw control byte"},
    {"{\"a\":\"\x1f\"}", 0, "raw 0x1f"},
    {"{\"a\":\"unterminated}", 0, "unterminated string"},
    {"{\"a\":[}", 0, "mismatched brackets"},
    {"{\"a\":{]}", 0, "mismatched brackets 2"},
    {"{\"a\":1]", 0, "object closed as array"},
    {"{\"a\":1}\x00", 8, "NUL after the object"},
    {"{\"a\":\"x\x00y\"}", 11, "NUL inside a string"},
    {"\x00{}", 3, "NUL before the object"},
    {"{\"a\":1/*c*/}", 0, "comment"},
    {"\xef\xbb\xbf{}", 0, "byte order mark"},
    {"{\"a\":1}\x0c", 0, "form feed is not whitespace"},
    {"{\"a\":\xc3\xa9}", 0, "raw UTF-8 outside a string"},
    {"{\"a\":1,\"a\":2}", 0, "repeated key"},
    {"{\"a\":1,\"b\":2,\"a\":3}", 0, "repeated key, not adjacent"},
    {"{\"a\":1,\"\\u0061\":2}", 0, "repeated key via \\u escape"},
    {"{\"\\/\":1,\"/\":2}", 0, "repeated key via \\/"},
    {"{\"\xc3\xa9\":1,\"\\u00e9\":2}", 0, "repeated key raw vs escaped UTF-8"},
    {"{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", 0, "repeated key via surrogate pair"},
    {"{\"x\":{\"k\":1,\"k\":2}}", 0, "repeated key in a nested object"},
    {"{\"x\":[{\"k\":1,\"k\":[]}]}", 0, "repeated key in an object in an array"},
    {"{\"\":1,\"\":2}", 0, "repeated empty key"},
};

static void test_json_rejects_invalid_documents(void **state)
{
    (void)state;
    assert_true(sizeof k_invalid / sizeof k_invalid[0] >= 40);
    for (size_t i = 0; i < sizeof k_invalid / sizeof k_invalid[0]; i++) {
        const char *why = NULL;
        size_t len = k_invalid[i].len ? k_invalid[i].len : strlen(k_invalid[i].text);
        int n = cb_json_parse(k_invalid[i].text, len, s_toks, CB_CFG_JSON_MAX_TOKENS, &why);
        if (n != CB_ERR_JSON)
            fail_msg("case %zu (%s): got %d, want CB_ERR_JSON", i, k_invalid[i].what, n);
        assert_non_null(why);
        assert_true(strlen(why) > 5);
    }
}

static void test_json_rejects_nul_even_after_a_complete_object(void **state)
{
    const char *why = NULL;
    (void)state;
    /* a C string would stop at the NUL; the check must look at all len bytes */
    assert_int_equal(PARSE_LIT("{}\0{\"a\":1}", &why), CB_ERR_JSON);
    assert_string_equal(why, "the body contains a NUL byte");
    assert_int_equal(PARSE_LIT("{}", &why), 1);
}

static void test_json_reason_names_the_problem(void **state)
{
    const char *why = NULL;
    (void)state;
    assert_int_equal(PARSE_LIT("{\"a\":1,\"a\":2}", &why), CB_ERR_JSON);
    assert_non_null(strstr(why, "repeated"));
    assert_int_equal(PARSE_LIT("[]", &why), CB_ERR_JSON);
    assert_non_null(strstr(why, "not an object"));
    assert_int_equal(PARSE_LIT("{}{}", &why), CB_ERR_JSON);
    assert_non_null(strstr(why, "more than one"));
    assert_int_equal(PARSE_LIT("{\"a\":01}", &why), CB_ERR_JSON);
    assert_non_null(strstr(why, "number"));
    assert_int_equal(PARSE_LIT("{} ,", &why), CB_ERR_JSON);
    assert_non_null(strstr(why, "after"));
    assert_int_equal(cb_json_parse("", 0, s_toks, CB_CFG_JSON_MAX_TOKENS, NULL), CB_ERR_JSON);
}

/* ---- limits ---- */

/* {"a":{"a":...{}...}} with depth objects, or arrays inside one object. */
static size_t nest(char *buf, size_t cap, int depth, bool arrays)
{
    size_t n = 0;
    assert_true((size_t)depth * (arrays ? 2 : 6) + 8 < cap);
    if (arrays) {
        buf[n++] = '{';
        memcpy(buf + n, "\"a\":", 4);
        n += 4;
        for (int i = 1; i < depth; i++)
            buf[n++] = '[';
        for (int i = 1; i < depth; i++)
            buf[n++] = ']';
        buf[n++] = '}';
        return n;
    }
    for (int i = 1; i < depth; i++) {
        memcpy(buf + n, "{\"a\":", 5);
        n += 5;
    }
    buf[n++] = '{';
    for (int i = 0; i < depth; i++)
        buf[n++] = '}';
    return n;
}

static void test_json_accepts_depth_16_rejects_17(void **state)
{
    char buf[512];
    const char *why = NULL;
    (void)state;
    assert_int_equal(CB_CFG_JSON_MAX_DEPTH, 16);

    size_t n = nest(buf, sizeof buf, 16, false);
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, &why), 16 + 15);
    n = nest(buf, sizeof buf, 17, false);
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, &why), CB_ERR_JSON);
    assert_non_null(strstr(why, "deep"));

    n = nest(buf, sizeof buf, 16, true);
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, &why), 1 + 1 + 15);
    n = nest(buf, sizeof buf, 17, true);
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, &why), CB_ERR_JSON);

    n = nest(buf, sizeof buf, 200, true);
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, &why), CB_ERR_JSON);
}

/* {"a":[0,0,...]} with elems elements: 3 + elems tokens. */
static size_t array_doc(char *buf, size_t cap, int elems)
{
    size_t n = 0;
    assert_true((size_t)elems * 2 + 8 < cap);
    memcpy(buf, "{\"a\":[", 6);
    n = 6;
    for (int i = 0; i < elems; i++) {
        if (i)
            buf[n++] = ',';
        buf[n++] = '0';
    }
    buf[n++] = ']';
    buf[n++] = '}';
    return n;
}

static void test_json_token_budget_is_exact(void **state)
{
    static char buf[4096];
    const char *why = NULL;
    (void)state;
    assert_int_equal(CB_CFG_JSON_MAX_TOKENS, 256);

    size_t n = array_doc(buf, sizeof buf, 253);
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, &why), 256);
    assert_int_equal(s_toks[2].size, 253);
    n = array_doc(buf, sizeof buf, 254);
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, &why), CB_ERR_NOMEM);
    assert_non_null(why);
    /* a smaller caller budget is honoured too */
    n = array_doc(buf, sizeof buf, 10);
    assert_int_equal(cb_json_parse(buf, n, s_toks, 13, &why), 13);
    assert_int_equal(cb_json_parse(buf, n, s_toks, 12, &why), CB_ERR_NOMEM);
}

/* The one pass meets problems in text order, but what it reports does not
 * depend on that: over the budget wins over a repeated key earlier in the
 * text (the fuzzer's oracle wants this), a NUL anywhere wins over both. */
static void test_json_budget_outranks_a_repeat_and_a_nul_outranks_both(void **state)
{
    const char *why = NULL;
    (void)state;
    static const char rep[] = "{\"a\":1,\"a\":2,\"b\":[3,4]}"; /* 9 tokens */
    assert_int_equal(cb_json_parse(rep, sizeof rep - 1, s_toks, 8, &why), CB_ERR_NOMEM);
    assert_non_null(strstr(why, "tokens"));
    assert_int_equal(cb_json_parse(rep, sizeof rep - 1, s_toks, 9, &why), CB_ERR_JSON);
    assert_non_null(strstr(why, "repeated"));
    static const char nul[] = "{\"a\":1,\"b\":[3,4]} \0";
    assert_int_equal(cb_json_parse(nul, sizeof nul - 1, s_toks, 3, &why), CB_ERR_JSON);
    assert_string_equal(why, "the body contains a NUL byte");
    static const char nul2[] = "{\"a\":1,\"b\":[3,4],\"c\":\"x\0\"}";
    assert_int_equal(cb_json_parse(nul2, sizeof nul2 - 1, s_toks, CB_CFG_JSON_MAX_TOKENS, &why),
                     CB_ERR_JSON);
    assert_string_equal(why, "the body contains a NUL byte");
    static const char rep_nul[] = "{\"a\":1,\"a\":2}\0";
    assert_int_equal(PARSE_LIT(rep_nul, &why), CB_ERR_JSON);
    assert_string_equal(why, "the body contains a NUL byte");
}

static void test_json_many_distinct_keys_are_not_repeats(void **state)
{
    static char buf[4096];
    size_t n = 0;
    (void)state;
    buf[n++] = '{';
    for (int i = 0; i < 127; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    buf[n++] = '}';
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, NULL), 255);
    assert_int_equal(s_toks[0].size, 127);

    /* the last key repeats the first one, written with an escape */
    n = 0;
    buf[n++] = '{';
    for (int i = 0; i < 126; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"\\u006b0\":1}");
    assert_int_equal(cb_json_parse(buf, n, s_toks, CB_CFG_JSON_MAX_TOKENS, NULL), CB_ERR_JSON);
}

/* ---- structure and lookup ---- */

static void test_json_tokens_have_parents_and_sizes(void **state)
{
    (void)state;
    /* tokens:           0 1  2 3 4 5  6   7  8 */
    const char doc[] = "{\"a\":[1,{\"b\":2}],\"c\":\"d\"}";
    assert_int_equal(PARSE_LIT(doc, NULL), 9);
    assert_int_equal(s_toks[0].size, 2);   /* two keys */
    assert_int_equal(s_toks[1].parent, 0); /* key a */
    assert_int_equal(s_toks[1].size, 1);
    assert_int_equal(s_toks[2].parent, 1); /* the array's parent is its key */
    assert_int_equal(s_toks[2].size, 2);
    assert_int_equal(s_toks[3].parent, 2);
    assert_int_equal(s_toks[4].parent, 2);
    assert_int_equal(s_toks[4].size, 1);
    assert_int_equal(s_toks[5].parent, 4);
    assert_int_equal(s_toks[6].parent, 5);
    assert_int_equal(s_toks[7].parent, 0); /* key c */
    assert_int_equal(s_toks[8].parent, 7);
    assert_int_equal(s_toks[8].type, CB_JSON_STRING);
    assert_int_equal(s_toks[8].end - s_toks[8].start, 1);
    assert_int_equal(doc[s_toks[8].start], 'd');

    assert_int_equal(cb_json_skip(s_toks, 9, 0), 9);
    assert_int_equal(cb_json_skip(s_toks, 9, 1), 7); /* key a with its value */
    assert_int_equal(cb_json_skip(s_toks, 9, 2), 7);
    assert_int_equal(cb_json_skip(s_toks, 9, 3), 4);
    assert_int_equal(cb_json_skip(s_toks, 9, 4), 7);
    assert_int_equal(cb_json_skip(s_toks, 9, 8), 9);
    assert_int_equal(cb_json_skip(s_toks, 9, 42), 9);
}

static void test_json_get_finds_only_direct_members(void **state)
{
    (void)state;
    const char doc[] =
        "{\"x\":{\"k\":1},\"arr\":[\"k\",{\"k\":2}],\"k\":\"top\",\"job\\u005fid\":7}";
    int n = PARSE_LIT(doc, NULL);
    assert_true(n > 0);
    int v = cb_json_get(doc, s_toks, n, 0, "k");
    assert_true(v > 0);
    assert_int_equal(s_toks[v].type, CB_JSON_STRING);
    assert_memory_equal(doc + s_toks[v].start, "top", 3);
    v = cb_json_get(doc, s_toks, n, 0, "job_id");
    assert_true(v > 0);
    assert_int_equal(doc[s_toks[v].start], '7');
    int x = cb_json_get(doc, s_toks, n, 0, "x");
    assert_int_equal(s_toks[x].type, CB_JSON_OBJECT);
    v = cb_json_get(doc, s_toks, n, x, "k");
    assert_int_equal(doc[s_toks[v].start], '1');
    assert_int_equal(cb_json_get(doc, s_toks, n, 0, "missing"), -1);
    assert_int_equal(cb_json_get(doc, s_toks, n, 0, ""), -1);
    assert_int_equal(cb_json_get(doc, s_toks, n, 0, "ar"), -1);
    assert_int_equal(cb_json_get(doc, s_toks, n, 0, "arrr"), -1);
    int arr = cb_json_get(doc, s_toks, n, 0, "arr");
    assert_int_equal(cb_json_get(doc, s_toks, n, arr, "k"), -1); /* not an object */
    assert_int_equal(cb_json_get(doc, s_toks, n, -1, "k"), -1);
    assert_int_equal(cb_json_get(doc, s_toks, n, n, "k"), -1);
}

/* ---- strings ---- */

static void test_json_unescape_decodes_shared_vectors(void **state)
{
    static vec_file_t v;
    char out[256];
    (void)state;
    int n = vec_load(&v, CB_VECTORS_DIR, "json-strings.json");
    assert_true(n >= 5);
    for (int i = 0; i < n; i++) {
        size_t jl = 0, tl = 0, ol = 99;
        const char *json = vec_get(&v.cases[i], "json", &jl);
        const char *text = vec_get(&v.cases[i], "text", &tl);
        assert_non_null(json);
        assert_non_null(text);
        assert_true(jl >= 2 && json[0] == '"' && json[jl - 1] == '"');
        if (cb_json_unescape(json + 1, jl - 2, out, sizeof out, &ol) != CB_OK)
            fail_msg("vector %d %s not decoded", i, json);
        assert_int_equal(ol, tl);
        assert_memory_equal(out, text, tl);
        assert_true(cb_utf8_valid(out, ol));
    }
}

static void test_json_unescape_rejects_shared_invalid_vectors(void **state)
{
    static vec_file_t v;
    char out[256];
    (void)state;
    int n = vec_load(&v, CB_VECTORS_DIR, "json-strings-invalid.json");
    assert_true(n >= 5);
    for (int i = 0; i < n; i++) {
        size_t jl = 0, ol = 0;
        const char *json = vec_get(&v.cases[i], "json", &jl);
        assert_non_null(json);
        assert_true(jl >= 2);
        if (cb_json_unescape(json + 1, jl - 2, out, sizeof out, &ol) != CB_ERR_INVAL)
            fail_msg("vector %d %s accepted", i, json);
    }
}

static void expect_unescape(const char *raw, size_t rl, const char *want, size_t wl)
{
    char out[64];
    size_t ol = 999;
    int rc = cb_json_unescape(raw, rl, out, sizeof out, &ol);
    if (rc != CB_OK)
        fail_msg("%s: rc %d", raw, rc);
    assert_int_equal(ol, wl);
    assert_memory_equal(out, want, wl);
}

#define UNESC_OK(raw, want) expect_unescape(raw, sizeof(raw) - 1, want, sizeof(want) - 1)

static void test_json_unescape_decodes_every_escape(void **state)
{
    (void)state;
    UNESC_OK("", "");
    UNESC_OK("plain", "plain");
    UNESC_OK("\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t");
    UNESC_OK("\\u0041\\u00e9\\u00E9", "A\xc3\xa9\xc3\xa9");
    UNESC_OK("\\u20ac", "\xe2\x82\xac");
    UNESC_OK("\\uffff", "\xef\xbf\xbf");
    UNESC_OK("\\u0001", "\x01");
    UNESC_OK("\\ud83d\\ude9a", "\xf0\x9f\x9a\x9a");
    UNESC_OK("\\uD800\\uDC00", "\xf0\x90\x80\x80");   /* U+10000 */
    UNESC_OK("\\uDBFF\\uDFFF", "\xf4\x8f\xbf\xbf");   /* U+10FFFF */
    UNESC_OK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* raw U+10FFFF */
    UNESC_OK("a\\u0062c", "abc");
}

static void test_json_unescape_rejects_bad_input(void **state)
{
    static const struct {
        const char *raw;
        size_t len;
    } bad[] = {
        {"\\", 1},
        {"\\x41", 4},
        {"\\U0041", 6},
        {"\\u004", 5},
        {"\\u12G4", 6},
        {"\\u0000", 6},
        {"\\ud83d", 6},
        {"\\ud83dx", 7},
        {"\\ud83d\\u0041", 12},
        {"\\ud83d\\ud83d", 12},
        {"\\ude00", 6},
        {"\\ude00\\ud83d", 12},
        {"\xc0\x80", 2},         /* overlong NUL */
        {"\xc1\xbf", 2},         /* overlong */
        {"\xe0\x80\xaf", 3},     /* overlong '/' */
        {"\xed\xa0\x80", 3},     /* raw surrogate */
        {"\xf4\x90\x80\x80", 4}, /* over U+10FFFF */
        {"\xf5\x80\x80\x80", 4},
        {"\xc3", 1},     /* truncated */
        {"\xe2\x82", 2}, /* truncated */
        {"\x80", 1},     /* lone continuation */
        {"\xc3\x28", 2}, /* bad continuation */
        {"\xff", 1},
        {"a\nb", 3}, /* raw control byte */
        {"a\0b", 3}, /* raw NUL */
        {"a\"b", 3}, /* raw quote */
    };
    char out[64];
    size_t ol;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cb_json_unescape(bad[i].raw, bad[i].len, out, sizeof out, &ol) != CB_ERR_INVAL)
            fail_msg("case %zu accepted", i);
}

static void test_json_unescape_never_writes_past_cap(void **state)
{
    char out[8];
    size_t ol;
    (void)state;
    memset(out, 'Z', sizeof out);
    assert_int_equal(cb_json_unescape("abcdef", 6, out, 5, &ol), CB_ERR_NOMEM);
    assert_int_equal(out[5], 'Z');
    assert_int_equal(cb_json_unescape("abcd\\u00e9", 10, out, 5, &ol), CB_ERR_NOMEM);
    assert_int_equal(out[5], 'Z');
    assert_int_equal(cb_json_unescape("abcd\\u00e9", 10, out, 6, &ol), CB_OK);
    assert_int_equal(ol, 6);
    assert_int_equal(cb_json_unescape("\\ud83d\\ude9a", 12, out, 3, &ol), CB_ERR_NOMEM);
    assert_int_equal(cb_json_unescape("", 0, NULL, 0, &ol), CB_OK);
    assert_int_equal(ol, 0);
}

static void test_json_utf8_valid_follows_rfc3629(void **state)
{
    (void)state;
    assert_true(cb_utf8_valid("", 0));
    assert_true(cb_utf8_valid("ascii", 5));
    assert_true(cb_utf8_valid("\xc3\xb1\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    assert_true(cb_utf8_valid("\xed\x9f\xbf", 3)); /* U+D7FF */
    assert_true(cb_utf8_valid("\xee\x80\x80", 3)); /* U+E000 */
    assert_true(cb_utf8_valid("a\0b", 3));         /* NUL is valid UTF-8 */
    assert_false(cb_utf8_valid("\xc3", 1));
    assert_false(cb_utf8_valid("\xc3\xb1", 1)); /* length is respected */
    assert_false(cb_utf8_valid("\xed\xbf\xbf", 3));
    assert_false(cb_utf8_valid("\xf0\x8f\xbf\xbf", 4));
    assert_false(cb_utf8_valid("\xf8\x88\x80\x80\x80", 5));
    assert_false(cb_utf8_valid("\xfe", 1));
    assert_false(cb_utf8_valid("ab\x80", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_accepts_valid_documents),
        cmocka_unit_test(test_json_rejects_invalid_documents),
        cmocka_unit_test(test_json_rejects_nul_even_after_a_complete_object),
        cmocka_unit_test(test_json_reason_names_the_problem),
        cmocka_unit_test(test_json_accepts_depth_16_rejects_17),
        cmocka_unit_test(test_json_token_budget_is_exact),
        cmocka_unit_test(test_json_budget_outranks_a_repeat_and_a_nul_outranks_both),
        cmocka_unit_test(test_json_many_distinct_keys_are_not_repeats),
        cmocka_unit_test(test_json_tokens_have_parents_and_sizes),
        cmocka_unit_test(test_json_get_finds_only_direct_members),
        cmocka_unit_test(test_json_unescape_decodes_shared_vectors),
        cmocka_unit_test(test_json_unescape_rejects_shared_invalid_vectors),
        cmocka_unit_test(test_json_unescape_decodes_every_escape),
        cmocka_unit_test(test_json_unescape_rejects_bad_input),
        cmocka_unit_test(test_json_unescape_never_writes_past_cap),
        cmocka_unit_test(test_json_utf8_valid_follows_rfc3629),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
