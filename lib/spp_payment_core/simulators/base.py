# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Loopback FSP simulators: real HTTP on 127.0.0.1, deterministic outcomes.

Each simulator validates every request it receives (``violations`` lists what a
real FSP would refuse), answers as the FSP does, and queues the callbacks the FSP
would send; ``flush()`` delivers them, in order or not, so tests decide when
"later" happens. Outcomes are chosen per payment by the last four digits of the
MSISDN or account (see OUTCOMES); faults are queued per request. A simulator
binds 127.0.0.1 only, bounds every queue, and stops by itself after
``max_seconds``.
"""

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_logger = logging.getLogger(__name__)

# Last four digits of the beneficiary's number -> what the FSP does with it.
OUTCOMES = {
    "0001": "insufficient_funds",
    "0002": "invalid_account",
    "0003": "no_answer",
    "0004": "duplicate_callback",
    "0005": "lost_callback",
    "0006": "reversed",
}
PAID = "paid"
MAX_LOG = 100_000


def outcome_of(number):
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    return OUTCOMES.get(digits[-4:], PAID)


class Drop(Exception):
    """Close the connection without an answer (the request did arrive)."""


class Simulator:
    """Base class: subclasses map (method, path) to handlers returning
    ``(status, body)``; a dict body is sent as JSON."""

    routes = {}

    def __init__(
        self,
        max_seconds=600,
        deliver=None,
        listen=True,
        callback_secret=None,
        latency=0.0,
    ):
        """``listen=False`` makes a simulator without a socket, for a host that
        serves it itself (see :meth:`answer`). ``callback_secret``: the key of
        our X-SPP-Signature header, for an FSP that lets the integrator
        configure one (see :meth:`callback_headers`). ``latency``: seconds
        each answer takes over the network (the round trip to a real FSP),
        spent sleeping in the request's own thread."""
        self.callback_secret = callback_secret
        self.latency = latency
        self.requests = deque(maxlen=MAX_LOG)
        self.violations = []
        self.callbacks = deque(maxlen=MAX_LOG)
        self.faults = deque()
        self.delivered = []
        self.deliver = deliver or post_json
        self.callbacks_first = False
        # Called with (method, path, headers, body) in the server's thread as
        # each request arrives, before it is answered: a test looks at the
        # world as the FSP sees it mid-call (e.g. which rows are locked).
        self.on_request = None
        self._lock = threading.Lock()
        self._server = None
        if listen:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
            self._server.daemon_threads = True
        self._thread = None
        self._timer = threading.Timer(max_seconds, self.stop)
        self._timer.daemon = True

    # Lifecycle ---------------------------------------------------------------

    @property
    def base_url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._timer.start()
        return self

    def stop(self):
        self._timer.cancel()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Faults and callbacks ----------------------------------------------------

    def fail_next(self, *faults):
        """Queue faults for the next requests: an HTTP status (500, 503, 429),
        "drop" (no answer), "malformed" (a body that is not JSON), or
        ("slow", seconds)."""
        self.faults.extend(faults)

    def queue_callback(self, url, body, headers=None):
        self.callbacks.append((url, body, headers or {}))

    def flush(self, reverse=False):
        """Deliver queued callbacks (all of them, or newest first)."""
        results = []
        while self.callbacks:
            url, body, headers = (
                self.callbacks.pop() if reverse else self.callbacks.popleft()
            )
            # Deliverers send json.dumps(body): the bytes signed here.
            headers = {**headers, **self.callback_headers(json.dumps(body).encode())}
            status = self.deliver(url, body, headers)
            results.append(status)
            self.delivered.append((url, body, status))
        return results

    def callback_headers(self, raw):
        """Headers the FSP adds to a callback whose body is ``raw``: none,
        unless the FSP lets the integrator configure a signature header."""
        return {}

    @staticmethod
    def outcome_of(number):
        """What happens to a payment to ``number``; replaceable per instance."""
        return outcome_of(number)

    def violation(self, message):
        with self._lock:
            self.violations.append(message)

    # HTTP --------------------------------------------------------------------

    def answer(self, method, path, headers, body):
        """Record one request and answer it: ``(status, body)``; raises Drop
        for no answer."""
        self.requests.append((method, path, headers, body))
        if self.on_request is not None:
            self.on_request(method, path, headers, body)
        return self.dispatch(method, path, headers, body)

    def dispatch(self, method, path, headers, body):
        route = path.split("?", 1)[0]
        handler = self.routes.get((method, route))
        if handler is None:
            return 404, {"error": f"no route {method} {route}"}
        return getattr(self, handler)(headers, body, path)

    def _handler_class(self):
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 50_000_000)) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                fault = simulator.faults.popleft() if simulator.faults else None
                if simulator.latency:
                    time.sleep(simulator.latency)
                if isinstance(fault, tuple) and fault[0] == "slow":
                    time.sleep(min(fault[1], 30))
                    fault = None
                if fault == "drop":
                    simulator.requests.append((self.command, self.path, headers, body))
                    self.close_connection = True
                    return
                if isinstance(fault, int):
                    simulator.requests.append((self.command, self.path, headers, body))
                    return self._answer(fault, {"errors": [{"code": str(fault)}]})
                try:
                    status, answer = simulator.answer(
                        self.command, self.path, headers, body
                    )
                except Drop:
                    self.close_connection = True
                    return
                if fault == "malformed":
                    answer = b"<html>Bad gateway"
                self._answer(status, answer)

            def _answer(self, status, answer):
                data = answer
                if not isinstance(answer, bytes):
                    data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        return Handler


def post_json(url, body, headers=None, timeout=10):
    """POST ``body`` as JSON; the HTTP status, or 0 when nothing answered."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        _logger.info("callback to %s not delivered: %s", url, error)
        return 0
