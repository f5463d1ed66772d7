"""A fault-injecting HTTP proxy of the tests' own, between natter and the
homeserver on loopback.

It reads each request natter makes (several may share one connection) and
does what the test asked for the next requests that match:

    proxy = FaultProxy(hs.url)
    proxy.fault(CUT_HEADERS, "PUT /send/")      # the next send: stored, answer cut
    proxy.fault(STATUS, "/sync", status=503, times=3)
    proxy.fault(HALF_OPEN, "PUT /send/")        # accepted, never answered

Modes:
  PASS         forward the request and the whole answer
  CUT_HEADERS  forward the request; close the connection inside the answer's headers
  CUT_BODY     forward the request; close the connection inside the answer's body
               (framing="close": the answer's length taken out, so that only
               the body's own syntax can tell it is cut)
  DELAY        forward the request; hold the answer for `delay` seconds
  STATUS       answer `status` (502, 503, 429 with Retry-After: `retry_after`)
               itself; with forward=True, after the server has acted
  HALF_OPEN    keep the connection open and never answer (forward=True: the
               server acts, the answer never comes)
  RESET        reset the connection (RST) instead of answering (forward=True:
               after the server has acted)

down() drops every connection and stops listening, as a network gone;
up() listens again on the same port. Every request is logged with what
was done to it (log(), count()), so a test waits for an event instead of
sleeping."""

import re
import socket
import struct
import threading
import time
from urllib.parse import urlparse

PASS = "pass"
CUT_HEADERS = "cut-headers"
CUT_BODY = "cut-body"
DELAY = "delay"
STATUS = "status"
HALF_OPEN = "half-open"
RESET = "reset"

_FORWARDED_BY_DEFAULT = {PASS, CUT_HEADERS, CUT_BODY, DELAY}


class _Closed(Exception):
    """The other side closed the connection."""


class _Fault:
    def __init__(self, mode, match, times, forward, status, delay, retry_after, framing):
        self.mode, self.times, self.framing = mode, times, framing
        self.match = re.compile(match) if match else None
        self.forward = mode in _FORWARDED_BY_DEFAULT if forward is None else forward
        self.status, self.delay, self.retry_after = status, delay, retry_after

    def takes(self, line):
        return self.times != 0 and (self.match is None or self.match.search(line))


