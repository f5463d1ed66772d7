#!/usr/bin/env python3
"""Benchmark of the real natter in a terminal: the binary, its poll loop,
libcurl and curses, in a pseudo-terminal of 200x60, logged in (with
`natter login`) to a small homeserver on 127.0.0.1 that this script runs.

usage: bench_tty.py NATTER WORKDIR [RUNS [KEYS]]

Each run starts natter in a fresh profile under WORKDIR, whose first sync
brings 50 rooms of 200 messages, then:

  rss-50-rooms    after C-n has opened each of the 50 rooms (each drawn
                  before the next key), VmRSS and VmHWM of the natter
                  process from /proc/PID/status, in MB.
  keystroke       the server answers every /sync at once with a burst of
                  500 new messages in 25 rooms, so natter is almost always
                  applying one; KEYS times, at random intervals of 20-80
                  ms, a letter is written to the terminal and timed until
                  natter's output to the terminal holds it. Only
                  keys written while a burst was being applied count
                  (between the end of a /sync answer and natter's next
                  /sync request): p50 and p95 in ms.

Prints one "run\tFIGURE\tVALUE\tWALL_MS\tCPU_MS" line a figure a run
(CPU is natter's, from /proc/PID/stat); notes go to stderr. The server
speaks plain HTTP: libcurl and its TLS library are loaded and initialised
in natter, but no TLS handshake is timed. Asserts nothing about time.
"""
import fcntl
import json
import os
import random
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROOMS = 50
ROOM_MESSAGES = 200
BURST_EVENTS = 500
BURST_ROOMS = 25
ROWS, COLS = 60, 200
SELF = "@me:bench"
# Letters typed in turn, KEYS_LINE to a line (then C-u empties it), from
# alphabets found in no message, room name or escape sequence, the next
# line's from the other one: each key changes its cell, so curses must
# send it, and no redraw of an earlier key can pass for its echo.
KEYS_LINE = 24
ALPHABETS = [[chr(c).encode() for c in range(ord("а"), ord("а") + KEYS_LINE)],
             [chr(c).encode() for c in range(ord("α"), ord("ω") + 1) if c != ord("ς")]]
WORDS = ("the board meeting is moved to thursday please confirm with dana and the "
         "travel desk flight car pickup budget review numbers draft attached").split()


def room_id(r):
    return "!room%02d:bench" % r


def message(event_id, sender, ts, rnd):
    body = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 30)))
    return {"type": "m.room.message", "sender": sender, "event_id": event_id,
            "origin_server_ts": ts, "content": {"msgtype": "m.text", "body": body}}


def state(r, ts):
    events = [{"type": "m.room.create", "state_key": "", "sender": "@dana:bench",
               "event_id": "$c%d" % r, "origin_server_ts": ts, "content": {}},
              {"type": "m.room.name", "state_key": "", "sender": "@dana:bench",
               "event_id": "$n%d" % r, "origin_server_ts": ts,
               "content": {"name": "Room %02d" % r}}]
    for user, name in ((SELF, "Sam"), ("@dana:bench", "Dana"), ("@marcus:bench", "Marcus")):
        events.append({"type": "m.room.member", "state_key": user, "sender": user,
                       "event_id": "$m%d%s" % (r, user[1:5]), "origin_server_ts": ts,
                       "content": {"membership": "join", "displayname": name}})
    return events


def initial_sync():
    rnd = random.Random(1)
    join = {}
    for r in range(ROOMS):
        ts = 1700000000000 + r * 1000
        timeline = [message("$i%d_%d" % (r, e), rnd.choice(("@dana:bench", "@marcus:bench")),
                            ts + e * 60000, rnd) for e in range(ROOM_MESSAGES)]
        join[room_id(r)] = {"state": {"events": state(r, ts)},
                            "timeline": {"events": timeline, "limited": False},
                            "unread_notifications": {"notification_count": 0}}
    return json.dumps({"next_batch": "s0", "rooms": {"join": join}}).encode()


