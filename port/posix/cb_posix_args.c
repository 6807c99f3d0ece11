/* cb_posix_args.c - the simulator's command line (SPEC 6):
 * chatbell [--listen ADDR:PORT] [--config FILE] [--data-dir DIR]
 *          [--signal-log FILE] [--auth MODE] [--no-tui] [--fsync on|off]
 *          [--listen-tls ADDR:PORT] [--tls self-signed]
 * plus --help and --version. "--flag value" and "--flag=value" both work. */
#define _GNU_SOURCE
#include "cb_posix.h"

#include <stdio.h>
#include <string.h>

static const char s_usage[] =
    "usage: chatbell [--listen ADDR:PORT] [--config FILE] [--data-dir DIR]\n"
    "                [--signal-log FILE] [--auth MODE] [--no-tui] [--fsync on|off]\n"
    "                [--listen-tls ADDR:PORT] [--tls self-signed]\n"
    "\n"
    "Receives InstaLeap chat webhooks, verifies, stores and signals them\n"
    "(the host simulator of the chatbell counter device).\n"
    "\n"
    "  --listen ADDR:PORT  address to serve HTTP on (default 127.0.0.1:8080;\n"
    "                      port 0 picks a free port, shown in the banner)\n"
    "  --config FILE       JSON configuration file (keys as in cb_settings.h)\n"
    "  --data-dir DIR      journal directory, created 0700 (default ./chatbell-data)\n"
    "  --signal-log FILE   append every signal as one JSON line to FILE\n"
    "  --auth MODE         signature (default), static or dynamic\n"
    "  --no-tui            print display changes as lines, even on a terminal\n"
    "  --fsync on|off      off is for benchmarks only: events are NOT durable\n"
    "  --listen-tls ADDR:PORT  serve HTTPS there as well (TLS 1.2; tls_cert and\n"
    "                      tls_key in --config name the PEM certificate and key)\n"
    "  --tls self-signed   no certificate at hand: make an ECDSA P-256 one in the\n"
    "                      data dir on first start (its SHA-256 is in the banner)\n"
    "  --help, --version\n"
    "\n"
    "Secrets come from the environment, never from flags: CHATBELL_SECRET,\n"
    "CHATBELL_SECRET_NEXT, CHATBELL_TOKEN, CHATBELL_TOKEN_HEADER, CHATBELL_CLIENT_ID,\n"
    "CHATBELL_CLIENT_SECRET, CHATBELL_ADMIN_TOKEN. CHATBELL_LOG=debug for more log.\n"
    "With none set, signature mode runs with a DEMO secret named in the banner.\n";

typedef struct {
    const char *name;
    size_t off; /* into cb_posix_opts_t: a const char * */
} valflag_t;

static const valflag_t s_flags[] = {
    {"--listen", offsetof(cb_posix_opts_t, listen)},
    {"--config", offsetof(cb_posix_opts_t, config)},
    {"--data-dir", offsetof(cb_posix_opts_t, data_dir)},
    {"--signal-log", offsetof(cb_posix_opts_t, signal_log)},
    {"--auth", offsetof(cb_posix_opts_t, auth)},
    {"--fsync", offsetof(cb_posix_opts_t, fsync)},
    {"--listen-tls", offsetof(cb_posix_opts_t, listen_tls)},
    {"--tls", offsetof(cb_posix_opts_t, tls)},
};

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "chatbell: %s '%s' (see chatbell --help)\n", what, arg);
    return CB_POSIX_EXIT_USAGE;
}

int cb_posix_args_parse(int argc, char **argv, cb_posix_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->data_dir = "chatbell-data";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(s_usage, stdout);
            return CB_POSIX_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("chatbell %s\n", CB_POSIX_VERSION);
            return CB_POSIX_EXIT_OK;
        }
        if (strcmp(a, "--no-tui") == 0) {
            o->no_tui = true;
            continue;
        }
        const valflag_t *f = NULL;
        const char *val = NULL;
        for (size_t k = 0; k < sizeof s_flags / sizeof s_flags[0]; k++) {
            size_t n = strlen(s_flags[k].name);
            if (strncmp(a, s_flags[k].name, n) != 0)
                continue;
            if (a[n] == '=')
                val = a + n + 1;
            else if (a[n] != '\0')
                continue;
            f = &s_flags[k];
            break;
        }
        if (!f)
            return usage_error(a[0] == '-' ? "unknown option" : "unexpected argument", a);
        if (!val) {
            if (i + 1 >= argc)
                return usage_error("missing value for", a);
            val = argv[++i];
        }
        *(const char **)(void *)((char *)o + f->off) = val;
    }
    if (o->fsync && strcmp(o->fsync, "on") != 0 && strcmp(o->fsync, "off") != 0) {
        fprintf(stderr, "chatbell: fsync: must be on or off (from --fsync)\n");
        return CB_POSIX_EXIT_USAGE;
    }
    if (o->tls && strcmp(o->tls, "self-signed") != 0) {
        fprintf(stderr, "chatbell: tls: must be self-signed (from --tls)\n");
        return CB_POSIX_EXIT_USAGE;
    }
    if (!o->data_dir[0] || (o->signal_log && !o->signal_log[0]) || (o->config && !o->config[0])) {
        fprintf(stderr, "chatbell: an empty path was given (see chatbell --help)\n");
        return CB_POSIX_EXIT_USAGE;
    }
    return CB_POSIX_RUN;
}
