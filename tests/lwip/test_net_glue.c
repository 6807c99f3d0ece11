/* test_net_glue.c - unit tests for the TIME_WAIT hook of
 * port/lwip/cb_net_glue.c (cb_net_input) on Debian's lwIP, no tcpip thread:
 * a SYN newer than a TIME_WAIT's connection ends it; a socket that still
 * holds the pcb (a connection the loop half-closed and drains) is told, as
 * lwIP tells one whose connection is aborted; an older SYN and another port
 * pair leave it. */
#define _GNU_SOURCE /* Debian's lwIP arch/cc.h wants glibc's ssize_t */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_net.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "netif/ethernet.h"

#include <string.h>

#define SERVER_PORT 8080
#define CLIENT_PORT 40000
#define RCV_NXT     1000u /* the old connection's next sequence number */

/* cb_net_glue.c's bring-up name calls each platform's; none here */
int cb_net_init(const char *listen, char *err, size_t cap)
{
    (void)listen;
    (void)err;
    (void)cap;
    return -1;
}

static struct netif s_netif;

/* lwIP's answers (an ACK, a RST, ARP) go nowhere */
static err_t drop_ip4(struct netif *n, struct pbuf *p, const ip4_addr_t *to)
{
    (void)n;
    (void)p;
    (void)to;
    return ERR_OK;
}

static err_t drop_frame(struct netif *n, struct pbuf *p)
{
    (void)n;
    (void)p;
    return ERR_OK;
}

static err_t netif_setup(struct netif *n)
{
    n->output = drop_ip4;
    n->linkoutput = drop_frame; /* the gratuitous ARP at netif_set_up */
    n->mtu = 1500;
    n->hwaddr_len = ETH_HWADDR_LEN;
    n->flags = NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

static int group_setup(void **state)
{
    (void)state;
    ip4_addr_t ip, mask, gw;
    lwip_init();
    IP4_ADDR(&ip, 10, 0, 0, 2);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 0, 1);
    netif_add(&s_netif, &ip, &mask, &gw, NULL, netif_setup, ethernet_input);
    netif_set_up(&s_netif);
    return 0;
}

/* A pcb in TIME_WAIT for 10.0.0.2:8080 <- 10.0.0.1:40000, held by `owner`
 * (a socket's netconn in lwIP; NULL once the socket was closed). */
static struct tcp_pcb *time_wait(void *owner)
{
    struct tcp_pcb *pcb = tcp_new();
    assert_non_null(pcb);
    IP_ADDR4(&pcb->local_ip, 10, 0, 0, 2);
    IP_ADDR4(&pcb->remote_ip, 10, 0, 0, 1);
    pcb->local_port = SERVER_PORT;
    pcb->remote_port = CLIENT_PORT;
    pcb->rcv_nxt = RCV_NXT;
    pcb->state = TIME_WAIT;
    tcp_arg(pcb, owner);
    TCP_REG(&tcp_tw_pcbs, pcb);
    return pcb;
}

static int in_time_wait(const struct tcp_pcb *pcb)
{
    for (const struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
        if (p == pcb)
            return 1;
    return 0;
}

static void put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* An Ethernet frame carrying a SYN from 10.0.0.1:client_port with seq, as
 * the TAP driver hands it to cb_net_input. */
static void syn(unsigned client_port, uint32_t seq)
{
    uint8_t f[SIZEOF_ETH_HDR + IP_HLEN + TCP_HLEN] = {0};
    put16(f + 12, ETHTYPE_IP);
    uint8_t *ip = f + SIZEOF_ETH_HDR, *tcp = ip + IP_HLEN;
    ip[0] = 0x45;
    put16(ip + 2, IP_HLEN + TCP_HLEN);
    ip[8] = 64;
    ip[9] = IP_PROTO_TCP;
    memcpy(ip + 12, (const uint8_t[]){10, 0, 0, 1}, 4);
    memcpy(ip + 16, (const uint8_t[]){10, 0, 0, 2}, 4);
    put16(tcp, client_port);
    put16(tcp + 2, SERVER_PORT);
    put16(tcp + 4, seq >> 16);
    put16(tcp + 6, seq & 0xffffu);
    tcp[12] = 5 << 4;
    tcp[13] = TCP_SYN;
    put16(tcp + 14, 65535);
    struct pbuf *p = pbuf_alloc(PBUF_RAW, sizeof f, PBUF_RAM);
    assert_non_null(p);
    memcpy(p->payload, f, sizeof f);
    cb_net_input(p, &s_netif); /* takes the pbuf */
}

static void end(struct tcp_pcb *pcb)
{
    if (in_time_wait(pcb)) {
        tcp_arg(pcb, NULL);
        tcp_abort(pcb);
    }
}

static void test_newer_syn_ends_a_closed_sockets_time_wait(void **state)
{
    (void)state;
    struct tcp_pcb *pcb = time_wait(NULL);
    syn(CLIENT_PORT, RCV_NXT + 50000);
    assert_false(in_time_wait(pcb));
}

/* what the socket holding a pcb hears (lwIP's err_tcp for a netconn) */
static void *s_err_arg;
static err_t s_err;
static int s_errs;

static void record_err(void *arg, err_t err)
{
    s_err_arg = arg;
    s_err = err;
    s_errs++;
}

static void test_time_wait_held_by_a_socket_ends_and_tells_it(void **state)
{
    (void)state;
    int owner;
    struct tcp_pcb *pcb = time_wait(&owner);
    tcp_err(pcb, record_err);
    s_errs = 0;
    syn(CLIENT_PORT, RCV_NXT + 50000);
    assert_false(in_time_wait(pcb));
    /* told, the socket lets go of the freed pcb rather than close it later */
    assert_int_equal(s_errs, 1);
    assert_ptr_equal(s_err_arg, &owner);
    assert_int_equal(s_err, ERR_ABRT);
}

static void test_older_syn_or_other_port_leaves_time_wait(void **state)
{
    (void)state;
    struct tcp_pcb *pcb = time_wait(NULL);
    syn(CLIENT_PORT, RCV_NXT);
    assert_true(in_time_wait(pcb));
    syn(CLIENT_PORT + 1, RCV_NXT + 50000);
    assert_true(in_time_wait(pcb));
    end(pcb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newer_syn_ends_a_closed_sockets_time_wait),
        cmocka_unit_test(test_time_wait_held_by_a_socket_ends_and_tells_it),
        cmocka_unit_test(test_older_syn_or_other_port_leaves_time_wait),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
