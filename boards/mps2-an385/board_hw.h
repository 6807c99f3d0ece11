/* board_hw.h - the mps2-an385 board's own facts for port/cortexm (board.h):
 * ARM MPS2 with FPGA image AN385 (Cortex-M3 at 25 MHz, CMSDK APB UART,
 * SMSC LAN9118-compatible Ethernet, FPGA I/O LEDs). Memory map and IRQ
 * numbers: ARM AN385, tables 3-1 and 3-3. */
#ifndef BOARD_HW_H
#define BOARD_HW_H

#define BOARD_NAME   "mps2-an385"
#define BOARD_CPU_HZ 25000000u /* SYSCLK, AN385 section 3.3 */

/* CMSDK APB UART0 (ARM DDI0479C, 4.6): QEMU's first -serial. */
#define UART0_BASE 0x40004000u
/* FPGA system control and I/O: LED0 bit 0..1 are the user LEDs (AN385 3.9) */
#define FPGAIO_BASE 0x40028000u
/* LAN9118 (the AN385 has a LAN9220: same registers, no checksum offload) */
#define ETH_BASE   0x40200000u
#define ETH_IRQn   13
#define BOARD_IRQS 32

/* The device's own pages of that flash, before the journal's: two copies of
 * the stored settings of one sector each, then the entropy seed's sector
 * (port/cortexm/settings_store.c). */
#define BOARD_SETTINGS_PAGES 1u
/* and after the journal's slots one page for the device's TLS key (the
 * HTTPS image, chatbell-tls.elf; kept by the plain one too) */
#define BOARD_TLS_KEY_PAGES 1u

/* The CMSDK APB watchdog (ARM DDI0479C 4.5; QEMU's mps2.c maps it at
 * 0x40008000 on SYSCLK, its interrupt wired to the NMI). */
#define BOARD_WDOG_BASE       0x40008000u
#define BOARD_WDOG_HZ         BOARD_CPU_HZ
#define BOARD_WDOG_CLOCK_ON() ((void)0)

/* The journal's flash (the AN385 has none: the same NOR model as the
 * lm3s6965evb, in bigger sectors, kept in a host file through semihosting):
 * 4 KiB erase sectors, two slots of 128 sectors (512 KiB), 16 of them the
 * sync log (8 bytes a sync: 8,192 syncs between two erases of a slot). */
#define BOARD_FLASH_PAGE       4096u
#define BOARD_FLASH_SLOT_PAGES 128u
#define BOARD_FLASH_LOG_PAGES  16u
/* Compaction well before a slot's 448 KiB of data fill. */
#define BOARD_JOURNAL_BUDGET (112u * 1024u)

#endif
