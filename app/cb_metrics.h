/* cb_metrics.h - the counters /metrics shows (SPEC 2), in Prometheus text
 * format. The server counts; nothing here allocates. */
#ifndef CB_METRICS_H
#define CB_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CB_RES_ACCEPTED,
    CB_RES_DUPLICATE,
    CB_RES_INVALID_JSON,
    CB_RES_INVALID_EVENT,
    CB_RES_UNAUTHORIZED,
    CB_RES_RATE_LIMITED,
    CB_RES_STALE,
    CB_RES_STORAGE_UNAVAILABLE,
    CB_RES_UNSUPPORTED_MEDIA,
    CB_RES_COUNT
} cb_result_t;

typedef enum {
    CB_AUTHF_MISSING_SIGNATURE,
    CB_AUTHF_INVALID_SIGNATURE,
    CB_AUTHF_MISSING_TOKEN,
    CB_AUTHF_INVALID_TOKEN,
    CB_AUTHF_EXPIRED_TOKEN,
    CB_AUTHF_INVALID_CLIENT,
    CB_AUTHF_COUNT
} cb_authfail_t;

typedef struct {
    uint64_t events[CB_RES_COUNT];
    uint64_t auth_failures[CB_AUTHF_COUNT];
    uint64_t connections_accepted;
    uint64_t connections_rejected; /* over the cap: 503 busy */
    uint64_t connections_timed_out;
    uint64_t requests;
    uint64_t responses_by_class[6]; /* 1xx..5xx, index = status / 100 */
    uint64_t journal_syncs;
    uint64_t journal_compactions;
    uint64_t storage_errors;
    uint32_t journal_skipped_bytes;       /* found damaged at start */
    uint32_t journal_slots_set_aside;     /* at start */
    uint64_t connections_rejected_source; /* over max_conn_per_source (also in _rejected) */
    uint64_t ratelimit_blocks;            /* sources blocked (429 for their failures) */
    uint64_t ratelimit_evictions;         /* unblocked sources forgotten to make room */
    uint64_t ratelimit_overflow_failures; /* failures counted in the shared overflow bucket */
    uint32_t ratelimit_sources, ratelimit_sources_max; /* rate limiter table in use */
    uint64_t pool_waits;                               /* requests that waited for a pool buffer */
    uint64_t drains_refused; /* answered sockets closed at once: no drain slot */
    uint32_t conns_open, conns_hwm;
    uint32_t drains_open, drains_hwm;
} cb_metrics_t;

extern cb_metrics_t cb_metrics;

/* Renders all counters plus the given gauges as Prometheus text into out.
 * Returns bytes written, or CB_ERR_NOMEM when cap is too small. */
int cb_metrics_render(char *out, size_t cap, unsigned unacked, unsigned unacked_hwm,
                      uint32_t journal_bytes, uint64_t uptime_s);

#endif
