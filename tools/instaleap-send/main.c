/* main.c - instaleap-send: plays InstaLeap against a chatbell device (SPEC 7).
 * Builds a chat event, signs it (V1 / V3) or adds a static or dynamic token,
 * posts it and prints "<status> <body>"; also replays a file of events and
 * sends events under load (send_load.c). Options: README.md beside this file. */
#include "cb_err.h"
#include "cb_json.h"
#include "cb_jsonw.h"
#include "cb_settings.h"
#include "send_http.h"
#include "send_load.h"
#include "send_sign.h"

#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define EXIT_NOT_2XX 1
#define EXIT_USAGE   2 /* also connection errors */
#define MAX_EXTRA    64
#define MAX_MIX      8

typedef enum { AUTH_SIGNATURE, AUTH_STATIC, AUTH_DYNAMIC, AUTH_NONE } auth_t;
typedef enum { FMT_URLENCODED, FMT_FORMDATA, FMT_JSON } cred_fmt_t;

/* The event fields in send_sign_body order; --omit takes these names. */
enum { F_ID, F_TYPE, F_TIMESTAMP, F_CLIENT_ID, F_CREATED_AT, F_SENDER, F_JOB_ID, F_TEXT, F_COUNT };
static const char *const k_field_names[F_COUNT] = {
    "id",         "type",   "timestamp", "client_id",
    "created_at", "sender", "job_id",    "notification_message"};

static struct {
    const char *url, *method;
    const char *field[F_COUNT]; /* NULL: absent */
    unsigned omit;              /* bit per F_* */
    const char *body_file;

    auth_t auth;
    const char *secret;
    send_sig_t sig;
    const char *v3_t;
    const char *token, *token_header;
    const char *renew_url, *cred_id, *cred_secret, *cred_id_field, *cred_secret_field;
    cred_fmt_t cred_fmt;
    int expect_status;
    const char *token_field, *auth_header, *auth_prefix;
    const char *renew_headers[MAX_EXTRA];
    size_t nrenew_headers;

    const char *replay;
    long load;
    unsigned conns, pipeline;
    send_sig_t mix[MAX_MIX];
    unsigned nmix;

    const char *headers[MAX_EXTRA];
    size_t nheaders;
    bool verbose;
    int timeout_ms;
} s_opt;

/* Run-time state: the webhook target, the dynamic token and its source. */
static struct {
    send_url_t url;
    send_extra_t extra;
    send_url_t renew_url;
    send_conn_t renew_conn;
    bool renew_open;
    send_buf_t token; /* dynamic token, NUL-terminated */
    char auth_value[4096];
    char auth_value2[256]; /* the V1 header of --sig both */
    bool created_at_given;
} s_run;

static void usage(FILE *f)
{
    fputs("usage: instaleap-send --url http[s]://HOST[:PORT][/PATH] [options]\n"
          "event:  --text T --job-id J --sender CODE --client-id C --created-at ISO\n"
          "        --id ID --type TYPE --timestamp TS --omit FIELD --body-file F\n"
          "auth:   --auth signature|static|dynamic|none --secret S --sig v1|v3|v3-bare|both\n"
          "        --v3-t TS --token T --token-header H --renew-url URL --cred-id ID\n"
          "        --cred-secret S --cred-format formData|urlEncoded|json --cred-id-field N\n"
          "        --cred-secret-field N --expect-status N --token-field NAME\n"
          "        --auth-header H --auth-prefix P --renew-header \"Name: value\"\n"
          "modes:  (one event) | --replay FILE | --load N --conns C [--pipeline D]\n"
          "        [--mix v1,v3]\n"
          "misc:   --header \"Name: value\" --method M --timeout MS -v -h\n"
          "        --cacert FILE (https://: trust the CAs in FILE, not the system's)\n"
          "See tools/instaleap-send/README.md for details.\n",
          f);
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "instaleap-send: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    usage(stderr);
    exit(EXIT_USAGE);
}

static long parse_num(const char *s, long min, long max, const char *what)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        die_usage("bad number for %s", what);
    return v;
}

