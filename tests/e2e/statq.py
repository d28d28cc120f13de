# SPDX-License-Identifier: MIT
"""Sums one counter of `twshim stat --json` over matching processes.

statq.py FILE FIELD [--comm NAME] [--dest ADDR] [--direction out|in]
  FIELD: a counter (connects, active_closes, time_wait_estimate, ...) or
         connect_errors.ERRNO; summed over the processes (and aggregates) whose
         comm is NAME, and with --dest over their destination ADDR only.
  Also: statq.py FILE procs [--comm NAME]   the number of processes folded in
  (aggregates count as their merged_processes).
"""
import argparse
import json
import sys


def value(obj, field):
    for part in field.split("."):
        obj = obj[part]
    return obj


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("field")
    ap.add_argument("--comm")
    ap.add_argument("--dest")
    ap.add_argument("--direction", default=None)
    a = ap.parse_args()
    with open(a.file) as f:
        doc = json.load(f)
    total = 0
    for p in doc["processes"]:
        if a.comm and p["comm"] != a.comm:
            continue
        if a.field == "procs":
            total += p["merged_processes"] if p["aggregate"] else 1
            continue
        if a.dest is None:
            total += value(p, a.field)
            continue
        for d in p["destinations"]:
            if d["addr"] == a.dest and (a.direction is None or d["direction"] == a.direction):
                total += value(d, a.field)
    print(total)


if __name__ == "__main__":
    sys.exit(main())
