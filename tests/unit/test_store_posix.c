/* test_store_posix.c - unit tests for the simulator's file storage
 * (port/posix/cb_store_posix.c, linked in directly) on real files in a temp
 * directory: permissions, reopen, erase, budget, the CHATBELL_FAULT_STORE hook,
 * and the journal running over it. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_err.h"
#include "cb_crc32.h"
#include "cb_journal.h"
#include "cb_record.h"
#include "cb_port.h"
#include "cb_store_posix.h"
#include "fake_port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUDGET (1024u * 1024u)

static char s_dir[64];

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", s_dir, name);
}

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    unsetenv("CHATBELL_FAULT_STORE");
    snprintf(s_dir, sizeof s_dir, "/tmp/cb-store-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    return cb_store_posix_init(s_dir, BUDGET, true) == CB_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cb_store_posix_close();
    unsetenv("CHATBELL_FAULT_STORE");
    char p[128];
    const char *names[] = {"journal-a.log", "journal-b.log", "sub/journal-a.log",
                           "sub/journal-b.log", "sub"};
    for (unsigned i = 0; i < 5; i++) {
        path_of(p, sizeof p, names[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    return rmdir(s_dir);
}

static unsigned mode_of(const char *name)
{
    char p[128];
    struct stat st;
    path_of(p, sizeof p, name);
    assert_int_equal(stat(p, &st), 0);
    return (unsigned)(st.st_mode & 0777);
}

static long size_of(const char *name)
{
    char p[128];
    struct stat st;
    path_of(p, sizeof p, name);
    assert_int_equal(stat(p, &st), 0);
    return (long)st.st_size;
}

static void test_store_posix_creates_slot_files_0600_and_reads_back(void **state)
{
    (void)state;
    uint32_t size = 99;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(size, 0);
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_B, &size), CB_OK);
    assert_int_equal(mode_of("journal-a.log"), 0600);
    assert_int_equal(mode_of("journal-b.log"), 0600);

    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "hello", 5), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, " world", 6), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK);
    char buf[64];
    assert_int_equal(cb_port_store_read(CB_SLOT_JOURNAL_A, 0, buf, 11), 11);
    assert_memory_equal(buf, "hello world", 11);
    assert_int_equal(cb_port_store_read(CB_SLOT_JOURNAL_A, 6, buf, sizeof buf), 5); /* short */
    assert_memory_equal(buf, "world", 5);
    assert_int_equal(cb_port_store_read(CB_SLOT_JOURNAL_A, 500, buf, sizeof buf), 0);
    assert_int_equal(size_of("journal-a.log"), 11);
    assert_int_equal(size_of("journal-b.log"), 0);
    assert_int_equal(cb_port_store_capacity(CB_SLOT_JOURNAL_B), BUDGET);
}

static void test_store_posix_reopen_keeps_contents(void **state)
{
    (void)state;
    uint32_t size;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_B, &size), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, "abcdef", 6), CB_OK);
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_B), CB_OK);
    cb_store_posix_close();
    cb_store_posix_close(); /* safe twice */
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, "x", 1), CB_ERR_STORAGE);
    assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_OK);
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_B, &size), CB_OK);
    assert_int_equal(size, 6);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_B, "gh", 2), CB_OK);
    char buf[8];
    assert_int_equal(cb_port_store_read(CB_SLOT_JOURNAL_B, 0, buf, 8), 8);
    assert_memory_equal(buf, "abcdefgh", 8);
}

static void test_store_posix_erase_empties_the_file_and_appends_restart_at_zero(void **state)
{
    (void)state;
    uint32_t size;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "0123456789", 10), CB_OK);
    assert_int_equal(cb_port_store_erase(CB_SLOT_JOURNAL_A), CB_OK);
    assert_int_equal(size_of("journal-a.log"), 0);
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(size, 0);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "xy", 2), CB_OK);
    char buf[4];
    assert_int_equal(cb_port_store_read(CB_SLOT_JOURNAL_A, 0, buf, 4), 2);
    assert_memory_equal(buf, "xy", 2);
}

