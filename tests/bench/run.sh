#!/usr/bin/env bash
# tests/bench/run.sh - the benchmark behind `make bench` (docs/PERFORMANCE.md):
# the same load, in one run, against chatbell (fsync on and off), nginx
# `return 200` and the Node.js reference receiver, sent by instaleap-send and
# by wrk; then instructions per event (callgrind over bench_core.c), heap
# calls per request (malloc_count.c), peak RSS, syscalls per request and the
# disk's flush time. The summary opens with every issue-15 target, its
# measured value and pass/fail. Not part of `make test`: it times nothing and
# fails only when a step cannot run or an answer is wrong (a missed target is
# printed, not an error).
#
# Knobs (environment): BENCH_N (events per instaleap-send run), BENCH_CONNS,
# BENCH_PIPELINE, BENCH_MIX, BENCH_REPEAT (runs per system; the best and the
# median are reported), BENCH_WRK_SECONDS, BENCH_WRK_POOL (pre-signed requests
# for wrk, at least), BENCH_CG_N (events under callgrind), BENCH_SERVER_CPU /
# BENCH_CLIENT_CPU, BENCH_QUIET_WAIT (seconds to wait for an idle machine
# before each run), BENCH_RETRIES (runs disturbed by other processes done
# again), BENCH_BUILD (build dir, default build/bench), BENCH_OUT (results
# dir), BENCH_SYSTEMS (subset of: chatbell-off chatbell-on nginx node),
# BENCH_SKIP (subset of: isend conns64 wrk callgrind malloc rss strace ucg fsync).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/bench
BUILD=${BENCH_BUILD:-$ROOT/build/bench}
OUT=${BENCH_OUT:-$BUILD/results}
N=${BENCH_N:-300000}
CONNS=${BENCH_CONNS:-16}
PIPELINE=${BENCH_PIPELINE:-1}
# V3 only: with the default signature_scheme (auto) a V1-only request is
# refused once a V3 event is stored (SPEC 3), so a V1/V3 mix is half 401s.
MIX=${BENCH_MIX:-v3}
REPEAT=${BENCH_REPEAT:-3}
WRK_SECONDS=${BENCH_WRK_SECONDS:-3}
WRK_POOL=${BENCH_WRK_POOL:-300000}
CG_N=${BENCH_CG_N:-4000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
QUIET_WAIT=${BENCH_QUIET_WAIT:-30}
RETRIES=${BENCH_RETRIES:-2}
SYSTEMS=${BENCH_SYSTEMS:-chatbell-off chatbell-on nginx node}
SKIP=${BENCH_SKIP:-}
# Every accepted event stays unacknowledged (nobody presses the button), and
# the host tracks at most CB_CFG_UNACKED_MAX (16384) of them: the benchmark
# build raises that build-time limit (4 bytes of RAM each) so that one
# instance takes a whole run. Nothing else differs from the dev preset, and
# the memory figures come from a default build.
UNACKED_MAX=${BENCH_UNACKED_MAX:-1048576}
SMALL_N=15000 # runs on the default build stay under its 16384 unacknowledged
SECRET=chatbell-demo-secret
TEXT='Hola, soy José, tu shopper. ¿Prefieres leche deslactosada o entera?'

export CHATBELL_SECRET=$SECRET
RAW=$OUT/raw
TMP=$(mktemp -d /tmp/chatbell-bench.XXXXXX)
CLK_TCK=$(getconf CLK_TCK)
SERVER_PID=""
WRAP=() # a command prefix for the server (strace)

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
skipped() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
calc() { python3 -c "print($1)"; }

cleanup() {
    stop_server || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in cmake gcc wrk nginx valgrind callgrind_annotate node taskset python3 curl strace; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/deps.sh bench)"
done
if [ "$(nproc)" -le "$CLIENT_CPU" ] || [ "$(nproc)" -le "$SERVER_CPU" ]; then
    die "needs CPUs $SERVER_CPU and $CLIENT_CPU (BENCH_SERVER_CPU / BENCH_CLIENT_CPU)"
fi

# ---------------------------------------------------------------- build

build() { # dir, extra cmake args...
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=gcc "$@" >"$TMP/cmake.log" 2>&1 ||
        { cat "$TMP/cmake.log" >&2; die "cmake configure of $dir failed"; }
}
log "building in $BUILD (RelWithDebInfo, gcc, CB_CFG_UNACKED_MAX=$UNACKED_MAX) and $BUILD-default"
build "$BUILD" -DCB_TESTS=ON "-DCMAKE_C_FLAGS=-DCB_CFG_UNACKED_MAX=$UNACKED_MAX"
cmake --build "$BUILD" --target chatbell instaleap-send cb_fakes cb_send_lib >"$TMP/build.log" 2>&1 ||
    { tail -40 "$TMP/build.log" >&2; die "build failed"; }
build "$BUILD-default" -DCB_TESTS=OFF
cmake --build "$BUILD-default" --target chatbell >"$TMP/build.log" 2>&1 ||
    { tail -40 "$TMP/build.log" >&2; die "build (default limits) failed"; }
CHATBELL=$BUILD/port/posix/chatbell
CHATBELL_DEFAULT=$BUILD-default/port/posix/chatbell
SEND=$BUILD/tools/instaleap-send/instaleap-send
WARN=(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -Wformat=2)
gcc -std=c11 -O2 -g "${WARN[@]}" -I"$ROOT/app" -I"$ROOT/port" -I"$ROOT/tests/fakes" \
    -I"$ROOT/tools/instaleap-send" "$HERE/bench_core.c" \
    "$BUILD/tools/instaleap-send/libcb_send_lib.a" "$BUILD/tests/libcb_fakes.a" \
    "$BUILD/libcb_core.a" "$BUILD/tests/libcb_fakes.a" -lmbedcrypto -o "$BUILD/bench_core"
gcc -std=c11 -O2 "${WARN[@]}" -shared -fPIC "$HERE/malloc_count.c" -o "$BUILD/malloc_count.so"

rm -rf "$RAW"
mkdir -p "$RAW"
{
    echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
        git -C "$ROOT" diff --quiet HEAD -- app port third_party 2>/dev/null || echo ' +uncommitted')"
    echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
    echo "kernel $(uname -r)"
    echo "fs $(df -T "$TMP" | awk 'NR == 2 {print $2}') ($TMP)"
    echo "gcc $(gcc -dumpfullversion)"
    echo "mbedtls $(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null || echo '?')"
    echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')"
    echo "node $(node --version)"
    echo "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
    echo "valgrind $(valgrind --version)"
    echo "settings N=$N conns=$CONNS pipeline=$PIPELINE mix=$MIX repeat=$REPEAT" \
        "wrk_seconds=$WRK_SECONDS wrk_pool=$WRK_POOL server_cpu=$SERVER_CPU" \
        "client_cpu=$CLIENT_CPU unacked_max=$UNACKED_MAX"
    echo "loadavg_before $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RAW/env.txt"

# ---------------------------------------------------------------- servers

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits for a "listening on http://..." line in $1; prints the URL.
wait_url() {
    local file=$1 url=""
    for _ in $(seq 200); do
        url=$(grep -o -m1 'listening on http://[0-9.:]*' "$file" 2>/dev/null | sed 's/listening on //' || true)
        [ -n "$url" ] && { echo "$url"; return 0; }
        sleep 0.05
    done
    cat "$file" >&2
    return 1
}

# Starts system $1 pinned to SERVER_CPU (under WRAP); sets SERVER_PID and
# SERVER_URL. Extra arguments are environment settings (LD_PRELOAD=...).
# CHATBELL_BIN picks the chatbell binary (default: the benchmark build).
start_server() {
    local sys=$1 dir=$TMP/$1
    shift
    rm -rf "$dir"
    mkdir -p "$dir"
    case $sys in
    chatbell-off | chatbell-on)
        # every connection comes from 127.0.0.1: lift the per-source cap
        # (a quarter of max_conn by default) for the 64-connection run
        cat >"$dir/config.json" <<EOF
{"journal_budget": 268435456, "reminder_s": 0, "max_conn_per_source": 64}
EOF
        env "$@" ${WRAP[@]+"${WRAP[@]}"} taskset -c "$SERVER_CPU" "${CHATBELL_BIN:-$CHATBELL}" \
            --listen 127.0.0.1:0 --data-dir "$dir/data" --no-tui --fsync "${sys#chatbell-}" \
            --config "$dir/config.json" </dev/null >"$dir/out.log" 2>&1 &
        SERVER_PID=$!
        SERVER_URL=$(wait_url "$dir/out.log") || die "$sys did not start"
        ;;
    nginx)
        local port
        port=$(free_port)
        mkdir -p "$dir/tmp"
        cat >"$dir/nginx.conf" <<EOF
