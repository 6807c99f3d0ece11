/* bench_core.c - cost per event of the core without sockets: N pre-built,
 * signed webhook requests (V1 / V3 mixed, shaped as instaleap-send --load
 * builds them) through cb_server_conn_feed / cb_server_commit /
 * cb_server_conn_output on the fake port and fake store. run.sh runs it under
 * callgrind with --toggle-collect=bench_batch and divides by N. As the
 * benchmark's chatbell (no --signal-log), the fake port keeps no signal log,
 * unless BENCH_SIGNAL_LOG=1 is in the environment. */
#define _GNU_SOURCE /* memmem */
#include "cb_err.h"
#include "cb_server.h"
#include "cb_settings.h"
#include "fake_port.h"
#include "fake_store.h"
#include "send_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_MAX        20000
#define BATCH_MAX    64
#define REQ_MAX      1024
#define WARMUP       256
#define SECRET       "chatbell-demo-secret"
#define DEFAULT_TEXT "Hola, soy José, tu shopper. ¿Prefieres leche deslactosada o entera?"

static struct {
    cb_settings_t settings;
    char req[N_MAX + WARMUP][REQ_MAX];
    size_t len[N_MAX + WARMUP];
    int conn[BATCH_MAX];
    unsigned accepted, other;
} s_bench;

static void die(const char *why)
{
    fprintf(stderr, "bench_core: %s\n", why);
    exit(1);
}

/* 2026-11-28T12:00:00.000Z (the fake wall clock) minus back ms, as ISO. */
static void iso_before_noon(unsigned back, char out[32])
{
    unsigned ms_of_day = 12u * 3600u * 1000u - back;
    snprintf(out, 32, "2026-11-28T%02u:%02u:%02u.%03uZ", ms_of_day / 3600000u,
             ms_of_day / 60000u % 60u, ms_of_day / 1000u % 60u, ms_of_day % 1000u);
}

/* Request i: job JOB-1-<i+1>, created_at one ms apart ending at the fake
 * "now", signed with the scheme sigs[i % nsig]. */
static void build(size_t i, size_t total, const send_sig_t *sigs, size_t nsig, const char *text)
{
    char job[32], created[32], body[512], value[192];
    snprintf(job, sizeof job, "JOB-1-%zu", i + 1);
    iso_before_noon((unsigned)(total - i), created);
    cb_event_t ev = {.client_id = cb_span_str("acme"),
                     .created_at = cb_span_str(created),
                     .sender = cb_span_str("SH"),
                     .job_id = cb_span_str(job),
                     .text = cb_span_str(text)};
    int blen = send_sign_body(&ev, body, sizeof body);
    const char *name;
    if (blen < 0 || send_sign_header(&ev, sigs[i % nsig], cb_span_str(SECRET), CB_SPAN_NONE, &name,
                                     value, sizeof value) < 0)
        die("cannot build a request");
    int n = snprintf(s_bench.req[i], REQ_MAX,
                     "POST /webhooks/instaleap/chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n%s: %s\r\n\r\n%s",
                     blen, name, value, body);
    if (n < 0 || n >= REQ_MAX)
        die("request too long");
    s_bench.len[i] = (size_t)n;
}

/* One loop turn as cb_loop.c does it: each of b connections gets its
 * request, one group commit, then each response is taken and "sent". */
static void turn(size_t first, size_t b)
{
    for (size_t k = 0; k < b; k++) {
        size_t used = cb_server_conn_feed(s_bench.conn[k], (const uint8_t *)s_bench.req[first + k],
                                          s_bench.len[first + k]);
        if (used != s_bench.len[first + k])
            die("a request was not taken whole");
    }
    cb_server_commit();
    for (size_t k = 0; k < b; k++) {
        const uint8_t *out;
        size_t n = cb_server_conn_output(s_bench.conn[k], &out);
        /* the bytes stay in the connection's buffer until its next request */
        if (n > 12 && memcmp(out, "HTTP/1.1 200", 12) == 0 &&
            memmem(out, n, "\"accepted\"", 10) != NULL)
            s_bench.accepted++;
        else
            s_bench.other++;
        cb_server_conn_sent(s_bench.conn[k], n);
    }
}

/* What callgrind collects (--toggle-collect=bench_batch); the warm-up and
 * the building of requests go through turn() directly and are not counted. */
__attribute__((noinline)) void bench_batch(size_t first, size_t b);
__attribute__((noinline)) void bench_batch(size_t first, size_t b)
{
    turn(first, b);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 2000;
    const char *mix = argc > 2 ? argv[2] : "v1,v3";
    size_t batch = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 1;
    const char *text = argc > 4 ? argv[4] : DEFAULT_TEXT;
    if (n == 0 || n > N_MAX || batch == 0 || batch > BATCH_MAX) {
        fprintf(stderr,
                "usage: bench_core [N (1..%d)] [v1|v3|v3-bare,...] [BATCH (1..%d)] "
                "[TEXT]\n",
                N_MAX, BATCH_MAX);
        return 2;
    }
    send_sig_t sigs[8];
    size_t nsig = 0;
    char names[64];
    snprintf(names, sizeof names, "%s", mix);
    for (char *tok = strtok(names, ","); tok && nsig < 8; tok = strtok(NULL, ","))
        if (send_sig_from_name(tok, &sigs[nsig++]) != CB_OK)
            die("unknown signature scheme");
    if (nsig == 0)
        die("no signature scheme");

    size_t total = n + WARMUP;
    for (size_t i = 0; i < total; i++)
        build(i, total, sigs, nsig, text);

    fake_port_reset();
    fake_port.signal_log_off =
        !(getenv("BENCH_SIGNAL_LOG") && strcmp(getenv("BENCH_SIGNAL_LOG"), "1") == 0);
    fake_store_reset();
    cb_settings_defaults(&s_bench.settings);
    s_bench.settings.reminder_s = 0;
    s_bench.settings.journal_budget = 64u * 1024u * 1024u; /* no compaction in the run */
    if (cb_server_start(&s_bench.settings) != CB_OK)
        die("cb_server_start failed");
    for (size_t k = 0; k < batch; k++)
        if ((s_bench.conn[k] = cb_server_conn_open("127.0.0.1")) < 0)
            die("cannot open a connection");

    size_t i = 0;
    while (i < WARMUP) {
        size_t b = WARMUP - i < batch ? WARMUP - i : batch;
        turn(i, b);
        i += b;
    }
    unsigned warm_ok = s_bench.accepted;
    s_bench.accepted = s_bench.other = 0;
    while (i < total) {
        size_t b = total - i < batch ? total - i : batch;
        fake_port.nsignals = 0; /* keep the fake capturing signal lines (BENCH_SIGNAL_LOG=1) */
        bench_batch(i, b);
        i += b;
    }
    printf("bench_core: %zu events (%s), batch %zu: %u accepted, %u other "
           "(warm-up %u/%d accepted), %u journal syncs\n",
           n, mix, batch, s_bench.accepted, s_bench.other, warm_ok, WARMUP, fake_store.syncs);
    cb_server_stop();
    return s_bench.accepted == n && warm_ok == WARMUP ? 0 : 1;
}
