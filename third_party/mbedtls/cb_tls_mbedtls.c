/* cb_tls_mbedtls.c - cb_tls.h over Mbed TLS 2.28 (Debian 12's on the host, the
 * board build's in cb_mbedtls_board_config.h): the server configuration,
 * certificates and keys (PEM files where Mbed TLS has a file system, the
 * device's own key on a board), one non-blocking session per TLS connection,
 * and the bounded heap every Mbed TLS allocation comes from. */
#define _POSIX_C_SOURCE 200809L
#include "cb_tls.h"
#include "cb_addr.h"
#include "cb_err.h"
#include "cb_port.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include <stdio.h>
#include <string.h>
#if defined(MBEDTLS_FS_IO)
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#endif

/* ---- the TLS heap ----
 * While cb_tls is inside Mbed TLS (s_heap.owner set), every allocation comes
 * from one static heap: first fit over a free list, 16-byte headers with
 * boundary tags, neighbours merged on free. Each block records the session
 * it was charged to; a session past CB_TLS_SESSION_BYTES gets NULL. A board's
 * Mbed TLS calls cb_tls_heap_calloc/free itself (MBEDTLS_PLATFORM_MEMORY, its
 * config names them). Debian builds Mbed TLS without that, so on the host
 * the link redirects its calloc/free here (-Wl,--wrap=calloc,--wrap=free, see
 * third_party/deps.cmake), and calls made outside (owner NONE) go to libc. */
#define ALIGN       16u
#define OWNER_NONE  (-1)
#define OWNER_FREE  (-2)
#define OWNER_SHARE CB_TLS_SESSIONS
#define HEAP_BYTES                                                                                 \
    ((size_t)CB_TLS_SESSIONS * CB_TLS_SESSION_BYTES + CB_TLS_SHARED_BYTES +                        \
     (size_t)CB_TLS_SESSIONS * CB_TLS_SESSION_BYTES / 8) /* room for fragmentation */

typedef struct blk {
    uint32_t size;      /* bytes of the block, header included, a multiple of ALIGN */
    uint32_t prev_size; /* of the block just below, 0 for the first */
    int32_t owner;      /* session, OWNER_SHARE, or OWNER_FREE */
    uint32_t pad;
} blk_t;
_Static_assert(sizeof(blk_t) == ALIGN, "block header is one alignment unit");
_Static_assert(HEAP_BYTES < UINT32_MAX, "block sizes are 32-bit");

typedef struct {
    blk_t *next, *prev;
} links_t;

static struct {
    _Alignas(16) uint8_t mem[HEAP_BYTES];
    blk_t *free_head;
    int owner;
    size_t used[CB_TLS_SESSIONS + 1]; /* bytes charged to each session, and shared */
    size_t in_use, peak, session_peak;
} s_heap;

void *cb_tls_heap_calloc(size_t n, size_t size);
void cb_tls_heap_free(void *p);

static links_t *links(blk_t *b)
{
    return (links_t *)(void *)(b + 1);
}

static blk_t *next_blk(blk_t *b)
{
    uint8_t *n = (uint8_t *)b + b->size;
    return n < s_heap.mem + sizeof s_heap.mem ? (blk_t *)(void *)n : NULL;
}

static void list_remove(blk_t *b)
{
    links_t *l = links(b);
    if (l->prev)
        links(l->prev)->next = l->next;
    else
        s_heap.free_head = l->next;
    if (l->next)
        links(l->next)->prev = l->prev;
}

/* The free list is kept in address order: first fit then reuses the low
 * end of the heap, which bounds fragmentation and the pages ever touched. */
static void list_push(blk_t *b)
{
    blk_t *prev = NULL, *next = s_heap.free_head;
    while (next && next < b) {
        prev = next;
        next = links(next)->next;
    }
    b->owner = OWNER_FREE;
    links(b)->prev = prev;
    links(b)->next = next;
    if (prev)
        links(prev)->next = b;
    else
        s_heap.free_head = b;
    if (next)
        links(next)->prev = b;
}

