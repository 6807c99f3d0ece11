/* cb_webhook_auth.h - the configured authentication mode applied to a
 * webhook (SPEC 3), with the per-source failure rate limit. Each returns
 * true when the request may go on, else it has written the error reply. */
#ifndef CB_WEBHOOK_AUTH_H
#define CB_WEBHOOK_AUTH_H

#include "cb_auth_sig.h"
#include "cb_event.h"
#include "cb_http.h"
#include "cb_server_int.h"

#include <stdbool.h>

/* 429 rate_limited when the source failed too often: returns true if blocked. */
bool cb_webhook_auth_blocked(cb_conn_t *c, const cb_http_request_t *req);

/* Before parsing: token modes check their token; signature mode checks that
 * a signature header is there at all. */
bool cb_webhook_auth_pre(cb_conn_t *c, const cb_http_request_t *req);

/* After parsing: signature mode verifies with the headers allow lets it use
 * (CB_SIG_V1 / CB_SIG_V3) and fills *sig with what was signed (scheme 0 in
 * token modes, whose tokens were checked before parsing). */
bool cb_webhook_auth_post(cb_conn_t *c, const cb_http_request_t *req, const cb_event_t *ev,
                          unsigned allow, cb_auth_sig_signed_t *sig);

/* "Authorization: Bearer <token>" equal to token (constant time): true, or
 * 401 missing_token / invalid_token written (and counted for the rate limit). */
bool cb_webhook_auth_bearer(cb_conn_t *c, const cb_http_request_t *req, const char *token);

#endif