/* created_at default: now, ISO 8601 UTC with milliseconds. */
static void iso_ms(int64_t ms, char out[64])
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum {
    O_URL = 256,
    O_TEXT,
    O_JOB_ID,
    O_SENDER,
    O_CLIENT_ID,
    O_CREATED_AT,
    O_ID,
    O_TYPE,
    O_TIMESTAMP,
    O_OMIT,
    O_BODY_FILE,
    O_AUTH,
    O_SECRET,
    O_SIG,
    O_V3_T,
    O_TOKEN,
    O_TOKEN_HEADER,
    O_RENEW_URL,
    O_CRED_ID,
    O_CRED_SECRET,
    O_CRED_FORMAT,
    O_CRED_ID_FIELD,
    O_CRED_SECRET_FIELD,
    O_EXPECT_STATUS,
    O_TOKEN_FIELD,
    O_AUTH_HEADER,
    O_AUTH_PREFIX,
    O_RENEW_HEADER,
    O_REPLAY,
    O_LOAD,
    O_CONNS,
    O_PIPELINE,
    O_MIX,
    O_HEADER,
    O_METHOD,
    O_TIMEOUT,
    O_CACERT
};

static const struct option k_opts[] = {
    {"url", required_argument, NULL, O_URL},
    {"text", required_argument, NULL, O_TEXT},
    {"job-id", required_argument, NULL, O_JOB_ID},
    {"sender", required_argument, NULL, O_SENDER},
    {"client-id", required_argument, NULL, O_CLIENT_ID},
    {"created-at", required_argument, NULL, O_CREATED_AT},
    {"id", required_argument, NULL, O_ID},
    {"type", required_argument, NULL, O_TYPE},
    {"timestamp", required_argument, NULL, O_TIMESTAMP},
    {"omit", required_argument, NULL, O_OMIT},
    {"body-file", required_argument, NULL, O_BODY_FILE},
    {"auth", required_argument, NULL, O_AUTH},
    {"secret", required_argument, NULL, O_SECRET},
    {"sig", required_argument, NULL, O_SIG},
    {"v3-t", required_argument, NULL, O_V3_T},
    {"token", required_argument, NULL, O_TOKEN},
    {"token-header", required_argument, NULL, O_TOKEN_HEADER},
    {"renew-url", required_argument, NULL, O_RENEW_URL},
    {"cred-id", required_argument, NULL, O_CRED_ID},
    {"cred-secret", required_argument, NULL, O_CRED_SECRET},
    {"cred-format", required_argument, NULL, O_CRED_FORMAT},
    {"cred-id-field", required_argument, NULL, O_CRED_ID_FIELD},
    {"cred-secret-field", required_argument, NULL, O_CRED_SECRET_FIELD},
    {"expect-status", required_argument, NULL, O_EXPECT_STATUS},
    {"token-field", required_argument, NULL, O_TOKEN_FIELD},
    {"auth-header", required_argument, NULL, O_AUTH_HEADER},
    {"auth-prefix", required_argument, NULL, O_AUTH_PREFIX},
    {"renew-header", required_argument, NULL, O_RENEW_HEADER},
    {"replay", required_argument, NULL, O_REPLAY},
    {"load", required_argument, NULL, O_LOAD},
    {"conns", required_argument, NULL, O_CONNS},
    {"pipeline", required_argument, NULL, O_PIPELINE},
    {"mix", required_argument, NULL, O_MIX},
    {"header", required_argument, NULL, O_HEADER},
    {"method", required_argument, NULL, O_METHOD},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"cacert", required_argument, NULL, O_CACERT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static void add_header(const char **arr, size_t *n, const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        die_usage("a header must look like \"Name: value\" (got \"%s\")", h);
    if (*n >= MAX_EXTRA)
        die_usage("too many headers (%s)", h);
    arr[(*n)++] = h;
}

static void parse_mix(const char *s)
{
    static char copy[256];
    snprintf(copy, sizeof copy, "%s", s);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (s_opt.nmix >= MAX_MIX)
            die_usage("--mix takes at most 8 schemes (%s)", s);
        if (send_sig_from_name(t, &s_opt.mix[s_opt.nmix++]) != CB_OK)
            die_usage("--mix: unknown scheme \"%s\" (v1, v3, v3-bare, both)", t);
    }
    if (s_opt.nmix == 0)
        die_usage("--mix needs schemes, e.g. v1,v3 (got \"%s\")", s);
}

