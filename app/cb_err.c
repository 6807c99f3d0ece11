/* cb_err.c - names of the core's error codes, for log lines. */
#include "cb_err.h"

const char *cb_err_str(int err)
{
    switch (err) {
    case CB_OK:
        return "CB_OK";
    case CB_ERR_AGAIN:
        return "CB_ERR_AGAIN";
    case CB_ERR_INVAL:
        return "CB_ERR_INVAL";
    case CB_ERR_NOMEM:
        return "CB_ERR_NOMEM";
    case CB_ERR_TOO_LARGE:
        return "CB_ERR_TOO_LARGE";
    case CB_ERR_JSON:
        return "CB_ERR_JSON";
    case CB_ERR_EVENT:
        return "CB_ERR_EVENT";
    case CB_ERR_AUTH_MISSING:
        return "CB_ERR_AUTH_MISSING";
    case CB_ERR_AUTH_INVALID:
        return "CB_ERR_AUTH_INVALID";
    case CB_ERR_AUTH_EXPIRED:
        return "CB_ERR_AUTH_EXPIRED";
    case CB_ERR_STORAGE:
        return "CB_ERR_STORAGE";
    case CB_ERR_NOSPC:
        return "CB_ERR_NOSPC";
    case CB_ERR_CORRUPT:
        return "CB_ERR_CORRUPT";
    case CB_ERR_NOT_FOUND:
        return "CB_ERR_NOT_FOUND";
    case CB_ERR_BUSY:
        return "CB_ERR_BUSY";
    case CB_ERR_CLOCK:
        return "CB_ERR_CLOCK";
    case CB_ERR_CRYPTO:
        return "CB_ERR_CRYPTO";
    case CB_ERR_STALE:
        return "CB_ERR_STALE";
    }
    return "CB_ERR_?";
}
