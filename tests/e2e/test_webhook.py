#!/usr/bin/env python3
# test_webhook.py - end-to-end tests of the webhook against the real simulator
# (SPEC 2-6): signatures V1/V3 and rotation, duplicates, the replay window,
# /healthz, /metrics, acknowledgement, restart, configuration, and the same
# done with curl and with instaleap-send. Run by CTest (e2e.webhook):
#   test_webhook.py --chatbell PATH --send PATH [-k NAME] [-v]

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import (ADMIN_TOKEN, OMIT, SECRET, SECRET_NEXT, WEBHOOK, ChatbellCase,  # noqa: E402
                     base_config, build_request, event_body, iso, make_event, message_signals,
                     sig_v1, sig_v3_hex, webhook_request)

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "vectors")


def leading_zero_event():
    """An event with an id whose V1 HMAC starts with a zero digit."""
    while True:
        ev = make_event(id="evt-%d" % time.monotonic_ns(), type="CHAT_MESSAGE")
        if sig_v1(SECRET, ev).startswith("0"):
            return ev


class SignatureTests(ChatbellCase):
    """Accepted events under every signature form (SPEC 3) and their signals (SPEC 4)."""

    SERVER_KW = {"env": {"CHATBELL_SECRET_NEXT": SECRET_NEXT}}

    def test_v3_with_t_is_accepted(self):
        self.accept(make_event(sender="SUP"), scheme="v3")

    def test_v3_bare_hex_signs_created_at_when_no_timestamp_field(self):
        self.accept(make_event(), scheme="v3-bare")

    def test_v3_bare_hex_signs_the_timestamp_field_when_present(self):
        ev = make_event(timestamp=H.iso(offset_s=-5))
        self.assertNotEqual(ev["timestamp"], ev["created_at"])
        self.accept(ev, scheme="v3-bare")

    def test_v3_bare_hex_over_created_at_fails_when_timestamp_field_present(self):
        ev = make_event(timestamp=H.iso(offset_s=-5))
        hexv = sig_v3_hex(SECRET, ev["created_at"], ev)
        self.reject(401, "invalid_signature", request=webhook_request(
            ev, scheme=None, headers=[("InstaLeap-Signature-V3", hexv)]))

    def test_v3_is_checked_when_both_headers_present(self):
        ev = make_event()
        good = H.sign_headers(ev, "v3")
        self.accept(ev, scheme=None, headers=good + [("InstaLeap-Signature", "00" * 32)])

    def test_invalid_v3_is_not_rescued_by_valid_v1(self):
        ev = make_event()
        self.reject(401, "invalid_signature", request=webhook_request(
            ev, scheme="v1", headers=[("InstaLeap-Signature-V3", "t=%s,v3=%s" % (ev["created_at"], "ab" * 32))]))

    def test_next_secret_is_accepted_during_rotation(self):
        self.accept(make_event(), scheme="v3", secret=SECRET_NEXT)
        self.accept(make_event(), scheme="v3-bare", secret=SECRET_NEXT)

    def test_sender_labels_and_patterns_follow_configuration(self):
        self.accept(make_event(sender="SUP"))
        self.accept(make_event(sender="DRV"))

    def test_unknown_sender_code_is_shown_as_itself(self):
        ev = make_event(sender="XYZ")
        before = self.server.healthz()["unacked"]
        seq = self.assertAccepted(self.server.post_event(ev))
        sig = message_signals(seq, ev, before + 1, label="XYZ")
        self.expectSignals(sig)

    def test_json_escapes_are_decoded_in_the_signalled_text(self):
        ev = make_event(notification_message="Hola Jos\u00e9 \U0001F69A \"ok\"\\/\ttab")
        # non-ASCII as \\uXXXX (a surrogate pair for the truck), and "/" as "\\/"
        body = event_body(ev).replace(b"/", b"\\/")
        self.assertIn(b"\\ud83d\\ude9a", body)
        self.accept(ev, body=body)

    def test_raw_utf8_text_is_transliterated_on_the_display(self):
        ev = make_event(notification_message="¿Año? ñandú")
        before = self.server.healthz()["unacked"]
        r = self.server.exchange(webhook_request(ev, body=event_body(ev, ascii_only=False)))
        seq = self.assertAccepted(r)
        got = self.expectSignals(message_signals(seq, ev, before + 1))
        msg = [g for g in got if g["kind"] == "message"][0]
        self.assertEqual(msg["lines"][1].rstrip(), "?Ano? nandu")

    def test_unknown_fields_are_ignored_at_any_depth(self):
        ev = make_event()
        ev["extra"] = {"a": [1, 2.5, {"b": None, "job_id": 7}], "notification_message": False, "t": True}
        ev["zz"] = []
        self.accept(ev)

    def test_client_id_may_be_absent(self):
        ev = make_event(client_id=OMIT)
        self.accept(ev, scheme="v3")

    def test_two_jobs_with_same_created_at_are_both_accepted_under_v3(self):
        ts = iso()
        sa, _ = self.accept(make_event(created_at=ts))
        sb, _ = self.accept(make_event(created_at=ts))  # V3 signs job_id: another event
        self.assertGreater(sb, sa)

    def test_sequence_numbers_increase(self):
        s1, _ = self.accept(make_event())
        s2, _ = self.accept(make_event(), scheme="v3")
        s3, _ = self.accept(make_event(), scheme="v3-bare")
        self.assertLess(s1, s2)
        self.assertLess(s2, s3)

    def test_keep_alive_carries_several_events(self):
        evs = [make_event() for _ in range(3)]
        before = self.server.healthz()["unacked"]
        seqs = []
        with self.server.conn() as c:
            for ev in evs:
                c.send(webhook_request(ev))
                r = c.read_response()
                seqs.append(self.assertAccepted(r))
                self.assertFalse(r.closes)
        want = []
        for i, (seq, ev) in enumerate(zip(seqs, evs)):
            want += message_signals(seq, ev, before + i + 1)
        self.expectSignals(want)


