/* cb_settings.c - run-time configuration (SPEC 6): defaults, typed setters by
 * dotted key, the JSON config-file walk and the start-up consistency check.
 * Called by the ports at start-up (port/posix/main.c, boards). */
#include "cb_settings.h"
#include "cb_addr.h"
#include "cb_dec.h"
#include "cb_err.h"
#include "cb_json.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* How a setting's text is checked and stored. */
typedef enum {
    K_STR,     /* non-empty UTF-8 text without control bytes */
    K_SECRET,  /* like K_STR, may be empty; its value is never echoed */
    K_PATH,    /* "/..." visible ASCII, no '?' or '#' */
    K_HEADER,  /* an HTTP field name, or "" for the mode's default */
    K_LISTEN,  /* "HOST:PORT" */
    K_OPTLIST, /* "HOST:PORT", or "" for off */
    K_FILE,    /* a file name for the port, or "" for none */
    K_PATTERN, /* buzzer pattern: '-' and '.' steps, at least one '-' */
    K_U32,     /* uint32_t within [min, max] */
    K_EITHER,  /* unsigned, exactly min or max (display sizes) */
    K_BOOL,    /* true/false/on/off */
    K_CHOICE,  /* one of the setting's names, stored as an enum (its index) */
    K_ADDRS,   /* IP addresses separated by commas, may be empty */
    K_SERVER   /* "" or an IPv4 address with an optional ":PORT" */
} kind_t;

typedef struct {
    const char *name;
    kind_t kind;
    size_t off;
    size_t cap; /* strings: size of the field, NUL included */
    uint32_t min, max;
    const char *const *choices; /* K_CHOICE: the names, index = enum value */
} setting_t;

static const char *const k_auth_names[] = {"signature", "static", "dynamic"};
static const char *const k_scheme_names[] = {"auto", "v3", "v1"};

/* clang-format off */
#define FIELD_CAP(f) sizeof(((cb_settings_t *)0)->f)
#define S_STR(n, k, f) {n, k, offsetof(cb_settings_t, f), FIELD_CAP(f), 0, 0, NULL}
#define S_NUM(n, k, f, lo, hi) {n, k, offsetof(cb_settings_t, f), 0, lo, hi, NULL}
#define S_CHOICE(n, f, names) \
    {n, K_CHOICE, offsetof(cb_settings_t, f), FIELD_CAP(f), 0, sizeof names / sizeof names[0] - 1, names}
/* clang-format on */

/* A budget smaller than two largest records could not journal a full-size
 * event next to its ack. */
#define JOURNAL_BUDGET_MIN (2u * (uint32_t)CB_CFG_RECORD_MAX)
#define JOURNAL_BUDGET_MAX (1u << 30)
#define BODY_LIMIT_MIN     64u

static const setting_t s_keys[] = {
    S_STR("listen", K_LISTEN, listen),
    S_STR("listen_tls", K_OPTLIST, listen_tls),
    S_STR("tls_cert", K_FILE, tls_cert),
    S_STR("tls_key", K_FILE, tls_key),
    S_STR("webhook_path", K_PATH, webhook_path),
    S_STR("token_path", K_PATH, token_path),
    S_NUM("body_limit", K_U32, body_limit, BODY_LIMIT_MIN, CB_CFG_BODY_MAX),
    S_NUM("max_conn", K_U32, max_conn, 1, CB_CFG_MAX_CONN),
    S_NUM("request_timeout_ms", K_U32, request_timeout_ms, 100, 3600000),
    S_NUM("idle_timeout_ms", K_U32, idle_timeout_ms, 100, 3600000),
    S_NUM("max_conn_per_source", K_U32, max_conn_per_source, 0, CB_CFG_MAX_CONN),
    S_STR("trusted_proxies", K_ADDRS, trusted_proxies),
    S_STR("sntp_server", K_SERVER, sntp_server),
    S_CHOICE("auth", auth, k_auth_names),
    S_STR("secret", K_SECRET, secret),
    S_STR("secret_next", K_SECRET, secret_next),
    S_CHOICE("signature_scheme", signature_scheme, k_scheme_names),
    S_STR("token_header", K_HEADER, token_header),
    S_STR("token", K_SECRET, token),
    S_STR("client_id", K_SECRET, client_id),
    S_STR("client_secret", K_SECRET, client_secret),
    S_STR("client_id_field", K_STR, client_id_field),
    S_STR("client_secret_field", K_STR, client_secret_field),
    S_NUM("token_ttl_s", K_U32, token_ttl_s, 1, 30u * 86400u),
    S_STR("admin_token", K_SECRET, admin_token),
    S_NUM("rate_limit_failures", K_U32, rate_limit_failures, 1, 1000000),
    S_NUM("rate_limit_block_s", K_U32, rate_limit_block_s, 1, 86400),
    S_NUM("replay_window_s", K_U32, replay_window_s, 0, 366u * 86400u),
    /* character LCDs come as 16 or 20 columns of 2 or 4 rows (SPEC 4) */
    S_NUM("display.rows", K_EITHER, display_rows, 2, CB_CFG_DISPLAY_ROWS_MAX),
    S_NUM("display.cols", K_EITHER, display_cols, 16, CB_CFG_DISPLAY_COLS_MAX),
    S_STR("default_pattern", K_PATTERN, default_pattern),
    S_NUM("reminder_s", K_U32, reminder_s, 0, 86400),
    S_NUM("scroll_ms", K_U32, scroll_ms, 50, 60000),
    S_NUM("journal_budget", K_U32, journal_budget, JOURNAL_BUDGET_MIN, JOURNAL_BUDGET_MAX),
    S_NUM("fsync", K_BOOL, fsync, 0, 0),
};

