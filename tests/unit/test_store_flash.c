/* test_store_flash.c - the boards' flash storage (port/cortexm/store_flash.c)
 * on a fake NOR flash in RAM that fails the test on any erase or program the
 * part would not take: what is appended and synced comes back after a
 * "reset" (a new scan), byte for byte; unsynced bytes do not, and a slot
 * with words programmed past its synced length refuses appends until erased;
 * a torn log entry never counts; the log running out is CB_ERR_NOSPC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "board.h"
#include "cb_err.h"
#include "cb_port.h"
#include "flash.h"

#include <stdio.h>
#include <string.h>

#define SLOT_BYTES  (BOARD_FLASH_SLOT_PAGES * BOARD_FLASH_PAGE)
#define LOG_BYTES   (BOARD_FLASH_LOG_PAGES * BOARD_FLASH_PAGE)
#define DATA_BYTES  (SLOT_BYTES - LOG_BYTES)
#define LOG_ENTRIES (LOG_BYTES / 8u)

static struct {
    uint8_t mem[BOARD_FLASH_BYTES]; /* the device's own pages, then the slots */
    uint32_t size;
    unsigned programs;
} s_fake;

/* ---- the fake flash (flash.h) ---- */

int flash_open(uint32_t size)
{
    assert_int_equal(size, sizeof s_fake.mem);
    s_fake.size = size;
    return CB_OK;
}

int flash_read(uint32_t off, void *buf, size_t len)
{
    assert_true(off <= s_fake.size && len <= s_fake.size - off);
    memcpy(buf, s_fake.mem + off, len);
    return CB_OK;
}

int flash_program(uint32_t off, const uint32_t *words, size_t n)
{
    assert_int_equal(off % 4u, 0);
    assert_true(off <= s_fake.size && 4u * n <= s_fake.size - off);
    for (size_t i = 0; i < n; i++) {
        uint32_t cur;
        memcpy(&cur, s_fake.mem + off + 4u * i, 4);
        if (cur != FLASH_ERASED_WORD)
            fail_msg("word at 0x%x programmed twice without an erase", (unsigned)(off + 4u * i));
    }
    memcpy(s_fake.mem + off, words, 4u * n);
    s_fake.programs++;
    return CB_OK;
}

int flash_erase_page(uint32_t off)
{
    assert_int_equal(off % BOARD_FLASH_PAGE, 0);
    memset(s_fake.mem + off, 0xFF, BOARD_FLASH_PAGE);
    return CB_OK;
}

void flash_counts(flash_counts_t *out)
{
    memset(out, 0, sizeof *out);
}

void board_log(const char *fmt, ...)
{
    (void)fmt;
}

void board_printf(const char *fmt, ...)
{
    (void)fmt;
}

/* ---- helpers ---- */

static int setup(void **state)
{
    (void)state;
    memset(&s_fake, 0, sizeof s_fake);
    memset(s_fake.mem, 0xFF, sizeof s_fake.mem);
    (void)board_store_init();
    return 0;
}

static uint32_t size_of(cb_slot_t slot)
{
    uint32_t n = 0xdead;
    assert_int_equal(cb_port_store_open(slot, &n), CB_OK);
    return n;
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 3)); /* includes 0xFF bytes */
}

static void read_back(cb_slot_t slot, const uint8_t *want, size_t n)
{
    uint8_t got[DATA_BYTES];
    assert_int_equal(cb_port_store_read(slot, 0, got, sizeof got), (int)n);
    assert_memory_equal(got, want, n);
    for (size_t off = 0; off < n; off += 3) { /* every alignment, across the tail */
        uint8_t two[5];
        size_t k = n - off < sizeof two ? n - off : sizeof two;
        assert_int_equal(cb_port_store_read(slot, (uint32_t)off, two, sizeof two), (int)k);
        assert_memory_equal(two, want + off, k);
    }
}

/* ---- tests ---- */

static void test_empty_flash_is_two_empty_slots(void **state)
{
    (void)state;
    assert_int_equal(size_of(CB_SLOT_JOURNAL_A), 0);
    assert_int_equal(size_of(CB_SLOT_JOURNAL_B), 0);
    assert_int_equal(cb_port_store_capacity(CB_SLOT_JOURNAL_A), DATA_BYTES);
    uint8_t b[4];
    assert_int_equal(cb_port_store_read(CB_SLOT_JOURNAL_A, 0, b, sizeof b), 0);
}

