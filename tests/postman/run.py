#!/usr/bin/env python3
# run.py - runs the Postman collection (chatbell.postman_collection.json) with
# newman against the real simulator: one chatbell per folder, started in the
# auth mode that folder needs, stopped after it. Run by CTest (e2e.postman):
#   run.py --chatbell PATH [--folder NAME]... [--keep] [-v]
# Installs the pinned newman (package-lock.json) with `npm ci` into
# tests/postman/node_modules when it is missing or another version. Prints
# newman's report per folder, then "N passed, N failed" over every assertion
# (newman's and this script's own checks on the simulator).

import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.join(HERE, "chatbell.postman_collection.json")
ENVIRONMENT = os.path.join(HERE, "chatbell.postman_environment.json")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


def env_values():
    with open(ENVIRONMENT) as f:
        return {v["key"]: v["value"] for v in json.load(f)["values"] if v.get("enabled", True)}


def folders(ev):
    """(folder, --auth mode, chatbell environment, config file additions)."""
    return [
        ("signature", "signature", {"CHATBELL_SECRET": ev["signing_secret"]}, {}),
        ("static token", "static", {"CHATBELL_TOKEN": ev["static_token"],
                                    "CHATBELL_TOKEN_HEADER": ev["static_token_header"]}, {}),
        ("dynamic token", "dynamic", {"CHATBELL_CLIENT_ID": ev["client_id"],
                                      "CHATBELL_CLIENT_SECRET": ev["client_secret"]},
         {"token_ttl_s": int(ev["token_ttl_s"])}),
        ("dynamic token expiry", "dynamic", {"CHATBELL_CLIENT_ID": ev["client_id"],
                                             "CHATBELL_CLIENT_SECRET": ev["client_secret"]},
         {"token_ttl_s": int(ev["short_token_ttl_s"])}),
    ]


# ---------------------------------------------------------------- newman

def pinned_version():
    with open(os.path.join(HERE, "package.json")) as f:
        return json.load(f)["devDependencies"]["newman"]


def installed_version():
    try:
        with open(os.path.join(HERE, "node_modules", "newman", "package.json")) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def ensure_newman():
    """Path of the pinned newman, installed with `npm ci` if needed; None
    (after saying why) when it cannot be had."""
    newman = os.path.join(HERE, "node_modules", ".bin", "newman")
    want = pinned_version()
    # one installer at a time (two build trees may run this test at once)
    with open(os.path.join(HERE, "package-lock.json")) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() != want or not os.access(newman, os.X_OK):
            npm = shutil.which("npm")
            if not npm:
                print("postman: npm is not installed; cannot install newman %s" % want, flush=True)
                return None
            print("postman: installing newman %s with npm ci" % want, flush=True)
            p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
            sys.stdout.write(p.stdout.decode("utf-8", "replace"))
            if p.returncode != 0 or installed_version() != want:
                print("postman: npm ci failed (exit %d)" % p.returncode, flush=True)
                return None
    return newman


# ---------------------------------------------------------------- the simulator

class Chatbell:
    def __init__(self, binary, mode, env, config, tmp, verbose):
        self.tmp = tmp
        self.signal_log = os.path.join(tmp, "signals.jsonl")
        cfg = {"reminder_s": 0}
        cfg.update(config)
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        self.cmd = [binary, "--listen", "127.0.0.1:0", "--auth", mode, "--config", cfg_path,
                    "--data-dir", os.path.join(tmp, "data"), "--signal-log", self.signal_log,
                    "--no-tui", "--fsync", "off"]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CHATBELL_")}
        self.env.update(env)
        self.verbose = verbose
        self.out, self.err = [], []
        self.port = None
        self.proc = None

    def _read(self, stream, sink, cv):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with cv:
                sink.append(line)
                cv.notify_all()
            if self.verbose:
                sys.stderr.write("[chatbell] %s\n" % line)
        with cv:
            cv.notify_all()

    def start(self, timeout=10.0):
        cv = threading.Condition()
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=self.tmp, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.threads = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out, cv), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err, cv), daemon=True)]
        for t in self.threads:
            t.start()
        pat = re.compile(r"^chatbell listening on http://127\.0\.0\.1:(\d+)$")
        deadline = time.monotonic() + timeout
        with cv:
            while True:
                for ln in self.out:
                    m = pat.match(ln)
                    if m:
                        self.port = int(m.group(1))
                        return "http://127.0.0.1:%d" % self.port
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError("chatbell did not start listening; stderr:\n" + "\n".join(self.err[-20:]))
                cv.wait(0.1)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, timeout=10.0):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        for t in self.threads:
            t.join(5)
        self.proc.stdin.close()
        return rc

    def signals(self):
        try:
            with open(self.signal_log) as f:
                return [json.loads(ln) for ln in f if ln.strip()]
        except FileNotFoundError:
            return []


