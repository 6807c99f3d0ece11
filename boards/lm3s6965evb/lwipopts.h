/* lwipopts.h - lwIP's options on lm3s6965evb: the template
 * (third_party/lwip/cb_lwipopts.h) with pools for 64 KiB of SRAM. */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#define CB_LWIP_TCPIP_STACK 1024 /* the e2e suite peaks near 700 bytes */
#define CB_LWIP_MEM_SIZE    4608 /* a full send buffer (2 segments) in flight */
#define CB_LWIP_PBUF_POOL   3    /* received frames held at once */
#define CB_LWIP_WND_MSS     2    /* 2,920-byte window and send buffer */
#define CB_LWIP_TCP_SEG     16
#define CB_LWIP_MBOX        8

#include "cb_lwipopts.h"

#endif
