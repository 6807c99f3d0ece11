/* cb_event.h - a webhook body (JSON) to a chat event (SPEC 1). The server
 * calls it once per webhook request; decoded strings live in the caller's
 * scratch buffer until the next parse. */
#ifndef CB_EVENT_H
#define CB_EVENT_H

#include "cb_config.h"
#include "cb_json.h"
#include "cb_span.h"

#include <stddef.h>

typedef struct {
    /* Decoded UTF-8 values; an absent field has p == NULL. */
    cb_span_t id;         /* optional, signed by V1 */
    cb_span_t type;       /* optional, signed by V1 */
    cb_span_t timestamp;  /* optional, signed by V3 (when no t= in header) */
    cb_span_t client_id;  /* expected, signed by V3 */
    cb_span_t created_at; /* required */
    cb_span_t sender;     /* required */
    cb_span_t job_id;     /* required, non-empty */
    cb_span_t text;       /* notification_message, required */
} cb_event_t;

/* Parses body (at most CB_CFG_BODY_MAX bytes) into ev, decoding each value in
 * place: a decoded string is never longer than its JSON text, so it is
 * written over it, and ev's spans point into body (whose JSON is spent after
 * the call). Returns CB_OK; CB_ERR_JSON (400 invalid_json: not
 * strict JSON, not one object, NUL byte, too deep, over the token budget,
 * repeated key), with *why a sentence; or CB_ERR_EVENT (400 invalid_event)
 * with *bad_field naming the field ("job_id") and *why a sentence: a
 * required field missing, a field of the wrong type (any of the eight above
 * that is present but not a string), empty job_id, invalid UTF-8, an
 * unpaired surrogate or \u0000 in any of the eight. Unknown fields are
 * ignored at any depth. toks: CB_CFG_JSON_MAX_TOKENS tokens of scratch (the
 * webhook passes cb_json_scratch()). */
int cb_event_parse(char *body, size_t len, cb_event_t *ev, cb_json_tok_t *toks,
                   const char **bad_field, const char **why);

#endif
