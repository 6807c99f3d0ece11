/* send_http.c - instaleap-send's HTTP/1.1 client pieces (send_http.h): URL,
 * buffers, request building, the response parser and the blocking exchange
 * used by the single-event, dynamic-token and replay modes. */
#include "send_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- buffer ---- */

void send_buf_reserve(send_buf_t *b, size_t more)
{
    if (more <= b->cap - b->len)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > ((size_t)-1) / 2) {
            fprintf(stderr, "instaleap-send: out of memory\n");
            exit(2);
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "instaleap-send: out of memory (%zu bytes)\n", cap);
        exit(2);
    }
    b->p = p;
    b->cap = cap;
}

void send_buf_add(send_buf_t *b, const void *s, size_t n)
{
    send_buf_reserve(b, n + 1);
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void send_buf_adds(send_buf_t *b, const char *s)
{
    send_buf_add(b, s, strlen(s));
}

void send_buf_printf(send_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    send_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void send_buf_free(send_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- URL ---- */

int send_url_parse(const char *url, const char *default_path, send_url_t *u, char *err,
                   size_t errcap)
{
    memset(u, 0, sizeof *u);
    u->tls = strncasecmp(url, "https://", 8) == 0;
    if (!u->tls && strncasecmp(url, "http://", 7) != 0) {
        snprintf(err, errcap, "URL must start with http:// or https:// (got \"%s\")", url);
        return -1;
    }
    const char *h = url + (u->tls ? 8 : 7);
    const char *slash = strchr(h, '/');
    const char *q = strchr(h, '?');
    if (q && (!slash || q < slash))
        slash = q;
    size_t alen = slash ? (size_t)(slash - h) : strlen(h);
    const char *hend, *colon = NULL;
    if (alen && h[0] == '[') {
        const char *rb = memchr(h, ']', alen);
        if (!rb) {
            snprintf(err, errcap, "bad IPv6 literal in URL \"%s\"", url);
            return -1;
        }
        if ((size_t)(rb - h) - 1 >= sizeof u->host) {
            snprintf(err, errcap, "host too long in URL");
            return -1;
        }
        memcpy(u->host, h + 1, (size_t)(rb - h) - 1);
        hend = rb + 1;
        if (hend < h + alen && *hend == ':')
            colon = hend;
        else if (hend != h + alen) {
            snprintf(err, errcap, "bad URL \"%s\"", url);
            return -1;
        }
    } else {
        colon = memchr(h, ':', alen);
        size_t hl = colon ? (size_t)(colon - h) : alen;
        if (hl >= sizeof u->host) {
            snprintf(err, errcap, "host too long in URL");
            return -1;
        }
        memcpy(u->host, h, hl);
    }
    if (u->host[0] == '\0' || strchr(u->host, '@')) {
        snprintf(err, errcap, "no usable host in URL \"%s\"", url);
        return -1;
    }
    unsigned long port = u->tls ? 443 : 80;
    if (colon) {
        const char *ps = colon + 1, *pe = h + alen;
        char *end = NULL;
        if (ps == pe || pe - ps > 5) {
            snprintf(err, errcap, "bad port in URL \"%s\"", url);
            return -1;
        }
        char tmp[8] = {0};
        memcpy(tmp, ps, (size_t)(pe - ps));
        port = strtoul(tmp, &end, 10);
        if (*end || port == 0 || port > 65535) {
            snprintf(err, errcap, "bad port in URL \"%s\"", url);
            return -1;
        }
    }
    snprintf(u->port, sizeof u->port, "%lu", port);
    const char *path = slash ? slash : "";
    if (*path == '?' || *path == '\0') {
        if (strlen(default_path) + strlen(path) >= sizeof u->path) {
            snprintf(err, errcap, "path too long in URL");
            return -1;
        }
        snprintf(u->path, sizeof u->path, "%s%s", default_path, path);
    } else {
        if (strlen(path) >= sizeof u->path) {
            snprintf(err, errcap, "path too long in URL");
            return -1;
        }
        snprintf(u->path, sizeof u->path, "%s", path);
    }
    bool v6 = strchr(u->host, ':') != NULL;
    if (port == (u->tls ? 443u : 80u))
        snprintf(u->hostport, sizeof u->hostport, v6 ? "[%s]" : "%s", u->host);
    else
        snprintf(u->hostport, sizeof u->hostport, v6 ? "[%s]:%lu" : "%s:%lu", u->host, port);
    return 0;
}

/* ---- connecting ---- */

static int set_nonblock(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

int send_tcp_connect(const send_url_t *u, int timeout_ms, bool nonblock, char *err, size_t errcap)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(u->host, u->port, &hints, &res);
    if (gai != 0) {
        snprintf(err, errcap, "cannot resolve %s (%s)", u->host, gai_strerror(gai));
        return -1;
    }
    int last = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        set_nonblock(fd, true);
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno == EINPROGRESS) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            int pr = poll(&pfd, 1, timeout_ms);
            if (pr == 0) {
                last = ETIMEDOUT;
                close(fd);
                continue;
            }
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                soerr = errno;
            rc = soerr ? -1 : 0;
            errno = soerr;
        }
        if (rc < 0) {
            last = errno;
            close(fd);
            continue;
        }
        if (!nonblock)
            set_nonblock(fd, false);
        freeaddrinfo(res);
        return fd;
    }
    freeaddrinfo(res);
    snprintf(err, errcap, "cannot connect to %s:%s (%s)", u->host, u->port, strerror(last));
    return -1;
}

