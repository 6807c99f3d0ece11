/* fuzz_tls.c - the server side of a TLS handshake (cb_tls over Mbed TLS) fed
 * the input as what the client sends, from a fixed seed (the fake port's
 * randomness): byte 0 sets the read chunk size, the rest is the client's
 * bytes. Application data that gets through is echoed back. Every session
 * must give back all of its heap. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "cb_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    const uint8_t *in;
    size_t left;
    size_t chunk;
    size_t heap_base;
} s_fz;

static int in_recv(int fd, uint8_t *buf, size_t cap)
{
    (void)fd;
    if (!s_fz.left)
        return CB_TLS_AGAIN;
    size_t n = cap < s_fz.left ? cap : s_fz.left;
    if (s_fz.chunk && n > s_fz.chunk)
        n = s_fz.chunk;
    memcpy(buf, s_fz.in, n);
    s_fz.in += n;
    s_fz.left -= n;
    return (int)n;
}

static int out_send(int fd, const uint8_t *buf, size_t len)
{
    (void)fd;
    (void)buf;
    return (int)len;
}

/* A self-signed ECDSA certificate in a temporary directory, made once. */
static void setup(void)
{
    static const cb_tls_bio_t bio = {in_recv, out_send};
    char dir[] = "/tmp/chatbell-fuzz-tls-XXXXXX", cert[128], key[128], err[512];
    if (!mkdtemp(dir) ||
        cb_tls_self_signed(dir, "127.0.0.1", cert, key, sizeof cert, err, sizeof err) != 0 ||
        cb_tls_setup(cert, key, &bio, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_tls: set-up failed: %s\n", err);
        abort();
    }
    unlink(cert);
    unlink(key);
    rmdir(dir);
    cb_tls_stats_t st;
    cb_tls_stats(&st);
    s_fz.heap_base = st.heap_in_use;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_fz.heap_base)
        setup();
    s_fz.chunk = size ? data[0] : 0;
    s_fz.in = size ? data + 1 : data;
    s_fz.left = size ? size - 1 : 0;
    int t = cb_tls_open(3, 0);
    if (t < 0)
        abort(); /* the one session of the previous run was not freed */
    uint8_t buf[2048];
    for (int turn = 0; turn < 256; turn++) {
        int n = cb_tls_recv(t, buf, sizeof buf);
        if (n == 0 || n == CB_TLS_FAIL || (n == CB_TLS_AGAIN && !s_fz.left))
            break;
        if (n > 0 && cb_tls_send(t, buf, (size_t)n) == CB_TLS_FAIL)
            break;
    }
    cb_tls_notify_close(t);
    cb_tls_close(t);
    cb_tls_stats_t st;
    cb_tls_stats(&st);
    if (st.heap_in_use != s_fz.heap_base)
        abort(); /* a session kept heap after it was freed */
    return 0;
}
