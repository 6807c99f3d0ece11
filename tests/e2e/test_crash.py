#!/usr/bin/env python3
# test_crash.py - "nothing accepted is lost" (SPEC 5) end to end: rounds of
# load against the real simulator on one data dir, each ended by kill -9 at a
# random moment (or in the middle of a compaction), then restart; the journal
# is read back with tools/chatbell-journal after every kill. Run by CTest
# (e2e.crash):
#   test_crash.py --chatbell PATH --send PATH --journal PATH [-k NAME] [-v] [--keep]
# CRASH_SEED=N repeats a run's random choices (the seed is printed).

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import base_config, build_request, webhook_request  # noqa: E402

SLOTS = ("journal-a.log", "journal-b.log")
DEDUPE_MARGIN = 950  # resend as "must be duplicate" only events this close to the newest seq (memory: 1,024)
SEED = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
TEXTS = ["hola %d", "llegó tu pedido %d ñ", "say \"hi\" %d \\ done", "línea 1\nlínea 2 %d",
         "emoji \U0001f69a %d", "%d"]


# ---------------------------------------------------------------- chatbell-journal

JOURNAL_TOOL = None


def journal_tool():
    if JOURNAL_TOOL:
        return JOURNAL_TOOL
    if os.environ.get("CB_JOURNAL_TOOL"):
        return os.environ["CB_JOURNAL_TOOL"]
    # the build tree's layout: port/posix/chatbell -> tools/chatbell-journal/
    guess = os.path.join(os.path.dirname(H.BINS["chatbell"] or "."), "..", "..", "tools",
                         "chatbell-journal", "chatbell-journal")
    return os.path.abspath(guess)


def read_journal(data_dir):
    """Every record of the journal in data_dir, as chatbell-journal prints them."""
    p = subprocess.run([journal_tool(), data_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, CHATBELL_LOG="warn"), timeout=60)
    if p.returncode != 0:
        raise AssertionError("chatbell-journal %s exited %d: %s" % (data_dir, p.returncode,
                                                                   p.stderr.decode("utf-8", "replace")))
    return [json.loads(ln) for ln in p.stdout.decode("utf-8").splitlines()]


def events_of(records):
    return [r for r in records if r["type"] == "event"]


def unacked_of(records):
    """Seqs of the journal's events without an ack record: what a start restores."""
    acked = {r["seq"] for r in records if r["type"] == "ack"}
    return {r["seq"] for r in events_of(records)} - acked


def dir_digest(path):
    out = {}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        st = os.stat(full)
        with open(full, "rb") as f:
            out[name] = (hashlib.sha256(f.read()).hexdigest(), st.st_size, st.st_mtime_ns, st.st_mode)
    return out


def slot_sizes(data_dir):
    sizes = []
    for name in SLOTS:
        try:
            sizes.append(os.stat(os.path.join(data_dir, name)).st_size)
        except FileNotFoundError:
            sizes.append(0)
    return sizes


