/* stellaris_eth.c - the LM3S6965 Ethernet controller (datasheet "Ethernet
 * Controller": MACRIS..MACTR at 0x40048000) as an lwIP netif, written from
 * the datasheet and checked against QEMU's model (hw/net/stellaris_enet.c).
 * The FIFOs carry a frame as a byte stream in 32-bit words, little-endian:
 * two length bytes, then the frame. Transmit: length = frame bytes minus the
 * 14 of the header; the MAC pads and appends the CRC; MACTR.NEWTX sends.
 * Receive: length = 2 + frame + 4 (its CRC), MACNP counts waiting frames. */
#include "stellaris_eth.h"
#include "board.h"
#include "coop.h"

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"

#include <string.h>

#define ETH(off) REG32(ETH_BASE + (off))
#define MACRIS   ETH(0x000u) /* read: raw interrupt status; write: MACIACK */
#define MACIACK  ETH(0x000u)
#define MACIM    ETH(0x004u)
#define MACRCTL  ETH(0x008u)
#define MACTCTL  ETH(0x00Cu)
#define MACDATA  ETH(0x010u)
#define MACIA0   ETH(0x014u)
#define MACIA1   ETH(0x018u)
#define MACTHR   ETH(0x01Cu)
#define MACNP    ETH(0x034u)
#define MACTR    ETH(0x038u)

#define INT_RX       (1u << 0)
#define RCTL_RXEN    (1u << 0)
#define RCTL_BADCRC  (1u << 3)
#define RCTL_RSTFIFO (1u << 4)
#define TCTL_TXEN    (1u << 0)
#define TCTL_PADEN   (1u << 1)
#define TCTL_CRC     (1u << 2)
#define TR_NEWTX     (1u << 0)
#define THR_OFF      0x3Fu /* transmit only on NEWTX */

#define FRAME_MAX       1514u /* without the CRC */
#define FRAMES_PER_POLL 4
#define NEWTX_SPINS     100000u

_Static_assert(PBUF_POOL_BUFSIZE >= FRAME_MAX, "a received frame fits one pool pbuf");

static struct {
    stellaris_eth_counts_t n;
} s_eth;

/* Writes a byte stream to MACDATA a word at a time. */
typedef struct {
    uint32_t word;
    unsigned have;
} packer_t;

static void put_bytes(packer_t *pk, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        pk->word |= (uint32_t)b[i] << (8u * pk->have);
        if (++pk->have == 4u) {
            MACDATA = pk->word;
            pk->word = 0;
            pk->have = 0;
        }
    }
}

static err_t output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    if (p->tot_len < 14u || p->tot_len > FRAME_MAX) {
        s_eth.n.tx_dropped++;
        LINK_STATS_INC(link.drop);
        return ERR_IF;
    }
    uint32_t spins = 0;
    while ((MACTR & TR_NEWTX) && ++spins < NEWTX_SPINS) /* the previous frame */
        ;
    if (MACTR & TR_NEWTX) {
        s_eth.n.tx_dropped++;
        LINK_STATS_INC(link.drop);
        return ERR_IF;
    }
    packer_t pk = {0};
    uint16_t len = (uint16_t)(p->tot_len - 14u);
    uint8_t head[2] = {(uint8_t)len, (uint8_t)(len >> 8)};
    put_bytes(&pk, head, sizeof head);
    for (const struct pbuf *q = p; q; q = q->next)
        put_bytes(&pk, q->payload, q->len);
    if (pk.have)
        MACDATA = pk.word;
    MACTR = TR_NEWTX;
    s_eth.n.tx++;
    LINK_STATS_INC(link.xmit);
    return ERR_OK;
}

static void discard(uint32_t words)
{
    while (words--)
        (void)MACDATA;
}

