/* lan9118.c - lwIP netif driver for the SMSC LAN9118 (lan9118.h). Register
 * names and bits follow the LAN9118 datasheet (SMSC, rev. 1.5), section 5
 * (system control and status registers), 5.4 (MAC CSRs), 5.5 (PHY) and
 * 3.12/3.13 (TX and RX data paths). Checked against QEMU's model
 * (hw/net/lan9118.c), which the tests run on. */
#include "lan9118.h"
#include "board.h"
#include "coop.h"

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"

#include <string.h>

/* ---- registers (datasheet table 5-1) ---- */
#define ETH(off)       REG32(ETH_BASE + (off))
#define RX_DATA_FIFO   ETH(0x00u)
#define TX_DATA_FIFO   ETH(0x20u)
#define RX_STATUS_FIFO ETH(0x40u)
#define TX_STATUS_FIFO ETH(0x48u)
#define ID_REV         ETH(0x50u)
#define IRQ_CFG        ETH(0x54u)
#define INT_STS        ETH(0x58u)
#define INT_EN         ETH(0x5Cu)
#define BYTE_TEST      ETH(0x64u)
#define FIFO_INT       ETH(0x68u)
#define RX_CFG         ETH(0x6Cu)
#define TX_CFG         ETH(0x70u)
#define HW_CFG         ETH(0x74u)
#define RX_DP_CTRL     ETH(0x78u)
#define RX_FIFO_INF    ETH(0x7Cu)
#define TX_FIFO_INF    ETH(0x80u)
#define PMT_CTRL       ETH(0x84u)
#define FREE_RUN       ETH(0x9Cu)
#define MAC_CSR_CMD    ETH(0xA4u)
#define MAC_CSR_DATA   ETH(0xA8u)

#define BYTE_TEST_VALUE  0x87654321u
#define HW_CFG_SRST      (1u << 0)
#define HW_CFG_TX_FIF_5K (5u << 16) /* 5 KiB TX FIFO, the rest RX (5.3.9) */
#define HW_CFG_MBO       (1u << 20) /* must be one */
#define PMT_CTRL_READY   (1u << 0)
#define IRQ_CFG_EN       (1u << 8)
#define IRQ_CFG_POL_HIGH (1u << 4)
#define IRQ_CFG_PUSHPULL (1u << 0)
#define INT_RSFL         (1u << 3) /* RX status FIFO level */
#define TX_CFG_TX_ON     (1u << 1)
#define TX_CFG_TXSAO     (1u << 2) /* TX status FIFO may overrun: we do not read it */
#define RX_DP_FFWD       (1u << 31)
#define MAC_CSR_BUSY     (1u << 31)
#define MAC_CSR_READ     (1u << 30)

/* MAC CSRs (5.4) */
#define MAC_CR       1u
#define MAC_ADDRH    2u
#define MAC_ADDRL    3u
#define MAC_MII_ACC  6u
#define MAC_MII_DATA 7u
#define MAC_CR_RXEN  (1u << 2)
#define MAC_CR_TXEN  (1u << 3)
#define MAC_CR_FDPX  (1u << 20)

/* PHY registers (5.5), internal PHY at address 1 */
#define PHY_ADDR      1u
#define PHY_BCR       0u
#define PHY_BSR       1u
#define PHY_ANAR      4u
#define PHY_BCR_RESET (1u << 15)
#define PHY_BCR_ANEN  (1u << 12)
#define PHY_BCR_ANRST (1u << 9)
#define PHY_BSR_LINK  (1u << 2)
#define PHY_ANAR_ALL  0x01E1u /* 10/100, half/full, 802.3 */

/* RX status word (3.13.3) */
#define RXS_LEN(s) (((s) >> 16) & 0x3FFFu)
#define RXS_ERROR  (1u << 15)
#define RXS_FILTER (1u << 30) /* filtering fail */

/* TX command words (3.12.2) */
#define TXA_FIRST (1u << 13)
#define TXA_LAST  (1u << 12)

#define FRAME_MAX       1518u /* with CRC; without VLAN */
#define FRAMES_PER_POLL 4     /* keeps the tcpip mailbox from filling */
#define SPIN_MAX        100000u

static struct {
    uint32_t buf[(FRAME_MAX + 3u) / 4u]; /* one frame, word-aligned */
    lan9118_counts_t n;
    uint16_t tag;
} s_eth;

