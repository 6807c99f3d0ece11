/* cb_posix_button.c - the simulator's acknowledge button, polled by the core
 * each loop turn. On a terminal, space or Enter (stdin in non-canonical,
 * no-echo mode, restored at exit); otherwise a line "ack" on stdin. EOF on
 * stdin is ignored (the simulator keeps running). */
#define _GNU_SOURCE
#include "cb_posix.h"
#include "cb_port.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct {
    bool tty;    /* keys, not lines */
    bool raw;    /* termios changed: restore it */
    bool closed; /* EOF or error: stop reading */
    unsigned pending;
    struct termios saved;
    char line[64]; /* line mode: the line so far */
    size_t len;
    bool overlong; /* line mode: drop the rest of a too-long line */
} s_btn;

void cb_posix_button_init(void)
{
    if (!isatty(STDIN_FILENO))
        return;
    /* a background job must not touch the terminal (SIGTTOU / SIGTTIN) */
    if (tcgetpgrp(STDIN_FILENO) != getpgrp()) {
        s_btn.closed = true;
        return;
    }
    s_btn.tty = true;
    if (tcgetattr(STDIN_FILENO, &s_btn.saved) != 0)
        return;
    struct termios t = s_btn.saved;
    t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
        s_btn.raw = true;
}

const char *cb_posix_button_hint(void)
{
    if (s_btn.tty)
        return "button: press space or Enter to acknowledge";
    if (s_btn.closed)
        return "button: POST /ack with the admin token";
    return "button: write a line \"ack\" on stdin to acknowledge";
}

void cb_posix_button_restore(void)
{
    if (!s_btn.raw)
        return;
    s_btn.raw = false;
    tcsetattr(STDIN_FILENO, TCSANOW, &s_btn.saved);
}

static void line_byte(char c)
{
    if (c != '\n') {
        if (s_btn.len < sizeof s_btn.line)
            s_btn.line[s_btn.len++] = c;
        else
            s_btn.overlong = true;
        return;
    }
    size_t n = s_btn.len;
    while (n && (s_btn.line[n - 1] == '\r' || s_btn.line[n - 1] == ' '))
        n--;
    size_t i = 0;
    while (i < n && s_btn.line[i] == ' ')
        i++;
    if (!s_btn.overlong && n - i == 3 && memcmp(s_btn.line + i, "ack", 3) == 0)
        s_btn.pending++;
    s_btn.len = 0;
    s_btn.overlong = false;
}

/* Reads what stdin has now, without blocking. */
static void drain(void)
{
    for (int turns = 0; turns < 4 && !s_btn.closed; turns++) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
            return;
        char buf[256];
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            s_btn.closed = true; /* EOF: ignored, the simulator runs on */
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (!s_btn.tty)
                line_byte(buf[i]);
            else if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r')
                s_btn.pending++;
        }
    }
}

bool cb_port_button_pressed(void)
{
    if (!s_btn.pending)
        drain();
    if (!s_btn.pending)
        return false;
    s_btn.pending--;
    return true;
}