# ---------------------------------------------------------------- one folder

def response_bodies(report):
    """(request name, status, body text) of every response in a newman JSON report."""
    out = []
    for ex in report.get("run", {}).get("executions", []):
        resp = ex.get("response") or {}
        stream = resp.get("stream") or {}
        data = bytes(stream.get("data") or []) if isinstance(stream, dict) else b""
        out.append((ex.get("item", {}).get("name", "?"), resp.get("code"), data.decode("utf-8", "replace")))
    return out


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        print("  %s %s" % ("ok  " if ok else "FAIL", what), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def run_folder(args, newman, name, mode, env, config, checks, secrets):
    print("\n=== folder %r: chatbell --auth %s %s" % (name, mode, json.dumps(config) if config else ""), flush=True)
    tmp = tempfile.mkdtemp(prefix="chatbell-postman-")
    cb = Chatbell(args.chatbell, mode, env, config, tmp, args.verbose)
    try:
        try:
            base_url = cb.start()
        except RuntimeError as e:
            checks.check(False, "folder %r: %s" % (name, e))
            return
        report_path = os.path.join(tmp, "newman.json")
        cmd = [newman, "run", COLLECTION, "-e", ENVIRONMENT, "--folder", name,
               "--env-var", "base_url=%s" % base_url,
               "--reporters", "cli,json", "--reporter-json-export", report_path,
               "--color", "off", "--timeout-request", "10000", "--timeout", "120000"]
        p = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        sys.stdout.write(p.stdout.decode("utf-8", "replace"))
        sys.stdout.flush()
        rc = cb.stop()
        try:
            with open(report_path) as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            checks.check(False, "folder %r: no newman report (%s); newman exit %d" % (name, e, p.returncode))
            return
        stats = report["run"]["stats"]
        total, failed = stats["assertions"]["total"], stats["assertions"]["failed"]
        checks.passed += total - failed
        checks.failed += failed
        print("postman: folder %r: %d assertions, %d failed (newman exit %d)" % (name, total, failed, p.returncode))
        checks.check(total > 0, "folder %r ran assertions" % name)
        checks.check(p.returncode == 0, "newman exit status 0 for folder %r" % name)
        checks.check(stats["requests"]["failed"] == 0, "no request failed to complete (%d)" % stats["requests"]["failed"])
        # the simulator: one message signal per accepted event, clean exit,
        # no secret or issued token on its output
        accepted, tokens = 0, []
        for _, _, text in response_bodies(report):
            try:
                body = json.loads(text)
            except ValueError:
                continue
            if isinstance(body, dict) and body.get("status") == "accepted":
                accepted += 1
            if isinstance(body, dict) and isinstance(body.get("access_token"), str):
                tokens.append(body["access_token"])
        msgs = [s for s in cb.signals() if s.get("kind") == "message"]
        checks.check(len(msgs) == accepted,
                     "signal log: %d message lines for %d accepted events" % (len(msgs), accepted))
        checks.check(rc == 0, "chatbell exited %s after SIGTERM (want 0)" % rc)
        logged = "\n".join(cb.out + cb.err)
        checks.check(not any(m in logged for m in SANITIZER_MARKS), "no sanitizer report on chatbell's stderr")
        leaked = [s for s in secrets + tokens if s and s in logged]
        checks.check(not leaked, "no secret or issued token (%d) on chatbell's stdout/stderr" % len(tokens))
    finally:
        cb.kill()
        if args.keep:
            print("postman: kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatbell", required=True, help="path of the simulator binary")
    ap.add_argument("--folder", action="append", default=[], help="run only this folder (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo chatbell's output")
    args = ap.parse_args()
    args.chatbell = os.path.abspath(args.chatbell)
    checks = Checks()
    t0 = time.monotonic()
    newman = ensure_newman()
    if newman is None:
        checks.check(False, "newman available")
    else:
        ev = env_values()
        secrets = [ev["signing_secret"], ev["static_token"], ev["client_secret"]]
        todo = folders(ev)
        names = [f[0] for f in todo]
        for want in args.folder:
            if want not in names:
                ap.error("no folder %r (folders: %s)" % (want, ", ".join(names)))
        for name, mode, env, config in todo:
            if args.folder and name not in args.folder:
                continue
            run_folder(args, newman, name, mode, env, config, checks, secrets)
    print("(%.1fs)" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (checks.passed, checks.failed), flush=True)
    sys.exit(1 if checks.failed or not checks.passed else 0)


if __name__ == "__main__":
    main()
