/* cb_posix_log.c - the core's log lines (cb_port_log) on stderr: UTC
 * timestamp, level, text; one write(2) per line so lines never interleave. */
#define _GNU_SOURCE
#include "cb_log.h"
#include "cb_posix.h"
#include "cb_port.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    cb_log_level_t max; /* lines above this level are dropped */
} s_log = {CB_LOG_INFO};

void cb_posix_log_init(void)
{
    const char *v = getenv("CHATBELL_LOG");
    if (!v)
        return;
    if (strcmp(v, "error") == 0)
        s_log.max = CB_LOG_ERROR;
    else if (strcmp(v, "warn") == 0)
        s_log.max = CB_LOG_WARN;
    else if (strcmp(v, "debug") == 0)
        s_log.max = CB_LOG_DEBUG;
}

void cb_port_log(cb_log_level_t level, const char *fmt, ...)
{
    if (level > s_log.max)
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, cb_log_level_name(level));
    size_t head = n > 0 ? (size_t)n : 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + head, sizeof line - head - 1, fmt, ap);
    va_end(ap);
    size_t len = head + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated */
    /* text may quote network input: no escape sequences reach the terminal */
    for (size_t i = head; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
