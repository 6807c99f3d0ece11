/* clock.c - SysTick at 1 kHz on any Cortex-M3 board: the monotonic clock
 * (cb_port_now_ms), the wall clock (untrusted until SNTP's first answer,
 * then monotonic: clock_sntp.c), the buzzer
 * pattern stepped from the tick (the board switches its output), and the
 * board's button sampled every tick. */
#include "board.h"
#include "cb_config.h"
#include "cb_err.h"
#include "cb_port.h"

#define BUZZER_STEP_MS 100u /* cb_port.h: one pattern step */

static struct {
    volatile uint64_t ms;
    /* the pattern being played; written by the main context with the tick
     * interrupt masked, read by the interrupt */
    char pattern[CB_CFG_STR_MAX];
    volatile uint32_t step, step_ms;
    volatile bool playing;
    volatile uint32_t presses; /* button presses counted by the tick */
    uint32_t taken;            /* presses handed to the core */
    /* the wall clock: wall_ms at uptime at_ms, set by SNTP (tcpip thread;
     * no interrupt touches it) */
    bool wall_ok;
    int64_t wall_ms;
    uint64_t at_ms;
    uint32_t syncs, behind; /* answers taken, answers behind the clock */
} s_clock;

void board_clock_init(void)
{
    /* ARMv7-M B3.3: reload for 1 ms on the processor clock, interrupt on */
    SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = (1u << 2) | (1u << 1) | (1u << 0); /* CLKSOURCE | TICKINT | ENABLE */
    board_buzzer_set(false);
}

static void buzzer_step(void)
{
    if (!s_clock.playing || ++s_clock.step_ms < BUZZER_STEP_MS)
        return;
    s_clock.step_ms = 0;
    char c = s_clock.pattern[s_clock.step];
    if (c == '\0') { /* the pattern is over: buzzer off */
        s_clock.playing = false;
        board_buzzer_set(false);
        return;
    }
    board_buzzer_set(c == '-');
    s_clock.step++;
}

void SysTick_Handler(void)
{
    s_clock.ms++;
    s_clock.presses += board_button_tick();
    buzzer_step();
}

uint32_t board_ms32(void)
{
    return (uint32_t)s_clock.ms; /* one 32-bit load: atomic */
}

uint64_t cb_port_now_ms(void)
{
    uint32_t pm = irq_save();
    uint64_t ms = s_clock.ms;
    irq_restore(pm);
    return ms;
}

/* No trusted wall clock until SNTP's first answer (SPEC 9): no replay
 * window, no Date, dynamic tokens 503. */
int cb_port_wall_ms(int64_t *out)
{
    if (!s_clock.wall_ok)
        return CB_ERR_CLOCK;
    *out = s_clock.wall_ms + (int64_t)(cb_port_now_ms() - s_clock.at_ms);
    return CB_OK;
}

/* An SNTP answer (seconds since 1970 and microseconds). Forward steps are
 * taken; an answer behind the clock is not (logged, counted): the clock
 * never runs backwards once set, so an expired token or a stale event never
 * becomes valid again. */
void board_clock_set_wall(uint32_t sec, uint32_t us)
{
    int64_t t = (int64_t)sec * 1000 + us / 1000u;
    int64_t cur = 0;
    s_clock.syncs++;
    if (cb_port_wall_ms(&cur) == CB_OK && t < cur) {
        s_clock.behind++;
        board_log("sntp: the answer is %ld ms behind the clock: not stepping back",
                  (long)(cur - t));
        return;
    }
    bool first = !s_clock.wall_ok;
    s_clock.wall_ms = t;
    s_clock.at_ms = cb_port_now_ms();
    s_clock.wall_ok = true;
    if (first)
        board_log("sntp: clock set to %lu (unix seconds): trusted", (unsigned long)sec);
}

void board_clock_counts(uint32_t *syncs, uint32_t *behind)
{
    *syncs = s_clock.syncs;
    *behind = s_clock.behind;
}

void cb_port_buzzer_play(const char *pattern)
{
    uint32_t pm = irq_save();
    size_t n = 0;
    while (n < sizeof s_clock.pattern - 1 && pattern[n]) {
        s_clock.pattern[n] = pattern[n];
        n++;
    }
    s_clock.pattern[n] = '\0';
    s_clock.step = 0;
    s_clock.step_ms = BUZZER_STEP_MS - 1u; /* first step on the next tick */
    s_clock.playing = true;
    irq_restore(pm);
}

bool board_button_take(void)
{
    if (s_clock.taken == s_clock.presses)
        return false;
    s_clock.taken++;
    board_entropy_add(board_cycles() ^ s_clock.taken);
    return true;
}
