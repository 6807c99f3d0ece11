/* cb_errors.c - the table of error replies (cb_errors.h): SPEC 2's codes and
 * statuses in one place, so no handler spells a status or a code. */
#include "cb_errors.h"
#include "cb_metrics.h"

#include <string.h>

#define BEARER      "WWW-Authenticate: Bearer realm=\"chatbell\""
#define RETRY_LATER "Retry-After: 5\r\n"
#define R(x)        CB_RES_##x
#define A(x)        CB_AUTHF_##x
#define NO          CB_NO_METRIC

/* clang-format off */
static const cb_error_info_t s_errors[CB_E_COUNT] = {
    [CB_E_BAD_REQUEST] = {400, "bad_request", "The request is malformed.", NULL, true, NO, NO},
    [CB_E_NOT_IMPLEMENTED] = {501, "not_implemented", "The method is not implemented.", NULL, true, NO, NO},
    [CB_E_HTTP_VERSION] = {505, "http_version", "Only HTTP/1.0 and HTTP/1.1 are served.", NULL, true, NO, NO},
    [CB_E_LENGTH_REQUIRED] = {411, "length_required", "A POST needs Content-Length or chunked.", NULL, true, NO, NO},
    [CB_E_URI_TOO_LONG] = {414, "uri_too_long", "The request line is too long.", NULL, true, NO, NO},
    [CB_E_HEADERS_TOO_LARGE] = {431, "headers_too_large", "The headers are too large.", NULL, true, NO, NO},
    [CB_E_BODY_TOO_LARGE] = {413, "body_too_large", "The body is over the limit.", NULL, true, NO, NO},
    [CB_E_TIMEOUT] = {408, "timeout", "The request did not arrive in time.", NULL, true, NO, NO},
    [CB_E_METHOD_NOT_ALLOWED] = {405, "method_not_allowed", "The method is not allowed on this path.", "Allow: POST\r\n", false, NO, NO},
    [CB_E_METHOD_NOT_ALLOWED_GET] = {405, "method_not_allowed", "The method is not allowed on this path.", "Allow: GET, HEAD\r\n", false, NO, NO},
    [CB_E_EXPECTATION_FAILED] = {417, "expectation_failed", "Only Expect: 100-continue is supported.", NULL, true, NO, NO},
    [CB_E_NOT_FOUND] = {404, "not_found", "There is nothing at this path.", NULL, false, NO, NO},
    [CB_E_UNSUPPORTED_MEDIA] = {415, "unsupported_media_type", "Content-Type must be application/json.", NULL, false, R(UNSUPPORTED_MEDIA), NO},
    [CB_E_INVALID_JSON] = {400, "invalid_json", "The body is not one JSON object.", NULL, false, R(INVALID_JSON), NO},
    [CB_E_INVALID_EVENT] = {400, "invalid_event", "The event is not valid.", NULL, false, R(INVALID_EVENT), NO},
    [CB_E_MISSING_SIGNATURE] = {401, "missing_signature", "No InstaLeap-Signature or InstaLeap-Signature-V3 header was sent.", NULL, false, R(UNAUTHORIZED), A(MISSING_SIGNATURE)},
    [CB_E_INVALID_SIGNATURE] = {401, "invalid_signature", "The signature does not match the event.", NULL, false, R(UNAUTHORIZED), A(INVALID_SIGNATURE)},
    [CB_E_MISSING_TOKEN] = {401, "missing_token", "No token was sent.", BEARER "\r\n", false, R(UNAUTHORIZED), A(MISSING_TOKEN)},
    [CB_E_INVALID_TOKEN] = {401, "invalid_token", "The token is not valid.", BEARER ", error=\"invalid_token\"\r\n", false, R(UNAUTHORIZED), A(INVALID_TOKEN)},
    [CB_E_EXPIRED_TOKEN] = {401, "expired_token", "The token has expired; renew it.", BEARER ", error=\"invalid_token\", error_description=\"expired\"\r\n", false, R(UNAUTHORIZED), A(EXPIRED_TOKEN)},
    [CB_E_INVALID_CLIENT] = {401, "invalid_client", "The client credentials are not valid.", "WWW-Authenticate: Basic realm=\"chatbell\"\r\n", false, NO, A(INVALID_CLIENT)},
    /* Retry-After is the time left of the block: cb_reply_err_after */
    [CB_E_RATE_LIMITED] = {429, "rate_limited", "Too many failed authentications; retry later.", NULL, false, R(RATE_LIMITED), NO},
    [CB_E_STALE_EVENT] = {400, "stale_event", "The event's timestamp is outside the replay window.", NULL, false, R(STALE), NO},
    [CB_E_BUSY] = {503, "busy", "Too many connections; retry later.", "Retry-After: 1\r\n", true, NO, NO},
    [CB_E_STORAGE_UNAVAILABLE] = {503, "storage_unavailable", "The event could not be stored; retry later.", RETRY_LATER, false, R(STORAGE_UNAVAILABLE), NO},
    [CB_E_INTERNAL] = {500, "internal", "Something went wrong inside the device.", NULL, false, NO, NO},
    [CB_E_NOT_PROVISIONED] = {503, "not_provisioned", "The device has no settings yet; set it up on its console.", RETRY_LATER, false, NO, NO},
    [CB_E_INVALID_SETTINGS] = {400, "invalid_settings", "A setting was refused.", NULL, false, NO, NO},
    [CB_E_METHOD_NOT_ALLOWED_PUT] = {405, "method_not_allowed", "The method is not allowed on this path.", "Allow: PUT\r\n", false, NO, NO},
};
/* clang-format on */

const cb_error_info_t *cb_errors_info(cb_error_t e)
{
    return &s_errors[(unsigned)e < CB_E_COUNT && e != CB_E_NONE ? e : CB_E_INTERNAL];
}

cb_error_t cb_errors_find(const char *code)
{
    for (int e = CB_E_NONE + 1; code && e < CB_E_COUNT; e++)
        if (strcmp(s_errors[e].code, code) == 0)
            return (cb_error_t)e;
    return CB_E_BAD_REQUEST;
}
