/* vec_reader.h - a tiny reader for the shared test vectors (an array of flat
 * JSON objects whose values are strings or the literals true, false and null,
 * kept as those words), header-only, for unit tests. It is
 * deliberately independent of the core's cb_json so a vector test cannot pass
 * because of a bug it shares with the code under test. */
#ifndef VEC_READER_H
#define VEC_READER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VEC_MAX_CASES  128
#define VEC_MAX_FIELDS 16
#define VEC_POOL       (256 * 1024)

typedef struct {
    const char *key[VEC_MAX_FIELDS];
    const char *val[VEC_MAX_FIELDS];
    size_t val_len[VEC_MAX_FIELDS];
    int nfields;
} vec_case_t;

typedef struct {
    vec_case_t cases[VEC_MAX_CASES];
    int ncases;
    char pool[VEC_POOL]; /* decoded strings, NUL-terminated */
    size_t used;
} vec_file_t;

static inline void vec_put_utf8(vec_file_t *v, unsigned long cp)
{
    char *o = v->pool + v->used;
    if (cp < 0x80) {
        o[0] = (char)cp;
        v->used += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        v->used += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        v->used += 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        v->used += 4;
    }
}

/* Reads a JSON string at *p (at the opening quote) into the pool. */
static inline const char *vec_string(vec_file_t *v, const char **p, const char *end, size_t *len)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return NULL;
    s++;
    char *start = v->pool + v->used;
    while (s < end && *s != '"') {
        if (v->used + 8 >= VEC_POOL)
            return NULL;
        if (*s != '\\') {
            v->pool[v->used++] = *s++;
            continue;
        }
        s++;
        if (s >= end)
            return NULL;
        char e = *s++;
        switch (e) {
        case 'n':
            v->pool[v->used++] = '\n';
            break;
        case 't':
            v->pool[v->used++] = '\t';
            break;
        case 'r':
            v->pool[v->used++] = '\r';
            break;
        case 'b':
            v->pool[v->used++] = '\b';
            break;
        case 'f':
            v->pool[v->used++] = '\f';
            break;
        case 'u': {
            unsigned long cp;
            char hex[5] = {0};
            if (end - s < 4)
                return NULL;
            memcpy(hex, s, 4);
            s += 4;
            cp = strtoul(hex, NULL, 16);
            if (cp >= 0xd800 && cp < 0xdc00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                memcpy(hex, s + 2, 4);
                unsigned long lo = strtoul(hex, NULL, 16);
                s += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            vec_put_utf8(v, cp);
            break;
        }
        default:
            v->pool[v->used++] = e;
            break;
        }
    }
    if (s >= end)
        return NULL;
    *len = (size_t)(v->pool + v->used - start);
    v->pool[v->used++] = '\0';
    *p = s + 1;
    return start;
}

/* Reads a literal (true, false, null) at *p into the pool as its word. */
static inline const char *vec_literal(vec_file_t *v, const char **p, const char *end, size_t *len)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(end - *p) >= n && memcmp(*p, words[i], n) == 0 && v->used + n + 1 < VEC_POOL) {
            char *start = v->pool + v->used;
            memcpy(start, words[i], n + 1);
            v->used += n + 1;
            *len = n;
            *p += n;
            return start;
        }
    }
    return NULL;
}

static inline void vec_ws(const char **p, const char *end)
{
    while (*p < end &&
           (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t' || **p == ',' || **p == ':'))
        (*p)++;
}

/* Loads dir/name; returns the number of cases, or -1 on error. */
static inline int vec_load(vec_file_t *v, const char *dir, const char *name)
{
    static char text[VEC_POOL];
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    const char *p = text, *end = text + n;
    memset(v, 0, sizeof *v);
    vec_ws(&p, end);
    if (p >= end || *p++ != '[')
        return -1;
    for (;;) {
        vec_ws(&p, end);
        if (p < end && *p == ']')
            return v->ncases;
        if (p >= end || *p++ != '{' || v->ncases >= VEC_MAX_CASES)
            return -1;
        vec_case_t *c = &v->cases[v->ncases++];
        for (;;) {
            vec_ws(&p, end);
            if (p < end && *p == '}') {
                p++;
                break;
            }
            size_t kl, vl;
            const char *k = vec_string(v, &p, end, &kl);
            vec_ws(&p, end);
            const char *val =
                p < end && *p == '"' ? vec_string(v, &p, end, &vl) : vec_literal(v, &p, end, &vl);
            if (!k || !val || c->nfields >= VEC_MAX_FIELDS)
                return -1;
            c->key[c->nfields] = k;
            c->val[c->nfields] = val;
            c->val_len[c->nfields] = vl;
            c->nfields++;
        }
    }
}

/* The value of key in a case (NUL-terminated), or NULL. */
static inline const char *vec_get(const vec_case_t *c, const char *key, size_t *len)
{
    for (int i = 0; i < c->nfields; i++)
        if (strcmp(c->key[i], key) == 0) {
            if (len)
                *len = c->val_len[i];
            return c->val[i];
        }
    return NULL;
}

#endif
