/* cb_addr.h - IP address literals as text (IPv4 dotted quad, IPv6 RFC 4291
 * section 2.2) to 16 bytes, for the trusted_proxies setting, X-Forwarded-For
 * hops and the per-source limits. Pure functions, no allocation. */
#ifndef CB_ADDR_H
#define CB_ADDR_H

#include "cb_span.h"

#include <stdbool.h>
#include <stdint.h>

/* Bytes of a parsed address: IPv6, IPv4 as ::ffff:a.b.c.d (RFC 4291 2.5.5.2). */
#define CB_ADDR_LEN 16

/* Parses text (surrounding spaces and tabs ignored) as an IPv4 literal (four
 * decimals 0-255 without leading zeros) or an IPv6 literal (hex groups, one
 * "::", an IPv4 tail); no port, brackets, prefix or zone. CB_OK, or
 * CB_ERR_INVAL with out untouched. */
int cb_addr_parse(cb_span_t text, uint8_t out[CB_ADDR_LEN]);

/* Calls each(addr, ctx) for every address of a comma-separated list (spaces
 * around items allowed; an empty list has none) until it returns true.
 * Returns CB_ERR_INVAL when an item is not an address (each is not called for
 * items after it), else 1 if each returned true, else 0. */
int cb_addr_list_each(cb_span_t list, bool (*each)(const uint8_t addr[CB_ADDR_LEN], void *ctx),
                      void *ctx);

/* True if list (as above, valid) holds the address of text. */
bool cb_addr_in_list(cb_span_t list, cb_span_t text);

#endif
