/* test_auth_sig.c - unit tests for cb_auth_sig: the shared signature vectors
 * (bodies parsed with cb_event_parse) and the header rules of SPEC 3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_auth_sig.h"
#include "cb_err.h"
#include "vec_reader.h"

#define SECRET "whsec-test"

static const cb_span_t ONE_SECRET[1] = {{SECRET, sizeof SECRET - 1}};
/* The headers "auto" allows before a V3 event is stored. */
#define BOTH (CB_SIG_V1 | CB_SIG_V3)

/* A hand-built event (NULL = absent field). */
static cb_event_t ev_make(const char *id, const char *type, const char *timestamp,
                          const char *client_id, const char *created_at, const char *sender,
                          const char *job_id)
{
    cb_event_t ev;
    ev.id = cb_span_str(id);
    ev.type = cb_span_str(type);
    ev.timestamp = cb_span_str(timestamp);
    ev.client_id = cb_span_str(client_id);
    ev.created_at = cb_span_str(created_at);
    ev.sender = cb_span_str(sender);
    ev.job_id = cb_span_str(job_id);
    ev.text = cb_span_str("hello");
    return ev;
}

static cb_event_t std_event(void)
{
    return ev_make("evt-1", "CHAT_MESSAGE", NULL, "acme", "2026-11-28T12:00:00.000Z", "SH",
                   "JOB-42");
}

/* Copies form into out with every '@' replaced by hex (format strings stay
 * literal under -Wformat=2). */
static void fill_form(char *out, size_t cap, const char *form, const char *hex)
{
    size_t o = 0, hl = strlen(hex);
    for (const char *f = form; *f && o + hl + 1 < cap; f++) {
        if (*f == '@') {
            memcpy(out + o, hex, hl);
            o += hl;
        } else {
            out[o++] = *f;
        }
    }
    out[o] = '\0';
}

static int check(const cb_event_t *ev, const char *v1, const char *v3)
{
    return cb_auth_sig_check(ev, cb_span_str(v1), cb_span_str(v3), BOTH, ONE_SECRET, 1, NULL);
}

static void test_sig_vectors_give_expected_result(void **state)
{
    (void)state;
    static vec_file_t v;
    static cb_json_tok_t toks[CB_CFG_JSON_MAX_TOKENS];
    int n = vec_load(&v, CB_VECTORS_DIR, "signatures.json");
    assert_true(n >= 11);
    for (int i = 0; i < n; i++) {
        const vec_case_t *c = &v.cases[i];
        size_t body_len = 0, secret_len = 0, value_len = 0;
        const char *name = vec_get(c, "name", NULL);
        const char *body = vec_get(c, "body", &body_len);
        const char *secret = vec_get(c, "secret", &secret_len);
        const char *header = vec_get(c, "header", NULL);
        const char *value = vec_get(c, "value", &value_len);
        const char *expect = vec_get(c, "expect", NULL);
        assert_non_null(body);
        assert_non_null(secret);
        assert_non_null(header);
        assert_non_null(value);
        assert_non_null(expect);

        cb_event_t ev;
        const char *bad = NULL, *why = NULL;
        static char copy[CB_CFG_BODY_MAX]; /* decoded in place */
        assert_true(body_len <= sizeof copy);
        memcpy(copy, body, body_len);
        int r = cb_event_parse(copy, body_len, &ev, toks, &bad, &why);
        if (r != CB_OK)
            fail_msg("%s: body does not parse: %s %s", name, bad ? bad : "", why ? why : "");

        bool is_v3 = strcmp(header, "InstaLeap-Signature-V3") == 0;
        assert_true(is_v3 || strcmp(header, "InstaLeap-Signature") == 0);
        cb_span_t val = cb_span(value, value_len);
        cb_span_t sec = cb_span(secret, secret_len);
        r = cb_auth_sig_check(&ev, is_v3 ? CB_SPAN_NONE : val, is_v3 ? val : CB_SPAN_NONE, BOTH,
                              &sec, 1, NULL);
        int want = strcmp(expect, "valid") == 0 ? CB_OK : CB_ERR_AUTH_INVALID;
        if (r != want)
            fail_msg("%s: got %d, want %d (%s)", name, r, want, expect);

        /* the same header with the right secret among two also gives it */
        cb_span_t two[2] = {cb_span_str("some-other-secret"), sec};
        assert_int_equal(cb_auth_sig_check(&ev, is_v3 ? CB_SPAN_NONE : val,
                                           is_v3 ? val : CB_SPAN_NONE, BOTH, two, 2, NULL),
                         want);
    }
}

