/* send_load.c - the benchmark client behind --load (send_load.h): requests
 * are already built and signed in one buffer; each connection takes the next
 * contiguous range of them and writes it with one writev, so a pipelined batch
 * costs one syscall; responses are parsed in place with send_resp_parse.
 * Over https:// each connection is a send_tls session on a blocking socket
 * (handshake when it opens; records are written whole and read as epoll
 * announces them), so TLS's reads and writes wait for their record. */
#include "send_load.h"
#include "send_tls.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define RX_CAP        (64 * 1024)
#define CONNECT_TRIES 3
#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

typedef struct {
    int fd;          /* -1: dead */
    send_tls_t *tls; /* https://: the session over fd */
    bool want_out;
    unsigned fails;    /* connects failed in a row */
    struct iovec *iov; /* unsent ranges: iov[iov_head .. iov_head + iov_n) */
    unsigned iov_head, iov_n;
    uint32_t *fifo; /* requests in flight, oldest first (ring of pipeline) */
    unsigned f_head, f_n;
    char *rx;
    size_t rx_len;
} lconn_t;

static struct {
    const send_load_cfg_t *cfg;
    send_load_result_t *res;
    lconn_t *c;
    int ep;
    size_t next;      /* first request not yet given to a connection */
    uint64_t *t_send; /* per request: monotonic ns when written */
    uint64_t *lat;    /* per response: latency ns */
    unsigned alive;
} s_load;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p) {
        fprintf(stderr, "instaleap-send: out of memory\n");
        exit(2);
    }
    return p;
}

static void set_out(lconn_t *c, bool on)
{
    if (c->want_out == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u),
                             .data.u32 = (uint32_t)(c - s_load.c)};
    epoll_ctl(s_load.ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

static void close_conn(lconn_t *c)
{
    send_tls_close(c->tls);
    c->tls = NULL;
    close(c->fd);
    c->fd = -1;
}

/* Opens the connection; with want_out it is filled on its first EPOLLOUT
 * (a reconnect must not fill from inside drop(), which flush() calls). */
static int open_conn(lconn_t *c, bool want_out, char *err, size_t errcap)
{
    const send_url_t *u = s_load.cfg->url;
    c->fd = send_tcp_connect(u, s_load.cfg->timeout_ms, !u->tls, err, errcap);
    if (c->fd < 0)
        return -1;
    if (u->tls && !(c->tls = send_tls_open(c->fd, u->host, s_load.cfg->timeout_ms, err, errcap))) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0u),
                             .data.u32 = (uint32_t)(c - s_load.c)};
    if (epoll_ctl(s_load.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        snprintf(err, errcap, "epoll_ctl: %s", strerror(errno));
        close_conn(c);
        return -1;
    }
    c->want_out = want_out;
    return 0;
}

static void flush(lconn_t *c);

/* Gives the connection the next requests up to its pipeline depth. */
static void fill(lconn_t *c, uint64_t now)
{
    const send_load_cfg_t *cfg = s_load.cfg;
    size_t k = cfg->pipeline - c->f_n;
    if (k > cfg->n - s_load.next)
        k = cfg->n - s_load.next;
    if (k == 0 || c->fd < 0)
        return;
    size_t first = s_load.next;
    s_load.next += k;
    for (size_t i = 0; i < k; i++) {
        s_load.t_send[first + i] = now;
        c->fifo[(c->f_head + c->f_n) % cfg->pipeline] = (uint32_t)(first + i);
        c->f_n++;
    }
    if (c->iov_head + c->iov_n == cfg->pipeline) {
        memmove(c->iov, c->iov + c->iov_head, c->iov_n * sizeof *c->iov);
        c->iov_head = 0;
    }
    struct iovec *v = &c->iov[c->iov_head + c->iov_n++];
    v->iov_base = (void *)(cfg->buf + cfg->off[first]);
    v->iov_len = cfg->off[first + k] - cfg->off[first];
    flush(c);
}

/* The connection failed or closed: what it had in flight is lost; open a new
 * one while requests remain (a few failed connects in a row retire it). */
