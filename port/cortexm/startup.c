/* startup.c - the image's first code on any Cortex-M3 board: the system part
 * of the vector table (initial stack pointer, Reset_Handler, faults, SysTick;
 * the board's interrupts follow), .data/.bss set-up, the fault report, and
 * the reset/panic helpers. Calls main() (cortexm/main.c). */
#include "board.h"

#include <string.h>

/* From the board's linker script */
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[], _sstack[];

int main(void);
static const board_vector_t s_vectors[16];
void Reset_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void);

/* Fills the main stack with a pattern so the stats can show its high-water
 * mark. Runs before .bss is cleared, on the top of that same stack: only
 * the part below the current frame is painted. */
#define STACK_PAINT 0xA5A5A5A5u

void Reset_Handler(void)
{
    uint32_t *src = _sidata;
    for (uint32_t *dst = _sdata; dst < _edata;)
        *dst++ = *src++;
    for (uint32_t *dst = _sbss; dst < _ebss;)
        *dst++ = 0;
    uintptr_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *p = _sstack; (uintptr_t)p < sp - 256u; p++)
        *p = STACK_PAINT;
    SCB_VTOR = (uint32_t)(uintptr_t)s_vectors;
    main();
    board_panic("main returned");
}

uint32_t board_main_stack_free(void)
{
    const uint32_t *p = _sstack;
    while (p < _estack && *p == STACK_PAINT)
        p++;
    return (uint32_t)((uintptr_t)p - (uintptr_t)_sstack);
}

void Default_Handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    board_printf("\r\npanic| unexpected exception %lu\r\n", (unsigned long)ipsr);
    for (;;)
        __asm volatile("wfi");
}

/* The stacked frame of the faulting code (ARMv7-M ARM B1.5.6). */
static void __attribute__((used)) fault_report(const uint32_t *frame)
{
    board_printf("\r\npanic| hard fault: pc=0x%08lx lr=0x%08lx r0=0x%08lx r12=0x%08lx "
                 "cfsr=0x%08lx hfsr=0x%08lx bfar=0x%08lx mmfar=0x%08lx\r\n",
                 (unsigned long)frame[6], (unsigned long)frame[5], (unsigned long)frame[0],
                 (unsigned long)frame[4], (unsigned long)SCB_CFSR, (unsigned long)SCB_HFSR,
                 (unsigned long)SCB_BFAR, (unsigned long)SCB_MMFAR);
    for (;;)
        __asm volatile("wfi");
}

__attribute__((naked)) void HardFault_Handler(void)
{
    /* only MSP is used (no PSP): the frame is on it */
    __asm volatile("mrs r0, msp\n"
                   "b fault_report\n");
}

void board_reset(void)
{
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = (0x05FAu << 16) | (1u << 2); /* VECTKEY | SYSRESETREQ */
    __asm volatile("dsb" ::: "memory");
    for (;;)
        ;
}

void board_panic(const char *why)
{
    (void)irq_save();
    board_printf("\r\npanic| %s\r\n", why);
    for (;;)
        __asm volatile("wfi");
}

#define WEAK_ALIAS __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) WEAK_ALIAS;
void MemManage_Handler(void) WEAK_ALIAS;
void BusFault_Handler(void) WEAK_ALIAS;
void UsageFault_Handler(void) WEAK_ALIAS;
void SVC_Handler(void) WEAK_ALIAS;
void DebugMon_Handler(void) WEAK_ALIAS;
void PendSV_Handler(void) WEAK_ALIAS;

/* The 16 system exceptions; the board's interrupt vectors follow them in
 * section .vectors.irq (the linker script keeps the two together). */
__attribute__((section(".vectors"), used)) static const board_vector_t s_vectors[16] = {
    (board_vector_t)(uintptr_t)_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0,
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
};
