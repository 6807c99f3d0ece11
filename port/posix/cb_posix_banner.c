/* cb_posix_banner.c - what the simulator prints once it listens: the URL
 * line the tests parse, the mode, paths and data dir, the DEMO secret with a
 * ready command when it is in use, and a loud warning when fsync is off.
 * Never prints a secret other than the public demo one. */
#define _GNU_SOURCE
#include "cb_posix.h"
#include "cb_loop.h"
#include "cb_tls.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENDER_NAME "instaleap-send"

/* The sender next to this binary in a build tree (build/<preset>/port/posix/
 * chatbell -> build/<preset>/tools/instaleap-send/instaleap-send), relative
 * to the working directory when under it; else its bare name. */
static const char *sender_path(char *out, size_t cap)
{
    static char exe[PATH_MAX], cand[PATH_MAX + 64], real[PATH_MAX], cwd[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return SENDER_NAME;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return SENDER_NAME;
    *slash = '\0';
    snprintf(cand, sizeof cand, "%s/../../tools/instaleap-send/" SENDER_NAME, exe);
    if (!realpath(cand, real) || access(real, X_OK) != 0)
        return SENDER_NAME;
    size_t l = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (l > 1 && strncmp(real, cwd, l) == 0 && real[l] == '/')
        snprintf(out, cap, "%s", real + l + 1);
    else
        snprintf(out, cap, "%s", real);
    return out;
}

/* A wildcard bind is reached through loopback in a ready command. */
static const char *client_host(const char *bound, char *out, size_t cap)
{
    if (strncmp(bound, "0.0.0.0:", 8) == 0)
        snprintf(out, cap, "127.0.0.1:%s", bound + 8);
    else if (strncmp(bound, "[::]:", 5) == 0)
        snprintf(out, cap, "[::1]:%s", bound + 5);
    else
        snprintf(out, cap, "%s", bound);
    return out;
}

static void print_auth(const cb_settings_t *s, const char *url)
{
    switch (s->auth) {
    case CB_AUTH_SIGNATURE:
        printf("  auth:       signature (InstaLeap-Signature-V3 or InstaLeap-Signature, "
               "HMAC-SHA256)%s\n",
               s->secret_next[0] ? "; current and next secret" : "");
        break;
    case CB_AUTH_STATIC:
        printf("  auth:       static token in header %s\n", cb_settings_token_header(s));
        break;
    case CB_AUTH_DYNAMIC:
        printf("  auth:       dynamic token from POST %s%s (fields %s, %s; expires in %us),\n"
               "              carried in header %s\n",
               url, s->token_path, s->client_id_field, s->client_secret_field,
               (unsigned)s->token_ttl_s, cb_settings_token_header(s));
        break;
    }
}

static void print_demo(const cb_settings_t *s, const char *url)
{
    char path[PATH_MAX];
    printf("\n  DEMO secret in use: \"%s\" - it is public, anyone can sign with it.\n"
           "  Set CHATBELL_SECRET (or \"secret\" in --config) for real use.\n"
           "  Send a signed test message:\n"
           "    %s --url %s%s --secret %s --text \"Hola\"\n",
           CB_DEMO_SECRET, sender_path(path, sizeof path), url, s->webhook_path, CB_DEMO_SECRET);
}

/* The HTTPS listener, its certificate and how to check it. */
static void print_tls(const cb_posix_opts_t *o)
{
    char host[300];
    printf("  https:      https://%s (TLS 1.2; certificate %s%s)\n",
           client_host(cb_loop_tls_bound(), host, sizeof host), o->tls_cert_used,
           o->tls ? ", self-signed" : "");
    printf("  tls sha256: %s\n", cb_tls_fingerprint());
    if (o->tls)
        printf("              curl --cacert %s https://%s/healthz\n", o->tls_cert_used, host);
}

void cb_posix_banner_print(const cb_settings_t *s, const cb_posix_opts_t *o, const char *bound)
{
    char host[300], url[320];
    snprintf(url, sizeof url, "http://%s", client_host(bound, host, sizeof host));
    printf("chatbell listening on http://%s\n", bound);
    print_auth(s, url);
    if (o->tls_cert_used)
        print_tls(o);
    printf("  webhook:    POST %s%s\n", url, s->webhook_path);
    printf("  health:     GET %s/healthz   metrics: GET %s/metrics\n", url, url);
    if (s->admin_token[0])
        printf("  ack:        POST %s/ack with Authorization: Bearer <admin token>\n", url);
    if (s->trusted_proxies[0])
        printf("  proxies:    X-Forwarded-For names the source from %s\n", s->trusted_proxies);
    printf("  data dir:   %s (journal budget %u bytes, fsync %s)\n", o->data_dir,
           (unsigned)s->journal_budget, s->fsync ? "on" : "OFF");
    printf("  signal log: %s\n", o->signal_log ? o->signal_log : "(none; --signal-log FILE)");
    printf("  display:    %ux%u, %s\n", s->display_rows, s->display_cols,
           cb_posix_display_is_tui() ? "drawn above" : "printed as \"display|\" lines");
    printf("  %s\n", cb_posix_button_hint());
    if (s->auth == CB_AUTH_SIGNATURE && s->demo_secret)
        print_demo(s, url);
    if (!s->fsync)
        printf("\n  WARNING WARNING WARNING: --fsync off: accepted events are NOT durable;"
               " a crash or power loss can lose them (benchmarks only) WARNING\n");
    fflush(stdout);
    cb_posix_out_release();
}
