/* cb_signal.c - SPEC 4 signalling: display frames (layout, transliteration,
 * scrolling), buzzer patterns and reminders, signal-log records. Called by the
 * server (message, show, ack, restore) and the loop's tick; see cb_signal.h. */
#include "cb_signal.h"
#include "cb_err.h"
#include "cb_jsonw.h"
#include "cb_port.h"

#include <stdbool.h>
#include <string.h>

#define ROWS      CB_CFG_DISPLAY_ROWS_MAX
#define COLS      CB_CFG_DISPLAY_COLS_MAX
#define TEXT_KEEP CB_CFG_SHOWN_TEXT_MAX
/* One signal-log line (cb_config.h: cut text past it, "truncated":true). */
#define JSON_CAP CB_CFG_SIGLOG_MAX

_Static_assert(ROWS >= 2, "the display needs a header row and a text row");
_Static_assert(COLS >= 1 && COLS <= 255, "display columns out of range");
_Static_assert(CB_CFG_ID_MAX >= COLS, "a job id tail must be able to fill a line");
_Static_assert(TEXT_KEEP > COLS && TEXT_KEEP < 60000, "shown text size out of range");
/* Fixed parts of a message line (keys, seq, rows lines of printable ASCII that
 * escape to at most 2 bytes a char) must fit in the 512 spare bytes. */
_Static_assert((2 * COLS + 3) * ROWS + 128 <= 512, "display lines outgrow the signal-log slack");
_Static_assert(JSON_CAP >= 512 + 6 * (2 * CB_CFG_ID_MAX + CB_CFG_SENDER_MAX),
               "a signal-log line must hold a message's ids and lines");

/* Scrolling, in steps of settings.scroll_ms (see cb_signal.h). */
#define PAUSE_STEPS     5    /* first frame, and last window of wrapped text, held */
#define LINE_HOLD_STEPS 4    /* each middle window of wrapped text held */
#define MARQUEE_GAP     4    /* blanks between a marquee's end and its start */
#define MIN_JOB_CHARS   6    /* job id chars kept when the label is shortened */
#define IDLE_TICK_MS    1000 /* cb_signal_tick's answer when nothing is due */

typedef char line_t[COLS + 1];

/* A message prepared for display: everything already transliterated. */
typedef struct {
    char label[COLS + 1]; /* the label's first chars */
    char job[COLS + 1];   /* the job id's last chars */
    char text[TEXT_KEEP]; /* spaces collapsed, trimmed */
    unsigned label_len, job_len, text_len;
    unsigned wrapped; /* lines of word-wrapped text (rows > 2) */
    unsigned nsteps;  /* scroll steps in one cycle; 1 when it fits */
    unsigned unacked;
} view_t;

static struct {
    const cb_settings_t *set;
    view_t shown;     /* valid while showing */
    view_t scratch;   /* cb_signal_message and cb_signal_render */
    bool scratch_msg; /* scratch holds message scratch_seq (show reuses it) */
    uint32_t scratch_seq;
    bool showing;
    uint32_t seq;        /* shown message */
    const char *pattern; /* shown message's buzzer pattern (in *set) */
    unsigned step;
    uint64_t next_step_ms;
    bool remind_armed;
    uint64_t next_remind_ms;
    line_t drawn[ROWS]; /* last frame drawn, to skip identical redraws */
    char json[JSON_CAP];
} s_signal;

/* ---- transliteration ---- */

#define BAD_CP 0xFFFFFFFFu
#define DROP   0 /* map(): the code point is invisible and produces nothing */

/* U+00A0..U+00FF; U+00AD (soft hyphen) is dropped separately. */
static const char latin1[] = " !cL?Y|S\"ca\"--R-"
                             "o+23'uP.,1o\"????"
                             "AAAAAAACEEEEIIII"
                             "DNOOOOOxOUUUUYTs"
                             "aaaaaaaceeeeiiii"
                             "dnooooo/ouuuuyty";
