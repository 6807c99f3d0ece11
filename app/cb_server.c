/* cb_server.c - connections as state machines over the HTTP reader: bytes
 * in, one request at a time, responses out; body and large-answer buffers
 * lent from the pool; timeouts; the group commit hook for the loop. See
 * cb_server.h for the loop's side of the contract. */
#include "cb_server.h"
#include "cb_addr.h"
#include "cb_err.h"
#include "cb_inbox.h"
#include "cb_ledger.h"
#include "cb_pool.h"
#include "cb_port.h"
#include "cb_ratelimit.h"
#include "cb_server_int.h"
#include "cb_signal.h"

#include <string.h>

static struct {
    const cb_settings_t *settings;
    uint64_t start_ms;
    cb_conn_t conns[CB_CFG_MAX_CONN];
    uint32_t gen;
    bool shown_changed;  /* a commit stored a message: redraw the display */
    char busy[320];      /* the 503 busy response, from the error table */
    unsigned heads_lent; /* pool buffers holding a head that outgrew its connection's */
} s_server;

/* A head that outgrows CB_CFG_CONN_HEAD moves into a pool buffer; heads hold
 * at most all buffers but one, so a body or page buffer always comes free in
 * time and a head waiting for its body cannot stall the pool. */
#define HEAD_MAX (CB_CFG_HTTP_LINE_MAX + CB_CFG_HTTP_HEADERS_MAX)
_Static_assert(CB_CFG_CONN_HEAD == HEAD_MAX ||
                   (CB_POOL_BUF_SIZE >= HEAD_MAX && CB_CFG_BODY_BUFS >= 2),
               "a head that outgrows its connection's buffer needs a pool buffer it fits in");

/* While a connection waits for a pool buffer, the tick tries again this often
 * (and every loop turn offers it its buffered bytes). */
#define WAIT_RETRY_MS 10u

const cb_settings_t *cb_server_settings(void)
{
    return s_server.settings;
}

uint64_t cb_server_uptime_s(void)
{
    return (cb_port_now_ms() - s_server.start_ms) / 1000;
}

int cb_server_conn_id(const cb_conn_t *c)
{
    return (int)(c - s_server.conns);
}

cb_conn_t *cb_server_conn_get(int id, uint32_t gen)
{
    if (id < 0 || id >= CB_CFG_MAX_CONN)
        return NULL;
    cb_conn_t *c = &s_server.conns[id];
    return (c->used && c->gen == gen) ? c : NULL;
}

/* The display shows the oldest unacknowledged message (docs/DESIGN.md). */
static void show_oldest(void)
{
    const cb_inbox_msg_t *m = cb_ledger_oldest();
    if (!m) {
        if (cb_inbox_unacked() == 0)
            cb_signal_show(NULL, 0, cb_port_now_ms());
        return; /* not readable: logged by the ledger; the display stays */
    }
    cb_signal_msg_t sm = {m->seq, cb_span_str(m->sender), cb_span_str(m->job_id),
                          cb_span_str(m->client_id), cb_span_str(m->text)};
    cb_signal_show(&sm, cb_inbox_unacked(), cb_port_now_ms());
}

/* After the journal opened: a restore line for every unacknowledged message,
 * the oldest on the display, one reminder. */
static void show_restored(void)
{
    unsigned n = cb_inbox_unacked();
    for (size_t i = 0; i < n; i++) {
        uint32_t seq;
        cb_inbox_unacked_at(i, &seq);
        cb_signal_restore(seq);
    }
    show_oldest();
    if (n)
        cb_signal_remind(cb_port_now_ms());
}

/* A commit's outcome: the webhook's answer, and a stored message signalled. */
static void on_outcome(const cb_ledger_outcome_t *o, void *ctx)
{
    (void)ctx;
    cb_webhook_outcome(o);
    if (!o->ev)
        return;
    cb_signal_msg_t m = {o->seq, o->ev->sender, o->ev->job_id, o->ev->client_id, o->ev->text};
    cb_signal_message(&m, cb_inbox_unacked(), cb_port_now_ms());
    s_server.shown_changed = true;
}

