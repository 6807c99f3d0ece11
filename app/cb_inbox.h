/* cb_inbox.h - what the device remembers in RAM: the duplicate set (keys of
 * the last CB_CFG_DEDUPE_MAX events), the list of unacknowledged messages
 * (sequence numbers, oldest first, up to CB_CFG_UNACKED_MAX), and a cache of
 * the oldest CB_CFG_INBOX_SHOWN of them with what the display needs. The
 * rest stay in the journal; cb_server fetches them as older ones are acked. */
#ifndef CB_INBOX_H
#define CB_INBOX_H

#include "cb_config.h"
#include "cb_record.h"
#include "cb_siphash.h"
#include "cb_span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CB_SEEN_NO = 0,
    CB_SEEN_DURABLE, /* stored: answer duplicate */
    CB_SEEN_PENDING, /* appended, waits for this turn's commit */
} cb_seen_t;

/* A cached unacknowledged message (strings NUL-terminated, bounded: the job
 * id keeps its end, the text its start). */
typedef struct {
    uint32_t seq;
    char sender[CB_CFG_SENDER_MAX];
    char job_id[CB_CFG_ID_MAX];
    char client_id[CB_CFG_ID_MAX];
    char text[CB_CFG_SHOWN_TEXT_MAX];
    bool used;
} cb_inbox_msg_t;

void cb_inbox_init(void);

/* Fields a duplicate key covers at most. */
#define CB_INBOX_KEY_FIELDS_MAX 7

/* The duplicate key (SPEC 3): SipHash-2-4 under the device's secret
 * (cb_ledger_dupkey_secret) over a scheme byte and a tuple of fields, each
 * length-prefixed with presence; CB_DUPKEY_LEN (8 or 16) bytes of output.
 * The webhook passes exactly what the verifying signature covered (scheme V1
 * or V3), or in token modes (scheme 0) every identifying field; never the
 * text. Fields past CB_INBOX_KEY_FIELDS_MAX are not read. */
void cb_inbox_key(const uint8_t secret[CB_SIPHASH_KEY_LEN], uint8_t scheme, const cb_span_t *tuple,
                  size_t n, uint8_t key[CB_DUPKEY_LEN]);

cb_seen_t cb_inbox_seen(const uint8_t key[CB_DUPKEY_LEN], uint32_t *seq);

/* Remembers a key (forgetting the oldest when full). */
void cb_inbox_remember(const uint8_t key[CB_DUPKEY_LEN], uint32_t seq, bool durable);
/* Replay of a journal: remembers the key unless the set is full and seq is
 * older than everything it holds (a compacted journal lists the remembered
 * keys, then the unacknowledged events, which may be older: they must not
 * push the newest keys out). */
void cb_inbox_remember_replayed(const uint8_t key[CB_DUPKEY_LEN], uint32_t seq);

void cb_inbox_mark_durable(const uint8_t key[CB_DUPKEY_LEN]);
/* Forgets a key whose event was not stored after all. */
void cb_inbox_forget(const uint8_t key[CB_DUPKEY_LEN]);

/* Remembered keys by ring position, oldest first (compaction): 1 and the
 * key at pos, 0 for a forgotten hole, -1 past the end. */
int cb_inbox_remembered(size_t pos, uint8_t key[CB_DUPKEY_LEN], uint32_t *seq);

/* Adds an unacknowledged message (seq larger than all before). CB_OK or
 * CB_ERR_NOMEM when CB_CFG_UNACKED_MAX are waiting. */
int cb_inbox_add(const cb_record_event_t *r);

/* True if the list has room for one more. */
bool cb_inbox_has_room(void);

/* Removes seq from the unacknowledged list. CB_OK or CB_ERR_NOT_FOUND. */
int cb_inbox_ack(uint32_t seq);

unsigned cb_inbox_unacked(void);

/* True if seq is waiting (binary search). */
bool cb_inbox_is_unacked(uint32_t seq);

/* i-th unacknowledged seq, oldest first; false past the end. */
bool cb_inbox_unacked_at(size_t i, uint32_t *seq);

/* The cached message for seq, or NULL when it is not in RAM. */
const cb_inbox_msg_t *cb_inbox_cached(uint32_t seq);

/* True when seq is unacknowledged, within the shown window, and not cached:
 * cb_server should load it from the journal with cb_inbox_cache_put. */
bool cb_inbox_wants(uint32_t seq);
bool cb_inbox_missing_any(void);

/* Caches a message if it is within the shown window. */
void cb_inbox_cache_put(const cb_record_event_t *r);

/* High-water marks for /metrics. */
unsigned cb_inbox_unacked_hwm(void);

#endif
