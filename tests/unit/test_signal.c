/* test_signal.c - unit tests of cb_signal (SPEC 4): transliteration, display
 * layouts and scrolling, signal-log lines, buzzer patterns and reminders,
 * against the fake port's captured display, buzzer and signal log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cb_signal.h"
#include "fake_port.h"

#include <stdio.h>
#include <string.h>

#define T0 1000000u

static cb_settings_t set;

static void settings(unsigned rows, unsigned cols)
{
    memset(&set, 0, sizeof set);
    set.display_rows = rows;
    set.display_cols = cols;
    strcpy(set.senders[0].code, "SH");
    strcpy(set.senders[0].label, "Picker");
    strcpy(set.senders[0].pattern, "--..--");
    strcpy(set.senders[1].code, "SUP");
    strcpy(set.senders[1].label, "Support");
    strcpy(set.senders[1].pattern, "---");
    set.nsenders = 2;
    strcpy(set.default_pattern, "-.-.");
    set.reminder_s = 60;
    set.scroll_ms = 400;
}

static int setup(void **state)
{
    (void)state;
    fake_port_reset();
    settings(2, 16);
    cb_signal_init(&set, T0);
    return 0;
}

static cb_signal_msg_t msg(uint32_t seq, const char *sender, const char *job, const char *client,
                           const char *text)
{
    cb_signal_msg_t m = {seq, cb_span_str(sender), cb_span_str(job), cb_span_str(client),
                         cb_span_str(text)};
    return m;
}

static const char *tr(const char *utf8)
{
    static char out[256];
    cb_signal_translit(utf8, strlen(utf8), out, sizeof out);
    return out;
}

static char lines[CB_CFG_DISPLAY_ROWS_MAX][CB_CFG_DISPLAY_COLS_MAX + 1];

/* ---- transliteration ---- */

static void test_translit_maps_spec_examples_to_base_letters(void **state)
{
    (void)state;
    assert_string_equal(tr("\xc3\xa1\xc3\xa9\xc3\xad\xc3\xb3\xc3\xba\xc3\xb1\xc3\xbc\xc3\xa7"),
                        "aeiounuc");
    assert_string_equal(tr("\xc3\x81\xc3\x89\xc3\x8d\xc3\x93\xc3\x9a\xc3\x91\xc3\x9c\xc3\x87"),
                        "AEIOUNUC");
    assert_string_equal(tr("\xc2\xbf"
                           "D\xc3\xb3nde est\xc3\xa1s? \xc2\xa1"
                           "Ya!"),
                        "?Donde estas? !Ya!");
    assert_string_equal(tr("Se\xc3\xb1or Pe\xc3\xb1"
                           "a, ping\xc3\xbc"
                           "ino"),
                        "Senor Pena, pinguino");
}

static void test_translit_covers_latin1_and_extended_a(void **state)
{
    (void)state;
    /* Ł ó d ź  Ś Ć Ż  ß  Ø æ  Œ  ş ț */
    assert_string_equal(tr("\xc5\x81\xc3\xb3"
                           "d\xc5\xba"),
                        "Lodz");
    assert_string_equal(tr("\xc5\x9a\xc4\x86\xc5\xbb"), "SCZ");
    assert_string_equal(tr("Stra\xc3\x9f"
                           "e"),
                        "Strase");
    assert_string_equal(tr("\xc3\x98\xc3\xa6\xc5\x92\xc5\x9f\xc8\x9b"), "OaOst");
    assert_string_equal(
        tr("\xc3\x80\xc3\x85\xc3\x8e\xc3\x95\xc3\xbd\xc3\xbf\xc4\x9e\xc5\xbe\xc5\xbf"),
        "AAIOyyGzs");
    /* nbsp, degree, x sign, euro, minus, full-width A */
    assert_string_equal(tr("1\xc2\xa0"
                           "2\xc2\xb0\xc3\x97\xe2\x82\xac\xe2\x88\x92\xef\xbc\xa1"),
                        "1 2oxE-A");
}

static void test_translit_maps_typographic_punctuation(void **state)
{
    (void)state;
    /* “quoted” ‘single’ en–dash em—dash ellipsis… bullet• ‹› */
    assert_string_equal(tr("\xe2\x80\x9cq\xe2\x80\x9d \xe2\x80\x98s\xe2\x80\x99 a\xe2\x80\x93"
                           "b\xe2\x80\x94"
                           "c d\xe2\x80\xa6 \xe2\x80\xa2\xe2\x80\xb9\xe2\x80\xba"),
                        "\"q\" 's' a-b-c d. *<>");
}

static void test_translit_turns_controls_into_spaces(void **state)
{
    (void)state;
    assert_string_equal(tr("a\tb\nc\r\nd\x01"
                           "e\x7f"),
                        "a b c  d e ");
    assert_string_equal(tr("x\xc2\x85y"), "x y"); /* C1 control NEL */
}

