# harness.py - shared machinery of the end-to-end tests: starts the real
# simulator (chatbell) on an ephemeral port, talks raw HTTP to it, signs
# events, reads the signal log, and runs a test module with a plain summary.
# Used by tests/e2e/test_*.py; Python 3 standard library only.

import argparse
import datetime
import hashlib
import hmac
import itertools
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

# ---------------------------------------------------------------- settings

BINS = {"chatbell": None, "send": None}
# --listen: where the started servers listen (an ephemeral loopback port by
# default; the lwIP run gives lwIP's TAP address, tests/lwip/) and the host
# the tests connect to (the listen host; loopback for a wildcard).
LISTEN = "127.0.0.1:0"
HOST = "127.0.0.1"
KEEP_TMP = False
VERBOSE = False
# --url: a server already running elsewhere (a board in QEMU, tests/board/)
# instead of one started here; its signal lines are read from --signal-log,
# keeping only lines that start with --signal-prefix (prefix removed).
# An https:// URL is talked to over TLS, trusting --cacert (a board's
# certificate, pinned by its runner).
REMOTE = {"url": None, "signal_log": None, "signal_prefix": None, "cacert": None}
# --tls: every server started also serves HTTPS (--listen-tls on the listen
# host, port 0, --tls self-signed) and the tests talk to that port: Conn
# wraps its socket with the ssl module, trusting the server's certificate.
TLS = False
# port -> the CA file that verifies whoever serves TLS there
TLS_CAFILES = {}

WEBHOOK = "/webhooks/instaleap/chat"
# The build's limits the limit tests probe (app/cb_config.h: CB_CFG_*): the
# host's by default; a board's runner (tests/board/qemu_board.py) passes its
# own config header's in CB_E2E_LIMITS (JSON, the same keys).
LIMITS = dict({"body_max": 16384, "line_max": 2048, "headers_max": 8192, "max_fields": 64,
               "max_conn": 64}, **json.loads(os.environ.get("CB_E2E_LIMITS") or "{}"))
SECRET = "e2e-current-9f2c7a41d3"
SECRET_NEXT = "e2e-next-5b8e0c66aa"
ADMIN_TOKEN = "e2e-admin-71c0de2f9b"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")

# Sender codes configured in every server the tests start, so the labels and
# buzzer patterns in the signal log are known exactly.
SENDERS = {
    "SH": {"label": "Picker", "pattern": "--..--"},
    "SUP": {"label": "Support", "pattern": "-.-.-."},
    "DRV": {"label": "Driver", "pattern": "---..."},
}


def base_config(**over):
    """A config dict with reminders off (no stray buzzer lines) and known senders."""
    cfg = {"reminder_s": 0, "senders": json.loads(json.dumps(SENDERS))}
    cfg.update(over)
    return cfg


# ---------------------------------------------------------------- time, events, signatures

