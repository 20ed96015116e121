"""A load generator that costs little CPU: one thread, non-blocking sockets,
``connections`` requests in flight, each request's bytes built beforehand.

The benchmarks run it on the machine that runs Odoo and PostgreSQL, where a
client in Python threads (http.client) takes CPU the server then lacks; the
FSP that sends the callbacks is another machine. This one does per request
what a real client must (connect, send, read the answer, close, or reuse the
connection when the server keeps it: HTTP/1.1 keep-alive) and nothing else.

    statuses, seconds = post_all("127.0.0.1", 8069, requests, connections=16)

``requests``: [(path, body bytes)]. Each is posted once; one that meets a
connection error (reset, closed before the answer) is posted again, up to
``tries`` times, then counted as "error". Returns ({status: count}, seconds).
"""

import selectors
import socket
import time
from collections import Counter, deque

READ = 65536


def build(host, port, path, body, content_type="application/json"):
    """The bytes of a POST of ``body`` to ``path`` (HTTP/1.1, keep-alive)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _Exchange:
    """One connection and the request it carries."""

    __slots__ = ("sock", "index", "out", "buf", "need", "status", "keep", "seen")

    def __init__(self, sock):
        self.sock = sock
        self.seen = time.monotonic()

    def start(self, index, data):
        self.index = index
        self.out = memoryview(data)
        self.buf = bytearray()
        self.need = None  # bytes of the whole answer, once its head is read
        self.status = None
        self.keep = False


def _parse_head(exchange):
    """Status, length and keep-alive of the answer once its head is read."""
    end = exchange.buf.find(b"\r\n\r\n")
    if end < 0:
        return
    lines = bytes(exchange.buf[:end]).decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    exchange.status = int(status)
    connection = headers.get("connection", "").lower()
    exchange.keep = version == "HTTP/1.1" and connection != "close"
    if "content-length" in headers:
        exchange.need = end + 4 + int(headers["content-length"])
    else:
        # No length: the answer ends when the server closes.
        exchange.keep = False
        exchange.need = -1


def post_all(host, port, requests, connections=16, tries=3, timeout=60):
    load = _Load(host, port, requests, tries)
    start = time.perf_counter()
    load.run(connections, timeout)
    return load.statuses, time.perf_counter() - start


class _Load:
    def __init__(self, host, port, requests, tries):
        self.address = (host, port)
        self.data = [build(host, port, path, body) for path, body in requests]
        self.todo = deque(range(len(self.data)))
        self.tries = tries
        self.attempts = Counter()
        self.statuses = Counter()
        self.selector = selectors.DefaultSelector()

    def run(self, connections, timeout):
        for _ in range(min(connections, len(self.data))):
            self.send_next(self.connect(), fresh=True)
        while self.selector.get_map():
            for key, mask in self.selector.select(timeout=1):
                key.data.seen = time.monotonic()
                self.step(key.data, mask)
            stale = time.monotonic() - timeout
            for key in list(self.selector.get_map().values()):
                if key.data.seen < stale:
                    self.failed(key.data)

    def connect(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect_ex(self.address)
        return _Exchange(sock)

    def send_next(self, exchange, fresh):
        if not self.todo:
            _close(self.selector, exchange, registered=not fresh)
            return
        index = self.todo.popleft()
        self.attempts[index] += 1
        exchange.start(index, self.data[index])
        exchange.seen = time.monotonic()
        if fresh:
            self.selector.register(exchange.sock, selectors.EVENT_WRITE, exchange)
        else:
            self.selector.modify(exchange.sock, selectors.EVENT_WRITE, exchange)

    def step(self, exchange, mask):
        try:
            if mask & selectors.EVENT_WRITE:
                sent = exchange.sock.send(exchange.out)
                exchange.out = exchange.out[sent:]
                if not exchange.out:
                    self.selector.modify(exchange.sock, selectors.EVENT_READ, exchange)
                return
            chunk = exchange.sock.recv(READ)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.failed(exchange)
            return
        if not chunk:
            # The server closed: the end of an answer without a length, or
            # a connection lost before the whole answer.
            if exchange.need == -1:
                self.finished(exchange)
            else:
                self.failed(exchange)
            return
        exchange.buf += chunk
        if exchange.need is None:
            _parse_head(exchange)
        if exchange.need is not None and 0 <= exchange.need <= len(exchange.buf):
            self.finished(exchange)

    def failed(self, exchange):
        """The request goes back to the queue (or is given up), on a new
        connection."""
        _close(self.selector, exchange, registered=True)
        if self.attempts[exchange.index] < self.tries:
            self.todo.appendleft(exchange.index)
        else:
            self.statuses["error"] += 1
        if self.todo:
            self.send_next(self.connect(), fresh=True)

    def finished(self, exchange):
        self.statuses[exchange.status] += 1
        if exchange.keep:
            self.send_next(exchange, fresh=False)
            return
        _close(self.selector, exchange, registered=True)
        if self.todo:
            self.send_next(self.connect(), fresh=True)


def _close(selector, exchange, registered):
    if registered:
        selector.unregister(exchange.sock)
    exchange.sock.close()
