/* lan9118.h - the SMSC LAN9118 Ethernet controller (the AN385's LAN9220) as
 * an lwIP netif: PIO through its FIFOs, no DMA, no checksum offload. The
 * receive is polled (lan9118_poll, from the scheduler's idle hook); the
 * interrupt only wakes the CPU. Used by net.c. */
#ifndef LAN9118_H
#define LAN9118_H

#include "lwip/err.h"
#include "lwip/netif.h"

#include <stdbool.h>
#include <stdint.h>

/* netif_add() init callback: resets the chip, reads its MAC address, starts
 * the PHY, enables TX and RX. ERR_IF when no LAN9118 answers. */
err_t lan9118_netif_init(struct netif *netif);

/* Moves up to a few received frames to netif->input (tcpip_input). True if
 * it passed any on (work for the tcpip thread), false if none waited. */
bool lan9118_poll(struct netif *netif);

/* Frames and errors seen by the driver (the stats). */
typedef struct {
    uint32_t rx, tx, rx_dropped, rx_errors, tx_dropped;
} lan9118_counts_t;
void lan9118_counts(lan9118_counts_t *out);

#endif
