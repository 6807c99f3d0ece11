/* cb_form.c - client credentials of POST /auth/token from urlencoded,
 * multipart/form-data, JSON or HTTP Basic (cb_form.h); called by the server
 * in dynamic-token mode. Every scan is bounded by (ptr, len). */
#include "cb_form.h"
#include "cb_base64.h"
#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_hex.h"
#include "cb_json.h"

#define VALUE_MAX (CB_CFG_SECRET_MAX - 1)

enum { FIELD_NONE, FIELD_ID, FIELD_SECRET };

static struct {
    uint8_t basic[2 * CB_CFG_SECRET_MAX]; /* "id:secret" decoded */
} s_form;

static int fail(cb_form_creds_t *out, int err, const char **why, const char *sentence)
{
    cb_zeroize(out, sizeof *out);
    if (why)
        *why = sentence;
    return err;
}

static void reset(cb_form_creds_t *out, const char **why)
{
    cb_zeroize(out, sizeof *out);
    if (why)
        *why = NULL;
}

/* Both fields present and non-empty, or CB_ERR_AUTH_MISSING. */
static int finish(cb_form_creds_t *out, const char **why)
{
    if (!out->has_id || out->id_len == 0)
        return fail(out, CB_ERR_AUTH_MISSING, why, "the client id is missing");
    if (!out->has_secret || out->secret_len == 0)
        return fail(out, CB_ERR_AUTH_MISSING, why, "the client secret is missing");
    return CB_OK;
}

static int field_of(cb_span_t name, const cb_form_fields_t *f)
{
    if (f->id_field && cb_span_eq(name, f->id_field))
        return FIELD_ID;
    if (f->secret_field && cb_span_eq(name, f->secret_field))
        return FIELD_SECRET;
    return FIELD_NONE;
}

/* The buffer of a field; CB_ERR_INVAL when it was already given. */
static int claim(cb_form_creds_t *out, int which, char **buf, size_t **len)
{
    bool *has = which == FIELD_ID ? &out->has_id : &out->has_secret;
    if (*has)
        return CB_ERR_INVAL;
    *has = true;
    *buf = which == FIELD_ID ? out->id : out->secret;
    *len = which == FIELD_ID ? &out->id_len : &out->secret_len;
    return CB_OK;
}

/* Stores a decoded value of n bytes already in its buffer: no NUL inside. */
static int seal(char *buf, size_t n, size_t *len)
{
    if (memchr(buf, '\0', n))
        return CB_ERR_INVAL;
    buf[n] = '\0';
    *len = n;
    return CB_OK;
}

/* Copies a raw value into a field. */
static int put_raw(cb_form_creds_t *out, int which, const char *v, size_t n)
{
    char *buf;
    size_t *len;
    if (claim(out, which, &buf, &len) != CB_OK)
        return CB_ERR_INVAL;
    if (n > VALUE_MAX)
        return CB_ERR_TOO_LARGE;
    memcpy(buf, v, n);
    return seal(buf, n, len);
}

static int put_error(cb_form_creds_t *out, int r, const char **why)
{
    if (r == CB_ERR_TOO_LARGE)
        return fail(out, r, why, "a credential is longer than allowed");
    return fail(out, CB_ERR_INVAL, why, "a credential is given twice or holds a NUL byte");
}

/* ---- application/x-www-form-urlencoded ---- */

/* Percent-decodes ('+' as space) into dst, writing at most cap bytes;
 * *n gets the full decoded length. CB_ERR_INVAL on a bad escape (checked to
 * the end even past cap), else CB_ERR_TOO_LARGE when over cap, else CB_OK. */
static int pct_decode(const char *src, size_t len, char *dst, size_t cap, size_t *n)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)src[i];
        if (src[i] == '+') {
            b = ' ';
        } else if (src[i] == '%') {
            if (len - i < 3 || cb_hex_decode(src + i + 1, 2, &b, 1) != CB_OK)
                return CB_ERR_INVAL;
            i += 2;
        }
        if (o < cap)
            dst[o] = (char)b;
        o++;
    }
    *n = o;
    return o > cap ? CB_ERR_TOO_LARGE : CB_OK;
}