class V1SignatureTests(ChatbellCase):
    """The V1 header (SPEC 3) on a device set to signature_scheme v1. V1 signs
    id&created_at&type only: the duplicate key is that tuple, so a changed job
    or text under one V1 signature is the same event. At most 9 failures here
    so the rate limiter stays out of it."""

    SERVER_KW = {"config": base_config(signature_scheme="v1"),
                 "env": {"CHATBELL_SECRET_NEXT": SECRET_NEXT}}

    @staticmethod
    def v1_event(**kw):
        return make_event(id="v1-%d" % time.time_ns(), type="CHAT_MESSAGE", **kw)

    def test_v1_signed_event_is_accepted_and_signalled(self):
        self.accept(self.v1_event(), scheme="v1")

    def test_v1_without_id_and_type_is_accepted(self):
        self.accept(make_event(created_at=iso(offset_s=-1.5)), scheme="v1")

    def test_v1_next_secret_is_accepted_during_rotation(self):
        self.accept(self.v1_event(), scheme="v1", secret=SECRET_NEXT)

    def test_v1_mode_ignores_the_v3_header(self):
        ev = self.v1_event()
        self.accept(ev, scheme=None, headers=H.sign_headers(ev, "v1") + [
            ("InstaLeap-Signature-V3", "t=%s,v3=%s" % (ev["created_at"], "ab" * 32))])
        self.reject(401, "invalid_signature", self.v1_event(), scheme="v3")

    def test_uppercase_hex_is_accepted(self):
        ev = self.v1_event()
        self.accept(ev, scheme=None, headers=[("InstaLeap-Signature", sig_v1(SECRET, ev).upper())])

    def test_hex_without_leading_zeros_is_accepted(self):
        ev = leading_zero_event()
        short = sig_v1(SECRET, ev).lstrip("0")
        self.assertLess(len(short), 64)
        self.accept(ev, scheme=None, headers=[("InstaLeap-Signature", short)])

    def test_changed_job_under_the_same_v1_signature_is_a_duplicate(self):
        seq, ev = self.accept(self.v1_event(), scheme="v1")
        sig = sig_v1(SECRET, ev)
        forged = dict(ev, job_id=ev["job_id"] + "-B", sender="SUP", notification_message="forged")
        self.assertDuplicate(self.server.exchange(webhook_request(
            forged, scheme=None, headers=[("InstaLeap-Signature", sig)])), seq)
        self.expectNoSignals()

    def test_two_v1_events_without_id_in_one_millisecond_are_one_event(self):
        ts = iso(offset_s=-2.5)
        a = make_event(created_at=ts)
        b = make_event(created_at=ts)
        self.assertEqual(sig_v1(SECRET, a), sig_v1(SECRET, b))  # V1 signs the same string
        seq, _ = self.accept(a, scheme="v1")
        self.assertDuplicate(self.server.post_event(b, scheme="v1"), seq)  # SPEC 3's price
        self.expectNoSignals()

    def test_v1_replay_with_id_and_changed_text_is_duplicate(self):
        seq, ev = self.accept(self.v1_event(), scheme="v1")
        self.assertDuplicate(self.server.post_event(dict(ev, notification_message="x"), scheme="v1"), seq)
        self.expectNoSignals()

    def test_wrong_secret_v1_is_invalid_signature(self):
        self.reject(401, "invalid_signature", self.v1_event(), scheme="v1", secret="not-the-secret")

    def test_tampered_v1_signed_field_is_invalid(self):
        ev = make_event(id="orig-1", type="CHAT_MESSAGE")
        sig = sig_v1(SECRET, ev)
        bad = dict(ev, id="orig-2")
        self.reject(401, "invalid_signature", request=webhook_request(
            bad, scheme=None, headers=[("InstaLeap-Signature", sig)]))

    def test_tampered_created_at_is_invalid(self):
        ev = self.v1_event()
        sig = sig_v1(SECRET, ev)
        bad = dict(ev, created_at=iso(offset_s=-1))
        self.reject(401, "invalid_signature", request=webhook_request(
            bad, scheme=None, headers=[("InstaLeap-Signature", sig)]))

    def test_v1_created_at_two_hours_old_is_stale(self):
        self.reject(400, "stale_event", self.v1_event(created_at=iso(offset_s=-7200)), scheme="v1")

    def test_v1_unreadable_created_at_is_invalid_event(self):
        body = self.reject(400, "invalid_event", self.v1_event(created_at="not a timestamp"), scheme="v1")
        self.assertEqual(body.get("field"), "created_at")


