/* coop.h - the smallest scheduler lwIP's sockets can run on: two contexts,
 * switched only when one waits. The main context (main(), the app's loop on
 * the main stack) and one spawned context (lwIP's tcpip thread, own stack).
 * Used by sys_arch.c (waits) and net.c (the idle hook). No preemption, no
 * priorities, no time slices: a context runs until it waits. */
#ifndef COOP_H
#define COOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sets the idle hook: called when BOTH contexts wait, to poll devices (the
 * Ethernet receive). It returns true when it produced work for a context
 * (then nobody sleeps). */
void coop_init(bool (*idle)(void));

/* Starts fn(arg) as the second context on stack (size bytes, 8-aligned);
 * it first runs when the main context waits. Only one may exist: -1 if one
 * does, else 0. fn must never return. */
int coop_spawn(void (*fn)(void *), void *arg, void *stack, size_t size);

/* Called in a loop by anything waiting for a condition another context, a
 * device or time will make true (sys_arch.c's semaphores, mailboxes and
 * mutexes): hands over to the other context; when both wait, runs the idle
 * hook and, if it found nothing, sleeps until the next interrupt (SysTick
 * at 1 kHz or the board's Ethernet). Returns with the caller to re-check. */
void coop_wait(void);

/* Something a waiter may be waiting for happened (a semaphore signalled, a
 * message posted or taken, a mutex released): the waiters re-check before
 * anyone sleeps. Thread context only. */
void coop_signal(void);

/* An interrupt handler saw device work: the next idle step does not sleep. */
void coop_notify_from_isr(void);

/* Unused bytes of the spawned context's stack (never written). */
size_t coop_stack_free(void);

/* Context switches and idle sleeps so far (the stats). */
uint32_t coop_switches(void);
uint32_t coop_sleeps(void);

#endif
