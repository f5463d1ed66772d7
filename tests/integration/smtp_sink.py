"""A real SMTP server on loopback for the export tests (Debian's python3-aiosmtpd).

Run with /usr/bin/python3: the python3 on PATH may lack aiosmtpd.

    /usr/bin/python3 smtp_sink.py DIR [--refuse]

Binds 127.0.0.1 on a free port and prints "READY PORT" once it accepts.
Each mail it takes is kept as DIR/N.json (mail_from, rcpt_tos) and DIR/N.eml
(the DATA as received, dot-stuffing undone). With --refuse it answers DATA
with 550 and keeps nothing. It runs until killed.
"""

import json
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "550 5.7.1 Delivery not authorised, message refused"
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.directory, str(n))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        os.rename(base + ".json.tmp", base + ".json")
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    directory = sys.argv[1]
    refuse = "--refuse" in sys.argv[2:]
    sink = Sink(directory, refuse)
    for attempt in range(20):
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port,
                                data_size_limit=200 * 1024 * 1024)
        try:
            controller.start()
            break
        except OSError:
            if attempt == 19:
                raise
    print(f"READY {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
