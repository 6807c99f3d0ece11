# tests/lwip/lwip_tests.cmake - CTest registration of the lwIP end-to-end
# run (run_e2e_lwip.sh: a network namespace with a TAP device, chatbell-lwip
# in it, the tests/e2e suite against it). Included at the end of the
# top-level CMakeLists.txt by port/lwip/CMakeLists.txt, after enable_testing.
if(NOT (TARGET chatbell-lwip AND TARGET instaleap-send))
  return()
endif()
find_package(Python3 3.9 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(WARNING "lwip: no Python 3 interpreter, e2e.lwip not registered")
  return()
endif()

# test_errors' RSS check: 512 KiB as for chatbell, 2 MiB under ASan (below)
if(CB_SANITIZE)
  set(CB_LWIP_RSS_MARGIN_KB 2048)
else()
  set(CB_LWIP_RSS_MARGIN_KB 512)
endif()

add_test(NAME e2e.lwip
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_e2e_lwip.sh
                 --chatbell-lwip $<TARGET_FILE:chatbell-lwip>
                 --send $<TARGET_FILE:instaleap-send>
                 --python ${Python3_EXECUTABLE})
set_tests_properties(e2e.lwip PROPERTIES
                     LABELS "e2e;lwip"
                     TIMEOUT 900
                     # not root, no /dev/net/tun, no network namespaces
                     SKIP_RETURN_CODE 77
                     # sanitizer builds: lwIP mallocs every frame, pbuf and
                     # pcb; ASan's quarantine of freed blocks (256 MB) and its
                     # 30-frame stack per allocation then show as RSS growth
                     # to the suite's memory check (test_errors: +3 MB; with
                     # these options +0.2 to +0.7 MB; the dev build +28 KB).
                     # The core does not use the heap and lwIP is not
                     # instrumented, so the quarantine would catch nothing.
                     ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=0:malloc_context_size=4;UBSAN_OPTIONS=print_stacktrace=1;PYTHONDONTWRITEBYTECODE=1;CB_E2E_RSS_MARGIN_KB=${CB_LWIP_RSS_MARGIN_KB}"
                     FAIL_REGULAR_EXPRESSION "[0-9]+ passed, [1-9][0-9]* failed")

# The TIME_WAIT hook (port/lwip/cb_net_glue.c) on the same lwIP, no thread.
add_executable(test_net_glue ${CMAKE_CURRENT_LIST_DIR}/test_net_glue.c
               ${CMAKE_SOURCE_DIR}/port/lwip/cb_net_glue.c)
target_include_directories(test_net_glue PRIVATE ${CMAKE_SOURCE_DIR}/port/lwip ${CMOCKA_INCLUDE_DIR})
target_include_directories(test_net_glue SYSTEM PRIVATE ${LWIP_INCLUDE_DIR})
target_link_libraries(test_net_glue PRIVATE ${LWIP_LIBRARY} ${CMOCKA_LIBRARY})
target_compile_options(test_net_glue PRIVATE ${CB_WARN})
add_test(NAME unit.test_net_glue COMMAND test_net_glue)
set_tests_properties(unit.test_net_glue PROPERTIES LABELS "unit;lwip" TIMEOUT 120)

# The webhook and error suites over HTTPS through lwIP (issue 16; the
# hostile-TLS suite test_tls.py is part of e2e.lwip above). The dev build
# only: e2e.webhook_tls/errors_tls already run our TLS glue under ASan, and
# lwIP is not instrumented (keeps the whole run in CI's time).
if(CB_SANITIZE)
  return()
endif()
add_test(NAME e2e.lwip_tls
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_e2e_lwip.sh
                 --chatbell-lwip $<TARGET_FILE:chatbell-lwip>
                 --send $<TARGET_FILE:instaleap-send>
                 --python ${Python3_EXECUTABLE}
                 --tests "webhook errors" -- --tls)
set_tests_properties(e2e.lwip_tls PROPERTIES
                     LABELS "e2e;lwip;tls"
                     TIMEOUT 600
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=0:malloc_context_size=4;UBSAN_OPTIONS=print_stacktrace=1;PYTHONDONTWRITEBYTECODE=1;CB_E2E_RSS_MARGIN_KB=${CB_LWIP_RSS_MARGIN_KB}"
                     FAIL_REGULAR_EXPRESSION "[0-9]+ passed, [1-9][0-9]* failed")
