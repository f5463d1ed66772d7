#!/usr/bin/env python3
"""Prints the one table of tests/bench/run from the "run\tFIGURE\tVALUE\t
WALL_MS\tCPU_MS" lines the benchmarks printed (one a figure a run): for
each figure its target, the median over its runs, their spread (min-max,
and how many runs), and the median wall and CPU time of a run. A figure
with no runs shows "-". Judges nothing: targets are there to read.

usage: table.py RUNS_FILE
"""
import statistics
import sys

# key, what it is, unit, target
FIGURES = [
    ("ingest", "ingest: 500 rooms x 200 events parsed + stored", "ev/s", ">= 50,000"),
    ("search-cold-p50", "search 1M msgs, 100 queries, cold round: p50", "ms", "-"),
    ("search-cold-p95", "search 1M msgs, 100 queries, cold round: p95", "ms", "-"),
    ("search-warm-p50", "search 1M msgs, 100 queries, warm rounds: p50", "ms", "-"),
    ("search-warm-p95", "search 1M msgs, 100 queries, warm rounds: p95", "ms", "< 20"),
    ("keystroke-p50", "natter keystroke to screen, sync bursts: p50", "ms", "-"),
    ("keystroke-p95", "natter keystroke to screen, sync bursts: p95", "ms", "-"),
    ("rss-50-rooms-vmrss", "natter after opening 50 rooms: VmRSS", "MB", "< 40"),
    ("rss-50-rooms-vmhwm", "natter after opening 50 rooms: VmHWM", "MB", "< 40"),
    ("redraw-p50", "full redraw, 10,000 msgs in the window: p50", "ms", "-"),
    ("redraw-p95", "full redraw, 10,000 msgs in the window: p95", "ms", "-"),
    ("export", "export of a 10,000-message thread to .eml", "ms", "< 500"),
    ("rooms-wall", "natter rooms, 500 rooms: wall time", "ms", "-"),
    ("rooms-rss", "natter rooms, 500 rooms: peak RSS", "MB", "-"),
    ("megolm-encrypt", "Megolm encrypt, 230-byte events, one core", "msg/s", ">= 20,000"),
    ("megolm-decrypt", "Megolm decrypt, 230-byte events, one core", "msg/s", ">= 20,000"),
    ("first-screen-plain", "first screen, 100 rooms x 50 msgs, in clear", "ms", "-"),
    ("first-screen-e2ee", "first screen, 100 rooms x 50 msgs, encrypted", "ms", "-"),
    ("first-screen-ratio", "first screen: encrypted / in clear", "x", "<= 1.2"),
    ("login-server-sync", "first login, 500 rooms: Synapse's full /v3/sync", "ms", "-"),
    ("login-first-screen", "first login, 500 rooms: usable screen", "ms", "<= 2,000"),
    ("login-first-screen-ratio", "first login: usable screen / Synapse's full sync", "x",
     "<= 0.1"),
    ("login-all-rooms", "first login, 500 rooms: every room known", "ms", "-"),
    ("login-peak-rss", "first login, 500 rooms: peak RSS", "MB", "<= 30"),
    ("login-idle-rss", "first login, 500 rooms: idle RSS 5 s after", "MB", "<= 25"),
    ("warm-start", "warm start, 500 rooms: usable screen", "ms", "<= 50"),
    ("warm-start-rss", "warm start, 500 rooms: peak RSS", "MB", "<= 20"),
    ("v3-login-first-screen", "first login on /v3/sync, 500 rooms: usable screen", "ms", "-"),
    ("v3-login-first-screen-ratio", "first login on /v3/sync: usable screen / Synapse's full "
     "sync", "x", "-"),
    ("v3-login-all-rooms", "first login on /v3/sync, 500 rooms: every room known", "ms", "-"),
    ("v3-login-peak-rss", "first login on /v3/sync, 500 rooms: peak RSS", "MB", "<= 30"),
    ("v3-login-idle-rss", "first login on /v3/sync, 500 rooms: idle RSS 5 s after", "MB",
     "<= 25"),
    ("v3-warm-start", "warm start on /v3/sync, 500 rooms: usable screen", "ms", "<= 50"),
    ("v3-warm-start-rss", "warm start on /v3/sync, 500 rooms: peak RSS", "MB", "<= 20"),
    ("broadcast-200", "broadcast to 200 people (155 targets): sent", "ms", "-"),
    ("broadcast-200-rss", "broadcast to 200 people: peak RSS", "MB", "-"),
    ("report-200", "report of a 200-person broadcast, synced first", "ms", "-"),
    ("report-200-rss", "report of a 200-person broadcast: peak RSS", "MB", "-"),
    ("backup-restore-10k-keys-100k-msgs", "recover: 10,000 backup keys, 100,000 msgs read",
     "ms", "-"),
    ("backup-restore-10k-keys-100k-msgs-rss", "recover: 10,000 keys, 100,000 msgs: peak RSS",
     "MB", "-"),
    ("backup-restore-10k-keys-only", "recover: 10,000 backup keys, no messages", "ms", "-"),
    ("backup-restore-10k-keys-only-rss", "recover: 10,000 keys, no messages: peak RSS", "MB",
     "-"),
]


def number(v, unit):
    if unit.endswith("/s"):
        return "{:,.0f}".format(v)
    return "%.1f" % v if v >= 10 else "%.2f" % v


def duration(ms):
    return "%.2f s" % (ms / 1000) if ms >= 1000 else "%.1f ms" % ms


def read_runs(path):
    runs = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 5 and parts[0] == "run":
                runs.setdefault(parts[1], []).append(tuple(map(float, parts[2:])))
    return runs


def row(key, label, unit, target, runs):
    got = runs.get(key)
    if not got:
        return [label, unit, target, "-", "-", "-", "-"]
    values = [v for v, _, _ in got]
    return [label, unit, target, number(statistics.median(values), unit),
            "%s-%s (%d)" % (number(min(values), unit), number(max(values), unit), len(values)),
            duration(statistics.median(w for _, w, _ in got)),
            duration(statistics.median(c for _, _, c in got))]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = read_runs(sys.argv[1])
    rows = [["figure", "unit", "target", "median", "spread min-max (runs)", "wall/run",
             "CPU/run"]]
    rows += [row(*f, runs) for f in FIGURES]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))).rstrip())


if __name__ == "__main__":
    main()
