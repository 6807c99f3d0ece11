/* cb_webhook_auth.c - the configured auth mode's verdict on a request
 * (cb_webhook_auth.h, SPEC 3); the gate (cb_gate.c) turns it into 401/429. */
#include "cb_webhook_auth.h"
#include "cb_auth_sig.h"
#include "cb_auth_token.h"
#include "cb_err.h"
#include "cb_port.h"
#include "cb_server_int.h"

static const char *const k_sig_header = "InstaLeap-Signature";
static const char *const k_sig3_header = "InstaLeap-Signature-V3";

static cb_error_t token_verdict(int rc)
{
    switch (rc) {
    case CB_OK:
        return CB_E_NONE;
    case CB_ERR_AUTH_MISSING:
        return CB_E_MISSING_TOKEN;
    case CB_ERR_AUTH_EXPIRED:
        return CB_E_EXPIRED_TOKEN;
    case CB_ERR_STORAGE:
        return CB_E_STORAGE_UNAVAILABLE;
    default:
        return CB_E_INVALID_TOKEN;
    }
}

cb_error_t cb_webhook_auth_bearer(const cb_http_request_t *req, const char *token)
{
    cb_span_t got;
    int rc = cb_auth_token_bearer(cb_http_field(req, "Authorization", NULL), &got);
    if (rc == CB_OK)
        rc = cb_auth_token_equal(got, cb_span_str(token)) ? CB_OK : CB_ERR_AUTH_INVALID;
    return token_verdict(rc);
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
    return cb_auth_token_verify(token, key, cb_span_str(s->client_id),
                                cb_span_str(s->client_secret), (uint64_t)now_ms / 1000, NULL);
}

cb_error_t cb_webhook_auth_token(const cb_http_request_t *req)
{
    const cb_settings_t *s = cb_server_settings();
    if (s->auth == CB_AUTH_STATIC)
        return token_verdict(cb_auth_token_check_static(
            cb_http_field(req, cb_settings_token_header(s), NULL), cb_span_str(s->token)));
    if (s->auth == CB_AUTH_DYNAMIC)
        return token_verdict(check_dynamic(s, req));
    return CB_E_INVALID_TOKEN;
}

bool cb_webhook_auth_has_signature(const cb_http_request_t *req)
{
    return cb_http_field(req, k_sig_header, NULL).p || cb_http_field(req, k_sig3_header, NULL).p;
}

cb_error_t cb_webhook_auth_signature(const cb_http_request_t *req, const cb_event_t *ev,
                                     unsigned allow, cb_auth_sig_signed_t *sig)
{
    const cb_settings_t *s = cb_server_settings();
    *sig = (cb_auth_sig_signed_t){0};
    size_t n1 = 0, n3 = 0;
    cb_span_t v1 = cb_http_field(req, k_sig_header, &n1);
    cb_span_t v3 = cb_http_field(req, k_sig3_header, &n3);
    cb_span_t secrets[2] = {cb_span_str(s->secret), cb_span_str(s->secret_next)};
    size_t nsecrets = s->secret_next[0] ? 2 : 1;
    /* a repeated signature header is ambiguous: refuse rather than pick one */
    int rc = (n1 > 1 || n3 > 1) ? CB_ERR_AUTH_INVALID
                                : cb_auth_sig_check(ev, v1, v3, allow, secrets, nsecrets, sig);
    if (rc == CB_OK)
        return CB_E_NONE;
    return rc == CB_ERR_AUTH_MISSING ? CB_E_MISSING_SIGNATURE : CB_E_INVALID_SIGNATURE;
}