int cb_server_start(const cb_settings_t *s)
{
    memset(&s_server, 0, sizeof s_server);
    memset(&cb_metrics, 0, sizeof cb_metrics);
    s_server.settings = s;
    s_server.start_ms = cb_port_now_ms();
    cb_pool_init();
    cb_signal_init(s, s_server.start_ms);
    cb_ratelimit_init(s->rate_limit_failures, s->rate_limit_block_s);
    cb_ledger_config_t cfg = {.journal_budget = s->journal_budget, .outcome = on_outcome};
    int rc = cb_ledger_start(&cfg);
    if (rc == CB_OK)
        show_restored();
    return rc;
}

void cb_server_drains(unsigned draining, bool refused)
{
    cb_metrics.drains_open = draining;
    if (draining > cb_metrics.drains_hwm)
        cb_metrics.drains_hwm = draining;
    if (refused)
        cb_metrics.drains_refused++;
}

const char *cb_server_busy_response(size_t *len)
{
    /* rendered per use, so its Date is now */
    int n = cb_reply_err_render(CB_E_BUSY, s_server.busy, sizeof s_server.busy);
    *len = n > 0 ? (size_t)n : 0;
    return s_server.busy;
}

/* SPEC 2: max_conn_per_source from one peer address. A trusted proxy
 * speaks for many clients: only max_conn holds it (limit them at the proxy). */
static bool over_source_cap(const cb_settings_t *s, const char *peer)
{
    if (s->trusted_proxies[0] &&
        cb_addr_in_list(cb_span_str(s->trusted_proxies), cb_span_str(peer)))
        return false;
    uint32_t held = 0;
    for (int i = 0; i < CB_CFG_MAX_CONN; i++)
        if (s_server.conns[i].used && strcmp(s_server.conns[i].peer, peer) == 0)
            held++;
    return held >= cb_settings_conn_per_source(s);
}

int cb_server_conn_open(const char *peer)
{
    const cb_settings_t *s = s_server.settings;
    uint32_t cap = s->max_conn < CB_CFG_MAX_CONN ? s->max_conn : CB_CFG_MAX_CONN;
    if (cb_metrics.conns_open >= cap) {
        cb_metrics.connections_rejected++;
        return CB_ERR_BUSY;
    }
    if (over_source_cap(s, peer)) {
        cb_metrics.connections_rejected++;
        cb_metrics.connections_rejected_source++;
        return CB_ERR_BUSY;
    }
    for (int i = 0; i < CB_CFG_MAX_CONN; i++) {
        cb_conn_t *c = &s_server.conns[i];
        if (c->used)
            continue;
        c->used = true;
        c->closing = c->held = c->head_only = c->webhook = c->waiting = false;
        c->keep_alive = c->quiet = true;
        c->gen = ++s_server.gen;
        c->req_start_ms = 0;
        c->last_ms = cb_port_now_ms();
        c->out = c->small;
        c->out_cap = sizeof c->small;
        c->out_len = c->out_sent = 0;
        size_t n = strlen(peer);
        if (n >= sizeof c->peer)
            n = sizeof c->peer - 1;
        memcpy(c->peer, peer, n);
        c->peer[n] = '\0';
        c->peer_is_addr = cb_addr_parse(cb_span(c->peer, n), c->peer_addr) == CB_OK;
        cb_http_reader_init(&c->rd, s->body_limit);
        cb_metrics.connections_accepted++;
        if (++cb_metrics.conns_open > cb_metrics.conns_hwm)
            cb_metrics.conns_hwm = cb_metrics.conns_open;
        return i;
    }
    cb_metrics.connections_rejected++;
    return CB_ERR_BUSY;
}

static cb_conn_t *conn(int id)
{
    if (id < 0 || id >= CB_CFG_MAX_CONN || !s_server.conns[id].used)
        return NULL;
    return &s_server.conns[id];
}

static bool output_pending(const cb_conn_t *c)
{
    return c->out_sent < c->out_len;
}

/* Takes a pool buffer (if may), or marks c as waiting for one (SPEC 8: it is
 * not read meanwhile; the tick tries again). */
static uint8_t *take_buffer(cb_conn_t *c, bool may)
{
    uint8_t *b = may ? cb_pool_take() : NULL;
    if (!b && !c->waiting)
        cb_metrics.pool_waits++;
    c->waiting = !b;
    return b;
}

/* The head and body buffers go back once their request is answered (after a
 * reset) or dropped: an accepted event's record is in the ledger's commit
 * arena by then. */