static void parse_args(int argc, char **argv)
{
    static char now_iso[64];
    iso_ms(wall_ms(), now_iso);
    s_opt.method = "POST";
    s_opt.field[F_CREATED_AT] = now_iso;
    s_opt.field[F_JOB_ID] = "JOB-1";
    s_opt.field[F_SENDER] = "SH";
    s_opt.field[F_CLIENT_ID] = "acme";
    s_opt.field[F_TEXT] = "Hola";
    s_opt.sig = SEND_SIG_V3;
    s_opt.token_header = getenv("CHATBELL_TOKEN_HEADER");
    if (!s_opt.token_header)
        s_opt.token_header = "X-Chatbell-Token";
    s_opt.cred_id_field = "client_id";
    s_opt.cred_secret_field = "client_secret";
    s_opt.expect_status = 200;
    s_opt.token_field = "access_token";
    s_opt.auth_header = "Authorization";
    s_opt.conns = 1;
    s_opt.pipeline = 1;
    s_opt.timeout_ms = 10000;

    int c;
    while ((c = getopt_long(argc, argv, "vh", k_opts, NULL)) != -1) {
        switch (c) {
        case O_URL:
            s_opt.url = optarg;
            break;
        case O_TEXT:
            s_opt.field[F_TEXT] = optarg;
            break;
        case O_JOB_ID:
            s_opt.field[F_JOB_ID] = optarg;
            break;
        case O_SENDER:
            s_opt.field[F_SENDER] = optarg;
            break;
        case O_CLIENT_ID:
            s_opt.field[F_CLIENT_ID] = optarg;
            break;
        case O_CREATED_AT:
            s_opt.field[F_CREATED_AT] = optarg;
            s_run.created_at_given = true;
            break;
        case O_ID:
            s_opt.field[F_ID] = optarg;
            break;
        case O_TYPE:
            s_opt.field[F_TYPE] = optarg;
            break;
        case O_TIMESTAMP:
            s_opt.field[F_TIMESTAMP] = optarg;
            break;
        case O_OMIT: {
            int f = -1;
            for (int i = 0; i < F_COUNT; i++)
                if (strcmp(optarg, k_field_names[i]) == 0)
                    f = i;
            if (strcmp(optarg, "text") == 0)
                f = F_TEXT;
            if (f < 0)
                die_usage("--omit: unknown field \"%s\"", optarg);
            s_opt.omit |= 1u << f;
            break;
        }
        case O_BODY_FILE:
            s_opt.body_file = optarg;
            break;
        case O_AUTH:
            if (strcmp(optarg, "signature") == 0)
                s_opt.auth = AUTH_SIGNATURE;
            else if (strcmp(optarg, "static") == 0)
                s_opt.auth = AUTH_STATIC;
            else if (strcmp(optarg, "dynamic") == 0)
                s_opt.auth = AUTH_DYNAMIC;
            else if (strcmp(optarg, "none") == 0)
                s_opt.auth = AUTH_NONE;
            else
                die_usage("--auth: unknown mode \"%s\" (signature, static, dynamic, none)", optarg);
            break;
        case O_SECRET:
            s_opt.secret = optarg;
            break;
        case O_SIG:
            if (send_sig_from_name(optarg, &s_opt.sig) != CB_OK)
                die_usage("--sig: unknown scheme \"%s\" (v1, v3, v3-bare, both)", optarg);
            break;
        case O_V3_T:
            s_opt.v3_t = optarg;
            break;
        case O_TOKEN:
            s_opt.token = optarg;
            break;
        case O_TOKEN_HEADER:
            s_opt.token_header = optarg;
            break;
        case O_RENEW_URL:
            s_opt.renew_url = optarg;
            break;
        case O_CRED_ID:
            s_opt.cred_id = optarg;
            break;
        case O_CRED_SECRET:
            s_opt.cred_secret = optarg;
            break;
        case O_CRED_FORMAT:
            if (strcasecmp(optarg, "urlEncoded") == 0)
                s_opt.cred_fmt = FMT_URLENCODED;
            else if (strcasecmp(optarg, "formData") == 0)
                s_opt.cred_fmt = FMT_FORMDATA;
            else if (strcasecmp(optarg, "json") == 0)
                s_opt.cred_fmt = FMT_JSON;
            else
                die_usage("--cred-format: unknown format \"%s\" (formData, urlEncoded, json)",
                          optarg);
            break;
        case O_CRED_ID_FIELD:
            s_opt.cred_id_field = optarg;
            break;
        case O_CRED_SECRET_FIELD:
            s_opt.cred_secret_field = optarg;
            break;
        case O_EXPECT_STATUS:
            s_opt.expect_status = (int)parse_num(optarg, 100, 999, "--expect-status");
            break;
        case O_TOKEN_FIELD:
            s_opt.token_field = optarg;
            break;
        case O_AUTH_HEADER:
            s_opt.auth_header = optarg;
            break;
        case O_AUTH_PREFIX:
            s_opt.auth_prefix = optarg;
            break;
        case O_RENEW_HEADER:
            add_header(s_opt.renew_headers, &s_opt.nrenew_headers, optarg);
            break;
        case O_REPLAY:
            s_opt.replay = optarg;
            break;
        case O_LOAD:
            s_opt.load = parse_num(optarg, 1, 100000000, "--load");
            break;
        case O_CONNS:
            s_opt.conns = (unsigned)parse_num(optarg, 1, 100000, "--conns");
            break;
        case O_PIPELINE:
            s_opt.pipeline = (unsigned)parse_num(optarg, 1, 100000, "--pipeline");
            break;
        case O_MIX:
            parse_mix(optarg);
            break;
        case O_HEADER:
            add_header(s_opt.headers, &s_opt.nheaders, optarg);
            break;
        case O_METHOD:
            s_opt.method = optarg;
            break;
        case O_TIMEOUT:
            s_opt.timeout_ms = (int)parse_num(optarg, 1, 3600000, "--timeout");
            break;
        case O_CACERT:
            send_tls_set_cacert(optarg);
            break;
        case 'v':
            s_opt.verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(EXIT_USAGE);
        }
    }
    if (optind < argc)
        die_usage("unexpected argument \"%s\"", argv[optind]);
    if (!s_opt.url)
        die_usage("%s", "--url is required");
    if (s_opt.replay && s_opt.load)
        die_usage("%s", "--replay and --load do not go together");
    if (s_opt.body_file && (s_opt.replay || s_opt.load))
        die_usage("%s", "--body-file is for one event (not with --replay or --load)");
    char err[512];
    if (send_url_parse(s_opt.url, "/webhooks/instaleap/chat", &s_run.url, err, sizeof err) != 0)
        die_usage("--url: %s", err);

    if (!s_opt.secret)
        s_opt.secret = getenv("CHATBELL_SECRET");
    if (s_opt.auth == AUTH_SIGNATURE && !s_opt.secret) {
        s_opt.secret = CB_DEMO_SECRET;
        fprintf(stderr, "instaleap-send: no --secret or CHATBELL_SECRET: signing with the demo "
                        "secret \"" CB_DEMO_SECRET "\"\n");
    }
    if (!s_opt.token)
        s_opt.token = getenv("CHATBELL_TOKEN");
    if (s_opt.auth == AUTH_STATIC && !s_opt.token)
        die_usage("%s", "--auth static needs --token (or CHATBELL_TOKEN)");
    if (!s_opt.cred_id)
        s_opt.cred_id = getenv("CHATBELL_CLIENT_ID");
    if (!s_opt.cred_secret)
        s_opt.cred_secret = getenv("CHATBELL_CLIENT_SECRET");
    if (s_opt.auth == AUTH_DYNAMIC && (!s_opt.renew_url || !s_opt.cred_id || !s_opt.cred_secret))
        die_usage("%s", "--auth dynamic needs --renew-url, --cred-id and --cred-secret "
                        "(or CHATBELL_CLIENT_ID / CHATBELL_CLIENT_SECRET)");
    if (!s_opt.auth_prefix)
        s_opt.auth_prefix = strcasecmp(s_opt.auth_header, "Authorization") == 0 ? "Bearer " : "";
    if (s_opt.nmix == 0) {
        s_opt.mix[0] = s_opt.sig;
        s_opt.nmix = 1;
    }
}

