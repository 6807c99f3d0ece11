/* sys_arch.c - lwIP's OS layer (lwip/sys.h) on coop.h: semaphores, mutexes
 * and mailboxes are plain counters and rings; a wait loops on coop_wait()
 * until its condition holds or its timeout passes. One thread can be made:
 * lwIP's tcpip thread. Safe without locks because nothing is preemptive and
 * no interrupt handler touches lwIP (the Ethernet receive is polled). */
#include "board.h"
#include "coop.h"

#include "lwip/opt.h"
#include "lwip/sys.h"

_Static_assert(TCPIP_MBOX_SIZE <= CB_SYS_MBOX_CAP && DEFAULT_TCP_RECVMBOX_SIZE <= CB_SYS_MBOX_CAP &&
                   DEFAULT_ACCEPTMBOX_SIZE <= CB_SYS_MBOX_CAP &&
                   DEFAULT_UDP_RECVMBOX_SIZE <= CB_SYS_MBOX_CAP,
               "a mailbox size over the inline capacity");

/* The tcpip thread's stack (8-byte aligned, AAPCS). */
static uint64_t s_thread_stack[TCPIP_THREAD_STACKSIZE / 8];

void sys_init(void) {}

u32_t sys_now(void)
{
    return board_ms32();
}

/* 0 = forever (lwIP's convention); else true once timeout ms have passed. */
static bool expired(u32_t start, u32_t timeout)
{
    return timeout != 0 && (u32_t)(sys_now() - start) >= timeout;
}

sys_prot_t sys_arch_protect(void)
{
    return irq_save();
}

void sys_arch_unprotect(sys_prot_t pval)
{
    irq_restore(pval);
}

/* ---- semaphores ---- */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
    sem->count = count;
    sem->valid = true;
    return ERR_OK;
}

void sys_sem_signal(sys_sem_t *sem)
{
    sem->count++;
    coop_signal();
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
    u32_t start = sys_now();
    while (sem->count == 0) {
        if (expired(start, timeout))
            return SYS_ARCH_TIMEOUT;
        coop_wait();
    }
    sem->count--;
    return (u32_t)(sys_now() - start);
}

void sys_sem_free(sys_sem_t *sem)
{
    sem->valid = false;
}

int sys_sem_valid(sys_sem_t *sem)
{
    return sem && sem->valid;
}

void sys_sem_set_invalid(sys_sem_t *sem)
{
    sem->valid = false;
}

/* ---- mutexes ---- */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
    mutex->locked = false;
    mutex->valid = true;
    return ERR_OK;
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
    while (mutex->locked)
        coop_wait();
    mutex->locked = true;
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
    mutex->locked = false;
    coop_signal();
}

void sys_mutex_free(sys_mutex_t *mutex)
{
    mutex->valid = false;
}

int sys_mutex_valid(sys_mutex_t *mutex)
{
    return mutex && mutex->valid;
}

void sys_mutex_set_invalid(sys_mutex_t *mutex)
{
    mutex->valid = false;
}

/* ---- mailboxes ---- */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
    if (size <= 0 || size > CB_SYS_MBOX_CAP)
        return ERR_MEM;
    mbox->head = 0;
    mbox->count = 0;
    mbox->cap = (uint16_t)size;
    mbox->valid = true;
    return ERR_OK;
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
    if (mbox->count >= mbox->cap)
        return ERR_MEM;
    mbox->msg[(mbox->head + mbox->count) % mbox->cap] = msg;
    mbox->count++;
    coop_signal();
    return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
    return sys_mbox_trypost(mbox, msg); /* no interrupt handler posts */
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
    while (sys_mbox_trypost(mbox, msg) != ERR_OK)
        coop_wait();
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
    if (mbox->count == 0)
        return SYS_MBOX_EMPTY;
    void *m = mbox->msg[mbox->head];
    mbox->head = (uint16_t)((mbox->head + 1) % mbox->cap);
    mbox->count--;
    if (msg)
        *msg = m;
    coop_signal(); /* room for a blocked poster */
    return 0;
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
    u32_t start = sys_now();
    while (mbox->count == 0) {
        if (expired(start, timeout))
            return SYS_ARCH_TIMEOUT;
        coop_wait();
    }
    (void)sys_arch_mbox_tryfetch(mbox, msg);
    return (u32_t)(sys_now() - start);
}

void sys_mbox_free(sys_mbox_t *mbox)
{
    mbox->valid = false;
}

int sys_mbox_valid(sys_mbox_t *mbox)
{
    return mbox && mbox->valid;
}

void sys_mbox_set_invalid(sys_mbox_t *mbox)
{
    mbox->valid = false;
}

/* ---- the one thread ---- */

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn thread, void *arg, int stacksize,
                            int prio)
{
    (void)prio;
    if (stacksize > (int)sizeof s_thread_stack ||
        coop_spawn(thread, arg, s_thread_stack, sizeof s_thread_stack) != 0) {
        board_log("sys_arch: cannot start thread %s (one thread of at most %u bytes of stack)",
                  name, (unsigned)sizeof s_thread_stack);
        board_panic("sys_thread_new");
    }
    return 1;
}

uint32_t board_coop_stack_free(void)
{
    return (uint32_t)coop_stack_free();
}