static void test_translit_gives_one_question_mark_per_other_code_point(void **state)
{
    (void)state;
    assert_string_equal(tr("\xf0\x9f\x9a\x9a"), "?"); /* truck emoji */
    assert_string_equal(tr("ok \xf0\x9f\x91\x8d\xf0\x9f\x98\x80!"),
                        "ok ?"
                        "?!"); /* split: "??!" is a trigraph */
    assert_string_equal(tr("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "???"); /* CJK */
    assert_string_equal(tr("\xce\xb1\xd0\x96"), "??");                      /* Greek, Cyrillic */
}

static void test_translit_drops_invisible_code_points(void **state)
{
    (void)state;
    assert_string_equal(tr("e\xcc\x81"
                           "a\xcc\x83"),
                        "ea");                                        /* combining marks */
    assert_string_equal(tr("\xe2\x9d\xa4\xef\xb8\x8f"), "?");         /* heart + VS16 */
    assert_string_equal(tr("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"), "?"); /* thumbs up + tone */
    assert_string_equal(tr("a\xe2\x80\x8b"
                           "b\xc2\xad"
                           "c\xef\xbb\xbf"),
                        "abc"); /* ZWSP, SHY, BOM */
}

static void test_translit_replaces_invalid_utf8_bytes(void **state)
{
    (void)state;
    assert_string_equal(tr("a\xff"
                           "b"),
                        "a?b");
    assert_string_equal(tr("a\x80\x80"
                           "b"),
                        "a??b");                         /* stray continuations */
    assert_string_equal(tr("\xc0\xaf"), "??");           /* overlong '/' */
    assert_string_equal(tr("\xed\xa0\x80"), "???");      /* surrogate */
    assert_string_equal(tr("\xe0\x80\xaf"), "???");      /* overlong 3-byte '/' */
    assert_string_equal(tr("\xf0\x80\x80\xaf"), "????"); /* overlong 4-byte '/' */
    assert_string_equal(tr("\xf4\x90\x80\x80"), "????"); /* over U+10FFFF */
    assert_string_equal(tr("a\xe2\x82"
                           "b"),
                        "a?b");                     /* cut 3-byte sequence */
    assert_string_equal(tr("a\xf0\x9f\x9a"), "a?"); /* cut at the end */
    assert_string_equal(tr("\xc3"
                           "A"),
                        "?A");
}

static void test_translit_stops_at_capacity_and_terminates(void **state)
{
    (void)state;
    char out[4] = "zzz";
    assert_int_equal(cb_signal_translit("\xc3\xa1"
                                        "bcdef",
                                        6, out, sizeof out),
                     3);
    assert_string_equal(out, "abc");
    assert_int_equal(cb_signal_translit("abc", 3, out, 0), 0);
    assert_int_equal(out[0], 'a');
    assert_int_equal(cb_signal_translit("abc", 3, out, 1), 0);
    assert_string_equal(out, "");
    /* length is honoured, not NUL termination */
    assert_int_equal(cb_signal_translit("ab\0cd", 5, out, sizeof out), 3);
    assert_string_equal(out, "ab ");
}

/* ---- layout ---- */

static void test_layout_2x16_label_job_count_and_text(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", "C1", "Hola, ya llegu\xc3\xa9");
    assert_int_equal(cb_signal_render(&set, &m, 3, 0, lines), 1);
    assert_string_equal(lines[0], "Picker JOB-42  3");
    assert_string_equal(lines[1], "Hola, ya llegue ");
}

static void test_layout_4x20_word_wraps_text(void **state)
{
    (void)state;
    settings(4, 20);
    cb_signal_msg_t m =
        msg(1, "SUP", "JOB-42", NULL, "Your order is ready\nat the counter,  please come by");
    assert_int_equal(cb_signal_render(&set, &m, 12, 0, lines), 1);
    assert_string_equal(lines[0], "Support JOB-42    12");
    assert_string_equal(lines[1], "Your order is ready ");
    assert_string_equal(lines[2], "at the counter,     ");
    assert_string_equal(lines[3], "please come by      ");
}

static void test_layout_4x20_short_text_leaves_blank_lines(void **state)
{
    (void)state;
    settings(4, 20);
    cb_signal_msg_t m = msg(1, "SH", "J1", NULL, "  Hi  ");
    assert_int_equal(cb_signal_render(&set, &m, 1, 0, lines), 1);
    assert_string_equal(lines[0], "Picker J1          1");
    assert_string_equal(lines[1], "Hi                  ");
    assert_string_equal(lines[2], "                    ");
    assert_string_equal(lines[3], "                    ");
}

static void test_layout_long_job_id_keeps_its_end(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "SH", "ORDER-2024-00000123", NULL, "x");
    cb_signal_render(&set, &m, 3, 0, lines);
    assert_string_equal(lines[0], "Picker 0000123 3");
    m.sender = cb_span_str("SUP");
    cb_signal_render(&set, &m, 3, 0, lines);
    assert_string_equal(lines[0], "Support 000123 3");
    /* a job id longer than what is kept in RAM still shows its end */
    char job[300];
    memset(job, 'A', sizeof job);
    memcpy(job + sizeof job - 9, "-END-4711", 9);
    m.job_id = cb_span(job, sizeof job);
    cb_signal_render(&set, &m, 3, 0, lines);
    assert_string_equal(lines[0], "Support D-4711 3");
}

static void test_layout_truncates_label_before_job_id(void **state)
{
    (void)state;
    strcpy(set.senders[1].label, "Store Helper");
    cb_signal_msg_t m = msg(1, "SUP", "ORDER-2024-00000123", NULL, "x");
    cb_signal_render(&set, &m, 3, 0, lines);
    assert_string_equal(lines[0], "Store H 000123 3");
    cb_signal_render(&set, &m, 250, 0, lines);
    assert_string_equal(lines[0], "Store 000123 99+");
    /* a short job id leaves the label more room */
    m.job_id = cb_span_str("J7");
    cb_signal_render(&set, &m, 3, 0, lines);
    assert_string_equal(lines[0], "Store Helpe J7 3");
    /* a very long label still leaves the job id its 6 chars */
    strcpy(set.senders[1].label, "Supervisor of the evening shift");
    m.job_id = cb_span_str("A-1234567890123");
    cb_signal_render(&set, &m, 3, 0, lines);
    assert_string_equal(lines[0], "Supervi 890123 3");
}

static void test_layout_count_shows_99_plus_past_99(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "x");
    cb_signal_render(&set, &m, 99, 0, lines);
    assert_string_equal(lines[0], "Picker JOB-42 99");
    cb_signal_render(&set, &m, 100, 0, lines);
    assert_string_equal(lines[0], "Picke JOB-42 99+");
    cb_signal_render(&set, &m, 1024, 0, lines);
    assert_string_equal(lines[0], "Picke JOB-42 99+");
}

