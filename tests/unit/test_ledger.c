/* test_ledger.c - unit tests for cb_ledger over the fake store: tickets and
 * commit outcomes, a failed flush by anyone failing the tickets it dropped,
 * replay after restart, device flags, a power cut at every storage operation
 * (torn at several byte offsets), and every byte of a journal flipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_inbox.h"
#include "cb_crc32.h"
#include "cb_journal.h"
#include "cb_ledger.h"
#include "cb_metrics.h"
#include "fake_port.h"
#include "fake_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EV_MAX 160

/* ---- events the tests send, and the outcomes they get ---- */

static struct {
    char job[EV_MAX][16];
    char text[EV_MAX][24];
} s_ev;

static cb_event_t event_of(unsigned i)
{
    snprintf(s_ev.job[i], sizeof s_ev.job[i], "JOB-%u", i);
    snprintf(s_ev.text[i], sizeof s_ev.text[i], "text of %u", i);
    return (cb_event_t){.client_id = cb_span_str("acme"),
                        .created_at = cb_span_str("2026-11-28T12:00:00Z"),
                        .sender = cb_span_str("SH"),
                        .job_id = cb_span_str(s_ev.job[i]),
                        .text = cb_span_str(s_ev.text[i])};
}

static void key_of(unsigned i, uint8_t key[CB_DUPKEY_LEN])
{
    static const uint8_t secret[CB_SIPHASH_KEY_LEN] = "0123456789abcdef";
    cb_event_t ev = event_of(i);
    cb_inbox_key(secret, 0, &ev.job_id, 1, key);
}

#define OUT_MAX 256
static struct {
    unsigned n;
    cb_ledger_outcome_t o[OUT_MAX];
    char job[OUT_MAX][16]; /* the stored event's job id, when given */
} s_out;

static void record_outcome(const cb_ledger_outcome_t *o, void *ctx)
{
    (void)ctx;
    if (s_out.n >= OUT_MAX)
        return;
    s_out.o[s_out.n] = *o;
    if (o->ev)
        snprintf(s_out.job[s_out.n], sizeof s_out.job[0], "%.*s", (int)o->ev->job_id.len,
                 o->ev->job_id.p);
    s_out.o[s_out.n].ev = NULL; /* valid during the call only */
    s_out.n++;
}

static uint32_t s_budget = 1u << 20;

static int start(void)
{
    memset(&s_out, 0, sizeof s_out);
    cb_ledger_config_t cfg = {.journal_budget = s_budget, .outcome = record_outcome};
    return cb_ledger_start(&cfg);
}

static cb_ledger_accept_t accept_ev(unsigned i, uint32_t flags, uint32_t *ticket, uint32_t *seq)
{
    cb_event_t ev = event_of(i);
    uint8_t key[CB_DUPKEY_LEN];
    key_of(i, key);
    return cb_ledger_accept(&ev, key, flags, ticket, seq);
}

/* The outcome of ticket t in s_out, or NULL. */
static const cb_ledger_outcome_t *outcome(uint32_t t)
{
    for (unsigned i = 0; i < s_out.n; i++)
        if (s_out.o[i].ticket == t)
            return &s_out.o[i];
    return NULL;
}

/* Accepts i alone in a turn and commits; true when it was answered durable. */
static bool store(unsigned i, uint32_t flags, uint32_t *seq)
{
    uint32_t t = 0;
    if (accept_ev(i, flags, &t, seq) != CB_LEDGER_HELD)
        return false;
    cb_ledger_commit();
    const cb_ledger_outcome_t *o = outcome(t);
    return o && o->durable;
}

static bool unacked_has(uint32_t seq)
{
    return cb_inbox_is_unacked(seq);
}

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    fake_store_reset();
    s_budget = 1u << 20;
    assert_int_equal(start(), CB_OK);
    return 0;
}

/* ---- tickets and outcomes ---- */

