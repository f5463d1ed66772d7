"""A real SMTP server on loopback for the export tests (Debian's python3-aiosmtpd).

Run with /usr/bin/python3: the python3 on PATH may lack aiosmtpd.

    /usr/bin/python3 smtp_sink.py DIR [--refuse] [--smtps | --starttls]
                                      [--cert PEM --key PEM] [--auth USER:PASS]

Binds 127.0.0.1 on a free port and prints "READY PORT" once it accepts.
Each mail it takes is kept as DIR/N.json (mail_from, rcpt_tos, tls, login)
and DIR/N.eml (the DATA as received, dot-stuffing undone). With --refuse it
answers DATA with 550 and keeps nothing. With --smtps it speaks TLS from the
first byte; with --starttls it offers STARTTLS and takes no mail without it;
both present --cert with --key. With --auth it takes mail only after a login
with that user name and password. It runs until killed.
"""

import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


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
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "tls": server.transport.get_extra_info("ssl_object") is not None,
                       "login": session.auth_data if session.authenticated else None}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        os.rename(base + ".json.tmp", base + ".json")
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def option(name):
    """The value after --name, or None."""
    args = sys.argv[2:]
    return args[args.index(name) + 1] if name in args else None


def authenticator(user, password):
    def check(server, session, envelope, mechanism, data):
        ok = data.login.decode() == user and data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=data.login.decode())
    return check


def server_options():
    """Controller keyword arguments for the TLS and login options."""
    kwargs = {}
    if option("--cert"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(option("--cert"), option("--key"))
        if "--smtps" in sys.argv:
            kwargs["ssl_context"] = ctx
        if "--starttls" in sys.argv:
            kwargs.update(tls_context=ctx, require_starttls=True)
    if option("--auth"):
        user, password = option("--auth").split(":", 1)
        kwargs.update(authenticator=authenticator(user, password), auth_required=True)
        # aiosmtpd 1.4 counts only STARTTLS as TLS: over smtps it would
        # never offer AUTH. The "tls" a mail records shows which it was.
        kwargs["auth_require_tls"] = "--smtps" not in sys.argv
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        logging.getLogger("mail.log").setLevel(logging.ERROR)
    return kwargs


def main():
    directory = sys.argv[1]
    refuse = "--refuse" in sys.argv[2:]
    sink = Sink(directory, refuse)
    for attempt in range(20):
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port,
                                data_size_limit=200 * 1024 * 1024, **server_options())
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
