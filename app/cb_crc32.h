/* cb_crc32.h - CRC-32 (IEEE 802.3, as zlib's crc32()), the journal's record
 * check. */
#ifndef CB_CRC32_H
#define CB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 of n bytes, continuing from crc (start 0). */
uint32_t cb_crc32(uint32_t crc, const void *data, size_t n);

#endif