static void test_sig_missing_when_neither_header_sent(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    cb_auth_sig_signed_t sg = {.scheme = 99};
    assert_int_equal(cb_auth_sig_check(&ev, CB_SPAN_NONE, CB_SPAN_NONE, BOTH, ONE_SECRET, 1, &sg),
                     CB_ERR_AUTH_MISSING);
    assert_int_equal(sg.scheme, 99); /* untouched */
}

static void test_sig_empty_header_values_count_as_not_sent(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v1[65];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], v1);
    assert_int_equal(check(&ev, "", NULL), CB_ERR_AUTH_MISSING);
    assert_int_equal(check(&ev, " \t", "  "), CB_ERR_AUTH_MISSING);
    assert_int_equal(check(&ev, v1, ""), CB_OK); /* empty V3: the V1 header is checked */
}

static void test_sig_v1_valid_and_outputs_created_at(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v1[65];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], v1);
    assert_int_equal(strlen(v1), 64);
    cb_auth_sig_signed_t sg;
    assert_int_equal(
        cb_auth_sig_check(&ev, cb_span_str(v1), CB_SPAN_NONE, BOTH, ONE_SECRET, 1, &sg), CB_OK);
    assert_int_equal(sg.scheme, CB_SIG_V1);
    assert_ptr_equal(sg.ts.p, ev.created_at.p);
    assert_int_equal(sg.ts.len, ev.created_at.len);
    assert_string_equal(sg.ts_field, "created_at");
    /* the signed tuple: id, created_at, type */
    assert_int_equal(sg.ntuple, 3);
    assert_ptr_equal(sg.tuple[0].p, ev.id.p);
    assert_ptr_equal(sg.tuple[1].p, ev.created_at.p);
    assert_ptr_equal(sg.tuple[2].p, ev.type.p);
}

static void test_sig_v1_accepts_surrounding_whitespace_and_uppercase(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v1[65], hdr[80];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], v1);
    for (int i = 0; i < 64; i++)
        if (v1[i] >= 'a' && v1[i] <= 'f')
            v1[i] = (char)(v1[i] - 'a' + 'A');
    snprintf(hdr, sizeof hdr, " %s\t", v1);
    assert_int_equal(check(&ev, hdr, NULL), CB_OK);
}

static void test_sig_v3_header_checked_when_both_present(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v1[65], v3[65], hdr[160], bad_v3[160];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], v1);
    cb_auth_sig_v3(&ev, cb_span_str("1764331200"), ONE_SECRET[0], v3);
    snprintf(hdr, sizeof hdr, "t=1764331200,v3=%s", v3);
    snprintf(bad_v3, sizeof bad_v3, "t=1764331201,v3=%s", v3);
    assert_int_equal(check(&ev, v1, NULL), CB_OK);
    assert_int_equal(check(&ev, v1, bad_v3), CB_ERR_AUTH_INVALID); /* V1 valid, V3 wrong */
    assert_int_equal(check(&ev, "00", hdr), CB_OK);                /* V1 wrong, V3 valid */
    assert_int_equal(check(&ev, NULL, hdr), CB_OK);
}

