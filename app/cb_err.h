/* cb_err.h - the one error enum of the chatbell core.
 * Every function that can fail returns CB_OK (0) or a negative CB_ERR_*;
 * count-or-error functions return an int >= 0 on success. */
#ifndef CB_ERR_H
#define CB_ERR_H

typedef enum {
    CB_OK = 0,
    CB_ERR_AGAIN = -1,        /* need more input, or the operation would block */
    CB_ERR_INVAL = -2,        /* bad argument or malformed input */
    CB_ERR_NOMEM = -3,        /* a fixed table or buffer is full */
    CB_ERR_TOO_LARGE = -4,    /* input over a configured limit */
    CB_ERR_JSON = -5,         /* body is not acceptable JSON */
    CB_ERR_EVENT = -6,        /* JSON is fine but the chat event is not */
    CB_ERR_AUTH_MISSING = -7, /* no signature / token where one is required */
    CB_ERR_AUTH_INVALID = -8, /* signature / token does not verify */
    CB_ERR_AUTH_EXPIRED = -9, /* token verified but expired */
    CB_ERR_STORAGE = -10,     /* storage failed (I/O error, read-only) */
    CB_ERR_NOSPC = -11,       /* storage full */
    CB_ERR_CORRUPT = -12,     /* stored data failed its CRC or framing */
    CB_ERR_NOT_FOUND = -13,   /* no such record / key / slot */
    CB_ERR_BUSY = -14,        /* all connections / slots in use */
    CB_ERR_CLOCK = -15,       /* wall clock not trusted yet */
    CB_ERR_CRYPTO = -16,      /* the crypto library failed */
    CB_ERR_STALE = -17,       /* timestamp outside the replay window */
} cb_err_t;

/* Short constant name of an error ("CB_ERR_NOSPC"), for logs. Never NULL. */
const char *cb_err_str(int err);

#endif