static void test_synced_bytes_survive_a_reset_byte_for_byte(void **state)
{
    (void)state;
    uint8_t data[600];
    fill(data, sizeof data, 1);
    size_t at = 0;
    const size_t parts[] = {1, 2, 5, 4, 3, 97, 200, 7, 281};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, data + at, parts[i]), CB_OK);
        at += parts[i];
        assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_B), CB_OK);
        read_back(CB_SLOT_JOURNAL_B, data, at); /* the partial word from RAM */
        (void)board_store_init();               /* a reset: the log gives it back */
        assert_int_equal(size_of(CB_SLOT_JOURNAL_B), at);
        read_back(CB_SLOT_JOURNAL_B, data, at);
    }
    assert_int_equal(at, sizeof data);
    assert_int_equal(size_of(CB_SLOT_JOURNAL_A), 0);
}

static void test_unsynced_bytes_are_lost_and_the_slot_waits_for_an_erase(void **state)
{
    (void)state;
    uint8_t data[64];
    fill(data, sizeof data, 2);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data, 10), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data + 10, 30), CB_OK);
    (void)board_store_init(); /* reset before the sync */
    assert_int_equal(size_of(CB_SLOT_JOURNAL_A), 10);
    read_back(CB_SLOT_JOURNAL_A, data, 10);
    /* the words after 10 were programmed: appending there would program
     * them again, so the slot reports full until it is erased */
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data, 4), CB_ERR_NOSPC);
    assert_int_equal(cb_port_store_erase(CB_SLOT_JOURNAL_A), CB_OK);
    assert_int_equal(size_of(CB_SLOT_JOURNAL_A), 0);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data, 13), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK);
    (void)board_store_init();
    read_back(CB_SLOT_JOURNAL_A, data, 13);
}

static void test_a_reset_within_the_partial_word_keeps_appending(void **state)
{
    (void)state;
    uint8_t data[16];
    fill(data, sizeof data, 3);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data, 6), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK);
    (void)board_store_init();
    /* bytes 4..5 came back from the log; the word they start is still erased */
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data + 6, 10), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK);
    (void)board_store_init();
    read_back(CB_SLOT_JOURNAL_A, data, 16);
}

static void test_a_torn_log_entry_never_counts(void **state)
{
    (void)state;
    uint8_t data[8];
    fill(data, sizeof data, 4);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data, 3), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK);
    /* the next entry's first word programmed, its length word not (a reset
     * in the middle of a sync) */
    uint32_t tail = 0x11223344u;
    memcpy(s_fake.mem + BOARD_FLASH_OWN_BYTES + 8, &tail, sizeof tail);
    (void)board_store_init();
    assert_int_equal(size_of(CB_SLOT_JOURNAL_A), 3);
    read_back(CB_SLOT_JOURNAL_A, data, 3);
    /* the next sync goes after the torn entry, not over it */
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, data + 3, 5), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK);
    (void)board_store_init();
    read_back(CB_SLOT_JOURNAL_A, data, 8);
}

static void test_a_full_log_or_slot_is_nospc(void **state)
{
    (void)state;
    uint8_t b = 0x5a;
    for (unsigned i = 0; i < LOG_ENTRIES; i++) {
        assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, &b, 1), CB_OK);
        assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_B), CB_OK);
        assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_B), CB_OK); /* nothing new: no entry */
    }
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, &b, 1), CB_ERR_NOSPC);
    (void)board_store_init();
    assert_int_equal(size_of(CB_SLOT_JOURNAL_B), LOG_ENTRIES);
    assert_int_equal(cb_port_store_erase(CB_SLOT_JOURNAL_B), CB_OK);
    uint8_t big[DATA_BYTES + 1];
    fill(big, sizeof big, 5);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, big, sizeof big), CB_ERR_NOSPC);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, big, DATA_BYTES), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_B), CB_OK);
    (void)board_store_init();
    read_back(CB_SLOT_JOURNAL_B, big, DATA_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_empty_flash_is_two_empty_slots, setup),
        cmocka_unit_test_setup(test_synced_bytes_survive_a_reset_byte_for_byte, setup),
        cmocka_unit_test_setup(test_unsynced_bytes_are_lost_and_the_slot_waits_for_an_erase, setup),
        cmocka_unit_test_setup(test_a_reset_within_the_partial_word_keeps_appending, setup),
        cmocka_unit_test_setup(test_a_torn_log_entry_never_counts, setup),
        cmocka_unit_test_setup(test_a_full_log_or_slot_is_nospc, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
