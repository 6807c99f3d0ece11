/* fuzz_json.c - libFuzzer target for cb_json: cb_json_parse checked against an
 * independent strict reference parser written here (accept/reject, token
 * count, limits, repeated keys), then every string token decoded and every
 * root key looked up, with the invariants the rest of the core relies on. */
#include "cb_config.h"
#include "cb_err.h"
#include "cb_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* ---- reference: a plain recursive-descent parser (harness only) ---- */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    long tokens;
    int max_depth;
    bool deep; /* gave up: nesting past the limit (the parse must fail anyway) */
    bool dup;
} ref_t;

/* A decoded key: raw bytes as they are, escapes to UTF-8, a lone surrogate
 * to its 3-byte form. */
typedef struct {
    unsigned char *b;
    size_t n;
} key_t_;

static void ws(ref_t *r)
{
    while (r->pos < r->len && (r->p[r->pos] == ' ' || r->p[r->pos] == '\t' ||
                               r->p[r->pos] == '\n' || r->p[r->pos] == '\r'))
        r->pos++;
}

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool ref_hex4(ref_t *r, size_t at, unsigned *v)
{
    unsigned x = 0;
    if (at + 4 > r->len)
        return false;
    for (int k = 0; k < 4; k++) {
        int h = hexv(r->p[at + (size_t)k]);
        if (h < 0)
            return false;
        x = x * 16 + (unsigned)h;
    }
    *v = x;
    return true;
}

static size_t put_utf8(unsigned cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
        o[2] = (unsigned char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 63));
    o[3] = (unsigned char)(0x80 | (cp & 63));
    return 4;
}

/* A string at pos (on the quote); key (may be NULL) gets its decoded bytes. */
static bool ref_string(ref_t *r, key_t_ *key)
{
    unsigned char *out = NULL;
    size_t n = 0;
    if (key) {
        out = malloc(r->len + 1);
        CHECK(out);
    }
    r->pos++;
    for (;;) {
        if (r->pos >= r->len)
            goto bad;
        unsigned char c = r->p[r->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            goto bad;
        if (c != '\\') {
            if (out)
                out[n++] = c;
            r->pos++;
            continue;
        }
        if (r->pos + 1 >= r->len)
            goto bad;
        unsigned char e = r->p[r->pos + 1];
        unsigned cp;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            cp = (unsigned char)map[simple - "\"\\/bfnrt"];
            r->pos += 2;
        } else if (e == 'u') {
            unsigned lo;
            if (!ref_hex4(r, r->pos + 2, &cp))
                goto bad;
            r->pos += 6;
            if (cp >= 0xD800 && cp < 0xDC00 && r->pos + 1 < r->len && r->p[r->pos] == '\\' &&
                r->p[r->pos + 1] == 'u' && ref_hex4(r, r->pos + 2, &lo) && lo >= 0xDC00 &&
                lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                r->pos += 6;
            }
        } else {
            goto bad;
        }
        if (out)
            n += put_utf8(cp, out + n);
    }
    r->pos++;
    r->tokens++;
    if (key) {
        key->b = out;
        key->n = n;
    }
    return true;
bad:
    free(out);
    return false;
}

static bool digit(ref_t *r)
{
    return r->pos < r->len && r->p[r->pos] >= '0' && r->p[r->pos] <= '9';
}

static bool ref_number(ref_t *r)
{
    if (r->pos < r->len && r->p[r->pos] == '-')
        r->pos++;
    if (!digit(r))
        return false;
    if (r->p[r->pos] == '0')
        r->pos++;
    else
        while (digit(r))
            r->pos++;
    if (r->pos < r->len && r->p[r->pos] == '.') {
        r->pos++;
        if (!digit(r))
            return false;
        while (digit(r))
            r->pos++;
    }
    if (r->pos < r->len && (r->p[r->pos] == 'e' || r->p[r->pos] == 'E')) {
        r->pos++;
        if (r->pos < r->len && (r->p[r->pos] == '+' || r->p[r->pos] == '-'))
            r->pos++;
        if (!digit(r))
            return false;
        while (digit(r))
            r->pos++;
    }
    r->tokens++;
    return true;
}

static bool ref_lit(ref_t *r, const char *w)
{
    size_t n = strlen(w);
    if (r->len - r->pos < n || memcmp(r->p + r->pos, w, n) != 0)
        return false;
    r->pos += n;
    r->tokens++;
    return true;
}

static bool ref_value(ref_t *r, int depth);