class RejectTests(ChatbellCase):
    """Authentication failures (SPEC 3): 401 with the SPEC's code and no signal.
    At most 9 failures here so the rate limiter (over 10/min) stays out of it."""

    def test_wrong_secret_v3_is_invalid_signature(self):
        self.reject(401, "invalid_signature", make_event(), scheme="v3", secret="not-the-secret")

    def test_no_signature_is_missing_signature(self):
        self.reject(401, "missing_signature", make_event(), scheme=None)

    def test_tampered_v3_job_id_is_invalid(self):
        ev = make_event()
        hdr = H.sign_headers(ev, "v3")
        bad = dict(ev, job_id=ev["job_id"] + "X")
        self.reject(401, "invalid_signature", request=webhook_request(bad, scheme=None, headers=hdr))

    def test_tampered_v3_sender_is_invalid(self):
        ev = make_event()
        hdr = H.sign_headers(ev, "v3")
        bad = dict(ev, sender="SUP")
        self.reject(401, "invalid_signature", request=webhook_request(bad, scheme=None, headers=hdr))

    def test_v3_with_other_t_than_signed_is_invalid(self):
        ev = make_event()
        hexv = sig_v3_hex(SECRET, ev["created_at"], ev)
        self.reject(401, "invalid_signature", request=webhook_request(
            ev, scheme=None, headers=[("InstaLeap-Signature-V3", "t=%s,v3=%s" % (iso(offset_s=-2), hexv))]))

    def test_rejected_requests_leave_health_unchanged(self):
        h = self.server.healthz()
        self.assertEqual(h["unacked"], 0)
        self.assertEqual(h["status"], "ok")


class RateLimitTests(ChatbellCase):
    """SPEC 2: the same source failing auth over 10 times a minute gets 429."""

    def test_eleventh_failure_in_a_minute_is_rate_limited(self):
        for i in range(10):
            r = self.server.post_event(make_event(), secret="wrong")
            self.assertError(r, 401, "invalid_signature")
        r11 = self.server.post_event(make_event(), secret="wrong")
        self.assertIn(r11.status, (401, 429), "11th failure: %r" % r11)
        r = self.server.post_event(make_event(), secret="wrong")
        self.assertError(r, 429, "rate_limited")
        ra = r.header("Retry-After")
        self.assertIsNotNone(ra, "429 without Retry-After")
        self.assertTrue(ra.isdigit() and 0 < int(ra) <= 60, "Retry-After %r" % ra)
        self.expectNoSignals()


class DuplicateTests(ChatbellCase):
    """Duplicates (SPEC 3): identity without the text; no signal for them."""

    def test_identical_repost_is_duplicate_with_same_seq(self):
        seq, ev = self.accept(make_event())
        self.assertDuplicate(self.server.post_event(ev), seq)
        self.expectNoSignals()

    def test_replay_with_changed_text_is_duplicate(self):
        seq, ev = self.accept(make_event())
        ev2 = dict(ev, notification_message="something else entirely")
        self.assertDuplicate(self.server.post_event(ev2), seq)
        self.expectNoSignals()

    def test_v3_replay_with_changed_text_is_duplicate(self):
        seq, ev = self.accept(make_event(), scheme="v3")
        ev2 = dict(ev, notification_message="changed")
        self.assertDuplicate(self.server.post_event(ev2, scheme="v3"), seq)
        self.expectNoSignals()

    def test_retry_on_keep_alive_is_duplicate(self):
        ev = make_event()
        before = self.server.healthz()["unacked"]
        with self.server.conn() as c:
            c.send(webhook_request(ev))
            seq = self.assertAccepted(c.read_response())
            c.send(webhook_request(ev))
            self.assertDuplicate(c.read_response(), seq)
        self.expectSignals(message_signals(seq, ev, before + 1))
        self.assertEqual(self.server.healthz()["unacked"], before + 1)

    def test_same_job_other_created_at_is_new(self):
        seq, ev = self.accept(make_event())
        seq2, _ = self.accept(dict(ev, created_at=iso(offset_s=1)))
        self.assertNotEqual(seq, seq2)

    def test_same_job_other_client_id_is_new_under_v3(self):
        seq, ev = self.accept(make_event(), scheme="v3")
        seq2, _ = self.accept(dict(ev, client_id="other"), scheme="v3")
        self.assertNotEqual(seq, seq2)

    def test_ack_without_admin_token_does_not_exist(self):
        r = self.server.exchange(build_request("POST", "/ack", [("Authorization", "Bearer x")], b""))
        self.assertError(r, 404, "not_found")
        self.expectNoSignals()


class DedupeCapacityTests(ChatbellCase):
    """SPEC 5: the duplicate set remembers at least the last 1,024 events
    (each is acknowledged at once so the unacknowledged list stays small)."""

    SERVER_KW = {"admin_token": ADMIN_TOKEN}

    def test_first_of_1024_events_is_still_a_duplicate(self):
        ack = build_request("POST", "/ack", [("Authorization", "Bearer " + ADMIN_TOKEN)], b"")
        first = None
        seqs = []
        with self.server.conn(timeout=10) as c:
            for i in range(1024):
                ev = make_event(notification_message="n%d" % i)
                if first is None:
                    first = ev
                c.send(webhook_request(ev, scheme="v3") + ack)
                seqs.append(self.assertAccepted(c.read_response()))
                self.assertEqual(c.read_response().status, 200)
        got = self.server.signals.wait(3 * 1024, timeout=30)
        kinds = [g["kind"] for g in got]
        self.assertEqual((kinds.count("message"), kinds.count("buzzer"), kinds.count("ack")), (1024, 1024, 1024))
        self.assertEqual(self.server.healthz()["unacked"], 0)
        self.assertDuplicate(self.server.post_event(dict(first, notification_message="retry"), scheme="v3"), seqs[0])
        self.expectNoSignals()


