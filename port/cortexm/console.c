/* console.c - the console port on the board's UART: text output, the log
 * ("log| " lines), the signal log ("signal| " lines), the display mirrored as
 * VT100 frames in a box at the top of the terminal, and the keyboard as a
 * second button and a command line. Called by the core, lwIP's diagnostics and the board. */
#include "board.h"
#include "cb_log.h"
#include "cb_config.h"
#include "cb_port.h"

#include <stdio.h>
#include <string.h>

#define LOG_LINE_MAX 320

static struct {
    unsigned rows;
    unsigned presses; /* acknowledge key presses not yet taken */
    /* received bytes, taken from the UART every idle tick (its receive
     * holds one byte: a typed line would otherwise wait a loop turn a
     * byte) and handled on the loop's turn */
    uint8_t rx[128];
    uint8_t rx_head, rx_tail;
    char line[LOG_LINE_MAX];
    char frame[(CB_CFG_DISPLAY_ROWS_MAX + 2) * (CB_CFG_DISPLAY_COLS_MAX + 16) + 16];
} s_port;

/* ---- text ---- */

void board_uart_puts(const char *s)
{
    board_uart_write(s, strlen(s));
}

void board_vprintf(const char *fmt, va_list ap)
{
    static char buf[512];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0)
        return;
    board_uart_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void board_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    board_vprintf(fmt, ap);
    va_end(ap);
}

/* ---- display ----
 * The box takes terminal rows 1..rows+2; the log scrolls below it (DECSTBM).
 * A frame is one burst "ESC 7, (ESC [r;1H, text) per row, ESC 8": cursor
 * saved and restored, so log lines are never cut. tests/board reads frames
 * back out of the UART stream by these markers. */

void board_console_display_init(unsigned rows)
{
    s_port.rows = rows;
    /* clear, scroll region from the row under the box, cursor there */
    board_printf("\x1b[2J\x1b[%u;r\x1b[%u;1H", rows + 3, rows + 3);
}

void board_console_draw(const char *const *lines, unsigned rows, unsigned cols)
{
    char *f = s_port.frame;
    size_t cap = sizeof s_port.frame, n = 0;
    char rule[CB_CFG_DISPLAY_COLS_MAX + 3];
    if (rows > CB_CFG_DISPLAY_ROWS_MAX || cols > CB_CFG_DISPLAY_COLS_MAX)
        return;
    rule[0] = '+';
    memset(rule + 1, '-', cols);
    rule[cols + 1] = '+';
    rule[cols + 2] = '\0';
    n += (size_t)snprintf(f + n, cap - n,
                          "\x1b"
                          "7\x1b[1;1H%s",
                          rule);
    for (unsigned r = 0; r < rows; r++)
        n += (size_t)snprintf(f + n, cap - n, "\x1b[%u;1H|%-*.*s|", r + 2, (int)cols, (int)cols,
                              lines[r]);
    n += (size_t)snprintf(f + n, cap - n,
                          "\x1b[%u;1H%s\x1b"
                          "8",
                          rows + 2, rule);
    if (n < cap)
        board_uart_write(f, n);
}

/* ---- log and signal log ---- */

static void log_line(const char *level, const char *fmt, va_list ap)
{
    uint32_t ms = board_ms32();
    int head = snprintf(s_port.line, sizeof s_port.line, "log| %5lu.%03lu %s ",
                        (unsigned long)(ms / 1000u), (unsigned long)(ms % 1000u), level);
    if (head < 0)
        return;
    int m = vsnprintf(s_port.line + head, sizeof s_port.line - (size_t)head - 2, fmt, ap);
    size_t len = (size_t)head + (m < 0 ? 0u : (size_t)m);
    if (len > sizeof s_port.line - 3)
        len = sizeof s_port.line - 3; /* truncated */
    /* text may quote network input: no escape sequence reaches the terminal */
    for (size_t i = (size_t)head; i < len; i++)
        if ((unsigned char)s_port.line[i] < 0x20 || s_port.line[i] == 0x7f)
            s_port.line[i] = '?';
    s_port.line[len++] = '\r';
    s_port.line[len++] = '\n';
    board_uart_write(s_port.line, len);
}

void cb_port_log(cb_log_level_t level, const char *fmt, ...)
{
    if (level == CB_LOG_DEBUG)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(cb_log_level_name(level), fmt, ap);
    va_end(ap);
}

void board_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("INFO ", fmt, ap);
    va_end(ap);
}

/* The signal log is always kept, on the UART. */
bool cb_port_signal_log_enabled(void)
{
    return true;
}

/* The JSON is the core's (SPEC 4): escaped, one line, no control bytes. */
void cb_port_signal_log(const char *json, size_t len)
{
    board_uart_puts("signal| ");
    board_uart_write(json, len);
    board_uart_puts("\r\n");
}

/* ---- keys: the button, R, and command lines (settings_store.c) ----
 * cb_server_tick asks for button presses every loop turn: the loop's
 * heartbeat, which feeds the watchdog. */

bool board_console_rx_poll(void)
{
    int c;
    bool got = false;
    while ((uint8_t)(s_port.rx_head - s_port.rx_tail) < sizeof s_port.rx &&
           (c = board_uart_getc()) >= 0) {
        s_port.rx[s_port.rx_head++ % sizeof s_port.rx] = (uint8_t)c;
        got = true;
    }
    return got;
}

void board_keys_poll(void)
{
    (void)board_console_rx_poll();
    while (s_port.rx_tail != s_port.rx_head) {
        int c = s_port.rx[s_port.rx_tail++ % sizeof s_port.rx];
        board_entropy_add(board_cycles() ^ (uint32_t)c);
        if (board_console_key(c))
            s_port.presses++;
    }
}

bool cb_port_button_pressed(void)
{
    board_watchdog_feed();
    board_settings_poll();
    board_keys_poll();
    if (board_button_take())
        return true;
    if (!s_port.presses)
        return false;
    s_port.presses--;
    return true;
}
