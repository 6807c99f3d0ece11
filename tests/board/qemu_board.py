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
#                 instaleap-send --load N --conns C (needs --send)
#
# Files (--out-dir): uart.raw (every byte), uart.log (text lines, escape
# sequences removed, the harness reads "signal| " lines from it), display.log
# (one line per frame drawn), oled.ppm/oled.png (the last screendump).
# Prints "board: N passed, N failed" last.

import argparse
import json
import os
import re
import signal
import socket
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
SIGNAL_PREFIX = "signal| "
MONITOR_SOCK = "monitor.sock"  # in the out dir (QEMU's working directory)
# What each machine has besides the console: a graphic panel (screendump)
# and a button QEMU drives from a key.
HAS_PANEL = {"lm3s6965evb"}
HAS_BUTTON = {"lm3s6965evb"}
# The e2e classes run on the board, each on a freshly booted one (as the
# host harness gives each class a fresh server). Left out: the classes that
# need their own configuration (the harness would skip them anyway),
# TimestampTests (no trusted clock on the board: the replay window is not
# applied) and SenderTests (instaleap-send is a host tool, not built here).
E2E_RUNS = [  # (script, class, connections it needs at once)
    ("test_webhook.py", "SignatureTests", 1),
    ("test_webhook.py", "RejectTests", 1),
    ("test_webhook.py", "RateLimitTests", 1),
    ("test_webhook.py", "DuplicateTests", 1),
    ("test_webhook.py", "HealthMetricsTests", 1),
    # a new connection per request, opened while the board still reaps the
    # last one; curl alongside the harness's checks
    ("test_webhook.py", "CurlTests", 2),
    ("test_errors.py", "ErrorTableTests", 2),
    # more clients at once than the build has body buffers
    ("test_memory.py", "BodyPoolTests", 4),
]


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

    def boot(self, timeout=60.0):
        for attempt in range(3):
            self.port = free_port()
            try:
                os.remove(os.path.join(self.out_dir, MONITOR_SOCK))
            except FileNotFoundError:
                pass
            cmd = [self.qemu, "-M", self.machine, "-display", "none",
                   "-monitor", "unix:%s,server=on,wait=off" % MONITOR_SOCK,
                   "-serial", "stdio", "-semihosting-config", "enable=on,target=native",
                   "-nic", "user,hostfwd=tcp:127.0.0.1:%d-:80" % self.port,
                   "-kernel", self.image]
            print("board: %s" % " ".join(cmd), flush=True)
            # the flash file (BOARD-flash.bin) lives in QEMU's working directory
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, cwd=self.out_dir)
            self.uart = Uart(self.proc.stdout, self.out_dir)
            try:
                i, m = self.uart.wait_line(BANNER.pattern, 0, timeout)
                print("board: booted, banner %r, forwarded to 127.0.0.1:%d" % (self.uart.lines[i], self.port),
                      flush=True)
                return i
            except AssertionError:
                err = self.stop()
                if "hostfwd" in err and attempt < 2:  # the port was taken meanwhile
                    continue
                raise AssertionError("no banner from the board; QEMU stderr: %s\nUART:\n%s" % (
                    err, "\n".join(self.uart.lines[-30:])))
        raise AssertionError("QEMU did not start")

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
    board.key(b"s")
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
    oldest = min(s["seq"] for _, s in board.uart.signals() if s.get("kind") == "message")
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
            "max_conn": "CB_CFG_MAX_CONN", "dedupe_max": "CB_CFG_DEDUPE_MAX"}
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


def run_e2e(args, checks):
    """Each E2E_RUNS class against a freshly booted board, through the
    harness's --url mode; the signal lines come from the UART log."""
    total_p = total_f = 0
    limits = board_limits(args)
    print("board: limits %s" % json.dumps(limits), flush=True)
    skipped = 0
    for script, cls, conns in E2E_RUNS:
        if limits.get("max_conn", 64) < conns:
            skipped += 1
            print("SKIP   board.e2e: %s %s needs %d connections at once, this build serves %d "
                  "(its config header)" % (script, cls, conns, limits["max_conn"]), flush=True)
            continue
        erase_flash(args)
        board = Board(args)
        try:
            board.boot()
            cmd = [args.python, os.path.join(E2E_DIR, script), "--url", "http://127.0.0.1:%d" % board.port,
                   "--signal-log", os.path.join(args.out_dir, "uart.log"),
                   "--signal-prefix", SIGNAL_PREFIX, "-k", "." + cls + "."]
            print("=== e2e on the board: %s %s" % (script, cls), flush=True)
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.e2e_timeout,
                                   env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                                            CB_E2E_LIMITS=json.dumps(limits)))
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
            board.key(b"s")
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
            cmd = [args.send, "--url", "http://127.0.0.1:%d" % board.port, "--load", str(args.load),
                   "--conns", str(conns), "--secret", args.secret]
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
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--secret", help="the image's webhook secret (default: the mode's)")
    ap.add_argument("--e2e-timeout", type=int, default=300, help="seconds per e2e script")
    ap.add_argument("--send", help="instaleap-send (load mode)")
    ap.add_argument("--load", type=int, default=1000, help="events per load run (the board keeps "
                    "at most 1024 unacknowledged: more get 503)")
    ap.add_argument("--conns", default="1,4,16", help="connection counts, one boot each")
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
            checks.run("health", check_health, board)
            checks.run("message_on_display", check_message_on_display, board, args.secret, state)
            if board.machine in HAS_PANEL and state:
                checks.run("oled_shows_message", check_oled_shows, board, state)
            checks.run("stats_key", check_stats_key, board)
            checks.run("button_acknowledges", check_button, board, args.secret)
            if state:
                checks.run("warm_reset_keeps_storage", check_warm_reset, board, args.secret, state)
                checks.run("restart_keeps_storage", check_restart, board, args.secret, state)
                checks.run("power_cut_keeps_every_accepted_event", check_power_cut, board, args.secret,
                           board_limits(args))
        finally:
            finish(board, checks)
    print("board: %d passed, %d failed" % (checks.passed, checks.failed), flush=True)
    return 0 if checks.failed == 0 and checks.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
