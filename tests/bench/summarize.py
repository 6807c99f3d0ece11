#!/usr/bin/env python3
# summarize.py - turns the raw output of tests/bench/run.sh (RAW dir) into the
# Markdown summary that docs/PERFORMANCE.md quotes: first every issue-15
# target with its measured value and pass/fail, then requests/s and latency
# per system and client, ratios, server CPU per request, group commit,
# instructions per event by stage, peak RSS, heap calls, syscalls.
# Usage: summarize.py RAW_DIR > summary.md   (Python 3 standard library only)
import glob
import os
import re
import sys

SYSTEMS = [
    ("chatbell-off", "chatbell, fsync off"),
    ("chatbell-on", "chatbell, fsync on (group commit)"),
    ("nginx", "nginx `return 200`, 1 worker"),
    ("node", "Node.js receiver (http + createHmac)"),
]

# Stages of one accepted event, as inclusive costs of these core functions.
STAGES = [
    ("cb_server_conn_feed", "feed: HTTP read, route, webhook (the rows below)"),
    ("cb_http_reader_feed", "  HTTP request reader"),
    ("cb_event_parse", "  JSON to event (one-pass tokenizer, unescape)"),
    ("cb_webhook_auth_signature", "  signature check (V1 / V3)"),
    ("cb_hmac_sha256_with", "    of which HMAC-SHA256 (prepared key)"),
    ("cb_ledger_accept", "  duplicate check + journal append"),
    ("cb_inbox_key", "    of which the duplicate key (SipHash)"),
    ("cb_journal_frame", "    of which record framing (CRC)"),
    ("cb_server_commit", "commit: flush, inbox, signal, reply (the rows below)"),
    ("cb_signal_message", "  signal: display lines, buzzer, signal-log JSON"),
    ("show_oldest", "  redraw of the oldest message (once per commit)"),
    ("cb_reply_seq", "  response writing"),
]


def num(s):
    return float(s.replace(",", ""))


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def fmt_int(x):
    return "{:,}".format(int(round(x)))


def fmt_ms(x):
    return "%.3f" % x if x < 10 else "%.1f" % x


