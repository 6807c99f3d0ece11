/* main.c - the firmware's main on every Cortex-M board: the board's hardware,
 * UART, clock, entropy, build-time settings (cb_settings_defaults, then the
 * board's defaults, then the JSON the image was built with, if any), flash
 * storage, the core's server, lwIP, then the shared loop (port/sock)
 * forever. Started by Reset_Handler (startup.c). */
#include "board.h"
#include "cb_err.h"
#include "cb_loop.h"
#include "cb_port.h"
#include "cb_server.h"
#include "cb_settings.h"

#include <stdio.h>
#include <string.h>

/* Written by the build (CMakeLists.txt) from CB_BOARD_SETTINGS, a JSON file
 * in the config-file format (SPEC 6); empty when none was given. */
extern const unsigned char cb_board_settings_json[];
extern const unsigned cb_board_settings_len;

/* The board serves on port 80 of whatever address lwIP gets; its journal
 * compacts well before a slot fills (BOARD_JOURNAL_BUDGET, board_hw.h). */
#define BOARD_LISTEN "0.0.0.0:80"

static struct {
    cb_settings_t settings; /* outlives the server */
    volatile bool stop;     /* never set: the board serves until reset */
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

static void load_settings(void)
{
    cb_settings_t *s = &s_main.settings;
    cb_settings_defaults(s);
    set_or_die("listen", BOARD_LISTEN);
    char budget[16];
    snprintf(budget, sizeof budget, "%u", BOARD_JOURNAL_BUDGET);
    set_or_die("journal_budget", budget);
    if (cb_board_settings_len &&
        cb_settings_load_json(s, (const char *)cb_board_settings_json, cb_board_settings_len,
                              s_main.err, sizeof s_main.err) != CB_OK) {
        cb_port_log(CB_LOG_ERROR, "config: built-in settings: %s", s_main.err);
        board_panic("bad configuration (CB_BOARD_SETTINGS)");
    }
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
    if (s->auth == CB_AUTH_SIGNATURE && s->demo_secret)
        board_printf("  DEMO secret in use: \"%s\" - it is public, anyone can sign with it.\r\n"
                     "  Build with -DCB_BOARD_SETTINGS=file.json to set yours.\r\n",
                     CB_DEMO_SECRET);
    board_printf("  clock:      no SNTP: the replay window is not applied\r\n"
                 "  keys:       a = acknowledge, s = stats, R = reset (storage is kept)\r\n");
}

int main(void)
{
    board_hw_init();
    board_uart_init();
    board_clock_init();
    board_printf("\r\nchatbell firmware on " BOARD_NAME " (Cortex-M3, %lu MHz)\r\n",
                 (unsigned long)(BOARD_CPU_HZ / 1000000u));
    board_entropy_init();
    load_settings();
    board_console_display_init(s_main.settings.display_rows);
    board_display_init(s_main.settings.display_rows);

    (void)board_store_init();
    int rc = cb_server_start(&s_main.settings);
    if (rc != CB_OK)
        cb_port_log(CB_LOG_ERROR, "journal unavailable (%s): webhooks get 503 until it recovers",
                    cb_err_str(rc));

    if (cb_loop_init(s_main.settings.listen, s_main.err, sizeof s_main.err) != 0) {
        cb_port_log(CB_LOG_ERROR, "%s", s_main.err);
        board_panic("no network");
    }
    cb_loop_run(s_main.settings.listen, on_listening, &s_main.stop);
    board_panic("the loop stopped");
}