int cb_form_parse_urlencoded(const char *body, size_t len, const cb_form_fields_t *fields,
                             cb_form_creds_t *out, const char **why)
{
    char name[CB_CFG_STR_MAX];
    reset(out, why);
    if (!body && len)
        return fail(out, CB_ERR_INVAL, why, "no body");
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t j = amp ? (size_t)(amp - body) : len;
        const char *pair = body + i;
        size_t plen = j - i;
        i = j + 1;
        if (plen == 0)
            continue;
        const char *eq = memchr(pair, '=', plen);
        size_t nlen_raw = eq ? (size_t)(eq - pair) : plen;
        const char *val = eq ? eq + 1 : pair + plen;
        size_t vlen = eq ? plen - nlen_raw - 1 : 0;

        size_t nlen;
        int r = pct_decode(pair, nlen_raw, name, sizeof name - 1, &nlen);
        if (r == CB_ERR_INVAL)
            return fail(out, r, why, "a form field has a bad percent-escape");
        int which = r == CB_OK ? field_of(cb_span(name, nlen), fields) : FIELD_NONE;
        if (which == FIELD_NONE) {
            size_t ignored;
            if (pct_decode(val, vlen, NULL, 0, &ignored) == CB_ERR_INVAL)
                return fail(out, CB_ERR_INVAL, why, "a form field has a bad percent-escape");
            continue;
        }
        char *buf;
        size_t *blen, n;
        if (claim(out, which, &buf, &blen) != CB_OK)
            return put_error(out, CB_ERR_INVAL, why);
        r = pct_decode(val, vlen, buf, VALUE_MAX, &n);
        if (r == CB_ERR_INVAL)
            return fail(out, r, why, "a form field has a bad percent-escape");
        if (r == CB_OK)
            r = seal(buf, n, blen);
        if (r != CB_OK)
            return put_error(out, r, why);
    }
    cb_zeroize(name, sizeof name);
    return finish(out, why);
}

/* ---- header parameters (RFC 9110 section 5.6.6), for Content-Type and
 * Content-Disposition ---- */