#define NKEYS (sizeof s_keys / sizeof s_keys[0])

#define SENDERS_PREFIX "senders."

_Static_assert(CB_CFG_DISPLAY_ROWS_MAX >= 2 && CB_CFG_DISPLAY_COLS_MAX >= 16,
               "the core must drive at least a 2x16 display");
_Static_assert(CB_CFG_SENDERS_MAX >= 2, "room for the default senders");
/* Enums are as small as their values on some ABIs (arm-none-eabi: short
 * enums): K_CHOICE fields are read and written by their size (cap). */
_Static_assert(sizeof(cb_auth_mode_t) <= sizeof(uint32_t) &&
                   sizeof(cb_sig_scheme_t) <= sizeof(uint32_t),
               "K_CHOICE enums fit 32 bits");

/* ---- error text: "key: problem", built without stdio ---- */

typedef struct {
    char *p;
    size_t cap, len;
} msg_t;

static void put_n(msg_t *m, const char *s, size_t n)
{
    for (size_t i = 0; i < n && m->len + 1 < m->cap; i++) {
        unsigned char c = (unsigned char)s[i];
        /* keys come from files: keep the one line printable */
        m->p[m->len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (m->cap)
        m->p[m->len] = '\0';
}

static void put(msg_t *m, const char *s)
{
    put_n(m, s, strlen(s));
}

static void put_u32(msg_t *m, uint32_t v)
{
    char d[CB_DEC_U32_MAX];
    put_n(m, d, cb_dec_u32(d, sizeof d, v));
}

static msg_t msg_begin(char *err, size_t errcap, const char *key)
{
    msg_t m = {err, err ? errcap : 0, 0};
    if (m.cap)
        m.p[0] = '\0';
    put(&m, key);
    put(&m, ": ");
    return m;
}

static int fail(char *err, size_t errcap, const char *key, const char *problem)
{
    msg_t m = msg_begin(err, errcap, key);
    put(&m, problem);
    return CB_ERR_INVAL;
}

/* "key: must be a, b or c" */
static int fail_choice(char *err, size_t errcap, const setting_t *k)
{
    msg_t m = msg_begin(err, errcap, k->name);
    put(&m, "must be ");
    for (uint32_t i = 0; i <= k->max; i++) {
        put(&m, i == 0 ? "" : i == k->max ? " or " : ", ");
        put(&m, k->choices[i]);
    }
    return CB_ERR_INVAL;
}

static int fail_range(char *err, size_t errcap, const char *key, uint32_t lo, uint32_t hi)
{
    msg_t m = msg_begin(err, errcap, key);
    put(&m, "must be a whole number from ");
    put_u32(&m, lo);
    put(&m, " to ");
    put_u32(&m, hi);
    return CB_ERR_INVAL;
}

static int fail_either(char *err, size_t errcap, const char *key, uint32_t a, uint32_t b)
{
    msg_t m = msg_begin(err, errcap, key);
    put(&m, "must be ");
    put_u32(&m, a);
    if (b != a) {
        put(&m, " or ");
        put_u32(&m, b);
    }
    return CB_ERR_INVAL;
}

static int fail_long(char *err, size_t errcap, const char *key, size_t cap)
{
    msg_t m = msg_begin(err, errcap, key);
    put(&m, "too long (at most ");
    put_u32(&m, (uint32_t)(cap - 1));
    put(&m, " bytes)");
    return CB_ERR_INVAL;
}

/* ---- value checks (shared by set and check) ---- */

static bool has_ctl(cb_span_t v)
{
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool valid_pattern(cb_span_t v)
{
    bool on = false;
    if (v.len == 0)
        return false;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == '-')
            on = true;
        else if (v.p[i] != '.')
            return false;
    }
    return on;
}

static bool valid_listen(cb_span_t v)
{
    size_t colon = v.len;
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] == ':')
            colon = i;
    if (colon == v.len || colon == 0)
        return false;
    for (size_t i = 0; i < colon; i++)
        if (v.p[i] <= ' ' || v.p[i] > '~')
            return false;
    unsigned long long port;
    return cb_span_to_u64(cb_span(v.p + colon + 1, v.len - colon - 1), 65535, &port) == CB_OK;
}

