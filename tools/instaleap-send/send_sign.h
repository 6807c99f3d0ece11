/* send_sign.h - instaleap-send's event side: an event to its JSON body, the
 * signed fields read back from a raw body, and the signature header for a
 * scheme. Used by main.c / send_load.c and by tests/unit/test_send_sign.c. */
#ifndef SEND_SIGN_H
#define SEND_SIGN_H

#include "cb_event.h"
#include "cb_span.h"

#include <stddef.h>

typedef enum {
    SEND_SIG_V1,      /* InstaLeap-Signature: hex of id&created_at&type */
    SEND_SIG_V3,      /* InstaLeap-Signature-V3: t=<ts>,v3=<hex> */
    SEND_SIG_V3_BARE, /* InstaLeap-Signature-V3: <hex> (ts: timestamp field, else created_at) */
    SEND_SIG_BOTH     /* both headers: SEND_SIG_V3 and SEND_SIG_V1 */
} send_sig_t;

/* "v1", "v3", "v3-bare", "both" to a scheme; CB_OK or CB_ERR_INVAL. */
int send_sig_from_name(const char *name, send_sig_t *out);

/* Writes ev as a JSON object (id, type, timestamp, client_id, created_at,
 * sender, job_id, notification_message; absent fields left out) into buf.
 * Returns the length, or CB_ERR_NOMEM when it does not fit in cap (incl. NUL). */
int send_sign_body(const cb_event_t *ev, char *buf, size_t cap);

/* Reads the eight event fields of a raw body, tolerantly: a field that is
 * missing, not a string or not decodable is left absent, so a deliberately
 * bad body can still be signed. Decoded strings are kept in store (cap >=
 * len is always enough). Returns CB_OK, or CB_ERR_JSON when the body is not
 * a JSON object (every field then absent). */
int send_sign_fields(const char *body, size_t len, cb_event_t *ev, char *store, size_t cap);

/* The signature header for ev (sig one of V1, V3, V3_BARE; SEND_SIG_BOTH is
 * sent as two calls, V3 then V1): *name gets the header name, value (cap >= 160
 * is always enough for "t=<ts>,v3=<64 hex>" with ts up to 80 bytes) the header
 * value. t is the V3 t= value; when absent: V3 uses created_at, V3-bare the
 * timestamp field, else created_at (what the server will use). Returns the
 * value's length, CB_ERR_NOMEM when it does not fit, CB_ERR_INVAL for BOTH. */
int send_sign_header(const cb_event_t *ev, send_sig_t sig, cb_span_t secret, cb_span_t t,
                     const char **name, char *value, size_t cap);

#endif
