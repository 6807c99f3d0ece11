/* cb_loop.c - THE loop (cb_loop.h): one thread, one poll() per turn over the
 * listeners and every connection, kept as an interest list between turns.
 * Each turn: accept, read and feed, one group commit, write without
 * blocking, close, tick. Nothing here blocks except poll() itself and the
 * commit's one flush. */
/* POSIX 2008 for the host build (the lwIP build ignores it) */
#define _POSIX_C_SOURCE 200809L
#include "cb_loop.h"
#include "cb_conn.h"
#include "cb_config.h"
#include "cb_port.h"
#include "cb_server.h"
#include "cb_sock_compat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sockets being served (slot i serves server connection i, with its
 * read-ahead buffer), and apart from them sockets only draining (answered,
 * shut down for writing, reading the peer's leftovers so that close() does not
 * reset the connection before the answer arrives): these hold no buffer. */
#define SLOTS            CB_CFG_MAX_CONN
#define DRAINS           CB_CFG_DRAIN_MAX
#define DRAIN_MS         1000u
#define ACCEPTS_PER_TURN 16
/* A closing connection whose gathered answers its peer does not take is
 * closed after this long (the server's own timeouts no longer see them). */
#define LINGER_MS 5000u
/* The button is polled each turn: this bounds how late a press is seen. */
#define POLL_MAX_MS 100u

typedef struct {
    int fd;         /* -1: free */
    int id;         /* server connection id (the slot's index) */
    int tls;        /* TLS session (cb_conn.h), -1: plain */
    int pi;         /* its entry in the interest list */
    bool eof;       /* the peer shut down its sending side */
    bool tx_stuck;  /* a send took part of the gathered answers: gather no more */
    uint64_t until; /* closing with answers unsent: closed at this time (0: none) */
    size_t rx_len;
    size_t tx_len;
    /* Requests received: rx[0, rx_len). Answers gathered for one send, in
     * order: the tail rx[sizeof rx - tx_len, sizeof rx). Reads go between. */
    uint8_t rx[CB_CFG_RX_MAX];
} slot_t;

typedef struct {
    int fd; /* -1: free */
    int pi; /* its entry in the interest list */
    uint64_t until;
} drain_t;

/* The interest list: poll()'s array, kept between turns. Entries 0 and 1 are
 * the listeners (a negative fd when there is no HTTPS: poll() skips it), then
 * one entry per serving slot or draining socket, in no order: a socket joins
 * when it is accepted or starts draining and leaves when it is closed (the
 * last entry takes its place). Each turn only the slots' events change. */
#define LISTENERS 2
#define WATCH_MAX (LISTENERS + SLOTS + DRAINS)

static struct {
    int listen_fd;
    int listen_tls_fd; /* -1: no HTTPS */
    char tls_bound[64];
    slot_t slots[SLOTS];
    drain_t drains[DRAINS];
    unsigned ndrains; /* drain slots in use */
    struct pollfd pfd[WATCH_MAX];
    int owner[WATCH_MAX]; /* slot index, or SLOTS + drain index */
    int npfd;             /* entries in use */
    void (*idle)(void);   /* cb_loop_on_idle */
} s_loop;