_Static_assert(sizeof latin1 == 96 + 1, "Latin-1 table covers U+00A0..U+00FF");

/* U+0100..U+017F by base letter. */
static const char latin_ext_a[] = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkk"
                                  "LlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUu"
                                  "WwYyYZzZzZzs";
_Static_assert(sizeof latin_ext_a == 128 + 1, "Latin Extended-A table covers U+0100..U+017F");

/* Decodes one code point at p (len > 0). Returns the bytes consumed; on
 * invalid UTF-8 *cp = BAD_CP and the bytes consumed are the maximal ill-formed
 * subpart (Unicode 3.9, U+FFFD substitution), so each gives one '?'. */
static size_t decode(const unsigned char *p, size_t len, uint32_t *cp)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC2 || c > 0xF4) {
        *cp = BAD_CP;
        return 1;
    }
    if (c < 0xE0) {
        need = 1;
        v = c & 0x1F;
    } else if (c < 0xF0) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* over U+10FFFF */
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= len || p[i] < lo || p[i] > hi) {
            *cp = BAD_CP;
            return i;
        }
        v = (v << 6) | (p[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return i;
}

/* General Punctuation U+2000..U+206F. */
static char map_punct(uint32_t cp)
{
    if (cp <= 0x200A || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F)
        return ' ';
    if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || cp >= 0x2060)
        return DROP; /* zero-width and bidi format characters */
    if (cp <= 0x2015 || cp == 0x2027 || cp == 0x2043)
        return '-';
    if (cp >= 0x2018 && cp <= 0x201B)
        return '\'';
    if (cp >= 0x201C && cp <= 0x201F)
        return '"';
    if (cp >= 0x2024 && cp <= 0x2026)
        return '.'; /* one char per code point: an ellipsis is one '.' */
    switch (cp) {
    case 0x2016:
        return '|';
    case 0x2017:
        return '_';
    case 0x2020:
    case 0x2021:
        return '+';
    case 0x2022:
        return '*';
    case 0x2023:
    case 0x203A:
        return '>';
    case 0x2039:
        return '<';
    case 0x2030:
        return '%';
    case 0x2032:
    case 0x2035:
        return '\'';
    case 0x2033:
    case 0x2036:
        return '"';
    case 0x203C:
    case 0x2049:
        return '!';
    case 0x2044:
        return '/';
    default:
        return '?';
    }
}

