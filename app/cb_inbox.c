/* cb_inbox.c - duplicate set, unacknowledged list and shown-message cache;
 * see cb_inbox.h. All tables static, sized by cb_config.h. */
#include "cb_inbox.h"
#include "cb_crypto.h"
#include "cb_err.h"

#include <string.h>

/* Open-addressing index over the dedupe ring: at least twice the entries,
 * a power of 2. */
#define HASH_SIZE                                                                                  \
    (CB_CFG_DEDUPE_MAX <= 128    ? 256u                                                            \
     : CB_CFG_DEDUPE_MAX <= 256  ? 512u                                                            \
     : CB_CFG_DEDUPE_MAX <= 512  ? 1024u                                                           \
     : CB_CFG_DEDUPE_MAX <= 1024 ? 2048u                                                           \
                                 : 4096u)
_Static_assert(HASH_SIZE >= 2 * CB_CFG_DEDUPE_MAX && (HASH_SIZE & (HASH_SIZE - 1)) == 0,
               "dedupe hash must be a power of two, at least twice the ring");
_Static_assert(CB_CFG_DEDUPE_MAX < 65535, "hash slots hold ring index + 1 in 16 bits");
_Static_assert(CB_DUPKEY_LEN >= 8 && CB_DUPKEY_LEN <= CB_SHA256_LEN, "key: 8 to 32 bytes");

enum { ENT_FREE = 0, ENT_PENDING, ENT_DURABLE };

/* Bytes only, so an entry takes CB_DUPKEY_LEN + 5 bytes with no padding
 * (1,024 of them are most of a small part's inbox). */
typedef struct {
    uint8_t key[CB_DUPKEY_LEN];
    uint8_t seq[4]; /* a uint32_t's bytes: seq_of / set_seq */
    uint8_t state;
} dedupe_ent_t;

static uint32_t seq_of(const dedupe_ent_t *e)
{
    uint32_t v;
    memcpy(&v, e->seq, sizeof v);
    return v;
}

static void set_seq(dedupe_ent_t *e, uint32_t v)
{
    memcpy(e->seq, &v, sizeof v);
}

static struct {
    dedupe_ent_t ring[CB_CFG_DEDUPE_MAX];
    size_t head, count; /* ring: oldest at head, count slots used (holes included) */
    uint16_t hash[HASH_SIZE];
    uint32_t unacked[CB_CFG_UNACKED_MAX]; /* ascending */
    size_t nunacked, unacked_hwm;
    cb_inbox_msg_t cache[CB_CFG_INBOX_SHOWN];
    size_t ncached; /* cache entries in use: all within the shown window */
} s_inbox;

void cb_inbox_init(void)
{
    memset(&s_inbox, 0, sizeof s_inbox);
}