class TimestampTests(ChatbellCase):
    """Replay window (default +-3600 s) and lenient ISO 8601 (SPEC 1, 2)."""

    def stale(self, created_at, scheme="v3", **kw):
        self.reject(400, "stale_event", make_event(created_at=created_at), scheme=scheme, **kw)

    @staticmethod
    def fmt(offset_s, style):
        t = time.gmtime(time.time() + offset_s)
        base = time.strftime("%Y-%m-%dT%H:%M:%S", t)
        return {"Z": base + "Z", "ms": base + ".123Z", "us": base + ".123456Z",
                "+00:00": base + ".5+00:00", "+0000": base + "+0000"}[style]

    def test_event_two_hours_old_is_stale(self):
        self.stale(iso(offset_s=-7200))

    def test_event_two_hours_ahead_is_stale(self):
        self.stale(iso(offset_s=7200))

    def test_v3_t_two_hours_old_is_stale(self):
        ev = make_event()
        self.reject(400, "stale_event", ev, scheme="v3", ts=iso(offset_s=-7200))

    def test_v3_bare_timestamp_field_two_hours_old_is_stale(self):
        self.reject(400, "stale_event", make_event(timestamp=iso(offset_s=-7200)), scheme="v3-bare")

    def test_all_iso_forms_are_read(self):
        for style in ("Z", "ms", "us", "+00:00", "+0000"):
            with self.subTest(style=style):
                self.stale(self.fmt(-7200, style))
                self.accept(make_event(created_at=self.fmt(-60, style)))

    def test_instaleap_sample_with_one_digit_hour_is_read(self):
        self.stale("2022-01-01T0:00:00+0000")

    def test_within_window_is_accepted(self):
        self.accept(make_event(created_at=iso(offset_s=-3000)))
        self.accept(make_event(created_at=iso(offset_s=3000)))

    def test_unreadable_signed_timestamp_is_invalid_event_naming_the_field(self):
        # SPEC 3: while the window is on, the signed timestamp must be readable
        body = self.reject(400, "invalid_event", make_event(created_at="2026-13-45T99:99:99Z"), scheme="v3")
        self.assertEqual(body.get("field"), "t")
        body = self.reject(400, "invalid_event", make_event(created_at="yesterday"), scheme="v3-bare")
        self.assertEqual(body.get("field"), "created_at")
        body = self.reject(400, "invalid_event", make_event(timestamp="soon"), scheme="v3-bare")
        self.assertEqual(body.get("field"), "timestamp")

    def test_unsigned_unreadable_created_at_does_not_matter_under_v3(self):
        # V3 with a readable timestamp field: created_at is not signed, not checked
        self.accept(make_event(created_at="not a timestamp", timestamp=iso()), scheme="v3-bare")

    def test_timestamp_without_zone_is_read_as_utc(self):
        base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 30))
        self.accept(make_event(created_at=base))
        old = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 7200))
        self.stale(old)


class ReplayWindowOffTests(ChatbellCase):
    """replay_window_s 0 turns the window off (SPEC 2)."""

    SERVER_KW = {"config": base_config(replay_window_s=0)}

    def test_unreadable_timestamp_is_accepted_when_window_is_off(self):
        self.accept(make_event(created_at="not a timestamp"))
        self.accept(make_event(created_at="yesterday"), scheme="v3-bare")

    def test_old_event_is_accepted_when_window_is_off(self):
        self.accept(make_event(created_at=iso(offset_s=-7200)))
        self.accept(make_event(created_at="2021-08-05T00:54:27.918Z"), scheme="v3")
        self.accept(make_event(created_at="2022-01-01T0:00:00+0000"), scheme="v3-bare")
        self.accept(make_event(created_at=iso(offset_s=7200)))


class VectorTests(H.PerTestServerCase):
    """The shared signature vectors (../shared/vectors/signatures.json), each
    against a server whose only secret is the vector's and whose
    signature_scheme is the vector's header (window off: the vectors carry
    fixed dates)."""

    def test_shared_signature_vectors(self):
        path = os.path.join(VECTORS, "signatures.json")
        if not os.path.exists(path):
            self.skipTest("no %s" % path)
        with open(path) as f:
            vectors = json.load(f)
        self.assertGreaterEqual(len(vectors), 10)
        groups = {}
        for v in vectors:
            scheme = "v3" if v["header"] == "InstaLeap-Signature-V3" else "v1"
            groups.setdefault((v["secret"], scheme), []).append(v)
        for (secret, scheme), group in groups.items():
            srv = self.run_server(config=base_config(replay_window_s=0, signature_scheme=scheme),
                                  secret=secret)
            seqs = {}
            for v in group:
                with self.subTest(vector=v["name"]):
                    self.run_vector(v, seqs)
            srv.stop()

    def run_vector(self, v, seqs):
        body = v["body"].encode("utf-8")
        ev = json.loads(v["body"])
        req = build_request("POST", WEBHOOK, [("Content-Type", "application/json"), (v["header"], v["value"])], body)
        r = self.server.exchange(req)
        key = (v["header"], v["signed_string"])  # SPEC 3: the scheme and the signed tuple
        if v["expect"] != "valid":
            self.assertError(r, 401, "invalid_signature")
            self.expectNoSignals()
        elif key in seqs:
            self.assertDuplicate(r, seqs[key])
            self.expectNoSignals()
        else:
            seq = self.assertAccepted(r)
            seqs[key] = seq
            self.expectSignals(message_signals(seq, ev))


