#!/usr/bin/env python3
# test_timeouts.py - time-driven behaviour of the real simulator (SPEC 2, 4):
# request timeout (408 then close) for slow heads and bodies, silent close of
# idle keep-alive connections, slow clients not delaying a normal sender, the
# connection cap (503 busy) and reminders. Timeouts are set small via config.
# Run by CTest (e2e.timeouts): test_timeouts.py --chatbell PATH [--send PATH]

import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import (WEBHOOK, ChatbellCase, HTTPError, base_config, build_request, make_event,  # noqa: E402
                     message_signals, webhook_request)

REQ_MS, IDLE_MS = 1500, 2000


def partial_head():
    return b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" % WEBHOOK.encode()


class RequestTimeoutTests(ChatbellCase):
    SERVER_KW = {"config": base_config(request_timeout_ms=REQ_MS, idle_timeout_ms=IDLE_MS)}

    def assert408(self, c, t0, lo=REQ_MS / 1000 - 0.3, hi=REQ_MS / 1000 + 2.0):
        r = c.read_response(timeout=hi + 2)
        dt = time.monotonic() - t0
        self.assertError(r, 408, "timeout", close=True)
        self.assertTrue(c.wait_closed(3), "not closed after 408")
        self.assertGreaterEqual(dt, lo, "408 after %.2fs, before the %d ms timeout" % (dt, REQ_MS))
        self.assertLessEqual(dt, hi, "408 after %.2fs for a %d ms timeout" % (dt, REQ_MS))

    def test_slow_head_gets_408_then_close(self):
        with self.server.conn(timeout=10) as c:
            t0 = time.monotonic()
            c.send(partial_head())
            self.assert408(c, t0)
        self.expectNoSignals()

    def test_slow_body_gets_408_then_close(self):
        ev = make_event()
        data = webhook_request(ev)
        head, _, body = data.partition(b"\r\n\r\n")
        with self.server.conn(timeout=10) as c:
            t0 = time.monotonic()
            c.send(head + b"\r\n\r\n" + body[:10])
            self.assert408(c, t0)
        self.expectNoSignals()

    def test_trickled_head_does_not_extend_the_timeout(self):
        data = partial_head() + b"X-Slow: " + b"s" * 200
        with self.server.conn(timeout=10) as c:
            t0 = time.monotonic()
            got = None
            for i in range(len(data)):
                if not c.try_send(data[i:i + 1]):
                    break
                try:
                    got = c.read_response(timeout=0.2)
                    break
                except socket.timeout:
                    continue
                except HTTPError:
                    break
            dt = time.monotonic() - t0
            self.assertIsNotNone(got, "no answer while trickling %.1fs" % dt)
            self.assertError(got, 408, "timeout", close=True)
            self.assertLessEqual(dt, REQ_MS / 1000 + 1.5, "408 only after %.2fs of trickling" % dt)

    def test_idle_keep_alive_is_closed_without_a_response(self):
        with self.server.conn(timeout=10) as c:
            c.send(build_request("GET", "/healthz"))
            self.assertEqual(c.read_response().status, 200)
            t0 = time.monotonic()
            self.assertTrue(c.wait_closed(IDLE_MS / 1000 + 3), "idle connection not closed")
            dt = time.monotonic() - t0
        self.assertGreaterEqual(dt, IDLE_MS / 1000 - 0.3, "closed after %.2fs, before the idle timeout" % dt)

    def test_fresh_connection_without_bytes_is_closed(self):
        # SPEC is silent on a connection that never sends: assumed closed by the
        # idle (or request) timeout, silently or with a 408.
        with self.server.conn(timeout=10) as c:
            t0 = time.monotonic()
            data = c.read_until_close(timeout=max(REQ_MS, IDLE_MS) / 1000 + 3)
            dt = time.monotonic() - t0
        self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 408"), data[:100])
        self.assertGreaterEqual(dt, min(REQ_MS, IDLE_MS) / 1000 - 0.3)

    def test_request_timer_restarts_for_each_keep_alive_request(self):
        with self.server.conn(timeout=10) as c:
            t0 = time.monotonic()
            n = 0
            while time.monotonic() - t0 < 2 * REQ_MS / 1000 + 0.5:
                c.send(build_request("GET", "/healthz"))
                self.assertEqual(c.read_response().status, 200)
                n += 1
                time.sleep(0.6)
            self.assertGreaterEqual(n, 4)

    def test_event_sent_in_two_halves_within_the_timeout_is_accepted(self):
        ev = make_event()
        data = webhook_request(ev)
        with self.server.conn(timeout=10) as c:
            c.send(data[:40])
            time.sleep(REQ_MS / 1000 * 0.6)
            c.send(data[40:])
            seq = self.assertAccepted(c.read_response())
        self.expectSignals(message_signals(seq, ev))


