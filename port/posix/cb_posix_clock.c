/* cb_posix_clock.c - the simulator's clocks (cb_port.h): CLOCK_MONOTONIC for
 * timers, CLOCK_REALTIME for the replay window (a host clock is trusted). */
#define _GNU_SOURCE
#include "cb_port.h"
#include "cb_err.h"

#include <time.h>

uint64_t cb_port_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int cb_port_wall_ms(int64_t *out)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return CB_ERR_CLOCK;
    *out = (int64_t)ts.tv_sec * 1000 + (int64_t)ts.tv_nsec / 1000000;
    return CB_OK;
}
