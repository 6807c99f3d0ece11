/* send_load.h - instaleap-send's load mode: pre-built requests sent over C
 * keep-alive connections with up to D in flight on each, one thread, epoll.
 * Called by main.c for --load. */
#ifndef SEND_LOAD_H
#define SEND_LOAD_H

#include "send_http.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const send_url_t *url;
    const char *buf;   /* every request, back to back */
    const size_t *off; /* n + 1 offsets: request i is buf[off[i] .. off[i+1]) */
    size_t n;
    unsigned conns;    /* >= 1 */
    unsigned pipeline; /* requests in flight per connection, >= 1 */
    int timeout_ms;    /* give up when nothing arrives for this long */
} send_load_cfg_t;

typedef struct {
    size_t done;        /* responses received */
    size_t errors;      /* requests lost to connection failures / timeouts */
    size_t ok2xx;       /* responses with a 2xx status */
    double seconds;     /* from the first send to the last response */
    double cpu_seconds; /* this process's CPU time (user + system) meanwhile */
    double p50_ms, p90_ms, p99_ms, max_ms;
    uint64_t status[1000]; /* responses per status code */
} send_load_result_t;

/* Connects every connection first, then starts the clock and runs until each
 * request has an answer or is lost. Returns 0, or -1 with a sentence in err
 * when no connection could be opened at all. */
int send_load_run(const send_load_cfg_t *cfg, send_load_result_t *res, char *err, size_t errcap);

#endif
