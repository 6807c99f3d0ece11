/* cb_settings_endpoint.h - PUT /settings (SPEC 9): a device's settings over
 * HTTP, behind the admin token. Called by the router. */
#ifndef CB_SETTINGS_ENDPOINT_H
#define CB_SETTINGS_ENDPOINT_H

#include "cb_gate.h"
#include "cb_http.h"
#include "cb_server_int.h"

/* True when the port keeps settings (boards): the route exists. */
bool cb_settings_endpoint_offered(void);

/* Checks the admin token (through the gate g: 401, 429), then stages every
 * key of the JSON body (the config file's keys and checks) and commits
 * them: 200 {"status":"stored","keys":N,"restart":true}, 400
 * invalid_settings naming the key, 503 storage_unavailable. Never echoes a
 * value. */
void cb_settings_endpoint_handle(cb_conn_t *c, const cb_http_request_t *req, cb_gate_t *g);

#endif
