# SPDX-License-Identifier: MIT
"""Checks `twshim stat --prometheus` output, read with a parser of its own.

promcheck.py lint FILE
    the format's rules promtool leaves alone: one HELP and one TYPE per
    family, before its samples, which stay together; no series twice; no
    timestamps; no pid label; histograms cumulative with +Inf = _count.
promcheck.py json BEFORE JSON AFTER
    BEFORE and AFTER (two --prometheus runs around one `stat --json --all`)
    say what the JSON says, summed per command and destination. No traffic
    in between: counters must be equal in all three; the TIME_WAIT gauge
    can only fall, so BEFORE >= JSON >= AFTER.
promcheck.py same FILE... SCRAPE [--except NAME]
    every twshim sample of the FILEs is in SCRAPE (node_exporter's page,
    or another file) with the same value, whatever the label order and
    number spelling, and SCRAPE has no other (NAME's values not compared).
promcheck.py value FILE NAME [LABEL=VALUE...]
    the value of the one sample of NAME with these labels (among others).
"""
import json
import re
import sys
from collections import defaultdict

SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def fail(msg):
    print(f"promcheck: {msg}", file=sys.stderr)
    sys.exit(1)


def labels_of(text, line):
    """{k="v",...} with \\\\, \\" and \\n escapes, to a dict."""
    out, i = {}, 1
    while i < len(text) - 1:
        m = re.match(r'([a-zA-Z_][a-zA-Z0-9_]*)="', text[i:])
        if not m:
            fail(f"bad labels in: {line}")
        key, i, val = m.group(1), i + m.end(), []
        while text[i] != '"':
            if text[i] == "\\":
                val.append({"\\": "\\", '"': '"', "n": "\n"}[text[i + 1]])
                i += 2
            else:
                val.append(text[i])
                i += 1
        if key in out:
            fail(f"label {key} twice in: {line}")
        out[key] = "".join(val)
        i += 1
        if text[i] == ",":
            i += 1
    return out


def parse(path):
    """[(family, type, help, [(name, labels, value)])] in file order."""
    families, current = [], None
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if not line:
                continue
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                kind, name, rest = line[2:6], *line[7:].split(" ", 1)
                if current is None or current[0] != name:
                    current = [name, None, None, []]
                    families.append(current)
                slot = 2 if kind == "HELP" else 1
                if current[slot] is not None:
                    fail(f"second {kind} for {name}")
                if current[3]:
                    fail(f"{kind} for {name} after its samples")
                current[slot] = rest
                continue
            if line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if not m:
                fail(f"not a sample (a timestamp?): {line}")
            name, labels = m.group(1), labels_of(m.group(2) or "{}", line)
            if current is None or not name.startswith(current[0]):
                current = [name, None, None, []]
                families.append(current)
            current[3].append((name, labels, float(m.group(3))))
    return families


def key(name, labels):
    ls = dict(labels)
    if "le" in ls:
        ls["le"] = float(ls["le"])
    return (name, tuple(sorted(ls.items())))


def samples(path, prefix=""):
    out = {}
    for fam in parse(path):
        for name, labels, value in fam[3]:
            if name.startswith(prefix):
                out[key(name, labels)] = value
    return out


def lint(path):
    fams = parse(path)
    names = [f[0] for f in fams]
    if len(names) != len(set(names)):
        fail(f"a family in two places: {sorted(n for n in names if names.count(n) > 1)}")
    seen = set()
    for name, typ, help_, ss in fams:
        if typ is None or help_ is None:
            fail(f"{name}: no TYPE or no HELP")
        for n, labels, v in ss:
            k = key(n, labels)
            if k in seen:
                fail(f"series twice: {n}{labels}")
            seen.add(k)
            if "pid" in labels:
                fail(f"a pid label: {n}{labels}")
        if typ == "histogram":
            series = defaultdict(list)
            counts = {}
            for n, labels, v in ss:
                base = tuple(sorted((a, b) for a, b in labels.items() if a != "le"))
                if n == name + "_bucket":
                    series[base].append((float(labels["le"]), v))
                elif n == name + "_count":
                    counts[base] = v
            for base, buckets in series.items():
                les = [le for le, _ in buckets]
                if les != sorted(les) or les[-1] != float("inf"):
                    fail(f"{name}{dict(base)}: le out of order or no +Inf")
                vals = [v for _, v in buckets]
                if vals != sorted(vals):
                    fail(f"{name}{dict(base)}: buckets not cumulative: {vals}")
                if counts.get(base) != vals[-1]:
                    fail(f"{name}{dict(base)}: _count {counts.get(base)} != +Inf {vals[-1]}")
    print(f"ok: {path}: {len(fams)} families, {len(seen)} series, each once")


