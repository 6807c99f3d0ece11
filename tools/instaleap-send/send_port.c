/* send_port.c - the one platform hook (port/cb_port.h) instaleap-send gives
 * the core its own way: log lines as the tool's warnings on stderr. Clock and
 * randomness come from the simulator's port (port/posix). */
#include "cb_port.h"

#include <stdio.h>

void cb_port_log(cb_log_level_t level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    if (level > CB_LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "instaleap-send: core %s: ", names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
