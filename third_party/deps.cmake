# third_party/deps.cmake - finds Debian's Mbed TLS (libmbedtls-dev) for the
# host build; cb_add_core (cmake/cb_core.cmake) adds our one glue file for it.
# (JSON needs no library: app/cb_json.c.)
find_path(MBEDTLS_INCLUDE_DIR mbedtls/sha256.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)

add_library(cb_deps INTERFACE)
target_include_directories(cb_deps INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(cb_deps INTERFACE ${MBEDCRYPTO_LIBRARY})
