/* main.c - the host simulator `chatbell`: flags and settings, data dir,
 * signal log, terminal, storage, then the core's server on the shared loop
 * (port/sock) until SIGINT/SIGTERM. Exit 0 on a clean stop, 2 on bad usage
 * or configuration (one line naming the key), 1 when it cannot serve. */
#define _GNU_SOURCE
#include "cb_conn.h"
#include "cb_err.h"
#include "cb_tls.h"
#include "cb_loop.h"
#include "cb_port.h"
#include "cb_posix.h"
#include "cb_server.h"
#include "cb_settings.h"
#include "cb_store_posix.h"

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    cb_settings_t settings; /* outlives the server */
    cb_posix_opts_t opts;
    /* set from the signal handler; a bool store is atomic on the hosts we run */
    volatile bool stop;
    volatile sig_atomic_t signals;
} s_main;

static void restore_terminal(void)
{
    cb_posix_display_restore();
    cb_posix_button_restore();
}

static void on_signal(int sig)
{
    (void)sig;
    s_main.stop = true;
    if (++s_main.signals > 1) { /* a second ^C: the loop is stuck, leave now */
        restore_terminal();
        _exit(1);
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* The data dir, made by the store (cb_store_posix_init: mkdir -p, each new
 * directory fsynced into its parent), must be a writable directory. */
static int check_data_dir(const char *dir, char *err, size_t cap)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, cap, "data-dir: cannot create %s (see the log)", dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, cap, "data-dir: %s is not writable: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* HTTPS (issue 16): the configured certificate, or a self-signed one made
 * in the data dir; the loop serves it on listen_tls. */
static int setup_tls(const cb_settings_t *s, char *err, size_t cap)
{
    static char cert[4200], key[4200];
    if (!s->listen_tls[0])
        return 0;
    if (s_main.opts.tls) {
        char host[CB_CFG_STR_MAX];
        snprintf(host, sizeof host, "%s", s->listen_tls);
        *strrchr(host, ':') = '\0';
        if (cb_tls_self_signed(s_main.opts.data_dir, host, cert, key, sizeof cert, err, cap) != 0)
            return -1;
    } else {
        snprintf(cert, sizeof cert, "%s", s->tls_cert);
        snprintf(key, sizeof key, "%s", s->tls_key);
    }
    if (cb_tls_setup(cert, key, cb_conn_tls_bio(), err, cap) != 0)
        return -1;
    s_main.opts.tls_cert_used = cert;
    cb_loop_listen_tls(s->listen_tls);
    return 0;
}

static void on_listening(const char *bound)
{
    cb_posix_banner_print(&s_main.settings, &s_main.opts, bound);
}

int main(int argc, char **argv)
{
    static char err[1024];
    cb_settings_t *s = &s_main.settings;

    int rc = cb_posix_args_parse(argc, argv, &s_main.opts);
    if (rc != CB_POSIX_RUN)
        return rc == CB_POSIX_EXIT_OK ? 0 : 2;
    cb_posix_log_init();
    if (cb_posix_config_build(&s_main.opts, s, err, sizeof err) != 0) {
        fprintf(stderr, "chatbell: %s\n", err);
        return 2;
    }
    /* Each journal file may grow to 4x the compaction budget: compaction is
     * the normal path, and unacknowledged messages (live data that compaction
     * keeps) have room past the budget before the disk counts as full. */
    uint64_t slot_cap = 4ull * s->journal_budget + 2ull * CB_CFG_RECORD_MAX;
    int store_rc = cb_store_posix_init(
        s_main.opts.data_dir, slot_cap > UINT32_MAX ? UINT32_MAX : (uint32_t)slot_cap, s->fsync);
    if (check_data_dir(s_main.opts.data_dir, err, sizeof err) != 0 ||
        setup_tls(s, err, sizeof err) != 0) {
        fprintf(stderr, "chatbell: %s\n", err);
        return 2;
    }
    if (s_main.opts.signal_log) {
        int e = cb_posix_siglog_open(s_main.opts.signal_log);
        if (e != 0) {
            fprintf(stderr, "chatbell: signal-log: cannot open %s: %s\n", s_main.opts.signal_log,
                    strerror(-e));
            return 2;
        }
    }

    install_signals();
    cb_posix_button_init();
    cb_posix_display_init(!s_main.opts.no_tui, s->display_rows, s->display_cols);
    atexit(restore_terminal);

    if (store_rc != CB_OK)
        cb_port_log(CB_LOG_ERROR, "storage in %s unavailable (%s): serving degraded",
                    s_main.opts.data_dir, cb_err_str(store_rc));
    rc = cb_server_start(s);
    if (rc != CB_OK)
        cb_port_log(CB_LOG_ERROR, "journal unavailable (%s): webhooks get 503 until it recovers",
                    cb_err_str(rc));

    rc = cb_loop_init(s->listen, err, sizeof err); /* lwIP build: stack and TAP */
    if (rc != 0)
        cb_port_log(CB_LOG_ERROR, "%s", err);
    else {
        cb_loop_on_idle(cb_posix_out_flush);
        rc = cb_loop_run(s->listen, on_listening, &s_main.stop);
    }
    if (rc == 0)
        cb_port_log(CB_LOG_INFO, "stopping");
    if (s->listen_tls[0]) {
        cb_tls_stats_t st;
        cb_tls_stats(&st);
        cb_port_log(
            CB_LOG_INFO,
            "tls: %u handshakes (%u resumed), %u failed handshakes, %u refused, %u evicted; %u "
            "sessions at most; heap peak %zu of %zu bytes (shared %zu, one session at most %zu)",
            st.handshakes, st.resumed, st.failed, st.refused, st.evicted, st.sessions_peak,
            st.heap_peak, st.heap_bytes, st.shared_bytes, st.session_peak);
    }
    cb_server_stop();
    cb_store_posix_close();
    cb_posix_out_release(); /* if it never listened */
    cb_posix_out_flush();
    restore_terminal();
    return rc == 0 ? 0 : 1;
}