class HealthMetricsTests(ChatbellCase):
    """/healthz and /metrics (SPEC 2)."""

    def test_healthz_shape(self):
        r = self.server.get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"))
        h = r.json()
        self.assertEqual(h["status"], "ok")
        self.assertIsInstance(h["uptime_s"], int)
        self.assertGreaterEqual(h["uptime_s"], 0)
        self.assertIsInstance(h["unacked"], int)

    def test_metrics_is_prometheus_text(self):
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"), r.header("Content-Type"))
        m = H.parse_metrics(r.body.decode("utf-8"))
        self.assertTrue(m["__types__"], "no # TYPE lines")
        self.assertTrue(H.metric_samples(m, "unacked"), "no unacked gauge")

    def delta_ok(self, before, after, want, *words, exclude=("conn",)):
        d = {}
        for k, v in after.items():
            if k == "__types__" or any(x in k.lower() for x in exclude):
                continue
            if all(w.lower() in k.lower() for w in words):
                d[k] = v - before.get(k, 0.0)
        self.assertTrue(d, "no metric sample mentions %s" % (words,))
        self.assertIn(want, d.values(), "no sample mentioning %s changed by %s: %s" % (words, want, d))
        for k, v in d.items():
            self.assertIn(v, (0.0, float(want)), "sample %s changed by %s, want 0 or %s" % (k, v, want))

    def test_counters_move_by_the_right_amount(self):
        m0 = self.server.metrics()
        h0 = self.server.healthz()
        s1, ev1 = self.accept(make_event())
        self.accept(make_event(), scheme="v3")
        self.assertDuplicate(self.server.post_event(ev1), s1)
        self.assertDuplicate(self.server.post_event(ev1), s1)
        self.assertDuplicate(self.server.post_event(ev1), s1)
        self.reject(401, "invalid_signature", make_event(), secret="nope")
        self.reject(401, "missing_signature", make_event(), scheme=None)
        self.reject(401, "missing_signature", make_event(), scheme=None)
        self.assertError(self.server.get("/nowhere"), 404, "not_found")
        m1 = self.server.metrics()
        self.delta_ok(m0, m1, 2, "accepted")
        self.delta_ok(m0, m1, 3, "duplicate")
        self.delta_ok(m0, m1, 1, "invalid_signature")
        self.delta_ok(m0, m1, 2, "missing_signature")
        unacked = H.metric_samples(m1, "unacked")
        self.assertIn(float(h0["unacked"] + 2), unacked.values(), unacked)
        conns = {k: m1[k] - m0.get(k, 0.0) for k in H.metric_samples(m1, "conn")}
        self.assertTrue(conns, "no connections metric")
        self.assertTrue(any(v >= 10 for v in conns.values()), "connection counters moved by %s" % conns)

    def test_unacked_counts_every_stored_message_beyond_the_shown_64(self):
        h0 = self.server.healthz()["unacked"]
        n = 70
        with self.server.conn() as c:
            for _ in range(n):
                c.send(webhook_request(make_event()))
                self.assertAccepted(c.read_response())
        got = self.server.signals.wait(2 * n, timeout=10)
        self.assertEqual(sum(1 for g in got if g["kind"] == "message"), n)
        self.assertEqual(sum(1 for g in got if g["kind"] == "buzzer"), n)
        self.assertEqual(self.server.healthz()["unacked"], h0 + n)
        m = self.server.metrics()
        self.assertIn(float(h0 + n), H.metric_samples(m, "unacked").values())


class AckTests(ChatbellCase):
    """The button (stdin "ack") and POST /ack with the admin token (SPEC 2, 4)."""

    SERVER_KW = {"admin_token": ADMIN_TOKEN}

    def ack_req(self, token=ADMIN_TOKEN, body=b"", scheme="Bearer"):
        hs = []
        if token is not None:
            hs.append(("Authorization", "%s %s" % (scheme, token)))
        if body:
            hs.append(("Content-Type", "application/json"))
        return build_request("POST", "/ack", hs, body)

    def test_button_and_post_ack_acknowledge_oldest_then_chosen(self):
        base = self.server.healthz()["unacked"]
        self.assertEqual(base, 0)
        a, _ = self.accept(make_event())
        b, _ = self.accept(make_event())
        c, _ = self.accept(make_event())
        d, _ = self.accept(make_event())
        self.assertEqual(self.server.healthz()["unacked"], 4)
        # the button: oldest first
        self.server.press_button()
        self.expectSignals([{"kind": "ack", "seq": a}])
        self.assertEqual(self.server.healthz()["unacked"], 3)
        # POST /ack with {"seq":N}: that one
        r = self.server.exchange(self.ack_req(body=json.dumps({"seq": c}).encode()))
        self.assertEqual(r.status, 200, r)
        self.expectSignals([{"kind": "ack", "seq": c}])
        self.assertEqual(self.server.healthz()["unacked"], 2)
        # POST /ack without a body: the oldest left
        r = self.server.exchange(self.ack_req())
        self.assertEqual(r.status, 200, r)
        self.expectSignals([{"kind": "ack", "seq": b}])
        self.server.press_button()
        self.expectSignals([{"kind": "ack", "seq": d}])
        self.assertEqual(self.server.healthz()["unacked"], 0)

    def test_message_line_counts_unacked(self):
        self.server.signals.skip()
        n0 = self.server.healthz()["unacked"]
        self.accept(make_event())
        self.accept(make_event())  # accept() checks the count n0+1, n0+2 in line 1
        for _ in range(2):
            self.server.press_button()
        self.server.signals.wait(2)
        self.assertEqual(self.server.healthz()["unacked"], n0)

    def test_ack_without_token_is_refused(self):
        self.accept(make_event())
        n = self.server.healthz()["unacked"]
        r = self.server.exchange(self.ack_req(token=None))
        self.assertError(r, 401, "missing_token")
        r = self.server.exchange(self.ack_req(token="wrong-admin-token"))
        self.assertError(r, 401, "invalid_token")
        r = self.server.exchange(self.ack_req(token=ADMIN_TOKEN, scheme="Basic"))
        self.assertEqual(r.status, 401, r)
        self.expectNoSignals()
        self.assertEqual(self.server.healthz()["unacked"], n)
        self.server.press_button()
        self.server.signals.wait(1)

    def test_get_ack_is_method_not_allowed(self):
        r = self.server.get("/ack")
        body = self.assertError(r, 405, "method_not_allowed")
        self.assertIn("POST", r.header("Allow") or "")
        self.assertTrue(body)


