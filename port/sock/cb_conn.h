/* cb_conn.h - how the loop (cb_loop.c) reads and writes one connection:
 * straight on the socket, or through its TLS session (cb_tls.h). recv/send
 * semantics: a count, 0 for EOF (recv), or -1 with cb_sock_errno set
 * (EAGAIN: wait; anything else: close). tls < 0 is a plain connection. */
#ifndef CB_CONN_H
#define CB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cb_tls.h"

/* The loop's sockets as a TLS transport, for the set-up that serves HTTPS
 * over them (the simulator's cb_tls_setup, a board's cb_tls_setup_device). */
const cb_tls_bio_t *cb_conn_tls_bio(void);

/* A TLS session for an accepted socket, or -1 (none free: close it). */
int cb_conn_tls_open(int fd);

long cb_conn_recv(int fd, int tls, uint8_t *buf, size_t cap);
long cb_conn_send(int fd, int tls, const uint8_t *buf, size_t len);

/* Poll for POLLOUT although the server has nothing to send (a handshake
 * waiting for the socket). */
bool cb_conn_wants_write(int tls);
/* Read it although poll() said nothing: decrypted bytes wait inside. */
bool cb_conn_pending(int tls);
/* A handshake that ran out of time (close it). */
bool cb_conn_expired(int tls, uint64_t now_ms);

/* A TLS connection arrives with every session taken (cb_tls_full). */
bool cb_conn_tls_full(void);
/* fd's TLS session is between requests as far as its bytes go: nothing read
 * ahead or waiting to be sent in the session, and a peek of the socket finds
 * no new byte. */
bool cb_conn_tls_idle(int fd, int tls);
/* It gives way to a newcomer: counted (`evicted`); the loop then closes it. */
void cb_conn_tls_evicted(int tls);

/* Answered and done: close_notify (TLS), then the session is freed; the
 * socket drains as a plain one. Returns -1 (the slot's new tls value). */
int cb_conn_finish(int tls);

#endif
