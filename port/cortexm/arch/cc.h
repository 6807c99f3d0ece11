/* arch/cc.h - lwIP's compiler and platform hooks for the Cortex-M boards
 * (arm-none-eabi-gcc, newlib): diagnostics and asserts on the UART,
 * LWIP_RAND from the boards' entropy pool. Included by lwIP's arch.h. */
#ifndef CB_BOARD_LWIP_CC_H
#define CB_BOARD_LWIP_CC_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h> /* newlib's struct timeval (LWIP_TIMEVAL_PRIVATE 0) */

void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void board_panic(const char *why) __attribute__((noreturn));
uint32_t board_rand(void);

#define LWIP_PLATFORM_DIAG(x)                                                                      \
    do {                                                                                           \
        board_printf x;                                                                            \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                                    \
    do {                                                                                           \
        board_printf("\r\nlwip| assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__);         \
        board_panic("lwIP assertion");                                                             \
    } while (0)

#define LWIP_RAND() ((u32_t)board_rand())

/* TCP initial sequence numbers from the same generator (lwIP's default is a
 * counter: 6510 plus ticks, the same for connections opened together). */
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port)                            \
    ((void)(local_ip), (void)(local_port), (void)(remote_ip), (void)(remote_port),                 \
     (u32_t)board_rand())

/* Debian's lwip source package patches sockets.c (debian/patches/port) to
 * set and read sockaddr lengths through these, for its Hurd port's headers.
 * With lwIP's own struct sockaddr, which has sa_len, they do what upstream
 * sockets.c does. */
#define IP4ADDR_SOCKADDR_SET_LEN(sin)  ((sin)->sin_len = (u8_t)sizeof(struct sockaddr_in))
#define IP6ADDR_SOCKADDR_SET_LEN(sin6) ((sin6)->sin6_len = (u8_t)sizeof(struct sockaddr_in6))
#define IPADDR_SOCKADDR_GET_LEN(addr)  ((addr)->sa.sa_len)

/* SYS_ARCH_PROTECT saves PRIMASK (sys_arch.c) */
typedef uint32_t sys_prot_t;

#endif
