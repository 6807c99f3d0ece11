/* cb_auth_sig.h - InstaLeap webhook signatures, V1 and V3 (SPEC 3,
 * signature mode). Called by the server for each webhook in signature mode. */
#ifndef CB_AUTH_SIG_H
#define CB_AUTH_SIG_H

#include "cb_event.h"
#include "cb_span.h"

#include <stddef.h>

/* The headers a check may use (SPEC 3 signature_scheme): the webhook allows
 * V1|V3 for "auto" until a V3 event is stored, then V3 alone; "v3" and "v1"
 * allow that one. */
enum { CB_SIG_V1 = 1u << 0, CB_SIG_V3 = 1u << 1 };

/* What a verified signature covered: the scheme (CB_SIG_V1 or CB_SIG_V3), the
 * signed tuple (V1: id, created_at, type; V3: the timestamp, client_id,
 * sender, job_id; an absent field as an empty span, as it was signed), and the timestamp the
 * replay window applies to with the name of where it came from
 * ("created_at", "timestamp", or "t" for the V3 header's t= value). Spans
 * point into the event or the V3 header value. */
typedef struct {
    unsigned scheme;
    cb_span_t tuple[4];
    size_t ntuple;
    cb_span_t ts;
    const char *ts_field;
} cb_auth_sig_signed_t;

/* Verifies a webhook's signature against up to two secrets (current, next).
 * v1 / v3: the InstaLeap-Signature / InstaLeap-Signature-V3 header values
 * (absent span if not sent; an empty or all-space value counts as not sent).
 * allow: CB_SIG_V1 and/or CB_SIG_V3. V3 is checked when allowed and sent,
 * else V1 when allowed and sent; neither header sent is CB_ERR_AUTH_MISSING,
 * only a header that is not allowed is CB_ERR_AUTH_INVALID (a downgrade).
 * V1 signs id&created_at&type; V3 signs ts&client_id&sender&job_id, ts from
 * "t=<ts>,v3=<hex>" or, for a bare hex value (or "v3=<hex>" alone), the
 * event's timestamp field when present, else created_at. Absent fields sign
 * as "". The V3 items may come in any order, with spaces around items and
 * '=', keys case-insensitive, unknown keys ignored; a repeated or empty t or
 * v3, an empty item or an empty key is invalid. Hex compares
 * case-insensitively in constant time, a value shorter than 64 digits
 * left-padded with zeros; more than 64 digits or a non-hex digit is invalid.
 * An empty secret never matches. A signed field (or the V3 timestamp) that
 * holds '&' is invalid whatever the HMAC says (SPEC 3).
 * On CB_OK, *out (may be NULL) says what was signed.
 * Returns CB_OK, CB_ERR_AUTH_MISSING or CB_ERR_AUTH_INVALID. */
int cb_auth_sig_check(const cb_event_t *ev, cb_span_t v1, cb_span_t v3, unsigned allow,
                      const cb_span_t *secrets, size_t nsecrets, cb_auth_sig_signed_t *out);

/* Computes the V1 / V3 signature hex (64 lowercase digits + NUL) for an
 * event: used by instaleap-send and by tests. ts is the V3 timestamp. */
void cb_auth_sig_v1(const cb_event_t *ev, cb_span_t secret, char hex[65]);
void cb_auth_sig_v3(const cb_event_t *ev, cb_span_t ts, cb_span_t secret, char hex[65]);

#endif
