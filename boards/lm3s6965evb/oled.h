/* oled.h - the evaluation board's OSRAM 128x64 OLED panel (SSD0323
 * controller, 4 bits a pixel, on SSI0; PC7 selects command or data) drawing
 * the display's text lines in the 5x7 font of font.c. The layout below is
 * also read by tests/board/qemu_board.py to render the expected picture. */
#ifndef BOARD_OLED_H
#define BOARD_OLED_H

#include <stdint.h>

#define OLED_WID    128 /* pixels */
#define OLED_HGT    64
#define OLED_CELL_W 6 /* a character: 5x7 glyph, 1 column and 3 rows apart */
#define OLED_CELL_H 10
#define OLED_X0     1 /* the first character's top-left pixel */
#define OLED_Y0     2
#define OLED_ON     0xF /* grey level of a lit pixel (0..15) */

#define FONT_FIRST 0x20
#define FONT_LAST  0x7E

/* FONT_LAST - FONT_FIRST + 1 glyphs of 5 columns, bit 0 the top row. */
extern const uint8_t oled_font[FONT_LAST - FONT_FIRST + 1][5];

/* Sets the panel up for `rows` text lines and clears it. */
void oled_init(unsigned rows);

/* Draws the lines (printable ASCII, cols characters each); only the text
 * rows that changed since the last call are sent. */
void oled_draw(const char *const *lines, unsigned rows, unsigned cols);

#endif
