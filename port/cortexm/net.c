/* net.c - the boards' network bring-up, cb_net_init (cb_net.h), reached
 * through cb_loop_init: the cooperative scheduler with the board's receive
 * poll as its idle hook, lwIP's tcpip thread, the board's netif, DHCP with a
 * static fallback. Also the stats ('s' key). */
#include "board.h"
#include "cb_config.h"
#include "cb_net.h"
#include "coop.h"

#include "lwip/apps/sntp.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

#include <stdio.h>
#include <string.h>

/* QEMU's user network hands out 10.0.2.15 with gateway 10.0.2.2: the same
 * addresses serve as the fallback when no DHCP server answers in time. */
#ifndef CB_BOARD_DHCP
#define CB_BOARD_DHCP 1
#endif
#ifndef CB_BOARD_IP
#define CB_BOARD_IP "10.0.2.15"
#endif
#ifndef CB_BOARD_NETMASK
#define CB_BOARD_NETMASK "255.255.255.0"
#endif
#ifndef CB_BOARD_GW
#define CB_BOARD_GW "10.0.2.2"
#endif
#define DHCP_WAIT_MS 5000u

static struct {
    struct netif netif;
    sys_sem_t ready;
    bool added;
    char ip[16];
} s_net;

static bool idle_poll(void)
{
    bool typed = board_console_rx_poll();
    return (s_net.added && board_netif_poll(&s_net.netif)) || typed;
}

static err_t netif_start(struct netif *netif)
{
    return (err_t)board_netif_init(netif);
}

/* Runs first thing on the tcpip thread, core locked. */
static void on_tcpip_ready(void *arg)
{
    (void)arg;
    ip4_addr_t any = {0};
    if (netif_add(&s_net.netif, &any, &any, &any, NULL, netif_start, cb_net_tcpip_input)) {
        s_net.added = true;
        netif_set_hostname(&s_net.netif, "chatbell");
        netif_set_default(&s_net.netif);
        netif_set_up(&s_net.netif);
#if CB_BOARD_DHCP
        sntp_servermode_dhcp(1); /* an NTP server DHCP names (clock_sntp.c) */
        dhcp_start(&s_net.netif);
#endif
    }
    sys_sem_signal(&s_net.ready);
}

static bool has_address(void)
{
    LOCK_TCPIP_CORE();
    bool ok = !ip4_addr_isany_val(*netif_ip4_addr(&s_net.netif));
    UNLOCK_TCPIP_CORE();
    return ok;
}

static void use_static(void)
{
    ip4_addr_t a, m, g;
    ip4addr_aton(CB_BOARD_IP, &a);
    ip4addr_aton(CB_BOARD_NETMASK, &m);
    ip4addr_aton(CB_BOARD_GW, &g);
    LOCK_TCPIP_CORE();
#if CB_BOARD_DHCP
    dhcp_stop(&s_net.netif);
#endif
    netif_set_addr(&s_net.netif, &a, &m, &g);
    UNLOCK_TCPIP_CORE();
}

int cb_net_init(const char *listen, char *err, size_t cap)
{
    coop_init(idle_poll);
    if (sys_sem_new(&s_net.ready, 0) != ERR_OK) {
        snprintf(err, cap, "lwip: cannot create a semaphore");
        return -1;
    }
    tcpip_init(on_tcpip_ready, NULL);
    sys_arch_sem_wait(&s_net.ready, 0); /* the tcpip thread runs meanwhile */
    sys_sem_free(&s_net.ready);
    if (!s_net.added) {
        snprintf(err, cap, "lwip: no network interface (the Ethernet controller did not start)");
        return -1;
    }

    const char *how = "static";
#if CB_BOARD_DHCP
    uint32_t t0 = sys_now();
    while (!has_address() && sys_now() - t0 < DHCP_WAIT_MS)
        sys_msleep(10);
    how = has_address() ? "DHCP" : "static, no DHCP answer";
#endif
    if (!has_address())
        use_static();

    LOCK_TCPIP_CORE();
    ip4addr_ntoa_r(netif_ip4_addr(&s_net.netif), s_net.ip, sizeof s_net.ip);
    char m[16], g[16];
    ip4addr_ntoa_r(netif_ip4_netmask(&s_net.netif), m, sizeof m);
    ip4addr_ntoa_r(netif_ip4_gw(&s_net.netif), g, sizeof g);
    UNLOCK_TCPIP_CORE();
    board_log("net: lwIP %s, %s/%s gateway %s (%s)", LWIP_VERSION_STRING, s_net.ip, m, g, how);

    /* the loop binds listen on lwIP: the wildcard or this address */
    const char *colon = strrchr(listen, ':');
    size_t hl = colon ? (size_t)(colon - listen) : 0;
    if (colon && hl && !(hl == 7 && strncmp(listen, "0.0.0.0", 7) == 0) &&
        !(hl == strlen(s_net.ip) && strncmp(listen, s_net.ip, hl) == 0)) {
        snprintf(err, cap, "listen: %.*s is not this board's address (%s): use 0.0.0.0%s", (int)hl,
                 listen, s_net.ip, colon);
        return -1;
    }
    return 0;
}

const char *board_net_ip(void)
{
    return s_net.ip;
}

/* ---- the 's' key: where the RAM goes at run time ---- */

#if MEMP_STATS
/* lwIP's pool descriptions, in memp_t order (the same X-macro as memp.h) */
static const char *const s_pool_names[] = {
#define LWIP_MEMPOOL(name, num, size, desc) desc,
#include "lwip/priv/memp_std.h"
};

static void print_pool(int i)
{
    const struct stats_mem *m = lwip_stats.memp[i];
    if (!m)
        return;
    board_printf("stats|   pool %-18s used %3u max %3u of %3u, %u failed\r\n", s_pool_names[i],
                 (unsigned)m->used, (unsigned)m->max, (unsigned)m->avail, (unsigned)m->err);
}
#endif

void board_stats_print(void)
{
    board_printf("stats| uptime %lu s; stacks: main %lu bytes never used, tcpip %lu\r\n",
                 (unsigned long)(board_ms32() / 1000u), (unsigned long)board_main_stack_free(),
                 (unsigned long)board_coop_stack_free());
    board_printf("stats| coop: %lu switches, %lu idle sleeps\r\n", (unsigned long)coop_switches(),
                 (unsigned long)coop_sleeps());
    board_netif_stats();
    board_store_stats();
#if CB_BOARD_TLS
    board_tls_stats();
#endif
#if MEM_STATS
    board_printf("stats|   heap used %lu max %lu of %lu bytes, %u failed\r\n",
                 (unsigned long)lwip_stats.mem.used, (unsigned long)lwip_stats.mem.max,
                 (unsigned long)lwip_stats.mem.avail, (unsigned)lwip_stats.mem.err);
#endif
#if MEMP_STATS
    for (int i = 0; i < MEMP_MAX; i++)
        print_pool(i);
#endif
}
