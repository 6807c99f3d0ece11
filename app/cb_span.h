/* cb_span.h - (pointer, length) views of bytes, the way network data travels in
 * the core: never NUL-terminated, never owned. */
#ifndef CB_SPAN_H
#define CB_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *p; /* NULL means "absent" (distinct from an empty present value) */
    size_t len;
} cb_span_t;

#define CB_SPAN_NONE ((cb_span_t){NULL, 0})

static inline cb_span_t cb_span(const char *p, size_t len)
{
    return (cb_span_t){p, len};
}

/* Span over a NUL-terminated C string (NULL gives an absent span). */
static inline cb_span_t cb_span_str(const char *s)
{
    return (cb_span_t){s, s ? strlen(s) : 0};
}

static inline bool cb_span_present(cb_span_t s)
{
    return s.p != NULL;
}

/* Byte-exact equality with a C string. */
static inline bool cb_span_eq(cb_span_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.p && s.len == n && memcmp(s.p, lit, n) == 0;
}

/* ASCII case-insensitive equality with a C string (header names, tokens). */
bool cb_span_ieq(cb_span_t s, const char *lit);

/* The span without leading and trailing spaces and tabs (HTTP OWS). */
cb_span_t cb_span_trim(cb_span_t s);

/* Parses a non-negative decimal; CB_OK, or CB_ERR_INVAL on any non-digit,
 * empty input or a value over max. */
int cb_span_to_u64(cb_span_t s, unsigned long long max, unsigned long long *out);

#endif