class _Reader:
    """Buffered reads from a socket, by line, by size or to the end."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise _Closed()
        self.buf += data

    def until(self, marker):
        while marker not in self.buf:
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        try:
            while True:
                self.fill()
        except (_Closed, OSError):
            pass
        out, self.buf = self.buf, b""
        return out


def _headers(head):
    """The header fields of a request or response head, names lowercased."""
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            name, value = line.split(b":", 1)
            fields[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return fields


def _read_body(reader, fields, to_close):
    """A message body as it was sent (chunks included); to_close: no length given."""
    if "chunked" in fields.get("transfer-encoding", "").lower():
        out = b""
        while True:
            size_line = reader.until(b"\r\n")
            out += size_line
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return out + reader.until(b"\r\n")  # no trailers from these peers
            out += reader.exactly(size + 2)
    if "content-length" in fields:
        return reader.exactly(int(fields["content-length"]))
    return reader.rest() if to_close else b""


class FaultProxy:
    """The proxy, listening on 127.0.0.1 (url) in front of target_url."""

    def __init__(self, target_url):
        u = urlparse(target_url)
        self.target = (u.hostname, u.port or 80)
        self.port = None
        self.listener = None
        self.lock = threading.Lock()
        self.conns = []
        self.faults = []
        self.events = []
        self.up()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def fault(self, mode, match=None, times=1, forward=None, status=503, delay=5.0,
              retry_after=None, framing="length"):
        """Does mode to the next `times` requests whose "METHOD PATH" matches
        the regular expression match (None: every request; times=-1:
        until clear())."""
        with self.lock:
            self.faults.append(_Fault(mode, match, times, forward, status, delay, retry_after,
                                      framing))

    def clear(self):
        """From now on every request passes."""
        with self.lock:
            self.faults = []

    def log(self, match=None):
        """(request line, mode) of every request seen so far that matches."""
        with self.lock:
            return [e for e in self.events if match is None or re.search(match, e[0])]

    def count(self, match=None, mode=None):
        return sum(1 for line, m in self.log(match) if mode is None or m == mode)

    def wait_for(self, match, mode=None, n=1, timeout=60):
        """Waits until n requests matching match were given mode."""
        deadline = time.monotonic() + timeout
        while self.count(match, mode) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"{n} request(s) {match!r} ({mode or 'any'}) did not come "
                                     f"within {timeout}s; seen: {self.log()}")
            time.sleep(0.05)

    def up(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port or 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self):
        # shutdown wakes the thread blocked in accept(); close alone does not.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            self._drop(c)

    close = down

    @staticmethod
    def _drop(sock, reset=False):
        try:
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _take(self, line):
        with self.lock:
            for f in self.faults:
                if f.takes(line):
                    if f.times > 0:
                        f.times -= 1
                    return f
        return _Fault(PASS, None, 1, None, 0, 0, None, None)

    def _note(self, line, mode):
        with self.lock:
            self.events.append((line, mode))

    def _serve(self, client):
        reader = _Reader(client)
        upstream = None
        try:
            while True:
                head = reader.until(b"\r\n\r\n")
                request = head + _read_body(reader, _headers(head), to_close=False)
                line = " ".join(head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2])
                fault = self._take(line)
                answer = None
                if fault.forward:
                    upstream, answer = self._forward(upstream, request, line)
                self._note(line, fault.mode)
                if not self._answer(client, reader, fault, answer):
                    return
        except (_Closed, OSError, ValueError):
            pass
        finally:
            for sock in (client, upstream):
                if sock is None:
                    continue
                self._drop(sock)
                with self.lock:
                    if sock in self.conns:
                        self.conns.remove(sock)

    def _forward(self, upstream, request, line):
        """Sends request to the homeserver; returns the connection (None once
        the server closed it) and the answer's (head, body)."""
        if upstream is None:
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.conns.append(upstream)
        upstream.sendall(request)
        reader = _Reader(upstream)
        while True:
            head = reader.until(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 1"):
                break
        fields = _headers(head)
        status = int(head.split(b" ", 2)[1])
        closes = fields.get("connection", "").lower() == "close"
        body = b"" if line.startswith("HEAD ") or status in (204, 304) else \
            _read_body(reader, fields, to_close=True)
        if closes or ("content-length" not in fields and
                      "chunked" not in fields.get("transfer-encoding", "").lower()):
            self._drop(upstream)
            upstream = None
        return upstream, (head, body)

    def _answer(self, client, reader, fault, answer):
        """Does fault's part; False when the client connection is done."""
        mode = fault.mode
        if mode == HALF_OPEN:
            reader.rest()  # until natter gives up on it
            return False
        if mode == RESET:
            self._drop(client, reset=True)
            return False
        if mode == STATUS:
            client.sendall(self._status_answer(fault))
            return True
        head, body = answer
        if mode == CUT_HEADERS:
            first = head.index(b"\r\n") + 2
            client.sendall(head[:first + (len(head) - first) // 2])
            return False
        if mode == CUT_BODY:
            if fault.framing == "close":
                head, body = self._close_framed(head, body)
            client.sendall(head + body[:len(body) // 2])
            return False
        if mode == DELAY:
            time.sleep(fault.delay)
        client.sendall(head + body)
        return True

    @staticmethod
    def _close_framed(head, body):
        """The answer with its body ending where the connection does: no
        Content-Length, no chunks."""
        if "chunked" in _headers(head).get("transfer-encoding", "").lower():
            reader, plain = _Reader(None), b""
            reader.buf = body
            while size := int(reader.until(b"\r\n").split(b";")[0] or b"0", 16):
                plain += reader.exactly(size + 2)[:-2]
            body = plain
        drop = (b"content-length:", b"connection:", b"transfer-encoding:")
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(drop)]
        return b"\r\n".join(lines[:-2] + [b"Connection: close", b"", b""]), body

    @staticmethod
    def _status_answer(fault):
        reasons = {429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable"}
        if fault.status == 429:
            body = b'{"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests"}'
            ctype = b"application/json"
        else:
            body = b"<html><body>%d %s</body></html>" % (
                fault.status, reasons.get(fault.status, "Error").encode())
            ctype = b"text/html"
        extra = b""
        if fault.retry_after is not None:
            extra = b"Retry-After: %d\r\n" % fault.retry_after
        return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
            fault.status, reasons.get(fault.status, "Error").encode(), ctype, len(body),
            extra)) + body
