#!/usr/bin/env python3
"""privmemctl metrics: Prometheus text that promtool (when installed) and a strict parser of the
exposition format accept, with every family the issue names and values that match --json and the
pools; metrics --json field by field."""
import math
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import Daemon, MiB, expect, expect_eq, fail, main, wait_until  # noqa: E402

CONFIG = """[pool vm]
sizes = 2M:2 4M:1
limit = 32M
users = *

[pool odd]
sizes = 1M:1
limit = 8M
users = *
"""

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"(%s)(?:\{((?:%s)(?:,%s)*)\})? (\S+)" % (NAME, LABEL, LABEL))
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Refused(Exception):
    """The text breaks the exposition format."""


def need(cond, msg):
    if not cond:
        raise Refused(msg)


def parse_value(s, line):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s.replace("Inf", "inf"))
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", s):
        need(False, "bad value %r in %r" % (s, line))
    return float(s)


def family_of(name, families):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)] if name.endswith(suffix) else None
        if base and families.get(base, {}).get("type") == "histogram":
            return base
    return name


def parse(text):
    """A strict reader of the text format: HELP and TYPE once each, before the family's samples;
    families contiguous; no duplicate series; the text ends with a newline."""
    need(text.endswith("\n"), "the text does not end with a newline")
    families, series, order = {}, set(), []
    for line in text[:-1].split("\n"):
        m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
        if m:
            kind, name, rest = m.groups()
            f = families.setdefault(name, {"samples": []})
            need(kind.lower() not in f and not f["samples"], "%s of %s twice or after its samples" % (kind, name))
            need(kind == "HELP" or rest in TYPES, "type %r of %s" % (rest, name))
            f[kind.lower()] = rest
            if not order or order[-1] != name:
                need(name not in order, "family %s is not contiguous" % name)
                order.append(name)
            continue
        need(not line.startswith("#"), "comment %r" % line)
        m = SAMPLE.fullmatch(line)
        need(m, "not a sample line: %r" % line)
        name, labels_text, value = m.group(1), m.group(2), m.group(m.lastindex)
        labels = dict(re.findall(LABEL, labels_text or ""))
        need(len(labels) == len(re.findall(LABEL, labels_text or "")), "a label twice in %r" % line)
        key = (name, tuple(sorted(labels.items())))
        need(key not in series, "series twice: %r" % line)
        series.add(key)
        fam = family_of(name, families)
        need(fam in families and order[-1] == fam, "sample %r outside its family" % line)
        families[fam]["samples"].append((name, labels, parse_value(value, line)))
    for name, f in families.items():
        need("help" in f and "type" in f, "family %s lacks HELP or TYPE" % name)
        need(f["type"] != "counter" or name.endswith("_total"), "counter %s does not end in _total" % name)
    return families


def check_histogram(f, name):
    buckets = [(float(lab["le"].replace("Inf", "inf")), v) for n, lab, v in f["samples"] if n == name + "_bucket"]
    expect(buckets and buckets[-1][0] == math.inf, "%s has no +Inf bucket" % name)
    expect([b[0] for b in buckets] == sorted(b[0] for b in buckets), "%s buckets out of order" % name)
    expect(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "%s buckets not cumulative" % name)
    count = [v for n, lab, v in f["samples"] if n == name + "_count"]
    expect(count == [buckets[-1][1]], "%s_count %r, +Inf bucket %r" % (name, count, buckets[-1][1]))
    expect(len([1 for n, _, _ in f["samples"] if n == name + "_sum"]) == 1, "%s_sum" % name)
    return buckets


def values(families, name):
    return {tuple(sorted(lab.items())): v for n, lab, v in families[name]["samples"] if n == name}


def check_json(m):
    expect_eq(set(m), {"metrics"}, "metrics --json top level")
    m = m["metrics"]
    expect_eq(set(m), {"acquires", "invalidations", "leaks", "acquireSeconds", "refillSeconds", "pools"}, "metrics fields")
    expect_eq(m["pools"], [{"pool": p, "populateTimeouts": 0, "stuckWorkers": 0} for p in ("vm", "odd")], "metrics.pools")
    expect_eq([a["result"] for a in m["acquires"]], ["ready", "built", "exhausted", "quota", "denied", "invalid", "failed"],
              "acquire results")
    for h in ("acquireSeconds", "refillSeconds"):
        expect_eq(set(m[h]), {"buckets", "count", "sum"}, "fields of " + h)
        expect(all(set(b) == {"le", "count"} and isinstance(b["le"], float) for b in m[h]["buckets"]), h + " buckets")
    return m


