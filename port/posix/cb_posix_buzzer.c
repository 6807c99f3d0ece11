/* cb_posix_buzzer.c - the simulator's buzzer: the terminal bell when stdout
 * is a TTY (asked once, not per play), and always a line "buzzer: <pattern>"
 * on stdout. */
#define _GNU_SOURCE
#include "cb_posix.h"
#include "cb_port.h"

#include <stdio.h>
#include <unistd.h>

static struct {
    bool asked;
    bool tty;
} s_buzzer;

void cb_port_buzzer_play(const char *pattern)
{
    if (!s_buzzer.asked) {
        s_buzzer.tty = isatty(STDOUT_FILENO);
        s_buzzer.asked = true;
    }
    char line[160];
    int n = snprintf(line, sizeof line, "%sbuzzer: %s\n", s_buzzer.tty ? "\a" : "",
                     pattern ? pattern : "");
    if (n > 0)
        cb_posix_out_write(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