/* ---- the event ---- */

static cb_span_t opt_field(int f)
{
    if (s_opt.omit & (1u << f))
        return CB_SPAN_NONE;
    return cb_span_str(s_opt.field[f]);
}

static void event_from_opts(cb_event_t *ev)
{
    ev->id = opt_field(F_ID);
    ev->type = opt_field(F_TYPE);
    ev->timestamp = opt_field(F_TIMESTAMP);
    ev->client_id = opt_field(F_CLIENT_ID);
    ev->created_at = opt_field(F_CREATED_AT);
    ev->sender = opt_field(F_SENDER);
    ev->job_id = opt_field(F_JOB_ID);
    ev->text = opt_field(F_TEXT);
}

/* ev's JSON body into b (sized for the worst case: every byte escaped). */
static void event_body(const cb_event_t *ev, send_buf_t *b)
{
    size_t need = 512 + 6 * (ev->id.len + ev->type.len + ev->timestamp.len + ev->client_id.len +
                             ev->created_at.len + ev->sender.len + ev->job_id.len + ev->text.len);
    b->len = 0;
    send_buf_reserve(b, need);
    int n = send_sign_body(ev, b->p, b->cap);
    b->len = n < 0 ? 0 : (size_t)n;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "instaleap-send: cannot open %s\n", path);
        exit(EXIT_USAGE);
    }
    send_buf_t b = {0};
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        send_buf_add(&b, tmp, n);
    fclose(f);
    send_buf_add(&b, "", 0);
    *len = b.len;
    return b.p;
}

