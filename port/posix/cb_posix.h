/* cb_posix.h - wiring between the small files of the host simulator
 * (port/posix): flags, configuration, banner, terminal display, button,
 * signal log. main.c calls these; the core only sees cb_port.h. */
#ifndef CB_POSIX_H
#define CB_POSIX_H

#include "cb_settings.h"

#include <stdbool.h>
#include <stddef.h>

#define CB_POSIX_VERSION "0.1.0"

/* ---- flags (cb_posix_args.c) ---- */

typedef struct {
    const char *listen;     /* NULL when not given */
    const char *config;     /* NULL: no config file */
    const char *data_dir;   /* "chatbell-data" by default */
    const char *signal_log; /* NULL: no signal log */
    const char *auth;
    const char *fsync;         /* "on" / "off" */
    const char *listen_tls;    /* NULL when not given */
    const char *tls;           /* "self-signed" or NULL */
    const char *tls_cert_used; /* set by main: the certificate HTTPS serves */
    bool no_tui;
} cb_posix_opts_t;

enum { CB_POSIX_RUN = 0, CB_POSIX_EXIT_OK = 1, CB_POSIX_EXIT_USAGE = 2 };

/* Parses argv (SPEC 6). CB_POSIX_RUN; CB_POSIX_EXIT_OK after printing --help
 * or --version; CB_POSIX_EXIT_USAGE after printing one error line. */
int cb_posix_args_parse(int argc, char **argv, cb_posix_opts_t *o);

/* ---- configuration (cb_posix_config.c) ---- */

/* Defaults, then the config file, then the environment's secrets, then the
 * flags, then cb_settings_check. 0, or -1 with one line "key: problem
 * (source)" in err (never a secret's value). */
int cb_posix_config_build(const cb_posix_opts_t *o, cb_settings_t *s, char *err, size_t cap);

/* ---- banner (cb_posix_banner.c) ---- */

/* Prints the start-up banner to stdout (first line exactly
 * "chatbell listening on http://<bound>") and flushes. */
void cb_posix_banner_print(const cb_settings_t *s, const cb_posix_opts_t *o, const char *bound);

/* ---- stdout (cb_posix_out.c) ---- */

/* Display and buzzer output: held until cb_posix_out_release (after the
 * banner), then written and flushed at once; after that buffered until
 * cb_posix_out_flush, which the loop calls once per turn before it waits
 * (one write(2) for a turn's lines, not one per line). */
void cb_posix_out_write(const char *s, size_t n);
void cb_posix_out_release(void);
void cb_posix_out_flush(void);

/* ---- display (cb_posix_display.c) ---- */

/* Chooses the terminal display (stdout a TTY, tui wanted, room enough) or
 * plain "display| ... | ..." lines, and draws the box's frame. */
void cb_posix_display_init(bool tui, unsigned rows, unsigned cols);
bool cb_posix_display_is_tui(void);
/* Gives the terminal back its whole screen. Async-signal-safe, safe twice. */
void cb_posix_display_restore(void);

/* ---- button (cb_posix_button.c) ---- */

/* Puts stdin in non-canonical, no-echo mode when it is a foreground TTY. */
void cb_posix_button_init(void);
/* How to press the button, for the banner. */
const char *cb_posix_button_hint(void);
/* Restores stdin's terminal mode. Async-signal-safe, safe twice. */
void cb_posix_button_restore(void);

/* ---- signal log (cb_posix_siglog.c) ---- */

/* Opens FILE for appending (created 0600). 0, or -errno. */
int cb_posix_siglog_open(const char *path);

/* ---- log (cb_posix_log.c) ---- */

/* Reads CHATBELL_LOG (error|warn|info|debug; default info). */
void cb_posix_log_init(void);

#endif
