/* cb_reply.c - writing responses into a connection's output buffer, and the
 * JSON error shape every error uses (SPEC 2), from the table in cb_errors.c. */
#include "cb_dec.h"
#include "cb_err.h"
#include "cb_jsonw.h"
#include "cb_port.h"
#include "cb_server_int.h"

#include <string.h>

void cb_reply(cb_conn_t *c, int status, const char *extra, const char *json, size_t len, bool close)
{
    cb_reply_typed(c, status, extra, json ? "application/json" : NULL, json, len, close);
}

void cb_reply_typed(cb_conn_t *c, int status, const char *extra, const char *ctype,
                    const char *body, size_t len, bool close)
{
    close = close || !c->keep_alive || c->closing;
    char *out = c->out + c->out_len;
    size_t cap = c->out_cap - c->out_len;
    int n = cb_http_write_response(out, cap, status, extra, ctype, body, len, close);
    if (n < 0) { /* cannot happen with the sizes in cb_config.h; never send half */
        cb_port_log(CB_LOG_ERROR, "reply: %d response does not fit", status);
        n = cb_http_write_response(out, cap, 500, NULL, NULL, NULL, 0, true);
        close = true;
        if (n < 0)
            n = 0;
    }
    if (c->head_only) { /* HEAD: the same head, no body */
        const char *end = NULL;
        for (int i = 0; i + 3 < n; i++)
            if (memcmp(out + i, "\r\n\r\n", 4) == 0) {
                end = out + i + 4;
                break;
            }
        if (end)
            n = (int)(end - out);
    }
    c->out_len += (size_t)n;
    if (close)
        c->closing = true;
    cb_metrics.responses_by_class[status / 100 % 6]++;
}

/* {"error":code,"message":message[,"field":field]} into body[256]. */
static size_t err_body(char body[256], const cb_error_info_t *info, const char *message,
                       const char *field)
{
    cb_jsonw_t w;
    cb_jsonw_init(&w, body, 256);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "error", info->code);
    cb_jsonw_kv_cstr(&w, "message", message ? message : info->message);
    if (field)
        cb_jsonw_kv_cstr(&w, "field", field);
    cb_jsonw_obj_end(&w);
    return w.len;
}

static void reply_err(cb_conn_t *c, cb_error_t e, const char *message, const char *field,
                      const char *extra)
{
    const cb_error_info_t *info = cb_errors_info(e);
    char body[256];
    size_t len = err_body(body, info, message, field);
    if (info->authf != CB_NO_METRIC)
        cb_metrics.auth_failures[info->authf]++;
    if (info->result != CB_NO_METRIC && c->webhook)
        cb_metrics.events[info->result]++;
    cb_reply(c, info->status, extra ? extra : info->extra, body, len, info->close);
}

int cb_reply_err_render(cb_error_t e, char *out, size_t cap)
{
    const cb_error_info_t *info = cb_errors_info(e);
    char body[256];
    size_t len = err_body(body, info, NULL, NULL);
    return cb_http_write_response(out, cap, info->status, info->extra, "application/json", body,
                                  len, true);
}

void cb_reply_err(cb_conn_t *c, cb_error_t e, const char *message, const char *field)
{
    reply_err(c, e, message, field, NULL);
}

void cb_reply_err_after(cb_conn_t *c, cb_error_t e, uint32_t retry_after_s)
{
    /* "Retry-After: <seconds>\r\n" */
    char extra[16 + CB_DEC_U32_MAX] = "Retry-After: ";
    size_t at = 13 + cb_dec_u32(extra + 13, CB_DEC_U32_MAX, retry_after_s);
    memcpy(extra + at, "\r\n", 3);
    reply_err(c, e, NULL, NULL, extra);
}

void cb_reply_seq(cb_conn_t *c, const char *status, uint32_t seq)
{
    /* every accepted event's answer: put together directly (a word of ours
     * needs no escaping), not through the JSON writer */
    char body[64];
    size_t sn = strlen(status), n = 0;
    if (sn > sizeof body - 24 - CB_DEC_U32_MAX)
        sn = sizeof body - 24 - CB_DEC_U32_MAX;
    memcpy(body, "{\"status\":\"", 11);
    memcpy(body + 11, status, sn);
    n = 11 + sn;
    memcpy(body + n, "\",\"seq\":", 8);
    n += 8;
    n += cb_dec_u32(body + n, CB_DEC_U32_MAX, seq);
    body[n++] = '}';
    cb_reply(c, 200, NULL, body, n, false);
}
