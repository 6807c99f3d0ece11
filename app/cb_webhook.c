/* cb_webhook.c - POST <webhook path>: authentication (reported to the
 * gate), media type, event parsing, replay window, then the ledger (SPEC 2
 * and 3); the ledger's outcomes become the held answers. Called by the router
 * for each complete webhook request, and by the server for each commit
 * outcome. */
#include "cb_auth_sig.h"
#include "cb_err.h"
#include "cb_event.h"
#include "cb_gate.h"
#include "cb_inbox.h"
#include "cb_port.h"
#include "cb_server_int.h"
#include "cb_time.h"
#include "cb_webhook_auth.h"

#include <string.h>

/* held: which connection waits for which ledger ticket. */
static struct {
    struct {
        uint32_t ticket; /* 0: free */
        int conn;
        uint32_t gen;
    } held[CB_CFG_MAX_CONN];
} s_webhook;

static void storage_unavailable(cb_conn_t *c)
{
    cb_reply_err(c, CB_E_STORAGE_UNAVAILABLE, NULL, NULL);
}

/* Holds c's answer for ticket. A slot is free again once its outcome came;
 * the ledger holds at most CB_CFG_MAX_CONN tickets (it commits before taking
 * more), so a slot is always free: else 503 rather than an answer never sent. */
static void hold(cb_conn_t *c, int conn_id, uint32_t ticket)
{
    for (size_t i = 0; i < CB_CFG_MAX_CONN; i++) {
        if (s_webhook.held[i].ticket)
            continue;
        s_webhook.held[i].ticket = ticket;
        s_webhook.held[i].conn = conn_id;
        s_webhook.held[i].gen = c->gen;
        c->held = true;
        return;
    }
    storage_unavailable(c);
}

void cb_webhook_outcome(const cb_ledger_outcome_t *o)
{
    for (size_t i = 0; i < CB_CFG_MAX_CONN; i++) {
        if (s_webhook.held[i].ticket != o->ticket)
            continue;
        s_webhook.held[i].ticket = 0;
        cb_conn_t *c = cb_server_conn_get(s_webhook.held[i].conn, s_webhook.held[i].gen);
        if (!c)
            return; /* the client went away; the event is stored all the same */
        c->held = false;
        if (!o->durable) {
            storage_unavailable(c);
            return;
        }
        cb_metrics.events[o->is_new ? CB_RES_ACCEPTED : CB_RES_DUPLICATE]++;
        cb_reply_seq(c, o->is_new ? "accepted" : "duplicate", o->seq);
        return;
    }
}

bool cb_webhook_media_is_json(const cb_http_request_t *req)
{
    size_t nct = 0;
    cb_span_t ct = cb_http_field(req, "Content-Type", &nct);
    if (nct != 1 || !ct.p)
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
 * token modes, which sign nothing, every identifying field. Never the text.
 * CB_OK, or a storage error when the device has no key to hash with. */
static int dup_key(const cb_event_t *ev, const cb_auth_sig_signed_t *sig,
                   uint8_t key[CB_DUPKEY_LEN])
{
    const uint8_t *secret;
    int rc = cb_ledger_dupkey_secret(&secret);
    if (rc != CB_OK)
        return rc;
    if (sig->scheme) {
        cb_inbox_key(secret, (uint8_t)sig->scheme, sig->tuple, sig->ntuple, key);
        return CB_OK;
    }
    const cb_span_t all[CB_INBOX_KEY_FIELDS_MAX] = {
        ev->id, ev->created_at, ev->type, ev->timestamp, ev->client_id, ev->sender, ev->job_id};
    cb_inbox_key(secret, 0, all, CB_INBOX_KEY_FIELDS_MAX, key);
    return CB_OK;
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
    if (!cb_webhook_media_is_json(req)) {
        cb_gate_refuse(g, CB_E_UNSUPPORTED_MEDIA, NULL, NULL);
        return;
    }

    cb_event_t ev;
    const char *field = NULL, *why = NULL;
    int rc = cb_event_parse((char *)req->body, req->body_len, &ev, cb_json_scratch(), &field, &why);
    if (rc != CB_OK) {
        bool event = rc == CB_ERR_EVENT; /* only an event's error names a field */
        cb_gate_refuse(g, event ? CB_E_INVALID_EVENT : CB_E_INVALID_JSON, why,
                       event ? field : NULL);
        return;
    }

    cb_auth_sig_signed_t sig = {0}; /* token modes sign nothing: scheme 0 */
    if (s->auth == CB_AUTH_SIGNATURE &&
        !cb_gate_check(g, cb_webhook_auth_signature(req, &ev, allowed_schemes(s), &sig), NULL))
        return;

    switch (
        check_window(sig.scheme ? sig.ts : ev.created_at, sig.scheme != 0, s->replay_window_s)) {
    case TS_UNREADABLE:
        cb_reply_err(c, CB_E_INVALID_EVENT, "The signed timestamp cannot be read.", sig.ts_field);
        return;
    case TS_STALE:
        cb_reply_err(c, CB_E_STALE_EVENT, NULL, NULL);
        return;
    case TS_FRESH:
        break;
    }

    uint8_t key[CB_DUPKEY_LEN];
    if (dup_key(&ev, &sig, key) != CB_OK) {
        storage_unavailable(c);
        return;
    }
    uint32_t seq = 0, ticket = 0;
    switch (cb_ledger_accept(&ev, key, sig.scheme == CB_SIG_V3 ? CB_LEDGER_FLAG_V3_SEEN : 0,
                             &ticket, &seq)) {
    case CB_LEDGER_HELD:
        hold(c, conn_id, ticket);
        break;
    case CB_LEDGER_DUPLICATE:
        cb_metrics.events[CB_RES_DUPLICATE]++;
        cb_reply_seq(c, "duplicate", seq);
        break;
    case CB_LEDGER_UNAVAILABLE:
        storage_unavailable(c);
        break;
    }
}