def iso(ts=None, offset_s=0.0):
    """ISO 8601 UTC with milliseconds and Z, like InstaLeap's created_at."""
    if ts is None:
        ts = time.time()
    d = datetime.datetime.fromtimestamp(ts + offset_s, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


_seq = itertools.count(1)
OMIT = object()


def make_event(**over):
    """A fresh chat event with a unique job id; a field given as OMIT is left out."""
    n = next(_seq)
    ev = {
        "client_id": "acme",
        "created_at": iso(),
        "sender": "SH",
        "job_id": "JOB-%d-%04d" % (os.getpid() % 1000, n),
        "notification_message": "hello %d" % n,
    }
    for k, v in over.items():
        if v is OMIT:
            ev.pop(k, None)
        else:
            ev[k] = v
    return ev


def hmac_hex(secret, text):
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def _s(ev, key):
    v = ev.get(key, "")
    return v if isinstance(v, str) else ""


def sig_v1(secret, ev):
    """InstaLeap-Signature: HMAC-SHA256(id&created_at&type), absent = empty."""
    return hmac_hex(secret, "%s&%s&%s" % (_s(ev, "id"), _s(ev, "created_at"), _s(ev, "type")))


def sig_v3_hex(secret, ts, ev):
    """V3 hex: HMAC-SHA256(timestamp&client_id&sender&job_id)."""
    return hmac_hex(secret, "%s&%s&%s&%s" % (ts, _s(ev, "client_id"), _s(ev, "sender"), _s(ev, "job_id")))


def sign_headers(ev, scheme="v3", secret=SECRET, ts=None):
    """Signature header(s) for an event: scheme v1, v3 (t=...,v3=...), v3-bare or None."""
    if scheme is None:
        return []
    if scheme == "v1":
        return [("InstaLeap-Signature", sig_v1(secret, ev))]
    if scheme == "v3":
        if ts is None:
            ts = _s(ev, "timestamp") or _s(ev, "created_at")
        return [("InstaLeap-Signature-V3", "t=%s,v3=%s" % (ts, sig_v3_hex(secret, ts, ev)))]
    if scheme == "v3-bare":
        if ts is None:
            ts = _s(ev, "timestamp") or _s(ev, "created_at")
        return [("InstaLeap-Signature-V3", sig_v3_hex(secret, ts, ev))]
    raise ValueError(scheme)


def event_body(ev, ascii_only=True):
    return json.dumps(ev, ensure_ascii=ascii_only, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------- raw requests

def build_request(method="GET", target="/healthz", headers=(), body=b"", version="HTTP/1.1",
                  host="127.0.0.1", length=True):
    """Exact request bytes. host=None leaves Host out; length=False leaves
    Content-Length out (it is added only when a body is given)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    if length and (body or method in ("POST", "PUT", "PATCH")):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def webhook_request(ev=None, body=None, scheme="v3", secret=SECRET, ts=None, headers=(),
                    content_type="application/json", target=WEBHOOK, close=False):
    """A signed webhook POST for ev (or raw body signed as ev says)."""
    if ev is None:
        ev = make_event()
    if body is None:
        body = event_body(ev)
    hs = []
    if content_type is not None:
        hs.append(("Content-Type", content_type))
    hs += sign_headers(ev, scheme, secret, ts)
    hs += list(headers)
    if close:
        hs.append(("Connection", "close"))
    return build_request("POST", target, hs, body)


def chunked(body, sizes=None, ext=""):
    """Chunked encoding of body; sizes lists chunk lengths (the rest goes in one)."""
    out = b""
    i = 0
    for n in (sizes or []):
        part = body[i:i + n]
        i += n
        out += b"%x%s\r\n" % (len(part), ext.encode()) + part + b"\r\n"
    if i < len(body):
        out += b"%x%s\r\n" % (len(body) - i, ext.encode()) + body[i:] + b"\r\n"
    return out + b"0\r\n\r\n"


# ---------------------------------------------------------------- responses

class Response:
    def __init__(self, version, status, reason, headers, body, raw):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(vals) if vals else default

    def header_count(self, name):
        return sum(1 for k, _ in self.headers if k.lower() == name.lower())

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def closes(self):
        return "close" in (self.header("Connection") or "").lower()

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


class HTTPError(AssertionError):
    pass


class Conn:
    """One raw TCP connection: send exact bytes, read responses one at a time.
    source: the client address to bind (127.0.0.2 is loopback too; None: the
    default one); rcvbuf: a small receive buffer."""

    def __init__(self, port, server=None, timeout=5.0, source=None, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect((HOST, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.tls = port in TLS_CAFILES
        if self.tls:
            s = tls_context(TLS_CAFILES[port]).wrap_socket(s, server_hostname=HOST)
        self.sock = s
        self.buf = b""
        self.eof = False
        self.reset = False
        self.server = server
        self.timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def try_send(self, data):
        """Send, tolerating a peer that already closed; True if all was sent."""
        try:
            self.send(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return False

    def shutdown_write(self):
        """Half-close (SHUT_WR). TLS has none short of close_notify, which
        Python cannot send without waiting for the server's: skipped there."""
        if self.tls:
            raise unittest.SkipTest("no TCP half-close under TLS")
        self.sock.shutdown(socket.SHUT_WR)

    def _fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            self.reset = True
            self.eof = True
            return False
        if self.server is not None and data:
            self.server.received.append(data)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_response(self, timeout=None, head_request=False):
        """Reads one response (an interim 1xx is returned on its own)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise HTTPError("connection closed before a response head; got %r" % self.buf[:300])
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        m = re.match(rb"^(HTTP/\d\.\d) (\d{3}) ?(.*)$", lines[0])
        if not m:
            raise HTTPError("bad status line %r" % lines[0])
        version, status, reason = m.group(1).decode(), int(m.group(2)), m.group(3).decode("latin-1")
        headers = []
        for ln in lines[1:]:
            if b":" not in ln:
                raise HTTPError("bad response header line %r" % ln)
            k, _, v = ln.partition(b":")
            headers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
        resp = Response(version, status, reason, headers, b"", b"")
        self.buf = rest
        if 100 <= status < 200 or status in (204, 304) or head_request:
            resp.raw = head + b"\r\n\r\n"
            return resp
        cl = resp.header("Content-Length")
        te = resp.header("Transfer-Encoding")
        if te and "chunked" in te.lower():
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    if not self._fill(deadline):
                        raise HTTPError("closed inside chunked response")
                line, _, self.buf = self.buf.partition(b"\r\n")
                n = int(line.split(b";")[0], 16)
                while len(self.buf) < n + 2:
                    if not self._fill(deadline):
                        raise HTTPError("closed inside chunk")
                body += self.buf[:n]
                self.buf = self.buf[n + 2:]
                if n == 0:
                    break
        elif cl is not None:
            n = int(cl)
            while len(self.buf) < n:
                if not self._fill(deadline):
                    raise HTTPError("closed after %d of %d body bytes" % (len(self.buf), n))
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            while self._fill(deadline):
                pass
            body, self.buf = self.buf, b""
        resp.body = body
        resp.raw = head + b"\r\n\r\n" + body
        return resp

    def read_final(self, timeout=None):
        """Reads responses until a non-1xx one; returns (interims, final)."""
        interims = []
        while True:
            r = self.read_response(timeout)
            if r.status >= 200:
                return interims, r
            interims.append(r)

    def wait_closed(self, timeout=3.0):
        """True when the peer closes (EOF or reset) within timeout with no
        further bytes; raises if bytes arrive; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if self.buf:
                raise HTTPError("unexpected bytes before close: %r" % self.buf[:200])
            try:
                if not self._fill(deadline):
                    return True
            except socket.timeout:
                return False

    def read_until_close(self, timeout=5.0):
        """All bytes until the peer closes; raises on timeout."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        data, self.buf = self.buf, b""
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


_TLS_CONTEXTS = {}


def tls_context(cafile):
    """A client context that trusts cafile only (hostname checked, TLS 1.2+),
    kept per file so session tickets are offered again."""
    if cafile not in _TLS_CONTEXTS:
        _TLS_CONTEXTS[cafile] = ssl.create_default_context(cafile=cafile)
    return _TLS_CONTEXTS[cafile]


def exchange(port, data, server=None, timeout=5.0):
    """Sends one request on a new connection and returns the final response."""
    with Conn(port, server, timeout) as c:
        c.send(data)
        return c.read_final(timeout)[1]


# ---------------------------------------------------------------- signal log

SIGNAL_KEYS = {
    "message": {"kind", "seq", "sender", "job_id", "client_id", "text", "lines"},
    "buzzer": {"kind", "seq", "pattern"},
    "ack": {"kind", "seq"},
    "restore": {"kind", "seq"},
}


class SignalLog:
    """Reads the simulator's --signal-log file line by line (or, with a
    prefix, the lines of a console log that start with it)."""

    def __init__(self, path, prefix=None):
        self.path = path
        self.prefix = prefix.encode("utf-8") if prefix else None
        self.pos = 0

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        out = []
        for raw in data.split(b"\n")[:-1]:  # a last line without newline is not complete yet
            if self.prefix is not None:
                if not raw.startswith(self.prefix):
                    continue
                raw = raw[len(self.prefix):].rstrip(b"\r")
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise AssertionError("signal log line is not JSON: %r (%s)" % (raw[:200], e))
            out.append(obj)
        return out

    def wait(self, n, timeout=5.0, settle=0.25):
        """Waits until n new lines arrived, then `settle` more seconds for any
        extra line; returns all new lines and moves past them."""
        deadline = time.monotonic() + timeout
        while True:
            all_ = self.lines()
            if len(all_) < self.pos:  # the file was started afresh (restart)
                self.pos = 0
            if len(all_) - self.pos >= n or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if settle:
            time.sleep(settle)
            all_ = self.lines()
        new = all_[self.pos:]
        self.pos = len(all_)
        return new

    def skip(self):
        self.pos = len(self.lines())


def check_signal_shape(line):
    """Raises unless the line has exactly the keys SPEC 4 gives its kind."""
    kind = line.get("kind")
    if kind not in SIGNAL_KEYS:
        raise AssertionError("unknown signal kind in %r" % line)
    keys = set(line)
    want = SIGNAL_KEYS[kind]
    if kind == "message" and keys == want - {"client_id"}:
        return  # an event without client_id
    if keys != want:
        raise AssertionError("signal %s has keys %s, SPEC 4 says %s: %r" % (kind, sorted(keys), sorted(want), line))
    if not isinstance(line["seq"], int) or line["seq"] < 1:
        raise AssertionError("bad seq in %r" % line)


def _matches(actual, expected):
    for k, v in expected.items():
        if k not in actual:
            return False
        if callable(v):
            if not v(actual[k]):
                return False
        elif actual[k] != v:
            return False
    return True


def match_signals(actual, expected):
    """None when actual (list of dicts) matches expected (list of matchers) as a
    multiset, else a sentence saying what differs."""
    for a in actual:
        try:
            check_signal_shape(a)
        except AssertionError as e:
            return str(e)
    left = list(actual)
    missing = []
    for e in expected:
        for i, a in enumerate(left):
            if _matches(a, e):
                del left[i]
                break
        else:
            missing.append(e)
    if missing or left:
        def show(m):
            return {k: ("<check>" if callable(v) else v) for k, v in m.items()}
        return "signal log differs: missing %s; unexpected %s; all new lines %s" % (
            [show(m) for m in missing], left, actual)
    return None


TRANSLIT = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ñ": "n", "ü": "u", "¿": "?", "¡": "!",
            "Á": "A", "É": "E", "Í": "I", "Ó": "O", "Ú": "U", "Ñ": "N", "Ü": "U"}


def translit(text):
    out = []
    for ch in text:
        if ch in TRANSLIT:
            out.append(TRANSLIT[ch])
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        elif ord(ch) < 0x20:
            out.append(" ")
        else:
            out.append("?")
    return "".join(out)


def display_ok(ev, rows=2, cols=16, unacked=None, label=None):
    """A check for the `lines` of a message signal: rows lines of at most cols
    printable ASCII chars; line 1 has the label, the end of the job id and the
    unacked count; line 2 starts the (transliterated) text."""
    job = ev["job_id"]
    code = ev.get("sender", "")
    lab = label or SENDERS.get(code, {}).get("label", code)

    def check(lines):
        if not isinstance(lines, list) or len(lines) != rows:
            return False
        for ln in lines:
            if not isinstance(ln, str) or len(ln) > cols or any(not (0x20 <= ord(c) < 0x7F) for c in ln):
                return False
        first = lines[0]
        if lab[:3] not in first:
            return False
        if job[-3:] not in first:
            return False
        if unacked is not None and str(unacked) not in first:
            return False
        text = translit(ev["notification_message"])
        want = text[:cols].rstrip()
        if len(text) <= cols and lines[1].rstrip() != want:
            return False
        if len(text) > cols and not lines[1].strip():
            return False
        return True
    return check


def message_signals(seq, ev, unacked=None, rows=2, cols=16, label=None, pattern=None):
    """Matchers for the message + buzzer lines one accepted event gives."""
    msg = {"kind": "message", "seq": seq, "sender": ev["sender"], "job_id": ev["job_id"],
           "text": ev["notification_message"],
           "lines": display_ok(ev, rows, cols, unacked, label)}
    if "client_id" in ev:
        msg["client_id"] = ev["client_id"]
    if pattern is None:
        pattern = SENDERS.get(ev["sender"], {}).get("pattern")
    buz = {"kind": "buzzer", "seq": seq,
           "pattern": pattern if pattern is not None else (lambda p: isinstance(p, str) and re.fullmatch(r"[-.]+", p) is not None)}
    return [msg, buz]


# ---------------------------------------------------------------- metrics

_METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([-+]?[0-9.eE+-]+|NaN|[+-]Inf)( -?\d+)?$')


def parse_metrics(text):
    """Prometheus text format -> {sample: value}; raises on a malformed line."""
    out = {}
    types = {}
    for ln in text.split("\n"):
        if not ln:
            continue
        if ln.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$", ln)
            if ln.startswith("# TYPE") or ln.startswith("# HELP"):
                if not m:
                    raise AssertionError("malformed metrics comment %r" % ln)
                if m.group(1) == "TYPE":
                    if m.group(3) not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        raise AssertionError("bad TYPE %r" % ln)
                    types[m.group(2)] = m.group(3)
            continue
        m = _METRIC_LINE.match(ln)
        if not m:
            raise AssertionError("malformed metrics line %r" % ln)
        name = m.group(1) + (m.group(2) or "")
        if m.group(2):
            inner = m.group(2)[1:-1]
            if inner and not re.fullmatch(r'([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*,?', inner):
                raise AssertionError("malformed metric labels %r" % ln)
        if name in out:
            raise AssertionError("metric sample repeated: %r" % ln)
        out[name] = float(m.group(3))
    out["__types__"] = types
    return out


def metric_delta(before, after, *words):
    """Sum of the changes of every sample whose name+labels contain all words
    (case-insensitive) - e.g. ("accepted",) or ("auth", "invalid_signature")."""
    total = 0.0
    hit = False
    for k, v in after.items():
        if k == "__types__":
            continue
        lk = k.lower()
        if all(w.lower() in lk for w in words):
            hit = True
            total += v - before.get(k, 0.0)
    return total if hit else None


def metric_samples(m, *words):
    return {k: v for k, v in m.items() if k != "__types__" and all(w.lower() in k.lower() for w in words)}


# ---------------------------------------------------------------- the simulator

class Server:
    """A chatbell process on LISTEN (127.0.0.1:<ephemeral>) with its own temp dir."""

    started = []  # every Server started so far (for the one-at-a-time check)

    def __init__(self, config=None, env=None, args=(), secret=SECRET, admin_token=None,
                 data_dir=None, fsync="off"):
        self.config = config
        self.env_extra = dict(env or {})
        if secret is not None:
            self.env_extra.setdefault("CHATBELL_SECRET", secret)
        if admin_token is not None:
            self.env_extra.setdefault("CHATBELL_ADMIN_TOKEN", admin_token)
        self.args = list(args)
        self.fsync = fsync
        self.tmp = tempfile.mkdtemp(prefix="chatbell-e2e-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.signal_path = os.path.join(self.tmp, "signals.jsonl")
        self.signals = SignalLog(self.signal_path)
        if REMOTE["url"]:
            self.signals = SignalLog(REMOTE["signal_log"], REMOTE["signal_prefix"])
        self.proc = None
        self.port = None
        self.plain_port = None  # with --tls, port is the HTTPS one and this the HTTP one
        self.cacert = None  # with --tls: the certificate that verifies it
        self.stdout_lines = []
        self.stderr_lines = []
        self.received = []  # every byte chunk read from this server by Conn
        self._cv = threading.Condition()
        self.starts = 0

    # secrets that must never appear in output
    def secrets(self):
        out = []
        for k, v in self.env_extra.items():
            if k in ("CHATBELL_SECRET", "CHATBELL_SECRET_NEXT", "CHATBELL_TOKEN", "CHATBELL_ADMIN_TOKEN",
                     "CHATBELL_CLIENT_SECRET") and v:
                out.append(v)
        if self.config:
            for k in ("secret", "secret_next", "token", "admin_token", "client_secret"):
                if self.config.get(k):
                    out.append(self.config[k])
        return out

    def _reader(self, stream, sink, name):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cv:
                sink.append(line)
                self._cv.notify_all()
            if VERBOSE:
                sys.stderr.write("[chatbell %s] %s\n" % (name, line))
        with self._cv:
            self._cv.notify_all()

    def command(self):
        if not BINS["chatbell"]:
            raise AssertionError("no --chatbell binary given")
        cmd = [BINS["chatbell"], "--listen", LISTEN, "--data-dir", self.data_dir,
               "--signal-log", self.signal_path, "--no-tui"]
        if self.fsync is not None:
            cmd += ["--fsync", self.fsync]
        if self.config is not None:
            path = os.path.join(self.tmp, "config.json")
            with open(path, "w") as f:
                json.dump(self.config, f, indent=1)
            cmd += ["--config", path]
        if TLS and "--listen-tls" not in self.args:
            cmd += ["--listen-tls", "%s:0" % LISTEN.rpartition(":")[0], "--tls", "self-signed"]
        return cmd + self.args

    def environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBELL_")}
        env.update(self.env_extra)
        return env

    def remote_compatible(self):
        """With --url: whether this server's configuration is the one the
        remote server runs (base_config(), SECRET, SECRET_NEXT: for a board,
        tests/board/e2e-settings.json)."""
        # a board's driver that set the remote up otherwise says how
        # (tests/board: {"config": {...}, "env": {...}}, the keys it stored)
        remote = json.loads(os.environ.get("CB_E2E_REMOTE") or "null")
        if remote is not None:
            return self.config == remote["config"] and not self.args and self.env_extra == remote["env"]
        allowed = {"CHATBELL_SECRET": SECRET, "CHATBELL_SECRET_NEXT": SECRET_NEXT}
        return (self.config == base_config() and not self.args and
                all(allowed.get(k) == v for k, v in self.env_extra.items()))

    def start(self, timeout=10.0):
        if REMOTE["url"]:  # nothing to start: the server at --url
            if not self.remote_compatible():
                raise unittest.SkipTest("needs a server configured otherwise than the one at --url")
            self.port = int(REMOTE["url"].rpartition(":")[2].split("/")[0])
            if REMOTE["cacert"]:
                self.cacert = REMOTE["cacert"]
                TLS_CAFILES[self.port] = self.cacert
            self.starts += 1
            self.signals.skip()
            return self
        # A fixed --listen address (the lwIP run: one TAP device, one
        # address) holds one server at a time.
        if not LISTEN.endswith(":0") and any(s is not self and s.alive() for s in Server.started):
            raise unittest.SkipTest("needs two servers at once; --listen %s holds one" % LISTEN)
        if self not in Server.started:
            Server.started.append(self)
        self.stdout_lines = []
        self.stderr_lines = []
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.environment(), cwd=self.tmp)
        self.starts += 1
        self._threads = [
            threading.Thread(target=self._reader, args=(self.proc.stdout, self.stdout_lines, "out"), daemon=True),
            threading.Thread(target=self._reader, args=(self.proc.stderr, self.stderr_lines, "err"), daemon=True),
        ]
        for t in self._threads:
            t.start()
        pat = re.compile(r"^chatbell listening on http://%s:(\d+)$" % re.escape(LISTEN.rpartition(":")[0]))
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for ln in self.stdout_lines:
                    m = pat.match(ln)
                    if m:
                        self.port = self.plain_port = int(m.group(1))
                        if TLS:
                            self._use_tls()
                        return self
                if self.proc.poll() is not None and all(not t.is_alive() for t in self._threads):
                    raise AssertionError("chatbell exited with %s before listening; stderr:\n%s" % (
                        self.proc.returncode, "\n".join(self.stderr_lines[-30:])))
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise AssertionError("no 'chatbell listening on http://%s' line within %gs; "
                                         "stdout %r stderr %r" % (LISTEN, timeout, self.stdout_lines[-10:], self.stderr_lines[-10:]))
                self._cv.wait(min(left, 0.1))

    def _use_tls(self):
        """--tls: the tests talk to the banner's https:// port."""
        for ln in self.stdout_lines:
            m = re.match(r"^  https: +https://[0-9.]+:(\d+) \(TLS 1\.2; certificate (.*?)(, self-signed)?\)$", ln)
            if m:
                self.port = int(m.group(1))
                self.cacert = os.path.join(self.tmp, m.group(2))
                TLS_CAFILES[self.port] = self.cacert
                return
        raise AssertionError("--tls: no https line in the banner: %r" % self.stdout_lines[:12])

    def client_args(self, tool):
        """Extra arguments for curl / instaleap-send to trust this server."""
        return ["--cacert", self.cacert] if self.cacert else []

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, timeout=10.0):
        """SIGTERM; the process must exit 0 with no sanitizer report and no
        secret on its stdout/stderr or in any response it sent. Returns rc.
        With --url only the responses are checked (and 0 returned)."""
        if REMOTE["url"]:
            for s in self.secrets():
                if len(s) >= 8 and s.encode("utf-8") in b"".join(self.received):
                    raise AssertionError("a configured secret appears in a response")
            return 0
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("chatbell did not exit within %gs of SIGTERM" % timeout)
        for t in self._threads:
            t.join(5)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        problems = []
        if rc != 0:
            problems.append("chatbell exited with %s after SIGTERM (want 0)" % rc)
        err = "\n".join(self.stderr_lines)
        for mark in SANITIZER_MARKS:
            if mark in err:
                problems.append("sanitizer report on stderr (%s)" % mark)
        out = "\n".join(self.stdout_lines)
        for s in self.secrets():
            if len(s) < 8:
                continue  # too short to tell apart from ordinary text
            if s in err or s in out:
                problems.append("a configured secret appears on chatbell's stdout/stderr")
            if s.encode("utf-8") in b"".join(self.received):
                problems.append("a configured secret appears in a response")
        if problems:
            raise AssertionError("; ".join(problems) + "\n--- stderr tail ---\n" + "\n".join(self.stderr_lines[-40:]))
        return rc

    def restart(self):
        if REMOTE["url"]:
            raise unittest.SkipTest("cannot restart the server at --url")
        self.stop()
        return self.start()

    def cleanup(self):
        self.kill()
        if not KEEP_TMP:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- talking to it

    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self.cacert else "http", HOST, self.port)

    def conn(self, timeout=5.0, source=None):
        return Conn(self.port, self, timeout, source)

    def exchange(self, data, timeout=5.0):
        return exchange(self.port, data, self, timeout)

    def get(self, target):
        return self.exchange(build_request("GET", target))

    def post_event(self, ev=None, **kw):
        """Posts a signed event on a new connection; returns the Response."""
        return self.exchange(webhook_request(ev, **kw))

    def healthz(self):
        r = self.get("/healthz")
        if r.status != 200:
            raise AssertionError("/healthz answered %d %r" % (r.status, r.body))
        return r.json()

    def metrics(self):
        r = self.get("/metrics")
        if r.status != 200:
            raise AssertionError("/metrics answered %d %r" % (r.status, r.body))
        return parse_metrics(r.body.decode("utf-8"))

    def press_button(self):
        if REMOTE["url"]:
            raise unittest.SkipTest("no button of the server at --url to press")
        self.proc.stdin.write(b"ack\n")
        self.proc.stdin.flush()

    def rss_kb(self):
        if REMOTE["url"]:
            return 0  # no process here to measure (a board's memory is static)
        with open("/proc/%d/status" % self.proc.pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
        raise AssertionError("no VmRSS")

    def alive(self):
        if REMOTE["url"]:
            return True
        return self.proc is not None and self.proc.poll() is None


# ---------------------------------------------------------------- test case base

class ChatbellCase(unittest.TestCase):
    """A test class with one server for all its tests (SERVER_KW configures it)."""

    SERVER_KW = {}
    server = None

    @classmethod
    def setUpClass(cls):
        kw = dict(cls.SERVER_KW)
        kw.setdefault("config", base_config())
        cls.server = Server(**kw)
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def setUp(self):
        if self.server is not None and not self.server.alive():
            self.fail("chatbell is not running (exit %s); stderr tail:\n%s" % (
                self.server.proc.returncode, "\n".join(self.server.stderr_lines[-30:])))

    # ---- assertions

    def assertError(self, resp, status, code, close=None):
        """resp is `status` with the SPEC's JSON error body {"error":code,"message":...}."""
        self.assertEqual(resp.status, status, "want %d %s, got %d %r" % (status, code, resp.status, resp.body[:300]))
        ctype = (resp.header("Content-Type") or "").lower()
        self.assertTrue(ctype.startswith("application/json"), "error Content-Type %r" % ctype)
        try:
            body = resp.json()
        except ValueError:
            self.fail("error body is not JSON: %r" % resp.body[:300])
        self.assertIsInstance(body, dict)
        self.assertEqual(body.get("error"), code, "error code in %r" % body)
        msg = body.get("message")
        self.assertTrue(isinstance(msg, str) and msg.strip(), "error without a message: %r" % body)
        if close is True:
            self.assertTrue(resp.closes, "want Connection: close on %d, headers %r" % (status, resp.headers))
        return body

    def assertAccepted(self, resp, seq=None):
        self.assertEqual(resp.status, 200, "want 200 accepted, got %d %r" % (resp.status, resp.body[:300]))
        body = resp.json()
        self.assertEqual(body.get("status"), "accepted", body)
        self.assertIsInstance(body.get("seq"), int, body)
        self.assertEqual(set(body), {"status", "seq"}, body)
        if seq is not None:
            self.assertEqual(body["seq"], seq)
        return body["seq"]

    def assertDuplicate(self, resp, seq):
        self.assertEqual(resp.status, 200, "want 200 duplicate, got %d %r" % (resp.status, resp.body[:300]))
        body = resp.json()
        self.assertEqual(body, {"status": "duplicate", "seq": seq})

    def expectSignals(self, expected, timeout=5.0, settle=0.25):
        """The signal log's new lines are exactly `expected` (matchers, any order)."""
        got = self.server.signals.wait(len(expected), timeout, settle)
        why = match_signals(got, expected)
        if why:
            self.fail(why)
        return got

    def expectNoSignals(self, settle=0.25):
        self.expectSignals([], timeout=0, settle=settle)

    ROWS, COLS = 2, 16

    def accept(self, ev=None, check_unacked=True, label=None, pattern=None, **kw):
        """Posts ev signed (kw as webhook_request); wants 200 accepted and
        exactly its message + buzzer lines. Returns (seq, ev)."""
        if ev is None:
            ev = make_event()
        before = self.server.healthz()["unacked"] if check_unacked else None
        r = self.server.post_event(ev, **kw)
        seq = self.assertAccepted(r)
        self.expectSignals(message_signals(seq, ev, None if before is None else before + 1,
                                           self.ROWS, self.COLS, label, pattern))
        if check_unacked:
            self.assertEqual(self.server.healthz()["unacked"], before + 1)
        return seq, ev

    def reject(self, status, code, ev=None, request=None, **kw):
        """Sends request (or ev signed as kw says); wants the error and no signal."""
        if request is None:
            request = webhook_request(ev, **kw)
        r = self.server.exchange(request)
        body = self.assertError(r, status, code)
        self.expectNoSignals()
        return body


# ---------------------------------------------------------------- runner

class PerTestServerCase(ChatbellCase):
    """A test class whose tests start their own servers (run_server), each
    stopped and removed when its test ends."""

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        pass

    def run_server(self, server_cls=None, **kw):
        srv = (server_cls or Server)(**kw)
        self.addCleanup(srv.cleanup)
        srv.start()
        self.server = srv  # what ChatbellCase's helpers talk to
        return srv


class _Result(unittest.TestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0
        self.t0 = {}

    def startTest(self, test):
        super().startTest(test)
        self.t0[test] = time.monotonic()

    def _line(self, test, word):
        dt = time.monotonic() - self.t0.get(test, time.monotonic())
        print("%-6s %s (%.2fs)" % (word, test.id(), dt), flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self._line(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(test, "FAIL")
        print(self._exc_info_to_string(err, test), flush=True)

    def addError(self, test, err):
        super().addError(test, err)
        self._line(test, "ERROR")
        print(self._exc_info_to_string(err, test), flush=True)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(test, "skip")
        print("       %s" % reason, flush=True)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            print("FAIL   %s" % subtest.id(), flush=True)
            print(self._exc_info_to_string(err, test), flush=True)


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


def main(module=None):
    """Parses --chatbell/--send, runs every test of the calling module, prints
    'N passed, N failed' and exits non-zero on any failure."""
    global KEEP_TMP, VERBOSE, LISTEN, HOST, TLS
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatbell", help="path of the simulator binary")
    ap.add_argument("--send", help="path of instaleap-send")
    ap.add_argument("--listen", default=LISTEN,
                    help="IPv4 ADDR:PORT the servers listen on and the tests connect to (default %(default)s)")
    ap.add_argument("--tls", action="store_true",
                    help="talk HTTPS: servers also listen with --listen-tls and --tls self-signed")
    ap.add_argument("-k", action="append", default=[], help="run only tests whose id contains this")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo chatbell's output")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs")
    ap.add_argument("--url", help="test the server already running at http://HOST:PORT instead of "
                    "starting chatbell; it must run with base_config(), SECRET and SECRET_NEXT "
                    "(tests/board/e2e-settings.json); tests needing another one are skipped")
    ap.add_argument("--signal-log", help="with --url: the file the server's signal lines appear in")
    ap.add_argument("--signal-prefix", help="with --url: signal lines start with this (e.g. 'signal| ')")
    ap.add_argument("--cacert", help="with an https:// --url: the certificate that verifies it")
    args = ap.parse_args()
    BINS["chatbell"] = os.path.abspath(args.chatbell) if args.chatbell else None
    BINS["send"] = os.path.abspath(args.send) if args.send else None
    LISTEN = args.listen
    HOST = LISTEN.rpartition(":")[0]
    if HOST in ("", "0.0.0.0"):
        HOST = "127.0.0.1"
    KEEP_TMP = args.keep
    TLS = args.tls
    VERBOSE = args.verbose
    if args.url:
        m = re.match(r"^(https?)://([0-9.]+):(\d+)/?$", args.url)
        if not m or not args.signal_log or (m.group(1) == "https") != bool(args.cacert):
            ap.error("--url wants http://IPV4:PORT (or https:// with --cacert), with --signal-log")
        REMOTE.update(url=args.url, signal_log=args.signal_log, signal_prefix=args.signal_prefix,
                      cacert=args.cacert and os.path.abspath(args.cacert))
        HOST = m.group(2)
    if module is None:
        module = sys.modules["__main__"]
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    if args.k:
        keep = [t for t in _flatten(suite) if any(k in t.id() for k in args.k)]
        suite = unittest.TestSuite(keep)
    result = _Result()
    t0 = time.monotonic()
    suite.run(result)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    # failures reported per subtest are counted once per subtest
    if result.skipped:
        print("%d skipped" % len(result.skipped))
    print("(%.1fs)" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (result.passed, failed), flush=True)
    sys.exit(1 if failed or (result.passed == 0) else 0)
