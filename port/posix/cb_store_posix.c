/* cb_store_posix.c - the storage part of cb_port.h for the host simulator:
 * each journal slot is a file appended with write() and flushed with
 * fdatasync(); a slot set aside is renamed <file>.corrupt-<unix time>.
 * Called by the core's journal; set up by cb_store_posix_init. */
#define _POSIX_C_SOURCE 200809L
#include "cb_store_posix.h"
#include "cb_err.h"
#include "cb_port.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DIR_MAX 4000

static const char *const k_names[CB_SLOT_COUNT] = {"journal-a.log", "journal-b.log"};

static struct {
    bool ready;
    char dir[DIR_MAX];
    uint32_t budget;
    bool fsync;
    int fd[CB_SLOT_COUNT];
    uint32_t size[CB_SLOT_COUNT]; /* bytes in the file, as we wrote them */
    int fault_errno;              /* CHATBELL_FAULT_STORE: 0 = off */
    unsigned long fault_after;
    unsigned long appends; /* successful appends, for the fault hook */
} s_store;

/* Logs a failed call with its errno and maps it: full disk or quota is
 * CB_ERR_NOSPC, everything else CB_ERR_STORAGE. */
static int fail(const char *what, const char *name, int err)
{
    if (name[0] == '/')
        cb_port_log(CB_LOG_ERROR, "store: %s %s: errno %d (%s)", what, name, err, strerror(err));
    else
        cb_port_log(CB_LOG_ERROR, "store: %s %s/%s: errno %d (%s)", what, s_store.dir, name, err,
                    strerror(err));
#ifdef EDQUOT
    if (err == EDQUOT)
        return CB_ERR_NOSPC;
#endif
    return err == ENOSPC ? CB_ERR_NOSPC : CB_ERR_STORAGE;
}

static bool usable(cb_slot_t slot)
{
    return s_store.ready && (unsigned)slot < CB_SLOT_COUNT && s_store.fd[slot] >= 0;
}

/* fsync on a directory makes a new entry in it durable. */
static int sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail("open directory", path, errno);
    int rc = CB_OK;
    if (fsync(fd) != 0 && errno != EINVAL) /* EINVAL: a filesystem that cannot */
        rc = fail("fsync directory", path, errno);
    close(fd);
    return rc;
}

/* fsyncs the directory holding path, so a new entry named path is durable. */
static int sync_parent(const char *path)
{
    char parent[DIR_MAX];
    size_t n = strlen(path);
    memcpy(parent, path, n + 1);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = '\0';
    char *slash = strrchr(parent, '/');
    if (!slash)
        memcpy(parent, ".", 2);
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    return sync_dir(parent);
}

/* mkdir -p, 0700 for what it makes; each directory made is fsynced into its
 * parent before the next one is made inside it (SPEC 5: on first start the
 * data dir's own entry must be durable, or the journal in it is not). */
static int make_dirs(const char *dir)
{
    char path[DIR_MAX];
    size_t len = strlen(dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if ((path[i] != '/' && path[i] != '\0') || path[i - 1] == '/')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) == 0) {
            if (sync_parent(path) != CB_OK)
                return CB_ERR_STORAGE;
        } else if (errno != EEXIST) {
            cb_port_log(CB_LOG_ERROR, "store: mkdir %s: errno %d (%s)", path, errno,
                        strerror(errno));
            return CB_ERR_STORAGE;
        }
        path[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cb_port_log(CB_LOG_ERROR, "store: %s is not a directory", dir);
        return CB_ERR_STORAGE;
    }
    return CB_OK;
}

/* "enospc:N" / "eio:N" -> s_store.fault_*; false when unreadable. */
static bool parse_fault(const char *v)
{
    const char *num;
    if (strncmp(v, "enospc:", 7) == 0) {
        s_store.fault_errno = ENOSPC;
        num = v + 7;
    } else if (strncmp(v, "eio:", 4) == 0) {
        s_store.fault_errno = EIO;
        num = v + 4;
    } else {
        return false;
    }
    if (*num < '0' || *num > '9')
        return false;
    char *end;
    errno = 0;
    s_store.fault_after = strtoul(num, &end, 10);
    return errno == 0 && *end == '\0';
}

void cb_store_posix_close(void)
{
    if (!s_store.ready)
        return;
    for (int i = 0; i < CB_SLOT_COUNT; i++) {
        if (s_store.fd[i] >= 0)
            close(s_store.fd[i]);
        s_store.fd[i] = -1;
    }
}

int cb_store_posix_init(const char *data_dir, uint32_t budget_bytes, bool fsync_on)
{
    cb_store_posix_close();
    memset(&s_store, 0, sizeof s_store);
    for (int i = 0; i < CB_SLOT_COUNT; i++)
        s_store.fd[i] = -1;
    if (!data_dir || !*data_dir || strlen(data_dir) >= DIR_MAX || budget_bytes == 0)
        return CB_ERR_INVAL;
    memcpy(s_store.dir, data_dir, strlen(data_dir) + 1);
    s_store.budget = budget_bytes;
    s_store.fsync = fsync_on;
    if (make_dirs(data_dir) != CB_OK)
        return CB_ERR_STORAGE;

    const char *hook = getenv("CHATBELL_FAULT_STORE");
    if (hook && *hook) {
        if (!parse_fault(hook)) {
            cb_port_log(CB_LOG_ERROR, "CHATBELL_FAULT_STORE: expected enospc:N or eio:N");
            return CB_ERR_INVAL;
        }
        cb_port_log(CB_LOG_WARN, "store: TEST HOOK: appends fail with %s after %lu",
                    s_store.fault_errno == ENOSPC ? "ENOSPC" : "EIO", s_store.fault_after);
    }
    s_store.ready = true;
    return CB_OK;
}

