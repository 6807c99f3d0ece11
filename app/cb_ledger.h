/* cb_ledger.h - what the device keeps durably (SPEC 5): accepted events,
 * acknowledgements, the duplicate set, device flags and the device key, over
 * the journal. The server hands in events with their duplicate keys and gets
 * tickets; one commit per loop turn writes and flushes the turn once and
 * reports each ticket durable or failed. The ledger knows no connection,
 * reply or signal. */
#ifndef CB_LEDGER_H
#define CB_LEDGER_H

#include "cb_event.h"
#include "cb_inbox.h"
#include "cb_record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Persistent device flags (cb_ledger_flags): set with an accepted event,
 * never cleared, kept across restarts and compactions. */
#define CB_LEDGER_FLAG_V3_SEEN (1u << 0) /* an event signed with the V3 scheme was stored */

/* What a commit says about one ticket (tickets are never 0). */
typedef struct {
    uint32_t ticket;
    uint32_t seq;
    bool durable; /* a successful flush covered the event: answer 2xx; else 503 */
    bool is_new;  /* a new event; false: a repeat, within the turn, of a new one */
    /* new and durable: the event as stored (spans valid during the call only) */
    const cb_event_t *ev;
} cb_ledger_outcome_t;

typedef void (*cb_ledger_outcome_fn)(const cb_ledger_outcome_t *o, void *ctx);

typedef struct {
    uint32_t journal_budget;      /* bytes: past it (and half dead) the journal is compacted */
    cb_ledger_outcome_fn outcome; /* called for each ticket by a commit, in accept order */
    void *ctx;
} cb_ledger_config_t;

typedef enum {
    CB_LEDGER_HELD,        /* appended (or a repeat of one this turn): wait for the commit */
    CB_LEDGER_DUPLICATE,   /* already durable: answer duplicate with *seq now */
    CB_LEDGER_UNAVAILABLE, /* cannot be made durable now: 503 storage_unavailable */
} cb_ledger_accept_t;

/* Opens and replays the journal: the unacknowledged list, the duplicate set,
 * the flags and the device key. cfg is copied. CB_OK, or an error when the
 * journal cannot be opened (then every accept is UNAVAILABLE until
 * cb_ledger_poll opens it). */
int cb_ledger_start(const cb_ledger_config_t *cfg);

/* Tries again to open a journal that failed to open (every few seconds).
 * True when it opened now (the caller shows what was restored). */
bool cb_ledger_poll(void);

/* Accepts an event with its duplicate key (computed by the caller) and the
 * flags to set durably with it. HELD: *ticket and *seq are set and the
 * outcome comes with the next commit (which may run inside this call when
 * the turn's buffer is full). DUPLICATE: *seq is the stored event's. Flags
 * are set only with a new event; they appear in cb_ledger_flags() once a
 * flush covered them. */
cb_ledger_accept_t cb_ledger_accept(const cb_event_t *ev, const uint8_t key[CB_DUPKEY_LEN],
                                    uint32_t flags, uint32_t *ticket, uint32_t *seq);

/* True while tickets wait for a commit. */
bool cb_ledger_pending(void);

/* Group commit: the turn's records (kept until now) are written with one
 * storage write and flushed once; then the outcome callback for each ticket,
 * durable exactly when both succeeded. Then compacts when due. */
void cb_ledger_commit(void);

/* Acknowledges seq (0 = the oldest): journaled and flushed at once. CB_OK
 * (also when storage failed: the ack holds in RAM, the message comes back
 * after a restart), or CB_ERR_NOT_FOUND. *acked gets the seq acknowledged. */
int cb_ledger_ack(uint32_t seq, uint32_t *acked);

/* The oldest unacknowledged message (read back from the journal when not in
 * RAM), or NULL: none waiting, or it cannot be read (logged). */
const cb_inbox_msg_t *cb_ledger_oldest(void);

/* The durable device flags (CB_LEDGER_FLAG_*). */
uint32_t cb_ledger_flags(void);

/* The device key for dynamic tokens (created and journaled on first use).
 * CB_OK or a storage error. */
int cb_ledger_device_key(const uint8_t **key, size_t *len);

/* The secret of the duplicate keys (cb_inbox_key): the first
 * CB_SIPHASH_KEY_LEN bytes of HMAC-SHA256(device key, "chatbell dupkey v1"),
 * derived once per start, so it lives in the journal with the device key
 * (which this creates on first use, as tokens do). CB_OK or a storage
 * error. */
int cb_ledger_dupkey_secret(const uint8_t **secret);

/* False while storage fails, or when the journal was found damaged at start
 * (until the next start); *reason then says which. */
bool cb_ledger_healthy(const char **reason);

/* Bytes in the journal (0 when it is not open). */
uint32_t cb_ledger_journal_bytes(void);

#endif
