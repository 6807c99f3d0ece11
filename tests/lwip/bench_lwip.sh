#!/bin/sh
# tests/lwip/bench_lwip.sh - requests/s through lwIP next to the host
# sockets, in one run: inside a network namespace made for it (netns.sh),
# chatbell (host sockets, 127.0.0.1:8081 in the namespace) and chatbell-lwip
# (lwIP over the TAP device, 192.168.77.2:8080), each loaded by
# instaleap-send --load N --conns C [--pipeline D] with fresh data dirs and
# --fsync off (the network path, not the disk, is what is compared).
# Prints one table; numbers go to port/lwip/README.md. Not a CTest test.
#
# usage: bench_lwip.sh --chatbell BIN --chatbell-lwip BIN --send BIN
#                      [--requests N] [--rounds R] [--shapes "1x1 8x1 8x4"]
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
POSIX_BIN=""
LWIP_BIN=""
SEND_BIN=""
N=10000
ROUNDS=3
SHAPES="1x1 8x1 8x4" # CONNSxPIPELINE
SECRET=bench-secret-4d1c

while [ $# -gt 0 ]; do
    case "$1" in
    --chatbell) POSIX_BIN=$2; shift 2 ;;
    --chatbell-lwip) LWIP_BIN=$2; shift 2 ;;
    --send) SEND_BIN=$2; shift 2 ;;
    --requests) N=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --shapes) SHAPES=$2; shift 2 ;;
    *) echo "bench_lwip.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$POSIX_BIN" ] || [ -z "$LWIP_BIN" ] || [ -z "$SEND_BIN" ]; then
    echo "usage: bench_lwip.sh --chatbell BIN --chatbell-lwip BIN --send BIN [--requests N]" >&2
    exit 2
fi

. "$HERE/netns.sh"
ns_setup
# room for every event of a run (the default 1 MiB journal holds ~2500)
printf '{"journal_budget": 268435456, "reminder_s": 0}\n' >"$NS_TMP/config.json"

# one_run NAME BIN LISTEN URL CONNS PIPELINE: appends the sender's rps to
# $NS_TMP/NAME.rps (not a $(...) subshell: exit must end the script)
one_run() {
    rm -rf "$NS_TMP/data"
    CHATBELL_SECRET=$SECRET start_server "$1" "$2" --listen "$3" --config "$NS_TMP/config.json" \
        --data-dir "$NS_TMP/data" --no-tui --fsync off || exit 1
    in_ns "$SEND_BIN" --url "$4/webhooks/instaleap/chat" --secret "$SECRET" --load "$N" \
        --conns "$5" --pipeline "$6" >"$NS_TMP/send.out" 2>&1
    src=$?
    stop_server >/dev/null
    if [ "$src" -ne 0 ] || ! grep -q "^status 200: $N\$" "$NS_TMP/send.out"; then
        echo "bench_lwip.sh: $1 --conns $5 --pipeline $6: not all $N answered 200:" >&2
        cat "$NS_TMP/send.out" >&2
        exit 1
    fi
    sed -n 's/^requests: .*rps: \([0-9]*\).*/\1/p' "$NS_TMP/send.out" >>"$NS_TMP/$1.rps"
}

# median FILE -> the median of its numbers; spread FILE -> "min-max"
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
spread() {
    sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%d-%d", lo, hi }'
}

echo "requests/s, median (and range) of $ROUNDS runs of $N signed webhooks" \
    "(instaleap-send --load), fsync off"
printf '%-12s %8s %-15s %8s %-15s %9s\n' "conns x pipe" "host" "" "lwIP" "" "lwIP/host"
for shape in $SHAPES; do
    c=${shape%x*}
    d=${shape#*x}
    : >"$NS_TMP/posix.rps"
    : >"$NS_TMP/lwip.rps"
    for _ in $(seq 1 "$ROUNDS"); do
        one_run posix "$POSIX_BIN" 127.0.0.1:8081 http://127.0.0.1:8081 "$c" "$d"
        one_run lwip "$LWIP_BIN" "$LWIP_IP:8080" "http://$LWIP_IP:8080" "$c" "$d"
    done
    h=$(median "$NS_TMP/posix.rps")
    l=$(median "$NS_TMP/lwip.rps")
    printf '%-12s %8s %-15s %8s %-15s %8s%%\n' "$c x $d" "$h" "($(spread "$NS_TMP/posix.rps"))" \
        "$l" "($(spread "$NS_TMP/lwip.rps"))" "$((100 * l / h))"
done