# the benchmark's nginx: one worker, nothing logged, a fixed 200 answer
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "ok"; }
    }
}
EOF
        ${WRAP[@]+"${WRAP[@]}"} taskset -c "$SERVER_CPU" nginx -p "$dir" -c "$dir/nginx.conf" \
            -e "$dir/error.log" </dev/null >"$dir/out.log" 2>&1 &
        SERVER_PID=$!
        SERVER_URL=http://127.0.0.1:$port
        for _ in $(seq 200); do
            curl -s -o /dev/null "$SERVER_URL/" && break
            sleep 0.05
        done
        curl -sf -o /dev/null "$SERVER_URL/" || { cat "$dir/error.log" >&2; die "nginx did not start"; }
        ;;
    node)
        ${WRAP[@]+"${WRAP[@]}"} taskset -c "$SERVER_CPU" node "$HERE/node_receiver.js" 0 \
            </dev/null >"$dir/out.log" 2>&1 &
        SERVER_PID=$!
        SERVER_URL=$(wait_url "$dir/out.log") || die "node receiver did not start"
        ;;
    *) die "unknown system $sys" ;;
    esac
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    if [ "${WRAP[0]:-}" = strace ]; then # stop the traced server, strace follows
        pkill -TERM -P "$SERVER_PID" 2>/dev/null || true
    else
        kill -TERM "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# "user system" CPU seconds of the server: the process and its children
