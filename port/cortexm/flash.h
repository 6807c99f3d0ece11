/* flash.h - a NOR flash region as the storage driver (store_flash.c) sees
 * it: erase whole pages of BOARD_FLASH_PAGE bytes (to 0xFF), program 32-bit
 * words that are erased, read anything. Offsets are bytes from the region's
 * start. In QEMU the region is a host file reached through semihosting
 * (flash_semihost.c), which enforces the same rules; on silicon it is the
 * part's flash controller. */
#ifndef FLASH_H
#define FLASH_H

#include <stddef.h>
#include <stdint.h>

#define FLASH_ERASED_WORD 0xFFFFFFFFu

/* Opens the region (size bytes, whole pages). CB_OK or CB_ERR_STORAGE. */
int flash_open(uint32_t size);

/* Reads len bytes at off. CB_OK or CB_ERR_STORAGE. */
int flash_read(uint32_t off, void *buf, size_t len);

/* Programs n words at off (4-aligned). Every target word must be erased: a
 * word programmed twice without an erase is refused (CB_ERR_STORAGE) before
 * anything is written. */
int flash_program(uint32_t off, const uint32_t *words, size_t n);

/* Erases the page at off (page-aligned) to 0xFF. */
int flash_erase_page(uint32_t off);

/* Operations done and refused so far (the stats). */
typedef struct {
    uint32_t erases, programs, words, reads, refused;
} flash_counts_t;
void flash_counts(flash_counts_t *out);

#endif