class SlowClientTests(ChatbellCase):
    """20 connections trickling a byte every 200 ms do not delay a sender
    (all from one address: max_conn_per_source is lifted to max_conn, the
    per-source cap has tests of its own in test_lockout.py)."""

    SERVER_KW = {"config": base_config(request_timeout_ms=8000, idle_timeout_ms=8000,
                                       max_conn_per_source=64)}

    def test_slow_clients_do_not_delay_a_normal_sender(self):
        stop = threading.Event()
        errors = []
        conns = [self.server.conn(timeout=10) for _ in range(20)]
        data = partial_head() + b"X-Slow: " + b"s" * 1000

        def trickle(c):
            try:
                for i in range(len(data)):
                    if stop.is_set():
                        return
                    c.send(data[i:i + 1])
                    time.sleep(0.2)
            except OSError as e:
                errors.append(e)

        threads = [threading.Thread(target=trickle, args=(c,), daemon=True) for c in conns]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            lat = []
            evs = []
            seqs = []
            for _ in range(10):
                ev = make_event()
                t0 = time.monotonic()
                r = self.server.post_event(ev)
                lat.append(time.monotonic() - t0)
                seqs.append(self.assertAccepted(r))
                evs.append(ev)
                time.sleep(0.1)
            want = []
            for s, ev in zip(seqs, evs):
                want += message_signals(s, ev)
            self.expectSignals(want)
            self.assertFalse(errors, "a slow client was cut off early: %r" % errors)
            sys.stdout.write("       sender latency with 20 slow clients: max %.0f ms, mean %.0f ms\n" % (
                1000 * max(lat), 1000 * sum(lat) / len(lat)))
            self.assertLess(max(lat), 0.5, "a normal sender waited %.2fs behind slow clients" % max(lat))
        finally:
            stop.set()
            for t in threads:
                t.join(2)
            for c in conns:
                c.close()


class MaxConnTests(ChatbellCase):
    """max_conn 4: the fifth connection gets 503 busy and is closed (all from
    one address, so max_conn_per_source is set to max_conn)."""

    SERVER_KW = {"config": base_config(max_conn=4, max_conn_per_source=4, request_timeout_ms=REQ_MS,
                                       idle_timeout_ms=IDLE_MS)}

    def setUp(self):
        super().setUp()
        # let the server see the previous test's connections close: a slot is
        # free only once it has read their EOF
        time.sleep(0.3)

    def test_excess_connection_gets_503_then_service_resumes(self):
        held = [self.server.conn(timeout=10) for _ in range(4)]
        try:
            for c in held:
                c.send(partial_head())
            time.sleep(0.2)
            t0 = time.monotonic()
            with self.server.conn(timeout=5) as extra:
                r = extra.read_response()
                self.assertError(r, 503, "busy")
                self.assertTrue(extra.wait_closed(3), "busy connection not closed")
            # the held ones time out (408) and free their slots
            for c in held:
                r = c.read_response(timeout=REQ_MS / 1000 + 3)
                self.assertError(r, 408, "timeout", close=True)
                c.wait_closed(3)
            self.assertLess(time.monotonic() - t0, REQ_MS / 1000 + 3)
        finally:
            for c in held:
                c.close()
        time.sleep(0.2)
        self.accept(make_event())
        # the cap itself: four at once are fine (once the server saw the
        # earlier connections close)
        time.sleep(0.3)
        conns = [self.server.conn() for _ in range(4)]
        try:
            for c in conns:
                c.send(build_request("GET", "/healthz"))
            for c in conns:
                self.assertEqual(c.read_response().status, 200)
        finally:
            for c in conns:
                c.close()

    def test_idle_connections_count_until_closed(self):
        held = [self.server.conn(timeout=10) for _ in range(4)]
        try:
            time.sleep(0.2)
            with self.server.conn(timeout=5) as extra:
                self.assertError(extra.read_response(), 503, "busy")
            for c in held:
                c.close()
            time.sleep(0.3)
            self.assertEqual(self.server.get("/healthz").status, 200)
        finally:
            for c in held:
                c.close()


class ReminderTests(ChatbellCase):
    """SPEC 4: the buzzer repeats every reminder_s while anything is unacked."""

    SERVER_KW = {"config": base_config(reminder_s=1)}

    def test_reminders_repeat_until_acknowledged(self):
        seq, ev = self.accept(make_event(sender="SUP"))
        got = self.server.signals.wait(3, timeout=4, settle=0)
        buz = [g for g in got if g["kind"] == "buzzer"]
        self.assertEqual(len(buz), len(got), "only buzzer lines expected: %s" % got)
        self.assertGreaterEqual(len(buz), 2, "no reminders within 4s at reminder_s 1: %s" % got)
        for b in buz:
            self.assertEqual(b["seq"], seq)
            self.assertEqual(b["pattern"], H.SENDERS["SUP"]["pattern"])
        self.server.press_button()
        got = self.server.signals.wait(1, timeout=3, settle=0.3)
        kinds = [g["kind"] for g in got]
        self.assertIn({"kind": "ack", "seq": seq}, got)
        after = got[kinds.index("ack") + 1:] + self.server.signals.wait(0, timeout=0, settle=2.5)
        self.assertEqual(after, [], "signals after the ack (reminders must stop): %s" % after)

if __name__ == "__main__":
    H.main()