static void test_sig_rotation_accepts_either_secret(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    const cb_span_t secrets[2] = {cb_span_str("current"), cb_span_str("next")};
    char a[65], b[65], c[65];
    cb_auth_sig_v1(&ev, secrets[0], a);
    cb_auth_sig_v1(&ev, secrets[1], b);
    cb_auth_sig_v1(&ev, cb_span_str("retired"), c);
    assert_int_equal(cb_auth_sig_check(&ev, cb_span_str(a), CB_SPAN_NONE, BOTH, secrets, 2, NULL),
                     CB_OK);
    assert_int_equal(cb_auth_sig_check(&ev, cb_span_str(b), CB_SPAN_NONE, BOTH, secrets, 2, NULL),
                     CB_OK);
    assert_int_equal(cb_auth_sig_check(&ev, cb_span_str(c), CB_SPAN_NONE, BOTH, secrets, 2, NULL),
                     CB_ERR_AUTH_INVALID);
    /* only the current one configured: the next one's signature fails */
    assert_int_equal(cb_auth_sig_check(&ev, cb_span_str(b), CB_SPAN_NONE, BOTH, secrets, 1, NULL),
                     CB_ERR_AUTH_INVALID);
}

static void test_sig_empty_or_no_secret_never_matches(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    const cb_span_t empties[2] = {cb_span("", 0), CB_SPAN_NONE};
    char hex[65];
    cb_auth_sig_v1(&ev, cb_span("", 0), hex); /* what anyone can compute */
    assert_int_equal(cb_auth_sig_check(&ev, cb_span_str(hex), CB_SPAN_NONE, BOTH, empties, 2, NULL),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_sig_check(&ev, cb_span_str(hex), CB_SPAN_NONE, BOTH, NULL, 0, NULL),
                     CB_ERR_AUTH_INVALID);
}

/* Finds an event id whose V1 signature starts with two zero digits. */
static cb_event_t event_with_leading_zeros(char *id, size_t idcap, char hex[65])
{
    for (unsigned i = 0; i < 100000; i++) {
        snprintf(id, idcap, "evt-%u", i);
        cb_event_t ev = std_event();
        ev.id = cb_span_str(id);
        cb_auth_sig_v1(&ev, ONE_SECRET[0], hex);
        if (hex[0] == '0' && hex[1] == '0')
            return ev;
    }
    fail_msg("no id found with a 00 signature");
    return std_event();
}

static void test_sig_short_hex_is_left_padded_with_zeros(void **state)
{
    (void)state;
    char id[32], hex[65];
    cb_event_t ev = event_with_leading_zeros(id, sizeof id, hex);
    assert_int_equal(check(&ev, hex, NULL), CB_OK);
    assert_int_equal(check(&ev, hex + 1, NULL), CB_OK);               /* Java dropped one zero */
    assert_int_equal(check(&ev, hex + 2, NULL), CB_OK);               /* ... or two */
    assert_int_equal(check(&ev, hex + 3, NULL), CB_ERR_AUTH_INVALID); /* a real digit gone */
    /* the last digit dropped is not the same as a leading zero dropped */
    char cut[65];
    memcpy(cut, hex, 63);
    cut[63] = '\0';
    assert_int_equal(check(&ev, cut, NULL), CB_ERR_AUTH_INVALID);
}

static void test_sig_more_than_64_digits_is_invalid(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v1[65], longer[80];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], v1);
    snprintf(longer, sizeof longer, "0%s", v1);
    assert_int_equal(check(&ev, longer, NULL), CB_ERR_AUTH_INVALID);
    snprintf(longer, sizeof longer, "%s0", v1);
    assert_int_equal(check(&ev, longer, NULL), CB_ERR_AUTH_INVALID);
}

static void test_sig_non_hex_digit_is_invalid(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v1[65], bad[80];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], v1);
    const char subst[] = {'g', 'G', ' ', '-', 'x', '\0', (char)0xff};
    for (size_t k = 0; k < sizeof subst; k++) {
        memcpy(bad, v1, 65);
        bad[10] = subst[k];
        assert_int_equal(
            cb_auth_sig_check(&ev, cb_span(bad, 64), CB_SPAN_NONE, BOTH, ONE_SECRET, 1, NULL),
            CB_ERR_AUTH_INVALID);
    }
    snprintf(bad, sizeof bad, "sha256=%s", v1);
    assert_int_equal(check(&ev, bad, NULL), CB_ERR_AUTH_INVALID);
    snprintf(bad, sizeof bad, "0x%s", v1 + 2);
    assert_int_equal(check(&ev, bad, NULL), CB_ERR_AUTH_INVALID);
}