# (nginx's worker).
server_cpu() {
    local u=0 s=0 p pu ps
    for p in $SERVER_PID $(pgrep -P "$SERVER_PID" || true); do
        [ -r "/proc/$p/stat" ] || continue
        read -r pu ps < <(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12, $13}')
        u=$((u + pu))
        s=$((s + ps))
    done
    echo "$u $s"
}

# Peak RSS of the server, kB (the largest of its processes).
server_hwm() {
    local max=0 p v
    for p in $SERVER_PID $(pgrep -P "$SERVER_PID" || true); do
        v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        [ "${v:-0}" -gt "$max" ] && max=$v
    done
    echo "$max"
}

# Busy jiffies of the whole machine (user nice system irq softirq steal).
machine_busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

# Waits (up to QUIET_WAIT s) for a second in which the machine is under 10%
# busy, so that a run does not share the CPUs with other work.
wait_quiet() {
    local b0 b1 pct=100
    for _ in $(seq "$QUIET_WAIT"); do
        b0=$(machine_busy)
        sleep 1
        b1=$(machine_busy)
        pct=$(((b1 - b0) * 100 / (CLK_TCK * $(nproc))))
        [ "$pct" -lt 10 ] && return 0
    done
    log "the machine stays busy ($pct% of all CPUs used by other work): figures will be noisy"
}

# What chatbell counted: accepted / duplicate events, journal flushes.
chatbell_metrics() {
    curl -s "$SERVER_URL/metrics" | awk '
        /^chatbell_events_total\{result="accepted"\}/ {print "accepted", $2}
        /^chatbell_events_total\{result="duplicate"\}/ {print "duplicate", $2}
        /^chatbell_journal_syncs_total/ {print "syncs", $2}'
}

