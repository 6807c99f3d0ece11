/* cb_net.h - the lwIP glue shared by the host lwIP runner (port/lwip) and
 * every board (port/cortexm): the network bring-up each platform defines,
 * and the receive path with the TIME_WAIT fix (cb_net_glue.c). */
#ifndef CB_NET_H
#define CB_NET_H

#include "lwip/err.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"

#include <stddef.h>

/* Brings lwIP up (tcpip thread, netif, address) and checks that the loop can
 * listen on `listen` there. 0, or -1 with a message in err. Called once by
 * cb_loop_init before the loop; each platform defines it (host:
 * port/lwip/cb_lwip.c, boards: port/cortexm/net.c). */
int cb_net_init(const char *listen, char *err, size_t cap);

/* A received Ethernet frame on the tcpip thread (core locked): ends a
 * TIME_WAIT that a new SYN for the same port pair meets (RFC 6191), then
 * ethernet_input. */
err_t cb_net_input(struct pbuf *p, struct netif *inp);

/* netif->input for a driver outside the tcpip thread: queues the frame to
 * it for cb_net_input. */
err_t cb_net_tcpip_input(struct pbuf *p, struct netif *inp);

#endif
