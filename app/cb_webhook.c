/* cb_webhook.c - POST <webhook path>: media type, authentication, event
 * parsing, replay window, then the ledger (SPEC 2 and 3). Called by the
 * router for each complete webhook request. */
#include "cb_auth_sig.h"
#include "cb_err.h"
#include "cb_event.h"
#include "cb_inbox.h"
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

typedef enum { TS_FRESH, TS_STALE, TS_UNREADABLE } ts_check_t;

/* SPEC 2 and 3: the replay window applies while it is on and the clock is
 * trusted. A signed timestamp must then be readable; an unsigned one (token
 * modes' created_at) that cannot be read skips the check (logged, SPEC 1)
 * rather than lose the message. */
static ts_check_t check_window(cb_span_t ts, bool is_signed, uint32_t window_s)
{
    int64_t t, now;
    if (window_s == 0 || cb_port_wall_ms(&now) != CB_OK)
        return TS_FRESH;
    if (!ts.p || cb_time_parse(ts, &t) != CB_OK) {
        if (is_signed)
            return TS_UNREADABLE;
        cb_port_log(CB_LOG_WARN, "webhook: timestamp unreadable; replay window not applied");
        return TS_FRESH;
    }
    int64_t d = now - t;
    if (d < 0)
        d = -d;
    return d > (int64_t)window_s * 1000 ? TS_STALE : TS_FRESH;
}

/* The signature headers this webhook may be verified with (SPEC 3): auto
 * takes V1 until an event verified by V3 was stored, then V3 only. */
static unsigned allowed_schemes(const cb_settings_t *s)
{
    switch (s->signature_scheme) {
    case CB_SCHEME_V3:
        return CB_SIG_V3;
    case CB_SCHEME_V1:
        return CB_SIG_V1;
    default:
        return (cb_ledger_flags() & CB_LEDGER_FLAG_V3_SEEN) ? CB_SIG_V3 : CB_SIG_V1 | CB_SIG_V3;
    }
}

/* The duplicate key (SPEC 3): the scheme and exactly the signed tuple; in
 * token modes, which sign nothing, every identifying field. Never the text. */
static void dup_key(const cb_event_t *ev, const cb_auth_sig_signed_t *sig,
                    uint8_t key[CB_DUPKEY_LEN])
{
    if (sig->scheme) {
        cb_inbox_key((uint8_t)sig->scheme, sig->tuple, sig->ntuple, key);
        return;
    }
    const cb_span_t all[CB_INBOX_KEY_FIELDS_MAX] = {
        ev->id, ev->created_at, ev->type, ev->timestamp, ev->client_id, ev->sender, ev->job_id};
    cb_inbox_key(0, all, CB_INBOX_KEY_FIELDS_MAX, key);
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
    int rc = cb_event_parse((const char *)req->body, req->body_len, &ev, &s_scratch, &field, &why);
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

    cb_auth_sig_signed_t sig;
    if (!cb_webhook_auth_post(c, req, &ev, allowed_schemes(s), &sig))
        return;

    switch (
        check_window(sig.scheme ? sig.ts : ev.created_at, sig.scheme != 0, s->replay_window_s)) {
    case TS_UNREADABLE:
        cb_metrics.events[CB_RES_INVALID_EVENT]++;
        cb_reply_error(c, 400, "invalid_event", "The signed timestamp cannot be read.",
                       sig.ts_field, NULL, false);
        return;
    case TS_STALE:
        cb_metrics.events[CB_RES_STALE]++;
        cb_reply_error(c, 400, "stale_event", "The event's timestamp is outside the replay window.",
                       NULL, NULL, false);
        return;
    case TS_FRESH:
        break;
    }

    uint8_t key[CB_DUPKEY_LEN];
    dup_key(&ev, &sig, key);
    uint32_t seq = 0;
    switch (cb_ledger_accept(conn_id, c->gen, &ev, key,
                             sig.scheme == CB_SIG_V3 ? CB_LEDGER_FLAG_V3_SEEN : 0, &seq)) {
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