# The client, pinned to CLIENT_CPU: isend N CONNS JOB | wrk CONNS.
# Output to $f; "client_cpu_s U S" to $f.time.
run_client() {
    local client=$1 f=$2
    shift 2
    local TIMEFORMAT='client_cpu_s %U %S'
    if [ "$client" = isend ]; then
        { time taskset -c "$CLIENT_CPU" "$SEND" --url "$SERVER_URL/webhooks/instaleap/chat" \
            --load "$1" --conns "$2" --pipeline "$PIPELINE" --mix "$MIX" --text "$TEXT" \
            --job-id "$3" >"$f" 2>"$f.err"; } 2>"$f.time"
    else
        { time taskset -c "$CLIENT_CPU" wrk -t1 -c"$1" -d"${WRK_SECONDS}s" --latency \
            -s "$TMP/wrk/requests.lua" "$SERVER_URL/webhooks/instaleap/chat" \
            >"$f" 2>"$f.err"; } 2>"$f.time"
    fi
}

# CPU ticks used so far by every user process but this script's own tree
# and the server (kernel threads left out; an exited child's ticks stay
# counted in its parent's cutime/cstime): what else ran on the machine.
others_ticks() {
    # shellcheck disable=SC2046 # one argument per child pid
    python3 - "$$" "$SERVER_PID" $(pgrep -P "$SERVER_PID" || true) <<'EOF'
import os, sys
skip = set(sys.argv[1:]) | {str(os.getpid())}
total = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit() or pid in skip:
        continue
    try:
        with open("/proc/%s/stat" % pid) as f:
            st = f.read()
    except OSError:
        continue
    fields = st[st.rindex(")") + 2:].split()
    if pid == "2" or fields[1] == "2" or fields[1] == sys.argv[1]:
        continue
    total += sum(int(x) for x in fields[11:15])
print(total)
EOF
}

# One measurement: client $1 (isend|wrk) against system $2, run $3, with
# $4 connections; raw output in $RAW/$5.$2.$3.txt. A run during which other
# processes used more than 10% of a CPU is done again (up to RETRIES times;
# the last attempt is kept and marked).
measure() {
    local client=$1 sys=$2 rep=$3 conns=$4 f=$RAW/$5.$2.$3.txt c0 c1 b0 b1 o0 o1 rc attempt wall
    local u0 s0 u1 s1
    local busy_pct=0
    for attempt in $(seq $((RETRIES + 1))); do
        wait_quiet
        start_server "$sys"
        rc=0
        c0=$(server_cpu)
        o0=$(others_ticks)
        b0=$(machine_busy)
        SECONDS=0
        if [ "$client" = isend ]; then
            run_client isend "$f" "$N" "$conns" "B$rep" || rc=$?
        else
            run_client wrk "$f" "$conns" || rc=$?
        fi
        wall=$((SECONDS > 0 ? SECONDS : 1))
        b1=$(machine_busy)
        o1=$(others_ticks)
        c1=$(server_cpu)
        busy_pct=$(((o1 - o0) * 100 / (CLK_TCK * wall)))
        {
            cat "$f.time"
            read -r u0 s0 <<<"$c0"
            read -r u1 s1 <<<"$c1"
            echo "server_cpu_s $(calc "'%.3f %.3f' % (($u1 - $u0) / $CLK_TCK, ($s1 - $s0) / $CLK_TCK)")"
            echo "machine_busy_s $(calc "'%.3f' % (($b1 - $b0) / $CLK_TCK)")"
            echo "others_cpu_s $(calc "'%.3f' % (max($o1 - $o0, 0) / $CLK_TCK)")"
            echo "attempt $attempt"
            echo "vmhwm_kb $(server_hwm)"
            case $sys in chatbell-*) chatbell_metrics ;; esac
        } >>"$f"
        stop_server
        [ "$rc" -eq 0 ] || { cat "$f" "$f.err" >&2; die "$client against $sys failed (exit $rc)"; }
        [ "$busy_pct" -le 10 ] && break
        log "$5 $sys #$rep: other processes used ${busy_pct}% of a CPU during the run$(
            [ "$attempt" -le "$RETRIES" ] && echo ': again')"
    done
    [ "$busy_pct" -le 10 ] || echo "disturbed $busy_pct" >>"$f"
    log "$5 $sys #$rep: $(grep -E '^(requests:|Requests/sec)' "$f" | tr -s ' ')"
}

