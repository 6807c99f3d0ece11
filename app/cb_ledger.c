/* cb_ledger.c - what the device keeps durably (SPEC 5), over the journal:
 * duplicate check, group commit with an outcome per ticket, replay at start,
 * acknowledgements, flags, the device key, compaction. cb_server hands in
 * events and turns outcomes into replies and signals.
 *
 * THE PROMISE. The records of a loop turn (events, and the flags set with
 * them) are kept framed in the arena and written at the commit with one
 * storage write, then one flush; a ticket is durable exactly when that write
 * and that flush succeeded. Nothing of a turn is in the journal before its
 * commit, so no other flush (an acknowledgement's, the device key's) can
 * drop it or cover it by accident, and a compaction never sees half a turn.
 * (SPEC 5: "a 2xx is released only for a record that a successful flush
 * covered, whatever else flushed or failed in between".) */
#include "cb_ledger.h"
#include "cb_config.h"
#include "cb_crypto.h"
#include "cb_err.h"
#include "cb_journal.h"
#include "cb_metrics.h"
#include "cb_port.h"

#include <string.h>

/* How often a journal that would not open is tried again. */
#define REOPEN_MS 5000u

/* One ticket of this loop turn waiting for the commit. */
typedef struct {
    uint32_t ticket;
    uint32_t seq;
    uint8_t key[CB_DUPKEY_LEN];
    bool is_new;             /* new event (its record is in the arena); else a repeat of one */
    size_t rec_off, rec_len; /* its framed record in the arena */
} pending_t;

/* An empty arena takes the largest event with a FLAGS record after it. */
_Static_assert(CB_CFG_COMMIT_ARENA >=
                   CB_CFG_RECORD_MAX + 2 * CB_JOURNAL_OVERHEAD + CB_RECORD_SMALL_MAX,
               "CB_CFG_COMMIT_ARENA below one record");

static struct {
    cb_ledger_config_t cfg;
    uint32_t next_seq;
    uint32_t next_ticket;
    uint32_t flags;      /* durable */
    uint32_t turn_flags; /* framed in the arena, written at the commit */
    bool journal_ok;     /* the journal opened */
    bool degraded;       /* the last storage operation failed */
    bool damaged;        /* the journal was found damaged at start */
    const char *reason;
    uint8_t device_key[CB_DEVKEY_LEN];
    bool have_key;
    uint8_t dup_secret[CB_SIPHASH_KEY_LEN]; /* derived from device_key */
    bool have_dup_secret;
    pending_t pending[CB_CFG_MAX_CONN];
    size_t npending, nnew;
    uint8_t arena[CB_CFG_COMMIT_ARENA]; /* the turn's records, framed */
    size_t arena_len;
    int compact_err;
    uint32_t live_bytes; /* journal size right after the last compaction */
    uint64_t last_open_ms;
} s_ledger;

static void storage_failed(const char *what, int err)
{
    cb_metrics.storage_errors++;
    s_ledger.degraded = true;
    s_ledger.reason = what;
    cb_port_log(CB_LOG_ERROR, "storage: %s failed (%s)", what, cb_err_str(err));
}

static void storage_recovered(void)
{
    if (s_ledger.degraded)
        cb_port_log(CB_LOG_INFO, "storage: working again");
    s_ledger.degraded = false;
    s_ledger.reason = NULL;
}

static int flush(const char *what)
{
    int rc = cb_journal_sync();
    if (rc == CB_OK)
        storage_recovered();
    else
        storage_failed(what, rc);
    return rc;
}

/* ---- replay ---- */