static void test_sig_v3_item_order_and_spaces_are_lenient(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v3[65], hdr[200];
    cb_auth_sig_v3(&ev, cb_span_str("2026-11-28T12:00:00Z"), ONE_SECRET[0], v3);
    const char *forms[] = {"t=2026-11-28T12:00:00Z,v3=@", "v3=@,t=2026-11-28T12:00:00Z",
                           " t = 2026-11-28T12:00:00Z ,\tv3= @ ", "T=2026-11-28T12:00:00Z,V3=@",
                           "t=2026-11-28T12:00:00Z,v0=ignored,v3=@"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        fill_form(hdr, sizeof hdr, forms[i], v3);
        if (check(&ev, NULL, hdr) != CB_OK)
            fail_msg("form %zu rejected: %s", i, hdr);
    }
}

static void test_sig_v3_malformed_headers_are_invalid(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v3[65], hdr[300];
    cb_auth_sig_v3(&ev, cb_span_str("123"), ONE_SECRET[0], v3);
    fill_form(hdr, sizeof hdr, "t=123,v3=@", v3);
    assert_int_equal(check(&ev, NULL, hdr), CB_OK); /* the control */
    const char *forms[] = {
        "t=123,t=123,v3=@", /* repeated t */
        "t=123,v3=@,v3=@",  /* repeated v3 */
        "t=,v3=@",          /* empty t */
        "t=123,v3=",        /* empty v3 */
        "t=123",            /* no v3 */
        "t=123,v3=@,",      /* trailing comma */
        ",t=123,v3=@",      /* leading comma */
        "t=123,,v3=@",      /* empty item */
        "t=123,junk,v3=@",  /* item without '=' */
        "t=123;v3=@",       /* wrong separator */
        "t=124,v3=@",       /* other timestamp */
        "t=123,v3=@0",      /* 65 digits */
        "t=123,v3=@z",      /* non-hex */
        "=123,v3=@",        /* empty key */
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        fill_form(hdr, sizeof hdr, forms[i], v3);
        if (check(&ev, NULL, hdr) != CB_ERR_AUTH_INVALID)
            fail_msg("form %zu accepted: %s", i, hdr);
    }
}

static void test_sig_v3_t_header_wins_over_payload_timestamp(void **state)
{
    (void)state;
    cb_event_t ev =
        ev_make(NULL, NULL, "1764331200000", "acme", "2026-11-28T12:00:00.000Z", "SUP", "JOB-7");
    char v3[65], hdr[120];
    cb_auth_sig_signed_t sg;
    cb_auth_sig_v3(&ev, cb_span_str("999"), ONE_SECRET[0], v3);
    snprintf(hdr, sizeof hdr, "t=999,v3=%s", v3);
    assert_int_equal(
        cb_auth_sig_check(&ev, CB_SPAN_NONE, cb_span_str(hdr), BOTH, ONE_SECRET, 1, &sg), CB_OK);
    assert_int_equal(sg.scheme, CB_SIG_V3);
    assert_true(cb_span_eq(sg.ts, "999"));
    assert_ptr_equal(sg.ts.p, hdr + 2); /* points into the header value */
    assert_string_equal(sg.ts_field, "t");
    /* the signed tuple: the timestamp, client_id, sender, job_id */
    assert_int_equal(sg.ntuple, 4);
    assert_ptr_equal(sg.tuple[0].p, hdr + 2);
    assert_ptr_equal(sg.tuple[1].p, ev.client_id.p);
    assert_ptr_equal(sg.tuple[2].p, ev.sender.p);
    assert_ptr_equal(sg.tuple[3].p, ev.job_id.p);
    /* the same hex bare would need the payload's timestamp: invalid */
    assert_int_equal(check(&ev, NULL, v3), CB_ERR_AUTH_INVALID);
}

