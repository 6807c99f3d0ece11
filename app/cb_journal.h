/* cb_journal.h - the durable, append-only record log over the storage port
 * (SPEC 5). Records carry a type, a length and a CRC-32; a torn tail is cut
 * off at open, a damaged record in the middle is skipped and the records
 * after it are kept, a slot that cannot be read is set aside (all logged),
 * never fatal. The journal lives in one of
 * two storage slots; compaction writes the live records into the other slot
 * and switches over, crash-safe at every step (no rename needed, so it fits
 * flash). The record payloads are the caller's business. */
#ifndef CB_JOURNAL_H
#define CB_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Record types 0x00-0xEF are the caller's (the core's: cb_record.h). */

/* Called for each valid record in order during open/replay (damaged ones
 * are skipped). offset is the record's position in the active slot (valid
 * until the next compaction, which an append or a failed sync may also run,
 * to cut a bad tail). */
typedef void (*cb_journal_visit_fn)(uint8_t type, const uint8_t *payload, size_t len,
                                    uint32_t offset, void *ctx);

/* Opens the journal: picks the live slot, replays every valid record to
 * visit, cuts off a torn tail and rewrites around damage (by compacting into
 * the other slot, as the medium cannot truncate), sets aside what cannot be
 * read. CB_OK or CB_ERR_STORAGE (storage unusable). */
int cb_journal_open(cb_journal_visit_fn visit, void *ctx);

/* What the last open found damaged in the slot it opened (a torn tail is no
 * damage), and which slots it set aside. */
#define CB_JOURNAL_RANGES_MAX 8
typedef struct {
    uint32_t skipped_bytes;  /* damaged bytes skipped between good records */
    uint32_t skipped_ranges; /* in how many runs; the first ones listed: */
    struct {
        uint32_t off, len;
    } range[CB_JOURNAL_RANGES_MAX];
    uint8_t slot;       /* the slot the ranges are in (cb_slot_t) */
    bool header_bad;    /* its header did not verify */
    uint32_t set_aside; /* slots set aside (or left untouched) as unreadable or damaged */
} cb_journal_damage_t;
void cb_journal_damage(cb_journal_damage_t *out);

/* Appends one record (buffered, not durable). CB_OK, CB_ERR_TOO_LARGE,
 * CB_ERR_NOSPC, CB_ERR_STORAGE; CB_ERR_INVAL for a type over 0xEF (the
 * journal's own), CB_ERR_BUSY inside a visit callback. An append abandons a
 * compaction in progress (its commit then fails). */
int cb_journal_append(uint8_t type, const void *payload, size_t len);

/* Framing, for a caller that keeps a loop turn's records and writes them
 * with one storage write (cb_ledger): a framed record is the payload with
 * CB_JOURNAL_HDR_LEN bytes before it and CB_JOURNAL_OVERHEAD in all. */
#define CB_JOURNAL_HDR_LEN  6
#define CB_JOURNAL_OVERHEAD 10

/* Frames one record into out (cap bytes); the payload may already lie at
 * out + CB_JOURNAL_HDR_LEN. Returns the framed length, CB_ERR_TOO_LARGE
 * (payload over CB_CFG_RECORD_MAX, or cap too small) or CB_ERR_INVAL (a type
 * over 0xEF). Touches no storage. */
int cb_journal_frame(uint8_t type, const void *payload, size_t len, uint8_t *out, size_t cap);

/* Appends len bytes of whole records framed by cb_journal_frame with one
 * storage write (buffered, not durable). Returns as cb_journal_append;
 * CB_ERR_INVAL when the bytes are not whole framed records. */
int cb_journal_append_framed(const uint8_t *recs, size_t len);

/* Makes every appended record durable (group commit: one call per loop turn).
 * CB_OK or CB_ERR_STORAGE; after a failure every record appended since the
 * last good sync (by any caller) must be treated as not stored. */
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

#endif
