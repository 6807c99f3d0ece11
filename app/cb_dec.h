/* cb_dec.h - the core's one unsigned-to-decimal formatter (HTTP heads,
 * JSON numbers, metrics, settings messages). Bounded, no NUL written. */
#ifndef CB_DEC_H
#define CB_DEC_H

#include <stddef.h>
#include <stdint.h>

/* Digits of the largest value each takes: a buffer this big always fits. */
#define CB_DEC_U32_MAX 10
#define CB_DEC_U64_MAX 20

/* Writes v in decimal (no sign, no leading zeros, "0" for 0) to out.
 * Returns the number of digits written (>= 1), or 0 when they do not fit
 * in cap (then out is left alone). No terminating NUL. cb_dec_u32 keeps to
 * 32-bit division (no 64-bit division helper on 32-bit cores). */
size_t cb_dec_u32(char *out, size_t cap, uint32_t v);
size_t cb_dec_u64(char *out, size_t cap, uint64_t v);

#endif
