/* board.c - the mps2-an385 board for port/cortexm: its interrupt table, the
 * FPGA LEDs as the buzzer, no button (the console's key is the button), the
 * LAN9118 as the netif, the display on the console only. */
#include "board.h"
#include "cb_port.h"
#include "lan9118.h"

#define FPGAIO_LED0 REG32(FPGAIO_BASE + 0x00u) /* AN385 3.9: bits 1:0 = user LEDs */

void ETH_IRQHandler(void);

/* AN385 table 3-3: only the LAN9118's (13) is enabled; the UART is polled. */
/* clang-format off */
#define D Default_Handler
__attribute__((section(".vectors.irq"), used)) static const board_vector_t s_irqs[BOARD_IRQS] = {
    D, D, D, D, D, D, D, D, D, D, D, D, D, ETH_IRQHandler, /* 0..13 */
    D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,  /* 14..31 */
};
#undef D
/* clang-format on */

void board_hw_init(void) {}

void board_buzzer_set(bool on)
{
    FPGAIO_LED0 = on ? 0x3u : 0x0u;
}

unsigned board_button_tick(void)
{
    return 0;
}

void board_display_init(unsigned rows)
{
    (void)rows;
}

void cb_port_display_draw(const char *const *lines, unsigned rows, unsigned cols)
{
    board_console_draw(lines, rows, cols);
}

int board_netif_init(struct netif *netif)
{
    return lan9118_netif_init(netif);
}

bool board_netif_poll(struct netif *netif)
{
    return lan9118_poll(netif);
}

void board_netif_stats(void)
{
    lan9118_counts_t n;
    lan9118_counts(&n);
    board_printf("stats| eth: rx %lu tx %lu, dropped rx %lu tx %lu, rx errors %lu\r\n",
                 (unsigned long)n.rx, (unsigned long)n.tx, (unsigned long)n.rx_dropped,
                 (unsigned long)n.tx_dropped, (unsigned long)n.rx_errors);
}