static void heap_init(void)
{
    blk_t *b = (blk_t *)(void *)s_heap.mem;
    b->size = (uint32_t)(sizeof s_heap.mem & ~(size_t)(ALIGN - 1));
    b->prev_size = 0;
    s_heap.free_head = NULL;
    list_push(b);
    s_heap.owner = OWNER_NONE;
}

static void *heap_alloc(size_t n)
{
    if (n > sizeof s_heap.mem)
        return NULL;
    size_t need = (n + sizeof(blk_t) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < sizeof(blk_t) + sizeof(links_t))
        need = sizeof(blk_t) + sizeof(links_t);
    int owner = s_heap.owner;
    if (owner < OWNER_SHARE && s_heap.used[owner] + need > CB_TLS_SESSION_BYTES)
        return NULL;
    blk_t *b = s_heap.free_head;
    while (b && b->size < need)
        b = links(b)->next;
    if (!b)
        return NULL;
    list_remove(b);
    if (b->size - need >= 4 * ALIGN) { /* split: the rest stays free */
        blk_t *rest = (blk_t *)(void *)((uint8_t *)b + need);
        rest->size = b->size - (uint32_t)need;
        rest->prev_size = (uint32_t)need;
        b->size = (uint32_t)need;
        blk_t *after = next_blk(rest);
        if (after)
            after->prev_size = rest->size;
        list_push(rest);
    }
    b->owner = owner;
    s_heap.used[owner] += b->size;
    s_heap.in_use += b->size;
    if (s_heap.in_use > s_heap.peak)
        s_heap.peak = s_heap.in_use;
    if (owner < OWNER_SHARE && s_heap.used[owner] > s_heap.session_peak)
        s_heap.session_peak = s_heap.used[owner];
    return b + 1;
}

static void heap_free(blk_t *b)
{
    s_heap.used[b->owner] -= b->size;
    s_heap.in_use -= b->size;
    blk_t *n = next_blk(b);
    if (n && n->owner == OWNER_FREE) {
        list_remove(n);
        b->size += n->size;
    }
    if (b->prev_size) {
        blk_t *p = (blk_t *)(void *)((uint8_t *)b - b->prev_size);
        if (p->owner == OWNER_FREE) {
            list_remove(p);
            p->size += b->size;
            b = p;
        }
    }
    n = next_blk(b);
    if (n)
        n->prev_size = b->size;
    list_push(b);
}

static bool in_heap(const void *p)
{
    const uint8_t *q = p;
    return q >= s_heap.mem && q < s_heap.mem + sizeof s_heap.mem;
}

void *cb_tls_heap_calloc(size_t n, size_t size)
{
    if (s_heap.owner == OWNER_NONE || (size && n > SIZE_MAX / size))
        return NULL;
    void *p = heap_alloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void cb_tls_heap_free(void *p)
{
    if (in_heap(p))
        heap_free((blk_t *)(void *)p - 1);
}

#if !defined(MBEDTLS_PLATFORM_MEMORY)
void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *p);

void *__wrap_calloc(size_t n, size_t size)
{
    return s_heap.owner == OWNER_NONE ? __real_calloc(n, size) : cb_tls_heap_calloc(n, size);
}

void __wrap_free(void *p)
{
    if (in_heap(p))
        cb_tls_heap_free(p);
    else
        __real_free(p);
}
#endif

/* ---- server state ---- */

typedef struct {
    bool used;
    bool done;       /* handshake over */
    bool want_write; /* the last operation waits for the socket to drain */
    bool resumed;
    int fd;
    size_t inflight; /* bytes a waiting mbedtls_ssl_write already took */
    uint64_t deadline_ms;
    mbedtls_ssl_context ssl;
} sess_t;

static struct {
    bool ready;
    cb_tls_bio_t bio;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_ssl_config conf;
    mbedtls_ssl_ticket_context ticket;
    char fingerprint[32 * 3];
    sess_t sess[CB_TLS_SESSIONS];
    cb_tls_stats_t st;
} s_tls;

/* ECDHE key exchange, AEAD only, ECDSA suites first (the smaller handshake);
 * which half applies follows the certificate's key. */
static const int k_suites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

