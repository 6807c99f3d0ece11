/* cb_posix_siglog.c - the simulator's --signal-log FILE (SPEC 4): every
 * signal appended as one JSON line in a single write, so concurrent readers
 * (the e2e tests) never see an interleaved or partial line. */
#define _GNU_SOURCE
#include "cb_posix.h"
#include "cb_port.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static struct {
    int fd;
    bool warned;
    char line[64 * 1024]; /* a message line with its text (the body is <= 16 KiB) */
} s_siglog = {.fd = -1};

int cb_posix_siglog_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    s_siglog.fd = fd;
    return 0;
}

/* One write(2) of the whole line; O_APPEND makes it land at the end. A
 * line too big for the buffer goes out as one writev(2), also atomic on a
 * regular file. */
static ssize_t write_line(const char *json, size_t len)
{
    if (len + 1 <= sizeof s_siglog.line) {
        memcpy(s_siglog.line, json, len);
        s_siglog.line[len] = '\n';
        return write(s_siglog.fd, s_siglog.line, len + 1);
    }
    struct iovec iov[2] = {{(void *)json, len}, {(void *)"\n", 1}};
    return writev(s_siglog.fd, iov, 2);
}

bool cb_port_signal_log_enabled(void)
{
    return s_siglog.fd >= 0;
}

void cb_port_signal_log(const char *json, size_t len)
{
    if (s_siglog.fd < 0)
        return;
    ssize_t n;
    do {
        n = write_line(json, len);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)(len + 1) && !s_siglog.warned) {
        s_siglog.warned = true;
        cb_port_log(CB_LOG_ERROR, "signal log: write failed (%s)",
                    n < 0 ? strerror(errno) : "short write");
    }
}
