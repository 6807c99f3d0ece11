/* stellaris_eth.h - the LM3S6965's Ethernet controller (MAC + PHY) as an
 * lwIP netif: frames through its 2 KiB FIFOs, word by word, no DMA, no
 * checksum offload. The receive is polled (stellaris_eth_poll, from the
 * scheduler's idle hook); the interrupt only wakes the CPU. Used by board.c. */
#ifndef STELLARIS_ETH_H
#define STELLARIS_ETH_H

#include "lwip/err.h"
#include "lwip/netif.h"

#include <stdbool.h>
#include <stdint.h>

/* netif_add() init callback: resets the FIFOs, takes the MAC address from
 * MACIA0/1, enables transmit (padding, CRC) and receive. */
err_t stellaris_eth_init(struct netif *netif);

/* Moves up to a few received frames to netif->input. True if it passed any
 * on (work for the tcpip thread), false if none waited. */
bool stellaris_eth_poll(struct netif *netif);

void ETH_IRQHandler(void);

typedef struct {
    uint32_t rx, tx, rx_dropped, rx_errors, tx_dropped;
} stellaris_eth_counts_t;
void stellaris_eth_counts(stellaris_eth_counts_t *out);

#endif