static int set_nonblocking(int fd)
{
    int fl = cb_sock_fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : cb_sock_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int *entry_of(int owner)
{
    return owner < SLOTS ? &s_loop.slots[owner].pi : &s_loop.drains[owner - SLOTS].pi;
}

static void watch(int fd, int owner)
{
    int i = s_loop.npfd++;
    s_loop.pfd[i].fd = fd;
    s_loop.pfd[i].events = POLLIN;
    s_loop.pfd[i].revents = 0; /* not polled yet: this turn passes it by */
    s_loop.owner[i] = owner;
    *entry_of(owner) = i;
}

static void unwatch(int i)
{
    int last = --s_loop.npfd;
    if (i != last) {
        s_loop.pfd[i] = s_loop.pfd[last];
        s_loop.owner[i] = s_loop.owner[last];
        *entry_of(s_loop.owner[i]) = i;
    }
}

static int parse_listen(const char *addr, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (cb_sock_inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return -1;
    return 0;
}

static int open_listener(const char *addr, char *bound, size_t cap)
{
    struct sockaddr_in sa;
    if (parse_listen(addr, &sa) != 0) {
        cb_port_log(CB_LOG_ERROR, "listen: cannot read address '%s' (want ADDR:PORT)", addr);
        return -1;
    }
    int fd = cb_sock_socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0) {
        cb_port_log(CB_LOG_ERROR, "listen: socket failed (errno %d)", cb_sock_errno);
        return -1;
    }
    cb_sock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (cb_sock_bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || cb_sock_listen(fd, 128) != 0 ||
        set_nonblocking(fd) != 0) {
        cb_port_log(CB_LOG_ERROR, "listen: cannot listen on %s (errno %d)", addr, cb_sock_errno);
        cb_sock_close(fd);
        return -1;
    }
    socklen_t len = sizeof sa;
    cb_sock_getsockname(fd, (struct sockaddr *)&sa, &len);
    char ip[16];
    cb_sock_inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    snprintf(bound, cap, "%s:%u", ip, (unsigned)ntohs(sa.sin_port));
    return fd;
}

static void slot_close(slot_t *s)
{
    unwatch(s->pi);
    cb_server_conn_close(s->id);
    cb_sock_close(s->fd);
    s->fd = -1;
    s->tls = cb_conn_finish(s->tls);
}

/* Answered and done: stop writing, then drain what the peer still sends,
 * in a drain slot; with none free, close now. */
static void drain(int fd)
{
    for (int i = 0; i < DRAINS; i++) {
        drain_t *d = &s_loop.drains[i];
        if (d->fd < 0) {
            cb_sock_shutdown(fd, SHUT_WR);
            d->fd = fd;
            watch(fd, SLOTS + i);
            d->until = cb_port_now_ms() + DRAIN_MS;
            cb_server_drains(++s_loop.ndrains, false);
            return;
        }
    }
    cb_server_drains(s_loop.ndrains, true);
    cb_sock_close(fd);
}

static void drain_close(drain_t *d)
{
    unwatch(d->pi);
    cb_sock_close(d->fd);
    d->fd = -1;
    cb_server_drains(--s_loop.ndrains, false);
}

static void slot_drain(slot_t *s)
{
    unwatch(s->pi);
    cb_server_conn_close(s->id);
    s->tls = cb_conn_finish(s->tls); /* close_notify; it drains as a plain socket */
    drain(s->fd);
    s->fd = -1;
}

/* A TLS connection arrives with every session taken: the TLS connection
 * idle longest between requests is closed to make room (RFC 9112 9.3: a
 * server may close an idle persistent connection). With none idle (all
 * mid-request or mid-handshake) the newcomer is refused as before. */
static void evict_idle_tls(void)
{
    slot_t *oldest = NULL;
    uint64_t oldest_ms = 0;
    for (int i = 0; i < SLOTS; i++) {
        slot_t *s = &s_loop.slots[i];
        uint64_t since;
        if (s->fd < 0 || s->tls < 0 || s->rx_len || s->tx_len || s->eof || s->until ||
            !cb_server_conn_idle(s->id, &since) || !cb_conn_tls_idle(s->fd, s->tls))
            continue;
        if (!oldest || since < oldest_ms) {
            oldest = s;
            oldest_ms = since;
        }
    }
    if (oldest) {
        cb_conn_tls_evicted(oldest->tls);
        slot_drain(oldest); /* close_notify, then its FIN */
    }
}

static void accept_new(int listen_fd)
{
    for (int n = 0; n < ACCEPTS_PER_TURN; n++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        int fd = cb_sock_accept(listen_fd, (struct sockaddr *)&sa, &len);
        if (fd < 0)
            return;
        if (set_nonblocking(fd) != 0) {
            cb_sock_close(fd); /* cannot even hold it to answer */
            continue;
        }
        int one = 1;
        cb_sock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char peer[48];
        if (!cb_sock_inet_ntop(AF_INET, &sa.sin_addr, peer, sizeof peer))
            strcpy(peer, "?");
        int id = cb_server_conn_open(peer);
        bool on_tls = id >= 0 && listen_fd == s_loop.listen_tls_fd;
        if (on_tls && cb_conn_tls_full())
            evict_idle_tls();
        int tls = on_tls ? cb_conn_tls_open(fd) : -1;
        if (listen_fd == s_loop.listen_tls_fd && tls < 0) { /* no plain 503 inside TLS */
            if (id >= 0)
                cb_server_conn_close(id);
            cb_sock_close(fd);
            continue;
        }
        if (id < 0) { /* over the cap: 503 busy, best effort, then drain */
            size_t blen;
            const char *busy = cb_server_busy_response(&blen);
            (void)cb_sock_send(fd, busy, blen, CB_SOCK_SEND_FLAGS);
            drain(fd);
            continue;
        }
        /* free: a connection id is closed only together with its slot */
        slot_t *s = &s_loop.slots[id];
        s->fd = fd;
        s->id = id;
        s->tls = tls;
        s->eof = s->tx_stuck = false;
        s->until = 0;
        s->rx_len = s->tx_len = 0;
        watch(fd, id);
    }
}

/* Offers the buffered bytes to the server; keeps what it did not take. */
static void feed(slot_t *s)
{
    size_t used = cb_server_conn_feed(s->id, s->rx, s->rx_len);
    if (used) {
        memmove(s->rx, s->rx + used, s->rx_len - used);
        s->rx_len -= used;
    }
}

static void read_drain(drain_t *d)
{
    uint8_t junk[512];
    ssize_t n = cb_sock_recv(d->fd, junk, sizeof junk, 0);
    if (n == 0 || (n < 0 && cb_sock_errno != EAGAIN && cb_sock_errno != EWOULDBLOCK))
        drain_close(d);
}

static void read_slot(slot_t *s)
{
    long n = cb_conn_recv(s->fd, s->tls, s->rx + s->rx_len, sizeof s->rx - s->rx_len - s->tx_len);
    if (n > 0) {
        s->rx_len += (size_t)n;
        feed(s);
    } else if (n == 0) {
        s->eof = true;
        feed(s);
        if (s->rx_len == 0) /* else the buffered requests are answered first */
            cb_server_conn_eof(s->id);
    } else if (cb_sock_errno != EAGAIN && cb_sock_errno != EWOULDBLOCK && cb_sock_errno != EINTR) {
        slot_close(s);
    }
}

static bool send_failed(slot_t *s)
{
    if (cb_sock_errno != EAGAIN && cb_sock_errno != EWOULDBLOCK && cb_sock_errno != EINTR)
        slot_close(s);
    return false;
}

/* Sends the gathered answers; true when none are left (false: the socket is
 * full, or it failed and the slot is closed). Until they are all sent the
 * next try passes the same bytes again, as a TLS write that wants to be
 * called again requires: nothing more is gathered meanwhile. */
static bool flush(slot_t *s)
{
    if (!s->tx_len)
        return true;
    long n = cb_conn_send(s->fd, s->tls, s->rx + sizeof s->rx - s->tx_len, s->tx_len);
    if (n > 0)
        s->tx_len -= (size_t)n;
    s->tx_stuck = s->tx_len > 0;
    if (n < 0)
        return send_failed(s);
    return !s->tx_stuck;
}

/* Takes the server's answer into the gather room if it fits and the
 * connection stays open (a last answer stays with the server, whose request
 * timeout then applies); true if taken. */
static bool gather(slot_t *s, const uint8_t *out, size_t len)
{
    if (s->tx_stuck || cb_server_conn_closing(s->id) || len > sizeof s->rx - s->rx_len - s->tx_len)
        return false;
    uint8_t *end = s->rx + sizeof s->rx;
    memmove(end - s->tx_len - len, end - s->tx_len, s->tx_len);
    memcpy(end - len, out, len);
    s->tx_len += len;
    cb_server_conn_sent(s->id, len);
    return true;
}

/* Gathers what is ready, re-offers buffered requests as answers leave; an
 * answer that does not fit goes out after the gathered ones, straight from
 * the server. write_all sends the gathered answers after its last commit:
 * one send for every answer of the turn. Returns true if anything changed. */
static bool write_slot(slot_t *s)
{
    bool progress = false;
    for (int guard = 0; guard < 64 && s->fd >= 0; guard++) {
        const uint8_t *out;
        size_t len = cb_server_conn_output(s->id, &out);
        if (len) {
            if (gather(s, out, len)) {
                progress = true;
                continue;
            }
            if (!flush(s))
                return progress;
            long n = cb_conn_send(s->fd, s->tls, out, len);
            if (n < 0) {
                send_failed(s);
                return progress;
            }
            cb_server_conn_sent(s->id, (size_t)n);
            progress = true;
            if ((size_t)n < len)
                return progress; /* socket full: wait for POLLOUT */
            continue;
        }
        if (cb_server_conn_closing(s->id)) {
            if (!flush(s)) {
                if (s->fd >= 0 && !s->until)
                    s->until = cb_port_now_ms() + LINGER_MS;
                return progress;
            }
            slot_drain(s);
            return true;
        }
        if (s->rx_len == 0 && !s->eof)
            return progress;
        size_t before = s->rx_len;
        feed(s); /* the next pipelined request, now that the answer left */
        if (cb_server_conn_output(s->id, &out) == 0) {
            if (s->eof && s->rx_len == before)
                cb_server_conn_eof(s->id);
            if (s->rx_len == before && !cb_server_conn_closing(s->id))
                return progress;
        }
        progress = true;
    }
    return progress;
}

static void write_all(void)
{
    for (int round = 0; round < 4; round++) {
        if (cb_server_commit_pending())
            cb_server_commit();
        bool progress = false;
        /* from the end: a slot that leaves the list takes the last entry's
         * place, which was written already (a new drain joins behind) */
        for (int i = s_loop.npfd - 1; i >= LISTENERS; i--)
            if (s_loop.owner[i] < SLOTS)
                progress |= write_slot(&s_loop.slots[s_loop.owner[i]]);
        if (!progress && !cb_server_commit_pending())
            break;
    }
    for (int i = s_loop.npfd - 1; i >= LISTENERS; i--)
        if (s_loop.owner[i] < SLOTS)
            flush(&s_loop.slots[s_loop.owner[i]]);
}

/* Drains past their time, handshakes that ran out of time, and closing
 * connections whose peer did not take their last answers. */
static void expire(uint64_t now)
{
    for (int i = s_loop.npfd - 1; i >= LISTENERS; i--) {
        int o = s_loop.owner[i];
        if (o >= SLOTS) {
            if (now >= s_loop.drains[o - SLOTS].until)
                drain_close(&s_loop.drains[o - SLOTS]);
        } else if (cb_conn_expired(s_loop.slots[o].tls, now) ||
                   (s_loop.slots[o].until && now >= s_loop.slots[o].until)) {
            slot_close(&s_loop.slots[o]);
        }
    }
}

/* What each serving slot waits for this turn (drains and listeners always
 * wait for input). */
static void set_events(uint32_t *timeout)
{
    for (int i = LISTENERS; i < s_loop.npfd; i++) {
        if (s_loop.owner[i] >= SLOTS)
            continue;
        slot_t *s = &s_loop.slots[s_loop.owner[i]];
        short ev = 0;
        const uint8_t *out;
        if (!s->eof && s->rx_len + s->tx_len < sizeof s->rx)
            ev |= POLLIN;
        if (s->tx_len || cb_server_conn_output(s->id, &out) || cb_conn_wants_write(s->tls))
            ev |= POLLOUT;
        if ((ev & POLLIN) && cb_conn_pending(s->tls))
            *timeout = 0; /* decrypted bytes wait that poll() cannot see */
        s_loop.pfd[i].events = ev;
    }
}

void cb_loop_on_idle(void (*fn)(void))
{
    s_loop.idle = fn;
}

void cb_loop_listen_tls(const char *addr)
{
    snprintf(s_loop.tls_bound, sizeof s_loop.tls_bound, "%s", addr);
}

const char *cb_loop_tls_bound(void)
{
    return s_loop.listen_tls_fd >= 0 ? s_loop.tls_bound : "";
}

int cb_loop_init(const char *listen, char *err, size_t cap)
{
    return cb_sock_stack_init(listen, err, cap);
}

int cb_loop_run(const char *addr, void (*on_listening)(const char *bound), volatile bool *stop)
{
    char bound[64];
    for (int i = 0; i < SLOTS; i++) {
        s_loop.slots[i].fd = -1;
        s_loop.slots[i].tls = -1;
    }
    for (int i = 0; i < DRAINS; i++)
        s_loop.drains[i].fd = -1;
    s_loop.ndrains = 0;
    s_loop.listen_tls_fd = -1;
    s_loop.listen_fd = open_listener(addr, bound, sizeof bound);
    if (s_loop.listen_fd < 0)
        return -1;
    if (s_loop.tls_bound[0] &&
        (s_loop.listen_tls_fd =
             open_listener(s_loop.tls_bound, s_loop.tls_bound, sizeof s_loop.tls_bound)) < 0)
        return -1;
    s_loop.pfd[0].fd = s_loop.listen_fd;
    s_loop.pfd[1].fd = s_loop.listen_tls_fd;
    s_loop.pfd[0].events = s_loop.pfd[1].events = POLLIN;
    s_loop.npfd = LISTENERS;
    if (on_listening)
        on_listening(bound);

    uint32_t timeout = 0;
    while (!*stop) {
        set_events(&timeout);
        if (s_loop.idle)
            s_loop.idle();
        int n = s_loop.npfd;
        int ready = cb_sock_poll(s_loop.pfd, (cb_nfds_t)n, (int)timeout);
        if (ready < 0 && cb_sock_errno != EINTR) {
            cb_port_log(CB_LOG_ERROR, "loop: poll failed (errno %d)", cb_sock_errno);
            break;
        }
        /* From the end: an entry that leaves takes the last one's place, which
         * was seen already; sockets accepted this turn join behind n. */
        for (int i = n - 1; i >= 0; i--) {
            short re = ready > 0 ? s_loop.pfd[i].revents : 0;
            if (i < LISTENERS) {
                if (re)
                    accept_new(s_loop.pfd[i].fd);
                continue;
            }
            int o = s_loop.owner[i];
            if (o >= SLOTS) {
                if (re)
                    read_drain(&s_loop.drains[o - SLOTS]);
                continue;
            }
            slot_t *s = &s_loop.slots[o];
            if (re & (POLLIN | POLLHUP | POLLERR) ||
                (re & POLLOUT && cb_conn_wants_write(s->tls)) ||
                (s_loop.pfd[i].events & POLLIN && cb_conn_pending(s->tls)))
                read_slot(s);
        }
        /* one flush for every request of this turn, then the answers go out */
        write_all();
        timeout = cb_server_tick();
        write_all();
        expire(cb_port_now_ms());
        if (timeout > POLL_MAX_MS)
            timeout = POLL_MAX_MS;
    }
    cb_server_stop();
    for (int i = 0; i < SLOTS; i++)
        if (s_loop.slots[i].fd >= 0)
            slot_close(&s_loop.slots[i]);
    for (int i = 0; i < DRAINS; i++)
        if (s_loop.drains[i].fd >= 0)
            drain_close(&s_loop.drains[i]);
    cb_sock_close(s_loop.listen_fd);
    if (s_loop.listen_tls_fd >= 0)
        cb_sock_close(s_loop.listen_tls_fd);
    return 0;
}
