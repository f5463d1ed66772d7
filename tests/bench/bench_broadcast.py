#!/usr/bin/env python3
"""Benchmark of a broadcast to 200 people and its report, against a real
Synapse (scripts/testbed).

usage: bench_broadcast.py NATTER WORKDIR [RUNS]
(default 3 runs; the homeserver is $NATTER_BENCH_BCAST, default
/var/cache/natter-bench/bcast200, on port 61701)

The account @exec:localhost and 200 recipients are seeded once and kept,
with a marker (seed-complete) written last; a directory without it is
seeded again from an empty homeserver. The seed, through the shared-secret
admin API and the client API, several requests at once:

  r001..r150    each makes a direct chat (is_direct, not encrypted) and
                invites @exec, who joins; @exec's m.direct lists them.
  Board 1..5    group rooms of @exec and 10 of r151..r200 each.

so that the broadcast's --to, the config's list `all` (150 user ids and
the 5 rooms), is 155 targets and 200 people, every direct chat found
through m.direct. Each run, on a fresh profile (login and a first
`natter sync --once`, not counted):

  broadcast-200       `natter broadcast --to @list:all TEXT`, from start
                      to exit (every copy sent and the broadcast kept),
                      ms; broadcast-200-rss its peak RSS (getrusage), MB.
  then, not counted: r001..r100 post a read receipt on their copy,
  r101..r150 answer it, and the first 5 members of each group room post a
  receipt on the room's copy;
  report-200          `natter broadcast --report ID --json`, which syncs
                      first, from start to exit, ms; report-200-rss its
                      peak RSS, MB. Its rows are counted (200 people,
                      125 read, 50 replied) and a mismatch noted.

natter is then logged out, so that runs leave the account's devices as
they found them. Prints "run\tFIGURE\tVALUE\tWALL_MS\tCPU_MS" lines;
notes go to stderr. Asserts nothing about time. Needs root (the testbed).
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_seed import Client, Error, pool_run, q, read_env, register, testbed  # noqa: E402

HS_DIR = os.environ.get("NATTER_BENCH_BCAST", "/var/cache/natter-bench/bcast200")
PORT = 61701
SCALE = {"dms": 150, "groups": 5, "group_size": 10}
PASSWORD = "bench-recipient-password"
EXEC_PASSWORD = "bench-exec-password"
PROFILE = "bcast"
TEXT = "The board pack for Thursday is in the shared folder; please read section 3."
JOBS = 6


def note(msg):
    print("  broadcast: " + msg, file=sys.stderr, flush=True)


def seed(d):
    env = read_env(d)
    cl = Client(env["NATTER_TEST_HOMESERVER"])
    secret = env["NATTER_TEST_REGISTRATION_SECRET"]
    t0 = time.monotonic()
    people = ["r%03d" % i for i in range(1, SCALE["dms"] + SCALE["groups"] *
                                         SCALE["group_size"] + 1)]
    uid, tokens = {}, {}

    def reg(local, pw, name):
        def f():
            uid[local], tokens[local] = register(cl, secret, local, pw, name)
        return f
    pool_run(JOBS, [reg("exec", EXEC_PASSWORD, "Sam Okafor")] +
             [reg(p, PASSWORD, "Recipient %s" % p[1:]) for p in people], "accounts")
    me = uid["exec"]
    rooms = {}

    def dm(p):
        def f():
            rooms[p] = cl.call("POST", "/_matrix/client/v3/createRoom",
                               {"preset": "trusted_private_chat", "is_direct": True,
                                "invite": [me]}, tokens[p])["room_id"]
        return f

    def group(g):
        members = people[SCALE["dms"] + g * SCALE["group_size"]:
                         SCALE["dms"] + (g + 1) * SCALE["group_size"]]

        def f():
            rooms["Board %d" % (g + 1)] = cl.call(
                "POST", "/_matrix/client/v3/createRoom",
                {"preset": "private_chat", "name": "Board %d" % (g + 1),
                 "invite": [uid[m] for m in members[1:]] + [me]}, tokens[members[0]])["room_id"]
        return f, members
    groups = [group(g) for g in range(SCALE["groups"])]
    pool_run(JOBS, [dm(p) for p in people[:SCALE["dms"]]] + [f for f, _ in groups], "rooms")

    def join(room, who):
        return lambda: cl.call("POST", "/_matrix/client/v3/rooms/%s/join" % q(room), {},
                               tokens[who])
    joins = [join(rooms[p], "exec") for p in people[:SCALE["dms"]]]
    for g, (_, members) in enumerate(groups):
        joins += [join(rooms["Board %d" % (g + 1)], m) for m in members[1:] + ["exec"]]
    pool_run(JOBS, joins, "joins")
    cl.call("PUT", "/_matrix/client/v3/user/%s/account_data/m.direct" % q(me),
            {uid[p]: [rooms[p]] for p in people[:SCALE["dms"]]}, tokens["exec"])
    manifest = {
        "homeserver": env["NATTER_TEST_HOMESERVER"], "user": me, "password": EXEC_PASSWORD,
        "dms": [{"user_id": uid[p], "token": tokens[p], "room_id": rooms[p]}
                for p in people[:SCALE["dms"]]],
        "groups": [{"name": "Board %d" % (g + 1), "room_id": rooms["Board %d" % (g + 1)],
                    "members": [{"user_id": uid[m], "token": tokens[m]} for m in members]}
                   for g, (_, members) in enumerate(groups)],
        "seed_seconds": round(time.monotonic() - t0),
    }
    with open(os.path.join(d, "seed.json.tmp"), "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(os.path.join(d, "seed.json.tmp"), os.path.join(d, "seed.json"))
    note("seeded %d people in %.0f s" % (len(people), time.monotonic() - t0))


def seeded():
    """The seed's manifest, seeding first when there is no complete one; a
    shared lock on it held until the end."""
    os.makedirs(HS_DIR, exist_ok=True)
    lock = open(os.path.join(HS_DIR, "seed.lock"), "a")
    fcntl.flock(lock, fcntl.LOCK_EX)
    marker = os.path.join(HS_DIR, "seed-complete")
    if os.path.exists(marker):
        with open(marker) as f:
            if json.load(f) != SCALE:
                sys.exit("bench_broadcast: %s holds another seed" % HS_DIR)
        if testbed("status", HS_DIR, check=False).returncode != 0:
            testbed("up", HS_DIR)
    else:
        if os.path.exists(os.path.join(HS_DIR, "state")):
            note("%s holds an incomplete seed: starting again" % HS_DIR)
            testbed("stop", HS_DIR, check=False)
        testbed("start", HS_DIR, str(PORT))
        seed(HS_DIR)
        with open(marker + ".tmp", "w") as f:
            json.dump(SCALE, f)
        os.replace(marker + ".tmp", marker)
    fcntl.flock(lock, fcntl.LOCK_SH)
    with open(os.path.join(HS_DIR, "seed.json")) as f:
        return json.load(f), lock


def run_measured(argv, env):
    """argv as a child of its own, with getrusage of it: status, wall ms,
    CPU ms, peak RSS MB, stdout, stderr."""
    out_r, out_w = os.pipe()
    err_path = os.path.join(env["XDG_STATE_HOME"], "stderr")
    os.makedirs(env["XDG_STATE_HOME"], exist_ok=True)
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(out_w, 1)
        os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.execve(argv[0], argv, env)
    os.close(out_w)
    chunks = []
    while True:
        b = os.read(out_r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(out_r)
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter() - t) * 1000
    with open(err_path) as f:
        err = f.read()
    return (os.waitstatus_to_exitcode(status), wall, (ru.ru_utime + ru.ru_stime) * 1000,
            ru.ru_maxrss / 1024, b"".join(chunks).decode(), err)


def emit(figure, value, wall, cpu):
    print("run\t%s\t%.6g\t%.3f\t%.3f" % (figure, value, wall, cpu), flush=True)


def natter_ok(natter, env, *args, stdin=None):
    r = subprocess.run([natter, "-p", PROFILE, *args], env=env, input=stdin,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("natter %s: status %d: %s" % (args[0], r.returncode, r.stderr))
    return r.stdout


def answers(cl, seed, copies):
    """Receipts from r001..r100 and 5 members a group; answers from
    r101..r150; none of it timed."""
    tasks = []

    def receipt(token, room, event):
        return lambda: cl.call("POST", "/_matrix/client/v3/rooms/%s/receipt/m.read/%s"
                               % (q(room), q(event)), {}, token)

    def answer(token, room, n):
        return lambda: cl.call("PUT", "/_matrix/client/v3/rooms/%s/send/m.room.message/%s"
                               % (q(room), "bench-answer-%d-%d" % (n, time.time_ns())),
                               {"msgtype": "m.text", "body": "Read it, thanks."}, token)
    for i, d in enumerate(seed["dms"]):
        if i < 100:
            tasks.append(receipt(d["token"], d["room_id"], copies[d["user_id"]]))
        else:
            tasks.append(answer(d["token"], d["room_id"], i))
    for g in seed["groups"]:
        for m in g["members"][:5]:
            tasks.append(receipt(m["token"], g["room_id"], copies[g["name"]]))
    pool_run(JOBS, tasks, "receipts and answers")


def one_run(natter, workdir, n, seed):
    home = os.path.join(workdir, "bcast-%d" % n)
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, XDG_DATA_HOME=home + "/data", XDG_CONFIG_HOME=home + "/config",
               XDG_STATE_HOME=home + "/state", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    os.makedirs(home + "/config/natter")
    targets = [d["user_id"] for d in seed["dms"]] + [g["name"] for g in seed["groups"]]
    with open(home + "/config/natter/config", "w") as f:
        f.write("[lists]\nall = %s\n" % ", ".join(targets))
    natter_ok(natter, env, "login", "--homeserver", seed["homeserver"], "--user",
              seed["user"], "--password-stdin", stdin=seed["password"] + "\n")
    try:
        natter_ok(natter, env, "sync", "--once")
        text = "%s (run %d)" % (TEXT, n + 1)
        status, wall, cpu, rss, out, err = run_measured(
            [natter, "-p", PROFILE, "broadcast", "--to", "@list:all", text], env)
        if status != 0:
            raise RuntimeError("natter broadcast: status %d: %s" % (status, err))
        emit("broadcast-200", wall, wall, cpu)
        emit("broadcast-200-rss", rss, wall, cpu)
        copies = {}
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == "sent":
                copies[" ".join(parts[1:-1])] = parts[-1]
        bid = out.splitlines()[-1].split()[1]
        note("run %d: broadcast %s to %d targets: %.0f ms, CPU %.0f ms, %.1f MB"
             % (n + 1, bid, len(copies), wall, cpu, rss))
        answers(Client(seed["homeserver"]), seed, copies)

        status, wall, cpu, rss, out, err = run_measured(
            [natter, "-p", PROFILE, "broadcast", "--report", bid, "--json"], env)
        if status != 0:
            raise RuntimeError("natter broadcast --report: status %d: %s" % (status, err))
        emit("report-200", wall, wall, cpu)
        emit("report-200-rss", rss, wall, cpu)
        rows = [json.loads(line) for line in out.splitlines() if line]
        read = sum(r.get("read", False) for r in rows)
        replied = sum(r.get("replied", False) for r in rows)
        note("run %d: report of %d people (%d read, %d replied): %.0f ms, CPU %.0f ms, %.1f MB"
             % (n + 1, len(rows), read, replied, wall, cpu, rss))
        if (len(rows), read, replied) != (200, 125, 50):
            note("run %d: the report is not the 200 people, 125 read and 50 replied expected"
                 % (n + 1))
    finally:
        subprocess.run([natter, "-p", PROFILE, "logout"], env=env, capture_output=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    natter, workdir = os.path.abspath(sys.argv[1]), sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(workdir, exist_ok=True)
    try:
        seed_, _lock = seeded()
    except Error as e:
        sys.exit("bench_broadcast: %s" % e)
    for n in range(runs):
        one_run(natter, workdir, n, seed_)


if __name__ == "__main__":
    main()
