/* syscalls.c - the few newlib hooks the image can reach. There is no heap:
 * the core, the loop and lwIP allocate nothing from libc (lwIP has its own
 * static heap and pools), so _sbrk refuses and says so. */
#include "board.h"

#include <errno.h>
#include <stddef.h>

void *_sbrk(ptrdiff_t incr);

void *_sbrk(ptrdiff_t incr)
{
    (void)incr;
    board_printf("\r\nlog| malloc called on the board: refused (no heap)\r\n");
    errno = ENOMEM;
    return (void *)-1;
}
