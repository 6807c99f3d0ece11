/* cb_webhook_auth.h - the configured authentication mode applied to a
 * request (SPEC 3): each returns the verdict, CB_E_NONE when the credential
 * verified, else the row of the error table it earns. Nothing is answered
 * or counted here: the handler reports the verdict to the gate (cb_gate.h). */
#ifndef CB_WEBHOOK_AUTH_H
#define CB_WEBHOOK_AUTH_H

#include "cb_auth_sig.h"
#include "cb_errors.h"
#include "cb_event.h"
#include "cb_http.h"

#include <stdbool.h>

/* Token modes, before the body is parsed: the token in the configured
 * header. CB_E_NONE, missing_token, invalid_token, expired_token, or
 * CB_E_STORAGE_UNAVAILABLE when tokens cannot be checked now (dynamic: no
 * device key or no trusted clock). */
cb_error_t cb_webhook_auth_token(const cb_http_request_t *req);

/* Signature mode, before the body is parsed: true when a signature header is
 * there at all (else the verdict is missing_signature). */
bool cb_webhook_auth_has_signature(const cb_http_request_t *req);

/* Signature mode, after parsing: verifies ev with the headers allow lets it
 * use (CB_SIG_V1 / CB_SIG_V3) and fills *sig with what was signed.
 * CB_E_NONE, missing_signature or invalid_signature. */
cb_error_t cb_webhook_auth_signature(const cb_http_request_t *req, const cb_event_t *ev,
                                     unsigned allow, cb_auth_sig_signed_t *sig);

/* "Authorization: Bearer <token>" equal to token (constant time):
 * CB_E_NONE, missing_token or invalid_token. */
cb_error_t cb_webhook_auth_bearer(const cb_http_request_t *req, const char *token);

#endif
