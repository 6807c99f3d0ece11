/* clock_sntp.c - the wall clock's source on the boards (SPEC 9): lwIP's SNTP
 * client (apps/sntp) polling the `sntp_server` setting ("a.b.c.d" or
 * "a.b.c.d:port"), or the server DHCP names when it is empty, every
 * SNTP_UPDATE_DELAY (lwipopts); each answer goes to board_clock_set_wall. */
#include "board.h"
#include "cb_config.h"

#include "lwip/apps/sntp.h"
#include "lwip/ip4_addr.h"
#include "lwip/tcpip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNTP_DEFAULT_PORT 123u

static struct {
    uint16_t port;
    char status[CB_CFG_STR_MAX + 96];
} s_sntp;

uint16_t board_sntp_port(void)
{
    return s_sntp.port ? s_sntp.port : SNTP_DEFAULT_PORT;
}

const char *board_sntp_status(void)
{
    return s_sntp.status[0] ? s_sntp.status : "no SNTP: untrusted";
}

void board_sntp_now(void)
{
    LOCK_TCPIP_CORE();
    sntp_stop();
    sntp_init(); /* SNTP_STARTUP_DELAY 0: a request at once */
    UNLOCK_TCPIP_CORE();
    board_log("sntp: asking the server now");
}

void board_sntp_start(const char *server)
{
    ip4_addr_t addr;
    char host[16];
    const char *colon = strchr(server, ':');
    size_t hl = colon ? (size_t)(colon - server) : strlen(server);
    bool fixed = false;
    if (hl && hl < sizeof host) {
        memcpy(host, server, hl);
        host[hl] = '\0';
        unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : SNTP_DEFAULT_PORT;
        fixed = ip4addr_aton(host, &addr) && port > 0 && port < 65536;
        if (fixed)
            s_sntp.port = (uint16_t)port;
        else
            board_log("sntp: sntp_server \"%s\" is not a.b.c.d[:port]: using DHCP's", server);
    }
    LOCK_TCPIP_CORE();
    sntp_setoperatingmode(SNTP_OPMODE_POLL);
    if (fixed) {
        ip_addr_t a;
        ip_addr_copy_from_ip4(a, addr);
        sntp_servermode_dhcp(0);
        sntp_setserver(0, &a);
    }
    sntp_init();
    UNLOCK_TCPIP_CORE();
    snprintf(s_sntp.status, sizeof s_sntp.status,
             "SNTP from %s%s: untrusted until its first answer (no replay window, no Date)",
             fixed ? server : "the server DHCP names", fixed && !colon ? ":123" : "");
}
