/* cb_config.h - every build-time size and limit of the core.
 * Each is an #ifndef default; a build states its own figures in one config
 * header named by CB_CONFIG_FILE (as lwIP's lwipopts.h over opt.h), included
 * first. The host keeps these defaults; boards/<board>/cb_board_config.h.
 * Run-time settings (cb_settings.h) may lower these, never raise them. */
#ifndef CB_CONFIG_H
#define CB_CONFIG_H

#ifdef CB_CONFIG_FILE
#include CB_CONFIG_FILE
#endif

/* Connections served at once; one more gets 503 busy and is closed (SPEC 2). */
#ifndef CB_CFG_MAX_CONN
#define CB_CFG_MAX_CONN 64
#endif

/* Request line bytes (method, target, version); longer gets 414. */
#ifndef CB_CFG_HTTP_LINE_MAX
#define CB_CFG_HTTP_LINE_MAX 2048
#endif

/* All header bytes after the request line; more gets 431. */
#ifndef CB_CFG_HTTP_HEADERS_MAX
#define CB_CFG_HTTP_HEADERS_MAX 8192
#endif

/* Head bytes each connection holds itself (request line and fields, CRLFs
 * not stored). A head that outgrows it, within the limits above, moves into a
 * body buffer lent by the pool (as nginx's large header buffers): idle and
 * small-head connections cost this, not the whole head. */
#ifndef CB_CFG_CONN_HEAD
#define CB_CFG_CONN_HEAD 2048
#endif

/* Header fields per request; more gets 431. */
#ifndef CB_CFG_HTTP_MAX_FIELDS
#define CB_CFG_HTTP_MAX_FIELDS 64
#endif

/* Body bytes a request may carry (decoded, for chunked); more gets 413.
 * The run-time body limit may be set lower, never higher. */
#ifndef CB_CFG_BODY_MAX
#define CB_CFG_BODY_MAX 16384
#endif

/* Request bodies live in a shared pool of this many buffers of
 * CB_CFG_BODY_MAX bytes, fewer than connections (SPEC 8): a body takes one
 * when it starts and gives it back once its request is answered; a
 * connection whose body finds none free is not read until one is (its
 * request timeout still runs: 408 past it). /metrics writes its page into
 * one too. */
#ifndef CB_CFG_BODY_BUFS
#define CB_CFG_BODY_BUFS 16
#endif

/* Bytes of response held per connection: any JSON answer with its head.
 * The /metrics page, larger, is written into a body buffer instead. */
#ifndef CB_CFG_RESP_MAX
#define CB_CFG_RESP_MAX 768
#endif

/* Bytes received but not yet parsed, per serving socket (pipelining
 * read-ahead). When full, the loop stops reading that socket until the parser
 * catches up: the socket's own buffer holds the rest. */
#ifndef CB_CFG_RX_MAX
#define CB_CFG_RX_MAX 4096
#endif

/* Sockets that only drain (answered, shut for writing, reading the peer's
 * leftovers for a second so close() does not reset the answer away). They
 * hold no buffer; when all are in use an answered socket is closed at once. */
#ifndef CB_CFG_DRAIN_MAX
#define CB_CFG_DRAIN_MAX CB_CFG_MAX_CONN
#endif

/* JSON tokens in one body; more gets 400 invalid_json. */
#ifndef CB_CFG_JSON_MAX_TOKENS
#define CB_CFG_JSON_MAX_TOKENS 256
#endif

/* Object/array nesting in a body; deeper gets 400 invalid_json. */
#ifndef CB_CFG_JSON_MAX_DEPTH
#define CB_CFG_JSON_MAX_DEPTH 16
#endif

/* Events remembered for duplicate detection (SPEC 5: at least 1,024);
 * the oldest is forgotten when full. */
#ifndef CB_CFG_DEDUPE_MAX
#define CB_CFG_DEDUPE_MAX 1024
#endif

/* Of those, the newest this many in RAM with their whole key (CB_DUPKEY_LEN
 * + 5 bytes and two index slots of 2 bytes each); the older ones as a 2-byte
 * fingerprint only, confirmed in the journal on a match (cb_inbox.h). At
 * least CB_CFG_MAX_CONN (a turn's keys wait in RAM for their commit). */
#ifndef CB_CFG_DEDUPE_RAM
#define CB_CFG_DEDUPE_RAM CB_CFG_DEDUPE_MAX
#endif

/* Remembered keys per SEENS record (a run of consecutive seqs) that
 * compaction writes; it holds one run, and one read back, in RAM. */
#ifndef CB_CFG_SEEN_RUN
#define CB_CFG_SEEN_RUN 16
#endif

/* 1: /metrics carries each family's "# HELP" sentence (about 2 KiB of the
 * page); 0 leaves it out (Prometheus does not need it) so the page fits a
 * small part's pool buffer. */
#ifndef CB_CFG_METRICS_HELP
#define CB_CFG_METRICS_HELP 1
#endif

