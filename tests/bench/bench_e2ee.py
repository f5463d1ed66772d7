#!/usr/bin/env python3
"""Benchmark of the first usable screen of the real natter, in a
pseudo-terminal of 200x60, on an account of 100 rooms whose first sync
brings 50 messages each: once with every room end-to-end encrypted, once
the same account with the same messages in clear.

usage: bench_e2ee.py NATTER GEN WORKDIR [RUNS [ROOMS [MESSAGES]]]
(defaults: 5 runs of each, 100 rooms, 50 messages)

GEN is bench_e2ee_gen, which makes the encrypted twin of the sync with
natter's own crypto module: an m.room.encryption state event in each
room, each message an m.room.encrypted Megolm event (one session a room,
all sent by one device of @dana:bench), and the rooms' keys as Olm
m.room_key to-device events to natter's device, in the same sync as the
messages, so that natter decrypts everything while it stores that sync.

Each run logs a fresh profile in (`natter login`) to a homeserver on
127.0.0.1 that this script runs, then runs `natter sync --once` on an
account with no rooms yet: natter publishes its device's keys after its
first sync, and the room keys must be encrypted to them. The homeserver
records the published keys, GEN wraps the room keys for them, and only
then does the clock start: every byte of the sync natter will get is made
before. The figure is the time from starting natter (the interface) to
its output to the terminal holding the room list (the names of the 20
newest rooms) and the newest message of the open room (the newest room),
in clear. It covers the whole start: the process, the cache opened, the
/sync asked for and parsed, in the encrypted run the sender's device
asked for (/keys/query, answered at once) and every message decrypted,
the sync stored, and the screen drawn. The clock starts with natter
rather than at the /sync's answer because a person waits for all of it,
and the parts before that answer cost both runs the same. The plain run
does exactly the same but for the encryption.

  first-screen-plain  the time to the first usable screen, in clear, ms
  first-screen-e2ee   the same, every room encrypted, ms
  first-screen-ratio  e2ee / plain, of the two runs made one after the
                      other (plain first); its wall and CPU time are the
                      pair's

Prints one "run\tFIGURE\tVALUE\tWALL_MS\tCPU_MS" line a figure a run
(wall is the figure itself; CPU is natter's, from /proc/PID/stat, when
the screen was there); notes go to stderr. Asserts nothing about time.
"""
import json
import os
import random
import select
import shutil
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

from bench_tty import SELF, BenchServer, JsonHandler, Terminal, emit, message, state

SENDER = "@dana:bench"
ROOM_NAMES = 20
NEWEST = "Last word in room %02d: the car is booked for 8:15."


def room_id(r):
    return "!room%02d:bench" % r


def first_sync(rooms, messages):
    """The rooms, each newer than the one before; the last message of
    each says which room it is in."""
    rnd = random.Random(1)
    join = {}
    for r in range(rooms):
        ts = 1700000000000 + r * 1000
        timeline = [message("$i%d_%d" % (r, e), SENDER, ts + e * 60000, rnd)
                    for e in range(messages)]
        timeline[-1]["content"]["body"] = NEWEST % r
        join[room_id(r)] = {"state": {"events": state(r, ts)},
                            "timeline": {"events": timeline, "limited": False},
                            "unread_notifications": {"notification_count": 0}}
    return {"next_batch": "s1", "rooms": {"join": join}}


class Homeserver(BenchServer):
    """Answers the first /sync with no rooms, the next with self.big."""

    def __init__(self, device):
        super().__init__(("127.0.0.1", 0), Handler)
        self.device = device
        self.big = None
        self.uploads = []
        self.otks = 0
        self.closing = threading.Event()


