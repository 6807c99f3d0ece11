/* cb_gate.h - the authentication gate in front of every route that checks a
 * credential (webhook, token endpoint, /ack; SPEC 2): handlers report their
 * verdict, the gate finds the source, counts failures and writes 401 or 429. */
#ifndef CB_GATE_H
#define CB_GATE_H

#include "cb_addr.h"
#include "cb_http.h"
#include "cb_server_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a source key: a parsed address, or the peer's text when it is not
 * one (a port that names peers otherwise). */
#define CB_GATE_SOURCE_MAX 48

/* One request's passage through the gate (on the router's stack). */
typedef struct cb_gate {
    cb_conn_t *c;
    char source[CB_GATE_SOURCE_MAX];
    size_t source_len;
    bool blocked;     /* the source was blocked when the request arrived */
    uint32_t retry_s; /* seconds left of the block */
    bool valid;       /* a credential was verified */
} cb_gate_t;

/* Starts the gate for a complete request on c: finds its source and whether
 * it is blocked. */
void cb_gate_open(cb_gate_t *g, cb_conn_t *c, const cb_http_request_t *req);

/* The handler's verdict on the request's credential: e is CB_E_NONE when it
 * verified (true: serve it, even from a blocked source), else the 401 row
 * (missing_signature, invalid_token, invalid_client, ...): the failure is
 * counted against the source and answered 401 (message NULL: the table's),
 * or 429 rate_limited with Retry-After when the source is blocked (then not
 * counted again); false. */
bool cb_gate_check(cb_gate_t *g, cb_error_t e, const char *message);

/* Any other error of a gated request (415, invalid JSON, storage): before a
 * credential verified, a blocked source gets 429 instead (it learns nothing
 * about validation); otherwise the error e as cb_reply_err. */
void cb_gate_refuse(cb_gate_t *g, cb_error_t e, const char *message, const char *field);

/* The source of a request (SPEC 2): the peer, or the last hop of the last
 * X-Forwarded-For field when the peer is in s->trusted_proxies. A hop that is
 * not an address leaves the peer as the source. peer_addr is the peer parsed
 * (cb_addr_parse), or NULL when it is no address. Writes the key (at most
 * CB_GATE_SOURCE_MAX bytes) to out and returns its length. */
size_t cb_gate_source(const cb_settings_t *s, cb_span_t peer, const uint8_t *peer_addr,
                      const cb_http_request_t *req, char out[CB_GATE_SOURCE_MAX]);

#endif