static void test_ledger_commit_reports_each_ticket_in_order_after_one_flush(void **state)
{
    (void)state;
    uint32_t t[4], seq[4];
    assert_int_equal(accept_ev(1, 0, &t[0], &seq[0]), CB_LEDGER_HELD);
    assert_int_equal(accept_ev(2, 0, &t[1], &seq[1]), CB_LEDGER_HELD);
    assert_int_equal(accept_ev(1, 0, &t[2], &seq[2]), CB_LEDGER_HELD); /* repeat, same turn */
    assert_int_equal(accept_ev(3, 0, &t[3], &seq[3]), CB_LEDGER_HELD);
    assert_true(cb_ledger_pending());
    assert_int_equal(s_out.n, 0); /* nothing before the commit */
    unsigned syncs = fake_store.syncs;
    cb_ledger_commit();
    assert_int_equal(fake_store.syncs - syncs, 1);
    assert_false(cb_ledger_pending());
    assert_int_equal(s_out.n, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(s_out.o[i].ticket, t[i]);
        assert_true(s_out.o[i].durable);
        assert_int_equal(s_out.o[i].is_new, i != 2);
    }
    assert_int_equal(seq[0], 1);
    assert_int_equal(seq[1], 2);
    assert_int_equal(seq[2], 1);
    assert_int_equal(seq[3], 3);
    assert_string_equal(s_out.job[0], "JOB-1");
    assert_string_equal(s_out.job[2], ""); /* a repeat carries no event */
    assert_int_equal(cb_inbox_unacked(), 3);
}

static void test_ledger_duplicate_of_a_durable_event_is_answered_at_once(void **state)
{
    (void)state;
    uint32_t seq, t;
    assert_true(store(5, 0, &seq));
    unsigned appends = fake_store.appends;
    uint32_t dseq = 0;
    assert_int_equal(accept_ev(5, 0, &t, &dseq), CB_LEDGER_DUPLICATE);
    assert_int_equal(dseq, seq);
    assert_false(cb_ledger_pending());
    assert_int_equal(fake_store.appends, appends);
}

static void test_ledger_failed_flush_fails_every_ticket_and_forgets_their_keys(void **state)
{
    (void)state;
    uint32_t t[3], seq[3];
    accept_ev(1, 0, &t[0], &seq[0]);
    accept_ev(2, 0, &t[1], &seq[1]);
    accept_ev(1, 0, &t[2], &seq[2]);
    fake_store.sync_fails = 1;
    cb_ledger_commit();
    assert_int_equal(s_out.n, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_false(s_out.o[i].durable);
    assert_int_equal(cb_inbox_unacked(), 0);
    assert_false(cb_ledger_healthy(NULL));
    /* the retry is stored as new, with a new sequence number */
    uint32_t s2;
    assert_true(store(1, 0, &s2));
    assert_true(s2 > seq[1]);
    assert_true(cb_ledger_healthy(NULL));
}

/* Hole 1 of issue 12: a webhook and an ack in one loop turn; the ack's
 * immediate flush fails, and the journal drops every unsynced record. Before,
 * the webhook's record was among them: the commit found nothing left to sync,
 * answered 200, and the event was gone after a restart. Now a turn's records
 * reach the journal only at its commit: the ack's failure cannot touch them. */
static void test_ledger_ack_flush_failure_in_the_same_turn_cannot_drop_the_held_event(void **state)
{
    (void)state;
    uint32_t s1, s2, t2, acked;
    assert_true(store(1, 0, &s1));
    assert_int_equal(accept_ev(2, 0, &t2, &s2), CB_LEDGER_HELD);
    fake_store.sync_fails = 1;
    assert_int_equal(cb_ledger_ack(s1, &acked), CB_OK); /* holds in RAM */
    cb_ledger_commit();
    const cb_ledger_outcome_t *o = outcome(t2);
    assert_non_null(o);
    assert_true(o->durable);
    /* what a restart shows agrees with the answers */
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_true(unacked_has(s1)); /* its ack never became durable: shown again */
    assert_true(unacked_has(s2));
}

static void test_ledger_device_key_flush_failure_cannot_drop_the_held_event(void **state)
{
    (void)state;
    uint32_t s1, t1;
    const uint8_t *key;
    size_t len;
    assert_int_equal(accept_ev(1, 0, &t1, &s1), CB_LEDGER_HELD);
    fake_store.sync_fails = 1;
    assert_int_equal(cb_ledger_device_key(&key, &len), CB_ERR_STORAGE);
    cb_ledger_commit();
    assert_true(outcome(t1)->durable);
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_true(unacked_has(s1));
}

static void test_ledger_turn_is_written_with_one_write_and_one_flush_at_the_commit(void **state)
{
    (void)state;
    uint32_t s1, t[4], seq[4], acked;
    assert_true(store(1, 0, &s1));
    unsigned appends = fake_store.appends, syncs = fake_store.syncs;
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(accept_ev(i + 2, i == 0 ? CB_LEDGER_FLAG_V3_SEEN : 0, &t[i], &seq[i]),
                         CB_LEDGER_HELD);
    assert_int_equal(fake_store.appends, appends); /* nothing written before the commit */
    assert_int_equal(cb_ledger_ack(s1, &acked), CB_OK);
    assert_int_equal(fake_store.appends - appends, 1); /* the ack's */
    assert_int_equal(fake_store.syncs - syncs, 1);
    cb_ledger_commit();
    assert_int_equal(fake_store.appends - appends, 2); /* three events and a flag: one write */
    assert_int_equal(fake_store.syncs - syncs, 2);
    for (unsigned i = 0; i < 3; i++)
        assert_true(outcome(t[i])->durable);
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_false(unacked_has(s1));
    for (unsigned i = 0; i < 3; i++)
        assert_true(unacked_has(seq[i]));
    assert_int_equal(cb_ledger_flags(), CB_LEDGER_FLAG_V3_SEEN);
}

static void test_ledger_failed_turn_write_fails_every_ticket(void **state)
{
    (void)state;
    uint32_t t[2], seq[2];
    accept_ev(1, 0, &t[0], &seq[0]);
    accept_ev(2, 0, &t[1], &seq[1]);
    fake_store.append_fails = 1;
    fake_store.append_partial = 30; /* a partial tail */
    cb_ledger_commit();
    assert_false(outcome(t[0])->durable);
    assert_false(outcome(t[1])->durable);
    assert_int_equal(cb_inbox_unacked(), 0);
    uint32_t s3;
    assert_true(store(1, 0, &s3)); /* the retry, after the partial tail */
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_int_equal(cb_inbox_unacked(), 1);
    assert_true(unacked_has(s3));
}

static void test_ledger_restart_replays_unacked_duplicates_and_sequence(void **state)
{
    (void)state;
    uint32_t seq[5], acked;
    for (unsigned i = 0; i < 5; i++)
        assert_true(store(i + 1, 0, &seq[i]));
    assert_int_equal(cb_ledger_ack(seq[1], &acked), CB_OK);
    assert_int_equal(cb_ledger_ack(seq[3], &acked), CB_OK);
    const uint8_t *key;
    size_t len;
    uint8_t k1[CB_DEVKEY_LEN];
    assert_int_equal(cb_ledger_device_key(&key, &len), CB_OK);
    memcpy(k1, key, sizeof k1);
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_int_equal(cb_inbox_unacked(), 3);
    assert_true(unacked_has(seq[0]) && unacked_has(seq[2]) && unacked_has(seq[4]));
    const cb_inbox_msg_t *m = cb_ledger_oldest();
    assert_non_null(m);
    assert_string_equal(m->job_id, "JOB-1");
    uint32_t t, dseq;
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(accept_ev(i + 1, 0, &t, &dseq), CB_LEDGER_DUPLICATE);
        assert_int_equal(dseq, seq[i]);
    }
    assert_int_equal(cb_ledger_device_key(&key, &len), CB_OK);
    assert_memory_equal(key, k1, sizeof k1);
    uint32_t s6;
    assert_true(store(6, 0, &s6));
    assert_int_equal(s6, seq[4] + 1);
}