static void test_layout_every_line_is_exactly_cols_chars(void **state)
{
    (void)state;
    static const unsigned shapes[][2] = {{2, 16}, {4, 20}, {3, 8}, {2, 1}, {2, 3}, {4, 4}};
    cb_signal_msg_t m = msg(1, "SOMEONE-UNKNOWN", "A-VERY-LONG-JOB-ID-123456789", NULL,
                            "\xf0\x9f\x9a\x9a word wrapping x verylongwordwithoutspaces ok");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        settings(shapes[i][0], shapes[i][1]);
        unsigned n = cb_signal_render(&set, &m, 1000, 0, lines);
        for (unsigned step = 0; step < n + 1; step++) {
            cb_signal_render(&set, &m, 1000, step, lines);
            for (unsigned r = 0; r < shapes[i][0]; r++) {
                assert_int_equal(strlen(lines[r]), shapes[i][1]);
                for (unsigned c = 0; c < shapes[i][1]; c++)
                    assert_true(lines[r][c] >= 0x20 && lines[r][c] < 0x7f);
            }
        }
    }
}

static void test_layout_unknown_sender_shows_its_code(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "DRV", "JOB-42", NULL, "x");
    cb_signal_render(&set, &m, 1, 0, lines);
    assert_string_equal(lines[0], "DRV JOB-42     1");
}

static void test_idle_screen_on_init_and_after_show_null(void **state)
{
    (void)state;
    assert_int_equal(fake_port.display_draws, 1);
    assert_int_equal(fake_port.display_rows, 2);
    assert_int_equal(fake_port.display_cols, 16);
    assert_string_equal(fake_port.display[0], "chatbell        ");
    assert_string_equal(fake_port.display[1], "no messages     ");
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "hi");
    cb_signal_show(&m, 1, T0);
    assert_string_equal(fake_port.display[0], "Picker JOB-42  1");
    assert_string_equal(fake_port.display[1], "hi              ");
    cb_signal_show(NULL, 0, T0 + 10);
    assert_string_equal(fake_port.display[0], "chatbell        ");
    assert_string_equal(fake_port.display[1], "no messages     ");

    settings(4, 20);
    cb_signal_init(&set, T0);
    assert_int_equal(fake_port.display_rows, 4);
    assert_string_equal(fake_port.display[1], "no messages         ");
    assert_string_equal(fake_port.display[3], "                    ");
}

/* ---- scrolling ---- */

static void test_marquee_scrolls_one_char_per_step_with_pause_and_gap(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "abcdefghijklmnopqrstu"); /* 21 chars */
    assert_int_equal(cb_signal_render(&set, &m, 1, 0, lines), 5 + 21 + 4 - 1);
    cb_signal_show(&m, 1, T0);
    assert_string_equal(fake_port.display[1], "abcdefghijklmnop");
    unsigned draws = fake_port.display_draws;

    static const struct {
        unsigned step;
        const char *line;
    } want[] = {{1, "abcdefghijklmnop"},  {4, "abcdefghijklmnop"},  {5, "bcdefghijklmnopq"},
                {6, "cdefghijklmnopqr"},  {9, "fghijklmnopqrstu"},  {10, "ghijklmnopqrstu "},
                {14, "klmnopqrstu    a"}, {28, " abcdefghijklmno"}, {29, "abcdefghijklmnop"},
                {34, "bcdefghijklmnopq"}};
    size_t w = 0;
    for (unsigned step = 1; step <= 34; step++) {
        uint32_t next = cb_signal_tick(T0 + 400u * step);
        assert_int_equal(next, 400);
        assert_string_equal(fake_port.display[0], "Picker JOB-42  1");
        if (w < sizeof want / sizeof want[0] && want[w].step == step) {
            assert_string_equal(fake_port.display[1], want[w].line);
            w++;
        }
        if (step <= 4)
            assert_int_equal(fake_port.display_draws, draws); /* pause: nothing redrawn */
    }
    assert_int_equal(w, sizeof want / sizeof want[0]);
    /* between steps: nothing moves, the answer is the time left */
    assert_int_equal(cb_signal_tick(T0 + 400u * 34 + 150), 250);
    assert_string_equal(fake_port.display[1], "bcdefghijklmnopq");
}

