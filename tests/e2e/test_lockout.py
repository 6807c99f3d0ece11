#!/usr/bin/env python3
# test_lockout.py - the lock-out and exhaustion holes of issue 11, each driven
# against the real simulator over TCP as the attack goes (SPEC 2 and 3): bad
# requests must not lock correctly signed events out (from the peer, through a
# trusted proxy with X-Forwarded-For), POST /ack is rate limited, silent
# connections are capped per source and closed after 5 s, a client that never
# reads cannot keep its slot by trickling bytes, short secrets stop start-up,
# and rotating client_secret revokes issued tokens. After each attack a
# correctly signed event from the same source is still accepted.
# Run by CTest (e2e.lockout): test_lockout.py --chatbell PATH [--send PATH]

import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import (ADMIN_TOKEN, base_config, build_request, make_event,  # noqa: E402
                     message_signals, metric_delta, webhook_request)

WRONG = "not-the-secret-at-all-1"
CLIENT_ID = "e2e-lockout-client"
CLIENT_SECRET_A = "e2e-lockout-secret-A-6f1d9c"
CLIENT_SECRET_B = "e2e-lockout-secret-B-2a7e40"


def exchange_from(server, source, data, timeout=5.0):
    with H.Conn(server.port, server, timeout, source) as c:
        c.send(data)
        return c.read_final(timeout)[1]


def xff(*values):
    return [("X-Forwarded-For", v) for v in values]


class LockoutCase(H.PerTestServerCase):
    """Tests from one source use the default client address (they also run
    over lwIP, tests/lwip/); those needing a second source bind 127.0.0.2."""

    def needs_loopback(self):
        if not H.HOST.startswith("127."):
            self.skipTest("needs the simulator on loopback (binds 127.0.0.2)")

    def bad(self, headers=(), source=None):
        """A request signed with the wrong secret: 401, or 429 once blocked."""
        return exchange_from(self.server, source, webhook_request(make_event(), secret=WRONG,
                                                                  headers=headers))

    def fail_until_blocked(self, headers=(), source=None, n=12):
        """n bad requests: the first ten are 401 invalid_signature, the
        last one 429 rate_limited with Retry-After."""
        for i in range(n):
            r = self.bad(headers, source)
            if i < 10:
                self.assertError(r, 401, "invalid_signature")
        self.assertRateLimited(r)

    def assertRateLimited(self, r):
        self.assertError(r, 429, "rate_limited")
        ra = r.header("Retry-After")
        self.assertTrue(ra and ra.isdigit() and 1 <= int(ra) <= 60, "Retry-After %r" % ra)

    def accept_from(self, source=None, headers=(), unacked=None):
        """A correctly signed event from source: 200 accepted, signalled once."""
        ev = make_event()
        r = exchange_from(self.server, source, webhook_request(ev, headers=headers))
        self.assertEqual(r.status, 200, "signed event from %s%s: %r" % (source or "the client", headers and " %r" % (headers,) or "", r))
        seq = self.assertAccepted(r)
        self.expectSignals(message_signals(seq, ev, unacked))
        return seq


class RateLimitLockoutTests(LockoutCase):
    """Hole 4: eleven bad requests a minute kept correctly signed events at
    429 for good (before: the signed event got 429)."""

    def test_blocked_peer_still_gets_its_signed_events_through(self):
        self.run_server(config=base_config())
        self.fail_until_blocked()
        self.accept_from(unacked=1)
        # the block holds for failing requests
        self.assertRateLimited(self.bad())
        r = self.server.exchange(webhook_request(make_event(), scheme=None))
        self.assertRateLimited(r)  # no signature at all: a failure too
        self.expectNoSignals()
        self.accept_from(unacked=2)
        m = self.server.metrics()
        self.assertEqual(metric_delta({}, m, "ratelimit_total", "blocked"), 1)

    def test_through_a_trusted_proxy_each_client_is_its_own_source(self):
        self.needs_loopback()  # the proxy is 127.0.0.1
        self.run_server(config=base_config(trusted_proxies=["127.0.0.1"]))
        a, b = xff("203.0.113.7"), xff("198.51.100.20")
        self.fail_until_blocked(a)
        # client B behind the same proxy is not blocked
        self.assertError(self.bad(b), 401, "invalid_signature")
        self.accept_from(headers=b, unacked=1)
        # client A's signed events are served; its failures still get 429
        self.accept_from(headers=a, unacked=2)
        self.assertRateLimited(self.bad(a))
        # the last hop of the last field names the source
        self.assertRateLimited(self.bad(xff("198.51.100.20", "10.9.9.9, 203.0.113.7")))
        self.assertError(self.bad(xff("203.0.113.7, 198.51.100.21")), 401, "invalid_signature")
        # IPv6 and IPv4 text forms of one address are one source
        self.assertRateLimited(self.bad(xff("::ffff:203.0.113.7")))
        # a hop that is not an address leaves the proxy as the source
        self.assertError(self.bad(xff("203.0.113.7:4711")), 401, "invalid_signature")
        self.assertError(self.bad(xff("unknown")), 401, "invalid_signature")
        self.expectNoSignals()

    def test_an_untrusted_peers_forwarded_for_is_ignored(self):
        self.needs_loopback()
        self.run_server(config=base_config())
        # a fresh X-Forwarded-For each time does not escape the limit
        for i in range(11):
            self.bad(xff("192.0.2.%d" % (i + 1)))
        self.assertRateLimited(self.bad(xff("192.0.2.99")))
        # and another client's address cannot be blocked through it
        self.assertError(self.bad(source="127.0.0.2"), 401, "invalid_signature")
        self.accept_from(headers=xff("192.0.2.1"), unacked=1)