/* ---- requests ---- */

static bool line_names(const char *line, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

bool send_extra_has(const send_extra_t *x, const char *name)
{
    for (size_t i = 0; x && i < x->nheaders; i++)
        if (line_names(x->headers[i], name))
            return true;
    return false;
}

void send_request_build(send_buf_t *b, const char *method, const send_url_t *u, const char *ctype,
                        const char *const *hdr_pairs, size_t npairs, const send_extra_t *x,
                        const char *body, size_t body_len)
{
    send_buf_printf(b, "%s %s HTTP/1.1\r\n", method, u->path);
    if (!send_extra_has(x, "Host"))
        send_buf_printf(b, "Host: %s\r\n", u->hostport);
    if (ctype && !send_extra_has(x, "Content-Type"))
        send_buf_printf(b, "Content-Type: %s\r\n", ctype);
    if (!send_extra_has(x, "Content-Length"))
        send_buf_printf(b, "Content-Length: %zu\r\n", body_len);
    for (size_t i = 0; i < npairs; i++) {
        const char *name = hdr_pairs[2 * i], *val = hdr_pairs[2 * i + 1];
        if (name && !send_extra_has(x, name))
            send_buf_printf(b, "%s: %s\r\n", name, val);
    }
    for (size_t i = 0; x && i < x->nheaders; i++)
        send_buf_printf(b, "%s\r\n", x->headers[i]);
    send_buf_add(b, "\r\n", 2);
    send_buf_add(b, body, body_len);
}

/* ---- responses ---- */

static bool name_is(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

/* True if the comma-separated value holds the token (case-insensitive). */
static bool has_token(const char *p, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ','))
            i++;
        size_t s = i;
        while (i < n && p[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(p + s, tok, tl) == 0)
            return true;
    }
    return false;
}

/* Length of one line starting at p (up to end) without its CR LF / LF, and
 * where the next line starts; NULL when no LF yet. */
static const char *next_line(const char *p, const char *end, size_t *ll)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    size_t n = (size_t)(nl - p);
    if (n && p[n - 1] == '\r')
        n--;
    *ll = n;
    return nl + 1;
}