static void test_marquee_catches_up_after_a_late_tick(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "abcdefghijklmnopqrstu");
    cb_signal_show(&m, 1, T0);
    /* step 6 is due at T0+2400; a tick at T0+2500 shows it, next due at +2800 */
    assert_int_equal(cb_signal_tick(T0 + 2500), 300);
    assert_string_equal(fake_port.display[1], "cdefghijklmnopqr");
}

static void test_text_that_fits_does_not_scroll(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "exactly sixteen!");
    assert_int_equal(cb_signal_render(&set, &m, 1, 0, lines), 1);
    set.reminder_s = 0;
    cb_signal_show(&m, 1, T0);
    unsigned draws = fake_port.display_draws;
    assert_int_equal(cb_signal_tick(T0 + 5000), 1000);
    assert_int_equal(fake_port.display_draws, draws);
    assert_string_equal(fake_port.display[1], "exactly sixteen!");
}

static void test_wrapped_text_scrolls_a_line_at_a_time(void **state)
{
    (void)state;
    settings(4, 20);
    cb_signal_init(&set, T0);
    cb_signal_msg_t m = msg(2, "SH", "JOB-42", NULL,
                            "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj "
                            "kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss tttt");
    /* 5 lines, 3 windows: first held 5 steps, middle 4, last 5 */
    assert_int_equal(cb_signal_render(&set, &m, 2, 0, lines), 14);
    cb_signal_show(&m, 2, T0);
    static const char *const win[3][3] = {
        {"aaaa bbbb cccc dddd ", "eeee ffff gggg hhhh ", "iiii jjjj kkkk llll "},
        {"eeee ffff gggg hhhh ", "iiii jjjj kkkk llll ", "mmmm nnnn oooo pppp "},
        {"iiii jjjj kkkk llll ", "mmmm nnnn oooo pppp ", "qqqq rrrr ssss tttt "},
    };
    for (unsigned step = 0; step <= 15; step++) {
        if (step)
            cb_signal_tick(T0 + 400u * step);
        unsigned s = step % 14, k = s < 5 ? 0 : s < 9 ? 1 : 2;
        assert_string_equal(fake_port.display[0], "Picker JOB-42      2");
        for (unsigned r = 0; r < 3; r++)
            assert_string_equal(fake_port.display[r + 1], win[k][r]);
    }
}

static void test_wrap_breaks_a_word_longer_than_a_line(void **state)
{
    (void)state;
    settings(4, 20);
    cb_signal_msg_t m = msg(1, "SH", "J", NULL, "see https://example.com/track/123456 now");
    assert_int_equal(cb_signal_render(&set, &m, 1, 0, lines), 1);
    assert_string_equal(lines[1], "see                 ");
    assert_string_equal(lines[2], "https://example.com/");
    assert_string_equal(lines[3], "track/123456 now    ");
}

static void test_long_text_displays_like_its_inbox_copy(void **state)
{
    (void)state;
    static char text[CB_CFG_SHOWN_TEXT_MAX + 100], copy[CB_CFG_SHOWN_TEXT_MAX];
    static char a[CB_CFG_DISPLAY_ROWS_MAX][CB_CFG_DISPLAY_COLS_MAX + 1];
    size_t n = 0;
    while (n + 7 < sizeof text) {
        memcpy(text + n,
               "ma\xc3\xb1"
               "ana ",
               7);
        n += 7;
    }
    text[n] = '\0';
    /* the inbox's copy: at most CB_CFG_SHOWN_TEXT_MAX-1 bytes, whole code points */
    size_t k = sizeof copy - 1;
    while (((unsigned char)text[k] & 0xC0) == 0x80)
        k--;
    memcpy(copy, text, k);
    copy[k] = '\0';
    static const unsigned shapes[][2] = {{2, 16}, {4, 20}};
    for (size_t i = 0; i < 2; i++) {
        settings(shapes[i][0], shapes[i][1]);
        cb_signal_msg_t full = msg(1, "SH", "J", NULL, text), inbox = msg(1, "SH", "J", NULL, copy);
        unsigned steps = cb_signal_render(&set, &full, 1, 0, a);
        assert_true(steps > 1);
        assert_int_equal(cb_signal_render(&set, &inbox, 1, 0, lines), steps);
        for (unsigned step = 0; step < steps; step++) {
            cb_signal_render(&set, &full, 1, step, a);
            cb_signal_render(&set, &inbox, 1, step, lines);
            for (unsigned r = 0; r < shapes[i][0]; r++)
                assert_string_equal(a[r], lines[r]);
        }
    }
}

static void test_text_head_is_cut_at_a_code_point(void **state)
{
    (void)state;
    /* "n~" would straddle byte CB_CFG_SHOWN_TEXT_MAX-1: it is left out whole */
    static char text[CB_CFG_SHOWN_TEXT_MAX + 8];
    memset(text, 'a', CB_CFG_SHOWN_TEXT_MAX - 2);
    strcpy(text + CB_CFG_SHOWN_TEXT_MAX - 2, "\xc3\xb1"
                                             "bbb");
    cb_signal_msg_t m = msg(1, "SH", "J", NULL, text);
    unsigned n = cb_signal_render(&set, &m, 1, 0, lines);
    assert_int_equal(n, 5 + (CB_CFG_SHOWN_TEXT_MAX - 2) + 4 - 1);
    cb_signal_render(&set, &m, 1, n - 16, lines); /* the last 12 chars, then the gap */
    assert_string_equal(lines[1], "aaaaaaaaaaaa    ");
}

