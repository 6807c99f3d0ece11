/* tls_device.c - HTTPS on a board (the CB_BOARD_TLS images): the device's TLS
 * key in its own flash page after the journal's slots (made from the entropy
 * pool at the first start with listen_tls set, kept across reboots, settings
 * commits and journal compactions), the server set up from it with a
 * self-signed certificate (cb_tls_setup_device), and its fingerprint. */
#include "board.h"
#include "cb_base64.h"
#include "cb_conn.h"
#include "cb_err.h"
#include "cb_crc32.h"
#include "cb_loop.h"
#include "cb_port.h"
#include "cb_tls.h"
#include "flash.h"

#include <stdio.h>
#include <string.h>

#define KEY_MAGIC 0x4b544243u /* "CBTK" */

_Static_assert(BOARD_TLS_KEY_PAGES == 1u, "the board keeps a page for its TLS key (board_hw.h)");

/* The page's first words: programmed once after an erase, in one go. */
typedef struct {
    uint32_t magic;
    uint8_t key[CB_TLS_DEVICE_KEY_LEN];
    uint32_t crc; /* CRC-32 of key */
} key_page_t;

static struct {
    key_page_t page;
    char url[96];
} s_tlsdev;

static bool key_load(key_page_t *p)
{
    return flash_read(BOARD_FLASH_TLS_OFF, p, sizeof *p) == CB_OK && p->magic == KEY_MAGIC &&
           p->crc == cb_crc32(0, p->key, sizeof p->key);
}

/* A new key, stored before it is used: a power cut in between leaves an
 * invalid page, and the next start makes another. */
static int key_make(key_page_t *p, char *err, size_t cap)
{
    if (cb_tls_device_key(p->key, err, cap) != 0)
        return -1;
    p->magic = KEY_MAGIC;
    p->crc = cb_crc32(0, p->key, sizeof p->key);
    if (flash_erase_page(BOARD_FLASH_TLS_OFF) != CB_OK ||
        flash_program(BOARD_FLASH_TLS_OFF, (const uint32_t *)(const void *)p,
                      sizeof *p / sizeof(uint32_t)) != CB_OK) {
        snprintf(err, cap, "tls_key: cannot store the device key in flash");
        return -1;
    }
    board_log("tls: made the device's P-256 key (kept in flash)");
    return 0;
}

int board_tls_start(const char *listen_tls, char *err, size_t cap)
{
    if (!listen_tls[0])
        return 0;
    key_page_t *p = &s_tlsdev.page;
    int rc = flash_open(BOARD_FLASH_BYTES) != CB_OK ? -1 : 0;
    if (rc != 0)
        snprintf(err, cap, "tls_key: flash unavailable");
    else if (!key_load(p))
        rc = key_make(p, err, cap);
    if (rc == 0)
        rc = cb_tls_setup_device(p->key, board_net_ip(), cb_conn_tls_bio(), err, cap);
    memset(p, 0, sizeof *p);
    if (rc != 0)
        return -1;
    cb_loop_listen_tls(listen_tls);
    const char *port = strrchr(listen_tls, ':');
    snprintf(s_tlsdev.url, sizeof s_tlsdev.url, "https://%s%s", board_net_ip(), port ? port : "");
    return 0;
}

const char *board_tls_url(void)
{
    return s_tlsdev.url;
}

/* The console's `tls`: the certificate's SHA-256 and PEM (to pin it without
 * openssl s_client); `tls newkey`: the key page erased and a restart, which
 * makes a new key and certificate (a key that leaked, a device passed on). */
void board_tls_console(const char *arg)
{
    if (strcmp(arg, "newkey") == 0) {
        board_log("tls: the device key is erased; restarting to make a new one");
        if (flash_erase_page(BOARD_FLASH_TLS_OFF) != CB_OK)
            board_log("tls: cannot erase the key page");
        board_reset();
    }
    size_t len;
    const uint8_t *der = cb_tls_device_cert(&len);
    if (!der) {
        board_printf("console| tls: HTTPS is off (listen_tls)\r\n");
        return;
    }
    board_printf("console| tls sha256: %s\r\n-----BEGIN CERTIFICATE-----\r\n",
                 cb_tls_fingerprint());
    for (size_t off = 0; off < len; off += 48) { /* 64 characters a line (RFC 7468) */
        char line[65];
        (void)cb_base64_encode(der + off, len - off < 48 ? len - off : 48, false, line,
                               sizeof line);
        board_printf("%s\r\n", line);
    }
    board_printf("-----END CERTIFICATE-----\r\n");
}

void board_tls_stats(void)
{
    cb_tls_stats_t st;
    cb_tls_stats(&st);
    board_printf("stats| tls: %u handshakes (%u resumed), %u failed, %u refused, %u evicted; "
                 "sessions %u now, %u at most of %u\r\n",
                 st.handshakes, st.resumed, st.failed, st.refused, st.evicted, st.sessions,
                 st.sessions_peak, (unsigned)CB_TLS_SESSIONS);
    board_printf("stats|   tls heap %lu of %lu bytes in use, peak %lu; shared %lu, one session "
                 "peaked at %lu of %lu\r\n",
                 (unsigned long)st.heap_in_use, (unsigned long)st.heap_bytes,
                 (unsigned long)st.heap_peak, (unsigned long)st.shared_bytes,
                 (unsigned long)st.session_peak, (unsigned long)CB_TLS_SESSION_BYTES);
}
