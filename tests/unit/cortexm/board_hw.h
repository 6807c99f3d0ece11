/* board_hw.h - a board for the host unit test of port/cortexm/store_flash.c
 * (test_store_flash.c): a small flash geometry, so that slots fill and the
 * sync log runs out within a test. */
#ifndef BOARD_HW_H
#define BOARD_HW_H

#define BOARD_NAME   "unit-test"
#define BOARD_CPU_HZ 1000000u

#define BOARD_FLASH_PAGE       256u
#define BOARD_FLASH_SLOT_PAGES 6u /* 1 page of log (32 syncs), 1,280 data bytes */
#define BOARD_FLASH_LOG_PAGES  1u
/* the device's own pages before the journal (board.h) */
#define BOARD_SETTINGS_PAGES 1u

#endif