/* ---- signal log and buzzer ---- */

static void test_message_logs_message_and_buzzer_lines_exactly(void **state)
{
    (void)state;
    cb_signal_msg_t m =
        msg(7, "SH", "JOB-42", "C-1", "He said \"hi\"\n\xc3\x81\xf0\x9f\x9a\x9a back\\slash");
    cb_signal_message(&m, 1, T0);
    assert_int_equal(fake_port.nsignals, 2);
    assert_string_equal(fake_port.signals[0],
                        "{\"kind\":\"message\",\"seq\":7,\"sender\":\"SH\",\"job_id\":\"JOB-42\","
                        "\"client_id\":\"C-1\",\"text\":\"He said \\\"hi\\\"\\n\xc3\x81\xf0\x9f"
                        "\x9a\x9a back\\\\slash\",\"lines\":[\"Picker JOB-42  1\",\"He said "
                        "\\\"hi\\\" A? \"]}");
    assert_int_equal(fake_port.signal_len[0], strlen(fake_port.signals[0]));
    assert_string_equal(fake_port.signals[1],
                        "{\"kind\":\"buzzer\",\"seq\":7,\"pattern\":\"--..--\"}");
    assert_int_equal(fake_port.buzzer_plays, 1);
    assert_string_equal(fake_port.buzzer_last, "--..--");
    /* the message does not change what the display shows */
    assert_string_equal(fake_port.display[0], "chatbell        ");
}

static void test_message_without_client_id_logs_empty_string(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(3, "SUP", "J-1", NULL, "ok");
    cb_signal_message(&m, 2, T0);
    assert_string_equal(fake_port.signals[0],
                        "{\"kind\":\"message\",\"seq\":3,\"sender\":\"SUP\",\"job_id\":\"J-1\","
                        "\"client_id\":\"\",\"text\":\"ok\",\"lines\":[\"Support J-1    2\","
                        "\"ok              \"]}");
    assert_string_equal(fake_port.signals[1],
                        "{\"kind\":\"buzzer\",\"seq\":3,\"pattern\":\"---\"}");
}

static void test_message_logs_4x20_lines(void **state)
{
    (void)state;
    settings(4, 20);
    cb_signal_init(&set, T0);
    cb_signal_msg_t m = msg(9, "SH", "JOB-42", "c", "Hi");
    cb_signal_message(&m, 1, T0);
    assert_string_equal(fake_port.signals[0],
                        "{\"kind\":\"message\",\"seq\":9,\"sender\":\"SH\",\"job_id\":\"JOB-42\","
                        "\"client_id\":\"c\",\"text\":\"Hi\",\"lines\":[\"Picker JOB-42      1\","
                        "\"Hi                  \",\"                    \","
                        "\"                    \"]}");
}

static void test_unknown_sender_gets_default_pattern(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(4, "DRV", "JOB-42", "c", "on my way");
    cb_signal_message(&m, 1, T0);
    assert_non_null(strstr(fake_port.signals[0], "\"lines\":[\"DRV JOB-42     1\""));
    assert_string_equal(fake_port.signals[1],
                        "{\"kind\":\"buzzer\",\"seq\":4,\"pattern\":\"-.-.\"}");
    assert_string_equal(fake_port.buzzer_last, "-.-.");
    cb_signal_show(&m, 1, T0);
    assert_string_equal(fake_port.display[0], "DRV JOB-42     1");
}

static void test_ack_and_restore_lines(void **state)
{
    (void)state;
    cb_signal_ack(12);
    cb_signal_restore(4294967295u);
    assert_int_equal(fake_port.nsignals, 2);
    assert_string_equal(fake_port.signals[0], "{\"kind\":\"ack\",\"seq\":12}");
    assert_string_equal(fake_port.signals[1], "{\"kind\":\"restore\",\"seq\":4294967295}");
    assert_int_equal(fake_port.buzzer_plays, 0);
}

static void test_buzzer_pattern_is_json_escaped(void **state)
{
    (void)state;
    strcpy(set.default_pattern, "-\"\\.");
    cb_signal_msg_t m = msg(1, "X", "J", NULL, "t");
    cb_signal_message(&m, 1, T0);
    assert_string_equal(fake_port.signals[1],
                        "{\"kind\":\"buzzer\",\"seq\":1,\"pattern\":\"-\\\"\\\\.\"}");
}

