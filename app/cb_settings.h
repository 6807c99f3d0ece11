/* cb_settings.h - run-time configuration of the core (SPEC 6): one struct of
 * fixed-size fields, filled with defaults, then from a JSON config file, then
 * from the environment and flags by the port, then checked once at start-up. */
#ifndef CB_SETTINGS_H
#define CB_SETTINGS_H

#include "cb_config.h"
#include "cb_span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CB_AUTH_SIGNATURE = 0, CB_AUTH_STATIC, CB_AUTH_DYNAMIC } cb_auth_mode_t;

/* Which signature header a webhook may use (SPEC 3 signature_scheme): auto =
 * V3 when sent, else V1, until an event verified by V3 is stored, then V3
 * only (remembered across restarts); v3 / v1 = that header only. */
typedef enum { CB_SCHEME_AUTO = 0, CB_SCHEME_V3, CB_SCHEME_V1 } cb_sig_scheme_t;

/* The demo secret used when nothing is configured; the banner names it. */
#define CB_DEMO_SECRET "chatbell-demo-secret"

/* A configured sender code. A sender added by a setting starts with its code
 * as label and default_pattern as pattern (a config file's default_pattern
 * applies whatever the key order); neither is ever empty. */
typedef struct {
    char code[CB_CFG_SENDER_MAX]; /* "SH" */
    char label[CB_CFG_STR_MAX];   /* "Picker" */
    char pattern[CB_CFG_STR_MAX]; /* buzzer pattern, see cb_port_buzzer_play */
} cb_sender_cfg_t;

typedef struct {
    /* HTTP */
    char listen[CB_CFG_STR_MAX]; /* "127.0.0.1:8080" (ports parse it) */
    /* HTTPS, done by the port below the core (issue 16): "" = off */
    char listen_tls[CB_CFG_STR_MAX];   /* "ADDR:PORT" to serve HTTPS on as well */
    char tls_cert[CB_CFG_STR_MAX];     /* PEM certificate (chain) file */
    char tls_key[CB_CFG_STR_MAX];      /* PEM private key file (ECDSA or RSA) */
    char webhook_path[CB_CFG_STR_MAX]; /* "/webhooks/instaleap/chat" */
    char token_path[CB_CFG_STR_MAX];   /* "/auth/token" */
    uint32_t body_limit;               /* bytes, <= CB_CFG_BODY_MAX; default 16384 */
    uint32_t max_conn;                 /* <= CB_CFG_MAX_CONN */
    uint32_t request_timeout_ms;       /* headers+body must arrive within; 10000 */
    uint32_t idle_timeout_ms;          /* keep-alive idle before close; 30000 */
    /* Connections one peer address may hold; 0 (default) = max_conn / 4, at
     * least 1. Trusted proxies are held only to max_conn. See
     * cb_settings_conn_per_source(). */
    uint32_t max_conn_per_source;
    /* Peers whose X-Forwarded-For names the source (SPEC 2): addresses
     * separated by commas ("" none). A config file gives a JSON array. */
    char trusted_proxies[CB_CFG_PROXIES_TEXT_MAX];
    /* Boards (SPEC 9): the SNTP server, "a.b.c.d" or "a.b.c.d:port"; ""
     * (default) = the one DHCP names. The host's clock is the system's. */
    char sntp_server[CB_CFG_STR_MAX];

    /* auth (SPEC 3) */
    cb_auth_mode_t auth;
    char secret[CB_CFG_SECRET_MAX];      /* signature: current secret */
    char secret_next[CB_CFG_SECRET_MAX]; /* signature: next secret ("" none) */
    cb_sig_scheme_t signature_scheme;    /* auto (default), v3, v1 */
    bool demo_secret;                    /* secret is CB_DEMO_SECRET by default */
    /* The header carrying the token in static and dynamic modes. "" (the
     * default) means the mode's default, see cb_settings_token_header():
     * static "X-Chatbell-Token" (value = the token), dynamic "Authorization"
     * (value = "Bearer <token>"). When set (CHATBELL_TOKEN_HEADER): static
     * compares that header's whole value with the token; dynamic takes
     * "Bearer <token>" if the header is Authorization, else the bare token. */
    char token_header[CB_CFG_STR_MAX];
    char token[CB_CFG_SECRET_MAX];     /* static token */
    char client_id[CB_CFG_SECRET_MAX]; /* dynamic: expected credentials */
    char client_secret[CB_CFG_SECRET_MAX];
    char client_id_field[CB_CFG_STR_MAX];     /* "client_id" */
    char client_secret_field[CB_CFG_STR_MAX]; /* "client_secret" */
    uint32_t token_ttl_s;                     /* 3600 */
    char admin_token[CB_CFG_SECRET_MAX];      /* POST /ack enabled when non-empty */
    uint32_t rate_limit_failures; /* auth failures per minute per source before 429; 10 */
    uint32_t rate_limit_block_s;  /* Retry-After; 60 */
    uint32_t replay_window_s;     /* +-; 3600; 0 = off */

    /* signalling (SPEC 4) */
    unsigned display_rows; /* 2 or 4 */
    unsigned display_cols; /* 16 or 20 */
    cb_sender_cfg_t senders[CB_CFG_SENDERS_MAX];
    unsigned nsenders;
    char default_pattern[CB_CFG_STR_MAX]; /* pattern for unknown sender codes */
    uint32_t reminder_s;                  /* 60; 0 = never */
    uint32_t scroll_ms;                   /* one scroll step; 400 */

    /* storage (SPEC 5) */
    uint32_t journal_budget; /* bytes before compaction */
    bool fsync;              /* false only for benchmarks */
} cb_settings_t;