/* The duplicate keys' secret is HMAC-SHA256(device key, "chatbell dupkey
 * v1") cut to a SipHash key: the device key is created once (one write, one
 * flush) and the secret is the same after a restart, so keys replayed from
 * the journal still match new requests. */
static void test_ledger_dupkey_secret_comes_from_the_device_key_and_survives_restart(void **state)
{
    (void)state;
    const uint8_t *secret, *key;
    size_t len;
    uint8_t first[CB_SIPHASH_KEY_LEN], mac[CB_SHA256_LEN];
    unsigned appends = fake_store.appends, syncs = fake_store.syncs;
    assert_int_equal(cb_ledger_dupkey_secret(&secret), CB_OK);
    assert_int_equal(fake_store.appends - appends, 1); /* the device key's record */
    assert_int_equal(fake_store.syncs - syncs, 1);
    memcpy(first, secret, sizeof first);
    assert_int_equal(cb_ledger_device_key(&key, &len), CB_OK);
    cb_span_t label = cb_span_str("chatbell dupkey v1");
    cb_hmac_sha256(key, len, &label, 1, mac);
    assert_memory_equal(first, mac, CB_SIPHASH_KEY_LEN);
    assert_memory_not_equal(first, key, CB_SIPHASH_KEY_LEN); /* not the token key itself */
    assert_int_equal(cb_ledger_dupkey_secret(&secret), CB_OK);
    assert_int_equal(fake_store.appends - appends, 1); /* derived once, nothing more written */
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_int_equal(cb_ledger_dupkey_secret(&secret), CB_OK);
    assert_memory_equal(secret, first, CB_SIPHASH_KEY_LEN);
}

/* No secret without a durable device key: a storage error (the webhook
 * answers 503), and the next call tries again. */