/* Builds the message line expected for a 2x16 display, count 1, sender SH. */
static size_t expected_line(char *out, size_t cap, const char *text_json, const char *line2)
{
    int n = snprintf(out, cap,
                     "{\"kind\":\"message\",\"seq\":1,\"sender\":\"SH\",\"job_id\":\"JOB-42\","
                     "\"client_id\":\"\",\"text\":\"%s\",\"lines\":[\"Picker JOB-42  1\",\"%s\"]}",
                     text_json, line2);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static void test_16k_text_is_logged_whole(void **state)
{
    (void)state;
    static char text[CB_CFG_BODY_MAX + 1], want[CB_CFG_BODY_MAX + 512];
    for (size_t i = 0; i < CB_CFG_BODY_MAX; i++)
        text[i] = (char)('a' + i % 26);
    text[CB_CFG_BODY_MAX - 1] = 'Z';
    text[CB_CFG_BODY_MAX] = '\0';
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, text);
    cb_signal_message(&m, 1, T0);
    size_t n = expected_line(want, sizeof want, text, "abcdefghijklmnop");
    assert_int_equal(fake_port.signal_len[0], n);
    assert_memory_equal(fake_port.signals[0], want, FAKE_SIGNAL_LEN - 1);
    assert_false(fake_port_log_contains("signal"));

    /* 8192 x "ñ": 16 KiB of UTF-8, kept as it is */
    for (size_t i = 0; i < CB_CFG_BODY_MAX; i += 2)
        memcpy(text + i, "\xc3\xb1", 2);
    fake_port_reset();
    cb_signal_message(&m, 1, T0);
    n = expected_line(want, sizeof want, text, "nnnnnnnnnnnnnnnn");
    assert_int_equal(fake_port.signal_len[0], n);
    assert_memory_equal(fake_port.signals[0], want, FAKE_SIGNAL_LEN - 1);

    /* 16 KiB of control bytes: every one escapes to \u00XX, six times the size */
    memset(text, '\x01', CB_CFG_BODY_MAX);
    fake_port_reset();
    cb_signal_message(&m, 1, T0);
    assert_int_equal(fake_port.signal_len[0], n - CB_CFG_BODY_MAX + 6 * CB_CFG_BODY_MAX);
    assert_non_null(strstr(fake_port.signals[0], "\"text\":\"\\u0001\\u0001"));
    assert_false(fake_port_log_contains("signal"));
}

static void test_line_that_cannot_fit_is_cut_with_an_error_logged(void **state)
{
    (void)state;
    static char text[CB_CFG_BODY_MAX + 1], client[4001];
    memset(text, '\x01', CB_CFG_BODY_MAX);
    memset(client, '\x02', sizeof client - 1);
    cb_signal_msg_t m = msg(5, "SH", "JOB-42", client, text);
    cb_signal_message(&m, 1, T0);
    assert_int_equal(fake_port.nsignals, 2); /* still one message line, one buzzer line */
    assert_true(fake_port.signal_len[0] <= CB_CFG_BODY_MAX * 6 + 511);
    assert_true(fake_port.signal_len[0] > CB_CFG_BODY_MAX * 6 + 511 - 6);
    assert_memory_equal(fake_port.signals[0], "{\"kind\":\"message\",\"seq\":5,", 26);
    assert_true(fake_port_log_contains("seq 5"));

    /* ids alone too large: a minimal line that still counts the message */
    static char job[CB_CFG_BODY_MAX * 2];
    memset(job, '\x03', sizeof job - 1);
    m.job_id = cb_span_str(job);
    m.client_id = CB_SPAN_NONE;
    fake_port_reset();
    cb_signal_message(&m, 1, T0);
    assert_string_equal(fake_port.signals[0],
                        "{\"kind\":\"message\",\"seq\":5,\"truncated\":true}");
    assert_string_equal(fake_port.signals[1],
                        "{\"kind\":\"buzzer\",\"seq\":5,\"pattern\":\"--..--\"}");
}

/* ---- reminders ---- */

/* A port without a signal log (the simulator without --signal-log) gets no
 * line and no call, and the display and the buzzer do exactly the same. */
static void test_no_signal_log_no_lines_same_display_and_buzzer(void **state)
{
    (void)state;
    char display[2][2][CB_CFG_DISPLAY_COLS_MAX + 2];
    char buzzer[2][128];
    unsigned plays[2], draws[2];
    for (int off = 0; off < 2; off++) {
        fake_port_reset();
        fake_port.signal_log_off = off;
        cb_signal_init(&set, T0);
        cb_signal_msg_t m = msg(5, "SH", "JOB-77", "c", "Hola, \xc2\xbfviene?");
        cb_signal_message(&m, 1, T0);
        cb_signal_show(&m, 1, T0);
        cb_signal_tick(T0 + 60000); /* a reminder */
        cb_signal_ack(5);
        cb_signal_restore(5);
        assert_int_equal(fake_port.nsignals, off ? 0 : 5);
        for (int r = 0; r < 2; r++)
            strcpy(display[off][r], fake_port.display[r]);
        strcpy(buzzer[off], fake_port.buzzer_last);
        plays[off] = fake_port.buzzer_plays;
        draws[off] = fake_port.display_draws;
    }
    assert_string_equal(display[1][0], display[0][0]);
    assert_string_equal(display[1][1], display[0][1]);
    assert_string_equal(display[1][0], "Picker JOB-77  1");
    assert_string_equal(buzzer[1], buzzer[0]);
    assert_int_equal(plays[1], 2);
    assert_int_equal(plays[1], plays[0]);
    assert_int_equal(draws[1], draws[0]);
}

/* The oldest message stays on the display while newer ones arrive (each
 * logged and buzzed, with or without a signal log): only its count moves,
 * and a newer message prepared for its log line never leaks onto it. */
