/* test_journal.c - unit tests for cb_journal over the fake RAM store: replay,
 * torn tails cut at every byte, crash-safe compaction at every step and byte,
 * storage errors (NOSPC, failed sync, failed commit) and recovery (the CRC
 * itself: test_crc32.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_config.h"
#include "cb_err.h"
#include "cb_crc32.h"
#include "cb_journal.h"
#include "cb_record.h"
#include "fake_port.h"
#include "fake_store.h"

#include <stdio.h>
#include <string.h>

/* The on-storage format, as cb_journal.c documents it. */
#define OVERHEAD       10u /* sync byte, type, u32 length, u32 CRC */
#define SYS_REC        18u /* HEADER and COMMIT records: 8-byte payloads */
#define FRESH_LEN      (2u * SYS_REC)
#define HEADER_REC_LEN SYS_REC
#define SYNC_BYTE      0xCBu
#define SLOT_A         CB_SLOT_JOURNAL_A
#define SLOT_B         CB_SLOT_JOURNAL_B

/* ---- records the tests write, and what a replay saw ---- */

typedef struct {
    uint8_t type;
    uint32_t len;
    uint32_t seed;
} spec_t;

static uint8_t s_payload[CB_CFG_RECORD_MAX];

static const uint8_t *payload_of(const spec_t *s)
{
    for (uint32_t i = 0; i < s->len; i++)
        s_payload[i] = (uint8_t)(s->seed * 131u + i * 7u + (i >> 8));
    return s_payload;
}

#define SEEN_MAX 1024
static struct {
    unsigned n;
    uint8_t type[SEEN_MAX];
    uint32_t len[SEEN_MAX], off[SEEN_MAX], crc[SEEN_MAX];
} s_seen;

static void collect(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)ctx;
    if (s_seen.n < SEEN_MAX) {
        s_seen.type[s_seen.n] = type;
        s_seen.len[s_seen.n] = (uint32_t)len;
        s_seen.off[s_seen.n] = off;
        s_seen.crc[s_seen.n] = cb_crc32(0, p, len);
    }
    s_seen.n++;
}

static bool seen_equals(const spec_t *want, unsigned n)
{
    if (s_seen.n != n)
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (s_seen.type[i] != want[i].type || s_seen.len[i] != want[i].len ||
            s_seen.crc[i] != cb_crc32(0, payload_of(&want[i]), want[i].len))
            return false;
        if (i > 0 && s_seen.off[i] <= s_seen.off[i - 1])
            return false;
    }
    return true;
}

static void expect_seen(const spec_t *want, unsigned n)
{
    if (!seen_equals(want, n))
        fail_msg("replay saw %u records, wanted %u (or contents differ)", s_seen.n, n);
}

static int open_collect(void)
{
    memset(&s_seen, 0, sizeof s_seen);
    return cb_journal_open(collect, NULL);
}

static int replay_collect(void)
{
    memset(&s_seen, 0, sizeof s_seen);
    return cb_journal_replay(collect, NULL);
}

/* Opens the journal and checks that open and replay both see exactly want. */
static void reopen_expect(const spec_t *want, unsigned n)
{
    assert_int_equal(open_collect(), CB_OK);
    expect_seen(want, n);
    assert_int_equal(replay_collect(), CB_OK);
    expect_seen(want, n);
}

static int append_spec(const spec_t *s)
{
    return cb_journal_append(s->type, payload_of(s), s->len);
}

static void append_all(const spec_t *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(append_spec(&s[i]), CB_OK);
}

static int compact_with(const spec_t *s, unsigned n)
{
    int rc = cb_journal_compact_begin();
    for (unsigned i = 0; rc == CB_OK && i < n; i++)
        rc = cb_journal_compact_add(s[i].type, payload_of(&s[i]), s[i].len);
    return rc == CB_OK ? cb_journal_compact_commit() : rc;
}

/* The slot the journal writes to: the one holding more bytes (the other is
 * erased after every switch). */
static cb_slot_t active_slot(void)
{
    return fake_store_len(SLOT_A) >= fake_store_len(SLOT_B) ? SLOT_A : SLOT_B;
}

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    fake_store_reset();
    return 0;
}

static const spec_t k_old[] = {
    {CB_REC_KEY, 32, 1}, {CB_REC_EVENT, 300, 2}, {CB_REC_EVENT, 1, 3},
    {CB_REC_ACK, 4, 4},  {CB_REC_EVENT, 0, 5},   {CB_REC_EVENT, 700, 6},
};
#define N_OLD (sizeof k_old / sizeof k_old[0])

static const spec_t k_new[] = {
    {CB_REC_STATE, 4, 100},
    {CB_REC_KEY, 32, 1},
    {CB_REC_SEEN, 36, 101},
    {CB_REC_EVENT, 700, 6},
};
#define N_NEW (sizeof k_new / sizeof k_new[0])

static const spec_t k_marker = {CB_REC_ACK, 4, 4242};

/* old set + marker, new set + marker */
static spec_t s_plus[SEEN_MAX];

static const spec_t *plus_marker(const spec_t *set, unsigned n)
{
    memcpy(s_plus, set, n * sizeof *set);
    s_plus[n] = k_marker;
    return s_plus;
}

/* Fresh store holding the old set, synced. */
static void build_old(void)
{
    fake_store_reset();
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    append_all(k_old, N_OLD);
    assert_int_equal(cb_journal_sync(), CB_OK);
}

/* After a crash: the journal must hold the old or the new set, nothing else,
 * and take a new record. Returns true for the new set. */