/* Fills every field with its built-in default (signature mode, demo secret). */
void cb_settings_defaults(cb_settings_t *s);

/* Sets one setting by its config-file key ("secret", "display.rows",
 * "senders.SH.label", ...) from a string value. Keys are the field names
 * above, with display.rows / display.cols and senders.<CODE>.label|pattern
 * (an unknown CODE adds a sender). Numbers are plain decimals within the
 * setting's range, fsync is true|false|on|off, auth is a mode name,
 * signature_scheme auto|v3|v1; strings
 * must fit their field (never truncated), be UTF-8 without control bytes.
 * Setting "secret" clears demo_secret (unless it is CB_DEMO_SECRET itself).
 * CB_OK, or CB_ERR_INVAL with "key: problem" in err (never echoing a value). */
int cb_settings_set(cb_settings_t *s, const char *key, cb_span_t value, char *err, size_t errcap);

/* Applies a JSON config file's text (read through cb_json.h):
 * one object whose nested objects map to dotted keys ({"display":{"rows":4}}
 * is display.rows). Numbers and true/false must be JSON numbers/literals,
 * strings JSON strings; trusted_proxies an array of address strings (or one
 * string of comma-separated addresses). An unknown key stops it. CB_OK or CB_ERR_INVAL with
 * "key: problem" in err; settings before the bad key may have been applied. */
int cb_settings_load_json(cb_settings_t *s, const char *text, size_t len, char *err, size_t errcap);

/* Walks a config file's text as cb_settings_load_json does (the same JSON
 * checks, unknown keys refused), handing each dotted key and its value text
 * (strings decoded, arrays joined with commas, numbers and booleans as
 * written) to visit instead of setting them; stops at its first error.
 * PUT /settings stages a body this way. CB_OK or the error with "key:
 * problem" in err. */
typedef int (*cb_settings_visit_t)(void *ctx, const char *key, cb_span_t value, char *err,
                                   size_t errcap);
int cb_settings_each_json(const char *text, size_t len, cb_settings_visit_t visit, void *ctx,
                          char *err, size_t errcap);

/* Checks the whole configuration for consistency (a mode's secrets present,
 * a static token, admin token or client secret at least
 * CB_SETTINGS_SECRET_MIN characters, limits within build maxima). CB_OK or CB_ERR_INVAL with "key:
 * problem". */
int cb_settings_check(const cb_settings_t *s, char *err, size_t errcap);

/* The sender entry for a code, or NULL when the code is not configured. */
const cb_sender_cfg_t *cb_settings_sender(const cb_settings_t *s, cb_span_t code);

/* True for a key whose value is a secret (never shown nor echoed). */
bool cb_settings_is_secret(const char *key);

const char *cb_settings_auth_name(cb_auth_mode_t mode);
const char *cb_settings_scheme_name(cb_sig_scheme_t scheme);

/* Shortest static token, admin token or client secret (SPEC 3). */
#define CB_SETTINGS_SECRET_MIN 16

/* The connections one source may hold: max_conn_per_source, or when 0 a
 * quarter of max_conn (at least 1); never over max_conn. */
uint32_t cb_settings_conn_per_source(const cb_settings_t *s);

/* The header name that carries the token in the configured mode: token_header,
 * or the mode's default when it is empty ("X-Chatbell-Token" for static,
 * "Authorization" for dynamic and signature). Never NULL. */
const char *cb_settings_token_header(const cb_settings_t *s);

#endif