static void test_sig_v3_bare_hex_uses_timestamp_else_created_at(void **state)
{
    (void)state;
    cb_event_t with_ts =
        ev_make(NULL, NULL, "1764331200000", "acme", "2026-11-28T12:00:00Z", "SUP", "JOB-7");
    cb_event_t without = with_ts;
    without.timestamp = CB_SPAN_NONE;
    char a[65], b[65], hdr[80];
    cb_auth_sig_signed_t sg;
    cb_auth_sig_v3(&with_ts, with_ts.timestamp, ONE_SECRET[0], a);
    cb_auth_sig_v3(&without, without.created_at, ONE_SECRET[0], b);

    assert_int_equal(
        cb_auth_sig_check(&with_ts, CB_SPAN_NONE, cb_span_str(a), BOTH, ONE_SECRET, 1, &sg), CB_OK);
    assert_ptr_equal(sg.ts.p, with_ts.timestamp.p);
    assert_string_equal(sg.ts_field, "timestamp");
    assert_int_equal(check(&with_ts, NULL, b), CB_ERR_AUTH_INVALID);

    assert_int_equal(
        cb_auth_sig_check(&without, CB_SPAN_NONE, cb_span_str(b), BOTH, ONE_SECRET, 1, &sg), CB_OK);
    assert_ptr_equal(sg.ts.p, without.created_at.p);
    assert_string_equal(sg.ts_field, "created_at");

    /* "v3=<hex>" without t behaves as bare hex */
    snprintf(hdr, sizeof hdr, "v3=%s", b);
    assert_int_equal(check(&without, NULL, hdr), CB_OK);
}

static void test_sig_v3_signs_sender_and_job_id(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v3[65], hdr[120];
    cb_auth_sig_v3(&ev, cb_span_str("5"), ONE_SECRET[0], v3);
    snprintf(hdr, sizeof hdr, "t=5,v3=%s", v3);
    cb_event_t other = ev;
    other.job_id = cb_span_str("JOB-43");
    assert_int_equal(check(&other, NULL, hdr), CB_ERR_AUTH_INVALID);
    other = ev;
    other.sender = cb_span_str("SUP");
    assert_int_equal(check(&other, NULL, hdr), CB_ERR_AUTH_INVALID);
    other = ev;
    other.client_id = CB_SPAN_NONE; /* absent signs as "": differs from "acme" */
    assert_int_equal(check(&other, NULL, hdr), CB_ERR_AUTH_INVALID);
    other = ev;
    other.text = cb_span_str("changed text"); /* not signed */
    assert_int_equal(check(&other, NULL, hdr), CB_OK);
}

static void test_sig_absent_fields_sign_as_empty_strings(void **state)
{
    (void)state;
    cb_event_t ev = ev_make(NULL, NULL, NULL, NULL, "2021-08-05T00:54:27.918Z", "SH", "string");
    cb_event_t empty = ev;
    empty.id = cb_span("", 0);
    empty.type = cb_span("", 0);
    char a[65], b[65];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], a);
    cb_auth_sig_v1(&empty, ONE_SECRET[0], b);
    assert_string_equal(a, b);
    assert_int_equal(check(&empty, a, NULL), CB_OK);
}

static void test_sig_outputs_are_absent_on_failure(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    cb_auth_sig_signed_t sg = {.scheme = 99};
    assert_int_equal(
        cb_auth_sig_check(&ev, CB_SPAN_NONE, cb_span_str("t=1,v3=00"), BOTH, ONE_SECRET, 1, &sg),
        CB_ERR_AUTH_INVALID);
    assert_int_equal(sg.scheme, 99); /* untouched */
}

/* The prepared-key cache holds two secrets: many secrets in turn, and one
 * longer than the cache keeps, must all still give the right answer. */
