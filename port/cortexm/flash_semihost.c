/* flash_semihost.c - flash.h in QEMU: the flash region is a host file
 * (BOARD_NAME "-flash.bin" in QEMU's working directory) reached through
 * semihosting, so its contents outlive the QEMU process. The driver enforces
 * what the part's flash controller would: page-aligned erases, aligned word
 * programs, and no word programmed twice without an erase (such a program is
 * refused and logged: it is a bug in the caller). A new or short file is
 * extended with erased pages. */
#include "board.h"
#include "cb_err.h"
#include "flash.h"
#include "semihost.h"

#include <stdbool.h>

#include <string.h>

#define FILE_NAME   BOARD_NAME "-flash.bin"
#define CHUNK_WORDS 64u

static struct {
    int fd;
    uint32_t size;
    flash_counts_t n;
} s_flash = {.fd = -1};

static int io_at(uint32_t off, void *buf, size_t len, bool write)
{
    if (s_flash.fd < 0 || off > s_flash.size || len > s_flash.size - off ||
        sh_seek(s_flash.fd, off) != 0)
        return CB_ERR_STORAGE;
    int left = write ? sh_write(s_flash.fd, buf, len) : sh_read(s_flash.fd, buf, len);
    return left == 0 ? CB_OK : CB_ERR_STORAGE;
}

/* Writes erased bytes (0xFF) over [off, end). */
static int fill_erased(uint32_t off, uint32_t end)
{
    uint32_t ones[CHUNK_WORDS];
    memset(ones, 0xFF, sizeof ones);
    while (off < end) {
        uint32_t n = end - off < sizeof ones ? end - off : (uint32_t)sizeof ones;
        if (io_at(off, ones, n, true) != CB_OK)
            return CB_ERR_STORAGE;
        off += n;
    }
    return CB_OK;
}

int flash_open(uint32_t size)
{
    if (s_flash.fd >= 0)
        return size == s_flash.size ? CB_OK : CB_ERR_STORAGE;
    int fd = sh_open(FILE_NAME, SH_MODE_RB_PLUS);
    if (fd < 0)
        fd = sh_open(FILE_NAME, SH_MODE_WB_PLUS);
    if (fd < 0) {
        board_log("flash: cannot open %s through semihosting", FILE_NAME);
        return CB_ERR_STORAGE;
    }
    int have = sh_flen(fd);
    if (have < 0)
        return CB_ERR_STORAGE;
    s_flash.fd = fd;
    s_flash.size = size;
    /* a new or shorter file: the rest is erased flash */
    if ((uint32_t)have < size && fill_erased((uint32_t)have, size) != CB_OK)
        return CB_ERR_STORAGE;
    board_log("flash: %s, %lu KiB in %lu-byte pages (%s)", FILE_NAME, (unsigned long)(size / 1024u),
              (unsigned long)BOARD_FLASH_PAGE,
              have > 0 ? "kept from a previous run" : "new, erased");
    return CB_OK;
}

int flash_read(uint32_t off, void *buf, size_t len)
{
    s_flash.n.reads++;
    return io_at(off, buf, len, false);
}

static int refuse(const char *what, uint32_t off)
{
    s_flash.n.refused++;
    board_log("flash: refused %s at 0x%05lx", what, (unsigned long)off);
    return CB_ERR_STORAGE;
}

int flash_program(uint32_t off, const uint32_t *words, size_t n)
{
    if (off % 4u)
        return refuse("an unaligned program", off);
    uint32_t cur[CHUNK_WORDS];
    for (size_t i = 0; i < n; i += CHUNK_WORDS) { /* every target word erased? */
        size_t k = n - i < CHUNK_WORDS ? n - i : CHUNK_WORDS;
        if (io_at(off + 4u * (uint32_t)i, cur, 4u * k, false) != CB_OK)
            return CB_ERR_STORAGE;
        for (size_t j = 0; j < k; j++)
            if (cur[j] != FLASH_ERASED_WORD)
                return refuse("a program over a programmed word", off + 4u * (uint32_t)(i + j));
    }
    s_flash.n.programs++;
    s_flash.n.words += (uint32_t)n;
    return io_at(off, (void *)(uintptr_t)words, 4u * n, true);
}

int flash_erase_page(uint32_t off)
{
    if (off % BOARD_FLASH_PAGE)
        return refuse("an unaligned erase", off);
    s_flash.n.erases++;
    return fill_erased(off, off + BOARD_FLASH_PAGE);
}

void flash_counts(flash_counts_t *out)
{
    *out = s_flash.n;
}