static bool spin_while(volatile uint32_t *reg, uint32_t mask, uint32_t value)
{
    for (uint32_t i = 0; i < SPIN_MAX; i++)
        if ((*reg & mask) != value)
            return true;
    return false;
}

static uint32_t mac_read(uint32_t reg)
{
    MAC_CSR_CMD = MAC_CSR_BUSY | MAC_CSR_READ | reg;
    (void)spin_while(&MAC_CSR_CMD, MAC_CSR_BUSY, MAC_CSR_BUSY);
    return MAC_CSR_DATA;
}

static void mac_write(uint32_t reg, uint32_t value)
{
    MAC_CSR_DATA = value;
    MAC_CSR_CMD = MAC_CSR_BUSY | reg;
    (void)spin_while(&MAC_CSR_CMD, MAC_CSR_BUSY, MAC_CSR_BUSY);
}

/* MII management through MAC_MII_ACC (5.4.6): bit 1 write, bit 0 busy. */
static uint16_t phy_read(uint32_t reg)
{
    mac_write(MAC_MII_ACC, (PHY_ADDR << 11) | (reg << 6) | 1u);
    for (uint32_t i = 0; i < SPIN_MAX && (mac_read(MAC_MII_ACC) & 1u); i++)
        ;
    return (uint16_t)mac_read(MAC_MII_DATA);
}

static void phy_write(uint32_t reg, uint16_t value)
{
    mac_write(MAC_MII_DATA, value);
    mac_write(MAC_MII_ACC, (PHY_ADDR << 11) | (reg << 6) | 2u | 1u);
    for (uint32_t i = 0; i < SPIN_MAX && (mac_read(MAC_MII_ACC) & 1u); i++)
        ;
}

static bool mac_usable(const uint8_t *m)
{
    static const uint8_t zero[6], ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(m, zero, 6) != 0 && memcmp(m, ones, 6) != 0 && !(m[0] & 1u);
}

static void read_mac(struct netif *netif)
{
    uint32_t lo = mac_read(MAC_ADDRL), hi = mac_read(MAC_ADDRH);
    uint8_t *m = netif->hwaddr;
    m[0] = (uint8_t)lo;
    m[1] = (uint8_t)(lo >> 8);
    m[2] = (uint8_t)(lo >> 16);
    m[3] = (uint8_t)(lo >> 24);
    m[4] = (uint8_t)hi;
    m[5] = (uint8_t)(hi >> 8);
    if (!mac_usable(m)) {
        /* no EEPROM (the registers read all ones): a locally administered
         * address (QEMU always has one loaded) */
        static const uint8_t fallback[6] = {0x02, 0x00, 0x5c, 0xb0, 0x00, 0x01};
        memcpy(m, fallback, 6);
        mac_write(MAC_ADDRL, (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
                                 (uint32_t)m[3] << 24);
        mac_write(MAC_ADDRH, (uint32_t)m[4] | (uint32_t)m[5] << 8);
    }
    netif->hwaddr_len = 6;
}

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    uint32_t len = p->tot_len;
    if (len > FRAME_MAX - 4u || pbuf_copy_partial(p, s_eth.buf, (u16_t)len, 0) != len) {
        s_eth.n.tx_dropped++;
        LINK_STATS_INC(link.drop);
        return ERR_IF;
    }
    /* TDFREE is in bytes: the two command words and the padded data */
    uint32_t words = (len + 3u) / 4u;
    uint32_t i;
    for (i = 0; i < SPIN_MAX && (TX_FIFO_INF & 0xFFFFu) < words * 4u + 8u; i++)
        ;
    if (i == SPIN_MAX) {
        s_eth.n.tx_dropped++;
        LINK_STATS_INC(link.drop);
        return ERR_MEM;
    }
    s_eth.tag++;
    TX_DATA_FIFO = TXA_FIRST | TXA_LAST | len;
    TX_DATA_FIFO = ((uint32_t)s_eth.tag << 16) | len;
    for (i = 0; i < words; i++)
        TX_DATA_FIFO = s_eth.buf[i];
    s_eth.n.tx++;
    LINK_STATS_INC(link.xmit);
    return ERR_OK;
}

/* Skips a frame of words words still in the RX data FIFO (3.13.4: fast
 * forward for 4 words or more, plain reads below that). */
