/* fuzz_form.c - libFuzzer target over every credential parser: the token
 * endpoint's (cb_form: urlencoded, multipart, JSON, Basic, the dispatcher),
 * base64, the bearer token reader/verifier and the signature headers. Input: one selector byte,
 * the Content-Type up to '\n', the Authorization value up to '\n', then the
 * body. Each part is copied to its own exact-size buffer so a read past its
 * end is caught by ASan; results are checked against the header contracts. */
#include "cb_auth_sig.h"
#include "cb_auth_token.h"
#include "cb_base64.h"
#include "cb_err.h"
#include "cb_form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int r, const cb_form_creds_t *c)
{
    static const cb_form_creds_t zero;
    if (r == CB_OK) {
        if (!c->has_id || !c->has_secret || c->id_len == 0 || c->secret_len == 0 ||
            c->id_len >= CB_CFG_SECRET_MAX || c->secret_len >= CB_CFG_SECRET_MAX ||
            c->id[c->id_len] != '\0' || c->secret[c->secret_len] != '\0' ||
            memchr(c->id, '\0', c->id_len) || memchr(c->secret, '\0', c->secret_len))
            abort();
        return;
    }
    if (r != CB_ERR_AUTH_MISSING && r != CB_ERR_INVAL && r != CB_ERR_TOO_LARGE)
        abort();
    if (memcmp(c, &zero, sizeof *c) != 0)
        abort(); /* a failed parse leaves no credential behind */
}

/* The next part of the input up to '\n' (or the end), as a heap copy. */
static char *take(const uint8_t **p, size_t *left, size_t *len, int last)
{
    const uint8_t *nl = last ? NULL : memchr(*p, '\n', *left);
    size_t n = nl ? (size_t)(nl - *p) : *left;
    char *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, *p, n);
    *len = n;
    *p += n + (nl ? 1 : 0);
    *left -= n + (nl ? 1 : 0);
    return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cb_form_creds_t c;
    static uint8_t b64[4096];
    static const uint8_t key[CB_AUTH_TOKEN_KEY_LEN] = {1, 2, 3};
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *p = data + 1;
    size_t left = size - 1, ctl, authl, bodyl;
    char *ct = take(&p, &left, &ctl, 0);
    char *auth = take(&p, &left, &authl, 0);
    char *body = take(&p, &left, &bodyl, 1);
    const cb_form_fields_t fields = (sel & 1) ? (cb_form_fields_t){"user", "pass"}
                                              : (cb_form_fields_t){"client_id", "client_secret"};
    cb_span_t cts = (sel & 2) ? CB_SPAN_NONE : cb_span(ct, ctl);
    cb_span_t auths = (sel & 4) ? CB_SPAN_NONE : cb_span(auth, authl);
    const char *why;

    check(cb_form_credentials(cts, auths, body, bodyl, &fields, &c, &why), &c);
    check(cb_form_parse_urlencoded(body, bodyl, &fields, &c, &why), &c);
    check(cb_form_parse_multipart(cts, body, bodyl, &fields, &c, &why), &c);
    check(cb_form_parse_json(body, bodyl, &fields, &c, &why), &c);
    check(cb_form_parse_basic(auths, &c, &why), &c);

    for (int url = 0; url < 2; url++) {
        int n = cb_base64_decode(body, bodyl, url, b64, sizeof b64);
        if (n > (int)sizeof b64)
            abort();
        if (n >= 0) { /* canonical: encoding it again gives the input back */
            static char again[8192];
            int m = cb_base64_encode(b64, (size_t)n, url, again, sizeof again);
            if (m < 0)
                abort();
            /* the input may omit padding; compare without it */
            size_t bl = bodyl;
            while (bl && body[bl - 1] == '=')
                bl--;
            size_t ml = (size_t)m;
            while (ml && again[ml - 1] == '=')
                ml--;
            if (bl != ml || memcmp(body, again, bl) != 0)
                abort();
        }
    }

    cb_span_t tok;
    if (cb_auth_token_bearer(auths, &tok) == CB_OK &&
        (tok.p < auth || tok.p + tok.len > auth + authl || tok.len == 0))
        abort();
    int v = cb_auth_token_verify(cb_span(body, bodyl), key, cb_span(ct, ctl), auths, 1000, NULL);
    if (v != CB_ERR_AUTH_MISSING && v != CB_ERR_AUTH_INVALID)
        abort(); /* nobody forges a tag by chance */

    /* signature headers: Content-Type as V1, Authorization as V3 */
    const cb_event_t ev = {.client_id = cb_span_str("acme"),
                           .created_at = cb_span_str("2026"),
                           .sender = cb_span_str("SH"),
                           .job_id = cb_span_str("J")};
    const cb_span_t secrets[2] = {cb_span_str("s1"), cb_span_str("")};
    cb_auth_sig_signed_t sg = {.scheme = 99};
    int sr = cb_auth_sig_check(&ev, cts, auths, CB_SIG_V1 | CB_SIG_V3, secrets, 2, &sg);
    if (sr != CB_ERR_AUTH_MISSING && sr != CB_ERR_AUTH_INVALID)
        abort();
    if (sg.scheme != 99) /* untouched on failure */
        abort();

    free(ct);
    free(auth);
    free(body);
    return 0;
}