static const mbedtls_ecp_group_id k_curves[] = {
    MBEDTLS_ECP_DP_CURVE25519,
    MBEDTLS_ECP_DP_SECP256R1,
    MBEDTLS_ECP_DP_SECP384R1,
    MBEDTLS_ECP_DP_NONE,
};

static const int k_sig_hashes[] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512,
                                   MBEDTLS_MD_NONE};

static const char *k_alpn[] = {"http/1.1", NULL};

/* Session tickets: keys rotate each day, a ticket lives as long. */
#define TICKET_LIFETIME_S 86400

static void set_err(char *err, size_t cap, const char *what, int ret)
{
    char why[128];
    mbedtls_strerror(ret, why, sizeof why);
    snprintf(err, cap, "%s (mbedtls -0x%04x: %s)", what, (unsigned)-ret, why);
}

static int rng(void *ctx, unsigned char *out, size_t len)
{
    return mbedtls_ctr_drbg_random(ctx, out, len);
}

/* ---- transport ---- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    sess_t *s = ctx;
    int n = s_tls.bio.send(s->fd, buf, len);
    if (n == CB_TLS_AGAIN) {
        s->want_write = true;
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    sess_t *s = ctx;
    int n = s_tls.bio.recv(s->fd, buf, len);
    if (n == CB_TLS_AGAIN)
        return MBEDTLS_ERR_SSL_WANT_READ;
    return n < 0 ? MBEDTLS_ERR_NET_RECV_FAILED : n;
}

/* ---- set-up ---- */

/* The DRBG's entropy is the port's (cb_port_random: getrandom on the host,
 * the TRNG on a board, a fixed sequence under the fuzzer's fake port). */
static int port_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    return cb_port_random(out, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static int seed(char *err, size_t cap)
{
    static const char pers[] = "chatbell-tls";
    if (s_tls.drbg.f_entropy) /* seeded already */
        return 0;
    mbedtls_ctr_drbg_init(&s_tls.drbg);
    int ret = mbedtls_ctr_drbg_seed(&s_tls.drbg, port_entropy, NULL, (const unsigned char *)pers,
                                    sizeof pers - 1);
    if (ret != 0) {
        set_err(err, cap, "tls: cannot seed the random generator", ret);
        return -1;
    }
    return 0;
}

static void make_fingerprint(void)
{
    unsigned char h[32];
    mbedtls_sha256_ret(s_tls.crt.raw.p, s_tls.crt.raw.len, h, 0);
    for (size_t i = 0; i < sizeof h; i++)
        snprintf(s_tls.fingerprint + 3 * i, 4, "%02X%s", h[i], i + 1 < sizeof h ? ":" : "");
}

/* The first ECDSA signature computes the curve's table of multiples of the
 * generator and caches it in the key: make it now, into the shared part. */
static int prewarm_key(void)
{
    unsigned char hash[32] = {0}, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t len;
    return mbedtls_pk_sign(&s_tls.key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &len, rng,
                           &s_tls.drbg);
}

static int configure(char *err, size_t cap)
{
    mbedtls_ssl_config *c = &s_tls.conf;
    int ret = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        set_err(err, cap, "tls: configuration failed", ret);
        return -1;
    }
    mbedtls_ssl_conf_rng(c, rng, &s_tls.drbg);
    /* TLS 1.2 only: Mbed TLS 2.28 has no TLS 1.3 server; 1.0 and 1.1 are deprecated (RFC 8996) */
    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(c, k_suites);
    mbedtls_ssl_conf_curves(c, k_curves);
    mbedtls_ssl_conf_sig_hashes(c, k_sig_hashes);
#if defined(MBEDTLS_SSL_RENEGOTIATION) /* a board's Mbed TLS has none compiled in */
    mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
    mbedtls_ssl_conf_legacy_renegotiation(c, MBEDTLS_SSL_LEGACY_NO_RENEGOTIATION);
    mbedtls_ssl_conf_alpn_protocols(c, k_alpn);
    ret = mbedtls_ssl_conf_own_cert(c, &s_tls.crt, &s_tls.key);
    if (ret == 0)
        ret = mbedtls_ssl_ticket_setup(&s_tls.ticket, rng, &s_tls.drbg, MBEDTLS_CIPHER_AES_256_GCM,
                                       TICKET_LIFETIME_S);
    if (ret != 0) {
        set_err(err, cap, "tls: configuration failed", ret);
        return -1;
    }
    mbedtls_ssl_conf_session_tickets_cb(c, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
                                        &s_tls.ticket);
    return 0;
}

