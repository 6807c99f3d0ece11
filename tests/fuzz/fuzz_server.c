/* fuzz_server.c - the whole core fed through in-memory connections: the
 * input is split into chunks dealt to two connections, with commits, sends
 * and clock ticks in between; every answer must be well-formed HTTP. */
#include "cb_server.h"
#include "fake_port.h"
#include "fake_store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static cb_settings_t s_settings;

static void drain(int conn)
{
    const uint8_t *out;
    size_t n;
    while ((n = cb_server_conn_output(conn, &out)) > 0) {
        if (n < 9 || memcmp(out, "HTTP/1.1 ", 9) != 0)
            abort(); /* every answer starts with a status line */
        cb_server_conn_sent(conn, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_port_reset();
    fake_store_reset();
    cb_settings_defaults(&s_settings);
    s_settings.admin_token[0] = 'a'; /* /ack exists */
    s_settings.admin_token[1] = '\0';
    if (size && (data[0] & 1))
        s_settings.auth = CB_AUTH_STATIC;
    strcpy(s_settings.token, "tok");
    /* connection 0 is a trusted proxy: its X-Forwarded-For names sources */
    strcpy(s_settings.trusted_proxies, "10.0.0.1");
    cb_server_start(&s_settings);
    int conn[2] = {cb_server_conn_open("10.0.0.1"), cb_server_conn_open("10.0.0.2")};
    size_t pos = size ? 1 : 0;
    while (pos < size) {
        /* one control byte: which connection, how long a chunk, what else */
        uint8_t ctl = data[pos++];
        size_t len = (size_t)(ctl & 0x3f) * 7 + 1;
        if (len > size - pos)
            len = size - pos;
        int c = conn[ctl >> 7];
        size_t used = cb_server_conn_feed(c, data + pos, len);
        if (used > len)
            abort();
        pos += len;
        if (ctl & 0x40) {
            cb_server_commit();
            drain(c);
            if (used < len) /* the rest after the answer went out */
                cb_server_conn_feed(c, data + pos - (len - used), len - used);
        }
        if ((ctl & 0x7) == 0x7) {
            fake_port.now_ms += 3000;
            cb_server_tick();
        }
        if ((ctl & 0x3f) == 0x3e)
            fake_port.presses++;
    }
    cb_server_commit();
    drain(conn[0]);
    drain(conn[1]);
    cb_server_conn_close(conn[0]);
    cb_server_conn_close(conn[1]);
    return 0;
}
