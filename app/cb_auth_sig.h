/* cb_auth_sig.h - InstaLeap webhook signatures, V1 and V3 (SPEC 3,
 * signature mode). Called by the server for each webhook in signature mode. */
#ifndef CB_AUTH_SIG_H
#define CB_AUTH_SIG_H

#include "cb_event.h"
#include "cb_span.h"

#include <stddef.h>

/* Verifies a webhook's signature against up to two secrets (current, next).
 * v1 / v3: the InstaLeap-Signature / InstaLeap-Signature-V3 header values
 * (absent span if not sent; an empty or all-space value counts as not sent).
 * When V3 is present only V3 is checked, else V1, else CB_ERR_AUTH_MISSING.
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
 * On CB_OK, *signed_ts (may be NULL) is the timestamp the replay window
 * applies to (V3: ts as above; V1: created_at) and *v3_ts the V3 header's t=
 * value (absent otherwise): it is part of the duplicate key. Both point into
 * ev or v3. Returns CB_OK, CB_ERR_AUTH_MISSING or CB_ERR_AUTH_INVALID. */
int cb_auth_sig_check(const cb_event_t *ev, cb_span_t v1, cb_span_t v3, const cb_span_t *secrets,
                      size_t nsecrets, cb_span_t *signed_ts, cb_span_t *v3_ts);

/* Computes the V1 / V3 signature hex (64 lowercase digits + NUL) for an
 * event: used by instaleap-send and by tests. ts is the V3 timestamp. */
void cb_auth_sig_v1(const cb_event_t *ev, cb_span_t secret, char hex[65]);
void cb_auth_sig_v3(const cb_event_t *ev, cb_span_t ts, cb_span_t secret, char hex[65]);

#endif
