/* uart.c - CMSDK APB UART0 (ARM DDI0479C section 4.6), polled: the board's
 * console (port/cortexm/console.c: log, signal log, VT100 display, keys). QEMU connects it to the
 * first -serial. */
#include "board.h"

#define UART_DATA    REG32(UART0_BASE + 0x00u)
#define UART_STATE   REG32(UART0_BASE + 0x04u)
#define UART_CTRL    REG32(UART0_BASE + 0x08u)
#define UART_BAUDDIV REG32(UART0_BASE + 0x10u)

#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define CTRL_TX_EN   (1u << 0)
#define CTRL_RX_EN   (1u << 1)

#define BAUD 115200u

void board_uart_init(void)
{
    /* BAUDDIV >= 16 (DDI0479C 4.6.2); QEMU ignores TX below that */
    UART_BAUDDIV = BOARD_CPU_HZ / BAUD;
    UART_CTRL = CTRL_TX_EN | CTRL_RX_EN;
}

static void putc_raw(char c)
{
    while (UART_STATE & STATE_TXFULL)
        ;
    UART_DATA = (uint32_t)(unsigned char)c;
}

void board_uart_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        putc_raw(s[i]);
}

int board_uart_getc(void)
{
    if (!(UART_STATE & STATE_RXFULL))
        return -1;
    return (int)(UART_DATA & 0xffu);
}
