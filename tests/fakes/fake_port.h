/* fake_port.h - the port that unit tests and fuzzers link instead of a real
 * one: a settable clock, deterministic randomness, and captured log, display,
 * buzzer and signal-log output that tests can assert on. Storage is faked in
 * fake_store.h. */
#ifndef FAKE_PORT_H
#define FAKE_PORT_H

#include "cb_port.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_SIGNALS_MAX 256
#define FAKE_SIGNAL_LEN  2048

typedef struct {
    uint64_t now_ms;    /* monotonic clock */
    int64_t wall_ms;    /* wall clock */
    bool wall_trusted;  /* cb_port_wall_ms returns CB_ERR_CLOCK when false */
    unsigned presses;   /* pending button presses */
    uint32_t rng_state; /* deterministic "random" */
    bool random_fails;

    /* captured output */
    char display[8][40 + 1];
    unsigned display_rows, display_cols, display_draws;
    char buzzer_last[128];
    unsigned buzzer_plays;
    char signals[FAKE_SIGNALS_MAX][FAKE_SIGNAL_LEN]; /* signal-log lines */
    size_t signal_len[FAKE_SIGNALS_MAX];             /* length given, even when the copy is cut */
    unsigned nsignals;
    char log_last[512];
    unsigned log_lines;
    bool log_echo;       /* also print log lines to stderr */
    bool signal_log_off; /* cb_port_signal_log_enabled returns false */
} fake_port_t;

extern fake_port_t fake_port;

/* Resets all fake state: clock at 1,000,000 ms, wall at 2026-11-28T12:00:00Z
 * and trusted, nothing captured. */
void fake_port_reset(void);

/* True if any captured log line contains needle (checks secrets never leak). */
bool fake_port_log_contains(const char *needle);

#endif
