/* oled.c - the OLED (oled.h) over SSI0, the LM3S6965's PL022 synchronous
 * serial port (datasheet "Synchronous Serial Interface"): SPI mode 3, 8-bit
 * frames at 3.6 MHz; PC7 low for commands, high for pixel data. The panel's
 * RAM holds two 4-bit pixels a byte, 64 bytes a row; a text row is sent as
 * one window (SSD0323 commands 0x15 columns, 0x75 rows), pixel rows in order.
 * QEMU models the SSD0323 (hw/display/ssd0323.c) and shows it as the
 * machine's graphic console (monitor: screendump). */
#include "oled.h"
#include "board.h"
#include "cb_config.h"

#include <string.h>

#define SSI(off)   REG32(SSI0_BASE + (off))
#define SSI_CR0    SSI(0x000u)
#define SSI_CR1    SSI(0x004u)
#define SSI_DR     SSI(0x008u)
#define SSI_SR     SSI(0x00Cu)
#define SSI_CPSR   SSI(0x010u)
#define SR_TNF     (1u << 1)
#define SR_RNE     (1u << 2)
#define SR_BSY     (1u << 4)
#define CR0_MODE3  ((1u << 6) | (1u << 7)) /* SPO = 1, SPH = 1 */
#define CR0_8BIT   0x7u
#define CR0_SCR(n) ((uint32_t)(n) << 8)
#define CR1_SSE    (1u << 1)

#define DC_PIN        (1u << 7) /* PC7 */
#define GPIOC_DATA_DC REG32(GPIOC_BASE + ((uint32_t)DC_PIN << 2))
#define GPIOC_DIR     REG32(GPIOC_BASE + 0x400u)
#define GPIOC_DEN     REG32(GPIOC_BASE + 0x51Cu)

#define ROW_BYTES (OLED_WID / 2)
#define TEXT_ROWS ((OLED_HGT - OLED_Y0) / OLED_CELL_H)
#define TEXT_COLS ((OLED_WID - OLED_X0) / OLED_CELL_W)

static struct {
    unsigned rows;
    char shown[TEXT_ROWS][TEXT_COLS + 1]; /* what each text row shows */
    uint8_t line[ROW_BYTES];              /* one pixel row being sent */
} s_oled;

static void ssi_put(uint8_t b)
{
    while (!(SSI_SR & SR_TNF))
        ;
    SSI_DR = b;
    while (SSI_SR & SR_RNE) /* nothing comes back from the panel: drain */
        (void)SSI_DR;
}

static void ssi_wait(void)
{
    while (SSI_SR & SR_BSY)
        ;
    while (SSI_SR & SR_RNE)
        (void)SSI_DR;
}

static void send(bool data, const uint8_t *b, size_t n)
{
    ssi_wait();
    GPIOC_DATA_DC = data ? DC_PIN : 0u;
    for (size_t i = 0; i < n; i++)
        ssi_put(b[i]);
}

/* The window the next data bytes fill: pixel rows y0..y1, all columns. */
static void window(unsigned y0, unsigned y1)
{
    const uint8_t cmd[] = {0x15, 0, ROW_BYTES - 1, 0x75, (uint8_t)y0, (uint8_t)y1};
    send(false, cmd, sizeof cmd);
}

static bool lit(const char *text, unsigned x, unsigned y_in_cell)
{
    if (x < OLED_X0)
        return false;
    unsigned col = (x - OLED_X0) / OLED_CELL_W, gx = (x - OLED_X0) % OLED_CELL_W;
    if (gx >= 5 || y_in_cell >= 7 || col >= strlen(text))
        return false;
    unsigned char c = (unsigned char)text[col];
    if (c < FONT_FIRST || c > FONT_LAST)
        c = '?';
    return (oled_font[c - FONT_FIRST][gx] >> y_in_cell) & 1u;
}

/* Sends text row r (its OLED_CELL_H pixel rows) showing text. */
static void draw_row(unsigned r, const char *text)
{
    unsigned y0 = OLED_Y0 + r * OLED_CELL_H;
    window(y0, y0 + OLED_CELL_H - 1);
    for (unsigned dy = 0; dy < OLED_CELL_H; dy++) {
        for (unsigned bx = 0; bx < ROW_BYTES; bx++)
            s_oled.line[bx] = (uint8_t)((lit(text, 2 * bx, dy) ? OLED_ON << 4 : 0) |
                                        (lit(text, 2 * bx + 1, dy) ? OLED_ON : 0));
        send(true, s_oled.line, sizeof s_oled.line);
    }
}

void oled_init(unsigned rows)
{
    SSI_CR1 = 0;
    SSI_CPSR = 2;
    SSI_CR0 = CR0_SCR(6) | CR0_MODE3 | CR0_8BIT; /* 50 MHz / (2 * 7) */
    SSI_CR1 = CR1_SSE;
    GPIOC_DIR |= DC_PIN;
    GPIOC_DEN |= DC_PIN;
    /* off; column address increments (no vertical mode), COM split; start
     * line and offset 0; 64 rows; normal display; contrast; on */
    const uint8_t init[] = {0xAE, 0xA0, 0x52, 0xA1, 0x00, 0xA2, 0x00,
                            0xA8, 0x3F, 0xA4, 0x81, 0x33, 0xAF};
    send(false, init, sizeof init);
    memset(s_oled.line, 0, sizeof s_oled.line);
    window(0, OLED_HGT - 1);
    for (unsigned y = 0; y < OLED_HGT; y++)
        send(true, s_oled.line, sizeof s_oled.line);
    s_oled.rows = rows < TEXT_ROWS ? rows : TEXT_ROWS;
    memset(s_oled.shown, 0, sizeof s_oled.shown);
}

void oled_draw(const char *const *lines, unsigned rows, unsigned cols)
{
    for (unsigned r = 0; r < rows && r < s_oled.rows; r++) {
        char text[TEXT_COLS + 1];
        size_t n = strlen(lines[r]);
        if (n > cols)
            n = cols;
        if (n > TEXT_COLS)
            n = TEXT_COLS;
        memcpy(text, lines[r], n);
        text[n] = '\0';
        if (strcmp(text, s_oled.shown[r]) == 0)
            continue;
        draw_row(r, text);
        memcpy(s_oled.shown[r], text, n + 1);
    }
}
