/* test_form.c - unit tests for cb_form: client credentials of a token
 * request from urlencoded, multipart/form-data, JSON and HTTP Basic,
 * including hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_config.h"
#include "cb_err.h"
#include "cb_form.h"

#include <stdio.h>
#include <string.h>

static const cb_form_fields_t F = {"client_id", "client_secret"};
static cb_form_creds_t c;

#define CT_MP "multipart/form-data; boundary=XyZ"

static void expect_creds(const char *id, const char *secret)
{
    assert_true(c.has_id);
    assert_true(c.has_secret);
    assert_int_equal(c.id_len, strlen(id));
    assert_int_equal(c.secret_len, strlen(secret));
    assert_memory_equal(c.id, id, c.id_len);
    assert_memory_equal(c.secret, secret, c.secret_len);
    assert_int_equal(c.id[c.id_len], '\0');
    assert_int_equal(c.secret[c.secret_len], '\0');
}

static void expect_wiped(void)
{
    static const cb_form_creds_t zero;
    assert_memory_equal(&c, &zero, sizeof c);
}

static int url(const char *body)
{
    const char *why = NULL;
    int r = cb_form_parse_urlencoded(body, strlen(body), &F, &c, &why);
    if (r != CB_OK)
        assert_non_null(why);
    return r;
}

static int mp_ct(const char *ct, const char *body)
{
    const char *why = NULL;
    int r = cb_form_parse_multipart(cb_span_str(ct), body, strlen(body), &F, &c, &why);
    if (r != CB_OK) {
        assert_non_null(why);
        expect_wiped();
    }
    return r;
}

static int mp(const char *body)
{
    return mp_ct(CT_MP, body);
}

static int json(const char *body)
{
    const char *why = NULL;
    int r = cb_form_parse_json(body, strlen(body), &F, &c, &why);
    if (r != CB_OK)
        assert_non_null(why);
    return r;
}

static int basic(const char *hdr)
{
    const char *why = NULL;
    int r = cb_form_parse_basic(cb_span_str(hdr), &c, &why);
    if (r != CB_OK)
        assert_non_null(why);
    return r;
}

/* ---- urlencoded ---- */

static void test_form_urlencoded_reads_both_fields(void **state)
{
    (void)state;
    assert_int_equal(url("client_id=acme&client_secret=s3cr3t"), CB_OK);
    expect_creds("acme", "s3cr3t");
}

static void test_form_urlencoded_decodes_percent_and_plus(void **state)
{
    (void)state;
    assert_int_equal(url("client_id=a%20c+m%2be&client_secret=%7E%21%C3%A9%3D%26"), CB_OK);
    expect_creds("a c m+e", "~!\xc3\xa9=&");
    assert_int_equal(url("client%5Fid=x&client_secre%74=y"), CB_OK); /* encoded names */
    expect_creds("x", "y");
}

static void test_form_urlencoded_ignores_other_fields_and_empty_pairs(void **state)
{
    (void)state;
    assert_int_equal(url("&grant_type=client_credentials&&client_secret=y&scope&client_id=x&=z&"),
                     CB_OK);
    expect_creds("x", "y");
}

static void test_form_urlencoded_rejects_bad_percent_escapes(void **state)
{
    (void)state;
    assert_int_equal(url("client_id=%zz&client_secret=y"), CB_ERR_INVAL);
    expect_wiped();
    assert_int_equal(url("client_id=x&client_secret=y%4"), CB_ERR_INVAL);
    assert_int_equal(url("client_id=x&client_secret=y%"), CB_ERR_INVAL);
    /* an escape cut by len, whatever the bytes after it */
    const char *cut = "client_id=x&client_secret=y%41";
    assert_int_equal(cb_form_parse_urlencoded(cut, strlen(cut) - 1, &F, &c, NULL), CB_ERR_INVAL);
    assert_int_equal(cb_form_parse_urlencoded(cut, strlen(cut), &F, &c, NULL), CB_OK);
    assert_int_equal(url("client_id=x&client_secret=y&other=%g0"), CB_ERR_INVAL);
    assert_int_equal(url("client_id=x&client_secret=y&%x=1"), CB_ERR_INVAL);
}

