/* cb_net_glue.c - the lwIP glue shared by the host lwIP runner and every
 * board (cb_net.h): the receive path that ends lwIP's TIME_WAIT on a newer
 * SYN, and the name the loop's socket layer calls for the bring-up. */
#define _GNU_SOURCE /* Debian's lwIP arch/cc.h wants glibc's ssize_t (a no-op on boards) */
#include "cb_net.h"

#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include <string.h>

/* port/sock/cb_sock_compat.h maps cb_sock_stack_init to this name; the
 * bring-up itself is each platform's cb_net_init. */
int cb_lwip_init(const char *listen, char *err, size_t cap);
int cb_lwip_init(const char *listen, char *err, size_t cap)
{
    return cb_net_init(listen, err, cap);
}

static u16_t be16(const uint8_t *b)
{
    return (u16_t)((b[0] << 8) | b[1]);
}

/* lwIP 2.1 answers a SYN that meets one of its TIME_WAIT connections (those
 * the loop closed first) with an ACK and keeps the TIME_WAIT for 2 MSL
 * (120 s): a client that reuses its port within that time cannot connect.
 * Linux picks ephemeral ports without knowing lwIP's TIME_WAITs, and does
 * reuse them (QEMU's user network forwards with the host's ports). As RFC
 * 1122 4.2.2.13 and RFC 6191 allow (and Linux does), a SYN whose sequence
 * number lies beyond the old connection ends the TIME_WAIT, and lwIP's
 * listener then takes it as a new connection. lwIP 2.1 has no input hook
 * for this (Debian's prebuilt one none at all), so it runs on each frame on
 * the tcpip thread, before ethernet_input.
 * A TIME_WAIT pcb may still be held by a socket: the loop half-closes a
 * connection it is done with and drains it (port/sock/cb_loop.c), and the
 * peer's FIN puts the pcb in TIME_WAIT while that socket points at it until
 * the loop's next turn closes it. lwIP frees a TIME_WAIT pcb without telling
 * its socket, so the hook tells it, as tcp_abandon does for a connection in
 * any other state: the socket's error callback with ERR_ABRT, once the pcb
 * is gone (the socket then drops the pcb and reports the abort to the loop).
 * Freed silently, the socket's close would act on whatever connection took
 * the pcb's memory: the new one, as seen, its request never answered. Left
 * to lwIP instead, a SYN within the old window gets a RST (RFC 1337 as lwIP
 * does it) and the peer's connect is refused. */
static void end_time_wait_for_new_syn(const struct pbuf *p)
{
    const uint8_t *f = p->payload;
    if (p->len < SIZEOF_ETH_HDR + IP_HLEN + TCP_HLEN || be16(f + 12) != ETHTYPE_IP)
        return;
    const uint8_t *ip = f + SIZEOF_ETH_HDR;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < IP_HLEN || ip[9] != IP_PROTO_TCP ||
        (be16(ip + 6) & (IP_OFFMASK | IP_MF)) != 0 || p->len < SIZEOF_ETH_HDR + ihl + TCP_HLEN)
        return;
    const uint8_t *tcp = ip + ihl;
    if ((tcp[13] & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
        return;
    u32_t src, dst, seq = ((u32_t)be16(tcp + 4) << 16) | be16(tcp + 6);
    memcpy(&src, ip + 12, sizeof src);
    memcpy(&dst, ip + 16, sizeof dst);
    for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
        if (pcb->remote_port != be16(tcp) || pcb->local_port != be16(tcp + 2) ||
            !IP_IS_V4_VAL(pcb->remote_ip) || ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)) != src ||
            ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)) != dst)
            continue;
        if (TCP_SEQ_GT(seq, pcb->rcv_nxt)) {
            tcp_err_fn errf = pcb->errf;
            void *owner = pcb->callback_arg;
            tcp_abort(pcb); /* a TIME_WAIT pcb is freed, no RST sent */
            if (errf)
                errf(owner, ERR_ABRT);
        }
        return;
    }
}

err_t cb_net_input(struct pbuf *p, struct netif *inp)
{
    end_time_wait_for_new_syn(p);
    return ethernet_input(p, inp);
}

err_t cb_net_tcpip_input(struct pbuf *p, struct netif *inp)
{
    return tcpip_inpkt(p, inp, cb_net_input);
}
