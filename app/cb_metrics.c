/* cb_metrics.c - Prometheus text rendering of the server's counters. */
#include "cb_metrics.h"
#include "cb_dec.h"
#include "cb_err.h"
#include "cb_pool.h"

#include <string.h>

cb_metrics_t cb_metrics;

static const char *const result_name[CB_RES_COUNT] = {
    "accepted",     "duplicate", "invalid_json",        "invalid_event",         "unauthorized",
    "rate_limited", "stale",     "storage_unavailable", "unsupported_media_type"};

static const char *const authf_name[CB_AUTHF_COUNT] = {"missing_signature", "invalid_signature",
                                                       "missing_token",     "invalid_token",
                                                       "expired_token",     "invalid_client"};

typedef struct {
    char *out;
    size_t cap, len;
    int err;
} pbuf_t;

static void put(pbuf_t *b, const char *s)
{
    size_t n = strlen(s);
    if (b->err || n >= b->cap - b->len) {
        b->err = CB_ERR_NOMEM;
        return;
    }
    memcpy(b->out + b->len, s, n + 1);
    b->len += n;
}

static void put_u64(pbuf_t *b, uint64_t v)
{
    char d[CB_DEC_U64_MAX + 1];
    d[cb_dec_u64(d, CB_DEC_U64_MAX, v)] = '\0';
    put(b, d);
}

/* "# HELP/TYPE" header of one metric family. */
static void family(pbuf_t *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP ");
    put(b, name);
    put(b, " ");
    put(b, help);
    put(b, "\n# TYPE ");
    put(b, name);
    put(b, " ");
    put(b, type);
    put(b, "\n");
}

static void sample(pbuf_t *b, const char *name, const char *label, const char *lvalue, uint64_t v)
{
    put(b, name);
    if (label) {
        put(b, "{");
        put(b, label);
        put(b, "=\"");
        put(b, lvalue);
        put(b, "\"}");
    }
    put(b, " ");
    put_u64(b, v);
    put(b, "\n");
}

static void single(pbuf_t *b, const char *name, const char *type, const char *help, uint64_t v)
{
    family(b, name, type, help);
    sample(b, name, NULL, NULL, v);
}

int cb_metrics_render(char *out, size_t cap, unsigned unacked, unsigned unacked_hwm,
                      uint32_t journal_bytes, uint64_t uptime_s)
{
    static const char *const cls[6] = {"0xx", "1xx", "2xx", "3xx", "4xx", "5xx"};
    pbuf_t b = {out, cap, 0, cap ? 0 : CB_ERR_NOMEM};
    const cb_metrics_t *m = &cb_metrics;

    family(&b, "chatbell_events_total", "counter", "Webhook events by result.");
    for (int i = 0; i < CB_RES_COUNT; i++)
        sample(&b, "chatbell_events_total", "result", result_name[i], m->events[i]);
    family(&b, "chatbell_auth_failures_total", "counter", "Authentication failures by reason.");
    for (int i = 0; i < CB_AUTHF_COUNT; i++)
        sample(&b, "chatbell_auth_failures_total", "reason", authf_name[i], m->auth_failures[i]);
    single(&b, "chatbell_duplicates_total", "counter", "Events answered as duplicates.",
           m->events[CB_RES_DUPLICATE]);
    single(&b, "chatbell_connections_total", "counter", "Connections accepted.",
           m->connections_accepted);
    family(&b, "chatbell_connections_rejected_total", "counter",
           "Connections refused (503 busy), by cap.");
    sample(&b, "chatbell_connections_rejected_total", "cap", "max_conn",
           m->connections_rejected - m->connections_rejected_source);
    sample(&b, "chatbell_connections_rejected_total", "cap", "per_source",
           m->connections_rejected_source);
    single(&b, "chatbell_connections_timed_out_total", "counter",
           "Connections closed by a timeout.", m->connections_timed_out);
    single(&b, "chatbell_connections_open", "gauge", "Connections open now.", m->conns_open);
    single(&b, "chatbell_connections_open_max", "gauge", "High-water mark of open connections.",
           m->conns_hwm);
    family(&b, "chatbell_ratelimit_total", "counter", "Rate limiter events.");
    sample(&b, "chatbell_ratelimit_total", "event", "blocked", m->ratelimit_blocks);
    sample(&b, "chatbell_ratelimit_total", "event", "evicted", m->ratelimit_evictions);
    sample(&b, "chatbell_ratelimit_total", "event", "overflow", m->ratelimit_overflow_failures);
    family(&b, "chatbell_ratelimit_sources", "gauge", "Sources in the rate limiter.");
    sample(&b, "chatbell_ratelimit_sources", "of", "now", m->ratelimit_sources);
    sample(&b, "chatbell_ratelimit_sources", "of", "max", m->ratelimit_sources_max);
    single(&b, "chatbell_body_buffers", "gauge", "Body buffers in the pool.", CB_CFG_BODY_BUFS);
    single(&b, "chatbell_body_buffers_in_use", "gauge", "Body buffers lent now.", cb_pool_in_use());
    single(&b, "chatbell_body_buffers_in_use_max", "gauge",
           "High-water mark of body buffers lent at once.", cb_pool_hwm());
    single(&b, "chatbell_body_buffer_waits_total", "counter",
           "Requests that waited for a body buffer (not read meanwhile).", m->pool_waits);
    single(&b, "chatbell_draining_sockets", "gauge", "Answered sockets draining before close.",
           m->drains_open);
    single(&b, "chatbell_draining_sockets_max", "gauge",
           "High-water mark of answered sockets draining.", m->drains_hwm);
    single(&b, "chatbell_drain_refused_total", "counter",
           "Answered sockets closed at once: no drain slot free.", m->drains_refused);
    single(&b, "chatbell_requests_total", "counter", "HTTP requests parsed.", m->requests);
    family(&b, "chatbell_responses_total", "counter", "HTTP responses by status class.");
    for (int i = 1; i < 6; i++)
        sample(&b, "chatbell_responses_total", "class", cls[i], m->responses_by_class[i]);
    single(&b, "chatbell_unacked", "gauge", "Unacknowledged messages stored.", unacked);
    single(&b, "chatbell_unacked_max", "gauge", "High-water mark of unacknowledged messages.",
           unacked_hwm);
    single(&b, "chatbell_journal_bytes", "gauge", "Bytes used in the active journal.",
           journal_bytes);
    single(&b, "chatbell_journal_syncs_total", "counter", "Journal flushes (group commits).",
           m->journal_syncs);
    single(&b, "chatbell_journal_compactions_total", "counter", "Journal compactions.",
           m->journal_compactions);
    single(&b, "chatbell_storage_errors_total", "counter", "Storage operations that failed.",
           m->storage_errors);
    single(&b, "chatbell_journal_skipped_bytes", "gauge",
           "Damaged journal bytes skipped at start (records after them restored).",
           m->journal_skipped_bytes);
    single(&b, "chatbell_journal_set_aside", "gauge",
           "Journal slots set aside at start as unreadable or damaged.",
           m->journal_slots_set_aside);
    single(&b, "chatbell_uptime_seconds", "gauge", "Seconds since start.", uptime_s);
    return b.err ? b.err : (int)b.len;
}