/* Checks a string value for its kind: NULL when fine, else the problem. */
static const char *check_text(kind_t kind, cb_span_t v)
{
    if (has_ctl(v))
        return "must not contain control characters";
    if (!cb_utf8_valid(v.p, v.len))
        return "must be valid UTF-8";
    switch (kind) {
    case K_STR:
        return v.len ? NULL : "must not be empty";
    case K_SERVER: {
        size_t colon = 0, dots = 0;
        for (size_t i = 0; i < v.len; i++) {
            if (v.p[i] == ':' && !colon)
                colon = i;
            else if (v.p[i] == '.' && !colon)
                dots++;
            else if (v.p[i] < '0' || v.p[i] > '9')
                return "must be an IPv4 address, optionally with :PORT";
        }
        unsigned long long port = 0;
        if (v.len &&
            (dots != 3 || (colon && (cb_span_to_u64(cb_span(v.p + colon + 1, v.len - colon - 1),
                                                    65535, &port) != CB_OK ||
                                     port == 0))))
            return "must be an IPv4 address, optionally with :PORT";
        return NULL;
    }
    case K_PATH:
        if (v.len == 0 || v.p[0] != '/')
            return "must start with '/'";
        for (size_t i = 0; i < v.len; i++)
            if (v.p[i] <= ' ' || v.p[i] > '~' || v.p[i] == '?' || v.p[i] == '#')
                return "must be visible ASCII without '?' or '#'";
        return NULL;
    case K_HEADER:
        for (size_t i = 0; i < v.len; i++)
            if (!is_tchar(v.p[i]))
                return "must be an HTTP header name";
        return NULL;
    case K_OPTLIST:
        if (v.len == 0)
            return NULL;
        /* fall through */
    case K_LISTEN:
        return valid_listen(v) ? NULL : "must be ADDR:PORT with a port from 0 to 65535";
    case K_PATTERN:
        return valid_pattern(v) ? NULL : "must be '-' (on) and '.' (off) steps with a '-'";
    case K_ADDRS:
        return cb_addr_list_each(v, NULL, NULL) < 0
                   ? "must be IP addresses (no ports or names) separated by commas"
                   : NULL;
    default:
        return NULL; /* K_SECRET, K_FILE: any text */
    }
}

static int set_text(char *dst, size_t cap, kind_t kind, const char *key, cb_span_t v, char *err,
                    size_t errcap)
{
    if (v.len >= cap)
        return fail_long(err, errcap, key, cap);
    const char *why = check_text(kind, v);
    if (why)
        return fail(err, errcap, key, why);
    memcpy(dst, v.p, v.len);
    dst[v.len] = '\0';
    return CB_OK;
}

static int parse_bool(cb_span_t v, bool *out)
{
    if (cb_span_eq(v, "true") || cb_span_eq(v, "on")) {
        *out = true;
        return CB_OK;
    }
    if (cb_span_eq(v, "false") || cb_span_eq(v, "off")) {
        *out = false;
        return CB_OK;
    }
    return CB_ERR_INVAL;
}

/* An enum field of size k->cap (1, 2 or 4 bytes), copied through an
 * integer of that size (no aliasing of the enum type). */
static uint32_t get_choice(const setting_t *k, const void *field)
{
    uint8_t b = 0;
    uint16_t h = 0;
    uint32_t w = 0;
    if (k->cap == 1) {
        memcpy(&b, field, 1);
        w = b;
    } else if (k->cap == 2) {
        memcpy(&h, field, 2);
        w = h;
    } else {
        memcpy(&w, field, 4);
    }
    return w;
}

