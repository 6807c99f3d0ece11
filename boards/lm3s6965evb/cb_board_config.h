/* cb_board_config.h - the core's sizes on lm3s6965evb (64 KiB SRAM): SPEC 8's
 * row, in the CB_CFG_* names of app/cb_config.h (read as CB_CONFIG_FILE by
 * the core, the loop and lwIP's options). */
#ifndef CB_BOARD_CONFIG_H
#define CB_BOARD_CONFIG_H

#ifndef CB_LM3S_TEMPORARY_SMALL
#define CB_LM3S_TEMPORARY_SMALL 1
#endif

#if CB_LM3S_TEMPORARY_SMALL
/* TEMPORARY, until the `mem` branch makes the core's RAM follow use: with
 * SPEC 8's row below, the image needs 215 KiB of static RAM (the link
 * overflows the part's 64 KiB by 154,080 bytes: the core 157 KiB with 4
 * connections at their worst case, the signal log's 25 KiB buffer, the
 * inbox's 1,024 duplicate keys; the loop's slots 32 KiB). These smaller
 * figures link, so that the drivers can be developed and tested; the tests
 * read whatever this header says. Build with -DCB_LM3S_TEMPORARY_SMALL=0 in
 * CMAKE_C_FLAGS to see the overflow. */
#define CB_CFG_MAX_CONN        1
#define CB_CFG_BODY_MAX        1024
#define CB_CFG_DEDUPE_MAX      32
#define CB_CFG_JSON_MAX_TOKENS 48
#define CB_CFG_RATE_SOURCES    8
#define CB_CFG_RX_MAX          512
#define CB_CFG_SHOWN_TEXT_MAX  64
#define CB_CFG_COMMIT_ARENA    (CB_CFG_BODY_MAX + 1024)
#else
#define CB_CFG_MAX_CONN   4    /* connections served at once */
#define CB_CFG_BODY_MAX   4096 /* 413 past it */
#define CB_CFG_DEDUPE_MAX 1024 /* remembered events */
#endif
#define CB_CFG_INBOX_SHOWN 4   /* unacknowledged shown, in RAM */
#define CB_CFG_UNACKED_MAX 256 /* unacknowledged tracked */
/* The head (request line + headers): 2 KiB in all. */
#define CB_CFG_HTTP_LINE_MAX    512
#define CB_CFG_HTTP_HEADERS_MAX 1536

#endif
