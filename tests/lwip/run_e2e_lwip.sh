#!/bin/sh
# tests/lwip/run_e2e_lwip.sh - the end-to-end suite (tests/e2e) against
# chatbell-lwip: in a network namespace made for this run (netns.sh), a TAP
# device whose kernel side is 192.168.77.1/24, lwIP at 192.168.77.2 serving
# port 8080, and each tests/e2e/test_*.py run inside the namespace with
# --listen 192.168.77.2:8080 (signal-log checks included). Run by CTest
# (e2e.lwip, lwip_tests.cmake). Without root, /dev/net/tun or namespaces it
# prints "SKIPPED: why" and exits 77; the namespace is always removed.
#
# usage: run_e2e_lwip.sh --chatbell-lwip BIN --send BIN [--python PY]
#                        [--tests "webhook errors ..."] [-- harness args]
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
E2E_DIR=$(cd "$HERE/../e2e" && pwd)
LWIP_BIN=""
SEND_BIN=""
PY=python3
TESTS=""
PORT=8080

while [ $# -gt 0 ]; do
    case "$1" in
    --chatbell-lwip) LWIP_BIN=$2; shift 2 ;;
    --send) SEND_BIN=$2; shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --tests) TESTS=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run_e2e_lwip.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$LWIP_BIN" ] || [ -z "$SEND_BIN" ]; then
    echo "usage: run_e2e_lwip.sh --chatbell-lwip BIN --send BIN [--python PY] [--tests LIST]" >&2
    exit 2
fi
if [ -z "$TESTS" ]; then
    for f in "$E2E_DIR"/test_*.py; do
        n=$(basename "$f" .py)
        TESTS="$TESTS ${n#test_}"
    done
fi

. "$HERE/netns.sh"
ns_setup

# First a plain look: /healthz through the TAP device, then SIGTERM, exit 0.
start_server smoke "$LWIP_BIN" --listen "$LWIP_IP:$PORT" --data-dir "$NS_TMP/data" --no-tui \
    --fsync off || exit 1
grep -q "^chatbell listening on http://$LWIP_IP:$PORT\$" "$NS_TMP/smoke.out" || {
    echo "run_e2e_lwip.sh: banner is not 'chatbell listening on http://$LWIP_IP:$PORT'" >&2
    exit 1
}
HEALTH=$(in_ns "$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
print(data.split(b"\r\n")[0].decode())
' "$LWIP_IP" "$PORT" 2>&1)
stop_server
rc=$?
echo "smoke: GET /healthz through $TAP -> $HEALTH; chatbell-lwip exit $rc after SIGTERM"
case "$HEALTH" in
"HTTP/1.1 200"*) ;;
*) echo "run_e2e_lwip.sh: /healthz through lwIP failed" >&2; cat "$NS_TMP/smoke.err" >&2; exit 1 ;;
esac
[ "$rc" -eq 0 ] || { cat "$NS_TMP/smoke.err" >&2; exit 1; }

# A client port reused right after a connection that the server closed (the
# server's side is then in TIME_WAIT) connects at once: lwIP alone would
# answer the SYN with an ACK for 120 s (port/lwip/cb_lwip.c).
start_server reuse "$LWIP_BIN" --listen "$LWIP_IP:$PORT" --data-dir "$NS_TMP/data" --no-tui \
    --fsync off || exit 1
REUSE=$(in_ns "$PY" -c '
import errno, socket, sys, time
def get(lport):
    for _ in range(40):  # the kernel frees the port once lwIP has ACKed its FIN
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(3)
        try:
            s.bind(("", lport))
            s.connect((sys.argv[1], int(sys.argv[2])))
            break
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRNOTAVAIL and e.errno != errno.EADDRINUSE:
                raise
            time.sleep(0.05)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    return data.split(b"\r\n")[0].decode()
s = socket.socket()
s.bind(("", 0))
lport = s.getsockname()[1]
s.close()
try:
    print(get(lport), "then", get(lport), "from port", lport)
except OSError as e:
    print("second connection from port %d failed: %s" % (lport, e))
' "$LWIP_IP" "$PORT" 2>&1)
stop_server
echo "reuse: $REUSE"
case "$REUSE" in
"HTTP/1.1 200 OK then HTTP/1.1 200 OK"*) ;;
*) echo "run_e2e_lwip.sh: a reused client port could not connect" >&2; exit 1 ;;
esac

# It refuses, exit 1 with one line naming the fix, what cannot work: an
# address lwIP does not have (the default 127.0.0.1), a missing TAP device.
# expect_refusal WHAT PATTERN [VAR=value...] BIN ARGS...
expect_refusal() {
    _what=$1
    _pat=$2
    shift 2
    in_ns env "$@" --data-dir "$NS_TMP/data" --no-tui </dev/null >"$NS_TMP/ref.out" 2>"$NS_TMP/ref.err"
    _rc=$?
    if [ "$_rc" -ne 1 ] || ! grep -q "$_pat" "$NS_TMP/ref.err" ||
        grep -q "listening on" "$NS_TMP/ref.out"; then
        echo "run_e2e_lwip.sh: $_what: want exit 1 and '$_pat', got exit $_rc:" >&2
        cat "$NS_TMP/ref.out" "$NS_TMP/ref.err" >&2
        exit 1
    fi
    echo "refused as it should: $_what -> $(grep -o "$_pat.*" "$NS_TMP/ref.err" | head -n 1)"
}
expect_refusal "loopback listen" "is not an address of lwIP" "$LWIP_BIN" --listen 127.0.0.1:8080
expect_refusal "missing TAP" "no network device cbnotap" CHATBELL_LWIP_TAP=cbnotap \
    "$LWIP_BIN" --listen "$LWIP_IP:$PORT"
expect_refusal "bad address" "CHATBELL_LWIP_ADDR" CHATBELL_LWIP_ADDR=192.168.77 \
    "$LWIP_BIN" --listen "0.0.0.0:$PORT"

# The suite, each module inside the namespace; the harness starts
# chatbell-lwip for each test class, and again where a test restarts it.
total_pass=0
total_fail=0
status=0
for t in $TESTS; do
    script="$E2E_DIR/test_$t.py"
    [ -f "$script" ] || { echo "run_e2e_lwip.sh: no $script" >&2; status=1; continue; }
    echo "=== e2e over lwIP: test_$t.py"
    in_ns_user "$PY" "$script" --chatbell "$LWIP_BIN" --send "$SEND_BIN" --listen "$LWIP_IP:$PORT" \
        "$@" >"$NS_TMP/log" 2>&1
    rc=$?
    cat "$NS_TMP/log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$NS_TMP/log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "run_e2e_lwip.sh: test_$t.py printed no summary (exit $rc)" >&2
        total_fail=$((total_fail + 1))
        status=1
        continue
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed*}
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    [ "$rc" -eq 0 ] || status=1
done

# The kernel's view of the link, for a failure's post-mortem: lost frames
# show as TCP retransmissions (lwIP's side logs its own as WARN lines).
echo "kernel side of $TAP: $(in_ns nstat -az TcpRetransSegs TcpExtTCPSynRetrans TcpExtTCPTimeouts 2>/dev/null |
    awk '!/^#/ { printf "%s %s  ", $1, $2 }')"
echo "lwip: $total_pass passed, $total_fail failed"
exit $status
