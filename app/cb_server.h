/* cb_server.h - the core's face to the loop: per-connection state machines
 * that take received bytes and give response bytes, the router, and the
 * group commit. Sans-IO: the loop (port/sock/) owns the sockets and calls
 * these; nothing here blocks except cb_server_commit (one storage flush). */
#ifndef CB_SERVER_H
#define CB_SERVER_H

#include "cb_settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Starts the core: keeps s (must outlive the server), opens and replays the
 * journal (restore lines, reminder), initialises inbox, signal and metrics.
 * CB_OK, or an error when the journal cannot be opened at all (the server
 * still runs, degraded: webhooks get 503 storage_unavailable). */
int cb_server_start(const cb_settings_t *s);

/* A new connection from peer (address text: the source for the rate limit
 * and max_conn_per_source). Returns a connection id >= 0, or CB_ERR_BUSY when
 * max_conn are in use or peer holds max_conn_per_source (a trusted proxy
 * only max_conn): the loop then sends cb_server_busy_response and closes. */
int cb_server_conn_open(const char *peer);

/* The loop's sockets that only drain (answered, reading leftovers before the
 * close): how many now, and whether one more found no drain slot and was
 * closed at once. Counted for /metrics. */
void cb_server_drains(unsigned draining, bool refused);

/* The 503 busy response for a connection over the cap. */
const char *cb_server_busy_response(size_t *len);

/* Bytes received on conn. Returns the number consumed; fewer than len means
 * the connection cannot take more now (a response is pending or awaits the
 * commit): the loop keeps the rest and offers it again later. */
size_t cb_server_conn_feed(int conn, const uint8_t *data, size_t len);

/* The peer closed its sending side (EOF): a partial request is dropped. */
void cb_server_conn_eof(int conn);

/* Response bytes ready to send (not held for a commit): *out and the count. */
size_t cb_server_conn_output(int conn, const uint8_t **out);

/* n of those bytes were sent. */
void cb_server_conn_sent(int conn, size_t n);

/* True when the loop should close conn once its output is sent (error,
 * Connection: close, timeout). */
bool cb_server_conn_closing(int conn);

/* True when conn is between requests: no request begun, no answer held or
 * pending, not closing; *since_ms (may be NULL) gets when it last moved. The
 * loop may then close it to make room (RFC 9112 9.3). */
bool cb_server_conn_idle(int conn, uint64_t *since_ms);

/* The loop closed conn (any reason); its slot is free again. Safe twice. */
void cb_server_conn_close(int conn);

/* True if any accepted request waits for the group commit. */
bool cb_server_commit_pending(void);

/* Group commit: one journal flush for every request completed this loop
 * turn, then their responses are released (2xx) or turned into 503
 * storage_unavailable, and accepted messages are signalled. Call once per
 * loop turn after feeding. */
void cb_server_commit(void);

/* Time-driven work: request and idle timeouts (408 / silent close),
 * reminders, scrolling, button presses. Returns the ms until the next
 * deadline (the loop's poll timeout). */
uint32_t cb_server_tick(void);

/* Acknowledges the oldest unacknowledged message (the button). */
void cb_server_button(void);

/* Stops: flushes what is pending and closes the journal. */
void cb_server_stop(void);

#endif