static void test_form_urlencoded_rejects_repeated_field(void **state)
{
    (void)state;
    assert_int_equal(url("client_id=a&client_id=b&client_secret=c"), CB_ERR_INVAL);
    expect_wiped();
    assert_int_equal(url("client_id=a&client_secret=c&client%5fsecret=d"), CB_ERR_INVAL);
}

static void test_form_urlencoded_missing_or_empty_field_is_missing(void **state)
{
    (void)state;
    assert_int_equal(url("client_id=a"), CB_ERR_AUTH_MISSING);
    expect_wiped();
    assert_int_equal(url("client_id=a&client_secret="), CB_ERR_AUTH_MISSING);
    assert_int_equal(url("client_id=a&client_secret"), CB_ERR_AUTH_MISSING);
    assert_int_equal(url(""), CB_ERR_AUTH_MISSING);
    assert_int_equal(url("client_id=&client_secret=x"), CB_ERR_AUTH_MISSING);
}

static void test_form_urlencoded_rejects_oversize_credential(void **state)
{
    (void)state;
    static char body[4096];
    char val[CB_CFG_SECRET_MAX + 1];
    memset(val, 'v', sizeof val);
    val[CB_CFG_SECRET_MAX - 1] = '\0'; /* the most that fits */
    snprintf(body, sizeof body, "client_id=a&client_secret=%s", val);
    assert_int_equal(url(body), CB_OK);
    assert_int_equal(c.secret_len, CB_CFG_SECRET_MAX - 1);
    val[CB_CFG_SECRET_MAX - 1] = 'v';
    val[CB_CFG_SECRET_MAX] = '\0'; /* one more */
    snprintf(body, sizeof body, "client_id=a&client_secret=%s", val);
    assert_int_equal(url(body), CB_ERR_TOO_LARGE);
    expect_wiped();
    /* long through escapes: 3 input bytes per decoded byte */
    size_t o = (size_t)snprintf(body, sizeof body, "client_id=");
    for (int i = 0; i < CB_CFG_SECRET_MAX; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%%41");
    snprintf(body + o, sizeof body - o, "&client_secret=x");
    assert_int_equal(url(body), CB_ERR_TOO_LARGE);
    /* a long field that is not a credential is fine */
    o = (size_t)snprintf(body, sizeof body, "client_id=a&client_secret=b&junk=");
    memset(body + o, 'j', 3000);
    body[o + 3000] = '\0';
    assert_int_equal(url(body), CB_OK);
}

static void test_form_urlencoded_rejects_nul_in_value(void **state)
{
    (void)state;
    assert_int_equal(url("client_id=a&client_secret=b%00c"), CB_ERR_INVAL);
}

static void test_form_field_names_are_configurable(void **state)
{
    (void)state;
    const cb_form_fields_t other = {"user", "pass"};
    const char *body = "client_id=no&user=u1&pass=p1";
    assert_int_equal(cb_form_parse_urlencoded(body, strlen(body), &other, &c, NULL), CB_OK);
    expect_creds("u1", "p1");
    assert_int_equal(url(body), CB_ERR_AUTH_MISSING);
    /* names match exactly, case included */
    assert_int_equal(url("CLIENT_ID=x&client_secret=y"), CB_ERR_AUTH_MISSING);
    assert_int_equal(url("client_id=x&Client_Secret=y"), CB_ERR_AUTH_MISSING);
}

/* ---- multipart ---- */

static void test_form_multipart_reads_postman_style_body(void **state)
{
    (void)state;
    const char *ct = "multipart/form-data; boundary=--------------------------846240318951927263";
    const char *body = "----------------------------846240318951927263\r\n"
                       "Content-Disposition: form-data; name=\"client_id\"\r\n"
                       "\r\n"
                       "acme\r\n"
                       "----------------------------846240318951927263\r\n"
                       "Content-Disposition: form-data; name=\"client_secret\"\r\n"
                       "\r\n"
                       "s3cr3t\r\n"
                       "----------------------------846240318951927263--\r\n";
    assert_int_equal(mp_ct(ct, body), CB_OK);
    expect_creds("acme", "s3cr3t");
}

static void test_form_multipart_accepts_quoted_boundary_and_parameters(void **state)
{
    (void)state;
    const char *ct = "Multipart/Form-Data ; charset=utf-8;BOUNDARY=\"a'()+_,-./:=? b\" ;";
    const char *body = "--a'()+_,-./:=? b\r\n"
                       "content-disposition: form-data; name=client_id\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "\r\n"
                       "id\r\n"
                       "--a'()+_,-./:=? b\r\n"
                       "Content-Disposition: form-data ; filename=\"x;y.txt\"; "
                       "name=\"client\\_secret\"\r\n"
                       "\r\n"
                       "sec\r\n"
                       "--a'()+_,-./:=? b--";
    assert_int_equal(mp_ct(ct, body), CB_OK);
    expect_creds("id", "sec");
}

static void test_form_multipart_skips_preamble_epilogue_and_padding(void **state)
{
    (void)state;
    const char *body = "This is the preamble. --XyZ is not a delimiter here.\r\n"
                       "--XyZ \t\r\n"
                       "Content-Disposition: form-data; name=\"client_id\"\r\n\r\n"
                       "a\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"client_secret\"\r\n\r\n"
                       "b\r\n"
                       "--XyZ--  \r\nThis is the epilogue.\r\n--XyZ\r\ngarbage";
    assert_int_equal(mp(body), CB_OK);
    expect_creds("a", "b");
}

static void test_form_multipart_boundary_inside_data_is_content(void **state)
{
    (void)state;
    const char *body = "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"client_id\"\r\n\r\n"
                       "a--XyZ\r\n--XyZz\r\n--XyZ-x\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"client_secret\"\r\n\r\n"
                       "\r\nline\r\n\r\n"
                       "--XyZ--";
    assert_int_equal(mp(body), CB_OK);
    expect_creds("a--XyZ\r\n--XyZz\r\n--XyZ-x", "\r\nline\r\n");
}

static void test_form_multipart_ignores_other_parts_of_any_size(void **state)
{
    (void)state;
    static char body[12000];
    size_t o = (size_t)snprintf(body, sizeof body,
                                "--XyZ\r\n"
                                "Content-Disposition: form-data; name=\"file\"; "
                                "filename=\"big.bin\"\r\n"
                                "Content-Type: application/octet-stream\r\n\r\n");
    memset(body + o, 'B', 10000);
    o += 10000;
    snprintf(body + o, sizeof body - o,
             "\r\n--XyZ\r\n"
             "X-Other: 1\r\n\r\nno disposition\r\n"
             "--XyZ\r\n"
             "Content-Disposition: attachment; name=\"client_id\"\r\n\r\nnot form-data\r\n"
             "--XyZ\r\n"
             "Content-Disposition: form-data; name=\"client_id\"\r\n\r\nid\r\n"
             "--XyZ\r\n"
             "Content-Disposition: form-data; name=\"client_secret\"\r\n\r\nsec\r\n"
             "--XyZ--\r\n");
    assert_int_equal(mp(body), CB_OK);
    expect_creds("id", "sec");
}

static void test_form_multipart_rejects_missing_boundary(void **state)
{
    (void)state;
    const char *body = "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n"
                       "a\r\n--XyZ--";
    assert_int_equal(mp_ct("multipart/form-data", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=\"\"", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; charset=utf-8", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=\"XyZ", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=XyZ; boundary=XyZ", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/mixed; boundary=XyZ", body), CB_ERR_INVAL);
}

static void test_form_multipart_boundary_over_70_is_rejected(void **state)
{
    (void)state;
    char ct[200], body[600];
    char b[72];
    memset(b, 'b', 71);
    b[70] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", b);
    snprintf(body, sizeof body,
             "--%s\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
             "--%s\r\nContent-Disposition: form-data; name=client_secret\r\n\r\ns\r\n--%s--",
             b, b, b);
    assert_int_equal(mp_ct(ct, body), CB_OK); /* 70 fits */
    b[70] = 'b';
    b[71] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", b);
    snprintf(body, sizeof body,
             "--%s\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
             "--%s\r\nContent-Disposition: form-data; name=client_secret\r\n\r\ns\r\n--%s--",
             b, b, b);
    assert_int_equal(mp_ct(ct, body), CB_ERR_INVAL);
}

static void test_form_multipart_rejects_bad_boundary_characters(void **state)
{
    (void)state;
    const char *body = "--a b\r\n\r\n\r\n--a b--";
    /* a body that would match the trailing-space boundary */
    assert_int_equal(mp_ct("multipart/form-data; boundary=\"a b \"", "--a b \r\n\r\n\r\n--a b --"),
                     CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=\"a@b\"", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=\"a\\\"b\"", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=\"a\rb\"", body), CB_ERR_INVAL);
    assert_int_equal(mp_ct("multipart/form-data; boundary=\"a b\"", body), CB_ERR_AUTH_MISSING);
}

