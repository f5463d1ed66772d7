#!/usr/bin/env python3
"""Benchmark of a first login on a big account, against a real Synapse
(scripts/testbed): the real natter in a pseudo-terminal of 200x60, and the
homeserver's own time for the full /v3/sync that the first login of any
/v3/sync client waits for.

usage: bench_login.py NATTER WORKDIR [RUNS]
(default 3 runs; the homeserver is $NATTER_BENCH_HS, default
/var/cache/natter-bench/hs500)

The account is the one bench_seed.py made (500 rooms, 50 of them direct
chats, 100 messages a room, from 30 senders); with no complete seed in
that directory bench_seed.py seeds it first (about 30 minutes), and
otherwise brings its homeserver up; it is left up after the runs. Before the first run one full sync by
plain HTTP, not counted, warms the homeserver's caches after its start, so
the runs are alike. Each run then does, in this order:

  login-server-sync   a fresh login by plain HTTP (a new device: Synapse
                      keeps sync answers per device), natter's filter
                      uploaded (50 events a room's timeline, members
                      lazy-loaded), then GET /_matrix/client/v3/sync with
                      no since and timeout 0, from sending the request to
                      the answer's last byte, ms. Its CPU column is
                      Synapse's (from /proc/PID/stat), its size goes to
                      stderr. The device is logged out after.
  login-first-screen  `natter login` on a fresh profile (password on
                      stdin; not timed), then `natter -p P -v` in the pty:
                      from starting natter until its output to the
                      terminal holds the names of the 3 group rooms and
                      of the 3 direct chats with the newest messages
                      (natter lists direct chats apart, named by the
                      other member's display name) AND the echo of
                      a letter (from no alphabet the account uses)
                      written to the pty when natter was started, that is
                      the compose box taking keys; the later of the two,
                      ms.
  login-first-screen-ratio  login-first-screen / login-server-sync of the
                      same run (target <= 0.1).
  login-all-rooms     from starting natter until its log says it knows
                      every room: the line "sync: every room known (N
                      rooms)", or, from a natter that does not write it
                      (one on /v3/sync only), the first line "sync: N
                      rooms, ..." with N at least the account's rooms; the
                      log is polled every 10 ms, ms.
  login-peak-rss      VmHWM of natter (/proc/PID/status) at that moment,
                      MB.
  login-idle-rss      VmRSS of natter 5 s later, the pty read meanwhile
                      and nothing typed, MB.
  warm-start          natter is quit (C-u, C-q; its exit status must be 0)
                      and started again on the same profile: from starting
                      it until its output holds the same 6 names and the
                      echo of another letter written at its start, ms.
  warm-start-rss      VmHWM of natter at that moment, MB.

Then as many runs again with natter told to use /v3/sync (`[sync] protocol
= v3`), whose figures are the same with "v3-" in front: a homeserver that
offers no sliding sync gets the same natter.

natter is then quit again and `natter logout` ends its device, so that
the runs leave the account's devices as they found them.

The terminal's output is read all along, so natter never waits on it.
Prints one "run\tFIGURE\tVALUE\tWALL_MS\tCPU_MS" line a figure a run (for
times, wall is the figure itself; for sizes, the time since natter's start
when it was read; CPU is natter's, from /proc/PID/stat, but for the
server's sync); notes go to stderr. Asserts nothing about time: the
targets (issue 14) are in table.py. Needs root (the testbed does).
"""
import fcntl
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

from bench_tty import Terminal, emit

