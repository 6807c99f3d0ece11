/* cb_tls.h - HTTPS below the core (issue 16): one Mbed TLS 1.2 server session
 * per TLS connection, over a non-blocking socket, on the loop's one thread.
 * Implemented by third_party/mbedtls/cb_tls_mbedtls.c (the only file that
 * spells mbedtls_); the loop reaches it through cb_conn.h. */
#ifndef CB_TLS_H
#define CB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A build's own figures come from its config header (a board's
 * CB_CFG_TLS_CONN, CB_CFG_TLS_SESSION_BYTES, CB_CFG_TLS_SHARED_BYTES). */
#include "cb_config.h"
#if defined(CB_CFG_TLS_CONN) && !defined(CB_TLS_SESSIONS)
#define CB_TLS_SESSIONS      CB_CFG_TLS_CONN
#define CB_TLS_SESSION_BYTES CB_CFG_TLS_SESSION_BYTES
#define CB_TLS_SHARED_BYTES  CB_CFG_TLS_SHARED_BYTES
#endif

/* TLS sessions at once; a TLS connection accepted past it is closed at once
 * (no handshake is started). Each costs CB_TLS_SESSION_BYTES of the TLS heap. */
#ifndef CB_TLS_SESSIONS
#define CB_TLS_SESSIONS 64
#endif

/* Heap bytes one session may hold: two 16 KiB + 301 byte record buffers
 * (Debian's 2.28 is built with 16 KiB in and out: a client may send full
 * records), the handshake (ECDHE, transcript hashes, key schedule) and two
 * AEAD transforms. Measured peaks (docs/DESIGN.md): ECDSA P-256 key 43,328,
 * RSA-2048 43,088, RSA-4096 49,760. An allocation past it fails and that
 * handshake alone is closed. */
#ifndef CB_TLS_SESSION_BYTES
#define CB_TLS_SESSION_BYTES (52 * 1024)
#endif

/* Heap bytes for what every session shares: certificate chain, private key
 * (with its precomputed ECDSA table), session-ticket keys. */
#ifndef CB_TLS_SHARED_BYTES
#define CB_TLS_SHARED_BYTES (64 * 1024)
#endif

/* A handshake not finished within this is closed without a response. */
#ifndef CB_TLS_HANDSHAKE_MS
#define CB_TLS_HANDSHAKE_MS 5000u
#endif

/* Results of the I/O functions below besides a byte count. */
#define CB_TLS_AGAIN (-1) /* would block: poll (cb_tls_wants_write says for what) */
#define CB_TLS_FAIL  (-2) /* protocol error, alert or transport error: close */

/* The transport under every session (the loop's sockets, or a fuzzer's
 * bytes): like recv/send on fd, returning a count, 0 for EOF (recv only),
 * CB_TLS_AGAIN or CB_TLS_FAIL. */
typedef struct {
    int (*recv)(int fd, uint8_t *buf, size_t cap);
    int (*send)(int fd, const uint8_t *buf, size_t len);
} cb_tls_bio_t;

/* Loads the PEM certificate (chain) and private key (ECDSA or RSA) and sets
 * up the server: TLS 1.2 only, ECDHE with AEAD suites only, session tickets,
 * no renegotiation. Call once at start-up. 0, or -1 with one line in err
 * ("tls_cert: ...") that never holds key material. */
int cb_tls_setup(const char *cert_path, const char *key_path, const cb_tls_bio_t *bio, char *err,
                 size_t cap);

/* Makes dir/tls-self-signed.crt and dir/tls-self-signed.key (ECDSA P-256,
 * key 0600, valid 397 days, for localhost, 127.0.0.1 and host when it is an
 * IPv4 address) unless both exist and the certificate has more than 30 days
 * left, and puts their paths in cert/key. 0, or -1 with one line in err. */
int cb_tls_self_signed(const char *dir, const char *host, char *cert, char *key, size_t pathcap,
                       char *err, size_t cap);

/* A device's own identity (a board's, which has no files).
 * cb_tls_device_key makes a P-256 private key (CB_TLS_DEVICE_KEY_LEN bytes,
 * big-endian) from the port's entropy, for the board to keep; 0 or -1 with
 * err. cb_tls_setup_device sets up the server as cb_tls_setup does, with
 * that key and a self-signed certificate made from it (for localhost,
 * 127.0.0.1 and host, an IPv4 address), the same at every boot. */
#define CB_TLS_DEVICE_KEY_LEN 32
int cb_tls_device_key(uint8_t key[CB_TLS_DEVICE_KEY_LEN], char *err, size_t cap);
int cb_tls_setup_device(const uint8_t key[CB_TLS_DEVICE_KEY_LEN], const char *host,
                        const cb_tls_bio_t *bio, char *err, size_t cap);
/* That certificate's DER bytes (NULL before the set-up), for the console. */
const uint8_t *cb_tls_device_cert(size_t *len);

/* "AB:CD:..." SHA-256 of the loaded leaf certificate (after cb_tls_setup). */
const char *cb_tls_fingerprint(void);

/* Starts a server session on fd. Its number (>= 0), or -1 when all
 * CB_TLS_SESSIONS are taken or the heap is short. */
int cb_tls_open(int fd, uint64_t now_ms);

/* Reads decrypted bytes, driving the handshake first: a count, 0 when the
 * peer closed (close_notify or EOF), CB_TLS_AGAIN or CB_TLS_FAIL. */
int cb_tls_recv(int t, uint8_t *buf, size_t cap);

/* Encrypts and sends: a count (at most one record), CB_TLS_AGAIN (call again
 * with the same bytes once writable: the first ones may already be taken),
 * or CB_TLS_FAIL. */
int cb_tls_send(int t, const uint8_t *buf, size_t len);

/* The session waits for the socket to take bytes (poll for POLLOUT). */
bool cb_tls_wants_write(int t);
/* Decrypted bytes held inside the session, that no poll() will announce. */
size_t cb_tls_pending(int t);
/* True once a handshake has run past CB_TLS_HANDSHAKE_MS. */
bool cb_tls_expired(int t, uint64_t now_ms);

/* Every session is taken (the next cb_tls_open would be refused). */
bool cb_tls_full(void);
/* Session t is between records: handshake over, no byte read ahead (not even
 * part of a record), nothing waiting to be sent. */
bool cb_tls_idle(int t);
/* Session t gives way to a newcomer (counted `evicted`); close it as usual. */
void cb_tls_evicted(int t);

/* Sends close_notify, best effort (no-op before the handshake is over). */
void cb_tls_notify_close(int t);
/* Frees the session; t < 0 is ignored. */
void cb_tls_close(int t);

typedef struct {
    size_t heap_bytes;      /* the TLS heap's size */
    size_t heap_in_use;     /* in use now */
    size_t heap_peak;       /* most of it ever in use */
    size_t shared_bytes;    /* held by certificate, key and tickets */
    size_t session_peak;    /* most one session ever held */
    unsigned sessions;      /* open now */
    unsigned sessions_peak; /* most open at once */
    unsigned handshakes;    /* completed */
    unsigned resumed;       /* of which by session ticket */
    unsigned failed;        /* handshakes ended by an error, alert or EOF */
    unsigned refused;       /* opens refused: no session free */
    unsigned evicted;       /* idle sessions closed to make room for a newcomer */
} cb_tls_stats_t;

void cb_tls_stats(cb_tls_stats_t *st);

#endif
