/* cb_routes.c - the router (SPEC 2): which path takes which method, the
 * authentication gate (cb_gate.h) in front of every route that checks a
 * credential, and the small endpoints: /healthz, /metrics, POST /ack. The
 * webhook, the token endpoint and PUT /settings have files of their own. */
#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_gate.h"
#include "cb_inbox.h"
#include "cb_json.h"
#include "cb_jsonw.h"
#include "cb_port.h"
#include "cb_server_int.h"
#include "cb_settings_endpoint.h"
#include "cb_token_endpoint.h"
#include "cb_webhook_auth.h"

typedef enum { R_NONE, R_WEBHOOK, R_TOKEN, R_HEALTHZ, R_METRICS, R_ACK, R_SETTINGS } route_t;

static route_t route_of(const cb_settings_t *s, cb_span_t path)
{
    if (cb_span_eq(path, s->webhook_path))
        return R_WEBHOOK;
    if (cb_span_eq(path, "/healthz"))
        return R_HEALTHZ;
    if (cb_span_eq(path, "/metrics"))
        return R_METRICS;
    if (s->auth == CB_AUTH_DYNAMIC && cb_span_eq(path, s->token_path))
        return R_TOKEN;
    if (s->admin_token[0] && cb_span_eq(path, "/ack"))
        return R_ACK;
    if (cb_span_eq(path, "/settings") && cb_settings_endpoint_offered())
        return R_SETTINGS;
    return R_NONE;
}

/* Writes the error for a method/path that cannot be served; false if none. */
static bool refuse(cb_conn_t *c, const cb_http_request_t *req, route_t r)
{
    if (req->method == CB_HTTP_UNKNOWN) {
        /* SPEC 2 counts 501 among the framing errors: answer and close */
        cb_reply_err(c, CB_E_NOT_IMPLEMENTED, NULL, NULL);
        return true;
    }
    if (r == R_NONE) {
        cb_reply_err(c, CB_E_NOT_FOUND, NULL, NULL);
        return true;
    }
    bool get_like = (r == R_HEALTHZ || r == R_METRICS);
    cb_http_method_t want = r == R_SETTINGS ? CB_HTTP_PUT : CB_HTTP_POST;
    bool ok = get_like ? (req->method == CB_HTTP_GET || req->method == CB_HTTP_HEAD)
                       : req->method == want;
    if (!ok) {
        cb_reply_err(c,
                     get_like          ? CB_E_METHOD_NOT_ALLOWED_GET
                     : r == R_SETTINGS ? CB_E_METHOD_NOT_ALLOWED_PUT
                                       : CB_E_METHOD_NOT_ALLOWED,
                     NULL, NULL);
        return true;
    }
    return false;
}

bool cb_routes_precheck(cb_conn_t *c, const cb_http_request_t *req)
{
    /* the body will not be read: close after the answer */
    route_t r = route_of(cb_server_settings(), req->path);
    bool keep = c->keep_alive;
    c->keep_alive = false;
    if (refuse(c, req, r))
        return false;
    c->keep_alive = keep;
    return true;
}

static void healthz(cb_conn_t *c)
{
    char body[256];
    const char *reason = NULL;
    bool ok = cb_ledger_healthy(&reason);
    cb_jsonw_t w;
    cb_jsonw_init(&w, body, sizeof body);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "status", ok ? "ok" : "degraded");
    if (!ok)
        cb_jsonw_kv_cstr(&w, "reason", reason ? reason : "storage unavailable");
    if (cb_metrics.journal_skipped_bytes || cb_metrics.journal_slots_set_aside) {
        cb_jsonw_kv_u64(&w, "journal_skipped_bytes", cb_metrics.journal_skipped_bytes);
        cb_jsonw_kv_u64(&w, "journal_slots_set_aside", cb_metrics.journal_slots_set_aside);
    }
    cb_jsonw_kv_u64(&w, "uptime_s", cb_server_uptime_s());
    cb_jsonw_kv_u64(&w, "unacked", cb_inbox_unacked());
    cb_jsonw_obj_end(&w);
    cb_reply(c, 200, NULL, body, w.len, false);
}

