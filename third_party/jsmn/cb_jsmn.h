/* cb_jsmn.h - the glue between cb_json.c and Debian's jsmn (header-only,
 * compiled once in cb_jsmn.c in strict mode with parent links). */
#ifndef CB_JSMN_H
#define CB_JSMN_H

#include "cb_json.h"

#include <stddef.h>

/* Runs jsmn over text into toks (our token type). Returns the token count,
 * CB_ERR_NOMEM when more than max_toks are needed, or CB_ERR_JSON (jsmn's
 * code is logged at debug level by the caller via *jsmn_code). */
int cb_jsmn_tokenize(const char *text, size_t len, cb_json_tok_t *toks, size_t max_toks,
                     int *jsmn_code);

#endif
