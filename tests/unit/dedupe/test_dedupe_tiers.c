/* test_dedupe_tiers.c - the two-tier duplicate set (cb_inbox.h) with the
 * ledger over the fake store, in a tiny build (cb_dedupe_test_config.h: 16
 * remembered, 4 in RAM): older events found through the journal, false
 * fingerprint matches (and an unreadable journal) taken as new, the rebuild
 * at restart, compactions in a row keeping the newest 16, a failed commit's
 * key never in the older tier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_err.h"
#include "cb_inbox.h"
#include "cb_journal.h"
#include "cb_ledger.h"
#include "cb_metrics.h"
#include "fake_port.h"
#include "fake_store.h"

#include <stdio.h>
#include <string.h>

#define MAX   CB_CFG_DEDUPE_MAX
#define RAM   CB_CFG_DEDUPE_RAM
#define OLDER (MAX - RAM)
_Static_assert(MAX == 16 && RAM == 4 && CB_DUPKEY_LEN == 8, "built with cb_dedupe_test_config.h");

#define EV_MAX 1024

static struct {
    char job[EV_MAX][16];
    uint32_t seq[EV_MAX]; /* the seq each event was stored with */
    uint32_t budget;
    unsigned outcomes;
    cb_ledger_outcome_t last;
} s_t;

static cb_event_t event_of(unsigned i)
{
    assert_true(i < EV_MAX);
    snprintf(s_t.job[i], sizeof s_t.job[i], "JOB-%u", i);
    return (cb_event_t){.client_id = cb_span_str("acme"),
                        .created_at = cb_span_str("2026-12-03T12:00:00Z"),
                        .sender = cb_span_str("SH"),
                        .job_id = cb_span_str(s_t.job[i]),
                        .text = cb_span_str("hola")};
}

static void key_of(unsigned i, uint8_t key[CB_DUPKEY_LEN])
{
    static const uint8_t secret[CB_SIPHASH_KEY_LEN] = "0123456789abcdef";
    cb_event_t ev = event_of(i);
    cb_inbox_key(secret, 0, &ev.job_id, 1, key);
}

static void on_outcome(const cb_ledger_outcome_t *o, void *ctx)
{
    (void)ctx;
    s_t.outcomes++;
    s_t.last = *o;
    s_t.last.ev = NULL;
}

static int start(void)
{
    cb_ledger_config_t cfg = {.journal_budget = s_t.budget, .outcome = on_outcome};
    return cb_ledger_start(&cfg);
}

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    fake_store_reset();
    memset(&s_t, 0, sizeof s_t);
    s_t.budget = 1u << 20;
    assert_int_equal(start(), CB_OK);
    return 0;
}

/* Event i with key, alone in a turn: true when stored (s_t.seq[i] set). */
static bool store_key(unsigned i, const uint8_t key[CB_DUPKEY_LEN])
{
    cb_event_t ev = event_of(i);
    uint32_t t = 0, seq = 0;
    if (cb_ledger_accept(&ev, key, 0, &t, &seq) != CB_LEDGER_HELD)
        return false;
    cb_ledger_commit();
    if (s_t.last.ticket != t || !s_t.last.durable)
        return false;
    s_t.seq[i] = seq;
    return true;
}

static bool store(unsigned i)
{
    uint8_t key[CB_DUPKEY_LEN];
    key_of(i, key);
    return store_key(i, key);
}

static void ack(unsigned i)
{
    uint32_t acked;
    assert_int_equal(cb_ledger_ack(s_t.seq[i], &acked), CB_OK);
}

/* Event i sent again: its stored seq when answered duplicate, 0 when taken
 * as new (then committed). */
static uint32_t resend(unsigned i)
{
    uint8_t key[CB_DUPKEY_LEN];
    key_of(i, key);
    cb_event_t ev = event_of(i);
    uint32_t t = 0, seq = 0;
    cb_ledger_accept_t a = cb_ledger_accept(&ev, key, 0, &t, &seq);
    if (a == CB_LEDGER_DUPLICATE)
        return seq;
    assert_int_equal(a, CB_LEDGER_HELD);
    cb_ledger_commit();
    return 0;
}