static void test_sig_many_secrets_in_turn_all_verify(void **state)
{
    (void)state;
    static const char *const secrets[] = {"s-one", "s-two", "s-three", "s-one", "s-four"};
    char longer[300];
    memset(longer, 'k', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    cb_event_t ev = std_event();
    char hex[65];
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i <= sizeof secrets / sizeof secrets[0]; i++) {
            const char *sec = i < sizeof secrets / sizeof secrets[0] ? secrets[i] : longer;
            cb_span_t one = cb_span_str(sec);
            cb_auth_sig_v3(&ev, ev.created_at, one, hex);
            assert_int_equal(
                cb_auth_sig_check(&ev, CB_SPAN_NONE, cb_span_str(hex), BOTH, &one, 1, NULL), CB_OK);
            cb_span_t other = cb_span_str("not-it");
            assert_int_equal(
                cb_auth_sig_check(&ev, CB_SPAN_NONE, cb_span_str(hex), BOTH, &other, 1, NULL),
                CB_ERR_AUTH_INVALID);
        }
    }
}

/* SPEC 3: a signed field holding '&' is refused even when the HMAC over the
 * joined string matches; '&' in a field the scheme does not sign is fine. */
static void test_sig_ampersand_in_any_signed_field_is_invalid(void **state)
{
    (void)state;
    static const char *const amps[] = {"&x", "x&y", "x&", "&"};
    for (size_t a = 0; a < sizeof amps / sizeof amps[0]; a++) {
        /* V1: id, created_at, type */
        for (int f = 0; f < 3; f++) {
            cb_event_t ev = std_event();
            cb_span_t *field = f == 0 ? &ev.id : f == 1 ? &ev.created_at : &ev.type;
            *field = cb_span_str(amps[a]);
            char hex[65];
            cb_auth_sig_v1(&ev, ONE_SECRET[0], hex);
            if (check(&ev, hex, NULL) != CB_ERR_AUTH_INVALID)
                fail_msg("V1 field %d = \"%s\" verified", f, amps[a]);
        }
        /* V3: the t= timestamp, client_id, sender, job_id */
        for (int f = 0; f < 4; f++) {
            cb_event_t ev = std_event();
            cb_span_t ts = cb_span_str("2026-11-28T12:00:00.000Z");
            if (f == 0)
                ts = cb_span_str(amps[a]);
            else
                *(f == 1 ? &ev.client_id : f == 2 ? &ev.sender : &ev.job_id) = cb_span_str(amps[a]);
            char hex[65], hdr[160];
            cb_auth_sig_v3(&ev, ts, ONE_SECRET[0], hex);
            snprintf(hdr, sizeof hdr, "t=%.*s,v3=%s", (int)ts.len, ts.p, hex);
            if (check(&ev, NULL, hdr) != CB_ERR_AUTH_INVALID)
                fail_msg("V3 field %d = \"%s\" verified", f, amps[a]);
        }
        /* V3 bare hex: the timestamp field it falls back to */
        cb_event_t ev = std_event();
        ev.timestamp = cb_span_str(amps[a]);
        char hex[65];
        cb_auth_sig_v3(&ev, ev.timestamp, ONE_SECRET[0], hex);
        assert_int_equal(check(&ev, NULL, hex), CB_ERR_AUTH_INVALID);
    }
    /* unsigned fields may hold '&': V1 does not sign job_id, V3 does not sign id */
    cb_event_t ev = std_event();
    ev.job_id = cb_span_str("JOB&42");
    ev.text = cb_span_str("fish & chips");
    char hex[65], hdr[160];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], hex);
    assert_int_equal(check(&ev, hex, NULL), CB_OK);
    ev = std_event();
    ev.id = cb_span_str("evt&1");
    cb_auth_sig_v3(&ev, cb_span_str("5"), ONE_SECRET[0], hex);
    snprintf(hdr, sizeof hdr, "t=5,v3=%s", hex);
    assert_int_equal(check(&ev, NULL, hdr), CB_OK);
}

/* allow says which headers may verify: a header that is not allowed is a
 * refused downgrade (invalid), never skipped in favour of nothing. */
