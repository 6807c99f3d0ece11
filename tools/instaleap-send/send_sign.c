/* send_sign.c - event -> JSON body, raw body -> signed fields, and the
 * InstaLeap signature headers (send_sign.h); the signing itself is the core's
 * cb_auth_sig_v1 / cb_auth_sig_v3, so the tool and the device share one recipe. */
#include "send_sign.h"
#include "cb_auth_sig.h"
#include "cb_err.h"
#include "cb_json.h"
#include "cb_jsonw.h"

#include <stdio.h>
#include <string.h>

/* Enough for any body the tool sends on purpose; a bigger one is sent
 * unsigned-fields (all absent) rather than refused. */
#define FIELDS_MAX_TOKENS 8192

int send_sig_from_name(const char *name, send_sig_t *out)
{
    if (strcmp(name, "v1") == 0)
        *out = SEND_SIG_V1;
    else if (strcmp(name, "v3") == 0)
        *out = SEND_SIG_V3;
    else if (strcmp(name, "v3-bare") == 0)
        *out = SEND_SIG_V3_BARE;
    else if (strcmp(name, "both") == 0)
        *out = SEND_SIG_BOTH;
    else
        return CB_ERR_INVAL;
    return CB_OK;
}

static void kv(cb_jsonw_t *w, const char *key, cb_span_t v)
{
    if (v.p)
        cb_jsonw_kv_str(w, key, v.p, v.len);
}

int send_sign_body(const cb_event_t *ev, char *buf, size_t cap)
{
    cb_jsonw_t w;
    cb_jsonw_init(&w, buf, cap);
    cb_jsonw_obj_begin(&w);
    kv(&w, "id", ev->id);
    kv(&w, "type", ev->type);
    kv(&w, "timestamp", ev->timestamp);
    kv(&w, "client_id", ev->client_id);
    kv(&w, "created_at", ev->created_at);
    kv(&w, "sender", ev->sender);
    kv(&w, "job_id", ev->job_id);
    kv(&w, "notification_message", ev->text);
    cb_jsonw_obj_end(&w);
    int n = cb_jsonw_finish(&w);
    return n < 0 ? CB_ERR_NOMEM : n;
}

int send_sign_fields(const char *body, size_t len, cb_event_t *ev, char *store, size_t cap)
{
    static cb_json_tok_t toks[FIELDS_MAX_TOKENS];
    static const char *const names[8] = {
        "id",         "type",   "timestamp", "client_id",
        "created_at", "sender", "job_id",    "notification_message"};
    cb_span_t *const slots[8] = {&ev->id,         &ev->type,   &ev->timestamp, &ev->client_id,
                                 &ev->created_at, &ev->sender, &ev->job_id,    &ev->text};

    memset(ev, 0, sizeof *ev);
    int n = cb_json_parse(body, len, toks, FIELDS_MAX_TOKENS, NULL);
    if (n <= 0 || toks[0].type != CB_JSON_OBJECT)
        return CB_ERR_JSON;
    size_t used = 0;
    for (int f = 0; f < 8; f++) {
        int i = cb_json_get(body, toks, n, 0, names[f]);
        if (i < 0 || toks[i].type != CB_JSON_STRING)
            continue;
        size_t raw = (size_t)(toks[i].end - toks[i].start), out = 0;
        if (raw > cap - used)
            continue;
        if (cb_json_unescape(body + toks[i].start, raw, store + used, cap - used, &out) != CB_OK)
            continue;
        *slots[f] = cb_span(store + used, out);
        used += out;
    }
    return CB_OK;
}

int send_sign_header(const cb_event_t *ev, send_sig_t sig, cb_span_t secret, cb_span_t t,
                     const char **name, char *value, size_t cap)
{
    char hex[65];
    int n;

    if (sig == SEND_SIG_V1) {
        *name = "InstaLeap-Signature";
        cb_auth_sig_v1(ev, secret, hex);
        n = snprintf(value, cap, "%s", hex);
    } else if (sig == SEND_SIG_V3) {
        *name = "InstaLeap-Signature-V3";
        cb_span_t ts = t.p ? t : ev->created_at;
        cb_auth_sig_v3(ev, ts, secret, hex);
        n = snprintf(value, cap, "t=%.*s,v3=%s", (int)ts.len, ts.p ? ts.p : "", hex);
    } else if (sig == SEND_SIG_V3_BARE) {
        *name = "InstaLeap-Signature-V3";
        cb_span_t ts = t.p ? t : ev->timestamp.p ? ev->timestamp : ev->created_at;
        cb_auth_sig_v3(ev, ts, secret, hex);
        n = snprintf(value, cap, "%s", hex);
    } else {
        return CB_ERR_INVAL;
    }
    if (n < 0 || (size_t)n >= cap)
        return CB_ERR_NOMEM;
    return n;
}