static cb_seen_t seen(unsigned i)
{
    uint8_t key[CB_DUPKEY_LEN];
    uint32_t seq;
    key_of(i, key);
    return cb_inbox_seen(key, &seq);
}

/* ---- the tiers ---- */

static void test_dedupe_older_events_are_duplicates_through_the_journal(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MAX; i++)
        assert_true(store(i));
    unsigned appends = fake_store.appends;
    for (unsigned i = 0; i < MAX; i++) {
        uint8_t key[CB_DUPKEY_LEN];
        key_of(i, key);
        bool older = i < OLDER;
        assert_int_equal(seen(i), older ? CB_SEEN_OLDER : CB_SEEN_DURABLE);
        assert_int_equal(cb_inbox_older_holds(key, s_t.seq[i]), older);
        unsigned reads = fake_store.reads;
        assert_int_equal(resend(i), s_t.seq[i]);
        /* only an older key costs a journal walk */
        if (older)
            assert_true(fake_store.reads > reads);
        else
            assert_int_equal(fake_store.reads, reads);
    }
    assert_int_equal(fake_store.appends, appends); /* duplicates store nothing */
    /* one more: the oldest seq leaves the set */
    assert_true(store(MAX));
    assert_int_equal(seen(0), CB_SEEN_NO);
    assert_int_equal(resend(1), s_t.seq[1]); /* the next oldest is still known */
    assert_int_equal(resend(0), 0);
    assert_true(s_t.last.durable && s_t.last.is_new);
}

static void test_dedupe_fingerprint_match_without_its_key_in_the_journal_is_new(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MAX; i++)
        assert_true(store(i));
    /* another key with event 3's fingerprint (bytes 4-5) */
    uint8_t k3[CB_DUPKEY_LEN], other[CB_DUPKEY_LEN];
    key_of(3, k3);
    memcpy(other, k3, sizeof other);
    other[0] ^= 0x5a;
    other[7] ^= 0xa5;
    uint32_t seq;
    assert_int_equal(cb_inbox_seen(other, &seq), CB_SEEN_OLDER);
    unsigned reads = fake_store.reads;
    assert_true(store_key(100, other)); /* new: stored with the next seq */
    assert_true(fake_store.reads > reads);
    assert_true(s_t.last.is_new);
    assert_int_equal(s_t.seq[100], MAX + 1);
    assert_int_equal(cb_inbox_seen(other, &seq), CB_SEEN_DURABLE);
    assert_int_equal(resend(3), s_t.seq[3]); /* the real one is still a duplicate */
    /* a key no fingerprint matches is decided without reading the journal */
    uint8_t fresh[CB_DUPKEY_LEN];
    unsigned f = 200;
    for (key_of(f, fresh); cb_inbox_seen(fresh, &seq) != CB_SEEN_NO; key_of(++f, fresh))
        ;
    reads = fake_store.reads;
    assert_true(store(f));
    assert_int_equal(fake_store.reads, reads);
}

static void test_dedupe_unreadable_journal_takes_a_fingerprint_match_as_new(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MAX; i++)
        assert_true(store(i));
    fake_store.read_fails = FAKE_STORE_ALWAYS;
    assert_int_equal(seen(2), CB_SEEN_OLDER);
    assert_int_equal(resend(2), 0); /* stored again rather than refused */
    assert_true(s_t.last.durable && s_t.last.is_new);
    assert_true(fake_port_log_contains("duplicate check in the journal failed"));
    fake_store.read_fails = 0;
    assert_int_equal(resend(3), s_t.seq[3]);
}

