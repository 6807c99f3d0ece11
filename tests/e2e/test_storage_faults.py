#!/usr/bin/env python3
# test_storage_faults.py - storage that fails under the real simulator (SPEC 2
# 503 storage_unavailable, SPEC 5): ENOSPC and EIO injected with the test hook
# CHATBELL_FAULT_STORE, a journal full of unacknowledged messages, read-only
# journal files and data dir, a flipped byte in a record or a slot header.
# Never a 2xx for an event not stored, no message line for it, the process
# stays up and says "degraded", and a later start has every event that got
# 200 (but the one record a flipped byte damaged). Run by CTest (e2e.storage_faults):
#   test_storage_faults.py --chatbell PATH --send PATH --journal PATH [-k NAME] [-v]

import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import test_crash as C  # noqa: E402  (chatbell-journal helpers)
from harness import ChatbellCase, base_config, make_event, webhook_request  # noqa: E402

NOBODY = 65534
FRESH_APPENDS = 3  # a fresh journal's own appends (header, commit) count for the hook,
# and the device key's, written with the first event (the duplicate keys' secret)
# (the V3-seen flag of SPEC 3 auto rides in the first V3 event's write: a loop
# turn's records are written with one append)


def can_drop_to_nobody():
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


class NobodyServer(H.Server):
    """chatbell run as uid/gid 65534 (root ignores file permissions): the
    command goes through setpriv, and its temp dir is handed to that user."""

    def __init__(self, **kw):
        super().__init__(**kw)
        for root, dirs, files in os.walk(self.tmp):
            for n in dirs + files:
                os.chown(os.path.join(root, n), NOBODY, NOBODY)
        os.chown(self.tmp, NOBODY, NOBODY)

    def command(self):
        cmd = super().command()
        path = os.path.join(self.tmp, "config.json")
        if os.path.exists(path):
            os.chown(path, NOBODY, NOBODY)
        return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"] + cmd


