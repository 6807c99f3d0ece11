/* cb_record.h - payload formats of the journal records the core writes
 * (cb_journal.h types): little-endian, length-prefixed, bounded on decode
 * because a journal is read back after crashes. */
#ifndef CB_RECORD_H
#define CB_RECORD_H

#include "cb_event.h"
#include "cb_span.h"

#include <stddef.h>
#include <stdint.h>

#define CB_DUPKEY_LEN 16

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

/* Fixed-size records: ACK and STATE carry a u32, SEEN a u32 + key. */
void cb_record_put_u32(uint8_t *p, uint32_t v);
uint32_t cb_record_get_u32(const uint8_t *p);

#endif