def burst_template():
    """A burst with @@ where its number goes, so each has new event ids."""
    rnd = random.Random(2)
    join = {}
    per = BURST_EVENTS // BURST_ROOMS
    for k in range(BURST_ROOMS):
        r = (k * 2) % ROOMS
        events = [message("$b@@_%d_%d" % (r, e), "@dana:bench", 1800000000000 + e, rnd)
                  for e in range(per)]
        join[room_id(r)] = {"timeline": {"events": events, "limited": False}}
    return json.dumps({"next_batch": "s@@", "rooms": {"join": join}}).encode()


class BenchServer(ThreadingHTTPServer):
    """A homeserver on 127.0.0.1 the benchmarks stand up: a thread a
    connection, quiet when natter hangs up."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not issubclass(sys.exc_info()[0], ConnectionError):
            super().handle_error(request, client_address)   # not natter hanging up


class JsonHandler(BaseHTTPRequestHandler):
    """Answers in JSON over keep-alive connections, without a log."""
    protocol_version = "HTTP/1.1"
    # Headers and body go in two writes: with Nagle's algorithm the body
    # would wait for the client's delayed ACK (40 ms), a delay no real
    # homeserver adds.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def reply(self, body, code=200):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


class Homeserver(BenchServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.initial = initial_sync()
        self.burst = burst_template()
        self.bursting = threading.Event()
        self.lock = threading.Lock()
        self.served = []        # monotonic times a /sync answer was written
        self.asked = []         # monotonic times a /sync request arrived
        self.bursts = 0

    def applying(self, t):
        """Whether natter was applying a burst at t: after an answer was
        written, before the next request came."""
        with self.lock:
            served, asked = list(self.served), list(self.asked)
        for s in served:
            later = [a for a in asked if a > s]
            if s <= t and (not later or t <= min(later)):
                return True
        return False


class Handler(JsonHandler):
    def do_GET(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        url = urlsplit(self.path)
        hs = self.server
        if url.path == "/_matrix/client/versions":
            return self.reply({"versions": ["v1.11", "v1.12"]})
        if url.path == "/_matrix/client/v3/login":
            return self.reply({"user_id": SELF, "access_token": "bench", "device_id": "BENCH"})
        if url.path.endswith("/filter"):
            return self.reply({"filter_id": "1"})
        if url.path.endswith("/messages"):
            return self.reply({"chunk": [], "start": "t0"})
        if url.path != "/_matrix/client/v3/sync":
            return self.reply({})
        return self.sync(parse_qs(url.query))

    do_POST = do_PUT = do_GET

    def sync(self, query):
        hs = self.server
        with hs.lock:
            hs.asked.append(time.monotonic())
        if "since" not in query:
            return self.reply(hs.initial)
        if not hs.bursting.wait(int(query.get("timeout", ["0"])[0]) / 1000):
            return self.reply({"next_batch": query["since"][0]})
        with hs.lock:
            hs.bursts += 1
            n = hs.bursts
        self.reply(hs.burst.replace(b"@@", b"%d" % n))
        with hs.lock:
            hs.served.append(time.monotonic())


class Terminal:
    """natter in a pseudo-terminal, its output read as it comes."""

    def __init__(self, argv, env):
        pid, fd = os.forkpty()
        if pid == 0:
            os.execve(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.out = bytearray()

    def pump(self, seconds):
        """Reads output for the given time; returns when it came."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if select.select([self.fd], [], [], left)[0]:
                self.read()

    def read(self):
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            raise RuntimeError("natter exited")
        self.out += data
        return time.monotonic()

    def wait_for(self, what, timeout):
        """Reads until what appears after the current end of the output;
        returns the time it did."""
        start = len(self.out)
        end = time.monotonic() + timeout
        while what not in self.out[max(start - len(what), 0):]:
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("natter never showed %r" % what)
            if select.select([self.fd], [], [], left)[0]:
                t = self.read()
        return t

    def quiet(self, gap, timeout=30):
        """Reads until no output came for gap seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not select.select([self.fd], [], [], gap)[0]:
                return
            self.read()

    def write(self, data):
        os.write(self.fd, data)

    def cpu_ms(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def status(self, key):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self):
        try:
            self.write(b"\x11")     # C-q
            for _ in range(50):
                if os.waitpid(self.pid, os.WNOHANG)[0] != 0:
                    break
                self.pump(0.1)
            else:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
        except (OSError, RuntimeError, ChildProcessError):
            pass
        os.close(self.fd)


def emit(figure, value, wall_ms, cpu_ms):
    print("run\t%s\t%.6g\t%.3f\t%.3f" % (figure, value, wall_ms, cpu_ms), flush=True)


def percentile(values, p):
    values = sorted(values)
    rank = max(int(-(-p * len(values) // 100)), 1)
    return values[rank - 1]


def open_rooms(term):
    """C-n through the 50 rooms, each drawn before the next key."""
    t0, cpu0 = time.monotonic(), term.cpu_ms()
    for r in range(1, ROOMS):
        term.write(b"\x0e")
        term.quiet(0.05)
    term.quiet(0.3)
    wall, cpu = (time.monotonic() - t0) * 1000, term.cpu_ms() - cpu0
    emit("rss-50-rooms-vmrss", term.status("VmRSS"), wall, cpu)
    emit("rss-50-rooms-vmhwm", term.status("VmHWM"), wall, cpu)


def type_keys(term, hs, keys, rnd):
    """Keys written at random moments while bursts flow."""
    hs.bursting.set()
    term.pump(1.0)
    times, outside = [], 0
    t0, cpu0 = time.monotonic(), term.cpu_ms()
    for i in range(keys):
        if i > 0 and i % KEYS_LINE == 0:
            term.write(b"\x15")     # C-u: an empty line again
            term.quiet(0.05, 2)
        term.pump(rnd.uniform(0.02, 0.08))
        key = ALPHABETS[i // KEYS_LINE % 2][i % KEYS_LINE]
        sent = time.monotonic()
        term.write(key)
        shown = term.wait_for(key, 30)
        if hs.applying(sent):
            times.append((shown - sent) * 1000)
        else:
            outside += 1
    wall, cpu = (time.monotonic() - t0) * 1000, term.cpu_ms() - cpu0
    hs.bursting.clear()
    print("  tty: %d keys during bursts, %d between them; %d bursts of %d events "
          "applied" % (len(times), outside, hs.bursts, BURST_EVENTS), file=sys.stderr)
    if times:
        emit("keystroke-p50", percentile(times, 50), wall, cpu)
        emit("keystroke-p95", percentile(times, 95), wall, cpu)


def one_run(natter, workdir, n, keys):
    hs = Homeserver()
    threading.Thread(target=hs.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % hs.server_address[1]
    home = os.path.join(workdir, "tty-%d" % n)
    env = dict(os.environ, XDG_DATA_HOME=home + "/data", XDG_CONFIG_HOME=home + "/config",
               XDG_STATE_HOME=home + "/state", TERM="xterm-256color", LANG="C.UTF-8",
               LC_ALL="C.UTF-8")
    subprocess.run([natter, "-p", "tty", "login", "--homeserver", url, "--user", SELF,
                    "--password-stdin"], input=b"secret\n", env=env, check=True,
                   stdout=subprocess.DEVNULL)
    term = Terminal([natter, "-p", "tty"], env)
    try:
        term.wait_for(b"Room ", 30)
        while len(hs.asked) < 2:        # the first sync stored and asked again
            term.pump(0.05)
        term.quiet(0.5)
        open_rooms(term)
        type_keys(term, hs, keys, random.Random(n))
    finally:
        term.close()
        hs.shutdown()
        hs.server_close()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    natter, workdir = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    keys = int(sys.argv[4]) if len(sys.argv) > 4 else 150
    for n in range(runs):
        one_run(natter, workdir, n, keys)


if __name__ == "__main__":
    main()