/* ---- auth headers ---- */

/* One signature header into pairs[0..1]. */
static void sig_pair(const cb_event_t *ev, send_sig_t sig, char *value, size_t cap,
                     const char **pairs)
{
    if (send_sign_header(ev, sig, cb_span_str(s_opt.secret), cb_span_str(s_opt.v3_t), &pairs[0],
                         value, cap) < 0) {
        fprintf(stderr, "instaleap-send: V3 t= value too long\n");
        exit(EXIT_USAGE);
    }
    pairs[1] = value;
}

/* Fills pairs (name, value, ...) with the auth headers for ev under sig;
 * returns the number of pairs (0 to 2: --sig both sends V3 and V1). value
 * storage: s_run.auth_value, s_run.auth_value2. */
static size_t auth_pairs(const cb_event_t *ev, send_sig_t sig, const char *pairs[4])
{
    switch (s_opt.auth) {
    case AUTH_SIGNATURE:
        if (sig != SEND_SIG_BOTH) {
            sig_pair(ev, sig, s_run.auth_value, sizeof s_run.auth_value, pairs);
            return 1;
        }
        sig_pair(ev, SEND_SIG_V3, s_run.auth_value, sizeof s_run.auth_value, pairs);
        sig_pair(ev, SEND_SIG_V1, s_run.auth_value2, sizeof s_run.auth_value2, pairs + 2);
        return 2;
    case AUTH_STATIC:
        pairs[0] = s_opt.token_header;
        pairs[1] = s_opt.token;
        return 1;
    case AUTH_DYNAMIC:
        snprintf(s_run.auth_value, sizeof s_run.auth_value, "%s%s", s_opt.auth_prefix,
                 s_run.token.p ? s_run.token.p : "");
        pairs[0] = s_opt.auth_header;
        pairs[1] = s_run.auth_value;
        return 1;
    case AUTH_NONE:
        break;
    }
    return 0;
}

/* ---- JSON answers ---- */

/* Decoded string at a dotted path ("access_token", "data.token") of a JSON
 * object text; 0, or -1 when absent / not a string. */
static int json_string_at(const char *text, size_t len, const char *path, send_buf_t *out)
{
    static cb_json_tok_t toks[4096];
    int n = cb_json_parse(text, len, toks, 4096, NULL);
    if (n <= 0)
        return -1;
    int obj = 0;
    char key[256];
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t kl = dot ? (size_t)(dot - p) : strlen(p);
        if (kl >= sizeof key)
            return -1;
        memcpy(key, p, kl);
        key[kl] = '\0';
        int v = cb_json_get(text, toks, n, obj, key);
        if (v < 0)
            return -1;
        if (!dot) {
            if (toks[v].type != CB_JSON_STRING)
                return -1;
            size_t raw = (size_t)(toks[v].end - toks[v].start), olen = 0;
            out->len = 0;
            send_buf_add(out, text + toks[v].start, raw); /* sizes out */
            if (cb_json_unescape(text + toks[v].start, raw, out->p, out->cap, &olen) != CB_OK)
                return -1;
            out->len = olen;
            out->p[olen] = '\0';
            return 0;
        }
        if (toks[v].type != CB_JSON_OBJECT)
            return -1;
        obj = v;
        p = dot + 1;
    }
}

