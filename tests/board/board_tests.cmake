# tests/board/board_tests.cmake - CTest registration of one board's tests,
# included by cmake/cb_cortexm.cmake for each board (BOARD): each boots an
# image in qemu-system-arm (qemu_board.py) and talks to it through a host
# forward.
#   board.<BOARD>.boot  chatbell.elf (release image, blank flash): 503
#                       not_provisioned, provisioning over the console and
#                       PUT /settings, health, display (and the OLED), button,
#                       stats, a reset, a restart of QEMU, power cuts (SIGKILL)
#                       under load (CB_BOARD_CUTS, default 50) and during
#                       settings commits (CB_BOARD_SETTINGS_CUTS, default 8)
#   board.<BOARD>.e2e   chatbell-e2e.elf: the watchdog (hang), the clock with
#                       and without SNTP answers, then the tests/e2e suite over
#                       --url with the clock set by the test's SNTP server
#   board.<BOARD>.e2e_tls  (a board with an HTTPS build: BOARD_TLS_CONFIG)
#                       chatbell-e2e-tls.elf over HTTPS: the device's
#                       certificate pinned from its banner, TLS 1.2 AEAD,
#                       ticket resumption, the TLS session cap, the same
#                       certificate after a reset, handshake times; then
#                       qemu_board.py's E2E_TLS_RUNS classes over https://
find_program(CB_QEMU_ARM qemu-system-arm)
if(NOT CB_QEMU_ARM)
  message(WARNING "board: qemu-system-arm not found (apt-get install qemu-system-arm): "
                  "board tests not registered")
  return()
endif()

set(board_driver ${CB_ROOT}/tests/board/qemu_board.py)
add_test(NAME board.${BOARD}.boot
         COMMAND ${Python3_EXECUTABLE} ${board_driver} --qemu ${CB_QEMU_ARM} --machine ${BOARD}
                 --mode boot --image $<TARGET_FILE:chatbell-${BOARD}>
                 --config ${BOARD_CONFIG} --out-dir ${CMAKE_CURRENT_BINARY_DIR}/qemu-boot)
add_test(NAME board.${BOARD}.e2e
         COMMAND ${Python3_EXECUTABLE} ${board_driver} --qemu ${CB_QEMU_ARM} --machine ${BOARD}
                 --mode e2e --image $<TARGET_FILE:chatbell-e2e-${BOARD}>
                 --config ${BOARD_CONFIG} --out-dir ${CMAKE_CURRENT_BINARY_DIR}/qemu-e2e)
if(BOARD_TLS_CONFIG)
  add_test(NAME board.${BOARD}.e2e_tls
           COMMAND ${Python3_EXECUTABLE} ${board_driver} --qemu ${CB_QEMU_ARM} --machine ${BOARD}
                   --mode e2e --tls --image $<TARGET_FILE:chatbell-e2e-tls-${BOARD}>
                   --config ${BOARD_TLS_CONFIG} --out-dir ${CMAKE_CURRENT_BINARY_DIR}/qemu-e2e-tls)
  set_tests_properties(board.${BOARD}.e2e_tls PROPERTIES LABELS "board;e2e;tls" TIMEOUT 400
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1"
                       FAIL_REGULAR_EXPRESSION "board: [0-9]+ passed, [1-9][0-9]* failed")
endif()
set_tests_properties(board.${BOARD}.boot PROPERTIES LABELS "board" TIMEOUT 400
                     FAIL_REGULAR_EXPRESSION "board: [0-9]+ passed, [1-9][0-9]* failed")
set_tests_properties(board.${BOARD}.e2e PROPERTIES LABELS "board;e2e" TIMEOUT 600
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1"
                     FAIL_REGULAR_EXPRESSION "board: [0-9]+ passed, [1-9][0-9]* failed")
