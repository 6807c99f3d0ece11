/* cb_posix_out.c - the simulator's stdout for display and buzzer lines,
 * held until the banner is out so that "chatbell listening on ..." is the
 * first line (the journal replay draws and beeps before the loop binds);
 * after that buffered, and written once per loop turn (cb_posix_out_flush). */
#define _GNU_SOURCE
#include "cb_posix.h"

#include <stdio.h>
#include <string.h>

static struct {
    bool released;
    size_t len;
    size_t dropped;
    char held[16 * 1024];
} s_out;

void cb_posix_out_write(const char *s, size_t n)
{
    if (s_out.released) {
        fwrite(s, 1, n, stdout); /* out at the turn's end (or a full stdio buffer) */
        return;
    }
    if (n > sizeof s_out.held - s_out.len) {
        s_out.dropped++;
        return;
    }
    memcpy(s_out.held + s_out.len, s, n);
    s_out.len += n;
}

void cb_posix_out_release(void)
{
    if (s_out.released)
        return;
    s_out.released = true;
    fwrite(s_out.held, 1, s_out.len, stdout);
    if (s_out.dropped)
        printf("(%zu start-up display/buzzer outputs not shown)\n", s_out.dropped);
    fflush(stdout);
}

void cb_posix_out_flush(void)
{
    if (s_out.released)
        fflush(stdout);
}