static void test_sig_allow_picks_the_header_and_refuses_the_other(void **state)
{
    (void)state;
    cb_event_t ev = std_event();
    char v1[65], v3[65];
    cb_auth_sig_v1(&ev, ONE_SECRET[0], v1);
    cb_auth_sig_v3(&ev, ev.created_at, ONE_SECRET[0], v3);
    cb_span_t h1 = cb_span_str(v1), h3 = cb_span_str(v3), none = CB_SPAN_NONE;
    cb_auth_sig_signed_t sg;
    /* V3 only */
    assert_int_equal(cb_auth_sig_check(&ev, h1, none, CB_SIG_V3, ONE_SECRET, 1, &sg),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_sig_check(&ev, h1, h3, CB_SIG_V3, ONE_SECRET, 1, &sg), CB_OK);
    assert_int_equal(sg.scheme, CB_SIG_V3);
    assert_int_equal(cb_auth_sig_check(&ev, none, none, CB_SIG_V3, ONE_SECRET, 1, &sg),
                     CB_ERR_AUTH_MISSING);
    /* V1 only: the V3 header is not looked at, even when it is the valid one */
    assert_int_equal(cb_auth_sig_check(&ev, none, h3, CB_SIG_V1, ONE_SECRET, 1, &sg),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_sig_check(&ev, h1, cb_span_str("junk"), CB_SIG_V1, ONE_SECRET, 1, &sg),
                     CB_OK);
    assert_int_equal(sg.scheme, CB_SIG_V1);
    /* both allowed: V3 wins when sent, a bad V3 is not rescued by a good V1 */
    assert_int_equal(cb_auth_sig_check(&ev, h1, h3, BOTH, ONE_SECRET, 1, &sg), CB_OK);
    assert_int_equal(sg.scheme, CB_SIG_V3);
    assert_int_equal(cb_auth_sig_check(&ev, h1, cb_span_str("junk"), BOTH, ONE_SECRET, 1, &sg),
                     CB_ERR_AUTH_INVALID);
    assert_int_equal(cb_auth_sig_check(&ev, h1, none, BOTH, ONE_SECRET, 1, &sg), CB_OK);
    assert_int_equal(sg.scheme, CB_SIG_V1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sig_vectors_give_expected_result),
        cmocka_unit_test(test_sig_many_secrets_in_turn_all_verify),
        cmocka_unit_test(test_sig_missing_when_neither_header_sent),
        cmocka_unit_test(test_sig_empty_header_values_count_as_not_sent),
        cmocka_unit_test(test_sig_v1_valid_and_outputs_created_at),
        cmocka_unit_test(test_sig_v1_accepts_surrounding_whitespace_and_uppercase),
        cmocka_unit_test(test_sig_v3_header_checked_when_both_present),
        cmocka_unit_test(test_sig_rotation_accepts_either_secret),
        cmocka_unit_test(test_sig_empty_or_no_secret_never_matches),
        cmocka_unit_test(test_sig_short_hex_is_left_padded_with_zeros),
        cmocka_unit_test(test_sig_more_than_64_digits_is_invalid),
        cmocka_unit_test(test_sig_non_hex_digit_is_invalid),
        cmocka_unit_test(test_sig_v3_item_order_and_spaces_are_lenient),
        cmocka_unit_test(test_sig_v3_malformed_headers_are_invalid),
        cmocka_unit_test(test_sig_v3_t_header_wins_over_payload_timestamp),
        cmocka_unit_test(test_sig_v3_bare_hex_uses_timestamp_else_created_at),
        cmocka_unit_test(test_sig_v3_signs_sender_and_job_id),
        cmocka_unit_test(test_sig_absent_fields_sign_as_empty_strings),
        cmocka_unit_test(test_sig_outputs_are_absent_on_failure),
        cmocka_unit_test(test_sig_ampersand_in_any_signed_field_is_invalid),
        cmocka_unit_test(test_sig_allow_picks_the_header_and_refuses_the_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