static void put_choice(const setting_t *k, void *field, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    uint16_t h = (uint16_t)v;
    if (k->cap == 1)
        memcpy(field, &b, 1);
    else if (k->cap == 2)
        memcpy(field, &h, 2);
    else
        memcpy(field, &v, 4);
}

static int parse_choice(const setting_t *k, cb_span_t v, void *field)
{
    for (uint32_t i = 0; i <= k->max; i++) {
        if (cb_span_eq(v, k->choices[i])) {
            put_choice(k, field, i);
            return CB_OK;
        }
    }
    return CB_ERR_INVAL;
}

static int apply(cb_settings_t *s, const setting_t *k, cb_span_t v, char *err, size_t errcap)
{
    char *field = (char *)s + k->off;
    unsigned long long n;
    switch (k->kind) {
    case K_U32:
        if (cb_span_to_u64(v, UINT32_MAX, &n) != CB_OK || n < k->min || n > k->max)
            return fail_range(err, errcap, k->name, k->min, k->max);
        *(uint32_t *)(void *)field = (uint32_t)n;
        return CB_OK;
    case K_EITHER:
        if (cb_span_to_u64(v, UINT32_MAX, &n) != CB_OK || (n != k->min && n != k->max))
            return fail_either(err, errcap, k->name, k->min, k->max);
        *(unsigned *)(void *)field = (unsigned)n;
        return CB_OK;
    case K_BOOL:
        if (parse_bool(v, (bool *)(void *)field) != CB_OK)
            return fail(err, errcap, k->name, "must be true, false, on or off");
        return CB_OK;
    case K_CHOICE:
        if (parse_choice(k, v, field) != CB_OK)
            return fail_choice(err, errcap, k);
        return CB_OK;
    default:
        break;
    }
    int rc = set_text(field, k->cap, k->kind, k->name, v, err, errcap);
    if (rc == CB_OK && field == s->secret)
        s->demo_secret = strcmp(s->secret, CB_DEMO_SECRET) == 0;
    return rc;
}

static const setting_t *find_key(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(s_keys[i].name, key) == 0)
            return &s_keys[i];
    return NULL;
}

bool cb_settings_is_secret(const char *key)
{
    const setting_t *k = find_key(key);
    return k && k->kind == K_SECRET;
}

/* ---- senders ---- */

static int find_sender(const cb_settings_t *s, cb_span_t code)
{
    for (unsigned i = 0; i < s->nsenders && i < CB_CFG_SENDERS_MAX; i++)
        if (cb_span_eq(code, s->senders[i].code))
            return (int)i;
    return -1;
}

static void add_sender(cb_settings_t *s, const char *code, const char *label, const char *pattern)
{
    cb_sender_cfg_t *d = &s->senders[s->nsenders++];
    memset(d, 0, sizeof *d);
    memcpy(d->code, code, strlen(code) + 1);
    memcpy(d->label, label, strlen(label) + 1);
    memcpy(d->pattern, pattern, strlen(pattern) + 1);
}

static bool valid_code(cb_span_t c)
{
    if (c.len == 0 || c.len >= CB_CFG_SENDER_MAX)
        return false;
    for (size_t i = 0; i < c.len; i++)
        if (c.p[i] <= ' ' || c.p[i] > '~' || c.p[i] == '.')
            return false;
    return true;
}

/* key is "senders.<CODE>.label" or "senders.<CODE>.pattern". */
static int set_sender(cb_settings_t *s, const char *key, cb_span_t v, char *err, size_t errcap)
{
    const char *code = key + strlen(SENDERS_PREFIX);
    const char *dot = strchr(code, '.');
    if (!dot)
        return fail(err, errcap, key, "unknown setting (senders.<CODE>.label or .pattern)");
    cb_span_t c = cb_span(code, (size_t)(dot - code));
    bool is_label = strcmp(dot + 1, "label") == 0;
    if (!is_label && strcmp(dot + 1, "pattern") != 0)
        return fail(err, errcap, key, "unknown setting (senders.<CODE>.label or .pattern)");
    if (!valid_code(c))
        return fail(err, errcap, key, "sender code must be short visible ASCII without '.'");

    /* validate into a scratch entry first: a bad value adds no sender */
    static cb_sender_cfg_t tmp;
    int rc = is_label ? set_text(tmp.label, sizeof tmp.label, K_STR, key, v, err, errcap)
                      : set_text(tmp.pattern, sizeof tmp.pattern, K_PATTERN, key, v, err, errcap);
    if (rc != CB_OK)
        return rc;
    int i = find_sender(s, c);
    if (i < 0) {
        if (s->nsenders >= CB_CFG_SENDERS_MAX)
            return fail(err, errcap, key, "too many senders");
        char cstr[CB_CFG_SENDER_MAX];
        memcpy(cstr, c.p, c.len);
        cstr[c.len] = '\0';
        add_sender(s, cstr, cstr, s->default_pattern);
        i = (int)s->nsenders - 1;
    }
    if (is_label)
        memcpy(s->senders[i].label, tmp.label, sizeof tmp.label);
    else
        memcpy(s->senders[i].pattern, tmp.pattern, sizeof tmp.pattern);
    return CB_OK;
}