int cb_port_store_open(cb_slot_t slot, uint32_t *size_out)
{
    if (!s_store.ready || (unsigned)slot >= CB_SLOT_COUNT)
        return CB_ERR_STORAGE;
    const char *name = k_names[slot];
    char path[DIR_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", s_store.dir, name);
    int fd = s_store.fd[slot];
    if (fd < 0) {
        bool created = false;
        fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            created = fd >= 0;
            if (fd < 0 && errno == EEXIST) /* made meanwhile */
                fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
        }
        if (fd < 0) {
            fail("open", name, errno);
            return CB_ERR_STORAGE;
        }
        if (created && sync_dir(s_store.dir) != CB_OK) {
            close(fd);
            return CB_ERR_STORAGE;
        }
        s_store.fd[slot] = fd;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail("stat", name, errno);
        return CB_ERR_STORAGE;
    }
    if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > UINT32_MAX) {
        cb_port_log(CB_LOG_ERROR, "store: %s/%s is not a regular file under 4 GiB", s_store.dir,
                    name);
        return CB_ERR_STORAGE;
    }
    if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) == 0) /* it holds the device key */
        cb_port_log(CB_LOG_WARN, "store: %s/%s was readable by others; now 0600", s_store.dir,
                    name);
    s_store.size[slot] = (uint32_t)st.st_size;
    *size_out = s_store.size[slot];
    return CB_OK;
}

int cb_port_store_read(cb_slot_t slot, uint32_t off, void *buf, size_t len)
{
    if (!usable(slot))
        return CB_ERR_STORAGE;
    if (len > INT_MAX)
        len = INT_MAX;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(s_store.fd[slot], (char *)buf + got, len - got, (off_t)off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail("read", k_names[slot], errno);
            return CB_ERR_STORAGE;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (int)got;
}

int cb_port_store_append(cb_slot_t slot, const void *buf, size_t len)
{
    if (!usable(slot))
        return CB_ERR_STORAGE;
    const char *name = k_names[slot];
    if (s_store.size[slot] > s_store.budget || len > s_store.budget - s_store.size[slot]) {
        cb_port_log(CB_LOG_WARN, "store: %s/%s: budget of %u bytes reached", s_store.dir, name,
                    (unsigned)s_store.budget);
        return CB_ERR_NOSPC;
    }
    if (s_store.fault_errno && s_store.appends >= s_store.fault_after)
        return fail("write (CHATBELL_FAULT_STORE)", name, s_store.fault_errno);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(s_store.fd[slot], (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* a short write leaves a partial tail; the journal copes */
            int err = n < 0 ? errno : EIO;
            s_store.size[slot] += (uint32_t)done;
            return fail("write", name, err);
        }
        done += (size_t)n;
    }
    s_store.size[slot] += (uint32_t)len;
    s_store.appends++;
    return CB_OK;
}

int cb_port_store_sync(cb_slot_t slot)
{
    if (!usable(slot))
        return CB_ERR_STORAGE;
    if (!s_store.fsync)
        return CB_OK;
    while (fdatasync(s_store.fd[slot]) != 0) {
        if (errno != EINTR) {
            fail("fdatasync", k_names[slot], errno);
            return CB_ERR_STORAGE;
        }
    }
    return CB_OK;
}

int cb_port_store_erase(cb_slot_t slot)
{
    if (!usable(slot))
        return CB_ERR_STORAGE;
    const char *name = k_names[slot];
    while (ftruncate(s_store.fd[slot], 0) != 0) {
        if (errno != EINTR) {
            fail("truncate", name, errno);
            return CB_ERR_STORAGE;
        }
    }
    s_store.size[slot] = 0;
    while (s_store.fsync && fsync(s_store.fd[slot]) != 0) {
        if (errno != EINTR) {
            fail("fsync", name, errno);
            return CB_ERR_STORAGE;
        }
    }
    return CB_OK;
}

uint32_t cb_port_store_capacity(cb_slot_t slot)
{
    (void)slot;
    return s_store.budget;
}

int cb_port_store_set_aside(cb_slot_t slot)
{
    if (!usable(slot))
        return CB_ERR_STORAGE;
    const char *name = k_names[slot];
    char from[DIR_MAX + 32], to[DIR_MAX + 80];
    snprintf(from, sizeof from, "%s/%s", s_store.dir, name);
    long long now = (long long)time(NULL);
    for (int n = 0;; n++) { /* a name not taken yet: never overwrite an earlier one */
        if (n == 0)
            snprintf(to, sizeof to, "%s.corrupt-%lld", from, now);
        else
            snprintf(to, sizeof to, "%s.corrupt-%lld-%d", from, now, n);
        if (access(to, F_OK) != 0 || n == 99)
            break;
    }
    if (rename(from, to) != 0)
        return fail("rename (set aside)", name, errno);
    close(s_store.fd[slot]);
    s_store.fd[slot] = -1;
    s_store.size[slot] = 0;
    int fd = open(from, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail("open", name, errno);
    s_store.fd[slot] = fd;
    if (sync_dir(s_store.dir) != CB_OK)
        return CB_ERR_STORAGE;
    cb_port_log(CB_LOG_WARN, "store: %s set aside as %s", from, to);
    return CB_OK;
}
