/* cb_webhook.c - POST <webhook path>: authentication (reported to the
 * gate), media type, event parsing, replay window, then the ledger (SPEC 2
 * and 3). Called by the router for each complete webhook request. */
#include "cb_auth_sig.h"
#include "cb_err.h"
#include "cb_event.h"
#include "cb_gate.h"
#include "cb_port.h"
#include "cb_server_int.h"
#include "cb_time.h"
#include "cb_webhook_auth.h"

#include <string.h>

/* One request is handled at a time, so one scratch serves all connections. */
static cb_event_scratch_t s_scratch;

static bool media_type_is_json(cb_span_t ct)
{
    if (!ct.p)
        return false;
    size_t n = 0;
    while (n < ct.len && ct.p[n] != ';')
        n++;
    return cb_span_ieq(cb_span_trim(cb_span(ct.p, n)), "application/json");
}

/* SPEC 2: outside the window while the clock is trusted -> stale. An
 * unreadable timestamp skips the check (logged) rather than lose the message. */
static bool stale(cb_span_t ts, uint32_t window_s)
{
    int64_t t, now;
    if (window_s == 0 || cb_port_wall_ms(&now) != CB_OK)
        return false;
    if (!ts.p || cb_time_parse(ts, &t) != CB_OK) {
        cb_port_log(CB_LOG_WARN, "webhook: timestamp unreadable; replay window not applied");
        return false;
    }
    int64_t d = now - t;
    if (d < 0)
        d = -d;
    return d > (int64_t)window_s * 1000;
}

void cb_webhook_handle(cb_conn_t *c, int conn_id, const cb_http_request_t *req, cb_gate_t *g)
{
    const cb_settings_t *s = cb_server_settings();
    /* Verify first where the credential can be checked without the body:
     * token modes, and a missing signature. An unauthenticated client learns
     * nothing about validation, and a blocked source gets 429 for anything
     * but a valid credential. */
    if (s->auth != CB_AUTH_SIGNATURE) {
        cb_error_t e = cb_webhook_auth_token(req);
        if (e == CB_E_STORAGE_UNAVAILABLE) {
            cb_gate_refuse(g, e, "Tokens cannot be checked now (device key or clock unavailable).",
                           NULL);
            return;
        }
        if (!cb_gate_check(g, e, NULL))
            return;
    } else if (!cb_webhook_auth_has_signature(req)) {
        cb_gate_check(g, CB_E_MISSING_SIGNATURE, NULL);
        return;
    }
    size_t nct = 0;
    cb_span_t ct = cb_http_field(req, "Content-Type", &nct);
    if (nct != 1 || !media_type_is_json(ct)) {
        cb_gate_refuse(g, CB_E_UNSUPPORTED_MEDIA, NULL, NULL);
        return;
    }

    cb_event_t ev;
    const char *field = NULL, *why = NULL;
    int rc = cb_event_parse((const char *)req->body, req->body_len, &ev, &s_scratch, &field, &why);
    if (rc != CB_OK) {
        bool event = rc == CB_ERR_EVENT; /* only an event's error names a field */
        cb_gate_refuse(g, event ? CB_E_INVALID_EVENT : CB_E_INVALID_JSON, why,
                       event ? field : NULL);
        return;
    }

    cb_span_t signed_ts = ev.created_at, v3_ts = CB_SPAN_NONE;
    if (s->auth == CB_AUTH_SIGNATURE &&
        !cb_gate_check(g, cb_webhook_auth_signature(req, &ev, &signed_ts, &v3_ts), NULL))
        return;

    if (stale(signed_ts, s->replay_window_s)) {
        cb_reply_err(c, CB_E_STALE_EVENT, NULL, NULL);
        return;
    }

    uint32_t seq = 0;
    switch (cb_ledger_accept(conn_id, c->gen, &ev, v3_ts, &seq)) {
    case CB_ACCEPT_HELD:
        c->held = true;
        break;
    case CB_ACCEPT_DUPLICATE:
        cb_metrics.events[CB_RES_DUPLICATE]++;
        cb_reply_seq(c, "duplicate", seq);
        break;
    case CB_ACCEPT_UNAVAILABLE:
        cb_reply_err(c, CB_E_STORAGE_UNAVAILABLE, NULL, NULL);
        break;
    }
}