static void test_ledger_dupkey_secret_needs_a_durable_device_key(void **state)
{
    (void)state;
    const uint8_t *secret;
    fake_store.sync_fails = 1;
    assert_int_equal(cb_ledger_dupkey_secret(&secret), CB_ERR_STORAGE);
    assert_int_equal(cb_ledger_dupkey_secret(&secret), CB_OK);
    fake_store.open_fails = FAKE_STORE_ALWAYS;
    fake_store_crash(0);
    assert_int_not_equal(start(), CB_OK);
    assert_int_equal(cb_ledger_dupkey_secret(&secret), CB_ERR_STORAGE);
}

static void test_ledger_unavailable_when_the_journal_cannot_open(void **state)
{
    (void)state;
    fake_store.open_fails = FAKE_STORE_ALWAYS;
    assert_int_not_equal(start(), CB_OK);
    uint32_t t, seq;
    assert_int_equal(accept_ev(1, 0, &t, &seq), CB_LEDGER_UNAVAILABLE);
    const char *why = NULL;
    assert_false(cb_ledger_healthy(&why));
    assert_non_null(why);
    fake_store.open_fails = 0;
    assert_false(cb_ledger_poll()); /* not yet: tried again every few seconds */
    fake_port.now_ms += 5000;
    assert_true(cb_ledger_poll());
    assert_true(store(1, 0, &seq));
}

/* ---- flags ---- */

static void test_ledger_flags_are_durable_with_their_event(void **state)
{
    (void)state;
    uint32_t t, seq;
    assert_int_equal(cb_ledger_flags(), 0);
    assert_int_equal(accept_ev(1, CB_LEDGER_FLAG_V3_SEEN, &t, &seq), CB_LEDGER_HELD);
    assert_int_equal(cb_ledger_flags(), 0); /* not before the flush */
    cb_ledger_commit();
    assert_int_equal(cb_ledger_flags(), CB_LEDGER_FLAG_V3_SEEN);
    /* set once: later events with the flag write nothing more */
    unsigned appends = fake_store.appends;
    assert_true(store(2, CB_LEDGER_FLAG_V3_SEEN, &seq));
    assert_int_equal(fake_store.appends - appends, 1);
    /* restart */
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_int_equal(cb_ledger_flags(), CB_LEDGER_FLAG_V3_SEEN);
}

static void test_ledger_flags_survive_compaction(void **state)
{
    (void)state;
    s_budget = 300;
    assert_int_equal(start(), CB_OK);
    uint32_t seq, acked;
    assert_true(store(1, CB_LEDGER_FLAG_V3_SEEN, &seq));
    unsigned compactions = cb_metrics.journal_compactions;
    for (unsigned i = 2; i < 12; i++) {
        assert_true(store(i, 0, &seq));
        assert_int_equal(cb_ledger_ack(seq, &acked), CB_OK);
    }
    assert_true(cb_metrics.journal_compactions > compactions);
    fake_store_crash(0);
    assert_int_equal(start(), CB_OK);
    assert_int_equal(cb_ledger_flags(), CB_LEDGER_FLAG_V3_SEEN);
    assert_int_equal(cb_inbox_unacked(), 1);
}

static void test_ledger_flags_of_a_failed_or_torn_commit_come_only_with_the_event(void **state)
{
    (void)state;
    uint32_t t, seq;
    accept_ev(1, CB_LEDGER_FLAG_V3_SEEN, &t, &seq);
    fake_store.sync_fails = 1;
    cb_ledger_commit();
    assert_int_equal(cb_ledger_flags(), 0);
    /* torn: power lost during the commit's write, each byte of it kept in
     * turn: the flags come back only with their event */
    bool seen_with = false, seen_without = false, seen_event_only = false;
    for (uint32_t keep = 0; keep < 400; keep++) {
        fake_store_reset();
        assert_int_equal(start(), CB_OK);
        assert_int_equal(accept_ev(2, CB_LEDGER_FLAG_V3_SEEN, &t, &seq), CB_LEDGER_HELD);
        fake_store_crash_after_ops(0);
        fake_store.crash_tear = keep;
        cb_ledger_commit();
        assert_false(outcome(t)->durable);
        fake_store_crash(FAKE_STORE_KEEP_ALL);
        assert_int_equal(start(), CB_OK);
        bool has = cb_inbox_unacked() == 1;
        if (cb_ledger_flags() != 0)
            assert_true(has);
        seen_with |= cb_ledger_flags() != 0;
        seen_without |= cb_ledger_flags() == 0;
        seen_event_only |= has && cb_ledger_flags() == 0;
    }
    assert_true(seen_with && seen_without && seen_event_only);
}

