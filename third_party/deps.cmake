# third_party/deps.cmake - finds Debian's Mbed TLS (libmbedtls-dev) and jsmn
# (libjsmn-dev, header only) for the host build; cb_add_core
# (cmake/cb_core.cmake) adds our one glue file per library.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/sha256.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)
find_path(JSMN_INCLUDE_DIR jsmn.h REQUIRED)

add_library(cb_deps INTERFACE)
target_include_directories(cb_deps INTERFACE ${MBEDTLS_INCLUDE_DIR} ${JSMN_INCLUDE_DIR})
target_link_libraries(cb_deps INTERFACE ${MBEDCRYPTO_LIBRARY})
