/* uart.c - the LM3S6965's UART0 (a PL011: datasheet "UART" register map),
 * polled, 115200 8N1 on PA0/PA1: the console (port/cortexm/console.c). QEMU
 * connects it to the first -serial. */
#include "board.h"

#define UART_DR   REG32(UART0_BASE + 0x000u)
#define UART_FR   REG32(UART0_BASE + 0x018u)
#define UART_IBRD REG32(UART0_BASE + 0x024u)
#define UART_FBRD REG32(UART0_BASE + 0x028u)
#define UART_LCRH REG32(UART0_BASE + 0x02Cu)
#define UART_CTL  REG32(UART0_BASE + 0x030u)

#define FR_RXFE    (1u << 4)
#define FR_TXFF    (1u << 5)
#define LCRH_FEN   (1u << 4)
#define LCRH_WLEN8 (3u << 5)
#define CTL_UARTEN (1u << 0)
#define CTL_TXE    (1u << 8)
#define CTL_RXE    (1u << 9)

#define BAUD 115200u

void board_uart_init(void)
{
    /* divisor = clock / (16 * baud) in 16.6 fixed point: 27 + 8/64 at 50 MHz */
    uint32_t div64 = (BOARD_CPU_HZ * 4u + BAUD / 2u) / BAUD;
    UART_CTL = 0;
    UART_IBRD = div64 >> 6;
    UART_FBRD = div64 & 63u;
    UART_LCRH = LCRH_WLEN8 | LCRH_FEN;
    UART_CTL = CTL_UARTEN | CTL_TXE | CTL_RXE;
}

void board_uart_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (UART_FR & FR_TXFF)
            ;
        UART_DR = (uint32_t)(unsigned char)s[i];
    }
}

int board_uart_getc(void)
{
    if (UART_FR & FR_RXFE)
        return -1;
    return (int)(UART_DR & 0xffu);
}