/* Bytes a pool buffer holds at least, whatever the body limit: the /metrics
 * page and its head (about 5 KiB with HELP lines, 3.4 KiB without). */
#ifndef CB_CFG_POOL_PAGE_MIN
#define CB_CFG_POOL_PAGE_MIN 5120
#endif

/* Bytes of a remembered event's duplicate key (a keyed SipHash-2-4 of what
 * was signed: 16 is its 128-bit variant, 8 its 64-bit one). 16 by default; a
 * small part keeps 8: with 1,024 keys the chance that two different events
 * share one is about 2^-45. Journals keep keys of this length: a journal is
 * read by builds of the same length. */
#ifndef CB_CFG_DUPKEY_LEN
#define CB_CFG_DUPKEY_LEN 16
#endif

/* How the journal's CRC-32 runs (cb_crc32.c): 8, eight bytes a step over
 * 8 KiB of tables (7 KiB of them RAM, made at the first call); 1, a byte at a
 * step over 1 KiB of flash, where RAM is scarce (boards). */
#ifndef CB_CFG_CRC_SLICES
#define CB_CFG_CRC_SLICES 8
#endif

/* Unacknowledged messages held in RAM for the display (SPEC 8); the rest stay
 * in the journal and move up as older ones are acknowledged. */
#ifndef CB_CFG_INBOX_SHOWN
#define CB_CFG_INBOX_SHOWN 64
#endif

/* Unacknowledged messages tracked in all (shown + waiting in the journal),
 * 4 bytes of RAM each; past it, new events get 503 storage_unavailable
 * (InstaLeap retries). Boards set it lower. */
#ifndef CB_CFG_UNACKED_MAX
#define CB_CFG_UNACKED_MAX 16384
#endif

/* Bytes of message text kept in RAM per shown message (the display scrolls
 * this much; the full text stays in the journal and the signal log). */
#ifndef CB_CFG_SHOWN_TEXT_MAX
#define CB_CFG_SHOWN_TEXT_MAX 256
#endif

/* Bytes kept of a job id / client id / sender code in RAM (the end of a
 * longer job id is kept: that is the part the display shows). */
#ifndef CB_CFG_ID_MAX
#define CB_CFG_ID_MAX 64
#endif
#ifndef CB_CFG_SENDER_MAX
#define CB_CFG_SENDER_MAX 16
#endif

/* Largest display the core can drive (SPEC 4: 2x16 default, 4x20 option). */
#ifndef CB_CFG_DISPLAY_ROWS_MAX
#define CB_CFG_DISPLAY_ROWS_MAX 4
#endif
#ifndef CB_CFG_DISPLAY_COLS_MAX
#define CB_CFG_DISPLAY_COLS_MAX 20
#endif

/* Sender codes with their own label and buzzer pattern in the settings. */
#ifndef CB_CFG_SENDERS_MAX
#define CB_CFG_SENDERS_MAX 8
#endif

/* Sources (peer addresses) tracked by the auth-failure rate limiter;
 * when full the least recently seen unblocked one is replaced, and when all
 * are blocked new sources share one overflow bucket. */
#ifndef CB_CFG_RATE_SOURCES
#define CB_CFG_RATE_SOURCES 64
#endif

/* Bytes of the trusted_proxies setting: addresses separated by commas
 * (about 16 IPv4 or 5 IPv6 addresses); a longer list stops start-up. */
#ifndef CB_CFG_PROXIES_TEXT_MAX
#define CB_CFG_PROXIES_TEXT_MAX 256
#endif

/* A new connection that sends no byte within this many ms is closed without
 * a response (SPEC 2: 5 s), so silent connects cannot hold the slots. */
#ifndef CB_CFG_FIRST_BYTE_MS
#define CB_CFG_FIRST_BYTE_MS 5000
#endif

/* Length of a secret, token, credential or configured string. */
#ifndef CB_CFG_SECRET_MAX
#define CB_CFG_SECRET_MAX 128
#endif
#ifndef CB_CFG_STR_MAX
#define CB_CFG_STR_MAX 128
#endif

/* Bytes of one journal record payload (an event with its full text). */
#ifndef CB_CFG_RECORD_MAX
#define CB_CFG_RECORD_MAX (CB_CFG_BODY_MAX + 256)
#endif

/* Bytes of one signal-log line (SPEC 4). Every byte of text may escape to
 * \u00XX; a line that does not fit has its text cut and says
 * "truncated":true. Boards size it for plain text (one body and the rest). */
#ifndef CB_CFG_SIGLOG_MAX
#define CB_CFG_SIGLOG_MAX (CB_CFG_BODY_MAX * 6 + 512)
#endif

/* Bytes of journal records appended in one loop turn before their group
 * commit (their payloads are kept to signal them once durable). When the next
 * record does not fit, the server commits early. */
#ifndef CB_CFG_COMMIT_ARENA
#define CB_CFG_COMMIT_ARENA (2 * CB_CFG_RECORD_MAX + 4096)
#endif

#endif