def extras(text):
    """The lines run.sh appends after a client's output."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("server_cpu_s", "client_cpu_s"):
            out[parts[0]] = sum(float(p) for p in parts[1:])
            if parts[0] == "server_cpu_s":
                out["server_user_s"], out["server_sys_s"] = float(parts[1]), float(parts[2])
        elif len(parts) == 2 and parts[0] in ("machine_busy_s", "others_cpu_s", "vmhwm_kb",
                                              "accepted", "duplicate", "syncs", "init_cpu_s",
                                              "disturbed", "attempt"):
            out[parts[0]] = float(parts[1])
    return out


def parse_isend(text):
    r = extras(text)
    m = re.search(r"requests: (\d+)\s+seconds: ([\d.]+)\s+rps: ([\d.]+)", text)
    r.update(requests=int(m.group(1)), seconds=float(m.group(2)), rps=float(m.group(3)))
    m = re.search(r"p50: ([\d.]+)\s+p90: ([\d.]+)\s+p99: ([\d.]+)\s+max: ([\d.]+)", text)
    r.update(p50=float(m.group(1)), p90=float(m.group(2)), p99=float(m.group(3)),
             max=float(m.group(4)))
    r["errors"] = int(re.search(r"errors: (\d+)", text).group(1))
    r["ok"] = sum(int(n) for s, n in re.findall(r"status (\d+): (\d+)", text) if s.startswith("2"))
    m = re.search(r"client cpu: ([\d.]+) s", text)
    r["client_load_s"] = float(m.group(1)) if m else None
    return r


def wrk_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    x = float(m.group(1))
    return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x


def parse_wrk(text):
    r = extras(text)
    for pct in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, text, re.M)
        r["p" + pct] = wrk_ms(m.group(1))
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", text)
    r["requests"] = int(m.group(1))
    r["seconds"] = float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
    r["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["sock_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"pool: (\d+) requests, (\d+) sent, wrapped (\d+)", text)
    r["wrapped"] = int(m.group(3)) if m else 0
    if r.get("client_cpu_s") is not None and r.get("init_cpu_s") is not None:
        r["client_load_s"] = r["client_cpu_s"] - r["init_cpu_s"]
    return r


def runs(raw, prefix, sys_name):
    parse = parse_wrk if prefix == "wrk" else parse_isend
    out = []
    for path in sorted(glob.glob(os.path.join(raw, "%s.%s.*.txt" % (prefix, sys_name)))):
        if re.search(r"\.%s\.\d+\.txt$" % re.escape(sys_name), path):
            out.append(parse(read(path)))
    return out


def median_run(rs):
    """The run with the median requests/s (the lower middle for an even count)."""
    srt = sorted(rs, key=lambda r: r["rps"])
    return srt[(len(srt) - 1) // 2]


def best_run(rs):
    """The fastest run: on a shared machine, noise only ever slows a run down."""
    return max(rs, key=lambda r: r["rps"])


def client_bound(r):
    """True when the client's core was the limit of the run (>= 95% busy): the
    server could have answered more than the client sent."""
    return r.get("client_load_s") is not None and r["client_load_s"] >= 0.95 * r["seconds"]


def us_per_req(r, key):
    return 1e6 * r[key] / r["requests"] if r.get(key) is not None else 0.0


def load_table(raw, client, lines):
    cols = ["p50", "p90", "p99", "max"] if client == "isend" else ["p50", "p75", "p90", "p99"]
    head = ("| system | requests/s, best run | median | " +
            " | ".join("%s ms" % c for c in cols) +
            " | server CPU µs/req (user+sys) | client CPU | others' CPU | peak RSS |")
    lines.append(head)
    lines.append("|" + "---|" * (head.count("|") - 1))
    best = {}
    for key, label in SYSTEMS:
        rs = runs(raw, client, key)
        if not rs:
            continue
        b = best_run(rs)
        best[key] = b
        rss = max(r.get("vmhwm_kb", 0) for r in rs)
        client_pct = ("%.0f%%" % (100.0 * b["client_load_s"] / b["seconds"])
                      if b.get("client_load_s") is not None else "?")
        lines.append("| %s | **%s** | %s | %s | %.1f (%.1f+%.1f) | %s | %.2f s | %s kB |" % (
            label, fmt_int(b["rps"]), fmt_int(median_run(rs)["rps"]),
            " | ".join(fmt_ms(b[c]) for c in cols), us_per_req(b, "server_cpu_s"),
            us_per_req(b, "server_user_s"), us_per_req(b, "server_sys_s"), client_pct,
            b.get("others_cpu_s", 0.0), fmt_int(rss)))
    lines.append("")
    counts = ["%s %d" % (k, len(runs(raw, client, k))) for k, _ in SYSTEMS if runs(raw, client, k)]
    lines.append("Runs per system: %s. Each row is the fastest run (noise on a shared machine "
                 "only slows a run down), with its latency percentiles and CPU figures; the median "
                 "column is the middle run's requests/s. Server CPU: user+system time of the "
                 "server's processes over the run, per request. Client CPU: the client's CPU time "
                 "during the load over the run's wall time (100%% = its core is the limit). "
                 "Others' CPU: CPU time used during the run by every other process on the machine "
                 "(a run where others used over 10%% of a CPU is repeated). Peak RSS: the largest "
                 "VmHWM (nginx: its worker); chatbell's is the benchmark build, whose "
                 "unacknowledged list is raised to 1M entries (4 MiB, zeroed at start): see the "
                 "RSS section for the default build." % ", ".join(counts))
    checks = []
    for key, _ in SYSTEMS:
        for i, r in enumerate(runs(raw, client, key), 1):
            if client == "isend" and (r["errors"] or r["ok"] != r["requests"]):
                checks.append("%s #%d: %d errors, %d of %d 2xx" % (key, i, r["errors"], r["ok"],
                                                                  r["requests"]))
            if client == "wrk" and (r["non2xx"] or r["sock_errors"]):
                checks.append("%s #%d: %d non-2xx, %d socket errors" % (key, i, r["non2xx"],
                                                                       r["sock_errors"]))
            if client == "wrk" and r["wrapped"] and key.startswith("chatbell"):
                checks.append("%s #%d: the wrk pool ran out (duplicates sent)" % (key, i))
            if client == "isend" and key.startswith("chatbell") and \
                    int(r.get("accepted", -1)) != r["requests"]:
                checks.append("%s #%d: %s accepted of %d" % (key, i, r.get("accepted"),
                                                              r["requests"]))
            if r.get("disturbed"):
                checks.append("%s #%d: disturbed (others used %d%% of a CPU)" % (
                    key, i, r["disturbed"]))
    lines.append("")
    lines.append("Checks: " + ("; ".join(checks) if checks else
                               "every request answered 2xx; every chatbell event was accepted "
                               "as new (its /metrics); no run disturbed."))
    lines.append("")
    return best


def ratios(best, lines, label):
    def rps(a, b):
        if a in best and b in best:
            return "**%.2fx**" % (best[a]["rps"] / best[b]["rps"])
        return "n/a"

    def cpu(a, b):
        if a in best and b in best and best[a].get("server_cpu_s") and best[b].get("server_cpu_s"):
            return "%.2fx" % (us_per_req(best[b], "server_cpu_s") /
                              us_per_req(best[a], "server_cpu_s"))
        return "n/a"

    lines.append("| %s | req/s vs nginx | req/s vs Node.js | CPU/req: nginx's ÷ chatbell's | "
                 "CPU/req: Node's ÷ chatbell's |" % label)
    lines.append("|---|---|---|---|---|")
    for key, name in (("chatbell-off", "chatbell, fsync off"),
                      ("chatbell-on", "chatbell, fsync on")):
        if key in best:
            lines.append("| %s | %s | %s | %s | %s |" % (name, rps(key, "nginx"), rps(key, "node"),
                                                         cpu(key, "nginx"), cpu(key, "node")))
    lines.append("")


def group_commit(raw, lines):
    rows = []
    for prefix in ("isend", "isend64"):
        for key in ("chatbell-on", "chatbell-off"):
            rs = runs(raw, prefix, key)
            if not rs or not rs[0].get("syncs"):
                continue
            m = best_run(rs)
            conns = 64 if prefix == "isend64" else None
            rows.append((key, conns, m))
    if not rows:
        return
    lines.append("| run | connections | requests/s | p50 ms | p99 ms | events per flush | "
                 "flushes/s | server CPU µs/req |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for key, conns, m in rows:
        lines.append("| %s | %s | %s | %s | %s | %.1f | %s | %.1f |" % (
            key, conns or 16, fmt_int(m["rps"]), fmt_ms(m["p50"]), fmt_ms(m["p99"]),
            m["accepted"] / m["syncs"], fmt_int(m["syncs"] / m["seconds"]),
            us_per_req(m, "server_cpu_s")))
    lines.append("")
    path = os.path.join(raw, "fsync.txt")
    if os.path.exists(path):
        m = re.search(r"p50 ([\d.]+) p90 ([\d.]+) p99 ([\d.]+) mean ([\d.]+)", read(path))
        if m:
            lines.append("The disk's flush (append 1.6 KB + fdatasync, same file system, 500 "
                         "times): p50 **%s ms**, p90 %s ms, p99 %s ms, mean %s ms." % m.groups())
            lines.append("")


def cg_incl(path):
    incl = {}
    for line in read(path).splitlines():
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+(\S.*?)(?: \[.*\])?$", line)
        if not m:
            continue
        if "PROGRAM TOTALS" in line:
            incl["__total__"] = num(m.group(1))
            continue
        base = m.group(2).rsplit(":", 1)[-1].split(".")[0]
        incl[base] = max(incl.get(base, 0), num(m.group(1)))
    return incl


def cg_self(path):
    """(Ir, function, object file) per function of the self-cost listing."""
    out = []
    for line in read(path).splitlines():
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+(\S.*?)(?: \[(.*)\])?$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        out.append((num(m.group(1)), m.group(2), m.group(3) or ""))
    return out


def callgrind_runs(raw):
    """[(events per commit, events, inclusive costs, self costs)] of bench_core's runs."""
    logs = sorted(glob.glob(os.path.join(raw, "callgrind.b*.log")),
                  key=lambda p: int(re.search(r"\.b(\d+)\.log$", p).group(1)))
    out = []
    for p in logs:
        n = int(re.search(r"^events (\d+)", read(p), re.M).group(1))
        out.append((re.search(r"\.b(\d+)\.log$", p).group(1), n,
                    cg_incl(p.replace(".log", ".incl.txt")),
                    cg_self(p.replace(".log", ".self.txt"))))
    return out


