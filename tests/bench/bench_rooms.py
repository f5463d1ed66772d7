#!/usr/bin/env python3
"""Benchmark: `natter -p bench rooms` on the 500-room cache bench_ingest
leaves, RUNS times: each run prints its wall time (ms) and its peak RSS
(MB, getrusage of the child) as "run\tFIGURE\tVALUE\tWALL_MS\tCPU_MS"
lines. Asserts nothing about time.

usage: bench_rooms.py NATTER [RUNS]
"""
import os
import sys
import time


def one_run(natter):
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execv(natter, [natter, "-p", "bench", "rooms"])
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter() - t) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench_rooms: natter rooms failed")
    cpu = (ru.ru_utime + ru.ru_stime) * 1000
    print("run\trooms-wall\t%.6g\t%.3f\t%.3f" % (wall, wall, cpu))
    print("run\trooms-rss\t%.6g\t%.3f\t%.3f" % (ru.ru_maxrss / 1024, wall, cpu), flush=True)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 10):
        one_run(sys.argv[1])


if __name__ == "__main__":
    main()
