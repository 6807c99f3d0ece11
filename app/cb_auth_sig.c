/* cb_auth_sig.c - InstaLeap webhook signatures V1 and V3 (SPEC 3, signature
 * mode); the server calls cb_auth_sig_check once per webhook. The header
 * syntax accepted is documented in cb_auth_sig.h. */
#include "cb_auth_sig.h"
#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_hex.h"

#include <string.h>

#define HEX_LEN (2 * CB_SHA256_LEN)
/* Secrets whose prepared HMAC key is kept: current and next. */
#define KEYS 2

static const cb_span_t AMP = {"&", 1};

/* Prepared keys of the secrets in use, so a webhook hashes two SHA-256
 * blocks fewer per secret (the pads depend on the secret only). */
static struct {
    cb_hmac_key_t key[KEYS];
    char secret[KEYS][CB_CFG_SECRET_MAX];
    size_t len[KEYS];
    unsigned next; /* slot replaced next */
} s_sig;

static const cb_hmac_key_t *key_of(cb_span_t secret, cb_hmac_key_t *tmp)
{
    for (unsigned i = 0; i < KEYS; i++)
        if (s_sig.len[i] == secret.len && secret.len &&
            memcmp(s_sig.secret[i], secret.p, secret.len) == 0)
            return &s_sig.key[i];
    if (secret.len > CB_CFG_SECRET_MAX) { /* too long to keep: prepare for this call */
        cb_hmac_key_init(tmp, secret.p, secret.len);
        return tmp;
    }
    unsigned i = s_sig.next;
    s_sig.next = (i + 1) % KEYS;
    cb_hmac_key_init(&s_sig.key[i], secret.p, secret.len);
    memcpy(s_sig.secret[i], secret.p, secret.len);
    s_sig.len[i] = secret.len;
    return &s_sig.key[i];
}

static void mac(cb_span_t secret, const cb_span_t *parts, size_t n, uint8_t out[CB_SHA256_LEN])
{
    cb_hmac_key_t tmp;
    cb_hmac_sha256_with(key_of(secret, &tmp), parts, n, out);
    cb_hmac_key_wipe(&tmp);
}

/* HMAC of the tuple's fields joined by '&' (absent fields as ""). */
static void mac_tuple(cb_span_t secret, const cb_span_t *tuple, size_t n,
                      uint8_t out[CB_SHA256_LEN])
{
    cb_span_t parts[7];
    for (size_t i = 0; i < n; i++) {
        parts[2 * i] = tuple[i];
        if (i + 1 < n)
            parts[2 * i + 1] = AMP;
    }
    mac(secret, parts, 2 * n - 1, out);
}

/* The signed tuples: V1 id & created_at & type; V3 ts & client_id & sender
 * & job_id. Each returns the number of fields. */
static size_t tuple_v1(const cb_event_t *ev, cb_span_t tuple[4])
{
    tuple[0] = ev->id;
    tuple[1] = ev->created_at;
    tuple[2] = ev->type;
    return 3;
}

static size_t tuple_v3(const cb_event_t *ev, cb_span_t ts, cb_span_t tuple[4])
{
    tuple[0] = ts;
    tuple[1] = ev->client_id;
    tuple[2] = ev->sender;
    tuple[3] = ev->job_id;
    return 4;
}

/* Received hex (1..64 digits, either case) to 32 bytes, left-padded with zero
 * digits first (Java's BigInteger drops leading zeros). */
static int decode_sig(cb_span_t hex, uint8_t out[CB_SHA256_LEN])
{
    char padded[HEX_LEN];
    if (!hex.p || hex.len == 0 || hex.len > HEX_LEN)
        return CB_ERR_AUTH_INVALID;
    size_t pad = HEX_LEN - hex.len;
    memset(padded, '0', pad);
    memcpy(padded + pad, hex.p, hex.len);
    return cb_hex_decode(padded, HEX_LEN, out, CB_SHA256_LEN) == CB_OK ? CB_OK
                                                                       : CB_ERR_AUTH_INVALID;
}

static bool has_byte(cb_span_t s, char c)
{
    return s.len && memchr(s.p, c, s.len) != NULL;
}

/* SPEC 3: a signed field holding '&' makes the joined string ambiguous (a V3
 * string re-split as V1, or one field's end moved into the next). */
static bool any_has_amp(const cb_span_t *fields, size_t n)
{
    bool amp = false;
    for (size_t i = 0; i < n; i++)
        amp |= has_byte(fields[i], '&');
    return amp;
}