class StorageCase(ChatbellCase):
    """Helpers; each test starts its own servers."""

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()

    def start(self, **kw):
        kw.setdefault("config", base_config())
        kw.setdefault("fsync", "on")
        cls = kw.pop("cls", H.Server)
        srv = cls(**kw)
        self.servers.append(srv)
        self.server = srv  # what ChatbellCase's helpers talk to
        return srv.start()

    def signals_after(self, srv, settle=0.3):
        return srv.signals.wait(0, timeout=0, settle=settle)

    def assertDegraded(self, srv):
        self.assertTrue(srv.alive(), "chatbell exited: %s" % "\n".join(srv.stderr_lines[-20:]))
        h = srv.healthz()
        self.assertEqual(h.get("status"), "degraded", h)
        self.assertTrue(isinstance(h.get("reason"), str) and h["reason"].strip(), "no reason in %r" % h)
        return h

    def assertStorage503(self, resp):
        body = self.assertError(resp, 503, "storage_unavailable")
        self.assertNotIn("seq", body)

    def post(self, srv, evs):
        """Posts each event on one keep-alive connection; the responses."""
        out = []
        with srv.conn() as c:
            for ev in evs:
                c.send(webhook_request(ev))
                out.append(c.read_response())
        return out

    def journal(self, srv):
        return C.read_journal(srv.data_dir)

    # ---- injected faults

    def run_fault(self, kind, ok_before):
        """CHATBELL_FAULT_STORE=<kind>:N with room for ok_before events: those
        get 200, every later one 503 and no signal; a later start without the
        hook has exactly the 200'd ones, and takes the others then."""
        hook = "%s:%d" % (kind, FRESH_APPENDS + ok_before)
        srv = self.start(env={"CHATBELL_FAULT_STORE": hook})
        good = [make_event() for _ in range(ok_before)]
        bad = [make_event() for _ in range(6)]
        seqs = []
        for r in self.post(srv, good):
            seqs.append(self.assertAccepted(r))
        got = self.signals_after(srv)
        self.assertEqual(sorted(ln["seq"] for ln in got if ln["kind"] == "message"), seqs)
        m0 = srv.metrics()
        for r in self.post(srv, bad):
            self.assertStorage503(r)
        # a stored event sent again is still a duplicate (memory, no write)
        if good:
            self.assertDuplicate(self.post(srv, good[:1])[0], seqs[0])
        self.assertEqual([ln for ln in self.signals_after(srv) if ln["kind"] == "message"], [],
                         "a message line for an event answered 503")
        h = self.assertDegraded(srv)
        self.assertEqual(h.get("unacked"), ok_before)
        m1 = srv.metrics()
        self.assertEqual(H.metric_delta(m0, m1, "events_total", "storage_unavailable"), len(bad))
        self.assertGreaterEqual(H.metric_delta(m0, m1, "storage_errors"), 1)
        self.assertEqual(H.metric_delta(m0, m1, "events_total", "accepted"), 0)
        errno_txt = {"enospc": "errno 28", "eio": "errno 5"}[kind]
        self.assertTrue(any(errno_txt in ln for ln in srv.stderr_lines), "no log line with %s" % errno_txt)
        srv.stop()  # SIGTERM: exit 0, no sanitizer report

        evs = C.events_of(self.journal(srv))
        self.assertEqual(sorted((r["seq"], r["job_id"]) for r in evs),
                         sorted(zip(seqs, (e["job_id"] for e in good))))
        srv2 = self.start(data_dir=srv.data_dir)
        restored = [ln["seq"] for ln in srv2.signals.lines() if ln["kind"] == "restore"]
        self.assertEqual(sorted(restored), seqs)
        self.assertEqual(srv2.healthz()["status"], "ok")
        for r, s in zip(self.post(srv2, good), seqs):
            self.assertDuplicate(r, s)
        new = [self.assertAccepted(r) for r in self.post(srv2, bad)]
        self.assertEqual(len(set(new) | set(seqs)), len(new) + len(seqs), "a seq given twice")
        msgs = [ln for ln in self.signals_after(srv2) if ln["kind"] == "message"]
        self.assertEqual(sorted(ln["seq"] for ln in msgs), sorted(new))
        srv2.stop()

    def test_enospc_on_the_first_event_gives_503_and_nothing_stored(self):
        self.run_fault("enospc", 0)

    def test_enospc_after_some_events_keeps_every_accepted_one(self):
        self.run_fault("enospc", 5)

    def test_eio_after_some_events_keeps_every_accepted_one(self):
        self.run_fault("eio", 3)

    def test_ack_that_cannot_be_stored_is_shown_again_after_restart(self):
        # SPEC 5 / cb_ledger: an ack whose record fails holds until a restart,
        # then the message is shown again ("shown twice beats lost")
        srv = self.start(env={"CHATBELL_FAULT_STORE": "enospc:%d" % (FRESH_APPENDS + 2)})
        seqs = [self.assertAccepted(r) for r in self.post(srv, [make_event(), make_event()])]
        self.assertStorage503(self.post(srv, [make_event()])[0])
        self.signals_after(srv)
        srv.press_button()
        acks = [ln for ln in srv.signals.wait(1, timeout=5) if ln["kind"] == "ack"]
        self.assertEqual([a["seq"] for a in acks], seqs[:1])
        self.assertEqual(srv.healthz()["unacked"], 1)
        srv.stop()
        srv2 = self.start(data_dir=srv.data_dir)
        self.assertEqual(sorted(ln["seq"] for ln in srv2.signals.lines() if ln["kind"] == "restore"), seqs)
        srv2.stop()

    # ---- a journal full of unacknowledged messages

    def test_full_journal_gives_503_until_acks_make_room(self):
        # The smallest budget: each slot holds 4x it; with nothing
        # acknowledged, compaction cannot free anything and appends fail.
        srv = self.start(config=base_config(journal_budget=40000), fsync="off")
        accepted, refused = {}, []
        with srv.conn() as c:
            for _ in range(4000):
                ev = make_event(notification_message="x" * 300)
                c.send(webhook_request(ev))
                r = c.read_response()
                if r.status == 200:
                    self.assertFalse(refused, "200 after a 503 with nothing acknowledged: %r" % r.body)
                    accepted[ev["job_id"]] = self.assertAccepted(r)
                else:
                    self.assertStorage503(r)
                    refused.append(ev)
                    if len(refused) == 5:
                        break
        self.assertEqual(len(refused), 5, "the journal never filled")
        lines = srv.signals.wait(0, timeout=0, settle=0.5)
        msg_seqs = sorted(ln["seq"] for ln in lines if ln["kind"] == "message")
        self.assertEqual(msg_seqs, sorted(accepted.values()), "message lines differ from the 200 answers")
        self.assertDegraded(srv)
        self.assertGreater(len(srv.get("/metrics").body), 0)
        srv.metrics()
        # acknowledge everything: an ack whose record finds no room holds in
        # RAM only (cb_ledger_ack); a restart before anything compacts shows
        # those messages again, and loses nothing
        n = len(accepted)
        srv.proc.stdin.write(b"ack\n" * n)
        srv.proc.stdin.flush()
        deadline = time.monotonic() + 20
        while srv.healthz()["unacked"] and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(srv.healthz()["unacked"], 0)
        srv.stop()
        recs = self.journal(srv)
        stored = {r["seq"] for r in C.events_of(recs)}
        self.assertFalse(stored - set(accepted.values()), "an event stored that got no 200")
        srv2 = self.start(config=base_config(journal_budget=40000), fsync="off", data_dir=srv.data_dir)
        restored = {ln["seq"] for ln in srv2.signals.lines() if ln["kind"] == "restore"}
        self.assertEqual(restored, C.unacked_of(recs))
        if restored:
            print("       note: %d of %d acks given while the journal was full were not stored; "
                  "shown again after the restart" % (len(restored), n), flush=True)
        # acknowledge those again; then the refused events find room
        srv2.proc.stdin.write(b"ack\n" * len(restored))
        srv2.proc.stdin.flush()
        while srv2.healthz()["unacked"] and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(srv2.healthz()["unacked"], 0)
        later = {}
        for ev, r in zip(refused, self.post(srv2, refused)):
            later[ev["job_id"]] = self.assertAccepted(r)
        self.assertEqual(srv2.healthz()["status"], "ok")
        srv2.stop()
        recs = self.journal(srv2)
        self.assertEqual(C.unacked_of(recs), set(later.values()))
        # acknowledged events may still stand in the journal (with their ack)
        # until the next compaction; what waits is exactly the later ones
        waiting = C.unacked_of(recs)
        self.assertEqual({(r["seq"], r["job_id"]) for r in C.events_of(recs) if r["seq"] in waiting},
                         {(s, j) for j, s in later.items()})

    # ---- damage: one flipped byte costs one record (SPEC 5)

    @staticmethod
    def record_offsets(path):
        """(offset, type, length) of each record of a slot file, framed as
        cb_journal.c writes them (0xCB, type, len u32, payload, crc u32)."""
        with open(path, "rb") as f:
            data = f.read()
        out, off = [], 0
        while off + 10 <= len(data) and data[off] == 0xCB:
            n = int.from_bytes(data[off + 2:off + 6], "little")
            out.append((off, data[off + 1], n + 10))
            off += n + 10
        return out

    def test_one_flipped_byte_in_the_middle_costs_that_record_only(self):
        srv = self.start()
        evs = [make_event() for _ in range(5)]
        seqs = [self.assertAccepted(r) for r in self.post(srv, evs)]
        srv.stop()
        d = srv.data_dir
        path = os.path.join(d, "journal-a.log")
        recs = [r for r in self.record_offsets(path) if r[1] == 1]  # event records
        self.assertEqual(len(recs), 5)
        off, _, n = recs[2]  # the third event, in the middle
        with open(path, "r+b") as f:
            f.seek(off + n // 2)
            b = f.read(1)
            f.seek(off + n // 2)
            f.write(bytes([b[0] ^ 0x10]))
        with open(path, "rb") as f:
            damaged = f.read()
        # the inspection tool reads the damaged dir without changing it, and
        # says where the damage is
        before = C.dir_digest(d)
        p = subprocess.run([C.journal_tool(), d], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=dict(os.environ, CHATBELL_LOG="warn"), timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
        self.assertEqual([r["seq"] for r in C.events_of(lines)], seqs[:2] + seqs[3:])
        skipped = [r for r in lines if r["type"] == "skipped"]
        self.assertEqual([(r["slot"], r["offset"], r["bytes"]) for r in skipped], [("A", off, n)])
        self.assertEqual(C.dir_digest(d), before, "chatbell-journal changed the data dir")

        srv2 = self.start(data_dir=d)
        restored = sorted(ln["seq"] for ln in srv2.signals.lines() if ln["kind"] == "restore")
        self.assertEqual(restored, seqs[:2] + seqs[3:])
        h = self.assertDegraded(srv2)
        self.assertIn("damaged", h["reason"])
        self.assertEqual((h["journal_skipped_bytes"], h["journal_slots_set_aside"]), (n, 1))
        self.assertEqual(h["unacked"], 4)
        log = "\n".join(srv2.stderr_lines)
        self.assertIn("%d damaged bytes at offset %d skipped" % (n, off), log)
        m = srv2.metrics()
        self.assertEqual(list(H.metric_samples(m, "journal_skipped_bytes").values()), [n])
        # set aside, never erased: the damaged file is kept byte for byte
        aside = [x for x in os.listdir(d) if x.startswith("journal-a.log.corrupt-")]
        self.assertEqual(len(aside), 1, os.listdir(d))
        with open(os.path.join(d, aside[0]), "rb") as f:
            self.assertEqual(f.read(), damaged)
        # the device goes on: the others are duplicates, the lost one is new
        for r, s in zip(self.post(srv2, evs[:2] + evs[3:]), seqs[:2] + seqs[3:]):
            self.assertDuplicate(r, s)
        again = self.assertAccepted(self.post(srv2, evs[2:3])[0])
        self.assertGreater(again, max(seqs))
        srv2.stop()
        recs = C.read_journal(d)  # clean now; lists the file set aside
        self.assertEqual(sorted(r["seq"] for r in C.events_of(recs)), sorted(seqs[:2] + seqs[3:] + [again]))
        self.assertEqual([r["file"] for r in recs if r["type"] == "set_aside"], aside)
        srv3 = self.start(data_dir=d)
        self.assertEqual(srv3.healthz()["status"], "ok")
        srv3.stop()

    def test_flipped_header_byte_keeps_every_record_and_the_device_key(self):
        srv = self.start()
        seqs = [self.assertAccepted(r) for r in self.post(srv, [make_event() for _ in range(3)])]
        srv.stop()
        path = os.path.join(srv.data_dir, "journal-a.log")
        with open(path, "r+b") as f:
            f.seek(7)  # inside the header's "CBJ1"
            b = f.read(1)
            f.seek(7)
            f.write(bytes([b[0] ^ 0x01]))
        srv2 = self.start(data_dir=srv.data_dir)
        restored = sorted(ln["seq"] for ln in srv2.signals.lines() if ln["kind"] == "restore")
        self.assertEqual(restored, seqs)
        self.assertIn("damaged", self.assertDegraded(srv2)["reason"])
        self.assertEqual(len([x for x in os.listdir(srv.data_dir) if ".corrupt-" in x]), 1)
        srv2.stop()

    # ---- read-only storage

    def read_only_server(self):
        """A data dir holding three stored, unacknowledged events; as root the
        servers run as nobody, who owns it."""
        if os.geteuid() == 0 and not can_drop_to_nobody():
            self.skipTest("running as root (which ignores permissions) without setpriv to drop them")
        cls = NobodyServer if os.geteuid() == 0 else H.Server
        srv = self.start(cls=cls)
        seqs = [self.assertAccepted(r) for r in self.post(srv, [make_event() for _ in range(3)])]
        srv.stop()
        return cls, srv, seqs

    def test_read_only_data_dir_refuses_to_start_and_changes_nothing(self):
        cls, srv, seqs = self.read_only_server()
        d = srv.data_dir
        for n in os.listdir(d):
            os.chmod(os.path.join(d, n), 0o400)
        os.chmod(d, 0o500)
        try:
            before = C.dir_digest(d)
            ro = cls(config=base_config(), data_dir=d, fsync="on")
            self.servers.append(ro)
            p = subprocess.run(ro.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=ro.environment(), cwd=ro.tmp, timeout=10)
            err = p.stderr.decode("utf-8", "replace").strip().splitlines()
            self.assertEqual(p.returncode, 2, err)
            self.assertEqual(len(err), 1, err)
            self.assertIn("data-dir", err[0])
            self.assertEqual(C.dir_digest(d), before, "a refused start changed the data dir")
        finally:
            os.chmod(d, 0o700)
            for n in os.listdir(d):
                os.chmod(os.path.join(d, n), 0o600)
        srv2 = self.start(cls=cls, data_dir=d)
        self.assertEqual(sorted(ln["seq"] for ln in srv2.signals.lines() if ln["kind"] == "restore"), seqs)
        srv2.stop()

    def test_read_only_journal_files_serve_degraded_and_lose_nothing(self):
        cls, srv, seqs = self.read_only_server()
        d = srv.data_dir
        for n in os.listdir(d):
            os.chmod(os.path.join(d, n), 0o400)
        try:
            before = C.dir_digest(d)
            ro = self.start(cls=cls, data_dir=d)
            evs = [make_event() for _ in range(3)]
            for r in self.post(ro, evs):
                self.assertStorage503(r)
            self.assertEqual([ln for ln in self.signals_after(ro) if ln["kind"] == "message"], [])
            self.assertDegraded(ro)
            ro.metrics()
            ro.stop()
            self.assertEqual(C.dir_digest(d), before, "chatbell changed read-only journal files")
        finally:
            for n in os.listdir(d):
                os.chmod(os.path.join(d, n), 0o600)
        srv2 = self.start(cls=cls, data_dir=d)
        self.assertEqual(sorted(ln["seq"] for ln in srv2.signals.lines() if ln["kind"] == "restore"), seqs)
        for r in self.post(srv2, evs):
            self.assertAccepted(r)
        srv2.stop()


if __name__ == "__main__":
    if "--journal" in sys.argv:
        i = sys.argv.index("--journal")
        C.JOURNAL_TOOL = os.path.abspath(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    H.main()