def slot_state(path):
    """(generation, committed) of a slot file, walked as cb_journal.c frames
    records (0xCB, type, len u32, payload, crc u32); None without a header."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    off, gen, committed = 0, None, False
    while off + 10 <= len(data) and data[off] == 0xCB:
        typ, n = data[off + 1], int.from_bytes(data[off + 2:off + 6], "little")
        end = off + 6 + n + 4
        if end > len(data) or zlib.crc32(data[off + 1:off + 6 + n]) != int.from_bytes(data[end - 4:end], "little"):
            break
        if typ == 0xF0 and gen is None:
            gen = int.from_bytes(data[off + 10:off + 14], "little")
        elif typ == 0xF1:
            committed = True
        off = end
    return None if gen is None else (gen, committed)


def compaction_phase(data_dir):
    """Where a kill left a compaction: None (none under way), 'copying' (the
    new slot has no commit yet) or 'committed' (old slot not erased yet)."""
    st = [slot_state(os.path.join(data_dir, n)) for n in SLOTS]
    sizes = slot_sizes(data_dir)
    if not (sizes[0] and sizes[1]):
        return None
    if st[0] and st[1] and st[0][1] and st[1][1]:
        return "committed"
    return "copying"


# ---------------------------------------------------------------- one crash run

class CrashRun:
    """Rounds of load + kill -9 on one data dir, and what every side saw:
    the answers the client got, each round's signal log, the journal after
    each kill. verify() checks SPEC 5 over all of it."""

    def __init__(self, name, config, conns=8, rate=1000.0, ack_ratio=0.1, resend=0.08):
        self.name = name
        self.rng = random.Random("%s-%d" % (name, SEED))
        self.base = tempfile.mkdtemp(prefix="chatbell-crash-%s-" % name)
        self.data_dir = os.path.join(self.base, "data")
        self.config = config
        self.conns = conns
        self.rate = rate
        self.ack_ratio = ack_ratio
        self.resend = resend
        self.servers = []      # one per start; servers[i].signals is start i's signal log
        self.snapshots = []    # journal records right after each kill
        self.answers = []      # (round, job, why, status, body-dict or None)
        self.events = {}       # job -> event dict as sent
        self.no_answer = {}    # job -> round, for events that got no complete answer
        self.anomalies = []    # connection errors while the server was meant to be up, etc.
        self.kills = []        # (round, kill_ms, sizes after the kill, during a compaction, phase)
        self.max_seq = 0       # newest seq known (answers, journals)
        self.ev_counter = 0
        self.presses = 0
        self.torn = 0
        self.torn_rounds = []  # rounds whose journal got a torn tail (no compaction under way)
        self.targeted = 0
        self._lock = threading.Lock()

    # ---- events

    def new_event(self):
        self.ev_counter += 1
        n = self.ev_counter
        ev = H.make_event(job_id="CR-%s-%05d" % (self.name, n),
                          notification_message=self.rng.choice(TEXTS) % n,
                          sender=self.rng.choice(["SH", "SUP", "DRV"]))
        if n % 7 == 0:
            del ev["client_id"]
        self.events[ev["job_id"]] = ev
        return ev

    @staticmethod
    def scheme(job):
        # both V3 forms (V1 does not sign job_id: these events would collide)
        return "v3" if int(job.rsplit("-", 1)[1]) % 2 else "v3-bare"

    def resend_pick(self, round_no, used):
        """An earlier event to send again: (job, why) or None. 'dup' ones got
        a 2xx and are recent enough to be remembered (must be duplicate with
        the same seq); 'lost' ones got no answer (accepted or duplicate)."""
        floor = self.max_seq - DEDUPE_MARGIN
        if self.rng.random() < 0.6:
            cands = [j for j, s in self.accepted_seq().items() if s > floor and j not in used]
            why = "dup"
        else:
            cands = [j for j, r in self.no_answer.items() if r == round_no - 1 and j not in used]
            why = "lost"
        if not cands:
            return None
        return self.rng.choice(cands), why

    def accepted_seq(self):
        """job -> seq of every event answered 'accepted' so far."""
        out = {}
        for _, job, _, status, body in self.answers:
            if status == 200 and body and body.get("status") == "accepted":
                out.setdefault(job, body["seq"])
        return out

    # ---- a round

    def start(self):
        srv = H.Server(config=self.config, data_dir=self.data_dir, fsync="on")
        srv.start()
        self.servers.append(srv)
        return srv

    def round(self, round_no, kill="random"):
        """Starts chatbell, loads it, kills it (-9) 100-800 ms in ('random'), or
        as soon as a compaction is under way ('compaction', with a 3 s
        deadline as fallback), or at random and then tears the journal's last
        write as a power cut would ('torn': part of a record appended); then
        reads the journal back."""
        srv = self.start()
        stop = threading.Event()
        killing = threading.Event()
        results = []
        accepted_now = [0]
        restored = len([s for s in srv.signals.lines() if s.get("kind") == "restore"])
        used = set()
        pace = {"next": time.monotonic()}

        def next_item():
            with self._lock:
                if stop.is_set():
                    return None
                now = time.monotonic()
                pace["next"] = max(pace["next"] + 1.0 / self.rate, now - 0.05)
                wait = pace["next"] - now
                item = None
                if round_no > 0 and self.rng.random() < self.resend:
                    item = self.resend_pick(round_no, used)
                    if item:
                        used.add(item[0])
                        item = (self.events[item[0]], item[1])
                if item is None:
                    item = (self.new_event(), "new")
            if wait > 0:
                time.sleep(wait)
            return item

        def sender():
            conn = None
            while True:
                item = next_item()
                if item is None:
                    break
                ev, why = item
                try:
                    if conn is None:
                        conn = H.Conn(srv.port, None, timeout=5.0)
                    conn.send(webhook_request(ev, scheme=self.scheme(ev["job_id"])))
                    resp = conn.read_response()
                except (OSError, H.HTTPError) as e:
                    results.append((ev, why, None))
                    if conn:
                        conn.close()
                    conn = None
                    if killing.is_set():
                        break
                    self.anomalies.append("round %d: connection error while chatbell was up: %r" % (round_no, e))
                    continue
                results.append((ev, why, resp))
                if resp.status == 200:
                    try:
                        body = resp.json()
                    except ValueError:
                        body = {}
                    if body.get("status") == "accepted":
                        with self._lock:
                            accepted_now[0] += 1
                            self.max_seq = max(self.max_seq, body.get("seq", 0))
                if resp.closes:
                    conn.close()
                    conn = None
            if conn:
                conn.close()

        def acker():
            pressed = 0
            backlog = restored if self.ack_ratio >= 1 else 0
            while not stop.is_set():
                time.sleep(0.02)
                want = int(accepted_now[0] * self.ack_ratio) + backlog
                if self.ack_ratio < 1 and self.rng.random() < 0.3:
                    want += 1  # now and then one more (may ack a restored one)
                    backlog += 1
                n = want - pressed
                if n <= 0:
                    continue
                try:
                    srv.proc.stdin.write(b"ack\n" * n)
                    srv.proc.stdin.flush()
                except (BrokenPipeError, OSError, ValueError):
                    break
                pressed += n
            self.presses += pressed

        threads = [threading.Thread(target=sender, daemon=True) for _ in range(self.conns)]
        threads.append(threading.Thread(target=acker, daemon=True))
        t0 = time.monotonic()
        for t in threads:
            t.start()
        deadline = t0 + self.rng.uniform(0.1, 0.8)
        if kill == "compaction":
            deadline = t0 + 3.0
            a = os.path.join(self.data_dir, SLOTS[0])
            b = os.path.join(self.data_dir, SLOTS[1])
            while time.monotonic() < deadline:
                try:
                    if os.stat(a).st_size and os.stat(b).st_size:
                        # every other one a little later: the flushes, the
                        # switch, the erase (a compaction takes ~1-3 ms here)
                        self.targeted += 1
                        if self.targeted % 2 == 0:
                            time.sleep(self.rng.uniform(0.0005, 0.003))
                        break
                except FileNotFoundError:
                    pass
        else:
            time.sleep(max(0.0, deadline - time.monotonic()))
        if srv.proc.poll() is not None:
            self.anomalies.append("round %d: chatbell died by itself (exit %s) before the kill; stderr:\n%s"
                                  % (round_no, srv.proc.returncode, "\n".join(srv.stderr_lines[-30:])))
        killing.set()
        stop.set()
        srv.kill()
        kill_ms = (time.monotonic() - t0) * 1000
        for t in threads:
            t.join(10)
        sizes = slot_sizes(self.data_dir)
        phase = compaction_phase(self.data_dir)
        self.kills.append((round_no, kill_ms, sizes, phase is not None, phase))
        if kill == "torn":
            active = SLOTS[0] if sizes[0] >= sizes[1] else SLOTS[1]
            frame = b"\xcb\x01" + (200).to_bytes(4, "little") + bytes(self.rng.randrange(256) for _ in range(60))
            with open(os.path.join(self.data_dir, active), "ab") as f:
                f.write(frame[:self.rng.randrange(1, len(frame))])
            self.torn += 1
            if phase is None:
                self.torn_rounds.append(round_no)
        for mark in H.SANITIZER_MARKS:
            if any(mark in ln for ln in srv.stderr_lines):
                self.anomalies.append("round %d: sanitizer report on chatbell's stderr:\n%s"
                                      % (round_no, "\n".join(srv.stderr_lines[-40:])))
        for ev, why, resp in results:
            job = ev["job_id"]
            if resp is None:
                self.answers.append((round_no, job, why, None, None))
                if why != "dup":
                    self.no_answer.setdefault(job, round_no)
                continue
            try:
                body = resp.json()
            except ValueError:
                body = None
            self.answers.append((round_no, job, why, resp.status, body))
            if resp.status == 200 and body and body.get("status") == "accepted":
                self.no_answer.pop(job, None)
        snap = read_journal(self.data_dir)
        self.snapshots.append(snap)
        seqs = [r["seq"] for r in events_of(snap)] + [r["seq"] for r in snap if r["type"] == "seen"]
        self.max_seq = max([self.max_seq] + seqs)

    def final(self):
        """A last start without load: its restore lines, every recent 2xx event
        sent again (each must be a duplicate with its seq), then a clean stop
        (exit 0, no sanitizer report) and the journal, which reading must not
        change."""
        srv = self.start()
        floor = self.max_seq - DEDUPE_MARGIN
        recent = sorted(((s, j) for j, s in self.accepted_seq().items() if s > floor))
        with srv.conn() as c:
            for s, job in recent:
                ev = self.events[job]
                c.send(webhook_request(ev, scheme=self.scheme(job)))
                resp = c.read_response()
                try:
                    body = resp.json()
                except ValueError:
                    body = None
                self.answers.append((len(self.servers) - 1, job, "final", resp.status, body))
        srv.stop()
        before = dir_digest(self.data_dir)
        self.final_journal = read_journal(self.data_dir)
        after = dir_digest(self.data_dir)
        if before != after:
            self.anomalies.append("chatbell-journal changed the data dir: %r -> %r" % (before, after))
        return len(recent)

    def cleanup(self, keep):
        for s in self.servers:
            if keep:
                s.kill()
            else:
                s.cleanup()
        if not keep:
            shutil.rmtree(self.base, ignore_errors=True)

    # ---- the checks

    def verify(self, strict):
        """A list of violations (empty: all good). strict: no compaction ran,
        so every 2xx'd event must still be in the last journal."""
        bad = list(self.anomalies)
        journals = self.snapshots + [self.final_journal]
        sigs = [s.signals.lines() for s in self.servers]

        # a torn tail is cut at the next start, and said so
        for rnd in self.torn_rounds:
            if not any("torn or corrupt record" in ln for ln in self.servers[rnd + 1].stderr_lines):
                bad.append("start %d: no log line about the torn tail left by round %d" % (rnd + 1, rnd))

        # one journal: each seq once, each event (job) once
        for i, j in enumerate(journals):
            seen_seq, seen_job = {}, {}
            for r in events_of(j):
                if r["seq"] in seen_seq:
                    bad.append("journal %d: seq %d stored twice (%s, %s)"
                               % (i, r["seq"], seen_seq[r["seq"]], r["job_id"]))
                if r["job_id"] in seen_job:
                    bad.append("journal %d: event %s stored twice (seq %d and %d)"
                               % (i, r["job_id"], seen_job[r["job_id"]], r["seq"]))
                seen_seq[r["seq"]] = r["job_id"]
                seen_job[r["job_id"]] = r["seq"]
        # seq -> job over every journal and every message line
        seq_job = {}

        def bind(seq, job, where):
            if seq_job.setdefault(seq, job) != job:
                bad.append("seq %d is %s and %s (%s)" % (seq, seq_job[seq], job, where))
        for i, j in enumerate(journals):
            for r in events_of(j):
                bind(r["seq"], r["job_id"], "journal %d" % i)
                ev = self.events.get(r["job_id"])
                if ev is None:
                    bad.append("journal %d holds an event never sent: %r" % (i, r))
                    continue
                for k, rk in (("notification_message", "text"), ("sender", "sender"),
                              ("created_at", "created_at"), ("client_id", "client_id")):
                    if ev.get(k) != r.get(rk):
                        bad.append("journal %d: %s: %s is %r, sent %r" % (i, r["job_id"], rk, r.get(rk), ev.get(k)))

        # signal lines: one message per seq, ever; acks at most once
        messages, acks_sig = {}, {}
        for i, lines in enumerate(sigs):
            for ln in lines:
                if ln.get("kind") == "message":
                    messages[ln["seq"]] = messages.get(ln["seq"], 0) + 1
                    bind(ln["seq"], ln["job_id"], "message line of start %d" % i)
                elif ln.get("kind") == "ack":
                    acks_sig[ln["seq"]] = acks_sig.get(ln["seq"], 0) + 1
        for seq, n in sorted(messages.items()):
            if n != 1:
                bad.append("seq %d has %d message lines" % (seq, n))
        for seq, n in sorted(acks_sig.items()):
            if n != 1:
                bad.append("seq %d acknowledged %d times" % (seq, n))
        acked = set(acks_sig)
        for j in journals:
            acked |= {r["seq"] for r in j if r["type"] == "ack"}

        # a message line means durable: in that round's journal, unless acked since
        for i, lines in enumerate(sigs[:len(self.snapshots)]):
            held = {r["seq"] for r in events_of(self.snapshots[i])}
            for ln in lines:
                if ln.get("kind") == "message" and ln["seq"] not in held and ln["seq"] not in acked:
                    bad.append("round %d: message line for seq %d, but the journal after the kill lacks it"
                               % (i, ln["seq"]))

        # restore lines of start i == unacknowledged events of the journal before it
        for i, lines in enumerate(sigs):
            got = [ln["seq"] for ln in lines if ln.get("kind") == "restore"]
            if len(got) != len(set(got)):
                bad.append("start %d: a seq restored twice: %s" % (i, sorted(got)))
            want = unacked_of(self.snapshots[i - 1]) if i > 0 else set()
            if set(got) != want:
                bad.append("start %d restored %d, journal held %d unacknowledged: missing %s, extra %s" % (
                    i, len(set(got)), len(want), sorted(want - set(got))[:20], sorted(set(got) - want)[:20]))
        if unacked_of(self.final_journal) != {ln["seq"] for ln in sigs[-1] if ln.get("kind") == "restore"}:
            bad.append("the last start's restore lines differ from the final journal's unacknowledged events")

        # every answer
        held_after = [{(r["seq"], r["job_id"]) for r in events_of(j)} for j in self.snapshots]
        fin = {(r["seq"], r["job_id"]) for r in events_of(self.final_journal)}
        first_acc = {}
        for rnd, job, why, status, body in self.answers:
            if status is None:
                if why == "final":
                    bad.append("final start: no answer for %s" % job)
                continue
            if status != 200 or not isinstance(body, dict) or body.get("status") not in ("accepted", "duplicate"):
                bad.append("round %d: %s (%s) answered %s %r" % (rnd, job, why, status, body))
                continue
            seq = body.get("seq")
            if body["status"] == "accepted":
                if why in ("dup", "final"):
                    bad.append("round %d: %s got 2xx seq %s before; resent (%s), accepted again as seq %d"
                               % (rnd, job, first_acc.get(job), why, seq))
                if job in first_acc:
                    bad.append("round %d: %s accepted twice (seq %d, then %d)" % (rnd, job, first_acc[job], seq))
                    continue
                first_acc[job] = seq
                bind(seq, job, "answer of round %d" % rnd)
                if messages.get(seq, 0) != 1:
                    bad.append("round %d: %s accepted as seq %d, %d message lines"
                               % (rnd, job, seq, messages.get(seq, 0)))
                if rnd < len(self.snapshots):
                    if (seq, job) not in held_after[rnd] and seq not in acked:
                        bad.append("LOST: %s answered 200 accepted seq %d in round %d, "
                                   "not in the journal after the kill" % (job, seq, rnd))
                if (seq, job) not in fin and (strict or seq not in acked):
                    bad.append("LOST: %s answered 200 accepted seq %d in round %d, not in the final journal"
                               % (job, seq, rnd))
            else:
                want = first_acc.get(job)
                if want is None:
                    # first answer a duplicate: the event had been stored unanswered
                    if seq_job.get(seq) != job:
                        bad.append("round %d: %s answered duplicate seq %s, which no journal or message "
                                   "line gives it (%s)" % (rnd, job, seq, seq_job.get(seq)))
                    first_acc[job] = seq
                elif seq != want:
                    bad.append("round %d: %s answered duplicate seq %s, was accepted as seq %d" % (rnd, job, seq, want))
        return bad

    def summary(self):
        acc = sum(1 for a in self.answers if a[3] == 200 and a[4] and a[4].get("status") == "accepted")
        dup = sum(1 for a in self.answers if a[3] == 200 and a[4] and a[4].get("status") == "duplicate")
        none = sum(1 for a in self.answers if a[3] is None)
        comp = sum(1 for k in self.kills if k[3])
        phases = {}
        for k in self.kills:
            if k[4]:
                phases[k[4]] = phases.get(k[4], 0) + 1
        fj = self.final_journal
        lost_res = {}
        for a in self.answers:
            if a[2] == "lost":
                k = a[4].get("status") if a[4] else "no answer"
                lost_res[k] = lost_res.get(k, 0) + 1
        return ("%s: %d rounds, %d events sent, %d accepted, %d duplicate answers, %d unanswered, "
                "%d button presses, kills at %s ms, %d during a compaction %s, %d torn tails; unanswered "
                "events resent: %s; final journal: %d events, "
                "%d acks, %d seen, %d state, unacked %d (seed %d)" % (
                    self.name, len(self.kills), self.ev_counter, acc, dup, none, self.presses,
                    [int(k[1]) for k in self.kills], comp, phases, self.torn, lost_res, len(events_of(fj)),
                    sum(1 for r in fj if r["type"] == "ack"), sum(1 for r in fj if r["type"] == "seen"),
                    sum(1 for r in fj if r["type"] == "state"), len(unacked_of(fj)), SEED))


