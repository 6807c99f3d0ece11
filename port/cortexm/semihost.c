/* semihost.c - the ARM semihosting calls of semihost.h: r0 = operation, r1 =
 * a block of arguments, result in r0 (DUI0471; Thumb: bkpt 0xAB). */
#include "semihost.h"

#include <string.h>

#define SYS_OPEN  0x01
#define SYS_WRITE 0x05
#define SYS_READ  0x06
#define SYS_SEEK  0x0A
#define SYS_FLEN  0x0C

static int call(uint32_t op, const void *args)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = args;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return (int)r0;
}

int sh_open(const char *name, int mode)
{
    const uint32_t a[3] = {(uint32_t)(uintptr_t)name, (uint32_t)mode, (uint32_t)strlen(name)};
    return call(SYS_OPEN, a);
}

int sh_read(int fd, void *buf, size_t len)
{
    const uint32_t a[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
    return call(SYS_READ, a);
}

int sh_write(int fd, const void *buf, size_t len)
{
    const uint32_t a[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
    return call(SYS_WRITE, a);
}

int sh_seek(int fd, uint32_t pos)
{
    const uint32_t a[2] = {(uint32_t)fd, pos};
    return call(SYS_SEEK, a) == 0 ? 0 : -1;
}

int sh_flen(int fd)
{
    const uint32_t a[1] = {(uint32_t)fd};
    return call(SYS_FLEN, a);
}