static bool is_tchar(char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The value before the first ';' (trimmed) and the rest from that ';'. */
static cb_span_t head_value(cb_span_t v, cb_span_t *rest)
{
    if (!v.p) {
        *rest = CB_SPAN_NONE;
        return CB_SPAN_NONE;
    }
    const char *semi = v.len ? memchr(v.p, ';', v.len) : NULL;
    size_t n = semi ? (size_t)(semi - v.p) : v.len;
    *rest = cb_span(v.p + n, v.len - n);
    return cb_span_trim(cb_span(v.p, n));
}

/* Next "; name=value" of *rest: 1 with name and the raw value (a token, or a
 * quoted-string with its quotes), 0 at the end, CB_ERR_INVAL when malformed. */
static int next_param(cb_span_t *rest, cb_span_t *name, cb_span_t *raw)
{
    const char *p = rest->p;
    size_t n = rest->len, i = 0;
    while (i < n && is_ows(p[i]))
        i++;
    if (i == n)
        return 0;
    if (p[i] != ';')
        return CB_ERR_INVAL;
    i++;
    while (i < n && is_ows(p[i]))
        i++;
    if (i == n) { /* a trailing ';' is tolerated */
        *rest = cb_span(p + n, 0);
        return 0;
    }
    size_t s = i;
    while (i < n && is_tchar(p[i]))
        i++;
    *name = cb_span(p + s, i - s);
    while (i < n && is_ows(p[i]))
        i++;
    if (name->len == 0 || i == n || p[i] != '=')
        return CB_ERR_INVAL;
    i++;
    while (i < n && is_ows(p[i]))
        i++;
    s = i;
    if (i < n && p[i] == '"') {
        for (i++;; i++) {
            if (i >= n)
                return CB_ERR_INVAL; /* unterminated */
            unsigned char c = (unsigned char)p[i];
            if (c == '"')
                break;
            if (c == '\\') {
                if (++i >= n)
                    return CB_ERR_INVAL;
                c = (unsigned char)p[i];
            }
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return CB_ERR_INVAL;
        }
        i++;
    } else {
        while (i < n && is_tchar(p[i]))
            i++;
        if (i == s)
            return CB_ERR_INVAL;
    }
    *raw = cb_span(p + s, i - s);
    *rest = cb_span(p + i, n - i);
    return 1;
}

/* A parameter's value without quotes and backslashes into dst (at most cap
 * bytes); CB_ERR_TOO_LARGE when longer. raw was checked by next_param. */
static int param_value(cb_span_t raw, char *dst, size_t cap, size_t *n)
{
    size_t o = 0;
    if (raw.len && raw.p[0] == '"') {
        for (size_t i = 1; i + 1 < raw.len; i++) {
            if (raw.p[i] == '\\')
                i++;
            if (o == cap)
                return CB_ERR_TOO_LARGE;
            dst[o++] = raw.p[i];
        }
    } else {
        if (raw.len > cap)
            return CB_ERR_TOO_LARGE;
        memcpy(dst, raw.p, raw.len);
        o = raw.len;
    }
    *n = o;
    return CB_OK;
}

/* ---- multipart/form-data ---- */

/* RFC 2046 bchars */
static bool is_bchar(char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && memchr("'()+_,-./:=? ", c, 13) != NULL;
}

static int boundary_of(cb_span_t content_type, char *b, size_t *blen, const char **msg)
{
    cb_span_t rest, name, raw;
    bool found = false;
    int r;
    cb_span_t type = head_value(content_type, &rest);
    if (!cb_span_ieq(type, "multipart/form-data")) {
        *msg = "the content type is not multipart/form-data";
        return CB_ERR_INVAL;
    }
    while ((r = next_param(&rest, &name, &raw)) == 1) {
        if (!cb_span_ieq(name, "boundary"))
            continue;
        if (found) {
            *msg = "the multipart boundary is given twice";
            return CB_ERR_INVAL;
        }
        found = true;
        if (param_value(raw, b, CB_FORM_BOUNDARY_MAX, blen) != CB_OK) {
            *msg = "the multipart boundary is longer than 70 characters";
            return CB_ERR_INVAL;
        }
    }
    if (r < 0) {
        *msg = "the content type parameters are malformed";
        return CB_ERR_INVAL;
    }
    if (!found || *blen == 0) {
        *msg = "the multipart boundary is missing";
        return CB_ERR_INVAL;
    }
    for (size_t i = 0; i < *blen; i++)
        if (!is_bchar(b[i])) {
            *msg = "the multipart boundary has a character RFC 2046 does not allow";
            return CB_ERR_INVAL;
        }
    if (b[*blen - 1] == ' ') {
        *msg = "the multipart boundary ends with a space";
        return CB_ERR_INVAL;
    }
    return CB_OK;
}

typedef struct {
    const char *body;
    size_t len;
    const char *b; /* boundary */
    size_t blen;
} mp_t;

/* True if a delimiter line starts at i: "--" boundary, then "--" (close:
 * *close set) or transport padding and CRLF. *next: just after it. */
static bool delim_at(const mp_t *m, size_t i, size_t *next, bool *close)
{
    if (m->len - i < 2 + m->blen || m->body[i] != '-' || m->body[i + 1] != '-' ||
        memcmp(m->body + i + 2, m->b, m->blen) != 0)
        return false;
    i += 2 + m->blen;
    if (m->len - i >= 2 && m->body[i] == '-' && m->body[i + 1] == '-') {
        *close = true;
        *next = i + 2;
        return true;
    }
    while (i < m->len && is_ows(m->body[i]))
        i++;
    if (m->len - i >= 2 && m->body[i] == '\r' && m->body[i + 1] == '\n') {
        *close = false;
        *next = i + 2;
        return true;
    }
    return false;
}

/* Position of the next CRLF-delimiter at or after from (the CR's index). */
static bool find_delim(const mp_t *m, size_t from, size_t *at, size_t *next, bool *close)
{
    for (size_t i = from; i + 2 <= m->len;) {
        const char *cr = memchr(m->body + i, '\r', m->len - i);
        if (!cr)
            return false;
        i = (size_t)(cr - m->body);
        if (i + 1 < m->len && m->body[i + 1] == '\n' && delim_at(m, i + 2, next, close)) {
            *at = i;
            return true;
        }
        i++;
    }
    return false;
}

/* Reads a part's header lines from *pos to the empty line; *which gets the
 * credential field its Content-Disposition names (FIELD_NONE if another). */
static int part_headers(const mp_t *m, size_t *pos, const cb_form_fields_t *fields, int *which,
                        const char **msg)
{
    bool disposition = false;
    char name[CB_CFG_STR_MAX];
    *which = FIELD_NONE;
    for (;;) {
        size_t s = *pos, e = s;
        while (e < m->len && m->body[e] != '\r' && m->body[e] != '\n' && m->body[e] != '\0')
            e++;
        if (e + 1 >= m->len || m->body[e] != '\r' || m->body[e + 1] != '\n') {
            *msg = e >= m->len ? "a multipart part ends inside its headers"
                               : "a multipart header line does not end in CRLF";
            return CB_ERR_INVAL;
        }
        *pos = e + 2;
        if (e == s)
            return CB_OK; /* the empty line */
        cb_span_t line = cb_span(m->body + s, e - s);
        if (is_ows(line.p[0])) {
            *msg = "a multipart header line is folded";
            return CB_ERR_INVAL;
        }
        const char *colon = memchr(line.p, ':', line.len);
        if (!colon) {
            *msg = "a multipart header line has no colon";
            return CB_ERR_INVAL;
        }
        cb_span_t hname = cb_span(line.p, (size_t)(colon - line.p));
        if (!cb_span_ieq(hname, "Content-Disposition"))
            continue;
        if (disposition) {
            *msg = "a multipart part has two Content-Disposition headers";
            return CB_ERR_INVAL;
        }
        disposition = true;
        cb_span_t rest, pname, raw;
        cb_span_t value = cb_span(colon + 1, line.len - (size_t)(colon - line.p) - 1);
        cb_span_t type = head_value(value, &rest);
        bool named = false;
        int r;
        while ((r = next_param(&rest, &pname, &raw)) == 1) {
            if (!cb_span_ieq(pname, "name"))
                continue;
            size_t n;
            if (named) {
                *msg = "a multipart part is named twice";
                return CB_ERR_INVAL;
            }
            named = true;
            if (param_value(raw, name, sizeof name - 1, &n) == CB_OK &&
                cb_span_ieq(type, "form-data"))
                *which = field_of(cb_span(name, n), fields);
        }
        if (r < 0) {
            *msg = "a multipart Content-Disposition is malformed";
            return CB_ERR_INVAL;
        }
    }
}

int cb_form_parse_multipart(cb_span_t content_type, const char *body, size_t len,
                            const cb_form_fields_t *fields, cb_form_creds_t *out, const char **why)
{
    char b[CB_FORM_BOUNDARY_MAX];
    const char *msg = NULL;
    mp_t m = {body, len, b, 0};
    size_t pos, at;
    bool close = false;

    reset(out, why);
    if (boundary_of(content_type, b, &m.blen, &msg) != CB_OK)
        return fail(out, CB_ERR_INVAL, why, msg);
    if (!body)
        return fail(out, CB_ERR_INVAL, why, "the multipart body is empty");
    /* the first delimiter opens the body, or follows a preamble and CRLF */
    if (!delim_at(&m, 0, &pos, &close) && !find_delim(&m, 0, &at, &pos, &close))
        return fail(out, CB_ERR_INVAL, why, "the multipart body has no delimiter");
    while (!close) {
        int which;
        if (part_headers(&m, &pos, fields, &which, &msg) != CB_OK)
            return fail(out, CB_ERR_INVAL, why, msg);
        size_t start = pos;
        if (!find_delim(&m, start, &at, &pos, &close))
            return fail(out, CB_ERR_INVAL, why,
                        "a multipart part is cut short (no delimiter after it)");
        if (which != FIELD_NONE) {
            int r = put_raw(out, which, body + start, at - start);
            if (r != CB_OK)
                return put_error(out, r, why);
        }
    }
    return finish(out, why);
}

/* ---- JSON ---- */

static int json_field(const char *body, int ntoks, int which, const char *key, cb_form_creds_t *out,
                      const char **why)
{
    if (!key)
        return CB_OK;
    const cb_json_tok_t *toks = cb_json_scratch();
    int i = cb_json_get(body, toks, ntoks, 0, key);
    if (i < 0)
        return CB_OK;
    if (toks[i].type != CB_JSON_STRING)
        return fail(out, CB_ERR_INVAL, why, "a credential in the JSON body is not a string");
    char *buf;
    size_t *blen;
    if (claim(out, which, &buf, &blen) != CB_OK)
        return put_error(out, CB_ERR_INVAL, why);
    const cb_json_tok_t *t = &toks[i];
    int r = cb_json_unescape(body + t->start, (size_t)(t->end - t->start), buf, VALUE_MAX, blen);
    if (r == CB_ERR_NOMEM)
        return put_error(out, CB_ERR_TOO_LARGE, why);
    if (r != CB_OK)
        return fail(out, CB_ERR_INVAL, why, "a credential in the JSON body is not valid text");
    buf[*blen] = '\0';
    return CB_OK;
}

int cb_form_parse_json(const char *body, size_t len, const cb_form_fields_t *fields,
                       cb_form_creds_t *out, const char **why)
{
    const char *jwhy = NULL;
    reset(out, why);
    if (!body)
        return fail(out, CB_ERR_INVAL, why, "the JSON body is empty");
    int n = cb_json_parse(body, len, cb_json_scratch(), CB_CFG_JSON_MAX_TOKENS, &jwhy);
    if (n < 1 || cb_json_scratch()[0].type != CB_JSON_OBJECT)
        return fail(out, CB_ERR_INVAL, why, jwhy ? jwhy : "the body is not one JSON object");
    int r = json_field(body, n, FIELD_ID, fields->id_field, out, why);
    if (r == CB_OK)
        r = json_field(body, n, FIELD_SECRET, fields->secret_field, out, why);
    return r == CB_OK ? finish(out, why) : r;
}

/* ---- HTTP Basic ---- */

/* True if v's scheme (the word before the first space) is Basic; *cred gets
 * the rest without leading spaces. */
static bool basic_scheme(cb_span_t v, cb_span_t *cred)
{
    v = cb_span_trim(v);
    if (!v.p)
        return false;
    size_t i = 0;
    while (i < v.len && v.p[i] != ' ' && v.p[i] != '\t')
        i++;
    if (!cb_span_ieq(cb_span(v.p, i), "Basic"))
        return false;
    *cred = cb_span_trim(cb_span(v.p + i, v.len - i));
    return true;
}

int cb_form_parse_basic(cb_span_t authorization, cb_form_creds_t *out, const char **why)
{
    cb_span_t cred;
    reset(out, why);
    if (!basic_scheme(authorization, &cred))
        return fail(out, CB_ERR_AUTH_MISSING, why, "no Basic credentials were sent");
    if (cred.len == 0)
        return fail(out, CB_ERR_AUTH_MISSING, why, "the Basic credentials are empty");
    int n = cb_base64_decode(cred.p, cred.len, false, s_form.basic, sizeof s_form.basic);
    if (n == CB_ERR_TOO_LARGE)
        return fail(out, n, why, "a credential is longer than allowed");
    if (n < 0)
        return fail(out, CB_ERR_INVAL, why, "the Basic credentials are not valid base64");
    const char *dec = (const char *)s_form.basic;
    const char *colon = memchr(dec, ':', (size_t)n);
    int r = CB_ERR_INVAL;
    if (!colon) {
        cb_zeroize(s_form.basic, sizeof s_form.basic);
        return fail(out, r, why, "the Basic credentials have no ':'");
    }
    size_t idl = (size_t)(colon - dec);
    r = put_raw(out, FIELD_ID, dec, idl);
    if (r == CB_OK)
        r = put_raw(out, FIELD_SECRET, colon + 1, (size_t)n - idl - 1);
    cb_zeroize(s_form.basic, sizeof s_form.basic);
    if (r != CB_OK)
        return put_error(out, r, why);
    return finish(out, why);
}

/* ---- dispatch ---- */

int cb_form_credentials(cb_span_t content_type, cb_span_t authorization, const char *body,
                        size_t len, const cb_form_fields_t *fields, cb_form_creds_t *out,
                        const char **why)
{
    cb_span_t cred, rest;
    if (basic_scheme(authorization, &cred))
        return cb_form_parse_basic(authorization, out, why);
    cb_span_t type = head_value(cb_span_trim(content_type), &rest);
    if (!content_type.p || type.len == 0) {
        reset(out, why);
        if (len == 0)
            return fail(out, CB_ERR_AUTH_MISSING, why, "no client credentials were sent");
        return fail(out, CB_ERR_INVAL, why, "the body has no content type");
    }
    if (cb_span_ieq(type, "application/x-www-form-urlencoded"))
        return cb_form_parse_urlencoded(body, len, fields, out, why);
    if (cb_span_ieq(type, "multipart/form-data"))
        return cb_form_parse_multipart(content_type, body, len, fields, out, why);
    if (cb_span_ieq(type, "application/json"))
        return cb_form_parse_json(body, len, fields, out, why);
    reset(out, why);
    return fail(out, CB_ERR_INVAL, why,
                "the content type is not form, multipart or JSON (or Basic auth)");
}
