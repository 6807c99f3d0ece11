/* board.c - the lm3s6965evb board for port/cortexm: the system clock (PLL to
 * 50 MHz), peripheral clocks and pins, the interrupt table, the user LED
 * (PF0) as the buzzer, the select button (PF1) sampled by the tick, and the
 * display on the OLED and mirrored on the console. */
#include "board.h"
#include "cb_port.h"
#include "oled.h"
#include "stellaris_eth.h"

#define SYSCTL(off) REG32(SYSCTL_BASE + (off))
#define RIS         SYSCTL(0x050u)
#define RCC         SYSCTL(0x060u)
#define RCGC1       SYSCTL(0x104u)
#define RCGC2       SYSCTL(0x108u)

#define RCC_BYPASS    (1u << 11)
#define RCC_PWRDN     (1u << 13)
#define RCC_USESYSDIV (1u << 22)
#define RCC_XTAL_8MHZ (0xEu << 6)
#define RCC_SYSDIV(n) ((uint32_t)(n) << 23) /* divide the 200 MHz PLL by n + 1 */
#define RCC_XTAL_MASK (0x1Fu << 6)
#define RCC_OSC_MASK  (0x3u << 4)
#define RCC_DIV_MASK  (0xFu << 23)
#define RIS_PLLLRIS   (1u << 6)

#define RCGC1_UART0 (1u << 0)
#define RCGC1_SSI0  (1u << 4)
#define RCGC2_GPIOA (1u << 0)
#define RCGC2_GPIOC (1u << 2)
#define RCGC2_GPIOF (1u << 5)
#define RCGC2_EMAC0 (1u << 28)
#define RCGC2_EPHY0 (1u << 30)

/* GPIO (datasheet "GPIO" register map): DATA is masked by address bits 9:2 */
#define GPIO_DATA(base, mask) REG32((base) + ((uint32_t)(mask) << 2))
#define GPIO_DIR(base)        REG32((base) + 0x400u)
#define GPIO_AFSEL(base)      REG32((base) + 0x420u)
#define GPIO_PUR(base)        REG32((base) + 0x510u)
#define GPIO_DEN(base)        REG32((base) + 0x51Cu)

#define LED_PIN     (1u << 0) /* PF0 */
#define BUTTON_PIN  (1u << 1) /* PF1, low while pressed */
#define DEBOUNCE_MS 5u

static struct {
    uint32_t stable, count; /* the button's debounced level, ms it differed */
} s_board = {.stable = BUTTON_PIN};

/* PLL set-up in the datasheet's order ("Initialization and Configuration"):
 * bypass it, power it with the 8 MHz crystal, set the divider, wait for it
 * to lock, then switch over. */
static void clock_init(void)
{
    uint32_t rcc = RCC;
    rcc |= RCC_BYPASS;
    rcc &= ~RCC_USESYSDIV;
    RCC = rcc;
    rcc = (rcc & ~(RCC_XTAL_MASK | RCC_OSC_MASK | RCC_PWRDN)) | RCC_XTAL_8MHZ;
    RCC = rcc;
    rcc = (rcc & ~RCC_DIV_MASK) | RCC_SYSDIV(3) | RCC_USESYSDIV;
    RCC = rcc;
    for (uint32_t spins = 0; !(RIS & RIS_PLLLRIS) && spins < 100000u; spins++)
        ;
    RCC = rcc & ~RCC_BYPASS;
}

void board_hw_init(void)
{
    clock_init();
    RCGC1 |= RCGC1_UART0 | RCGC1_SSI0;
    RCGC2 |= RCGC2_GPIOA | RCGC2_GPIOC | RCGC2_GPIOF | RCGC2_EMAC0 | RCGC2_EPHY0;
    (void)RCGC2; /* a few cycles before the peripherals are touched */
    /* PA0/PA1 UART0, PA2/PA3/PA5 SSI0 clock, frame, transmit */
    GPIO_AFSEL(GPIOA_BASE) |= 0x2Fu;
    GPIO_DEN(GPIOA_BASE) |= 0x2Fu;
    /* PF0 LED out, PF1 button in with its pull-up */
    GPIO_DIR(GPIOF_BASE) = (GPIO_DIR(GPIOF_BASE) | LED_PIN) & ~BUTTON_PIN;
    GPIO_PUR(GPIOF_BASE) |= BUTTON_PIN;
    GPIO_DEN(GPIOF_BASE) |= LED_PIN | BUTTON_PIN;
}

/* Datasheet "Interrupts": 0-4 GPIO A-E, 5/6 UART0/1, 7 SSI0, ..., 42 Ethernet,
 * 43 hibernation. Only the Ethernet's is enabled; the rest are polled. */
/* clang-format off */
#define D Default_Handler
__attribute__((section(".vectors.irq"), used)) static const board_vector_t s_irqs[BOARD_IRQS] = {
    D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, /* 0..21 */
    D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,       /* 22..41 */
    ETH_IRQHandler, D,                                                /* 42, 43 */
};
#undef D
/* clang-format on */

void board_buzzer_set(bool on)
{
    GPIO_DATA(GPIOF_BASE, LED_PIN) = on ? LED_PIN : 0u;
}

/* One press per release of the button, after DEBOUNCE_MS of a steady level.
 * (QEMU drives PF1 from a key: `sendkey ctrl`, hw/arm/stellaris.c.) */
unsigned board_button_tick(void)
{
    uint32_t level = GPIO_DATA(GPIOF_BASE, BUTTON_PIN);
    if (level == s_board.stable) {
        s_board.count = 0;
        return 0;
    }
    if (++s_board.count < DEBOUNCE_MS)
        return 0;
    s_board.stable = level;
    s_board.count = 0;
    return level ? 1u : 0u;
}

void board_display_init(unsigned rows)
{
    oled_init(rows);
}

void cb_port_display_draw(const char *const *lines, unsigned rows, unsigned cols)
{
    oled_draw(lines, rows, cols);
    board_console_draw(lines, rows, cols);
}

int board_netif_init(struct netif *netif)
{
    return stellaris_eth_init(netif);
}

bool board_netif_poll(struct netif *netif)
{
    return stellaris_eth_poll(netif);
}

void board_netif_stats(void)
{
    stellaris_eth_counts_t n;
    stellaris_eth_counts(&n);
    board_printf("stats| eth: rx %lu tx %lu, dropped rx %lu tx %lu, rx errors %lu\r\n",
                 (unsigned long)n.rx, (unsigned long)n.tx, (unsigned long)n.rx_dropped,
                 (unsigned long)n.tx_dropped, (unsigned long)n.rx_errors);
}
