/* store_ram.c - the storage slots (cb_port.h) in a RAM region that stands in
 * for a flash partition: PSRAM at 0x21000000, outside the loaded image, never
 * cleared by the startup code. What survives: a warm reset (the 'R' key,
 * SYSRESETREQ, a watchdog), not a power cycle or the end of QEMU. */
#include "board.h"
#include "cb_err.h"
#include "cb_port.h"

#include <string.h>

/* Each slot as a flash partition would be used: append-only, erased whole. */
#define SLOT_CAP (1024u * 1024u)
#define MAGIC    0x43425331u /* "CBS1" */
#define LEN_BITS 21u         /* SLOT_CAP fits */
#define LEN_MASK ((1u << LEN_BITS) - 1u)

_Static_assert(SLOT_CAP <= LEN_MASK, "a slot's length must fit its header word");

/* A slot's length and a check of it share one aligned word, so a reset in
 * the middle of an update leaves either the old or the new length, never a
 * torn header that would lose the slot. */
typedef struct {
    uint32_t magic;
    volatile uint32_t len_word;
} slot_hdr_t;

static struct {
    slot_hdr_t hdr[CB_SLOT_COUNT];
    uint8_t data[CB_SLOT_COUNT][SLOT_CAP];
} s_store __attribute__((section(".store"), aligned(4)));

static uint32_t pack(uint32_t len)
{
    uint32_t check = ((len ^ MAGIC) * 2654435761u) >> LEN_BITS; /* top 11 bits */
    return len | (check << LEN_BITS);
}

static bool unpack(uint32_t word, uint32_t *len)
{
    uint32_t l = word & LEN_MASK;
    if (l > SLOT_CAP || pack(l) != word)
        return false;
    *len = l;
    return true;
}

static uint32_t slot_len(cb_slot_t slot)
{
    uint32_t len = 0;
    (void)unpack(s_store.hdr[slot].len_word, &len);
    return len;
}

static void set_len(cb_slot_t slot, uint32_t len)
{
    __asm volatile("dmb" ::: "memory"); /* the data before the length */
    s_store.hdr[slot].len_word = pack(len);
    __asm volatile("dmb" ::: "memory");
}

bool board_store_init(void)
{
    bool kept = true;
    for (int i = 0; i < CB_SLOT_COUNT; i++) {
        uint32_t len;
        if (s_store.hdr[i].magic != MAGIC || !unpack(s_store.hdr[i].len_word, &len))
            kept = false;
    }
    if (kept) {
        board_log("storage: RAM slots kept across the reset (A %lu bytes, B %lu bytes)",
                  (unsigned long)slot_len(CB_SLOT_JOURNAL_A),
                  (unsigned long)slot_len(CB_SLOT_JOURNAL_B));
        return true;
    }
    for (int i = 0; i < CB_SLOT_COUNT; i++) {
        s_store.hdr[i].magic = MAGIC;
        set_len((cb_slot_t)i, 0);
    }
    board_log("storage: RAM slots formatted (2 x %u KiB at %p; they survive a warm reset, "
              "not a power cycle)",
              SLOT_CAP / 1024u, (void *)&s_store);
    return false;
}

static bool valid(cb_slot_t slot)
{
    return (unsigned)slot < (unsigned)CB_SLOT_COUNT;
}

int cb_port_store_open(cb_slot_t slot, uint32_t *size_out)
{
    if (!valid(slot))
        return CB_ERR_STORAGE;
    *size_out = slot_len(slot);
    return CB_OK;
}

int cb_port_store_read(cb_slot_t slot, uint32_t off, void *buf, size_t len)
{
    if (!valid(slot))
        return CB_ERR_STORAGE;
    uint32_t have = slot_len(slot);
    if (off >= have)
        return 0;
    size_t n = have - off < len ? have - off : len;
    memcpy(buf, &s_store.data[slot][off], n);
    return (int)n;
}

int cb_port_store_append(cb_slot_t slot, const void *buf, size_t len)
{
    if (!valid(slot))
        return CB_ERR_STORAGE;
    uint32_t have = slot_len(slot);
    if (len > SLOT_CAP - have)
        return CB_ERR_NOSPC;
    memcpy(&s_store.data[slot][have], buf, len);
    set_len(slot, have + (uint32_t)len);
    return CB_OK;
}

/* RAM: an append is as durable as this store gets once it returned. */
int cb_port_store_sync(cb_slot_t slot)
{
    return valid(slot) ? CB_OK : CB_ERR_STORAGE;
}

int cb_port_store_erase(cb_slot_t slot)
{
    if (!valid(slot))
        return CB_ERR_STORAGE;
    set_len(slot, 0);
    return CB_OK;
}

uint32_t cb_port_store_capacity(cb_slot_t slot)
{
    return valid(slot) ? SLOT_CAP : 0;
}