static void test_oldest_stays_shown_with_its_count_as_newer_ones_arrive(void **state)
{
    (void)state;
    for (int off = 0; off < 2; off++) {
        fake_port_reset();
        fake_port.signal_log_off = off;
        cb_signal_init(&set, T0);
        cb_signal_msg_t m5 = msg(5, "SH", "JOB-5", "c", "Oldest text");
        cb_signal_message(&m5, 1, T0);
        cb_signal_show(&m5, 1, T0);
        assert_string_equal(fake_port.display[0], "Picker JOB-5   1");
        for (uint32_t seq = 6; seq <= 8; seq++) {
            cb_signal_msg_t mn = msg(seq, "SUP", "JOB-NEW", "c", "Newer text");
            cb_signal_message(&mn, seq - 4, T0);
            unsigned draws = fake_port.display_draws;
            cb_signal_show(&m5, seq - 4, T0);
            assert_int_equal(fake_port.display_draws, draws + 1);
        }
        assert_string_equal(fake_port.display[0], "Picker JOB-5   4");
        assert_string_equal(fake_port.display[1], "Oldest text     ");
        assert_int_equal(fake_port.buzzer_plays, 4);
        assert_string_equal(fake_port.buzzer_last, "---");
        /* after the idle screen the same message is prepared again */
        cb_signal_show(NULL, 0, T0);
        cb_signal_show(&m5, 1, T0);
        assert_string_equal(fake_port.display[0], "Picker JOB-5   1");
        assert_string_equal(fake_port.display[1], "Oldest text     ");
    }
}

static void test_reminder_every_60s_while_unacked(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(8, "SUP", "JOB-42", NULL, "hi");
    cb_signal_message(&m, 1, T0);
    cb_signal_show(&m, 1, T0);
    assert_int_equal(fake_port.buzzer_plays, 1);
    assert_int_equal(cb_signal_tick(T0 + 59000), 1000);
    assert_int_equal(cb_signal_tick(T0 + 59500), 500);
    assert_int_equal(fake_port.buzzer_plays, 1);
    cb_signal_tick(T0 + 60000);
    assert_int_equal(fake_port.buzzer_plays, 2);
    assert_int_equal(fake_port.nsignals, 3);
    assert_string_equal(fake_port.signals[2],
                        "{\"kind\":\"buzzer\",\"seq\":8,\"pattern\":\"---\"}");
    cb_signal_tick(T0 + 60400);
    assert_int_equal(fake_port.buzzer_plays, 2);
    cb_signal_tick(T0 + 120000);
    assert_int_equal(fake_port.buzzer_plays, 3);
    /* a very late tick plays once, not a burst */
    cb_signal_tick(T0 + 400000);
    assert_int_equal(fake_port.buzzer_plays, 4);
    assert_int_equal(cb_signal_tick(T0 + 400001), 1000);
}

static void test_reminder_uses_the_shown_message(void **state)
{
    (void)state;
    cb_signal_msg_t a = msg(1, "SH", "JOB-1", NULL, "first");
    cb_signal_msg_t b = msg(2, "SUP", "JOB-2", NULL, "second");
    cb_signal_message(&a, 1, T0);
    cb_signal_show(&a, 1, T0);
    cb_signal_message(&b, 2, T0 + 1000);
    cb_signal_show(&a, 2, T0 + 1000); /* the oldest stays on the display */
    cb_signal_tick(T0 + 61000);
    assert_int_equal(fake_port.nsignals, 5);
    assert_string_equal(fake_port.signals[4],
                        "{\"kind\":\"buzzer\",\"seq\":1,\"pattern\":\"--..--\"}");
}

static void test_reminder_timer_restarts_on_new_message(void **state)
{
    (void)state;
    cb_signal_msg_t a = msg(1, "SH", "JOB-1", NULL, "first");
    cb_signal_message(&a, 1, T0);
    cb_signal_show(&a, 1, T0);
    cb_signal_msg_t b = msg(2, "SH", "JOB-2", NULL, "second");
    cb_signal_message(&b, 2, T0 + 30000);
    cb_signal_show(&a, 2, T0 + 30000);
    assert_int_equal(fake_port.buzzer_plays, 2);
    cb_signal_tick(T0 + 60000);
    assert_int_equal(fake_port.buzzer_plays, 2);
    cb_signal_tick(T0 + 90000);
    assert_int_equal(fake_port.buzzer_plays, 3);
}

static void test_no_reminders_when_reminder_s_is_zero(void **state)
{
    (void)state;
    set.reminder_s = 0;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "hi");
    cb_signal_message(&m, 1, T0);
    cb_signal_show(&m, 1, T0);
    for (uint64_t t = T0; t <= T0 + 3600000; t += 1000)
        assert_int_equal(cb_signal_tick(t), 1000);
    assert_int_equal(fake_port.buzzer_plays, 1);
}

static void test_reminders_stop_after_show_null(void **state)
{
    (void)state;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "hi");
    cb_signal_message(&m, 1, T0);
    cb_signal_show(&m, 1, T0);
    cb_signal_tick(T0 + 60000);
    assert_int_equal(fake_port.buzzer_plays, 2);
    cb_signal_ack(1);
    cb_signal_show(NULL, 0, T0 + 61000);
    cb_signal_tick(T0 + 120000);
    cb_signal_tick(T0 + 180000);
    assert_int_equal(fake_port.buzzer_plays, 2);
    assert_int_equal(cb_signal_tick(T0 + 180001), 1000);
    /* and start again with the next message */
    cb_signal_message(&m, 1, T0 + 200000);
    cb_signal_show(&m, 1, T0 + 200000);
    cb_signal_tick(T0 + 260000);
    assert_int_equal(fake_port.buzzer_plays, 4);
}

