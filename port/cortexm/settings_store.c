/* settings_store.c - the device's settings in their own flash pages (SPEC 9),
 * the entropy seed kept next to them, and the console's settings commands.
 * A copy is a header (magic, generation, text length, CRC-32 of the text)
 * and "key<TAB>value<LF>" lines applied in order with cb_settings_set over
 * the image's defaults. Changes are staged in the other copy (erased, the
 * stored lines copied without those a later one overrides, then each new
 * line) and committed by programming its header last: a power cut at any
 * moment leaves the old copy or the new one. A commit restarts the board. */
#include "board.h"
#include "cb_config.h"
#include "cb_err.h"
#include "cb_crc32.h"
#include "cb_port.h"
#include "flash.h"

#include <stdio.h>
#include <string.h>

#define COPY_BYTES   (BOARD_SETTINGS_PAGES * BOARD_FLASH_PAGE)
#define HEAD_BYTES   16u
#define TEXT_MAX     (COPY_BYTES - HEAD_BYTES)
#define SEED_OFF     (2u * COPY_BYTES)
#define SEED_WORDS   8u          /* 32 bytes an entry */
#define MAGIC        0x54534243u /* "CBST" */
#define KEY_MAX      48u
#define BIGGER(a, b) ((a) > (b) ? (a) : (b))
#define VALUE_MAX    BIGGER(CB_CFG_PROXIES_TEXT_MAX, BIGGER(CB_CFG_SECRET_MAX, CB_CFG_STR_MAX))
#define LINE_MAX     (KEY_MAX + 1u + VALUE_MAX + 1u)
/* A commit's answer leaves before the restart. */
#define RESTART_DELAY_MS 300u

_Static_assert(BOARD_FLASH_OWN_BYTES == SEED_OFF + BOARD_FLASH_PAGE, "board.h's layout");

typedef struct {
    uint32_t magic, gen, len, crc;
} head_t;

static struct {
    cb_settings_t *live;
    void (*base)(cb_settings_t *s);
    int active;   /* the copy in use, -1: none (unprovisioned) */
    uint32_t gen; /* its generation */
    int staging;  /* the copy being written, -1: none */
    uint32_t len, crc;
    uint32_t tail; /* the partial word of the staged text */
    bool staged;   /* a line was staged since the last commit */
    bool restart;
    uint32_t restart_at;
    char line[LINE_MAX + 1];
    char other[KEY_MAX + 2];
    char err[112];
    char con[LINE_MAX + 8]; /* the console line being typed */
    size_t con_n;
} s_set; /* in .bss: board_settings_init sets active and staging to -1 */

static uint32_t copy_off(int copy)
{
    return (uint32_t)copy * COPY_BYTES;
}

/* Text bytes of a copy; the staged copy's last partial word is in RAM. */
static int text_read(int copy, uint32_t off, void *buf, size_t n)
{
    uint32_t whole = copy == s_set.staging ? s_set.len / 4u * 4u : TEXT_MAX;
    size_t from_flash = off < whole ? (whole - off < n ? whole - off : n) : 0;
    if (from_flash && flash_read(copy_off(copy) + HEAD_BYTES + off, buf, from_flash) != CB_OK)
        return CB_ERR_STORAGE;
    for (size_t i = from_flash; i < n; i++)
        ((uint8_t *)buf)[i] = ((const uint8_t *)&s_set.tail)[off + i - whole];
    return CB_OK;
}

/* The offset after the LF of the line at off, or end. */
static uint32_t line_end(int copy, uint32_t off, uint32_t end)
{
    char chunk[32];
    while (off < end) {
        size_t n = end - off < sizeof chunk ? end - off : sizeof chunk;
        if (text_read(copy, off, chunk, n) != CB_OK)
            return end;
        const char *lf = memchr(chunk, '\n', n);
        if (lf)
            return off + (uint32_t)(lf - chunk) + 1u;
        off += (uint32_t)n;
    }
    return end;
}