def callgrind(raw, lines):
    cg = callgrind_runs(raw)
    if not cg:
        return
    batches = [b for b, _, _, _ in cg]
    data = [(n, incl, selfc) for _, n, incl, selfc in cg]
    lines.append("| Ir per accepted event | " + " | ".join(
        "%s event%s per commit" % (b, "" if b == "1" else "s") for b in batches) + " |")
    lines.append("|---|" + "---|" * len(cg))
    lines.append("| **all** | " + " | ".join(
        "**%s**" % fmt_int(incl["__total__"] / n) for n, incl, _ in data) + " |")
    for fn, label in STAGES:
        lines.append("| %s | " % label.replace("  ", "&nbsp;&nbsp;") + " | ".join(
            fmt_int(incl.get(fn, 0) / n) for n, incl, _ in data) + " |")
    for label, pred in (("self cost in Mbed TLS (SHA-256 blocks)", lambda f, o: "mbedcrypto" in o),
                        ("self cost in libc (memcpy, strlen, ...)", lambda f, o: "/libc.so" in o),
                        ("self cost in the fake port (not core)", lambda f, o: "tests/fakes/" in f)):
        lines.append("| %s | " % label + " | ".join(
            fmt_int(sum(v for v, f, o in s if pred(f, o)) / n) for n, _, s in data) + " |")
    lines.append("")
    n, _, selfc = data[-1]
    lines.append("Hottest functions by self cost (%s events per commit), Ir per event:" %
                 batches[-1])
    lines.append("")
    lines.append("| function | Ir/event |")
    lines.append("|---|---|")
    for v, f, _ in sorted(selfc, reverse=True)[:20]:
        short = re.sub(r"^.*?(app|third_party|tests)/", r"\1/", f)
        short = re.sub(r"^.*/sysdeps/.*:", "libc:", short)
        short = re.sub(r"^\?\?\?:", "", short)
        lines.append("| `%s` | %s |" % (short, fmt_int(v / n)))
    lines.append("")


