/* cb_board_config_tls.h - mps2-an385's HTTPS build (chatbell-tls.elf,
 * chatbell-e2e-tls.elf): the same figures as cb_board_config.h, with the
 * trades its CB_BOARD_TLS part makes to fit TLS sessions in SPEC 8's 256 KiB.
 * Named as BOARD_TLS_CONFIG in this board's CMakeLists.txt. */
#ifndef CB_BOARD_CONFIG_TLS_H
#define CB_BOARD_CONFIG_TLS_H

#define CB_BOARD_TLS 1
#include "cb_board_config.h"

#endif