bool stellaris_eth_poll(struct netif *netif)
{
    bool any = false;
    for (int n = 0; n < FRAMES_PER_POLL && MACNP; n++) {
        uint32_t first = MACDATA;
        uint32_t len = first & 0xFFFFu;            /* 2 + frame + 4 */
        uint32_t words = (len + 3u) / 4u - 1u;     /* after the first */
        board_entropy_add(board_cycles() ^ first); /* arrival time */
        if (len < 2u + 14u + 4u || len > 2u + FRAME_MAX + 4u) {
            discard(len >= 4u ? words : 0u);
            s_eth.n.rx_errors++;
            LINK_STATS_INC(link.err);
            continue;
        }
        uint16_t flen = (uint16_t)(len - 6u);
        struct pbuf *p = pbuf_alloc(PBUF_RAW, flen, PBUF_POOL);
        if (!p || p->next) {
            if (p)
                pbuf_free(p);
            discard(words);
            s_eth.n.rx_dropped++;
            LINK_STATS_INC(link.memerr);
            continue;
        }
        uint8_t *d = p->payload;
        d[0] = (uint8_t)(first >> 16);
        d[1] = (uint8_t)(first >> 24);
        for (uint32_t i = 0, at = 2; i < words; i++, at += 4u) {
            uint32_t w = MACDATA;
            if (at < flen) /* the last words carry the CRC: not kept */
                memcpy(d + at, &w, flen - at < 4u ? flen - at : 4u);
        }
        s_eth.n.rx++;
        LINK_STATS_INC(link.recv);
        if (netif->input(p, netif) != ERR_OK) { /* tcpip mailbox full */
            pbuf_free(p);
            s_eth.n.rx_dropped++;
            LINK_STATS_INC(link.drop);
            continue;
        }
        any = true;
    }
    if (!any) {
        /* nothing waiting: re-arm the interrupt that wakes the idle WFI */
        MACIACK = INT_RX;
        NVIC_ICPR(ETH_IRQn / 32) = 1u << (ETH_IRQn % 32);
        NVIC_ISER(ETH_IRQn / 32) = 1u << (ETH_IRQn % 32);
    }
    return any;
}

/* Level interrupt: masked here until stellaris_eth_poll has emptied the FIFO. */
void ETH_IRQHandler(void)
{
    NVIC_ICER(ETH_IRQn / 32) = 1u << (ETH_IRQn % 32);
    coop_notify_from_isr();
}

err_t stellaris_eth_init(struct netif *netif)
{
    uint32_t ia0 = MACIA0, ia1 = MACIA1;
    uint8_t mac[6] = {(uint8_t)ia0,         (uint8_t)(ia0 >> 8), (uint8_t)(ia0 >> 16),
                      (uint8_t)(ia0 >> 24), (uint8_t)ia1,        (uint8_t)(ia1 >> 8)};
    if ((ia0 | (ia1 & 0xFFFFu)) == 0) { /* not programmed: locally administered */
        uint32_t r = board_rand();
        uint8_t local[6] = {
            0x02, 0x00, (uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24)};
        memcpy(mac, local, sizeof mac);
        MACIA0 = mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24;
        MACIA1 = mac[4] | (uint32_t)mac[5] << 8;
    }
    for (unsigned i = 0; i < 6; i++)
        board_entropy_add(mac[i]);
    MACIM = 0;
    MACRCTL = RCTL_RSTFIFO | RCTL_BADCRC; /* reject frames with a bad CRC */
    MACTHR = THR_OFF;
    MACTCTL = TCTL_TXEN | TCTL_PADEN | TCTL_CRC;
    MACRCTL = RCTL_RXEN | RCTL_BADCRC;
    MACIACK = 0x7Fu;
    MACIM = INT_RX;
    NVIC_IPR(ETH_IRQn) = 0x80;
    NVIC_ICPR(ETH_IRQn / 32) = 1u << (ETH_IRQn % 32);
    NVIC_ISER(ETH_IRQn / 32) = 1u << (ETH_IRQn % 32);

    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = output;
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, mac, sizeof mac);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    /* the internal PHY negotiates by itself (QEMU models no MII) */
    netif_set_link_up(netif);
    board_log("eth: Stellaris MAC, address %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
              mac[3], mac[4], mac[5]);
    return ERR_OK;
}

void stellaris_eth_counts(stellaris_eth_counts_t *out)
{
    *out = s_eth.n;
}
