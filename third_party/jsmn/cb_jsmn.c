/* cb_jsmn.c - the one file that compiles jsmn (strict, parent links) and maps
 * its tokens and error codes to the core's (cb_jsmn.h). */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#define JSMN_STATIC
#include <jsmn.h>

#include "cb_err.h"
#include "cb_jsmn.h"

#include "cb_config.h"

/* jsmn writes its own token type; we convert in place-sized batches into a
 * static array bounded by the build-time token budget. */
static jsmntok_t s_toks[CB_CFG_JSON_MAX_TOKENS];

int cb_jsmn_tokenize(const char *text, size_t len, cb_json_tok_t *toks, size_t max_toks,
                     int *jsmn_code)
{
    jsmn_parser p;
    unsigned cap = max_toks < CB_CFG_JSON_MAX_TOKENS ? (unsigned)max_toks : CB_CFG_JSON_MAX_TOKENS;
    jsmn_init(&p);
    int n = jsmn_parse(&p, text, len, s_toks, cap);
    if (jsmn_code)
        *jsmn_code = n < 0 ? n : 0;
    if (n == JSMN_ERROR_NOMEM)
        return CB_ERR_NOMEM;
    if (n < 0)
        return CB_ERR_JSON;
    for (int i = 0; i < n; i++) {
        toks[i].type = (cb_json_type_t)s_toks[i].type;
        toks[i].start = s_toks[i].start;
        toks[i].end = s_toks[i].end;
        toks[i].size = s_toks[i].size;
        toks[i].parent = s_toks[i].parent;
    }
    return n;
}
