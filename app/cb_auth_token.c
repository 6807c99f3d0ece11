/* cb_auth_token.c - device-signed bearer tokens and constant-time token
 * comparison (cb_auth_token.h); called by the server in static and dynamic
 * modes. */
#include "cb_auth_token.h"
#include "cb_base64.h"
#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_port.h"

#define BODY_LEN  17 /* version | expiry | nonce: what the tag covers */
#define NONCE_OFF 9

_Static_assert(BODY_LEN + CB_SHA256_LEN == CB_AUTH_TOKEN_RAW_LEN, "token layout");
_Static_assert(CB_BASE64_ENC_LEN(CB_AUTH_TOKEN_RAW_LEN, 1) == CB_AUTH_TOKEN_TEXT_LEN,
               "token text length");

static struct {
    uint8_t blind_key[32]; /* per-boot key for cb_auth_token_equal */
    bool blind_ready;
} s_auth_token;

/* The secret goes in as its hash: fixed length, so body | hash | client id
 * splits one way only. */
static void tag_of(const uint8_t key[CB_AUTH_TOKEN_KEY_LEN], const uint8_t body[BODY_LEN],
                   cb_span_t client_id, cb_span_t client_secret, uint8_t tag[CB_SHA256_LEN])
{
    uint8_t bound[CB_SHA256_LEN];
    cb_sha256(&client_secret, 1, bound);
    const cb_span_t parts[3] = {
        {(const char *)body, BODY_LEN}, {(const char *)bound, sizeof bound}, client_id};
    cb_hmac_sha256(key, CB_AUTH_TOKEN_KEY_LEN, parts, 3, tag);
    cb_zeroize(bound, sizeof bound);
}

int cb_auth_token_issue(const uint8_t key[CB_AUTH_TOKEN_KEY_LEN], cb_span_t client_id,
                        cb_span_t client_secret, uint64_t now_s, uint32_t ttl_s, char *out,
                        size_t cap, uint64_t *expiry_s)
{
    uint8_t raw[CB_AUTH_TOKEN_RAW_LEN];
    if (!out || cap < CB_AUTH_TOKEN_TEXT_CAP) {
        if (out && cap)
            out[0] = '\0';
        return CB_ERR_NOMEM;
    }
    out[0] = '\0';
    if (ttl_s == 0)
        return CB_ERR_INVAL;
    uint64_t exp = now_s > UINT64_MAX - ttl_s ? UINT64_MAX : now_s + ttl_s;
    raw[0] = CB_AUTH_TOKEN_VERSION;
    for (int i = 0; i < 8; i++)
        raw[1 + i] = (uint8_t)(exp >> (56 - 8 * i));
    if (cb_port_random(raw + NONCE_OFF, 8) != CB_OK)
        return CB_ERR_CRYPTO;
    tag_of(key, raw, client_id, client_secret, raw + BODY_LEN);
    int n = cb_base64_encode(raw, sizeof raw, true, out, cap);
    cb_zeroize(raw, sizeof raw);
    if (n < 0)
        return n;
    if (expiry_s)
        *expiry_s = exp;
    return n;
}

int cb_auth_token_verify(cb_span_t token, const uint8_t key[CB_AUTH_TOKEN_KEY_LEN],
                         cb_span_t client_id, cb_span_t client_secret, uint64_t now_s,
                         uint64_t *expiry_s)
{
    uint8_t raw[CB_AUTH_TOKEN_RAW_LEN];
    uint8_t tag[CB_SHA256_LEN];
    int ret = CB_ERR_AUTH_INVALID;

    token = cb_span_trim(token);
    if (!token.p || token.len == 0)
        return CB_ERR_AUTH_MISSING;
    if (token.len != CB_AUTH_TOKEN_TEXT_LEN ||
        cb_base64_decode(token.p, token.len, true, raw, sizeof raw) != CB_AUTH_TOKEN_RAW_LEN)
        return CB_ERR_AUTH_INVALID;
    tag_of(key, raw, client_id, client_secret, tag);
    /* the version is checked after the tag, so both cost the same */
    if (cb_ct_equal(tag, raw + BODY_LEN, CB_SHA256_LEN) && raw[0] == CB_AUTH_TOKEN_VERSION) {
        uint64_t exp = 0;
        for (int i = 0; i < 8; i++)
            exp = exp << 8 | raw[1 + i];
        if (expiry_s)
            *expiry_s = exp;
        ret = now_s >= exp ? CB_ERR_AUTH_EXPIRED : CB_OK;
    }
    cb_zeroize(tag, sizeof tag);
    return ret;
}

int cb_auth_token_bearer(cb_span_t header_value, cb_span_t *token)
{
    cb_span_t v = cb_span_trim(header_value);
    *token = CB_SPAN_NONE;
    if (!v.p)
        return CB_ERR_AUTH_MISSING;
    size_t i = 0;
    while (i < v.len && v.p[i] != ' ' && v.p[i] != '\t')
        i++;
    if (!cb_span_ieq(cb_span(v.p, i), "Bearer"))
        return CB_ERR_AUTH_MISSING;
    cb_span_t t = cb_span_trim(cb_span(v.p + i, v.len - i));
    if (t.len == 0)
        return CB_ERR_AUTH_MISSING;
    *token = t;
    return CB_OK;
}

bool cb_auth_token_equal(cb_span_t a, cb_span_t b)
{
    uint8_t ta[CB_SHA256_LEN], tb[CB_SHA256_LEN];
    if (!b.p || b.len == 0 || !a.p)
        return false;
    if (!s_auth_token.blind_ready) {
        /* without randomness the key stays fixed: the comparison is still
         * exact and constant-time, only less blinded */
        if (cb_port_random(s_auth_token.blind_key, sizeof s_auth_token.blind_key) != CB_OK)
            cb_zeroize(s_auth_token.blind_key, sizeof s_auth_token.blind_key);
        s_auth_token.blind_ready = true;
    }
    cb_hmac_sha256(s_auth_token.blind_key, sizeof s_auth_token.blind_key, &a, 1, ta);
    cb_hmac_sha256(s_auth_token.blind_key, sizeof s_auth_token.blind_key, &b, 1, tb);
    int eq = cb_ct_equal(ta, tb, CB_SHA256_LEN);
    cb_zeroize(ta, sizeof ta);
    cb_zeroize(tb, sizeof tb);
    return eq == 1;
}

int cb_auth_token_check_static(cb_span_t got, cb_span_t want)
{
    got = cb_span_trim(got);
    if (!got.p || got.len == 0)
        return CB_ERR_AUTH_MISSING;
    return cb_auth_token_equal(got, want) ? CB_OK : CB_ERR_AUTH_INVALID;
}