# ---------------------------------------------------------------- tests

class CrashTests(unittest.TestCase):

    def run_crash(self, name, config, kills, strict, **kw):
        run = CrashRun(name, config, **kw)
        ok = False
        try:
            for i, k in enumerate(kills):
                run.round(i, k)
            run.final()
            print("       " + run.summary(), flush=True)
            bad = run.verify(strict)
            if bad:
                self.fail("%d violation(s) (data kept in %s; CRASH_SEED=%d repeats the choices):\n  %s"
                          % (len(bad), run.base, SEED, "\n  ".join(bad[:40])))
            self.check_verify_can_fail(run, strict)
            ok = True
            return run
        finally:
            run.cleanup(keep=not ok or H.KEEP_TMP)

    def check_verify_can_fail(self, run, strict):
        """The checks themselves: a journal missing an unacknowledged accepted
        event, a second message line, and a seq answered for two events must
        each be reported."""
        keep_journal, keep_answers = run.final_journal, list(run.answers)
        unacked = unacked_of(run.final_journal)
        accepted = run.accepted_seq()
        victim = next(r for r in events_of(run.final_journal) if r["seq"] in unacked and
                      accepted.get(r["job_id"]) == r["seq"])
        run.final_journal = [r for r in keep_journal if r is not victim]
        self.assertTrue(any(b.startswith("LOST") for b in run.verify(strict)), "verify missed a lost event")
        run.final_journal = keep_journal
        acc = [a for a in keep_answers if a[3] == 200 and a[4].get("status") == "accepted"]
        run.answers.append((0, acc[1][1], "new", 200, {"status": "accepted", "seq": acc[0][4]["seq"]}))
        self.assertTrue(run.verify(strict), "verify missed a seq given to two events")
        run.answers = keep_answers
        log = run.servers[0].signals.path
        with open(log, "rb") as f:
            first = next(ln for ln in f if b'"kind":"message"' in ln)
        with open(log, "ab") as f:
            f.write(first)
        self.assertTrue(any("message lines" in b for b in run.verify(strict)), "verify missed a second message line")

    def test_kill9_under_load_loses_no_accepted_event(self):
        # a budget no run reaches: no compaction, so every 2xx'd event must
        # be in the final journal, acknowledged or not
        cfg = base_config(journal_budget=64 * 1024 * 1024)
        self.run_crash("load", cfg, ["random", "random", "torn"] * 3, strict=True)

    def test_kill9_during_compaction_loses_no_accepted_event(self):
        # small budget, nearly every message acknowledged: compactions every
        # few hundred events; half the kills wait for one to be under way
        cfg = base_config(journal_budget=65536)
        run = self.run_crash("compact", cfg, ["compaction", "random", "compaction", "torn"] * 3,
                             strict=False, ack_ratio=1.0)
        self.assertGreater(sum(1 for r in run.final_journal if r["type"] == "state"), 0,
                           "no compaction happened (no state record)")
        self.assertGreaterEqual(sum(1 for k in run.kills if k[3]), 2, "fewer than 2 kills landed in a compaction")