static void give_buffers(cb_conn_t *c)
{
    if (c->rd.head != c->rd.head_own) {
        cb_pool_give((uint8_t *)c->rd.head);
        cb_http_reader_set_head(&c->rd, NULL, 0);
        s_server.heads_lent--;
    }
    cb_pool_give(c->rd.body);
    cb_http_reader_set_body(&c->rd, NULL);
}

/* Lends what the reader waits for; false when c must wait. */
static bool lend_reader(cb_conn_t *c)
{
    if (cb_http_reader_needs_head_room(&c->rd)) {
        uint8_t *b = take_buffer(c, s_server.heads_lent < CB_CFG_BODY_BUFS - 1);
        if (!b)
            return false;
        s_server.heads_lent++;
        cb_http_reader_set_head(&c->rd, (char *)b, CB_POOL_BUF_SIZE);
    }
    if (cb_http_reader_needs_body(&c->rd)) {
        uint8_t *b = take_buffer(c, true);
        if (!b)
            return false;
        cb_http_reader_set_body(&c->rd, b);
    }
    return true;
}

/* The answer is sent (or dropped): a large-answer buffer goes back. */
static void drop_output(cb_conn_t *c)
{
    c->out_len = c->out_sent = 0;
    if (c->out != c->small) {
        cb_pool_give((uint8_t *)c->out);
        c->out = c->small;
        c->out_cap = sizeof c->small;
    }
}

/* A large answer is written into a lent pool buffer. */
static bool lend_large_output(cb_conn_t *c)
{
    if (c->out != c->small)
        return true;
    uint8_t *b = take_buffer(c, true);
    if (!b)
        return false;
    memcpy(b, c->out, c->out_len);
    c->out = (char *)b;
    c->out_cap = CB_POOL_BUF_SIZE;
    return true;
}

static void on_head(cb_conn_t *c)
{
    const cb_http_request_t *req = &c->rd.req;
    if (!req->expect_continue)
        return;
    if (!cb_routes_precheck(c, req))
        return;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    memcpy(c->out + c->out_len, cont, sizeof cont - 1);
    c->out_len += sizeof cont - 1;
    cb_metrics.responses_by_class[1]++;
}

size_t cb_server_conn_feed(int id, const uint8_t *data, size_t len)
{
    cb_conn_t *c = conn(id);
    if (!c || c->closing)
        return len; /* discarded: nothing more will be answered */
    uint64_t now = cb_port_now_ms();
    size_t used = 0;
    /* At most one response in flight: the next pipelined request waits until
     * this one is sent, so answers leave in order and buffers stay bounded. */
    while (!c->held && !c->closing && !output_pending(c)) {
        if (!lend_reader(c))
            break; /* the rest waits in the loop's buffer and the socket */
        cb_http_ev_t ev;
        size_t n = cb_http_reader_feed(&c->rd, data + used, len - used, &ev);
        used += n;
        if (!c->req_start_ms && cb_http_reader_in_request(&c->rd))
            c->req_start_ms = now;
        if (ev == CB_HTTP_EV_HEAD) {
            c->keep_alive = c->rd.req.keep_alive;
            on_head(c);
            continue;
        }
        if (ev == CB_HTTP_EV_REQUEST) {
            if (cb_routes_large_answer(&c->rd.req) && !lend_large_output(c))
                break; /* the reader gives this request again on the next feed */
            cb_metrics.requests++;
            c->keep_alive = c->rd.req.keep_alive;
            cb_routes_handle(c, &c->rd.req);
            cb_http_reader_reset(&c->rd);
            give_buffers(c);
            c->req_start_ms = 0;
            c->head_only = false;
            continue;
        }
        if (ev == CB_HTTP_EV_ERROR) {
            give_buffers(c);
            c->keep_alive = false; /* framing error: answer, then close */
            cb_reply_err(c, cb_errors_find(c->rd.err_code), c->rd.err_message, NULL);
            return len;
        }
        if (!cb_http_reader_needs_head_room(&c->rd))
            break; /* CB_HTTP_EV_NONE: everything consumed */
    }
    /* The clock moves only when input is consumed: a client that does not
     * read its answers cannot keep its slot by trickling bytes. */
    if (used) {
        c->last_ms = now;
        c->quiet = false;
    }
    return c->closing ? len : used;
}

void cb_server_conn_eof(int id)
{
    cb_conn_t *c = conn(id);
    if (c && !c->held)
        c->closing = true; /* answered what was complete; a partial request is dropped */
}

