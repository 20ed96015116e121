"""The benchmarks' low-CPU load generator (tests/benchmarks/http_load.py):
every request posted once, with HTTP/1.0 servers that close (Odoo's prefork
workers) and HTTP/1.1 servers that keep the connection, and again when a
connection is lost before its answer."""

import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))

from http_load import post_all  # noqa: E402


def _server(protocol, drop_first=0):
    received = Counter()
    dropped = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = protocol
        disable_nagle_algorithm = True  # no delayed ACK between head and body

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                if len(dropped) < drop_first:
                    dropped.append(body)
                    self.close_connection = True
                    return  # closed without an answer
                received[(self.path, body)] += 1
            answer = b'{"ok": true}'
            self.send_response(200 if self.path == "/ok" else 404)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        # Room for every connection in the accept queue: a full one drops
        # connections, which then wait a second to be tried again.
        request_queue_size = 64

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, received, dropped


@pytest.mark.parametrize("protocol", ["HTTP/1.0", "HTTP/1.1"])
@pytest.mark.parametrize("drop_first", [0, 3])
def test_every_request_posted_once(protocol, drop_first):
    server, received, dropped = _server(protocol, drop_first)
    try:
        requests = [("/ok", b"%d" % n) for n in range(300)] + [("/missing", b"x")]
        statuses, seconds = post_all(
            "127.0.0.1", server.server_address[1], requests, connections=8
        )
    finally:
        server.shutdown()
        server.server_close()
    assert statuses == {200: 300, 404: 1}
    assert seconds > 0
    assert len(dropped) == drop_first
    # Each one answered once: the dropped ones were posted again.
    assert received == Counter(requests)
