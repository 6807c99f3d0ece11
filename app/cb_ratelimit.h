/* cb_ratelimit.h - per-source limit on authentication failures (SPEC 2: a
 * source failing auth over 10 times a minute gets 429 with Retry-After for
 * 60 s). The gate (cb_gate.h) asks before and records each failure.
 * A fixed table of CB_CFG_RATE_SOURCES sources, no allocation. */
#ifndef CB_RATELIMIT_H
#define CB_RATELIMIT_H

#include "cb_span.h"

#include <stdbool.h>
#include <stdint.h>

/* The window failures are counted over, in seconds (1 s resolution). */
#define CB_RATELIMIT_WINDOW_S 60

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
 * is full the least recently seen source that is not blocked is forgotten;
 * when every one is blocked none is (forgetting one would unblock it): the
 * failure is counted in one overflow bucket that all untracked sources share,
 * so a flood of new addresses gets blocked as one. Counters go to cb_metrics
 * (ratelimit_*). */
void cb_ratelimit_fail(cb_span_t source, uint64_t now_ms);

/* True while source is blocked at now_ms (a source not in the table: while
 * the overflow bucket is); *retry_after_s (may be NULL) then gets the whole
 * seconds left, rounded up (>= 1), for Retry-After. Does not add the source
 * to the table. */
bool cb_ratelimit_blocked(cb_span_t source, uint64_t now_ms, uint32_t *retry_after_s);

#endif
