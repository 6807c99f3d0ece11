/* cb_mbedtls_board_config.h - Mbed TLS 2.28 configured down to what the core
 * uses on a board (cb_crypto_mbedtls.c): SHA-256, the constant-time compare
 * (constant_time.c) and platform_util's zeroize. Selected for cross builds
 * with -DMBEDTLS_CONFIG_FILE (boards/<board>/CMakeLists.txt); the host uses
 * Debian's libmbedtls as built. */
#ifndef CB_MBEDTLS_BOARD_CONFIG_H
#define CB_MBEDTLS_BOARD_CONFIG_H

/* SHA-224/256 (library/sha256.c); the smaller, slower variant suits
 * Cortex-M flash budgets (about 1 KiB less code). */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER

/* Nothing else: no platform layer, file system, time, entropy or heap. */

#include "mbedtls/check_config.h"

#endif
