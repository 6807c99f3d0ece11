/* cb_board_config.h - the core's sizes on lm3s6965evb (64 KiB SRAM): SPEC 8's
 * row and this part's choices, in the CB_CFG_* names of app/cb_config.h
 * (read as CB_CONFIG_FILE by the core, the loop and lwIP's options). The
 * linker script holds the whole image to the part's 64 KiB: a size that does
 * not fit is a link error. */
#ifndef CB_BOARD_CONFIG_H
#define CB_BOARD_CONFIG_H

/* SPEC 8 */
#define CB_CFG_MAX_CONN         4    /* connections served at once */
#define CB_CFG_BODY_MAX         4096 /* 413 past it */
#define CB_CFG_HTTP_LINE_MAX    512  /* the head: 2 KiB in all */
#define CB_CFG_HTTP_HEADERS_MAX 1536
/* SPEC 8's 1,024 remembered events in two tiers (app/cb_inbox.h): the
 * newest 128 whole in RAM (an 8-byte key, its seq and state, 2 index slots:
 * 17 bytes each), the 896 before them as a 2-byte fingerprint each,
 * confirmed in the journal (flash) on a match: 3.9 KiB where 1,024 whole
 * ones would take 17 KiB. */
#define CB_CFG_DEDUPE_MAX  1024
#define CB_CFG_DEDUPE_RAM  128
#define CB_CFG_INBOX_SHOWN 4   /* unacknowledged shown, in RAM */
#define CB_CFG_UNACKED_MAX 256 /* unacknowledged tracked */

/* Memory that follows use: a 1 KiB head each (a webhook's is about half of
 * it; a longer one moves into a pool buffer), bodies and the /metrics page in
 * 2 shared buffers, a small read-ahead per socket, 2 draining sockets. */
#define CB_CFG_CONN_HEAD       1024
#define CB_CFG_HTTP_MAX_FIELDS 24
#define CB_CFG_BODY_BUFS       2
#define CB_CFG_RESP_MAX        512
#define CB_CFG_RX_MAX          256
#define CB_CFG_DRAIN_MAX       2
#define CB_CFG_JSON_MAX_TOKENS 64 /* an event is about 20 */
#define CB_CFG_RATE_SOURCES    6
#define CB_CFG_STR_MAX         64 /* paths, labels, patterns (secrets keep 128) */
#define CB_CFG_ID_MAX          32 /* the job id tail a 2x16 or 4x20 line shows */
#define CB_CFG_SENDERS_MAX     3  /* SH, SUP and one more (DRV); others show as their code */
#define CB_CFG_SHOWN_TEXT_MAX  128
#define CB_CFG_METRICS_HELP    0    /* /metrics without HELP lines fits ... */
#define CB_CFG_POOL_PAGE_MIN   4096 /* ... a body-sized 4 KiB pool buffer */
#define CB_CFG_DUPKEY_LEN      8    /* the odds: cb_config.h */
#define CB_CFG_CRC_SLICES      1    /* no 7 KiB of RAM for CRC tables */

/* One record and its frames per commit (a second waits for the next turn);
 * a signal-log line (the console) holds 1 KiB, a longer text is cut there
 * ("truncated":true; the journal keeps it whole). */
#define CB_CFG_COMMIT_ARENA (CB_CFG_RECORD_MAX + 64)
#define CB_CFG_SIGLOG_MAX   1024

#endif
