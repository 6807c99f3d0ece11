/* send_port.c - the few platform hooks (port/cb_port.h) that instaleap-send
 * needs when it links the core for signing and JSON: clock, randomness and
 * log on Linux; the device-only hooks (display, buzzer, storage) do nothing. */
#include "cb_err.h"
#include "cb_port.h"

#include <stdio.h>
#include <sys/random.h>
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
    clock_gettime(CLOCK_REALTIME, &ts);
    *out = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return CB_OK;
}

int cb_port_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n <= 0)
            return CB_ERR_CRYPTO;
        p += n;
        len -= (size_t)n;
    }
    return CB_OK;
}

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

void cb_port_display_draw(const char *const *lines, unsigned rows, unsigned cols)
{
    (void)lines;
    (void)rows;
    (void)cols;
}

void cb_port_buzzer_play(const char *pattern)
{
    (void)pattern;
}

bool cb_port_button_pressed(void)
{
    return false;
}

void cb_port_signal_log(const char *json, size_t len)
{
    (void)json;
    (void)len;
}

int cb_port_store_open(cb_slot_t slot, uint32_t *size_out)
{
    (void)slot;
    *size_out = 0;
    return CB_ERR_STORAGE;
}

int cb_port_store_read(cb_slot_t slot, uint32_t off, void *buf, size_t len)
{
    (void)slot;
    (void)off;
    (void)buf;
    (void)len;
    return CB_ERR_STORAGE;
}

int cb_port_store_append(cb_slot_t slot, const void *buf, size_t len)
{
    (void)slot;
    (void)buf;
    (void)len;
    return CB_ERR_STORAGE;
}

int cb_port_store_sync(cb_slot_t slot)
{
    (void)slot;
    return CB_ERR_STORAGE;
}

int cb_port_store_erase(cb_slot_t slot)
{
    (void)slot;
    return CB_ERR_STORAGE;
}

uint32_t cb_port_store_capacity(cb_slot_t slot)
{
    (void)slot;
    return 0;
}