class Handler(JsonHandler):
    def do_GET(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urlsplit(self.path)
        hs = self.server
        if url.path == "/_matrix/client/versions":
            return self.reply({"versions": ["v1.11", "v1.12"]})
        if url.path == "/_matrix/client/v3/login":
            return self.reply({"user_id": SELF, "access_token": "bench", "device_id": "BENCH"})
        if url.path.endswith("/filter"):
            return self.reply({"filter_id": "1"})
        if url.path == "/_matrix/client/v3/keys/upload":
            return self.upload(json.loads(body))
        if url.path == "/_matrix/client/v3/keys/query":
            return self.reply(hs.device)
        if url.path == "/_matrix/client/v3/keys/claim":
            return self.reply({"one_time_keys": {}})
        if url.path.endswith("/messages"):
            return self.reply({"chunk": [], "start": "t0"})
        if url.path == "/_matrix/client/v3/sync":
            return self.sync(parse_qs(url.query))
        return self.reply({})

    do_POST = do_PUT = do_GET

    def upload(self, keys):
        hs = self.server
        hs.uploads.append(keys)
        hs.otks += len(keys.get("one_time_keys", {}))
        self.reply({"one_time_key_counts": {"signed_curve25519": hs.otks}})

    def sync(self, query):
        hs = self.server
        since = query.get("since", [None])[0]
        if since is None:
            return self.reply({"next_batch": "s0"})
        if since == "s0" and hs.big is not None:
            return self.reply(hs.big)
        hs.closing.wait(int(query.get("timeout", ["0"])[0]) / 1000)
        return self.reply({"next_batch": since})


def natter_keys(upload):
    """What GEN wants of natter's first keys/upload: user, Curve25519,
    Ed25519 and one of its one-time keys."""
    device = upload["device_keys"]
    keys = device["keys"]
    otk = next(iter(upload["one_time_keys"].values()))["key"]
    return "%s %s %s %s\n" % (device["user_id"], keys["curve25519:" + device["device_id"]],
                              keys["ed25519:" + device["device_id"]], otk)


def sync_body(sync, to_device, otks):
    """The sync natter gets, with what the server says of its keys."""
    sync = dict(sync, device_one_time_keys_count={"signed_curve25519": otks},
                device_unused_fallback_key_types=["signed_curve25519"])
    if to_device is not None:
        sync["to_device"] = {"events": to_device}
    return json.dumps(sync).encode()


def first_screen(term, needles, timeout):
    """Reads until the output holds every one of needles; the time it did."""
    end = time.monotonic() + timeout
    missing = list(needles)
    while missing:
        left = end - time.monotonic()
        if left <= 0:
            raise RuntimeError("natter never showed %r" % missing)
        if select.select([term.fd], [], [], left)[0]:
            t = term.read()
            missing = [n for n in missing if n not in term.out]
    return t


def one_run(natter, gen, workdir, n, mode, syncs):
    """One start of natter on a fresh profile; its figure, in ms, and CPU."""
    hs = Homeserver(syncs["device"])
    threading.Thread(target=hs.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % hs.server_address[1]
    home = os.path.join(workdir, "e2ee-%s-%d" % (mode, n))
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, XDG_DATA_HOME=home + "/data", XDG_CONFIG_HOME=home + "/config",
               XDG_STATE_HOME=home + "/state", TERM="xterm-256color", LANG="C.UTF-8",
               LC_ALL="C.UTF-8")
    try:
        subprocess.run([natter, "-p", "e2ee", "login", "--homeserver", url, "--user", SELF,
                        "--password-stdin"], input=b"secret\n", env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([natter, "-p", "e2ee", "sync", "--once"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        if mode == "e2ee":
            gen.stdin.write(natter_keys(hs.uploads[0]).encode())
            gen.stdin.flush()
            hs.big = sync_body(syncs["e2ee"], json.loads(gen.stdout.readline()), hs.otks - 1)
        else:
            hs.big = sync_body(syncs["plain"], None, hs.otks)
        return time_first_screen(natter, env, syncs["needles"])
    finally:
        hs.closing.set()
        hs.shutdown()
        hs.server_close()


def time_first_screen(natter, env, needles):
    t0 = time.monotonic()
    term = Terminal([natter, "-p", "e2ee"], env)
    try:
        t1 = first_screen(term, needles, 120)
        return (t1 - t0) * 1000, term.cpu_ms()
    finally:
        term.close()


def prepare(gen_path, workdir, rooms, messages):
    """The plain sync, its encrypted twin, the sender's device, and GEN
    left running to wrap room keys for each run's natter."""
    plain = first_sync(rooms, messages)
    plain_path = os.path.join(workdir, "e2ee-plain.json")
    enc_path = os.path.join(workdir, "e2ee-encrypted.json")
    with open(plain_path, "w") as f:
        json.dump(plain, f)
    gen = subprocess.Popen([gen_path, SENDER, plain_path, enc_path], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)
    line = gen.stdout.readline()
    if not line:
        sys.exit("bench_e2ee: %s made no encrypted sync" % gen_path)
    device = json.loads(line)
    with open(enc_path) as f:
        encrypted = json.load(f)
    print("  e2ee: a sync of %d rooms x %d messages: %.1f MB in clear, %.1f MB encrypted"
          % (rooms, messages, os.path.getsize(plain_path) / 1e6,
             os.path.getsize(enc_path) / 1e6), file=sys.stderr)
    newest = rooms - 1
    needles = [(NEWEST % newest).encode()]
    needles += [b"Room %02d" % r for r in range(newest, max(newest - ROOM_NAMES, -1), -1)]
    return gen, {"plain": plain, "e2ee": encrypted, "device": device, "needles": needles}


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    natter, gen_path, workdir = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    rooms = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    messages = int(sys.argv[6]) if len(sys.argv) > 6 else 50
    gen, syncs = prepare(gen_path, workdir, rooms, messages)
    try:
        for n in range(runs):
            plain_ms, plain_cpu = one_run(natter, gen, workdir, n, "plain", syncs)
            e2ee_ms, e2ee_cpu = one_run(natter, gen, workdir, n, "e2ee", syncs)
            emit("first-screen-plain", plain_ms, plain_ms, plain_cpu)
            emit("first-screen-e2ee", e2ee_ms, e2ee_ms, e2ee_cpu)
            emit("first-screen-ratio", e2ee_ms / plain_ms, plain_ms + e2ee_ms,
                 plain_cpu + e2ee_cpu)
            print("  e2ee: run %d: natter's CPU %.0f ms in clear, %.0f ms encrypted"
                  % (n + 1, plain_cpu, e2ee_cpu), file=sys.stderr)
    finally:
        gen.stdin.close()
        gen.wait()


if __name__ == "__main__":
    main()
