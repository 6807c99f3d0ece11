/* cb_tapif.c - chatbell-lwip's Ethernet netif on a Linux TAP device
 * (cb_tapif.h): cb_lwip.c opens the device, netif_add runs the init here on
 * the tcpip thread. Received frames are read straight into heap (PBUF_RAM)
 * pbufs, never the PBUF_POOL that Debian's liblwip sizes wrongly (README.md). */
#define _GNU_SOURCE
#include "cb_tapif.h"
#include "cb_port.h"

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define TUN_DEV       "/dev/net/tun"
#define FRAME_MAX     1518 /* 1500 + Ethernet header + a VLAN tag, no FCS */
#define IOV_MAX_CHAIN 16

static struct {
    int fd; /* -1 until cb_tapif_open */
    pthread_t rx;
    unsigned long rx_drops; /* rx thread only */
    unsigned long tx_fails; /* tcpip thread only */
} s_tap = {.fd = -1};

/* A lost frame is a TCP retransmission later (a second, at first): worth
 * a line, the first time and then every 1000th. */
static void count_loss(unsigned long *n, const char *what)
{
    if ((*n)++ % 1000 == 0)
        cb_port_log(CB_LOG_WARN, "lwip: %s (%lu so far)", what, *n);
}

int cb_tapif_open(const char *name, char *err, size_t cap)
{
    size_t n = strlen(name);
    if (n == 0 || n >= IFNAMSIZ) {
        snprintf(err, cap, "lwip: TAP name '%s' is empty or too long", name);
        return -1;
    }
    /* TUNSETIFF on an unknown name would make a new device that nobody has
     * configured: lwIP would be up and unreachable */
    if (if_nametoindex(name) == 0) {
        snprintf(err, cap,
                 "lwip: no network device %s in this network namespace (as root: "
                 "ip tuntap add dev %s mode tap; ip addr add <gateway>/24 dev %s; "
                 "ip link set %s up)",
                 name, name, name, name);
        return -1;
    }
    int fd = open(TUN_DEV, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, cap, "lwip: cannot open " TUN_DEV ": %s", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name, n);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int e = errno;
        close(fd);
        snprintf(err, cap, "lwip: cannot attach to %s: %s (not a TAP device, or in use?)", name,
                 strerror(e));
        return -1;
    }
    s_tap.fd = fd;
    return 0;
}

/* netif->linkoutput (tcpip thread): one frame, one writev of the chain. */
static err_t link_output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    struct iovec iov[IOV_MAX_CHAIN];
    int n = 0;
    if (p->tot_len > FRAME_MAX)
        return ERR_IF;
    for (struct pbuf *q = p; q; q = q->next) {
        if (q->len == 0)
            continue;
        if (n == IOV_MAX_CHAIN)
            return ERR_IF; /* never with LWIP_NETIF_TX_SINGLE_PBUF */
        iov[n].iov_base = q->payload;
        iov[n].iov_len = q->len;
        n++;
    }
    ssize_t w;
    do
        w = writev(s_tap.fd, iov, n);
    while (w < 0 && errno == EINTR);
    if (w == (ssize_t)p->tot_len)
        return ERR_OK;
    count_loss(&s_tap.tx_fails, "a frame could not be written to the TAP device");
    return ERR_IF;
}

/* The receive thread: each frame read straight into a heap pbuf, then
 * queued to the tcpip thread by netif->input. */
static void *rx_thread(void *arg)
{
    struct netif *netif = arg;
    for (;;) {
        struct pollfd pfd = {.fd = s_tap.fd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        struct pbuf *p = pbuf_alloc(PBUF_RAW, FRAME_MAX, PBUF_RAM);
        if (!p) { /* out of memory: drop the frame, TCP resends */
            uint8_t junk[64];
            ssize_t r = read(s_tap.fd, junk, sizeof junk);
            (void)r;
            count_loss(&s_tap.rx_drops, "a received frame was dropped (no memory)");
            continue;
        }
        ssize_t r = read(s_tap.fd, p->payload, FRAME_MAX);
        if (r < SIZEOF_ETH_HDR) {
            pbuf_free(p);
            if (r < 0 && errno != EINTR && errno != EAGAIN)
                break;
            continue;
        }
        pbuf_realloc(p, (u16_t)r);
        if (netif->input(p, netif) != ERR_OK) {
            pbuf_free(p);
            count_loss(&s_tap.rx_drops, "a received frame was dropped (tcpip queue full)");
        }
    }
    cb_port_log(CB_LOG_ERROR, "lwip: reading the TAP device failed (%s): no more input",
                strerror(errno));
    return NULL;
}

err_t cb_tapif_netif_init(struct netif *netif)
{
    static const uint8_t mac[6] = {0x02, 0xcb, 0x00, 0x00, 0x00, 0x02}; /* locally administered */
    if (s_tap.fd < 0)
        return ERR_IF;
    netif->name[0] = 't';
    netif->name[1] = 'p';
    netif->output = etharp_output;
    netif->linkoutput = link_output;
    netif->mtu = 1500;
    netif->hwaddr_len = sizeof mac;
    memcpy(netif->hwaddr, mac, sizeof mac);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&s_tap.rx, &attr, rx_thread, netif);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return ERR_IF;
    netif_set_link_up(netif);
    return ERR_OK;
}
