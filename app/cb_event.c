/* cb_event.c - a webhook body to a chat event (SPEC 1) on cb_json; called by
 * the server once per webhook request. */
#include "cb_event.h"
#include "cb_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The eight fields, looked up at the top level only, checked in this order. */
enum { F_ID, F_TYPE, F_TIMESTAMP, F_CLIENT_ID, F_CREATED_AT, F_SENDER, F_JOB_ID, F_TEXT, NFIELDS };

#define FIELD(name, member, req) name, sizeof name - 1, offsetof(cb_event_t, member), req
static const struct {
    const char *name;
    size_t len;
    size_t off;
    bool required;
} k_fields[NFIELDS] = {
    [F_ID] = {FIELD("id", id, false)},
    [F_TYPE] = {FIELD("type", type, false)},
    [F_TIMESTAMP] = {FIELD("timestamp", timestamp, false)},
    [F_CLIENT_ID] = {FIELD("client_id", client_id, false)},
    [F_CREATED_AT] = {FIELD("created_at", created_at, true)},
    [F_SENDER] = {FIELD("sender", sender, true)},
    [F_JOB_ID] = {FIELD("job_id", job_id, true)},
    [F_TEXT] = {FIELD("notification_message", text, true)},
};

#define FIELD_NAME_MAX 20 /* the longest name above */

/* The field a plain (unescaped) key of len bytes names, or -1: the length
 * and the first byte leave one candidate, then one compare. */
static int plain_field(const char *key, size_t len)
{
    int f;
    switch (len) {
    case 2:
        f = F_ID;
        break;
    case 4:
        f = F_TYPE;
        break;
    case 6:
        f = key[0] == 's' ? F_SENDER : F_JOB_ID;
        break;
    case 9:
        f = key[0] == 't' ? F_TIMESTAMP : F_CLIENT_ID;
        break;
    case 10:
        f = F_CREATED_AT;
        break;
    case 20:
        f = F_TEXT;
        break;
    default:
        return -1;
    }
    return k_fields[f].len == len && memcmp(k_fields[f].name, key, len) == 0 ? f : -1;
}

/* Which of the eight fields the key with these raw (still escaped) bytes
 * names, compared decoded as cb_json_get does; -1 for none. A key without a
 * backslash is its own decoding; one with escapes is decoded first (a key
 * that does not decode, or decodes to more than FIELD_NAME_MAX bytes, is no
 * field's: the names are short plain ASCII). */
static int field_of(const char *raw, size_t len)
{
    char buf[FIELD_NAME_MAX + 1];
    size_t n = 0;
    int f = plain_field(raw, len);
    if (f >= 0 || len < 2 || !memchr(raw, '\\', len) ||
        cb_json_unescape(raw, len, buf, sizeof buf, &n) != CB_OK)
        return f;
    return plain_field(buf, n);
}

int cb_event_parse(char *body, size_t len, cb_event_t *ev, cb_json_tok_t *toks,
                   const char **bad_field, const char **why)
{
    const char *field = NULL, *reason = NULL;
    int ret = CB_ERR_EVENT;
    if (bad_field)
        *bad_field = NULL;
    if (why)
        *why = NULL;
    for (size_t f = 0; ev && f < NFIELDS; f++)
        *(cb_span_t *)((char *)ev + k_fields[f].off) = CB_SPAN_NONE;
    if (!ev || !toks || (!body && len)) {
        ret = CB_ERR_INVAL;
        reason = "no body to parse";
        goto done;
    }
    if (len > CB_CFG_BODY_MAX) {
        ret = CB_ERR_JSON;
        reason = "the body is over the size limit";
        goto done;
    }

    int n = cb_json_parse(body, len, toks, CB_CFG_JSON_MAX_TOKENS, &reason);
    if (n < 0) {
        ret = CB_ERR_JSON; /* over the token budget is invalid JSON too (SPEC 2) */
        goto done;
    }

    /* One walk over the tokens: the root object's keys are the tokens whose
     * parent is the root (cb_json_parse guarantees it, and that no key is
     * repeated, and that a value follows each key). */
    int at[NFIELDS];
    for (size_t f = 0; f < NFIELDS; f++)
        at[f] = -1;
    for (int i = 1; i + 1 < n; i++) {
        const cb_json_tok_t *k = &toks[i];
        if (k->parent != 0)
            continue;
        int f = field_of(body + k->start, (size_t)(k->end - k->start));
        if (f >= 0)
            at[f] = i + 1;
    }

    for (size_t f = 0; f < NFIELDS; f++) {
        cb_span_t *dst = (cb_span_t *)((char *)ev + k_fields[f].off);
        const cb_json_tok_t *t = at[f] >= 0 ? &toks[at[f]] : NULL;
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
        char *raw = body + t->start; /* decoded in place: never longer */
        size_t rawlen = (size_t)(t->end - t->start);
        if (cb_json_unescape(raw, rawlen, raw, rawlen, &out) != CB_OK) {
            reason =
                "the field is not valid text (invalid UTF-8, an unpaired surrogate or \\u0000)";
            goto done;
        }
        if (dst == &ev->job_id && out == 0) {
            reason = "job_id is empty";
            goto done;
        }
        *dst = cb_span(raw, out);
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