def test_metrics(d):
    d.ctl("exec", "--pool=vm", "--size=2M", "--", "true")
    d.ctl("exec", "--pool=vm", "--size=64M", "--", "true", code=1)
    d.wait_leases(0, "the exec's lease to end")
    wait_until(lambda: d.json("metrics")["metrics"]["invalidations"] == 1, "one invalidation")
    d.wait_settled("vm")
    m = check_json(d.json("metrics"))
    text = d.ctl("metrics").stdout

    promtool = shutil.which("promtool")
    if promtool:
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        expect(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
               "promtool check metrics: %s%s\n%s" % (r.stdout, r.stderr, text))
    else:
        print("promtool not installed (apt-get install prometheus): only the strict parser checks the text")

    try:
        f = parse(text)
    except Refused as e:
        fail("%s in:\n%s" % (e, text))
    expect_eq(sorted(f), sorted(["privmemd_pool_bytes", "privmemd_pool_limit_bytes", "privmemd_pool_ready_memfds",
                                 "privmemd_leases", "privmemd_acquires_total", "privmemd_invalidations_total",
                                 "privmemd_leaks_total", "privmemd_leaked_bytes", "privmemd_acquire_seconds",
                                 "privmemd_refill_seconds", "privmemd_pool_populate_timeouts_total",
                                 "privmemd_pool_stuck_workers_total", "privmemd_workers",
                                 "privmemd_stuck_workers"]), "families")
    pb = values(f, "privmemd_pool_bytes")
    expect_eq(pb[(("pool", "vm"), ("state", "ready"))], 8 * MiB, "ready bytes of vm")
    expect_eq(pb[(("pool", "vm"), ("state", "lent"))], 0, "lent bytes of vm")
    expect_eq(len(pb), 6, "pool_bytes series: 2 pools x 3 states")
    expect_eq(values(f, "privmemd_pool_limit_bytes"), {(("pool", "vm"),): 32 * MiB, (("pool", "odd"),): 8 * MiB}, "limits")
    expect_eq(values(f, "privmemd_pool_ready_memfds")[(("pool", "vm"), ("size", str(2 * MiB)))], 2, "ready 2M memfds")
    expect_eq(values(f, "privmemd_leases"), {(("state", s),): 0 for s in ("active", "invalidating", "leaked")}, "leases")
    acq = values(f, "privmemd_acquires_total")
    expect_eq({k[0][1]: v for k, v in acq.items()}, {a["result"]: a["count"] for a in m["acquires"]}, "acquires vs JSON")
    expect_eq(acq[(("result", "ready"),)], 1, "ready acquires")
    expect_eq(acq[(("result", "quota"),)], 1, "acquires over the quota")
    expect_eq(values(f, "privmemd_invalidations_total"), {(): 1}, "invalidations")
    expect_eq(values(f, "privmemd_leaks_total"), {(): 0}, "leaks")
    expect_eq(values(f, "privmemd_leaked_bytes"), {(): 0}, "leaked bytes")
    expect_eq(values(f, "privmemd_workers"), {(): d.json("status")["status"]["workers"]}, "workers")
    expect_eq(values(f, "privmemd_stuck_workers"), {(): 0}, "stuck workers")
    for name in ("privmemd_pool_populate_timeouts_total", "privmemd_pool_stuck_workers_total"):
        expect_eq(values(f, name), {(("pool", "vm"),): 0, (("pool", "odd"),): 0}, name)
    for name, key in (("privmemd_acquire_seconds", "acquireSeconds"), ("privmemd_refill_seconds", "refillSeconds")):
        buckets = check_histogram(f[name], name)
        expect_eq([b[1] for b in buckets[:-1]], [b["count"] for b in m[key]["buckets"]], name + " vs JSON")
    expect(check_histogram(f["privmemd_refill_seconds"], "privmemd_refill_seconds")[-1][1] >= 4, "refills counted")


def test_escaping():
    """The parser itself refuses what the format forbids."""
    for bad in ('m{a="x"} 1\n', '# TYPE m gauge\nm{a="x} 1\n', '# HELP m h\n# TYPE m gauge\nm 1\nm 2\n',
                '# HELP m h\n# TYPE m counter\nm 1\n', '# HELP m h\n# TYPE m gauge\nm one\n'):
        try:
            parse(bad)
        except Refused:
            continue
        fail("the parser accepted %r" % bad)


def test():
    d = Daemon(CONFIG)
    d.wait_settled("vm")
    test_metrics(d)
    d.stop()


if __name__ == "__main__":
    test_escaping()
    main(test)
