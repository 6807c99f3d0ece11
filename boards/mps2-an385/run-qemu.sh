#!/bin/sh
# boards/mps2-an385/run-qemu.sh - boots the firmware in QEMU for a person:
# the UART on this terminal (display box at the top, log below; keys a, s,
# R), the board's port 80 forwarded to 127.0.0.1:PORT on this machine and
# its port 443 (the HTTPS image, chatbell-tls.elf) to 127.0.0.1:TLS_PORT.
# The journal's flash is mps2-an385-flash.bin in STATE_DIR (kept between
# runs). Ctrl-A X quits QEMU. Nothing here is needed by the tests.
#
# usage: boards/mps2-an385/run-qemu.sh [IMAGE] [PORT] [STATE_DIR] [TLS_PORT]
#        (default build/board/boards/mps2-an385/chatbell.elf, 8080, ., 8443)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=$(realpath "${1:-$HERE/../../build/board/boards/mps2-an385/chatbell.elf}")
PORT=${2:-8080}
STATE=${3:-.}
TLS_PORT=${4:-8443}
[ -f "$IMAGE" ] || {
    echo "run-qemu.sh: no $IMAGE (build it: cmake --preset board && cmake --build --preset board)" >&2
    exit 2
}
cd "$STATE"
echo "run-qemu.sh: board port 80 -> http://127.0.0.1:$PORT, 443 -> https://127.0.0.1:$TLS_PORT," \
    "flash in $(pwd)/mps2-an385-flash.bin (Ctrl-A X quits)"
exec qemu-system-arm -M mps2-an385 -display none -serial mon:stdio \
    -semihosting-config enable=on,target=native \
    -nic "user,hostfwd=tcp:127.0.0.1:$PORT-:80,hostfwd=tcp:127.0.0.1:$TLS_PORT-:443" -kernel "$IMAGE"