void cb_inbox_key(const uint8_t secret[CB_SIPHASH_KEY_LEN], uint8_t scheme, const cb_span_t *tuple,
                  size_t n, uint8_t key[CB_DUPKEY_LEN])
{
    _Static_assert(CB_DUPKEY_LEN == 8 || CB_DUPKEY_LEN == 16, "key: a SipHash, 8 or 16 bytes");
    enum { PRE = 5 };
    /* the scheme byte, then each field as a prefix and its bytes: 0 when
     * absent, else LEB128 of length + 1 (one byte for anything under 127
     * bytes), so no two different (scheme, tuple) pairs hash the same input */
    cb_siphash_t h;
    cb_siphash_init(&h, secret, CB_DUPKEY_LEN);
    cb_siphash_update(&h, &scheme, 1);
    if (n > CB_INBOX_KEY_FIELDS_MAX)
        n = CB_INBOX_KEY_FIELDS_MAX;
    for (size_t i = 0; i < n; i++) {
        uint8_t pre[PRE];
        size_t k = 0;
        if (tuple[i].p) {
            uint64_t v = (uint64_t)tuple[i].len + 1;
            do {
                pre[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
            } while (v && k < PRE);
        } else {
            pre[k++] = 0;
        }
        cb_siphash_update(&h, pre, k);
        if (tuple[i].p)
            cb_siphash_update(&h, tuple[i].p, tuple[i].len);
    }
    cb_siphash_final(&h, key);
}

static size_t home(const uint8_t *key)
{
    uint32_t h;
    memcpy(&h, key, 4); /* the key is a hash already */
    return h & (HASH_SIZE - 1);
}

/* Hash slot holding ring index of key, or HASH_SIZE if absent. */
static size_t find_slot(const uint8_t *key)
{
    for (size_t i = home(key), n = 0; n < HASH_SIZE; i = (i + 1) & (HASH_SIZE - 1), n++) {
        uint16_t v = s_inbox.hash[i];
        if (!v)
            return HASH_SIZE;
        if (memcmp(s_inbox.ring[v - 1].key, key, CB_DUPKEY_LEN) == 0)
            return i;
    }
    return HASH_SIZE;
}

/* Linear-probing deletion by backward shift (no tombstones). */
static void hash_delete(size_t i)
{
    size_t j = i;
    s_inbox.hash[i] = 0;
    for (;;) {
        j = (j + 1) & (HASH_SIZE - 1);
        uint16_t v = s_inbox.hash[j];
        if (!v)
            return;
        size_t k = home(s_inbox.ring[v - 1].key);
        bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        s_inbox.hash[i] = v;
        s_inbox.hash[j] = 0;
        i = j;
    }
}

cb_seen_t cb_inbox_seen(const uint8_t key[CB_DUPKEY_LEN], uint32_t *seq)
{
    size_t slot = find_slot(key);
    if (slot == HASH_SIZE)
        return CB_SEEN_NO;
    const dedupe_ent_t *e = &s_inbox.ring[s_inbox.hash[slot] - 1];
    if (seq)
        *seq = seq_of(e);
    return e->state == ENT_DURABLE ? CB_SEEN_DURABLE : CB_SEEN_PENDING;
}

void cb_inbox_remember(const uint8_t key[CB_DUPKEY_LEN], uint32_t seq, bool durable)
{
    size_t slot = find_slot(key);
    if (slot != HASH_SIZE) { /* already known (replay of a SEEN then EVENT) */
        dedupe_ent_t *e = &s_inbox.ring[s_inbox.hash[slot] - 1];
        set_seq(e, seq);
        e->state = durable ? ENT_DURABLE : ENT_PENDING;
        return;
    }
    if (s_inbox.count == CB_CFG_DEDUPE_MAX) { /* forget the oldest */
        dedupe_ent_t *old = &s_inbox.ring[s_inbox.head];
        if (old->state != ENT_FREE)
            hash_delete(find_slot(old->key));
        s_inbox.head = (s_inbox.head + 1) % CB_CFG_DEDUPE_MAX;
        s_inbox.count--;
    }
    size_t idx = (s_inbox.head + s_inbox.count++) % CB_CFG_DEDUPE_MAX;
    dedupe_ent_t *e = &s_inbox.ring[idx];
    memcpy(e->key, key, CB_DUPKEY_LEN);
    set_seq(e, seq);
    e->state = durable ? ENT_DURABLE : ENT_PENDING;
    size_t i = home(key);
    while (s_inbox.hash[i])
        i = (i + 1) & (HASH_SIZE - 1);
    s_inbox.hash[i] = (uint16_t)(idx + 1);
}

void cb_inbox_remember_replayed(const uint8_t key[CB_DUPKEY_LEN], uint32_t seq)
{
    if (s_inbox.count == CB_CFG_DEDUPE_MAX && find_slot(key) == HASH_SIZE) {
        const dedupe_ent_t *oldest = &s_inbox.ring[s_inbox.head];
        if (oldest->state != ENT_FREE && seq < seq_of(oldest))
            return;
    }
    cb_inbox_remember(key, seq, true);
}

void cb_inbox_mark_durable(const uint8_t key[CB_DUPKEY_LEN])
{
    size_t slot = find_slot(key);
    if (slot != HASH_SIZE)
        s_inbox.ring[s_inbox.hash[slot] - 1].state = ENT_DURABLE;
}

void cb_inbox_forget(const uint8_t key[CB_DUPKEY_LEN])
{
    size_t slot = find_slot(key);
    if (slot == HASH_SIZE)
        return;
    s_inbox.ring[s_inbox.hash[slot] - 1].state = ENT_FREE; /* a hole in the ring */
    hash_delete(slot);
}

int cb_inbox_remembered(size_t pos, uint8_t key[CB_DUPKEY_LEN], uint32_t *seq)
{
    if (pos >= s_inbox.count)
        return -1;
    const dedupe_ent_t *e = &s_inbox.ring[(s_inbox.head + pos) % CB_CFG_DEDUPE_MAX];
    if (e->state != ENT_DURABLE)
        return 0;
    memcpy(key, e->key, CB_DUPKEY_LEN);
    *seq = seq_of(e);
    return 1;
}

/* ---- unacknowledged list ---- */

/* Index of seq in the ascending list, or where it would go. */
static size_t lower_bound(uint32_t seq)
{
    size_t lo = 0, hi = s_inbox.nunacked;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s_inbox.unacked[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static cb_inbox_msg_t *cache_find(uint32_t seq)
{
    for (size_t i = 0; i < CB_CFG_INBOX_SHOWN; i++)
        if (s_inbox.cache[i].used && s_inbox.cache[i].seq == seq)
            return &s_inbox.cache[i];
    return NULL;
}

/* Copies at most cap-1 bytes of s without cutting a UTF-8 sequence. */
static void copy_head(char *dst, size_t cap, cb_span_t s)
{
    size_t n = s.p ? s.len : 0;
    if (n > cap - 1) {
        n = cap - 1;
        while (n && ((unsigned char)s.p[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* Copies the last cap-1 bytes of s (the end of a job id is what staff use). */
static void copy_tail(char *dst, size_t cap, cb_span_t s)
{
    size_t n = s.p ? s.len : 0;
    size_t from = n > cap - 1 ? n - (cap - 1) : 0;
    while (from < n && ((unsigned char)s.p[from] & 0xC0) == 0x80)
        from++;
    if (n - from)
        memcpy(dst, s.p + from, n - from);
    dst[n - from] = '\0';
}

void cb_inbox_cache_put(const cb_record_event_t *r)
{
    size_t idx = lower_bound(r->seq);
    if (idx >= s_inbox.nunacked || s_inbox.unacked[idx] != r->seq || idx >= CB_CFG_INBOX_SHOWN)
        return;
    if (cache_find(r->seq))
        return;
    for (size_t i = 0; i < CB_CFG_INBOX_SHOWN; i++) {
        cb_inbox_msg_t *m = &s_inbox.cache[i];
        if (m->used)
            continue;
        m->used = true;
        s_inbox.ncached++;
        m->seq = r->seq;
        copy_head(m->sender, sizeof m->sender, r->ev.sender);
        copy_tail(m->job_id, sizeof m->job_id, r->ev.job_id);
        copy_head(m->client_id, sizeof m->client_id, r->ev.client_id);
        copy_head(m->text, sizeof m->text, r->ev.text);
        return;
    }
}

bool cb_inbox_has_room(void)
{
    return s_inbox.nunacked < CB_CFG_UNACKED_MAX;
}

int cb_inbox_add(const cb_record_event_t *r)
{
    if (!cb_inbox_has_room())
        return CB_ERR_NOMEM;
    size_t idx = lower_bound(r->seq);
    if (idx < s_inbox.nunacked && s_inbox.unacked[idx] == r->seq)
        return CB_OK; /* replayed twice: already waiting */
    memmove(&s_inbox.unacked[idx + 1], &s_inbox.unacked[idx],
            (s_inbox.nunacked - idx) * sizeof s_inbox.unacked[0]);
    s_inbox.unacked[idx] = r->seq;
    s_inbox.nunacked++;
    if (s_inbox.nunacked > s_inbox.unacked_hwm)
        s_inbox.unacked_hwm = s_inbox.nunacked;
    /* an older arrival (replay order) may push the newest out of the window */
    if (s_inbox.nunacked > CB_CFG_INBOX_SHOWN) {
        cb_inbox_msg_t *out = cache_find(s_inbox.unacked[CB_CFG_INBOX_SHOWN]);
        if (out) {
            out->used = false;
            s_inbox.ncached--;
        }
    }
    cb_inbox_cache_put(r);
    return CB_OK;
}

int cb_inbox_ack(uint32_t seq)
{
    size_t idx = lower_bound(seq);
    if (idx >= s_inbox.nunacked || s_inbox.unacked[idx] != seq)
        return CB_ERR_NOT_FOUND;
    memmove(&s_inbox.unacked[idx], &s_inbox.unacked[idx + 1],
            (s_inbox.nunacked - idx - 1) * sizeof s_inbox.unacked[0]);
    s_inbox.nunacked--;
    cb_inbox_msg_t *m = cache_find(seq);
    if (m) {
        m->used = false;
        s_inbox.ncached--;
    }
    return CB_OK;
}

unsigned cb_inbox_unacked(void)
{
    return (unsigned)s_inbox.nunacked;
}

bool cb_inbox_is_unacked(uint32_t seq)
{
    size_t idx = lower_bound(seq);
    return idx < s_inbox.nunacked && s_inbox.unacked[idx] == seq;
}

unsigned cb_inbox_unacked_hwm(void)
{
    return (unsigned)s_inbox.unacked_hwm;
}

bool cb_inbox_unacked_at(size_t i, uint32_t *seq)
{
    if (i >= s_inbox.nunacked)
        return false;
    *seq = s_inbox.unacked[i];
    return true;
}

const cb_inbox_msg_t *cb_inbox_cached(uint32_t seq)
{
    return cache_find(seq);
}

bool cb_inbox_wants(uint32_t seq)
{
    size_t idx = lower_bound(seq);
    return idx < s_inbox.nunacked && s_inbox.unacked[idx] == seq && idx < CB_CFG_INBOX_SHOWN &&
           !cache_find(seq);
}

bool cb_inbox_missing_any(void)
{
    /* the cache only ever holds members of the window, so counting suffices */
    size_t n = s_inbox.nunacked < CB_CFG_INBOX_SHOWN ? s_inbox.nunacked : CB_CFG_INBOX_SHOWN;
    return s_inbox.ncached < n;
}