static void test_form_multipart_rejects_truncated_parts(void **state)
{
    (void)state;
    const char *cases[] = {
        "",
        "--XyZ",
        "--XyZ\r\n",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nabc",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nabc\r\n",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nabc\r\n--XyZ",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nabc\r\n--XyZ-",
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nabc\r\n--XyZ\r\n",
        "preamble only, no delimiter at all",
        "junk--XyZ\r\n\r\nabc",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (mp(cases[i]) != CB_ERR_INVAL)
            fail_msg("truncated case %zu accepted", i);
}

static void test_form_multipart_requires_crlf_lines(void **state)
{
    (void)state;
    assert_int_equal(mp("--XyZ\nContent-Disposition: form-data; name=client_id\n\na\n--XyZ--"),
                     CB_ERR_INVAL);
    assert_int_equal(
        mp("--XyZ\r\nContent-Disposition: form-data; name=client_id\n\r\na\r\n--XyZ--"),
        CB_ERR_INVAL);
    assert_int_equal(
        mp("--XyZ\r\nContent-Disposition: form-data;\r name=client_id\r\n\r\na\r\n--XyZ--"),
        CB_ERR_INVAL);
    /* a bare LF inside content is content */
    assert_int_equal(mp("--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\na\nb\r\n"
                        "--XyZ\r\nContent-Disposition: form-data; name=client_secret\r\n\r\nc\r\n"
                        "--XyZ--"),
                     CB_OK);
    expect_creds("a\nb", "c");
}

static void test_form_multipart_rejects_malformed_part_headers(void **state)
{
    (void)state;
    const char *cases[] = {
        /* no colon */
        "--XyZ\r\nContent-Disposition form-data; name=client_id\r\n\r\na\r\n--XyZ--",
        /* folded */
        "--XyZ\r\nContent-Disposition: form-data;\r\n name=client_id\r\n\r\na\r\n--XyZ--",
        "--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n X-Folded: yes\r\n\r\n"
        "a\r\n--XyZ--",
        /* two dispositions */
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; "
        "name=b\r\n\r\na\r\n--XyZ--",
        /* named twice */
        "--XyZ\r\nContent-Disposition: form-data; name=a; name=client_id\r\n\r\na\r\n--XyZ--",
        /* unterminated quoted name */
        "--XyZ\r\nContent-Disposition: form-data; name=\"client_id\r\n\r\na\r\n--XyZ--",
        /* parameter without value */
        "--XyZ\r\nContent-Disposition: form-data; name\r\n\r\na\r\n--XyZ--",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (mp(cases[i]) != CB_ERR_INVAL)
            fail_msg("malformed header case %zu accepted", i);
    /* a NUL byte in a header line */
    static const char nul[] = "--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n"
                              "X: \0\r\n\r\na\r\n--XyZ--";
    assert_int_equal(cb_form_parse_multipart(cb_span_str(CT_MP), nul, sizeof nul - 1, &F, &c, NULL),
                     CB_ERR_INVAL);
}

static void test_form_multipart_rejects_oversize_and_repeated_fields(void **state)
{
    (void)state;
    static char body[2048];
    char val[CB_CFG_SECRET_MAX + 1];
    memset(val, 's', CB_CFG_SECRET_MAX);
    val[CB_CFG_SECRET_MAX] = '\0';
    snprintf(body, sizeof body,
             "--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=client_secret\r\n\r\n%s\r\n--XyZ--",
             val);
    assert_int_equal(mp(body), CB_ERR_TOO_LARGE);
    val[CB_CFG_SECRET_MAX - 1] = '\0';
    snprintf(body, sizeof body,
             "--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=client_secret\r\n\r\n%s\r\n--XyZ--",
             val);
    assert_int_equal(mp(body), CB_OK);
    assert_int_equal(mp("--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
                        "--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\nj\r\n"
                        "--XyZ\r\nContent-Disposition: form-data; name=client_secret\r\n\r\ns\r\n"
                        "--XyZ--"),
                     CB_ERR_INVAL);
}

static void test_form_multipart_missing_field_is_missing(void **state)
{
    (void)state;
    assert_int_equal(mp("--XyZ--"), CB_ERR_AUTH_MISSING);
    assert_int_equal(mp("--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
                        "--XyZ--"),
                     CB_ERR_AUTH_MISSING);
    assert_int_equal(mp("--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
                        "--XyZ\r\nContent-Disposition: form-data; name=client_secret\r\n\r\n\r\n"
                        "--XyZ--"),
                     CB_ERR_AUTH_MISSING);
}

static void test_form_multipart_never_reads_past_len(void **state)
{
    (void)state;
    /* the buffer goes on with a valid ending that len excludes */
    const char *full = "--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\ni\r\n"
                       "--XyZ\r\nContent-Disposition: form-data; name=client_secret\r\n\r\ns\r\n"
                       "--XyZ--";
    size_t n = strlen(full);
    for (size_t cut = 0; cut < n - 1; cut++) {
        int r = cb_form_parse_multipart(cb_span_str(CT_MP), full, cut, &F, &c, NULL);
        if (r == CB_OK)
            fail_msg("accepted a body cut at %zu", cut);
    }
    assert_int_equal(cb_form_parse_multipart(cb_span_str(CT_MP), full, n, &F, &c, NULL), CB_OK);
}

/* ---- JSON ---- */

static void test_form_json_reads_strings_with_escapes(void **state)
{
    (void)state;
    assert_int_equal(json("{\"client_id\":\"acme\",\"x\":{\"client_id\":1},"
                          "\"client_secret\":\"s\\u00e9\\\"\\/\"}"),
                     CB_OK);
    expect_creds("acme", "s\xc3\xa9\"/");
}

static void test_form_json_rejects_wrong_types_and_bad_json(void **state)
{
    (void)state;
    assert_int_equal(json("{\"client_id\":\"a\",\"client_secret\":123}"), CB_ERR_INVAL);
    assert_int_equal(json("{\"client_id\":null,\"client_secret\":\"s\"}"), CB_ERR_INVAL);
    assert_int_equal(json("{\"client_id\":\"a\",\"client_secret\":\"s\"} x"), CB_ERR_INVAL);
    assert_int_equal(json("{\"client_id\":\"a\",\"client_id\":\"b\",\"client_secret\":\"s\"}"),
                     CB_ERR_INVAL);
    assert_int_equal(json("[\"client_id\"]"), CB_ERR_INVAL);
    assert_int_equal(json(""), CB_ERR_INVAL);
    assert_int_equal(json("{\"client_id\":\"a\\u0000\",\"client_secret\":\"s\"}"), CB_ERR_INVAL);
}

static void test_form_json_missing_field_is_missing(void **state)
{
    (void)state;
    assert_int_equal(json("{\"client_id\":\"a\"}"), CB_ERR_AUTH_MISSING);
    assert_int_equal(json("{\"nested\":{\"client_id\":\"a\",\"client_secret\":\"b\"}}"),
                     CB_ERR_AUTH_MISSING);
    assert_int_equal(json("{\"client_id\":\"a\",\"client_secret\":\"\"}"), CB_ERR_AUTH_MISSING);
}

static void test_form_json_rejects_oversize_credential(void **state)
{
    (void)state;
    static char body[1024];
    char val[CB_CFG_SECRET_MAX + 1];
    memset(val, 'x', CB_CFG_SECRET_MAX);
    val[CB_CFG_SECRET_MAX] = '\0';
    snprintf(body, sizeof body, "{\"client_id\":\"a\",\"client_secret\":\"%s\"}", val);
    assert_int_equal(json(body), CB_ERR_TOO_LARGE);
    val[CB_CFG_SECRET_MAX - 1] = '\0';
    snprintf(body, sizeof body, "{\"client_id\":\"a\",\"client_secret\":\"%s\"}", val);
    assert_int_equal(json(body), CB_OK);
}

/* ---- Basic ---- */

static void test_form_basic_decodes_id_and_secret(void **state)
{
    (void)state;
    assert_int_equal(basic("Basic YWNtZTpzM2NyM3Q="), CB_OK); /* acme:s3cr3t */
    expect_creds("acme", "s3cr3t");
    assert_int_equal(basic("  basic    YWNtZTpzM2NyM3Q  "), CB_OK); /* padding optional */
    expect_creds("acme", "s3cr3t");
    assert_int_equal(basic("Basic YWNtZTphOmI6"), CB_OK); /* acme:a:b: split at the first */
    expect_creds("acme", "a:b:");
}

static void test_form_basic_rejects_bad_base64_and_missing_colon(void **state)
{
    (void)state;
    assert_int_equal(basic("Basic !!!!"), CB_ERR_INVAL);
    expect_wiped();
    assert_int_equal(basic("Basic YWNtZQ=="), CB_ERR_INVAL);          /* "acme" */
    assert_int_equal(basic("Basic YWNtZTpz M2NyM3Q="), CB_ERR_INVAL); /* inner space */
    assert_int_equal(basic("Basic YWNtZTpzM2NyM3Q=="), CB_ERR_INVAL);
    assert_int_equal(basic("Basic YWNtZTpzM2NyM3R="), CB_ERR_INVAL); /* non-canonical */
    assert_int_equal(basic("Basic YQ"), CB_ERR_INVAL);               /* "a" */
    assert_int_equal(basic("Basic YWNtZTpzAGM="), CB_ERR_INVAL);     /* acme:s\0c */
}

static void test_form_basic_empty_parts_or_other_scheme_are_missing(void **state)
{
    (void)state;
    assert_int_equal(basic("Basic Og=="), CB_ERR_AUTH_MISSING);     /* ":" */
    assert_int_equal(basic("Basic YWNtZTo="), CB_ERR_AUTH_MISSING); /* "acme:" */
    assert_int_equal(basic("Basic OnNlYw=="), CB_ERR_AUTH_MISSING); /* ":sec" */
    assert_int_equal(basic("Basic "), CB_ERR_AUTH_MISSING);
    assert_int_equal(basic("Bearer YWNtZTpzM2NyM3Q="), CB_ERR_AUTH_MISSING);
    assert_int_equal(basic("BasicYWNtZTpzM2NyM3Q="), CB_ERR_AUTH_MISSING);
    assert_int_equal(cb_form_parse_basic(CB_SPAN_NONE, &c, NULL), CB_ERR_AUTH_MISSING);
}

static void test_form_basic_rejects_oversize_credentials(void **state)
{
    (void)state;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char hdr[1024] = "Basic ";
    /* 2 * SECRET_MAX decoded bytes fit the buffer but no single field */
    char plain[CB_CFG_SECRET_MAX + 8];
    memset(plain, 'p', sizeof plain);
    plain[0] = 'i';
    plain[1] = ':';
    size_t n = sizeof plain, o = 6;
    for (size_t i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)plain[i] << 16 | (uint32_t)(uint8_t)plain[i + 1] << 8 |
                     (uint8_t)plain[i + 2];
        hdr[o++] = b64[v >> 18];
        hdr[o++] = b64[(v >> 12) & 63];
        hdr[o++] = b64[(v >> 6) & 63];
        hdr[o++] = b64[v & 63];
    }
    hdr[o] = '\0';
    assert_int_equal(basic(hdr), CB_ERR_TOO_LARGE);
    /* far more than the decode buffer */
    memset(hdr + 6, 'A', 900);
    hdr[906] = '\0';
    assert_int_equal(basic(hdr), CB_ERR_TOO_LARGE);
}

/* ---- dispatch ---- */

static int creds(const char *ct, const char *auth, const char *body)
{
    return cb_form_credentials(cb_span_str(ct), cb_span_str(auth), body, body ? strlen(body) : 0,
                               &F, &c, NULL);
}

static void test_form_credentials_chooses_by_content_type(void **state)
{
    (void)state;
    assert_int_equal(creds("application/x-www-form-urlencoded; charset=UTF-8", NULL,
                           "client_id=u&client_secret=s"),
                     CB_OK);
    expect_creds("u", "s");
    assert_int_equal(creds("APPLICATION/JSON;charset=utf-8", NULL,
                           "{\"client_id\":\"j\",\"client_secret\":\"s\"}"),
                     CB_OK);
    expect_creds("j", "s");
    assert_int_equal(creds(CT_MP, NULL,
                           "--XyZ\r\nContent-Disposition: form-data; name=client_id\r\n\r\nm\r\n"
                           "--XyZ\r\nContent-Disposition: form-data; name=client_secret\r\n\r\n"
                           "s\r\n--XyZ--"),
                     CB_OK);
    expect_creds("m", "s");
}

static void test_form_credentials_basic_wins_over_body(void **state)
{
    (void)state;
    assert_int_equal(creds("application/x-www-form-urlencoded", "Basic YWNtZTpzM2NyM3Q=",
                           "grant_type=client_credentials&client_id=x&client_secret=y"),
                     CB_OK);
    expect_creds("acme", "s3cr3t");
    assert_int_equal(creds(NULL, "Basic YWNtZTpzM2NyM3Q=", NULL), CB_OK);
    /* a malformed Basic header does not fall back to the body */
    assert_int_equal(
        creds("application/x-www-form-urlencoded", "Basic ***", "client_id=x&client_secret=y"),
        CB_ERR_INVAL);
    /* another scheme is ignored */
    assert_int_equal(
        creds("application/x-www-form-urlencoded", "Bearer abc", "client_id=x&client_secret=y"),
        CB_OK);
    expect_creds("x", "y");
}

static void test_form_credentials_rejects_other_content_types(void **state)
{
    (void)state;
    assert_int_equal(creds("text/plain", NULL, "client_id=x&client_secret=y"), CB_ERR_INVAL);
    assert_int_equal(creds("application/x-www-form-urlencodedX", NULL, "client_id=x"),
                     CB_ERR_INVAL);
    assert_int_equal(creds(NULL, NULL, "client_id=x&client_secret=y"), CB_ERR_INVAL);
    assert_int_equal(creds(NULL, NULL, NULL), CB_ERR_AUTH_MISSING);
    assert_int_equal(creds("", NULL, ""), CB_ERR_AUTH_MISSING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_urlencoded_reads_both_fields),
        cmocka_unit_test(test_form_urlencoded_decodes_percent_and_plus),
        cmocka_unit_test(test_form_urlencoded_ignores_other_fields_and_empty_pairs),
        cmocka_unit_test(test_form_urlencoded_rejects_bad_percent_escapes),
        cmocka_unit_test(test_form_urlencoded_rejects_repeated_field),
        cmocka_unit_test(test_form_urlencoded_missing_or_empty_field_is_missing),
        cmocka_unit_test(test_form_urlencoded_rejects_oversize_credential),
        cmocka_unit_test(test_form_urlencoded_rejects_nul_in_value),
        cmocka_unit_test(test_form_field_names_are_configurable),
        cmocka_unit_test(test_form_multipart_reads_postman_style_body),
        cmocka_unit_test(test_form_multipart_accepts_quoted_boundary_and_parameters),
        cmocka_unit_test(test_form_multipart_skips_preamble_epilogue_and_padding),
        cmocka_unit_test(test_form_multipart_boundary_inside_data_is_content),
        cmocka_unit_test(test_form_multipart_ignores_other_parts_of_any_size),
        cmocka_unit_test(test_form_multipart_rejects_missing_boundary),
        cmocka_unit_test(test_form_multipart_boundary_over_70_is_rejected),
        cmocka_unit_test(test_form_multipart_rejects_bad_boundary_characters),
        cmocka_unit_test(test_form_multipart_rejects_truncated_parts),
        cmocka_unit_test(test_form_multipart_requires_crlf_lines),
        cmocka_unit_test(test_form_multipart_rejects_malformed_part_headers),
        cmocka_unit_test(test_form_multipart_rejects_oversize_and_repeated_fields),
        cmocka_unit_test(test_form_multipart_missing_field_is_missing),
        cmocka_unit_test(test_form_multipart_never_reads_past_len),
        cmocka_unit_test(test_form_json_reads_strings_with_escapes),
        cmocka_unit_test(test_form_json_rejects_wrong_types_and_bad_json),
        cmocka_unit_test(test_form_json_missing_field_is_missing),
        cmocka_unit_test(test_form_json_rejects_oversize_credential),
        cmocka_unit_test(test_form_basic_decodes_id_and_secret),
        cmocka_unit_test(test_form_basic_rejects_bad_base64_and_missing_colon),
        cmocka_unit_test(test_form_basic_empty_parts_or_other_scheme_are_missing),
        cmocka_unit_test(test_form_basic_rejects_oversize_credentials),
        cmocka_unit_test(test_form_credentials_chooses_by_content_type),
        cmocka_unit_test(test_form_credentials_basic_wins_over_body),
        cmocka_unit_test(test_form_credentials_rejects_other_content_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
