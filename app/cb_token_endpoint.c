/* cb_token_endpoint.c - POST <token path> (dynamic mode, SPEC 3): client
 * credentials in (verdict to the gate), a self-contained HMAC-signed token
 * bound to the client id and secret out. */
#include "cb_token_endpoint.h"
#include "cb_auth_token.h"
#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_form.h"
#include "cb_jsonw.h"
#include "cb_port.h"

void cb_token_endpoint_handle(cb_conn_t *c, const cb_http_request_t *req, cb_gate_t *g)
{
    const cb_settings_t *s = cb_server_settings();
    static cb_form_creds_t creds; /* holds a secret: wiped below */
    cb_form_fields_t fields = {s->client_id_field, s->client_secret_field};
    const char *why = NULL;
    int rc = cb_form_credentials(cb_http_field(req, "Content-Type", NULL),
                                 cb_http_field(req, "Authorization", NULL), (const char *)req->body,
                                 req->body_len, &fields, &creds, &why);
    /* both compared whatever the first gave: no early exit on the id */
    bool id_ok = cb_auth_token_equal(cb_span(creds.id, creds.id_len), cb_span_str(s->client_id));
    bool secret_ok =
        cb_auth_token_equal(cb_span(creds.secret, creds.secret_len), cb_span_str(s->client_secret));
    bool ok = rc == CB_OK && id_ok && secret_ok;
    cb_zeroize(&creds, sizeof creds);
    if (!cb_gate_check(g, ok ? CB_E_NONE : CB_E_INVALID_CLIENT,
                       rc == CB_OK || rc == CB_ERR_AUTH_MISSING ? NULL : why))
        return;
    const uint8_t *key;
    size_t klen;
    int64_t now_ms;
    char token[CB_AUTH_TOKEN_TEXT_CAP];
    rc = cb_ledger_device_key(&key, &klen);
    if (rc == CB_OK)
        rc = cb_port_wall_ms(&now_ms);
    if (rc == CB_OK)
        rc =
            cb_auth_token_issue(key, cb_span_str(s->client_id), cb_span_str(s->client_secret),
                                (uint64_t)now_ms / 1000, s->token_ttl_s, token, sizeof token, NULL);
    if (rc < 0) {
        cb_reply_err(c, CB_E_STORAGE_UNAVAILABLE,
                     "No token can be issued now (device key or clock unavailable).", NULL);
        return;
    }
    char body[160];
    cb_jsonw_t w;
    cb_jsonw_init(&w, body, sizeof body);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "access_token", token);
    cb_jsonw_kv_cstr(&w, "token_type", "Bearer");
    cb_jsonw_kv_u64(&w, "expires_in", s->token_ttl_s);
    cb_jsonw_obj_end(&w);
    cb_reply(c, 200, "Cache-Control: no-store\r\n", body, w.len, false);
    cb_zeroize(body, sizeof body);
    cb_zeroize(token, sizeof token);
}
