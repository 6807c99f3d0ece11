/* store_flash.c - the storage slots of cb_port.h in NOR flash (flash.h),
 * after the device's own pages (board.h): each slot is BOARD_FLASH_SLOT_PAGES
 * erase pages, the first BOARD_FLASH_LOG_PAGES
 * of them a sync log, the rest the slot's bytes. Data words are programmed
 * once, when all four of their bytes are known; the bytes of a last partial
 * word wait in RAM. A sync programs one log entry: the partial word, then the
 * slot's length with a check (that order, so a torn entry never counts). At
 * start the last valid entry gives the length and the partial word back.
 * Nothing is ever programmed twice without an erase, as flash requires. */
#include "board.h"
#include "cb_err.h"
#include "cb_port.h"
#include "flash.h"

#include <string.h>

#define SLOT_BYTES  BOARD_FLASH_SLOT_BYTES
#define LOG_BYTES   (BOARD_FLASH_LOG_PAGES * BOARD_FLASH_PAGE)
#define DATA_BYTES  (SLOT_BYTES - LOG_BYTES)
#define LOG_ENTRIES (LOG_BYTES / 8u)
#define LEN_BITS    20u
#define LEN_MASK    ((1u << LEN_BITS) - 1u)
#define CHECK_SEED  0x43425346u /* "CBSF" */
#define CHUNK_WORDS 64u

_Static_assert(DATA_BYTES > 0 && DATA_BYTES < LEN_MASK, "a slot's length must fit its log entry");
_Static_assert(BOARD_FLASH_PAGE % 8u == 0, "log entries fill pages");

typedef struct {
    uint32_t len;     /* bytes appended */
    uint32_t synced;  /* bytes the log covers */
    uint32_t entries; /* log entries used (valid or torn) */
    uint32_t tail;    /* the partial word's bytes, the rest 0xFF */
    bool sealed;      /* words past len were programmed before a reset */
} slot_t;

static struct {
    slot_t slot[CB_SLOT_COUNT];
    bool ok;
} s_store;

static uint32_t base(cb_slot_t slot)
{
    return BOARD_FLASH_OWN_BYTES + (uint32_t)slot * SLOT_BYTES;
}

static uint32_t len_word(uint32_t len, uint32_t tail)
{
    uint32_t check = ((len ^ tail ^ CHECK_SEED) * 2654435761u) >> LEN_BITS;
    return len | (check << LEN_BITS);
}

static bool word_erased(uint32_t off)
{
    uint32_t w = 0;
    return flash_read(off, &w, sizeof w) == CB_OK && w == FLASH_ERASED_WORD;
}

/* Finds the length and partial word from the log (the last entry whose check
 * holds; the next entry goes after the last programmed one). */
static int scan(cb_slot_t slot)
{
    slot_t *s = &s_store.slot[slot];
    memset(s, 0, sizeof *s);
    s->tail = FLASH_ERASED_WORD;
    uint32_t e[CHUNK_WORDS];
    for (uint32_t i = 0; i < LOG_ENTRIES; i += CHUNK_WORDS / 2u) {
        if (flash_read(base(slot) + 8u * i, e, sizeof e) != CB_OK)
            return CB_ERR_STORAGE;
        for (uint32_t j = 0; j < CHUNK_WORDS / 2u; j++) {
            uint32_t tail = e[2 * j], lw = e[2 * j + 1];
            if (tail == FLASH_ERASED_WORD && lw == FLASH_ERASED_WORD)
                goto done;
            s->entries = i + j + 1u;
            uint32_t len = lw & LEN_MASK;
            if (len <= DATA_BYTES && len_word(len, tail) == lw) {
                s->len = s->synced = len;
                s->tail = tail;
            }
        }
    }
done:;
    /* an append cut short by a reset may have programmed words past len */
    uint32_t w = LOG_BYTES + s->len / 4u * 4u;
    s->sealed = (w < SLOT_BYTES && !word_erased(base(slot) + w)) ||
                (w + 4u < SLOT_BYTES && !word_erased(base(slot) + w + 4u));
    if (s->sealed)
        board_log("storage: slot %c has bytes past its last sync: full until its next erase",
                  'A' + slot);
    return CB_OK;
}

bool board_store_init(void)
{
    s_store.ok = flash_open(BOARD_FLASH_BYTES) == CB_OK;
    bool kept = false;
    for (int i = 0; s_store.ok && i < CB_SLOT_COUNT; i++) {
        if (scan((cb_slot_t)i) != CB_OK)
            s_store.ok = false;
        kept = kept || s_store.slot[i].len > 0;
    }
    if (s_store.ok)
        board_log("storage: flash slots A %lu, B %lu bytes of %lu (%s)",
                  (unsigned long)s_store.slot[0].len, (unsigned long)s_store.slot[1].len,
                  (unsigned long)DATA_BYTES, kept ? "kept" : "empty");
    return kept;
}