class RestartTests(ChatbellCase):
    """SPEC 5: unacknowledged messages and the duplicate set survive a restart."""

    def test_restart_restores_unacked_and_remembers_duplicates(self):
        s1, ev1 = self.accept(make_event())
        s2, ev2 = self.accept(make_event(), scheme="v3")
        self.server.press_button()
        self.expectSignals([{"kind": "ack", "seq": s1}])
        self.server.restart()
        got = self.server.signals.wait(1, timeout=5, settle=0.5)
        restores = [g for g in got if g["kind"] == "restore"]
        self.assertEqual([g["seq"] for g in restores], [s2], "restore lines: %s" % got)
        for g in got:
            H.check_signal_shape(g)
            self.assertIn(g["kind"], ("restore", "buzzer"), "unexpected line after restart: %s" % g)
        h = self.server.healthz()
        self.assertEqual(h["unacked"], 1)
        self.assertDuplicate(self.server.post_event(ev1), s1)
        self.assertDuplicate(self.server.post_event(dict(ev2, notification_message="again"), scheme="v3"), s2)
        self.expectNoSignals()
        s3, _ = self.accept(make_event())
        self.assertGreater(s3, s2)


class DurabilityTests(ChatbellCase):
    """SPEC 5 with fsync on: a 2xx means stored; a kill -9 right after the
    answers loses nothing, and a torn journal tail is ignored on start."""

    SERVER_KW = {"fsync": "on"}

    def restored_after(self, seqs):
        got = self.server.signals.wait(len(seqs), timeout=5, settle=0.5)
        for g in got:
            H.check_signal_shape(g)
            self.assertIn(g["kind"], ("restore", "buzzer"), "unexpected line after restart: %s" % g)
        self.assertEqual(sorted(g["seq"] for g in got if g["kind"] == "restore"), sorted(seqs), got)

    def test_kill_9_after_2xx_loses_nothing(self):
        evs = [make_event() for _ in range(6)]
        seqs = [self.accept(ev)[0] for ev in evs[:3]]
        with self.server.conn() as c:  # three more pipelined in one write
            c.send(b"".join(webhook_request(ev, scheme="v3") for ev in evs[3:]))
            seqs += [self.assertAccepted(c.read_response()) for _ in evs[3:]]
        self.server.signals.wait(6)
        unacked = self.server.healthz()["unacked"]
        self.server.kill()  # SIGKILL: no clean shutdown
        self.server.start()
        self.restored_after(seqs)
        self.assertEqual(self.server.healthz()["unacked"], unacked)
        for i, (seq, ev) in enumerate(zip(seqs, evs)):  # either V3 form: same key
            self.assertDuplicate(self.server.post_event(ev, scheme="v3" if i < 3 else "v3-bare"), seq)
        self.expectNoSignals()
        # acknowledge them all so the next test starts empty
        for _ in seqs:
            self.server.press_button()
        got = self.server.signals.wait(len(seqs))
        self.assertEqual(sorted(g["seq"] for g in got if g["kind"] == "ack"), sorted(seqs))

    def test_torn_journal_tail_is_ignored_on_start(self):
        seq, ev = self.accept(make_event())
        self.server.kill()
        files = [os.path.join(self.server.data_dir, f) for f in os.listdir(self.server.data_dir)]
        files = [f for f in files if os.path.isfile(f) and os.path.getsize(f) > 0]
        journals = [f for f in files if "journal" in os.path.basename(f).lower()] or files
        self.assertTrue(journals, "nothing in the data dir after an accepted event")
        for f in journals:
            with open(f, "ab") as fh:
                fh.write(b"\x5a\x00\x00\x10torn-tail-garbage" + os.urandom(23))
        self.server.start()
        self.restored_after([seq])
        self.assertDuplicate(self.server.post_event(ev), seq)
        self.accept(make_event())


