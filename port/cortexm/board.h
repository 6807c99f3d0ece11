/* board.h - the mps2-an385 board (ARM MPS2 FPGA image AN385: Cortex-M3 at
 * 25 MHz, CMSDK APB UART, SMSC LAN9118-compatible Ethernet, FPGA I/O LEDs)
 * as the board's own files see it: addresses, and the functions they share.
 * Memory map and IRQ numbers: ARM AN385 (Cortex-M3 on MPS2), table 3-1/3-3. */
#ifndef BOARD_H
#define BOARD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_NAME   "mps2-an385"
#define BOARD_CPU_HZ 25000000u /* SYSCLK, AN385 section 3.3 */

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* CMSDK APB UART0 (ARM DDI0479C, 4.6): QEMU's first -serial. */
#define UART0_BASE 0x40004000u
/* FPGA system control and I/O: LED0 bit 0..1 are the user LEDs (AN385 3.9) */
#define FPGAIO_BASE 0x40028000u
/* LAN9118 (the AN385 has a LAN9220: same registers, no checksum offload) */
#define ETH_BASE 0x40200000u
#define ETH_IRQn 13

/* Cortex-M3 system control space (ARMv7-M ARM, B3.2) */
#define SCB_VTOR    REG32(0xE000ED08u)
#define SCB_AIRCR   REG32(0xE000ED0Cu)
#define SCB_SHCSR   REG32(0xE000ED24u)
#define SCB_CFSR    REG32(0xE000ED28u)
#define SCB_HFSR    REG32(0xE000ED2Cu)
#define SCB_MMFAR   REG32(0xE000ED34u)
#define SCB_BFAR    REG32(0xE000ED38u)
#define SYST_CSR    REG32(0xE000E010u)
#define SYST_RVR    REG32(0xE000E014u)
#define SYST_CVR    REG32(0xE000E018u)
#define NVIC_ISER0  REG32(0xE000E100u)
#define NVIC_ICER0  REG32(0xE000E180u)
#define NVIC_ICPR0  REG32(0xE000E280u)
#define NVIC_IPR(n) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (n)))

static inline uint32_t irq_save(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

/* ---- uart.c: UART0, polled ---- */
void board_uart_init(void);
void board_uart_write(const char *s, size_t len);
void board_uart_puts(const char *s);
/* Next received byte, or -1 when none is waiting. */
int board_uart_getc(void);
/* printf-style text on the UART, as is (no prefix, no newline added). */
void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void board_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* ---- clock.c: SysTick at 1 kHz, the LEDs as the buzzer ---- */
void board_clock_init(void);
uint32_t board_ms32(void);
/* Sub-millisecond jitter source: the SysTick down-counter (25 MHz). */
static inline uint32_t board_cycles(void)
{
    return SYST_CVR;
}
void board_leds_set(uint32_t bits);
uint32_t board_leds(void);

/* ---- entropy.c: the entropy pool behind cb_port_random and LWIP_RAND ---- */
void board_entropy_init(void);
/* Mixes a sample (a timestamp of an external event) into the pool. */
void board_entropy_add(uint32_t sample);
/* Cheap non-cryptographic randomness (TCP ports, ISNs, DHCP xid). */
uint32_t board_rand(void);

/* ---- port.c: the display on the UART, the rest of cb_port.h ---- */
void board_display_init(unsigned rows);
/* Handles keys from the UART: acknowledge, stats, reset (board README). */
void board_keys_poll(void);
/* One "log| " line on the UART (also used by lwIP's diagnostics). */
void board_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- store_ram.c: the storage slots in a RAM region kept across reset ---- */
/* Checks the slot headers left by a previous run; formats them otherwise.
 * Returns true when a previous run's data was found. */
bool board_store_init(void);

/* ---- stats (the 's' key, the size report) ---- */
void board_stats_print(void);
uint32_t board_coop_stack_free(void); /* bytes of the tcpip stack never used */
uint32_t board_main_stack_free(void);

/* ---- net.c ---- */
/* The address the netif ended up with ("10.0.2.15"), "" before bring-up. */
const char *board_net_ip(void);

/* Never returns: hard reset through AIRCR.SYSRESETREQ (storage survives). */
void board_reset(void) __attribute__((noreturn));
/* Prints why on the UART ("panic| ...") and stops. */
void board_panic(const char *why) __attribute__((noreturn));

#endif
