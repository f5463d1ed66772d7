#!/usr/bin/env python3
"""Seeds, once, a real Synapse homeserver (scripts/testbed) with a big
account for bench_login.py, and keeps it for later runs.

usage: bench_seed.py [--dir DIR] [--port PORT] [--rooms N] [--dms N]
                     [--messages N] [--senders N] [--jobs N]
(defaults: DIR $NATTER_BENCH_HS or /var/cache/natter-bench/hs500, port
61700, 500 rooms of which 50 direct chats, 100 messages a room, 30
senders, 6 requests at once)

The port is above the kernel's ephemeral range (32768-60999 here), where
the integration tests pick theirs: `scripts/testbed start DIR PORT` wipes
whatever data lies kept for PORT, so a test that happened on the seed's
port while its homeserver was down would erase it.

The account is @exec:localhost (password in DIR/seed.json), in every room:

  group rooms   rooms - dms of them, each named ("Finance budget review"),
                made by one of the senders with 2-9 other senders invited
                (and @exec); everyone invited joins.
  direct chats  dms of them: a sender (or, past the senders, a contact
                account of its own) makes a two-member room with
                `is_direct` and invites @exec, who joins; @exec's m.direct
                account data lists them all.
  messages      messages m.room.message events a room, sentences of
                varied length from the room's members at random (@exec
                among them). The last message of each room is sent after
                every other message, one room after the other in a fixed
                order, so the rooms' order by latest activity (timestamp
                and stream position alike) is well defined; DIR/seed.json
                lists the rooms newest first, with the name a client shows.

Everything goes through the client API (and the shared-secret admin API
to register), several requests at once over keep-alive connections,
retrying what the server refuses with 429. Progress goes to stderr. At
full scale it takes about 30 minutes here, nearly all of it the 50,000
messages at ~35/s: Synapse is the bottleneck (one core at 100%), so more
requests at once do not make it faster.

DIR holds the testbed's files (env, state, synapse.log), seed.json and
seed-complete; the homeserver's database is the testbed's, under its
chroot (/srv/natter-PORT). seed-complete is written last, holding the
scale: a DIR without it is an interrupted seed, and is seeded again from
an empty homeserver. A complete seed of another scale is refused (use
another DIR). With a complete seed this only makes sure the homeserver is
up (`scripts/testbed up DIR`) and prints seed.json's path.

Needs root (the testbed does).
"""
import argparse
import concurrent.futures
import fcntl
import hashlib
import hmac
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TESTBED = os.path.join(TOP, "scripts", "testbed")
DEFAULT_DIR = os.environ.get("NATTER_BENCH_HS", "/var/cache/natter-bench/hs500")
BENCH_USER = "exec"
BENCH_PASSWORD = "bench-exec-password"
BENCH_NAME = "Sam Okafor"
PASSWORD = "bench-sender-password"

FIRST = ("Dana Marcus Priya Tomas Aiko Lena Omar Grace Felix Nadia Ravi Clara Jonas Mei "
         "Hugo Sofia Ethan Yara Luca Ingrid Mateo Zoe Kwame Elif Anders Rosa Declan Hana "
         "Viktor Amara Bruno Leila Oscar Chiara Samir Freya Diego Noor Pavel Ines").split()
LAST = ("Whitfield Okonkwo Lindqvist Moreau Tanaka Kowalski Haddad Brennan Castillo Novak "
        "Iyer Schmidt Fontaine Achebe Larsen Romano Petrov Nakamura Doyle Almeida Varga "
        "Sorensen Mensah Duarte Keller Rahman Ferreira Holm Quinn Sato").split()
DEPTS = ("Finance Legal Sales Ops Board HR Product Design Support Marketing Security Infra "
         "Data Research Press").split()
TOPICS = ("weekly sync", "budget review", "hiring", "offsite", "Q3 planning", "Q4 planning",
          "vendors", "travel", "contracts", "audit", "roadmap", "launch", "metrics",
          "incidents", "standup", "leads", "partners", "pricing", "onboarding", "all hands",
          "escalations", "renewals", "forecast", "compliance", "tooling", "reporting",
          "strategy", "events", "newsletter", "retro")
