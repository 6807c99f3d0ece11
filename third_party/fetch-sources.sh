#!/bin/sh
# third_party/fetch-sources.sh - brings the sources the cross (board) build
# compiles, from Debian's source packages: lwIP 2.1.3 and Mbed TLS 2.28.
# Called by cmake/cb_cortexm.cmake at configure time (or by hand).
#
# usage: fetch-sources.sh DEST
#
# Leaves DEST/lwip and DEST/mbedtls (links to the unpacked source
# trees) and DEST/SOURCES (what was fetched). Nothing is written outside DEST:
# apt runs with a PRIVATE configuration in DEST/apt - a deb-src list derived
# from this machine's Debian "deb" entries (/etc/apt/sources.list and
# sources.list.d/*.list|*.sources), its own package lists and caches - so
# /etc/apt and /var/lib/apt are only read. apt checks the signed Sources
# indexes against the machine's keyrings and every file against them. Needs
# apt-get, dpkg-source (dpkg-dev) and the Debian mirror the machine already
# uses; not root. A DEST that already holds both is left alone.
set -eu

DEST=${1:?usage: fetch-sources.sh DEST}
# source packages and the upstream version (prefix) each must have
PKGS="lwip mbedtls"
want_version() {
    case "$1" in
    lwip) echo 2.1.3 ;;
    mbedtls) echo 2.28. ;;
    esac
}

say() { echo "fetch-sources: $*"; }
die() {
    echo "fetch-sources: $*" >&2
    exit 1
}

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
if [ -f "$DEST/SOURCES" ] && [ -d "$DEST/lwip/src" ] && [ -d "$DEST/mbedtls/library" ]; then
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || die "no apt-get: this needs a Debian (or derived) machine"
command -v dpkg-source >/dev/null 2>&1 || die "no dpkg-source: apt-get install dpkg-dev"

APT="$DEST/apt"
rm -rf "$APT"
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial"

# ---- a deb-src list from the machine's Debian entries (read only) ----
ETC=$(apt-config shell E Dir::Etc/d | sed -n "s/^E='\(.*\)'$/\1/p")
[ -n "$ETC" ] || ETC=/etc/apt
LIST=$(apt-config shell L Dir::Etc::sourcelist/f | sed -n "s/^L='\(.*\)'$/\1/p")
[ -n "$LIST" ] || LIST=$ETC/sources.list
PARTS=$(apt-config shell P Dir::Etc::sourceparts/d | sed -n "s/^P='\(.*\)'$/\1/p")
[ -n "$PARTS" ] || PARTS=$ETC/sources.list.d

# One-line format: "deb [opts] URI SUITE COMPONENTS" -> "deb-src ...".
# Only Debian's archive (a URI with "debian" in it): other vendors' lists
# (node, cloud SDKs) are neither needed nor reachable in CI.
: >"$APT/sources.list"
for f in "$LIST" "$PARTS"/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]\{1,\}\(.*debian.*\)$/deb-src \1/p' "$f" >>"$APT/sources.list"
done
# deb822 format: each enabled stanza whose Types has "deb" and whose URIs
# name Debian's archive, copied with "Types: deb-src" (Signed-By, Suites,
# Components and continuation lines kept as they are).
for f in "$PARTS"/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         {
             n = split($0, line, "\n"); out = ""; types = 0; uris = 0; off = 0
             for (i = 1; i <= n; i++) {
                 l = line[i]
                 if (l ~ /^#/) continue
                 if (tolower(l) ~ /^types:/) { if (l ~ /[[:space:]]deb([[:space:]]|$)/) types = 1; l = "Types: deb-src" }
                 if (tolower(l) ~ /^uris:/ && l ~ /debian/) uris = 1
                 if (tolower(l) ~ /^enabled:[[:space:]]*no/) off = 1
                 out = out l "\n"
             }
             if (types && uris && !off) printf "%s", out "\n"
         }' "$f" >>"$APT/sources.list.d/debian-src.sources"
done
if [ ! -s "$APT/sources.list" ] && [ ! -s "$APT/sources.list.d/debian-src.sources" ]; then
    die "no Debian 'deb' entry in $LIST or $PARTS to derive a deb-src line from"
fi

# apt with everything it writes in $APT; the machine's keyrings and dpkg
# status are only read.
set -- -o Dir::Etc::sourcelist="$APT/sources.list" \
    -o Dir::Etc::sourceparts="$APT/sources.list.d" \
    -o Dir::State::Lists="$APT/lists" \
    -o Dir::Cache="$APT/cache" \
    -o Dir::Cache::pkgcache="$APT/cache/pkgcache.bin" \
    -o Dir::Cache::srcpkgcache="$APT/cache/srcpkgcache.bin" \
    -o APT::Sandbox::User="$(id -un)" \
    -o Acquire::Retries=3

say "deb-src derived from $LIST and $PARTS (private apt dir $APT)"
apt-get "$@" -qq update || die "apt-get update of the private deb-src list failed"

WORK="$DEST/src"
mkdir -p "$WORK"
: >"$DEST/SOURCES.tmp"
for p in $PKGS; do
    rm -rf "${WORK:?}/$p" "${DEST:?}/$p"
    mkdir -p "$WORK/$p"
    say "apt-get source $p"
    (cd "$WORK/$p" && apt-get "$@" -qq source "$p" >"$WORK/$p.log" 2>&1) || {
        cat "$WORK/$p.log" >&2
        die "apt-get source $p failed"
    }
    dir=$(find "$WORK/$p" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    [ -n "$dir" ] || die "apt-get source $p unpacked nothing"
    dsc=$(find "$WORK/$p" -maxdepth 1 -name '*.dsc' | head -n 1)
    ver=$(sed -n 's/^Version: //p' "$dsc")
    want=$(want_version "$p")
    case "$ver" in
    "$want"* | *:"$want"*) ;;
    *) die "$p: Debian has $ver, this build wants $want*" ;;
    esac
    ln -s "$dir" "$DEST/$p"
    echo "$p $ver $(basename "$dsc")" >>"$DEST/SOURCES.tmp"
    rm -f "$WORK/$p"/*.tar.* # the unpacked tree is all the build needs
done
mv "$DEST/SOURCES.tmp" "$DEST/SOURCES"
say "$(tr '\n' ';' <"$DEST/SOURCES")"
