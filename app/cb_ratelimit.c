/* cb_ratelimit.c - auth-failure rate limiting per source (cb_ratelimit.h);
 * the gate (cb_gate.c) calls it around every credential check. Each source keeps one
 * counter per second of the last minute, so "more than N in any 60 s" is
 * exact to the second whatever N is, in 60 bytes per source. */
#include "cb_ratelimit.h"
#include "cb_config.h"
#include "cb_metrics.h"

#define WINDOW CB_RATELIMIT_WINDOW_S

typedef struct {
    uint64_t key;           /* FNV-1a of the source text; 0 = free slot */
    uint64_t last_seen_ms;  /* for least-recently-seen eviction */
    uint64_t blocked_until; /* ms; blocked while now < this */
    uint64_t newest_s;      /* the second counts[newest_s % WINDOW] holds */
    uint8_t counts[WINDOW]; /* failures per second, saturating */
} source_t;

/* Zero-initialised (so the table is .bss, not 6 KB of .data); until
 * cb_ratelimit_init runs the SPEC defaults apply. */
static struct {
    source_t src[CB_CFG_RATE_SOURCES];
    source_t overflow; /* shared by the sources the full table cannot take */
    bool configured;
    uint32_t max_failures;
    uint32_t block_s;
} s_ratelimit;

static uint32_t max_failures(void)
{
    return s_ratelimit.configured ? s_ratelimit.max_failures : 10;
}

static uint32_t block_s(void)
{
    return s_ratelimit.configured ? s_ratelimit.block_s : 60;
}

static uint64_t hash_of(cb_span_t s)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < s.len; i++) {
        h ^= (uint8_t)s.p[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1; /* 0 marks a free slot */
}

/* Slots are taken first-free and never freed (an evicted one is reused at
 * once), so the used ones are a prefix: the search stops at the first free. */
static source_t *find(uint64_t key)
{
    for (unsigned i = 0; i < CB_CFG_RATE_SOURCES && s_ratelimit.src[i].key; i++)
        if (s_ratelimit.src[i].key == key)
            return &s_ratelimit.src[i];
    return NULL;
}

/* Moves the per-second ring forward to now_s, zeroing the seconds that went
 * by (all of them after a minute or more of silence). */
static void advance(source_t *e, uint64_t now_s)
{
    if (now_s <= e->newest_s)
        return;
    uint64_t gap = now_s - e->newest_s;
    if (gap >= WINDOW) {
        memset(e->counts, 0, sizeof e->counts);
    } else {
        for (uint64_t s = e->newest_s + 1; s <= now_s; s++)
            e->counts[s % WINDOW] = 0;
    }
    e->newest_s = now_s;
}

static uint32_t window_total(const source_t *e)
{
    uint32_t t = 0;
    for (unsigned i = 0; i < WINDOW; i++)
        t += e->counts[i];
    return t;
}

/* A slot for a new source: a free one, else the least recently seen that is
 * not blocked (forgotten), else none: a blocked source is never forgotten, so
 * never unblocked by a flood of new addresses. */
static source_t *take_slot(uint64_t now_ms)
{
    source_t *lru_free = NULL;
    for (unsigned i = 0; i < CB_CFG_RATE_SOURCES; i++) {
        source_t *e = &s_ratelimit.src[i];
        if (e->key == 0)
            return e;
        if (now_ms >= e->blocked_until && (!lru_free || e->last_seen_ms < lru_free->last_seen_ms))
            lru_free = e;
    }
    if (lru_free) {
        cb_metrics.ratelimit_evictions++;
        cb_metrics.ratelimit_sources--;
    }
    return lru_free;
}

void cb_ratelimit_init(uint32_t failures, uint32_t seconds)
{
    memset(&s_ratelimit, 0, sizeof s_ratelimit);
    cb_metrics.ratelimit_sources = 0;
    s_ratelimit.max_failures = failures;
    s_ratelimit.block_s = seconds ? seconds : 1;
    s_ratelimit.configured = true;
}

void cb_ratelimit_fail(cb_span_t source, uint64_t now_ms)
{
    if (max_failures() == 0)
        return;
    uint64_t key = hash_of(source);
    uint64_t now_s = now_ms / 1000;
    source_t *e = find(key);
    if (!e)
        e = take_slot(now_ms);
    if (!e) {
        e = &s_ratelimit.overflow;
        cb_metrics.ratelimit_overflow_failures++;
    } else if (e->key != key) {
        memset(e, 0, sizeof *e);
        e->key = key;
        e->newest_s = now_s;
        if (++cb_metrics.ratelimit_sources > cb_metrics.ratelimit_sources_max)
            cb_metrics.ratelimit_sources_max = cb_metrics.ratelimit_sources;
    }
    e->last_seen_ms = now_ms;
    if (now_ms < e->blocked_until)
        return;
    advance(e, now_s);
    uint8_t *c = &e->counts[now_s % WINDOW];
    if (*c < UINT8_MAX)
        (*c)++;
    if (window_total(e) > max_failures()) {
        e->blocked_until = now_ms + (uint64_t)block_s() * 1000;
        memset(e->counts, 0, sizeof e->counts);
        cb_metrics.ratelimit_blocks++;
    }
}

bool cb_ratelimit_blocked(cb_span_t source, uint64_t now_ms, uint32_t *retry_after_s)
{
    source_t *e = find(hash_of(source));
    if (e)
        e->last_seen_ms = now_ms;
    else
        e = &s_ratelimit.overflow; /* not tracked: in the shared bucket */
    if (now_ms >= e->blocked_until)
        return false;
    if (retry_after_s)
        *retry_after_s = (uint32_t)((e->blocked_until - now_ms + 999) / 1000);
    return true;
}