static bool is_expired_answer(const send_answer_t *a)
{
    if (a->status != 401)
        return false;
    send_buf_t err = {0};
    bool expired = json_string_at(a->body.p, a->body.len, "error", &err) == 0 &&
                   strcmp(err.p, "expired_token") == 0;
    send_buf_free(&err);
    return expired;
}

/* ---- dynamic token (InstaLeap's DynamicToken, the RenewURL side) ---- */

static void pct_encode(send_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            send_buf_add(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            send_buf_add(b, e, 3);
        }
    }
}

static void form_part(send_buf_t *b, const char *boundary, const char *name, const char *value)
{
    send_buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n",
                    boundary, name, value);
}

/* Fetches a token from the RenewURL into s_run.token. Returns 0, EXIT_USAGE
 * on a connection error, EXIT_NOT_2XX when the answer is not the expected
 * status or has no token (the answer is printed to stderr). */
static int renew_token(void)
{
    char err[512];
    if (!s_run.renew_open) {
        if (send_url_parse(s_opt.renew_url, "/auth/token", &s_run.renew_url, err, sizeof err)) {
            fprintf(stderr, "instaleap-send: --renew-url: %s\n", err);
            return EXIT_USAGE;
        }
        send_conn_init(&s_run.renew_conn, &s_run.renew_url, s_opt.timeout_ms, s_opt.verbose);
        s_run.renew_open = true;
    }
    send_buf_t body = {0}, req = {0};
    char ctype[128];
    if (s_opt.cred_fmt == FMT_URLENCODED) {
        snprintf(ctype, sizeof ctype, "application/x-www-form-urlencoded");
        pct_encode(&body, s_opt.cred_id_field);
        send_buf_adds(&body, "=");
        pct_encode(&body, s_opt.cred_id);
        send_buf_adds(&body, "&");
        pct_encode(&body, s_opt.cred_secret_field);
        send_buf_adds(&body, "=");
        pct_encode(&body, s_opt.cred_secret);
    } else if (s_opt.cred_fmt == FMT_FORMDATA) {
        unsigned char rnd[12];
        char boundary[64];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            memset(rnd, 0x5a, sizeof rnd);
        int n = snprintf(boundary, sizeof boundary, "----chatbell");
        for (size_t i = 0; i < sizeof rnd; i++)
            n += snprintf(boundary + n, sizeof boundary - (size_t)n, "%02x", rnd[i]);
        snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", boundary);
        form_part(&body, boundary, s_opt.cred_id_field, s_opt.cred_id);
        form_part(&body, boundary, s_opt.cred_secret_field, s_opt.cred_secret);
        send_buf_printf(&body, "--%s--\r\n", boundary);
    } else {
        static char jbuf[4096];
        cb_jsonw_t w;
        snprintf(ctype, sizeof ctype, "application/json");
        cb_jsonw_init(&w, jbuf, sizeof jbuf);
        cb_jsonw_obj_begin(&w);
        cb_jsonw_kv_cstr(&w, s_opt.cred_id_field, s_opt.cred_id);
        cb_jsonw_kv_cstr(&w, s_opt.cred_secret_field, s_opt.cred_secret);
        cb_jsonw_obj_end(&w);
        int n = cb_jsonw_finish(&w);
        send_buf_add(&body, jbuf, n < 0 ? 0 : (size_t)n);
    }
    send_extra_t rx = {s_opt.renew_headers, s_opt.nrenew_headers};
    send_request_build(&req, "POST", &s_run.renew_url, ctype, NULL, 0, &rx, body.p, body.len);
    send_answer_t a = {0};
    int ret = 0;
    if (send_conn_exchange(&s_run.renew_conn, req.p, req.len, &a, err, sizeof err) < 0) {
        fprintf(stderr, "instaleap-send: token request: %s\n", err);
        ret = EXIT_USAGE;
    } else if (a.status != s_opt.expect_status) {
        fprintf(stderr, "instaleap-send: token request: expected status %d, got %d %s\n",
                s_opt.expect_status, a.status, a.body.p ? a.body.p : "");
        ret = EXIT_NOT_2XX;
    } else if (json_string_at(a.body.p ? a.body.p : "", a.body.len, s_opt.token_field,
                              &s_run.token) != 0 ||
               s_run.token.len == 0) {
        fprintf(stderr, "instaleap-send: token request: no string field \"%s\" in %d %s\n",
                s_opt.token_field, a.status, a.body.p ? a.body.p : "");
        ret = EXIT_NOT_2XX;
    }
    send_buf_free(&body);
    send_buf_free(&req);
    send_buf_free(&a.body);
    return ret;
}

