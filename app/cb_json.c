/* cb_json.c - strict JSON (RFC 8259) tokenized and checked in one pass over
 * the text, key lookup and string decoding; see cb_json.h. Called by
 * cb_event.c for webhook bodies, by the token endpoint and the config reader. */
#include "cb_json.h"
#include "cb_config.h"
#include "cb_err.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

/* An open container. */
typedef struct {
    int tok;       /* the container's token */
    int first_key; /* objects: list of keys (s_json.next_key) for duplicates */
    int last_key;
    bool is_obj;
} frame_t;

/* Per-key data for the duplicate check, indexed by token. Static so that a
 * parse needs no big locals; the core is single-threaded. */
static struct {
    uint32_t key_hash[CB_CFG_JSON_MAX_TOKENS];
    uint32_t key_len[CB_CFG_JSON_MAX_TOKENS];
    int next_key[CB_CFG_JSON_MAX_TOKENS];
} s_json;

static cb_json_tok_t s_scratch[CB_CFG_JSON_MAX_TOKENS];

cb_json_tok_t *cb_json_scratch(void)
{
    return s_scratch;
}

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

/* ---- the one pass ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The string whose opening quote is at text[i - 1]: escapes well formed, no
 * raw control bytes. Raw UTF-8 and what escapes decode to are left to
 * cb_json_unescape, so that a bad field is an invalid event rather than
 * invalid JSON (SPEC 1). Returns the index of the closing quote, or -1.
 * *esc tells whether there was an escape (decoded bytes == raw bytes if not).
 * Eight bytes at a time while none is a quote, a backslash or a control. */
static long scan_string(const char *text, size_t len, size_t i, bool *esc)
{
    *esc = false;
    for (;;) {
        if (len - i >= 8 && !special8(load8(text + i))) {
            i += 8;
            continue;
        }
        size_t stop = len - i > 8 ? i + 8 : len;
        while (i < stop) {
            unsigned char c = (unsigned char)text[i];
            unsigned char cl = k_cls[c];
            if (cl >= C_ASC) {
                i++;
            } else if (c == '"') {
                return (long)i;
            } else if (cl == C_ESC) {
                uint32_t cp;
                bool lone;
                *esc = true;
                /* a \u escape cannot reach past the closing quote: '"' is no hex digit */
                if (!read_escape(text, len, &i, &cp, &lone))
                    return -1;
            } else {
                return -1; /* a control byte */
            }
        }
        if (i >= len)
            return -1;
    }
}

/* true, false, null, or -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at
 * text[i], ended by whitespace, ',', '}', ']' or the end of the text.
 * Returns the index after it, or 0 (a primitive never starts at 0: the
 * root is an object). */