static void test_store_posix_budget_gives_nospc_and_writes_nothing(void **state)
{
    (void)state;
    assert_int_equal(cb_store_posix_init(s_dir, 16, true), CB_OK);
    uint32_t size;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(cb_port_store_capacity(CB_SLOT_JOURNAL_A), 16);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "0123456789", 10), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "0123456", 7), CB_ERR_NOSPC);
    assert_int_equal(size_of("journal-a.log"), 10);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "012345", 6), CB_OK);
    assert_int_equal(cb_port_store_erase(CB_SLOT_JOURNAL_A), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "0123456", 7), CB_OK);
}

static void test_store_posix_fault_hook_fails_appends_after_n(void **state)
{
    (void)state;
    uint32_t size;
    setenv("CHATBELL_FAULT_STORE", "enospc:2", 1);
    assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_OK);
    assert_true(fake_port_log_contains("TEST HOOK"));
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "a", 1), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "b", 1), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "c", 1), CB_ERR_NOSPC);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "d", 1), CB_ERR_NOSPC);
    char msg[64];
    snprintf(msg, sizeof msg, "errno %d (%s)", ENOSPC, strerror(ENOSPC));
    assert_true(fake_port_log_contains(msg));
    assert_int_equal(size_of("journal-a.log"), 2);

    setenv("CHATBELL_FAULT_STORE", "eio:0", 1);
    assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_OK);
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "e", 1), CB_ERR_STORAGE);
    snprintf(msg, sizeof msg, "errno %d (%s)", EIO, strerror(EIO));
    assert_true(fake_port_log_contains(msg));
    assert_int_equal(cb_port_store_sync(CB_SLOT_JOURNAL_A), CB_OK); /* appends only */
}

static void test_store_posix_rejects_bad_fault_hook_and_arguments(void **state)
{
    (void)state;
    static const char *bad[] = {"enospc", "enospc:", "eio:x", "eio:1x", "eio:-1", "full:1"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("CHATBELL_FAULT_STORE", bad[i], 1);
        assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_ERR_INVAL);
    }
    unsetenv("CHATBELL_FAULT_STORE");
    uint32_t size;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_ERR_STORAGE); /* not set up */
    assert_int_equal(cb_store_posix_init("", BUDGET, true), CB_ERR_INVAL);
    assert_int_equal(cb_store_posix_init(s_dir, 0, true), CB_ERR_INVAL);
    char file[128];
    path_of(file, sizeof file, "journal-a.log");
    int fd = open(file, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cb_store_posix_init(file, BUDGET, true), CB_ERR_STORAGE); /* not a dir */
    assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_OK);
}

static void test_store_posix_tightens_loose_permissions(void **state)
{
    (void)state;
    char p[128];
    path_of(p, sizeof p, "journal-b.log");
    int fd = open(p, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0644), 0);
    close(fd);
    uint32_t size;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_B, &size), CB_OK);
    assert_int_equal(mode_of("journal-b.log"), 0600);
}

/* fsync is wrapped (-Wl,--wrap=fsync, tests/CMakeLists.txt): the paths of
 * the descriptors fsynced, so a test can see which directories were. */
int __real_fsync(int fd);
int __wrap_fsync(int fd);
static struct {
    unsigned n;
    char path[16][128];
} s_fsynced;

int __wrap_fsync(int fd)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    if (s_fsynced.n < 16) {
        ssize_t n = readlink(link, s_fsynced.path[s_fsynced.n], sizeof s_fsynced.path[0] - 1);
        s_fsynced.path[s_fsynced.n][n > 0 ? n : 0] = '\0';
        s_fsynced.n++;
    }
    return __real_fsync(fd);
}

static bool was_fsynced(const char *path)
{
    for (unsigned i = 0; i < s_fsynced.n && i < 16; i++)
        if (strcmp(s_fsynced.path[i], path) == 0)
            return true;
    return false;
}

