/* cb_loop.h - THE loop: single-threaded poll() over BSD-style sockets,
 * compiled against the host's sockets or lwIP's (cb_sock_compat.h). Accepts
 * connections, feeds cb_server, group-commits once per turn, writes without
 * blocking, runs cb_server_tick. Shared by the simulator and lwIP builds. */
#ifndef CB_LOOP_H
#define CB_LOOP_H

#include <stdbool.h>
#include <stddef.h>

/* Brings up the socket stack before cb_loop_run: nothing for the host's
 * sockets; in the lwIP build (port/lwip), lwIP's tcpip thread and its TAP
 * netif, after checking that listen ("ADDR:PORT", what cb_loop_run will be
 * given) names an address lwIP has. 0, or -1 with one line in err. */
int cb_loop_init(const char *listen, char *err, size_t cap);

/* Binds addr ("ADDR:PORT", port 0 = ephemeral), then calls on_listening
 * with the bound "ADDR:PORT" text (the simulator prints its banner there),
 * then serves until *stop becomes true. Returns 0, or -1 if it cannot bind
 * (logged). cb_server_start must have been called. */
int cb_loop_run(const char *addr, void (*on_listening)(const char *bound), volatile bool *stop);

/* fn is called once per turn, just before the loop waits in poll(): the
 * platform writes out what it buffered during the turn (the simulator's
 * stdout lines: one write per turn, not one per line). NULL: nothing. */
void cb_loop_on_idle(void (*fn)(void));

/* Serves HTTPS on addr ("ADDR:PORT") as well, from the next cb_loop_run
 * (a TLS set-up over cb_conn_tls_bio must have succeeded): same routes, same caps. */
void cb_loop_listen_tls(const char *addr);
/* The HTTPS listener's bound "ADDR:PORT" once it listens, else "". */
const char *cb_loop_tls_bound(void);

#endif