static void test_dedupe_older_tier_is_indexed_by_seq(void **state)
{
    (void)state;
    cb_inbox_init();
    uint8_t k[40][CB_DUPKEY_LEN];
    for (unsigned i = 0; i < 40; i++)
        key_of(i, k[i]);
    /* seqs 1..8, then 12..13 (9-11 never stored), then 40 (a jump past the tier) */
    for (uint32_t s = 1; s <= 8; s++)
        cb_inbox_remember(k[s], s, true);
    for (uint32_t s = 1; s <= 4; s++) /* moved out of RAM */
        assert_true(cb_inbox_older_holds(k[s], s));
    assert_false(cb_inbox_older_holds(k[1], 2)); /* a key at another seq */
    assert_false(cb_inbox_older_holds(k[5], 5)); /* still in RAM */
    cb_inbox_remember(k[12], 12, true);
    cb_inbox_remember(k[13], 13, true);
    assert_true(cb_inbox_older_holds(k[5], 5) && cb_inbox_older_holds(k[6], 6));
    cb_inbox_remember(k[14], 14, true);
    cb_inbox_remember(k[15], 15, true);
    /* 7, 8, then the three skipped seqs count in the tier, then 12 */
    cb_inbox_remember(k[16], 16, true);
    assert_true(cb_inbox_older_holds(k[12], 12));
    assert_true(cb_inbox_older_holds(k[1], 1)); /* 1..8, 9-11, 12: 12 seqs, all kept */
    cb_inbox_remember(k[17], 17, true);
    assert_false(cb_inbox_older_holds(k[1], 1)); /* the 13th forgets the oldest */
    assert_true(cb_inbox_older_holds(k[2], 2));
    uint32_t seq;
    assert_int_equal(cb_inbox_seen(k[1], &seq), CB_SEEN_NO);
    assert_int_equal(cb_inbox_seen(k[2], &seq), CB_SEEN_OLDER);
    /* a jump of more than the tier forgets it all */
    for (uint32_t s = 40; s < 40 + RAM; s++)
        cb_inbox_remember(k[s - 40 + 20], s, true);
    assert_false(cb_inbox_older_holds(k[2], 2));
    assert_true(cb_inbox_older_holds(k[17], 17));
    cb_inbox_remember(k[30], 40 + RAM, true); /* 40 leaves RAM, 23 seqs after 17 */
    assert_true(cb_inbox_older_holds(k[20], 40));
    assert_false(cb_inbox_older_holds(k[17], 17));
    assert_int_equal(cb_inbox_seen(k[17], &seq), CB_SEEN_NO);
}

static void test_dedupe_restart_rebuilds_both_tiers(void **state)
{
    (void)state;
    const unsigned n = MAX + 4;
    for (unsigned i = 0; i < n; i++) {
        assert_true(store(i));
        if (i % 3)
            ack(i);
    }
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    for (unsigned i = n - MAX; i < n; i++) {
        assert_int_equal(seen(i), i < n - RAM ? CB_SEEN_OLDER : CB_SEEN_DURABLE);
        assert_int_equal(resend(i), s_t.seq[i]);
    }
    for (unsigned i = 0; i < n - MAX; i++)
        assert_int_equal(seen(i), CB_SEEN_NO);
}

static void test_dedupe_failed_commit_never_enters_the_older_tier(void **state)
{
    (void)state;
    assert_true(store(0));
    assert_true(store(1));
    uint8_t kx[CB_DUPKEY_LEN];
    key_of(50, kx);
    cb_event_t ev = event_of(50);
    uint32_t t, sx;
    assert_int_equal(cb_ledger_accept(&ev, kx, 0, &t, &sx), CB_LEDGER_HELD);
    fake_store.sync_fails = 1;
    cb_ledger_commit();
    assert_false(s_t.last.durable);
    for (unsigned i = 2; i < 2 + RAM + 2; i++) /* event 50's seq leaves RAM */
        assert_true(store(i));
    assert_false(cb_inbox_older_holds(kx, sx));
    uint32_t seq;
    assert_int_equal(cb_inbox_seen(kx, &seq), CB_SEEN_NO);
    uint8_t k1[CB_DUPKEY_LEN];
    key_of(1, k1);
    assert_true(cb_inbox_older_holds(k1, s_t.seq[1])); /* the seqs around it are kept */
    /* InstaLeap's retry is stored as new */
    assert_int_equal(resend(50), 0);
    assert_true(s_t.last.durable && s_t.last.is_new && s_t.last.seq > sx);
    assert_int_equal(resend(0), s_t.seq[0]);
    assert_int_equal(resend(1), s_t.seq[1]);
}

/* ---- compaction ---- */

