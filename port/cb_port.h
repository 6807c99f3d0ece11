/* cb_port.h - the contract every platform implements for the chatbell core.
 * app/ calls only these (plus libc string/int headers); exactly one port is
 * linked into a binary, unit tests link tests/fakes/ instead.
 * The network side is not here: the loop (port/sock/) calls BSD-style sockets
 * through port/sock/cb_sock_compat.h and feeds bytes to cb_server.h. */
#ifndef CB_PORT_H
#define CB_PORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- clock ---- */

/* Monotonic milliseconds since an arbitrary start; never goes back. */
uint64_t cb_port_now_ms(void);

/* Wall-clock time, Unix epoch, in milliseconds. Returns CB_OK when the clock
 * is trusted (host: always; board: after SNTP), else CB_ERR_CLOCK (and *out
 * is left alone): the replay window is then not applied. */
int cb_port_wall_ms(int64_t *out);

/* ---- randomness ---- */

/* Fills buf with len cryptographically strong random bytes (device keys).
 * CB_OK or CB_ERR_CRYPTO. May block briefly at first use. */
int cb_port_random(void *buf, size_t len);

/* ---- log ---- */

typedef enum { CB_LOG_ERROR, CB_LOG_WARN, CB_LOG_INFO, CB_LOG_DEBUG } cb_log_level_t;

/* One human log line (no trailing newline needed). Never given a secret. */
void cb_port_log(cb_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- display ---- */

/* Draws the whole display: rows lines, each exactly cols characters of the
 * display's character set (printable ASCII), NUL-terminated. Called on every
 * change (new message, ack, scroll step). Must not block for long. */
void cb_port_display_draw(const char *const *lines, unsigned rows, unsigned cols);

/* ---- buzzer ---- */

/* Starts playing a buzzer pattern (a string of '-' on and '.' off steps of
 * 100 ms each, e.g. "--..--"); returns at once, the port plays it. */
void cb_port_buzzer_play(const char *pattern);

/* ---- button ---- */

/* Polled once per loop turn: true once for each press since the last call. */
bool cb_port_button_pressed(void);

/* ---- signal log (simulator: --signal-log FILE; boards: optional) ---- */

/* One signal as a complete JSON object text (SPEC 4), without newline.
 * The port appends it as one line wherever it keeps its signal log. */
void cb_port_signal_log(const char *json, size_t len);

/* True when the port keeps a signal log (simulator: --signal-log FILE given;
 * boards: on the UART). While false the core builds no signal-log line and
 * never calls cb_port_signal_log. Cheap: asked once per signal. */
bool cb_port_signal_log_enabled(void);

/* ---- storage ----
 * Storage is a few numbered slots, each an append-only byte log that can be
 * erased whole: a file on the host, a flash partition on a board (erase
 * blocks, no rename). Offsets are bytes from the slot's start. */

typedef enum {
    CB_SLOT_JOURNAL_A = 0, /* the journal alternates between A and B on compaction */
    CB_SLOT_JOURNAL_B = 1,
    CB_SLOT_COUNT
} cb_slot_t;

/* Opens (creating if needed) a slot; *size_out gets its current length.
 * CB_OK, CB_ERR_STORAGE. Called at start-up. */
int cb_port_store_open(cb_slot_t slot, uint32_t *size_out);

/* Reads len bytes at off; returns bytes read (short at end of slot) or
 * CB_ERR_STORAGE. */
int cb_port_store_read(cb_slot_t slot, uint32_t off, void *buf, size_t len);

/* Appends len bytes at the end (not yet durable). CB_OK, CB_ERR_NOSPC,
 * CB_ERR_STORAGE. A failed append may leave a partial tail. */
int cb_port_store_append(cb_slot_t slot, const void *buf, size_t len);

/* Makes every append so far durable (host: fdatasync). CB_OK, CB_ERR_STORAGE.
 * May block for the duration of the flush. */
int cb_port_store_sync(cb_slot_t slot);

/* Erases the slot to length 0, durably. CB_OK, CB_ERR_STORAGE. */
int cb_port_store_erase(cb_slot_t slot);

/* Capacity of a slot in bytes (host: a configured budget). */
uint32_t cb_port_store_capacity(cb_slot_t slot);

/* Optional (the core has a weak default returning CB_ERR_NOSPC): keeps the
 * slot's bytes out of the way for inspection and leaves the slot empty, for
 * storage that cannot be read (SPEC 5: set aside, never erased). Host: the
 * file is renamed with a .corrupt-<unix time> suffix. CB_OK; CB_ERR_NOSPC
 * when there is no room for a copy (the journal then leaves the slot
 * untouched); CB_ERR_STORAGE. */
int cb_port_store_set_aside(cb_slot_t slot);

/* ---- settings kept by the device (boards, SPEC 9) ----
 * Optional (the core has weak defaults: no settings kept, PUT /settings is
 * 404 and the device counts as provisioned). */

/* True when the port keeps settings (PUT /settings exists). */
bool cb_port_settings_kept(void);

/* False while the device has no stored settings: webhooks get 503
 * not_provisioned. */
bool cb_port_provisioned(void);

/* Stages one setting by its config-file key ("display.rows") and value text
 * ("4") for the next commit. CB_OK; CB_ERR_NOT_FOUND when the port keeps no
 * settings; CB_ERR_INVAL or CB_ERR_NOSPC with "key: problem" in err. */
int cb_port_settings_stage(const char *key, const char *value, size_t len, char *err, size_t cap);

/* Validates the stored settings with everything staged over them, as a
 * config file is, then stores and applies them (a board restarts once the
 * answer has left). CB_OK; CB_ERR_INVAL with "key: problem" in err (nothing
 * stored, the staged values dropped); CB_ERR_STORAGE. */
int cb_port_settings_commit(char *err, size_t cap);

/* Drops what was staged. */
void cb_port_settings_discard(void);

#endif
