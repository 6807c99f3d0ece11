/* main.c - chatbell-journal DATA_DIR: prints every record of a chatbell
 * journal as one JSON line, read through the core (cb_journal_open). Used by
 * the crash tests (tests/e2e/test_crash.py) and by people looking at a data
 * dir. The slot files are copied into a private temp dir first, so the
 * journal itself is never touched (the core may cut a torn tail of the copy). */
#define _GNU_SOURCE
#include "cb_err.h"
#include "cb_journal.h"
#include "cb_jsonw.h"
#include "cb_port.h"
#include "cb_posix.h"
#include "cb_record.h"
#include "cb_store_posix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_BAD   1 /* no journal, unreadable, or a record that does not decode */
#define EXIT_USAGE 2

static const char *const k_slots[CB_SLOT_COUNT] = {"journal-a.log", "journal-b.log"};

static struct {
    char tmp[4096];
    bool bad;                               /* a record did not decode */
    char line[6 * CB_CFG_RECORD_MAX + 512]; /* worst case: every byte a \u00XX */
} s_tool;

static void usage(FILE *f)
{
    fprintf(f, "usage: chatbell-journal DATA_DIR\n"
               "Prints each record of the journal in DATA_DIR as one JSON line:\n"
               "  {\"type\":\"event\",\"seq\":N,\"job_id\":...,\"created_at\":...,"
               "\"client_id\":...,\"sender\":...,\"text\":...}\n"
               "  {\"type\":\"ack\",\"seq\":N}  {\"type\":\"seen\",\"seq\":N}  "
               "{\"type\":\"state\",\"next_seq\":N}  {\"type\":\"flags\",\"flags\":N}\n"
               "  {\"type\":\"key\"}\n"
               "A run of remembered keys (compaction) is one \"seen\" line per key.\n"
               "Damage: {\"type\":\"skipped\",\"slot\":\"A\",\"offset\":N,\"bytes\":N} per "
               "damaged range\n"
               "(the records after it are printed), {\"type\":\"damage\",...} totals, and\n"
               "{\"type\":\"set_aside\",\"file\":...,\"bytes\":N} per file chatbell set aside.\n"
               "An event's absent fields are left out; id, event_type (the event's\n"
               "\"type\") and timestamp appear when the event had them.\n"
               "The journal is read from a private copy; DATA_DIR is never written.\n"
               "Exit 0; 1 when there is no journal, it cannot be read, or a record or\n"
               "range is damaged; 2 on bad usage. CHATBELL_LOG=warn quiets the core's log.\n");
}

static void emit(cb_jsonw_t *w)
{
    int n = cb_jsonw_finish(w);
    if (n < 0) { /* cannot happen with the buffer sized above */
        fprintf(stderr, "chatbell-journal: record too large to print\n");
        s_tool.bad = true;
        return;
    }
    s_tool.line[n] = '\n';
    fwrite(s_tool.line, 1, (size_t)n + 1, stdout);
}

/* "key":"value"; an absent field is left out (the writer has no null). */
static void kv_span(cb_jsonw_t *w, const char *key, cb_span_t s)
{
    if (s.p)
        cb_jsonw_kv_str(w, key, s.p, s.len);
}

/* The fixed-size records, by the layout the ledger writes (cb_record.h). */
static bool small_record(cb_jsonw_t *w, uint8_t type, const uint8_t *payload, size_t len)
{
    cb_record_small_t r;
    if (cb_record_small_decode(type, payload, len, &r) != CB_OK)
        return false;
    switch (type) {
    case CB_REC_ACK:
        cb_jsonw_kv_cstr(w, "type", "ack");
        cb_jsonw_kv_u64(w, "seq", r.value);
        break;
    case CB_REC_SEEN:
        cb_jsonw_kv_cstr(w, "type", "seen");
        cb_jsonw_kv_u64(w, "seq", r.value);
        break;
    case CB_REC_STATE:
        cb_jsonw_kv_cstr(w, "type", "state");
        cb_jsonw_kv_u64(w, "next_seq", r.value);
        break;
    default: /* CB_REC_FLAGS */
        cb_jsonw_kv_cstr(w, "type", "flags");
        cb_jsonw_kv_u64(w, "flags", r.value);
        break;
    }
    return true;
}

static bool seen_run(const uint8_t *payload, size_t len)
{
    uint32_t first;
    size_t n;
    if (cb_record_run_decode(payload, len, &first, &n) != CB_OK)
        return false;
    for (size_t i = 0; i < n; i++) {
        cb_jsonw_t w;
        cb_jsonw_init(&w, s_tool.line, sizeof s_tool.line - 1);
        cb_jsonw_obj_begin(&w);
        cb_jsonw_kv_cstr(&w, "type", "seen");
        cb_jsonw_kv_u64(&w, "seq", first + (uint32_t)i);
        cb_jsonw_obj_end(&w);
        emit(&w);
    }
    return true;
}

