/* cb_signal.h - what staff see and hear (SPEC 4): display lines with
 * transliteration and scrolling, buzzer patterns per sender, reminders, and
 * the signal-log records. Driven by the server (new message, ack, restore)
 * and by the loop's tick; draws through cb_port_display_draw, beeps through
 * cb_port_buzzer_play, logs through cb_port_signal_log.
 *
 * Display layout (rows x cols, 2x16 default; every line exactly cols chars,
 * space padded, NUL terminated):
 *   line 1   "<label> <job id end>" left, unacked count right-aligned after at
 *            least one blank ("99+" past 99):        "Picker JOB-42  3"
 *            label = the configured label for the sender code, else the code.
 *            When both do not fit, the label is cut first: the job id keeps
 *            its last max(6, room - label - 1) chars (all of it if shorter),
 *            the label gets what is left (possibly nothing):
 *            2x16 "Picker 0000123 3", "Support 000123 3", "Store 000123 99+".
 *   lines 2+ the text, transliterated, whitespace runs collapsed to one space:
 *            its first CB_CFG_SHOWN_TEXT_MAX-1 bytes (cut at a code point),
 *            the head the inbox keeps, so a message displays alike from its
 *            full text and from the inbox's copy.
 *            2 rows: one line; a longer text is a marquee moving one char per
 *              scroll_ms: the first frame is held 5 steps, 4 blanks separate
 *              the end from the start coming round again.
 *            3+ rows: word-wrapped (hard break for a word longer than a line);
 *              when it needs more lines, the window moves one line every 4
 *              steps, the first and last windows held 5 steps, then over.
 * Idle (nothing shown): "chatbell" / "no messages" / blank lines. */
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
    cb_span_t sender; /* code, e.g. "SH" */
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
 * is unacknowledged). Returns the ms until it next needs a tick: never 0,
 * at most 1000. scroll_ms = 0 means no scrolling (first frame only). */
uint32_t cb_signal_tick(uint64_t now_ms);

/* Pure helpers, exposed for tests. */

/* Transliterates UTF-8 to the display's set (printable ASCII): a->a, n~->n,
 * u:->u, inverted ?->?, other accented Latin letters (Latin-1, Latin
 * Extended-A) to their base letter, typographic quotes/dashes to ASCII, an
 * ellipsis to '.', control bytes and odd spaces to space, anything else
 * (emoji, CJK) to '?': one output char per input code point, except that
 * invisible ones (combining marks, zero-width and bidi controls, variation
 * selectors, emoji skin tones, soft hyphen) give nothing. Invalid UTF-8 gives
 * one '?' per maximal ill-formed subsequence. Stops when out is full.
 * Returns the bytes written (at most cap-1; NUL-terminated when cap > 0). */
size_t cb_signal_translit(const char *utf8, size_t len, char *out, size_t cap);

/* Renders a message (the idle screen when m is NULL) into rows lines of cols
 * chars (each NUL-terminated; lines has room for rows) at scroll step `step`
 * (0 = first frame; taken modulo the cycle), laid out as above. Returns the
 * number of scroll steps in one cycle, pauses included (1 when it fits). */
unsigned cb_signal_render(const cb_settings_t *s, const cb_signal_msg_t *m, unsigned unacked,
                          unsigned step, char lines[][CB_CFG_DISPLAY_COLS_MAX + 1]);

#endif
