/* fake_store.h - the storage part of cb_port.h in RAM, for unit tests and
 * fuzzers: two static slots with a durable (synced) prefix, fault injection
 * (errors, partial appends), power loss that tears unsynced bytes, and
 * set-aside copies of damaged slots. */
#ifndef FAKE_STORE_H
#define FAKE_STORE_H

#include "cb_port.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes each slot can hold (static RAM); the default capacity. */
#define FAKE_STORE_SLOT_MAX (4u * 1024u * 1024u)

/* A fault count meaning "every call until cleared". */
#define FAKE_STORE_ALWAYS 0xffffffffu

/* Keep every unsynced byte at a power loss. */
#define FAKE_STORE_KEEP_ALL 0xffffffffu

typedef struct {
    /* cb_port_store_capacity; appends past it fail with CB_ERR_NOSPC and
     * write nothing. 0 (the default) means FAKE_STORE_SLOT_MAX. */
    uint32_t capacity[CB_SLOT_COUNT];

    /* Fault injection: each *_fails is how many calls still fail (decremented
     * per failed call; FAKE_STORE_ALWAYS never runs out). */
    unsigned append_fails;
    int append_err;          /* error of a failed append: CB_ERR_NOSPC, else CB_ERR_STORAGE */
    uint32_t append_partial; /* bytes of a failing append that still land (a partial tail) */
    unsigned sync_fails;     /* fail with CB_ERR_STORAGE; the data stays unsynced */
    unsigned erase_fails;    /* fail with CB_ERR_STORAGE; the slot is left as it was */
    unsigned read_fails;
    unsigned open_fails;
    /* cb_port_store_set_aside: false (default) keeps a copy (the last one
     * per slot, see fake_store_aside); true answers CB_ERR_NOSPC, as a board
     * that cannot keep one. */
    bool set_aside_unsupported;

    /* Power loss, armed with fake_store_crash_after_bytes/_ops. When a limit
     * runs out the store is "dead": the call that hit it and every call after
     * it fail with CB_ERR_STORAGE and change nothing (an append crossing the
     * byte limit lands only its first part), until fake_store_crash(). */
    bool crash_bytes_armed, crash_ops_armed;
    uint64_t crash_after_bytes; /* appended bytes that still land */
    uint64_t crash_after_ops; /* mutating calls (append, sync, erase, set aside) that still work */
    uint32_t crash_tear;      /* bytes of the append that hits the ops limit that still land */
    bool dead;

    /* counters (since reset) */
    unsigned opens, reads, appends, syncs, erases, set_asides;
    uint64_t bytes_appended;
} fake_store_t;

extern fake_store_t fake_store;

/* Empties both slots and clears every fault, limit and counter. Cheap (the
 * slot memory is not cleared), so fuzzers may call it per input. The
 * all-zero state before the first call is the same. */
void fake_store_reset(void);

/* Arms a power loss after n more appended bytes / n more mutating calls. */
void fake_store_crash_after_bytes(uint64_t n);
void fake_store_crash_after_ops(uint64_t n);

/* Power loss and reboot: each slot keeps its synced prefix plus the first
 * keep_unsynced bytes appended after it (FAKE_STORE_KEEP_ALL: all of them);
 * what is kept is then durable. Clears dead and the crash limits; the
 * other faults stay. */
void fake_store_crash(uint32_t keep_unsynced);

/* Direct access for tests that forge or damage stored bytes. */
uint8_t *fake_store_data(cb_slot_t slot);
uint32_t fake_store_len(cb_slot_t slot);
uint32_t fake_store_synced(cb_slot_t slot);

/* The bytes last set aside from slot (*len gets their count; 0: none). */
const uint8_t *fake_store_aside(cb_slot_t slot, uint32_t *len);

/* Replaces a slot's contents with len durable bytes (at most
 * FAKE_STORE_SLOT_MAX; more is cut). */
void fake_store_load(cb_slot_t slot, const void *data, size_t len);

#endif
