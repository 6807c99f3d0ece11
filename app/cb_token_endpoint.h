/* cb_token_endpoint.h - POST <token path> in dynamic mode (SPEC 3): the
 * device as InstaLeap's RenewURL. Called by the router. */
#ifndef CB_TOKEN_ENDPOINT_H
#define CB_TOKEN_ENDPOINT_H

#include "cb_gate.h"
#include "cb_http.h"
#include "cb_server_int.h"

/* Checks the client credentials (form, multipart, JSON or Basic), reports
 * the verdict to the gate g and answers
 * {"access_token","token_type":"Bearer","expires_in"} (or the gate answers
 * 401 invalid_client / 429). */
void cb_token_endpoint_handle(cb_conn_t *c, const cb_http_request_t *req, cb_gate_t *g);

#endif