/* The start of every set-up: the heap, the transport, empty contexts, the
 * random generator. Leaves the heap's owner SHARE for the caller. */
static int setup_begin(const cb_tls_bio_t *bio, char *err, size_t cap)
{
    s_tls.ready = false; /* until this set-up has finished */
    heap_init();
    s_heap.owner = OWNER_SHARE;
    s_tls.bio = *bio;
    mbedtls_x509_crt_init(&s_tls.crt);
    mbedtls_pk_init(&s_tls.key);
    mbedtls_ssl_config_init(&s_tls.conf);
    mbedtls_ssl_ticket_init(&s_tls.ticket);
    return seed(err, cap);
}

/* The end of every set-up, once crt and key hold the server's identity. */
static int setup_finish(int rc, char *err, size_t cap)
{
    int ret;
    if (rc == 0 && (ret = mbedtls_pk_check_pair(&s_tls.crt.pk, &s_tls.key)) != 0) {
        set_err(err, cap, "tls_key: does not match the certificate in tls_cert", ret);
        rc = -1;
    }
    if (rc == 0 && (ret = prewarm_key()) != 0) {
        set_err(err, cap, "tls_key: cannot sign with it", ret);
        rc = -1;
    }
    if (rc == 0)
        rc = configure(err, cap);
    if (rc == 0) {
        make_fingerprint();
        s_tls.ready = true;
    }
    s_tls.st.shared_bytes = s_heap.used[OWNER_SHARE];
    s_heap.owner = OWNER_NONE;
    return rc;
}

const char *cb_tls_fingerprint(void)
{
    return s_tls.fingerprint;
}

/* ---- a self-signed certificate ---- */

/* subjectAltName: DNS:localhost, IP:127.0.0.1 and IP:host when it is another
 * IPv4 address (RFC 5280 4.2.1.6), DER written by hand: 2.28 has no writer
 * for it. */
static size_t san_der(const char *host, unsigned char *out)
{
    static const char dns[] = "localhost";
    static const uint8_t lo[4] = {127, 0, 0, 1}, v4[12] = {[10] = 0xff, [11] = 0xff};
    uint8_t a[CB_ADDR_LEN];
    size_t n = 2;
    out[n++] = 0x82; /* [2] dNSName */
    out[n++] = sizeof dns - 1;
    memcpy(out + n, dns, sizeof dns - 1);
    n += sizeof dns - 1;
    const uint8_t *ips[2] = {lo, NULL};
    if (host && cb_addr_parse(cb_span_str(host), a) == CB_OK && memcmp(a, v4, sizeof v4) == 0 &&
        memcmp(a + 12, lo, 4) != 0 && (a[12] | a[13] | a[14] | a[15]) != 0)
        ips[1] = a + 12;
    for (int i = 0; i < 2 && ips[i]; i++) {
        out[n++] = 0x87; /* [7] iPAddress */
        out[n++] = 4;
        memcpy(out + n, ips[i], 4);
        n += 4;
    }
    out[0] = 0x30; /* SEQUENCE OF GeneralName */
    out[1] = (unsigned char)(n - 2);
    return n;
}

/* Fills w for a self-signed CA-less server certificate of pk: subject and
 * issuer CN=chatbell,O=<org>, valid from..until (YYYYMMDDhhmmss, UTC),
 * serial (16 bytes, positive), SAN for host, serverAuth. An Mbed TLS error. */