SENTENCES = (
    "Can we move the board meeting to Thursday afternoon?",
    "I've attached the updated draft, comments welcome before noon.",
    "The numbers for last quarter look better than we expected, especially in the north region.",
    "Who is picking up the client from the airport tomorrow?",
    "Please confirm the budget by Friday so finance can close the month.",
    "Thanks, that works for me.",
    "I'll call them after lunch and report back.",
    "The vendor came back with a revised quote: 8% lower, but a two-year commitment.",
    "Legal wants another pass over clause 14 before we sign anything.",
    "Reminder: the all hands starts at 9:30 sharp, coffee from 9.",
    "Can someone share the slides from yesterday's review?",
    "We are still waiting on the signed NDA.",
    "Flight is booked, landing at 18:40, car pickup arranged.",
    "Let's keep this one short, I have a hard stop at 4.",
    "Great work everyone on the launch, the feedback has been very positive so far.",
    "The dashboard is down again; infra is on it.",
    "I disagree with the forecast for March, it assumes two deals we have not closed.",
    "Could you loop in Marcus? He ran the last audit.",
    "Draft agenda for the offsite is in the shared folder.",
    "Quick question: do we need sign-off from the board for this, or is the committee enough?",
    "Done.",
    "On it.",
    "Agreed, let's go with option B.",
    "Can we push this to next week? Half the team is travelling.",
    "The candidate accepted the offer, she starts on the 1st.",
    "Numbers attached. The variance is mostly timing, not volume.",
    "I spoke to their CFO this morning; they want a decision by end of month.",
    "Sorry, running ten minutes late.",
    "Please don't forward the press release before the embargo lifts on Tuesday 8:00.",
    "Minutes from today: we approved the hire, deferred the office move, and asked ops for a "
    "cost breakdown of the new contract.",
    "Does anyone have the dial-in for the partner call?",
    "The renewal is signed for three years at the current price.",
    "Heads up: the auditors arrive Monday and will need desk space for a week.",
    "I've blocked your calendar for the quarterly review on the 12th.",
    "Can we get a one-page summary for the board pack?",
    "Lunch is on me if we close this today.",
    "The pilot went well: 14 of 16 users want to keep it.",
    "Let's take this offline.",
    "Customer escalation from the weekend is resolved, root cause write-up to follow.",
    "Travel policy changed: economy for anything under six hours.",
)


def log(msg):
    print("seed: " + msg, file=sys.stderr, flush=True)


class Error(Exception):
    pass


