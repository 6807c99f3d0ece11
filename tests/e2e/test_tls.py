#!/usr/bin/env python3
# test_tls.py - hostile TLS against the simulator's HTTPS listener (issue 16):
# garbage instead of a ClientHello, a handshake cut at every message of the
# client's two flights, one byte every 200 ms (handshake timeout), a flood of
# handshakes beyond the connection cap, a renegotiation attempt, and session
# tickets. Throughout, others are answered; at the end every slot is free
# (max_conn TLS connections at once all get answers). Run by CTest (e2e.tls):
#   test_tls.py --chatbell PATH [--send PATH] [-k NAME] [-v]

import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import ChatbellCase, Server, base_config, build_request, make_event, message_signals, webhook_request  # noqa: E402

MAX_CONN = 8
HANDSHAKE_S = 5.0  # CB_TLS_HANDSHAKE_MS


def records(data):
    """Splits TLS bytes into (offset, length) of each record (5-byte header)."""
    out, i = [], 0
    while i + 5 <= len(data):
        n = int.from_bytes(data[i + 3:i + 5], "big")
        out.append((i, 5 + n))
        i += 5 + n
    return out


class TLSCase(ChatbellCase):
    @classmethod
    def setUpClass(cls):
        # one address holds every connection here (the global cap is tested)
        cls.SERVER_KW = {"config": base_config(max_conn=MAX_CONN, max_conn_per_source=MAX_CONN),
                         "args": ["--listen-tls", "%s:0" % H.LISTEN.rpartition(":")[0], "--tls", "self-signed"]}
        super().setUpClass()
        cls.server._use_tls()

    # ---- helpers

    def raw(self, timeout=5.0):
        s = socket.create_connection((H.HOST, self.server.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.addCleanup(s.close)
        return s

    def closed_within(self, s, seconds):
        """True if the server closes s (EOF or reset) within seconds,
        whatever it sends first (an alert)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            s.settimeout(left)
            try:
                if not s.recv(65536):
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
            except socket.timeout:
                return False

    def assertServes(self):
        """A fresh HTTPS client and a plain HTTP one both get answers."""
        self.assertEqual(self.server.healthz()["status"], "ok")
        r = H.exchange(self.server.plain_port, build_request("GET", "/healthz"))
        self.assertEqual(r.status, 200)

    def client(self):
        """An SSLObject over memory BIOs: its flights can be cut anywhere."""
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        ctx = ssl.create_default_context(cafile=self.server.cacert)
        return ctx.wrap_bio(inc, out, server_hostname=H.HOST), inc, out

    def step(self, obj, out):
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return out.read()

    def second_flight(self, s):
        """Sends the ClientHello on s, reads the server's flight, returns the
        client's second flight (ClientKeyExchange, ChangeCipherSpec,
        Finished) unsent."""
        obj, inc, out = self.client()
        s.sendall(self.step(obj, out))
        s.settimeout(5)
        while True:
            data = s.recv(65536)
            self.assertTrue(data, "server closed during its first flight")
            inc.write(data)
            flight = self.step(obj, out)
            if flight:
                return flight

    # ---- tests

    def test_garbage_instead_of_client_hello_is_closed(self):
        garbage = [
            build_request("GET", "/healthz"),  # plain HTTP on the TLS port
            os.urandom(1500),
            b"\x16\x03\x01\xff\xff" + b"\x01" * 64,  # record longer than allowed
            b"\x80\x2e\x01\x00\x02" + b"\x00" * 45,  # SSLv2 ClientHello
            b"\x16\x03\x03\x00\x04\x01\x00\x00\xff",  # handshake length past the record
            b"\x15\x03\x03\x00\x02\x02\x28",  # an alert first
        ]
        for g in garbage:
            with self.subTest(garbage=g[:12]):
                s = self.raw()
                s.sendall(g)
                self.assertTrue(self.closed_within(s, 3), "garbage %r kept open" % g[:12])
                self.assertServes()

    def test_handshake_cut_at_every_message(self):
        obj, _, out = self.client()
        hello = self.step(obj, out)
        for cut in sorted({0, 1, 5, len(hello) // 2, len(hello) - 1, len(hello)}):
            with self.subTest(flight=1, cut=cut):
                s = self.raw()
                s.sendall(hello[:cut])
                s.close()
                self.assertServes()
        s = self.raw()
        flight = self.second_flight(s)
        s.close()
        cuts = {0, len(flight) - 1, len(flight)}
        for off, n in records(flight):
            cuts |= {off, off + 5, off + n // 2}
        self.assertGreaterEqual(len(records(flight)), 3, "want CKE, CCS, Finished records")
        for cut in sorted(cuts):
            with self.subTest(flight=2, cut=cut):
                s = self.raw()
                flight = self.second_flight(s)
                s.sendall(flight[:cut])
                s.close()
                self.assertServes()

    def test_one_byte_every_200ms_hits_the_handshake_timeout(self):
        obj, _, out = self.client()
        hello = self.step(obj, out)
        s = self.raw()
        t0 = time.monotonic()
        closed = False
        i = 0
        while time.monotonic() - t0 < HANDSHAKE_S + 3:
            try:
                s.sendall(hello[i % len(hello):i % len(hello) + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            i += 1
            if i % 10 == 0:
                self.assertServes()  # others are answered meanwhile
            s.settimeout(0.2)
            try:
                if not s.recv(1):
                    closed = True
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
                break
        took = time.monotonic() - t0
        self.assertTrue(closed, "a drip-fed handshake was kept past %.1fs" % took)
        self.assertGreater(took, HANDSHAKE_S - 1)
        self.assertServes()

    def test_flood_of_handshakes_beyond_the_cap(self):
        obj, _, out = self.client()
        hello = self.step(obj, out)
        flood = []
        for _ in range(4 * MAX_CONN):
            s = self.raw()
            s.sendall(hello)  # and never finish
            flood.append(s)
        # past the cap they are closed at once, without a handshake
        t0 = time.monotonic()
        closed = sum(1 for s in flood[MAX_CONN:] if self.closed_within(s, 2))
        self.assertGreaterEqual(closed, 3 * MAX_CONN - 1, "connections over the cap kept open")
        self.assertLess(time.monotonic() - t0, 6)
        # the held ones go at the handshake timeout, then all is served again
        for s in flood[:MAX_CONN]:
            self.assertTrue(self.closed_within(s, HANDSHAKE_S + 3), "stalled handshake never closed")
        self.assertServes()

    def test_renegotiation_is_refused(self):
        if not shutil.which("openssl"):
            self.skipTest("no openssl client")
        cmd = ["openssl", "s_client", "-connect", "%s:%d" % (H.HOST, self.server.port), "-tls1_2",
               "-CAfile", self.server.cacert]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.0)
            p.stdin.write(b"R\n")  # s_client: renegotiate
            p.stdin.flush()
            time.sleep(1.0)
            try:
                p.stdin.write(build_request("GET", "/healthz"))
                p.stdin.flush()
                time.sleep(0.5)
                p.stdin.close()
            except BrokenPipeError:
                pass
            outp = p.communicate(timeout=10)[0].decode("latin-1")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertIn("Secure Renegotiation IS supported", outp)
        self.assertIn("no renegotiation", outp)
        self.assertServes()

    def test_session_ticket_resumes(self):
        ctx = ssl.create_default_context(cafile=self.server.cacert)
        sess = None
        reused = []
        for _ in range(3):
            with ctx.wrap_socket(socket.create_connection((H.HOST, self.server.port)),
                                 server_hostname=H.HOST, session=sess) as s:
                s.sendall(build_request("GET", "/healthz"))
                self.assertIn(b"200 OK", s.recv(4096))
                reused.append(s.session_reused)
                sess = s.session
        self.assertEqual(reused, [False, True, True])

    def test_protocol_and_ciphers(self):
        ctx = ssl.create_default_context(cafile=self.server.cacert)
        with ctx.wrap_socket(socket.create_connection((H.HOST, self.server.port)), server_hostname=H.HOST) as s:
            self.assertEqual(s.version(), "TLSv1.2")
            name = s.cipher()[0]
            self.assertTrue("GCM" in name or "CHACHA20" in name or "CCM" in name, name)
            self.assertTrue(name.startswith("ECDHE-"), name)
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(self.server.cacert)
            try:
                with warnings.catch_warnings():  # deprecated: that is the point
                    warnings.simplefilter("ignore", DeprecationWarning)
                    ctx.minimum_version = version
                    ctx.maximum_version = version
                ctx.set_ciphers("ALL:@SECLEVEL=0")
            except (ValueError, ssl.SSLError):
                continue
            with self.subTest(version=version):
                with self.assertRaises((ssl.SSLError, ConnectionResetError)):
                    with ctx.wrap_socket(socket.create_connection((H.HOST, self.server.port)),
                                         server_hostname=H.HOST):
                        pass

    def test_zz_every_slot_free_after_the_abuse(self):
        """Runs last: after all of the above, MAX_CONN TLS connections at
        once each get their event accepted: no slot or session leaked."""
        conns = [self.server.conn() for _ in range(MAX_CONN)]
        try:
            evs = [make_event() for _ in conns]
            for c, ev in zip(conns, evs):
                c.send(webhook_request(ev))
            seqs = [self.assertAccepted(c.read_response()) for c in conns]
        finally:
            for c in conns:
                c.close()
        want = []
        for s, ev in zip(seqs, evs):
            want += message_signals(s, ev)
        self.expectSignals(want)


class TLSConfigTests(unittest.TestCase):
    """Bad HTTPS settings stop start-up with one line naming the key (exit 2);
    the self-signed certificate is kept across restarts, its key 0600."""

    def run_chatbell(self, *args, config=None):
        tmp = tempfile.mkdtemp(prefix="chatbell-tls-cfg-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cmd = [H.BINS["chatbell"], "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "d"), "--no-tui"]
        if config is not None:
            path = os.path.join(tmp, "c.json")
            with open(path, "w") as f:
                json.dump(config, f)
            cmd += ["--config", path]
        p = subprocess.run(cmd + list(args), capture_output=True, timeout=20, cwd=tmp)
        return p.returncode, p.stderr.decode("utf-8", "replace").strip()

    def test_bad_settings_name_the_key(self):
        cases = [
            ((["--listen-tls", "127.0.0.1:0"], None), "chatbell: listen_tls: needs tls_cert and tls_key"),
            ((["--listen-tls", "127.0.0.1:0"], {"tls_cert": "nope.crt", "tls_key": "nope.key"}),
             "chatbell: tls_cert: cannot read a PEM certificate from nope.crt"),
            (([], {"tls_cert": "a.crt"}), "chatbell: tls_key: required with tls_cert"),
            ((["--tls", "self-signed"], None), "chatbell: tls: self-signed needs --listen-tls"),
            ((["--tls", "maybe"], None), "chatbell: tls: must be self-signed"),
            ((["--listen-tls", "127.0.0.1"], None), "chatbell: listen_tls: must be ADDR:PORT"),
        ]
        for (args, cfg), want in cases:
            with self.subTest(args=args, cfg=cfg):
                rc, err = self.run_chatbell(*args, config=cfg)
                self.assertEqual(rc, 2, err)
                self.assertTrue(err.startswith(want), err)
                self.assertEqual(len(err.splitlines()), 1, err)

    def test_key_that_does_not_match_the_certificate(self):
        a, b = Server(), Server()
        for s in (a, b):
            self.addCleanup(s.cleanup)
            s.args = ["--listen-tls", "%s:0" % H.LISTEN.rpartition(":")[0], "--tls", "self-signed"]
            s.start()
            s.stop()
        cfg = {"tls_cert": os.path.join(a.data_dir, "tls-self-signed.crt"),
               "tls_key": os.path.join(b.data_dir, "tls-self-signed.key")}
        rc, err = self.run_chatbell("--listen-tls", "127.0.0.1:0", config=cfg)
        self.assertEqual(rc, 2, err)
        self.assertTrue(err.startswith("chatbell: tls_key: does not match the certificate"), err)

    def test_self_signed_kept_across_restarts(self):
        srv = Server(args=["--listen-tls", "%s:0" % H.LISTEN.rpartition(":")[0], "--tls", "self-signed"])
        self.addCleanup(srv.cleanup)

        def fingerprint():
            fp = [ln.split(":", 1)[1].strip() for ln in srv.stdout_lines if ln.startswith("  tls sha256:")]
            self.assertEqual(len(fp), 1, srv.stdout_lines[:12])
            self.assertRegex(fp[0], r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")
            return fp[0]

        srv.start()
        first = fingerprint()
        with open(os.path.join(srv.data_dir, "tls-self-signed.crt"), "rb") as f:
            der = ssl.PEM_cert_to_DER_cert(f.read().decode())
        self.assertEqual(first, ":".join("%02X" % b for b in hashlib.sha256(der).digest()))
        self.assertEqual(os.stat(os.path.join(srv.data_dir, "tls-self-signed.key")).st_mode & 0o777, 0o600)
        srv.restart()
        self.assertEqual(fingerprint(), first)
        srv._use_tls()
        self.assertEqual(srv.healthz()["status"], "ok")
        srv.stop()


if __name__ == "__main__":
    H.main()
