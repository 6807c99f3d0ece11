#!/usr/bin/env python3
# test_forgery.py - end-to-end tests of the forgery holes of issue 11, each
# driven against the real simulator over TCP exactly as the attack goes
# (SPEC 3): a V3 signature re-split as V1, unsigned fields added to a captured
# request to make "new" events, and a captured request downgraded to V1.
# After each attack the forged texts are in no signal-log line, and a
# correctly signed event from the same source is still accepted.
#   test_forgery.py --chatbell PATH --send PATH [-k NAME] [-v]

import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import (SECRET, base_config, build_request, iso, make_event, sig_v1,  # noqa: E402
                     sig_v3_hex)

CT = ("Content-Type", "application/json")


def raw_post(body, headers):
    """A webhook POST of body (dict or bytes) with exactly these headers."""
    if isinstance(body, dict):
        body = json.dumps(body, separators=(",", ":")).encode()
    return build_request("POST", H.WEBHOOK, [CT] + list(headers), body)


class ForgeryTests(H.PerTestServerCase):
    """Each test starts its own device (auto scheme, window on) and attacks it."""

    def start(self, **config):
        return self.run_server(config=base_config(**config))

    def assertNoForgedText(self, texts):
        lines = self.server.signals.lines()
        for ln in lines:
            for t in texts:
                self.assertNotIn(t, json.dumps(ln, ensure_ascii=False), "forged text signalled: %s" % ln)

    def genuine_still_accepted(self):
        self.accept(make_event(notification_message="genuine after the attack"))

    # hole 1: one captured V3 request, re-split at '&' into V1 fields
    def test_v3_signature_replayed_as_v1_forges_nothing(self):
        self.start()
        ev = make_event(sender="SUP", job_id="JOB-REAL")
        ts = ev["created_at"]
        seq, _ = self.accept(ev, scheme="v3")  # the genuine delivery, captured
        hexv = sig_v3_hex(SECRET, ts, ev)
        # V3 signed ts&acme&SUP&JOB-REAL; as V1 that is id&created_at&type with
        # id = "ts&acme", created_at = "SUP", type = "JOB-REAL"
        texts = ["pay to 666 #%d" % i for i in range(5)]
        for i, text in enumerate(texts):
            forged = {"id": "%s&acme" % ts, "created_at": "SUP", "type": "JOB-REAL",
                      "client_id": "evil", "sender": "SH", "job_id": "JOB-FORGED-%d" % i,
                      "notification_message": text}
            self.assertEqual(hexv, sig_v1(SECRET, forged))  # the same HMAC verifies
            self.reject(401, "invalid_signature", request=raw_post(forged, [("InstaLeap-Signature", hexv)]))
        self.assertNoForgedText(texts)
        self.assertEqual(self.server.healthz()["unacked"], 1)
        self.genuine_still_accepted()

    # hole 2: a captured request replayed with unsigned fields added or changed
    def test_v3_replay_with_added_unsigned_fields_is_a_duplicate(self):
        self.start()
        ev = make_event(job_id="JOB-REAL-2")
        seq, _ = self.accept(ev, scheme="v3")
        hdrs = H.sign_headers(ev, "v3")  # the captured header
        texts = []
        for i in range(5):
            text = "replayed text %d" % i
            texts.append(text)
            variants = [dict(ev, id="x%d" % i, notification_message=text),
                        dict(ev, created_at=iso(offset_s=-i - 1), notification_message=text),
                        dict(ev, type="T%d" % i, notification_message=text),
                        dict(ev, id="", notification_message=text)]
            for v in variants:
                self.assertDuplicate(self.server.exchange(raw_post(v, hdrs)), seq)
        self.expectNoSignals()
        self.assertNoForgedText(texts)
        self.assertEqual(self.server.healthz()["unacked"], 1)
        self.genuine_still_accepted()

    def test_v1_replay_with_added_or_emptied_unsigned_fields_is_a_duplicate(self):
        self.start()  # auto: V1 is taken while no V3 event was ever stored
        ev = make_event()  # the chat payload: no id, no type
        seq, _ = self.accept(ev, scheme="v1")
        hdrs = H.sign_headers(ev, "v1")
        texts = ["v1 replay %d" % i for i in range(4)]
        variants = [dict(ev, timestamp=iso(), notification_message=texts[0]),
                    dict(ev, id="", notification_message=texts[1]),  # "" signs as absent
                    dict(ev, type="", job_id="JOB-OTHER", notification_message=texts[2]),
                    dict(ev, sender="SUP", client_id="evil", notification_message=texts[3])]
        for v in variants:
            self.assertDuplicate(self.server.exchange(raw_post(v, hdrs)), seq)
        self.expectNoSignals()
        self.assertNoForgedText(texts)
        self.genuine_still_accepted()

    # hole 3: stripping V3 from a captured request leaves V1
    def test_downgrade_to_v1_after_v3_is_refused_and_remembered(self):
        self.start()
        ev = make_event(job_id="JOB-BOTH")
        both = H.sign_headers(ev, "v3") + H.sign_headers(ev, "v1")
        r = self.server.exchange(raw_post(ev, both))  # the sender signs both
        seq = self.assertAccepted(r)
        self.server.signals.wait(2)
        v1_only = H.sign_headers(ev, "v1")
        texts = ["downgraded %d" % i for i in range(3)]
        for i, text in enumerate(texts):
            forged = dict(ev, job_id="JOB-ANY-%d" % i, sender="SUP", notification_message=text)
            self.reject(401, "invalid_signature", request=raw_post(forged, v1_only))
        # remembered across a restart
        self.server.stop()
        self.server.start()
        self.server.signals.wait(1)  # the restore line of the waiting message
        forged = dict(ev, job_id="JOB-AFTER-RESTART", notification_message="after restart")
        self.reject(401, "invalid_signature", request=raw_post(forged, v1_only))
        self.assertNoForgedText(texts + ["after restart"])
        self.assertDuplicate(self.server.exchange(raw_post(ev, both)), seq)
        self.genuine_still_accepted()

    def test_v1_only_sender_keeps_working_in_auto_until_v3_is_seen(self):
        self.start()
        for _ in range(3):
            self.accept(make_event(id="evt-%d" % time.time_ns(), type="CHAT_MESSAGE"), scheme="v1")
        self.accept(make_event(), scheme="v3")
        self.reject(401, "invalid_signature", make_event(id="late", type="CHAT_MESSAGE"), scheme="v1")

    def test_scheme_v3_refuses_v1_from_the_start(self):
        self.start(signature_scheme="v3")
        self.reject(401, "invalid_signature", make_event(notification_message="v1 forged"), scheme="v1")
        self.reject(401, "missing_signature", make_event(), scheme=None)
        self.assertNoForgedText(["v1 forged"])
        self.genuine_still_accepted()

    def test_scheme_v1_checks_v1_only(self):
        self.start(signature_scheme="v1")
        ev = make_event(id="only-v1", type="CHAT_MESSAGE")
        self.reject(401, "invalid_signature", ev, scheme="v3")
        self.accept(ev, scheme="v1")

    def test_ampersand_in_a_signed_field_is_refused(self):
        self.start()
        ev = make_event(id="evt&1", type="CHAT_MESSAGE", notification_message="amp id")
        self.reject(401, "invalid_signature", ev, scheme="v1")
        ev = make_event(client_id="ac&me", notification_message="amp client")
        self.reject(401, "invalid_signature", ev, scheme="v3")
        self.assertNoForgedText(["amp id", "amp client"])
        # '&' where nothing is signed is fine
        self.accept(make_event(notification_message="fish & chips"))

    def test_unreadable_created_at_no_longer_skips_the_window(self):
        self.start()
        ev = make_event(created_at="SUP", notification_message="unreadable")
        body = self.reject(400, "invalid_event", ev, scheme="v1")
        self.assertEqual(body.get("field"), "created_at")
        self.assertNoForgedText(["unreadable"])
        self.genuine_still_accepted()


if __name__ == "__main__":
    H.main()