def rss(raw, lines):
    path = os.path.join(raw, "rss.txt")
    if not os.path.exists(path):
        return
    kv = dict(line.split()[:2] for line in read(path).splitlines() if len(line.split()) >= 2)
    lines.append("Default build (every limit at its default), chatbell fsync off: **%s kB** "
                 "after start-up, **%s kB** after %s events (%s accepted, all left "
                 "unacknowledged)." % (fmt_int(float(kv["idle_kb"])), fmt_int(float(kv["load_kb"])),
                                       fmt_int(float(kv["events"])),
                                       fmt_int(float(kv.get("accepted", 0)))))
    lines.append("")


def malloc_snaps(raw):
    """label -> (requests, allocations, bytes) of each malloc_count snapshot, or None."""
    path = os.path.join(raw, "malloc.txt")
    if not os.path.exists(path):
        return None
    snaps = {}
    for line in read(path).splitlines():
        m = re.match(r"^(\w+)(?: (\d+))? snapshot .* allocs (\d+) bytes (\d+)$", line)
        if m:
            snaps[m.group(1)] = (int(m.group(2) or 0), int(m.group(3)), int(m.group(4)))
    return snaps if all(k in snaps for k in ("started", "warm", "load")) else None


def mallocs(raw, lines):
    path = os.path.join(raw, "malloc.txt")
    snaps = malloc_snaps(raw)
    if not snaps:
        lines.append("(malloc count incomplete)")
        lines.append("")
        return
    steady = snaps["load"][1] - snaps["warm"][1]
    lines.append("| phase | requests | heap allocations (malloc, calloc, realloc, memalign) |")
    lines.append("|---|---|---|")
    lines.append("| start-up, until listening | – | %s |" % fmt_int(snaps["started"][1]))
    lines.append("| warm-up | %s | %s |" % (fmt_int(snaps["warm"][0]),
                                            fmt_int(snaps["warm"][1] - snaps["started"][1])))
    lines.append("| load (steady state) | %s | **%s** (%.4f per request) |" % (
        fmt_int(snaps["load"][0]), fmt_int(steady), steady / snaps["load"][0]))
    lines.append("")
    acc = re.search(r"^accepted (\S+)", read(path), re.M)
    if acc:
        lines.append("That instance accepted %s events." % fmt_int(float(acc.group(1))))
        lines.append("")