/* ---- public API ---- */

static void copy_str(char *dst, const char *src)
{
    memcpy(dst, src, strlen(src) + 1);
}

void cb_settings_defaults(cb_settings_t *s)
{
    memset(s, 0, sizeof *s);
    copy_str(s->listen, "127.0.0.1:8080");
    copy_str(s->webhook_path, "/webhooks/instaleap/chat");
    copy_str(s->token_path, "/auth/token");
    s->body_limit = 16384 <= CB_CFG_BODY_MAX ? 16384 : CB_CFG_BODY_MAX;
    s->max_conn = CB_CFG_MAX_CONN;
    s->request_timeout_ms = 10000;
    s->idle_timeout_ms = 30000;

    s->auth = CB_AUTH_SIGNATURE;
    copy_str(s->secret, CB_DEMO_SECRET);
    s->demo_secret = true;
    copy_str(s->client_id_field, "client_id");
    copy_str(s->client_secret_field, "client_secret");
    s->token_ttl_s = 3600;
    s->rate_limit_failures = 10;
    s->rate_limit_block_s = 60;
    s->replay_window_s = 3600;

    s->display_rows = 2;
    s->display_cols = 16;
    /* distinct rhythms (100 ms steps): picker two long, support four short;
     * unknown codes (drivers: code not documented) one long */
    copy_str(s->default_pattern, "-----");
    add_sender(s, "SH", "Picker", "---...---");
    add_sender(s, "SUP", "Support", "-.-.-.-");
    s->reminder_s = 60;
    s->scroll_ms = 400;

    s->journal_budget = 1024u * 1024u;
    s->fsync = true;
}

int cb_settings_set(cb_settings_t *s, const char *key, cb_span_t value, char *err, size_t errcap)
{
    if (!key || !*key)
        return fail(err, errcap, "(empty key)", "unknown setting");
    if (!cb_span_present(value))
        return fail(err, errcap, key, "missing value");
    const setting_t *k = find_key(key);
    if (k)
        return apply(s, k, value, err, errcap);
    if (strncmp(key, SENDERS_PREFIX, strlen(SENDERS_PREFIX)) == 0)
        return set_sender(s, key, value, err, errcap);
    return fail(err, errcap, key, "unknown setting");
}

/* ---- the JSON config file ---- */

/* The JSON type a key takes: strings for text kinds, primitives otherwise. */
static bool wants_string(const char *key)
{
    const setting_t *k = find_key(key);
    if (!k)
        return true; /* senders.* labels and patterns; unknown keys fail later */
    return k->kind != K_U32 && k->kind != K_EITHER && k->kind != K_BOOL;
}

/* Longest dotted key; longer keys cannot name a setting. */
#define KEY_MAX 96
/* Decoded text is at least a sixth of its escaped form (\uXXXX -> 1 byte),
 * so raw text over 6x the largest field can never fit. */
#define RAW_VALUE_MAX                                                                              \
    (6 * (CB_CFG_STR_MAX > CB_CFG_SECRET_MAX ? CB_CFG_STR_MAX : CB_CFG_SECRET_MAX))

static struct {
    const cb_json_tok_t *toks; /* cb_json_scratch() while a file loads */
    struct {
        int left;    /* keys still to visit in this object */
        size_t plen; /* length of the dotted prefix */
    } stack[CB_CFG_JSON_MAX_DEPTH + 1];
    char key[KEY_MAX + 1];
    char value[RAW_VALUE_MAX + 1];
    bool pattern_given[CB_CFG_SENDERS_MAX];
    cb_settings_visit_t visit; /* what each key and value goes to */
    void *ctx;
} s_load;

static int set_visit(void *ctx, const char *key, cb_span_t value, char *err, size_t errcap)
{
    return cb_settings_set(ctx, key, value, err, errcap);
}