/* ---- power cut at every storage operation ----
 * (3 rounds of the script by default; CB_LEDGER_POWERCUT_ROUNDS=1..9 for
 * fewer or more.)
 * A scripted workload runs on the fake store, which loses power at mutating
 * operation k (an append there lands only its first `tear` bytes), for every
 * k; then the unsynced bytes are kept whole or dropped, and the ledger is
 * started again and checked against what was answered before the cut. */

static struct {
    unsigned rounds;
    bool durable[EV_MAX]; /* answered 2xx (accepted, or duplicate of one) */
    bool tried[EV_MAX];   /* given to accept */
    bool v3[EV_MAX];
    uint32_t seq[EV_MAX];     /* seq of the durable answer */
    bool ack_durable[EV_MAX]; /* its ack's flush succeeded */
    bool ack_tried[EV_MAX];
    bool key_made;
    uint8_t key[CB_DEVKEY_LEN];
    unsigned compactions;
} s_run;

/* One turn: accept each event of list (0-terminated), then commit. */
static void turn(const unsigned *list)
{
    uint32_t t[8], seq[8];
    unsigned n = 0;
    for (; list[n]; n++) {
        unsigned e = list[n];
        uint32_t flags = (e & 1) ? CB_LEDGER_FLAG_V3_SEEN : 0;
        s_run.tried[e] = true;
        s_run.v3[e] |= flags != 0;
        t[n] = 0;
        cb_ledger_accept_t r = accept_ev(e, flags, &t[n], &seq[n]);
        if (r != CB_LEDGER_HELD)
            t[n] = 0;
        if (r == CB_LEDGER_DUPLICATE) {
            assert_true(s_run.durable[e]);
            assert_int_equal(seq[n], s_run.seq[e]);
        }
    }
    cb_ledger_commit();
    for (unsigned i = 0; i < n; i++) {
        const cb_ledger_outcome_t *o = t[i] ? outcome(t[i]) : NULL;
        if (o && o->durable) {
            unsigned e = list[i];
            if (s_run.durable[e])
                assert_int_equal(o->seq, s_run.seq[e]);
            s_run.durable[e] = true;
            s_run.seq[e] = o->seq;
        }
    }
}

static void ack_event(unsigned e)
{
    uint32_t acked;
    if (!s_run.durable[e])
        return;
    s_run.ack_tried[e] = true;
    bool dead_before = fake_store.dead;
    if (cb_ledger_ack(s_run.seq[e], &acked) == CB_OK && !dead_before && !fake_store.dead &&
        cb_ledger_healthy(NULL))
        s_run.ack_durable[e] = true;
}

static void workload(void)
{
    for (unsigned r = 0; r < s_run.rounds; r++) {
        unsigned b = 1 + r * 16; /* events b .. b+15 */
        turn((unsigned[]){b, b + 1, 0});
        turn((unsigned[]){b + 2, b, b + 3, b + 3, 0}); /* a duplicate, a repeat */
        ack_event(b);
        if (!s_run.key_made) {
            const uint8_t *k;
            size_t len;
            if (cb_ledger_device_key(&k, &len) == CB_OK && !fake_store.dead) {
                s_run.key_made = true;
                memcpy(s_run.key, k, sizeof s_run.key);
            }
        }
        /* an ack in the same turn as an event (hole 1's shape) */
        uint32_t t = 0, seq;
        s_run.tried[b + 4] = true;
        if (accept_ev(b + 4, 0, &t, &seq) != CB_LEDGER_HELD)
            t = 0; /* no ticket: no outcome */
        ack_event(b + 1);
        cb_ledger_commit();
        const cb_ledger_outcome_t *o = t ? outcome(t) : NULL;
        if (o && o->durable) {
            s_run.durable[b + 4] = true;
            s_run.seq[b + 4] = o->seq;
        }
        /* a failed flush, then the retry */
        fake_store.sync_fails = 1;
        turn((unsigned[]){b + 5, 0});
        fake_store.sync_fails = 0;
        turn((unsigned[]){b + 5, b + 6, 0});
        ack_event(b + 2);
        ack_event(b + 3);
        turn((unsigned[]){b + 7, b + 8, b + 9, b + 10, b + 11, 0});
        for (unsigned e = b + 4; e <= b + 9; e++)
            ack_event(e);
        turn((unsigned[]){b + 12, b + 1, 0});
    }
    s_run.compactions = (unsigned)cb_metrics.journal_compactions;
}

/* seq -> event number of every EVENT record in the journal */
#define SEQ_MAX 1024
static unsigned s_event_of_seq[SEQ_MAX];

