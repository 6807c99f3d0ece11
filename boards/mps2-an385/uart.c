/* uart.c - CMSDK APB UART0 (ARM DDI0479C section 4.6), polled: the board's
 * console, its display (VT100, port.c) and its keyboard. Called by port.c,
 * startup.c and lwIP's diagnostics. QEMU connects it to the first -serial. */
#include "board.h"

#include <stdio.h>

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

void board_uart_puts(const char *s)
{
    while (*s)
        putc_raw(*s++);
}

int board_uart_getc(void)
{
    if (!(UART_STATE & STATE_RXFULL))
        return -1;
    return (int)(UART_DATA & 0xffu);
}

void board_vprintf(const char *fmt, va_list ap)
{
    static char buf[512];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0)
        return;
    board_uart_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void board_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    board_vprintf(fmt, ap);
    va_end(ap);
}