/* A JSON array of strings (its tokens follow t), joined with commas into
 * s_load.value and set as one list. */
static int apply_json_list(cb_settings_t *s, const char *text, const cb_json_tok_t *t, char *err,
                           size_t errcap)
{
    const char *key = s_load.key;
    size_t at = 0;
    for (int e = 0; e < t->size; e++) {
        const cb_json_tok_t *it = t + 1 + e;
        size_t n = 0;
        if (it->type != CB_JSON_STRING)
            return fail(err, errcap, key, "must be an array of address strings");
        if (at + 1 > RAW_VALUE_MAX ||
            cb_json_unescape(text + it->start, (size_t)(it->end - it->start), s_load.value + at,
                             RAW_VALUE_MAX - at, &n) != CB_OK)
            return fail(err, errcap, key, "too long, or a bad string");
        if (n == 0 || memchr(s_load.value + at, ',', n))
            return fail(err, errcap, key, "each item must be one address");
        at += n;
        if (e + 1 < t->size)
            s_load.value[at++] = ',';
    }
    (void)s;
    return s_load.visit(s_load.ctx, key, cb_span(s_load.value, at), err, errcap);
}

static int apply_json_value(cb_settings_t *s, const char *text, const cb_json_tok_t *t, char *err,
                            size_t errcap)
{
    const char *key = s_load.key;
    size_t rawlen = (size_t)(t->end - t->start);
    const setting_t *k = find_key(key);
    if (!k && strncmp(key, SENDERS_PREFIX, strlen(SENDERS_PREFIX)) != 0)
        return fail(err, errcap, key, "unknown setting");
    if (t->type == CB_JSON_ARRAY && k && k->kind == K_ADDRS)
        return apply_json_list(s, text, t, err, errcap);
    if (t->type == CB_JSON_ARRAY)
        return fail(err, errcap, key, "arrays are not settings");
    if (t->type == CB_JSON_PRIMITIVE && text[t->start] == 'n')
        return fail(err, errcap, key, "null is not a value");
    if (wants_string(key) != (t->type == CB_JSON_STRING))
        return fail(err, errcap, key,
                    wants_string(key) ? "must be a JSON string"
                                      : "must be a JSON number or boolean");
    cb_span_t v = cb_span(text + t->start, rawlen);
    if (t->type == CB_JSON_STRING) {
        size_t n = 0;
        if (rawlen > RAW_VALUE_MAX)
            return fail(err, errcap, key, "too long");
        if (cb_json_unescape(v.p, v.len, s_load.value, RAW_VALUE_MAX, &n) != CB_OK)
            return fail(err, errcap, key, "bad string (escape or UTF-8)");
        v = cb_span(s_load.value, n);
    }
    return s_load.visit(s_load.ctx, key, v, err, errcap);
}

/* Appends the key token i to the dotted prefix of length plen into s_load.key.
 * Returns the new length, or -1 when too long. */
static int build_key(const char *text, int i, size_t plen)
{
    const cb_json_tok_t *t = &s_load.toks[i];
    size_t rawlen = (size_t)(t->end - t->start);
    size_t at = plen ? plen + 1 : 0;
    if (at + rawlen > KEY_MAX)
        return -1;
    if (plen)
        s_load.key[plen] = '.';
    size_t n = 0;
    if (cb_json_unescape(text + t->start, rawlen, s_load.key + at, KEY_MAX - at, &n) != CB_OK)
        return -1;
    s_load.key[at + n] = '\0';
    return (int)(at + n);
}

static void mark_pattern_given(const cb_settings_t *s)
{
    const char *code = s_load.key + strlen(SENDERS_PREFIX);
    const char *dot = strchr(code, '.');
    if (!dot || strcmp(dot + 1, "pattern") != 0)
        return;
    int i = find_sender(s, cb_span(code, (size_t)(dot - code)));
    if (i >= 0)
        s_load.pattern_given[i] = true;
}

/* Walks a config file's keys and values to s_load.visit; s (NULL when only
 * walking) takes the senders' default patterns. */