static int cert_fill(mbedtls_x509write_cert *w, mbedtls_pk_context *pk, const char *name,
                     const char *host, const char *from, const char *until,
                     const unsigned char serial_b[16])
{
    /* extKeyUsage: serverAuth (1.3.6.1.5.5.7.3.1) */
    static const unsigned char eku[] = {0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06,
                                        0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
    unsigned char san[64];
    mbedtls_mpi serial;
    int ret;
    mbedtls_mpi_init(&serial);
    mbedtls_x509write_crt_set_version(w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(w, pk);
    mbedtls_x509write_crt_set_issuer_key(w, pk);
    size_t san_len = san_der(host, san);
    if ((ret = mbedtls_mpi_read_binary(&serial, serial_b, 16)) != 0 ||
        (ret = mbedtls_x509write_crt_set_serial(w, &serial)) != 0 ||
        (ret = mbedtls_x509write_crt_set_validity(w, from, until)) != 0 ||
        (ret = mbedtls_x509write_crt_set_subject_name(w, name)) != 0 ||
        (ret = mbedtls_x509write_crt_set_issuer_name(w, name)) != 0 ||
        (ret = mbedtls_x509write_crt_set_basic_constraints(w, 1, 0)) != 0 ||
#if defined(MBEDTLS_SHA1_C) /* key identifiers are SHA-1 hashes: the board has none */
        (ret = mbedtls_x509write_crt_set_subject_key_identifier(w)) != 0 ||
        (ret = mbedtls_x509write_crt_set_authority_key_identifier(w)) != 0 ||
#endif
        (ret = mbedtls_x509write_crt_set_key_usage(w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
                                                          MBEDTLS_X509_KU_KEY_CERT_SIGN)) != 0 ||
        (ret = mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                   MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
                                                   0, san, san_len)) != 0)
        ret = ret ? ret : -1;
    else
        ret = mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
                                                  0, eku, sizeof eku);
    mbedtls_mpi_free(&serial);
    return ret;
}

#if defined(MBEDTLS_FS_IO)
/* ---- the host: PEM files ---- */

int cb_tls_setup(const char *cert_path, const char *key_path, const cb_tls_bio_t *bio, char *err,
                 size_t cap)
{
    int ret;
    if (setup_begin(bio, err, cap) != 0)
        return setup_finish(-1, err, cap);
    if ((ret = mbedtls_x509_crt_parse_file(&s_tls.crt, cert_path)) != 0) {
        char what[300];
        snprintf(what, sizeof what, "tls_cert: cannot read a PEM certificate from %s", cert_path);
        set_err(err, cap, what, ret);
        return setup_finish(-1, err, cap);
    }
    if ((ret = mbedtls_pk_parse_keyfile(&s_tls.key, key_path, NULL)) != 0) {
        char what[300];
        snprintf(what, sizeof what, "tls_key: cannot read an unencrypted PEM key from %s",
                 key_path);
        set_err(err, cap, what, ret);
        return setup_finish(-1, err, cap);
    }
    if (!mbedtls_pk_can_do(&s_tls.key, MBEDTLS_PK_ECDSA) &&
        !mbedtls_pk_can_do(&s_tls.key, MBEDTLS_PK_RSA)) {
        snprintf(err, cap, "tls_key: must be an ECDSA or RSA key");
        return setup_finish(-1, err, cap);
    }
    return setup_finish(0, err, cap);
}

static int write_file(const char *path, const unsigned char *data, mode_t mode, char *err,
                      size_t cap)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    size_t len = strlen((const char *)data);
    if (fd < 0 || fchmod(fd, mode) != 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
        close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, cap, "tls: cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* A self-signed certificate lives 397 days (the CA/Browser Forum's limit,
 * which testssl.sh checks) and is made again at a start within 30 days of
 * its end: its fingerprint then changes (the banner shows the new one). */
#define SELF_SIGNED_DAYS  397
#define SELF_SIGNED_RENEW 30

/* True if the certificate in path ends more than SELF_SIGNED_RENEW days
 * from now. */
static bool lasts(const char *path)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    bool ok = false;
    if (mbedtls_x509_crt_parse_file(&crt, path) == 0) {
        time_t soon = time(NULL) + (time_t)SELF_SIGNED_RENEW * 86400;
        struct tm tm;
        gmtime_r(&soon, &tm);
        const mbedtls_x509_time *to = &crt.valid_to;
        long have = ((long)to->year * 13 + to->mon) * 32 + to->day;
        long want = ((long)(tm.tm_year + 1900) * 13 + tm.tm_mon + 1) * 32 + tm.tm_mday;
        ok = have > want;
    }
    mbedtls_x509_crt_free(&crt);
    return ok;
}

