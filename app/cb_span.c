/* cb_span.c - helpers over (pointer, length) views; see cb_span.h. */
#include "cb_span.h"
#include "cb_err.h"

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool cb_span_ieq(cb_span_t s, const char *lit)
{
    if (!s.p)
        return false;
    size_t i = 0;
    /* one pass, no strlen: lit's NUL ends it; equal bytes skip the folding */
    for (; i < s.len; i++)
        if (lit[i] == '\0' || (s.p[i] != lit[i] && lower(s.p[i]) != lower(lit[i])))
            return false;
    return lit[i] == '\0';
}

cb_span_t cb_span_trim(cb_span_t s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

int cb_span_to_u64(cb_span_t s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;
    if (!s.p || s.len == 0)
        return CB_ERR_INVAL;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return CB_ERR_INVAL;
        unsigned d = (unsigned)(s.p[i] - '0');
        if (d > max || v > (max - d) / 10)
            return CB_ERR_INVAL;
        v = v * 10 + d;
    }
    *out = v;
    return CB_OK;
}
