/* cb_posix_random.c - cryptographically strong bytes for the core (device
 * keys, tokens) from the kernel's getrandom(2). */
#define _GNU_SOURCE
#include "cb_port.h"
#include "cb_err.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int cb_port_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cb_port_log(CB_LOG_ERROR, "getrandom failed: %s", strerror(errno));
            return CB_ERR_CRYPTO;
        }
        p += n;
        len -= (size_t)n;
    }
    return CB_OK;
}
