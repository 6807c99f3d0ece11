/* cb_dedupe_test_config.h - a tiny build of the core for test_dedupe_tiers:
 * 16 remembered events, the newest 4 in RAM and 12 as fingerprints, 8-byte
 * keys and the byte-at-a-time CRC as on the boards (tests/CMakeLists.txt
 * builds the core again with it). */
#ifndef CB_DEDUPE_TEST_CONFIG_H
#define CB_DEDUPE_TEST_CONFIG_H

#define CB_CFG_DEDUPE_MAX  16
#define CB_CFG_DEDUPE_RAM  4
#define CB_CFG_SEEN_RUN    5 /* runs of keys split in compaction */
#define CB_CFG_MAX_CONN    4
#define CB_CFG_DUPKEY_LEN  8
#define CB_CFG_CRC_SLICES  1 /* the boards' CRC (test_crc32_bytes) */
#define CB_CFG_INBOX_SHOWN 4
#define CB_CFG_UNACKED_MAX 64

#endif
