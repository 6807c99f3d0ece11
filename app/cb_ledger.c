/* cb_ledger.c - accepted events from request to durable to signalled
 * (SPEC 5): duplicate check, journal append, group commit (one flush per
 * loop turn, then responses released and messages signalled), replay at
 * start, acknowledgements, compaction, and what the display shows. */
#include "cb_err.h"
#include "cb_crypto.h"
#include "cb_inbox.h"
#include "cb_journal.h"
#include "cb_port.h"
#include "cb_record.h"
#include "cb_server_int.h"
#include "cb_signal.h"

#include <string.h>

#define DEVICE_KEY_LEN 32
/* How often a journal that would not open is tried again. */
#define REOPEN_MS 5000u

/* One request of this loop turn waiting for the commit. */
typedef struct {
    int conn;
    uint32_t gen;
    uint32_t seq;
    uint8_t key[CB_DUPKEY_LEN];
    bool is_new; /* new event (its record is in the arena); else a duplicate of one */
    size_t rec_off, rec_len;
} pending_t;

static struct {
    uint32_t next_seq;
    uint32_t flags;         /* durable device flags */
    uint32_t flags_pending; /* flags journaled this turn, durable at the commit */
    bool journal_ok;        /* the journal opened */
    bool degraded;          /* the last storage operation failed */
    const char *reason;
    uint8_t device_key[DEVICE_KEY_LEN];
    bool have_key;
    pending_t pending[CB_CFG_MAX_CONN];
    size_t npending, nnew;
    uint8_t arena[CB_CFG_COMMIT_ARENA];
    size_t arena_len;
    uint8_t rec[CB_CFG_RECORD_MAX]; /* scratch for one record (replay, compaction) */
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

/* ---- replay ---- */

static void replay_visit(uint8_t type, const uint8_t *payload, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    (void)ctx;
    cb_record_event_t r;
    switch (type) {
    case CB_REC_EVENT:
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
        break;
    case CB_REC_ACK:
        if (len == 4)
            cb_inbox_ack(cb_record_get_u32(payload));
        break;
    case CB_REC_SEEN:
        if (len == 4 + CB_DUPKEY_LEN) {
            uint32_t seq = cb_record_get_u32(payload);
            cb_inbox_remember(payload + 4, seq, true);
            if (seq >= s_ledger.next_seq)
                s_ledger.next_seq = seq + 1;
        }
        break;
    case CB_REC_FLAGS:
        if (len == 4)
            s_ledger.flags |= cb_record_get_u32(payload);
        break;
    case CB_REC_STATE:
        if (len == 4 && cb_record_get_u32(payload) > s_ledger.next_seq)
            s_ledger.next_seq = cb_record_get_u32(payload);
        break;
    case CB_REC_KEY:
        if (len == DEVICE_KEY_LEN) {
            memcpy(s_ledger.device_key, payload, DEVICE_KEY_LEN);
            s_ledger.have_key = true;
        }
        break;
    default:
        break; /* a newer firmware's record: ignored */
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

static cb_signal_msg_t msg_of(const cb_inbox_msg_t *m)
{
    return (cb_signal_msg_t){m->seq, cb_span_str(m->sender), cb_span_str(m->job_id),
                             cb_span_str(m->client_id), cb_span_str(m->text)};
}

static void show_oldest(void)
{
    uint32_t seq;
    if (!cb_inbox_unacked_at(0, &seq)) {
        cb_signal_show(NULL, 0, cb_port_now_ms());
        return;
    }
    if (cb_inbox_missing_any() && s_ledger.journal_ok)
        cb_journal_replay(cache_visit, NULL);
    const cb_inbox_msg_t *m = cb_inbox_cached(seq);
    if (!m) {
        cb_port_log(CB_LOG_ERROR, "ledger: message %u not found in the journal", (unsigned)seq);
        return;
    }
    cb_signal_msg_t sm = msg_of(m);
    cb_signal_show(&sm, cb_inbox_unacked(), cb_port_now_ms());
}

/* Opens the journal and shows what it holds: restore lines for every
 * unacknowledged message, the oldest on the display, one reminder. */
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
    unsigned n = cb_inbox_unacked();
    for (size_t i = 0; i < n; i++) {
        uint32_t seq;
        cb_inbox_unacked_at(i, &seq);
        cb_signal_restore(seq);
    }
    show_oldest();
    if (n) {
        cb_port_log(CB_LOG_INFO, "ledger: %u unacknowledged message(s) restored", n);
        cb_signal_remind(cb_port_now_ms());
    }
    return CB_OK;
}

int cb_ledger_start(void)
{
    memset(&s_ledger, 0, sizeof s_ledger);
    s_ledger.next_seq = 1;
    cb_inbox_init();
    return open_journal();
}

void cb_ledger_poll(void)
{
    /* Nothing was accepted while the journal was closed (every webhook got
     * 503), so opening it later replays into an empty inbox. */
    if (!s_ledger.journal_ok && cb_port_now_ms() - s_ledger.last_open_ms >= REOPEN_MS &&
        open_journal() == CB_OK)
        cb_port_log(CB_LOG_INFO, "journal: opened after an earlier failure");
}

bool cb_ledger_healthy(const char **reason)
{
    if (reason)
        *reason = s_ledger.reason;
    return s_ledger.journal_ok && !s_ledger.degraded;
}

uint32_t cb_ledger_journal_bytes(void)
{
    return s_ledger.journal_ok ? cb_journal_size() : 0;
}

/* ---- compaction ---- */

static void compact_add(uint8_t type, const void *p, size_t len)
{
    if (s_ledger.compact_err == CB_OK)
        s_ledger.compact_err = cb_journal_compact_add(type, p, len);
}

/* Copies every still-unacknowledged event record into the new journal. */
static void compact_visit(uint8_t type, const uint8_t *payload, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    (void)ctx;
    if (type != CB_REC_EVENT || len < 4)
        return;
    if (cb_inbox_is_unacked(cb_record_get_u32(payload)))
        compact_add(CB_REC_EVENT, payload, len);
}

/* Rewrites the journal with only what is live: the sequence counter, the
 * device key, the remembered duplicate keys, the unacknowledged events. */
static int compact(void)
{
    uint8_t buf[4 + CB_DUPKEY_LEN];
    int rc = cb_journal_compact_begin();
    if (rc != CB_OK)
        return rc;
    s_ledger.compact_err = CB_OK;
    cb_record_put_u32(buf, s_ledger.next_seq);
    compact_add(CB_REC_STATE, buf, 4);
    if (s_ledger.flags) {
        cb_record_put_u32(buf, s_ledger.flags);
        compact_add(CB_REC_FLAGS, buf, 4);
    }
    if (s_ledger.have_key)
        compact_add(CB_REC_KEY, s_ledger.device_key, DEVICE_KEY_LEN);
    uint32_t seq;
    int r;
    for (size_t pos = 0; (r = cb_inbox_remembered(pos, buf + 4, &seq)) >= 0; pos++) {
        if (r == 0)
            continue;
        cb_record_put_u32(buf, seq);
        compact_add(CB_REC_SEEN, buf, sizeof buf);
    }
    if (s_ledger.compact_err == CB_OK)
        rc = cb_journal_replay(compact_visit, NULL);
    if (rc == CB_OK)
        rc = s_ledger.compact_err;
    if (rc == CB_OK)
        rc = cb_journal_compact_commit();
    cb_zeroize(buf, sizeof buf);
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
    const cb_settings_t *s = cb_server_settings();
    uint32_t size = s_ledger.journal_ok ? cb_journal_size() : 0;
    if (s_ledger.npending == 0 && size > s->journal_budget && size / 2 > s_ledger.live_bytes)
        compact();
}

/* ---- accepting ---- */

/* Appends a record, compacting once to make room when storage is full. */
static int append(uint8_t type, const void *p, size_t len)
{
    int rc = cb_journal_append(type, p, len);
    if (rc == CB_ERR_NOSPC && s_ledger.npending == 0 && compact() == CB_OK)
        rc = cb_journal_append(type, p, len);
    return rc;
}

uint32_t cb_ledger_flags(void)
{
    return s_ledger.flags;
}

cb_accept_t cb_ledger_accept(int conn_id, uint32_t gen, const cb_event_t *ev,
                             const uint8_t key[CB_DUPKEY_LEN], uint32_t set_flags, uint32_t *seq)
{
    cb_record_event_t r;
    memcpy(r.key, key, CB_DUPKEY_LEN);
    cb_seen_t seen = cb_inbox_seen(r.key, seq);
    if (seen == CB_SEEN_DURABLE)
        return CB_ACCEPT_DUPLICATE;
    if (!s_ledger.journal_ok)
        return CB_ACCEPT_UNAVAILABLE;
    if (s_ledger.npending == CB_CFG_MAX_CONN)
        cb_ledger_commit(); /* cannot happen with one request per connection; safe anyway */

    pending_t *p = &s_ledger.pending[s_ledger.npending];
    if (seen == CB_SEEN_PENDING) { /* same event twice in one turn: answer after the commit */
        *p = (pending_t){.conn = conn_id, .gen = gen, .seq = *seq, .is_new = false};
        memcpy(p->key, r.key, CB_DUPKEY_LEN);
        s_ledger.npending++;
        return CB_ACCEPT_HELD;
    }
    if (cb_inbox_unacked() + s_ledger.nnew >= CB_CFG_UNACKED_MAX) {
        cb_port_log(CB_LOG_WARN, "ledger: %u messages unacknowledged; refusing new ones",
                    cb_inbox_unacked());
        return CB_ACCEPT_UNAVAILABLE;
    }
    r.seq = s_ledger.next_seq;
    r.ev = *ev;
    int len = cb_record_event_encode(&r, s_ledger.rec, sizeof s_ledger.rec);
    if (len < 0)
        return CB_ACCEPT_UNAVAILABLE;
    if ((size_t)len > sizeof s_ledger.arena - s_ledger.arena_len) {
        cb_ledger_commit(); /* the arena is full: commit what we have first */
        p = &s_ledger.pending[s_ledger.npending];
    }
    int rc = append(CB_REC_EVENT, s_ledger.rec, (size_t)len);
    uint32_t new_flags = set_flags & ~(s_ledger.flags | s_ledger.flags_pending);
    if (rc == CB_OK && new_flags) { /* the same flush makes both durable */
        uint8_t f[4];
        cb_record_put_u32(f, s_ledger.flags | s_ledger.flags_pending | new_flags);
        if (cb_journal_append(CB_REC_FLAGS, f, 4) == CB_OK)
            s_ledger.flags_pending |= new_flags;
    }
    if (rc != CB_OK) {
        storage_failed("journal append", rc);
        return CB_ACCEPT_UNAVAILABLE;
    }
    /* Sequence numbers are never reused, even when the commit later fails:
     * a torn record could still carry this one. */
    s_ledger.next_seq++;
    memcpy(s_ledger.arena + s_ledger.arena_len, s_ledger.rec, (size_t)len);
    *p = (pending_t){.conn = conn_id,
                     .gen = gen,
                     .seq = r.seq,
                     .is_new = true,
                     .rec_off = s_ledger.arena_len,
                     .rec_len = (size_t)len};
    memcpy(p->key, r.key, CB_DUPKEY_LEN);
    s_ledger.arena_len += (size_t)len;
    s_ledger.npending++;
    s_ledger.nnew++;
    cb_inbox_remember(r.key, r.seq, false);
    *seq = r.seq;
    return CB_ACCEPT_HELD;
}

bool cb_ledger_pending(void)
{
    return s_ledger.npending > 0;
}

static void release(const pending_t *p, bool ok)
{
    cb_conn_t *c = cb_server_conn_get(p->conn, p->gen);
    if (!c)
        return; /* the client went away; the event is stored all the same */
    c->held = false;
    if (!ok) {
        cb_metrics.events[CB_RES_STORAGE_UNAVAILABLE]++;
        cb_reply_error(c, 503, "storage_unavailable", "The event could not be stored; retry later.",
                       NULL, "Retry-After: 5\r\n", false);
        return;
    }
    cb_metrics.events[p->is_new ? CB_RES_ACCEPTED : CB_RES_DUPLICATE]++;
    cb_reply_seq(c, p->is_new ? "accepted" : "duplicate", p->seq);
}

void cb_ledger_commit(void)
{
    if (s_ledger.npending == 0)
        return;
    int rc = CB_OK;
    if (s_ledger.nnew) {
        rc = cb_journal_sync();
        cb_metrics.journal_syncs++;
        if (rc == CB_OK)
            storage_recovered();
        else
            storage_failed("journal sync", rc);
    }
    bool shown_changed = false;
    for (size_t i = 0; i < s_ledger.npending; i++) {
        pending_t *p = &s_ledger.pending[i];
        if (rc != CB_OK) {
            if (p->is_new)
                cb_inbox_forget(p->key);
            release(p, false);
            continue;
        }
        if (p->is_new) {
            cb_record_event_t r;
            cb_inbox_mark_durable(p->key);
            if (cb_record_event_decode(s_ledger.arena + p->rec_off, p->rec_len, &r) == CB_OK) {
                cb_inbox_add(&r);
                cb_signal_msg_t m = {r.seq, r.ev.sender, r.ev.job_id, r.ev.client_id, r.ev.text};
                cb_signal_message(&m, cb_inbox_unacked(), cb_port_now_ms());
                shown_changed = true;
            }
        }
        release(p, true);
    }
    if (rc == CB_OK)
        s_ledger.flags |= s_ledger.flags_pending;
    s_ledger.flags_pending = 0;
    s_ledger.npending = s_ledger.nnew = s_ledger.arena_len = 0;
    if (shown_changed)
        show_oldest();
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
    uint8_t buf[4];
    cb_record_put_u32(buf, seq);
    int rc = s_ledger.journal_ok ? append(CB_REC_ACK, buf, 4) : CB_ERR_STORAGE;
    if (rc == CB_OK)
        rc = cb_journal_sync();
    if (rc != CB_OK)
        storage_failed("journal ack", rc);
    if (acked)
        *acked = seq;
    cb_signal_ack(seq);
    show_oldest();
    maybe_compact();
    return CB_OK;
}

/* ---- device key ---- */

int cb_ledger_device_key(const uint8_t **key, size_t *len)
{
    if (!s_ledger.have_key) {
        if (!s_ledger.journal_ok)
            return CB_ERR_STORAGE;
        uint8_t k[DEVICE_KEY_LEN];
        int rc = cb_port_random(k, sizeof k);
        if (rc == CB_OK)
            rc = cb_journal_append(CB_REC_KEY, k, sizeof k);
        if (rc == CB_OK)
            rc = cb_journal_sync();
        if (rc != CB_OK) {
            cb_zeroize(k, sizeof k);
            storage_failed("device key", rc);
            return rc;
        }
        memcpy(s_ledger.device_key, k, sizeof k);
        cb_zeroize(k, sizeof k);
        s_ledger.have_key = true;
        cb_port_log(CB_LOG_INFO, "tokens: new device key created");
    }
    *key = s_ledger.device_key;
    *len = DEVICE_KEY_LEN;
    return CB_OK;
}
