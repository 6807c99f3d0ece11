/* cb_signal.h - what staff see and hear (SPEC 4): display lines with
 * transliteration and scrolling, buzzer patterns per sender, reminders, and
 * the signal-log records. Driven by the server (new message, ack, restore)
 * and by the loop's tick; draws through cb_port_display_draw, beeps through
 * cb_port_buzzer_play, logs through cb_port_signal_log. */
#ifndef CB_SIGNAL_H
#define CB_SIGNAL_H

#include "cb_config.h"
#include "cb_settings.h"
#include "cb_span.h"

#include <stddef.h>
#include <stdint.h>

/* A message as the signal module needs it; spans are only read during the call. */
typedef struct {
    uint32_t seq;
    cb_span_t sender;    /* code, e.g. "SH" */
    cb_span_t job_id;
    cb_span_t client_id; /* may be absent */
    cb_span_t text;      /* decoded UTF-8 */
} cb_signal_msg_t;

/* Keeps a pointer to s (must outlive the module); draws the idle screen. */
void cb_signal_init(const cb_settings_t *s, uint64_t now_ms);

/* A newly accepted message: logs {"kind":"message",...,"lines":[...]} with the
 * lines this message renders to (first frame, unacked count as given), plays
 * the sender's pattern and logs {"kind":"buzzer",...}; restarts the reminder
 * timer. Does not change what the display shows: call cb_signal_show. */
void cb_signal_message(const cb_signal_msg_t *m, unsigned unacked, uint64_t now_ms);

/* A message shown again after a restart: logs {"kind":"restore","seq":N}. */
void cb_signal_restore(uint32_t seq);

/* A message acknowledged: logs {"kind":"ack","seq":N}. */
void cb_signal_ack(uint32_t seq);

/* Sets what the display shows: m (copied) with the unacknowledged count, or
 * the idle screen when m is NULL. Restarts scrolling and redraws. When the
 * count drops to 0 reminders stop. */
void cb_signal_show(const cb_signal_msg_t *m, unsigned unacked, uint64_t now_ms);

/* Plays a reminder now (the shown message's pattern) and logs it as a buzzer
 * line; used after a restart with unacknowledged messages. No-op when idle. */
void cb_signal_remind(uint64_t now_ms);

/* Advances scrolling and plays due reminders (every reminder_s while anything
 * is unacknowledged). Returns the ms until it next needs a tick. */
uint32_t cb_signal_tick(uint64_t now_ms);

/* Pure helpers, exposed for tests. */

/* Transliterates UTF-8 to the display's set (printable ASCII): a->a, n~->n,
 * u:->u, inverted ?->?, other accented Latin letters to their base letter,
 * typographic quotes/dashes to ASCII, control bytes to space, anything else
 * (and invalid UTF-8) to '?', one output char per input code point. Returns
 * the bytes written (at most cap-1; NUL-terminated). */
size_t cb_signal_translit(const char *utf8, size_t len, char *out, size_t cap);

/* Renders a message into rows lines of cols chars (each NUL-terminated) at
 * scroll step `step` (0 = first frame). Line 1: sender label, end of the job
 * id, unacked count; lines 2..rows: the text, scrolled. Returns the number of
 * distinct scroll steps of this message (1 when it fits). */
unsigned cb_signal_render(const cb_settings_t *s, const cb_signal_msg_t *m, unsigned unacked,
                          unsigned step, char lines[][CB_CFG_DISPLAY_COLS_MAX + 1]);

#endif
