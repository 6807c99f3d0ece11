#!/bin/sh
# boards/mps2-an385/run-qemu.sh - boots the firmware in QEMU for a person:
# the UART on this terminal (display box at the top, log below; keys a, s,
# R), the board's port 80 forwarded to 127.0.0.1:PORT on this machine.
# Ctrl-A X quits QEMU. Nothing here is needed by the tests (tests/board).
#
# usage: boards/mps2-an385/run-qemu.sh [IMAGE] [PORT]
#        (default build/board/boards/mps2-an385/chatbell.elf, port 8080)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=${1:-$HERE/../../build/board/boards/mps2-an385/chatbell.elf}
PORT=${2:-8080}
[ -f "$IMAGE" ] || {
    echo "run-qemu.sh: no $IMAGE (build it: cmake --preset board && cmake --build --preset board)" >&2
    exit 2
}
echo "run-qemu.sh: board port 80 -> http://127.0.0.1:$PORT (Ctrl-A X quits)"
exec qemu-system-arm -M mps2-an385 -display none -serial mon:stdio \
    -nic "user,hostfwd=tcp:127.0.0.1:$PORT-:80" -kernel "$IMAGE"