/* Splits a V3 header into its t (absent if none) and v3 hex parts. */
static int parse_v3(cb_span_t v, cb_span_t *ts, cb_span_t *hex)
{
    *ts = CB_SPAN_NONE;
    *hex = CB_SPAN_NONE;
    if (!has_byte(v, '=') && !has_byte(v, ',')) {
        *hex = v;
        return CB_OK;
    }
    size_t i = 0;
    while (i <= v.len) {
        const char *comma = memchr(v.p + i, ',', v.len - i);
        size_t j = comma ? (size_t)(comma - v.p) : v.len;
        cb_span_t item = cb_span_trim(cb_span(v.p + i, j - i));
        const char *eq = item.len ? memchr(item.p, '=', item.len) : NULL;
        if (!eq)
            return CB_ERR_AUTH_INVALID; /* also catches empty items: "a,,b", trailing ',' */
        cb_span_t key = cb_span_trim(cb_span(item.p, (size_t)(eq - item.p)));
        cb_span_t val = cb_span_trim(cb_span(eq + 1, item.len - (size_t)(eq - item.p) - 1));
        if (key.len == 0)
            return CB_ERR_AUTH_INVALID;
        cb_span_t *slot = cb_span_ieq(key, "t") ? ts : cb_span_ieq(key, "v3") ? hex : NULL;
        if (slot) {
            if (slot->p || val.len == 0)
                return CB_ERR_AUTH_INVALID;
            *slot = val;
        }
        i = j + 1;
    }
    return hex->p ? CB_OK : CB_ERR_AUTH_INVALID;
}

int cb_auth_sig_check(const cb_event_t *ev, cb_span_t v1, cb_span_t v3, unsigned allow,
                      const cb_span_t *secrets, size_t nsecrets, cb_auth_sig_signed_t *out)
{
    uint8_t want[CB_SHA256_LEN];
    uint8_t got[CB_SHA256_LEN];
    cb_auth_sig_signed_t sig = {0};
    cb_span_t t_hdr = CB_SPAN_NONE, hex;
    unsigned match = 0;
    int ret = CB_ERR_AUTH_INVALID;

    v1 = cb_span_trim(v1);
    v3 = cb_span_trim(v3);
    bool has_v1 = v1.p && v1.len, has_v3 = v3.p && v3.len;
    if (!has_v1 && !has_v3)
        return CB_ERR_AUTH_MISSING;
    if (has_v3 && (allow & CB_SIG_V3)) {
        sig.scheme = CB_SIG_V3;
    } else if (has_v1 && (allow & CB_SIG_V1)) {
        sig.scheme = CB_SIG_V1;
    } else {
        return CB_ERR_AUTH_INVALID; /* only a header this device no longer takes */
    }

    if (sig.scheme == CB_SIG_V3) {
        if (parse_v3(v3, &t_hdr, &hex) != CB_OK)
            goto cleanup;
        if (t_hdr.p) {
            sig.ts = t_hdr;
            sig.ts_field = "t";
        } else if (ev->timestamp.p) {
            sig.ts = ev->timestamp;
            sig.ts_field = "timestamp";
        } else {
            sig.ts = ev->created_at;
            sig.ts_field = "created_at";
        }
        sig.ntuple = tuple_v3(ev, sig.ts, sig.tuple);
    } else {
        hex = v1;
        sig.ts = ev->created_at;
        sig.ts_field = "created_at";
        sig.ntuple = tuple_v1(ev, sig.tuple);
    }
    if (decode_sig(hex, got) != CB_OK || any_has_amp(sig.tuple, sig.ntuple))
        goto cleanup;
    /* an absent field signs as "": the tuple (and so the duplicate key) says
     * what was signed, so "id":"" and no id are one event */
    for (size_t i = 0; i < sig.ntuple; i++)
        if (!sig.tuple[i].p)
            sig.tuple[i] = cb_span("", 0);

    /* every configured secret is tried, no early exit; an empty one never
     * matches (its HMAC would be public) */
    for (size_t i = 0; secrets && i < nsecrets; i++) {
        if (!secrets[i].p || secrets[i].len == 0)
            continue;
        mac_tuple(secrets[i], sig.tuple, sig.ntuple, want);
        match |= (unsigned)cb_ct_equal(want, got, CB_SHA256_LEN);
    }
    if (match) {
        ret = CB_OK;
        if (out)
            *out = sig;
    }

cleanup:
    cb_zeroize(want, sizeof want);
    return ret;
}

void cb_auth_sig_v1(const cb_event_t *ev, cb_span_t secret, char hex[65])
{
    uint8_t m[CB_SHA256_LEN];
    cb_span_t tuple[4];
    mac_tuple(secret, tuple, tuple_v1(ev, tuple), m);
    cb_hex_encode(m, sizeof m, hex, 65);
}

void cb_auth_sig_v3(const cb_event_t *ev, cb_span_t ts, cb_span_t secret, char hex[65])
{
    uint8_t m[CB_SHA256_LEN];
    cb_span_t tuple[4];
    mac_tuple(secret, tuple, tuple_v3(ev, ts, tuple), m);
    cb_hex_encode(m, sizeof m, hex, 65);
}
