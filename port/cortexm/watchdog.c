/* watchdog.c - the part's watchdog, fed every loop turn (console.c's
 * cb_port_button_pressed, which cb_server_tick calls at least every 100 ms).
 * Both boards have the same register block: ARM's CMSDK APB watchdog on
 * mps2-an385, the Stellaris WDT on lm3s6965evb (QEMU models both in
 * hw/watchdog/cmsdk-apb-watchdog.c). The counter runs down from LOAD; the
 * first time-out raises the interrupt and reloads, the second resets the
 * part: a loop that stops feeding it is reset within 2 x WATCHDOG_MS. */
#include "board.h"

#define WDOG_LOAD    REG32(BOARD_WDOG_BASE + 0x000u)
#define WDOG_CONTROL REG32(BOARD_WDOG_BASE + 0x008u)
#define WDOG_INTCLR  REG32(BOARD_WDOG_BASE + 0x00Cu)
#define WDOG_LOCK    REG32(BOARD_WDOG_BASE + 0xC00u)
#define WDOG_INTEN   (1u << 0)
#define WDOG_RESEN   (1u << 1)
#define WDOG_UNLOCK  0x1ACCE551u

/* Long enough for the slowest loop turn (a journal compaction over
 * semihosting in QEMU on a loaded host), short enough that a hung device is
 * back within seconds. */
#define WATCHDOG_MS 2000u

void board_watchdog_start(void)
{
    BOARD_WDOG_CLOCK_ON();
    WDOG_LOCK = WDOG_UNLOCK;
    WDOG_LOAD = BOARD_WDOG_HZ / 1000u * WATCHDOG_MS;
    /* one write: the Stellaris part ignores CONTROL once INTEN is set */
    WDOG_CONTROL = WDOG_INTEN | WDOG_RESEN;
    WDOG_LOCK = 0;
    board_log("watchdog: on, reset %u ms after the loop stops", 2u * WATCHDOG_MS);
}

void board_watchdog_feed(void)
{
    WDOG_LOCK = WDOG_UNLOCK;
    WDOG_INTCLR = 1u; /* clears the first time-out and reloads LOAD */
    WDOG_LOCK = 0;
}

/* mps2-an385 wires the first time-out to the NMI (the Stellaris part's IRQ
 * 18 stays disabled): say so, then wait for the reset. */
void NMI_Handler(void)
{
    board_printf("\r\nlog| watchdog: not fed for %u ms: reset in %u ms\r\n", WATCHDOG_MS,
                 WATCHDOG_MS);
    for (;;)
        __asm volatile("nop");
}