static size_t scan_primitive(const char *text, size_t len, size_t i)
{
    const char *p = text + i;
    size_t n = len - i, k = 0, d;
    switch (p[0]) {
    case 't':
        k = n >= 4 && memcmp(p, "true", 4) == 0 ? 4 : 0;
        break;
    case 'f':
        k = n >= 5 && memcmp(p, "false", 5) == 0 ? 5 : 0;
        break;
    case 'n':
        k = n >= 4 && memcmp(p, "null", 4) == 0 ? 4 : 0;
        break;
    default:
        if (p[0] == '-')
            k++;
        if (k >= n || !is_digit(p[k]))
            return 0;
        if (p[k] == '0')
            k++;
        else
            while (k < n && is_digit(p[k]))
                k++;
        if (k < n && p[k] == '.') {
            d = ++k;
            while (k < n && is_digit(p[k]))
                k++;
            if (k == d)
                return 0;
        }
        if (k < n && (p[k] == 'e' || p[k] == 'E')) {
            k++;
            if (k < n && (p[k] == '+' || p[k] == '-'))
                k++;
            d = k;
            while (k < n && is_digit(p[k]))
                k++;
            if (k == d)
                return 0;
        }
        break;
    }
    if (k == 0 || (k < n && !is_ws(p[k]) && p[k] != ',' && p[k] != '}' && p[k] != ']'))
        return 0;
    return i + k;
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

/* What the next non-whitespace byte may be. */
enum {
    X_VALUE,        /* a value (after ':' or after ',' in an array) */
    X_VALUE_OR_END, /* a value or ']' (after '[') */
    X_KEY,          /* a key (after ',' in an object) */
    X_KEY_OR_END,   /* a key or '}' (after '{') */
    X_COLON,        /* ':' after a key */
    X_COMMA_OR_END, /* ',' or the bracket that closes the container */
};

int cb_json_parse(const char *text, size_t len, cb_json_tok_t *toks, size_t max_toks,
                  const char **why)
{
    frame_t stack[CB_CFG_JSON_MAX_DEPTH];
    frame_t *f = NULL; /* the innermost open container */
    const char *reason;
    size_t cap = max_toks < CB_CFG_JSON_MAX_TOKENS ? max_toks : CB_CFG_JSON_MAX_TOKENS;
    size_t i = 0;
    int n = 0, depth = 0, expect = X_VALUE;
    bool dup = false; /* reported at the end: the token budget comes first */

    if (why)
        *why = NULL;
    if ((!text && len) || !toks || len > (size_t)INT_MAX - 1) {
        reason = "the body cannot be read as JSON";
        goto fail;
    }
    while (i < len && is_ws(text[i]))
        i++;
    if (i == len) {
        reason = "the body is empty";
        goto fail;
    }
    if (text[i] != '{') {
        reason = "the top-level value is not an object";
        goto fail;
    }
    for (;;) {
        while (i < len && is_ws(text[i]))
            i++;
        if (i == len) {
            reason = "the body ends inside the JSON value";
            goto fail;
        }
        char c = text[i];
        switch (expect) {
        case X_COLON:
            if (c != ':') {
                reason = "a ':' is missing after a key";
                goto fail;
            }
            i++;
            expect = X_VALUE;
            continue;
        case X_COMMA_OR_END:
            if (c == ',') {
                i++;
                expect = f->is_obj ? X_KEY : X_VALUE;
                continue;
            }
            if (c != '}' && c != ']') {
                reason = "a ',' is missing or doubled";
                goto fail;
            }
            break; /* closes below */
        case X_KEY_OR_END:
        case X_VALUE_OR_END:
            if (c == '}' || c == ']')
                break; /* closes below */
            expect = expect == X_KEY_OR_END ? X_KEY : X_VALUE;
            /* fall through */
        default:
            if (c == '}' || c == ']') {
                reason = "a value is missing before a closing bracket";
                goto fail;
            }
            if (c == ',') {
                reason = "a ',' is missing or doubled";
                goto fail;
            }
            break;
        }

        if (c == '}' || c == ']') { /* close the innermost container */
            if ((c == '}') != f->is_obj) {
                reason = "the JSON structure is malformed";
                goto fail;
            }
            toks[f->tok].end = (int)++i;
            if (--depth == 0)
                break;
            f--;
            expect = X_COMMA_OR_END;
            continue;
        }

        if ((size_t)n == cap)
            goto over_budget;
        cb_json_tok_t *t = &toks[n];
        t->size = 0;
        if (expect == X_KEY) {
            bool esc;
            if (c != '"') {
                reason = "an object key is not a string";
                goto fail;
            }
            long q = scan_string(text, len, i + 1, &esc);
            if (q < 0) {
                reason = "a string has an invalid escape or a control byte";
                goto fail;
            }
            t->type = CB_JSON_STRING;
            t->start = (int)i + 1;
            t->end = (int)q;
            t->parent = f->tok;
            t->size = 1;
            toks[f->tok].size++;
            if (!add_key(text, toks, f, n, esc))
                dup = true;
            i = (size_t)q + 1;
            n++;
            expect = X_COLON;
            continue;
        }

        /* a value: of the root, of a key, or an array element */
        t->parent = depth == 0 ? -1 : f->is_obj ? f->last_key : f->tok;
        if (depth > 0 && !f->is_obj)
            toks[f->tok].size++;
        if (c == '{' || c == '[') {
            if (depth == CB_CFG_JSON_MAX_DEPTH) {
                reason = "nesting is too deep";
                goto fail;
            }
            t->type = c == '{' ? CB_JSON_OBJECT : CB_JSON_ARRAY;
            t->start = (int)i;
            f = &stack[depth++];
            *f = (frame_t){.tok = n, .first_key = -1, .last_key = -1, .is_obj = c == '{'};
            expect = c == '{' ? X_KEY_OR_END : X_VALUE_OR_END;
            i++;
        } else if (c == '"') {
            bool esc;
            long q = scan_string(text, len, i + 1, &esc);
            if (q < 0) {
                reason = "a string has an invalid escape or a control byte";
                goto fail;
            }
            t->type = CB_JSON_STRING;
            t->start = (int)i + 1;
            t->end = (int)q;
            i = (size_t)q + 1;
            expect = X_COMMA_OR_END;
        } else {
            size_t e = scan_primitive(text, len, i);
            if (e == 0) {
                reason = "a literal or number is not well formed";
                goto fail;
            }
            t->type = CB_JSON_PRIMITIVE;
            t->start = (int)i;
            t->end = (int)e;
            i = e;
            expect = X_COMMA_OR_END;
        }
        n++;
    }

    /* the root object closed at i */
    while (i < len && is_ws(text[i]))
        i++;
    if (i < len) {
        reason = text[i] == '{' || text[i] == '[' || text[i] == '"'
                     ? "more than one top-level value"
                     : "unexpected bytes after the JSON value";
        goto fail;
    }
    if (dup) {
        reason = "a key is repeated in the same object";
        goto fail;
    }
    return n;

over_budget:
    if (!memchr(text, '\0', len)) {
        if (why)
            *why = "the body has more JSON tokens than allowed";
        return CB_ERR_NOMEM;
    }
    reason = NULL;
fail:
    /* a NUL anywhere is named as such, whatever was found first */
    if (text && len && memchr(text, '\0', len))
        reason = "the body contains a NUL byte";
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
