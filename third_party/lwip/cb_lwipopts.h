/* cb_lwipopts.h - the template of lwIP 2.1.3's options for every board:
 * sockets over the two-context cooperative OS layer (port/cortexm), IPv4 +
 * TCP + DHCP, fixed pools sized for CB_CFG_MAX_CONN connections. A board's
 * lwipopts.h includes its config header (through cb_config.h), sets the
 * CB_LWIP_* sizes below that differ from these defaults, then includes this.
 * Everything not set keeps lwIP's default (src/include/lwip/opt.h). The host
 * lwIP runner (port/lwip) links Debian's prebuilt liblwip, whose options are
 * compiled in: it shares the glue (port/lwip/cb_net.h), not these. */
#ifndef CB_LWIPOPTS_H
#define CB_LWIPOPTS_H

#include "cb_config.h"

/* ---- the board's sizes (its lwipopts.h may set them first) ---- */
#ifndef CB_LWIP_TCPIP_STACK
#define CB_LWIP_TCPIP_STACK 4096 /* bytes of the tcpip thread's stack */
#endif
#ifndef CB_LWIP_TCP_MSS
#define CB_LWIP_TCP_MSS 1460 /* segments this stack asks for and sends */
#endif
#ifndef CB_LWIP_PBUF_BUFSIZE
#define CB_LWIP_PBUF_BUFSIZE 1536 /* one received frame per pool pbuf (else a chain) */
#endif
#ifndef CB_LWIP_TIME_WAIT_PCBS
#define CB_LWIP_TIME_WAIT_PCBS 8 /* closed connections kept in TIME_WAIT besides the sockets */
#endif
#ifndef CB_LWIP_MEM_SIZE
#define CB_LWIP_MEM_SIZE (32 * 1024) /* lwIP's heap: outgoing data */
#endif
#ifndef CB_LWIP_PBUF_POOL
#define CB_LWIP_PBUF_POOL 32 /* received frames held at once */
#endif
#ifndef CB_LWIP_WND_MSS
#define CB_LWIP_WND_MSS 4 /* receive window and send buffer, in segments */
#endif
#ifndef CB_LWIP_TCP_SEG
#define CB_LWIP_TCP_SEG 64 /* queued outgoing segments, all connections */
#endif
#ifndef CB_LWIP_MBOX
#define CB_LWIP_MBOX 16 /* tcpip and receive mailboxes (arch/sys_arch.h) */
#endif

/* ---- OS layer ---- */
#define NO_SYS               0
#define SYS_LIGHTWEIGHT_PROT 1
/* The app's socket calls take the core lock and run lwIP directly instead
 * of posting a message to the tcpip thread and waiting for it: far fewer
 * context switches. Received frames still go through the tcpip mailbox. */
#define LWIP_TCPIP_CORE_LOCKING       1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0
#define TCPIP_THREAD_STACKSIZE        CB_LWIP_TCPIP_STACK
#define TCPIP_THREAD_PRIO             1
/* Mailboxes are inline rings of CB_SYS_MBOX_CAP (arch/sys_arch.h). */
#define TCPIP_MBOX_SIZE             CB_LWIP_MBOX
#define DEFAULT_TCP_RECVMBOX_SIZE   CB_LWIP_MBOX
#define DEFAULT_ACCEPTMBOX_SIZE     CB_LWIP_MBOX
#define DEFAULT_UDP_RECVMBOX_SIZE   4
#define DEFAULT_RAW_RECVMBOX_SIZE   4
#define LWIP_NETCONN_SEM_PER_THREAD 0

/* ---- libc (newlib) ---- */
#define LWIP_ERRNO_STDINCLUDE 1 /* errno and its codes from <errno.h> */
#define LWIP_TIMEVAL_PRIVATE  0 /* struct timeval from <sys/time.h> */
#define LWIP_SOCKET_OFFSET    0

/* ---- memory: all static ---- */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT   4
/* lwIP's heap: PBUF_RAM for outgoing TCP data and headers. The biggest
 * response is CB_CFG_RESP_MAX (4 KiB); when the heap is short, lwip_send
 * answers EWOULDBLOCK and the loop waits for POLLOUT. The e2e suite peaks
 * under 5 KiB ('s' key). */
#define MEM_SIZE CB_LWIP_MEM_SIZE

/* The loop holds CB_CFG_MAX_CONN serving and CB_CFG_DRAIN_MAX draining
 * sockets plus the listener; TIME_WAIT pcbs beyond the pool are recycled
 * oldest first. */