def strace_counts(path):
    """(requests, {syscall: calls}, all calls, connections) of one strace -c file."""
    text = read(path)
    n = int(re.search(r"^requests (\d+)", text, re.M).group(1))
    m = re.search(r"^conns (\d+)", text, re.M)
    calls = {}
    for m2 in re.finditer(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+(\w+)\s*$", text, re.M):
        if m2.group(2) != "total":
            calls[m2.group(2)] = int(m2.group(1))
    return n, calls, sum(calls.values()), int(m.group(1)) if m else None


def syscalls(raw, lines):
    files = [(k, os.path.join(raw, "strace.%s.txt" % k)) for k, _ in SYSTEMS]
    files = [(k, p) for k, p in files if os.path.exists(p)]
    if not files:
        return
    per = {}
    names = {}
    for key, path in files:
        n, calls, total, _ = strace_counts(path)
        per[key] = (n, calls, total)
        for name, c in calls.items():
            names[name] = max(names.get(name, 0), c / n)
    shown = [k for k, v in sorted(names.items(), key=lambda kv: -kv[1]) if v >= 0.01]
    lines.append("| syscall | " + " | ".join(k for k, _ in files) + " |")
    lines.append("|---|" + "---|" * len(files))
    lines.append("| **all, per request** | " + " | ".join(
        "**%.2f**" % (per[k][2] / per[k][0]) for k, _ in files) + " |")
    for name in shown:
        lines.append("| %s | " % name + " | ".join(
            "%.2f" % (per[k][1].get(name, 0) / per[k][0]) for k, _ in files) + " |")
    lines.append("")
    lines.append("Counted with `strace -f -c` over %s requests (instaleap-send, same "
                 "connections and mix), start-up included; chatbell from the default build." %
                 fmt_int(per[files[0][0]][0]))
    lines.append("")


def ucg_per_request(raw, key):
    """The whole process's user-space Ir per request (nginx: its worker), or None."""
    path = os.path.join(raw, "ucg.%s.txt" % key)
    if not os.path.exists(path):
        return None
    text = read(path)
    n = int(re.search(r"^requests (\d+)", text, re.M).group(1))
    totals = [int(m.group(1)) for m in re.finditer(r"^\S+\.out (\d+)$", text, re.M)]
    return max(totals) / n if totals else None  # nginx: the worker is the busiest process


def userspace(raw, lines):
    rows = []
    for key, label in SYSTEMS:
        v = ucg_per_request(raw, key)
        if v is not None:
            rows.append((label, v))
    if not rows:
        return
    lines.append("| system | user-space Ir per request |")
    lines.append("|---|---|")
    for label, v in rows:
        lines.append("| %s | **%s** |" % (label, fmt_int(v)))
    lines.append("")
    lines.append("The whole server process under callgrind (chatbell: default build, loop + port + "
                 "core; nginx: its worker) while instaleap-send sends the same events; start-up "
                 "included. Kernel work (syscalls, TCP) is not counted.")
    lines.append("")


def targets(raw, lines):
    """Every issue-15 target, its measured value and pass/fail, from this run's raw files."""
    rows = []

    def row(target, measured, ok):
        verdict = "n/a (not measured)" if ok is None else ("**pass**" if ok else "**FAIL**")
        rows.append("| %s | %s | %s |" % (target, measured, verdict))

    scale = []
    for client, cname in (("isend", "instaleap-send"), ("wrk", "wrk")):
        best = {k: best_run(runs(raw, client, k)) for k in ("chatbell-off", "nginx", "node")
                if runs(raw, client, k)}
        if "nginx" in best and "node" in best and best["nginx"].get("server_cpu_s") and \
                best["node"].get("server_cpu_s"):
            scale.append("%s %.2fx by requests/s, %.2fx by CPU per request" % (
                cname, best["nginx"]["rps"] / best["node"]["rps"],
                us_per_req(best["node"], "server_cpu_s") / us_per_req(best["nginx"], "server_cpu_s")))
        for other, factor, oname in (("nginx", 0.8, "nginx `return 200`"),
                                     ("node", 4.0, "the Node.js receiver")):
            target = "chatbell `--fsync off` >= %gx %s requests/s (%s)" % (factor, oname, cname)
            if "chatbell-off" in best and other in best:
                ca, co = best["chatbell-off"], best[other]
                a, b = ca["rps"], co["rps"]
                cpu = ""
                if ca.get("server_cpu_s") and co.get("server_cpu_s"):
                    cpu = "; CPU per request, %s's ÷ chatbell's: %.2fx" % (
                        "nginx" if other == "nginx" else "Node", us_per_req(co, "server_cpu_s") /
                        us_per_req(ca, "server_cpu_s"))
                noisy = [k for k, r in (("chatbell", ca), (other, co)) if r.get("disturbed")]
                bound = [k for k, r in (("chatbell", ca), (other, co)) if client_bound(r)]
                row(target, "**%.2fx** (%s vs %s req/s, best of %d runs each%s%s%s)" % (
                    a / b, fmt_int(a), fmt_int(b),
                    min(len(runs(raw, client, "chatbell-off")), len(runs(raw, client, other))),
                    cpu, "; disturbed: " + ", ".join(noisy) if noisy else "",
                    "; client-bound: %s's core was the limit (>= 95%% busy) in the run of "
                    "%s, whose figure is the client's ceiling, not the server's" % (
                        cname, " and of ".join(bound))
                    if bound else ""),
                    a / b >= factor)
            else:
                row(target, "–", None)
    path = os.path.join(raw, "strace.chatbell-off.txt")
    if os.path.exists(path):
        n, calls, total, conns = strace_counts(path)
        top = sorted(calls.items(), key=lambda kv: -kv[1])[:4]
        row("<= 3 syscalls per request at 16 keep-alive connections (`strace -c -f`, "
            "chatbell `--fsync off`)",
            "**%.2f** (%s; %s requests, %s connections)" % (
                total / n, ", ".join("%s %.2f" % (k, v / n) for k, v in top), fmt_int(n),
                conns or "?"),
            total / n <= 3.0 and conns in (None, 16))
    else:
        row("<= 3 syscalls per request at 16 keep-alive connections", "–", None)
    cg = callgrind_runs(raw)
    ucg = ucg_per_request(raw, "chatbell-off")
    ucg_ngx = ucg_per_request(raw, "nginx")
    beside = ("; whole process, user space: %s Ir per request%s" % (
        fmt_int(ucg), " (nginx's worker: %s)" % fmt_int(ucg_ngx) if ucg_ngx else "")
        if ucg else "")
    for batch, n, incl, _ in cg:
        v = incl["__total__"] / n
        row("<= 30,000 instructions per accepted event in the core (callgrind, `bench_core`, "
            "%s event%s per commit)" % (batch, "" if batch == "1" else "s"),
            "**%s** Ir per event%s" % (fmt_int(v), beside), v <= 30000)
    if not cg:
        row("<= 30,000 instructions per accepted event in the core", "–", None)
    snaps = malloc_snaps(raw)
    if snaps:
        steady = snaps["load"][1] - snaps["warm"][1]
        row("zero heap allocations per request (malloc_count.so, after warm-up)",
            "**%s** in %s requests (%s at start-up)" % (
                fmt_int(steady), fmt_int(snaps["load"][0]), fmt_int(snaps["started"][1])),
            steady == 0)
    else:
        row("zero heap allocations per request", "–", None)
    lines.append("| target | measured | |")
    lines.append("|---|---|---|")
    lines.extend(rows)
    lines.append("")
    met = sum(1 for r in rows if r.endswith("**pass** |"))
    lines.append("%d of %d targets met in this run." % (met, len(rows)))
    lines.append("")
    if scale:
        # a server that answers with a constant bounds what any receiver can
        # reach against Node on this machine: the 4x target's scale
        lines.append("For scale, nginx `return 200` (a constant answer, no work) against the "
                     "Node.js receiver in this run: " + "; ".join(scale) + ".")
        lines.append("")


def main():
    raw = sys.argv[1]
    lines = ["# chatbell benchmark summary", ""]
    env = os.path.join(raw, "env.txt")
    lines.append("```")
    lines.extend(read(env).strip().splitlines() if os.path.exists(env) else [])
    lines.append("```")
    lines.append("")
    lines.append("## Targets (issue 15)")
    lines.append("")
    targets(raw, lines)
    sections = [
        ("isend.*.txt", "instaleap-send --load (unique signed events)",
         lambda: ratios(load_table(raw, "isend", lines), lines, "instaleap-send")),
        ("isend*.chatbell-on.*.txt", "Group commit (chatbell, instaleap-send)",
         lambda: group_commit(raw, lines)),
        ("wrk.*.txt", "wrk (pre-signed requests from a generated Lua script)",
         lambda: ratios(load_table(raw, "wrk", lines), lines, "wrk")),
        ("callgrind.*.log", "Instructions per accepted event (callgrind, bench_core)",
         lambda: callgrind(raw, lines)),
        ("rss.txt", "Peak RSS of the simulator (VmHWM)", lambda: rss(raw, lines)),
        ("malloc.txt", "Heap allocations (malloc_count.so, chatbell fsync off)",
         lambda: mallocs(raw, lines)),
        ("ucg.*.txt", "User-space instructions per request (whole process)",
         lambda: userspace(raw, lines)),
        ("strace.*.txt", "Syscalls per request", lambda: syscalls(raw, lines)),
    ]
    for pattern, title, fn in sections:
        if glob.glob(os.path.join(raw, pattern)):
            lines.append("## " + title)
            lines.append("")
            fn()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
