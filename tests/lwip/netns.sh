# tests/lwip/netns.sh - sourced by run_e2e_lwip.sh and bench_lwip.sh: makes
# a network namespace for this run with the TAP device chatbell-lwip uses by
# default (tap0; kernel side 192.168.77.1/24, lwIP 192.168.77.2, as in
# port/lwip/cb_lwip.c), and removes it (with anything left running in it) on
# exit. Without root, /dev/net/tun or namespaces: "SKIPPED: why", exit 77.

TAP=tap0
TAP_USER=65534 # nobody may attach to it too (root always can)
KERNEL_IP=192.168.77.1
LWIP_IP=192.168.77.2
NS="chatbell-lwip-$$"

skip() {
    echo "SKIPPED: $*"
    exit 77
}

ns_cleanup() {
    # everything still running in our namespace was started by this script
    for pid in $(ip netns pids "$NS" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    ip netns delete "$NS" 2>/dev/null
    [ -n "${NS_TMP:-}" ] && rm -rf "$NS_TMP"
    return 0
}

in_ns() {
    ip netns exec "$NS" "$@"
}

# in_ns_user CMD...: like in_ns, and in that command's own mount namespace
# (ip netns exec makes one; nothing propagates back) /dev/net/tun is a
# mode 0666 node, as Debian's udev makes it, so that a server run as an
# unprivileged user (the e2e suite drops to nobody for read-only storage
# tests) can attach to the TAP device, which belongs to TAP_USER.
in_ns_user() {
    ip netns exec "$NS" sh -c '
        if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
            d=$(mktemp -d) &&
                mount -t tmpfs -o mode=755,size=16k chatbell-tun "$d" &&
                mknod -m 666 "$d/tun" c 10 200 &&
                mount --bind "$d/tun" /dev/net/tun &&
                umount -l "$d" && rmdir "$d" ||
                echo "netns.sh: /dev/net/tun stays root-only in the namespace" >&2
        fi
        exec "$@"' sh "$@"
}

# Creates the namespace, lo up, the TAP device with the kernel side's address.
ns_setup() {
    [ "$(id -u)" -eq 0 ] || skip "not root (a network namespace and a TAP device need root)"
    [ -c /dev/net/tun ] || skip "no /dev/net/tun (kernel module tun not loaded?)"
    command -v ip >/dev/null 2>&1 || skip "no 'ip' command (Debian package iproute2)"
    trap ns_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ip netns add "$NS" 2>/dev/null ||
        skip "cannot create a network namespace (ip netns add: no CAP_SYS_ADMIN?)"
    in_ns ip link set lo up && in_ns ip tuntap add dev "$TAP" mode tap user "$TAP_USER" 2>/dev/null ||
        skip "cannot create a TAP device in the namespace"
    if ! in_ns ip addr add "$KERNEL_IP/24" dev "$TAP" || ! in_ns ip link set "$TAP" up; then
        echo "cannot configure $TAP in $NS" >&2
        exit 1
    fi
    NS_TMP=$(mktemp -d /tmp/chatbell-lwip.XXXXXX)
}

# start_server OUT BIN ARGS...: starts BIN in the namespace (stdout in
# $NS_TMP/OUT.out, stderr in OUT.err), sets SRV to its pid and waits up to
# 10 s for the banner line; 0 when it is listening.
start_server() {
    _out=$1
    shift
    # not through in_ns: $! must be the server itself (ip netns exec becomes
    # it), not a subshell around it
    ip netns exec "$NS" "$@" </dev/null >"$NS_TMP/$_out.out" 2>"$NS_TMP/$_out.err" &
    SRV=$!
    for _ in $(seq 1 100); do
        grep -q "^chatbell listening on http://" "$NS_TMP/$_out.out" 2>/dev/null && return 0
        kill -0 "$SRV" 2>/dev/null || break
        sleep 0.1
    done
    echo "server did not start: $*" >&2
    cat "$NS_TMP/$_out.out" "$NS_TMP/$_out.err" >&2
    return 1
}

# stop_server: SIGTERM, wait; returns the exit status.
stop_server() {
    kill -TERM "$SRV" 2>/dev/null
    wait "$SRV"
}
