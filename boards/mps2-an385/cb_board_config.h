/* cb_board_config.h - the core's sizes on mps2-an385 (SPEC 8's row: <= 256 KiB
 * of static RAM with lwIP and stacks), and with CB_BOARD_TLS those of its
 * HTTPS build. Named by CB_CONFIG_FILE in this board's CMakeLists.txt (the
 * HTTPS build's through cb_board_config_tls.h); app/cb_config.h says what
 * each bounds. lwIP's lwipopts.h sizes its sockets from CB_CFG_MAX_CONN:
 * the loop's 16 serving and CB_CFG_DRAIN_MAX draining sockets and the
 * listeners (33; 21 in the HTTPS build). */
#ifndef CB_BOARD_CONFIG_H
#define CB_BOARD_CONFIG_H

/* SPEC 8 */
#define CB_CFG_MAX_CONN         16
#define CB_CFG_BODY_MAX         16384
#define CB_CFG_HTTP_LINE_MAX    2048
#define CB_CFG_HTTP_HEADERS_MAX 8192
#define CB_CFG_DEDUPE_MAX       1024
#define CB_CFG_INBOX_SHOWN      64
#define CB_CFG_UNACKED_MAX      1024

/* Memory that follows use: a 1 KiB head each (a webhook's is about half
 * that), bodies (and longer heads, and the /metrics page) in 3 shared
 * buffers, a small read-ahead per socket. */
#define CB_CFG_CONN_HEAD 1024
#if !CB_BOARD_TLS
#define CB_CFG_BODY_BUFS 3
#define CB_CFG_RX_MAX    512
#define CB_CFG_DRAIN_MAX 16
#else
/* The HTTPS build (cb_board_config_tls.h; boards/mps2-an385/README.md):
 * SPEC 8's row stays; its TLS session is paid for with 2 body buffers
 * instead of 3, a 256-byte read-ahead, 4 draining sockets and smaller lwIP
 * pools (lwipopts.h). A
 * TLS session holds a 16 KiB record buffer (a client may send a full
 * record), a 2 KiB one for what the board sends and, while it lasts, the
 * handshake's working set (ECDHE and an ECDSA signature on P-256): 22,176
 * bytes at its peak (measured: the 's' key); what every session shares
 * (the device's key and certificate, ticket keys) 2,992. */
#define CB_CFG_BODY_BUFS         2
#define CB_CFG_RX_MAX            256
#define CB_CFG_DRAIN_MAX         4
#define CB_CFG_TLS_CONN          1
#define CB_CFG_TLS_SESSION_BYTES (23 * 1024)
#define CB_CFG_TLS_SHARED_BYTES  (4 * 1024)
#endif
#define CB_CFG_RATE_SOURCES 32
#define CB_CFG_DUPKEY_LEN   8 /* 1,024 keys in 13 KiB (cb_config.h: the odds) */
#define CB_CFG_CRC_SLICES   1 /* no 7 KiB of RAM for CRC tables */
/* The 64 shown messages keep 128 bytes of text each for the display to
 * scroll (the journal and the signal log keep it whole); a body's JSON has
 * a few dozen tokens, 128 at most. */
#define CB_CFG_SHOWN_TEXT_MAX  128
#define CB_CFG_JSON_MAX_TOKENS 128

/* JSON answers fit 512 bytes (the /metrics page goes out of a body buffer).
 * The commit arena holds one full record and change (a second waits for the
 * next commit). A signal-log line holds 4 KiB: a longer text is cut there
 * ("truncated":true; the journal keeps it whole), which also keeps a line
 * from holding the loop on a real UART. */
#define CB_CFG_RESP_MAX     512
#define CB_CFG_COMMIT_ARENA (CB_CFG_RECORD_MAX + 64)
#define CB_CFG_SIGLOG_MAX   4096

#endif