/* One non-ASCII code point to a display char, or DROP. */
static char map(uint32_t cp)
{
    if (cp == BAD_CP)
        return '?';
    if (cp < 0xA0)
        return ' '; /* C1 controls */
    if (cp <= 0xFF)
        return cp == 0xAD ? DROP : latin1[cp - 0xA0];
    if (cp <= 0x17F)
        return latin_ext_a[cp - 0x100];
    if (cp >= 0x218 && cp <= 0x21B) /* Romanian comma-below S s T t */
        return "SsTt"[cp - 0x218];
    if (cp == 0x192)
        return 'f';
    if (cp >= 0x300 && cp <= 0x36F)
        return DROP; /* combining marks: decomposed text keeps its base letter */
    if (cp >= 0x2000 && cp <= 0x206F)
        return map_punct(cp);
    if (cp == 0x20AC)
        return 'E';
    if (cp == 0x2212)
        return '-';
    if (cp == 0x3000)
        return ' ';
    if ((cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF)
        return DROP; /* variation selectors, BOM */
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return (char)(cp - 0xFF01 + 0x21); /* full-width ASCII */
    if ((cp >= 0x1F3FB && cp <= 0x1F3FF) || (cp >= 0xE0000 && cp <= 0xE007F))
        return DROP; /* emoji skin tones, tag characters (flag sequences) */
    return '?';
}

size_t cb_signal_translit(const char *utf8, size_t len, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    const unsigned char *p = (const unsigned char *)utf8;
    size_t i = 0, o = 0;
    while (i < len && o < cap - 1) {
        unsigned c = p[i];
        if (c - 0x20u < 0x5Fu) { /* printable ASCII: copy the whole run */
            size_t end = len - i < cap - 1 - o ? len : i + (cap - 1 - o);
            do
                out[o++] = (char)p[i++];
            while (i < end && p[i] - 0x20u < 0x5Fu);
        } else if (c < 0x80) {
            out[o++] = ' '; /* tab, newline, other controls */
            i++;
        } else {
            uint32_t cp;
            i += decode(p + i, len - i, &cp);
            char m = map(cp);
            if (m != DROP)
                out[o++] = m;
        }
    }
    out[o] = '\0';
    return o;
}

/* ---- preparing a message for the display ---- */

static unsigned rows_of(const cb_settings_t *s)
{
    unsigned r = s->display_rows;
    return r < 2 ? 2 : r > ROWS ? ROWS : r;
}

static unsigned cols_of(const cb_settings_t *s)
{
    unsigned c = s->display_cols;
    return c < 1 ? 1 : c > COLS ? COLS : c;
}

static const char *str_or_empty(cb_span_t sp, size_t *len)
{
    *len = sp.p ? sp.len : 0;
    return sp.p ? sp.p : "";
}

static size_t cstr_len(const char *s, size_t cap)
{
    const char *z = memchr(s, '\0', cap);
    return z ? (size_t)(z - s) : cap;
}

/* At most max bytes of s, not cutting a UTF-8 sequence (the rule the inbox
 * copies text by, so a full text and its inbox copy display alike). */
static size_t head_len(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* Next line of word-wrapped text from pos: *len chars; returns where the
 * following line starts. Breaks at the last space that fits (dropping it),
 * else hard at cols. Text is collapsed, so a line never starts with a space. */
static unsigned wrap_line(const char *t, unsigned n, unsigned pos, unsigned cols, unsigned *len)
{
    if (n - pos <= cols) {
        *len = n - pos;
        return n;
    }
    if (t[pos + cols] == ' ') {
        *len = cols;
        return pos + cols + 1;
    }
    unsigned k = pos + cols;
    while (k > pos && t[k - 1] != ' ')
        k--;
    if (k > pos + 1) {
        *len = k - 1 - pos;
        return k;
    }
    *len = cols;
    return pos + cols;
}

static unsigned marquee_offset(unsigned step)
{
    return step < PAUSE_STEPS ? 0 : step - PAUSE_STEPS + 1;
}

static unsigned window_of(unsigned step, unsigned nwin)
{
    if (step < PAUSE_STEPS)
        return 0;
    step -= PAUSE_STEPS;
    if (step < (nwin - 2) * LINE_HOLD_STEPS)
        return 1 + step / LINE_HOLD_STEPS;
    return nwin - 1;
}

static void prepare(view_t *v, const cb_settings_t *s, const cb_signal_msg_t *m, unsigned unacked)
{
    unsigned rows = rows_of(s), cols = cols_of(s);
    size_t len;
    const char *p;

    v->unacked = unacked;

    const cb_sender_cfg_t *cfg = cb_settings_sender(s, m->sender);
    if (cfg)
        v->label_len = (unsigned)cb_signal_translit(
            cfg->label, cstr_len(cfg->label, sizeof cfg->label), v->label, sizeof v->label);
    else {
        p = str_or_empty(m->sender, &len);
        v->label_len = (unsigned)cb_signal_translit(p, len, v->label, sizeof v->label);
    }

    /* The job id's end: transliterate its last CB_CFG_ID_MAX bytes (from a
     * code point start) and keep the last COLS chars of that. */
    char job[CB_CFG_ID_MAX + 1];
    p = str_or_empty(m->job_id, &len);
    size_t from = len > CB_CFG_ID_MAX ? len - CB_CFG_ID_MAX : 0;
    for (int i = 0; i < 3 && from > 0 && from < len && ((unsigned char)p[from] & 0xC0) == 0x80; i++)
        from++;
    size_t jn = cb_signal_translit(p + from, len - from, job, sizeof job);
    size_t jkeep = jn > COLS ? COLS : jn;
    memcpy(v->job, job + jn - jkeep, jkeep + 1);
    v->job_len = (unsigned)jkeep;

    /* Text: the head the inbox keeps for a shown message, whitespace runs
     * collapsed. */
    p = str_or_empty(m->text, &len);
    len = head_len(p, len, TEXT_KEEP - 1);
    size_t n = cb_signal_translit(p, len, v->text, sizeof v->text);
    unsigned w = 0;
    for (size_t r = 0; r < n; r++) {
        char c = v->text[r];
        if (c == ' ' && (w == 0 || v->text[w - 1] == ' '))
            continue;
        v->text[w++] = c;
    }
    if (w > 0 && v->text[w - 1] == ' ')
        w--;
    v->text[w] = '\0';
    v->text_len = w;

    v->wrapped = 0;
    if (rows == 2) {
        v->nsteps = w <= cols ? 1 : PAUSE_STEPS + w + MARQUEE_GAP - 1;
    } else {
        unsigned pos = 0, l;
        while (pos < w) {
            pos = wrap_line(v->text, w, pos, cols, &l);
            v->wrapped++;
        }
        unsigned nwin = v->wrapped <= rows - 1 ? 1 : v->wrapped - (rows - 1) + 1;
        v->nsteps = nwin == 1 ? 1 : 2 * PAUSE_STEPS + (nwin - 2) * LINE_HOLD_STEPS;
    }
}

/* ---- frames ---- */

static void put_padded(char *line, unsigned cols, const char *s, size_t n)
{
    if (n > cols)
        n = cols;
    memcpy(line, s, n);
    memset(line + n, ' ', cols - n);
    line[cols] = '\0';
}

/* Line 1, see the layout in cb_signal.h. */
static void head_line(const view_t *v, unsigned cols, char *line)
{
    char cnt[4];
    unsigned cw;
    if (v->unacked > 99) {
        memcpy(cnt, "99+", 3);
        cw = 3;
    } else if (v->unacked > 9) {
        cnt[0] = (char)('0' + v->unacked / 10);
        cnt[1] = (char)('0' + v->unacked % 10);
        cw = 2;
    } else {
        cnt[0] = (char)('0' + v->unacked);
        cw = 1;
    }
    memset(line, ' ', cols);
    line[cols] = '\0';
    if (cw >= cols) { /* degenerate display width: the count alone */
        memcpy(line, cnt + cw - cols, cols);
        return;
    }
    memcpy(line + cols - cw, cnt, cw);

    unsigned a = cols - cw - 1; /* room left of the count, one blank before it */
    unsigned L = v->label_len, J = v->job_len, lt, jt;
    if (L == 0 || J == 0) {
        jt = J < a ? J : a;
        lt = L < a - jt ? L : a - jt;
    } else if (L + 1 + J <= a) {
        lt = L;
        jt = J;
    } else { /* the job id keeps what it needs (at least 6), the label the rest */
        jt = a > L + 1 ? a - L - 1 : 0;
        if (jt < MIN_JOB_CHARS)
            jt = MIN_JOB_CHARS;
        if (jt > J)
            jt = J;
        if (jt > a)
            jt = a;
        lt = a > jt + 1 ? a - jt - 1 : 0;
    }
    memcpy(line, v->label, lt);
    unsigned pos = lt + (lt && jt ? 1 : 0);
    memcpy(line + pos, v->job + J - jt, jt);
}

static void frame(const view_t *v, unsigned rows, unsigned cols, unsigned step, line_t *out)
{
    head_line(v, cols, out[0]);
    step = v->nsteps > 1 ? step % v->nsteps : 0;
    const char *t = v->text;
    unsigned n = v->text_len;
    if (rows == 2) {
        if (n <= cols) {
            put_padded(out[1], cols, t, n);
            return;
        }
        unsigned cycle = n + MARQUEE_GAP, k = marquee_offset(step);
        for (unsigned i = 0; i < cols; i++, k = k + 1 == cycle ? 0 : k + 1)
            out[1][i] = k < n ? t[k] : ' ';
        out[1][cols] = '\0';
        return;
    }
    unsigned nwin = v->wrapped <= rows - 1 ? 1 : v->wrapped - (rows - 1) + 1;
    unsigned skip = nwin > 1 ? window_of(step, nwin) : 0, pos = 0, l = 0;
    for (unsigned i = 0; i < skip; i++)
        pos = wrap_line(t, n, pos, cols, &l);
    for (unsigned r = 1; r < rows; r++) {
        l = 0;
        unsigned start = pos;
        if (pos < n)
            pos = wrap_line(t, n, pos, cols, &l);
        put_padded(out[r], cols, t + start, l);
    }
}

static void idle_frame(unsigned rows, unsigned cols, line_t *out)
{
    put_padded(out[0], cols, "chatbell", 8);
    put_padded(out[1], cols, "no messages", 11);
    for (unsigned r = 2; r < rows; r++)
        put_padded(out[r], cols, "", 0);
}

unsigned cb_signal_render(const cb_settings_t *s, const cb_signal_msg_t *m, unsigned unacked,
                          unsigned step, char lines[][CB_CFG_DISPLAY_COLS_MAX + 1])
{
    if (!m) {
        idle_frame(rows_of(s), cols_of(s), lines);
        return 1;
    }
    s_signal.scratch_msg = false;
    prepare(&s_signal.scratch, s, m, unacked);
    frame(&s_signal.scratch, rows_of(s), cols_of(s), step, lines);
    return s_signal.scratch.nsteps;
}

/* Draws the shown message (or the idle screen); unless forced, only when the
 * frame differs from the one on the display. */
static void redraw(bool force)
{
    line_t lines[ROWS];
    const char *ptrs[ROWS];
    unsigned rows = rows_of(s_signal.set), cols = cols_of(s_signal.set);
    if (s_signal.showing)
        frame(&s_signal.shown, rows, cols, s_signal.step, lines);
    else
        idle_frame(rows, cols, lines);
    bool same = !force;
    for (unsigned r = 0; r < rows; r++) {
        same = same && memcmp(lines[r], s_signal.drawn[r], cols + 1) == 0;
        memcpy(s_signal.drawn[r], lines[r], cols + 1);
        ptrs[r] = s_signal.drawn[r];
    }
    if (same)
        return;
    cb_port_display_draw(ptrs, rows, cols);
}

/* ---- signal log ---- */

static void emit(const cb_jsonw_t *w)
{
    int n = cb_jsonw_finish(w);
    if (n < 0) {
        cb_port_log(CB_LOG_ERROR, "signal: a signal-log line did not fit (%u bytes)",
                    (unsigned)sizeof s_signal.json);
        return;
    }
    cb_port_signal_log(w->buf, (size_t)n);
}

static void log_seq(const char *kind, uint32_t seq, const char *pattern)
{
    if (!cb_port_signal_log_enabled())
        return;
    cb_jsonw_t w;
    cb_jsonw_init(&w, s_signal.json, sizeof s_signal.json);
    cb_jsonw_obj_begin(&w);
    cb_jsonw_kv_cstr(&w, "kind", kind);
    cb_jsonw_kv_u64(&w, "seq", seq);
    if (pattern)
        cb_jsonw_kv_cstr(&w, "pattern", pattern);
    cb_jsonw_obj_end(&w);
    emit(&w);
}

static size_t json_escaped_len(unsigned char c)
{
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
        return 2;
    return (c < 0x20 || c == 0x7F) ? 6 : 1;
}

/* The message line; text_max caps the text bytes written (SIZE_MAX: all). */
static void message_json(cb_jsonw_t *w, const cb_signal_msg_t *m, const line_t *lines,
                         unsigned rows, unsigned cols, size_t text_max)
{
    size_t len;
    const char *p;
    cb_jsonw_init(w, s_signal.json, sizeof s_signal.json);
    cb_jsonw_obj_begin(w);
    cb_jsonw_kv_cstr(w, "kind", "message");
    cb_jsonw_kv_u64(w, "seq", m->seq);
    p = str_or_empty(m->sender, &len);
    cb_jsonw_kv_str(w, "sender", p, len);
    p = str_or_empty(m->job_id, &len);
    cb_jsonw_kv_str(w, "job_id", p, len);
    p = str_or_empty(m->client_id, &len);
    cb_jsonw_kv_str(w, "client_id", p, len);
    p = str_or_empty(m->text, &len);
    bool cut = len > text_max;
    cb_jsonw_kv_str(w, "text", p, cut ? text_max : len);
    cb_jsonw_key(w, "lines");
    cb_jsonw_arr_begin(w);
    for (unsigned r = 0; r < rows; r++)
        cb_jsonw_str(w, lines[r], cols);
    cb_jsonw_arr_end(w);
    if (cut) {
        cb_jsonw_key(w, "truncated");
        cb_jsonw_bool(w, true);
    }
    cb_jsonw_obj_end(w);
}

/* The host's JSON_CAP holds a message line for any event a body can carry,
 * a board's holds plain text; should one not fit, its text is cut (at a code point) to what fits,
 * the line says "truncated":true and the error log says so. */
static void log_message(const cb_signal_msg_t *m, const line_t *lines, unsigned rows, unsigned cols)
{
    cb_jsonw_t w;
    message_json(&w, m, lines, rows, cols, SIZE_MAX);
    if (!w.overflow) {
        cb_port_signal_log(w.buf, w.len);
        return;
    }
    size_t len;
    const char *p = str_or_empty(m->text, &len);
    cb_port_log(CB_LOG_ERROR,
                "signal: message seq %lu (%lu bytes of text) outgrows the "
                "signal log; its text is cut",
                (unsigned long)m->seq, (unsigned long)len);
    message_json(&w, m, lines, rows, cols, 0);
    if (w.overflow) { /* the ids alone do not fit */
        cb_jsonw_init(&w, s_signal.json, sizeof s_signal.json);
        cb_jsonw_obj_begin(&w);
        cb_jsonw_kv_cstr(&w, "kind", "message");
        cb_jsonw_kv_u64(&w, "seq", m->seq);
        cb_jsonw_key(&w, "truncated");
        cb_jsonw_bool(&w, true);
        cb_jsonw_obj_end(&w);
        emit(&w);
        return;
    }
    size_t room = sizeof s_signal.json - 1 - w.len, k = 0, esc = 0;
    while (k < len && esc + json_escaped_len((unsigned char)p[k]) <= room)
        esc += json_escaped_len((unsigned char)p[k++]);
    message_json(&w, m, lines, rows, cols, head_len(p, len, k));
    emit(&w);
}

/* ---- buzzer ---- */

static const char *pattern_for(cb_span_t code)
{
    const cb_sender_cfg_t *cfg = cb_settings_sender(s_signal.set, code);
    return cfg ? cfg->pattern : s_signal.set->default_pattern;
}

static void buzz(uint32_t seq, const char *pattern)
{
    cb_port_buzzer_play(pattern);
    log_seq("buzzer", seq, pattern);
}

static uint64_t remind_period_ms(void)
{
    return (uint64_t)s_signal.set->reminder_s * 1000u;
}

static bool reminding(void)
{
    return s_signal.showing && s_signal.shown.unacked > 0 && s_signal.remind_armed &&
           s_signal.set->reminder_s > 0;
}

/* ---- API ---- */

void cb_signal_init(const cb_settings_t *s, uint64_t now_ms)
{
    (void)now_ms;
    s_signal.set = s;
    s_signal.scratch_msg = false;
    s_signal.showing = false;
    s_signal.seq = 0;
    s_signal.pattern = NULL;
    s_signal.step = 0;
    s_signal.next_step_ms = 0;
    s_signal.remind_armed = false;
    s_signal.next_remind_ms = 0;
    redraw(true);
}

void cb_signal_message(const cb_signal_msg_t *m, unsigned unacked, uint64_t now_ms)
{
    /* Prepared now only for the log line (its first frame); else when
     * cb_signal_show shows it, which is not always (an older one may wait). */
    s_signal.scratch_msg = false;
    if (cb_port_signal_log_enabled()) {
        prepare(&s_signal.scratch, s_signal.set, m, unacked);
        s_signal.scratch_msg = true;
        s_signal.scratch_seq = m->seq;
        line_t lines[ROWS];
        unsigned rows = rows_of(s_signal.set), cols = cols_of(s_signal.set);
        frame(&s_signal.scratch, rows, cols, 0, lines);
        log_message(m, (const line_t *)lines, rows, cols);
    }
    buzz(m->seq, pattern_for(m->sender));
    s_signal.remind_armed = true;
    s_signal.next_remind_ms = now_ms + remind_period_ms();
}

void cb_signal_restore(uint32_t seq)
{
    log_seq("restore", seq, NULL);
}

void cb_signal_ack(uint32_t seq)
{
    log_seq("ack", seq, NULL);
}

void cb_signal_show(const cb_signal_msg_t *m, unsigned unacked, uint64_t now_ms)
{
    if (!m) {
        s_signal.showing = false;
        s_signal.remind_armed = false;
        redraw(true);
        return;
    }
    if (s_signal.showing && s_signal.seq == m->seq) {
        /* Still the same message (a newer one came, an older one waits):
         * prepared already, only the count changes. */
        s_signal.shown.unacked = unacked;
    } else if (s_signal.scratch_msg && s_signal.scratch_seq == m->seq) {
        /* Shown right after message with a signal log: prepared already. */
        s_signal.shown = s_signal.scratch;
        s_signal.shown.unacked = unacked;
    } else
        prepare(&s_signal.shown, s_signal.set, m, unacked);
    s_signal.showing = true;
    s_signal.seq = m->seq;
    s_signal.pattern = pattern_for(m->sender);
    s_signal.step = 0;
    s_signal.next_step_ms = now_ms + s_signal.set->scroll_ms;
    if (unacked == 0)
        s_signal.remind_armed = false;
    else if (!s_signal.remind_armed) {
        s_signal.remind_armed = true;
        s_signal.next_remind_ms = now_ms + remind_period_ms();
    }
    redraw(true);
}

void cb_signal_remind(uint64_t now_ms)
{
    if (!s_signal.showing)
        return;
    buzz(s_signal.seq, s_signal.pattern);
    s_signal.remind_armed = s_signal.shown.unacked > 0;
    s_signal.next_remind_ms = now_ms + remind_period_ms();
}

uint32_t cb_signal_tick(uint64_t now_ms)
{
    uint64_t due = now_ms + IDLE_TICK_MS;
    uint32_t scroll = s_signal.set->scroll_ms;

    if (s_signal.showing && s_signal.shown.nsteps > 1 && scroll > 0) {
        if (now_ms >= s_signal.next_step_ms) {
            /* Late ticks catch up in one go rather than racing through frames. */
            uint64_t k = (now_ms - s_signal.next_step_ms) / scroll + 1;
            s_signal.step = (unsigned)((s_signal.step + k) % s_signal.shown.nsteps);
            s_signal.next_step_ms += k * scroll;
            redraw(false);
        }
        if (s_signal.next_step_ms < due)
            due = s_signal.next_step_ms;
    }
    if (reminding()) {
        uint64_t period = remind_period_ms();
        if (now_ms >= s_signal.next_remind_ms) {
            buzz(s_signal.seq, s_signal.pattern);
            s_signal.next_remind_ms += period;
            if (s_signal.next_remind_ms <= now_ms)
                s_signal.next_remind_ms = now_ms + period;
        }
        if (s_signal.next_remind_ms < due)
            due = s_signal.next_remind_ms;
    }
    return (uint32_t)(due - now_ms);
}