static bool ref_object(ref_t *r, int depth)
{
    key_t_ keys[CB_CFG_JSON_MAX_TOKENS / 2];
    size_t nkeys = 0;
    bool ok = false;
    r->pos++;
    r->tokens++;
    ws(r);
    if (r->pos < r->len && r->p[r->pos] == '}') {
        r->pos++;
        return true;
    }
    for (;;) {
        key_t_ k = {0};
        ws(r);
        if (r->pos >= r->len || r->p[r->pos] != '"' || !ref_string(r, &k))
            goto out;
        for (size_t j = 0; j < nkeys; j++)
            if (keys[j].n == k.n && memcmp(keys[j].b, k.b, k.n) == 0)
                r->dup = true;
        if (nkeys < sizeof keys / sizeof keys[0])
            keys[nkeys++] = k; /* past this many keys the token budget is blown */
        else
            free(k.b);
        ws(r);
        if (r->pos >= r->len || r->p[r->pos] != ':')
            goto out;
        r->pos++;
        ws(r);
        if (!ref_value(r, depth))
            goto out;
        ws(r);
        if (r->pos < r->len && r->p[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->pos < r->len && r->p[r->pos] == '}') {
            r->pos++;
            ok = true;
        }
        goto out;
    }
out:
    for (size_t j = 0; j < nkeys; j++)
        free(keys[j].b);
    return ok;
}

static bool ref_array(ref_t *r, int depth)
{
    r->pos++;
    r->tokens++;
    ws(r);
    if (r->pos < r->len && r->p[r->pos] == ']') {
        r->pos++;
        return true;
    }
    for (;;) {
        ws(r);
        if (!ref_value(r, depth))
            return false;
        ws(r);
        if (r->pos < r->len && r->p[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->pos < r->len && r->p[r->pos] == ']') {
            r->pos++;
            return true;
        }
        return false;
    }
}

static bool ref_value(ref_t *r, int depth)
{
    if (r->pos >= r->len)
        return false;
    unsigned char c = r->p[r->pos];
    if (c == '{' || c == '[') {
        if (depth + 1 > r->max_depth)
            r->max_depth = depth + 1;
        if (depth + 1 > CB_CFG_JSON_MAX_DEPTH) {
            r->deep = true;
            return false;
        }
        return c == '{' ? ref_object(r, depth + 1) : ref_array(r, depth + 1);
    }
    if (c == '"')
        return ref_string(r, NULL);
    if (c == 't')
        return ref_lit(r, "true");
    if (c == 'f')
        return ref_lit(r, "false");
    if (c == 'n')
        return ref_lit(r, "null");
    return ref_number(r);
}

/* ---- the target ---- */

static cb_json_tok_t s_toks[CB_CFG_JSON_MAX_TOKENS];
static char s_out[1 << 16];
static char s_key[1 << 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *why = NULL;
    if (size >= sizeof s_out)
        return 0;

    int n = cb_json_parse(text, size, s_toks, CB_CFG_JSON_MAX_TOKENS, &why);
    CHECK(n != 0);
    CHECK((n < 0) == (why != NULL));

    ref_t r = {.p = data, .len = size};
    ws(&r);
    bool ok = r.pos < r.len && r.p[r.pos] == '{' && ref_value(&r, 0);
    ws(&r);
    ok = ok && r.pos == r.len;
    if (size && memchr(data, 0, size)) {
        CHECK(n == CB_ERR_JSON);
    } else if (r.deep) {
        CHECK(n < 0);
    } else if (!ok) {
        CHECK(n == CB_ERR_JSON || n == CB_ERR_NOMEM);
    } else if (r.tokens > CB_CFG_JSON_MAX_TOKENS) {
        CHECK(n == CB_ERR_NOMEM);
    } else if (r.dup) {
        CHECK(n == CB_ERR_JSON);
    } else {
        CHECK(n == (int)r.tokens);
    }
    if (n < 0)
        return 0;

    /* structure */
    CHECK(s_toks[0].type == CB_JSON_OBJECT && s_toks[0].parent == -1);
    CHECK(cb_json_skip(s_toks, n, 0) == n);
    for (int i = 0; i < n; i++) {
        const cb_json_tok_t *t = &s_toks[i];
        CHECK(t->start >= 0 && t->end >= t->start && (size_t)t->end <= size);
        CHECK(cb_json_skip(s_toks, n, i) > i && cb_json_skip(s_toks, n, i) <= n);
        if (i > 0) {
            CHECK(t->parent >= 0 && t->parent < i);
            const cb_json_tok_t *p = &s_toks[t->parent];
            if (p->type == CB_JSON_STRING)
                CHECK(p->size == 1 && s_toks[p->parent].type == CB_JSON_OBJECT);
            if (p->type == CB_JSON_OBJECT)
                CHECK(t->type == CB_JSON_STRING && t->size == 1);
            CHECK(p->type != CB_JSON_PRIMITIVE);
        }
        if (t->type != CB_JSON_STRING)
            continue;
        CHECK(t->start >= 1 && text[t->start - 1] == '"' && (size_t)t->end < size &&
              text[t->end] == '"');
        size_t raw = (size_t)(t->end - t->start), out = 12345;
        int rc = cb_json_unescape(text + t->start, raw, s_out, raw, &out);
        CHECK(rc == CB_OK || rc == CB_ERR_INVAL);
        if (rc != CB_OK)
            continue;
        CHECK(out <= raw);
        CHECK(cb_utf8_valid(s_out, out));
        CHECK(memchr(s_out, 0, out) == NULL);
        /* the reference decoder agrees */
        ref_t rs = {.p = data, .len = size, .pos = (size_t)t->start - 1};
        key_t_ k = {0};
        CHECK(ref_string(&rs, &k));
        CHECK(k.n == out && memcmp(k.b, s_out, out) == 0);
        free(k.b);
        /* a root key is found under its decoded name */
        if (t->parent == 0) {
            memcpy(s_key, s_out, out);
            s_key[out] = '\0';
            CHECK(cb_json_get(text, s_toks, n, 0, s_key) == i + 1);
        }
    }
    return 0;
}