static int make_self_signed(const char *host, const char *cert, const char *key, char *err,
                            size_t cap)
{
    static unsigned char pem[4096];
    unsigned char serial_b[16];
    char from[16], until[16];
    int rc = -1, ret;
    mbedtls_pk_context pk;
    mbedtls_x509write_cert w;
    mbedtls_pk_init(&pk);
    mbedtls_x509write_crt_init(&w);

    time_t now = time(NULL);
    struct tm tm;
    time_t before = now - 86400; /* a day of slack for clocks behind */
    strftime(from, sizeof from, "%Y%m%d%H%M%S", gmtime_r(&before, &tm));
    time_t after = now + (time_t)SELF_SIGNED_DAYS * 86400;
    strftime(until, sizeof until, "%Y%m%d%H%M%S", gmtime_r(&after, &tm));

    if ((ret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
        (ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), rng,
                                   &s_tls.drbg)) != 0 ||
        (ret = mbedtls_ctr_drbg_random(&s_tls.drbg, serial_b, sizeof serial_b)) != 0) {
        set_err(err, cap, "tls: cannot make a P-256 key", ret);
        goto cleanup;
    }
    serial_b[0] &= 0x7f; /* a positive serial */
    if ((ret = cert_fill(&w, &pk, "CN=chatbell,O=chatbell self-signed", host, from, until,
                         serial_b)) != 0) {
        set_err(err, cap, "tls: cannot build the certificate", ret);
        goto cleanup;
    }
    if ((ret = mbedtls_pk_write_key_pem(&pk, pem, sizeof pem)) != 0) {
        set_err(err, cap, "tls: cannot encode the key", ret);
        goto cleanup;
    }
    if (write_file(key, pem, 0600, err, cap) != 0)
        goto cleanup;
    if ((ret = mbedtls_x509write_crt_pem(&w, pem, sizeof pem, rng, &s_tls.drbg)) != 0) {
        set_err(err, cap, "tls: cannot sign the certificate", ret);
        goto cleanup;
    }
    if (write_file(cert, pem, 0644, err, cap) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    mbedtls_platform_zeroize(pem, sizeof pem);
    mbedtls_x509write_crt_free(&w);
    mbedtls_pk_free(&pk);
    return rc;
}

int cb_tls_self_signed(const char *dir, const char *host, char *cert, char *key, size_t pathcap,
                       char *err, size_t cap)
{
    if ((size_t)snprintf(cert, pathcap, "%s/tls-self-signed.crt", dir) >= pathcap ||
        (size_t)snprintf(key, pathcap, "%s/tls-self-signed.key", dir) >= pathcap) {
        snprintf(err, cap, "tls: data dir path too long");
        return -1;
    }
    if (!s_heap.free_head)
        heap_init();
    s_heap.owner = OWNER_SHARE;
    if (access(key, R_OK) == 0 && lasts(cert)) {
        s_heap.owner = OWNER_NONE;
        return 0;
    }
    int rc = seed(err, cap) == 0 ? make_self_signed(host, cert, key, err, cap) : -1;
    s_heap.owner = OWNER_NONE;
    if (rc == 0)
        cb_port_log(CB_LOG_INFO, "tls: made a self-signed ECDSA P-256 certificate %s", cert);
    return rc;
}

#endif /* MBEDTLS_FS_IO */

/* ---- the device's own key and certificate (a board's; any build can make
 * them, tests/unit/test_tls_device.c does on the host) ---- */

int cb_tls_device_key(uint8_t key[CB_TLS_DEVICE_KEY_LEN], char *err, size_t cap)
{
    mbedtls_ecp_keypair kp;
    if (!s_heap.free_head)
        heap_init();
    s_heap.owner = OWNER_SHARE;
    mbedtls_ecp_keypair_init(&kp);
    int ret = seed(err, cap) != 0
                  ? -1
                  : mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, &kp, rng, &s_tls.drbg);
    if (ret == 0)
        ret = mbedtls_mpi_write_binary(&kp.d, key, CB_TLS_DEVICE_KEY_LEN);
    if (ret > 0 || ret < -1)
        set_err(err, cap, "tls: cannot make a P-256 key", ret);
    mbedtls_ecp_keypair_free(&kp);
    s_heap.owner = OWNER_NONE;
    return ret == 0 ? 0 : -1;
}

