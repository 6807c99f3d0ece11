/* semihost.h - ARM semihosting calls (ARM DUI0471, "Semihosting operations")
 * used by flash_semihost.c: the host file that stands in for the flash in
 * QEMU (-semihosting-config enable=on,target=native). A bkpt 0xAB traps to
 * the debugger or QEMU; without one attached it is a fault, so an image using
 * it must run under QEMU with semihosting on. */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* fopen-style modes (DUI0471 SYS_OPEN) */
#define SH_MODE_RB_PLUS 3 /* "r+b": read and write, must exist */
#define SH_MODE_WB_PLUS 7 /* "w+b": read and write, created or truncated */

/* A handle, or -1. */
int sh_open(const char *name, int mode);
/* Bytes NOT transferred (0 = all), as the calls return them; -1 on error. */
int sh_read(int fd, void *buf, size_t len);
int sh_write(int fd, const void *buf, size_t len);
/* 0 or -1. */
int sh_seek(int fd, uint32_t pos);
/* The file's length, or -1. */
int sh_flen(int fd);

#endif