static bool expect_old_or_new_then_append(void)
{
    assert_int_equal(open_collect(), CB_OK);
    bool is_new = seen_equals(k_new, N_NEW);
    if (!is_new && !seen_equals(k_old, N_OLD))
        fail_msg("after the crash the journal holds %u records: neither the old nor the new set",
                 s_seen.n);
    assert_int_equal(append_spec(&k_marker), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    if (is_new)
        reopen_expect(plus_marker(k_new, N_NEW), N_NEW + 1);
    else
        reopen_expect(plus_marker(k_old, N_OLD), N_OLD + 1);
    return is_new;
}

/* ---- opening and replaying ---- */

static void test_journal_first_open_creates_generation_1_in_slot_a(void **state)
{
    (void)state;
    assert_int_equal(open_collect(), CB_OK);
    assert_int_equal(s_seen.n, 0);
    assert_int_equal(fake_store_len(SLOT_A), FRESH_LEN);
    assert_int_equal(fake_store_synced(SLOT_A), FRESH_LEN);
    assert_int_equal(fake_store_len(SLOT_B), 0);
    assert_int_equal(cb_journal_size(), FRESH_LEN);
    const uint8_t *a = fake_store_data(SLOT_A);
    assert_int_equal(a[0], SYNC_BYTE);
    assert_memory_equal(a + 6, "CBJ1\x01\x00\x00\x00", 8);
    /* opening again changes nothing */
    assert_int_equal(open_collect(), CB_OK);
    assert_int_equal(fake_store_len(SLOT_A), FRESH_LEN);
    assert_int_equal(fake_store_len(SLOT_B), 0);
}

static void test_journal_append_sync_reopen_replays_exactly(void **state)
{
    (void)state;
    static const spec_t recs[] = {
        {CB_REC_EVENT, 0, 1}, {CB_REC_EVENT, CB_CFG_RECORD_MAX, 2},
        {CB_REC_ACK, 4, 3},   {0, 17, 4},
        {0xEF, 255, 5},       {CB_REC_EVENT, 1000, 6},
    };
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    uint32_t size = FRESH_LEN;
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(append_spec(&recs[i]), CB_OK);
        size += recs[i].len + OVERHEAD;
        assert_int_equal(cb_journal_size(), size);
    }
    assert_int_equal(cb_journal_sync(), CB_OK);
    assert_int_equal(fake_store_synced(SLOT_A), size);
    reopen_expect(recs, 6);
    /* offsets point at the records in the active slot */
    const uint8_t *a = fake_store_data(SLOT_A);
    for (unsigned i = 0; i < s_seen.n; i++) {
        assert_int_equal(a[s_seen.off[i]], SYNC_BYTE);
        assert_int_equal(a[s_seen.off[i] + 1], recs[i].type);
    }
    assert_int_equal(s_seen.off[0], FRESH_LEN);
    /* a clean reopen rewrites nothing */
    assert_int_equal(fake_store_len(SLOT_A), size);
    assert_int_equal(fake_store_len(SLOT_B), 0);
}

static void test_journal_sync_with_nothing_appended_does_not_touch_storage(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    unsigned syncs = fake_store.syncs;
    assert_int_equal(cb_journal_sync(), CB_OK);
    assert_int_equal(fake_store.syncs, syncs);
    append_all(k_old, 1);
    assert_int_equal(cb_journal_sync(), CB_OK);
    assert_int_equal(fake_store.syncs, syncs + 1);
}

/* ---- torn tails ---- */

static void
test_journal_crash_at_every_byte_of_the_last_record_keeps_exactly_the_synced_ones(void **state)
{
    (void)state;
    static const spec_t synced[] = {
        {CB_REC_EVENT, 120, 1}, {CB_REC_ACK, 4, 2}, {CB_REC_EVENT, 60, 3}};
    static const spec_t last = {CB_REC_EVENT, 300, 99};
    spec_t want[5];
    memcpy(want, synced, sizeof synced);
    const uint32_t reclen = last.len + OVERHEAD;
    static const uint32_t keeps[] = {FAKE_STORE_KEEP_ALL, 0, 7};
    for (unsigned k = 0; k < 3; k++) {
        for (uint32_t cut = 0; cut <= reclen; cut++) {
            fake_store_reset();
            assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
            append_all(synced, 3);
            assert_int_equal(cb_journal_sync(), CB_OK);

            fake_store_crash_after_bytes(cut);
            int rc_append = append_spec(&last);
            int rc_sync = cb_journal_sync();
            bool durable = rc_append == CB_OK && rc_sync == CB_OK;
            assert_true(durable == (cut == reclen));
            fake_store_crash(keeps[k]);

            unsigned n = 3;
            if (durable)
                want[n++] = last;
            reopen_expect(want, n);
            /* still appendable, and nothing of the torn record comes back */
            want[n] = k_marker;
            assert_int_equal(append_spec(&k_marker), CB_OK);
            assert_int_equal(cb_journal_sync(), CB_OK);
            reopen_expect(want, n + 1);
        }
    }
}

/* k_old without record i */
static unsigned old_without(unsigned i, spec_t *out)
{
    unsigned n = 0;
    for (unsigned j = 0; j < N_OLD; j++)
        if (j != i)
            out[n++] = k_old[j];
    return n;
}