static int walk_json(cb_settings_t *s, const char *text, size_t len, char *err, size_t errcap)
{
    const char *why = NULL;
    s_load.toks = cb_json_scratch();
    int ntoks = cb_json_parse(text, len, cb_json_scratch(), CB_CFG_JSON_MAX_TOKENS, &why);
    if (ntoks == CB_ERR_NOMEM)
        return fail(err, errcap, "config", "too many values");
    if (ntoks < 1 || s_load.toks[0].type != CB_JSON_OBJECT)
        return fail(err, errcap, "config", why ? why : "not a JSON object");

    unsigned first_new = s ? s->nsenders : 0;
    memset(s_load.pattern_given, 0, sizeof s_load.pattern_given);
    int depth = 0;
    s_load.stack[0].left = s_load.toks[0].size;
    s_load.stack[0].plen = 0;
    int i = 1;
    while (depth >= 0) {
        if (s_load.stack[depth].left == 0) {
            depth--;
            continue;
        }
        s_load.stack[depth].left--;
        if (i + 1 >= ntoks || s_load.toks[i].type != CB_JSON_STRING)
            return fail(err, errcap, "config", "malformed object");
        int klen = build_key(text, i, s_load.stack[depth].plen);
        if (klen < 0) {
            s_load.key[s_load.stack[depth].plen] = '\0';
            return fail(err, errcap, s_load.stack[depth].plen ? s_load.key : "config",
                        "key too long or badly escaped");
        }
        const cb_json_tok_t *v = &s_load.toks[i + 1];
        i += 2;
        if (v->type == CB_JSON_OBJECT) {
            if (depth + 1 > CB_CFG_JSON_MAX_DEPTH)
                return fail(err, errcap, s_load.key, "nested too deep");
            depth++;
            s_load.stack[depth].left = v->size;
            s_load.stack[depth].plen = (size_t)klen;
            continue;
        }
        int rc = apply_json_value(s, text, v, err, errcap);
        if (rc != CB_OK)
            return rc;
        if (v->type == CB_JSON_ARRAY)
            i += v->size; /* its items: strings, checked by apply_json_list */
        if (s && strncmp(s_load.key, SENDERS_PREFIX, strlen(SENDERS_PREFIX)) == 0)
            mark_pattern_given(s);
    }
    /* senders this file added take its default_pattern unless given one */
    for (unsigned k = first_new; s && k < s->nsenders && k < CB_CFG_SENDERS_MAX; k++)
        if (!s_load.pattern_given[k])
            copy_str(s->senders[k].pattern, s->default_pattern);
    return CB_OK;
}

int cb_settings_load_json(cb_settings_t *s, const char *text, size_t len, char *err, size_t errcap)
{
    s_load.visit = set_visit;
    s_load.ctx = s;
    return walk_json(s, text, len, err, errcap);
}

int cb_settings_each_json(const char *text, size_t len, cb_settings_visit_t visit, void *ctx,
                          char *err, size_t errcap)
{
    s_load.visit = visit;
    s_load.ctx = ctx;
    return walk_json(NULL, text, len, err, errcap);
}

/* ---- the start-up check ---- */

static bool bounded_len(const char *field, size_t cap, size_t *len)
{
    const char *nul = memchr(field, '\0', cap);
    if (!nul)
        return false;
    *len = (size_t)(nul - field);
    return true;
}

/* Re-validates every field (a board may fill the struct directly). */
static int check_fields(const cb_settings_t *s, char *err, size_t errcap)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const setting_t *k = &s_keys[i];
        const char *field = (const char *)s + k->off;
        uint32_t n;
        size_t len;
        switch (k->kind) {
        case K_U32:
            n = *(const uint32_t *)(const void *)field;
            if (n < k->min || n > k->max)
                return fail_range(err, errcap, k->name, k->min, k->max);
            break;
        case K_EITHER:
            n = *(const unsigned *)(const void *)field;
            if (n != k->min && n != k->max)
                return fail_either(err, errcap, k->name, k->min, k->max);
            break;
        case K_BOOL:
            break;
        case K_CHOICE:
            if (get_choice(k, field) > k->max)
                return fail_choice(err, errcap, k);
            break;
        default:
            if (!bounded_len(field, k->cap, &len))
                return fail_long(err, errcap, k->name, k->cap);
            const char *why = check_text(k->kind, cb_span(field, len));
            if (why)
                return fail(err, errcap, k->name, why);
        }
    }
    return CB_OK;
}

