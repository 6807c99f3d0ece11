/* cb_webhook_auth.c - the configured auth mode applied to a webhook (SPEC 3)
 * and the per-source failure limit (SPEC 2: over 10 a minute -> 429). */
#include "cb_webhook_auth.h"
#include "cb_auth_sig.h"
#include "cb_auth_token.h"
#include "cb_err.h"
#include "cb_port.h"
#include "cb_ratelimit.h"

#include <string.h>

static const char *const k_sig_header = "InstaLeap-Signature";
static const char *const k_sig3_header = "InstaLeap-Signature-V3";

/* One failure: count it for the source and for /metrics, answer 401. */
static void fail(cb_conn_t *c, cb_authfail_t why, const char *code, const char *message,
                 const char *www)
{
    cb_metrics.auth_failures[why]++;
    cb_metrics.events[CB_RES_UNAUTHORIZED]++;
    cb_ratelimit_fail(cb_span_str(c->peer), cb_port_now_ms());
    cb_reply_error(c, 401, code, message, NULL, www, false);
}

static void fail_token(cb_conn_t *c, int rc)
{
    static const char *const www = "WWW-Authenticate: Bearer realm=\"chatbell\"\r\n";
    if (rc == CB_ERR_AUTH_MISSING)
        fail(c, CB_AUTHF_MISSING_TOKEN, "missing_token", "No token was sent.", www);
    else if (rc == CB_ERR_AUTH_EXPIRED)
        fail(c, CB_AUTHF_EXPIRED_TOKEN, "expired_token", "The token has expired; renew it.",
             "WWW-Authenticate: Bearer realm=\"chatbell\", error=\"invalid_token\", "
             "error_description=\"expired\"\r\n");
    else
        fail(c, CB_AUTHF_INVALID_TOKEN, "invalid_token", "The token is not valid.",
             "WWW-Authenticate: Bearer realm=\"chatbell\", error=\"invalid_token\"\r\n");
}

bool cb_webhook_auth_blocked(cb_conn_t *c, const cb_http_request_t *req)
{
    (void)req;
    uint32_t retry = 0;
    if (!cb_ratelimit_blocked(cb_span_str(c->peer), cb_port_now_ms(), &retry))
        return false;
    /* "Retry-After: <seconds>\r\n", digits written backwards */
    char extra[32] = "Retry-After: ";
    char digits[10];
    size_t nd = 0, at = 13;
    do {
        digits[nd++] = (char)('0' + retry % 10);
        retry /= 10;
    } while (retry && nd < sizeof digits);
    while (nd)
        extra[at++] = digits[--nd];
    memcpy(extra + at, "\r\n", 3);
    cb_metrics.events[CB_RES_RATE_LIMITED]++;
    cb_reply_error(c, 429, "rate_limited", "Too many failed authentications; retry later.", NULL,
                   extra, false);
    return true;
}

bool cb_webhook_auth_bearer(cb_conn_t *c, const cb_http_request_t *req, const char *token)
{
    cb_span_t got;
    int rc = cb_auth_token_bearer(cb_http_field(req, "Authorization", NULL), &got);
    if (rc == CB_OK)
        rc = cb_auth_token_equal(got, cb_span_str(token)) ? CB_OK : CB_ERR_AUTH_INVALID;
    if (rc != CB_OK)
        fail_token(c, rc);
    return rc == CB_OK;
}

/* Dynamic mode: a token this device issued, in the configured header
 * (default "Authorization: Bearer <token>"). */
static int check_dynamic(const cb_settings_t *s, const cb_http_request_t *req)
{
    const char *name = cb_settings_token_header(s);
    cb_span_t value = cb_http_field(req, name, NULL), token = value;
    if (cb_span_ieq(cb_span_str(name), "Authorization")) {
        int rc = cb_auth_token_bearer(value, &token);
        if (rc != CB_OK)
            return rc;
    }
    const uint8_t *key;
    size_t klen;
    int64_t now_ms;
    if (cb_ledger_device_key(&key, &klen) != CB_OK || cb_port_wall_ms(&now_ms) != CB_OK)
        return CB_ERR_STORAGE;
    return cb_auth_token_verify(token, key, cb_span_str(s->client_id), (uint64_t)now_ms / 1000,
                                NULL);
}

bool cb_webhook_auth_pre(cb_conn_t *c, const cb_http_request_t *req)
{
    const cb_settings_t *s = cb_server_settings();
    int rc;
    switch (s->auth) {
    case CB_AUTH_SIGNATURE:
        if (cb_http_field(req, k_sig_header, NULL).p || cb_http_field(req, k_sig3_header, NULL).p)
            return true;
        fail(c, CB_AUTHF_MISSING_SIGNATURE, "missing_signature",
             "No InstaLeap-Signature or InstaLeap-Signature-V3 header was sent.", NULL);
        return false;
    case CB_AUTH_STATIC:
        rc = cb_auth_token_check_static(cb_http_field(req, cb_settings_token_header(s), NULL),
                                        cb_span_str(s->token));
        break;
    case CB_AUTH_DYNAMIC:
        rc = check_dynamic(s, req);
        if (rc == CB_ERR_STORAGE) {
            cb_reply_error(c, 503, "storage_unavailable",
                           "Tokens cannot be checked now (device key or clock unavailable).", NULL,
                           "Retry-After: 5\r\n", false);
            return false;
        }
        break;
    default:
        rc = CB_ERR_AUTH_INVALID;
        break;
    }
    if (rc != CB_OK)
        fail_token(c, rc);
    return rc == CB_OK;
}

bool cb_webhook_auth_post(cb_conn_t *c, const cb_http_request_t *req, const cb_event_t *ev,
                          unsigned allow, cb_auth_sig_signed_t *sig)
{
    const cb_settings_t *s = cb_server_settings();
    *sig = (cb_auth_sig_signed_t){0};
    if (s->auth != CB_AUTH_SIGNATURE)
        return true; /* tokens were checked before parsing */
    size_t n1 = 0, n3 = 0;
    cb_span_t v1 = cb_http_field(req, k_sig_header, &n1);
    cb_span_t v3 = cb_http_field(req, k_sig3_header, &n3);
    cb_span_t secrets[2] = {cb_span_str(s->secret), cb_span_str(s->secret_next)};
    size_t nsecrets = s->secret_next[0] ? 2 : 1;
    /* a repeated signature header is ambiguous: refuse rather than pick one */
    int rc = (n1 > 1 || n3 > 1) ? CB_ERR_AUTH_INVALID
                                : cb_auth_sig_check(ev, v1, v3, allow, secrets, nsecrets, sig);
    if (rc == CB_OK)
        return true;
    if (rc == CB_ERR_AUTH_MISSING)
        fail(c, CB_AUTHF_MISSING_SIGNATURE, "missing_signature", "No signature was sent.", NULL);
    else
        fail(c, CB_AUTHF_INVALID_SIGNATURE, "invalid_signature",
             "The signature does not match the event.", NULL);
    return false;
}
