/* cb_settings_endpoint.c - PUT /settings (SPEC 9): the device's settings
 * from a JSON body with the config file's keys, behind the admin token and
 * the router's gate, staged and committed by the port (boards keep them in
 * flash and restart to apply them). Also the weak defaults of a port that
 * keeps no settings (the simulator): no route, always provisioned. */
#include "cb_settings_endpoint.h"
#include "cb_err.h"
#include "cb_jsonw.h"
#include "cb_port.h"
#include "cb_webhook_auth.h"

#include <string.h>

__attribute__((weak)) bool cb_port_provisioned(void)
{
    return true;
}

__attribute__((weak)) bool cb_port_settings_kept(void)
{
    return false;
}

__attribute__((weak)) int cb_port_settings_stage(const char *key, const char *value, size_t len,
                                                 char *err, size_t cap)
{
    (void)key, (void)value, (void)len, (void)err, (void)cap;
    return CB_ERR_NOT_FOUND;
}

__attribute__((weak)) int cb_port_settings_commit(char *err, size_t cap)
{
    (void)err, (void)cap;
    return CB_ERR_NOT_FOUND;
}

__attribute__((weak)) void cb_port_settings_discard(void) {}

bool cb_settings_endpoint_offered(void)
{
    return cb_port_settings_kept();
}

static struct {
    unsigned keys; /* staged by this request */
    char err[160];
} s_put;

static int stage(void *ctx, const char *key, cb_span_t value, char *err, size_t errcap)
{
    (void)ctx;
    s_put.keys++;
    return cb_port_settings_stage(key, value.p, value.len, err, errcap);
}

void cb_settings_endpoint_handle(cb_conn_t *c, const cb_http_request_t *req, cb_gate_t *g)
{
    const cb_settings_t *s = cb_server_settings();
    /* no admin token yet: only the console can set the first one */
    cb_error_t verdict = s->admin_token[0] ? cb_webhook_auth_bearer(req, s->admin_token)
                         : cb_http_field(req, "Authorization", NULL).p ? CB_E_INVALID_TOKEN
                                                                       : CB_E_MISSING_TOKEN;
    if (!cb_gate_check(g, verdict, NULL))
        return;
    if (!cb_webhook_media_is_json(req)) {
        cb_gate_refuse(g, CB_E_UNSUPPORTED_MEDIA, NULL, NULL);
        return;
    }
    s_put.keys = 0;
    cb_port_settings_discard(); /* nothing the console staged rides along */
    int rc = cb_settings_each_json((const char *)req->body, req->body_len, stage, NULL, s_put.err,
                                   sizeof s_put.err);
    if (rc == CB_OK && s_put.keys == 0) {
        rc = CB_ERR_INVAL;
        strcpy(s_put.err, "settings: the body sets nothing");
    }
    if (rc == CB_OK)
        rc = cb_port_settings_commit(s_put.err, sizeof s_put.err);
    if (rc != CB_OK) {
        cb_port_settings_discard();
        cb_reply_err(c, rc == CB_ERR_STORAGE ? CB_E_STORAGE_UNAVAILABLE : CB_E_INVALID_SETTINGS,
                     rc == CB_ERR_STORAGE ? NULL : s_put.err, NULL);
        return;
    }
    char body[96];
    cb_jsonw_t w;
    cb_jsonw_init(&w, body, sizeof body);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "status", "stored");
    cb_jsonw_kv_u64(&w, "keys", s_put.keys);
    cb_jsonw_key(&w, "restart");
    cb_jsonw_bool(&w, true);
    cb_jsonw_obj_end(&w);
    cb_reply(c, 200, NULL, body, w.len, false);
}
