/* cb_json.c - strict JSON (RFC 8259) over jsmn's tokens, key lookup and string
 * decoding; see cb_json.h. Called by cb_event.c for webhook bodies, by the
 * token endpoint and by the config reader. */
#include "cb_json.h"
#include "cb_config.h"
#include "cb_err.h"
#include "../third_party/jsmn/cb_jsmn.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

enum {
    ST_OBJ_START,       /* after '{': a key or '}' */
    ST_OBJ_AFTER_KEY,   /* ':' then a value */
    ST_OBJ_AFTER_VALUE, /* ',' then a key, or '}' */
    ST_ARR_START,       /* after '[': a value or ']' */
    ST_ARR_AFTER_VALUE  /* ',' then a value, or ']' */
};

typedef struct {
    int tok;       /* the container's token */
    int count;     /* keys or elements so far */
    int first_key; /* objects: list of keys (s_json.next_key) for duplicates */
    int last_key;
    int state;
} frame_t;

/* Per-key data for the duplicate check, indexed by token. Static so that a
 * parse needs no big locals; the core is single-threaded. */
static struct {
    uint32_t key_hash[CB_CFG_JSON_MAX_TOKENS];
    uint32_t key_len[CB_CFG_JSON_MAX_TOKENS];
    int next_key[CB_CFG_JSON_MAX_TOKENS];
} s_json;

/* ---- word-at-a-time scanning ---- */

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Nonzero if one of the 8 bytes of w is a control byte (< 0x20), '"' or
 * '\\'. Exact as a yes/no: a borrow can only mark a byte above one that
 * really matches. Bytes >= 0x80 are not flagged. */
static uint64_t special8(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS;
}

/* ---- strings ---- */

/* Bytes inside a JSON string, as the byte loops below see them: a control
 * byte or '"' (bad), '\\', other ASCII, and bytes >= 0x80 (UTF-8). */
enum { C_BAD, C_ESC, C_ASC, C_HI };
#define B C_BAD
#define E C_ESC
#define A C_ASC
#define H C_HI
/* clang-format off */
static const unsigned char k_cls[256] = {
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    A, A, B, A, A, A, A, A, A, A, A, A, A, A, A, A,
    A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,
    A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,
    A, A, A, A, A, A, A, A, A, A, A, A, E, A, A, A,
    A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,
    A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
};
/* clang-format on */
#undef B
#undef E
#undef A
#undef H

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (avail bytes left) into *v. */
static bool hex4(const char *p, size_t avail, uint32_t *v)
{
    uint32_t r = 0;
    if (avail < 4)
        return false;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return false;
        r = (r << 4) | (uint32_t)h;
    }
    *v = r;
    return true;
}

/* Decodes the escape starting at raw[*i] (a backslash) and moves *i past it.
 * A \uD8xx\uDCxx pair becomes one code point; a surrogate without its partner
 * comes back as itself with *lone set. False on an invalid escape. */
static bool read_escape(const char *raw, size_t len, size_t *i, uint32_t *cp, bool *lone)
{
    size_t k = *i + 1;
    *lone = false;
    if (k >= len)
        return false;
    switch (raw[k]) {
    case '"':
        *cp = '"';
        break;
    case '\\':
        *cp = '\\';
        break;
    case '/':
        *cp = '/';
        break;
    case 'b':
        *cp = '\b';
        break;
    case 'f':
        *cp = '\f';
        break;
    case 'n':
        *cp = '\n';
        break;
    case 'r':
        *cp = '\r';
        break;
    case 't':
        *cp = '\t';
        break;
    case 'u': {
        uint32_t v, lo;
        if (!hex4(raw + k + 1, len - k - 1, &v))
            return false;
        *i = k + 5;
        if (v >= 0xD800 && v <= 0xDBFF && *i + 1 < len && raw[*i] == '\\' && raw[*i + 1] == 'u' &&
            hex4(raw + *i + 2, len - *i - 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            *cp = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            *i += 6;
            return true;
        }
        *cp = v;
        *lone = (v >= 0xD800 && v <= 0xDFFF);
        return true;
    }
    default:
        return false;
    }
    *i = k + 1;
    return true;
}

/* UTF-8 of cp into out (4 bytes); a lone surrogate gets the 3-byte form,
 * which only the key comparison ever sees. Returns the byte count. */
static unsigned encode_utf8(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid
 * (RFC 3629: no overlongs, no surrogates, nothing over U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0;
    size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < need)
        return 0;
    for (size_t k = 1; k < need; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] >= 0x90))
        return 0;
    return need;
}

