#!/usr/bin/env python3
# test_memory.py - memory that follows use (SPEC 8) in the real simulator:
# request bodies come from a shared pool with fewer buffers than connections;
# more clients than buffers sending bodies at once are all answered (the rest
# wait, unread), a waiting body still gets its 408 in time, a head longer than
# a connection's own buffer is served, and /metrics shows the pool's counts.
# The pool's size is read from /metrics, so the same tests run on a board.
# Run by CTest (e2e.memory): test_memory.py --chatbell PATH [--send PATH]

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import ChatbellCase, base_config, make_event, metric_delta, webhook_request  # noqa: E402

REQ_MS = 1500


def split_body(req, n):
    """(head and the body's first n bytes, the rest of the body)."""
    head, _, body = req.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n" + body[:n], body[n:]


class BodyPoolTests(ChatbellCase):
    def test_more_clients_than_body_buffers_are_all_answered(self):
        m0 = self.server.metrics()
        bufs = int(m0["chatbell_body_buffers"])
        # max_conn_per_source holds one address to a quarter of the
        # connections: on loopback each client binds its own 127.0.0.x; a
        # board (tests/board/e2e-settings.json) lets its one host address
        # hold bufs + 1; over lwIP's TAP network there is one address.
        local = H.HOST.startswith("127.") and not H.REMOTE["url"]
        if not local and not H.REMOTE["url"]:
            self.skipTest("needs more client addresses than the TAP network has")
        n = bufs + 8 if local else bufs + 1
        parts = [split_body(webhook_request(make_event()), 10) for _ in range(n)]
        conns = [self.server.conn(timeout=20, source="127.0.0.%d" % (2 + i) if local else None)
                 for i in range(n)]
        try:
            for c, (first, _) in zip(conns, parts):
                c.send(first)
            time.sleep(0.5)  # every body started: bufs hold a buffer, the rest wait
            for c, (_, rest) in zip(conns, parts):
                c.send(rest)
            seqs = [self.assertAccepted(c.read_response(timeout=20)) for c in conns]
        finally:
            for c in conns:
                c.close()
        self.assertEqual(len(set(seqs)), n, "each client its own event: %s" % seqs)
        m1 = self.server.metrics()
        self.assertEqual(m1["chatbell_body_buffers_in_use_max"], bufs,
                         "the pool was not used up by %d bodies at once" % n)
        waits = metric_delta(m0, m1, "chatbell_body_buffer_waits_total")
        self.assertGreaterEqual(waits, 1, "no body waited for a buffer")
        self.assertLessEqual(waits, n - bufs, "more waits than bodies beyond the pool")
        # every buffer back but the one this page is written in
        self.assertEqual(m1["chatbell_body_buffers_in_use"], 1)
        # answered sockets drained in their own slots, none closed for want of one
        self.assertGreaterEqual(m1["chatbell_draining_sockets_max"], 1)
        self.assertEqual(metric_delta(m0, m1, "chatbell_drain_refused_total"), 0)

    def test_head_longer_than_a_connection_buffer_is_served(self):
        pad = ("X-Pad", "p" * 6000)  # within the 8 KiB header limit, past a connection's own
        self.assertAccepted(self.server.post_event(headers=[pad]))
        self.assertEqual(self.server.metrics()["chatbell_body_buffers_in_use"], 1)


class WaitingBodyTimeoutTests(ChatbellCase):
    # one address holds every connection here (max_conn_per_source lifted)
    SERVER_KW = {"config": base_config(request_timeout_ms=REQ_MS, max_conn_per_source=64)}

    def test_body_waiting_for_a_buffer_gets_408_in_time(self):
        bufs = int(self.server.metrics()["chatbell_body_buffers"])
        conns = [self.server.conn(timeout=10) for _ in range(bufs + 1)]
        try:
            t0 = time.monotonic()
            for c in conns:  # all bodies started, none finished: the last one waits
                c.send(split_body(webhook_request(make_event()), 10)[0])
            for c in conns:
                self.assertError(c.read_response(timeout=REQ_MS / 1000 + 4), 408, "timeout", close=True)
            dt = time.monotonic() - t0
            self.assertLessEqual(dt, REQ_MS / 1000 + 2.0, "408s after %.2fs" % dt)
        finally:
            for c in conns:
                c.close()
        m = self.server.metrics()
        self.assertGreaterEqual(m["chatbell_body_buffer_waits_total"], 1)
        self.assertEqual(m["chatbell_body_buffers_in_use"], 1)
        self.expectNoSignals()


if __name__ == "__main__":
    H.main()