static void replay_visit(uint8_t type, const uint8_t *payload, size_t len, uint32_t off, void *ctx)
{
    (void)ctx;
    cb_record_event_t r;
    cb_record_small_t sm;
    if (type == CB_REC_EVENT) {
        if (cb_record_event_decode(payload, len, &r) != CB_OK) {
            cb_port_log(CB_LOG_WARN, "journal: undecodable event record at %u skipped",
                        (unsigned)off);
            return;
        }
        cb_inbox_remember_replayed(r.key, r.seq);
        if (cb_inbox_add(&r) != CB_OK)
            cb_port_log(CB_LOG_ERROR, "journal: event %u not tracked: unacked list full",
                        (unsigned)r.seq);
        if (r.seq >= s_ledger.next_seq)
            s_ledger.next_seq = r.seq + 1;
        return;
    }
    if (type == CB_REC_KEY) {
        if (len == CB_DEVKEY_LEN) {
            memcpy(s_ledger.device_key, payload, CB_DEVKEY_LEN);
            s_ledger.have_key = true;
        }
        return;
    }
    if (cb_record_small_decode(type, payload, len, &sm) != CB_OK)
        return; /* a newer firmware's record, or a damaged one: ignored */
    switch (type) {
    case CB_REC_ACK:
        cb_inbox_ack(sm.value);
        break;
    case CB_REC_SEEN:
        cb_inbox_remember(sm.key, sm.value, true);
        if (sm.value >= s_ledger.next_seq)
            s_ledger.next_seq = sm.value + 1;
        break;
    case CB_REC_STATE:
        if (sm.value > s_ledger.next_seq)
            s_ledger.next_seq = sm.value;
        break;
    case CB_REC_FLAGS:
        s_ledger.flags |= sm.value;
        break;
    default:
        break;
    }
}

/* Fills the shown-message cache from the journal for unacked messages that
 * moved into the window (after acks, or after a replay). */
static void cache_visit(uint8_t type, const uint8_t *payload, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    (void)ctx;
    cb_record_event_t r;
    if (type == CB_REC_EVENT && cb_record_event_decode(payload, len, &r) == CB_OK &&
        cb_inbox_wants(r.seq))
        cb_inbox_cache_put(&r);
}

const cb_inbox_msg_t *cb_ledger_oldest(void)
{
    uint32_t seq;
    if (!cb_inbox_unacked_at(0, &seq))
        return NULL;
    if (cb_inbox_missing_any() && s_ledger.journal_ok)
        cb_journal_replay(cache_visit, NULL);
    const cb_inbox_msg_t *m = cb_inbox_cached(seq);
    if (!m)
        cb_port_log(CB_LOG_ERROR, "ledger: message %u not found in the journal", (unsigned)seq);
    return m;
}

static int open_journal(void)
{
    s_ledger.last_open_ms = cb_port_now_ms();
    int rc = cb_journal_open(replay_visit, NULL);
    if (rc != CB_OK) {
        storage_failed("journal open", rc);
        return rc;
    }
    s_ledger.journal_ok = true;
    storage_recovered();
    cb_journal_damage_t d;
    cb_journal_damage(&d);
    cb_metrics.journal_skipped_bytes = d.skipped_bytes;
    cb_metrics.journal_slots_set_aside = d.set_aside;
    if (d.skipped_bytes || d.set_aside) {
        s_ledger.damaged = true;
        cb_port_log(CB_LOG_WARN,
                    "journal: damage found at start: %u bytes in %u range(s) skipped, "
                    "%u slot(s) set aside; every good record restored",
                    (unsigned)d.skipped_bytes, (unsigned)d.skipped_ranges, (unsigned)d.set_aside);
    }
    unsigned n = cb_inbox_unacked();
    if (n)
        cb_port_log(CB_LOG_INFO, "ledger: %u unacknowledged message(s) restored", n);
    return CB_OK;
}

int cb_ledger_start(const cb_ledger_config_t *cfg)
{
    /* tickets stay unique across starts: one from before never matches */
    uint32_t ticket = s_ledger.next_ticket;
    memset(&s_ledger, 0, sizeof s_ledger);
    s_ledger.next_ticket = ticket;
    s_ledger.cfg = *cfg;
    s_ledger.next_seq = 1;
    cb_inbox_init();
    return open_journal();
}

bool cb_ledger_poll(void)
{
    /* Nothing was accepted while the journal was closed (every webhook got
     * 503), so opening it later replays into an empty inbox. */
    if (s_ledger.journal_ok || cb_port_now_ms() - s_ledger.last_open_ms < REOPEN_MS ||
        open_journal() != CB_OK)
        return false;
    cb_port_log(CB_LOG_INFO, "journal: opened after an earlier failure");
    return true;
}

bool cb_ledger_healthy(const char **reason)
{
    const char *why = s_ledger.reason;
    if (!why && s_ledger.damaged)
        why = "journal damaged: records skipped or storage set aside at start (see the log)";
    if (reason)
        *reason = why;
    return s_ledger.journal_ok && !s_ledger.degraded && !s_ledger.damaged;
}

uint32_t cb_ledger_journal_bytes(void)
{
    return s_ledger.journal_ok ? cb_journal_size() : 0;
}

