/* cb_tls_none.c - cb_tls.h for a build without HTTPS (boards until Mbed TLS's
 * TLS is compiled for them): no session ever opens, so the loop (through
 * cb_conn.c) serves plain connections only. Compiled instead of
 * cb_tls_mbedtls.c. */
#include "cb_tls.h"

#include <string.h>

int cb_tls_setup(const char *cert_path, const char *key_path, const cb_tls_bio_t *bio, char *err,
                 size_t cap)
{
    (void)cert_path, (void)key_path, (void)bio;
    if (cap)
        strncpy(err, "listen_tls: this build has no TLS", cap - 1)[cap - 1] = '\0';
    return -1;
}

int cb_tls_open(int fd, uint64_t now_ms)
{
    (void)fd, (void)now_ms;
    return -1;
}

int cb_tls_recv(int t, uint8_t *buf, size_t cap)
{
    (void)t, (void)buf, (void)cap;
    return CB_TLS_FAIL;
}

int cb_tls_send(int t, const uint8_t *buf, size_t len)
{
    (void)t, (void)buf, (void)len;
    return CB_TLS_FAIL;
}

bool cb_tls_wants_write(int t)
{
    (void)t;
    return false;
}

size_t cb_tls_pending(int t)
{
    (void)t;
    return 0;
}

bool cb_tls_expired(int t, uint64_t now_ms)
{
    (void)t, (void)now_ms;
    return false;
}

bool cb_tls_full(void)
{
    return true;
}

bool cb_tls_idle(int t)
{
    (void)t;
    return false;
}

void cb_tls_evicted(int t)
{
    (void)t;
}

void cb_tls_notify_close(int t)
{
    (void)t;
}

void cb_tls_close(int t)
{
    (void)t;
}
