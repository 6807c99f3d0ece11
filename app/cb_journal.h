/* cb_journal.h - the durable, append-only record log over the storage port
 * (SPEC 5). Records carry a type, a length and a CRC-32; a torn or corrupt
 * tail is cut off at open (logged), never fatal. The journal lives in one of
 * two storage slots; compaction writes the live records into the other slot
 * and switches over, crash-safe at every step (no rename needed, so it fits
 * flash). The record payloads are the caller's business. */
#ifndef CB_JOURNAL_H
#define CB_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Record types the core writes (payload formats: cb_record.h). */
enum {
    CB_REC_EVENT = 1, /* an accepted event */
    CB_REC_ACK = 2,   /* an acknowledgement */
    CB_REC_SEEN = 3,  /* a remembered duplicate key (written by compaction) */
    CB_REC_KEY = 4,   /* the device key for dynamic tokens */
    CB_REC_STATE = 5, /* counters such as the next sequence number (compaction) */
    CB_REC_FLAGS = 6, /* device flags (cb_ledger_flags), u32, OR-ed on replay */
};

/* Called for each valid record in order during open/replay. offset is the
 * record's position in the active slot (valid until the next compaction,
 * which an append or a failed sync may also run, to cut a bad tail). */
typedef void (*cb_journal_visit_fn)(uint8_t type, const uint8_t *payload, size_t len,
                                    uint32_t offset, void *ctx);

/* Opens the journal: picks the live slot, replays every valid record to
 * visit, cuts off a torn tail (by compacting into the other slot when the
 * medium cannot truncate). CB_OK or CB_ERR_STORAGE (storage unusable). */
int cb_journal_open(cb_journal_visit_fn visit, void *ctx);

/* Appends one record (buffered, not durable). CB_OK, CB_ERR_TOO_LARGE,
 * CB_ERR_NOSPC, CB_ERR_STORAGE; CB_ERR_INVAL for a type over 0xEF (the
 * journal's own), CB_ERR_BUSY inside a visit callback. An append abandons a
 * compaction in progress (its commit then fails). */
int cb_journal_append(uint8_t type, const void *payload, size_t len);

/* Makes every appended record durable (group commit: one call per loop turn).
 * CB_OK or CB_ERR_STORAGE; after a failure the records since the last good
 * sync must be treated as not stored. */
int cb_journal_sync(void);

/* Replays the active slot again (to fetch records not held in RAM). The
 * payload given to visit may be handed straight to cb_journal_compact_add.
 * CB_OK, CB_ERR_STORAGE, CB_ERR_CORRUPT, CB_ERR_BUSY (nested). */
int cb_journal_replay(cb_journal_visit_fn visit, void *ctx);

/* Bytes used in the active slot. */
uint32_t cb_journal_size(void);

/* Compaction: begin (erases the other slot), add each live record, commit
 * (makes the new slot durable and the live one; the old one is then erased).
 * A crash at any point leaves either the old or the new journal complete.
 * Each returns CB_OK or an error; on error the old journal stays active and
 * the compaction is abandoned (add/commit then return CB_ERR_INVAL until the
 * next begin). */
int cb_journal_compact_begin(void);
int cb_journal_compact_add(uint8_t type, const void *payload, size_t len);
int cb_journal_compact_commit(void);

/* CRC-32 (IEEE 802.3, as zlib) of n bytes, continuing from crc (start 0). */
uint32_t cb_crc32(uint32_t crc, const void *data, size_t n);

#endif
