# cmake/cb_lwip.cmake - the one list of lwIP 2.1.3's files chatbell uses
# (IPv4, TCP, UDP for DHCP and SNTP, sockets), relative to lwIP's src/, and the
# library a board builds from it. The host lwIP runner (port/lwip) links
# Debian's prebuilt liblwip instead (its options are compiled in); both
# share port/lwip/cb_net_glue.c.
set(CB_LWIP_SOURCES
    core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c core/netif.c
    core/pbuf.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c
    core/timeouts.c core/udp.c
    apps/sntp/sntp.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c
    api/api_lib.c api/api_msg.c api/err.c api/netbuf.c api/sockets.c api/tcpip.c
    netif/ethernet.c)

# cb_add_lwip(<target> <lwip source dir> <dir of lwipopts.h> <config header>):
# lwIP with a board's options (which read its config header); the OS layer
# and arch headers are port/cortexm's.
function(cb_add_lwip name lwip_dir opts_dir config)
  list(TRANSFORM CB_LWIP_SOURCES PREPEND ${lwip_dir}/src/ OUTPUT_VARIABLE src)
  add_library(${name} STATIC ${src})
  target_include_directories(${name} SYSTEM PUBLIC ${lwip_dir}/src/include)
  target_include_directories(${name} PUBLIC ${opts_dir} ${CB_ROOT}/third_party/lwip
                             ${CB_ROOT}/port/cortexm ${CB_ROOT}/port/lwip ${CB_ROOT}/app)
  cb_use_config(${name} ${config})
endfunction()
