/* cb_ratelimit.h - per-source limit on authentication failures (SPEC 2: a
 * source failing auth over 10 times a minute gets 429 with Retry-After for
 * 60 s). The server records each auth failure and asks before checking auth.
 * A fixed table of CB_CFG_RATE_SOURCES sources, no allocation. */
#ifndef CB_RATELIMIT_H
#define CB_RATELIMIT_H

#include "cb_span.h"

#include <stdbool.h>
#include <stdint.h>

/* The window failures are counted over, in seconds (1 s resolution). */
#define CB_RATELIMIT_WINDOW_S 60

typedef struct {
    unsigned in_use;     /* sources tracked now */
    unsigned high_water; /* most sources tracked at once */
    uint32_t evictions;  /* sources forgotten to make room */
    uint32_t blocks;     /* times a source was blocked */
} cb_ratelimit_stats_t;

/* Empties the table and sets the limits: a source is blocked when it fails
 * more than max_failures times within CB_RATELIMIT_WINDOW_S (settings
 * rate_limit_failures, default 10; 0 turns the limiter off), for block_s
 * seconds (rate_limit_block_s, default 60; 0 is taken as 1). Until it is
 * first called the defaults (10, 60) apply. */
void cb_ratelimit_init(uint32_t max_failures, uint32_t block_s);

/* Records one auth failure of source (its address text without the port,
 * e.g. "192.0.2.7" or "2001:db8::1"; compared by a 64-bit hash) at now_ms
 * (cb_port_now_ms). The failure that goes over the limit starts the block and
 * clears the count, so the source starts afresh when released. Failures
 * while blocked are not counted and do not extend the block. When the table
 * is full the least recently seen source that is not blocked is forgotten
 * (the least recently seen of all when every one is blocked). */
void cb_ratelimit_fail(cb_span_t source, uint64_t now_ms);

/* True while source is blocked at now_ms; *retry_after_s (may be NULL) then
 * gets the whole seconds left, rounded up (>= 1), for Retry-After. Does not
 * add the source to the table. */
bool cb_ratelimit_blocked(cb_span_t source, uint64_t now_ms, uint32_t *retry_after_s);

/* Table counters for /metrics. */
void cb_ratelimit_stats(cb_ratelimit_stats_t *out);

#endif