# Round-robin over the systems, the first one rotating each run, so that a
# burst of noise on the machine does not land on one system only.
rounds() {
    local client=$1 rep sys i
    local -a list
    read -r -a list <<<"$SYSTEMS"
    for rep in $(seq "$REPEAT"); do
        for i in "${!list[@]}"; do
            sys=${list[$(((i + rep - 1) % ${#list[@]}))]}
            measure "$client" "$sys" "$rep" "$CONNS" "$client"
        done
    done
}

# ---------------------------------------------------------------- 1-2: load

if ! skipped isend; then
    log "instaleap-send: $N events per run, $CONNS connections, pipeline $PIPELINE, mix $MIX"
    rounds isend
fi

if ! skipped conns64; then # what group commit does with more concurrency
    for sys in chatbell-on chatbell-off; do
        case " $SYSTEMS " in *" $sys "*) measure isend "$sys" 1 64 isend64 ;; esac
    done
fi

if ! skipped wrk; then
    # enough unique events for chatbell's pace as instaleap-send measured it
    # (a run that exhausts the pool would send duplicates, and is flagged)
    fastest=$(cat "$RAW"/isend.chatbell-off.*.txt 2>/dev/null | awk '/^requests:/ && $6 > m {m = $6} END {print int(m)}')
    need=$(((${fastest:-0} * WRK_SECONDS * 13 + 9) / 10))
    [ "$need" -gt "$WRK_POOL" ] && WRK_POOL=$need
    log "wrk: generating $WRK_POOL pre-signed requests"
    python3 "$HERE/gen_wrk.py" --count "$WRK_POOL" --out "$TMP/wrk" --secret "$SECRET" \
        --text "$TEXT" --mix "$MIX" >"$RAW/gen_wrk.txt"
    log "wrk: ${WRK_SECONDS}s per run, $CONNS connections, 1 thread"
    rounds wrk
    rm -rf "$TMP/wrk"
fi

# ---------------------------------------------------------------- 3: instructions per event

if ! skipped callgrind; then
    for batch in 1 16; do
        log "callgrind: $CG_N events through the core, $batch per group commit"
        cg=$RAW/callgrind.b$batch
        valgrind --tool=callgrind --callgrind-out-file="$cg.out" --collect-atstart=no \
            --toggle-collect=bench_batch "$BUILD/bench_core" "$CG_N" "$MIX" "$batch" "$TEXT" \
            >"$cg.log" 2>&1 || { cat "$cg.log" >&2; die "bench_core failed"; }
        callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$cg.out" >"$cg.incl.txt" 2>/dev/null
        callgrind_annotate --inclusive=no --threshold=100 --auto=no "$cg.out" >"$cg.self.txt" 2>/dev/null
        echo "events $CG_N" >>"$cg.log"
        rm -f "$cg.out"
    done
fi

# ---------------------------------------------------------------- 3: peak RSS, default build

if ! skipped rss; then
    log "peak RSS: default build, $SMALL_N events"
    wait_quiet
    CHATBELL_BIN=$CHATBELL_DEFAULT start_server chatbell-off
    echo "idle_kb $(server_hwm)" >"$RAW/rss.txt"
    run_client isend "$RAW/rss.load.txt" "$SMALL_N" "$CONNS" R ||
        { cat "$RAW/rss.load.txt" >&2; die "RSS load run failed"; }
    { echo "load_kb $(server_hwm)"; echo "events $SMALL_N"; chatbell_metrics; } >>"$RAW/rss.txt"
    stop_server
fi

# ---------------------------------------------------------------- 4: allocations

if ! skipped malloc; then
    log "malloc count: chatbell (fsync off) under LD_PRELOAD=malloc_count.so"
    mc=$RAW/malloc.txt
    : >"$mc"
    lines_of() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
    snapshot() { # label: asks for a snapshot line and waits for it
        local before
        before=$(lines_of "$TMP/mc.out")
        kill -USR2 "$SERVER_PID"
        for _ in $(seq 100); do
            [ "$(lines_of "$TMP/mc.out")" -gt "$before" ] && break
            sleep 0.02
        done
        echo "$1 $(tail -1 "$TMP/mc.out")" >>"$mc"
    }
    rm -f "$TMP/mc.out"
    start_server chatbell-off LD_PRELOAD="$BUILD/malloc_count.so" MALLOC_COUNT_OUT="$TMP/mc.out"
    snapshot started
    warm=2000
    run_client isend "$RAW/malloc.warm.txt" "$warm" "$CONNS" W
    snapshot "warm $warm"
    run_client isend "$RAW/malloc.load.txt" "$N" "$CONNS" M
    snapshot "load $N"
    chatbell_metrics >>"$mc"
    stop_server
fi

# ---------------------------------------------------------------- syscalls per request

if ! skipped strace; then
    for sys in chatbell-off chatbell-on nginx; do
        log "strace -c: $sys, $SMALL_N requests"
        WRAP=(strace -f -qq -c -o "$RAW/strace.$sys.txt")
        CHATBELL_BIN=$CHATBELL_DEFAULT start_server "$sys"
        run_client isend "$RAW/strace.$sys.load.txt" "$SMALL_N" "$CONNS" S ||
            { cat "$RAW/strace.$sys.load.txt" >&2; die "strace run against $sys failed"; }
        stop_server
        WRAP=()
        printf 'requests %s\nconns %s\n' "$SMALL_N" "$CONNS" >>"$RAW/strace.$sys.txt"
    done
fi

# ---------------------------------------------------------------- user-space instructions per request

# The whole simulator (loop, port, core) and nginx's worker under callgrind,
# same load: what each executes in user space per request (start-up included).
if ! skipped ucg; then
    UCG_N=10000
    ucg_dir=$(mktemp -d /tmp/chatbell-bench-cg.XXXXXX)
    chmod 1777 "$ucg_dir" # nginx's worker runs as nobody
    for sys in chatbell-off nginx; do
        log "callgrind: $sys, whole process, $UCG_N requests"
        WRAP=(valgrind --tool=callgrind --trace-children=yes "--callgrind-out-file=$ucg_dir/$sys.%p.out")
        CHATBELL_BIN=$CHATBELL_DEFAULT start_server "$sys"
        run_client isend "$RAW/ucg.$sys.load.txt" "$UCG_N" "$CONNS" U ||
            { cat "$RAW/ucg.$sys.load.txt" >&2; die "callgrind run against $sys failed"; }
        stop_server
        WRAP=()
        for f in "$ucg_dir/$sys".*.out; do
            callgrind_annotate --auto=no --threshold=100 "$f" 2>/dev/null |
                awk -v f="$(basename "$f")" '/PROGRAM TOTALS/ {gsub(",", "", $1); print f, $1}'
        done >"$RAW/ucg.$sys.txt"
        echo "requests $UCG_N" >>"$RAW/ucg.$sys.txt"
    done
    rm -rf "$ucg_dir"
fi

# ---------------------------------------------------------------- the disk's flush time

if ! skipped fsync; then
    log "fdatasync probe in $TMP"
    python3 - "$TMP/probe" >"$RAW/fsync.txt" <<'EOF'
# append a journal-sized record, fdatasync, 500 times: what one group commit costs
import os, statistics, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
rec, lat = b"x" * 1600, []
for _ in range(500):
    t = time.perf_counter()
    os.write(fd, rec)
    os.fdatasync(fd)
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
print("fdatasync_ms p50 %.3f p90 %.3f p99 %.3f mean %.3f" % (
    lat[len(lat) // 2], lat[len(lat) * 9 // 10], lat[len(lat) * 99 // 100], statistics.mean(lat)))
EOF
fi

echo "loadavg_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW/env.txt"
python3 "$HERE/summarize.py" "$RAW" >"$OUT/summary.md"
cat "$OUT/summary.md"
echo
sed -n '/^## Targets/,/targets met in this run/p' "$OUT/summary.md" # again, last on screen
log "results in $OUT (summary.md, raw/)"