static void drop(lconn_t *c)
{
    char err[256];
    if (c->fd >= 0)
        close_conn(c);
    s_load.res->errors += c->f_n;
    c->f_n = c->f_head = 0;
    c->iov_n = c->iov_head = 0;
    c->rx_len = 0;
    while (s_load.next < s_load.cfg->n && c->fails < CONNECT_TRIES) {
        if (open_conn(c, true, err, sizeof err) == 0)
            return;
        c->fails++;
        fprintf(stderr, "instaleap-send: %s\n", err);
    }
    s_load.alive--;
}

static void flush(lconn_t *c)
{
    while (c->iov_n) {
        int cnt = c->iov_n > IOV_MAX ? IOV_MAX : (int)c->iov_n;
        ssize_t w = c->tls ? send_tls_write(c->tls, c->iov[c->iov_head].iov_base,
                                            c->iov[c->iov_head].iov_len)
                           : writev(c->fd, c->iov + c->iov_head, cnt);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_out(c, true);
                return;
            }
            drop(c);
            return;
        }
        size_t left = (size_t)w;
        while (left && c->iov_n) {
            struct iovec *v = &c->iov[c->iov_head];
            if (left >= v->iov_len) {
                left -= v->iov_len;
                c->iov_head++;
                c->iov_n--;
            } else {
                v->iov_base = (char *)v->iov_base + left;
                v->iov_len -= left;
                left = 0;
            }
        }
    }
    c->iov_head = 0;
    set_out(c, false);
}

static void count(lconn_t *c, int status, uint64_t now)
{
    uint32_t idx = c->fifo[c->f_head];
    c->f_head = (c->f_head + 1) % s_load.cfg->pipeline;
    c->f_n--;
    send_load_result_t *r = s_load.res;
    s_load.lat[r->done++] = now - s_load.t_send[idx];
    r->status[status]++;
    if (status >= 200 && status < 300)
        r->ok2xx++;
    c->fails = 0;
}

/* Like recv: a count, 0 at the end, -1 with errno. Over TLS also what the
 * session decrypted past the first record (epoll cannot announce it). */
static ssize_t conn_recv(lconn_t *c)
{
    if (!c->tls)
        return recv(c->fd, c->rx + c->rx_len, RX_CAP - c->rx_len, 0);
    ssize_t got = send_tls_read(c->tls, c->rx + c->rx_len, RX_CAP - c->rx_len);
    while (got > 0 && (size_t)got < RX_CAP - c->rx_len && send_tls_pending(c->tls)) {
        size_t at = c->rx_len + (size_t)got;
        long more = send_tls_read(c->tls, c->rx + at, RX_CAP - at);
        if (more <= 0)
            break;
        got += more;
    }
    return got;
}

static void on_readable(lconn_t *c)
{
    ssize_t got = conn_recv(c);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    uint64_t now = mono_ns();
    send_resp_t r;
    if (got <= 0) {
        /* a response without a length ends at EOF */
        if (got == 0 && c->f_n && send_resp_parse(c->rx, c->rx_len, &r) == 2)
            count(c, r.status, now);
        drop(c);
        return;
    }
    c->rx_len += (size_t)got;
    size_t pos = 0;
    bool close_after = false;
    for (;;) {
        int pr = send_resp_parse(c->rx + pos, c->rx_len - pos, &r);
        if (pr == 0 || pr == 2)
            break;
        if (pr < 0 || c->f_n == 0) { /* garbage or an answer to nothing */
            drop(c);
            return;
        }
        pos += r.total;
        if (r.status < 200)
            continue;
        count(c, r.status, now);
        if (r.close) {
            close_after = true;
            break;
        }
    }
    if (close_after) {
        drop(c);
        return;
    }
    if (pos) {
        memmove(c->rx, c->rx + pos, c->rx_len - pos);
        c->rx_len -= pos;
    }
    if (c->rx_len == RX_CAP) { /* one response bigger than the buffer */
        drop(c);
        return;
    }
    fill(c, now);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const uint64_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(q * (double)n + 0.999999);
    if (i == 0)
        i = 1;
    if (i > n)
        i = n;
    return (double)v[i - 1] / 1e6;
}