uint32_t cb_ledger_flags(void)
{
    return s_ledger.flags;
}

/* ---- compaction ---- */

static void compact_add(uint8_t type, const void *p, size_t len)
{
    if (s_ledger.compact_err == CB_OK)
        s_ledger.compact_err = cb_journal_compact_add(type, p, len);
}

static void compact_small(uint8_t type, const cb_record_small_t *r)
{
    uint8_t buf[CB_RECORD_SMALL_MAX];
    compact_add(type, buf, cb_record_small_encode(type, r, buf));
}

/* Copies every still-unacknowledged event record into the new journal. */
static void compact_visit(uint8_t type, const uint8_t *payload, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    (void)ctx;
    cb_record_event_t r;
    if (type == CB_REC_EVENT && cb_record_event_decode(payload, len, &r) == CB_OK &&
        cb_inbox_is_unacked(r.seq))
        compact_add(CB_REC_EVENT, payload, len);
}

/* Rewrites the journal with only what is live: the sequence counter, the
 * flags, the device key, the remembered duplicate keys, the unacknowledged
 * events. */
static int compact(void)
{
    int rc = cb_journal_compact_begin();
    if (rc != CB_OK)
        return rc;
    s_ledger.compact_err = CB_OK;
    cb_record_small_t sm = {.value = s_ledger.next_seq};
    compact_small(CB_REC_STATE, &sm);
    if (s_ledger.flags) {
        sm.value = s_ledger.flags;
        compact_small(CB_REC_FLAGS, &sm);
    }
    if (s_ledger.have_key)
        compact_add(CB_REC_KEY, s_ledger.device_key, CB_DEVKEY_LEN);
    int r;
    for (size_t pos = 0; (r = cb_inbox_remembered(pos, sm.key, &sm.value)) >= 0; pos++)
        if (r == 1)
            compact_small(CB_REC_SEEN, &sm);
    if (s_ledger.compact_err == CB_OK)
        rc = cb_journal_replay(compact_visit, NULL);
    if (rc == CB_OK)
        rc = s_ledger.compact_err;
    if (rc == CB_OK)
        rc = cb_journal_compact_commit();
    if (rc == CB_OK) {
        s_ledger.live_bytes = cb_journal_size();
        cb_metrics.journal_compactions++;
        cb_port_log(CB_LOG_INFO, "journal: compacted to %u bytes", (unsigned)cb_journal_size());
    } else {
        cb_port_log(CB_LOG_WARN, "journal: compaction failed (%s); old journal kept",
                    cb_err_str(rc));
    }
    return rc;
}

static void maybe_compact(void)
{
    /* Over budget, and at least half of it dead since the last compaction:
     * when nearly everything is live (many unacknowledged messages),
     * compacting again would only copy it. */
    uint32_t size = s_ledger.journal_ok ? cb_journal_size() : 0;
    if (s_ledger.npending == 0 && size > s_ledger.cfg.journal_budget &&
        size / 2 > s_ledger.live_bytes)
        compact();
}

/* ---- accepting ---- */

/* Appends a record, compacting once to make room when storage is full (safe
 * under tickets: their records are not in the journal before the commit). */
static int append(uint8_t type, const void *p, size_t len)
{
    int rc = cb_journal_append(type, p, len);
    if (rc == CB_ERR_NOSPC && compact() == CB_OK)
        rc = cb_journal_append(type, p, len);
    return rc;
}

static pending_t *new_ticket(uint32_t seq, const uint8_t key[CB_DUPKEY_LEN], bool is_new)
{
    pending_t *p = &s_ledger.pending[s_ledger.npending++];
    if (++s_ledger.next_ticket == 0) /* 0 is no ticket */
        s_ledger.next_ticket = 1;
    *p = (pending_t){.ticket = s_ledger.next_ticket, .seq = seq, .is_new = is_new};
    memcpy(p->key, key, CB_DUPKEY_LEN);
    return p;
}

/* Frames the event (and the flags not yet set) at the end of the arena.
 * Returns the event record's length, or CB_ERR_TOO_LARGE when it does not
 * fit after what the arena holds. */
