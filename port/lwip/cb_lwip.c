/* cb_lwip.c - chatbell-lwip's network bring-up, cb_net_init (cb_net.h),
 * reached through cb_loop_init: lwIP's tcpip thread, one
 * netif on a Linux TAP device (cb_tapif.c), a static IPv4 address. main.c
 * calls it once before the loop; everything else is port/posix's. */
#define _GNU_SOURCE
#include "cb_err.h"
#include "cb_net.h"
#include "cb_port.h"
#include "cb_sock_compat.h"
#include "cb_tapif.h"

#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *env;
    const char *def;
} knob_t;

/* Where lwIP lives: a TAP device in this network namespace, whose kernel
 * side (the gateway address) is configured by whoever created it. */
static const knob_t K_TAP = {"CHATBELL_LWIP_TAP", "tap0"};
static const knob_t K_ADDR = {"CHATBELL_LWIP_ADDR", "192.168.77.2"};
static const knob_t K_MASK = {"CHATBELL_LWIP_NETMASK", "255.255.255.0"};
static const knob_t K_GW = {"CHATBELL_LWIP_GW", "192.168.77.1"};

static struct {
    struct netif netif;
    sys_sem_t ready;
    ip4_addr_t addr, mask, gw;
    bool added;
    bool up;
} s_lwip;

static const char *knob(const knob_t *k)
{
    const char *v = getenv(k->env);
    return v && v[0] ? v : k->def;
}

static int read_ip4(const knob_t *k, ip4_addr_t *out, char *err, size_t cap)
{
    struct in_addr a;
    const char *v = knob(k);
    if (inet_pton(AF_INET, v, &a) != 1) {
        snprintf(err, cap, "lwip: %s: '%s' is not an IPv4 address", k->env, v);
        return -1;
    }
    ip4_addr_set_u32(out, a.s_addr);
    return 0;
}

/* The loop binds listen on lwIP: its host must be lwIP's address or the
 * wildcard, or nothing would ever reach it (lwIP has no loopback here). */
static int check_listen(const char *listen, char *err, size_t cap)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return 0; /* cb_loop_run reports a malformed address */
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct in_addr a;
    if (host[0] == '\0' || inet_pton(AF_INET, host, &a) != 1 || a.s_addr == htonl(INADDR_ANY) ||
        a.s_addr == ip4_addr_get_u32(&s_lwip.addr))
        return 0;
    snprintf(err, cap,
             "listen: %s is not an address of lwIP (%s on TAP %s): use --listen %s%s or "
             "0.0.0.0%s",
             host, knob(&K_ADDR), knob(&K_TAP), knob(&K_ADDR), colon, colon);
    return -1;
}

/* Runs on the tcpip thread, core locked, once lwIP is initialised. */
static void on_tcpip_ready(void *arg)
{
    (void)arg;
    if (netif_add(&s_lwip.netif, &s_lwip.addr, &s_lwip.mask, &s_lwip.gw, NULL, cb_tapif_netif_init,
                  cb_net_tcpip_input)) {
        s_lwip.added = true;
        netif_set_default(&s_lwip.netif);
        netif_set_up(&s_lwip.netif); /* the link is up: a gratuitous ARP goes out */
        s_lwip.up = netif_is_up(&s_lwip.netif) && netif_is_link_up(&s_lwip.netif);
    }
    sys_sem_signal(&s_lwip.ready);
}

int cb_net_init(const char *listen, char *err, size_t cap)
{
    const char *tap = knob(&K_TAP);
    if (read_ip4(&K_ADDR, &s_lwip.addr, err, cap) != 0 ||
        read_ip4(&K_MASK, &s_lwip.mask, err, cap) != 0 ||
        read_ip4(&K_GW, &s_lwip.gw, err, cap) != 0 || check_listen(listen, err, cap) != 0 ||
        cb_tapif_open(tap, err, cap) != 0)
        return -1;

    /* LWIP_RAND is rand(): vary lwIP's randomised local ports between runs */
    unsigned seed = 0;
    if (cb_port_random(&seed, sizeof seed) == CB_OK)
        srand(seed);

    if (sys_sem_new(&s_lwip.ready, 0) != ERR_OK) {
        snprintf(err, cap, "lwip: cannot create a semaphore");
        return -1;
    }
    /* lwIP's threads (tcpip, TAP receive) inherit a full signal mask, so SIGINT
     * and SIGTERM always reach the main thread, whose handler stops the loop */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    tcpip_init(on_tcpip_ready, NULL);
    sys_sem_wait(&s_lwip.ready);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    sys_sem_free(&s_lwip.ready);

    if (!s_lwip.added || !s_lwip.up) {
        snprintf(err, cap, "lwip: cannot bring up the netif on TAP %s", tap);
        return -1;
    }
    char a[16], m[16], g[16];
    cb_port_log(CB_LOG_INFO, "lwip %s: netif %c%c%u on TAP %s, %s/%s, gateway %s",
                LWIP_VERSION_STRING, s_lwip.netif.name[0], s_lwip.netif.name[1],
                (unsigned)s_lwip.netif.num, tap, ip4addr_ntoa_r(&s_lwip.addr, a, sizeof a),
                ip4addr_ntoa_r(&s_lwip.mask, m, sizeof m), ip4addr_ntoa_r(&s_lwip.gw, g, sizeof g));
    return 0;
}