static slot_t *get(cb_slot_t slot)
{
    return s_store.ok && (unsigned)slot < (unsigned)CB_SLOT_COUNT ? &s_store.slot[slot] : NULL;
}

int cb_port_store_open(cb_slot_t slot, uint32_t *size_out)
{
    slot_t *s = get(slot);
    if (!s)
        return CB_ERR_STORAGE;
    *size_out = s->len;
    return CB_OK;
}

int cb_port_store_read(cb_slot_t slot, uint32_t off, void *buf, size_t len)
{
    slot_t *s = get(slot);
    if (!s)
        return CB_ERR_STORAGE;
    if (off >= s->len)
        return 0;
    size_t n = s->len - off < len ? s->len - off : len;
    uint32_t whole = s->len / 4u * 4u; /* bytes in programmed words */
    size_t from_flash = off < whole ? (whole - off < n ? whole - off : n) : 0;
    if (from_flash && flash_read(base(slot) + LOG_BYTES + off, buf, from_flash) != CB_OK)
        return CB_ERR_STORAGE;
    uint8_t tail[4];
    memcpy(tail, &s->tail, sizeof tail);
    for (size_t i = from_flash; i < n; i++)
        ((uint8_t *)buf)[i] = tail[off + i - whole];
    return (int)n;
}

int cb_port_store_append(cb_slot_t slot, const void *buf, size_t len)
{
    slot_t *s = get(slot);
    if (!s)
        return CB_ERR_STORAGE;
    if (s->sealed || len > DATA_BYTES - s->len || s->entries >= LOG_ENTRIES)
        return CB_ERR_NOSPC;
    const uint8_t *p = buf;
    uint32_t words[CHUNK_WORDS];
    while (len) {
        uint32_t at = s->len % 4u;
        if (at || len < 4u) { /* into the partial word */
            ((uint8_t *)&s->tail)[at] = *p++;
            s->len++;
            len--;
            if (s->len % 4u == 0) {
                uint32_t w = s->tail;
                s->tail = FLASH_ERASED_WORD;
                if (flash_program(base(slot) + LOG_BYTES + s->len - 4u, &w, 1) != CB_OK)
                    return CB_ERR_STORAGE;
            }
            continue;
        }
        size_t k = len / 4u < CHUNK_WORDS ? len / 4u : CHUNK_WORDS;
        memcpy(words, p, 4u * k);
        if (flash_program(base(slot) + LOG_BYTES + s->len, words, k) != CB_OK)
            return CB_ERR_STORAGE;
        p += 4u * k;
        s->len += 4u * (uint32_t)k;
        len -= 4u * k;
    }
    return CB_OK;
}

int cb_port_store_sync(cb_slot_t slot)
{
    slot_t *s = get(slot);
    if (!s)
        return CB_ERR_STORAGE;
    if (s->synced == s->len)
        return CB_OK;
    if (s->entries >= LOG_ENTRIES)
        return CB_ERR_STORAGE; /* append refuses before this can happen */
    uint32_t at = base(slot) + 8u * s->entries;
    uint32_t lw = len_word(s->len, s->tail);
    s->entries++;
    if (s->tail != FLASH_ERASED_WORD && flash_program(at, &s->tail, 1) != CB_OK)
        return CB_ERR_STORAGE;
    if (flash_program(at + 4u, &lw, 1) != CB_OK)
        return CB_ERR_STORAGE;
    s->synced = s->len;
    return CB_OK;
}

/* Last page first, so a reset in the middle leaves a log prefix that still
 * matches its pages, or an erased log. */
int cb_port_store_erase(cb_slot_t slot)
{
    slot_t *s = get(slot);
    if (!s)
        return CB_ERR_STORAGE;
    for (uint32_t pg = BOARD_FLASH_SLOT_PAGES; pg-- > 0;)
        if (flash_erase_page(base(slot) + pg * BOARD_FLASH_PAGE) != CB_OK)
            return CB_ERR_STORAGE;
    memset(s, 0, sizeof *s);
    s->tail = FLASH_ERASED_WORD;
    return CB_OK;
}

uint32_t cb_port_store_capacity(cb_slot_t slot)
{
    return (unsigned)slot < (unsigned)CB_SLOT_COUNT ? DATA_BYTES : 0;
}

/* The stats line of the storage. */
void board_store_stats(void)
{
    flash_counts_t n;
    flash_counts(&n);
    board_printf("stats| flash: %lu erases, %lu programs (%lu words), %lu reads, %lu refused; "
                 "log entries A %lu, B %lu of %lu\r\n",
                 (unsigned long)n.erases, (unsigned long)n.programs, (unsigned long)n.words,
                 (unsigned long)n.reads, (unsigned long)n.refused,
                 (unsigned long)s_store.slot[0].entries, (unsigned long)s_store.slot[1].entries,
                 (unsigned long)LOG_ENTRIES);
}
