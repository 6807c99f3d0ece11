/* cb_server_int.h - what the server's files share (not for ports): the
 * connection record, replies, and the hooks between the router, the webhook
 * pipeline and the store of accepted events. */
#ifndef CB_SERVER_INT_H
#define CB_SERVER_INT_H

#include "cb_config.h"
#include "cb_event.h"
#include "cb_http.h"
#include "cb_metrics.h"
#include "cb_record.h"
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
    uint32_t gen;          /* bumped on every open, so a stale commit finds no one */
    uint64_t req_start_ms; /* first byte of the current request, 0 between requests */
    uint64_t last_ms;      /* last bytes in or out */
    char peer[48];
    size_t out_len, out_sent;
    char out[CB_CFG_RESP_MAX];
    cb_http_reader_t rd;
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

/* {"error":code,"message":message[,"field":field]} with status. */
void cb_reply_error(cb_conn_t *c, int status, const char *code, const char *message,
                    const char *field, const char *extra, bool close);

/* 200 {"status":status,"seq":seq}: a webhook's answer. */
void cb_reply_seq(cb_conn_t *c, const char *status, uint32_t seq);

/* Routes one complete request (cb_routes.c). */
void cb_routes_handle(cb_conn_t *c, const cb_http_request_t *req);

/* Checks a head before its body is read (Expect: 100-continue): true when
 * the request may go on, else an error reply was written. */
bool cb_routes_precheck(cb_conn_t *c, const cb_http_request_t *req);

/* The webhook pipeline (cb_webhook.c): answers now or holds the response
 * for the group commit. */
void cb_webhook_handle(cb_conn_t *c, int conn_id, const cb_http_request_t *req);

/* Seconds since cb_server_start. */
uint64_t cb_server_uptime_s(void);

/* The id of a connection record. */
int cb_server_conn_id(const cb_conn_t *c);

/* The connection with id, if still the same connection (gen), else NULL. */
cb_conn_t *cb_server_conn_get(int id, uint32_t gen);

/* The ledger of accepted events (cb_ledger.c): journal replay at start,
 * duplicate check and append, group commit, acknowledgements, compaction,
 * and what the display shows. */
typedef enum {
    CB_ACCEPT_HELD,        /* appended: the response waits for the commit */
    CB_ACCEPT_DUPLICATE,   /* already stored: answer duplicate with *seq now */
    CB_ACCEPT_UNAVAILABLE, /* cannot be made durable: 503 storage_unavailable */
} cb_accept_t;

int cb_ledger_start(void);
/* Tries again to open a journal that failed to open (every few seconds). */
void cb_ledger_poll(void);
/* Device flags the ledger keeps in the journal (across restarts and
 * compactions). V3_SEEN: an event verified by V3 was stored (SPEC 3 auto). */
#define CB_LEDGER_FLAG_V3_SEEN (1u << 0)
uint32_t cb_ledger_flags(void);

/* Accepts ev under its duplicate key (cb_inbox_key). set_flags are journaled
 * with a new event and show in cb_ledger_flags() once its commit succeeded. */
cb_accept_t cb_ledger_accept(int conn_id, uint32_t gen, const cb_event_t *ev,
                             const uint8_t key[CB_DUPKEY_LEN], uint32_t set_flags, uint32_t *seq);
bool cb_ledger_healthy(const char **reason);
bool cb_ledger_pending(void);
void cb_ledger_commit(void);
/* Acknowledges seq (0 = the oldest). CB_OK, or CB_ERR_NOT_FOUND. *acked
 * gets the seq acknowledged. */
int cb_ledger_ack(uint32_t seq, uint32_t *acked);
/* The device key for dynamic tokens (created and journaled on first use). */
int cb_ledger_device_key(const uint8_t **key, size_t *len);
uint32_t cb_ledger_journal_bytes(void);

#endif