class DedupeMemoryTests(unittest.TestCase):
    """SPEC 5: the duplicate set remembers at least the last 1,024 events,
    also after a restart that replays a compacted journal."""

    OLD, NEW = 30, 1600  # compactions every ~200 NEW: several after the OLD keys left the window

    def test_restart_after_compaction_remembers_the_last_1024_events(self):
        # OLD events stay unacknowledged while NEW later ones are each
        # acknowledged at once (POST /ack {"seq":N}), under a small budget:
        # compactions keep the OLD events and SEEN records for the newest keys.
        srv = H.Server(config=base_config(journal_budget=40000), admin_token=H.ADMIN_TOKEN)
        try:
            srv.start()
            new = []
            with srv.conn() as c:
                def post(ev):
                    c.send(webhook_request(ev))
                    r = c.read_response()
                    self.assertEqual(r.status, 200, r.body)
                    return r.json()["seq"]
                for _ in range(self.OLD):
                    post(H.make_event())
                for _ in range(self.NEW):
                    ev = H.make_event()
                    seq = post(ev)
                    new.append((ev, seq))
                    c.send(build_request("POST", "/ack", [("Authorization", "Bearer " + H.ADMIN_TOKEN),
                                                          ("Content-Type", "application/json")],
                                         json.dumps({"seq": seq})))
                    self.assertEqual(c.read_response().status, 200)
            self.assertGreater(srv.metrics().get("chatbell_journal_compactions_total", 0), 0)
            last = new[-1024:]

            def forgotten():
                # newest first: a wrongly accepted resend evicts only older keys
                out = []
                with srv.conn() as c:
                    for ev, seq in reversed(last):
                        c.send(webhook_request(ev))
                        body = c.read_response().json()
                        if body != {"status": "duplicate", "seq": seq}:
                            out.append((seq, body))
                return out
            self.assertEqual(forgotten(), [], "forgotten before any restart")
            srv.restart()
            lost = forgotten()
            # (the unacknowledged OLD events, replayed after the SEEN records
            # of a compacted journal, take the place of as many recent keys)
            if lost:
                self.fail("after a restart, %d of the last 1,024 events were accepted again as new "
                          "(%d older events unacknowledged); first: %r" % (len(lost), self.OLD, lost[:2]))
            srv.stop()
        finally:
            srv.cleanup()


