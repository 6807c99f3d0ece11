/* cb_webhook.c - POST <webhook path>: media type, authentication, event
 * parsing, replay window, then the ledger (SPEC 2 and 3). Called by the
 * router for each complete webhook request. */
#include "cb_auth_sig.h"
#include "cb_err.h"
#include "cb_event.h"
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

void cb_webhook_handle(cb_conn_t *c, int conn_id, const cb_http_request_t *req)
{
    const cb_settings_t *s = cb_server_settings();
    size_t nct = 0;
    cb_span_t ct = cb_http_field(req, "Content-Type", &nct);
    if (nct != 1 || !media_type_is_json(ct)) {
        cb_metrics.events[CB_RES_UNSUPPORTED_MEDIA]++;
        cb_reply_error(c, 415, "unsupported_media_type", "Content-Type must be application/json.",
                       NULL, NULL, false);
        return;
    }
    if (cb_webhook_auth_blocked(c, req))
        return;
    /* Token modes and a missing signature are decided before the body is
     * parsed: an unauthenticated client learns nothing about validation. */
    if (!cb_webhook_auth_pre(c, req))
        return;

    cb_event_t ev;
    const char *field = NULL, *why = NULL;
    int rc = cb_event_parse((char *)req->body, req->body_len, &ev, &s_scratch, &field, &why);
    if (rc == CB_ERR_EVENT) {
        cb_metrics.events[CB_RES_INVALID_EVENT]++;
        cb_reply_error(c, 400, "invalid_event", why ? why : "The event is not valid.", field, NULL,
                       false);
        return;
    }
    if (rc != CB_OK) {
        cb_metrics.events[CB_RES_INVALID_JSON]++;
        cb_reply_error(c, 400, "invalid_json", why ? why : "The body is not one JSON object.", NULL,
                       NULL, false);
        return;
    }

    cb_span_t signed_ts = ev.created_at, v3_ts = CB_SPAN_NONE;
    if (!cb_webhook_auth_post(c, req, &ev, &signed_ts, &v3_ts))
        return;

    if (stale(signed_ts, s->replay_window_s)) {
        cb_metrics.events[CB_RES_STALE]++;
        cb_reply_error(c, 400, "stale_event", "The event's timestamp is outside the replay window.",
                       NULL, NULL, false);
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
        cb_metrics.events[CB_RES_STORAGE_UNAVAILABLE]++;
        cb_reply_error(c, 503, "storage_unavailable", "The event could not be stored; retry later.",
                       NULL, "Retry-After: 5\r\n", false);
        break;
    }
}