def from_json(doc):
    """What the JSON says, keyed as the exposition is."""
    want = defaultdict(float)
    tw = defaultdict(float)
    sums = defaultdict(lambda: [0, 0])  # connect us: [low, high) bounds of the sum
    for p in doc["processes"]:
        comm = p["comm"]
        for state in ("alive", "exited", "vanished", "aggregate"):
            want[("twshim_processes", comm, state)] += 0
        want[("twshim_processes", comm, p["state"])] += p["merged_processes"] if p["aggregate"] else 1
        for a, v in p["policy_actions"].items():
            want[("twshim_policy_actions_total", comm, a)] += v
        for d in p["destinations"]:
            row = (comm, d["direction"], "other" if d["direction"] == "other" else d["addr"])
            if d["direction"] != "in":
                want[("twshim_connects_total",) + row] += d["connects"]
                for e, v in d["connect_errors"].items():
                    want[("twshim_connect_errors_total",) + row + (e,)] += v
                cu = d["connect_us"]
                for i, v in enumerate(cu["histogram_log2"][:-1]):
                    want[("twshim_connect_duration_seconds_bucket",) + row + ((1 << i) / 1e6,)] += v
                want[("twshim_connect_duration_seconds_count",) + row] += cu["calls"]
                sums[row][0] += cu["mean"] * cu["calls"]
                sums[row][1] += (cu["mean"] + 1) * cu["calls"]
            if d["direction"] != "out":
                want[("twshim_accepts_total",) + row] += d["accepts"]
            for side in ("active", "passive", "reset", "other"):
                want[("twshim_closes_total",) + row + (side,)] += d[side + "_closes"]
            want[("twshim_open_connections",) + row] += d["open"]
            want[("twshim_open_at_exit",) + row] += d["open_at_exit"]
            tw[row] += d["time_wait_estimate"]
    want[("twshim_slots_folded_total",)] = doc["slots_folded"]
    return want, tw, sums


def prom_view(path):
    """The exposition keyed as from_json keys the JSON."""
    got, tw, sums = defaultdict(float), {}, {}
    cum = {}
    for fam in parse(path):
        for name, ls, v in fam[3]:
            if name in ("twshim_processes",):
                got[(name, ls["comm"], ls["state"])] = v
            elif name == "twshim_policy_actions_total":
                got[(name, ls["comm"], ls["action"])] = v
            elif name == "twshim_slots_folded_total":
                got[(name,)] = v
            elif "destination" in ls:
                row = (ls["comm"], ls["direction"], ls["destination"])
                if name == "twshim_time_wait":
                    tw[row] = v
                elif name == "twshim_connect_duration_seconds_sum":
                    sums[row] = round(v * 1e6)
                elif name == "twshim_connect_duration_seconds_bucket":
                    le = float(ls["le"])
                    if le != float("inf"):
                        # back from cumulative to per bucket, as the JSON has them
                        got[(name,) + row + (le,)] = v - cum.get(row, 0)
                        cum[row] = v
                elif name in ("twshim_connect_errors_total",):
                    got[(name,) + row + (ls["errno"],)] = v
                elif name == "twshim_closes_total":
                    got[(name,) + row + (ls["side"],)] = v
                else:
                    got[(name,) + row] = v
    return got, tw, sums


def compare_json(before, doc_path, after):
    with open(doc_path) as f:
        doc = json.load(f)
    want, want_tw, want_sums = from_json(doc)
    b, b_tw, b_sums = prom_view(before)
    a, a_tw, a_sums = prom_view(after)
    if b != a:
        diff = {k: (b.get(k), a.get(k)) for k in set(b) | set(a) if b.get(k) != a.get(k)}
        fail(f"counters moved between the two runs (traffic in flight?): {diff}")
    bad = {k: (want.get(k), b.get(k)) for k in set(want) | set(b) if want.get(k) != b.get(k)}
    if bad:
        fail(f"JSON and exposition differ (json, prometheus): {dict(sorted(bad.items()))}")
    for row in set(want_tw) | set(b_tw):
        if not b_tw.get(row, -1) >= want_tw.get(row, -2) >= a_tw.get(row, -3):
            fail(f"time_wait {row}: before {b_tw.get(row)} json {want_tw.get(row)} "
                 f"after {a_tw.get(row)}")
    for row, (lo, hi) in want_sums.items():
        if not lo <= b_sums.get(row, -1) < hi or b_sums.get(row) != a_sums.get(row):
            fail(f"connect duration sum {row}: {b_sums.get(row)} us, JSON says [{lo}, {hi})")
    print(f"ok: {len(want)} values and {len(want_tw)} TIME_WAIT gauges as the JSON says")


def same(*args):
    skip = None
    if len(args) > 2 and args[-2] == "--except":
        skip, args = args[-1], args[:-2]
    if len(args) < 2:
        fail("same: FILE... SCRAPE [--except NAME]")
    mine, theirs = {}, samples(args[-1], "twshim_")
    for path in args[:-1]:
        mine.update(samples(path, "twshim_"))
    missing = {k: v for k, v in mine.items() if k not in theirs or
               (theirs[k] != v and k[0] != skip)}
    if missing:
        fail(f"{len(missing)} samples not served as written, e.g. {list(missing.items())[:3]}")
    extra = set(theirs) - set(mine)
    if extra:
        fail(f"served but not written: {list(extra)[:3]}")
    print(f"ok: all {len(mine)} samples served as written")


def value(path, name, pairs):
    want = dict(p.split("=", 1) for p in pairs)
    hits = [v for fam in parse(path) for n, ls, v in fam[3]
            if n == name and all(ls.get(k) == w for k, w in want.items())]
    if len(hits) != 1:
        fail(f"{len(hits)} samples of {name} with {want}")
    print(int(hits[0]) if hits[0] == int(hits[0]) else hits[0])


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "lint":
        lint(*args)
    elif cmd == "json":
        compare_json(*args)
    elif cmd == "same":
        same(*args)
    elif cmd == "value":
        value(args[0], args[1], args[2:])
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
