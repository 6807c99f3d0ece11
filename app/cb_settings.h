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

/* The demo secret used when nothing is configured; the banner names it. */
#define CB_DEMO_SECRET "chatbell-demo-secret"

typedef struct {
    char code[CB_CFG_SENDER_MAX];   /* "SH" */
    char label[CB_CFG_STR_MAX];     /* "Picker" */
    char pattern[CB_CFG_STR_MAX];   /* buzzer pattern, see cb_port_buzzer_play */
} cb_sender_cfg_t;

typedef struct {
    /* HTTP */
    char listen[CB_CFG_STR_MAX];        /* "127.0.0.1:8080" (ports parse it) */
    char webhook_path[CB_CFG_STR_MAX];  /* "/webhooks/instaleap/chat" */
    char token_path[CB_CFG_STR_MAX];    /* "/auth/token" */
    uint32_t body_limit;                /* bytes, <= CB_CFG_BODY_MAX; default 16384 */
    uint32_t max_conn;                  /* <= CB_CFG_MAX_CONN */
    uint32_t request_timeout_ms;        /* headers+body must arrive within; 10000 */
    uint32_t idle_timeout_ms;           /* keep-alive idle before close; 30000 */

    /* auth (SPEC 3) */
    cb_auth_mode_t auth;
    char secret[CB_CFG_SECRET_MAX];      /* signature: current secret */
    char secret_next[CB_CFG_SECRET_MAX]; /* signature: next secret ("" none) */
    bool demo_secret;                    /* secret is CB_DEMO_SECRET by default */
    char token_header[CB_CFG_STR_MAX];   /* static: header name; dynamic: header carrying the token */
    char token[CB_CFG_SECRET_MAX];       /* static token */
    char client_id[CB_CFG_SECRET_MAX];   /* dynamic: expected credentials */
    char client_secret[CB_CFG_SECRET_MAX];
    char client_id_field[CB_CFG_STR_MAX];     /* "client_id" */
    char client_secret_field[CB_CFG_STR_MAX]; /* "client_secret" */
    uint32_t token_ttl_s;                /* 3600 */
    char admin_token[CB_CFG_SECRET_MAX]; /* POST /ack enabled when non-empty */
    uint32_t rate_limit_failures;        /* auth failures per minute per source before 429; 10 */
    uint32_t rate_limit_block_s;         /* Retry-After; 60 */
    uint32_t replay_window_s;            /* +-; 3600; 0 = off */

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
 * "senders.SH.label", ...) from a string value. CB_OK, or CB_ERR_INVAL with
 * a sentence for the user in err (never echoing a secret value). */
int cb_settings_set(cb_settings_t *s, const char *key, cb_span_t value, char *err, size_t errcap);

/* Applies a JSON config file's text (read with jsmn through cb_json.h).
 * CB_OK or CB_ERR_INVAL with "key: problem" in err. */
int cb_settings_load_json(cb_settings_t *s, const char *text, size_t len, char *err, size_t errcap);

/* Checks the whole configuration for consistency (a mode's secrets present,
 * limits within build maxima). CB_OK or CB_ERR_INVAL with "key: problem". */
int cb_settings_check(const cb_settings_t *s, char *err, size_t errcap);

/* The sender entry for a code, or NULL when the code is not configured. */
const cb_sender_cfg_t *cb_settings_sender(const cb_settings_t *s, cb_span_t code);

const char *cb_settings_auth_name(cb_auth_mode_t mode);

#endif