int send_load_run(const send_load_cfg_t *cfg, send_load_result_t *res, char *err, size_t errcap)
{
    memset(res, 0, sizeof *res);
    memset(&s_load, 0, sizeof s_load);
    s_load.cfg = cfg;
    s_load.res = res;
    s_load.ep = epoll_create1(EPOLL_CLOEXEC);
    if (s_load.ep < 0) {
        snprintf(err, errcap, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    s_load.c = xcalloc(cfg->conns, sizeof *s_load.c);
    s_load.t_send = xcalloc(cfg->n, sizeof *s_load.t_send);
    s_load.lat = xcalloc(cfg->n, sizeof *s_load.lat);

    /* every connection is opened before the clock starts */
    char cerr[256] = "";
    for (unsigned i = 0; i < cfg->conns; i++) {
        lconn_t *c = &s_load.c[i];
        c->iov = xcalloc(cfg->pipeline, sizeof *c->iov);
        c->fifo = xcalloc(cfg->pipeline, sizeof *c->fifo);
        c->rx = xcalloc(RX_CAP, 1);
        if (open_conn(c, false, cerr, sizeof cerr) == 0)
            s_load.alive++;
    }
    int ret = 0;
    if (s_load.alive == 0) {
        snprintf(err, errcap, "%s", cerr);
        ret = -1;
        goto cleanup;
    }
    if (s_load.alive < cfg->conns)
        fprintf(stderr, "instaleap-send: only %u of %u connections opened (%s)\n", s_load.alive,
                cfg->conns, cerr);

    double cpu0 = cpu_s();
    uint64_t t0 = mono_ns(), t_end = t0;
    for (unsigned i = 0; i < cfg->conns; i++)
        fill(&s_load.c[i], t0);

    struct epoll_event evs[256];
    while (res->done + res->errors < cfg->n) {
        if (s_load.alive == 0) {
            res->errors += cfg->n - s_load.next;
            s_load.next = cfg->n;
            break;
        }
        int nev = epoll_wait(s_load.ep, evs, 256, cfg->timeout_ms);
        if (nev < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errcap, "epoll_wait: %s", strerror(errno));
            break;
        }
        if (nev == 0) {
            fprintf(stderr, "instaleap-send: nothing received for %d ms, giving up\n",
                    cfg->timeout_ms);
            for (unsigned i = 0; i < cfg->conns; i++) {
                res->errors += s_load.c[i].f_n;
                s_load.c[i].f_n = 0;
            }
            res->errors += cfg->n - s_load.next;
            break;
        }
        for (int e = 0; e < nev; e++) {
            lconn_t *c = &s_load.c[evs[e].data.u32];
            if (c->fd < 0)
                continue;
            if (evs[e].events & EPOLLOUT) {
                if (c->iov_n) {
                    flush(c);
                } else {
                    set_out(c, false);
                    if (c->f_n == 0) /* reconnected: start it */
                        fill(c, mono_ns());
                }
            }
            if (c->fd >= 0 && (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                on_readable(c);
        }
        t_end = mono_ns();
    }
    res->seconds = (double)(t_end - t0) / 1e9;
    res->cpu_seconds = cpu_s() - cpu0;
    qsort(s_load.lat, res->done, sizeof *s_load.lat, cmp_u64);
    res->p50_ms = pct_ms(s_load.lat, res->done, 0.50);
    res->p90_ms = pct_ms(s_load.lat, res->done, 0.90);
    res->p99_ms = pct_ms(s_load.lat, res->done, 0.99);
    res->max_ms = res->done ? (double)s_load.lat[res->done - 1] / 1e6 : 0;

cleanup:
    for (unsigned i = 0; i < cfg->conns; i++) {
        lconn_t *c = &s_load.c[i];
        if (c->fd >= 0)
            close_conn(c);
        free(c->iov);
        free(c->fifo);
        free(c->rx);
    }
    free(s_load.c);
    free(s_load.t_send);
    free(s_load.lat);
    close(s_load.ep);
    return ret;
}
