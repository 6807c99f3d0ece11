# cmake/cb_core.cmake - the one way every build makes the portable core
# (app/ plus the glue to Mbed TLS): the host (top-level CMakeLists.txt) and
# each board (cmake/cb_cortexm.cmake).
#
#   cb_add_core(<target> [CONFIG <header>] [LINK <libs...>])
#
# CONFIG names a build's config header (SPEC 8's figures: CB_CFG_* values),
# seen by the core and everything linking it as CB_CONFIG_FILE (as lwIP's
# lwipopts.h and Mbed TLS's config file work). LINK gives the core its
# SHA-256 provider (the host's cb_deps, a board's Mbed TLS build).
set(CB_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
cmake_path(NORMAL_PATH CB_ROOT)

# cb_use_config(<target> <header>): <target> and its users see <header> as
# CB_CONFIG_FILE. Until app/cb_config.h reads CB_CONFIG_FILE itself (the
# `mem` branch adds that), the header is force-included instead.
function(cb_use_config target header)
  get_filename_component(dir ${header} DIRECTORY)
  get_filename_component(name ${header} NAME)
  target_include_directories(${target} PUBLIC ${dir})
  target_compile_definitions(${target} PUBLIC "CB_CONFIG_FILE=\"${name}\"")
  file(READ ${CB_ROOT}/app/cb_config.h cfg)
  if(NOT cfg MATCHES "CB_CONFIG_FILE")
    target_compile_options(${target} PUBLIC "SHELL:-include ${header}")
  endif()
endfunction()

function(cb_add_core name)
  cmake_parse_arguments(A "" "CONFIG" "LINK" ${ARGN})
  file(GLOB src CONFIGURE_DEPENDS ${CB_ROOT}/app/*.c)
  add_library(${name} STATIC ${src} ${CB_ROOT}/third_party/mbedtls/cb_crypto_mbedtls.c)
  target_include_directories(${name} PUBLIC ${CB_ROOT}/app ${CB_ROOT}/port)
  target_compile_options(${name} PRIVATE ${CB_WARN})
  if(A_CONFIG)
    cb_use_config(${name} ${A_CONFIG})
  endif()
  target_link_libraries(${name} PUBLIC ${A_LINK})
endfunction()
