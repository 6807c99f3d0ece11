/* send_http.h - instaleap-send's tiny HTTP/1.1 client over plain TCP: URL
 * parsing, a growable byte buffer, request building, a bounded tolerant
 * response parser, and one blocking keep-alive exchange. Used by main.c and
 * send_load.c (which drives its own non-blocking sockets). */
#ifndef SEND_HTTP_H
#define SEND_HTTP_H

#include "send_tls.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- growable buffer (the tool allocates at start, never in the core) ---- */

typedef struct {
    char *p;
    size_t len;
    size_t cap;
} send_buf_t;

/* Makes room for more bytes after len; exits the program when out of memory. */
void send_buf_reserve(send_buf_t *b, size_t more);
/* Appends n bytes (kept NUL-terminated); exits the program with a message when memory runs out. */
void send_buf_add(send_buf_t *b, const void *s, size_t n);
void send_buf_adds(send_buf_t *b, const char *s);
void send_buf_printf(send_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void send_buf_free(send_buf_t *b);

/* ---- URL ---- */

typedef struct {
    char host[256];     /* name or IPv4 literal (IPv6 literal without brackets) */
    char port[8];       /* decimal */
    char path[2048];    /* "/..." with query */
    char hostport[300]; /* the Host header value */
    bool tls;           /* https:// */
} send_url_t;

/* Parses http[s]://host[:port][/path]; an empty path becomes default_path.
 * Returns 0, or -1 with a sentence in err. */
int send_url_parse(const char *url, const char *default_path, send_url_t *u, char *err,
                   size_t errcap);

/* ---- connecting ---- */

/* Resolves and connects (TCP_NODELAY set), giving up after timeout_ms.
 * Returns a blocking fd, or -1 with "cannot connect to host:port (reason)". */
int send_tcp_connect(const send_url_t *u, int timeout_ms, bool nonblock, char *err, size_t errcap);

/* ---- requests ---- */

typedef struct {
    const char *const *headers; /* extra "Name: value" lines (no CRLF) */
    size_t nheaders;
} send_extra_t;

/* True if the extra headers name this header (case-insensitive). */
bool send_extra_has(const send_extra_t *x, const char *name);

/* Appends a whole request: "<method> <path> HTTP/1.1", Host, Content-Type
 * (when ctype), Content-Length, then the given header lines (n pairs of name,
 * value; NULL name skipped), then the extra lines, then the body. A default
 * header that the extra lines also name is left out (they replace it). */
void send_request_build(send_buf_t *b, const char *method, const send_url_t *u, const char *ctype,
                        const char *const *hdr_pairs, size_t npairs, const send_extra_t *x,
                        const char *body, size_t body_len);

/* ---- responses ---- */

#define SEND_RESP_HEAD_MAX (64 * 1024)
#define SEND_RESP_BODY_MAX (4 * 1024 * 1024)

typedef struct {
    int status;       /* 100..999 */
    size_t head_len;  /* status line + headers + blank line */
    size_t body_len;  /* Content-Length, or raw chunked bytes incl. framing */
    size_t total;     /* head_len + body_len: bytes this response takes */
    bool chunked;     /* body is chunked (use send_resp_dechunk) */
    bool close;       /* the server will close after it */
    bool until_close; /* no length: the body runs to the end of the connection */
} send_resp_t;

/* Parses the response at the start of buf. Returns 1 when one is complete
 * (*r filled), 2 when its head is complete but it has no length (until_close:
 * the body is everything up to EOF, the caller reads on), 0 when more bytes
 * are needed, -1 when the bytes are not an HTTP response or go over the
 * limits above. Tolerant: LF-only line ends, any reason phrase, header case,
 * OWS, lines without a colon skipped. */
int send_resp_parse(const char *buf, size_t len, send_resp_t *r);

/* Decodes a chunked body (the body_len raw bytes after the head) into out.
 * Returns the decoded length, or -1 when malformed. out may alias in. */
long send_resp_dechunk(const char *in, size_t len, char *out);

/* ---- one blocking keep-alive exchange ---- */

typedef struct {
    send_url_t url;
    int fd;          /* -1 when not connected */
    send_tls_t *tls; /* its TLS session (https://), else NULL */
    int timeout_ms;
    bool verbose; /* print each request to stderr */
    send_buf_t rx;
    bool reused; /* fd has carried a request before (a stale keep-alive may fail) */
} send_conn_t;

void send_conn_init(send_conn_t *c, const send_url_t *u, int timeout_ms, bool verbose);
void send_conn_close(send_conn_t *c);

typedef struct {
    int status;
    send_buf_t body; /* decoded body (NUL-terminated) */
} send_answer_t;

/* Sends req (a whole request) and reads one final response (1xx skipped),
 * connecting first when needed and once again when a reused keep-alive
 * connection turns out to be closed. Returns 0, or -1 with a sentence in err
 * (connection refused, reset, timed out, closed without an answer,
 * malformed response). */
int send_conn_exchange(send_conn_t *c, const char *req, size_t req_len, send_answer_t *a, char *err,
                       size_t errcap);

#endif
