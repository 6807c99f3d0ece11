/* cb_server_int.h - what the server's files share (not for ports): the
 * connection record, replies, and the hooks between the router, the webhook
 * pipeline and the ledger of accepted events (cb_ledger.h). */
#ifndef CB_SERVER_INT_H
#define CB_SERVER_INT_H

#include "cb_addr.h"
#include "cb_config.h"
#include "cb_errors.h"
#include "cb_event.h"
#include "cb_http.h"
#include "cb_ledger.h"
#include "cb_metrics.h"
#include "cb_settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    bool used;
    bool closing;          /* close once the output is sent */
    bool held;             /* the response waits for the group commit */
    bool head_only;        /* HEAD request: send no body */
    bool keep_alive;       /* the current request allows keep-alive */
    bool webhook;          /* the request routed last is a webhook: its errors count as events */
    bool quiet;            /* no byte received yet: the first-byte timeout applies */
    uint32_t gen;          /* bumped on every open, so a stale commit finds no one */
    uint64_t req_start_ms; /* first byte of the current request, 0 between requests */
    uint64_t last_ms;      /* last bytes in or out */
    bool waiting;          /* waits for a pool buffer (counted once per request) */
    char peer[48];
    uint8_t peer_addr[CB_ADDR_LEN]; /* peer parsed once at open (the gate's source key) */
    bool peer_is_addr;
    char *out; /* small, or a pool buffer lent for a large answer */
    size_t out_cap, out_len, out_sent;
    char small[CB_CFG_RESP_MAX];
    cb_http_reader_t rd; /* its body buffer, when lent, is from the pool */
} cb_conn_t;

/* The settings the server was started with. */
const cb_settings_t *cb_server_settings(void);

/* Appends a response to c->out. close also when the request asked for it;
 * extra: "Name: value\r\n" lines or NULL. */
void cb_reply(cb_conn_t *c, int status, const char *extra, const char *json, size_t len,
              bool close);

/* The same with a body of another media type (ctype). */
void cb_reply_typed(cb_conn_t *c, int status, const char *extra, const char *ctype,
                    const char *body, size_t len, bool close);

/* The error reply e of the table (cb_errors.h): {"error":..,"message":..
 * [,"field":field]} with its status, headers and close; message NULL takes
 * the table's. Counts the row's metrics. */
void cb_reply_err(cb_conn_t *c, cb_error_t e, const char *message, const char *field);

/* The same with "Retry-After: retry_after_s" (429 rate_limited). */
void cb_reply_err_after(cb_conn_t *c, cb_error_t e, uint32_t retry_after_s);

/* The whole response of e with the table's message, closing, into out
 * (for a socket that has no connection record: 503 busy). Returns its length
 * or CB_ERR_NOMEM. Counts nothing. */
int cb_reply_err_render(cb_error_t e, char *out, size_t cap);

/* 200 {"status":status,"seq":seq}: a webhook's answer. status is a word
 * needing no JSON escaping ("accepted", "duplicate"). */
void cb_reply_seq(cb_conn_t *c, const char *status, uint32_t seq);

/* True when the answer to req is larger than a connection's small output
 * buffer (the /metrics page): the server lends it a pool buffer first. */
bool cb_routes_large_answer(const cb_http_request_t *req);

/* Routes one complete request (cb_routes.c). */
void cb_routes_handle(cb_conn_t *c, const cb_http_request_t *req);

/* Checks a head before its body is read (Expect: 100-continue): true when
 * the request may go on, else an error reply was written. */
bool cb_routes_precheck(cb_conn_t *c, const cb_http_request_t *req);

/* The webhook pipeline (cb_webhook.c): answers now or holds the response
 * for the group commit. g: the request's passage through the gate
 * (cb_gate.h), opened by the router. */
struct cb_gate;
void cb_webhook_handle(cb_conn_t *c, int conn_id, const cb_http_request_t *req, struct cb_gate *g);
/* True when req has exactly one Content-Type and it is application/json
 * (parameters allowed). */
bool cb_webhook_media_is_json(const cb_http_request_t *req);

/* Seconds since cb_server_start. */
uint64_t cb_server_uptime_s(void);

/* The id of a connection record. */
int cb_server_conn_id(const cb_conn_t *c);

/* The connection with id, if still the same connection (gen), else NULL. */
cb_conn_t *cb_server_conn_get(int id, uint32_t gen);

/* Acknowledges seq (0 = the oldest) in the ledger and signals it: the
 * button and POST /ack. CB_OK or CB_ERR_NOT_FOUND; *acked gets the seq. */
int cb_server_ack(uint32_t seq, uint32_t *acked);

/* A commit's outcome for a webhook ticket (cb_webhook.c): the held answer
 * is released, 2xx or 503, and counted. */
void cb_webhook_outcome(const cb_ledger_outcome_t *o);

#endif
