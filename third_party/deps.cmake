# third_party/deps.cmake - finds Debian's Mbed TLS (libmbedtls-dev) for the
# host build; cb_add_core (cmake/cb_core.cmake) adds our one glue file for it.
# (JSON needs no library: app/cb_json.c.) Mbed TLS is linked from its static
# archives: the TLS glue redirects their calloc/free into its bounded heap at
# link time (see cb_tls below).
find_path(MBEDTLS_INCLUDE_DIR mbedtls/sha256.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY NAMES libmbedcrypto.a mbedcrypto REQUIRED)
find_library(MBEDX509_LIBRARY NAMES libmbedx509.a mbedx509 REQUIRED)
find_library(MBEDTLS_LIBRARY NAMES libmbedtls.a mbedtls REQUIRED)

add_library(cb_deps INTERFACE)
target_include_directories(cb_deps INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(cb_deps INTERFACE ${MBEDCRYPTO_LIBRARY})

# HTTPS for the programs that serve it (port/sock/cb_tls.h). Debian's Mbed
# TLS has no MBEDTLS_PLATFORM_MEMORY, so its calloc/free are wrapped
# (-Wl,--wrap) into the glue's static heap: whatever links cb_tls gets the
# wrap with it.
add_library(cb_tls STATIC ${CMAKE_CURRENT_LIST_DIR}/mbedtls/cb_tls_mbedtls.c)
target_include_directories(cb_tls PUBLIC ${CMAKE_SOURCE_DIR}/port/sock ${CMAKE_SOURCE_DIR}/port
                                         ${CMAKE_SOURCE_DIR}/app
                                         ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(cb_tls PUBLIC cb_core ${MBEDTLS_LIBRARY} ${MBEDX509_LIBRARY}
                                     ${MBEDCRYPTO_LIBRARY})
target_link_options(cb_tls INTERFACE -Wl,--wrap=calloc -Wl,--wrap=free)
target_compile_options(cb_tls PRIVATE ${CB_WARN})
