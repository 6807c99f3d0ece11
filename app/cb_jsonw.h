/* cb_jsonw.h - a bounded JSON text writer into a caller's buffer: responses,
 * signal-log lines, journal-free output. Never writes past cap; once a write
 * does not fit, the writer is marked overflowed and further writes do nothing. */
#ifndef CB_JSONW_H
#define CB_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf;
    size_t cap; /* bytes available in buf, including room for a final NUL */
    size_t len; /* bytes written so far (buf[len] is kept NUL) */
    bool overflow;
    bool need_comma; /* internal: a value was written at this level */
} cb_jsonw_t;

void cb_jsonw_init(cb_jsonw_t *w, char *buf, size_t cap);
void cb_jsonw_obj_begin(cb_jsonw_t *w);
void cb_jsonw_obj_end(cb_jsonw_t *w);
void cb_jsonw_arr_begin(cb_jsonw_t *w);
void cb_jsonw_arr_end(cb_jsonw_t *w);
/* Writes "key": (call before the value inside an object). */
void cb_jsonw_key(cb_jsonw_t *w, const char *key);
/* A JSON string from len bytes of UTF-8, escaping " \ and control bytes. */
void cb_jsonw_str(cb_jsonw_t *w, const char *s, size_t len);
void cb_jsonw_cstr(cb_jsonw_t *w, const char *s);
void cb_jsonw_u64(cb_jsonw_t *w, uint64_t v);
void cb_jsonw_bool(cb_jsonw_t *w, bool v);
/* Convenience: "key":"value" / "key":number. */
void cb_jsonw_kv_str(cb_jsonw_t *w, const char *key, const char *s, size_t len);
void cb_jsonw_kv_cstr(cb_jsonw_t *w, const char *key, const char *s);
void cb_jsonw_kv_u64(cb_jsonw_t *w, const char *key, uint64_t v);
/* Returns len, or -1 (CB_ERR_NOMEM) if anything did not fit. */
int cb_jsonw_finish(const cb_jsonw_t *w);

#endif