class ConfigTests(H.PerTestServerCase):
    """Configuration (SPEC 6): a server started per test."""

    def test_four_by_twenty_display(self):
        srv = self.run_server(config=base_config(display={"rows": 4, "cols": 20}))
        ev = make_event(notification_message="A rather long message that will not fit on one line")
        seq = self.assertAccepted(srv.post_event(ev))
        self.expectSignals(message_signals(seq, ev, 1, rows=4, cols=20))
        ev = make_event(notification_message="short one")
        seq = self.assertAccepted(srv.post_event(ev))
        self.expectSignals(message_signals(seq, ev, 2, rows=4, cols=20))
        srv.stop()

    def test_custom_webhook_path_and_body_limit(self):
        srv = self.run_server(config=base_config(webhook_path="/hooks/chat", body_limit=1024))
        ev = make_event()
        seq = self.assertAccepted(srv.exchange(webhook_request(ev, target="/hooks/chat")))
        self.expectSignals(message_signals(seq, ev, 1))
        self.assertError(srv.exchange(webhook_request(make_event(), target=WEBHOOK)), 404, "not_found")
        big = make_event(notification_message="x" * 1100)
        r = srv.exchange(webhook_request(big, target="/hooks/chat"))
        self.assertError(r, 413, "body_too_large", close=True)
        self.expectNoSignals()
        srv.stop()

    def test_secret_from_config_file(self):
        srv = self.run_server(config=base_config(secret="cfg-file-secret-1234"), secret=None)
        self.assertAccepted(srv.post_event(make_event(), secret="cfg-file-secret-1234"))
        self.assertError(srv.post_event(make_event(), secret=SECRET), 401, "invalid_signature")
        srv.stop()

    def test_environment_secret_wins_over_nothing_and_next_from_env(self):
        srv = self.run_server(config=base_config(), env={"CHATBELL_SECRET_NEXT": SECRET_NEXT})
        self.assertAccepted(srv.post_event(make_event(), secret=SECRET))
        self.assertAccepted(srv.post_event(make_event(), secret=SECRET_NEXT, scheme="v3"))
        srv.stop()

    def test_demo_secret_when_nothing_configured(self):
        srv = self.run_server(config=None, secret=None)
        text = "\n".join(srv.stdout_lines + srv.stderr_lines).lower()
        self.assertIn("demo", text, "banner does not name the demo secret")
        self.assertAccepted(srv.post_event(make_event(), secret="chatbell-demo-secret"))
        srv.signals.wait(2)
        # SPEC 6: the banner gives a command that sends a signed test message
        cmdline = [ln for ln in srv.stdout_lines + srv.stderr_lines if "--secret" in ln and "--url" in ln]
        self.assertTrue(cmdline, "banner has no send command")
        args = shlex.split(cmdline[0].strip())
        if H.BINS["send"]:
            args[0] = H.BINS["send"]
        p = subprocess.run(args, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, (args, p.stdout, p.stderr))
        self.assertTrue(p.stdout.startswith(b"200 "), p.stdout)
        got = srv.signals.wait(2)
        self.assertEqual([g["kind"] for g in got].count("message"), 1, got)
        srv.stop()

    def test_bad_configuration_stops_start_up_naming_the_key(self):
        srv = H.Server(config=base_config(display={"rows": 3, "cols": 16}))
        self.addCleanup(srv.cleanup)
        proc = subprocess.run(srv.command(), env=srv.environment(), capture_output=True, timeout=10,
                              stdin=subprocess.DEVNULL)
        self.assertNotEqual(proc.returncode, 0)
        out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        self.assertIn("display.rows", out)
        self.assertNotIn("listening on", out)
        for mark in H.SANITIZER_MARKS:
            self.assertNotIn(mark, out)


def curl_available():
    return shutil.which("curl") is not None


