/* board.h - the bare-metal Cortex-M layer (port/cortexm) and the boards on it:
 * what the layer gives a board (console, clock, entropy, scheduler, storage,
 * lwIP bring-up, main) and what each board folder must give it (its
 * board_hw.h with addresses and clock, the UART, the netif, the display, the
 * buzzer and button, its interrupt table). */
#ifndef BOARD_H
#define BOARD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cb_settings.h"

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* The board's own facts: BOARD_NAME, BOARD_CPU_HZ (after board_hw_init),
 * register addresses, and the flash geometry of the storage (BOARD_FLASH_PAGE,
 * BOARD_FLASH_SLOT_PAGES, BOARD_FLASH_LOG_PAGES, BOARD_JOURNAL_BUDGET). */
#include "board_hw.h"

/* CB_BOARD_TLS: 1 in an HTTPS build (set by its config header). */
#include "cb_config.h"
#ifndef CB_BOARD_TLS
#define CB_BOARD_TLS 0
#endif

/* The flash region of flash.h: the device's own pages first - the stored
 * settings' two copies (BOARD_SETTINGS_PAGES each) and the entropy seed's
 * page (settings_store.c) - then the journal's two slots (store_flash.c),
 * then on a board that can serve HTTPS (BOARD_TLS_KEY_PAGES 1 in its
 * board_hw.h) the device's TLS key page (tls_device.c). */
#ifndef BOARD_TLS_KEY_PAGES
#define BOARD_TLS_KEY_PAGES 0u
#endif
#define BOARD_FLASH_OWN_BYTES  ((2u * BOARD_SETTINGS_PAGES + 1u) * BOARD_FLASH_PAGE)
#define BOARD_FLASH_SLOT_BYTES (BOARD_FLASH_SLOT_PAGES * BOARD_FLASH_PAGE)
#define BOARD_FLASH_TLS_OFF    (BOARD_FLASH_OWN_BYTES + 2u * BOARD_FLASH_SLOT_BYTES)
#define BOARD_FLASH_BYTES      (BOARD_FLASH_TLS_OFF + BOARD_TLS_KEY_PAGES * BOARD_FLASH_PAGE)

/* Cortex-M3 system control space (ARMv7-M ARM, B3.2) */
#define SCB_VTOR     REG32(0xE000ED08u)
#define SCB_AIRCR    REG32(0xE000ED0Cu)
#define SCB_SHCSR    REG32(0xE000ED24u)
#define SCB_CFSR     REG32(0xE000ED28u)
#define SCB_HFSR     REG32(0xE000ED2Cu)
#define SCB_MMFAR    REG32(0xE000ED34u)
#define SCB_BFAR     REG32(0xE000ED38u)
#define SYST_CSR     REG32(0xE000E010u)
#define SYST_RVR     REG32(0xE000E014u)
#define SYST_CVR     REG32(0xE000E018u)
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_IPR(n)  (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (n)))

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

/* Sub-millisecond jitter source: the SysTick down-counter. */
static inline uint32_t board_cycles(void)
{
    return SYST_CVR;
}

/* ================= given by each board (boards/<name>/) ================= */

/* The board's interrupt vectors (an array of board_vector_t in section
 * .vectors.irq, right after the layer's 16 system ones); unused entries
 * are Default_Handler, which reports and stops. */
typedef void (*board_vector_t)(void);
void Default_Handler(void);

/* Clocks, pins and the devices main() needs before anything else. */
void board_hw_init(void);

/* The console UART, polled. */
void board_uart_init(void);
void board_uart_write(const char *s, size_t len);
/* Next received byte, or -1 when none is waiting. */
int board_uart_getc(void);

/* The display (cb_port_display_draw is the board's too): set up for rows. */
void board_display_init(unsigned rows);

/* The buzzer output, switched by the clock's tick (cortexm/clock.c). */
void board_buzzer_set(bool on);
/* Called from the 1 kHz tick: the board samples its button; returns the
 * presses seen (0 or 1). Boards without one return 0. */
unsigned board_button_tick(void);

/* The Ethernet netif: netif_add's init callback, the receive poll (the
 * scheduler's idle hook: true if it passed a frame on), and a stats line. */
struct netif;
int board_netif_init(struct netif *netif); /* err_t */
bool board_netif_poll(struct netif *netif);
void board_netif_stats(void);

/* ================= given by the layer (port/cortexm/) ================= */