static void test_store_posix_init_creates_the_data_dir(void **state)
{
    (void)state;
    char sub[128];
    path_of(sub, sizeof sub, "sub");
    assert_int_equal(cb_store_posix_init(sub, BUDGET, true), CB_OK);
    assert_int_equal(mode_of("sub") & 0077, 0);
    uint32_t size;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(mode_of("sub/journal-a.log"), 0600);
}

/* Hole 3 of issue 12: the data dir and its missing parents are made by the
 * store, each fsynced into its parent (before, main.c made them first and the
 * store's own mkdir found them there: no parent was ever fsynced). */
static void test_store_posix_init_fsyncs_every_directory_it_makes_into_its_parent(void **state)
{
    (void)state;
    char dir[128], p1[128], p2[128];
    path_of(dir, sizeof dir, "sub/deeper/data");
    path_of(p1, sizeof p1, "sub");
    path_of(p2, sizeof p2, "sub/deeper");
    memset(&s_fsynced, 0, sizeof s_fsynced);
    assert_int_equal(cb_store_posix_init(dir, BUDGET, true), CB_OK);
    assert_true(was_fsynced(s_dir)); /* holds sub */
    assert_true(was_fsynced(p1));    /* holds deeper */
    assert_true(was_fsynced(p2));    /* holds data */
    assert_int_equal(mode_of("sub/deeper/data") & 0077, 0);
    /* an existing dir is made by no one: nothing to fsync */
    memset(&s_fsynced, 0, sizeof s_fsynced);
    assert_int_equal(cb_store_posix_init(dir, BUDGET, true), CB_OK);
    assert_int_equal(s_fsynced.n, 0);
    char p[160];
    path_of(p, sizeof p, "sub/deeper/data");
    rmdir(p);
    path_of(p, sizeof p, "sub/deeper");
    rmdir(p);
}

/* SPEC 5: a slot that cannot be read is set aside as <file>.corrupt-<time>,
 * never erased; the journal starts in an empty file of the same name. */
static void test_store_posix_set_aside_renames_the_file_and_starts_an_empty_one(void **state)
{
    (void)state;
    uint32_t size;
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "garbage!", 8), CB_OK);
    assert_int_equal(cb_port_store_set_aside(CB_SLOT_JOURNAL_A), CB_OK);
    assert_int_equal(cb_port_store_open(CB_SLOT_JOURNAL_A, &size), CB_OK);
    assert_int_equal(size, 0);
    assert_int_equal(mode_of("journal-a.log"), 0600);
    /* a second one in the same second gets a name of its own */
    assert_int_equal(cb_port_store_append(CB_SLOT_JOURNAL_A, "more", 4), CB_OK);
    assert_int_equal(cb_port_store_set_aside(CB_SLOT_JOURNAL_A), CB_OK);
    DIR *d = opendir(s_dir);
    assert_non_null(d);
    struct dirent *e;
    unsigned found = 0, bytes = 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "journal-a.log.corrupt-", 22) != 0)
            continue;
        char p[400];
        snprintf(p, sizeof p, "%s/%.300s", s_dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        bytes += (unsigned)st.st_size;
        found++;
        unlink(p);
    }
    closedir(d);
    assert_int_equal(found, 2);
    assert_int_equal(bytes, 12);
    assert_true(fake_port_log_contains("set aside"));
}

/* ---- the journal on real files ---- */

static unsigned s_n;
static uint32_t s_hash;

static void collect(uint8_t type, const uint8_t *p, size_t len, uint32_t off, void *ctx)
{
    (void)off;
    (void)ctx;
    s_hash = cb_crc32(cb_crc32(s_hash, &type, 1), p, len);
    s_n++;
}

static int open_count(void)
{
    s_n = 0;
    s_hash = 0;
    return cb_journal_open(collect, NULL);
}

