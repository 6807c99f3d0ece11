/* lwipopts.h - lwIP's options on lm3s6965evb: the template
 * (third_party/lwip/cb_lwipopts.h) with pools for 64 KiB of SRAM. */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#define CB_LWIP_TCPIP_STACK 1024 /* the e2e suite peaks near 700 bytes */
#define CB_LWIP_MEM_SIZE    4096 /* sends in flight; the suite peaks near 3.1 KiB */
/* Small segments in more, smaller pbufs: 7 frames of up to 640 bytes in the
 * RAM of 3 full ones, so 4 connections' segments are not dropped for want
 * of a pbuf (TCP's 536-byte default MSS; a longer frame takes a chain). */
#define CB_LWIP_TCP_MSS        536
#define CB_LWIP_PBUF_BUFSIZE   640
#define CB_LWIP_PBUF_POOL      7
#define CB_LWIP_WND_MSS        4 /* 2,144-byte window and send buffer */
#define CB_LWIP_TCP_SEG        16
#define CB_LWIP_MBOX           8
#define CB_LWIP_TIME_WAIT_PCBS 4

#include "cb_lwipopts.h"

#endif