static void map_visit(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    (void)ctx;
    cb_record_event_t r;
    if (type == CB_REC_EVENT && cb_record_event_decode(p, len, &r) == CB_OK && r.seq < SEQ_MAX)
        s_event_of_seq[r.seq] = (unsigned)atoi(r.ev.job_id.p + 4);
}

/* Checks the ledger started after a cut against what was answered. */
static void check_after_cut(unsigned k, uint32_t tear, int keep)
{
    memset(s_event_of_seq, 0, sizeof s_event_of_seq);
    assert_int_equal(cb_journal_replay(map_visit, NULL), CB_OK);
    /* every message shown is one that was sent, once */
    unsigned count[EV_MAX] = {0};
    for (unsigned i = 0; i < cb_inbox_unacked(); i++) {
        uint32_t seq;
        assert_true(cb_inbox_unacked_at(i, &seq));
        unsigned e = seq < SEQ_MAX ? s_event_of_seq[seq] : 0;
        if (e == 0 || e >= EV_MAX || !s_run.tried[e])
            fail_msg("cut at op %u tear %u keep %d: seq %u shown, never sent", k, (unsigned)tear,
                     keep, (unsigned)seq);
        if (++count[e] > 1)
            fail_msg("cut at op %u tear %u keep %d: event %u shown twice", k, (unsigned)tear, keep,
                     e);
        if (s_run.durable[e] && s_run.seq[e] != seq)
            fail_msg("cut at op %u tear %u keep %d: event %u shown with seq %u, answered %u", k,
                     (unsigned)tear, keep, e, (unsigned)seq, (unsigned)s_run.seq[e]);
    }
    for (unsigned e = 1; e < EV_MAX; e++) {
        if (!s_run.durable[e])
            continue;
        uint8_t key[CB_DUPKEY_LEN];
        uint32_t seq = 0;
        key_of(e, key);
        if (cb_inbox_seen(key, &seq) != CB_SEEN_DURABLE || seq != s_run.seq[e])
            fail_msg("cut at op %u tear %u keep %d: event %u (seq %u) answered 2xx is not "
                     "remembered",
                     k, (unsigned)tear, keep, e, (unsigned)s_run.seq[e]);
        bool shown = cb_inbox_is_unacked(s_run.seq[e]);
        if (!s_run.ack_tried[e] && !shown)
            fail_msg("cut at op %u tear %u keep %d: event %u (seq %u) answered 2xx is lost", k,
                     (unsigned)tear, keep, e, (unsigned)s_run.seq[e]);
        if (s_run.ack_durable[e] && shown)
            fail_msg("cut at op %u tear %u keep %d: event %u acknowledged durably is shown again",
                     k, (unsigned)tear, keep, e);
    }
    bool any_v3 = false;
    for (unsigned e = 1; e < EV_MAX; e++)
        any_v3 |= s_run.durable[e] && s_run.v3[e];
    if (any_v3 && !(cb_ledger_flags() & CB_LEDGER_FLAG_V3_SEEN))
        fail_msg("cut at op %u tear %u keep %d: V3 flag lost", k, (unsigned)tear, keep);
    if (s_run.key_made) {
        const uint8_t *key;
        size_t len;
        assert_int_equal(cb_ledger_device_key(&key, &len), CB_OK);
        if (memcmp(key, s_run.key, sizeof s_run.key) != 0)
            fail_msg("cut at op %u tear %u keep %d: device key changed", k, (unsigned)tear, keep);
    }
    /* and the device goes on: a new event is stored with a new seq */
    uint32_t seq;
    assert_true(store(EV_MAX - 1, 0, &seq));
    for (unsigned e = 1; e < EV_MAX; e++)
        if (s_run.durable[e])
            assert_true(seq > s_run.seq[e]);
}

static unsigned run_workload(uint64_t cut_at, uint32_t tear)
{
    fake_port_reset();
    fake_store_reset();
    unsigned rounds = s_run.rounds;
    memset(&s_run, 0, sizeof s_run);
    s_run.rounds = rounds;
    s_budget = 700;
    assert_int_equal(start(), CB_OK);
    unsigned ops0 =
        fake_store.appends + fake_store.syncs + fake_store.erases + fake_store.set_asides;
    if (cut_at != UINT64_MAX) {
        fake_store_crash_after_ops(cut_at);
        fake_store.crash_tear = tear;
    }
    workload();
    return fake_store.appends + fake_store.syncs + fake_store.erases + fake_store.set_asides - ops0;
}

