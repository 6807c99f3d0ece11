/* cb_json.h - strict JSON: tokens (in jsmn's shape) made and checked in one
 * pass over the text, key lookup, string decoding. Used for webhook bodies,
 * token requests and the config file. */
#ifndef CB_JSON_H
#define CB_JSON_H

#include "cb_span.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CB_JSON_OBJECT = 1,
    CB_JSON_ARRAY = 2,
    CB_JSON_STRING = 3,   /* start/end exclude the quotes; still escaped */
    CB_JSON_PRIMITIVE = 4 /* number, true, false, null */
} cb_json_type_t;

typedef struct {
    cb_json_type_t type;
    int start; /* byte offsets into the text */
    int end;
    int size;   /* object: number of keys; array: number of elements; key: 1 */
    int parent; /* token index of the parent, -1 for the root; a
                   member's value has its key as parent */
} cb_json_tok_t;

/* CB_CFG_JSON_MAX_TOKENS tokens of scratch for whichever body the core
 * parses now: an event, a token request or a config file. The core parses
 * one body at a time and never one inside another, so one array serves them
 * all (on a 64 KiB part each would cost a few KiB); tokens are not kept
 * across another parse. */
cb_json_tok_t *cb_json_scratch(void);

/* Tokenizes text and validates it strictly (RFC 8259): exactly one value,
 * which must be an object, nothing but whitespace after it; separators
 * (':' and ',') exactly where the grammar has them; literals and numbers
 * well formed; strings with valid escapes and no raw control bytes; no NUL
 * byte anywhere; nesting <= CB_CFG_JSON_MAX_DEPTH; no key repeated within
 * one object. Returns the token count, CB_ERR_NOMEM when over max_toks
 * (the token budget; never more than CB_CFG_JSON_MAX_TOKENS), or CB_ERR_JSON.
 * Strings are checked for syntax only: invalid UTF-8, unpaired surrogates
 * and \u0000 are left for cb_json_unescape to reject (an invalid event, not
 * invalid JSON). why (may be NULL) gets a static human sentence on error.
 * Not reentrant (static work areas; the core is single-threaded). */
int cb_json_parse(const char *text, size_t len, cb_json_tok_t *toks, size_t max_toks,
                  const char **why);

/* Index of the value token for key in the object at token obj, or -1. Keys
 * are compared decoded ("job_id" finds "job\u005fid"). */
int cb_json_get(const char *text, const cb_json_tok_t *toks, int ntoks, int obj, const char *key);

/* Index of the token after the whole subtree rooted at token i (for a key,
 * the subtree includes its value). */
int cb_json_skip(const cb_json_tok_t *toks, int ntoks, int i);

/* Decodes a JSON string token's raw bytes (between the quotes) into UTF-8
 * (dst may be raw itself: decoding in place, as the output never runs ahead):
 * all escapes incl. \uXXXX and surrogate pairs. Rejects (CB_ERR_INVAL)
 * invalid escapes, unpaired surrogates, \u0000, and invalid UTF-8 in the raw
 * bytes (overlongs, surrogates, > U+10FFFF), and raw control bytes. Writes at
 * most cap bytes to dst (decoded output is never longer than the input);
 * CB_ERR_NOMEM when it does not fit. *out_len gets the length. */
int cb_json_unescape(const char *raw, size_t len, char *dst, size_t cap, size_t *out_len);

/* True if len bytes are valid UTF-8 (RFC 3629). */
bool cb_utf8_valid(const char *s, size_t len);

#endif