class Client:
    """Requests to the homeserver, a keep-alive connection a thread,
    retried on 429 and on dropped connections."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        return c

    def call(self, method, path, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        for attempt in range(30):
            try:
                c = self.conn()
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                raw = r.read()
            except (OSError, http.client.HTTPException) as e:
                self.local.conn = None
                if attempt >= 5:
                    raise Error("%s %s: %s" % (method, path, e))
                time.sleep(0.5 * (attempt + 1))
                continue
            if r.status == 429:
                try:
                    wait = json.loads(raw).get("retry_after_ms", 500) / 1000
                except ValueError:
                    wait = 0.5
                time.sleep(min(max(wait, 0.05), 10))
                continue
            if r.status >= 500 and attempt < 5:
                time.sleep(0.5 * (attempt + 1))
                continue
            if r.status != 200:
                raise Error("%s %s: HTTP %d: %s" % (method, path, r.status,
                                                    raw[:300].decode(errors="replace")))
            return json.loads(raw) if raw else {}
        raise Error("%s %s: still rate-limited" % (method, path))


def q(s):
    return urllib.parse.quote(s, safe="")


def testbed(*args, check=True):
    return subprocess.run([TESTBED] + list(args), check=check, stdout=subprocess.DEVNULL)


def read_env(d):
    env = {}
    with open(os.path.join(d, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v.strip("'")
    return env


def register(cl, secret, localpart, password, displayname):
    path = "/_synapse/admin/v1/register"
    nonce = cl.call("GET", path)["nonce"]
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                             b"notadmin"]))
    r = cl.call("POST", path, {"nonce": nonce, "username": localpart, "password": password,
                               "displayname": displayname, "admin": False,
                               "mac": mac.hexdigest()})
    return r["user_id"], r["access_token"]


def text(rnd):
    n = rnd.choices((1, 2, 3, 4), (50, 30, 14, 6))[0]
    return " ".join(rnd.sample(SENTENCES, n))


def plan(args):
    """Who is where and says what, from a fixed random seed."""
    rnd = random.Random(14)
    names = [f + " " + l for f in FIRST for l in LAST]
    rnd.shuffle(names)
    people = ["s%02d" % i for i in range(1, args.senders + 1)]
    contacts = ["c%02d" % i for i in range(1, max(args.dms - args.senders, 0) + 1)]
    display = dict(zip(people + contacts, names))
    groups = []
    labels = ["%s %s" % (d, t) for t in TOPICS for d in DEPTS]
    rnd.shuffle(labels)
    for g in range(args.rooms - args.dms):
        label = labels[g % len(labels)]
        if g >= len(labels):
            label += " %d" % (g // len(labels) + 1)
        members = rnd.sample(people, min(len(people), rnd.randint(3, 10)))
        groups.append({"label": label, "dm": False, "creator": members[0],
                       "members": members})
    dms = []
    for i in range(args.dms):
        partner = (people + contacts)[i]
        dms.append({"label": display[partner], "dm": True, "creator": partner,
                    "members": [partner]})
    rooms = groups + dms
    rnd.shuffle(rooms)              # DMs among the groups, in creation and in recency
    order = list(range(len(rooms)))
    rnd.shuffle(order)              # order[k]: the room whose last message is k-th
    for i, room in enumerate(rooms):
        room["index"] = i
        speakers = room["members"] + [BENCH_USER]
        weights = [3] * len(room["members"]) + [1 if not room["dm"] else 3]
        room["messages"] = [(rnd.choices(speakers, weights)[0], text(rnd))
                            for _ in range(args.messages)]
    return display, rooms, order


def pool_run(jobs, tasks, what, total=None):
    """Runs the callables in tasks on jobs threads; progress to stderr."""
    total = total if total is not None else len(tasks)
    done = [0]
    lock = threading.Lock()
    t0 = time.monotonic()
    last = [t0]

    def one(task):
        task()
        with lock:
            done[0] += 1
            now = time.monotonic()
            if now - last[0] >= 10 or done[0] == total:
                last[0] = now
                rate = done[0] / max(now - t0, 1e-9)
                log("%s: %d/%d (%.0f/s, %.0f s left)"
                    % (what, done[0], total, rate, (total - done[0]) / max(rate, 1e-9)))

    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        for f in concurrent.futures.as_completed([ex.submit(one, t) for t in tasks]):
            f.result()
    log("%s: %d done in %.0f s" % (what, total, time.monotonic() - t0))


def seed(args, d):
    env = read_env(d)
    hs = env["NATTER_TEST_HOMESERVER"]
    cl = Client(hs)
    display, rooms, order = plan(args)
    t0 = time.monotonic()

    tokens, uid = {}, {}

    def reg(local, pw, name):
        def f():
            uid[local], tokens[local] = register(cl, env["NATTER_TEST_REGISTRATION_SECRET"],
                                                 local, pw, name)
        return f
    pool_run(args.jobs, [reg(BENCH_USER, BENCH_PASSWORD, BENCH_NAME)]
             + [reg(p, PASSWORD, n) for p, n in display.items()], "accounts")
    me = uid[BENCH_USER]

    def create(room):
        def f():
            body = {"invite": [uid[m] for m in room["members"][1:]] + [me]}
            if room["dm"]:
                body.update(preset="trusted_private_chat", is_direct=True)
            else:
                body.update(preset="private_chat", name=room["label"])
            room["id"] = cl.call("POST", "/_matrix/client/v3/createRoom", body,
                                 tokens[room["creator"]])["room_id"]
        return f
    pool_run(args.jobs, [create(r) for r in rooms], "rooms")

    def join(room, who):
        return lambda: cl.call("POST", "/_matrix/client/v3/rooms/%s/join" % q(room["id"]), {},
                               tokens[who])
    joins = [join(r, m) for r in rooms for m in r["members"][1:] + [BENCH_USER]]
    pool_run(args.jobs, joins, "joins")

    direct = {}
    for r in rooms:
        if r["dm"]:
            direct.setdefault(uid[r["creator"]], []).append(r["id"])
    cl.call("PUT", "/_matrix/client/v3/user/%s/account_data/m.direct" % q(me), direct,
            tokens[BENCH_USER])

    def send(room, k):
        who, body = room["messages"][k]
        txn = "seed-%d-%d" % (room["index"], k)
        return lambda: cl.call("PUT", "/_matrix/client/v3/rooms/%s/send/m.room.message/%s"
                               % (q(room["id"]), txn), {"msgtype": "m.text", "body": body},
                               tokens[who])
    # All but each room's last message, room after room in turn, so that
    # requests at once go to different rooms (Synapse sends into one room
    # one event at a time).
    bulk = [send(r, k) for k in range(args.messages - 1) for r in rooms]
    pool_run(args.jobs, bulk, "messages")

    # The last messages, one at a time, oldest activity first.
    t1 = time.monotonic()
    for n, i in enumerate(order):
        if args.messages:
            send(rooms[i], args.messages - 1)()
        time.sleep(0.003)           # distinct millisecond timestamps
        if (n + 1) % 100 == 0:
            log("last messages: %d/%d" % (n + 1, len(order)))
    log("last messages: %d in %.0f s" % (len(order), time.monotonic() - t1))

    joined = cl.call("GET", "/_matrix/client/v3/joined_rooms", None, tokens[BENCH_USER])
    if len(joined["joined_rooms"]) != len(rooms):
        raise Error("@exec is in %d rooms, not %d" % (len(joined["joined_rooms"]), len(rooms)))

    newest = [rooms[i] for i in reversed(order)]
    manifest = {
        "homeserver": hs, "user": me, "password": BENCH_PASSWORD, "display_name": BENCH_NAME,
        "scale": scale(args),
        "rooms": [{"room_id": r["id"], "label": r["label"], "dm": r["dm"],
                   "members": len(r["members"]) + 1} for r in newest],
        "seed_seconds": round(time.monotonic() - t0),
    }
    with open(os.path.join(d, "seed.json.tmp"), "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(os.path.join(d, "seed.json.tmp"), os.path.join(d, "seed.json"))
    log("seeded %d rooms x %d messages in %.0f s"
        % (len(rooms), args.messages, time.monotonic() - t0))


def scale(args):
    return {"rooms": args.rooms, "dms": args.dms, "messages": args.messages,
            "senders": args.senders}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--port", type=int, default=61700)
    ap.add_argument("--rooms", type=int, default=500)
    ap.add_argument("--dms", type=int, default=50)
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--senders", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=6)
    args = ap.parse_args()
    if not 0 <= args.dms <= args.rooms or args.messages < 1 or args.senders < 3:
        sys.exit("bench_seed: need 0 <= dms <= rooms, messages >= 1, senders >= 3")
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    lock = open(os.path.join(d, "seed.lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)            # one seeder (or benchmark) at a time
    marker = os.path.join(d, "seed-complete")
    if os.path.exists(marker) and not os.path.exists(os.path.join(d, "state")):
        log("%s had a complete seed, but the homeserver's files are gone (a new machine?): "
            "seeding again" % d)
        os.remove(marker)
    if os.path.exists(marker):
        with open(marker) as f:
            done = json.load(f)
        if done != scale(args):
            sys.exit("bench_seed: %s holds a seed of %s, not %s; use another --dir"
                     % (d, done, scale(args)))
        if testbed("status", d, check=False).returncode != 0:
            testbed("up", d)
        print(os.path.join(d, "seed.json"))
        return
    if os.path.exists(os.path.join(d, "state")):
        log("%s holds an incomplete seed: starting again from an empty homeserver" % d)
        testbed("stop", d, check=False)
    for name in ("seed.json",):
        if os.path.exists(os.path.join(d, name)):
            os.remove(os.path.join(d, name))
    testbed("start", d, str(args.port))
    seed(args, d)
    with open(marker + ".tmp", "w") as f:
        json.dump(scale(args), f)
    os.replace(marker + ".tmp", marker)
    log("complete: %s" % marker)
    print(os.path.join(d, "seed.json"))


if __name__ == "__main__":
    main()
