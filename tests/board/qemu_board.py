#!/usr/bin/env python3
# qemu_board.py - CTest driver of the board tests (board_tests.cmake): boots a
# firmware image in qemu-system-arm -M <board> with QEMU's user network and
# a host forward (127.0.0.1:PORT -> the board's port 80), semihosting on (the
# journal's flash is <board>-flash.bin in --out-dir, QEMU's working
# directory) and its monitor on a unix socket there; waits for the banner on
# the UART, runs the checks of the chosen mode against the forwarded port,
# reads the signal lines and the VT100 display frames back out of the UART,
# and shuts QEMU down. Python 3 standard library only.
#
#   --mode boot   the product image (demo secret): health, a signed message
#                 on the display (and on the OLED, by screendump, where the
#                 board has one), scrolling, the button (QEMU's sendkey where
#                 the board has one), the stats key, a warm reset and a new
#                 QEMU process on the same flash file, both keeping the
#                 stored messages
#   --mode e2e    the e2e image (tests/board/e2e-settings.json): the tests/e2e
#                 classes of E2E_RUNS through the harness's --url mode, each on
#                 a fresh boot and erased flash, with the limits of the
#                 board's config header (--config); classes needing more
#                 connections at once than the build serves are skipped
#   --mode load   requests/s: a fresh boot per --conns value, then
#                 instaleap-send --load N --conns C (needs --send; with --tls
#                 over https://, where one TLS connection is served at once)
#   --tls         (an HTTPS image, chatbell-e2e-tls.elf) the board's port 443
#                 is forwarded too; its certificate is pinned (the banner's
#                 SHA-256 against what it serves) and the tests talk HTTPS:
#                 e2e mode runs the device checks (check_tls_device) and the
#                 E2E_TLS_RUNS classes through --url https:// --cacert
#
# Files (--out-dir): uart.raw (every byte), uart.log (text lines, escape
# sequences removed, the harness reads "signal| " lines from it), display.log
# (one line per frame drawn), oled.ppm/oled.png (the last screendump).
# Prints "board: N passed, N failed" last.

import argparse
import email.utils
import hashlib
import json
import os
import random
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
E2E_DIR = os.path.normpath(os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, E2E_DIR)
import harness as H  # noqa: E402

DEMO_SECRET = "chatbell-demo-secret"
BANNER = re.compile(r"^chatbell listening on http://(\d+\.\d+\.\d+\.\d+):80$")
TLS_BANNER = re.compile(r"^  tls sha256: ([0-9A-F:]{95})$")
SIGNAL_PREFIX = "signal| "
MONITOR_SOCK = "monitor.sock"  # in the out dir (QEMU's working directory)
# What each machine has besides the console: a graphic panel (screendump)
# and a button QEMU drives from a key.
HAS_PANEL = {"lm3s6965evb"}
HAS_BUTTON = {"lm3s6965evb"}
# The e2e classes run on the board, each on a freshly booted one (as the
# host harness gives each class a fresh server). Left out: the classes that
# need their own configuration (the harness would skip them anyway) and
# SenderTests (instaleap-send is a host tool, not built here). Each boot is
# pointed at the test's SNTP server first (set_sntp), so the clock is
# trusted as on the host: TimestampTests and DateTests run.
E2E_RUNS = [  # (script, class, connections it needs at once)
    ("test_webhook.py", "SignatureTests", 1),
    ("test_webhook.py", "RejectTests", 1),
    ("test_webhook.py", "RateLimitTests", 1),
    ("test_webhook.py", "DuplicateTests", 1),
    # the clock from the test's SNTP server (SntpServer)
    ("test_webhook.py", "TimestampTests", 1),
    ("test_date.py", "DateTests", 1),
    ("test_webhook.py", "HealthMetricsTests", 1),
    # a new connection per request, opened while the board still reaps the
    # last one; curl alongside the harness's checks
    ("test_webhook.py", "CurlTests", 2),
    ("test_errors.py", "ErrorTableTests", 2),
    # more clients at once than the build has body buffers
    ("test_memory.py", "BodyPoolTests", 4),
    # dynamic tokens need a trusted clock: provisioned for them (PROFILES)
    ("test_tokens.py", "DynamicTokenTests", 1, "dynamic"),
]
# Over HTTPS (--tls), within about two minutes: the classes that carry the
# product's path (signed events, rejections, duplicates, health and
# metrics, the error table's framing cases), one TLS connection at a time
# as the HTTPS image serves (CB_CFG_TLS_CONN).
E2E_TLS_RUNS = [
    ("test_webhook.py", "SignatureTests", 1),
    ("test_webhook.py", "RejectTests", 1),
    ("test_webhook.py", "DuplicateTests", 1),
    ("test_webhook.py", "HealthMetricsTests", 1),
    ("test_webhook.py", "RateLimitTests", 1),
    ("test_webhook.py", "TimestampTests", 1),
    ("test_date.py", "DateTests", 1),
    ("test_tokens.py", "DynamicTokenTests", 1, "dynamic"),
]


def profiles():
    """The settings a run stores over the console besides sntp_server, and
    what the harness is told the board runs (CB_E2E_REMOTE)."""
    import test_tokens as T
    return {"dynamic": (
        {"auth": "dynamic", "rate_limit_failures": str(T.NO_RATE_LIMIT), "client_id": T.CLIENT_ID,
         "client_secret": T.CLIENT_SECRET},
        {"config": T.dynamic_config(), "env": T.DYNAMIC_ENV})}


# ---------------------------------------------------------------- the UART

FRAME_START, FRAME_END = b"\x1b7", b"\x1b8"
CSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
FRAME_ROW = re.compile(rb"\x1b\[(\d+);1H([^\x1b]*)")