/* The device's certificate is valid from before any image was built until
 * the end of 2099: a board has no wall clock at boot, and its clients pin
 * the certificate (its fingerprint) rather than trust a CA. */
#define DEVICE_FROM  "20250101000000"
#define DEVICE_UNTIL "20991231235959"

/* key: the P-256 private key; the certificate: made from it the same way
 * at every boot (deterministic ECDSA, the serial a hash of the public key),
 * so its fingerprint only changes with host. */
static int device_identity(const uint8_t *key, const char *host, char *err, size_t cap)
{
    unsigned char der[1024], pub[65], h[32];
    size_t publen;
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_ecp_keypair *kp;
    int ret = mbedtls_pk_setup(&s_tls.key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (ret == 0) {
        kp = mbedtls_pk_ec(s_tls.key);
        ret = mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, kp, key, CB_TLS_DEVICE_KEY_LEN);
    }
    if (ret == 0)
        ret = mbedtls_ecp_mul(&kp->grp, &kp->Q, &kp->d, &kp->grp.G, rng, &s_tls.drbg);
    if (ret == 0)
        ret = mbedtls_ecp_point_write_binary(&kp->grp, &kp->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &publen,
                                             pub, sizeof pub);
    if (ret != 0) {
        set_err(err, cap, "tls_key: the device key is not a P-256 key", ret);
        mbedtls_x509write_crt_free(&w);
        return -1;
    }
    mbedtls_sha256_ret(pub, publen, h, 0);
    h[0] &= 0x7f; /* a positive serial */
    ret = cert_fill(&w, &s_tls.key, "CN=chatbell,O=chatbell device", host, DEVICE_FROM,
                    DEVICE_UNTIL, h);
    int len = ret == 0 ? mbedtls_x509write_crt_der(&w, der, sizeof der, rng, &s_tls.drbg) : ret;
    if (len > 0)
        ret = mbedtls_x509_crt_parse_der(&s_tls.crt, der + sizeof der - len, (size_t)len);
    else
        ret = len ? len : -1;
    mbedtls_x509write_crt_free(&w);
    if (ret != 0) {
        set_err(err, cap, "tls: cannot make the device certificate", ret);
        return -1;
    }
    return 0;
}

int cb_tls_setup_device(const uint8_t key[CB_TLS_DEVICE_KEY_LEN], const char *host,
                        const cb_tls_bio_t *bio, char *err, size_t cap)
{
    int rc = setup_begin(bio, err, cap);
    if (rc == 0)
        rc = device_identity(key, host, err, cap);
    return setup_finish(rc, err, cap);
}

const uint8_t *cb_tls_device_cert(size_t *len)
{
    *len = s_tls.ready ? s_tls.crt.raw.len : 0;
    return s_tls.ready ? s_tls.crt.raw.p : NULL;
}

#if defined(MBEDTLS_PLATFORM_TIME_MACRO) /* a board: Mbed TLS's clock */
time_t cb_tls_board_time(time_t *t)
{
    time_t now = (time_t)(cb_port_now_ms() / 1000u);
    if (t)
        *t = now;
    return now;
}
#endif

/* ---- sessions ---- */

static sess_t *enter(int t)
{
    s_heap.owner = t;
    return &s_tls.sess[t];
}

static void leave(void)
{
    s_heap.owner = OWNER_NONE;
}

static void note_progress(sess_t *s)
{
    if (s->done)
        return;
    if (s->ssl.handshake && s->ssl.handshake->resume)
        s->resumed = true;
    if (s->ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER) {
        s->done = true;
        s_tls.st.handshakes++;
        s_tls.st.resumed += s->resumed;
    }
}

/* A result of ssl_read / ssl_write that is not a count. */
static int map_ret(int t, int ret)
{
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return CB_TLS_AGAIN;
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == 0)
        return 0;
    if (!s_tls.sess[t].done)
        s_tls.st.failed++;
    cb_port_log(CB_LOG_DEBUG, "tls: session %d %s: mbedtls -0x%04x", t,
                s_tls.sess[t].done ? "failed" : "handshake failed", (unsigned)-ret);
    return CB_TLS_FAIL;
}

