/* coop.c - two cooperative contexts (coop.h). A switch saves the callee-saved
 * registers on the running stack and loads the other context's stack
 * pointer (AAPCS: r4-r11 and lr are all a called function must keep).
 * Interrupts run on whichever stack is current (one MSP, no PSP); they
 * never switch contexts. */
#include "coop.h"
#include "board.h"

#include <string.h>

#define PAINT 0xC5C5C5C5u

typedef struct {
    uint32_t *sp;  /* saved while switched out */
    bool waiting;  /* inside coop_wait */
    uint32_t seen; /* s_coop.events when it last found its condition false */
} ctx_t;

static struct {
    ctx_t ctx[2]; /* 0: main, 1: spawned */
    int cur;
    bool spawned;
    void (*fn)(void *);
    void *arg;
    uint32_t *stack;
    size_t stack_size;
    bool (*idle)(void);
    uint32_t events; /* coop_signal count */
    volatile bool notified;
    uint32_t switches, sleeps;
} s_coop;

/* Saves r3-r11 and lr on the current stack (r3 only to keep the stack 8-byte
 * aligned, AAPCS 5.2.1.2), stores sp in *save, loads sp from load, restores
 * the same ten words from it and returns into the other context. noipa: the
 * caller must treat it as an opaque call that may change any memory. */
__attribute__((naked, noinline, noipa)) static void
switch_stack(uint32_t **save __attribute__((unused)), uint32_t *load __attribute__((unused)))
{
    __asm volatile("push {r3-r11, lr}\n"
                   "mov r2, sp\n"
                   "str r2, [r0]\n"
                   "mov sp, r1\n"
                   "pop {r3-r11, pc}\n");
}

/* The spawned context's first frame "returns" here. */
static void trampoline(void)
{
    s_coop.fn(s_coop.arg);
    board_panic("coop: the spawned context returned");
}

void coop_init(bool (*idle)(void))
{
    s_coop.idle = idle;
    s_coop.cur = 0;
}

int coop_spawn(void (*fn)(void *), void *arg, void *stack, size_t size)
{
    if (s_coop.spawned || size < 256 || ((uintptr_t)stack & 7u))
        return -1;
    s_coop.fn = fn;
    s_coop.arg = arg;
    s_coop.stack = stack;
    s_coop.stack_size = size;
    for (size_t i = 0; i < size / 4; i++)
        s_coop.stack[i] = PAINT;
    /* the frame switch_stack pops: r3-r11 (zero), then pc = trampoline */
    uint32_t *sp = (uint32_t *)((uintptr_t)stack + (size & ~(size_t)7));
    sp -= 10;
    memset(sp, 0, 9 * sizeof *sp);
    sp[9] = (uint32_t)(uintptr_t)trampoline; /* a Thumb address: bit 0 set */
    s_coop.ctx[1].sp = sp;
    s_coop.ctx[1].waiting = false;
    s_coop.spawned = true;
    return 0;
}

void coop_signal(void)
{
    s_coop.events++;
}

void coop_notify_from_isr(void)
{
    s_coop.notified = true;
}

/* Both contexts wait: poll the devices; sleep if there was nothing. The
 * check and the WFI run with interrupts masked, so an interrupt between
 * them still ends the WFI (ARMv7-M B1.5.19: a pending interrupt wakes WFI
 * even while PRIMASK masks it; it is taken at the cpsie). */
static void idle_step(void)
{
    if (s_coop.idle && s_coop.idle())
        return;
    uint32_t pm = irq_save();
    if (!s_coop.notified) {
        __asm volatile("dsb\n wfi" ::: "memory");
        s_coop.sleeps++;
    }
    s_coop.notified = false;
    irq_restore(pm);
}

/* The caller has just found its condition false. Only when the other context
 * has too, with nothing signalled since, is the system idle. */
void coop_wait(void)
{
    ctx_t *me = &s_coop.ctx[s_coop.cur];
    int other = 1 - s_coop.cur;
    me->waiting = true;
    me->seen = s_coop.events;
    if (!s_coop.spawned) {
        idle_step();
    } else {
        if (s_coop.ctx[other].waiting && s_coop.ctx[other].seen == s_coop.events)
            idle_step();
        s_coop.switches++;
        s_coop.cur = other;
        switch_stack(&me->sp, s_coop.ctx[other].sp);
        /* back: the other context waits (or is about to) */
    }
    me->waiting = false;
}

size_t coop_stack_free(void)
{
    size_t i = 0;
    while (i < s_coop.stack_size / 4 && s_coop.stack[i] == PAINT)
        i++;
    return i * 4;
}

uint32_t coop_switches(void)
{
    return s_coop.switches;
}

uint32_t coop_sleeps(void)
{
    return s_coop.sleeps;
}
