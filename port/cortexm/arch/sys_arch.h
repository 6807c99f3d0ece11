/* arch/sys_arch.h - the types of lwIP's OS layer on the boards' two-context
 * cooperative scheduler (coop.h); the functions are in sys_arch.c. Waiting
 * on any of these hands the CPU to the other context. */
#ifndef CB_BOARD_LWIP_SYS_ARCH_H
#define CB_BOARD_LWIP_SYS_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Every mailbox's capacity, held inline (netconns embed their mailboxes, so
 * no pool is needed); lwipopts.h keeps every *_MBOX_SIZE within it. */
#define CB_SYS_MBOX_CAP CB_LWIP_MBOX

typedef struct {
    uint32_t count;
    bool valid;
} sys_sem_t;

typedef struct {
    bool locked;
    bool valid;
} sys_mutex_t;

typedef struct {
    void *msg[CB_SYS_MBOX_CAP];
    uint16_t head, count, cap;
    bool valid;
} sys_mbox_t;

typedef int sys_thread_t;

#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL  NULL

#endif
