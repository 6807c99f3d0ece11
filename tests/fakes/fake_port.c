/* fake_port.c - the fake platform for unit tests and fuzzers; see fake_port.h. */
#include "fake_port.h"
#include "cb_err.h"

#include <stdio.h>
#include <string.h>

fake_port_t fake_port;

/* Every log line is kept (bounded) so tests can check what was logged. */
#define FAKE_LOG_KEEP 64
static char s_log[FAKE_LOG_KEEP][512];

void fake_port_reset(void)
{
    memset(&fake_port, 0, sizeof fake_port);
    memset(s_log, 0, sizeof s_log);
    fake_port.now_ms = 1000000;
    fake_port.wall_ms = 1795867200000LL; /* 2026-11-28T12:00:00Z */
    fake_port.wall_trusted = true;
    fake_port.rng_state = 0x12345678u;
}

bool fake_port_log_contains(const char *needle)
{
    unsigned n = fake_port.log_lines < FAKE_LOG_KEEP ? fake_port.log_lines : FAKE_LOG_KEEP;
    for (unsigned i = 0; i < n; i++)
        if (strstr(s_log[i], needle))
            return true;
    return false;
}

uint64_t cb_port_now_ms(void)
{
    return fake_port.now_ms;
}

int cb_port_wall_ms(int64_t *out)
{
    if (!fake_port.wall_trusted)
        return CB_ERR_CLOCK;
    *out = fake_port.wall_ms;
    return CB_OK;
}

int cb_port_random(void *buf, size_t len)
{
    if (fake_port.random_fails)
        return CB_ERR_CRYPTO;
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        /* xorshift32: deterministic, good enough for tests */
        uint32_t x = fake_port.rng_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fake_port.rng_state = x;
        p[i] = (uint8_t)x;
    }
    return CB_OK;
}

void cb_port_log(cb_log_level_t level, const char *fmt, ...)
{
    char *line = s_log[fake_port.log_lines % FAKE_LOG_KEEP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof s_log[0], fmt, ap);
    va_end(ap);
    snprintf(fake_port.log_last, sizeof fake_port.log_last, "%s", line);
    fake_port.log_lines++;
    if (fake_port.log_echo)
        fprintf(stderr, "[log %d] %s\n", (int)level, line);
}

void cb_port_display_draw(const char *const *lines, unsigned rows, unsigned cols)
{
    fake_port.display_rows = rows;
    fake_port.display_cols = cols;
    fake_port.display_draws++;
    for (unsigned r = 0; r < rows && r < 8; r++)
        snprintf(fake_port.display[r], sizeof fake_port.display[r], "%s", lines[r]);
}

void cb_port_buzzer_play(const char *pattern)
{
    snprintf(fake_port.buzzer_last, sizeof fake_port.buzzer_last, "%s", pattern);
    fake_port.buzzer_plays++;
}

bool cb_port_button_pressed(void)
{
    if (fake_port.presses == 0)
        return false;
    fake_port.presses--;
    return true;
}

bool cb_port_signal_log_enabled(void)
{
    return !fake_port.signal_log_off;
}

void cb_port_signal_log(const char *json, size_t len)
{
    if (fake_port.nsignals >= FAKE_SIGNALS_MAX)
        return;
    fake_port.signal_len[fake_port.nsignals] = len;
    char *dst = fake_port.signals[fake_port.nsignals++];
    if (len >= FAKE_SIGNAL_LEN)
        len = FAKE_SIGNAL_LEN - 1;
    memcpy(dst, json, len);
    dst[len] = '\0';
}
