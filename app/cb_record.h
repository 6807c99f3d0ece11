/* cb_record.h - the journal records the core writes: their types and
 * payload formats, the one definition the ledger and chatbell-journal use.
 * Little-endian, length-prefixed, bounded on decode because a journal is read
 * back after crashes. */
#ifndef CB_RECORD_H
#define CB_RECORD_H

#include "cb_config.h"
#include "cb_event.h"
#include "cb_span.h"

#include <stddef.h>
#include <stdint.h>

/* Bytes of a duplicate key: a keyed SipHash (cb_inbox_key), per build. */
#define CB_DUPKEY_LEN CB_CFG_DUPKEY_LEN
#define CB_DEVKEY_LEN 32 /* the device key for dynamic tokens */

/* Record types (cb_journal.h keeps 0xF0 and up for itself). A reader skips
 * types it does not know (a newer firmware's). */
enum {
    CB_REC_EVENT = 1, /* an accepted event (cb_record_event_t) */
    CB_REC_ACK = 2,   /* an acknowledgement: seq */
    CB_REC_SEEN = 3,  /* a remembered duplicate key (compaction): seq, key */
    CB_REC_KEY = 4,   /* the device key: CB_DEVKEY_LEN bytes */
    CB_REC_STATE = 5, /* the next sequence number (compaction): next_seq */
    CB_REC_FLAGS = 6, /* device flags set (cb_ledger.h CB_LEDGER_FLAG_*): flags */
};

/* An accepted event as journaled: the fields the device shows and the ones
 * that identify it. Spans point into the buffer it was decoded from. */
typedef struct {
    uint32_t seq;
    uint8_t key[CB_DUPKEY_LEN];
    cb_event_t ev;
} cb_record_event_t;

/* Encodes into buf; returns bytes used or CB_ERR_TOO_LARGE. */
int cb_record_event_encode(const cb_record_event_t *r, uint8_t *buf, size_t cap);

/* Decodes a payload; spans point into buf. CB_OK or CB_ERR_CORRUPT. */
int cb_record_event_decode(const uint8_t *buf, size_t len, cb_record_event_t *r);

/* The fixed-size records: ACK, STATE and FLAGS carry a u32, SEEN a u32 and
 * a duplicate key. */
typedef struct {
    uint32_t value;             /* ACK, SEEN: seq; STATE: the next seq; FLAGS: the flags */
    uint8_t key[CB_DUPKEY_LEN]; /* SEEN only */
} cb_record_small_t;

#define CB_RECORD_SMALL_MAX (4 + CB_DUPKEY_LEN)

/* Payload bytes of a fixed-size record type; 0 for any other type. */
size_t cb_record_small_len(uint8_t type);

/* Encodes into buf; returns the bytes used (0 for a type that is not a
 * fixed-size one). */
size_t cb_record_small_encode(uint8_t type, const cb_record_small_t *r,
                              uint8_t buf[CB_RECORD_SMALL_MAX]);

/* Decodes a payload of type. CB_OK or CB_ERR_CORRUPT (wrong length or not a
 * fixed-size type). */
int cb_record_small_decode(uint8_t type, const uint8_t *p, size_t len, cb_record_small_t *r);

#endif