static void test_ledger_power_cut_at_every_storage_operation(void **state)
{
    (void)state;
    const char *env = getenv("CB_LEDGER_POWERCUT_ROUNDS");
    s_run.rounds = env && atoi(env) > 0 && atoi(env) <= 9 ? (unsigned)atoi(env) : 3;
    unsigned ops = run_workload(UINT64_MAX, 0);
    assert_true(s_run.compactions > 0); /* the workload does compact */
    static const uint32_t tears[] = {0, 1, 5, 11, 40, 100000};
    unsigned tried = 0;
    for (unsigned k = 0; k <= ops; k++) {
        for (unsigned ti = 0; ti < sizeof tears / sizeof tears[0]; ti++) {
            for (int keep = 0; keep < 2; keep++) {
                run_workload(k, tears[ti]);
                fake_store_crash(keep ? FAKE_STORE_KEEP_ALL : 0);
                memset(&s_out, 0, sizeof s_out);
                assert_int_equal(start(), CB_OK);
                check_after_cut(k, tears[ti], keep);
                tried++;
            }
        }
    }
    printf("power cut: %u rounds, %u storage operations, %u cut points tried\n", s_run.rounds, ops,
           tried);
}

/* ---- one flipped byte costs one record ---- */

#define REC_MAX 32
static struct {
    unsigned n;
    uint8_t type[REC_MAX];
    uint32_t off[REC_MAX], len[REC_MAX], crc[REC_MAX];
} s_recs;

static void recs_visit(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)ctx;
    if (s_recs.n < REC_MAX) {
        s_recs.type[s_recs.n] = type;
        s_recs.off[s_recs.n] = off;
        s_recs.len[s_recs.n] = (uint32_t)len + 10; /* framing: sync, type, len, crc */
        s_recs.crc[s_recs.n] = cb_crc32(0, p, len);
    }
    s_recs.n++;
}

