#!/bin/sh
# scripts/deps.sh - installs the Debian packages the build and the tests need,
# only those missing (the README's two commands call it through make).
# Usage: scripts/deps.sh [run|test|bench|board]   (default: test)
set -eu
what=${1:-test}

pkgs="cmake ninja-build gcc pkg-config libmbedtls-dev"
case "$what" in
run) ;;
test) pkgs="$pkgs git clang clang-format libclang-rt-14-dev libcmocka-dev python3 curl liblwip-dev iproute2 nodejs npm testssl.sh openssl" ;;
bench) pkgs="$pkgs clang libcmocka-dev python3 curl procps wrk nginx-light valgrind strace nodejs" ;;
board) pkgs="$pkgs gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm dpkg-dev python3 curl" ;;
*) echo "usage: $0 [run|test|bench|board]" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
    # a tool already on PATH counts (node may come from another packaging)
    case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