static int check_senders(const cb_settings_t *s, char *err, size_t errcap)
{
    if (s->nsenders > CB_CFG_SENDERS_MAX)
        return fail(err, errcap, "senders", "too many senders");
    for (unsigned i = 0; i < s->nsenders; i++) {
        const cb_sender_cfg_t *d = &s->senders[i];
        size_t len;
        if (!bounded_len(d->code, sizeof d->code, &len) || !valid_code(cb_span(d->code, len)))
            return fail(err, errcap, "senders",
                        "sender code must be short visible ASCII without '.'");
        if (find_sender(s, cb_span(d->code, len)) != (int)i)
            return fail(err, errcap, "senders", "a sender code is configured twice");
        if (!bounded_len(d->label, sizeof d->label, &len) ||
            check_text(K_STR, cb_span(d->label, len)))
            return fail(err, errcap, "senders.label", "must be non-empty text");
        if (!bounded_len(d->pattern, sizeof d->pattern, &len) ||
            check_text(K_PATTERN, cb_span(d->pattern, len)))
            return fail(err, errcap, "senders.pattern",
                        "must be '-' (on) and '.' (off) steps with a '-'");
    }
    return CB_OK;
}

static bool is_builtin_path(const char *p)
{
    return strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0 || strcmp(p, "/ack") == 0;
}

/* SPEC 3: a guessable token would make the rate limit the only defence. The
 * signature secrets are InstaLeap's to choose and the demo secret is public
 * anyway (its banner says so): not checked here. */
static int check_secret_lengths(const cb_settings_t *s, char *err, size_t errcap)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"token", offsetof(cb_settings_t, token)},
        {"admin_token", offsetof(cb_settings_t, admin_token)},
        {"client_secret", offsetof(cb_settings_t, client_secret)},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = (const char *)s + keys[i].off;
        size_t n = strlen(v);
        if (n && n < CB_SETTINGS_SECRET_MIN)
            return fail(err, errcap, keys[i].key,
                        "too short: use at least 16 characters (a random string)");
    }
    return CB_OK;
}

static int check_mode(const cb_settings_t *s, char *err, size_t errcap)
{
    switch (s->auth) {
    case CB_AUTH_SIGNATURE:
        if (!s->secret[0])
            return fail(err, errcap, "secret", "required when auth is signature");
        break;
    case CB_AUTH_STATIC:
        if (!s->token[0])
            return fail(err, errcap, "token", "required when auth is static");
        break;
    case CB_AUTH_DYNAMIC:
        if (!s->client_id[0])
            return fail(err, errcap, "client_id", "required when auth is dynamic");
        if (!s->client_secret[0])
            return fail(err, errcap, "client_secret", "required when auth is dynamic");
        if (strcmp(s->client_id_field, s->client_secret_field) == 0)
            return fail(err, errcap, "client_secret_field", "must differ from client_id_field");
        if (strcmp(s->token_path, s->webhook_path) == 0 || is_builtin_path(s->token_path))
            return fail(err, errcap, "token_path", "clashes with another path");
        break;
    }
    if (is_builtin_path(s->webhook_path))
        return fail(err, errcap, "webhook_path", "clashes with a built-in path");
    return CB_OK;
}

int cb_settings_check(const cb_settings_t *s, char *err, size_t errcap)
{
    int rc = check_fields(s, err, errcap);
    if (rc == CB_OK)
        rc = check_senders(s, err, errcap);
    if (rc == CB_OK)
        rc = check_mode(s, err, errcap);
    if (rc == CB_OK)
        rc = check_secret_lengths(s, err, errcap);
    if (rc == CB_OK && err && errcap)
        err[0] = '\0';
    return rc;
}

const cb_sender_cfg_t *cb_settings_sender(const cb_settings_t *s, cb_span_t code)
{
    int i = find_sender(s, code);
    return i < 0 ? NULL : &s->senders[i];
}

const char *cb_settings_auth_name(cb_auth_mode_t mode)
{
    return (unsigned)mode < sizeof k_auth_names / sizeof k_auth_names[0] ? k_auth_names[mode]
                                                                         : "unknown";
}

const char *cb_settings_scheme_name(cb_sig_scheme_t scheme)
{
    return (unsigned)scheme < sizeof k_scheme_names / sizeof k_scheme_names[0]
               ? k_scheme_names[scheme]
               : "unknown";
}

uint32_t cb_settings_conn_per_source(const cb_settings_t *s)
{
    uint32_t n = s->max_conn_per_source ? s->max_conn_per_source : s->max_conn / 4;
    if (n == 0)
        n = 1;
    return n < s->max_conn ? n : s->max_conn;
}

const char *cb_settings_token_header(const cb_settings_t *s)
{
    if (s->token_header[0])
        return s->token_header;
    return s->auth == CB_AUTH_STATIC ? "X-Chatbell-Token" : "Authorization";
}