class AckLimitTests(LockoutCase):
    """Hole 5: POST /ack was not limited, so the admin token could be
    guessed at full speed (before: the 12th wrong token was still 401)."""

    def ack(self, token, source=None):
        return exchange_from(self.server, source, build_request(
            "POST", "/ack", [("Authorization", "Bearer %s" % token)], b""))

    def test_wrong_admin_tokens_get_429_while_the_right_one_works(self):
        self.run_server(config=base_config(), admin_token=ADMIN_TOKEN)
        seq = self.accept_from(unacked=1)
        for i in range(11):
            r = self.ack("guess-%06d-admin-token" % i)
            self.assertEqual(r.status, 401, r)
        r = self.ack("guess-999999-admin-token")
        self.assertRateLimited(r)
        r = self.ack(ADMIN_TOKEN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["seq"], seq)
        self.expectSignals([{"kind": "ack", "seq": seq}])
        # and a signed event from the same source is still accepted
        self.accept_from(unacked=1)


class ConnectionExhaustionTests(LockoutCase):
    """Hole 6: connections that never send a byte held every slot for the 30 s
    idle timeout (before: no per-source cap, and still open after 5 s)."""

    def test_silent_connections_are_capped_per_source_and_closed_at_5s(self):
        self.needs_loopback()
        self.run_server(config=base_config())  # max_conn 64: 16 per source
        t0 = time.monotonic()
        silent = [H.Conn(self.server.port) for _ in range(16)]
        try:
            with H.Conn(self.server.port) as extra:
                r = extra.read_response(timeout=5)
                self.assertError(r, 503, "busy", close=True)
                self.assertTrue(extra.wait_closed(3))
            # another source is served meanwhile
            self.accept_from("127.0.0.2", unacked=1)
            # the silent ones are closed, without a response, at about 5 s
            for c in silent:
                self.assertTrue(c.wait_closed(max(0.1, t0 + 8 - time.monotonic())),
                                "a silent connection is still open after 8 s")
            dt = time.monotonic() - t0
            self.assertGreaterEqual(dt, 4.5, "closed after %.2fs, before the 5 s first-byte timeout" % dt)
            self.assertLessEqual(dt, 7.5)
        finally:
            for c in silent:
                c.close()
        # the attacker's address is served again
        self.accept_from(unacked=2)
        m = self.server.metrics()
        self.assertEqual(metric_delta({}, m, "connections_rejected_total", "per_source"), 1)

    def test_a_connection_that_sends_a_byte_in_time_keeps_the_idle_timeout(self):
        self.run_server(config=base_config())
        with H.Conn(self.server.port) as c:
            c.send(b"G")
            self.assertFalse(c.wait_closed(6), "closed within 6 s though a byte arrived")
            c.send(b"ET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)


class TrickleTests(LockoutCase):
    """Hole 7: a client that never reads its answers kept its slot alive by
    trickling a byte every few seconds (before: no timeout while trickling)."""

    REQ_MS = 1500

    def requests_served(self):
        """Requests parsed so far, not counting this probe."""
        return self.server.metrics()["chatbell_requests_total"] - 1

    def test_trickling_without_reading_does_not_keep_the_slot(self):
        self.run_server(config=base_config(request_timeout_ms=self.REQ_MS))
        c = H.Conn(self.server.port, rcvbuf=4096)
        try:
            # Answers pile up unread until the server cannot send more: send
            # batches until one is not all served. Its rest then waits in the
            # server's read-ahead, which still has room for trickled bytes.
            batch = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 20
            sent = self.requests_served()
            for _ in range(500):
                c.send(batch)
                sent += 20
                time.sleep(0.05)
                served = self.requests_served()
                if served < sent:
                    break
            self.assertLess(served, sent, "the server never stopped sending")
            c.send(b"GET /healthz HTTP/1.1\r\nX-Pad: ")
            m0 = self.server.metrics()
            t0 = time.monotonic()
            timed_out = None
            while time.monotonic() - t0 < 3 * self.REQ_MS / 1000 + 2:
                time.sleep(0.3)
                if not c.try_send(b"a"):
                    break
                m = self.server.metrics()
                if metric_delta(m0, m, "connections_timed_out") >= 1:
                    timed_out = time.monotonic() - t0
                    break
            self.assertIsNotNone(timed_out, "the trickling client kept its slot past %d ms" % self.REQ_MS)
            self.assertLessEqual(timed_out, self.REQ_MS / 1000 + 2.5)
        finally:
            c.close()
        self.accept_from(unacked=1)


class SecretTests(LockoutCase):
    """SPEC 3: short secrets stop start-up; rotating client_secret revokes
    issued tokens (before: a 15-character token started the server, and the
    old token was still accepted after the rotation)."""

    def start_fails(self, env, config):
        srv = H.Server(config=config, env=env, secret=None)
        self.addCleanup(srv.cleanup)
        p = subprocess.run(srv.command(), env=srv.environment(), capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")

    def test_startup_refuses_a_15_character_token_admin_token_or_client_secret(self):
        cases = [
            ("token", {"CHATBELL_TOKEN": "x" * 15}, base_config(auth="static")),
            ("admin_token", {"CHATBELL_SECRET": H.SECRET, "CHATBELL_ADMIN_TOKEN": "y" * 15}, base_config()),
            ("client_secret", {"CHATBELL_CLIENT_ID": CLIENT_ID, "CHATBELL_CLIENT_SECRET": "z" * 15},
             base_config(auth="dynamic")),
        ]
        for key, env, cfg in cases:
            with self.subTest(key=key):
                rc, out = self.start_fails(env, cfg)
                self.assertNotEqual(rc, 0, out)
                self.assertIn(key + ":", out)
                self.assertNotIn("listening on", out)
                self.assertNotIn(list(env.values())[-1], out)
                # sixteen characters are enough
                env16 = dict(env)
                last = list(env)[-1]
                env16[last] = env[last] + "1"
                srv = self.run_server(config=cfg, env=env16, secret=None)
                srv.stop()

    def test_rotating_client_secret_revokes_issued_tokens(self):
        data = os.path.join(self.tmp_dir(), "data")
        os.makedirs(data)
        cfg = base_config(auth="dynamic")
        env_a = {"CHATBELL_CLIENT_ID": CLIENT_ID, "CHATBELL_CLIENT_SECRET": CLIENT_SECRET_A}
        srv = self.run_server(config=cfg, env=env_a, secret=None, data_dir=data)
        tok = self.get_token(srv, CLIENT_SECRET_A)
        self.assertEqual(srv.post_event(make_event(), scheme=None, headers=[("Authorization", "Bearer " + tok)]).status, 200)
        srv.stop()
        # same device key (same data dir), new client secret
        env_b = {"CHATBELL_CLIENT_ID": CLIENT_ID, "CHATBELL_CLIENT_SECRET": CLIENT_SECRET_B}
        srv = self.run_server(config=cfg, env=env_b, secret=None, data_dir=data)
        self.server.signals.skip()
        r = srv.post_event(make_event(), scheme=None, headers=[("Authorization", "Bearer " + tok)])
        self.assertError(r, 401, "invalid_token")
        self.expectNoSignals()
        tok_b = self.get_token(srv, CLIENT_SECRET_B)
        self.assertEqual(srv.post_event(make_event(), scheme=None, headers=[("Authorization", "Bearer " + tok_b)]).status, 200)
        srv.stop()

    def tmp_dir(self):
        import tempfile
        import shutil
        d = tempfile.mkdtemp(prefix="chatbell-e2e-rot-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def get_token(self, srv, secret):
        body = json.dumps({"client_id": CLIENT_ID, "client_secret": secret}).encode()
        r = srv.exchange(build_request("POST", "/auth/token", [("Content-Type", "application/json")], body))
        self.assertEqual(r.status, 200, r)
        return r.json()["access_token"]


if __name__ == "__main__":
    H.main()
