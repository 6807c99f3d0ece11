#!/bin/sh
# boards/lm3s6965evb/run-qemu.sh - boots the firmware in QEMU for a person:
# the OLED in a window (when QEMU has a display; Ctrl is the select button),
# the UART on this terminal (display mirrored at the top, log below; keys a,
# s, R), the board's port 80 forwarded to 127.0.0.1:PORT. The journal's
# flash is lm3s6965evb-flash.bin in STATE_DIR (kept between runs: delete it
# for an erased part). Ctrl-A X quits QEMU. The tests do not use this.
#
# usage: boards/lm3s6965evb/run-qemu.sh [IMAGE] [PORT] [STATE_DIR]
#        (default build/board/boards/lm3s6965evb/chatbell.elf, 8080, .)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=$(realpath "${1:-$HERE/../../build/board/boards/lm3s6965evb/chatbell.elf}")
PORT=${2:-8080}
STATE=${3:-.}
[ -f "$IMAGE" ] || {
    echo "run-qemu.sh: no $IMAGE (build it: cmake --preset board && cmake --build --preset board)" >&2
    exit 2
}
cd "$STATE"
echo "run-qemu.sh: board port 80 -> http://127.0.0.1:$PORT, flash in $(pwd)/lm3s6965evb-flash.bin (Ctrl-A X quits)"
exec qemu-system-arm -M lm3s6965evb -serial mon:stdio \
    -semihosting-config enable=on,target=native \
    -nic "user,hostfwd=tcp:127.0.0.1:$PORT-:80" -kernel "$IMAGE"