#define CB_BOARD_SOCKETS         (CB_CFG_MAX_CONN + CB_CFG_DRAIN_MAX + 1)
#define MEMP_NUM_NETCONN         (CB_BOARD_SOCKETS + 2)
#define MEMP_NUM_TCP_PCB         (CB_BOARD_SOCKETS + CB_LWIP_TIME_WAIT_PCBS)
#define MEMP_NUM_TCP_PCB_LISTEN  2
#define MEMP_NUM_TCP_SEG         CB_LWIP_TCP_SEG
#define MEMP_NUM_UDP_PCB         2 /* DHCP, SNTP */
#define MEMP_NUM_RAW_PCB         0
#define MEMP_NUM_NETBUF          4
#define MEMP_NUM_PBUF            16
#define MEMP_NUM_TCPIP_MSG_API   8
#define MEMP_NUM_TCPIP_MSG_INPKT 16
#define MEMP_NUM_SELECT_CB       2
/* Packets held while their next hop's MAC is asked for. Without queueing
 * only the last one is kept: when several SYNs arrive before the gateway's
 * address is known, all SYN-ACKs but one would wait for the 3 s RTO. */
#define ARP_QUEUEING       1
#define ARP_QUEUE_LEN      CB_BOARD_SOCKETS
#define MEMP_NUM_ARP_QUEUE CB_BOARD_SOCKETS
/* Received frames: one Ethernet frame per pool buffer. */
#define PBUF_POOL_SIZE    CB_LWIP_PBUF_POOL
#define PBUF_POOL_BUFSIZE CB_LWIP_PBUF_BUFSIZE

/* ---- protocols ---- */
#define LWIP_ARP                   1
#define LWIP_ETHERNET              1
#define LWIP_IPV4                  1
#define LWIP_IPV6                  0
#define LWIP_ICMP                  1
#define LWIP_RAW                   0
#define LWIP_UDP                   1
#define LWIP_TCP                   1
#define LWIP_DHCP                  1
#define LWIP_DHCP_DOES_ACD_CHECK   0
#define DHCP_DOES_ARP_CHECK        0
#define LWIP_AUTOIP                0
#define LWIP_IGMP                  0
#define LWIP_DNS                   0
#define IP_REASSEMBLY              0
#define IP_FRAG                    0
#define LWIP_NETIF_HOSTNAME        1
#define LWIP_NETIF_STATUS_CALLBACK 1

#define TCP_MSS            CB_LWIP_TCP_MSS
#define TCP_WND            (CB_LWIP_WND_MSS * TCP_MSS)
#define TCP_SND_BUF        (CB_LWIP_WND_MSS * TCP_MSS)
#define TCP_SND_QUEUELEN   (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ    1
#define LWIP_TCP_KEEPALIVE 0
#define TCP_LISTEN_BACKLOG 0

/* ---- APIs: BSD sockets with poll(), non-blocking, SO_REUSEADDR ---- */
#define LWIP_NETCONN                1
#define LWIP_SOCKET                 1
#define LWIP_SOCKET_SELECT          1
#define LWIP_SOCKET_POLL            1
#define LWIP_COMPAT_SOCKETS         0 /* the loop spells lwip_* (cb_sock_compat.h) */
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define SO_REUSE                    1
#define LWIP_SO_RCVTIMEO            0
#define LWIP_SO_SNDTIMEO            0
#define LWIP_SO_RCVBUF              0
#define LWIP_NETCONN_FULLDUPLEX     0

/* ---- SNTP (apps/sntp): the boards' wall clock (port/cortexm/clock_sntp.c) ---- */
#define LWIP_DHCP_GET_NTP_SRV          1 /* the server DHCP names, unless sntp_server is set */
#define LWIP_DHCP_MAX_NTP_SERVERS      1
#define SNTP_SERVER_DNS                0
#define SNTP_CHECK_RESPONSE            1 /* from the server asked, on its port */
#define SNTP_STARTUP_DELAY             0
#define SNTP_RECV_TIMEOUT              3000                /* first retry; doubles up to 30 s */
#define SNTP_UPDATE_DELAY              (15u * 60u * 1000u) /* re-sync */
#define SNTP_PORT                      board_sntp_port()
#define SNTP_SET_SYSTEM_TIME_US(s, us) board_clock_set_wall((s), (us))
#define MEMP_NUM_SYS_TIMEOUT           (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)
#include <stdint.h>
uint16_t board_sntp_port(void);
void board_clock_set_wall(uint32_t sec, uint32_t us);

/* ---- checks and statistics: pool use is shown by the 's' key ---- */
#define LWIP_STATS                   1
#define LWIP_STATS_DISPLAY           0
#define MEM_STATS                    1
#define MEMP_STATS                   1
#define LINK_STATS                   1
#define ETHARP_STATS                 0
#define IP_STATS                     0
#define ICMP_STATS                   0
#define UDP_STATS                    0
#define TCP_STATS                    0
#define SYS_STATS                    0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0
#define CHECKSUM_GEN_IP              1
#define CHECKSUM_CHECK_IP            1
#define LWIP_NOASSERT_ON_ERROR       0

#endif