/* The line at off (end: the text's length) into buf without its LF, cut at
 * cap - 1 bytes; returns the offset of the next line. */
static uint32_t read_line(int copy, uint32_t off, uint32_t end, char *buf, size_t cap)
{
    uint32_t next = line_end(copy, off, end);
    size_t n = next - off < cap - 1 ? next - off : cap - 1;
    if (text_read(copy, off, buf, n) != CB_OK)
        n = 0;
    if (n && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    return next;
}

static size_t key_len(const char *line)
{
    const char *tab = strchr(line, '\t');
    return tab ? (size_t)(tab - line) : strlen(line);
}

static bool head_valid(int copy, head_t *h)
{
    if (flash_read(copy_off(copy), h, sizeof *h) != CB_OK || h->magic != MAGIC || h->len > TEXT_MAX)
        return false;
    uint32_t crc = 0, off = 0;
    uint8_t chunk[64];
    while (off < h->len) {
        size_t n = h->len - off < sizeof chunk ? h->len - off : sizeof chunk;
        if (flash_read(copy_off(copy) + HEAD_BYTES + off, chunk, n) != CB_OK)
            return false;
        crc = cb_crc32(crc, chunk, n);
        off += (uint32_t)n;
    }
    return crc == h->crc;
}

/* Applies a copy's lines (len bytes) over s. */
static int apply_copy(int copy, uint32_t len, cb_settings_t *s, char *err, size_t cap)
{
    for (uint32_t off = 0; off < len;) {
        off = read_line(copy, off, len, s_set.line, sizeof s_set.line);
        size_t k = key_len(s_set.line);
        if (!s_set.line[k])
            continue; /* no tab: not a line this file wrote */
        s_set.line[k] = '\0';
        const char *v = s_set.line + k + 1;
        int rc = cb_settings_set(s, s_set.line, cb_span(v, strlen(v)), err, cap);
        if (rc != CB_OK)
            return rc;
    }
    return CB_OK;
}

bool board_settings_init(cb_settings_t *live, void (*base)(cb_settings_t *s))
{
    s_set.live = live;
    s_set.base = base;
    s_set.active = s_set.staging = -1;
    base(live);
    if (flash_open(BOARD_FLASH_BYTES) != CB_OK) {
        board_log("settings: flash unavailable: the image's defaults");
        return false;
    }
    head_t h[2];
    bool ok[2] = {head_valid(0, &h[0]), head_valid(1, &h[1])};
    int newer = ok[0] && ok[1] ? (h[1].gen > h[0].gen) : ok[1];
    for (int k = 0; k < 2; k++) { /* the newer valid copy, else the older */
        int use = k ? 1 - newer : newer;
        if (!ok[use])
            continue;
        if (apply_copy(use, h[use].len, live, s_set.err, sizeof s_set.err) == CB_OK &&
            cb_settings_check(live, s_set.err, sizeof s_set.err) == CB_OK) {
            s_set.active = use;
            s_set.gen = h[use].gen;
            board_log("settings: copy %c, generation %lu, %lu bytes", 'A' + use,
                      (unsigned long)h[use].gen, (unsigned long)h[use].len);
            return true;
        }
        board_log("settings: copy %c refused (%s)", 'A' + use, s_set.err);
        base(live);
    }
    board_log("settings: none stored");
    return false;
}

bool board_provisioned(void)
{
    return s_set.active >= 0;
}

bool cb_port_settings_kept(void)
{
    return true;
}

/* ---- staging ---- */

static int append(const char *p, size_t n)
{
    if (n > TEXT_MAX - s_set.len)
        return CB_ERR_NOSPC;
    s_set.crc = cb_crc32(s_set.crc, p, n);
    for (size_t i = 0; i < n; i++) {
        ((uint8_t *)&s_set.tail)[s_set.len % 4u] = (uint8_t)p[i];
        if (++s_set.len % 4u == 0) {
            uint32_t w = s_set.tail;
            s_set.tail = FLASH_ERASED_WORD;
            if (flash_program(copy_off(s_set.staging) + HEAD_BYTES + s_set.len - 4u, &w, 1) !=
                CB_OK)
                return CB_ERR_STORAGE;
        }
    }
    return CB_OK;
}

/* True when a line after off in the active copy sets key again. */
static bool overridden(uint32_t off, uint32_t end, const char *key, size_t klen)
{
    while (off < end) {
        off = read_line(s_set.active, off, end, s_set.other, sizeof s_set.other);
        if (key_len(s_set.other) == klen && memcmp(s_set.other, key, klen) == 0)
            return true;
    }
    return false;
}

/* Erases the other copy and copies the stored lines still in force. */
static int stage_begin(void)
{
    if (s_set.staging >= 0)
        return CB_OK;
    int copy = s_set.active == 0 ? 1 : 0;
    for (uint32_t pg = 0; pg < BOARD_SETTINGS_PAGES; pg++)
        if (flash_erase_page(copy_off(copy) + pg * BOARD_FLASH_PAGE) != CB_OK)
            return CB_ERR_STORAGE;
    s_set.staging = copy;
    s_set.len = s_set.crc = 0;
    s_set.tail = FLASH_ERASED_WORD;
    head_t h;
    if (s_set.active < 0 || flash_read(copy_off(s_set.active), &h, sizeof h) != CB_OK)
        return CB_OK;
    for (uint32_t off = 0; off < h.len;) {
        uint32_t next = read_line(s_set.active, off, h.len, s_set.line, sizeof s_set.line);
        size_t klen = key_len(s_set.line);
        if (s_set.line[klen] && !overridden(next, h.len, s_set.line, klen)) {
            size_t n = strlen(s_set.line);
            s_set.line[n] = '\n';
            int rc = append(s_set.line, n + 1);
            if (rc != CB_OK)
                return rc;
        }
        off = next;
    }
    return CB_OK;
}

static int fail(char *err, size_t cap, const char *key, const char *why)
{
    snprintf(err, cap, "%.*s: %s", (int)KEY_MAX, key, why);
    return CB_ERR_INVAL;
}

int cb_port_settings_stage(const char *key, const char *value, size_t len, char *err, size_t cap)
{
    size_t klen = strlen(key);
    if (!klen || klen > KEY_MAX)
        return fail(err, cap, "settings", "a key is empty or too long");
    for (size_t i = 0; i < klen; i++)
        if ((unsigned char)key[i] <= 0x20 || key[i] == 0x7f)
            return fail(err, cap, "settings", "a key holds a space or a control byte");
    if (len > VALUE_MAX)
        return fail(err, cap, key, "too long");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
            return fail(err, cap, key, "control bytes are not allowed");
    int rc = stage_begin();
    if (rc == CB_OK)
        rc = append(key, klen);
    if (rc == CB_OK)
        rc = append("\t", 1);
    if (rc == CB_OK)
        rc = append(value, len);
    if (rc == CB_OK)
        rc = append("\n", 1);
    if (rc != CB_OK) {
        cb_port_settings_discard();
        return fail(err, cap, key,
                    rc == CB_ERR_NOSPC ? "the settings pages are full: commit, then set again"
                                       : "flash error");
    }
    s_set.staged = true;
    return CB_OK;
}

void cb_port_settings_discard(void)
{
    s_set.staging = -1; /* headerless: never valid, erased by the next stage */
    s_set.staged = false;
}

int cb_port_settings_commit(char *err, size_t cap)
{
    if (!s_set.live || s_set.staging < 0 || !s_set.staged)
        return fail(err, cap, "settings", "nothing staged");
    /* validated in the struct the server runs with, which is rebuilt from
     * the stored copy when they do not pass (no RAM for a second one) */
    s_set.base(s_set.live);
    int rc = apply_copy(s_set.staging, s_set.len, s_set.live, err, cap);
    if (rc == CB_OK)
        rc = cb_settings_check(s_set.live, err, cap);
    if (rc == CB_OK && s_set.tail != FLASH_ERASED_WORD) {
        uint32_t w = s_set.tail; /* padded with erased bytes; len says where the text ends */
        if (flash_program(copy_off(s_set.staging) + HEAD_BYTES + s_set.len / 4u * 4u, &w, 1) !=
            CB_OK)
            rc = fail(err, cap, "settings", "flash error");
    }
    head_t h = {MAGIC, s_set.gen + 1u, s_set.len, s_set.crc};
    if (rc == CB_OK &&
        flash_program(copy_off(s_set.staging), (const uint32_t *)&h, sizeof h / 4u) != CB_OK)
        rc = fail(err, cap, "settings", "flash error");
    /* until the restart the server keeps running with the stored settings
     * (on failure: nothing changed; on success: applied by the restart) */
    s_set.base(s_set.live);
    if (s_set.active >= 0) {
        head_t old;
        if (flash_read(copy_off(s_set.active), &old, sizeof old) == CB_OK)
            (void)apply_copy(s_set.active, old.len, s_set.live, s_set.err, sizeof s_set.err);
    }
    if (rc != CB_OK) {
        cb_port_settings_discard();
        return rc;
    }
    board_log("settings: stored in copy %c, generation %lu: restarting to apply them",
              'A' + s_set.staging, (unsigned long)h.gen);
    s_set.active = s_set.staging;
    s_set.gen = h.gen;
    s_set.staging = -1;
    s_set.staged = false;
    s_set.restart = true;
    s_set.restart_at = board_ms32() + RESTART_DELAY_MS;
    return CB_OK;
}

void board_settings_poll(void)
{
    if (s_set.restart && (int32_t)(board_ms32() - s_set.restart_at) >= 0)
        board_reset();
}

/* ---- the console's commands ---- */

static void show_copy(int copy, uint32_t len, const char *what)
{
    board_printf("console| %s:\r\n", what);
    for (uint32_t off = 0; off < len;) {
        off = read_line(copy, off, len, s_set.line, sizeof s_set.line);
        size_t k = key_len(s_set.line);
        if (!s_set.line[k])
            continue;
        s_set.line[k] = '\0';
        if (cb_settings_is_secret(s_set.line))
            board_printf("console|   %s = ******** (set)\r\n", s_set.line);
        else
            board_printf("console|   %s = %s\r\n", s_set.line, s_set.line + k + 1);
    }
}

static void show(void)
{
    board_printf("console| %s\r\n", board_provisioned() ? "provisioned" : "NOT provisioned");
    head_t h;
    if (s_set.active >= 0 && flash_read(copy_off(s_set.active), &h, sizeof h) == CB_OK)
        show_copy(s_set.active, h.len, "stored");
    if (s_set.staging >= 0 && s_set.staged)
        show_copy(s_set.staging, s_set.len, "after commit (staged)");
}

extern const unsigned char cb_board_dev;

void board_settings_console(const char *line)
{
    char err[sizeof s_set.err];
    if (strncmp(line, "set ", 4) == 0) {
        const char *key = line + 4;
        const char *sp = strchr(key, ' ');
        if (!sp) {
            board_printf("console| usage: set KEY VALUE\r\n");
            return;
        }
        char k[KEY_MAX + 1];
        size_t kl = (size_t)(sp - key);
        if (kl > KEY_MAX) {
            board_printf("console| set: the key is too long\r\n");
            return;
        }
        memcpy(k, key, kl);
        k[kl] = '\0';
        if (cb_port_settings_stage(k, sp + 1, strlen(sp + 1), err, sizeof err) == CB_OK)
            board_printf("console| staged %s (commit to store it)\r\n", k);
        else
            board_printf("console| set: %s\r\n", err);
    } else if (strcmp(line, "show") == 0) {
        show();
    } else if (strcmp(line, "commit") == 0) {
        if (cb_port_settings_commit(err, sizeof err) == CB_OK)
            board_printf("console| committed: restarting\r\n");
        else
            board_printf("console| commit refused: %s (nothing stored)\r\n", err);
    } else if (strcmp(line, "reset") == 0) {
        cb_port_settings_discard();
        board_printf("console| staged changes dropped\r\n");
    } else if (strcmp(line, "hang") == 0 && cb_board_dev) {
        board_log("hang: the loop stops here; the watchdog resets the board");
        for (;;)
            __asm volatile("nop");
    } else if (strcmp(line, "sntp") == 0 && cb_board_dev) {
        board_sntp_now();
    } else if (strcmp(line, "s") == 0 || strcmp(line, "stats") == 0) {
        board_stats_print();
#if CB_BOARD_TLS
    } else if (strcmp(line, "tls") == 0 || strcmp(line, "tls newkey") == 0) {
        board_tls_console(line[3] ? line + 4 : "");
#endif
    } else {
        board_printf("console| commands: set KEY VALUE, show, commit, reset (drops staged "
                     "changes), stats%s%s; keys: a = acknowledge, R = restart\r\n",
                     CB_BOARD_TLS ? ", tls (the certificate), tls newkey" : "",
                     cb_board_dev ? ", hang, sntp (ask the server now)" : "");
    }
}

/* Keys with an empty line are the buttons (a, space, Enter) and R; any other
 * printable key starts a command line, ended by Enter. */
bool board_console_key(int c)
{
    if (c == '\r' || c == '\n') {
        if (!s_set.con_n)
            return c == '\r'; /* Enter on an empty line: the button */
        s_set.con[s_set.con_n] = '\0';
        s_set.con_n = 0;
        board_settings_console(s_set.con);
        return false;
    }
    if ((c == 0x7f || c == 0x08) && s_set.con_n) {
        s_set.con_n--;
        return false;
    }
    if (!s_set.con_n && (c == 'a' || c == 'A' || c == ' '))
        return true;
    if (!s_set.con_n && c == 'R') {
        board_log("reset requested from the keyboard (storage is kept)");
        board_reset();
    }
    if (c >= 0x20 && c != 0x7f && s_set.con_n < sizeof s_set.con - 1) /* UTF-8 too */
        s_set.con[s_set.con_n++] = (char)c;
    return false;
}

/* ---- the entropy seed: one page of 32-byte entries, the last programmed
 * one current; a new entry each boot, the page erased when full ---- */

void board_seed_renew(void)
{
    if (flash_open(BOARD_FLASH_BYTES) != CB_OK)
        return;
    uint32_t e[SEED_WORDS], n = BOARD_FLASH_PAGE / sizeof e, next = 0;
    bool found = false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w[SEED_WORDS];
        if (flash_read(SEED_OFF + i * sizeof w, w, sizeof w) != CB_OK)
            return;
        bool erased = true;
        for (unsigned j = 0; j < SEED_WORDS; j++)
            erased = erased && w[j] == FLASH_ERASED_WORD;
        if (erased)
            break;
        memcpy(e, w, sizeof e);
        found = true;
        next = i + 1;
    }
    if (found)
        board_entropy_seed(e, sizeof e);
    board_log("random: %s; a new one stored",
              found ? "seed from flash mixed in" : "no seed in flash (first boot)");
    if (next == n) {
        if (flash_erase_page(SEED_OFF) != CB_OK)
            return;
        next = 0;
    }
    (void)cb_port_random(e, sizeof e);
    (void)flash_program(SEED_OFF + next * sizeof e, e, SEED_WORDS);
    memset(e, 0, sizeof e);
}