static void test_remind_after_restart_plays_now_then_every_period(void **state)
{
    (void)state;
    cb_signal_remind(T0); /* idle: nothing */
    assert_int_equal(fake_port.buzzer_plays, 0);
    assert_int_equal(fake_port.nsignals, 0);
    cb_signal_msg_t m = msg(42, "SUP", "JOB-42", NULL, "hi");
    cb_signal_restore(42);
    cb_signal_show(&m, 1, T0);
    cb_signal_remind(T0);
    assert_int_equal(fake_port.buzzer_plays, 1);
    assert_string_equal(fake_port.signals[1],
                        "{\"kind\":\"buzzer\",\"seq\":42,\"pattern\":\"---\"}");
    cb_signal_tick(T0 + 59999);
    assert_int_equal(fake_port.buzzer_plays, 1);
    cb_signal_tick(T0 + 60000);
    assert_int_equal(fake_port.buzzer_plays, 2);
}

static void test_tick_never_returns_zero(void **state)
{
    (void)state;
    assert_int_equal(cb_signal_tick(T0), 1000);
    set.scroll_ms = 1;
    cb_signal_msg_t m = msg(1, "SH", "JOB-42", NULL, "a text longer than sixteen chars");
    cb_signal_show(&m, 1, T0);
    for (uint64_t t = T0; t < T0 + 100; t++)
        assert_true(cb_signal_tick(t) >= 1);
    set.scroll_ms = 0; /* no scrolling at all */
    cb_signal_show(&m, 1, T0 + 100);
    assert_int_equal(cb_signal_tick(T0 + 100), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_translit_maps_spec_examples_to_base_letters, setup),
        cmocka_unit_test_setup(test_translit_covers_latin1_and_extended_a, setup),
        cmocka_unit_test_setup(test_translit_maps_typographic_punctuation, setup),
        cmocka_unit_test_setup(test_translit_turns_controls_into_spaces, setup),
        cmocka_unit_test_setup(test_translit_gives_one_question_mark_per_other_code_point, setup),
        cmocka_unit_test_setup(test_translit_drops_invisible_code_points, setup),
        cmocka_unit_test_setup(test_translit_replaces_invalid_utf8_bytes, setup),
        cmocka_unit_test_setup(test_translit_stops_at_capacity_and_terminates, setup),
        cmocka_unit_test_setup(test_layout_2x16_label_job_count_and_text, setup),
        cmocka_unit_test_setup(test_layout_4x20_word_wraps_text, setup),
        cmocka_unit_test_setup(test_layout_4x20_short_text_leaves_blank_lines, setup),
        cmocka_unit_test_setup(test_layout_long_job_id_keeps_its_end, setup),
        cmocka_unit_test_setup(test_layout_truncates_label_before_job_id, setup),
        cmocka_unit_test_setup(test_layout_count_shows_99_plus_past_99, setup),
        cmocka_unit_test_setup(test_layout_every_line_is_exactly_cols_chars, setup),
        cmocka_unit_test_setup(test_layout_unknown_sender_shows_its_code, setup),
        cmocka_unit_test_setup(test_idle_screen_on_init_and_after_show_null, setup),
        cmocka_unit_test_setup(test_marquee_scrolls_one_char_per_step_with_pause_and_gap, setup),
        cmocka_unit_test_setup(test_marquee_catches_up_after_a_late_tick, setup),
        cmocka_unit_test_setup(test_text_that_fits_does_not_scroll, setup),
        cmocka_unit_test_setup(test_wrapped_text_scrolls_a_line_at_a_time, setup),
        cmocka_unit_test_setup(test_wrap_breaks_a_word_longer_than_a_line, setup),
        cmocka_unit_test_setup(test_long_text_displays_like_its_inbox_copy, setup),
        cmocka_unit_test_setup(test_text_head_is_cut_at_a_code_point, setup),
        cmocka_unit_test_setup(test_message_logs_message_and_buzzer_lines_exactly, setup),
        cmocka_unit_test_setup(test_message_without_client_id_logs_empty_string, setup),
        cmocka_unit_test_setup(test_message_logs_4x20_lines, setup),
        cmocka_unit_test_setup(test_unknown_sender_gets_default_pattern, setup),
        cmocka_unit_test_setup(test_ack_and_restore_lines, setup),
        cmocka_unit_test_setup(test_buzzer_pattern_is_json_escaped, setup),
        cmocka_unit_test_setup(test_16k_text_is_logged_whole, setup),
        cmocka_unit_test_setup(test_line_that_cannot_fit_is_cut_with_an_error_logged, setup),
        cmocka_unit_test_setup(test_no_signal_log_no_lines_same_display_and_buzzer, setup),
        cmocka_unit_test_setup(test_oldest_stays_shown_with_its_count_as_newer_ones_arrive, setup),
        cmocka_unit_test_setup(test_reminder_every_60s_while_unacked, setup),
        cmocka_unit_test_setup(test_reminder_uses_the_shown_message, setup),
        cmocka_unit_test_setup(test_reminder_timer_restarts_on_new_message, setup),
        cmocka_unit_test_setup(test_no_reminders_when_reminder_s_is_zero, setup),
        cmocka_unit_test_setup(test_reminders_stop_after_show_null, setup),
        cmocka_unit_test_setup(test_remind_after_restart_plays_now_then_every_period, setup),
        cmocka_unit_test_setup(test_tick_never_returns_zero, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