static void test_ledger_every_byte_flipped_costs_at_most_its_record(void **state)
{
    (void)state;
    uint32_t seq[6], acked;
    for (unsigned i = 1; i <= 4; i++)
        assert_true(store(i, i == 1 ? CB_LEDGER_FLAG_V3_SEEN : 0, &seq[i]));
    assert_int_equal(cb_ledger_ack(seq[2], &acked), CB_OK);
    const uint8_t *k;
    size_t klen;
    uint8_t key[CB_DEVKEY_LEN];
    assert_int_equal(cb_ledger_device_key(&k, &klen), CB_OK);
    memcpy(key, k, sizeof key);
    assert_true(store(5, 0, &seq[5])); /* a last record after the key */
    static uint8_t image[4096], damaged[4096];
    uint32_t len = fake_store_len(CB_SLOT_JOURNAL_A);
    assert_true(len > 0 && len <= sizeof image && fake_store_len(CB_SLOT_JOURNAL_B) == 0);
    memcpy(image, fake_store_data(CB_SLOT_JOURNAL_A), len);
    memset(&s_recs, 0, sizeof s_recs);
    assert_int_equal(cb_journal_replay(recs_visit, NULL), CB_OK);
    const unsigned nrec = s_recs.n; /* EVENT 1, FLAGS, EVENT 2..4, ACK, KEY, EVENT 5 */
    assert_int_equal(nrec, 8);
    uint8_t want_type[REC_MAX];
    uint32_t want_off[REC_MAX], want_len[REC_MAX], want_crc[REC_MAX];
    memcpy(want_type, s_recs.type, sizeof want_type);
    memcpy(want_off, s_recs.off, sizeof want_off);
    memcpy(want_len, s_recs.len, sizeof want_len);
    memcpy(want_crc, s_recs.crc, sizeof want_crc);
    unsigned tried = 0;
    for (int board = 0; board < 2; board++) {
        for (uint32_t at = 0; at < len; at++) {
            for (unsigned m = 0; m < 2; m++) {
                memcpy(damaged, image, len);
                damaged[at] ^= m ? 0xFF : 0x04;
                fake_port_reset();
                fake_store_reset();
                fake_store.set_aside_unsupported = board;
                fake_store_load(CB_SLOT_JOURNAL_A, damaged, len);
                assert_int_equal(start(), CB_OK);
                tried++;
                /* the damaged record, if the byte is in one */
                int hit = -1;
                for (unsigned r = 0; r < nrec; r++)
                    if (at >= want_off[r] && at < want_off[r] + want_len[r])
                        hit = (int)r;
                memset(&s_recs, 0, sizeof s_recs);
                assert_int_equal(cb_journal_replay(recs_visit, NULL), CB_OK);
                unsigned got = 0;
                for (unsigned r = 0; r < nrec; r++) {
                    if ((int)r == hit)
                        continue;
                    if (got >= s_recs.n || s_recs.type[got] != want_type[r] ||
                        s_recs.crc[got] != want_crc[r])
                        fail_msg("byte %u ^%02x (board %d): record %u (type %u) lost", at,
                                 m ? 0xFF : 0x04, board, r, want_type[r]);
                    got++;
                }
                if (got != s_recs.n)
                    fail_msg("byte %u: %u records replayed, %u wanted", at, s_recs.n, got);
                /* the ledger agrees: messages, flags, the device key */
                bool ack_lost = hit >= 0 && want_type[hit] == CB_REC_ACK;
                for (unsigned e = 1; e <= 5; e++) {
                    unsigned rec = e == 1 ? 0u : e == 5 ? 7u : e; /* its record's index */
                    bool lost = hit >= 0 && (unsigned)hit == rec;
                    bool want = !lost && (e != 2 || ack_lost);
                    if (cb_inbox_is_unacked(seq[e]) != want)
                        fail_msg("byte %u: event %u %s", at, e, want ? "lost" : "shown again");
                }
                bool flags_lost = hit >= 0 && want_type[hit] == CB_REC_FLAGS;
                assert_int_equal(cb_ledger_flags(), flags_lost ? 0 : CB_LEDGER_FLAG_V3_SEEN);
                if (!(hit >= 0 && want_type[hit] == CB_REC_KEY)) {
                    assert_int_equal(cb_ledger_device_key(&k, &klen), CB_OK);
                    assert_memory_equal(k, key, sizeof key);
                }
                /* nothing readable erased: kept aside (host) or untouched (board),
                 * unless the byte was in the last record (a torn tail) */
                if (hit == (int)nrec - 1)
                    continue;
                uint32_t alen;
                const uint8_t *kept = board ? fake_store_data(CB_SLOT_JOURNAL_A)
                                            : fake_store_aside(CB_SLOT_JOURNAL_A, &alen);
                if (board)
                    alen = fake_store_len(CB_SLOT_JOURNAL_A);
                if (alen != len || memcmp(kept, damaged, len) != 0)
                    fail_msg("byte %u (board %d): the damaged journal was not kept", at, board);
                if (board) { /* and a board keeps it untouched at the next start too */
                    assert_int_equal(start(), CB_OK);
                    if (fake_store_len(CB_SLOT_JOURNAL_A) != len ||
                        memcmp(fake_store_data(CB_SLOT_JOURNAL_A), damaged, len) != 0)
                        fail_msg("byte %u: the damaged slot was erased at the second start", at);
                }
                const char *why = NULL;
                assert_false(cb_ledger_healthy(&why));
                assert_non_null(strstr(why, "damaged"));
                assert_true(cb_metrics.journal_slots_set_aside == 1);
            }
        }
    }
    printf("flipped bytes: %u journals of %u bytes opened\n", tried, (unsigned)len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ledger_commit_reports_each_ticket_in_order_after_one_flush,
                               setup),
        cmocka_unit_test_setup(test_ledger_duplicate_of_a_durable_event_is_answered_at_once, setup),
        cmocka_unit_test_setup(test_ledger_failed_flush_fails_every_ticket_and_forgets_their_keys,
                               setup),
        cmocka_unit_test_setup(
            test_ledger_ack_flush_failure_in_the_same_turn_cannot_drop_the_held_event, setup),
        cmocka_unit_test_setup(test_ledger_device_key_flush_failure_cannot_drop_the_held_event,
                               setup),
        cmocka_unit_test_setup(
            test_ledger_turn_is_written_with_one_write_and_one_flush_at_the_commit, setup),
        cmocka_unit_test_setup(test_ledger_failed_turn_write_fails_every_ticket, setup),
        cmocka_unit_test_setup(test_ledger_restart_replays_unacked_duplicates_and_sequence, setup),
        cmocka_unit_test_setup(
            test_ledger_dupkey_secret_comes_from_the_device_key_and_survives_restart, setup),
        cmocka_unit_test_setup(test_ledger_dupkey_secret_needs_a_durable_device_key, setup),
        cmocka_unit_test_setup(test_ledger_unavailable_when_the_journal_cannot_open, setup),
        cmocka_unit_test_setup(test_ledger_flags_are_durable_with_their_event, setup),
        cmocka_unit_test_setup(test_ledger_flags_survive_compaction, setup),
        cmocka_unit_test_setup(
            test_ledger_flags_of_a_failed_or_torn_commit_come_only_with_the_event, setup),
        cmocka_unit_test_setup(test_ledger_power_cut_at_every_storage_operation, setup),
        cmocka_unit_test_setup(test_ledger_every_byte_flipped_costs_at_most_its_record, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