/* ---- one event (single and replay modes) ---- */

static void build_webhook(send_buf_t *req, const cb_event_t *ev, send_sig_t sig, const char *body,
                          size_t len)
{
    const char *pairs[4];
    size_t np = auth_pairs(ev, sig, pairs);
    req->len = 0;
    send_request_build(req, s_opt.method, &s_run.url, "application/json", pairs, np, &s_run.extra,
                       body, len);
}

/* Sends one webhook (renewing a dynamic token once on 401 expired_token) and
 * prints "<status> <body>". Returns 0 (2xx), EXIT_NOT_2XX or EXIT_USAGE. */
static int send_one(send_conn_t *conn, const cb_event_t *ev, const char *body, size_t len)
{
    char err[512];
    send_buf_t req = {0};
    send_answer_t a = {0};
    int ret;

    if (s_opt.auth == AUTH_DYNAMIC && !s_run.token.p && (ret = renew_token()) != 0)
        return ret;
    build_webhook(&req, ev, s_opt.sig, body, len);
    if (send_conn_exchange(conn, req.p, req.len, &a, err, sizeof err) < 0) {
        fprintf(stderr, "instaleap-send: %s\n", err);
        ret = EXIT_USAGE;
        goto out;
    }
    if (s_opt.auth == AUTH_DYNAMIC && is_expired_answer(&a)) {
        if (s_opt.verbose)
            fprintf(stderr, "instaleap-send: token expired, renewing\n");
        if ((ret = renew_token()) != 0)
            goto out;
        build_webhook(&req, ev, s_opt.sig, body, len);
        if (send_conn_exchange(conn, req.p, req.len, &a, err, sizeof err) < 0) {
            fprintf(stderr, "instaleap-send: %s\n", err);
            ret = EXIT_USAGE;
            goto out;
        }
    }
    printf("%d %s\n", a.status, a.body.p ? a.body.p : "");
    fflush(stdout);
    ret = a.status >= 200 && a.status < 300 ? 0 : EXIT_NOT_2XX;
out:
    send_buf_free(&req);
    send_buf_free(&a.body);
    return ret;
}

static int run_single(void)
{
    cb_event_t ev;
    send_conn_t conn;
    send_buf_t body = {0};
    char *store = NULL;

    if (s_opt.body_file) {
        size_t len;
        body.p = read_file(s_opt.body_file, &len);
        body.len = body.cap = len;
        store = malloc(len + 1);
        if (!store) {
            fprintf(stderr, "instaleap-send: out of memory\n");
            return EXIT_USAGE;
        }
        if (send_sign_fields(body.p, len, &ev, store, len + 1) != CB_OK)
            fprintf(stderr, "instaleap-send: %s is not a JSON object: signing empty fields\n",
                    s_opt.body_file);
    } else {
        event_from_opts(&ev);
        event_body(&ev, &body);
    }
    send_conn_init(&conn, &s_run.url, s_opt.timeout_ms, s_opt.verbose);
    int ret = send_one(&conn, &ev, body.p, body.len);
    send_conn_close(&conn);
    send_buf_free(&conn.rx);
    send_buf_free(&body);
    free(store);
    return ret;
}

static int run_replay(void)
{
    size_t flen;
    char *file = read_file(s_opt.replay, &flen);
    char *store = malloc(flen + 1);
    send_conn_t conn;
    int worst = 0;
    size_t lineno = 0;

    if (!store) {
        fprintf(stderr, "instaleap-send: out of memory\n");
        return EXIT_USAGE;
    }
    send_conn_init(&conn, &s_run.url, s_opt.timeout_ms, s_opt.verbose);
    for (char *line = file; line < file + flen;) {
        char *nl = memchr(line, '\n', (size_t)(file + flen - line));
        char *end = nl ? nl : file + flen;
        char *next = nl ? nl + 1 : file + flen;
        lineno++;
        if (end > line && end[-1] == '\r')
            end--;
        size_t len = (size_t)(end - line);
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len) {
            line = next;
            continue;
        }
        cb_event_t ev;
        if (send_sign_fields(line, len, &ev, store, flen + 1) != CB_OK)
            fprintf(stderr, "instaleap-send: %s:%zu is not a JSON object: signing empty fields\n",
                    s_opt.replay, lineno);
        int ret = send_one(&conn, &ev, line, len);
        if (ret == EXIT_USAGE) {
            worst = EXIT_USAGE;
            break;
        }
        if (ret > worst)
            worst = ret;
        line = next;
    }
    send_conn_close(&conn);
    send_buf_free(&conn.rx);
    free(store);
    free(file);
    return worst;
}

