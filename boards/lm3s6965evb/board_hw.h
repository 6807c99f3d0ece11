/* board_hw.h - the lm3s6965evb board's own facts for port/cortexm (board.h):
 * TI (Luminary Micro) Stellaris LM3S6965 evaluation board - Cortex-M3 at
 * 50 MHz (PLL), 64 KiB SRAM, 256 KiB flash with 1 KiB erase pages, an
 * Ethernet MAC+PHY, UART0, SSI0 to the OSRAM 128x64 OLED (SSD0323), the
 * select button on PF1 and the user LED on PF0. Addresses and bits: the
 * LM3S6965 datasheet (register maps of each chapter); what QEMU models:
 * hw/arm/stellaris.c, hw/net/stellaris_enet.c, hw/display/ssd0323.c. */
#ifndef BOARD_HW_H
#define BOARD_HW_H

#define BOARD_NAME   "lm3s6965evb"
#define BOARD_CPU_HZ 50000000u /* PLL 200 MHz / SYSDIV 4 (board.c) */

#define SYSCTL_BASE 0x400FE000u
#define UART0_BASE  0x4000C000u
#define SSI0_BASE   0x40008000u
#define GPIOA_BASE  0x40004000u
#define GPIOC_BASE  0x40006000u
#define GPIOF_BASE  0x40025000u
#define ETH_BASE    0x40048000u
#define ETH_IRQn    42
#define BOARD_IRQS  44

/* The device's own flash pages, under the journal (lm3s6965.ld): two copies
 * of the stored settings of 2 pages each, then the entropy seed's page
 * (port/cortexm/settings_store.c). */
#define BOARD_SETTINGS_PAGES 2u

/* The watchdog (datasheet "Watchdog Timer"; QEMU's luminary-watchdog in
 * hw/watchdog/cmsdk-apb-watchdog.c): clocked by the system clock, enabled in
 * RCGC0 bit 3; its interrupt (IRQ 18) is left disabled: the second time-out
 * resets the part. */
#define BOARD_WDOG_BASE       0x40000000u
#define BOARD_WDOG_HZ         BOARD_CPU_HZ
#define BOARD_WDOG_CLOCK_ON() (REG32(SYSCTL_BASE + 0x100u) |= 1u << 3)

/* The journal in the top 112 KiB of the part's flash (lm3s6965.ld): 1 KiB
 * erase pages, two slots of 56 pages, 8 of them the sync log (8 bytes a
 * sync: 1,024 syncs between two erases of a slot), 48 KiB of data each. */
#define BOARD_FLASH_PAGE       1024u
#define BOARD_FLASH_SLOT_PAGES 56u
#define BOARD_FLASH_LOG_PAGES  8u
/* Compaction at a quarter of a slot's data. */
#define BOARD_JOURNAL_BUDGET (12u * 1024u)

#endif