size_t cb_server_conn_output(int id, const uint8_t **out)
{
    cb_conn_t *c = conn(id);
    if (!c || !output_pending(c)) {
        *out = NULL;
        return 0;
    }
    *out = (const uint8_t *)c->out + c->out_sent;
    return c->out_len - c->out_sent;
}

void cb_server_conn_sent(int id, size_t n)
{
    cb_conn_t *c = conn(id);
    if (!c)
        return;
    c->out_sent += n;
    c->last_ms = cb_port_now_ms();
    if (c->out_sent >= c->out_len)
        drop_output(c);
}

bool cb_server_conn_closing(int id)
{
    cb_conn_t *c = conn(id);
    return !c || (c->closing && !c->held);
}

bool cb_server_conn_idle(int id, uint64_t *since_ms)
{
    cb_conn_t *c = conn(id);
    if (!c || c->closing || c->held || c->waiting || output_pending(c) || c->req_start_ms ||
        cb_http_reader_in_request(&c->rd))
        return false;
    if (since_ms)
        *since_ms = c->last_ms;
    return true;
}

void cb_server_conn_close(int id)
{
    cb_conn_t *c = conn(id);
    if (!c)
        return;
    give_buffers(c);
    drop_output(c);
    c->used = false;
    cb_metrics.conns_open--;
}

bool cb_server_commit_pending(void)
{
    return cb_ledger_pending();
}

void cb_server_commit(void)
{
    cb_ledger_commit();
    if (s_server.shown_changed)
        show_oldest();
    s_server.shown_changed = false;
}

int cb_server_ack(uint32_t seq, uint32_t *acked)
{
    int rc = cb_ledger_ack(seq, acked);
    if (rc != CB_OK)
        return rc;
    cb_signal_ack(*acked);
    show_oldest();
    return CB_OK;
}

void cb_server_button(void)
{
    uint32_t seq;
    if (cb_server_ack(0, &seq) != CB_OK)
        cb_port_log(CB_LOG_INFO, "button: nothing to acknowledge");
}

/* Request timeout: 408 then close. Idle keep-alive: close silently, and a
 * new connection that sent no byte within CB_CFG_FIRST_BYTE_MS too. A peer
 * that does not read its response within the request timeout is dropped.
 * A connection waiting for a pool buffer tries again. */
static uint32_t check_timeouts(uint64_t now)
{
    const cb_settings_t *s = s_server.settings;
    uint64_t next = 1000;
    for (int i = 0; i < CB_CFG_MAX_CONN; i++) {
        cb_conn_t *c = &s_server.conns[i];
        if (c->used && c->waiting)
            cb_server_conn_feed(i, (const uint8_t *)"", 0);
        if (!c->used || c->held)
            continue;
        if (c->waiting)
            next = WAIT_RETRY_MS;
        uint64_t deadline;
        if (output_pending(c)) {
            deadline = c->last_ms + s->request_timeout_ms;
            if (now >= deadline) {
                drop_output(c);
                c->closing = true;
                cb_metrics.connections_timed_out++;
                continue;
            }
        } else if (c->closing) {
            continue;
        } else if (c->req_start_ms) {
            deadline = c->req_start_ms + s->request_timeout_ms;
            if (now >= deadline) {
                cb_metrics.connections_timed_out++;
                c->waiting = false;
                give_buffers(c);
                cb_reply_err(c, CB_E_TIMEOUT, NULL, NULL);
                continue;
            }
        } else {
            uint32_t idle = s->idle_timeout_ms;
            if (c->quiet && idle > CB_CFG_FIRST_BYTE_MS)
                idle = CB_CFG_FIRST_BYTE_MS;
            deadline = c->last_ms + idle;
            if (now >= deadline) {
                c->closing = true;
                cb_metrics.connections_timed_out++;
                continue;
            }
        }
        if (deadline - now < next)
            next = deadline - now;
    }
    return (uint32_t)next;
}

uint32_t cb_server_tick(void)
{
    uint64_t now = cb_port_now_ms();
    while (cb_port_button_pressed())
        cb_server_button();
    if (cb_ledger_poll())
        show_restored();
    uint32_t next = check_timeouts(now);
    uint32_t sig = cb_signal_tick(now);
    return sig < next ? sig : next;
}

void cb_server_stop(void)
{
    cb_server_commit();
}