HERE = os.path.dirname(os.path.abspath(__file__))
HS_DIR = os.environ.get("NATTER_BENCH_HS", "/var/cache/natter-bench/hs500")
NEWEST = 3     # of the group rooms, and of the direct chats
PROFILE = "login"
# One letter a start, from alphabets in no room name, message or escape
# sequence: its echo is the compose box at work.
LETTERS = [chr(c) for c in range(ord("а"), ord("а") + 32)]
FILTER = {"room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 50}}}


def note(msg):
    print("  login: " + msg, file=sys.stderr, flush=True)


def seeded():
    """Seeds (or brings up) the homeserver; its manifest."""
    cmd = [sys.executable, os.path.join(HERE, "bench_seed.py"), "--dir", HS_DIR]
    marker = os.path.join(HS_DIR, "seed-complete")
    if os.path.exists(marker):
        with open(marker) as f:
            scale = json.load(f)
        cmd += ["--%s=%d" % (k, v) for k, v in scale.items()]
    else:
        note("no complete seed in %s: seeding (about 30 minutes at full scale)" % HS_DIR)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    # Held (shared) until the end, so that no seeder starts again under the runs.
    lock = open(os.path.join(HS_DIR, "seed.lock"), "a")
    fcntl.flock(lock, fcntl.LOCK_SH)
    with open(os.path.join(HS_DIR, "seed.json")) as f:
        return json.load(f), lock


def synapse_pid():
    with open(os.path.join(HS_DIR, "state")) as f:
        for line in f:
            if line.startswith("PID="):
                return int(line[4:].strip().strip("'"))
    raise RuntimeError("no PID in %s/state" % HS_DIR)


def cpu_ms(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def call(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=None if body is None else json.dumps(body).encode(),
                 headers=headers)
    r = conn.getresponse()
    raw = r.read()
    if r.status != 200:
        raise RuntimeError("%s %s: HTTP %d: %s" % (method, path, r.status, raw[:200]))
    return raw


def server_sync(seed, pid):
    """A full /v3/sync on a new device: ms to the last byte, Synapse's CPU
    ms, bytes."""
    u = urllib.parse.urlsplit(seed["homeserver"])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    login = json.loads(call(conn, "POST", "/_matrix/client/v3/login", {
        "type": "m.login.password", "identifier": {"type": "m.id.user", "user": seed["user"]},
        "password": seed["password"], "initial_device_display_name": "bench_login"}))
    token = login["access_token"]
    try:
        fid = json.loads(call(conn, "POST", "/_matrix/client/v3/user/%s/filter"
                              % urllib.parse.quote(seed["user"], safe=""), FILTER,
                              token))["filter_id"]
        path = "/_matrix/client/v3/sync?timeout=0&filter=" + urllib.parse.quote(fid, safe="")
        cpu0 = cpu_ms(pid)
        t0 = time.monotonic()
        body = call(conn, "GET", path, None, token)
        ms = (time.monotonic() - t0) * 1000
        cpu = cpu_ms(pid) - cpu0
        rooms = len(json.loads(body).get("rooms", {}).get("join", {}))
        if rooms != len(seed["rooms"]):
            note("the server's sync held %d rooms, not %d" % (rooms, len(seed["rooms"])))
        return ms, cpu, len(body)
    finally:
        call(conn, "POST", "/_matrix/client/v3/logout", {}, token)
        conn.close()


def wait_screen(term, needles, t0, timeout):
    """Reads the output until it holds every needle; the time it did, since t0, ms."""
    end = time.monotonic() + timeout
    missing = list(needles)
    while missing:
        if time.monotonic() > end:
            raise RuntimeError("natter never showed %r" % [m.decode() for m in missing])
        term.pump(0.005)
        missing = [n for n in missing if n not in term.out]
    return (time.monotonic() - t0) * 1000


def log_says_all(log, rooms):
    """Whether natter's log says it knows every room."""
    try:
        with open(log, errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return False
    for line in text.splitlines():
        if "sync: every room known (" in line:
            return True
        i = line.find("sync: ")
        if i >= 0:
            n = line[i + 6:].split(" ", 1)[0]
            if n.isdigit() and int(n) >= rooms and line[i + 6 + len(n):].startswith(" rooms"):
                return True
    return False


def cache_holds_all(db, rooms):
    """Whether natter's cache holds every room (read-only, between its
    writes: the cache is in WAL mode)."""
    if not os.path.exists(db):
        return False
    try:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=0.05)
        try:
            return c.execute("SELECT count(*) FROM rooms").fetchone()[0] >= rooms
        finally:
            c.close()
    except sqlite3.Error:
        return False


def quit_natter(term, what):
    """C-u, C-q; natter's exit status (noted unless 0)."""
    term.write(b"\x15")
    term.pump(0.1)
    term.write(b"\x11")
    end = time.monotonic() + 20
    while time.monotonic() < end:
        pid, status = os.waitpid(term.pid, os.WNOHANG)
        if pid:
            break
        try:
            term.pump(0.05)
        except RuntimeError:        # natter closed the terminal
            pid, status = os.waitpid(term.pid, 0)
            break
    else:
        note("%s: natter did not quit on C-q; killed" % what)
        os.kill(term.pid, signal.SIGKILL)
        os.waitpid(term.pid, 0)
        status = -1
    os.close(term.fd)
    code = os.waitstatus_to_exitcode(status) if status != -1 else None
    if code != 0:
        note("%s: natter exited with status %s; its last output: %r"
             % (what, code, bytes(term.out[-400:])))
    return code


def start(natter, env, letter):
    t0 = time.monotonic()
    term = Terminal([natter, "-p", PROFILE, "-v"], env)
    term.write(letter.encode())     # typed at once: shown when the compose box takes it
    return term, t0


def one_run(natter, workdir, n, seed, needles, pid, protocol=None):
    """One first login and warm start; with protocol ("v3"), natter told to
    use it, and its figures named after it."""
    def fig(name):
        return "%s-%s" % (protocol, name) if protocol else name

    ms, cpu, size = server_sync(seed, pid)
    emit("login-server-sync", ms, ms, cpu)
    note("run %d: the server's full sync: %.0f ms, Synapse's CPU %.0f ms, %.1f MB"
         % (n + 1, ms, cpu, size / 1e6))

    home = os.path.join(workdir, "login-%d" % n)
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, XDG_DATA_HOME=home + "/data", XDG_CONFIG_HOME=home + "/config",
               XDG_STATE_HOME=home + "/state", TERM="xterm-256color", LANG="C.UTF-8",
               LC_ALL="C.UTF-8")
    r = subprocess.run([natter, "-p", PROFILE, "login", "--homeserver", seed["homeserver"],
                        "--user", seed["user"], "--password-stdin"],
                       input=(seed["password"] + "\n").encode(), env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("natter login: status %d: %s" % (r.returncode, r.stderr.decode()))
    if protocol:
        os.makedirs(os.path.join(home, "config", "natter"), exist_ok=True)
        with open(os.path.join(home, "config", "natter", "config"), "w") as f:
            f.write("[sync]\nprotocol = %s\n" % protocol)
    log = os.path.join(home, "state", "natter", PROFILE + ".log")

    letter = LETTERS[(2 * n) % len(LETTERS)]
    term, t0 = start(natter, env, letter)
    try:
        first = wait_screen(term, needles + [letter.encode()], t0, 600)
        first_cpu = term.cpu_ms()
        emit(fig("login-first-screen"), first, first, first_cpu)
        emit(fig("login-first-screen-ratio"), first / ms, first, first_cpu)
        end = time.monotonic() + 600
        db = os.path.join(home, "data", "natter", PROFILE, "cache.db")
        while not log_says_all(log, len(seed["rooms"])):
            if not os.path.exists(log) and cache_holds_all(db, len(seed["rooms"])):
                note("natter wrote no log (an older natter's interface ignores -v): every "
                     "room known = its cache holding every room")
                break
            if time.monotonic() > end:
                raise RuntimeError("natter never knew every room")
            term.pump(0.01)
        known = (time.monotonic() - t0) * 1000
        known_cpu = term.cpu_ms()
        peak = term.status("VmHWM")
        emit(fig("login-all-rooms"), known, known, known_cpu)
        emit(fig("login-peak-rss"), peak, known, known_cpu)
        term.pump(5)
        emit(fig("login-idle-rss"), term.status("VmRSS"), (time.monotonic() - t0) * 1000,
             term.cpu_ms())
        note("run %d: first screen %.0f ms (CPU %.0f ms), every room %.0f ms, peak %.1f MB"
             % (n + 1, first, first_cpu, known, peak))
    finally:
        quit_natter(term, "run %d, first start" % (n + 1))

    letter = LETTERS[(2 * n + 1) % len(LETTERS)]
    term, t0 = start(natter, env, letter)
    try:
        warm = wait_screen(term, needles + [letter.encode()], t0, 120)
        cpu = term.cpu_ms()
        emit(fig("warm-start"), warm, warm, cpu)
        emit(fig("warm-start-rss"), term.status("VmHWM"), warm, cpu)
        term.pump(0.5)
    finally:
        quit_natter(term, "run %d, warm start" % (n + 1))
    # Its device goes, so that runs leave the account as they found it.
    r = subprocess.run([natter, "-p", PROFILE, "logout"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        note("natter logout: status %d: %s" % (r.returncode, r.stderr.decode().strip()))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    natter, workdir = os.path.abspath(sys.argv[1]), sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(workdir, exist_ok=True)
    seed, _lock = seeded()
    pid = synapse_pid()
    if os.getpriority(os.PRIO_PROCESS, pid) != 0:
        os.setpriority(os.PRIO_PROCESS, pid, 0)    # started by a niced seeder
    # natter lists the direct chats apart (50 of them fill most of 60
    # rows): the newest of each kind are on the first screen.
    newest = ([r for r in seed["rooms"] if not r["dm"]][:NEWEST]
              + [r for r in seed["rooms"] if r["dm"]][:NEWEST])
    needles = [r["label"].encode() for r in newest]
    note("%s: %d rooms (%d direct chats); the newest: %s"
         % (seed["homeserver"], len(seed["rooms"]), sum(r["dm"] for r in seed["rooms"]),
            ", ".join(r["label"] for r in newest)))
    ms, _, size = server_sync(seed, pid)
    note("warm-up full sync (not counted): %.0f ms, %.1f MB" % (ms, size / 1e6))
    for n in range(runs):
        one_run(natter, workdir, n, seed, needles, pid)
    for n in range(runs):
        one_run(natter, workdir, runs + n, seed, needles, pid, "v3")


if __name__ == "__main__":
    main()
