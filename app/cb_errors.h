/* cb_errors.h - the one table of error replies (SPEC 2): each error code's
 * status, code text, message, extra headers, whether it closes the
 * connection and the counters it moves. cb_reply.c writes them. */
#ifndef CB_ERRORS_H
#define CB_ERRORS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    CB_E_NONE, /* no error (a verified credential); not a reply */
    CB_E_BAD_REQUEST,
    CB_E_NOT_IMPLEMENTED,
    CB_E_HTTP_VERSION,
    CB_E_LENGTH_REQUIRED,
    CB_E_URI_TOO_LONG,
    CB_E_HEADERS_TOO_LARGE,
    CB_E_BODY_TOO_LARGE,
    CB_E_TIMEOUT,
    CB_E_METHOD_NOT_ALLOWED,     /* on a POST-only path */
    CB_E_METHOD_NOT_ALLOWED_GET, /* on a GET/HEAD-only path */
    CB_E_EXPECTATION_FAILED,
    CB_E_NOT_FOUND,
    CB_E_UNSUPPORTED_MEDIA,
    CB_E_INVALID_JSON,
    CB_E_INVALID_EVENT,
    CB_E_MISSING_SIGNATURE,
    CB_E_INVALID_SIGNATURE,
    CB_E_MISSING_TOKEN,
    CB_E_INVALID_TOKEN,
    CB_E_EXPIRED_TOKEN,
    CB_E_INVALID_CLIENT,
    CB_E_RATE_LIMITED,
    CB_E_STALE_EVENT,
    CB_E_BUSY,
    CB_E_STORAGE_UNAVAILABLE,
    CB_E_INTERNAL,
    CB_E_NOT_PROVISIONED,        /* a board without stored settings (SPEC 9) */
    CB_E_INVALID_SETTINGS,       /* PUT /settings: a key or value refused */
    CB_E_METHOD_NOT_ALLOWED_PUT, /* on a PUT-only path */
    CB_E_COUNT
} cb_error_t;

/* No counter of that family. */
#define CB_NO_METRIC (-1)

typedef struct {
    int status;          /* HTTP status */
    const char *code;    /* "error" of the JSON body */
    const char *message; /* default "message": one human sentence */
    const char *extra;   /* "Name: value\r\n" lines, or NULL */
    bool close;          /* framing error: Connection: close (SPEC 2) */
    int result;          /* cb_result_t counted for a webhook request, or CB_NO_METRIC */
    int authf;           /* cb_authfail_t counted, or CB_NO_METRIC */
} cb_error_info_t;

/* The row of e (e < CB_E_COUNT). */
const cb_error_info_t *cb_errors_info(cb_error_t e);

/* The error whose code text is code (the HTTP reader names its framing
 * errors so); CB_E_BAD_REQUEST when none is. */
cb_error_t cb_errors_find(const char *code);

#endif
