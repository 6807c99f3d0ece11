/* cb_posix_config.c - builds the simulator's settings in SPEC 6's order:
 * defaults, the --config JSON file, secrets from the environment (so they
 * never show in ps), the flags, then the whole-configuration check. */
#define _GNU_SOURCE
#include "cb_posix.h"
#include "cb_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX (64 * 1024)

static const struct {
    const char *env;
    const char *key;
} s_env[] = {
    {"CHATBELL_SECRET", "secret"},
    {"CHATBELL_SECRET_NEXT", "secret_next"},
    {"CHATBELL_TOKEN", "token"},
    {"CHATBELL_TOKEN_HEADER", "token_header"},
    {"CHATBELL_CLIENT_ID", "client_id"},
    {"CHATBELL_CLIENT_SECRET", "client_secret"},
    {"CHATBELL_ADMIN_TOKEN", "admin_token"},
    {"CHATBELL_TRUSTED_PROXIES", "trusted_proxies"}, /* not a secret: handy in containers */
};

/* err gets "key: problem (source)". */
static int with_source(char *err, size_t cap, const char *source)
{
    size_t n = strnlen(err, cap);
    if (n < cap)
        snprintf(err + n, cap - n, " (%s)", source);
    return -1;
}

static int read_file(const char *path, char *buf, size_t cap, size_t *len, char *err, size_t ecap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, ecap, "config: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, ecap, "config: cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got == cap) {
            snprintf(err, ecap, "config: %s is larger than %d bytes", path, CONFIG_MAX - 1);
            close(fd);
            return -1;
        }
    }
    close(fd);
    *len = got;
    return 0;
}

static int load_file(const char *path, cb_settings_t *s, char *err, size_t cap)
{
    static char text[CONFIG_MAX];
    size_t len;
    if (read_file(path, text, sizeof text, &len, err, cap) != 0)
        return -1;
    if (cb_settings_load_json(s, text, len, err, cap) != CB_OK) {
        char src[300];
        snprintf(src, sizeof src, "in %s", path);
        return with_source(err, cap, src);
    }
    return 0;
}

static int set_from(cb_settings_t *s, const char *key, const char *val, const char *source,
                    char *err, size_t cap)
{
    if (cb_settings_set(s, key, cb_span_str(val), err, cap) != CB_OK)
        return with_source(err, cap, source);
    return 0;
}

/* A missing secret: say which variable sets it. */
static int hint_env(char *err, size_t cap)
{
    for (size_t i = 0; i < sizeof s_env / sizeof s_env[0]; i++) {
        size_t n = strlen(s_env[i].key);
        if (strncmp(err, s_env[i].key, n) == 0 && err[n] == ':') {
            char src[64];
            snprintf(src, sizeof src, "set %s", s_env[i].env);
            return with_source(err, cap, src);
        }
    }
    return -1;
}

/* HTTPS wants a certificate and its key, or --tls self-signed (not both). */
static int check_tls(const cb_posix_opts_t *o, const cb_settings_t *s, char *err, size_t cap)
{
    bool cert = s->tls_cert[0], key = s->tls_key[0];
    if (cert != key)
        snprintf(err, cap, "%s: required with %s", cert ? "tls_key" : "tls_cert",
                 cert ? "tls_cert" : "tls_key");
    else if (o->tls && cert)
        snprintf(err, cap, "tls: self-signed and tls_cert/tls_key both given; choose one");
    else if (o->tls && !s->listen_tls[0])
        snprintf(err, cap, "tls: self-signed needs --listen-tls ADDR:PORT");
    else if (s->listen_tls[0] && !cert && !o->tls)
        snprintf(err, cap,
                 "listen_tls: needs tls_cert and tls_key in --config, or --tls "
                 "self-signed");
    else
        return 0;
    return -1;
}

int cb_posix_config_build(const cb_posix_opts_t *o, cb_settings_t *s, char *err, size_t cap)
{
    cb_settings_defaults(s);
    if (o->config && load_file(o->config, s, err, cap) != 0)
        return -1;
    for (size_t i = 0; i < sizeof s_env / sizeof s_env[0]; i++) {
        const char *v = getenv(s_env[i].env);
        char src[64];
        snprintf(src, sizeof src, "from %s", s_env[i].env);
        if (v && set_from(s, s_env[i].key, v, src, err, cap) != 0)
            return -1;
    }
    if (o->listen && set_from(s, "listen", o->listen, "from --listen", err, cap) != 0)
        return -1;
    if (o->auth && set_from(s, "auth", o->auth, "from --auth", err, cap) != 0)
        return -1;
    if (o->fsync && set_from(s, "fsync", o->fsync, "from --fsync", err, cap) != 0)
        return -1;
    if (o->listen_tls &&
        set_from(s, "listen_tls", o->listen_tls, "from --listen-tls", err, cap) != 0)
        return -1;
    if (check_tls(o, s, err, cap) != 0)
        return -1;
    if (cb_settings_check(s, err, cap) != CB_OK)
        return hint_env(err, cap);
    return 0;
}
