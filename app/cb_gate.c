/* cb_gate.c - the authentication gate (cb_gate.h), called by the router and
 * its handlers: a blocked source's failing requests get 429, its valid ones
 * are served (it may be InstaLeap's egress, or a proxy or NAT others share). */
#include "cb_gate.h"
#include "cb_err.h"
#include "cb_port.h"
#include "cb_ratelimit.h"

#include <string.h>

/* The last comma-separated item of the last field named name, or absent. */
static cb_span_t last_hop(const cb_http_request_t *req, const char *name)
{
    cb_span_t v = CB_SPAN_NONE;
    for (size_t i = 0; i < req->nfields; i++)
        if (cb_span_ieq(req->fields[i].name, name))
            v = req->fields[i].value;
    if (!v.p)
        return v;
    size_t start = v.len;
    while (start > 0 && v.p[start - 1] != ',')
        start--;
    return cb_span(v.p + start, v.len - start);
}

/* The key of a source: its address when text is one (addr, parsed), else
 * its text. */
static size_t key_from(const uint8_t *addr, cb_span_t text, char out[CB_GATE_SOURCE_MAX])
{
    _Static_assert(CB_ADDR_LEN <= CB_GATE_SOURCE_MAX, "source key");
    if (addr) {
        memcpy(out, addr, CB_ADDR_LEN);
        return CB_ADDR_LEN;
    }
    size_t n = text.len < CB_GATE_SOURCE_MAX ? text.len : CB_GATE_SOURCE_MAX;
    if (n)
        memcpy(out, text.p, n);
    return n;
}

size_t cb_gate_source(const cb_settings_t *s, cb_span_t peer, const uint8_t *peer_addr,
                      const cb_http_request_t *req, char out[CB_GATE_SOURCE_MAX])
{
    if (s->trusted_proxies[0] && cb_addr_in_list(cb_span_str(s->trusted_proxies), peer)) {
        uint8_t a[CB_ADDR_LEN];
        cb_span_t hop = last_hop(req, "X-Forwarded-For");
        if (hop.p && cb_addr_parse(hop, a) == CB_OK)
            return key_from(a, hop, out);
    }
    return key_from(peer_addr, peer, out);
}

void cb_gate_open(cb_gate_t *g, cb_conn_t *c, const cb_http_request_t *req)
{
    memset(g, 0, sizeof *g);
    g->c = c;
    /* the peer was parsed once, at the connection's open */
    g->source_len = cb_gate_source(cb_server_settings(), cb_span_str(c->peer),
                                   c->peer_is_addr ? c->peer_addr : NULL, req, g->source);
    g->blocked =
        cb_ratelimit_blocked(cb_span(g->source, g->source_len), cb_port_now_ms(), &g->retry_s);
}

bool cb_gate_check(cb_gate_t *g, cb_error_t e, const char *message)
{
    if (e == CB_E_NONE) {
        g->valid = true;
        return true;
    }
    if (g->blocked) {
        cb_reply_err_after(g->c, CB_E_RATE_LIMITED, g->retry_s);
        return false;
    }
    cb_ratelimit_fail(cb_span(g->source, g->source_len), cb_port_now_ms());
    cb_reply_err(g->c, e, message, NULL);
    return false;
}

void cb_gate_refuse(cb_gate_t *g, cb_error_t e, const char *message, const char *field)
{
    if (g->blocked && !g->valid)
        cb_reply_err_after(g->c, CB_E_RATE_LIMITED, g->retry_s);
    else
        cb_reply_err(g->c, e, message, field);
}