static void visit(uint8_t type, const uint8_t *payload, size_t len, uint32_t off, void *ctx)
{
    (void)ctx;
    cb_jsonw_t w;
    cb_record_event_t r;
    cb_jsonw_init(&w, s_tool.line, sizeof s_tool.line - 1);
    cb_jsonw_obj_begin(&w);
    switch (type) {
    case CB_REC_EVENT:
        if (cb_record_event_decode(payload, len, &r) != CB_OK)
            goto damaged;
        cb_jsonw_kv_cstr(&w, "type", "event");
        cb_jsonw_kv_u64(&w, "seq", r.seq);
        kv_span(&w, "job_id", r.ev.job_id);
        kv_span(&w, "created_at", r.ev.created_at);
        kv_span(&w, "client_id", r.ev.client_id);
        kv_span(&w, "sender", r.ev.sender);
        kv_span(&w, "text", r.ev.text);
        /* the other signed fields (the duplicate key's inputs) */
        kv_span(&w, "id", r.ev.id);
        kv_span(&w, "event_type", r.ev.type);
        kv_span(&w, "timestamp", r.ev.timestamp);
        break;
    case CB_REC_ACK:
    case CB_REC_SEEN:
    case CB_REC_STATE:
    case CB_REC_FLAGS:
        if (!small_record(&w, type, payload, len))
            goto damaged;
        break;
    case CB_REC_SEENS: /* a run of remembered keys: one "seen" line each */
        if (!seen_run(payload, len))
            goto damaged;
        return;
    case CB_REC_KEY: /* never the key's bytes */
        if (len != CB_DEVKEY_LEN)
            goto damaged;
        cb_jsonw_kv_cstr(&w, "type", "key");
        break;
    default: /* a newer firmware's record: the core skips it too */
        cb_jsonw_kv_cstr(&w, "type", "unknown");
        cb_jsonw_kv_u64(&w, "code", type);
        cb_jsonw_kv_u64(&w, "len", len);
        break;
    }
    cb_jsonw_obj_end(&w);
    emit(&w);
    return;
damaged:
    s_tool.bad = true;
    fprintf(stderr, "chatbell-journal: record of type %u at offset %u (%zu bytes) is damaged\n",
            (unsigned)type, (unsigned)off, len);
    cb_jsonw_init(&w, s_tool.line, sizeof s_tool.line - 1);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "type", "damaged");
    cb_jsonw_kv_u64(&w, "code", type);
    cb_jsonw_kv_u64(&w, "len", len);
    cb_jsonw_obj_end(&w);
    emit(&w);
}

/* What the open found damaged in the copy: skipped ranges, a bad header,
 * slots chatbell would set aside at its next start. */
static void report_damage(void)
{
    cb_journal_damage_t d;
    cb_journal_damage(&d);
    char slot[2] = {d.slot == CB_SLOT_JOURNAL_A ? 'A' : 'B', '\0'};
    for (uint32_t i = 0; i < d.skipped_ranges && i < CB_JOURNAL_RANGES_MAX; i++) {
        cb_jsonw_t w;
        cb_jsonw_init(&w, s_tool.line, sizeof s_tool.line - 1);
        cb_jsonw_obj_begin(&w);
        cb_jsonw_kv_cstr(&w, "type", "skipped");
        cb_jsonw_kv_cstr(&w, "slot", slot);
        cb_jsonw_kv_u64(&w, "offset", d.range[i].off);
        cb_jsonw_kv_u64(&w, "bytes", d.range[i].len);
        if (i == 0 && d.header_bad)
            cb_jsonw_kv_cstr(&w, "what", "header");
        cb_jsonw_obj_end(&w);
        emit(&w);
    }
    if (d.skipped_ranges > CB_JOURNAL_RANGES_MAX || d.skipped_bytes || d.set_aside) {
        cb_jsonw_t w;
        cb_jsonw_init(&w, s_tool.line, sizeof s_tool.line - 1);
        cb_jsonw_obj_begin(&w);
        cb_jsonw_kv_cstr(&w, "type", "damage");
        cb_jsonw_kv_u64(&w, "skipped_bytes", d.skipped_bytes);
        cb_jsonw_kv_u64(&w, "skipped_ranges", d.skipped_ranges);
        cb_jsonw_kv_u64(&w, "slots_set_aside", d.set_aside);
        cb_jsonw_obj_end(&w);
        emit(&w);
        s_tool.bad = true;
    }
}

