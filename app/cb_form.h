/* cb_form.h - the client credentials of a token request (SPEC 3, dynamic
 * mode): POST /auth/token as application/x-www-form-urlencoded,
 * multipart/form-data or JSON, or HTTP Basic. Called by the server for each
 * token request; pure parsing, no allocation, hostile input safe. */
#ifndef CB_FORM_H
#define CB_FORM_H

#include "cb_config.h"
#include "cb_span.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest multipart boundary (RFC 2046 section 5.1.1). */
#define CB_FORM_BOUNDARY_MAX 70

/* The names of the two credential fields in a body (settings
 * client_id_field / client_secret_field), NUL-terminated. */
typedef struct {
    const char *id_field;     /* "client_id" */
    const char *secret_field; /* "client_secret" */
} cb_form_fields_t;

/* Decoded credentials, copied into fixed buffers (NUL-terminated, but the
 * lengths are authoritative). A value holds at most CB_CFG_SECRET_MAX - 1
 * bytes; a longer one is an error, never truncated. Holds a secret: the
 * caller wipes it with cb_zeroize when done (the parsers wipe it on error). */
typedef struct {
    char id[CB_CFG_SECRET_MAX];
    size_t id_len;
    char secret[CB_CFG_SECRET_MAX];
    size_t secret_len;
    bool has_id;
    bool has_secret;
} cb_form_creds_t;

/* All parsers below share these results:
 *   CB_OK               both fields found (each exactly once, neither empty);
 *   CB_ERR_AUTH_MISSING the input is well formed but a field is absent or
 *                       empty (401 invalid_client);
 *   CB_ERR_INVAL        malformed input: bad percent-escape, bad multipart
 *                       framing, bad JSON, bad base64, a credential field
 *                       given twice or of the wrong JSON type, a NUL byte in
 *                       a value, an unsupported content type;
 *   CB_ERR_TOO_LARGE    a credential value over CB_CFG_SECRET_MAX - 1 bytes.
 * why (may be NULL) gets a static human sentence on error, never a value. */

/* Chooses by the request: "Authorization: Basic ..." wins when present (an
 * OAuth-style body such as grant_type=client_credentials is then ignored);
 * otherwise the body by its media type (parameters allowed, names case-
 * insensitive): application/x-www-form-urlencoded, multipart/form-data
 * (boundary from content_type) or application/json. An Authorization header
 * of another scheme is ignored. content_type / authorization: header values,
 * absent spans when not sent. */
int cb_form_credentials(cb_span_t content_type, cb_span_t authorization, const char *body,
                        size_t len, const cb_form_fields_t *fields, cb_form_creds_t *out,
                        const char **why);

/* application/x-www-form-urlencoded: name=value pairs split at '&', '+' as
 * space, %XX escapes (either case) decoded in names and values; a '%' not
 * followed by two hex digits is CB_ERR_INVAL; empty pairs are skipped; other
 * fields are ignored. */
int cb_form_parse_urlencoded(const char *body, size_t len, const cb_form_fields_t *fields,
                             cb_form_creds_t *out, const char **why);

/* multipart/form-data (RFC 7578 over RFC 2046): content_type is the whole
 * Content-Type value, whose boundary parameter (token or quoted-string,
 * 1..70 characters, not ending in a space) is required. The body is an
 * optional preamble, then "--boundary" parts each introduced by a delimiter
 * line (transport padding of spaces/tabs allowed before its CRLF), header
 * lines ended by CRLF and an empty line, content up to the next CRLF
 * "--boundary", and the close delimiter "--boundary--" (epilogue ignored).
 * A "--boundary" not at a line start, or followed by other characters, is
 * content. Parts are matched by Content-Disposition: form-data; name=...
 * (token or quoted-string); parts without one are ignored. Missing
 * boundary, a part cut short, a header line without CRLF or colon, a folded
 * header line, or no close delimiter is CB_ERR_INVAL. */
int cb_form_parse_multipart(cb_span_t content_type, const char *body, size_t len,
                            const cb_form_fields_t *fields, cb_form_creds_t *out, const char **why);

/* JSON: one object (strict, via cb_json) whose members named by fields are
 * strings (escapes decoded); other members are ignored. */
int cb_form_parse_json(const char *body, size_t len, const cb_form_fields_t *fields,
                       cb_form_creds_t *out, const char **why);

/* HTTP Basic (RFC 7617): authorization is the header value "Basic <b64>"
 * (scheme case-insensitive, spaces after it); the standard base64 (padding
 * optional) decodes to "id:secret", split at the first ':'. No percent-
 * decoding is applied (what Postman and curl send). A missing ':' or bad
 * base64 is CB_ERR_INVAL; an empty id or secret CB_ERR_AUTH_MISSING; another
 * scheme CB_ERR_AUTH_MISSING. */
int cb_form_parse_basic(cb_span_t authorization, cb_form_creds_t *out, const char **why);

#endif