/* Hex chunk size at the start of a line; -1 when none or too big. */
static long chunk_size(const char *p, size_t n)
{
    long v = 0;
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t s = i;
    for (; i < n; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            break;
        v = v * 16 + d;
        if (v > SEND_RESP_BODY_MAX)
            return -1;
    }
    if (i == s || (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t'))
        return -1;
    return v;
}

/* Walks a chunked body; returns 1 with *raw (bytes incl. framing), 0 when
 * incomplete, -1 when malformed. out (may be NULL, may alias p) gets the data. */
static int walk_chunks(const char *p, size_t len, size_t *raw, char *out, size_t *out_len)
{
    const char *q = p, *end = p + len;
    size_t total = 0;
    for (;;) {
        size_t ll;
        const char *nx = next_line(q, end, &ll);
        if (!nx)
            return len - (size_t)(q - p) > 1024 ? -1 : 0;
        long sz = chunk_size(q, ll);
        if (sz < 0)
            return -1;
        q = nx;
        if (sz == 0) {
            for (;;) { /* trailers up to an empty line */
                nx = next_line(q, end, &ll);
                if (!nx)
                    return (size_t)(end - q) > SEND_RESP_HEAD_MAX ? -1 : 0;
                q = nx;
                if (ll == 0)
                    break;
            }
            *raw = (size_t)(q - p);
            if (out_len)
                *out_len = total;
            return 1;
        }
        if (total + (size_t)sz > SEND_RESP_BODY_MAX)
            return -1;
        if ((size_t)(end - q) < (size_t)sz)
            return 0;
        if (out)
            memmove(out + total, q, (size_t)sz);
        total += (size_t)sz;
        q += sz;
        if (q < end && *q == '\r')
            q++;
        if (q >= end)
            return 0;
        if (*q != '\n')
            return -1;
        q++;
    }
}

int send_resp_parse(const char *buf, size_t len, send_resp_t *r)
{
    const char *end = buf + len, *line = buf, *nx;
    size_t ll;
    long long clen = -1;

    memset(r, 0, sizeof *r);
    nx = next_line(line, end, &ll);
    if (!nx)
        return len > SEND_RESP_HEAD_MAX ? -1 : 0;
    /* "HTTP/1.1 200 OK": version, space(s), three digits */
    if (ll < 12 || memcmp(line, "HTTP/", 5) != 0)
        return -1;
    const char *sp = memchr(line, ' ', ll);
    if (!sp)
        return -1;
    while (sp < line + ll && *sp == ' ')
        sp++;
    if (line + ll - sp < 3 || sp[0] < '1' || sp[0] > '9' || sp[1] < '0' || sp[1] > '9' ||
        sp[2] < '0' || sp[2] > '9' || (line + ll - sp > 3 && sp[3] != ' '))
        return -1;
    r->status = (sp[0] - '0') * 100 + (sp[1] - '0') * 10 + (sp[2] - '0');
    bool http10 = memcmp(line, "HTTP/1.0", 8) == 0;
    bool keep_alive = false;
    r->close = http10;

    for (line = nx;; line = nx) {
        if ((size_t)(line - buf) > SEND_RESP_HEAD_MAX)
            return -1;
        nx = next_line(line, end, &ll);
        if (!nx)
            return len > SEND_RESP_HEAD_MAX ? -1 : 0;
        if (ll == 0)
            break;
        const char *colon = memchr(line, ':', ll);
        if (!colon)
            continue;
        size_t nl = (size_t)(colon - line);
        const char *v = colon + 1, *ve = line + ll;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t vl = (size_t)(ve - v);
        if (name_is(line, nl, "content-length")) {
            long long n = 0;
            if (vl == 0)
                return -1;
            for (size_t i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return -1;
                n = n * 10 + (v[i] - '0');
                if (n > SEND_RESP_BODY_MAX)
                    return -1;
            }
            clen = n;
        } else if (name_is(line, nl, "transfer-encoding")) {
            r->chunked = has_token(v, vl, "chunked");
        } else if (name_is(line, nl, "connection")) {
            if (has_token(v, vl, "close"))
                r->close = true;
            if (has_token(v, vl, "keep-alive"))
                keep_alive = true;
        }
    }
    if (http10 && keep_alive)
        r->close = false;
    r->head_len = (size_t)(nx - buf);

    if (r->status < 200 || r->status == 204 || r->status == 304) {
        r->body_len = 0;
    } else if (r->chunked) {
        int c = walk_chunks(nx, (size_t)(end - nx), &r->body_len, NULL, NULL);
        if (c <= 0)
            return c;
    } else if (clen >= 0) {
        if ((size_t)(end - nx) < (size_t)clen)
            return 0;
        r->body_len = (size_t)clen;
    } else {
        r->until_close = true;
        r->close = true;
        return 2;
    }
    r->total = r->head_len + r->body_len;
    return 1;
}

long send_resp_dechunk(const char *in, size_t len, char *out)
{
    size_t raw, n;
    if (walk_chunks(in, len, &raw, out, &n) != 1)
        return -1;
    return (long)n;
}

/* ---- one blocking exchange ---- */

void send_conn_init(send_conn_t *c, const send_url_t *u, int timeout_ms, bool verbose)
{
    memset(c, 0, sizeof *c);
    c->url = *u;
    c->fd = -1;
    c->timeout_ms = timeout_ms;
    c->verbose = verbose;
}

void send_conn_close(send_conn_t *c)
{
    send_tls_close(c->tls);
    c->tls = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->reused = false;
    c->rx.len = 0;
}

static int write_all(send_conn_t *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = c->tls ? send_tls_write(c->tls, p, n) : send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

enum { EX_OK = 0, EX_FAIL = -1, EX_RETRY = -2 };

static int read_answer(send_conn_t *c, bool was_reused, send_answer_t *a, char *err, size_t errcap)
{
    send_resp_t r;
    bool eof = false;
    for (;;) {
        int pr = c->rx.len ? send_resp_parse(c->rx.p, c->rx.len, &r) : 0;
        if (pr < 0) {
            snprintf(err, errcap, "malformed HTTP response from %s:%s", c->url.host, c->url.port);
            return EX_FAIL;
        }
        if (pr == 1 && r.status < 200) { /* 100 Continue and friends */
            memmove(c->rx.p, c->rx.p + r.total, c->rx.len - r.total);
            c->rx.len -= r.total;
            continue;
        }
        if (pr == 1 || (pr == 2 && eof)) {
            size_t blen = pr == 1 ? r.body_len : c->rx.len - r.head_len;
            if (blen > SEND_RESP_BODY_MAX) {
                snprintf(err, errcap, "response body over %d bytes", SEND_RESP_BODY_MAX);
                return EX_FAIL;
            }
            a->status = r.status;
            a->body.len = 0;
            send_buf_add(&a->body, c->rx.p + r.head_len, blen);
            if (r.chunked) {
                long n = send_resp_dechunk(a->body.p, a->body.len, a->body.p);
                a->body.len = n < 0 ? 0 : (size_t)n;
                a->body.p[a->body.len] = '\0';
            }
            if (pr == 2 || r.close) {
                send_conn_close(c);
            } else {
                memmove(c->rx.p, c->rx.p + r.total, c->rx.len - r.total);
                c->rx.len -= r.total;
            }
            return EX_OK;
        }
        if (eof) {
            if (c->rx.len == 0 && was_reused)
                return EX_RETRY;
            snprintf(err, errcap, "connection to %s:%s closed before a complete response",
                     c->url.host, c->url.port);
            return EX_FAIL;
        }
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int n = c->tls && send_tls_pending(c->tls) ? 1 : poll(&pfd, 1, c->timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            snprintf(err, errcap, "no response from %s:%s within %d ms", c->url.host, c->url.port,
                     c->timeout_ms);
            return EX_FAIL;
        }
        char tmp[16384];
        ssize_t got =
            c->tls ? send_tls_read(c->tls, tmp, sizeof tmp) : recv(c->fd, tmp, sizeof tmp, 0);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (c->rx.len == 0 && was_reused && errno == ECONNRESET)
                return EX_RETRY;
            snprintf(err, errcap, "connection to %s:%s failed (%s)", c->url.host, c->url.port,
                     strerror(errno));
            return EX_FAIL;
        }
        if (got == 0)
            eof = true;
        else if (c->rx.len + (size_t)got > SEND_RESP_HEAD_MAX + SEND_RESP_BODY_MAX + 65536) {
            snprintf(err, errcap, "response too large");
            return EX_FAIL;
        } else
            send_buf_add(&c->rx, tmp, (size_t)got);
    }
}

int send_conn_exchange(send_conn_t *c, const char *req, size_t req_len, send_answer_t *a, char *err,
                       size_t errcap)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0) {
            c->fd = send_tcp_connect(&c->url, c->timeout_ms, false, err, errcap);
            if (c->fd < 0)
                return -1;
            if (c->url.tls &&
                !(c->tls = send_tls_open(c->fd, c->url.host, c->timeout_ms, err, errcap))) {
                send_conn_close(c);
                return -1;
            }
            c->reused = false;
        }
        bool was_reused = c->reused;
        c->reused = true;
        c->rx.len = 0; /* anything unsolicited from before is not this answer */
        if (c->verbose) {
            fwrite(req, 1, req_len, stderr);
            fputs("\n", stderr);
        }
        if (write_all(c, req, req_len) < 0) {
            int e = errno;
            send_conn_close(c);
            if (was_reused && (e == EPIPE || e == ECONNRESET))
                continue;
            snprintf(err, errcap, "sending to %s:%s failed (%s)", c->url.host, c->url.port,
                     strerror(e));
            return -1;
        }
        int rc = read_answer(c, was_reused, a, err, errcap);
        if (rc == EX_OK)
            return 0;
        send_conn_close(c);
        if (rc == EX_FAIL)
            return -1;
    }
    snprintf(err, errcap, "connection to %s:%s keeps closing", c->url.host, c->url.port);
    return -1;
}
