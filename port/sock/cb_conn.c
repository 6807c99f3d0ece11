/* cb_conn.c - a connection's bytes for the loop (cb_conn.h): the socket
 * itself, or the TLS session (cb_tls.h) whose transport is the same
 * non-blocking socket, compiled against host or lwIP sockets alike. */
/* POSIX 2008 for the host build (the lwIP build ignores it) */
#define _POSIX_C_SOURCE 200809L
#include "cb_conn.h"
#include "cb_port.h"
#include "cb_sock_compat.h"
#include "cb_tls.h"

static int sock_again(void)
{
    return cb_sock_errno == EAGAIN || cb_sock_errno == EWOULDBLOCK || cb_sock_errno == EINTR;
}

static int bio_recv(int fd, uint8_t *buf, size_t cap)
{
    ssize_t n = cb_sock_recv(fd, buf, cap, 0);
    if (n >= 0)
        return (int)n;
    return sock_again() ? CB_TLS_AGAIN : CB_TLS_FAIL;
}

static int bio_send(int fd, const uint8_t *buf, size_t len)
{
    ssize_t n = cb_sock_send(fd, buf, len, CB_SOCK_SEND_FLAGS);
    if (n >= 0)
        return (int)n;
    return sock_again() ? CB_TLS_AGAIN : CB_TLS_FAIL;
}

static const cb_tls_bio_t s_bio = {bio_recv, bio_send};

const cb_tls_bio_t *cb_conn_tls_bio(void)
{
    return &s_bio;
}

int cb_conn_tls_open(int fd)
{
    return cb_tls_open(fd, cb_port_now_ms());
}

/* A TLS result as recv/send give it. */
static long tls_result(int n)
{
    if (n >= 0)
        return n;
    errno = n == CB_TLS_AGAIN ? EAGAIN : ECONNABORTED;
    return -1;
}

long cb_conn_recv(int fd, int tls, uint8_t *buf, size_t cap)
{
    if (tls < 0)
        return (long)cb_sock_recv(fd, buf, cap, 0);
    return tls_result(cb_tls_recv(tls, buf, cap));
}

long cb_conn_send(int fd, int tls, const uint8_t *buf, size_t len)
{
    if (tls < 0)
        return (long)cb_sock_send(fd, buf, len, CB_SOCK_SEND_FLAGS);
    return tls_result(cb_tls_send(tls, buf, len));
}

bool cb_conn_wants_write(int tls)
{
    return cb_tls_wants_write(tls);
}

bool cb_conn_pending(int tls)
{
    return cb_tls_pending(tls) > 0;
}

bool cb_conn_expired(int tls, uint64_t now_ms)
{
    return cb_tls_expired(tls, now_ms);
}

bool cb_conn_tls_full(void)
{
    return cb_tls_full();
}

bool cb_conn_tls_idle(int fd, int tls)
{
    uint8_t b;
    if (!cb_tls_idle(tls))
        return false;
    /* nothing yet (EAGAIN), or EOF or a reset: nothing to serve either way */
    return cb_sock_recv(fd, &b, 1, MSG_PEEK) <= 0;
}

void cb_conn_tls_evicted(int tls)
{
    cb_tls_evicted(tls);
}

int cb_conn_finish(int tls)
{
    cb_tls_notify_close(tls);
    cb_tls_close(tls);
    return -1;
}
