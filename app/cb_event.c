/* cb_event.c - a webhook body to a chat event (SPEC 1) on cb_json; called by
 * the server once per webhook request. */
#include "cb_event.h"
#include "cb_err.h"

#include <stdbool.h>
#include <stddef.h>

/* The eight fields, looked up at the top level only, checked in this order. */
static const struct {
    const char *name;
    size_t off;
    bool required;
} k_fields[] = {
    {"id", offsetof(cb_event_t, id), false},
    {"type", offsetof(cb_event_t, type), false},
    {"timestamp", offsetof(cb_event_t, timestamp), false},
    {"client_id", offsetof(cb_event_t, client_id), false},
    {"created_at", offsetof(cb_event_t, created_at), true},
    {"sender", offsetof(cb_event_t, sender), true},
    {"job_id", offsetof(cb_event_t, job_id), true},
    {"notification_message", offsetof(cb_event_t, text), true},
};

#define NFIELDS (sizeof k_fields / sizeof k_fields[0])

/* Every decoded value fits: decoding never lengthens a string, and the body
 * the server accepts is at most CB_CFG_BODY_MAX bytes. */
_Static_assert(sizeof(((cb_event_scratch_t *)0)->strings) >= CB_CFG_BODY_MAX,
               "scratch strings must hold a whole body");

int cb_event_parse(const char *body, size_t len, cb_event_t *ev, cb_event_scratch_t *scratch,
                   const char **bad_field, const char **why)
{
    const char *field = NULL, *reason = NULL;
    int ret = CB_ERR_EVENT;
    size_t used = 0;

    if (bad_field)
        *bad_field = NULL;
    if (why)
        *why = NULL;
    for (size_t f = 0; ev && f < NFIELDS; f++)
        *(cb_span_t *)((char *)ev + k_fields[f].off) = CB_SPAN_NONE;
    if (!ev || !scratch || (!body && len)) {
        ret = CB_ERR_INVAL;
        reason = "no body to parse";
        goto done;
    }
    if (len > sizeof scratch->strings) {
        ret = CB_ERR_JSON;
        reason = "the body is over the size limit";
        goto done;
    }

    int n = cb_json_parse(body, len, scratch->toks, CB_CFG_JSON_MAX_TOKENS, &reason);
    if (n < 0) {
        ret = CB_ERR_JSON; /* over the token budget is invalid JSON too (SPEC 2) */
        goto done;
    }

    for (size_t f = 0; f < NFIELDS; f++) {
        cb_span_t *dst = (cb_span_t *)((char *)ev + k_fields[f].off);
        int v = cb_json_get(body, scratch->toks, n, 0, k_fields[f].name);
        const cb_json_tok_t *t = v >= 0 ? &scratch->toks[v] : NULL;
        size_t out = 0;
        field = k_fields[f].name;
        if (!t) {
            if (k_fields[f].required) {
                reason = "a required field is missing";
                goto done;
            }
            continue;
        }
        if (t->type != CB_JSON_STRING) {
            reason = "the field is not a string";
            goto done;
        }
        if (cb_json_unescape(body + t->start, (size_t)(t->end - t->start), scratch->strings + used,
                             sizeof scratch->strings - used, &out) != CB_OK) {
            reason =
                "the field is not valid text (invalid UTF-8, an unpaired surrogate or \\u0000)";
            goto done;
        }
        if (dst == &ev->job_id && out == 0) {
            reason = "job_id is empty";
            goto done;
        }
        *dst = cb_span(scratch->strings + used, out);
        used += out;
    }
    field = NULL;
    ret = CB_OK;
done:
    if (ret != CB_OK) {
        if (bad_field && ret == CB_ERR_EVENT)
            *bad_field = field;
        if (why)
            *why = reason;
    }
    return ret;
}
