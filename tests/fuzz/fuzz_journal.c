/* fuzz_journal.c - cb_journal_open over arbitrary bytes in both storage slots
 * (the fake store): it must never crash, must replay what it opened, must take
 * a new record and find it again after a reopen, and must survive compaction.
 * Input: flags u8, length of slot A u16 LE, a fault parameter u8, then slot
 * A's bytes, then B's. Flag 1 fixes up the CRC of every well-framed record so
 * the fuzzer can reach the header / commit / generation logic; flag 2 also
 * compacts; flag 4 fails an append first (leaving a partial record); flag 8
 * cuts the power during the compaction (the old or the new set must remain). */
#include "cb_config.h"
#include "cb_err.h"
#include "cb_crc32.h"
#include "cb_journal.h"
#include "fake_port.h"
#include "fake_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_MAX (64u * 1024u)
#define MARK_TYPE 0x42u

static uint8_t s_slot[INPUT_MAX];

static struct {
    unsigned n;
    uint32_t hash; /* CRC of every (type, len, payload) seen, in order */
    uint32_t last_off;
    uint8_t last_type;
} s_fz;

/* An invariant broken: say which, then crash so the fuzzer keeps the input. */
#define check(ok) check_at((ok), __LINE__)
static void check_at(bool ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_journal.c:%d: invariant broken\n", line);
        abort();
    }
}

static void visit(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)ctx;
    check(len <= CB_CFG_RECORD_MAX && type <= 0xEF);
    check(s_fz.n == 0 || off > s_fz.last_off);
    uint8_t hdr[5] = {type, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), 0};
    s_fz.hash = cb_crc32(cb_crc32(s_fz.hash, hdr, sizeof hdr), p, len);
    s_fz.n++;
    s_fz.last_off = off;
    s_fz.last_type = type;
}

static void walk(cb_journal_visit_fn fn, int (*run)(cb_journal_visit_fn, void *))
{
    memset(&s_fz, 0, sizeof s_fz);
    check(run(fn, NULL) == CB_OK);
}

/* Rewrites the CRC of each record framed as cb_journal.c documents. */
static void fix_crcs(uint8_t *b, size_t n)
{
    size_t off = 0;
    while (n - off >= 10 && b[off] == 0xCB) {
        uint32_t len = (uint32_t)b[off + 2] | (uint32_t)b[off + 3] << 8 |
                       (uint32_t)b[off + 4] << 16 | (uint32_t)b[off + 5] << 24;
        if (len > CB_CFG_RECORD_MAX || len > n - off - 10)
            return;
        uint32_t crc = cb_crc32(0, b + off + 1, 5 + len);
        uint8_t *c = b + off + 6 + len;
        c[0] = (uint8_t)crc;
        c[1] = (uint8_t)(crc >> 8);
        c[2] = (uint8_t)(crc >> 16);
        c[3] = (uint8_t)(crc >> 24);
        off += 10 + len;
    }
}

/* Keeps every other record; hashes them as visit() would. */
static struct {
    unsigned i, kept;
    uint32_t hash;
    bool failed;
} s_keep;

static void keep_half(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    (void)ctx;
    if (s_keep.i++ % 2 != 0)
        return;
    uint8_t hdr[5] = {type, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), 0};
    s_keep.hash = cb_crc32(cb_crc32(s_keep.hash, hdr, sizeof hdr), p, len);
    s_keep.kept++;
    if (cb_journal_compact_add(type, p, len) != CB_OK)
        s_keep.failed = true;
}

static int replay(cb_journal_visit_fn fn, void *ctx)
{
    return cb_journal_replay(fn, ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size - 4 > INPUT_MAX)
        return 0;
    fake_port_reset();
    fake_store_reset();
    uint8_t flags = data[0], param = data[3];
    size_t n = size - 4, split = (size_t)data[1] | (size_t)data[2] << 8;
    if (split > n)
        split = n;
    memcpy(s_slot, data + 4, n);
    if (flags & 1) {
        fix_crcs(s_slot, split);
        fix_crcs(s_slot + split, n - split);
    }
    fake_store_load(CB_SLOT_JOURNAL_A, s_slot, split);
    fake_store_load(CB_SLOT_JOURNAL_B, s_slot + split, n - split);

    /* open never fails on a working store, and replays what it opened */
    walk(visit, cb_journal_open);
    unsigned n0 = s_fz.n;
    uint32_t h0 = s_fz.hash;
    walk(visit, replay);
    check(s_fz.n == n0 && s_fz.hash == h0);

    if (flags & 4) { /* a failed append, maybe leaving part of a record */
        fake_store.append_fails = 1;
        fake_store.append_err = (param & 1) ? CB_ERR_NOSPC : CB_ERR_STORAGE;
        fake_store.append_partial = param >> 1;
        check(cb_journal_append(MARK_TYPE, "lost", 4) != CB_OK);
    }
    /* a new record lands after all of them, durably */
    check(cb_journal_append(MARK_TYPE, "mark", 4) == CB_OK);
    check(cb_journal_sync() == CB_OK);
    walk(visit, cb_journal_open);
    check(s_fz.n == n0 + 1 && s_fz.last_type == MARK_TYPE);
    uint32_t h1 = s_fz.hash;
    walk(visit, replay);
    check(s_fz.n == n0 + 1 && s_fz.hash == h1);

    if (flags & 2) {
        memset(&s_keep, 0, sizeof s_keep);
        if (flags & 8)
            fake_store_crash_after_bytes((uint64_t)param * 7u);
        int rc = cb_journal_compact_begin();
        if (rc == CB_OK)
            rc = cb_journal_replay(keep_half, NULL);
        if (rc == CB_OK && s_keep.failed)
            rc = CB_ERR_STORAGE;
        if (rc == CB_OK)
            rc = cb_journal_compact_commit();
        check((flags & 8) || rc == CB_OK);
        fake_store_crash(FAKE_STORE_KEEP_ALL);
        walk(visit, cb_journal_open);
        bool is_new = s_fz.n == s_keep.kept && s_fz.hash == s_keep.hash;
        bool is_old = s_fz.n == n0 + 1 && s_fz.hash == h1;
        check(is_new || is_old);
        check(!(flags & 8) || rc != CB_OK || is_new);
    }
    return 0;
}
