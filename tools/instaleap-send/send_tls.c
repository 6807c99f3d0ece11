/* send_tls.c - send_tls.h over Debian's Mbed TLS 2.28: the sender's one
 * configuration (CA chain, TLS 1.2, verification required) built on first
 * use, one session per connection. A host tool: it allocates freely. */
#include "send_tls.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct send_tls {
    int fd;
    bool ip;               /* the URL names an IPv4 address */
    unsigned char addr[4]; /* which */
    mbedtls_ssl_context ssl;
};

static struct {
    const char *cacert;
    bool ready;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_ssl_config conf;
} s_tls;

void send_tls_set_cacert(const char *path)
{
    s_tls.cacert = path;
}

static void say(char *err, size_t cap, const char *what, int ret)
{
    char why[160];
    mbedtls_strerror(ret, why, sizeof why);
    snprintf(err, cap, "%s (%s)", what, why);
}

static int setup(char *err, size_t cap)
{
    if (s_tls.ready)
        return 0;
    const char *ca = s_tls.cacert ? s_tls.cacert : SYSTEM_BUNDLE;
    mbedtls_entropy_init(&s_tls.entropy);
    mbedtls_ctr_drbg_init(&s_tls.drbg);
    mbedtls_x509_crt_init(&s_tls.ca);
    mbedtls_ssl_config_init(&s_tls.conf);
    int ret = mbedtls_ctr_drbg_seed(&s_tls.drbg, mbedtls_entropy_func, &s_tls.entropy,
                                    (const unsigned char *)"instaleap-send", 14);
    if (ret != 0) {
        say(err, cap, "TLS: cannot seed the random generator", ret);
        return -1;
    }
    if ((ret = mbedtls_x509_crt_parse_file(&s_tls.ca, ca)) < 0) {
        char what[300];
        snprintf(what, sizeof what, "TLS: cannot read CA certificates from %s", ca);
        say(err, cap, what, ret);
        return -1;
    }
    ret = mbedtls_ssl_config_defaults(&s_tls.conf, MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        say(err, cap, "TLS: configuration failed", ret);
        return -1;
    }
    mbedtls_ssl_conf_min_version(&s_tls.conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_authmode(&s_tls.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&s_tls.conf, &s_tls.ca, NULL);
    mbedtls_ssl_conf_rng(&s_tls.conf, mbedtls_ctr_drbg_random, &s_tls.drbg);
    s_tls.ready = true;
    return 0;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    ssize_t n = send(((send_tls_t *)ctx)->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0)
        return (int)n;
    if (errno == EINTR)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
                                                 : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    ssize_t n = recv(((send_tls_t *)ctx)->fd, buf, len, 0);
    if (n >= 0)
        return (int)n;
    if (errno == EINTR)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return MBEDTLS_ERR_SSL_TIMEOUT;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Mbed TLS 2.28 matches the host against DNS names and the CN only: an
 * https://IPV4 URL is checked here against the certificate's iPAddress
 * entries (RFC 5280 4.2.1.6; RFC 6125 6.2.1). */
static int verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    send_tls_t *t = ctx;
    if (depth != 0 || !t->ip || !(*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH))
        return 0;
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next)
        if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && s->buf.len == 4 &&
            memcmp(s->buf.p, t->addr, 4) == 0)
            *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

send_tls_t *send_tls_open(int fd, const char *host, int timeout_ms, char *err, size_t errcap)
{
    if (setup(err, errcap) != 0)
        return NULL;
    send_tls_t *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    t->fd = fd;
    t->ip = inet_pton(AF_INET, host, t->addr) == 1;
    mbedtls_ssl_init(&t->ssl);
    int ret = mbedtls_ssl_setup(&t->ssl, &s_tls.conf);
    mbedtls_ssl_set_verify(&t->ssl, verify_ip, t);
    if (ret == 0)
        ret = mbedtls_ssl_set_hostname(&t->ssl, host);
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
    while (ret == 0 && (ret = mbedtls_ssl_handshake(&t->ssl)) != 0)
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            ret = 0;
    if (ret != 0) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
        if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != (uint32_t)-1) {
            char why[256];
            mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
            why[strcspn(why, "\n")] = '\0';
            snprintf(err, errcap, "TLS: the certificate of %s is not trusted: %s%s", host, why,
                     s_tls.cacert ? "" : " (give its CA with --cacert FILE)");
        } else {
            say(err, errcap, "TLS handshake failed", ret);
        }
        mbedtls_ssl_free(&t->ssl);
        free(t);
        return NULL;
    }
    return t;
}

long send_tls_write(send_tls_t *t, const void *buf, size_t len)
{
    for (;;) {
        int n = mbedtls_ssl_write(&t->ssl, buf, len);
        if (n >= 0)
            return n;
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        errno = n == MBEDTLS_ERR_NET_CONN_RESET ? ECONNRESET : EPIPE;
        return -1;
    }
}

long send_tls_read(send_tls_t *t, void *buf, size_t cap)
{
    for (;;) {
        int n = mbedtls_ssl_read(&t->ssl, buf, cap);
        if (n >= 0)
            return n;
        if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
            return 0;
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        errno = n == MBEDTLS_ERR_SSL_TIMEOUT      ? EAGAIN
                : n == MBEDTLS_ERR_NET_CONN_RESET ? ECONNRESET
                                                  : EPROTO;
        return -1;
    }
}

size_t send_tls_pending(send_tls_t *t)
{
    return mbedtls_ssl_get_bytes_avail(&t->ssl);
}

void send_tls_close(send_tls_t *t)
{
    if (!t)
        return;
    (void)mbedtls_ssl_close_notify(&t->ssl);
    mbedtls_ssl_free(&t->ssl);
    free(t);
}
