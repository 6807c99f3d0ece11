/* cb_sock_compat.h - the BSD socket calls the loop makes, mapped to the
 * host's sockets or to lwIP's socket API (CB_SOCK_LWIP). The loop spells
 * only the cb_sock_* names below; every difference between the two builds
 * lives here. Constants (F_GETFL, O_NONBLOCK, TCP_NODELAY, SHUT_WR, POLL*,
 * EAGAIN) come from the headers each stack is built with: Debian's liblwip
 * takes them from the host's libc headers, and sets the host's errno. */
#ifndef CB_SOCK_COMPAT_H
#define CB_SOCK_COMPAT_H

#ifdef CB_SOCK_LWIP
#include "lwip/errno.h"
#include "lwip/inet.h"
#include "lwip/sockets.h"

/* port/lwip: the tcpip thread, the TAP netif and its static address. */
int cb_lwip_init(const char *listen, char *err, size_t cap);
#define cb_sock_stack_init cb_lwip_init

#define cb_sock_socket                     lwip_socket
#define cb_sock_bind                       lwip_bind
#define cb_sock_listen                     lwip_listen
#define cb_sock_accept                     lwip_accept
#define cb_sock_recv                       lwip_recv
#define cb_sock_send                       lwip_send
#define cb_sock_poll                       lwip_poll
#define cb_sock_close                      lwip_close
#define cb_sock_shutdown                   lwip_shutdown
#define cb_sock_fcntl                      lwip_fcntl
#define cb_sock_setsockopt                 lwip_setsockopt
#define cb_sock_getsockname                lwip_getsockname
#define cb_sock_errno                      errno
#define cb_sock_inet_pton(af, src, dst)    lwip_inet_pton(af, src, dst)
#define cb_sock_inet_ntop(af, src, dst, n) lwip_inet_ntop(af, src, dst, n)
#define CB_SOCK_SEND_FLAGS                 0
typedef nfds_t cb_nfds_t;

#else /* the host's BSD sockets */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* The host's sockets need no bring-up. */
#define cb_sock_stack_init(listen, err, cap) ((void)(listen), (void)(err), (void)(cap), 0)
#define cb_sock_socket                       socket
#define cb_sock_bind                         bind
#define cb_sock_listen                       listen
#define cb_sock_accept                       accept
#define cb_sock_recv                         recv
#define cb_sock_send                         send
#define cb_sock_poll                         poll
#define cb_sock_close                        close
#define cb_sock_shutdown                     shutdown
#define cb_sock_fcntl                        fcntl
#define cb_sock_setsockopt                   setsockopt
#define cb_sock_getsockname                  getsockname
#define cb_sock_errno                        errno
#define cb_sock_inet_pton                    inet_pton
#define cb_sock_inet_ntop                    inet_ntop
#define CB_SOCK_SEND_FLAGS                   MSG_NOSIGNAL
typedef nfds_t cb_nfds_t;
#endif

#endif