class Uart:
    """QEMU's stdout (the board's UART0): split into text lines and display
    frames. Display frames are "ESC 7 ... ESC 8" bursts (port/cortexm/
    console.c); everything else is text whose other escape sequences (the
    scroll region set at boot) are dropped."""

    def __init__(self, stream, out_dir):
        self.stream = stream
        self.raw = open(os.path.join(out_dir, "uart.raw"), "ab")
        self.log = open(os.path.join(out_dir, "uart.log"), "ab")
        self.disp = open(os.path.join(out_dir, "display.log"), "a")
        self.lines = []    # text lines, in order
        self.frames = []   # display frames: lists of row strings
        self.cv = threading.Condition()
        self.pending = b""
        self.text = b""
        self.eof = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            data = self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(4096)
            if not data:
                break
            self.raw.write(data)
            self.raw.flush()
            self._feed(data)
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def _feed(self, data):
        buf = self.pending + data
        out_text = b""
        frames = []
        while buf:
            i = buf.find(FRAME_START)
            if i < 0:
                # keep a trailing lone ESC: it may start a frame
                if buf.endswith(b"\x1b"):
                    out_text += buf[:-1]
                    buf = b"\x1b"
                else:
                    out_text += buf
                    buf = b""
                break
            out_text += buf[:i]
            j = buf.find(FRAME_END, i + 2)
            if j < 0:
                buf = buf[i:]  # the frame is not complete yet
                break
            frames.append(buf[i + 2:j])
            buf = buf[j + 2:]
        self.pending = buf
        with self.cv:
            for f in frames:
                rows = {int(r): t.decode("latin-1") for r, t in FRAME_ROW.findall(f)}
                lines = [rows[r][1:-1] for r in sorted(rows) if rows[r].startswith("|")]
                self.frames.append(lines)
                self.disp.write(" | ".join(lines) + "\n")
            self.disp.flush()
            self.text += out_text
            while b"\n" in self.text:
                ln, _, self.text = self.text.partition(b"\n")
                ln = CSI.sub(b"", ln).replace(b"\r", b"")
                self.log.write(ln + b"\n")
                self.lines.append(ln.decode("utf-8", "replace"))
            self.log.flush()
            self.cv.notify_all()

    def wait_line(self, pattern, start=0, timeout=10.0):
        """Index and match of the first text line from start matching the
        regex; raises on timeout or when QEMU's output ends."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(start, len(self.lines)):
                    m = rx.search(self.lines[i])
                    if m:
                        return i, m
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    raise AssertionError("no UART line matching %r within %gs; last lines:\n%s" % (
                        pattern, timeout, "\n".join(self.lines[-15:])))
                self.cv.wait(min(left, 0.1))

    def wait_frame(self, pred, start=0, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(start, len(self.frames)):
                    if pred(self.frames[i]):
                        return i, self.frames[i]
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    raise AssertionError("no display frame as wanted within %gs; last frames %r" % (
                        timeout, self.frames[-3:]))
                self.cv.wait(min(left, 0.1))

    def signals(self, start=0):
        with self.cv:
            return [(i, json.loads(ln[len(SIGNAL_PREFIX):])) for i, ln in enumerate(self.lines)
                    if i >= start and ln.startswith(SIGNAL_PREFIX)]

    def count(self):
        with self.cv:
            return len(self.lines), len(self.frames)


# ---------------------------------------------------------------- QEMU

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Board:
    def __init__(self, args, image=None):
        self.qemu, self.out_dir = args.qemu, os.path.abspath(args.out_dir)
        self.image = os.path.abspath(image or args.image)
        self.machine = args.machine
        self.proc = None
        self.uart = None
        self.port = None
        self.tls = args.tls
        self.tls_port = None
        self.fingerprint = None

    def boot(self, timeout=60.0):
        for attempt in range(3):
            self.port = free_port()
            self.tls_port = free_port() if self.tls else None
            fwd = "user,hostfwd=tcp:127.0.0.1:%d-:80" % self.port
            if self.tls:
                fwd += ",hostfwd=tcp:127.0.0.1:%d-:443" % self.tls_port
            try:
                os.remove(os.path.join(self.out_dir, MONITOR_SOCK))
            except FileNotFoundError:
                pass
            cmd = [self.qemu, "-M", self.machine, "-display", "none",
                   "-monitor", "unix:%s,server=on,wait=off" % MONITOR_SOCK,
                   "-serial", "stdio", "-semihosting-config", "enable=on,target=native",
                   "-nic", fwd, "-kernel", self.image]
            print("board: %s" % " ".join(cmd), flush=True)
            # the flash file (BOARD-flash.bin) lives in QEMU's working directory
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, cwd=self.out_dir)
            self.uart = Uart(self.proc.stdout, self.out_dir)
            try:
                i, m = self.uart.wait_line(BANNER.pattern, 0, timeout)
                print("board: booted, banner %r, forwarded to 127.0.0.1:%d" % (self.uart.lines[i], self.port),
                      flush=True)
                if self.tls:
                    _, t = self.uart.wait_line(TLS_BANNER.pattern, i, 5)
                    self.fingerprint = t.group(1)
                    print("board: HTTPS forwarded to 127.0.0.1:%d, certificate sha256 %s" % (
                        self.tls_port, self.fingerprint), flush=True)
                return i
            except AssertionError:
                err = self.stop()
                if "hostfwd" in err and attempt < 2:  # the port was taken meanwhile
                    continue
                raise AssertionError("no banner from the board; QEMU stderr: %s\nUART:\n%s" % (
                    err, "\n".join(self.uart.lines[-30:])))
        raise AssertionError("QEMU did not start")

    def pin(self):
        """The certificate the board serves, checked against the SHA-256 its
        banner printed (as a person would check it on the console), saved
        as device-cert.pem in the out dir; returns its path."""
        pem = ssl.get_server_certificate(("127.0.0.1", self.tls_port), timeout=10)
        der = ssl.PEM_cert_to_DER_cert(pem)
        got = ":".join("%02X" % b for b in hashlib.sha256(der).digest())
        assert got == self.fingerprint, "served %s, the banner says %s" % (got, self.fingerprint)
        path = os.path.join(self.out_dir, "device-cert.pem")
        with open(path, "w") as f:
            f.write(pem)
        return path

    def monitor(self, command, timeout=10.0):
        """One command on QEMU's human monitor (a unix socket in out_dir);
        returns its output."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as m:
            m.settimeout(timeout)
            m.connect(os.path.join(self.out_dir, MONITOR_SOCK))
            buf = b""
            while not buf.endswith(b"(qemu) "):
                buf += m.recv(4096)
            m.sendall(command.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"(qemu) "):
                chunk = m.recv(4096)
                if not chunk:
                    break
                buf += chunk
            return buf.decode("utf-8", "replace")

    def key(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def console(self, line):
        """One command line on the UART console (port/cortexm/settings_store.c)."""
        self.key(line.encode() + b"\r")

    def stop(self):
        """SIGTERM (QEMU exits at once); returns QEMU's stderr text."""
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read().decode("utf-8", "replace")
        self.uart.thread.join(5)
        self.proc = None
        return err

    def panics(self):
        return [ln for ln in self.uart.lines if ln.startswith("panic|") or "lwip| assertion" in ln]


# ---------------------------------------------------------------- the OLED

OLED_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "boards", "lm3s6965evb"))
MAGNIFY = 4  # QEMU's ssd0323 shows each panel pixel as 4x4 (hw/display/ssd0323.c)


def oled_model():
    """The panel's layout (oled.h) and the font table (font.c), read from the
    firmware's sources: the one definition of both."""
    with open(os.path.join(OLED_DIR, "oled.h")) as f:
        lay = {k: int(v, 0) for k, v in re.findall(r"#define (OLED_\w+|FONT_\w+)\s+(0x[0-9A-Fa-f]+|\d+)", f.read())}
    with open(os.path.join(OLED_DIR, "font.c")) as f:
        body = f.read().split("= {", 1)[1]
    glyphs = [[int(b, 16) for b in g] for g in re.findall(r"\{(0x[0-9a-f]{2}), (0x[0-9a-f]{2}), (0x[0-9a-f]{2}), "
                                                              r"(0x[0-9a-f]{2}), (0x[0-9a-f]{2})\}", body)]
    assert len(glyphs) == lay["FONT_LAST"] - lay["FONT_FIRST"] + 1, len(glyphs)
    return lay, glyphs


def oled_render(lines, model):
    """The panel's pixels (rows of grey levels 0..15) showing lines."""
    lay, glyphs = model
    px = [[0] * lay["OLED_WID"] for _ in range(lay["OLED_HGT"])]
    for r, text in enumerate(lines):
        for c, ch in enumerate(text):
            code = ord(ch)
            if not lay["FONT_FIRST"] <= code <= lay["FONT_LAST"]:
                code = ord("?")
            x0 = lay["OLED_X0"] + c * lay["OLED_CELL_W"]
            y0 = lay["OLED_Y0"] + r * lay["OLED_CELL_H"]
            for gx, colbits in enumerate(glyphs[code - lay["FONT_FIRST"]]):
                for gy in range(7):
                    if colbits >> gy & 1 and x0 + gx < lay["OLED_WID"] and y0 + gy < lay["OLED_HGT"]:
                        px[y0 + gy][x0 + gx] = lay["OLED_ON"]
    return px


