/* send_tls.h - instaleap-send's HTTPS: a blocking Mbed TLS 1.2 client over
 * the socket send_http.c connected, verifying the server against --cacert
 * (or the system's CA bundle) and the URL's host. Used by send_http.c. */
#ifndef SEND_TLS_H
#define SEND_TLS_H

#include <stddef.h>

typedef struct send_tls send_tls_t;

/* The CA certificates (PEM) https:// servers are checked against; NULL
 * means the system bundle. Takes effect at the next send_tls_open. */
void send_tls_set_cacert(const char *path);

/* Runs the handshake on the blocking socket fd (timeout_ms per read and
 * write) and verifies the certificate chain and host. The session, or NULL
 * with a sentence in err. */
send_tls_t *send_tls_open(int fd, const char *host, int timeout_ms, char *err, size_t errcap);

/* Like send / recv: a count, 0 at the end (recv), -1 with errno set. */
long send_tls_write(send_tls_t *t, const void *buf, size_t len);
long send_tls_read(send_tls_t *t, void *buf, size_t cap);
/* Decrypted bytes waiting inside (read them before polling the socket). */
size_t send_tls_pending(send_tls_t *t);

/* close_notify, then frees the session (the caller closes the socket). NULL ok. */
void send_tls_close(send_tls_t *t);

#endif
