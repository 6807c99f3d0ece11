# cmake/cb_cortexm.cmake - everything a Cortex-M3 board's image needs but
# its own files, included by boards/<name>/CMakeLists.txt after it has set:
#   BOARD          the folder's name (targets and images are named after it)
#   BOARD_SRC      its own sources (drivers, board.c)
#   BOARD_LD       its linker script
#   BOARD_CONFIG   its config header (SPEC 8's figures, CB_CFG_*)
#   BOARD_FLASH_KIB, BOARD_RAM_KIB  the part's flash for the image and its
#                  SRAM (the size report compares against them)
#   BOARD_TLS_CONFIG  optional: the config header of an HTTPS build (it sets
#                  CB_BOARD_TLS and includes BOARD_CONFIG); then the images
#                  below are made a second time with TLS, as chatbell-tls.elf
#                  and chatbell-e2e-tls.elf
# Builds lwIP 2.1.3 and Mbed TLS 2.28 from Debian's source packages
# (third_party/fetch-sources.sh, into the build tree), the core with the
# board's config (cb_add_core), port/cortexm and the shared loop, and two
# images in the board's build folder:
#   chatbell.elf      the release image (CB_BOARD_DEMO=OFF, the default): no
#                     secret, starts unprovisioned until settings are stored
#                     in its flash (console or PUT /settings, SPEC 9); with
#                     CB_BOARD_DEMO=ON a development image: the image's
#                     settings (CB_BOARD_SETTINGS, a JSON config file; none =
#                     defaults with the demo secret) count as provisioned and
#                     the console has `hang`
#   chatbell-e2e.elf  a development image with tests/board/e2e-settings.json,
#                     which the e2e suite needs (its secrets, senders, no
#                     reminders)
# with a size report after each link (port/cortexm/size_report.py).
if(NOT CMAKE_CROSSCOMPILING OR NOT CMAKE_C_COMPILER MATCHES "arm-none-eabi")
  message(FATAL_ERROR "boards/${BOARD} is a cross build: configure with the `board` preset "
                      "(cmake --preset board), which uses cmake/toolchain-arm-none-eabi.cmake")
endif()
find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)
include(${CMAKE_CURRENT_LIST_DIR}/cb_lwip.cmake)

set(BOARD_DIR ${CMAKE_CURRENT_SOURCE_DIR})
set(CM_DIR ${CB_ROOT}/port/cortexm)
set(BOARD_CPU -mcpu=cortex-m3 -mthumb)
# Enums as int, as on the host: arm-none-eabi-gcc sizes them to their values
# by default (AAPCS allows either), and the core stores some enums through
# int pointers (cb_settings.c asserts it). Nothing passes an enum to newlib,
# which is built the other way, so its link-time note is silenced.
add_compile_options(${BOARD_CPU} -fno-short-enums -ffunction-sections -fdata-sections -g)
add_link_options(${BOARD_CPU} -Wl,--no-enum-size-warning)

option(CB_BOARD_DEMO "chatbell.elf as a development image (demo settings, console hang); OFF: release, unprovisioned until set up" OFF)
set(CB_BOARD_SETTINGS "" CACHE FILEPATH
    "JSON config file built into each board's chatbell.elf (SPEC 6 keys); empty: defaults, demo secret")
set(CB_THIRD_PARTY_SRC "${CMAKE_BINARY_DIR}/third_party-src" CACHE PATH
    "Where third_party/fetch-sources.sh puts lwIP and Mbed TLS (apt-get source)")