static void test_store_posix_journal_round_trip_and_torn_tail(void **state)
{
    (void)state;
    for (int fs = 0; fs < 2; fs++) {
        assert_int_equal(cb_store_posix_init(s_dir, BUDGET, fs == 1), CB_OK);
        assert_int_equal(open_count(), CB_OK);
        unsigned n0 = s_n;
        uint8_t payload[300];
        for (unsigned i = 0; i < 20; i++) {
            memset(payload, (int)i, sizeof payload);
            assert_int_equal(cb_journal_append(CB_REC_EVENT, payload, 10 + i * 13), CB_OK);
        }
        assert_int_equal(cb_journal_sync(), CB_OK);
        s_n = 0;
        s_hash = 0;
        assert_int_equal(cb_journal_replay(collect, NULL), CB_OK);
        uint32_t hash = s_hash;
        assert_int_equal(s_n, n0 + 20);

        cb_store_posix_close();
        /* a torn record at the end of the active file, as a crash leaves it */
        char p[128];
        path_of(p, sizeof p,
                size_of("journal-a.log") > size_of("journal-b.log") ? "journal-a.log"
                                                                    : "journal-b.log");
        int fd = open(p, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "\xCB\x01\x40\x00\x00\x00torn", 10), 10);
        close(fd);

        assert_int_equal(cb_store_posix_init(s_dir, BUDGET, fs == 1), CB_OK);
        assert_int_equal(open_count(), CB_OK);
        assert_int_equal(s_n, n0 + 20);
        assert_int_equal(s_hash, hash);
        assert_true(fake_port_log_contains("tail cut"));
        assert_int_equal(cb_journal_append(CB_REC_ACK, "abcd", 4), CB_OK);
        assert_int_equal(cb_journal_sync(), CB_OK);
        cb_store_posix_close();
        assert_int_equal(cb_store_posix_init(s_dir, BUDGET, fs == 1), CB_OK);
        assert_int_equal(open_count(), CB_OK);
        assert_int_equal(s_n, n0 + 21);
        /* one slot file is empty after the switch */
        assert_true(size_of("journal-a.log") == 0 || size_of("journal-b.log") == 0);
    }
}

static void test_store_posix_fault_hook_makes_journal_appends_fail(void **state)
{
    (void)state;
    /* a first start appends two records of its own (header, commit) */
    setenv("CHATBELL_FAULT_STORE", "enospc:2", 1);
    assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_OK);
    assert_int_equal(open_count(), CB_OK);
    assert_int_equal(cb_journal_append(CB_REC_ACK, "abcd", 4), CB_ERR_NOSPC);
    cb_store_posix_close();

    setenv("CHATBELL_FAULT_STORE", "eio:0", 1);
    assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_OK);
    assert_int_equal(open_count(), CB_OK); /* a clean journal needs no write to open */
    assert_int_equal(cb_journal_append(CB_REC_ACK, "abcd", 4), CB_ERR_STORAGE);
    assert_int_equal(cb_journal_append(CB_REC_ACK, "abcd", 4), CB_ERR_STORAGE);
    cb_store_posix_close();

    unsetenv("CHATBELL_FAULT_STORE");
    assert_int_equal(cb_store_posix_init(s_dir, BUDGET, true), CB_OK);
    assert_int_equal(open_count(), CB_OK);
    assert_int_equal(s_n, 0);
    assert_int_equal(cb_journal_append(CB_REC_ACK, "abcd", 4), CB_OK);
    assert_int_equal(cb_journal_sync(), CB_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_posix_creates_slot_files_0600_and_reads_back,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_reopen_keeps_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_posix_erase_empties_the_file_and_appends_restart_at_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_budget_gives_nospc_and_writes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_fault_hook_fails_appends_after_n, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_rejects_bad_fault_hook_and_arguments,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_tightens_loose_permissions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_store_posix_init_fsyncs_every_directory_it_makes_into_its_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_posix_set_aside_renames_the_file_and_starts_an_empty_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_init_creates_the_data_dir, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_journal_round_trip_and_torn_tail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_posix_fault_hook_makes_journal_appends_fail,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
