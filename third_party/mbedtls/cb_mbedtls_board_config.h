/* cb_mbedtls_board_config.h - Mbed TLS 2.28 configured down to what a board
 * uses: SHA-256, the constant-time compare and zeroize for the core
 * (cb_crypto_mbedtls.c); with CB_BOARD_TLS (mps2-an385's HTTPS image) also a
 * lean TLS 1.2 server (cb_tls_mbedtls.c). Selected for cross builds with
 * -DMBEDTLS_CONFIG_FILE (cmake/cb_cortexm.cmake); the host uses Debian's
 * libmbedtls as built. */
#ifndef CB_MBEDTLS_BOARD_CONFIG_H
#define CB_MBEDTLS_BOARD_CONFIG_H

/* SHA-224/256 (library/sha256.c); the smaller, slower variant suits
 * Cortex-M flash budgets (about 1 KiB less code). */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER

#if CB_BOARD_TLS
/* The server of issue 16: TLS 1.2 only, ECDHE-ECDSA on P-256 with AEAD
 * suites (AES-GCM, AES-CCM, ChaCha20-Poly1305, all SHA-256 based: no
 * SHA-384/512, no RSA, no CBC), session tickets, no renegotiation. The
 * certificate is the device's own (self-signed, made at boot from its key:
 * x509write); nothing reads files. */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_CIPHERSUITES                                                                   \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,                                               \
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,                                     \
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CCM

/* Records: a client may send a full 16 KiB one (few ask for a smaller
 * maximum), so the input buffer is whole; what the device sends is small
 * (answers of 512 bytes, /metrics of a few KiB cut into records of 2 KiB). */
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048

/* Ciphers */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES /* the tables in flash, not 8 KiB of RAM */
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C

/* Public key: P-256 only, small windows (RAM over speed), no fixed-point
 * table; ECDSA signatures deterministic (RFC 6979) so the certificate the
 * device makes from its key is the same at every boot. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE       2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECP_MAX_BITS          256
#define MBEDTLS_MPI_MAX_SIZE          32
#define MBEDTLS_MPI_WINDOW_SIZE       2
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_BASE64_C

/* Every allocation comes from cb_tls's bounded static heap
 * (cb_tls_mbedtls.c); there is no libc heap. */
#include <stddef.h>
void *cb_tls_heap_calloc(size_t n, size_t size);
void cb_tls_heap_free(void *p);
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_CALLOC_MACRO cb_tls_heap_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO   cb_tls_heap_free

/* Time: seconds since boot from the tick clock (cb_tls_mbedtls.c), for the
 * session tickets' lifetime and key rotation. No wall clock is needed: the
 * server checks no certificate's dates. (It also fills the ServerHello's
 * gmt_unix_time field, which clients ignore.) */
#include <time.h>
time_t cb_tls_board_time(time_t *t);
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_PLATFORM_TIME_MACRO cb_tls_board_time
#define MBEDTLS_ERROR_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#endif

/* Nothing else: no file system, wall time or libc heap. */

#include "mbedtls/check_config.h"

#endif
