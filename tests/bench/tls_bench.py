#!/usr/bin/env python3
# tls_bench.py - HTTPS throughput (issue 16): chatbell's TLS listener against
# nginx serving `return 200` over TLS with the same certificate and key, in
# the same run: full handshakes/s and resumed (session ticket) handshakes/s
# with `openssl s_time`, keep-alive requests/s with wrk (GET /healthz on
# chatbell), and chatbell's TLS heap and RSS afterwards. Then, when the
# board build has made it and qemu-system-arm is there, the same three
# figures for mps2-an385's HTTPS image in QEMU (one TLS connection: wrk -c1),
# instaleap-send --load over its TLS, and its RAM per TLS connection: the TLS heap's peak per session after the
# run (the 's' key) and the image's static TLS RAM (its size report).
# Prints Markdown tables. Needs nginx, wrk, openssl (scripts/deps.sh bench).
#   tls_bench.py [--chatbell build/dev/port/posix/chatbell] [--seconds 5] [--conns 8]
#                [--board-image build/board/boards/mps2-an385/chatbell-e2e-tls.elf]
#                [--send build/dev/tools/instaleap-send/instaleap-send]

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("tls_bench: nothing listens on %d" % port)


NGINX_CONF = """worker_processes 1;
daemon off;
error_log %(tmp)s/nginx-error.log;
pid %(tmp)s/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %(tmp)s; proxy_temp_path %(tmp)s; fastcgi_temp_path %(tmp)s;
    uwsgi_temp_path %(tmp)s; scgi_temp_path %(tmp)s;
    keepalive_requests 1000000;
    ssl_session_tickets on;
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;
        location / { return 200 '{"status":"ok"}'; }
    }
}
"""


def s_time(port, cafile, mode, seconds):
    """Handshakes per second: 'new' (full) or 'reuse' (resumed)."""
    p = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-" + mode,
                        "-time", str(seconds), "-CAfile", cafile, "-tls1_2"],
                       capture_output=True, text=True, timeout=seconds + 30)
    m = re.search(r"(\d+) connections in (\d+) real seconds", p.stdout)
    if not m:
        sys.exit("tls_bench: s_time said %r %r" % (p.stdout[-300:], p.stderr[-300:]))
    return int(m.group(1)) / max(1, int(m.group(2)))


def wrk(port, path, seconds, conns, qemu=False):
    """Keep-alive requests/s. Through QEMU's user network (qemu) a connect
    may fail in its one-deep accept backlog: said on stderr, not fatal."""
    p = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds,
                        "https://127.0.0.1:%d%s" % (port, path)],
                       capture_output=True, text=True, timeout=seconds + 30)
    m = re.search(r"Requests/sec:\s+([0-9.]+)", p.stdout)
    errs = re.search(r"Socket errors: connect (\d+), read 0, write 0, timeout 0", p.stdout)
    if qemu and m and errs and "Non-2xx" not in p.stdout:
        print("tls_bench: wrk through QEMU: %s failed connects" % errs.group(1), file=sys.stderr)
    elif not m or "Non-2xx" in p.stdout or "Socket errors" in p.stdout:
        sys.exit("tls_bench: wrk said %r" % p.stdout[-500:])
    return float(m.group(1))


