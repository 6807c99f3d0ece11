/* cb_posix_display.c - the simulator's character display. On a terminal: a
 * box kept at the top of the screen (VT100 scroll region below it for log
 * and banner lines). Otherwise (pipe, --no-tui): each change as one line
 * "display| <line1> | <line2>" on stdout, which the e2e tests read. */
#define _GNU_SOURCE
#include "cb_posix.h"
#include "cb_config.h"
#include "cb_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LINE_CAP (CB_CFG_DISPLAY_COLS_MAX + 1)

static struct {
    bool tui;
    bool active; /* the scroll region is set and must be reset at exit */
    unsigned rows, cols;
    unsigned term_rows;
    char last[CB_CFG_DISPLAY_ROWS_MAX][LINE_CAP]; /* plain mode: skip unchanged frames */
    bool drawn;
    char out[2048];
    char reset[32]; /* prepared so restore needs no formatting */
    size_t reset_len;
} s_disp;

/* The box occupies lines 1..rows+2 and a hint line under it. */
static unsigned box_height(void)
{
    return s_disp.rows + 3;
}

void cb_posix_display_init(bool tui, unsigned rows, unsigned cols)
{
    s_disp.rows = rows;
    s_disp.cols = cols;
    const char *term = getenv("TERM");
    struct winsize ws;
    s_disp.term_rows = 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        s_disp.term_rows = ws.ws_row;
    s_disp.tui = tui && isatty(STDOUT_FILENO) && term && strcmp(term, "dumb") != 0 &&
                 s_disp.term_rows >= box_height() + 4 && ws.ws_col >= cols + 2;
    if (!s_disp.tui)
        return;
    /* clear, scroll region below the box, cursor at its top */
    printf("\x1b[H\x1b[2J\x1b[%u;%ur\x1b[%u;1H", box_height() + 1, s_disp.term_rows,
           box_height() + 1);
    fflush(stdout);
    int n = snprintf(s_disp.reset, sizeof s_disp.reset, "\x1b[r\x1b[%u;1H\n", s_disp.term_rows);
    s_disp.reset_len = n > 0 ? (size_t)n : 0;
    s_disp.active = true;
}

bool cb_posix_display_is_tui(void)
{
    return s_disp.tui;
}

void cb_posix_display_restore(void)
{
    if (!s_disp.active)
        return;
    s_disp.active = false;
    ssize_t w = write(STDOUT_FILENO, s_disp.reset, s_disp.reset_len);
    (void)w;
}

/* Copies one display line: exactly cols printable characters. */
static void copy_line(char *dst, const char *src, unsigned cols)
{
    unsigned i = 0;
    for (; i < cols && src && src[i]; i++)
        dst[i] = (src[i] >= ' ' && src[i] <= '~') ? src[i] : '?';
    for (; i < cols; i++)
        dst[i] = ' ';
    dst[cols] = '\0';
}

static void put(size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n < sizeof s_disp.out) {
        memcpy(s_disp.out + *len, s, n);
        *len += n;
    }
}

/* Moves to the start of screen line row (1-based) and clears it. */
static void goto_row(size_t *len, unsigned row)
{
    char seq[16];
    snprintf(seq, sizeof seq, "\x1b[%u;1H\x1b[2K", row);
    put(len, seq);
}

static void draw_box(char lines[][LINE_CAP], unsigned rows, unsigned cols)
{
    char border[LINE_CAP + 2];
    size_t len = 0;
    put(&len, "\x1b"
              "7"); /* save the cursor (it is in the scroll region) */
    memset(border, '-', cols + 2);
    border[0] = border[cols + 1] = '+';
    border[cols + 2] = '\0';
    memcpy(border + 2, " chatbell ", 10);
    goto_row(&len, 1);
    put(&len, border);
    for (unsigned r = 0; r < rows; r++) {
        goto_row(&len, r + 2);
        put(&len, "|");
        put(&len, lines[r]);
        put(&len, "|");
    }
    memset(border + 1, '-', cols);
    goto_row(&len, rows + 2);
    put(&len, border);
    goto_row(&len, rows + 3);
    put(&len, cb_posix_button_hint());
    put(&len, "\x1b"
              "8"); /* restore the cursor */
    cb_posix_out_write(s_disp.out, len);
}

static void draw_plain(char lines[][LINE_CAP], unsigned rows)
{
    if (s_disp.drawn && memcmp(lines, s_disp.last, sizeof s_disp.last) == 0)
        return;
    memcpy(s_disp.last, lines, sizeof s_disp.last);
    s_disp.drawn = true;
    size_t len = 0;
    put(&len, "display|");
    for (unsigned r = 0; r < rows; r++) {
        put(&len, r ? " | " : " ");
        put(&len, lines[r]);
    }
    put(&len, "\n");
    cb_posix_out_write(s_disp.out, len);
}

void cb_port_display_draw(const char *const *lines, unsigned rows, unsigned cols)
{
    static char frame[CB_CFG_DISPLAY_ROWS_MAX][LINE_CAP];
    if (rows > CB_CFG_DISPLAY_ROWS_MAX)
        rows = CB_CFG_DISPLAY_ROWS_MAX;
    if (cols > CB_CFG_DISPLAY_COLS_MAX)
        cols = CB_CFG_DISPLAY_COLS_MAX;
    memset(frame, 0, sizeof frame);
    for (unsigned r = 0; r < rows; r++)
        copy_line(frame[r], lines ? lines[r] : NULL, cols);
    if (s_disp.tui && rows == s_disp.rows && cols == s_disp.cols)
        draw_box(frame, rows, cols);
    else
        draw_plain(frame, rows);
}