/* Files chatbell set aside earlier (<slot file>.corrupt-<time>) in dir. */
static void report_set_aside(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        bool ours = false;
        for (int i = 0; i < CB_SLOT_COUNT; i++) {
            size_t n = strlen(k_slots[i]);
            ours |= strncmp(e->d_name, k_slots[i], n) == 0 &&
                    strncmp(e->d_name + n, ".corrupt-", 9) == 0;
        }
        if (!ours)
            continue;
        char path[4096 + 300];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cb_jsonw_t w;
        cb_jsonw_init(&w, s_tool.line, sizeof s_tool.line - 1);
        cb_jsonw_obj_begin(&w);
        cb_jsonw_kv_cstr(&w, "type", "set_aside");
        cb_jsonw_kv_cstr(&w, "file", e->d_name);
        if (stat(path, &st) == 0)
            cb_jsonw_kv_u64(&w, "bytes", (uint64_t)st.st_size);
        cb_jsonw_obj_end(&w);
        emit(&w);
    }
    closedir(dh);
}

/* Copies src to dst (created 0600); 0 or -errno. ENOENT when src is absent. */
static int copy_file(const char *src, const char *dst)
{
    static char buf[64 * 1024];
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        int e = errno;
        close(in);
        return -e;
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t m = write(out, buf + done, (size_t)(n - done));
            if (m < 0 && errno == EINTR)
                continue;
            if (m <= 0) {
                rc = m < 0 ? -errno : -EIO;
                break;
            }
            done += m;
        }
        if (rc != 0)
            break;
    }
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* Removes the copy: the slot files and what the open set aside there. */
static void remove_tmp(void)
{
    char path[sizeof s_tool.tmp + 300];
    if (!s_tool.tmp[0])
        return;
    cb_store_posix_close();
    DIR *dh = opendir(s_tool.tmp);
    struct dirent *e;
    while (dh && (e = readdir(dh)) != NULL) {
        if (strncmp(e->d_name, "journal-", 8) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%.255s", s_tool.tmp, e->d_name);
        unlink(path);
    }
    if (dh)
        closedir(dh);
    rmdir(s_tool.tmp);
    s_tool.tmp[0] = '\0';
}

/* Copies DATA_DIR's slot files into a new temp dir; 0, or -1 after a message. */
static int make_copy(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "chatbell-journal: %s: not a directory\n", dir);
        return -1;
    }
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    int n = snprintf(s_tool.tmp, sizeof s_tool.tmp, "%s/chatbell-journal-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof s_tool.tmp || !mkdtemp(s_tool.tmp)) {
        fprintf(stderr, "chatbell-journal: cannot make a temp dir under %s: %s\n", base,
                strerror(errno));
        s_tool.tmp[0] = '\0';
        return -1;
    }
    int found = 0;
    for (int i = 0; i < CB_SLOT_COUNT; i++) {
        char src[4096 + 32], dst[sizeof s_tool.tmp + 32];
        snprintf(src, sizeof src, "%s/%s", dir, k_slots[i]);
        snprintf(dst, sizeof dst, "%s/%s", s_tool.tmp, k_slots[i]);
        int rc = copy_file(src, dst);
        if (rc == -ENOENT)
            continue;
        if (rc != 0) {
            fprintf(stderr, "chatbell-journal: cannot copy %s: %s\n", src, strerror(-rc));
            return -1;
        }
        found++;
    }
    if (!found) {
        fprintf(stderr, "chatbell-journal: no journal (%s, %s) in %s\n", k_slots[0], k_slots[1],
                dir);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        usage(stderr);
        return EXIT_USAGE;
    }
    cb_posix_log_init();
    if (make_copy(argv[1]) != 0) {
        remove_tmp();
        return EXIT_BAD;
    }
    /* no capacity limit on a copy; no flushes (it is thrown away) */
    int rc = cb_store_posix_init(s_tool.tmp, UINT32_MAX, false);
    if (rc == CB_OK)
        rc = cb_journal_open(visit, NULL);
    if (rc == CB_OK)
        report_damage();
    remove_tmp();
    report_set_aside(argv[1]);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chatbell-journal: cannot write the output\n");
        return EXIT_BAD;
    }
    if (rc != CB_OK) {
        fprintf(stderr, "chatbell-journal: %s: journal unreadable (%s)\n", argv[1], cb_err_str(rc));
        return EXIT_BAD;
    }
    return s_tool.bad ? EXIT_BAD : 0;
}