def board_bench(image, seconds, send):
    """mps2-an385's HTTPS image in QEMU (tests/board/qemu_board.py boots
    it): handshakes/s, keep-alive requests/s on its one TLS connection,
    signed webhooks/s with instaleap-send --load over it, and what a TLS
    connection costs in its RAM."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "board"))
    import qemu_board as Q
    out = tempfile.mkdtemp(prefix="chatbell-tls-bench-board-")
    args = argparse.Namespace(qemu=shutil.which("qemu-system-arm"), out_dir=out, image=image,
                              machine="mps2-an385", tls=True)
    board = Q.Board(args)
    try:
        board.boot()
        ca = board.pin()
        row = ["mps2-an385 in QEMU (its 1 TLS session: wrk -c1)"]
        for step in (lambda: s_time(board.tls_port, ca, "new", seconds),
                     lambda: s_time(board.tls_port, ca, "reuse", seconds),
                     lambda: wrk(board.tls_port, "/healthz", seconds, 1, qemu=True)):
            time.sleep(1)  # the last client's close reaches the board: its one session is free
            row.append(step())
        time.sleep(1)
        load = subprocess.run([send, "--url", "https://127.0.0.1:%d" % board.tls_port, "--cacert", ca,
                               "--secret", Q.H.SECRET, "--load", "500", "--conns", "1"],
                              capture_output=True, text=True, timeout=300)
        rps = re.search(r"rps: ([0-9.]+)", load.stdout)
        if load.returncode != 0 or not rps:
            sys.exit("tls_bench: instaleap-send --load over TLS said %r %r" % (load.stdout, load.stderr))
        m = Q.stats_line(board, r"^stats\|   tls heap (\d+) of (\d+) bytes in use, peak (\d+); "
                                r"shared (\d+), one session peaked at (\d+) of (\d+)")
    finally:
        board.stop()
        shutil.rmtree(out, ignore_errors=True)
    heap, shared, peak, cap = int(m.group(2)), int(m.group(4)), int(m.group(5)), int(m.group(6))
    size = os.path.join(os.path.dirname(image), "chatbell-tls.size.txt")
    static = ""
    if os.path.exists(size):
        with open(size) as f:
            t = re.search(r"TLS: Mbed TLS heap and sessions \(cb_tls\)\s+(\d+)", f.read())
        static = "; static TLS RAM of the image (size report) %s bytes" % t.group(1) if t else ""
    note = ("mps2-an385: instaleap-send --load 500 --conns 1 over TLS: %s signed webhooks/s "
            "(each journaled and signalled)\n"
            "mps2-an385, RAM per TLS connection: %d bytes at the session's peak (cap %d); "
            "shared by all sessions %d; TLS heap %d bytes%s" % (rps.group(1), peak, cap, shared,
                                                                heap, static))
    return row, note


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatbell", default="build/dev/port/posix/chatbell")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--board-image", default="build/board/boards/mps2-an385/chatbell-e2e-tls.elf")
    ap.add_argument("--send", default="build/dev/tools/instaleap-send/instaleap-send")
    a = ap.parse_args()
    for tool in ("nginx", "wrk", "openssl"):
        if not shutil.which(tool):
            sys.exit("tls_bench: %s not installed (scripts/deps.sh bench)" % tool)
    tmp = tempfile.mkdtemp(prefix="chatbell-tls-bench-")
    cport, nport = free_port(), free_port()
    cb = subprocess.Popen([os.path.abspath(a.chatbell), "--listen", "127.0.0.1:0", "--listen-tls",
                           "127.0.0.1:%d" % cport, "--tls", "self-signed", "--data-dir", tmp + "/data",
                           "--fsync", "off", "--no-tui"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, cwd=tmp)
    wait_port(cport)
    cert, key = tmp + "/data/tls-self-signed.crt", tmp + "/data/tls-self-signed.key"
    with open(tmp + "/nginx.conf", "w") as f:
        f.write(NGINX_CONF % {"tmp": tmp, "port": nport, "cert": cert, "key": key})
    ng = subprocess.Popen(["nginx", "-c", tmp + "/nginx.conf", "-p", tmp], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        wait_port(nport)
        rows = []
        for name, port, path in (("chatbell", cport, "/healthz"), ("nginx", nport, "/")):
            rows.append((name, s_time(port, cert, "new", a.seconds), s_time(port, cert, "reuse", a.seconds),
                         wrk(port, path, a.seconds, a.conns)))
        with open("/proc/%d/status" % cb.pid) as f:
            rss = re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)
    finally:
        ng.send_signal(signal.SIGQUIT)
        cb.send_signal(signal.SIGTERM)
        err = cb.communicate(timeout=20)[1]
        ng.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)
    stats = [ln for ln in err.splitlines() if " tls: " in ln and "handshakes" in ln]
    board_note = None
    if os.path.exists(a.board_image) and shutil.which("qemu-system-arm"):
        board_row, board_note = board_bench(os.path.abspath(a.board_image), a.seconds,
                                            os.path.abspath(a.send))
        rows.append(board_row)
    print("| server (ECDSA P-256, ECDHE-ECDSA-AES128-GCM-SHA256, 1 core each) | full handshakes/s | "
          "resumed handshakes/s | keep-alive requests/s (wrk -c%d) |" % a.conns)
    print("|---|---|---|---|")
    for name, new, reuse, rps in rows:
        print("| %s | %.0f | %.0f | %.0f |" % (name, new, reuse, rps))
    print("\nchatbell RSS after the run: %s KiB" % rss)
    for ln in stats:
        print(ln.split("INFO", 1)[-1].strip())
    print(board_note or "mps2-an385: no %s (cmake --preset board -DCB_TESTS=ON && cmake --build "
          "--preset board) or no qemu-system-arm: board figures skipped" % a.board_image)


if __name__ == "__main__":
    main()
