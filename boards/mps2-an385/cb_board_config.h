/* cb_board_config.h - the core's sizes on mps2-an385 (SPEC 8's row: <= 256 KiB
 * of static RAM with lwIP and stacks). Named by CB_CONFIG_FILE in this board's
 * CMakeLists.txt; app/cb_config.h says what each bounds. lwIP's lwipopts.h
 * sizes its sockets from CB_CFG_MAX_CONN: 2 x 16 + 1, the loop's 16 serving
 * and CB_CFG_DRAIN_MAX (16) draining sockets and the listener. */
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
#define CB_CFG_CONN_HEAD    1024
#define CB_CFG_BODY_BUFS    3
#define CB_CFG_RX_MAX       512
#define CB_CFG_DRAIN_MAX    16
#define CB_CFG_RATE_SOURCES 32

/* JSON answers fit 512 bytes (the /metrics page goes out of a body buffer).
 * The commit arena holds one full record and change (a second waits for the
 * next commit). A signal-log line holds 4 KiB: a longer text is cut there
 * ("truncated":true; the journal keeps it whole), which also keeps a line
 * from holding the loop on a real UART. */
#define CB_CFG_RESP_MAX     512
#define CB_CFG_COMMIT_ARENA (CB_CFG_BODY_MAX + 256 + 2048)
#define CB_CFG_SIGLOG_MAX   4096

#endif