# ---- sources from Debian's source packages: once per build tree ----
if(NOT TARGET cb_mbedtls_cm3)
  if(NOT EXISTS ${CB_THIRD_PARTY_SRC}/SOURCES)
    message(STATUS "board: fetching lwIP and Mbed TLS sources (apt-get source) into ${CB_THIRD_PARTY_SRC}")
  endif()
  execute_process(COMMAND sh ${CB_ROOT}/third_party/fetch-sources.sh ${CB_THIRD_PARTY_SRC}
                  RESULT_VARIABLE fetch_rc)
  if(NOT fetch_rc EQUAL 0)
    message(FATAL_ERROR "board: third_party/fetch-sources.sh failed (see above)")
  endif()
  file(STRINGS ${CB_THIRD_PARTY_SRC}/SOURCES board_sources)
  message(STATUS "board: ${board_sources}")

  # Mbed TLS 2.28: SHA-256, constant-time compare, zeroize (the same on
  # every Cortex-M3 board)
  set(MBEDTLS_DIR ${CB_THIRD_PARTY_SRC}/mbedtls)
  add_library(cb_mbedtls_cm3 STATIC
      ${MBEDTLS_DIR}/library/sha256.c
      ${MBEDTLS_DIR}/library/platform_util.c
      ${MBEDTLS_DIR}/library/constant_time.c)
  target_compile_options(cb_mbedtls_cm3 PRIVATE ${BOARD_CPU} -fno-short-enums -ffunction-sections
                         -fdata-sections)
  target_include_directories(cb_mbedtls_cm3 SYSTEM PUBLIC ${MBEDTLS_DIR}/include)
  target_include_directories(cb_mbedtls_cm3 PUBLIC ${CB_ROOT}/third_party/mbedtls)
  target_compile_definitions(cb_mbedtls_cm3 PUBLIC MBEDTLS_CONFIG_FILE="cb_mbedtls_board_config.h")

  # and with its TLS 1.2 server (CB_BOARD_TLS: the same config file's second
  # half), for a board's HTTPS images
  set(tls_files
      aes asn1parse asn1write base64 bignum ccm chacha20 chachapoly cipher cipher_wrap
      constant_time ctr_drbg debug ecdh ecdsa ecp ecp_curves error gcm hmac_drbg md oid pem pk
      pk_wrap pkparse pkwrite platform platform_util poly1305 sha256 ssl_ciphersuites ssl_msg
      ssl_srv ssl_ticket ssl_tls x509 x509_create x509_crt x509write_crt)
  list(TRANSFORM tls_files PREPEND ${MBEDTLS_DIR}/library/)
  list(TRANSFORM tls_files APPEND .c)
  add_library(cb_mbedtls_cm3_tls STATIC ${tls_files})
  target_compile_options(cb_mbedtls_cm3_tls PRIVATE ${BOARD_CPU} -fno-short-enums
                         -ffunction-sections -fdata-sections)
  target_include_directories(cb_mbedtls_cm3_tls SYSTEM PUBLIC ${MBEDTLS_DIR}/include)
  target_include_directories(cb_mbedtls_cm3_tls PUBLIC ${CB_ROOT}/third_party/mbedtls)
  target_compile_definitions(cb_mbedtls_cm3_tls PUBLIC
                             MBEDTLS_CONFIG_FILE="cb_mbedtls_board_config.h" CB_BOARD_TLS=1)
endif()