static int frame_event(const cb_record_event_t *r, uint32_t flags)
{
    uint8_t *at = s_ledger.arena + s_ledger.arena_len;
    size_t room = sizeof s_ledger.arena - s_ledger.arena_len;
    uint32_t add = flags & ~s_ledger.flags & ~s_ledger.turn_flags;
    size_t tail = add ? CB_JOURNAL_OVERHEAD + CB_RECORD_SMALL_MAX : 0;
    if (room < CB_JOURNAL_OVERHEAD + tail)
        return CB_ERR_TOO_LARGE;
    int len = cb_record_event_encode(r, at + CB_JOURNAL_HDR_LEN, room - CB_JOURNAL_OVERHEAD - tail);
    if (len < 0)
        return len;
    int n = cb_journal_frame(CB_REC_EVENT, at + CB_JOURNAL_HDR_LEN, (size_t)len, at, room);
    if (n < 0)
        return n;
    s_ledger.arena_len += (size_t)n;
    if (add) { /* after the event: a torn tail that keeps the flags kept the event */
        cb_record_small_t sm = {.value = add};
        uint8_t buf[CB_RECORD_SMALL_MAX];
        size_t m = cb_record_small_encode(CB_REC_FLAGS, &sm, buf);
        int f = cb_journal_frame(CB_REC_FLAGS, buf, m, s_ledger.arena + s_ledger.arena_len,
                                 sizeof s_ledger.arena - s_ledger.arena_len);
        if (f > 0) {
            s_ledger.arena_len += (size_t)f;
            s_ledger.turn_flags |= add;
        }
    }
    return n;
}

cb_ledger_accept_t cb_ledger_accept(const cb_event_t *ev, const uint8_t key[CB_DUPKEY_LEN],
                                    uint32_t flags, uint32_t *ticket, uint32_t *seq)
{
    cb_seen_t seen = cb_inbox_seen(key, seq);
    if (seen == CB_SEEN_DURABLE)
        return CB_LEDGER_DUPLICATE;
    if (!s_ledger.journal_ok)
        return CB_LEDGER_UNAVAILABLE;
    if (s_ledger.npending == CB_CFG_MAX_CONN)
        cb_ledger_commit();        /* cannot happen with one request per connection; safe anyway */
    if (seen == CB_SEEN_PENDING) { /* same event twice in one turn: answer after the commit */
        *ticket = new_ticket(*seq, key, false)->ticket;
        return CB_LEDGER_HELD;
    }
    if (cb_inbox_unacked() + s_ledger.nnew >= CB_CFG_UNACKED_MAX) {
        cb_port_log(CB_LOG_WARN, "ledger: %u messages unacknowledged; refusing new ones",
                    cb_inbox_unacked());
        return CB_LEDGER_UNAVAILABLE;
    }
    cb_record_event_t r = {.seq = s_ledger.next_seq, .ev = *ev};
    memcpy(r.key, key, CB_DUPKEY_LEN);
    size_t off = s_ledger.arena_len;
    int n = frame_event(&r, flags);
    if (n == CB_ERR_TOO_LARGE && off > 0) {
        cb_ledger_commit(); /* the arena is full: commit what it holds first */
        off = s_ledger.arena_len;
        n = frame_event(&r, flags);
    }
    if (n < 0) {
        cb_port_log(CB_LOG_ERROR, "ledger: event record does not fit (%s)", cb_err_str(n));
        return CB_LEDGER_UNAVAILABLE;
    }
    /* Sequence numbers are never reused, even when the commit later fails:
     * a torn record could still carry this one. */
    s_ledger.next_seq++;
    pending_t *p = new_ticket(r.seq, key, true);
    p->rec_off = off;
    p->rec_len = (size_t)n;
    s_ledger.nnew++;
    cb_inbox_remember(key, r.seq, false);
    *ticket = p->ticket;
    *seq = r.seq;
    return CB_LEDGER_HELD;
}

bool cb_ledger_pending(void)
{
    return s_ledger.npending > 0;
}

/* Writes the turn's records with one write and flushes once: CB_OK when both
 * succeeded (every ticket of the turn durable). */
static int write_turn(void)
{
    if (s_ledger.arena_len == 0)
        return CB_OK;           /* only repeats of events answered already */
    cb_metrics.journal_syncs++; /* group commits, as /metrics says */
    int rc = cb_journal_append_framed(s_ledger.arena, s_ledger.arena_len);
    if (rc == CB_ERR_NOSPC && compact() == CB_OK)
        rc = cb_journal_append_framed(s_ledger.arena, s_ledger.arena_len);
    if (rc != CB_OK) {
        storage_failed("journal append", rc);
        return rc;
    }
    rc = flush("journal sync");
    if (rc == CB_OK)
        s_ledger.flags |= s_ledger.turn_flags;
    return rc;
}

