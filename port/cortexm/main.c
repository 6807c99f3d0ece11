/* main.c - the firmware's main on every Cortex-M board: the board's hardware,
 * UART, clock, entropy and its seed from flash, the settings (the image's:
 * cb_settings_defaults, the board's defaults, the JSON the image was built
 * with, if any; then those stored in flash, settings_store.c), flash
 * storage, the core's server, lwIP and SNTP, the watchdog, then the shared
 * loop (port/sock) forever. Started by Reset_Handler (startup.c). */
#include "board.h"
#include "cb_config.h"
#include "cb_err.h"
#include "cb_loop.h"
#include "cb_port.h"
#include "cb_server.h"
#include "cb_settings.h"
#include "cb_tls.h"

#include <stdio.h>
#include <string.h>

/* Written by the build (CMakeLists.txt) from CB_BOARD_SETTINGS, a JSON file
 * in the config-file format (SPEC 6); empty when none was given. */
extern const unsigned char cb_board_settings_json[];
extern const unsigned cb_board_settings_len;
/* 1 in a development image (CB_BOARD_DEMO=ON, chatbell-e2e.elf): its
 * built-in settings count as provisioned and the console has `hang`. */
extern const unsigned char cb_board_dev;

/* The board serves on port 80 of whatever address lwIP gets; its journal
 * compacts well before a slot fills (BOARD_JOURNAL_BUDGET, board_hw.h). */
#define BOARD_LISTEN "0.0.0.0:80"
/* An HTTPS image serves HTTPS on port 443 as well (listen_tls, "" for off). */
#define BOARD_LISTEN_TLS "0.0.0.0:443"

static struct {
    cb_settings_t settings; /* outlives the server */
    volatile bool stop;     /* never set: the board serves until reset */
    bool provisioned;       /* settings stored, or a development image */
    char err[256];
} s_main;

static void set_or_die(const char *key, const char *value)
{
    if (cb_settings_set(&s_main.settings, key, cb_span_str(value), s_main.err, sizeof s_main.err) !=
        CB_OK) {
        cb_port_log(CB_LOG_ERROR, "config: %s", s_main.err);
        board_panic("bad board default");
    }
}

/* The image's settings, under those stored in flash. */
static void base_settings(cb_settings_t *s)
{
    cb_settings_defaults(s);
    set_or_die("listen", BOARD_LISTEN);
#if CB_BOARD_TLS
    set_or_die("listen_tls", BOARD_LISTEN_TLS);
#endif
    char budget[16];
    snprintf(budget, sizeof budget, "%u", BOARD_JOURNAL_BUDGET);
    set_or_die("journal_budget", budget);
    if (cb_board_settings_len &&
        cb_settings_load_json(s, (const char *)cb_board_settings_json, cb_board_settings_len,
                              s_main.err, sizeof s_main.err) != CB_OK) {
        cb_port_log(CB_LOG_ERROR, "config: built-in settings: %s", s_main.err);
        board_panic("bad configuration (CB_BOARD_SETTINGS)");
    }
}

static void load_settings(void)
{
    cb_settings_t *s = &s_main.settings;
    bool stored = board_settings_init(s, base_settings);
    s_main.provisioned = stored || cb_board_dev;
    if (cb_settings_check(s, s_main.err, sizeof s_main.err) != CB_OK) {
        cb_port_log(CB_LOG_ERROR, "config: %s", s_main.err);
        board_panic("bad configuration");
    }
}

/* What the simulator's banner says, for a serial console. The test waits
 * for the first line. Never prints a secret but the public demo one. */
static void on_listening(const char *bound)
{
    const cb_settings_t *s = &s_main.settings;
    const char *port = strrchr(bound, ':');
    board_printf("chatbell listening on http://%s%s\r\n", board_net_ip(), port ? port : "");
    board_printf("  webhook:    POST %s\r\n", s->webhook_path);
    board_printf("  auth:       %s%s\r\n", cb_settings_auth_name(s->auth),
                 s->auth == CB_AUTH_SIGNATURE && s->secret_next[0] ? " (current and next secret)"
                                                                   : "");
#if CB_BOARD_TLS
    if (board_tls_url()[0])
        board_printf("  https:      %s (TLS 1.2; the device's self-signed certificate)\r\n"
                     "  tls sha256: %s\r\n",
                     board_tls_url(), cb_tls_fingerprint());
#endif
    if (!s_main.provisioned)
        board_printf("  NOT PROVISIONED: webhooks get 503 not_provisioned until settings are\r\n"
                     "  stored: on this console `set KEY VALUE` ... `commit` (README)\r\n");
    else if (s->auth == CB_AUTH_SIGNATURE && s->demo_secret)
        board_printf("  DEMO secret in use: \"%s\" - it is public, anyone can sign with it.\r\n"
                     "  Provision yours: `set secret ...`, `commit` on this console.\r\n",
                     CB_DEMO_SECRET);
    board_printf("  clock:      %s\r\n"
                 "  keys:       a = acknowledge, R = reset (storage is kept); lines: set KEY "
                 "VALUE, show, commit, reset, s = stats\r\n",
                 board_sntp_status());
}

bool cb_port_provisioned(void)
{
    return s_main.provisioned;
}

int main(void)
{
    board_hw_init();
    board_uart_init();
    board_clock_init();
    board_printf("\r\nchatbell firmware on " BOARD_NAME " (Cortex-M3, %lu MHz)\r\n",
                 (unsigned long)(BOARD_CPU_HZ / 1000000u));
    board_entropy_init();
    board_seed_renew();
    load_settings();
    board_console_display_init(s_main.settings.display_rows);
    board_display_init(s_main.settings.display_rows);

    (void)board_store_init();
    int rc = cb_server_start(&s_main.settings);
    if (rc != CB_OK)
        cb_port_log(CB_LOG_ERROR, "journal unavailable (%s): webhooks get 503 until it recovers",
                    cb_err_str(rc));
    if (!s_main.provisioned) {
        static const char *const lines[] = {"NOT PROVISIONED", "set up: console", "", ""};
        cb_port_display_draw(lines, s_main.settings.display_rows, s_main.settings.display_cols);
    }

    if (cb_loop_init(s_main.settings.listen, s_main.err, sizeof s_main.err) != 0) {
        cb_port_log(CB_LOG_ERROR, "%s", s_main.err);
        board_panic("no network");
    }
#if CB_BOARD_TLS
    if (board_tls_start(s_main.settings.listen_tls, s_main.err, sizeof s_main.err) != 0)
        cb_port_log(CB_LOG_ERROR, "%s: no HTTPS, HTTP only", s_main.err);
#endif
    board_sntp_start(s_main.settings.sntp_server);
    board_watchdog_start();
    cb_loop_run(s_main.settings.listen, on_listening, &s_main.stop);
    board_panic("the loop stopped");
}