/* console.c: text on the UART */
void board_uart_puts(const char *s);
void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void board_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* One "log| " line on the UART (also used by lwIP's diagnostics). */
void board_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The display mirrored on the console as VT100 frames (the tests read them
 * back): a box of rows lines at the top, the log scrolling below it. */
void board_console_display_init(unsigned rows);
void board_console_draw(const char *const *lines, unsigned rows, unsigned cols);
/* Moves received bytes from the UART into the console's buffer (the
 * scheduler's idle hook); true if there were any. */
bool board_console_rx_poll(void);
/* Handles keys from the UART: acknowledge, stats, reset (board README). */
void board_keys_poll(void);

/* clock.c: SysTick at 1 kHz, the buzzer pattern, the button sampling */
void board_clock_init(void);
uint32_t board_ms32(void);
/* SNTP's answers (SNTP_SET_SYSTEM_TIME_US): the wall clock, monotonic. */
void board_clock_set_wall(uint32_t sec, uint32_t us);
void board_clock_counts(uint32_t *syncs, uint32_t *behind);
/* True once for each press of the board's button counted by the tick. */
bool board_button_take(void);

/* entropy.c: the pool behind cb_port_random and LWIP_RAND */
void board_entropy_init(void);
/* Mixes a sample (a timestamp of an external event) into the pool. */
void board_entropy_add(uint32_t sample);
/* Mixes a seed kept from an earlier boot into the pool. */
void board_entropy_seed(const void *seed, size_t len);
/* Cheap non-cryptographic randomness (TCP ports, ISNs, DHCP xid). */
uint32_t board_rand(void);

/* store_flash.c: the journal slots in flash; true when a previous run's data
 * was found. */
bool board_store_init(void);
void board_store_stats(void);

/* settings_store.c: the device's settings in their own flash pages (SPEC
 * 9), the entropy seed kept next to them, and the console's commands. */
/* Mixes the seed kept in flash into the pool and replaces it (every boot,
 * before anything random is drawn). */
void board_seed_renew(void);
/* Keeps live (the struct the server runs with) and base (fills a struct with
 * the image's defaults), then applies the stored settings over them: true
 * when a valid copy was found (the device is provisioned). */
bool board_settings_init(cb_settings_t *live, void (*base)(cb_settings_t *s));
/* A console line ("set KEY VALUE", "show", "commit", "reset", "hang"). */
void board_settings_console(const char *line);
/* One key from the console: true when it is the button (a, space, Enter on
 * an empty line); other keys make command lines (board_settings_console). */
bool board_console_key(int c);
/* False while no settings are stored (webhooks get 503 not_provisioned). */
bool board_provisioned(void);
/* Called every loop turn: a restart asked for by a commit, once its answer
 * had time to leave. */
void board_settings_poll(void);

/* watchdog.c: the part's watchdog, fed every loop turn */
void board_watchdog_start(void);
void board_watchdog_feed(void);

/* stats (the 's' key, the tests) */
void board_stats_print(void);
uint32_t board_coop_stack_free(void); /* bytes of the tcpip stack never used */
uint32_t board_main_stack_free(void);

/* clock_sntp.c: lwIP's SNTP client on server ("a.b.c.d" or "a.b.c.d:port";
 * "" = the server DHCP names); the banner's clock line. */
void board_sntp_start(const char *server);

/* HTTPS (tls_device.c, in CB_BOARD_TLS images): with listen_tls set, the
 * server on the device's own key (made and stored on first use), listening
 * from the loop's start. 0, or -1 with err (the board serves HTTP only). */
int board_tls_start(const char *listen_tls, char *err, size_t cap);
/* "https://ADDR:PORT" and the certificate's SHA-256 for the banner ("" when off). */
const char *board_tls_url(void);
void board_tls_stats(void);
/* The console's `tls` line (arg "" or "newkey"). */
void board_tls_console(const char *arg);
const char *board_sntp_status(void);
/* Development images' `sntp` command: a request now, not at the next poll. */
void board_sntp_now(void);
uint16_t board_sntp_port(void);

/* net.c: the address the netif ended up with ("10.0.2.15"), "" before. */
const char *board_net_ip(void);

/* Never returns: hard reset through AIRCR.SYSRESETREQ (storage survives). */
void board_reset(void) __attribute__((noreturn));
/* Prints why on the UART ("panic| ...") and stops. */
void board_panic(const char *why) __attribute__((noreturn));

#endif