@unittest.skipUnless(curl_available(), "curl not installed")
class CurlTests(ChatbellCase):
    """The same as an integrator would do it with curl."""

    def curl(self, *args, body=None):
        cmd = ["curl", "-sS", "-i", "--max-time", "10"] + self.server.client_args("curl") + list(args)
        p = subprocess.run(cmd, input=body, capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        raw = p.stdout
        # skip interim responses
        while raw.startswith(b"HTTP/1.1 100"):
            raw = raw.split(b"\r\n\r\n", 1)[1]
        head, _, payload = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        self.server.received.append(raw)
        return status, head.decode("latin-1"), payload

    def curl_event(self, ev, scheme="v3", secret=SECRET, extra=()):
        body = event_body(ev)
        args = ["-X", "POST", "-H", "Content-Type: application/json"]
        for k, v in H.sign_headers(ev, scheme, secret):
            args += ["-H", "%s: %s" % (k, v)]
        for h in extra:
            args += ["-H", h]
        args += ["--data-binary", "@-", self.server.url + WEBHOOK]
        return self.curl(*args, body=body)

    def test_curl_v3_then_duplicate(self):
        ev = make_event()
        st, _, body = self.curl_event(ev)
        self.assertEqual(st, 200, body)
        j = json.loads(body)
        self.assertEqual(j["status"], "accepted")
        self.expectSignals(message_signals(j["seq"], ev))
        st, _, body = self.curl_event(ev)
        self.assertEqual((st, json.loads(body)), (200, {"status": "duplicate", "seq": j["seq"]}))
        self.expectNoSignals()

    def test_curl_v3_bare(self):
        ev = make_event(sender="SUP")
        st, _, body = self.curl_event(ev, scheme="v3-bare")
        self.assertEqual(st, 200, body)
        self.expectSignals(message_signals(json.loads(body)["seq"], ev))

    def test_curl_chunked_upload(self):
        ev = make_event()
        st, _, body = self.curl_event(ev, extra=["Transfer-Encoding: chunked"])
        self.assertEqual(st, 200, body)
        self.expectSignals(message_signals(json.loads(body)["seq"], ev))

    def test_curl_without_signature(self):
        st, _, body = self.curl_event(make_event(), scheme=None)
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body)["error"], "missing_signature")
        self.expectNoSignals()

    def test_curl_healthz_and_metrics(self):
        st, _, body = self.curl(self.server.url + "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body)["status"], "ok")
        st, head, body = self.curl(self.server.url + "/metrics")
        self.assertEqual(st, 200)
        H.parse_metrics(body.decode())

    def test_curl_ack_refused_without_admin_token(self):
        st, _, body = self.curl("-X", "POST", "--data-binary", "", self.server.url + "/ack")
        self.assertEqual(st, 404, body)


class SenderMixin:
    """Runs instaleap-send against the class's server."""

    def setUp(self):
        super().setUp()
        if not H.BINS["send"]:
            self.skipTest("no --send binary given")

    def send(self, *args, ok=True):
        cmd = [H.BINS["send"], "--url", self.server.url + WEBHOOK] + self.server.client_args("send") + list(args)
        p = subprocess.run(cmd, capture_output=True, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        self.server.received.append(p.stdout + p.stderr)
        if ok:
            self.assertEqual(p.returncode, 0, "instaleap-send %s: rc %d out %r err %r" % (args, p.returncode, out, p.stderr))
        else:
            self.assertNotEqual(p.returncode, 0, "instaleap-send %s should fail: %r" % (args, out))
        return out

    def parse(self, out):
        line = [ln for ln in out.splitlines() if ln.strip()][-1]
        st, _, body = line.partition(" ")
        return int(st), json.loads(body)

    def send_form(self, sig):
        job = "SEND-%s-%d" % (sig, time.time_ns())
        out = self.send("--secret", SECRET, "--sig", sig, "--text", "Hola desde %s" % sig,
                        "--job-id", job, "--sender", "SUP", "--client-id", "acme")
        st, body = self.parse(out)
        self.assertEqual(st, 200)
        self.assertEqual(body["status"], "accepted")
        ev = {"sender": "SUP", "job_id": job, "client_id": "acme", "notification_message": "Hola desde %s" % sig}
        self.expectSignals(message_signals(body["seq"], ev))


class SenderTests(SenderMixin, ChatbellCase):
    """instaleap-send against the simulator (SPEC 7)."""

    SERVER_KW = {"env": {"CHATBELL_SECRET_NEXT": SECRET_NEXT}}

    def test_send_each_v3_signature_form(self):
        for sig in ("v3", "v3-bare", "both"):
            with self.subTest(sig=sig):
                self.send_form(sig)

    def test_send_with_next_secret(self):
        out = self.send("--secret", SECRET_NEXT, "--sig", "v3", "--text", "rotated")
        st, body = self.parse(out)
        self.assertEqual((st, body["status"]), (200, "accepted"))
        self.server.signals.wait(2)

    def test_send_wrong_secret_fails(self):
        out = self.send("--secret", "wrong-secret", "--text", "nope", ok=False)
        st, body = self.parse(out)
        self.assertEqual(st, 401)
        self.assertEqual(body["error"], "invalid_signature")
        self.expectNoSignals()

    def test_send_replay_file(self):
        evs = [make_event(notification_message="replayed %d" % i) for i in range(3)]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for ev in evs:
                f.write(json.dumps(ev) + "\n")
        self.addCleanup(os.unlink, f.name)
        out = self.send("--secret", SECRET, "--sig", "v3", "--replay", f.name)
        got = self.server.signals.wait(6, timeout=10)
        msgs = [g for g in got if g["kind"] == "message"]
        self.assertEqual(sorted(g["job_id"] for g in msgs), sorted(ev["job_id"] for ev in evs), out)
        self.assertEqual(sorted(g["text"] for g in msgs), sorted(ev["notification_message"] for ev in evs))
        # again: all duplicates, no signal
        self.send("--secret", SECRET, "--sig", "v3", "--replay", f.name)
        self.expectNoSignals()

    def test_send_load(self):
        n0 = self.server.healthz()["unacked"]
        out = self.send("--secret", SECRET, "--load", "200", "--conns", "4")
        self.assertRegex(out, r"requests: 200\s+seconds: [0-9.]+\s+rps: [0-9.]+")
        self.assertRegex(out, r"status 200: 200\b")
        got = self.server.signals.wait(400, timeout=20)
        msgs = [g for g in got if g["kind"] == "message"]
        self.assertEqual(len(msgs), self.server.healthz()["unacked"] - n0)
        self.assertEqual(len(got), 2 * len(msgs))


class SenderV1Tests(SenderMixin, ChatbellCase):
    """instaleap-send's V1 header against a device set to signature_scheme v1
    (SPEC 7: V1-only, V3-only and both headers can be sent)."""

    SERVER_KW = {"config": base_config(signature_scheme="v1")}

    def test_send_v1_and_both(self):
        self.send_form("v1")
        self.send_form("both")  # v1 mode checks the V1 header of the two

    def test_send_same_id_twice_is_duplicate(self):
        ts = iso()
        args = ["--secret", SECRET, "--sig", "v1", "--id", "send-dup-%d" % time.time_ns(), "--type", "CHAT_MESSAGE",
                "--created-at", ts, "--job-id", "J-DUP", "--text", "first"]
        st, b1 = self.parse(self.send(*args))
        self.assertEqual(b1["status"], "accepted")
        self.server.signals.wait(2)
        args[-1] = "second"
        st, b2 = self.parse(self.send(*args))
        self.assertEqual(b2, {"status": "duplicate", "seq": b1["seq"]})
        self.expectNoSignals()


if __name__ == "__main__":
    H.main()