static void discard(uint32_t words)
{
    if (words >= 4u) {
        RX_DP_CTRL = RX_DP_FFWD;
        (void)spin_while(&RX_DP_CTRL, RX_DP_FFWD, RX_DP_FFWD);
    } else {
        while (words--)
            (void)RX_DATA_FIFO;
    }
}

bool lan9118_poll(struct netif *netif)
{
    bool any = false;
    for (int n = 0; n < FRAMES_PER_POLL && ((RX_FIFO_INF >> 16) & 0xFFu); n++) {
        uint32_t status = RX_STATUS_FIFO;
        uint32_t len = RXS_LEN(status); /* with the 4 CRC bytes */
        uint32_t words = (len + 3u) / 4u;
        board_entropy_add(FREE_RUN); /* arrival time, 40 ns resolution */
        if ((status & (RXS_ERROR | RXS_FILTER)) || len < 14u + 4u || len > FRAME_MAX) {
            discard(words);
            s_eth.n.rx_errors++;
            LINK_STATS_INC(link.err);
            continue;
        }
        for (uint32_t i = 0; i < words; i++)
            s_eth.buf[i] = RX_DATA_FIFO;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)(len - 4u), PBUF_POOL);
        if (!p) {
            s_eth.n.rx_dropped++;
            LINK_STATS_INC(link.memerr);
            continue;
        }
        pbuf_take(p, s_eth.buf, (u16_t)(len - 4u));
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
        INT_STS = INT_RSFL;
        NVIC_ICPR(0) = 1u << ETH_IRQn;
        NVIC_ISER(0) = 1u << ETH_IRQn;
    }
    return any;
}

/* Level interrupt: masked here until lan9118_poll has emptied the FIFO. */
void ETH_IRQHandler(void);
void ETH_IRQHandler(void)
{
    NVIC_ICER(0) = 1u << ETH_IRQn;
    coop_notify_from_isr();
}

err_t lan9118_netif_init(struct netif *netif)
{
    if (BYTE_TEST != BYTE_TEST_VALUE) {
        board_log("eth: no LAN9118 at 0x%08lx (BYTE_TEST 0x%08lx)", (unsigned long)ETH_BASE,
                  (unsigned long)BYTE_TEST);
        return ERR_IF;
    }
    HW_CFG = HW_CFG_SRST;
    if (!spin_while(&HW_CFG, HW_CFG_SRST, HW_CFG_SRST) ||
        !spin_while(&PMT_CTRL, PMT_CTRL_READY, 0)) {
        board_log("eth: LAN9118 did not come out of reset");
        return ERR_IF;
    }
    HW_CFG = HW_CFG_MBO | HW_CFG_TX_FIF_5K;
    read_mac(netif);

    phy_write(PHY_BCR, PHY_BCR_RESET);
    for (uint32_t i = 0; i < SPIN_MAX && (phy_read(PHY_BCR) & PHY_BCR_RESET); i++)
        ;
    phy_write(PHY_ANAR, PHY_ANAR_ALL);
    phy_write(PHY_BCR, PHY_BCR_ANEN | PHY_BCR_ANRST);

    FIFO_INT = 0; /* RSFL as soon as one status is in the RX status FIFO */
    RX_CFG = 0;   /* no offset, 4-byte end alignment */
    INT_STS = 0xFFFFFFFFu;
    INT_EN = INT_RSFL;
    /* active-high push-pull: QEMU's model drives the line that way only */
    IRQ_CFG = IRQ_CFG_EN | IRQ_CFG_POL_HIGH | IRQ_CFG_PUSHPULL;
    TX_CFG = TX_CFG_TX_ON | TX_CFG_TXSAO;
    mac_write(MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX);
    NVIC_IPR(ETH_IRQn) = 0x80;
    NVIC_ICPR(0) = 1u << ETH_IRQn;
    NVIC_ISER(0) = 1u << ETH_IRQn;

    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = linkoutput;
    if (phy_read(PHY_BSR) & PHY_BSR_LINK)
        netif->flags |= NETIF_FLAG_LINK_UP;
    board_log("eth: LAN9118 id 0x%08lx, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s",
              (unsigned long)ID_REV, netif->hwaddr[0], netif->hwaddr[1], netif->hwaddr[2],
              netif->hwaddr[3], netif->hwaddr[4], netif->hwaddr[5],
              (netif->flags & NETIF_FLAG_LINK_UP) ? "up" : "down");
    return ERR_OK;
}

void lan9118_counts(lan9118_counts_t *out)
{
    *out = s_eth.n;
}
