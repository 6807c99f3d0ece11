/* malloc_count.c - an LD_PRELOAD allocation counter for the benchmark
 * (run.sh): counts the heap calls of the process it is loaded into and
 * appends the counts to $MALLOC_COUNT_OUT on SIGUSR2 and at exit, so that the
 * counts at the end of a warm-up and at the end of a load run can be compared.
 * glibc only: it forwards to glibc's __libc_* entry points (no dlsym, which
 * would itself allocate). Built as a shared object: gcc -shared -fPIC. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

enum { C_MALLOC, C_CALLOC, C_REALLOC, C_MEMALIGN, C_FREE, C_COUNT };
static const char *const k_names[C_COUNT] = {"malloc", "calloc", "realloc", "memalign", "free"};

static struct {
    unsigned long n[C_COUNT];
    unsigned long bytes; /* requested by malloc, calloc, realloc, memalign */
} s_mc;

static void count(int which, size_t bytes)
{
    __atomic_add_fetch(&s_mc.n[which], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s_mc.bytes, bytes, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
    count(C_MALLOC, n);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    count(C_CALLOC, n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    count(C_REALLOC, n);
    return __libc_realloc(p, n);
}

void free(void *p)
{
    if (p)
        count(C_FREE, 0);
    __libc_free(p);
}

void *memalign(size_t align, size_t n)
{
    count(C_MEMALIGN, n);
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t n)
{
    return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

/* Appends s to buf at *len (async-signal-safe formatting). */
static void put_str(char *buf, size_t *len, const char *s)
{
    while (*s)
        buf[(*len)++] = *s++;
}

static void put_num(char *buf, size_t *len, unsigned long v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf[(*len)++] = tmp[--n];
}

/* One line: "<label> malloc N calloc N realloc N memalign N free N
 * allocs N bytes N". Async-signal-safe (open, write, close). */
static void dump(const char *label)
{
    const char *path = getenv("MALLOC_COUNT_OUT");
    if (!path)
        return;
    char line[320];
    size_t len = 0;
    unsigned long allocs = 0;
    put_str(line, &len, label);
    for (int i = 0; i < C_COUNT; i++) {
        unsigned long v = __atomic_load_n(&s_mc.n[i], __ATOMIC_RELAXED);
        put_str(line, &len, " ");
        put_str(line, &len, k_names[i]);
        put_str(line, &len, " ");
        put_num(line, &len, v);
        if (i != C_FREE)
            allocs += v;
    }
    put_str(line, &len, " allocs ");
    put_num(line, &len, allocs);
    put_str(line, &len, " bytes ");
    put_num(line, &len, __atomic_load_n(&s_mc.bytes, __ATOMIC_RELAXED));
    put_str(line, &len, "\n");
    int saved = errno;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, line, len);
        (void)w;
        close(fd);
    }
    errno = saved;
}

static void on_usr2(int sig)
{
    (void)sig;
    dump("snapshot");
}

__attribute__((constructor)) static void mc_start(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
}

__attribute__((destructor)) static void mc_stop(void)
{
    dump("exit");
}