# ---- lwIP, the core, and the layers with the board's config ----
file(GLOB CM_SRC CONFIGURE_DEPENDS ${CM_DIR}/*.c)
list(FILTER CM_SRC EXCLUDE REGEX "/tls_device\\.c$") # HTTPS builds only
# cb_board_libs(<suffix> <config header> <Mbed TLS library> <TLS glue>): the
# libraries of one build of this board: lwIP, the core, port/cortexm, the
# shared loop and cb_conn.c over the TLS glue (cb_tls_none.c: plain only).
function(cb_board_libs sfx config mbedtls glue)
  cb_add_lwip(cb_lwip_${BOARD}${sfx} ${CB_THIRD_PARTY_SRC}/lwip ${BOARD_DIR} ${config})
  cb_add_core(cb_core_${BOARD}${sfx} CONFIG ${config} LINK ${mbedtls})
  add_library(cb_board_${BOARD}${sfx} OBJECT ${CM_SRC} ${BOARD_SRC} ${CB_ROOT}/port/sock/cb_loop.c
                                             ${CB_ROOT}/port/sock/cb_conn.c ${glue}
                                             ${CB_ROOT}/port/lwip/cb_net_glue.c)
  target_include_directories(cb_board_${BOARD}${sfx} PRIVATE ${BOARD_DIR} ${CM_DIR}
                                                             ${CB_ROOT}/port/sock)
  target_compile_definitions(cb_board_${BOARD}${sfx} PRIVATE CB_SOCK_LWIP)
  target_compile_options(cb_board_${BOARD}${sfx} PRIVATE ${CB_WARN})
  target_link_libraries(cb_board_${BOARD}${sfx} PUBLIC cb_core_${BOARD}${sfx}
                                                       cb_lwip_${BOARD}${sfx})
endfunction()
cb_board_libs("" ${BOARD_CONFIG} cb_mbedtls_cm3 ${CB_ROOT}/third_party/mbedtls/cb_tls_none.c)
if(BOARD_TLS_CONFIG)
  cb_board_libs(-tls ${BOARD_TLS_CONFIG} cb_mbedtls_cm3_tls
                "${CB_ROOT}/third_party/mbedtls/cb_tls_mbedtls.c;${CM_DIR}/tls_device.c")
endif()

# ---- images ----
# cb_board_image(NAME SETTINGS_JSON DEV [SUFFIX]): NAME.elf with the settings
# compiled in (a C array written at configure time) and DEV (1: a development
# image), a map file, and the size report; SUFFIX (-tls) picks the build of
# cb_board_libs.
function(cb_board_image name json dev)
  set(sfx "${ARGV3}")
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${name}_settings.c)
  set(bytes "")
  set(len 0)
  if(json)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${json})
    file(READ ${json} hex HEX)
    string(LENGTH "${hex}" hexlen)
    math(EXPR len "${hexlen} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  endif()
  file(CONFIGURE OUTPUT ${gen} CONTENT
"/* ${name}_settings.c - written by cmake/cb_cortexm.cmake from
 * ${json} (empty: none). Do not edit. */
const unsigned char cb_board_settings_json[] = {${bytes} 0};
const unsigned cb_board_settings_len = ${len};
const unsigned char cb_board_dev = ${dev};
" @ONLY)
  set(target ${name}-${BOARD})
  add_executable(${target} ${gen})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${name} SUFFIX ".elf")
  target_link_libraries(${target} PRIVATE cb_board_${BOARD}${sfx} cb_core_${BOARD}${sfx}
                                          cb_lwip_${BOARD}${sfx})
  target_link_options(${target} PRIVATE
      -T${BOARD_LD} -nostartfiles --specs=nano.specs
      -Wl,--gc-sections -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/${name}.map
      -Wl,--no-warn-rwx-segments)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${BOARD_LD})
  add_custom_command(TARGET ${target} POST_BUILD
      COMMAND ${Python3_EXECUTABLE} ${CM_DIR}/size_report.py
              --elf $<TARGET_FILE:${target}> --map ${CMAKE_CURRENT_BINARY_DIR}/${name}.map
              --size ${CB_ARM_SIZE} --out ${CMAKE_CURRENT_BINARY_DIR}/${name}.size.txt
              --flash-kib ${BOARD_FLASH_KIB} --ram-kib ${BOARD_RAM_KIB}
      VERBATIM)
endfunction()

if(CB_BOARD_DEMO)
  set(dev 1)
else()
  set(dev 0)
endif()
cb_board_image(chatbell "${CB_BOARD_SETTINGS}" ${dev})
if(BOARD_TLS_CONFIG)
  cb_board_image(chatbell-tls "${CB_BOARD_SETTINGS}" ${dev} -tls)
endif()
if(CB_TESTS)
  cb_board_image(chatbell-e2e ${CB_ROOT}/tests/board/e2e-settings.json 1)
  if(BOARD_TLS_CONFIG)
    cb_board_image(chatbell-e2e-tls ${CB_ROOT}/tests/board/e2e-settings.json 1 -tls)
  endif()
  include(${CB_ROOT}/tests/board/board_tests.cmake)
endif()
