/* cb_tapif.h - chatbell-lwip's Ethernet netif on a Linux TAP device, used
 * by cb_lwip.c instead of Debian liblwip's tapif (whose receive path
 * overflows the heap on full-size frames: README.md). */
#ifndef CB_TAPIF_H
#define CB_TAPIF_H

#include "lwip/netif.h"

#include <stddef.h>

/* Attaches to the existing TAP device `name` of this network namespace
 * (/dev/net/tun, IFF_TAP | IFF_NO_PI). Main thread, before netif_add.
 * 0, or -1 with one line in err. */
int cb_tapif_open(const char *name, char *err, size_t cap);

/* netif_add's init callback (tcpip thread): MAC 02:cb:00:00:00:02, MTU
 * 1500, ARP, link up, and a thread that reads frames into heap pbufs and
 * hands them to netif->input. ERR_OK, or ERR_IF without an open device or
 * thread. */
err_t cb_tapif_netif_init(struct netif *netif);

#endif