/* ---- load ---- */

static int run_load(void)
{
    size_t n = (size_t)s_opt.load;
    send_buf_t all = {0}, req = {0}, body = {0};
    size_t *off = malloc((n + 1) * sizeof *off);
    char job[512], created[64];
    int ret;

    if (!off) {
        fprintf(stderr, "instaleap-send: out of memory\n");
        return EXIT_USAGE;
    }
    if (s_opt.auth == AUTH_DYNAMIC && (ret = renew_token()) != 0) {
        free(off);
        return ret;
    }
    /* unique events: job_id "<job>-<i>", and (unless --created-at is given)
     * created_at one ms apart, ending now, well inside the replay window */
    int64_t base = wall_ms() - (int64_t)n;
    for (size_t i = 0; i < n; i++) {
        cb_event_t ev;
        event_from_opts(&ev);
        if (ev.job_id.p) {
            snprintf(job, sizeof job, "%s-%zu", s_opt.field[F_JOB_ID], i + 1);
            ev.job_id = cb_span_str(job);
        }
        if (ev.created_at.p && !s_run.created_at_given) {
            iso_ms(base + (int64_t)i, created);
            ev.created_at = cb_span_str(created);
        }
        event_body(&ev, &body);
        req.len = 0;
        build_webhook(&req, &ev, s_opt.mix[i % s_opt.nmix], body.p, body.len);
        off[i] = all.len;
        send_buf_add(&all, req.p, req.len);
    }
    off[n] = all.len;
    send_buf_free(&req);
    fprintf(stderr, "instaleap-send: %zu requests built and signed (%.1f MB), sending\n", n,
            (double)all.len / 1e6);
    if (s_opt.verbose) {
        fwrite(all.p, 1, off[1], stderr);
        fputs("\n", stderr);
    }
    send_buf_free(&body);

    send_load_cfg_t cfg = {&s_run.url,     all.p,           off, n, s_opt.conns,
                           s_opt.pipeline, s_opt.timeout_ms};
    static send_load_result_t res;
    char err[512];
    if (send_load_run(&cfg, &res, err, sizeof err) < 0) {
        fprintf(stderr, "instaleap-send: %s\n", err);
        ret = EXIT_USAGE;
    } else {
        printf("requests: %zu  seconds: %.3f  rps: %.0f\n", res.done, res.seconds,
               res.seconds > 0 ? (double)res.done / res.seconds : 0.0);
        printf("latency ms  p50: %.3f  p90: %.3f  p99: %.3f  max: %.3f\n", res.p50_ms, res.p90_ms,
               res.p99_ms, res.max_ms);
        for (int s = 0; s < 1000; s++)
            if (res.status[s])
                printf("status %d: %llu\n", s, (unsigned long long)res.status[s]);
        printf("errors: %zu\n", res.errors);
        /* to tell a saturated server from a saturated client */
        printf("client cpu: %.3f s (%.0f%% of one core)\n", res.cpu_seconds,
               res.seconds > 0 ? 100.0 * res.cpu_seconds / res.seconds : 0.0);
        ret = res.ok2xx == n ? 0 : EXIT_NOT_2XX;
    }
    free(off);
    send_buf_free(&all);
    return ret;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    parse_args(argc, argv);
    s_run.extra.headers = s_opt.headers;
    s_run.extra.nheaders = s_opt.nheaders;

    int ret;
    if (s_opt.replay)
        ret = run_replay();
    else if (s_opt.load)
        ret = run_load();
    else
        ret = run_single();
    if (s_run.renew_open) {
        send_conn_close(&s_run.renew_conn);
        send_buf_free(&s_run.renew_conn.rx);
    }
    send_buf_free(&s_run.token);
    return ret;
}