static void test_journal_skips_a_bad_record_in_the_middle_and_keeps_the_rest(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    append_all(k_old, N_OLD);
    assert_int_equal(cb_journal_sync(), CB_OK);
    assert_int_equal(replay_collect(), CB_OK);
    uint32_t bad = s_seen.off[3];
    fake_store_data(SLOT_A)[bad + 6] ^= 0x01; /* first payload byte of record 3 */
    uint8_t damaged[4096];
    uint32_t damaged_len = fake_store_len(SLOT_A);
    memcpy(damaged, fake_store_data(SLOT_A), damaged_len);

    spec_t want[N_OLD + 1];
    unsigned n = old_without(3, want);
    assert_int_equal(open_collect(), CB_OK);
    expect_seen(want, n);
    char msg[64];
    snprintf(msg, sizeof msg, "at offset %u skipped", (unsigned)bad);
    assert_true(fake_port_log_contains(msg));
    cb_journal_damage_t d;
    cb_journal_damage(&d);
    assert_int_equal(d.skipped_ranges, 1);
    assert_int_equal(d.range[0].off, bad);
    assert_int_equal(d.skipped_bytes, k_old[3].len + OVERHEAD);
    assert_int_equal(d.set_aside, 1);
    /* the good records moved to slot B; slot A was set aside, not erased */
    assert_int_equal(active_slot(), SLOT_B);
    uint32_t aside_len;
    const uint8_t *aside = fake_store_aside(SLOT_A, &aside_len);
    assert_int_equal(aside_len, damaged_len);
    assert_memory_equal(aside, damaged, damaged_len);

    want[n] = k_marker;
    assert_int_equal(append_spec(&k_marker), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(want, n + 1);
    cb_journal_damage(&d);
    assert_int_equal(d.skipped_ranges + d.set_aside, 0); /* the damage is gone from the journal */
}

static void test_journal_skips_bad_sync_byte_or_length_and_cuts_a_short_tail(void **state)
{
    (void)state;
    for (int how = 0; how < 4; how++) {
        fake_store_reset();
        fake_port_reset();
        assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
        append_all(k_old, N_OLD);
        assert_int_equal(cb_journal_sync(), CB_OK);
        assert_int_equal(replay_collect(), CB_OK);
        uint32_t at = s_seen.off[2];
        uint8_t *a = fake_store_data(SLOT_A);
        uint32_t len = fake_store_len(SLOT_A);
        switch (how) {
        case 0:
            a[at] = 0x00;
            break; /* bad sync byte */
        case 1:
            memcpy(a + at + 2, "\xff\xff\xff\x7f", 4);
            break; /* length over the limit */
        case 2:    /* length past the end, within the limit */
            a[at + 2] = (uint8_t)(len - at);
            a[at + 3] = (uint8_t)((len - at) >> 8);
            break;
        case 3:
            fake_store_load(SLOT_A, a, at + 7);
            break; /* slot ends mid-record: a torn tail, no damage */
        }
        spec_t want[N_OLD + 1];
        unsigned n = how < 3 ? old_without(2, want) : 2;
        if (how == 3)
            memcpy(want, k_old, 2 * sizeof *want);
        assert_int_equal(open_collect(), CB_OK);
        expect_seen(want, n);
        cb_journal_damage_t d;
        cb_journal_damage(&d);
        assert_int_equal(d.skipped_ranges, how < 3 ? 1u : 0u);
        assert_int_equal(fake_port.log_lines > 0, true);
        assert_int_equal(append_spec(&k_marker), CB_OK);
        assert_int_equal(cb_journal_sync(), CB_OK);
        want[n] = k_marker;
        reopen_expect(want, n + 1);
    }
}

static void test_journal_garbage_only_storage_is_set_aside_and_starts_empty(void **state)
{
    (void)state;
    uint8_t junk[200];
    for (unsigned i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37u + 11u);
    junk[0] = SYNC_BYTE; /* looks like a record, but is none */
    fake_store_load(SLOT_A, junk, 120);
    fake_store_load(SLOT_B, junk + 120, 80);
    assert_int_equal(open_collect(), CB_OK);
    assert_int_equal(s_seen.n, 0);
    assert_true(fake_port_log_contains("set aside"));
    uint32_t n;
    assert_memory_equal(fake_store_aside(SLOT_A, &n), junk, 120);
    assert_int_equal(n, 120);
    assert_memory_equal(fake_store_aside(SLOT_B, &n), junk + 120, 80);
    append_all(k_old, N_OLD);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(k_old, N_OLD);
}

static void
test_journal_unreadable_slots_are_never_erased_when_they_cannot_be_set_aside(void **state)
{
    (void)state;
    uint8_t junk[200];
    for (unsigned i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 53u + 7u);
    fake_store.set_aside_unsupported = true;
    /* one slot unreadable: left untouched, the journal starts in the other */
    fake_store_load(SLOT_A, junk, 120);
    assert_int_equal(open_collect(), CB_OK);
    assert_int_equal(fake_store_len(SLOT_A), 120);
    assert_memory_equal(fake_store_data(SLOT_A), junk, 120);
    assert_true(fake_port_log_contains("left untouched"));
    append_all(k_old, N_OLD);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(k_old, N_OLD);
    assert_memory_equal(fake_store_data(SLOT_A), junk, 120);
    /* both unreadable: no journal rather than an erase */
    fake_store_load(SLOT_B, junk + 120, 80);
    assert_int_equal(open_collect(), CB_ERR_STORAGE);
    assert_memory_equal(fake_store_data(SLOT_A), junk, 120);
    assert_memory_equal(fake_store_data(SLOT_B), junk + 120, 80);
}

static void test_journal_bad_header_keeps_every_record_and_sets_the_slot_aside(void **state)
{
    (void)state;
    for (int unsupported = 0; unsupported < 2; unsupported++) {
        for (uint32_t at = 0; at < HEADER_REC_LEN; at++) {
            fake_store_reset();
            fake_store.set_aside_unsupported = unsupported;
            assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
            append_all(k_old, N_OLD);
            assert_int_equal(cb_journal_sync(), CB_OK);
            fake_store_data(SLOT_A)[at] ^= 0x20;
            assert_int_equal(open_collect(), CB_OK);
            expect_seen(k_old, N_OLD);
            cb_journal_damage_t d;
            cb_journal_damage(&d);
            assert_true(d.header_bad);
            assert_int_equal(active_slot() == SLOT_B || unsupported, true);
            append_all(&k_marker, 1);
            assert_int_equal(cb_journal_sync(), CB_OK);
            reopen_expect(plus_marker(k_old, N_OLD), N_OLD + 1);
        }
    }
}

static void test_journal_crash_during_first_start_leaves_a_usable_empty_journal(void **state)
{
    (void)state;
    for (uint64_t step = 0; step < 8; step++) {
        for (int keep_all = 0; keep_all < 2; keep_all++) {
            fake_store_reset();
            fake_store_crash_after_ops(step);
            (void)cb_journal_open(NULL, NULL);
            fake_store_crash(keep_all ? FAKE_STORE_KEEP_ALL : 0);
            assert_int_equal(open_collect(), CB_OK);
            assert_int_equal(s_seen.n, 0);
            append_all(k_old, 2);
            assert_int_equal(cb_journal_sync(), CB_OK);
            reopen_expect(k_old, 2);
        }
    }
}

/* ---- compaction ---- */

static void test_journal_compaction_replaces_the_set_and_appends_follow_it(void **state)
{
    (void)state;
    build_old();
    assert_int_equal(compact_with(k_new, N_NEW), CB_OK);
    assert_int_equal(fake_store_len(SLOT_A), 0); /* old slot erased */
    assert_int_equal(active_slot(), SLOT_B);
    uint32_t size = FRESH_LEN;
    for (unsigned i = 0; i < N_NEW; i++)
        size += k_new[i].len + OVERHEAD;
    assert_int_equal(cb_journal_size(), size);
    assert_int_equal(replay_collect(), CB_OK);
    expect_seen(k_new, N_NEW);
    assert_int_equal(append_spec(&k_marker), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(plus_marker(k_new, N_NEW), N_NEW + 1);
    /* and once more, back into slot A */
    assert_int_equal(compact_with(k_old, N_OLD), CB_OK);
    assert_int_equal(active_slot(), SLOT_A);
    assert_int_equal(fake_store_len(SLOT_B), 0);
    reopen_expect(k_old, N_OLD);
}

static void test_journal_crash_at_every_step_of_compaction_gives_old_or_new_set(void **state)
{
    (void)state;
    /* count the storage calls of a whole compaction */
    build_old();
    unsigned ops0 = fake_store.appends + fake_store.syncs + fake_store.erases;
    assert_int_equal(compact_with(k_new, N_NEW), CB_OK);
    unsigned total = fake_store.appends + fake_store.syncs + fake_store.erases - ops0;
    /* erase, header, records, sync, commit, sync, erase old */
    assert_int_equal(total, N_NEW + 6);

    unsigned saw_old = 0, saw_new = 0;
    for (unsigned step = 0; step <= total; step++) {
        for (int keep_all = 0; keep_all < 2; keep_all++) {
            build_old();
            fake_store_crash_after_ops(step);
            int rc = compact_with(k_new, N_NEW);
            /* only the old slot's erase may fail without failing the commit */
            assert_true((rc == CB_OK) == (step >= total - 1));
            fake_store_crash(keep_all ? FAKE_STORE_KEEP_ALL : 0);
            bool is_new = expect_old_or_new_then_append();
            /* the switch happens exactly when the COMMIT is on the medium */
            unsigned commit_step = total - 2; /* the COMMIT append is call total-2 */
            bool want_new = keep_all ? step >= commit_step : step >= commit_step + 1;
            if (is_new != want_new)
                fail_msg("step %u keep_all %d: got the %s set", step, keep_all,
                         is_new ? "new" : "old");
            is_new ? saw_new++ : saw_old++;
        }
    }
    assert_true(saw_old > 0 && saw_new > 0);
}

static void test_journal_crash_at_every_byte_of_compaction_gives_old_or_new_set(void **state)
{
    (void)state;
    build_old();
    uint64_t bytes0 = fake_store.bytes_appended;
    assert_int_equal(compact_with(k_new, N_NEW), CB_OK);
    uint32_t total = (uint32_t)(fake_store.bytes_appended - bytes0);
    assert_int_equal(total, cb_journal_size());

    for (uint32_t cut = 0; cut <= total; cut++) {
        build_old();
        fake_store_crash_after_bytes(cut);
        int rc = compact_with(k_new, N_NEW);
        assert_true((rc == CB_OK) == (cut == total));
        fake_store_crash(FAKE_STORE_KEEP_ALL);
        bool is_new = expect_old_or_new_then_append();
        assert_true(is_new == (cut == total));
    }
}

static void test_journal_crash_before_old_slot_erase_picks_the_new_generation(void **state)
{
    (void)state;
    build_old();
    assert_int_equal(cb_journal_compact_begin(), CB_OK);
    for (unsigned i = 0; i < N_NEW; i++)
        assert_int_equal(cb_journal_compact_add(k_new[i].type, payload_of(&k_new[i]), k_new[i].len),
                         CB_OK);
    fake_store.erase_fails = 1; /* the commit's one erase: the old slot */
    assert_int_equal(cb_journal_compact_commit(), CB_OK);
    assert_true(fake_store_len(SLOT_A) > 0); /* both slots committed now */
    assert_true(fake_store_len(SLOT_B) > 0);
    fake_store_crash(FAKE_STORE_KEEP_ALL);
    reopen_expect(k_new, N_NEW);
    assert_int_equal(fake_store_len(SLOT_A), 0); /* open erased the stale slot */

    /* a half-erased old slot (its start still there) does not win either */
    build_old();
    uint8_t old_image[4096];
    uint32_t old_len = fake_store_len(SLOT_A);
    memcpy(old_image, fake_store_data(SLOT_A), old_len);
    assert_int_equal(compact_with(k_new, N_NEW), CB_OK);
    fake_store_load(SLOT_A, old_image, old_len / 2);
    reopen_expect(k_new, N_NEW);
}

static void test_journal_open_prefers_committed_old_slot_over_newer_uncommitted(void **state)
{
    (void)state;
    build_old();
    assert_int_equal(cb_journal_compact_begin(), CB_OK);
    for (unsigned i = 0; i < N_NEW; i++)
        assert_int_equal(cb_journal_compact_add(k_new[i].type, payload_of(&k_new[i]), k_new[i].len),
                         CB_OK);
    /* abandoned without a commit, e.g. the process died */
    assert_true(fake_store_len(SLOT_B) > 0);
    assert_int_equal(cb_journal_sync(), CB_OK);
    fake_store_crash(FAKE_STORE_KEEP_ALL);
    reopen_expect(k_old, N_OLD);
    assert_int_equal(fake_store_len(SLOT_B), 0); /* the leftover is erased */
}

/* Keeps the EVENT records, handing the visited payload straight to
 * compact_add as cb_ledger does; ctx is the first error seen. */
static void keep_events(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    int *rc = ctx;
    if (type != CB_REC_EVENT || *rc != CB_OK)
        return;
    uint32_t before = cb_crc32(0, p, len);
    *rc = cb_journal_compact_add(type, p, len);
    if (cb_crc32(0, p, len) != before) /* the payload must survive the call */
        *rc = CB_ERR_CORRUPT;
    /* nothing else may be written while replaying */
    if (cb_journal_append(CB_REC_ACK, "abcd", 4) != CB_ERR_BUSY ||
        cb_journal_compact_commit() != CB_ERR_BUSY ||
        cb_journal_replay(collect, NULL) != CB_ERR_BUSY)
        *rc = CB_ERR_INVAL;
}

static void test_journal_compaction_through_a_replay_callback_copies_payloads(void **state)
{
    (void)state;
    build_old();
    static const spec_t st = {CB_REC_STATE, 4, 77};
    assert_int_equal(cb_journal_compact_begin(), CB_OK);
    assert_int_equal(cb_journal_compact_add(st.type, payload_of(&st), st.len), CB_OK);
    int rc = CB_OK;
    assert_int_equal(cb_journal_replay(keep_events, &rc), CB_OK);
    assert_int_equal(rc, CB_OK);
    assert_int_equal(cb_journal_compact_commit(), CB_OK);
    spec_t want[N_OLD + 1];
    unsigned n = 0;
    want[n++] = st;
    for (unsigned i = 0; i < N_OLD; i++)
        if (k_old[i].type == CB_REC_EVENT)
            want[n++] = k_old[i];
    reopen_expect(want, n);
}

static void test_journal_append_during_compaction_abandons_the_compaction(void **state)
{
    (void)state;
    build_old();
    assert_int_equal(cb_journal_compact_begin(), CB_OK);
    assert_int_equal(cb_journal_compact_add(k_new[0].type, payload_of(&k_new[0]), k_new[0].len),
                     CB_OK);
    assert_int_equal(append_spec(&k_marker), CB_OK);
    assert_int_equal(cb_journal_compact_add(k_new[1].type, payload_of(&k_new[1]), k_new[1].len),
                     CB_ERR_INVAL);
    assert_int_equal(cb_journal_compact_commit(), CB_ERR_INVAL);
    assert_int_equal(cb_journal_sync(), CB_OK);
    fake_store_crash(FAKE_STORE_KEEP_ALL);
    reopen_expect(plus_marker(k_old, N_OLD), N_OLD + 1);
}

static void test_journal_bad_compact_add_abandons_the_compaction(void **state)
{
    (void)state;
    build_old();
    assert_int_equal(cb_journal_compact_begin(), CB_OK);
    assert_int_equal(cb_journal_compact_add(0xF1, "x", 1), CB_ERR_INVAL);
    assert_int_equal(cb_journal_compact_commit(), CB_ERR_INVAL);
    assert_int_equal(cb_journal_compact_begin(), CB_OK);
    assert_int_equal(cb_journal_compact_add(1, s_payload, CB_CFG_RECORD_MAX + 1), CB_ERR_TOO_LARGE);
    assert_int_equal(cb_journal_compact_commit(), CB_ERR_INVAL);
    /* no begin at all */
    assert_int_equal(cb_journal_compact_add(CB_REC_ACK, "abcd", 4), CB_ERR_INVAL);
    assert_int_equal(cb_journal_compact_commit(), CB_ERR_INVAL);
    reopen_expect(k_old, N_OLD);
}

static void test_journal_compaction_that_does_not_fit_keeps_the_old_journal(void **state)
{
    (void)state;
    build_old();
    fake_store.capacity[SLOT_B] = 200;
    assert_int_equal(cb_journal_compact_begin(), CB_OK);
    int rc = CB_OK;
    for (unsigned i = 0; rc == CB_OK && i < N_NEW; i++)
        rc = cb_journal_compact_add(k_new[i].type, payload_of(&k_new[i]), k_new[i].len);
    assert_int_equal(rc, CB_ERR_NOSPC);
    assert_int_equal(cb_journal_compact_commit(), CB_ERR_INVAL); /* abandoned */
    assert_int_equal(append_spec(&k_marker), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(plus_marker(k_old, N_OLD), N_OLD + 1);
}

static void test_journal_failed_commit_never_lets_the_abandoned_slot_win(void **state)
{
    (void)state;
    for (int crash = 0; crash < 2; crash++) {
        build_old();
        assert_int_equal(cb_journal_compact_begin(), CB_OK);
        for (unsigned i = 0; i < N_NEW; i++)
            assert_int_equal(
                cb_journal_compact_add(k_new[i].type, payload_of(&k_new[i]), k_new[i].len), CB_OK);
        /* the COMMIT append reports an error although all of it landed, and
         * the abandoned slot cannot be erased */
        fake_store.append_fails = 1;
        fake_store.append_partial = SYS_REC;
        fake_store.erase_fails = FAKE_STORE_ALWAYS;
        assert_int_equal(cb_journal_compact_commit(), CB_ERR_STORAGE);
        /* nothing more is accepted while slot B could win */
        assert_int_equal(append_spec(&k_marker), CB_ERR_STORAGE);
        assert_int_equal(cb_journal_sync(), CB_ERR_STORAGE);
        if (crash) {
            /* power fails in that window: B, complete, wins; nothing was lost */
            fake_store_crash(FAKE_STORE_KEEP_ALL);
            fake_store.erase_fails = 0;
            assert_true(expect_old_or_new_then_append());
        } else {
            /* storage recovers: B is erased first, then appends go on in A */
            fake_store.erase_fails = 0;
            assert_int_equal(append_spec(&k_marker), CB_OK);
            assert_int_equal(fake_store_len(SLOT_B), 0);
            assert_int_equal(cb_journal_sync(), CB_OK);
            fake_store_crash(FAKE_STORE_KEEP_ALL);
            reopen_expect(plus_marker(k_old, N_OLD), N_OLD + 1);
        }
    }
}

/* ---- storage errors ---- */

static void test_journal_append_nospc_is_reported_and_later_appends_work(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    append_all(k_old, 2);
    fake_store.append_fails = 1;
    fake_store.append_err = CB_ERR_NOSPC;
    fake_store.append_partial = 5; /* a partial record is left behind */
    assert_int_equal(append_spec(&k_old[2]), CB_ERR_NOSPC);
    /* the records before it are still made durable by the turn's sync */
    assert_int_equal(cb_journal_sync(), CB_OK);
    /* space is back: the next record does not land after the garbage */
    assert_int_equal(append_spec(&k_old[3]), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    spec_t want[3] = {k_old[0], k_old[1], k_old[3]};
    fake_store_crash(0);
    reopen_expect(want, 3);
}

static void test_journal_append_storage_error_then_crash_keeps_earlier_records(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    append_all(k_old, 3);
    assert_int_equal(cb_journal_sync(), CB_OK);
    fake_store.append_fails = FAKE_STORE_ALWAYS;
    fake_store.append_partial = 9;
    assert_int_equal(append_spec(&k_old[3]), CB_ERR_STORAGE);
    assert_int_equal(append_spec(&k_old[4]), CB_ERR_STORAGE); /* the clean fails too */
    fake_store_crash(FAKE_STORE_KEEP_ALL);
    fake_store.append_fails = 0;
    reopen_expect(k_old, 3);
    append_all(&k_old[3], 3);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(k_old, N_OLD);
}

static void test_journal_sync_failure_drops_the_unsynced_records(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    append_all(k_old, 2);
    assert_int_equal(cb_journal_sync(), CB_OK);
    uint32_t size = cb_journal_size();
    append_all(&k_old[2], 2);
    fake_store.sync_fails = 1;
    assert_int_equal(cb_journal_sync(), CB_ERR_STORAGE);
    assert_int_equal(cb_journal_size(), size);
    /* not even in the slot any more: the clean ran at once */
    fake_store_crash(FAKE_STORE_KEEP_ALL);
    reopen_expect(k_old, 2);
    append_all(&k_old[4], 1);
    assert_int_equal(cb_journal_sync(), CB_OK);
    spec_t want[3] = {k_old[0], k_old[1], k_old[4]};
    reopen_expect(want, 3);
}

static void test_journal_sync_failing_until_storage_recovers(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    append_all(k_old, 2);
    assert_int_equal(cb_journal_sync(), CB_OK);
    append_all(&k_old[2], 1);
    fake_store.sync_fails = FAKE_STORE_ALWAYS;
    assert_int_equal(cb_journal_sync(), CB_ERR_STORAGE);
    assert_int_equal(append_spec(&k_old[3]), CB_ERR_STORAGE);
    assert_int_equal(cb_journal_sync(), CB_OK); /* nothing pending: no claim */
    assert_int_equal(replay_collect(), CB_OK);
    expect_seen(k_old, 2);
    fake_store.sync_fails = 0;
    assert_int_equal(append_spec(&k_old[4]), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    spec_t want[3] = {k_old[0], k_old[1], k_old[4]};
    fake_store_crash(0);
    reopen_expect(want, 3);
}

static void test_journal_fills_the_slot_then_reports_nospc(void **state)
{
    (void)state;
    fake_store.capacity[SLOT_A] = fake_store.capacity[SLOT_B] = 1024;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    spec_t recs[16];
    unsigned n = 0;
    int rc;
    for (;;) {
        recs[n] = (spec_t){CB_REC_EVENT, 100, 10 + n};
        rc = append_spec(&recs[n]);
        if (rc != CB_OK)
            break;
        n++;
        assert_true(n < 16);
    }
    assert_int_equal(rc, CB_ERR_NOSPC);
    assert_int_equal(n, (1024 - FRESH_LEN) / 110);
    assert_true(cb_journal_size() <= 1024);
    assert_int_equal(cb_journal_sync(), CB_OK);
    /* small records still fit, up to the last byte */
    for (;;) {
        recs[n] = (spec_t){CB_REC_ACK, 4, 50 + n};
        rc = append_spec(&recs[n]);
        if (rc != CB_OK)
            break;
        n++;
        assert_true(n < 16);
    }
    assert_int_equal(rc, CB_ERR_NOSPC);
    assert_true(cb_journal_size() > 1024 - 14 && cb_journal_size() <= 1024);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(recs, n);
    /* compaction to fewer records makes room again */
    assert_int_equal(compact_with(recs, 2), CB_OK);
    assert_int_equal(append_spec(&recs[2]), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(recs, 3);
}

static void test_journal_rejects_oversized_and_reserved_records(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    assert_int_equal(cb_journal_append(CB_REC_EVENT, s_payload, CB_CFG_RECORD_MAX + 1),
                     CB_ERR_TOO_LARGE);
    assert_int_equal(cb_journal_append(0xF0, "x", 1), CB_ERR_INVAL);
    assert_int_equal(cb_journal_append(0xFF, "x", 1), CB_ERR_INVAL);
    assert_int_equal(cb_journal_append(CB_REC_EVENT, NULL, 3), CB_ERR_INVAL);
    assert_int_equal(cb_journal_size(), FRESH_LEN); /* nothing written */
    assert_int_equal(cb_journal_append(CB_REC_EVENT, s_payload, CB_CFG_RECORD_MAX), CB_OK);
    assert_int_equal(cb_journal_append(0xEF, NULL, 0), CB_OK);
}

static void test_journal_open_fails_when_storage_cannot_be_read(void **state)
{
    (void)state;
    build_old();
    fake_store.open_fails = 1;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_ERR_STORAGE);
    assert_int_equal(append_spec(&k_marker), CB_ERR_STORAGE); /* not open */
    fake_store.read_fails = 1;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_ERR_STORAGE);
    reopen_expect(k_old, N_OLD);
    fake_store.read_fails = 1;
    assert_int_equal(cb_journal_replay(collect, NULL), CB_ERR_STORAGE);
}

static void test_journal_tail_cut_that_cannot_be_written_still_replays(void **state)
{
    (void)state;
    build_old();
    fake_store_data(SLOT_A)[fake_store_len(SLOT_A) - 1] ^= 0x80; /* last record's CRC */
    fake_store.erase_fails = FAKE_STORE_ALWAYS;
    assert_int_equal(open_collect(), CB_OK);
    expect_seen(k_old, N_OLD - 1);
    assert_int_equal(append_spec(&k_marker), CB_ERR_STORAGE); /* the cut comes first */
    fake_store.erase_fails = 0;
    assert_int_equal(append_spec(&k_marker), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
    spec_t want[N_OLD];
    memcpy(want, k_old, (N_OLD - 1) * sizeof *want);
    want[N_OLD - 1] = k_marker;
    reopen_expect(want, N_OLD);
}

/* Writes a journal-format record at b; returns its length. */
static uint32_t forge(uint8_t *b, uint8_t type, const void *payload, uint32_t len)
{
    b[0] = SYNC_BYTE;
    b[1] = type;
    memcpy(b + 2, &(uint8_t[4]){(uint8_t)len, (uint8_t)(len >> 8), 0, 0}, 4);
    memcpy(b + 6, payload, len);
    uint32_t crc = cb_crc32(0, b + 1, 5 + len);
    memcpy(b + 6 + len,
           &(uint8_t[4]){(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                         (uint8_t)(crc >> 24)},
           4);
    return len + OVERHEAD;
}

static void test_journal_generation_wraps_around(void **state)
{
    (void)state;
    uint8_t img[64];
    uint32_t n = forge(img, 0xF0, "CBJ1\xff\xff\xff\xff", 8);
    n += forge(img + n, 0xF1, "\xff\xff\xff\xff\x00\x00\x00\x00", 8);
    fake_store_load(SLOT_A, img, n);
    reopen_expect(k_old, 0);
    assert_int_equal(fake_store_len(SLOT_A), FRESH_LEN); /* taken as it is */
    append_all(k_old, N_OLD);
    assert_int_equal(cb_journal_sync(), CB_OK);
    /* generation 0 follows 0xffffffff, even with the old slot still there */
    fake_store_crash_after_ops(N_NEW + 5); /* all but the old slot's erase */
    assert_int_equal(compact_with(k_new, N_NEW), CB_OK);
    assert_true(fake_store_len(SLOT_A) > 0);
    assert_memory_equal(fake_store_data(SLOT_B) + 6, "CBJ1\x00\x00\x00\x00", 8);
    fake_store_crash(FAKE_STORE_KEEP_ALL);
    reopen_expect(k_new, N_NEW);
}

static void test_journal_framed_records_are_appended_with_one_write(void **state)
{
    (void)state;
    assert_int_equal(cb_journal_open(NULL, NULL), CB_OK);
    static uint8_t recs[4096];
    size_t len = 0;
    for (unsigned i = 0; i < N_OLD; i++) {
        int n = cb_journal_frame(k_old[i].type, payload_of(&k_old[i]), k_old[i].len, recs + len,
                                 sizeof recs - len);
        assert_int_equal(n, (int)(k_old[i].len + OVERHEAD));
        len += (size_t)n;
    }
    unsigned appends = fake_store.appends;
    assert_int_equal(cb_journal_append_framed(recs, len), CB_OK);
    assert_int_equal(fake_store.appends - appends, 1);
    assert_int_equal(cb_journal_sync(), CB_OK);
    reopen_expect(k_old, N_OLD);
    /* framing in place: the payload already at out + CB_JOURNAL_HDR_LEN */
    memcpy(recs + CB_JOURNAL_HDR_LEN, "abcd", 4);
    assert_int_equal(cb_journal_frame(CB_REC_ACK, recs + CB_JOURNAL_HDR_LEN, 4, recs, 14), 14);
    assert_memory_equal(recs + CB_JOURNAL_HDR_LEN, "abcd", 4);
    /* refused: journal types, too little room, bytes that are not whole records */
    assert_int_equal(cb_journal_frame(0xF0, "x", 1, recs, 64), CB_ERR_INVAL);
    assert_int_equal(cb_journal_frame(1, "x", 1, recs, 10), CB_ERR_TOO_LARGE);
    assert_int_equal(cb_journal_append_framed(recs, 13), CB_ERR_INVAL);
    recs[0] = 0;
    assert_int_equal(cb_journal_append_framed(recs, 14), CB_ERR_INVAL);
    recs[0] = SYNC_BYTE;
    recs[1] = 0xF1;
    assert_int_equal(cb_journal_append_framed(recs, 14), CB_ERR_INVAL);
    assert_int_equal(fake_store.appends - appends, 1); /* nothing written for them */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_journal_first_open_creates_generation_1_in_slot_a, setup),
        cmocka_unit_test_setup(test_journal_append_sync_reopen_replays_exactly, setup),
        cmocka_unit_test_setup(test_journal_sync_with_nothing_appended_does_not_touch_storage,
                               setup),
        cmocka_unit_test_setup(
            test_journal_crash_at_every_byte_of_the_last_record_keeps_exactly_the_synced_ones,
            setup),
        cmocka_unit_test_setup(test_journal_skips_a_bad_record_in_the_middle_and_keeps_the_rest,
                               setup),
        cmocka_unit_test_setup(test_journal_skips_bad_sync_byte_or_length_and_cuts_a_short_tail,
                               setup),
        cmocka_unit_test_setup(test_journal_garbage_only_storage_is_set_aside_and_starts_empty,
                               setup),
        cmocka_unit_test_setup(
            test_journal_unreadable_slots_are_never_erased_when_they_cannot_be_set_aside, setup),
        cmocka_unit_test_setup(test_journal_bad_header_keeps_every_record_and_sets_the_slot_aside,
                               setup),
        cmocka_unit_test_setup(test_journal_crash_during_first_start_leaves_a_usable_empty_journal,
                               setup),
        cmocka_unit_test_setup(test_journal_compaction_replaces_the_set_and_appends_follow_it,
                               setup),
        cmocka_unit_test_setup(test_journal_crash_at_every_step_of_compaction_gives_old_or_new_set,
                               setup),
        cmocka_unit_test_setup(test_journal_crash_at_every_byte_of_compaction_gives_old_or_new_set,
                               setup),
        cmocka_unit_test_setup(test_journal_crash_before_old_slot_erase_picks_the_new_generation,
                               setup),
        cmocka_unit_test_setup(test_journal_open_prefers_committed_old_slot_over_newer_uncommitted,
                               setup),
        cmocka_unit_test_setup(test_journal_compaction_through_a_replay_callback_copies_payloads,
                               setup),
        cmocka_unit_test_setup(test_journal_append_during_compaction_abandons_the_compaction,
                               setup),
        cmocka_unit_test_setup(test_journal_bad_compact_add_abandons_the_compaction, setup),
        cmocka_unit_test_setup(test_journal_compaction_that_does_not_fit_keeps_the_old_journal,
                               setup),
        cmocka_unit_test_setup(test_journal_failed_commit_never_lets_the_abandoned_slot_win, setup),
        cmocka_unit_test_setup(test_journal_append_nospc_is_reported_and_later_appends_work, setup),
        cmocka_unit_test_setup(test_journal_append_storage_error_then_crash_keeps_earlier_records,
                               setup),
        cmocka_unit_test_setup(test_journal_sync_failure_drops_the_unsynced_records, setup),
        cmocka_unit_test_setup(test_journal_sync_failing_until_storage_recovers, setup),
        cmocka_unit_test_setup(test_journal_fills_the_slot_then_reports_nospc, setup),
        cmocka_unit_test_setup(test_journal_rejects_oversized_and_reserved_records, setup),
        cmocka_unit_test_setup(test_journal_open_fails_when_storage_cannot_be_read, setup),
        cmocka_unit_test_setup(test_journal_tail_cut_that_cannot_be_written_still_replays, setup),
        cmocka_unit_test_setup(test_journal_generation_wraps_around, setup),
        cmocka_unit_test_setup(test_journal_framed_records_are_appended_with_one_write, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