/* The /metrics page is rendered into the connection's output, a pool buffer
 * (cb_routes_large_answer), past room for the head; writing the answer moves
 * it into place behind its head. */
#define METRICS_HEAD_ROOM 256

static void metrics(cb_conn_t *c)
{
    char *body = c->out + METRICS_HEAD_ROOM;
    int n =
        cb_metrics_render(body, c->out_cap - METRICS_HEAD_ROOM, cb_inbox_unacked(),
                          cb_inbox_unacked_hwm(), cb_ledger_journal_bytes(), cb_server_uptime_s());
    if (n < 0) {
        cb_reply_err(c, CB_E_INTERNAL, "The metrics do not fit the response buffer.", NULL);
        return;
    }
    cb_reply_typed(c, 200, NULL, "text/plain; version=0.0.4", body, (size_t)n, false);
}

/* POST /ack with "Authorization: Bearer <admin token>"; body empty or
 * {"seq":N}. */
static void ack(cb_conn_t *c, const cb_http_request_t *req, cb_gate_t *g)
{
    const cb_settings_t *s = cb_server_settings();
    if (!cb_gate_check(g, cb_webhook_auth_bearer(req, s->admin_token), NULL))
        return;
    uint32_t seq = 0;
    if (req->body_len) {
        cb_json_tok_t *toks = cb_json_scratch();
        const char *text = (const char *)req->body;
        int n = cb_json_parse(text, req->body_len, toks, 16, NULL);
        int v = n > 0 ? cb_json_get(text, toks, n, 0, "seq") : -1;
        unsigned long long u = 0;
        if (v < 0 || toks[v].type != CB_JSON_PRIMITIVE ||
            cb_span_to_u64(cb_span(text + toks[v].start, (size_t)(toks[v].end - toks[v].start)),
                           UINT32_MAX, &u) != CB_OK ||
            u == 0) {
            cb_reply_err(c, CB_E_INVALID_JSON, "The body must be {\"seq\":N} or empty.", NULL);
            return;
        }
        seq = (uint32_t)u;
    }
    uint32_t acked;
    if (cb_server_ack(seq, &acked) != CB_OK) {
        cb_reply_err(c, CB_E_NOT_FOUND,
                     seq ? "That message is not waiting." : "No message is waiting.", NULL);
        return;
    }
    char body[96];
    cb_jsonw_t w;
    cb_jsonw_init(&w, body, sizeof body);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "status", "acknowledged");
    cb_jsonw_kv_u64(&w, "seq", acked);
    cb_jsonw_kv_u64(&w, "unacked", cb_inbox_unacked());
    cb_jsonw_obj_end(&w);
    cb_reply(c, 200, NULL, body, w.len, false);
}

bool cb_routes_large_answer(const cb_http_request_t *req)
{
    return route_of(cb_server_settings(), req->path) == R_METRICS &&
           (req->method == CB_HTTP_GET || req->method == CB_HTTP_HEAD);
}

void cb_routes_handle(cb_conn_t *c, const cb_http_request_t *req)
{
    route_t r = route_of(cb_server_settings(), req->path);
    c->head_only = (req->method == CB_HTTP_HEAD);
    c->webhook = (r == R_WEBHOOK);
    if (refuse(c, req, r))
        return;
    /* every route that checks a credential passes the gate */
    cb_gate_t g;
    if ((r == R_WEBHOOK || r == R_TOKEN) && !cb_port_provisioned()) {
        cb_reply_err(c, CB_E_NOT_PROVISIONED, NULL, NULL); /* SPEC 9 */
        return;
    }
    if (r == R_WEBHOOK || r == R_TOKEN || r == R_ACK || r == R_SETTINGS)
        cb_gate_open(&g, c, req);
    switch (r) {
    case R_WEBHOOK:
        cb_webhook_handle(c, cb_server_conn_id(c), req, &g);
        break;
    case R_SETTINGS:
        cb_settings_endpoint_handle(c, req, &g);
        break;
    case R_TOKEN:
        cb_token_endpoint_handle(c, req, &g);
        break;
    case R_HEALTHZ:
        healthz(c);
        break;
    case R_METRICS:
        metrics(c);
        break;
    case R_ACK:
        ack(c, req, &g);
        break;
    case R_NONE:
        break;
    }
}