class JournalToolTests(unittest.TestCase):
    """chatbell-journal prints every record type, decoded, never the key, and
    never changes the data dir (not even with a torn tail)."""

    CLIENT_ID = "crash-client-1"
    CLIENT_SECRET = "crash-secret-8e4f0a"

    def test_journal_tool_prints_every_record_type_and_changes_nothing(self):
        cfg = base_config(auth="dynamic", journal_budget=40000)
        srv = H.Server(config=cfg, env={"CHATBELL_CLIENT_ID": self.CLIENT_ID,
                                        "CHATBELL_CLIENT_SECRET": self.CLIENT_SECRET})
        try:
            srv.start()
            body = json.dumps({"client_id": self.CLIENT_ID, "client_secret": self.CLIENT_SECRET})
            r = srv.exchange(build_request("POST", "/auth/token", [("Content-Type", "application/json")], body))
            self.assertEqual(r.status, 200, r.body)
            token = r.json()["access_token"]
            sent = {}
            with srv.conn() as c:
                for n in range(600):
                    ev = H.make_event(job_id="TOOL-%04d" % n, notification_message=TEXTS[n % len(TEXTS)] % n)
                    if n % 5 == 0:
                        del ev["client_id"]
                    if n % 11 == 0:
                        ev.update(id="id-%d" % n, type="chat", timestamp=H.iso())
                    c.send(webhook_request(ev, scheme=None, headers=[("Authorization", "Bearer " + token)]))
                    resp = c.read_response()
                    self.assertEqual(resp.status, 200, resp.body)
                    sent[ev["job_id"]] = (resp.json()["seq"], ev)
                    if n % 2 == 0:
                        srv.press_button()
            time.sleep(0.3)
            self.assertGreater(srv.metrics().get("chatbell_journal_compactions_total", 0), 0)
            srv.stop()
            before = dir_digest(srv.data_dir)
            recs = read_journal(srv.data_dir)
            self.assertEqual(dir_digest(srv.data_dir), before, "chatbell-journal changed the data dir")
            types = {r["type"] for r in recs}
            self.assertEqual(types, {"state", "key", "seen", "event", "ack"}, types)
            for r in recs:
                if r["type"] == "key":
                    self.assertEqual(r, {"type": "key"})
                if r["type"] in ("ack", "seen"):
                    self.assertEqual(set(r), {"type", "seq"})
                if r["type"] == "state":
                    self.assertEqual(set(r), {"type", "next_seq"})
                    self.assertGreater(r["next_seq"], 0)
            evs = events_of(recs)
            self.assertTrue(evs)
            for r in evs:
                seq, ev = sent[r["job_id"]]
                self.assertEqual(r["seq"], seq)
                want = {"type": "event", "seq": seq, "job_id": ev["job_id"], "created_at": ev["created_at"],
                        "sender": ev["sender"], "text": ev["notification_message"]}
                for k, rk in (("client_id", "client_id"), ("id", "id"), ("type", "event_type"),
                              ("timestamp", "timestamp")):
                    if k in ev:
                        want[rk] = ev[k]
                self.assertEqual(r, want)
            # the unacknowledged ones are exactly the events still stored
            unacked = unacked_of(recs)
            self.assertEqual(unacked, {s for s, _ in sent.values()} - self._acked(srv))

            # a torn tail: the tool reads the same records, the file stays as it is
            active = max(SLOTS, key=lambda n: os.path.getsize(os.path.join(srv.data_dir, n)))
            with open(os.path.join(srv.data_dir, active), "ab") as f:
                f.write(b"\xcb\x01\x40\x00\x00\x00torn")
            before = dir_digest(srv.data_dir)
            self.assertEqual(read_journal(srv.data_dir), recs)
            self.assertEqual(dir_digest(srv.data_dir), before, "chatbell-journal changed a torn journal")
        finally:
            srv.cleanup()

    def _acked(self, srv):
        return {ln["seq"] for ln in srv.signals.lines() if ln.get("kind") == "ack"}

    def test_journal_tool_refuses_a_dir_without_journal(self):
        d = tempfile.mkdtemp(prefix="chatbell-crash-empty-")
        try:
            p = subprocess.run([journal_tool(), d], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(p.returncode, 1)
            self.assertEqual(p.stdout, b"")
            self.assertIn(b"no journal", p.stderr)
            self.assertEqual(os.listdir(d), [], "the tool created files in an empty dir")
            p = subprocess.run([journal_tool()], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(p.returncode, 2)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if "--journal" in sys.argv:
        i = sys.argv.index("--journal")
        JOURNAL_TOOL = os.path.abspath(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    print("crash seed %d (CRASH_SEED=%d repeats it)" % (SEED, SEED), flush=True)
    H.main()
