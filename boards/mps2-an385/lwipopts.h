/* lwipopts.h - lwIP's options on mps2-an385: the template
 * (third_party/lwip/cb_lwipopts.h) with pools sized to SPEC 8's 256 KiB.
 * The e2e suite peaks at 4 pool pbufs and 4.3 KiB of heap. */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#include "cb_config.h" /* CB_BOARD_TLS: the HTTPS build's smaller pools */

#define CB_LWIP_TCPIP_STACK 2048 /* the suite peaks near 700 bytes */
#if !CB_BOARD_TLS
#define CB_LWIP_MEM_SIZE  (12 * 1024) /* outgoing data; /metrics fits 3 times over */
#define CB_LWIP_PBUF_POOL 12          /* received frames held at once */
#else
#define CB_LWIP_MEM_SIZE  (8 * 1024) /* /metrics twice over */
#define CB_LWIP_PBUF_POOL 10
#endif

#include "cb_lwipopts.h"

#endif