int cb_tls_open(int fd, uint64_t now_ms)
{
    int t = 0;
    while (t < CB_TLS_SESSIONS && s_tls.sess[t].used)
        t++;
    if (!s_tls.ready || t == CB_TLS_SESSIONS) {
        s_tls.st.refused++;
        return -1;
    }
    sess_t *s = enter(t);
    memset(s, 0, sizeof *s);
    mbedtls_ssl_init(&s->ssl);
    int ret = mbedtls_ssl_setup(&s->ssl, &s_tls.conf);
    if (ret != 0) {
        mbedtls_ssl_free(&s->ssl);
        leave();
        s_tls.st.refused++;
        cb_port_log(CB_LOG_WARN, "tls: cannot start a session (mbedtls -0x%04x)", (unsigned)-ret);
        return -1;
    }
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
    leave();
    s->used = true;
    s->fd = fd;
    s->deadline_ms = now_ms + CB_TLS_HANDSHAKE_MS;
    if (++s_tls.st.sessions > s_tls.st.sessions_peak)
        s_tls.st.sessions_peak = s_tls.st.sessions;
    return t;
}

int cb_tls_recv(int t, uint8_t *buf, size_t cap)
{
    sess_t *s = enter(t);
    s->want_write = false;
    int ret = mbedtls_ssl_read(&s->ssl, buf, cap);
    note_progress(s);
    leave();
    return ret > 0 ? ret : map_ret(t, ret);
}

int cb_tls_send(int t, const uint8_t *buf, size_t len)
{
    sess_t *s = enter(t);
    s->want_write = false;
    size_t n = s->inflight;
    if (!n) {
        int max = mbedtls_ssl_get_max_out_record_payload(&s->ssl);
        n = max > 0 && (size_t)max < len ? (size_t)max : len;
    }
    int ret = mbedtls_ssl_write(&s->ssl, buf, n);
    note_progress(s);
    leave();
    if (ret > 0) {
        s->inflight = 0;
        return ret;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ)
        s->inflight = n;
    return map_ret(t, ret);
}

bool cb_tls_wants_write(int t)
{
    return t >= 0 && s_tls.sess[t].want_write;
}

size_t cb_tls_pending(int t)
{
    if (t < 0 || !s_tls.sess[t].done)
        return 0;
    return mbedtls_ssl_get_bytes_avail(&s_tls.sess[t].ssl);
}

bool cb_tls_expired(int t, uint64_t now_ms)
{
    return t >= 0 && !s_tls.sess[t].done && now_ms >= s_tls.sess[t].deadline_ms;
}

bool cb_tls_full(void)
{
    return s_tls.st.sessions >= CB_TLS_SESSIONS;
}

bool cb_tls_idle(int t)
{
    if (t < 0 || !s_tls.sess[t].used)
        return false;
    const sess_t *s = &s_tls.sess[t];
    return s->done && !s->want_write && !s->inflight && !mbedtls_ssl_check_pending(&s->ssl) &&
           s->ssl.out_left == 0;
}

void cb_tls_evicted(int t)
{
    if (t >= 0 && s_tls.sess[t].used)
        s_tls.st.evicted++;
}

void cb_tls_notify_close(int t)
{
    if (t < 0 || !s_tls.sess[t].done)
        return;
    sess_t *s = enter(t);
    (void)mbedtls_ssl_close_notify(&s->ssl);
    leave();
}

void cb_tls_close(int t)
{
    if (t < 0 || !s_tls.sess[t].used)
        return;
    sess_t *s = enter(t);
    mbedtls_ssl_free(&s->ssl);
    leave();
    s->used = false;
    s_tls.st.sessions--;
}

void cb_tls_stats(cb_tls_stats_t *st)
{
    *st = s_tls.st;
    st->heap_bytes = sizeof s_heap.mem;
    st->heap_in_use = s_heap.in_use;
    st->heap_peak = s_heap.peak;
    st->session_peak = s_heap.session_peak;
}