static void seen_visit(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    uint32_t *v = ctx; /* [0] keys, [1] last seq, [2] out of order, [3] runs */
    uint32_t first;
    size_t n;
    assert_int_not_equal(type, CB_REC_SEEN); /* compaction writes runs */
    if (type != CB_REC_SEENS)
        return;
    assert_int_equal(cb_record_run_decode(p, len, &first, &n), CB_OK);
    assert_true(n <= CB_RECORD_RUN_MAX);
    v[0] += (uint32_t)n;
    v[2] += first <= v[1];
    v[1] = first + (uint32_t)n - 1;
    v[3]++;
}

/* Events stored one by one, most acknowledged at once (every 20th and the
 * first 3 stay waiting: the compacted journal carries them, older than the
 * set or repeating a remembered key), one failed commit halfway; after
 * each, the events of the last MAX seqs are duplicates of their seq. Then a
 * restart, and the same. */
static void run_compactions(uint32_t budget, uint32_t capacity)
{
    s_t.budget = budget;
    fake_store.capacity[0] = fake_store.capacity[1] = capacity;
    assert_int_equal(start(), CB_OK);
    const unsigned n = 200;
    unsigned compactions = cb_metrics.journal_compactions;
    for (unsigned i = 0; i < n; i++) {
        if (i == n / 2) { /* a failed commit: a seq without a key */
            uint8_t k[CB_DUPKEY_LEN];
            key_of(1000, k);
            cb_event_t ev = event_of(1000);
            uint32_t t, seq;
            assert_int_equal(cb_ledger_accept(&ev, k, 0, &t, &seq), CB_LEDGER_HELD);
            fake_store.sync_fails = 1;
            cb_ledger_commit();
            assert_false(s_t.last.durable);
        }
        assert_true(store(i));
        if (i >= 3 && i % 20)
            ack(i);
        /* the events of the last MAX seqs (the failed one took a seq) */
        for (unsigned j = i + 1 > MAX ? i + 1 - MAX : 0; j <= i; j++)
            if (s_t.seq[j] + MAX > s_t.seq[i])
                assert_int_equal(resend(j), s_t.seq[j]);
    }
    assert_true(cb_metrics.journal_compactions - compactions >= 5);
    uint32_t v[4] = {0};
    assert_int_equal(cb_journal_replay(seen_visit, v), CB_OK);
    assert_true(v[0] > 0 && v[0] <= MAX); /* the last compaction's: no more than the set */
    assert_int_equal(v[2], 0);            /* oldest first, each once */
    assert_true(v[3] <= v[0] / CB_RECORD_RUN_MAX + 2); /* seqs follow: a run or two */
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    for (unsigned j = n - MAX; j < n; j++)
        assert_int_equal(resend(j), s_t.seq[j]);
    assert_int_equal(seen(n - MAX - 1), CB_SEEN_NO); /* forgotten */
    assert_int_equal(resend(n - MAX - 1), 0);
}

static void test_dedupe_compactions_in_a_row_keep_the_newest_findable(void **state)
{
    (void)state;
    run_compactions(400, 0);
}

static void test_dedupe_compactions_on_a_full_slot_keep_the_newest_findable(void **state)
{
    (void)state;
    run_compactions(1u << 20, 3000); /* compacted only when an append finds no room */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_dedupe_older_events_are_duplicates_through_the_journal, setup),
        cmocka_unit_test_setup(test_dedupe_fingerprint_match_without_its_key_in_the_journal_is_new,
                               setup),
        cmocka_unit_test_setup(test_dedupe_unreadable_journal_takes_a_fingerprint_match_as_new,
                               setup),
        cmocka_unit_test_setup(test_dedupe_older_tier_is_indexed_by_seq, setup),
        cmocka_unit_test_setup(test_dedupe_restart_rebuilds_both_tiers, setup),
        cmocka_unit_test_setup(test_dedupe_failed_commit_never_enters_the_older_tier, setup),
        cmocka_unit_test_setup(test_dedupe_compactions_in_a_row_keep_the_newest_findable, setup),
        cmocka_unit_test_setup(test_dedupe_compactions_on_a_full_slot_keep_the_newest_findable,
                               setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