bool cb_utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    if (!s)
        return len == 0;
    while (i < len) {
        if (len - i >= 8 && !(load8(s + i) & HIGHS)) {
            i += 8;
            continue;
        }
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

int cb_json_unescape(const char *raw, size_t len, char *dst, size_t cap, size_t *out_len)
{
    size_t i = 0, o = 0;
    if (out_len)
        *out_len = 0;
    if ((!raw && len) || !out_len)
        return CB_ERR_INVAL;
    while (i < len) {
        /* Plain ASCII (no escape, no control byte, no quote) goes 8 bytes at a
         * time while 8 more fit; otherwise the next 8 (or the rest) byte by
         * byte, in order, so that the first problem found is the one the
         * plain byte loop would find. */
        size_t stop = len;
        if (len - i >= 8 && cap - o >= 8) {
            uint64_t w = load8(raw + i);
            if (!(special8(w) | (w & HIGHS))) {
                memcpy(dst + o, &w, sizeof w);
                i += 8;
                o += 8;
                continue;
            }
            stop = i + 8;
        } else if (len - i < 8 && len >= 8 && len - i <= cap - o) {
            /* A short tail: the last 8 bytes cover it (bytes before i are
             * done); if they are plain, copy the tail as it is. */
            uint64_t w = load8(raw + len - 8);
            if (!(special8(w) | (w & HIGHS))) {
                memmove(dst + o, raw + i, len - i); /* dst may be raw: in place */
                o += len - i;
                break;
            }
        }
        while (i < stop) {
            unsigned char c = (unsigned char)raw[i];
            unsigned char enc[4];
            const unsigned char *src = enc;
            size_t n;
            if (k_cls[c] == C_ASC) {
                if (o == cap)
                    return CB_ERR_NOMEM;
                dst[o++] = (char)c;
                i++;
                continue;
            }
            if (k_cls[c] == C_ESC) {
                uint32_t cp;
                bool lone;
                if (!read_escape(raw, len, &i, &cp, &lone) || lone || cp == 0)
                    return CB_ERR_INVAL;
                n = encode_utf8(cp, enc);
            } else {
                if (k_cls[c] == C_BAD)
                    return CB_ERR_INVAL;
                n = utf8_seq((const unsigned char *)raw + i, len - i);
                if (n == 0)
                    return CB_ERR_INVAL;
                src = (const unsigned char *)raw + i;
                i += n;
            }
            if (n > cap - o)
                return CB_ERR_NOMEM;
            for (size_t k = 0; k < n; k++)
                dst[o++] = (char)src[k];
        }
    }
    *out_len = o;
    return CB_OK;
}

/* The decoded bytes of a syntactically valid string, one at a time, without a
 * buffer: what key comparison and hashing run on. */
typedef struct {
    const char *p;
    size_t len, pos;
    unsigned char out[4];
    unsigned nout, iout;
} dec_t;

static void dec_init(dec_t *d, const char *p, size_t len)
{
    d->p = p;
    d->len = len;
    d->pos = 0;
    d->nout = d->iout = 0;
}

/* Next decoded byte, or -1 at the end. */
static int dec_next(dec_t *d)
{
    if (d->iout < d->nout)
        return d->out[d->iout++];
    if (d->pos >= d->len)
        return -1;
    unsigned char c = (unsigned char)d->p[d->pos];
    if (c != '\\') {
        d->pos++;
        return c;
    }
    uint32_t cp;
    bool lone;
    if (!read_escape(d->p, d->len, &d->pos, &cp, &lone)) {
        d->pos = d->len; /* cannot happen: strings were checked first */
        return -1;
    }
    d->nout = encode_utf8(cp, d->out);
    d->iout = 1;
    return d->out[0];
}

/* A string token's raw bytes: escapes well formed, no raw control bytes.
 * Raw UTF-8 and what escapes decode to are left to cb_json_unescape, so that
 * a bad field is an invalid event rather than invalid JSON (SPEC 1). *esc
 * tells whether there was any escape (decoded bytes == raw bytes if not). */
static bool string_ok(const char *raw, size_t len, bool *esc)
{
    size_t i = 0;
    *esc = false;
    while (i < len) {
        if (len - i >= 8 && !special8(load8(raw + i))) {
            i += 8;
            continue;
        }
        /* A short tail: the last 8 bytes cover it (bytes before i are fine). */
        if (len - i < 8 && len >= 8 && !special8(load8(raw + len - 8)))
            return true;
        size_t stop = len - i > 8 ? i + 8 : len;
        while (i < stop) {
            unsigned char cl = k_cls[(unsigned char)raw[i]];
            if (cl >= C_ASC) {
                i++;
            } else if (cl == C_ESC) {
                uint32_t cp;
                bool lone;
                *esc = true;
                if (!read_escape(raw, len, &i, &cp, &lone))
                    return false;
            } else {
                return false;
            }
        }
    }
    return true;
}

/* ---- primitives ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* true, false, null, or -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool primitive_ok(const char *p, size_t n)
{
    size_t i = 0, d;
    if (n == 0)
        return false;
    switch (p[0]) {
    case 't':
        return n == 4 && memcmp(p, "true", 4) == 0;
    case 'f':
        return n == 5 && memcmp(p, "false", 5) == 0;
    case 'n':
        return n == 4 && memcmp(p, "null", 4) == 0;
    default:
        break;
    }
    if (i < n && p[i] == '-')
        i++;
    if (i >= n || !is_digit(p[i]))
        return false;
    if (p[i] == '0')
        i++;
    else
        while (i < n && is_digit(p[i]))
            i++;
    if (i < n && p[i] == '.') {
        d = ++i;
        while (i < n && is_digit(p[i]))
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        d = i;
        while (i < n && is_digit(p[i]))
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* ---- structure ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes [from, to) hold only whitespace around exactly one sep (none if 0). */
static bool gap_ok(const char *text, size_t from, size_t to, char sep)
{
    size_t i = from;
    if (from == to) /* the usual cases: nothing, or just the separator */
        return sep == 0;
    if (to - from == 1 && text[from] == sep)
        return true;
    while (i < to && is_ws(text[i]))
        i++;
    if (sep) {
        if (i >= to || text[i] != sep)
            return false;
        i++;
        while (i < to && is_ws(text[i]))
            i++;
    }
    return i == to;
}

static bool keys_equal(const char *text, const cb_json_tok_t *a, const cb_json_tok_t *b)
{
    dec_t da, db;
    int ca, cb;
    dec_init(&da, text + a->start, (size_t)(a->end - a->start));
    dec_init(&db, text + b->start, (size_t)(b->end - b->start));
    do {
        ca = dec_next(&da);
        cb = dec_next(&db);
        if (ca != cb)
            return false;
    } while (ca >= 0);
    return true;
}

/* One step of the key hash: the decoded bytes go in 8 at a time, read as a
 * word, then the last 1-7 as a number, so that a plain key hashes straight
 * from the text and an escaped one from the decoder to the same value. */
static uint64_t hash8(uint64_t h, uint64_t w)
{
    h = (h ^ w) * UINT64_C(0x9E3779B97F4A7C15);
    return h ^ (h >> 29);
}

/* Records key token k in the object of frame f; false if the object already
 * has that key (compared decoded: "a" and "\u0061" are one key). Hashes keep
 * the check to integer compares unless two keys really look alike. esc: the
 * key has an escape (else its raw bytes are its decoded bytes). */
static bool add_key(const char *text, const cb_json_tok_t *toks, frame_t *f, int k, bool esc)
{
    const char *raw = text + toks[k].start;
    size_t rlen = (size_t)(toks[k].end - toks[k].start), n = 0;
    uint64_t h64 = 0, tail = 0;
    if (!esc) {
        for (; rlen - n >= 8; n += 8)
            h64 = hash8(h64, load8(raw + n));
        for (; n < rlen; n++)
            tail = tail << 8 | (unsigned char)raw[n];
    } else {
        char b[8];
        unsigned nb = 0;
        dec_t d;
        int c;
        dec_init(&d, raw, rlen);
        while ((c = dec_next(&d)) >= 0) {
            b[nb++] = (char)c;
            n++;
            if (nb == 8) {
                h64 = hash8(h64, load8(b));
                nb = 0;
            }
        }
        for (unsigned z = 0; z < nb; z++)
            tail = tail << 8 | (unsigned char)b[z];
    }
    if (n % 8)
        h64 = hash8(h64, tail);
    uint32_t h = (uint32_t)(h64 >> 32) ^ (uint32_t)h64;
    for (int j = f->first_key; j >= 0; j = s_json.next_key[j])
        if (s_json.key_hash[j] == h && s_json.key_len[j] == n &&
            keys_equal(text, &toks[j], &toks[k]))
            return false;
    s_json.key_hash[k] = h;
    s_json.key_len[k] = (uint32_t)n;
    s_json.next_key[k] = -1;
    if (f->last_key >= 0)
        s_json.next_key[f->last_key] = k;
    else
        f->first_key = k;
    f->last_key = k;
    return true;
}

/* Checks every byte of text against the tokens jsmn produced, in document
 * order, and rewrites parent and size from what was checked (a member's value
 * has its key as parent, as in jsmn). Returns NULL or the reason. */
static const char *validate(const char *text, size_t len, cb_json_tok_t *toks, int n)
{
    frame_t stack[CB_CFG_JSON_MAX_DEPTH];
    int depth = 0;
    bool root_done = false;
    size_t pos = 0;

    for (int i = 0; i <= n; i++) {
        /* Close the containers that end before token i (all of them at the end). */
        while (depth > 0) {
            frame_t *f = &stack[depth - 1];
            cb_json_tok_t *c = &toks[f->tok];
            bool is_obj = c->type == CB_JSON_OBJECT;
            if (i < n) {
                int next = toks[i].start - (toks[i].type == CB_JSON_STRING ? 1 : 0);
                if (next < c->end)
                    break;
            }
            if (c->end < 1 || (size_t)c->end > len || (size_t)c->end - 1 < pos)
                return "the JSON structure is malformed";
            if (f->state != ST_OBJ_START && f->state != ST_OBJ_AFTER_VALUE &&
                f->state != ST_ARR_START && f->state != ST_ARR_AFTER_VALUE)
                return "a value is missing before a closing bracket";
            if (!gap_ok(text, pos, (size_t)c->end - 1, 0))
                return "a separator is misplaced or doubled";
            if (text[c->end - 1] != (is_obj ? '}' : ']'))
                return "the JSON structure is malformed";
            c->size = f->count;
            pos = (size_t)c->end;
            depth--;
        }
        if (i == n)
            break;

        cb_json_tok_t *t = &toks[i];
        bool want_key = false;
        char sep = 0;
        int parent = -1;
        if (depth == 0) {
            if (root_done)
                return "more than one top-level value";
            if (t->type != CB_JSON_OBJECT)
                return "the top-level value is not an object";
        } else {
            frame_t *f = &stack[depth - 1];
            parent = f->tok;
            switch (f->state) {
            case ST_OBJ_START:
                want_key = true;
                break;
            case ST_OBJ_AFTER_VALUE:
                want_key = true;
                sep = ',';
                break;
            case ST_OBJ_AFTER_KEY:
                sep = ':';
                parent = f->last_key;
                break;
            case ST_ARR_START:
                break;
            default:
                sep = ',';
                break;
            }
        }
        if (want_key && t->type != CB_JSON_STRING)
            return "an object key is not a string";

        bool is_str = t->type == CB_JSON_STRING, esc = false;
        int first = t->start - (is_str ? 1 : 0);
        if (first < 0 || (size_t)first < pos || t->end < t->start ||
            (size_t)t->end + (is_str ? 1 : 0) > len)
            return "the JSON structure is malformed";
        if (!gap_ok(text, pos, (size_t)first, sep))
            return sep == ':' ? "a ':' is missing after a key" : "a ',' is missing or doubled";
        t->parent = parent;
        t->size = 0;

        switch (t->type) {
        case CB_JSON_OBJECT:
        case CB_JSON_ARRAY:
            if (text[first] != (t->type == CB_JSON_OBJECT ? '{' : '['))
                return "the JSON structure is malformed";
            pos = (size_t)first + 1;
            break;
        case CB_JSON_STRING:
            if (text[first] != '"' || text[t->end] != '"' ||
                !string_ok(text + t->start, (size_t)(t->end - t->start), &esc))
                return "a string has an invalid escape or a control byte";
            pos = (size_t)t->end + 1;
            break;
        case CB_JSON_PRIMITIVE:
            if (!primitive_ok(text + t->start, (size_t)(t->end - t->start)))
                return "a literal or number is not well formed";
            pos = (size_t)t->end;
            break;
        default:
            return "the JSON structure is malformed";
        }

        if (depth == 0) {
            root_done = true;
        } else {
            frame_t *f = &stack[depth - 1];
            if (want_key) {
                if (!add_key(text, toks, f, i, esc))
                    return "a key is repeated in the same object";
                t->size = 1;
                f->count++;
                f->state = ST_OBJ_AFTER_KEY;
            } else if (f->state == ST_OBJ_AFTER_KEY) {
                f->state = ST_OBJ_AFTER_VALUE;
            } else {
                f->count++;
                f->state = ST_ARR_AFTER_VALUE;
            }
        }
        if (t->type == CB_JSON_OBJECT || t->type == CB_JSON_ARRAY) {
            if (depth == CB_CFG_JSON_MAX_DEPTH)
                return "nesting is too deep";
            stack[depth++] = (frame_t){
                .tok = i,
                .count = 0,
                .first_key = -1,
                .last_key = -1,
                .state = t->type == CB_JSON_OBJECT ? ST_OBJ_START : ST_ARR_START,
            };
        }
    }
    if (!root_done)
        return "the body is empty";
    if (!gap_ok(text, pos, len, 0))
        return "unexpected bytes after the JSON value";
    return NULL;
}

int cb_json_parse(const char *text, size_t len, cb_json_tok_t *toks, size_t max_toks,
                  const char **why)
{
    const char *reason;
    int jsmn_code = 0;
    if (why)
        *why = NULL;
    if ((!text && len) || !toks || len > (size_t)INT_MAX - 1) {
        reason = "the body cannot be read as JSON";
        goto fail;
    }
    if (len && memchr(text, '\0', len)) {
        reason = "the body contains a NUL byte";
        goto fail;
    }
    int n = cb_jsmn_tokenize(text ? text : "", len, toks, max_toks, &jsmn_code);
    if (n == CB_ERR_NOMEM) {
        if (why)
            *why = "the body has more JSON tokens than allowed";
        return CB_ERR_NOMEM;
    }
    if (n < 0 || n > CB_CFG_JSON_MAX_TOKENS) {
        reason = "the body is not valid JSON";
        goto fail;
    }
    reason = validate(text, len, toks, n);
    if (reason)
        goto fail;
    return n;
fail:
    if (why)
        *why = reason;
    return CB_ERR_JSON;
}

/* ---- lookup ---- */

int cb_json_skip(const cb_json_tok_t *toks, int ntoks, int i)
{
    long pending = 1;
    if (!toks || i < 0 || i >= ntoks)
        return ntoks < 0 ? 0 : ntoks;
    while (pending > 0 && i < ntoks) {
        int size = toks[i].size;
        pending += (size > 0 && size <= ntoks) ? size : 0;
        pending--;
        i++;
    }
    return i;
}

/* True if the string token's raw bytes (raw, rlen) decode to key (klen
 * bytes; plain: without a backslash). Raw bytes without a backslash are
 * their own decoding; only keys with escapes go through the decoder. */
static bool key_matches(const char *raw, size_t rlen, const char *key, size_t klen, bool plain)
{
    if (plain && rlen == klen && memcmp(raw, key, klen) == 0)
        return true;
    if (rlen < klen || !memchr(raw, '\\', rlen))
        return false; /* decoding never lengthens; no escape: raw is decoded */
    dec_t d;
    size_t m = 0;
    int c;
    dec_init(&d, raw, rlen);
    while ((c = dec_next(&d)) >= 0 && m < klen && c == (unsigned char)key[m])
        m++;
    return c < 0 && m == klen;
}

int cb_json_get(const char *text, const cb_json_tok_t *toks, int ntoks, int obj, const char *key)
{
    if (!text || !toks || !key || obj < 0 || obj >= ntoks || toks[obj].type != CB_JSON_OBJECT)
        return -1;
    size_t klen = strlen(key);
    bool plain = memchr(key, '\\', klen) == NULL;
    int i = obj + 1;
    for (int k = 0; k < toks[obj].size && i + 1 < ntoks; k++) {
        if (toks[i].type == CB_JSON_STRING && toks[i].parent == obj &&
            key_matches(text + toks[i].start, (size_t)(toks[i].end - toks[i].start), key, klen,
                        plain))
            return i + 1;
        i = cb_json_skip(toks, ntoks, i + 1);
    }
    return -1;
}