def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM (QEMU's screendump)."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:pos + 1 + 3 * w * h]


def write_png(path, w, h, rgb):
    """rgb (w*h*3 bytes) as an 8-bit RGB PNG (zlib and struct only)."""
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def screen_pixels(path, model):
    """The panel's grey levels read back from a screendump (4x4 blocks)."""
    lay, _ = model
    w, h, rgb = read_ppm(path)
    assert (w, h) == (lay["OLED_WID"] * MAGNIFY, lay["OLED_HGT"] * MAGNIFY), (w, h)
    return [[rgb[3 * ((y * MAGNIFY) * w + x * MAGNIFY)] >> 4 for x in range(lay["OLED_WID"])]
            for y in range(lay["OLED_HGT"])]


def check_oled_shows(board, state):
    """The OLED (QEMU's screendump of the SSD0323) shows the display lines
    the console frame shows, pixel for pixel in the firmware's font."""
    model = oled_model()
    ppm = os.path.join(board.out_dir, "oled.ppm")
    for attempt in range(5):  # the message scrolls: match one of the last frames
        _, n_frames = board.uart.count()
        out = board.monitor("screendump " + ppm)
        assert os.path.exists(ppm), out
        got = screen_pixels(ppm, model)
        with board.uart.cv:
            frames = board.uart.frames[max(0, n_frames - 2):]
        for frame in reversed(frames):
            if got == oled_render(frame, model):
                png = os.path.join(board.out_dir, "oled.png")
                write_png(png, *read_ppm(ppm))
                lit = sum(v > 0 for row in got for v in row)
                print("       OLED shows %r: %d pixels lit, %s" % (frame, lit, png))
                state["oled"] = frame
                return
        time.sleep(0.05)
    raise AssertionError("the OLED does not show the display lines %r (screendump %s)" % (frames, ppm))


# ---------------------------------------------------------------- checks

class Checks:
    """Named checks with a plain summary."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn, *a):
        t0 = time.monotonic()
        try:
            fn(*a)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            print("FAIL   board.%s (%.2fs)\n       %s" % (name, time.monotonic() - t0,
                                                        str(e).replace("\n", "\n       ")), flush=True)
            return False
        self.passed += 1
        print("ok     board.%s (%.2fs)" % (name, time.monotonic() - t0), flush=True)
        return True


def post(board, ev, secret, scheme="v3"):
    return H.exchange(board.port, H.webhook_request(ev, scheme=scheme, secret=secret), timeout=10)


def get(board, target):
    return H.exchange(board.port, H.build_request("GET", target), timeout=10)


def check_health(board):
    r = get(board, "/healthz")
    assert r.status == 200, r
    h = r.json()
    assert h["status"] == "ok", h
    r = get(board, "/metrics")
    assert r.status == 200 and b"# TYPE" in r.body, r
    r = get(board, "/nowhere")
    assert r.status == 404 and r.json().get("error") == "not_found", r


def check_message_on_display(board, secret, state):
    """A long message: accepted, one message + one buzzer signal, the first
    frame drawn after it shows the signal's lines, then it scrolls."""
    n_lines, n_frames = board.uart.count()
    ev = H.make_event(sender="SH", notification_message="Pedido listo: el repartidor llega en 5 minutos, ¿bajas?")
    r = post(board, ev, secret)
    assert r.status == 200 and r.json().get("status") == "accepted", r
    seq = r.json()["seq"]
    board.uart.wait_line(r'^signal\| \{"kind":"buzzer","seq":%d,' % seq, n_lines)
    sigs = [s for _, s in board.uart.signals(n_lines)]
    msg = [s for s in sigs if s.get("kind") == "message" and s.get("seq") == seq]
    assert len(msg) == 1, sigs
    lines = msg[0]["lines"]
    assert msg[0]["text"] == ev["notification_message"] and msg[0]["job_id"] == ev["job_id"], msg
    assert ev["job_id"][-3:] in lines[0] and "Pic" in lines[0], lines
    i, frame = board.uart.wait_frame(lambda f: f == lines, n_frames)
    print("       display: %r" % (frame,))
    _, later = board.uart.wait_frame(lambda f: f[0] == lines[0] and f[1] != lines[1], i + 1, timeout=5)
    print("       scrolled: %r" % (later,))
    state.update(seq=seq, ev=ev)


def check_stats_key(board):
    n, _ = board.uart.count()
    board.console("s")
    board.uart.wait_line(r"^stats\| .*stacks: main \d+ bytes never used, tcpip \d+", n)
    i, _ = board.uart.wait_line(r"^stats\|   pool TCP_PCB", n)
    for ln in board.uart.lines[n:i + 1]:
        print("       %s" % ln)


def check_button(board, secret):
    """The button acknowledges the oldest unacknowledged message (one more is
    posted first, so one stays for the reset checks): on a board with one,
    pressed through QEMU's input (lm3s6965evb: the select button is the
    Ctrl key, hw/arm/stellaris.c), else the console's 'a' key."""
    r = post(board, H.make_event(sender="SUP", notification_message="otro"), secret, scheme="v3")
    assert r.status == 200 and r.json().get("status") == "accepted", r
    h = get(board, "/healthz").json()
    n, _ = board.uart.count()
    if board.machine in HAS_BUTTON:
        board.monitor("sendkey ctrl")
    else:
        board.key(b"a")
    _, m = board.uart.wait_line(r'^signal\| \{"kind":"ack","seq":(\d+)\}', n)
    sigs = [s for _, s in board.uart.signals()]
    acked = {s["seq"] for s in sigs[:-1] if s.get("kind") == "ack"}
    oldest = min(s["seq"] for s in sigs if s.get("kind") == "message" and s["seq"] not in acked)
    assert int(m.group(1)) == oldest, "acknowledged seq %s, the oldest is %d" % (m.group(1), oldest)
    h2 = get(board, "/healthz").json()
    assert h2["unacked"] == h["unacked"] - 1, (h, h2)


def check_warm_reset(board, secret, state):
    """'R': SYSRESETREQ. The RAM storage slots survive it: the unacked
    messages come back (restore lines) and a repost is a duplicate."""
    before = get(board, "/healthz").json()["unacked"]
    n, _ = board.uart.count()
    board.key(b"R")
    board.uart.wait_line(r"^log\| .*storage: flash slots .*\(kept\)", n, timeout=20)
    i, _ = board.uart.wait_line(BANNER.pattern, n, timeout=30)
    restores = [s for _, s in board.uart.signals(n) if s.get("kind") == "restore"]
    assert restores, "no restore line after the reset"
    after = get(board, "/healthz").json()["unacked"]
    assert after == before, "unacked %d before the reset, %d after" % (before, after)
    r = post(board, state["ev"], secret)
    assert r.status == 200 and r.json() == {"status": "duplicate", "seq": state["seq"]}, r
    print("       %d unacked kept, %d restore lines, repost is a duplicate of seq %d" % (
        after, len(restores), state["seq"]))


def board_limits(args):
    """The limits of the board's config header as the core sees them (the C
    preprocessor over app/cb_config.h with the header), for the e2e limit
    tests (harness.LIMITS)."""
    if not args.config:
        return {}
    app = os.path.normpath(os.path.join(HERE, "..", "..", "app"))
    out = subprocess.run(["cpp", "-dM", "-include", args.config, os.path.join(app, "cb_config.h")],
                         capture_output=True, text=True, check=True).stdout
    defs = dict(re.findall(r"^#define (CB_CFG_\w+) (\d+)$", out, re.M))
    keys = {"body_max": "CB_CFG_BODY_MAX", "line_max": "CB_CFG_HTTP_LINE_MAX",
            "headers_max": "CB_CFG_HTTP_HEADERS_MAX", "max_fields": "CB_CFG_HTTP_MAX_FIELDS",
            "max_conn": "CB_CFG_MAX_CONN", "dedupe_max": "CB_CFG_DEDUPE_MAX",
            "tls_conn": "CB_CFG_TLS_CONN"}
    return {k: int(defs[v]) for k, v in keys.items() if v in defs}


def erase_flash(args):
    """A fresh board: no flash file (the board makes an erased one)."""
    try:
        os.remove(os.path.join(args.out_dir, args.machine + "-flash.bin"))
    except FileNotFoundError:
        pass


def check_restart(board, secret, state):
    """A new QEMU process with the same flash file (a power cycle): every
    unacknowledged message comes back with a restore line, and a repost is
    a duplicate."""
    r = post(board, H.make_event(sender="DRV", notification_message="tercero"), secret)
    assert r.status == 200 and r.json().get("status") == "accepted", r
    before = get(board, "/healthz").json()["unacked"]
    board.stop()
    board.boot()
    board.uart.wait_line(r"^log\| .*storage: flash slots .*\(kept\)", 0, timeout=5)
    restores = sorted(s["seq"] for _, s in board.uart.signals() if s.get("kind") == "restore")
    after = get(board, "/healthz").json()["unacked"]
    assert after == before, "unacked %d before the restart, %d after" % (before, after)
    assert len(restores) == before, "restore lines for %r, %d unacked" % (restores, before)
    r = post(board, state["ev"], secret)
    assert r.status == 200 and r.json() == {"status": "duplicate", "seq": state["seq"]}, r
    print("       QEMU restarted: %d unacked kept, restore lines for seqs %r" % (after, restores))


def check_dedupe_memory(board, secret, admin, limits):
    """SPEC 5 and 8: the last CB_CFG_DEDUPE_MAX events are remembered as
    duplicates (on lm3s6965evb the newest 128 keys in RAM, the older ones as
    fingerprints confirmed in the flash journal), also after a new QEMU
    process on the same flash file. DEDUPE_MAX + 4 events on one keep-alive
    connection, each acknowledged at once (the unacked list stays as it
    was), compacting the journal on the way; then reposts of the oldest one
    still remembered, of one every 128 after it and of the newest are
    duplicates of their seq."""
    n = limits.get("dedupe_max", 1024)
    ack = H.build_request("POST", "/ack", [("Authorization", "Bearer " + admin)])
    sent = []
    t0 = time.monotonic()
    n0, _ = board.uart.count()
    with H.Conn(board.port, timeout=10) as c:
        for i in range(n + 4):
            ev = H.make_event(sender="SH", notification_message="memoria %d" % i)
            c.send(H.webhook_request(ev, secret=secret))
            r = c.read_response()
            assert r.status == 200 and r.json().get("status") == "accepted", (i, r)
            sent.append((ev, r.json()["seq"]))
            c.send(ack)
            r = c.read_response()
            assert r.status == 200, (i, r)
    fill_s = time.monotonic() - t0
    with board.uart.cv:
        compactions = sum(1 for ln in board.uart.lines[n0:] if "journal: compacted to" in ln)
    assert compactions, "no compaction while the events came in: the older keys were not carried"
    probe = sent[-n::128] + [sent[-1]]  # the oldest remembered first

    def reposts():
        t = time.monotonic()
        with H.Conn(board.port, timeout=10) as c:
            for ev, seq in probe:
                c.send(H.webhook_request(ev, secret=secret))
                r = c.read_response()
                assert r.status == 200 and r.json() == {"status": "duplicate", "seq": seq}, (seq, r)
        return (time.monotonic() - t) / len(probe)
    def main_stack_unused():
        n1, _ = board.uart.count()
        board.console("s")
        _, m = board.uart.wait_line(r"^stats\| uptime .*stacks: main (\d+) bytes never used", n1,
                                    timeout=5)
        return int(m.group(1))
    before_s = reposts()
    unused = main_stack_unused()
    board.stop()
    board.boot()
    board.uart.wait_line(r"^log\| .*storage: flash slots .*\(kept\)", 0, timeout=5)
    after_s = reposts()
    print("       %d events and acks in %.1fs (%d compactions); %d reposts (oldest seq %d) duplicates, "
          "%.0f ms each, and after a QEMU restart, %.0f ms each; main stack never used: %d bytes, "
          "%d after the restart" % (n + 4, fill_s, compactions, len(probe), probe[0][1],
                                    before_s * 1000, after_s * 1000, unused, main_stack_unused()))


def check_power_cut(board, secret, limits):
    """QEMU killed (SIGKILL: a power cut) while events stream in, then
    started again on the same flash file: unacked grew by every event
    answered 200 (or one more: the event in flight when the power went may
    have been stored without its answer), and a repost of each of the last
    ones the board still remembers as duplicates (CB_CFG_DEDUPE_MAX) is the
    duplicate of its seq."""
    before = get(board, "/healthz").json()["unacked"]
    accepted = []
    cut_after = 20 + os.getpid() % 40  # events accepted before the power goes
    enough = threading.Event()

    def stream():
        for i in range(200):
            ev = H.make_event(sender="SH", notification_message="corte %d" % i)
            try:
                r = post(board, ev, secret)
            except (OSError, AssertionError, ValueError):
                return
            if r.status == 200 and r.json().get("status") == "accepted":
                accepted.append((ev, r.json()["seq"]))
                if len(accepted) == cut_after:
                    enough.set()

    t = threading.Thread(target=stream)
    t.start()
    assert enough.wait(30), "only %d events accepted" % len(accepted)
    board.proc.kill()  # the power goes, a request in flight
    t.join(15)
    n = len(accepted)
    board.stop()
    board.boot()
    after = get(board, "/healthz").json()["unacked"]
    assert before + n <= after <= before + n + 1, "unacked %d before, %d accepted, %d after" % (
        before, n, after)
    recent = accepted[-(limits.get("dedupe_max", 1024) // 2):]
    for ev, seq in recent:
        r = post(board, ev, secret)
        assert r.status == 200 and r.json() == {"status": "duplicate", "seq": seq}, (seq, r)
    print("       power cut after %d accepted events: unacked %d -> %d, the last %d reposted are "
          "duplicates" % (n, before, after, len(recent)))


# ---------------------------------------------------------------- the product (SPEC 9)

# What the boot test provisions a blank device with (over the console).
STORE_SECRET = "store-secret-%08x" % (os.getpid() * 2654435761 % 2**32)
STORE_ADMIN = "store-admin-token-%08x" % (os.getpid() * 40503 % 2**32)
RATE_LIMIT_FAILURES = 10  # cb_settings_defaults: failures a minute before 429
PROVISION = os.path.normpath(os.path.join(HERE, "..", "..", "tools", "chatbell-provision",
                                          "chatbell-provision"))


def put_settings(board, settings, token=None):
    headers = [("Content-Type", "application/json")]
    if token is not None:
        headers.append(("Authorization", "Bearer " + token))
    return H.exchange(board.port, H.build_request("PUT", "/settings", headers=headers,
                                                  body=json.dumps(settings)), timeout=10)


def ack_all(board, admin):
    """POST /ack until nothing waits; returns how many were acknowledged."""
    n = 0
    while True:
        r = H.exchange(board.port, H.build_request("POST", "/ack", headers=[
            ("Authorization", "Bearer " + admin)]), timeout=10)
        if r.status == 404:
            return n
        assert r.status == 200, r
        n += 1


def wait_reboot(board, n, timeout=30):
    """The board restarted by itself (same QEMU process) after UART line n:
    its banner again; returns the banner's line index."""
    i, _ = board.uart.wait_line(BANNER.pattern, n, timeout=timeout)
    return i


def show(board):
    """The console's `show`: (provisioned, {key: value text}) of the stored
    settings."""
    n, _ = board.uart.count()
    board.console("show")
    i, m = board.uart.wait_line(r"^console\| (provisioned|NOT provisioned)$", n)
    board.uart.wait_line(r"^console\| stored:$|^console\| NOT", n)
    time.sleep(0.3)  # the rest of the listing
    kv = {}
    with board.uart.cv:
        lines = board.uart.lines[i + 1:]
    for ln in lines:
        mm = re.match(r"^console\|   (\S+) = (.*)$", ln)
        if mm:
            kv[mm.group(1)] = mm.group(2)
        elif not ln.startswith("console|"):
            break
    return m.group(1) == "provisioned", kv


def check_unprovisioned(board):
    """A blank product image: webhooks 503 not_provisioned, the display says
    so, PUT /settings without an admin token is refused."""
    r = post(board, H.make_event(), DEMO_SECRET)
    assert r.status == 503 and r.json().get("error") == "not_provisioned", r
    board.uart.wait_frame(lambda f: bool(f) and f[0].startswith("NOT PROVISIONED"), 0)
    r = put_settings(board, {"secret": "x" * 20})
    assert r.status == 401 and r.json().get("error") == "missing_token", r
    r = put_settings(board, {"secret": "x" * 20}, token="guessed-admin-token-123")
    assert r.status == 401 and r.json().get("error") == "invalid_token", r
    prov, kv = show(board)
    assert not prov and not kv, (prov, kv)


def check_console_provisioning(board):
    """`set`, `show` (secrets masked), `commit`: the board restarts with the
    settings and an event signed with the new secret is accepted."""
    n, _ = board.uart.count()
    board.console("set secret " + STORE_SECRET)
    board.console("set admin_token " + STORE_ADMIN)
    board.console("set senders.SH.label Picker")
    board.uart.wait_line(r"^console\| staged senders\.SH\.label", n)
    board.console("show")
    board.uart.wait_line(r"^console\|   senders\.SH\.label = Picker$", n)
    board.console("hang")  # development images only
    board.uart.wait_line(r"^console\| commands: set KEY VALUE", n)
    board.console("set display.rows 3")  # refused at commit: 2 or 4
    board.console("commit")
    board.uart.wait_line(r"^console\| commit refused: display\.rows", n)
    board.console("set secret " + STORE_SECRET)
    board.console("set admin_token " + STORE_ADMIN)
    board.console("set senders.SH.label Picker")
    board.console("commit")
    board.uart.wait_line(r"^console\| committed: restarting$", n)
    wait_reboot(board, n)
    with board.uart.cv:
        text = "\n".join(board.uart.lines)
    assert STORE_SECRET not in text and STORE_ADMIN not in text, "a secret on the console"
    assert re.search(r"console\|   secret = \*+ \(set\)", text), "secret not shown masked"
    prov, kv = show(board)
    assert prov and kv.get("secret", "").startswith("*") and kv.get("admin_token", "").startswith("*"), kv
    r = post(board, H.make_event(sender="SH", notification_message="primer mensaje"), STORE_SECRET)
    assert r.status == 200 and r.json().get("status") == "accepted", r
    r = post(board, H.make_event(), DEMO_SECRET)
    assert r.status == 401, r
    assert ack_all(board, STORE_ADMIN) == 1


def check_put_settings(board):
    """PUT /settings: a wrong admin token is counted and limited (429 after
    RATE_LIMIT_FAILURES), the right one is still served; a bad value is 400
    naming the key; a good body is stored, the board restarts with it, the
    answer echoes no value."""
    for i in range(RATE_LIMIT_FAILURES):
        r = put_settings(board, {"reminder_s": 5}, token="wrong-admin-token-%d" % i)
        assert r.status == 401 and r.json().get("error") == "invalid_token", (i, r)
    r = put_settings(board, {"reminder_s": 5}, token="wrong-admin-token-x")
    assert r.status == 429 and r.json().get("error") == "rate_limited", r
    r = put_settings(board, {"display": {"rows": 3}}, token=STORE_ADMIN)
    assert r.status == 400 and r.json().get("error") == "invalid_settings", r
    assert "display.rows" in r.json().get("message", ""), r
    n, _ = board.uart.count()
    new_secret = STORE_SECRET + "-2"
    # the companion a store uses (tools/chatbell-provision): secrets from
    # the environment, the answer names no value
    p = subprocess.run([sys.executable, PROVISION, "--url", "http://127.0.0.1:%d" % board.port,
                        "--set", "reminder_s=0"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, CHATBELL_ADMIN_TOKEN=STORE_ADMIN,
                                CHATBELL_SECRET_NEXT=new_secret))
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout.split(" ", 1)[1]) == {"status": "stored", "keys": 2, "restart": True}, p.stdout
    assert new_secret not in p.stdout + p.stderr, p.stdout
    wait_reboot(board, n)
    prov, kv = show(board)
    assert prov and kv.get("reminder_s") == "0" and kv.get("secret_next", "").startswith("*"), kv
    r = post(board, H.make_event(notification_message="con el siguiente"), new_secret)
    assert r.status == 200 and r.json().get("status") == "accepted", r
    assert ack_all(board, STORE_ADMIN) == 1


def power_cut_once(board, secret, admin, rng, conns=3):
    """Signed events over conns connections; QEMU killed (SIGKILL) at a
    random moment; a new QEMU on the same flash file. Every event answered
    200 is restored (or was acknowledged: none are here) and a repost is a
    duplicate of its seq. Returns (cut after s, events answered 2xx)."""
    answered = []
    lock = threading.Lock()
    stop = threading.Event()

    def stream(w):
        i = 0
        while not stop.is_set():
            ev = H.make_event(sender="SH", notification_message="corte %d.%d" % (w, i))
            i += 1
            try:
                r = post(board, ev, secret)
            except (OSError, AssertionError, ValueError):
                return
            if r.status == 200:
                with lock:
                    answered.append((ev, r.json()))

    threads = [threading.Thread(target=stream, args=(w,)) for w in range(conns)]
    for t in threads:
        t.start()
    cut = rng.uniform(0.02, 0.3)
    time.sleep(cut)
    board.proc.kill()  # the power goes
    stop.set()
    for t in threads:
        t.join(15)
    board.stop()
    board.boot()
    restored = {s["seq"] for _, s in board.uart.signals() if s.get("kind") == "restore"}
    for ev, first in answered:
        assert first["status"] == "accepted", first
        assert first["seq"] in restored, "seq %d answered 200, not restored (%d restored)" % (
            first["seq"], len(restored))
        r = post(board, ev, secret)
        assert r.status == 200 and r.json() == {"status": "duplicate", "seq": first["seq"]}, (first, r)
    ack_all(board, admin)
    return cut, len(answered)


def check_power_cuts(board, secret, admin, cuts, seed):
    rng = random.Random(seed)
    spread, events = [], 0
    for k in range(cuts):
        cut, n = power_cut_once(board, secret, admin, rng)
        spread.append(cut)
        events += n
    spread.sort()
    print("       %d power cuts, %d events answered 2xx checked (restored, reposts duplicates); "
          "cut after %.2f/%.2f/%.2f s (min/median/max), seed %d" % (
              cuts, events, spread[0], spread[len(spread) // 2], spread[-1], seed))
    print("board: power cuts %d events %d" % (cuts, events), flush=True)


def check_settings_cuts(board, secret, cuts, seed):
    """QEMU killed while a `commit` is in progress: the board boots with the
    old settings or the new ones, never neither (provisioned, the secret
    works)."""
    rng = random.Random(seed)
    _, kv = show(board)
    old = int(kv.get("reminder_s", "0"))
    outcome = {"old": 0, "new": 0}
    for k in range(cuts):
        new = 100 + k
        n, _ = board.uart.count()
        board.console("set reminder_s %d" % new)
        board.uart.wait_line(r"^console\| staged reminder_s", n)
        board.console("commit")
        time.sleep(rng.uniform(0.0, 0.12))
        board.proc.kill()
        board.stop()
        board.boot()
        prov, kv = show(board)
        got = int(kv.get("reminder_s", "-1"))
        assert prov and got in (old, new), "after a cut in a commit: provisioned %s, reminder_s %r " \
            "(old %d, new %d)" % (prov, kv.get("reminder_s"), old, new)
        r = post(board, H.make_event(), secret)
        assert r.status == 200, r
        outcome["old" if got == old else "new"] += 1
        old = got
    print("       %d cuts during a settings commit: %d booted with the old settings, %d with the new, "
          "none with neither" % (cuts, outcome["old"], outcome["new"]))


def check_seed_renewed(args, board):
    """The entropy seed page (port/cortexm/settings_store.c, after the two
    settings copies): one 32-byte entry per boot, every one different, so no
    two boots started from the same pool state. A page erased when full at
    the last boot holds one entry: then one boot more."""
    with open(os.path.join(os.path.dirname(HERE), "..", "boards", args.machine, "board_hw.h")) as f:
        hw = dict(re.findall(r"#define (BOARD_FLASH_PAGE|BOARD_SETTINGS_PAGES)\s+(\d+)u", f.read()))
    page, copies = int(hw["BOARD_FLASH_PAGE"]), int(hw["BOARD_SETTINGS_PAGES"])

    def seeds():
        with open(os.path.join(args.out_dir, args.machine + "-flash.bin"), "rb") as f:
            f.seek(2 * copies * page)
            data = f.read(page)
        entries = [data[i:i + 32] for i in range(0, page, 32)]
        return [e for e in entries if e != b"\xff" * 32]
    used = seeds()
    if len(used) == 1:
        board.stop()
        board.boot()
        used = seeds()
    assert len(used) >= 2 and len(set(used)) == len(used), "%d seeds, %d distinct" % (
        len(used), len(set(used)))
    print("       %d seeds in flash (one per boot since the page was last erased), all different" % len(used))


# ---------------------------------------------------------------- time (SNTP)

NTP_EPOCH = 2208988800  # 1900 -> 1970


class SntpServer:
    """A small SNTP server on 127.0.0.1 (QEMU's user network forwards the
    board's 10.0.2.2:port to it): answers mode 3 requests with the host's
    time plus offset, or stays silent (answer=False)."""

    def __init__(self, answer=True, offset=0.0):
        self.answer, self.offset = answer, offset
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.sock.settimeout(0.2)
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _ts(t):
        sec = int(t) + NTP_EPOCH
        return struct.pack(">II", sec & 0xffffffff, int((t % 1) * 2**32) & 0xffffffff)

    def _run(self):
        while not self.done:
            try:
                req, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(req) < 48 or req[0] & 7 != 3:
                continue
            self.requests += 1
            if not self.answer:
                continue
            now = time.time() + self.offset
            reply = (bytes([0x24, 1, 6, 0xec]) + b"\0" * 8 + b"LOCL" + self._ts(now) + req[40:48]
                     + self._ts(now) + self._ts(now))
            self.sock.sendto(reply, peer)

    def close(self):
        self.done = True
        self.sock.close()


def set_sntp(board, sntp, more=None):
    """Points the board's sntp_server at sntp over the console, with more
    settings ({key: value}) if given (a commit: the board restarts)."""
    n, _ = board.uart.count()
    for k, v in (more or {}).items():
        board.console("set %s %s" % (k, v))
    board.console("set sntp_server 10.0.2.2:%d" % sntp.port)
    board.console("commit")
    board.uart.wait_line(r"^console\| committed: restarting$", n)
    wait_reboot(board, n)


def http_date(r):
    d = r.header("Date")
    return None if d is None else email.utils.parsedate_to_datetime(d).timestamp()


def check_untrusted_clock(args):
    """An SNTP server that never answers (its requests are seen): no Date,
    no replay window (a two-hour-old event is accepted); then in
    dynamic-token mode, POST /auth/token answers 503."""
    import test_tokens as T
    sntp = SntpServer(answer=False)
    erase_flash(args)
    board = Board(args)
    try:
        board.boot()
        set_sntp(board, sntp)
        deadline = time.monotonic() + 10
        while sntp.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sntp.requests > 0, "the board never asked the SNTP server"
        r = get(board, "/healthz")
        assert r.status == 200 and r.header("Date") is None, r
        r = post(board, H.make_event(created_at=H.iso(offset_s=-7200)), args.secret)
        assert r.status == 200 and r.json().get("status") == "accepted", r
        set_sntp(board, sntp, profiles()["dynamic"][0])
        r = H.exchange(board.port, T.token_request("json"), timeout=10)
        assert r.status == 503 and r.header("Date") is None, r
        print("       %d SNTP requests unanswered: no Date, no replay window, tokens %d %s" % (
            sntp.requests, r.status, r.json().get("error")))
    finally:
        finish(board, Checks())
        sntp.close()


def check_trusted_clock(args):
    """After the first SNTP answer: Date within 2 s of the host's clock, a
    two-hour-old event is stale. Then the server's clock goes two hours
    back and is asked again (`sntp`): the board keeps its clock (never
    steps back), Date and the window stay right."""
    sntp = SntpServer()
    erase_flash(args)
    board = Board(args)
    try:
        board.boot()
        set_sntp(board, sntp)
        board.uart.wait_line(r"^log\| .*sntp: clock set to \d+", 0, timeout=15)
        d = http_date(get(board, "/healthz"))
        assert d is not None and abs(d - time.time()) < 2.5, d
        r = post(board, H.make_event(created_at=H.iso(offset_s=-7200)), args.secret)
        assert r.status == 400 and r.json().get("error") == "stale_event", r
        sntp.offset = -7200.0
        n, _ = board.uart.count()
        board.console("sntp")
        board.uart.wait_line(r"^log\| .*sntp: the answer is \d+ ms behind the clock: not stepping back", n,
                             timeout=10)
        d = http_date(get(board, "/healthz"))
        assert d is not None and abs(d - time.time()) < 2.5, d
        r = post(board, H.make_event(created_at=H.iso(offset_s=-7200)), args.secret)
        assert r.status == 400 and r.json().get("error") == "stale_event", r
        r = post(board, H.make_event(), args.secret)
        assert r.status == 200, r
        print("       Date %+.2f s from the host after SNTP; a server two hours back did not move it" % (
            d - time.time()))
    finally:
        finish(board, Checks())
        sntp.close()


# ---------------------------------------------------------------- HTTPS (--tls)

AEAD_SUITES = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
               "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM")


def tls_connect(board, ctx, session=None):
    """A pinned TLS connection to the board's port 443 (handshake done)."""
    raw = socket.create_connection(("127.0.0.1", board.tls_port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1", session=session)


def tls_get(sock, target, request=None):
    """One GET (or request) on an open TLS connection (keep-alive); returns
    the status."""
    sock.sendall(request or H.build_request("GET", target))
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        assert chunk, "the board closed the connection"
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += sock.recv(4096)
    return int(head.split(b" ", 2)[1])


def closed_by_peer(sock, seconds=5.0):
    """True if the board closes sock (close_notify, EOF or reset) within
    seconds without sending data."""
    sock.settimeout(seconds)
    try:
        return sock.recv(64) == b""
    except socket.timeout:
        return False
    except (ssl.SSLError, ConnectionError):
        return True


def stats_line(board, pattern):
    n, _ = board.uart.count()
    board.console("s")
    _, m = board.uart.wait_line(pattern, n)
    return m


def check_tls_device(args):
    """The HTTPS image on a blank flash: the certificate it serves is the
    one its banner names; a client that pins it gets TLS 1.2 with an AEAD
    ECDHE-ECDSA suite, and its session ticket resumes. The one TLS session
    is the cap: an idle keep-alive gives it to a second TLS connection (closed
    and counted `evicted`, the second served), while a connection mid-request
    keeps it: a third is closed before any handshake and counted `refused`,
    HTTP on port 80 answers, and the request mid-way is answered.
    A handshake that stalls keeps the session from a newcomer, is closed
    after the handshake timeout and frees the session; a renegotiation gets a no_renegotiation alert. A body of the full limit arrives in one 16 KiB record and
    is accepted; one byte more is 413. A restart serves the same
    certificate (the key is kept in flash); the console's `tls` prints it;
    chatbell-provision stores settings over HTTPS; `tls newkey` replaces key
    and certificate.
    Prints handshake times and keep-alive requests/s through QEMU."""
    erase_flash(args)
    board = Board(args)
    try:
        board.boot()
        ctx = ssl.create_default_context(cafile=board.pin())
        full, resumed = [], []
        session = None
        for i in range(6):
            t0 = time.monotonic()
            s = tls_connect(board, ctx, session if i % 2 else None)
            (resumed if s.session_reused else full).append(time.monotonic() - t0)
            assert s.version() == "TLSv1.2" and s.cipher()[0] in AEAD_SUITES, (s.version(), s.cipher())
            assert tls_get(s, "/healthz") == 200
            if i % 2 == 0:
                session = s.session
            s.close()
        assert len(resumed) == 3, "%d of 3 ticket resumptions" % len(resumed)

        # at the cap, an idle keep-alive gives its session to a newcomer
        # (RFC 9112 9.3): the first finds its connection closed, the second
        # is served
        first = tls_connect(board, ctx)
        assert tls_get(first, "/healthz") == 200
        second = tls_connect(board, ctx)
        assert tls_get(second, "/healthz") == 200, "the newcomer was not served"
        assert closed_by_peer(first), "the idle keep-alive kept its session"
        first.close()
        # a client mid-request (head sent, body not finished) keeps it: the
        # newcomer is refused before any handshake and counted
        req = H.webhook_request(H.make_event(notification_message="a mitad del cuerpo"),
                                secret=args.secret)
        cut = req.index(b"\r\n\r\n") + 4 + 5
        second.sendall(req[:cut])
        time.sleep(0.3)
        try:
            third = tls_connect(board, ctx)
            third.close()
            raise AssertionError("a TLS connection past the cap took a session mid-request")
        except (ssl.SSLError, OSError) as e:
            refused = type(e).__name__
        assert get(board, "/healthz").status == 200
        assert tls_get(second, None, req[cut:]) == 200, "the request mid-way lost its session"
        n, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < 2.0:
            assert tls_get(second, "/healthz") == 200
            n += 1
        rps = n / (time.monotonic() - t0)
        second.close()
        m = stats_line(board, r"^stats\| tls: (\d+) handshakes \((\d+) resumed\), (\d+) failed, "
                       r"(\d+) refused, (\d+) evicted")
        assert int(m.group(4)) >= 1 and int(m.group(5)) == 1 and int(m.group(2)) == 3, m.group(0)
        s = tls_connect(board, ctx)  # the session came free
        assert tls_get(s, "/healthz") == 200
        s.close()

        stall = socket.create_connection(("127.0.0.1", board.tls_port), timeout=10)
        stall.sendall(b"\x16\x03\x01\x02\x00\x01")  # a ClientHello's first bytes, then nothing
        t0 = time.monotonic()
        time.sleep(0.3)
        try:  # mid-handshake keeps the session too
            tls_connect(board, ctx).close()
            raise AssertionError("a TLS connection past the cap took a session mid-handshake")
        except (ssl.SSLError, OSError):
            pass
        assert stall.recv(64) == b"", "the stalled handshake got an answer"
        stalled_s = time.monotonic() - t0
        stall.close()
        assert stalled_s < 8, "closed after %.1f s" % stalled_s

        # a renegotiation (openssl s_client's R) gets a no_renegotiation alert
        p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % board.tls_port,
                              "-tls1_2", "-CAfile", os.path.join(board.out_dir, "device-cert.pem")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.0)
            p.stdin.write(b"R\n")
            p.stdin.flush()
            time.sleep(1.0)
            outp = p.communicate(timeout=10)[0].decode("latin-1")  # closes its stdin: it quits
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        assert "RENEGOTIATING" in outp and "no renegotiation" in outp, outp[-600:]

        s = tls_connect(board, ctx)
        limit = args.limits["body_max"]
        for extra, want in ((0, 200), (1, 413)):
            ev = H.make_event(notification_message="")
            pad = limit + extra - len(H.event_body(ev))
            ev["notification_message"] = "x" * pad
            req = H.webhook_request(ev, secret=args.secret)
            assert tls_get(s, None, req) == want, (extra, want)
            if want == 413:
                break
        s.close()

        n, _ = board.uart.count()
        board.key(b"R")
        i, _ = board.uart.wait_line(BANNER.pattern, n, timeout=30)
        _, t = board.uart.wait_line(TLS_BANNER.pattern, i, 5)
        assert t.group(1) == board.fingerprint, "a new certificate after the reset"
        s = tls_connect(board, ctx)
        assert tls_get(s, "/healthz") == 200
        s.close()

        n, _ = board.uart.count()  # the console's `tls`: the same certificate, as PEM
        board.console("tls")
        i, _ = board.uart.wait_line(r"^-----END CERTIFICATE-----$", n)
        with board.uart.cv:
            lines = board.uart.lines[n:i + 1]
        pem = "\n".join(lines[lines.index("-----BEGIN CERTIFICATE-----"):]) + "\n"
        with open(os.path.join(board.out_dir, "device-cert.pem")) as f:
            assert ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(f.read()), pem
        assert "console| tls sha256: " + board.fingerprint in lines, lines[:2]

        # provisioning over HTTPS (tools/chatbell-provision, the certificate
        # pinned): the admin token and a secret cross the wire encrypted
        n, _ = board.uart.count()
        board.console("set admin_token " + STORE_ADMIN)
        board.console("commit")
        board.uart.wait_line(r"^console\| committed: restarting$", n)
        wait_reboot(board, n)
        n, _ = board.uart.count()
        p = subprocess.run([sys.executable, PROVISION, "--url", "https://127.0.0.1:%d" % board.tls_port,
                            "--cacert", os.path.join(board.out_dir, "device-cert.pem"),
                            "--set", "reminder_s=7"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, CHATBELL_ADMIN_TOKEN=STORE_ADMIN))
        assert p.returncode == 0 and '"stored"' in p.stdout, p.stdout + p.stderr
        wait_reboot(board, n)
        _, kv = show(board)
        assert kv.get("reminder_s") == "7", kv

        n, _ = board.uart.count()  # `tls newkey`: a new key and certificate
        board.console("tls newkey")
        i, _ = board.uart.wait_line(BANNER.pattern, n, timeout=30)
        _, t = board.uart.wait_line(TLS_BANNER.pattern, i, 5)
        assert t.group(1) != board.fingerprint, "the same certificate after tls newkey"
        board.fingerprint = t.group(1)
        board.pin()
        ms = lambda v: sorted(v)[len(v) // 2] * 1000  # noqa: E731
        print("       handshake through QEMU: full %.0f ms, resumed %.0f ms (medians); %.0f keep-alive "
              "requests/s on one connection; an idle keep-alive gave way to a newcomer; a "
              "newcomer while the session was mid-request: %s; a stalled "
              "handshake closed after %.1f s; same certificate after a reset, a new one after "
              "`tls newkey`" % (
                  ms(full), ms(resumed), rps, refused, stalled_s))
    finally:
        finish(board, Checks())


# ---------------------------------------------------------------- the watchdog

WATCHDOG_RESET_S = 4.0  # port/cortexm/watchdog.c: 2 x WATCHDOG_MS


def check_watchdog(args):
    """`hang` (development images) stops the loop: the watchdog resets the
    board, and every waiting message is restored."""
    erase_flash(args)
    board = Board(args)
    try:
        board.boot()
        seqs = []
        for i in range(3):
            r = post(board, H.make_event(notification_message="antes del cuelgue %d" % i), args.secret)
            assert r.status == 200 and r.json().get("status") == "accepted", r
            seqs.append(r.json()["seq"])
        n, _ = board.uart.count()
        t0 = time.monotonic()
        board.console("hang")
        board.uart.wait_line(r"^log\| .*hang: the loop stops", n)
        i, _ = board.uart.wait_line(r"^log\| .*storage: flash slots", n, timeout=WATCHDOG_RESET_S + 10)
        reset_s = time.monotonic() - t0
        wait_reboot(board, i)
        restored = sorted(s["seq"] for _, s in board.uart.signals(i) if s.get("kind") == "restore")
        assert restored == seqs, (restored, seqs)
        assert reset_s < WATCHDOG_RESET_S + 3, "reset %.1f s after the hang" % reset_s
        r = get(board, "/healthz")
        assert r.json()["unacked"] == len(seqs), r
        print("       hang -> reset after %.1f s (watchdog period %.0f s), restored seqs %r" % (
            reset_s, WATCHDOG_RESET_S, restored))
    finally:
        finish(board, Checks())


def run_e2e(args, checks):
    """Each E2E_RUNS class against a freshly booted board, through the
    harness's --url mode; the signal lines come from the UART log."""
    total_p = total_f = 0
    limits = args.limits = board_limits(args)
    print("board: limits %s" % json.dumps(limits), flush=True)
    skipped = 0
    pre = (("watchdog_resets_a_hung_loop", check_watchdog),
           ("clock_untrusted_without_sntp_answer", check_untrusted_clock),
           ("clock_trusted_after_sntp_never_steps_back", check_trusted_clock))
    if args.tls:
        pre = (("tls_device_certificate_cap_resumption", check_tls_device),)
    for name, fn in pre:
        checks.run(name, fn, args)
    sntp = SntpServer()
    cap = limits.get("tls_conn", 64) if args.tls else limits.get("max_conn", 64)
    for script, cls, conns, *profile in E2E_TLS_RUNS if args.tls else E2E_RUNS:
        more, remote = profiles()[profile[0]] if profile else (None, None)
        if cap < conns:
            skipped += 1
            print("SKIP   board.e2e: %s %s needs %d connections at once, this build serves %d "
                  "(its config header)" % (script, cls, conns, limits["max_conn"]), flush=True)
            continue
        erase_flash(args)
        board = Board(args)
        try:
            board.boot()
            set_sntp(board, sntp, more)  # the clock trusted, as on the host
            board.uart.wait_line(r"^log\| .*sntp: clock set", 0, timeout=15)
            url = ["--url", "http://127.0.0.1:%d" % board.port]
            if args.tls:  # the restarted board serves the certificate pinned at boot
                url = ["--url", "https://127.0.0.1:%d" % board.tls_port, "--cacert", board.pin()]
            cmd = [args.python, os.path.join(E2E_DIR, script)] + url + [
                   "--signal-log", os.path.join(args.out_dir, "uart.log"),
                   "--signal-prefix", SIGNAL_PREFIX, "-k", "." + cls + "."]
            print("=== e2e on the board: %s %s" % (script, cls), flush=True)
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.e2e_timeout,
                                   env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                                            CB_E2E_LIMITS=json.dumps(limits), CB_E2E_CLOCK="trusted",
                                            CB_E2E_REMOTE=json.dumps(remote) if remote else ""))
                out = p.stdout + p.stderr
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                out += "\n(timed out after %ds)" % args.e2e_timeout
            print(out.rstrip(), flush=True)
            m = re.findall(r"^(\d+) passed, (\d+) failed$", out, re.M)
            if not m:
                total_f += 1
                print("FAIL   board.e2e: %s %s printed no summary" % (script, cls), flush=True)
            else:
                total_p += int(m[-1][0])
                total_f += int(m[-1][1])
        finally:
            finish(board, checks)
    sntp.close()
    checks.passed += total_p
    checks.failed += total_f
    print("e2e on the board: %d passed, %d failed, %d classes skipped" % (total_p, total_f, skipped),
          flush=True)


def finish(board, checks):
    """Shows the board's stack and pool high-water marks ('s'), stops QEMU;
    a panic or lwIP assertion on the UART, or a flash operation the driver
    refused (a program over a programmed word, say), fails the run."""
    if board.proc is None:
        return
    if board.proc.poll() is None and not board.panics():
        n, _ = board.uart.count()
        try:
            board.console("s")
            i, _ = board.uart.wait_line(r"^stats\|   pool PBUF_POOL ", n, timeout=3)
            for ln in board.uart.lines[n:i + 1]:
                if ln.startswith("stats|"):
                    print("       %s" % ln, flush=True)
        except (AssertionError, OSError):
            pass
    panics = board.panics()
    refused = [ln for ln in board.uart.lines
               if re.search(r"^stats\| flash: .* [1-9]\d* refused", ln) or "flash: refused" in ln]
    err = board.stop()
    if panics:
        checks.failed += 1
        print("FAIL   board.no_panic: %s" % panics, flush=True)
    if refused:
        checks.failed += 1
        print("FAIL   board.flash_rules_kept: %s" % refused, flush=True)
    if err.strip() and "terminating on signal" not in err:
        print("qemu stderr: %s" % err.strip(), flush=True)


def load(args, checks):
    for conns in [int(c) for c in args.conns.split(",")]:
        erase_flash(args)
        board = Board(args)
        board.boot()
        try:
            url = ["--url", "http://127.0.0.1:%d" % board.port]
            if args.tls:
                url = ["--url", "https://127.0.0.1:%d" % board.tls_port, "--cacert", board.pin()]
            cmd = [args.send] + url + ["--load", str(args.load), "--conns", str(conns),
                                       "--secret", args.secret]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            print("=== instaleap-send --load %d --conns %d" % (args.load, conns))
            print(p.stdout.rstrip())
            if p.returncode == 0:
                checks.passed += 1
            else:
                checks.failed += 1
                print(p.stderr.rstrip())
        finally:
            finish(board, checks)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", default="qemu-system-arm")
    ap.add_argument("--image", required=True, help="the .elf to boot")
    ap.add_argument("--machine", default="mps2-an385", help="QEMU's -M (the board's folder name)")
    ap.add_argument("--config", help="the board's config header (its CB_CFG_* limits)")
    ap.add_argument("--mode", choices=("boot", "e2e", "load"), default="boot")
    ap.add_argument("--tls", action="store_true", help="an HTTPS image: talk HTTPS to its port 443")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--secret", help="the image's webhook secret (default: the mode's)")
    ap.add_argument("--e2e-timeout", type=int, default=300, help="seconds per e2e script")
    ap.add_argument("--send", help="instaleap-send (load mode)")
    ap.add_argument("--load", type=int, default=1000, help="events per load run (the board keeps "
                    "at most 1024 unacknowledged: more get 503)")
    ap.add_argument("--conns", default="1,4,16", help="connection counts, one boot each")
    ap.add_argument("--cuts", type=int, default=int(os.environ.get("CB_BOARD_CUTS", "50")),
                    help="boot mode: power cuts under load (env CB_BOARD_CUTS)")
    ap.add_argument("--settings-cuts", type=int,
                    default=int(os.environ.get("CB_BOARD_SETTINGS_CUTS", "8")),
                    help="boot mode: power cuts during a settings commit (env CB_BOARD_SETTINGS_CUTS)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CB_BOARD_CUT_SEED", os.getpid())),
                    help="the cut points' random seed (env CB_BOARD_CUT_SEED)")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for f in ("uart.raw", "uart.log", "display.log", args.machine + "-flash.bin"):
        try:
            os.remove(os.path.join(args.out_dir, f))
        except FileNotFoundError:
            pass
    if args.secret is None:
        args.secret = H.SECRET if args.mode == "e2e" else DEMO_SECRET
    H.HOST = "127.0.0.1"
    checks = Checks()

    if args.mode == "load":
        if not args.send:
            ap.error("--mode load needs --send (instaleap-send from a host build)")
        load(args, checks)
    elif args.mode == "e2e":
        run_e2e(args, checks)
    else:
        board = Board(args)
        try:
            board.boot()
            state = {}
            if checks.run("unprovisioned_503", check_unprovisioned, board):
                checks.run("provisioned_over_console", check_console_provisioning, board)
                checks.run("put_settings_gated_and_stored", check_put_settings, board)
            args.secret = STORE_SECRET
            checks.run("health", check_health, board)
            checks.run("message_on_display", check_message_on_display, board, args.secret, state)
            if board.machine in HAS_PANEL and state:
                checks.run("oled_shows_message", check_oled_shows, board, state)
            checks.run("stats_key", check_stats_key, board)
            checks.run("button_acknowledges", check_button, board, args.secret)
            if state:
                checks.run("warm_reset_keeps_storage", check_warm_reset, board, args.secret, state)
                checks.run("restart_keeps_storage", check_restart, board, args.secret, state)
                checks.run("remembers_dedupe_max_events_across_restart", check_dedupe_memory,
                           board, args.secret, STORE_ADMIN, board_limits(args))
                checks.run("power_cut_keeps_every_accepted_event", check_power_cut, board, args.secret,
                           board_limits(args))
                checks.run("power_cuts_under_load", check_power_cuts, board, args.secret, STORE_ADMIN,
                           args.cuts, args.seed)
                checks.run("power_cuts_in_settings_commit", check_settings_cuts, board, args.secret,
                           args.settings_cuts, args.seed)
                checks.run("entropy_seed_renewed_every_boot", check_seed_renewed, args, board)
        finally:
            finish(board, checks)
    print("board: %d passed, %d failed" % (checks.passed, checks.failed), flush=True)
    return 0 if checks.failed == 0 and checks.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