void cb_ledger_commit(void)
{
    if (s_ledger.npending == 0)
        return;
    bool ok = write_turn() == CB_OK;
    s_ledger.turn_flags = 0;
    for (size_t i = 0; i < s_ledger.npending; i++) {
        const pending_t *p = &s_ledger.pending[i];
        /* a repeat's original is in the same turn (an earlier one made its
         * key durable or forgot it), so every ticket shares the outcome */
        cb_ledger_outcome_t out = {
            .ticket = p->ticket, .seq = p->seq, .durable = ok, .is_new = p->is_new};
        cb_record_event_t r;
        if (p->is_new && ok) {
            cb_inbox_mark_durable(p->key);
            if (cb_record_event_decode(s_ledger.arena + p->rec_off + CB_JOURNAL_HDR_LEN,
                                       p->rec_len - CB_JOURNAL_OVERHEAD, &r) == CB_OK) {
                cb_inbox_add(&r);
                out.ev = &r.ev;
            }
        } else if (p->is_new) {
            cb_inbox_forget(p->key);
        }
        if (s_ledger.cfg.outcome)
            s_ledger.cfg.outcome(&out, s_ledger.cfg.ctx);
    }
    s_ledger.npending = s_ledger.nnew = s_ledger.arena_len = 0;
    maybe_compact();
}

/* ---- acknowledgement ---- */

int cb_ledger_ack(uint32_t seq, uint32_t *acked)
{
    if (seq == 0 && !cb_inbox_unacked_at(0, &seq))
        return CB_ERR_NOT_FOUND;
    if (cb_inbox_ack(seq) != CB_OK)
        return CB_ERR_NOT_FOUND;
    /* Journaled and flushed at once: acks are rare (a person pressed a
     * button). If storage fails the ack still holds until a restart, when the
     * message is shown again: shown twice beats lost. */
    cb_record_small_t sm = {.value = seq};
    uint8_t buf[CB_RECORD_SMALL_MAX];
    int rc = s_ledger.journal_ok
                 ? append(CB_REC_ACK, buf, cb_record_small_encode(CB_REC_ACK, &sm, buf))
                 : CB_ERR_STORAGE;
    if (rc == CB_OK)
        flush("journal ack");
    else
        storage_failed("journal ack", rc);
    if (acked)
        *acked = seq;
    maybe_compact();
    return CB_OK;
}

/* ---- device key ---- */

int cb_ledger_device_key(const uint8_t **key, size_t *len)
{
    if (!s_ledger.have_key) {
        if (!s_ledger.journal_ok)
            return CB_ERR_STORAGE;
        uint8_t k[CB_DEVKEY_LEN];
        int rc = cb_port_random(k, sizeof k);
        if (rc == CB_OK)
            rc = cb_journal_append(CB_REC_KEY, k, sizeof k);
        if (rc == CB_OK)
            rc = flush("device key");
        else
            storage_failed("device key", rc);
        if (rc != CB_OK) {
            cb_zeroize(k, sizeof k);
            return rc;
        }
        memcpy(s_ledger.device_key, k, sizeof k);
        cb_zeroize(k, sizeof k);
        s_ledger.have_key = true;
        cb_port_log(CB_LOG_INFO, "tokens: new device key created");
    }
    *key = s_ledger.device_key;
    *len = CB_DEVKEY_LEN;
    return CB_OK;
}

int cb_ledger_dupkey_secret(const uint8_t **secret)
{
    if (!s_ledger.have_dup_secret) {
        const uint8_t *key;
        size_t len;
        int rc = cb_ledger_device_key(&key, &len);
        if (rc != CB_OK)
            return rc;
        static const char label[] = "chatbell dupkey v1";
        cb_span_t msg = cb_span(label, sizeof label - 1);
        uint8_t mac[CB_SHA256_LEN];
        cb_hmac_sha256(key, len, &msg, 1, mac);
        memcpy(s_ledger.dup_secret, mac, sizeof s_ledger.dup_secret);
        cb_zeroize(mac, sizeof mac);
        s_ledger.have_dup_secret = true;
    }
    *secret = s_ledger.dup_secret;
    return CB_OK;
}
